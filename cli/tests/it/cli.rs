//! `indiv check`, `spec`, `explain` and `schema` as a user runs them: exit
//! statuses, output formats, truncation that says so.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BEGIN: &str = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
const FAIL: &str = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"hr":"NS_E_DRM_INDIV_SERVICE_UNAVAILABLE","enIndiStatus":"INDI_FAIL","pszIndiRespUrl":null,"dwHTTPRequest":1,"enHTTPStatus":"HTTP_COMPLETED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
const FAIL_BAD_URL: &str = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"hr":"NS_E_DRM_INDIV_SERVICE_UNAVAILABLE","enIndiStatus":"INDI_FAIL","pszIndiRespUrl":"not a url","dwHTTPRequest":1,"enHTTPStatus":"HTTP_COMPLETED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
const START: &str = r#"{"kind":"call","api":"Individualize","flags":1}"#;

fn trace(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn conforming() -> String {
    trace(&[START, BEGIN, FAIL])
}

fn must_violation() -> String {
    trace(&[START, BEGIN])
}

fn should_violation() -> String {
    trace(&[START, BEGIN, FAIL_BAD_URL])
}

/// Runs `indiv ARGS` with `files` written to a temp dir (named by their keys)
/// and `stdin` piped in.
fn indiv(args: &[&str], files: &[(&str, &str)], stdin: &str) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn indiv");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("feed stdin");
    child.wait_with_output().expect("indiv ran")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_conforming_trace_passes_with_status_0() {
    let o = indiv(&["check", "t.jsonl"], &[("t.jsonl", &conforming())], "");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "t.jsonl: PASS: 0 must and 0 should violations in 3 records\n");
}

#[test]
fn a_broken_must_rule_fails_with_status_1_and_points_at_the_line() {
    let o = indiv(&["check", "t.jsonl"], &[("t.jsonl", &must_violation())], "");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("error[SESSION-ENDS]: session 1 never reported a terminal status"), "{out}");
    assert!(out.contains(" --> t.jsonl:1 (session 1)\n"), "{out}");
    assert!(out.contains(&format!("1 | {START}\n")), "{out}");
    assert!(out.contains(" = explain: indiv explain SESSION-ENDS\n"), "{out}");
    assert!(out.ends_with("t.jsonl: FAIL: 1 must and 0 should violations in 2 records\n"), "{out}");
}

#[test]
fn a_broken_should_rule_fails_only_when_strict() {
    let files = [("t.jsonl", should_violation())];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let lax = indiv(&["check", "t.jsonl"], &files, "");
    assert_eq!(lax.status.code(), Some(0), "{}", stdout(&lax));
    assert!(stdout(&lax).starts_with("warning[STATUS-URL-FORM]"), "{}", stdout(&lax));
    let strict = indiv(&["check", "--strict", "t.jsonl"], &files, "");
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stdout(&strict).ends_with("FAIL: 0 must and 1 should violations in 3 records (strict)\n"),
        "{}",
        stdout(&strict)
    );
}

#[test]
fn partial_traces_are_not_judged_on_what_the_end_should_have_brought() {
    let o = indiv(&["check", "--partial", "-"], &[], &must_violation());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o), "-: PASS: 0 must and 0 should violations in 2 records\n");
}

#[test]
fn json_output_is_one_object_per_file() {
    let o = indiv(
        &["check", "--format", "json", "a.jsonl", "b.jsonl"],
        &[("a.jsonl", &conforming()), ("b.jsonl", &must_violation())],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
    let objects: Vec<serde_json::Value> =
        stdout(&o).lines().map(|l| serde_json::from_str(l).expect("a JSON object per line")).collect();
    assert_eq!(objects.len(), 2);
    assert_eq!(objects[0]["verdict"], "pass");
    assert_eq!(objects[0]["violations"], serde_json::json!([]));
    let spec = indiv_spec::Spec::builtin().expect("spec");
    for o in &objects {
        assert_eq!(o["spec"], serde_json::json!({"version": spec.version, "hash": spec.hash}), "which spec judged");
    }
    assert_eq!(objects[1]["verdict"], "fail");
    assert_eq!(objects[1]["counts"], serde_json::json!({"must": 1, "should": 0}));
    let v = &objects[1]["violations"][0];
    assert_eq!(v["rule"], "SESSION-ENDS");
    assert_eq!(v["level"], "must");
    assert_eq!(v["line"], 1);
    assert_eq!(v["session"], 1);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("never reported a terminal status")));
}

#[test]
fn junit_output_has_a_test_case_per_trace_rule() {
    let o = indiv(&["check", "--format", "junit", "t.jsonl"], &[("t.jsonl", &must_violation())], "");
    assert_eq!(o.status.code(), Some(1));
    let xml = stdout(&o);
    let spec = indiv_spec::Spec::builtin().expect("spec");
    let trace_rules =
        indiv_spec::Rule::ALL.iter().filter(|r| spec.rule(**r).basis != indiv_spec::catalog::Basis::Harness).count();
    assert!(xml.starts_with(&format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"indiv check\" tests=\"{trace_rules}\" failures=\"1\" errors=\"0\">")), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), trace_rules);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(
        xml.contains("name=\"SESSION-ENDS\"><failure type=\"must\" message=\"1 violations: every opened session"),
        "{xml}"
    );
}

