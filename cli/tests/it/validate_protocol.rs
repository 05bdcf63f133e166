//! `indiv certify --validate-protocol`: every line in both directions is
//! checked against the testee protocol; the first mismatch is explained in
//! plain words (direction, line of the exchange, what was expected), its
//! case is an ERROR and the run stops there. The reference engine passes.

use std::path::Path;
use std::process::{Command, Output};

fn indiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
}

/// Certifies `reader-happy` and `busy` against a testee that breaks the
/// protocol in `mode` (see tests/testees/protocol_breaker.py); returns the
/// run's output and its report.
fn certify_breaker(mode: &str, validate: bool) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees/protocol_breaker.py");
    let mut command = indiv();
    command.args(["certify", "--timeout", "5", "--case", "reader-happy", "--case", "busy", "--report"]).arg(dir.path());
    if validate {
        command.arg("--validate-protocol");
    }
    let o =
        command.args(["--", "python3"]).arg(&script).args([mode, env!("CARGO_BIN_EXE_indiv")]).output().expect("run");
    let json = std::fs::read_to_string(dir.path().join("report.json")).expect("the report is written");
    (o, serde_json::from_str(&json).expect("report json"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `mode` with validation and checks what every first mismatch does:
/// the first case is an ERROR, nothing runs after it, exit status 3. Returns
/// the case's error message and the protocol log.
fn first_mismatch(mode: &str) -> (String, String) {
    let (o, report) = certify_breaker(mode, true);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{mode}: {out}{}", stderr(&o));
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1, "{mode}: the run goes on after the mismatch: {out}");
    assert_eq!((cases[0]["name"].as_str(), cases[0]["verdict"].as_str()), (Some("reader-happy"), Some("ERROR")));
    assert_eq!(report["stopped_at_protocol_mismatch"], true);
    assert!(
        out.contains("1 cases: 0 pass, 0 nonstrict, 0 inconclusive, 0 fail, 1 error, 0 skip (stopped at the first protocol mismatch)"),
        "{mode}: {out}"
    );
    let error = cases[0]["error"].as_str().expect("an error message").to_string();
    assert!(out.contains(&error), "{mode}: the console shows the explanation: {out}");
    (error, stderr(&o))
}

#[test]
fn a_wrong_op_after_reset_is_explained_with_what_was_expected() {
    let (error, log) = first_mismatch("hello-after-reset");
    assert!(
        error.starts_with(
            r#"protocol mismatch in line 4 of the exchange (testee→harness): expected {"op":"ready"} after reset, got {"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"indiv reference engine""#
        ),
        "{error}"
    );
    assert!(log.contains("   3 > {\"op\":\"reset\",\"case\":\"reader-happy\""), "{log}");
    assert!(log.contains("   4 < {\"op\":\"hello\""), "{log}");
}

#[test]
fn a_field_missing_from_hello_is_named_by_its_path() {
    let (error, _) = first_mismatch("no-language");
    assert!(
        error.starts_with(
            r#"protocol mismatch in line 2 of the exchange (testee→harness): field `implementation.language` missing in {"op":"hello","#
        ),
        "{error}"
    );
}

#[test]
fn an_unknown_field_is_named_with_the_fields_the_message_has() {
    let (error, _) = first_mismatch("unknown-field");
    assert_eq!(
        error,
        r#"protocol mismatch in line 4 of the exchange (testee→harness): unknown field `extra` (a `ready` message has `op`) in {"op":"ready","extra":1}"#
    );
}

#[test]
fn an_unknown_op_is_named_with_the_ops_a_testee_writes() {
    let (error, _) = first_mismatch("unknown-op");
    assert_eq!(
        error,
        r#"protocol mismatch in line 4 of the exchange (testee→harness): unknown op `redy` (a testee writes `hello`, `ready` or `ended`); expected {"op":"ready"} after reset: {"op":"redy"}"#
    );
}

#[test]
fn a_record_line_is_read_by_the_trace_parser() {
    let (error, log) = first_mismatch("bad-record");
    assert!(
        error.starts_with(
            "protocol mismatch in line 6 of the exchange (testee→harness): not an indiv-trace/1 record: unknown field `extra` at column "
        ),
        "{error}"
    );
    assert!(log.contains("   5 > {\"op\":\"call\",\"api\":\"Open\""), "{log}");
}

#[test]
fn without_the_option_a_protocol_breach_is_an_error_and_the_run_goes_on() {
    let (o, report) = certify_breaker("unknown-field", false);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    let verdicts = crate::verdicts(&report);
    assert_eq!(verdicts, vec![("reader-happy", "ERROR"), ("busy", "ERROR")], "{out}");
    assert!(report["cases"][0]["error"].as_str().is_some_and(|e| e.starts_with("not a testee protocol message")));
    assert_eq!(report["stopped_at_protocol_mismatch"], false);
    assert!(!out.contains("stopped at the first protocol mismatch"), "{out}");
    assert!(!stderr(&o).contains("> {\"op\":\"hello\""), "nothing is logged without the option");
}

#[test]
fn the_reference_engine_passes_with_every_line_validated() {
    let o = indiv().args(["certify", "--validate-protocol"]).output().expect("run");
    let out = stdout(&o);
    let log = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let n = indiv_engine::scenario::named().len();
    assert!(
        out.contains(&format!("{n} cases: {n} pass, 0 nonstrict, 0 inconclusive, 0 fail, 0 error, 0 skip\n")),
        "{out}"
    );
    assert!(
        log.starts_with(
            "   1 > {\"op\":\"hello\",\"protocol\":\"indiv-testee/1\"}\n   2 < {\"op\":\"hello\",\"protocol\":\"indiv-testee/1\","
        ),
        "{log}"
    );
    assert!(log.trim_end().ends_with("> {\"op\":\"bye\"}"), "{log}");
    // One testee process: the lines are numbered 1, 2, … through the whole run.
    let numbers: Vec<usize> =
        log.lines().map(|l| l.split_whitespace().next().and_then(|n| n.parse().ok()).expect("numbered")).collect();
    assert_eq!(numbers, (1..=numbers.len()).collect::<Vec<_>>());
    assert!(log.lines().any(|l| l.contains(" < {\"kind\":\"status\"")), "records are logged too");
}
