//! `indiv check --jobs N`: parsing on N threads changes nothing a user sees.
//! Each test runs `--jobs 1` (one thread, the reference) and `--jobs 2, 3,
//! 4` with chunk sizes from one byte up (`--chunk-bytes`, hidden, so that
//! small inputs are many chunks and lines straddle chunk boundaries) over the
//! same inputs, in every output format, and asserts byte-identical standard
//! output, standard error and exit status: generated traces, mutants that
//! break each rule, every kind of input error, BOM, CRLF, lines past the 1 MiB
//! limit, a last line without a line end, random mixtures of all of these,
//! standard input, and an output that fails; and the threads' reader itself,
//! line for line, when the calling thread parses every chunk. A live log shows its findings
//! while its writer waits, and `--jobs 0` or 65 is a usage error.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indiv_cli::check::Lines;
use indiv_cli::check::parallel::{ParallelConfig, ParallelReader};
use indiv_gen::legal::{Choices, SplitMix64, legal_trace};
use indiv_gen::mutate::mutate;
use indiv_spec::catalog::Basis;
use indiv_spec::record::to_jsonl;
use indiv_spec::{Rule, Spec, TraceReader};

const FORMATS: [&str; 6] = ["human", "json", "junit", "sarif", "github", "html"];

/// The parallel runs compared with `--jobs 1`: jobs and chunk size (none:
/// the default, so a file smaller than a chunk is read on one thread).
const PARALLEL: [(usize, Option<usize>); 6] =
    [(2, None), (2, Some(1)), (2, Some(64 << 10)), (3, Some(61)), (4, Some(4096)), (2, Some(100_003))];

const START: &str = r#"{"kind":"call","api":"Individualize","flags":1}"#;
/// A record that breaks READER-NEEDS-WHEN-OUTDATED wherever it stands.
const NEEDS: &str = r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION"}"#;

fn spec() -> &'static Spec {
    Spec::builtin().expect("the built-in spec loads")
}

/// Runs `indiv check ARGS FILES` with `stdin` as standard input.
fn run(args: &[String], files: &[PathBuf], stdin: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
        .arg("check")
        .args(args)
        .args(files)
        .stdin(stdin)
        .output()
        .expect("run indiv check")
}

fn parallel_args(jobs: usize, chunk: Option<usize>) -> Vec<String> {
    let mut args = vec!["--jobs".to_string(), jobs.to_string()];
    if let Some(chunk) = chunk {
        args.extend(["--chunk-bytes".to_string(), chunk.to_string()]);
    }
    args
}