#[test]
fn max_violations_keeps_the_first_and_says_how_many_more() {
    let mut lines = vec![START];
    lines.extend(std::iter::repeat_n(BEGIN, 5));
    let text = trace(&lines);
    let o = indiv(&["check", "--max-violations", "2", "t.jsonl"], &[("t.jsonl", &text)], "");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.matches("error[").count(), 2, "{out}");
    assert!(out.contains("note: 3 more violations not shown (--max-violations)\n"), "{out}");
    assert!(out.contains("FAIL: 5 must and 0 should violations"), "{out}");
    let json = indiv(&["check", "--format", "json", "--max-violations", "2", "t.jsonl"], &[("t.jsonl", &text)], "");
    let object: serde_json::Value = serde_json::from_str(stdout(&json).trim()).expect("json");
    assert_eq!(object["violations"].as_array().map(Vec::len), Some(2));
    assert_eq!(object["violations_not_shown"], 3);
}

#[test]
fn an_unreadable_input_outranks_a_failing_one() {
    let o = indiv(&["check", "a.jsonl", "b.jsonl"], &[("a.jsonl", &must_violation()), ("b.jsonl", "{]\n")], "");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: b.jsonl:1:2: "), "{err}");
    assert!(stdout(&o).contains("b.jsonl: ERROR: not a readable trace after 0 records; no verdict"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(indiv(&["check", "--frobnicate"], &[], "").status.code(), Some(2));
    assert_eq!(indiv(&["check", "-", "-"], &[], "").status.code(), Some(2));
    let o = indiv(&["explain", "NO-SUCH-RULE"], &[], "");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!("error: unknown rule `NO-SUCH-RULE`; `indiv spec` lists the {} rules\n", indiv_spec::Rule::ALL.len())
    );
}

#[test]
fn the_catalog_lists_every_rule_in_both_formats() {
    let human = indiv(&["spec"], &[], "");
    assert_eq!(human.status.code(), Some(0));
    for rule in indiv_spec::Rule::ALL {
        assert!(stdout(&human).contains(rule.id()), "{rule} missing");
    }
    let json = indiv(&["spec", "--format", "json"], &[], "");
    let catalog: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json catalog");
    assert_eq!(catalog["rules"].as_array().map(Vec::len), Some(indiv_spec::Rule::ALL.len()));
    assert_eq!(catalog["session"]["first"], "INDI_BEGIN");
    assert_eq!(catalog["http"]["order"][4], "HTTP_COMPLETED");
    assert_eq!(catalog["version"], "4.0.1");
    assert_eq!(catalog["hash"].as_str().map(str::len), Some(64));
}

#[test]
fn spec_prove_reports_states_and_each_property_and_fails_with_a_counterexample() {
    // Every property holds at depth 2 on spec 2; with the 1.x lock seeded
    // (--lock permanent) the search finds the dead end after a final
    // individualization (contradiction C3), and --prove exits 1 with it.
    let o = indiv(&["spec", "--prove", "--depth", "2"], &[], "");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let first = out.lines().next().unwrap_or_default();
    assert!(first.contains(" states (") && first.contains("depth 2,") && first.ends_with(" s"), "{first}");
    assert!(first.split(' ').next().is_some_and(|n| n.parse::<u64>().is_ok()), "{first}");
    for line in
        ["HOLDS PROVE-CONFORMS", "HOLDS PROVE-NO-DEAD-END", "HOLDS PROVE-MONOTONE", "HOLDS PROVE-EVERY-RULE-FIRES"]
    {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
    let o = indiv(&["spec", "--prove", "--depth", "2", "--lock", "permanent"], &[], "");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    for part in [
        "FAILS PROVE-NO-DEAD-END",
        "counterexample of PROVE-NO-DEAD-END",
        "  environment: component ",
        "  calls:\n    1. now: Individualize(0x1)\n    2. when idle: Open(2.3)",
        "  trace:\n    {\"kind\":\"header\"",
    ] {
        assert!(out.contains(part), "{part} missing:\n{out}");
    }
    // --depth belongs to --prove; --prove takes no catalog format.
    assert_eq!(indiv(&["spec", "--depth", "2"], &[], "").status.code(), Some(2));
    assert_eq!(indiv(&["spec", "--lock", "permanent"], &[], "").status.code(), Some(2));
    assert_eq!(indiv(&["spec", "--prove", "--format", "json"], &[], "").status.code(), Some(2));
}

#[test]
fn explain_prints_the_rule_with_its_citation() {
    let o = indiv(&["explain", "reader-already-individualized"], &[], "");
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.starts_with("READER-ALREADY-INDIVIDUALIZED  (should, inferred, Reader path (IWMDRMReader))"), "{out}");
    assert!(out.contains("quote:      \"Indicates that the client will not be individualized again.\""), "{out}");
}

#[test]
fn the_trace_schema_is_a_json_schema_of_the_four_kinds() {
    let o = indiv(&["schema", "trace"], &[], "");
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(schema["$schema"].as_str().is_some_and(|s| s.contains("json-schema.org")));
    let text = stdout(&o);
    for word in ["\"header\"", "\"call\"", "\"status\"", "\"event\"", "dwHTTPReadTotal", "GetSecurityVersion"] {
        assert!(text.contains(word), "{word} missing from the schema");
    }
}

#[test]
fn fuzz_case_writes_a_regression_case_that_names_its_target_and_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("crash");
    std::fs::write(&input, b"{\"kind\":\"header\"}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["fuzz-case", "parse_trace"])
        .arg(&input)
        .output()
        .expect("run indiv");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let case: toml::Table = String::from_utf8_lossy(&out.stdout).parse().expect("the case is TOML");
    assert_eq!(case["target"].as_str(), Some("parse_trace"));
    let hex: String = b"{\"kind\":\"header\"}\n".iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(case["input_hex"].as_str(), Some(hex.as_str()));

    let out = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["fuzz-case", "no_such_target"])
        .arg(&input)
        .output()
        .expect("run indiv");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown fuzz target `no_such_target`; expected one of parse_trace"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
