//! Known failures (`indiv certify --expect FILE`): a listed failure is XFAIL
//! and does not fail the run; one that no longer occurs (XPASS) fails it, as
//! does an entry past its date; `--update-expectations` writes the file from
//! a run, keeping reasons; a glob that would hide every rule is refused.

use std::path::Path;
use std::process::{Command, Output};

use crate::{output_text, read_report, verdicts};

/// Certifies the Python engine (with `--bug BUG` when given) on `case`,
/// with `options`; the output and report.json.
fn certify(bug: Option<&str>, case: &str, options: &[&str], dir: &Path) -> (Output, serde_json::Value) {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let report = dir.join("report");
    let mut command = Command::new(env!("CARGO_BIN_EXE_indiv"));
    command.args(["certify", "--case", case]).args(options).arg("--report").arg(&report);
    command.args(["--", "python3"]).arg(engine);
    if let Some(bug) = bug {
        command.args(["--bug", bug]);
    }
    let o = command.output().expect("run indiv certify");
    let json = if report.join("report.json").is_file() { read_report(&report) } else { serde_json::Value::Null };
    (o, json)
}

const BUG: &str = "stale-total";

#[test]
fn a_listed_failure_is_xfail_and_one_that_no_longer_occurs_fails_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("expect.toml");
    let file_arg = file.to_string_lossy().into_owned();
    // Written from a failing run...
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file_arg, "--update-expectations"], dir.path());
    assert_eq!(verdicts(&report), [("reader-happy", "FAIL")], "{}", output_text(&o));
    let written = std::fs::read_to_string(&file).expect("the file is written");
    assert!(written.contains("case = \"reader-happy\"\nrule = \"PROGRESS-TOTAL-STABLE\"\n"), "{written}");
    // ... with a reason filled in, it makes the failure XFAIL and the run pass.
    let edited = written.replace("TODO: why it fails", "the total is announced before the head");
    std::fs::write(&file, &edited).expect("write");
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file_arg], dir.path());
    let out = output_text(&o);
    assert_eq!(verdicts(&report), [("reader-happy", "XFAIL")], "{out}");
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("expected: the total is announced before the head"), "{out}");
    assert_eq!(report["counts"]["xfail"], 1);
    let (certificate, badge) = certificate_and_badge(&dir.path().join("report"));
    let met = certificate["expectations"]["met"].as_u64().expect("met count");
    assert_eq!(certificate["expectations"]["xpass"], 0);
    assert!(met >= 1, "{certificate}");
    assert!(badge.contains("fill=\"#dfb317\""), "an XFAIL run is yellow: {badge}");
    // Fixed: the entries no longer hold, and the run fails until they go.
    let (o, report) = certify(None, "reader-happy", &["--expect", &file_arg], dir.path());
    let out = output_text(&o);
    assert_eq!(verdicts(&report), [("reader-happy", "PASS")], "{out}");
    assert_eq!(o.status.code(), Some(1), "an XPASS fails the run: {out}");
    assert!(out.contains("XPASS: the failure no longer occurs; remove the entry"), "{out}");
    // Every play passed, yet the run failed: the certificate says why, and
    // the badge is red, not green.
    let (certificate, badge) = certificate_and_badge(&dir.path().join("report"));
    assert_eq!(certificate["expectations"]["xpass"], met, "{certificate}");
    assert!(badge.contains("fill=\"#e05d44\"") && !badge.contains("#4c1"), "{badge}");
    assert_eq!(report["expectations"]["entries"][0]["state"], "xpass", "{report}");
    // Updating from the fixed run keeps no entry for it.
    let (o, _) = certify(None, "reader-happy", &["--expect", &file_arg, "--update-expectations"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let rewritten = std::fs::read_to_string(&file).expect("the file is rewritten");
    assert!(!rewritten.contains("[[expect]]"), "{rewritten}");
}

/// The certificate.json and badge.svg of a report directory, after checking
/// that the certificate verifies.
fn certificate_and_badge(report: &Path) -> (serde_json::Value, String) {
    let certificate = report.join("certificate.json");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["report", "verify"])
        .arg(&certificate)
        .output()
        .expect("verify");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let text = std::fs::read_to_string(&certificate).expect("certificate.json");
    let svg = std::fs::read_to_string(report.join("badge.svg")).expect("badge.svg");
    (serde_json::from_str(&text).expect("certificate is JSON"), svg)
}

#[test]
fn an_entry_past_its_date_covers_nothing_and_fails_the_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("expect.toml");
    let entries = "[[expect]]\ncase = \"reader-happy\"\nreason = \"known\"\nuntil = 2000-01-01\n";
    std::fs::write(&file, entries).expect("write");
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file.to_string_lossy()], dir.path());
    let out = output_text(&o);
    assert_eq!(verdicts(&report), [("reader-happy", "FAIL")], "{out}");
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("line 1: case `reader-happy`: expired on 2000-01-01"), "{out}");
    let (certificate, _) = certificate_and_badge(&dir.path().join("report"));
    assert_eq!(certificate["expectations"]["expired"], 1, "{certificate}");
    // The same entry with a date to come covers the failure.
    std::fs::write(&file, entries.replace("2000-01-01", "\"2999-12-31\"")).expect("write");
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file.to_string_lossy()], dir.path());
    assert_eq!(verdicts(&report), [("reader-happy", "XFAIL")], "{}", output_text(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_failure_is_expected_only_when_every_rule_it_broke_is_listed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("expect.toml");
    // stale-total breaks PROGRESS-TOTAL-STABLE and SERVICE-TOTAL-MATCHES.
    std::fs::write(&file, "[[expect]]\ncase = \"reader-*\"\nrule = \"PROGRESS-TOTAL-STABLE\"\n").expect("write");
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file.to_string_lossy()], dir.path());
    assert_eq!(verdicts(&report), [("reader-happy", "FAIL")], "{}", output_text(&o));
    assert_eq!(o.status.code(), Some(1));
    let both = "[[expect]]\ncase = \"reader-*\"\nrule = \"PROGRESS-TOTAL-STABLE\"\n\n\
                [[expect]]\ncase = \"reader-happy\"\nrule = \"SERVICE-TOTAL-MATCHES\"\n";
    std::fs::write(&file, both).expect("write");
    let (o, report) = certify(Some(BUG), "reader-happy", &["--expect", &file.to_string_lossy()], dir.path());
    assert_eq!(verdicts(&report), [("reader-happy", "XFAIL")], "{}", output_text(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_bad_expectations_file_is_refused_naming_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("expect.toml");
    let cases = [
        ("# known\n[[expect]]\ncase = \"*\"\n", "2:1: case `*` is a glob without a rule: it would hide every failure"),
        ("[[expect]]\ncase = \"busy\"\nrule = \"NO-SUCH-RULE\"\n", "1:1: unknown rule `NO-SUCH-RULE`"),
        ("[[expect]]\ncase = \"busy\"\nuntil = \"2027-02-30\"\n", "1:1: until `2027-02-30` is not a date YYYY-MM-DD"),
        ("[[expect]]\ncase = \"busy\"\nextra = 1\n", "3:1: unknown field `extra`"),
    ];
    for (text, message) in cases {
        std::fs::write(&file, text).expect("write");
        let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
            .args(["certify", "--case", "busy", "--expect"])
            .arg(&file)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        let expected = format!("error: {}:{message}", file.display());
        assert!(err.starts_with(&expected), "{text}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}
