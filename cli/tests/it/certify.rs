//! `indiv certify` end to end: the reference engine passes every named case
//! and a thousand generated ones; misbehaving testees are ERROR without
//! stopping the run, are killed with their children, and the report is
//! still written.

use std::path::Path;
use std::process::{Command, Output};

fn indiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn the_reference_engine_passes_every_named_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = indiv().args(["certify", "--report"]).arg(dir.path()).output().expect("run");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let n = indiv_engine::scenario::named().len();
    assert!(
        out.contains(&format!("{n} cases: {n} pass, 0 nonstrict, 0 inconclusive, 0 fail, 0 error, 0 skip")),
        "{out}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report.json"))
            .expect("json");
    assert_eq!(report["counts"]["pass"], n);
    assert_eq!(report["testee"]["implementation"]["language"], "Rust");
    assert_eq!(report["spec"]["version"], "4.0.1");
    assert_eq!(report["spec"]["hash"].as_str().map(str::len), Some(64));
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary.md");
    assert!(summary.contains("Spec 4.0.1 (`"), "{summary}");
    let first = &report["cases"][0];
    assert_eq!(first["name"], "reader-happy");
    let trace = dir.path().join(first["trace_file"].as_str().expect("trace file"));
    let check = indiv().args(["check", "--strict"]).arg(&trace).output().expect("check");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).expect("junit.xml");
    assert_eq!(junit.matches("<testcase ").count(), n);
    assert!(
        std::fs::read_to_string(dir.path().join("summary.md")).expect("summary.md").contains("| reader-happy | PASS |")
    );
}

#[test]
fn the_reference_engine_passes_a_thousand_generated_cases() {
    let o = indiv().args(["certify", "--random", "1000", "--seed", "7"]).output().expect("run");
    let out = text(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        out.lines().filter(|l| !l.starts_with("PASS")).collect::<Vec<_>>().join("\n")
    );
    assert!(out.contains("1000 cases: 1000 pass, 0 nonstrict, 0 inconclusive, 0 fail, 0 error, 0 skip"));
}

