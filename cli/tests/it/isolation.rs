//! Case isolation: a record the testee writes after answering `end` with
//! `ended` belongs to the case that produced it. That case is ERROR, with the
//! late record quoted in the console and `report.json`, and the next case is
//! judged as if the record never came. The last case owns what the testee
//! writes after its `ended` and before it exits.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testee() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees/late_record.py")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Plays reader-happy then security-happy against `late_record.py MODE`; the
/// output and report.json.
fn certify(mode: &str) -> (Output, serde_json::Value) {
    certify_with(mode, &[])
}

/// [`certify`] with more options for `indiv certify`.
fn certify_with(mode: &str, options: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--jobs", "1", "--case", "reader-happy", "--case", "security-happy", "--report"])
        .arg(dir.path())
        .args(options)
        .args(["--", "python3"])
        .arg(testee())
        .arg(env!("CARGO_BIN_EXE_indiv"))
        .arg(mode)
        .output()
        .expect("run indiv certify");
    let report = std::fs::read_to_string(dir.path().join("report.json")).expect("report.json");
    (o, serde_json::from_str(&report).expect("report.json is JSON"))
}

fn error_of<'a>(report: &'a serde_json::Value, name: &str) -> &'a str {
    let cases = report["cases"].as_array().expect("cases");
    let case = cases.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{name} is not in the report"));
    case["error"].as_str().unwrap_or("")
}

#[test]
fn a_record_after_ended_is_an_error_of_its_case_and_the_next_case_passes() {
    let (o, report) = certify("after-ended");
    let out = text(&o);
    assert_eq!(crate::verdicts(&report), [("reader-happy", "ERROR"), ("security-happy", "PASS")], "{out}");
    let error = error_of(&report, "reader-happy");
    assert!(error.starts_with("1 record after `ended`: {\"kind\":\"status\""), "{error}");
    assert!(error.contains("/c/1/response"), "{error}");
    assert!(out.contains("ERROR     reader-happy"), "{out}");
    assert!(out.contains("  1 record after `ended`: {\"kind\":\"status\""), "{out}");
    assert!(out.contains("PASS      security-happy"), "{out}");
    assert_eq!(o.status.code(), Some(3), "{out}");
}

#[test]
fn a_record_written_just_before_exiting_is_an_error_of_the_last_case() {
    let (o, report) = certify("before-exit");
    let out = text(&o);
    assert_eq!(crate::verdicts(&report), [("reader-happy", "PASS"), ("security-happy", "ERROR")], "{out}");
    let error = error_of(&report, "security-happy");
    assert!(error.starts_with("1 record after `ended`: {\"kind\":\"status\""), "{error}");
    assert!(out.contains("ERROR     security-happy"), "{out}");
    assert!(out.contains("  1 record after `ended`: "), "{out}");
    assert_eq!(o.status.code(), Some(3), "{out}");
}

#[test]
fn under_validate_protocol_a_record_after_ended_is_the_mismatch_of_its_own_case() {
    let (o, report) = certify_with("after-ended", &["--validate-protocol"]);
    let out = text(&o);
    // The record is reader-happy's; the run stops at it, so security-happy
    // never played.
    assert_eq!(crate::verdicts(&report), [("reader-happy", "ERROR"), ("security-happy", "ERROR")], "{out}");
    assert!(error_of(&report, "reader-happy").starts_with("1 record after `ended`: "), "{out}");
    assert!(
        error_of(&report, "security-happy")
            .starts_with("not played: the testee wrote a record after the previous case's ended"),
        "{out}"
    );
    assert_eq!(report["stopped_at_protocol_mismatch"], true);
    assert_eq!(o.status.code(), Some(3), "{out}");
}