/// Asserts that `parallel` is `reference` byte for byte.
fn assert_same(reference: &Output, parallel: &Output, what: &str) {
    assert_eq!(parallel.status.code(), reference.status.code(), "{what}: exit status");
    if parallel.stderr != reference.stderr {
        panic!(
            "{what}: stderr differs\n--jobs 1:\n{}\nparallel:\n{}",
            String::from_utf8_lossy(&reference.stderr),
            String::from_utf8_lossy(&parallel.stderr)
        );
    }
    if parallel.stdout != reference.stdout {
        let (a, b) = (&reference.stdout, &parallel.stdout);
        let at = a.iter().zip(b.iter()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let around =
            |s: &[u8]| String::from_utf8_lossy(&s[at.saturating_sub(200)..(at + 200).min(s.len())]).into_owned();
        panic!(
            "{what}: stdout differs at byte {at} ({} vs {} bytes)\n--jobs 1:\n{}\nparallel:\n{}",
            a.len(),
            b.len(),
            around(a),
            around(b)
        );
    }
}

/// Checks `files` with `--jobs 1` and every [`PARALLEL`] setting in every
/// format under each of `options`, and asserts the same output; returns how
/// many runs were compared.
fn assert_jobs_agree(files: &[PathBuf], options: &[&[&str]]) -> usize {
    let mut compared = 0;
    for format in FORMATS {
        for extra in options {
            let mut args: Vec<String> = vec!["--format".into(), format.into()];
            args.extend(extra.iter().map(|s| s.to_string()));
            let reference = run(&[args.clone(), parallel_args(1, None)].concat(), files, Stdio::null());
            for (jobs, chunk) in PARALLEL {
                let parallel = run(&[args.clone(), parallel_args(jobs, chunk)].concat(), files, Stdio::null());
                assert_same(&reference, &parallel, &format!("{args:?} --jobs {jobs} --chunk-bytes {chunk:?}"));
                compared += 1;
            }
        }
    }
    compared
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write input");
    path
}

/// A legal trace of `seed` as JSON Lines.
fn legal(seed: u64, sessions: usize) -> String {
    to_jsonl(&legal_trace(spec(), &mut SplitMix64::new(seed), sessions))
}

/// The rules a trace alone can break.
fn trace_rules() -> Vec<Rule> {
    Rule::ALL.iter().copied().filter(|r| spec().rule(*r).basis != Basis::Harness).collect()
}

/// Every kind of input error, each after some good lines (and violations),
/// and the readable edge cases, by name.
fn edge_inputs() -> Vec<(&'static str, Vec<u8>)> {
    let good = legal(3, 4);
    let with = |tail: &[u8]| [good.as_bytes(), format!("{NEEDS}\n").as_bytes(), tail, good.as_bytes()].concat();
    let long = |len: usize| format!(r#"{{"kind":"call","api":"Open","required_version":"{}"}}"#, "9".repeat(len));
    vec![
        ("empty", Vec::new()),
        ("only-newline", b"\n".to_vec()),
        ("bad-json", with(b"{\"kind\":\"call\",\"api\":}\n")),
        ("bad-utf8", with(b"{\"kind\":\"ca\xffll\"}\n")),
        (
            "bad-utf8-split-char",
            with("{\"kind\":\"call\",\"api\":\"\u{e9}".as_bytes().split_last().map_or(&[][..], |(_, r)| r)),
        ),
        ("empty-line", with(b"\n")),
        ("blank-line-crlf", with(b"  \r\n")),
        ("header-late", with(b"{\"kind\":\"header\",\"format\":\"indiv-trace/1\"}\n")),
        ("unknown-field", with(b"{\"kind\":\"call\",\"api\":\"Open\",\"color\":1}\n")),
        ("bom", [b"\xEF\xBB\xBF".as_slice(), good.as_bytes()].concat()),
        ("bom-late", with(b"\xEF\xBB\xBF{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1}\n")),
        ("crlf", good.replace('\n', "\r\n").into_bytes()),
        ("no-last-newline", format!("{START}\n{NEEDS}\n{NEEDS}").into_bytes()),
        ("no-last-newline-bad", format!("{START}\n{NEEDS}\n{{\"kind\":").into_bytes()),
        ("no-last-newline-cr", format!("{START}\n{NEEDS}\r").into_bytes()),
        ("line-at-limit", format!("{START}\n{}\n{NEEDS}\n", long((1 << 20) - 60)).into_bytes()),
        ("line-over-limit", format!("{START}\n{NEEDS}\n{}\n{NEEDS}\n", long(1 << 20)).into_bytes()),
        ("line-over-limit-unended", format!("{START}\n{NEEDS}\n{}", long(3 << 20)).into_bytes()),
        ("line-just-over-limit-crlf", format!("{START}\n{}\r\n", long((1 << 20) - 40)).into_bytes()),
        ("violations-then-error", [format!("{NEEDS}\n").repeat(5000).as_bytes(), b"{\"kind\"\n"].concat()),
    ]
}

/// Every line a reader hands over (number, text, record), then how it
/// stopped (the end, or the error), and the records it counted.
type ReadAll = (Vec<(usize, String, String)>, Result<(), String>, u64);

fn read_all(lines: &mut dyn Lines) -> ReadAll {
    let mut read = Vec::new();
    let end = loop {
        match lines.next_line() {
            Ok(Some(line)) => read.push((line.number, line.text.to_string(), format!("{:?}", line.record))),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e.to_string()),
        }
    };
    (read, end, lines.records())
}

/// The threads' reader hands over what the single-threaded reader reads,
/// line for line, however the parsing is shared: with `jobs` 1 no parsing
/// thread runs and the calling thread parses every chunk itself (before it
/// waits for the next in line), with 2 and 3 it shares them with the
/// parsing threads.
#[test]
fn the_calling_thread_parses_chunks_as_the_single_threaded_reader_reads_them() {
    let mut inputs = edge_inputs();
    inputs.push(("legal", legal(9, 6).into_bytes()));
    for (name, bytes) in &inputs {
        let expected = read_all(&mut TraceReader::new(bytes.as_slice()));
        for (jobs, chunk) in [(1, 1), (1, 61), (1, 4096), (1, 64 << 10), (2, 61), (3, 4096)] {
            let what = format!("{name}, jobs {jobs}, chunks of {chunk} bytes");
            let (done, read) = mpsc::channel();
            let input: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(bytes.clone()));
            // On a thread, so that a reader that never ends fails the test
            // after minutes instead of hanging it.
            std::thread::spawn(move || {
                let config = ParallelConfig { jobs, chunk, flush_every: 1 << 16 };
                let mut flush = || true;
                let mut reader = ParallelReader::start(input, config, &mut flush).expect("threads start");
                let _ = done.send(read_all(&mut reader));
            });
            let read = read.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| panic!("{what}: no end"));
            assert!(read == expected, "{what}");
        }
    }
}