#[test]
fn listing_and_selecting_cases() {
    let list = indiv().args(["certify", "--list"]).output().expect("run");
    let names: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect();
    assert!(names.len() >= 25 && names.contains(&"fault-short-body".to_string()), "{names:?}");
    let o = indiv().args(["certify", "--case", "fault-*"]).output().expect("run");
    assert!(text(&o).contains("9 cases: 9 pass"), "{}", text(&o));
    let o = indiv().args(["certify", "--case", "no-such-*"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("no case matches `no-such-*`"));
}

fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Certifies three cases against a testee that misbehaves in `mode` on the
/// second; returns the run's output and the report.
fn misbehave(mode: &str) -> (Output, serde_json::Value) {
    misbehave_with(mode, &[])
}

/// [`misbehave`] with more options for `indiv certify`.
fn misbehave_with(mode: &str, options: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pids = dir.path().join("pids");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees/misbehaving.py");
    let report = dir.path().join("report");
    let o = indiv()
        .args([
            "certify",
            "--timeout",
            "10",
            "--case",
            "reader-happy",
            "--case",
            "busy",
            "--case",
            "invalid-flags",
            "--report",
        ])
        .arg(&report)
        .args(options)
        .args(["--", "python3"])
        .arg(&script)
        .args([mode, &pids.display().to_string(), env!("CARGO_BIN_EXE_indiv")])
        .output()
        .expect("run");
    let text = std::fs::read_to_string(&pids).expect("the testee wrote its pids");
    for pid in text.split_whitespace().map(|p| p.parse::<u32>().expect("pid")) {
        assert!(!alive(pid), "process {pid} outlived the harness ({mode})");
    }
    let json = std::fs::read_to_string(report.join("report.json")).expect("the report is written");
    (o, serde_json::from_str(&json).expect("report json"))
}

fn check_misbehaviour(mode: &str, why: &str) {
    check_misbehaviour_with(mode, &[], why);
}

fn check_misbehaviour_with(mode: &str, options: &[&str], why: &str) {
    let (o, report) = misbehave_with(mode, options);
    let out = text(&o);
    let verdicts = crate::verdicts(&report);
    assert_eq!(verdicts, vec![("reader-happy", "PASS"), ("busy", "ERROR"), ("invalid-flags", "PASS")], "{mode}: {out}");
    let error = report["cases"][1]["error"].as_str().unwrap_or("");
    assert!(error.contains(why), "{mode}: expected {why:?} in {error:?}");
    assert_eq!(o.status.code(), Some(3), "{mode}: {out}");
}

#[test]
fn a_testee_that_crashes_mid_case_is_an_error_and_the_run_goes_on() {
    check_misbehaviour("crash", "closed its output");
}

#[test]
fn a_testee_that_hangs_is_an_error_after_the_timeout() {
    check_misbehaviour("hang", "no record for call 1 of 4 (Individualize) within 10 s");
}

#[test]
fn a_testee_that_writes_garbage_is_an_error() {
    check_misbehaviour("garbage", "not an indiv-trace/1 record");
}

#[test]
fn a_testee_that_writes_a_line_over_a_mebibyte_is_an_error() {
    check_misbehaviour("long-line", "over 1 MiB");
}

#[test]
fn a_testee_that_floods_records_is_an_error() {
    check_misbehaviour("flood", "over 100000 records");
}

#[test]
fn the_record_limit_is_an_option() {
    check_misbehaviour_with("flood", &["--max-records", "50"], "over 50 records in one case (--max-records)");
}

#[test]
fn a_testee_slower_than_the_answer_timeout_is_an_error() {
    // The testee takes 20 s to answer busy's reset; 10 s leaves a loaded
    // machine time to start it and answer hello and the other resets.
    let why = "did not answer reset with ready within 10 s (--answer-timeout)";
    check_misbehaviour_with("slow-ready", &["--answer-timeout", "10"], why);
}

#[test]
fn a_longer_answer_timeout_waits_for_a_slow_testee() {
    let (o, report) = misbehave_with("slow-ready", &["--answer-timeout", "60"]);
    let verdicts = crate::verdicts(&report);
    let expected = vec![("reader-happy", "PASS"), ("busy", "PASS"), ("invalid-flags", "PASS")];
    assert_eq!(verdicts, expected, "{}", text(&o));
}

#[test]
fn a_testee_that_ignores_end_is_an_error() {
    check_misbehaviour("ignore-end", "did not answer end with ended");
}

#[test]
fn a_testee_that_exits_at_hello_errors_every_case() {
    let (o, report) = misbehave("exit-at-hello");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(report["counts"]["error"], 3);
}

#[test]
fn ctrl_c_writes_a_partial_report_marked_incomplete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = indiv()
        .args(["certify", "--random", "1000000", "--report"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("signal");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(130));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report")).expect("json");
    assert_eq!(report["incomplete"], true);
    assert!(report["counts"]["pass"].as_u64().is_some_and(|n| n > 0 && n < 1_000_000), "{}", report["counts"]);
    assert!(std::fs::read_to_string(dir.path().join("summary.md")).expect("summary").contains("incomplete"));
}

/// A case file with the given versions: Individualize(0x1), then
/// GetSecurityVersion when idle.
fn case_file(component: &str, offered: &str) -> String {
    format!(
        "name = \"by-hand\"\n[scenario]\ncomponent_version = \"{component}\"\n\n\
         [scenario.service]\noffered_version = \"{offered}\"\npackage_size = 100\n\n[scenario.service.pace]\n\
         chunk_size = 100\ndelay_ms = 0\n\n[[scenario.steps]]\ntrigger = \"now\"\n\n[scenario.steps.call]\n\
         api = \"Individualize\"\nflags = 1\n"
    )
}

#[test]
fn a_case_file_runs_and_one_with_versions_outside_the_spec_form_is_refused_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.toml");
    std::fs::write(&good, case_file("2.1.0.0", "2.4.0.1")).expect("write");
    let o = indiv().args(["certify", "--case-file"]).arg(&good).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("PASS      by-hand"), "{}", text(&o));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, case_file("2.1.0.0", "2.4.0.0")).expect("write");
    let o = indiv().args(["certify", "--case-file"]).arg(&bad).output().expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let expected =
        format!("error: {}:6:1: offered_version must have the third number 0 and the fourth 1", bad.display());
    assert!(err.starts_with(&expected), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `indiv certify --show CASE` written to a file in `dir`, and the file.
fn show(dir: &Path, case: &str) -> (String, std::path::PathBuf) {
    let o = indiv().args(["certify", "--show", case]).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "--show {case}: {}", text(&o));
    let shown = String::from_utf8(o.stdout).expect("utf-8");
    let file = dir.join(format!("{case}.toml"));
    std::fs::write(&file, &shown).expect("write");
    (shown, file)
}

#[test]
fn show_prints_every_named_case_as_a_case_file_that_plays_the_same_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    for named in indiv_engine::scenario::named() {
        let (shown, file) = show(dir.path(), named.name);
        let case: indiv_harness::run::CaseFile = toml::from_str(&shown).unwrap_or_else(|e| panic!("{e}\n{shown}"));
        assert_eq!((case.name.as_str(), case.about.as_str()), (named.name, named.about));
        assert_eq!(case.scenario, named.scenario, "{}", named.name);
        let o = indiv().args(["certify", "--case-file"]).arg(&file).output().expect("run");
        assert_eq!(o.status.code(), Some(0), "{}: {}", named.name, text(&o));
        assert!(text(&o).contains(&format!("PASS      {} (", named.name)), "{}", text(&o));
    }
}

