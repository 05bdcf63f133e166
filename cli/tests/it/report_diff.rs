//! `indiv report diff OLD NEW`: what got worse (exit status 1) and what got
//! better (0) per case and per rule, flaky cases apart and never gating,
//! bad input named with exit status 2, output escaped for its medium.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use crate::{certify_python, output_text};

fn play(name: &str, verdict: &str, rules: &[&str]) -> serde_json::Value {
    let violations: Vec<_> = rules.iter().map(|r| json!({"rule": r, "level": "must", "line": 3})).collect();
    json!({"name": name, "verdict": verdict, "violations": violations, "round": 1})
}

/// Writes `report` as `dir/NAME.json`.
fn fixture(dir: &Path, name: &str, report: &serde_json::Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(report).expect("json")).expect("write fixture");
    path
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["report", "diff"])
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .expect("run indiv report diff")
}

#[test]
fn a_case_that_newly_fails_is_a_regression_named_with_exit_status_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old =
        fixture(dir.path(), "old", &json!({"cases": [play("reader-happy", "PASS", &[]), play("busy", "PASS", &[])]}));
    let new = json!({"cases": [play("reader-happy", "PASS", &[]), play("busy", "FAIL", &["SESSION-ENDS"])]});
    let new = fixture(dir.path(), "new", &new);
    let o = diff(&old, &new, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    assert!(out.contains("worse (1):\n  busy: PASS -> FAIL; now breaks SESSION-ENDS\n"), "{out}");
    assert!(out.contains("rules now broken in more cases (1):\n  SESSION-ENDS: busy\n"), "{out}");
    assert!(out.ends_with("1 case unchanged\n1 regression\n"), "{out}");
}

#[test]
fn a_fixed_case_is_better_and_exits_0() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = json!({"cases": [play("reader-happy", "PASS", &[]), play("busy", "FAIL", &["SESSION-ENDS"])]});
    let old = fixture(dir.path(), "old", &old);
    let new =
        fixture(dir.path(), "new", &json!({"cases": [play("reader-happy", "PASS", &[]), play("busy", "PASS", &[])]}));
    let o = diff(&old, &new, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(out.contains("better (1):\n  busy: FAIL -> PASS; no longer breaks SESSION-ENDS\n"), "{out}");
    assert!(!out.contains("worse"), "{out}");
    assert!(out.ends_with("no regressions\n"), "{out}");
}

#[test]
fn a_missing_case_a_new_failing_case_and_a_newly_broken_rule_each_regress() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = json!({"cases": [play("gone", "PASS", &[]), play("same-verdict", "FAIL", &["A"])]});
    let new = json!({"cases": [play("same-verdict", "FAIL", &["A", "B"]), play("fresh", "ERROR", &[])]});
    let o = diff(&fixture(dir.path(), "old", &old), &fixture(dir.path(), "new", &new), &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    for line in [
        "  gone: PASS -> missing; missing from NEW\n",
        "  same-verdict: FAIL -> FAIL; now breaks B\n",
        "  fresh: missing -> ERROR; new case\n",
        "3 regressions\n",
    ] {
        assert!(out.contains(line), "{line:?} in {out}");
    }
}

#[test]
fn a_flaky_case_is_reported_apart_and_does_not_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old =
        fixture(dir.path(), "old", &json!({"cases": [play("reader-happy", "PASS", &[]), play("busy", "PASS", &[])]}));
    // Two rounds; busy errs in one of them (hand-written, as --repeat 2 writes it).
    let new = json!({
        "cases": [
            play("reader-happy", "PASS", &[]), play("busy", "ERROR", &[]),
            play("reader-happy", "PASS", &[]), play("busy", "PASS", &[]),
        ],
        "flaky": [{"name": "busy", "verdicts": {"PASS": 1, "ERROR": 1}}],
    });
    let o = diff(&old, &fixture(dir.path(), "new", &new), &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(out.contains("flaky, not compared (1):\n  busy: OLD 1 PASS; NEW 1 PASS, 1 ERROR\n"), "{out}");
    assert!(!out.contains("worse"), "{out}");
    assert!(out.ends_with("1 case unchanged\nno regressions\n"), "{out}");
}

#[test]
fn reports_of_real_runs_compare_and_flaky_plays_do_not_gate() {
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let cases = ["--case", "reader-happy", "--case", "busy"];
    let (o, clean) = certify_python(&cases, "flaky.py", &["1000", indiv]);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    // Every third play errs: reader-happy in round 2, busy in round 3.
    // One testee plays every case: flaky.py counts the cases it is reset for.
    let repeated = ["--jobs", "1", "--repeat", "3", "--case", "reader-happy", "--case", "busy"];
    let (o, flaky) = certify_python(&repeated, "flaky.py", &["3", indiv]);
    assert_eq!(o.status.code(), Some(3), "{}", output_text(&o));
    let (old, new) = (clean.path().join("report.json"), flaky.path().join("report.json"));
    let same = diff(&old, &old, &[]);
    assert_eq!(same.status.code(), Some(0), "{}", output_text(&same));
    assert!(String::from_utf8_lossy(&same.stdout).ends_with("2 cases unchanged\nno regressions\n"));
    let o = diff(&old, &new, &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(out.contains("flaky, not compared (2):\n  reader-happy: OLD 1 PASS; NEW 2 PASS, 1 ERROR\n"), "{out}");
}

#[test]
fn bad_input_exits_2_naming_the_file_and_the_position() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = fixture(dir.path(), "good", &json!({"cases": []}));
    let not_json = dir.path().join("not-json.json");
    std::fs::write(&not_json, "{\n  \"cases\": [,]\n}\n").expect("write");
    let wrong_shape = fixture(dir.path(), "wrong", &json!({"cases": [{"name": "a"}]}));
    let bad_verdict = fixture(dir.path(), "verdict", &json!({"cases": [{"name": "a", "verdict": "GREAT"}]}));
    let missing = dir.path().join("missing.json");
    let show = |p: &Path| p.display().to_string();
    let expected = [
        (&not_json, format!("error: {}:2:13: not JSON: expected value\n", show(&not_json))),
        (&wrong_shape, format!("error: {}:1:22: not an indiv report: missing field `verdict`", show(&wrong_shape))),
        (&bad_verdict, format!("error: {}:1:40: not an indiv report: unknown verdict `GREAT`", show(&bad_verdict))),
        (&missing, format!("error: {}: No such file or directory", show(&missing))),
    ];
    for (bad, message) in expected {
        for (old, new) in [(bad, &good), (&good, bad)] {
            let o = diff(old, new, &[]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
            assert!(err.starts_with(&message), "{message:?} in {err:?}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(o.stdout.is_empty());
        }
    }
}

#[test]
fn case_names_from_the_reports_are_escaped_for_the_terminal_and_for_markdown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let evil = "x\u{1b}[2J\nFAIL | *fake* <b>";
    let old = fixture(dir.path(), "old", &json!({"cases": [play(evil, "PASS", &[])]}));
    let new = fixture(dir.path(), "new", &json!({"cases": [play(evil, "FAIL", &["R"])]}));
    let o = diff(&old, &new, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!o.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("  x\\u{1b}[2J\\nFAIL | *fake* <b>: PASS -> FAIL; now breaks R\n"), "{out}");
    let md = diff(&old, &new, &["--format", "markdown"]);
    assert_eq!(md.status.code(), Some(1));
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("**1 regression.**"), "{md}");
    assert!(md.contains(r"| x\\u\{1b\}\[2J\\nFAIL \| \*fake\* &lt;b&gt; | PASS | FAIL | now breaks R |"), "{md}");
}
