//! `indiv check`'s input and output: an input is read once (a FIFO with an
//! end-of-trace finding completes, and the finding quotes its line), a closed
//! output stops the check at once with status 4, and memory stays within the
//! bound ARCHITECTURE.md states, whatever the number of violations or open
//! sessions, in every output format (html included: its timeline keeps a
//! bounded summary of the records), with `--jobs 1` and `--jobs 2`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const START: &str = r#"{"kind":"call","api":"Individualize","flags":1}"#;
const BEGIN: &str = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
/// A record that breaks READER-NEEDS-WHEN-OUTDATED wherever it stands.
const NEEDS: &str = r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION"}"#;

/// The fixed budget of ARCHITECTURE.md, "Bounded memory".
const BUDGET_BYTES: u64 = 16 << 20;
/// What each open session may add to it.
const PER_SESSION_BYTES: u64 = 2 << 10;
/// What each job of `--jobs N` (N ≥ 2) may add to it: a thread's stack,
/// its allocator arena and two chunks with their records.
const PER_JOB_BYTES: u64 = 8 << 20;
/// The `--jobs` the bound is checked with, and what each adds.
const JOBS: [(&str, u64); 2] = [("1", 0), ("2", 2 * PER_JOB_BYTES)];

/// Waits for `child`, killing it after a minute: a check that needs longer
/// than that on these small inputs hangs.
fn wait_or_kill(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for indiv").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("indiv check did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("indiv ran")
}

#[test]
fn a_fifo_with_an_end_of_trace_violation_is_read_once_and_the_violation_quotes_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = crate::make_fifo(dir.path(), "trace.fifo");
    let child = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .arg("check")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn indiv");
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).expect("open the FIFO");
            f.write_all(format!("{START}\n{BEGIN}\n").as_bytes()).expect("write the FIFO");
        })
    };
    let o = wait_or_kill(child);
    // If indiv never opened the FIFO, open it here without waiting, so that
    // the writer's open returns and the test ends at the assertions below.
    let _unblock = (!writer.is_finished()).then(|| {
        use std::os::unix::fs::OpenOptionsExt as _;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        std::fs::OpenOptions::new().read(true).custom_flags(O_NONBLOCK).open(&fifo)
    });
    writer.join().expect("writer");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("error[SESSION-ENDS]"), "{out}");
    assert!(out.contains(&format!("1 | {START}\n")), "the start call's line is quoted: {out}");
}

#[test]
fn end_of_trace_violations_from_standard_input_quote_their_lines() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn indiv");
    child.stdin.take().expect("stdin").write_all(format!("{START}\n{BEGIN}\n").as_bytes()).expect("feed stdin");
    let o = wait_or_kill(child);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains(&format!(" --> -:1 (session 1)\n  |\n1 | {START}\n")), "{out}");
}

#[test]
fn a_closed_output_pipe_stops_the_check_with_status_4_long_before_the_input_ends() {
    const TOTAL: usize = 64 << 20;
    let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn indiv");
    // The reading end of the output closes before anything is written (as
    // `indiv check | head -1` once head has its line).
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let chunk: String = std::iter::repeat_n(format!("{NEEDS}\n"), 1024).collect();
        let mut written = 0;
        while written < TOTAL {
            // Fails once indiv has exited and the pipe has no reader.
            if stdin.write_all(chunk.as_bytes()).is_err() {
                break;
            }
            written += chunk.len();
        }
        written
    });
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    let status = child.wait().expect("indiv ran");
    let written = writer.join().expect("writer");
    assert_eq!(status.code(), Some(4), "{stderr}");
    assert!(stderr.starts_with("error: cannot write output: "), "{stderr}");
    assert!(written < TOTAL / 4, "indiv read {written} of {TOTAL} bytes after its output closed");
}