/// The first line of a case's trace in a report directory: the header, with
/// both versions.
fn trace_header(report: &Path, case: usize) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).expect("report")).expect("json");
    let trace = report.join(json["cases"][case]["trace_file"].as_str().expect("trace file"));
    std::fs::read_to_string(trace).expect("trace").lines().next().unwrap_or("").to_string()
}

#[test]
fn show_prints_the_generated_case_of_a_seed_as_random_generates_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    for seed in [0u64, 1, 7, 42, 1234, u64::MAX] {
        let (shown, file) = show(dir.path(), &format!("random-{seed}"));
        assert!(shown.starts_with("# indiv certify case file"), "{shown}");
        let from_file = dir.path().join(format!("file-{seed}"));
        let o =
            indiv().args(["certify", "--case-file"]).arg(&file).arg("--report").arg(&from_file).output().expect("run");
        assert_eq!(o.status.code(), Some(0), "seed {seed}: {}", text(&o));
        assert!(text(&o).contains(&format!("PASS      random-{seed} (")), "{}", text(&o));
        let generated = dir.path().join(format!("random-{seed}"));
        let seed_text = seed.to_string();
        let o = indiv()
            .args(["certify", "--random", "1", "--seed", &seed_text, "--report"])
            .arg(&generated)
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(0), "seed {seed}: {}", text(&o));
        // The same versions, and (case files carry the generated scenario
        // exactly) the same scenario by the harness's own reading.
        assert_eq!(trace_header(&from_file, 0), trace_header(&generated, 0), "seed {seed}");
        let case = indiv_harness::run::read_case_file(&file).expect("the shown case file reads back");
        let again = indiv_harness::run::case_by_name(&format!("random-{seed}")).expect("generated");
        assert_eq!(case.scenario, again.scenario, "seed {seed}");
    }
}

#[test]
fn show_of_an_unknown_case_is_a_usage_error_that_points_at_the_list() {
    for name in ["no-such-case", "random-", "random-x", "random-01", "random--1", "Reader-Happy"] {
        let o = indiv().args(["certify", "--show", name]).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("no case is named `{name}`")) && err.contains("--list"), "{err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn the_stderr_excerpt_shows_the_first_error_line_the_last_lines_and_how_many_were_skipped() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees/traceback.py");
    let o = indiv()
        .args(["certify", "--case", "reader-happy", "--", "python3"])
        .arg(&script)
        .arg("40")
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let excerpt: Vec<&str> = out.lines().filter(|l| l.starts_with("  stderr")).collect();
    assert_eq!(
        excerpt,
        [
            "  stderr (2 lines skipped)",
            "  stderr: Traceback (most recent call last):",
            "  stderr (37 lines skipped)",
            "  stderr: noise 36",
            "  stderr: noise 37",
            "  stderr: noise 38",
            "  stderr: noise 39",
            "  stderr: noise 40",
        ],
        "{out}"
    );
}

#[test]
fn the_reproduce_command_carries_the_options_that_change_the_verdict_and_reproduces_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let engine = engine.canonicalize().expect("engine.py");
    // The bug breaks a should rule: NONSTRICT, which fails only a strict run.
    let program = ["python3", engine.to_str().expect("utf-8 path"), "--bug", "call-after-begin"];
    let o = indiv()
        .args(["certify", "--case", "reader-happy", "--timeout", "7", "--strict", "--report"])
        .arg(dir.path())
        .arg("--")
        .args(program)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report")).expect("json");
    assert_eq!(report["cases"][0]["verdict"], "NONSTRICT");
    let reproduce = report["cases"][0]["reproduce"].as_str().expect("reproduce").to_string();
    assert_eq!(
        reproduce,
        format!("indiv certify --case reader-happy --timeout 7 --strict -- {}", program.join(" ")),
        "{reproduce}"
    );
    // The words need no shell quoting here: run them as they are.
    let words: Vec<&str> = reproduce.split(' ').collect();
    assert_eq!(words[0], "indiv");
    let again = indiv().args(&words[1..]).output().expect("run");
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(text(&again).contains("NONSTRICT reader-happy ("), "{}", text(&again));
    // Without --strict the same case passes the run: the option matters.
    let lenient: Vec<&str> = words[1..].iter().copied().filter(|w| *w != "--strict").collect();
    let o = indiv().args(&lenient).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn the_reproduce_command_leaves_out_the_default_timeout_and_names_validate_protocol() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = indiv()
        .args(["certify", "--case", "busy", "--validate-protocol", "--report"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report")).expect("json");
    assert_eq!(report["cases"][0]["reproduce"], "indiv certify --case busy --validate-protocol");
}
