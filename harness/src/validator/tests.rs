//! Unit tests of the protocol validator: each kind of mismatch, in both
//! directions, is named with its line.

use super::*;

const HELLO: &str = r#"{"op":"hello","protocol":"indiv-testee/1"}"#;
const TESTEE_HELLO: &str = r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C"},"capabilities":["reader"]}"#;
const RESET: &str =
    r#"{"op":"reset","case":"reader-happy","component_version":"2.1.0.0","service_url":"http://127.0.0.1:1/c/1/"}"#;

use Direction::{HarnessToTestee as H, TesteeToHarness as T};

/// Feeds lines that must pass, then one that must not; its problem.
fn first_problem(good: &[(Direction, &str)], bad: (Direction, &str)) -> Mismatch {
    let mut v = ProtocolValidator::new().expect("the schema compiles");
    for (direction, text) in good {
        v.check(*direction, text).unwrap_or_else(|m| panic!("{text}: {m}"));
    }
    v.check(bad.0, bad.1).expect_err("a mismatch")
}

fn until_ready() -> Vec<(Direction, &'static str)> {
    vec![(H, HELLO), (T, TESTEE_HELLO), (H, RESET), (T, r#"{"op":"ready"}"#)]
}

#[test]
fn a_whole_conversation_passes() {
    let mut v = ProtocolValidator::new().expect("the schema compiles");
    let lines = [
        (H, HELLO),
        (T, TESTEE_HELLO),
        (H, RESET),
        (T, r#"{"op":"ready"}"#),
        (H, r#"{"op":"call","api":"Open","required_version":"2.2"}"#),
        (T, r#"{"kind":"call","api":"Open","required_version":"2.2"}"#),
        (T, r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION","hr":"S_OK"}"#),
        (H, r#"{"op":"call","api":"CancelIndividualization"}"#),
        (T, r#"{"kind":"call","api":"CancelIndividualization","hr":"E_UNEXPECTED"}"#),
        (H, r#"{"op":"end"}"#),
        (T, r#"{"kind":"status","status":"WMT_NO_RIGHTS_EX"}"#),
        (T, r#"{"op":"ended"}"#),
        (H, RESET),
        (T, r#"{"op":"ready"}"#),
        (H, r#"{"op":"end"}"#),
        (T, r#"{"op":"ended"}"#),
        (H, r#"{"op":"bye"}"#),
    ];
    for (direction, text) in lines {
        v.check(direction, text).unwrap_or_else(|m| panic!("{text}: {m}"));
    }
    assert_eq!(v.lines(), 17);
}

#[test]
fn a_wrong_op_after_reset_says_what_was_expected() {
    let m = first_problem(&until_ready()[..3], (T, TESTEE_HELLO));
    assert_eq!((m.direction, m.line), (T, 4));
    assert_eq!(
        m.to_string(),
        format!(
            "protocol mismatch in line 4 of the exchange (testee→harness): expected {{\"op\":\"ready\"}} after reset, got {TESTEE_HELLO}"
        )
    );
}

#[test]
fn a_missing_nested_field_is_named_by_its_path() {
    let hello =
        r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1"},"capabilities":[]}"#;
    let m = first_problem(&[(H, HELLO)], (T, hello));
    assert_eq!(m.problem, format!("field `implementation.language` missing in {hello}"));
}

#[test]
fn an_unknown_op_lists_the_ops_of_its_writer() {
    let m = first_problem(&until_ready()[..3], (T, r#"{"op":"redy"}"#));
    assert_eq!(
        m.problem,
        r#"unknown op `redy` (a testee writes `hello`, `ready` or `ended`); expected {"op":"ready"} after reset: {"op":"redy"}"#
    );
}

#[test]
fn an_unknown_field_is_named_with_the_fields_the_message_has() {
    let m = first_problem(&until_ready()[..3], (T, r#"{"op":"ready","extra":1}"#));
    assert_eq!(m.problem, r#"unknown field `extra` (a `ready` message has `op`) in {"op":"ready","extra":1}"#);
    let hello = r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C","os":"z"},"capabilities":[]}"#;
    let m = first_problem(&[(H, HELLO)], (T, hello));
    assert!(m.problem.starts_with("unknown field `implementation.os` in "), "{}", m.problem);
}

#[test]
fn a_wrong_value_says_what_values_are_allowed() {
    let hello = r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C"},"capabilities":["writer"]}"#;
    let m = first_problem(&[(H, HELLO)], (T, hello));
    assert!(
        m.problem.starts_with(r#"field `capabilities[0]` is "writer", expected "reader" or "security" in "#),
        "{}",
        m.problem
    );
    let hello = r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":7,"version":"1","language":"C"},"capabilities":[]}"#;
    let m = first_problem(&[(H, HELLO)], (T, hello));
    assert!(m.problem.starts_with("field `implementation.name` is 7, expected a string in "), "{}", m.problem);
    let hello = r#"{"op":"hello","protocol":"indiv-testee/2","implementation":{"name":"x","version":"1","language":"C"},"capabilities":[]}"#;
    let m = first_problem(&[(H, HELLO)], (T, hello));
    assert!(
        m.problem.starts_with(r#"field `protocol` is "indiv-testee/2", expected "indiv-testee/1""#),
        "{}",
        m.problem
    );
}

#[test]
fn records_are_read_by_the_trace_parser_and_only_while_a_case_runs() {
    let record = r#"{"kind":"status","status":"WMT_NO_RIGHTS_EX"}"#;
    let m = first_problem(&until_ready()[..3], (T, record));
    assert_eq!(m.problem, format!(r#"expected {{"op":"ready"}} after reset, got the indiv-trace/1 record {record}"#));
    let m = first_problem(&until_ready(), (T, r#"{"kind":"call","api":"Open","required_version":"2.2","x":1}"#));
    assert!(m.problem.starts_with("not an indiv-trace/1 record: unknown field `x` at column "), "{}", m.problem);
    let m = first_problem(&until_ready(), (T, r#"{"kind":"header","format":"indiv-trace/1"}"#));
    assert!(m.problem.starts_with("a header record, but the harness writes the header"), "{}", m.problem);
    let m = first_problem(&until_ready(), (T, r#"{"op":"ended"}"#));
    assert!(m.problem.starts_with("expected indiv-trace/1 records while the case runs, got "), "{}", m.problem);
}

#[test]
fn lines_that_are_neither_messages_nor_records_are_explained() {
    let m = first_problem(&until_ready(), (T, "this is not JSON"));
    assert!(
        m.problem.starts_with("not JSON (expected ident at column 2); expected indiv-trace/1 records"),
        "{}",
        m.problem
    );
    let m = first_problem(&until_ready(), (T, "[1]"));
    assert!(m.problem.starts_with("a JSON array, not an object"), "{}", m.problem);
    let m = first_problem(&until_ready(), (T, r#"{"op":"ready","kind":"call"}"#));
    assert!(m.problem.starts_with("the line has both `op` and `kind`"), "{}", m.problem);
    let m = first_problem(&until_ready(), (T, r#"{"status":"WMT_NO_RIGHTS_EX"}"#));
    assert!(m.problem.starts_with("the line has neither `op`"), "{}", m.problem);
}

#[test]
fn the_harness_direction_is_checked_too() {
    let m = first_problem(&[], (H, RESET));
    assert_eq!((m.direction, m.line), (H, 1));
    assert!(
        m.problem.starts_with(r#"expected {"op":"hello","protocol":"indiv-testee/1"} first, got "#),
        "{}",
        m.problem
    );
    let m = first_problem(&until_ready()[..2], (H, r#"{"op":"call","api":"GetSecurityVersion"}"#));
    assert!(m.problem.starts_with("expected reset or bye between cases, got "), "{}", m.problem);
    let m = first_problem(&until_ready(), (H, r#"{"op":"call","api":"Individualize"}"#));
    assert!(m.problem.starts_with("field `flags` missing in "), "{}", m.problem);
    let m = first_problem(&until_ready(), (H, r#"{"op":"call","api":"GetSecurityVersion","flags":1}"#));
    assert!(m.problem.starts_with("unknown field `flags`"), "{}", m.problem);
    let m = first_problem(&until_ready(), (H, r#"{"op":"call","api":"Opem","required_version":"2.2"}"#));
    assert!(m.problem.starts_with(r#"field `api` is "Opem", expected "Open", "Individualize", "#), "{}", m.problem);
}

#[test]
fn an_unreadable_line_is_counted_and_explained() {
    let mut v = ProtocolValidator::new().expect("the schema compiles");
    v.check(H, HELLO).expect("hello");
    let m = v.unreadable("a line over 1 MiB");
    assert_eq!(m.line, 2);
    assert_eq!(m.problem, "a line over 1 MiB; every line must be UTF-8 JSON of at most 1 MiB");
}

/// This check and the published schema say yes and no to the same
/// protocol lines.
#[test]
fn the_schema_and_the_types_agree() {
    let harness = [
        HELLO,
        RESET,
        r#"{"op":"call","api":"Open","required_version":"2.2"}"#,
        r#"{"op":"call","api":"PerformSecurityUpdate","flags":4}"#,
        r#"{"op":"end"}"#,
        r#"{"op":"bye"}"#,
        r#"{"op":"end","x":1}"#,
        r#"{"op":"call","api":"CancelAsyncOperation","x":1}"#,
        r#"{"op":"call","api":"GetSecurityVersion","flags":1}"#,
        r#"{"op":"call","api":"Opem","required_version":"2.2"}"#,
        r#"{"op":"call"}"#,
        r#"{"op":"call","api":"Open","required_version":"2"}"#,
        r#"{"op":"call","api":"Individualize","flags":-1}"#,
        r#"{"op":"reset","case":"x","component_version":"2.1.0","service_url":"u"}"#,
        r#"{"op":"hello"}"#,
    ];
    let testee = [
        TESTEE_HELLO,
        r#"{"op":"ready"}"#,
        r#"{"op":"ended"}"#,
        r#"{"op":"ended","x":1}"#,
        r#"{"op":"ready","extra":1}"#,
        r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C"},"capabilities":["writer"]}"#,
        r#"{"op":"hello","protocol":"indiv-testee/1","implementation":{"name":"x","version":"1","language":"C","os":"z"},"capabilities":[]}"#,
        r#"{"op":"hello","protocol":"p","implementation":{"name":"x","version":"1"},"capabilities":[]}"#,
        r#"{"op":"hello","protocol":"p","implementation":{"name":"x","version":"1","language":"C"},"capabilities":"reader"}"#,
    ];
    let schema = serde_json::to_value(crate::protocol::schema()).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let schema_says = |text: &str| validator.is_valid(&serde_json::from_str(text).expect("json"));
    // Each line in the one state where its op is expected.
    let check_says = |direction: Direction, text: &str| {
        let value: Value = serde_json::from_str(text).expect("json");
        let mut v = ProtocolValidator::new().expect("the schema compiles");
        v.state = match (direction, value["op"].as_str()) {
            (H, Some("hello")) => State::Start,
            (H, Some("reset" | "bye")) => State::Idle,
            (H, _) => State::Running,
            (T, Some("hello")) => State::AwaitHello,
            (T, Some("ready")) => State::AwaitReady,
            (T, _) => State::AwaitEnded,
        };
        v.check(direction, text).is_ok()
    };
    for text in harness {
        assert_eq!(check_says(H, text), schema_says(text), "{text}");
    }
    for text in testee {
        assert_eq!(check_says(T, text), schema_says(text), "{text}");
    }
}