#[test]
fn a_standard_output_closed_at_start_or_sent_to_dev_null_keeps_the_verdicts_exit_status() {
    // The Rust runtime reopens a closed standard output on `/dev/null`
    // (read-write), as Python's `subprocess.DEVNULL` and others open it: the
    // two cannot be told apart, and a check whose output is discarded on
    // purpose must not turn into a failure. The exit status says the verdict.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.jsonl"), format!("{START}\n{BEGIN}\n")).expect("write trace");
    for format in ["human", "json", "junit", "sarif", "github", "html"] {
        for redirect in [">&-", "1<>/dev/null"] {
            let script = format!(r#"exec "$0" check --format "$1" t.jsonl {redirect}"#);
            let o = Command::new("sh")
                .current_dir(dir.path())
                .args(["-c", &script, env!("CARGO_BIN_EXE_indiv"), format])
                .stdin(Stdio::null())
                .output()
                .expect("run indiv under sh");
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{format} {redirect}: the trace breaks a must rule: {err}");
        }
    }
}

/// Runs `indiv check --format FORMAT --jobs JOBS FILE` with at most `limit`
/// bytes of data memory (`ulimit -d`: heap and anonymous mappings, thread
/// stacks included), its output discarded.
fn check_within(file: &Path, format: &str, jobs: &str, limit: u64) -> Output {
    Command::new("sh")
        .args([
            "-c",
            r#"ulimit -d "$1" && exec "$0" check --format "$2" --jobs "$3" "$4" >/dev/null"#,
            env!("CARGO_BIN_EXE_indiv"),
            &(limit / 1024).to_string(),
            format,
            jobs,
        ])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .expect("run indiv under sh")
}

/// Asserts that checking `file` fails the trace (status 1) within `limit`
/// bytes in every format and with each of [`JOBS`].
fn assert_within(file: &Path, limit: u64) {
    for format in ["human", "json", "junit", "sarif", "github", "html"] {
        for (jobs, more) in JOBS {
            let o = check_within(file, format, jobs, limit + more);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{format} --jobs {jobs} within {} bytes: {err}", limit + more);
        }
    }
}

#[test]
fn memory_stays_within_the_budget_whatever_the_number_of_violations_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("needs.jsonl");
    // 300,000 violations, each with a message and a quoted line.
    let text: String = std::iter::repeat_n(format!("{NEEDS}\n"), 300_000).collect();
    std::fs::write(&file, text).expect("write trace");
    assert_within(&file, BUDGET_BYTES);
}

#[test]
fn memory_grows_by_at_most_the_stated_bytes_per_open_session_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("open.jsonl");
    // 100,000 sessions opened and never ended, each start call quoted at its
    // longest (padded past the quote's length); each one is a violation when
    // it opens (another is open) and another at the end.
    const SESSIONS: u64 = 100_000;
    let padded = format!(r#"{{"kind":"call","api":"Individualize","flags":0,"hr":"S_OK"{}}}"#, " ".repeat(200));
    let text: String = std::iter::repeat_n(format!("{padded}\n"), SESSIONS as usize).collect();
    std::fs::write(&file, text).expect("write trace");
    let limit = BUDGET_BYTES + SESSIONS * PER_SESSION_BYTES;
    assert_within(&file, limit);
}

#[test]
fn memory_stays_within_the_budget_with_thousands_of_held_statuses_quoting_long_urls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("held.jsonl");
    // 4,000 statuses before any start call, each held until the end (they
    // could still be a later session's), each with an 8 kB URL.
    let url = format!("https://indiv.example/{}", "r".repeat(8_000));
    let line = BEGIN.replace(r#""pszIndiRespUrl":null"#, &format!(r#""pszIndiRespUrl":"{url}""#));
    let text: String = std::iter::repeat_n(format!("{line}\n"), 4_000).collect();
    std::fs::write(&file, text).expect("write trace");
    assert_within(&file, BUDGET_BYTES);
}

#[test]
fn memory_stays_within_the_budget_with_statuses_carrying_urls_as_long_as_a_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("long-urls.jsonl");
    // 24 statuses before any start call (held, each URL kept as its digest),
    // each with another URL of about 1 MB: the monitor digests each one and
    // keeps the last whole (`Digests`), never more than one.
    let text: String = (0..24)
        .map(|i| {
            let url = format!("https://indiv.example/{i}/{}", "u".repeat(1_000_000));
            format!("{}\n", BEGIN.replace(r#""pszIndiRespUrl":null"#, &format!(r#""pszIndiRespUrl":"{url}""#)))
        })
        .collect();
    std::fs::write(&file, text).expect("write trace");
    assert_within(&file, BUDGET_BYTES);
}