#[test]
fn generated_traces_and_mutants_give_the_same_output_whatever_the_jobs_and_chunks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for seed in 0..4 {
        files.push(write(dir.path(), &format!("legal-{seed}.jsonl"), legal(seed, 30).as_bytes()));
    }
    let trace = legal_trace(spec(), &mut SplitMix64::new(11), 12);
    for (i, rule) in trace_rules().into_iter().enumerate() {
        let Some(mutant) = mutate(rule, &trace, &mut SplitMix64::new(i as u64)) else { continue };
        files.push(write(dir.path(), &format!("{rule}.jsonl"), to_jsonl(&mutant.records).as_bytes()));
    }
    // Larger than the default chunk, full of findings.
    let big: String =
        (0..40).map(|seed| legal(100 + seed, 40)).collect::<String>() + &format!("{NEEDS}\n").repeat(3000);
    files.push(write(dir.path(), "big.jsonl", big.as_bytes()));
    files.push(dir.path().join("missing.jsonl"));
    let options: [&[&str]; 4] = [&[], &["--strict"], &["--partial"], &["--max-violations", "3"]];
    let compared = assert_jobs_agree(&files, &options);
    crate::show_in_test_output(&format!("check --jobs: {compared} runs over {} files agree\n", files.len()));
}

#[test]
fn every_input_error_and_edge_case_gives_the_same_output_whatever_the_jobs_and_chunks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files: Vec<PathBuf> =
        edge_inputs().into_iter().map(|(name, bytes)| write(dir.path(), &format!("{name}.jsonl"), &bytes)).collect();
    // A directory opens but cannot be read: a read error at line 1.
    files.push(dir.path().to_path_buf());
    assert_jobs_agree(&files, &[&[], &["--max-violations", "2"]]);
}

/// Random mixtures of good lines, findings, input errors and line ends,
/// from a seed: a property test of the agreement, on inputs no one wrote.
#[test]
fn random_mixtures_of_lines_give_the_same_output_whatever_the_jobs_and_chunks() {
    let good = legal(5, 6);
    let good: Vec<&str> = good.lines().collect();
    let bad: [&[u8]; 6] = [b"{\"kind\":}", b"", b"\xff", b"{\"kind\":\"header\"}", b" ", b"\xEF\xBB\xBF{}"];
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    let mut choices = SplitMix64::new(2026);
    for case in 0..60 {
        let mut bytes = Vec::new();
        if choices.choose(4) == 0 {
            bytes.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let lines = 1 + choices.choose(300) as usize;
        for _ in 0..lines {
            match choices.choose(100) {
                // About one input in three has an input error somewhere.
                0 => bytes.extend_from_slice(bad[choices.choose(bad.len() as u32) as usize]),
                1..=10 => bytes.extend_from_slice(NEEDS.as_bytes()),
                11..=14 => bytes.extend_from_slice(START.as_bytes()),
                _ => bytes.extend_from_slice(good[choices.choose(good.len() as u32) as usize].as_bytes()),
            }
            bytes.extend_from_slice(if choices.choose(5) == 0 { b"\r\n" } else { b"\n" });
        }
        if choices.choose(3) == 0 {
            bytes.pop();
        }
        files.push(write(dir.path(), &format!("mix-{case}.jsonl"), &bytes));
    }
    assert_jobs_agree(&files, &[&[]]);
}

#[test]
fn standard_input_gives_the_same_output_whatever_the_jobs() {
    let text = [legal(7, 20), format!("{NEEDS}\n").repeat(2000), "{\"kind\":\n".to_string()].concat();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "t.jsonl", text.as_bytes());
    let dash = [PathBuf::from("-")];
    for format in FORMATS {
        let args = |jobs: usize, chunk: Option<usize>| {
            [vec!["--format".to_string(), format.into()], parallel_args(jobs, chunk)].concat()
        };
        let from_file = || Stdio::from(std::fs::File::open(&file).expect("open input"));
        let reference = run(&args(1, None), &dash, from_file());
        for (jobs, chunk) in [(2, None), (3, Some(77))] {
            // Standard input a file, then a pipe written as it is read.
            assert_same(
                &reference,
                &run(&args(jobs, chunk), &dash, from_file()),
                &format!("{format} --jobs {jobs} < file"),
            );
            let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
                .arg("check")
                .args(args(jobs, chunk))
                .arg("-")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn indiv");
            let mut stdin = child.stdin.take().expect("stdin");
            let bytes = text.clone().into_bytes();
            let writer = std::thread::spawn(move || {
                for piece in bytes.chunks(997) {
                    if stdin.write_all(piece).is_err() {
                        break;
                    }
                }
            });
            let piped = child.wait_with_output().expect("indiv ran");
            writer.join().expect("writer");
            assert_same(&reference, &piped, &format!("{format} --jobs {jobs} from a pipe"));
        }
    }
}

