//! How a run plays its cases: `--repeat N` plays the selection N times and
//! lists the cases whose plays disagree as flaky, `--until-fail` and
//! `--fail-fast` stop at the first failing play, `--shrink N` shrinks only the
//! first N distinct failures, and a shrunk generated case is played again to
//! say whether it reproduces every time ("reproduces k of n").

use crate::{certify_python, output_text, read_report, verdicts};

fn rounds(report: &serde_json::Value) -> Vec<u64> {
    report["cases"].as_array().expect("cases").iter().map(|c| c["round"].as_u64().unwrap_or(0)).collect()
}

#[test]
fn repeat_plays_every_case_each_round_and_lists_flaky_cases() {
    // Every third case the testee is reset for goes wrong: over three rounds
    // of two cases, plays 3 and 6 (reader-happy in round 2, busy in round 3)
    // are ERROR.
    let indiv = env!("CARGO_BIN_EXE_indiv");
    // One testee plays every case: the testee counts the cases it is reset for.
    let options = ["--jobs", "1", "--repeat", "3", "--case", "reader-happy", "--case", "busy"];
    let (o, dir) = certify_python(&options, "flaky.py", &["3", indiv]);
    let out = output_text(&o);
    let report = read_report(dir.path());
    let expected = [
        ("reader-happy", "PASS"),
        ("busy", "PASS"),
        ("reader-happy", "ERROR"),
        ("busy", "PASS"),
        ("reader-happy", "PASS"),
        ("busy", "ERROR"),
    ];
    assert_eq!(verdicts(&report), expected, "{out}");
    assert_eq!(rounds(&report), [1, 1, 2, 2, 3, 3]);
    let flaky = serde_json::json!([
        {"name": "reader-happy", "verdicts": {"PASS": 2, "ERROR": 1}},
        {"name": "busy", "verdicts": {"PASS": 2, "ERROR": 1}},
    ]);
    assert_eq!(report["flaky"], flaky, "{out}");
    let line = "flaky: verdicts differ across plays (2): reader-happy (2 PASS, 1 ERROR); busy (2 PASS, 1 ERROR)";
    assert!(out.contains(line), "{out}");
    assert!(out.contains("PASS      busy (") && out.contains(", round 2)"), "each play says its round: {out}");
    assert_eq!(o.status.code(), Some(3), "only errors: {out}");
    // A passing play after the first round keeps no trace; the others do.
    let traces: Vec<bool> =
        report["cases"].as_array().expect("cases").iter().map(|c| c["trace_file"].is_string()).collect();
    assert_eq!(traces, [true, true, true, false, false, true]);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).expect("junit.xml");
    assert!(junit.contains("name=\"busy (round 3)\""), "{junit}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary.md");
    assert!(summary.contains("- busy: 2 PASS, 1 ERROR"), "{summary}");
}