/// An output that fails (`/dev/full`) is found after the same findings, so
/// the same errors reach standard error (an input error after them or not)
/// with the same status: the threads flush where `--jobs 1` reads.
#[test]
fn a_failing_output_stops_the_check_at_the_same_place_whatever_the_jobs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let findings = format!("{NEEDS}\n").repeat(3000);
    let files = [
        // The output fails before the input error is reached.
        write(dir.path(), "late-error.jsonl", [findings.as_bytes(), b"{\"kind\":\n"].concat().as_slice()),
        // The input error comes before the first flush of a finding.
        write(dir.path(), "early-error.jsonl", format!("{NEEDS}\n{{\n{findings}").as_bytes()),
        write(dir.path(), "findings.jsonl", findings.as_bytes()),
    ];
    for format in FORMATS {
        for file in &files {
            let output = |jobs: usize, chunk: Option<usize>| {
                let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("open /dev/full");
                Command::new(env!("CARGO_BIN_EXE_indiv"))
                    .args(["check", "--format", format])
                    .args(parallel_args(jobs, chunk))
                    .arg(file)
                    .stdout(full)
                    .output()
                    .expect("run indiv check")
            };
            let reference = output(1, None);
            assert_eq!(reference.status.code(), Some(4), "{format} {}", file.display());
            for (jobs, chunk) in [(2, Some(1000)), (2, Some(64 << 10)), (3, Some(3)), (4, Some(100_003))] {
                assert_same(&reference, &output(jobs, chunk), &format!("{format} {} --jobs {jobs}", file.display()));
            }
        }
    }
}

/// Reads `child`'s standard output on a thread, a piece at a time.
fn output_pieces(stdout: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut stdout = stdout;
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn a_live_log_shows_each_finding_while_its_writer_waits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = crate::make_fifo(dir.path(), "live.fifo");
    for (jobs, chunk) in [(2, None), (3, Some(10))] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
            .args(["check", "--format", "github", "--partial"])
            .args(parallel_args(jobs, chunk))
            .arg(&fifo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn indiv");
        let pieces = output_pieces(child.stdout.take().expect("stdout"));
        let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).expect("open the FIFO");
        let mut seen = Vec::new();
        for round in 1..=3 {
            // A good line, then one that breaks a rule; then the writer waits
            // until the finding is out.
            writer.write_all(format!("{START}\n{NEEDS}\n").as_bytes()).expect("write the FIFO");
            writer.flush().expect("flush the FIFO");
            let deadline = Instant::now() + Duration::from_secs(60);
            while seen.windows(b"::error".len()).filter(|w| w == b"::error").count() < round {
                let left = deadline.saturating_duration_since(Instant::now());
                match pieces.recv_timeout(left) {
                    Ok(piece) => seen.extend(piece),
                    Err(_) => {
                        let _ = child.kill();
                        panic!(
                            "--jobs {jobs}: finding {round} not shown within 60 s: {}",
                            String::from_utf8_lossy(&seen)
                        );
                    }
                }
            }
        }
        drop(writer);
        let status = child.wait().expect("indiv ran");
        assert_eq!(status.code(), Some(1), "--jobs {jobs}");
    }
}

#[test]
fn jobs_must_be_from_1_to_64_like_certify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(dir.path(), "t.jsonl", format!("{START}\n").as_bytes());
    for jobs in ["0", "65"] {
        let o = run(&["--jobs".into(), jobs.into()], std::slice::from_ref(&file), Stdio::null());
        assert_eq!(o.status.code(), Some(2), "--jobs {jobs}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("--jobs must be from 1 to 64, not {jobs}")), "{err}");
    }
    let o = run(&["--jobs".into(), "64".into(), "--chunk-bytes".into(), "5".into()], &[file], Stdio::null());
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
}