#[test]
fn a_case_whose_plays_agree_is_not_flaky() {
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let (o, dir) = certify_python(&["--jobs", "1", "--repeat", "2", "--case", "busy"], "flaky.py", &["1000", indiv]);
    let report = read_report(dir.path());
    assert_eq!(verdicts(&report), [("busy", "PASS"), ("busy", "PASS")], "{}", output_text(&o));
    assert_eq!(report["flaky"], serde_json::json!([]));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn until_fail_stops_at_the_first_failing_play() {
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let (o, dir) =
        certify_python(&["--jobs", "1", "--until-fail", "--case", "reader-happy"], "flaky.py", &["4", indiv]);
    let out = output_text(&o);
    let report = read_report(dir.path());
    let expected =
        [("reader-happy", "PASS"), ("reader-happy", "PASS"), ("reader-happy", "PASS"), ("reader-happy", "ERROR")];
    assert_eq!(verdicts(&report), expected, "{out}");
    assert_eq!(o.status.code(), Some(3), "{out}");
}

#[test]
fn until_fail_with_repeat_stops_after_that_many_rounds_without_a_failure() {
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let options = ["--jobs", "1", "--until-fail", "--repeat", "3", "--case", "reader-happy"];
    let (o, dir) = certify_python(&options, "flaky.py", &["1000", indiv]);
    assert_eq!(verdicts(&read_report(dir.path())).len(), 3, "{}", output_text(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_shrunk_case_that_fails_only_sometimes_says_so() {
    // Every second case goes wrong, so generated case 0 (the first play)
    // passes and the first failure is shrunk; its minimal case then fails in
    // some of its replays and not in others.
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let (o, dir) = certify_python(&["--jobs", "1", "--random", "2"], "flaky.py", &["2", indiv]);
    let out = output_text(&o);
    let report = read_report(dir.path());
    let shrunk = report["cases"].as_array().expect("cases").iter().find(|c| c["reproduces"].is_object());
    let shrunk = shrunk.unwrap_or_else(|| panic!("a case was shrunk: {out}"));
    let (failed, played) = (shrunk["reproduces"]["failed"].as_u64(), shrunk["reproduces"]["played"].as_u64());
    assert_eq!(played, Some(5), "{out}");
    assert!(failed.is_some_and(|k| (1..5).contains(&k)), "reproduces {failed:?} of 5: {out}");
    assert!(out.contains(" of 5: its verdict depends on timing)"), "{out}");
}

#[test]
fn a_shrunk_case_that_fails_every_time_reproduces_every_time() {
    let engine = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let dir = tempfile::tempdir().expect("temp dir");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--random", "3", "--report"])
        .arg(dir.path())
        .args(["--", "python3"])
        .arg(engine)
        .args(["--bug", "progress-past-total"])
        .output()
        .expect("run indiv certify");
    let out = output_text(&o);
    assert!(out.contains("(reproduces 5 of 5)"), "{out}");
    let case_file = std::fs::read_dir(dir.path())
        .expect("report dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("indiv-case-"))
        .unwrap_or_else(|| panic!("a case file was written: {out}"));
    let text = std::fs::read_to_string(case_file.path()).expect("case file");
    assert!(text.contains("failed again in 5 of 5 more plays"), "{text}");
}

#[test]
fn a_repeat_count_out_of_range_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in ["0", "100001"] {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_indiv"))
            .current_dir(dir.path())
            .args(["certify", &format!("--repeat={n}")])
            .output()
            .expect("run indiv");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--repeat {n}: {err}");
        assert!(err.starts_with("error: --repeat must be from 1 to 100000"), "{err}");
    }
}

/// Certifies the Python engine with `--bug progress-past-total` (every case
/// that downloads fails) on 12 generated cases with `options`; the output,
/// the report and the case files written.
fn common_bug(options: &[&str]) -> (String, serde_json::Value, Vec<String>) {
    let engine = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let dir = tempfile::tempdir().expect("temp dir");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--random", "12"])
        .args(options)
        .arg("--report")
        .arg(dir.path())
        .args(["--", "python3"])
        .arg(engine)
        .args(["--bug", "progress-past-total"])
        .output()
        .expect("run indiv certify");
    let files = std::fs::read_dir(dir.path())
        .expect("report dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("indiv-case-"))
        .collect();
    (output_text(&o), read_report(dir.path()), files)
}

fn failing(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["cases"].as_array().expect("cases").iter().filter(|c| c["verdict"] == "FAIL").collect()
}

#[test]
fn a_common_failure_is_shrunk_once() {
    let (out, report, files) = common_bug(&[]);
    let failing = failing(&report);
    assert!(failing.len() >= 2, "the bug fails several cases: {out}");
    assert_eq!(files.len(), 1, "one case file: {files:?}\n{out}");
    assert_eq!(out.matches("minimal case written to").count(), 1, "{out}");
    let by_seed = failing.iter().filter(|c| c["reproduce"].as_str().is_some_and(|r| r.contains("--random 1 --seed ")));
    assert_eq!(by_seed.count(), failing.len() - 1, "the others keep their seed: {out}");
}

#[test]
fn shrink_zero_shrinks_nothing_and_fail_fast_stops_at_the_first_failure() {
    let (out, report, files) = common_bug(&["--shrink", "0"]);
    assert!(!failing(&report).is_empty(), "{out}");
    assert!(files.is_empty(), "{files:?}");
    let (out, report, _) = common_bug(&["--fail-fast"]);
    let verdicts = verdicts(&report);
    assert_eq!(verdicts.iter().filter(|(_, v)| *v == "FAIL").count(), 1, "{out}");
    assert_eq!(verdicts.last().map(|(_, v)| *v), Some("FAIL"), "nothing is played after it: {out}");
}
