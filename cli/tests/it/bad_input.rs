//! Inputs that are not readable traces: each gets exit status 2 and one line
//! on stderr naming file, line and column; never a panic, never a verdict.
//! Edge inputs that are readable (BOM, CRLF) are shown to pass.

use std::io::Write;
use std::process::{Command, Output};

fn run_check(bytes: &[u8], extra: &[&str]) -> (Output, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trace.jsonl");
    std::fs::File::create(&path).and_then(|mut f| f.write_all(bytes)).expect("write trace");
    let output =
        Command::new(env!("CARGO_BIN_EXE_indiv")).arg("check").args(extra).arg(&path).output().expect("run indiv");
    (output, path.display().to_string())
}

/// Asserts that `bytes` is refused with exit 2 and exactly one stderr line
/// `error: FILE:LINE:COLUMN: MESSAGE` where MESSAGE contains `message`.
fn check(bytes: &[u8], line: usize, column: usize, message: &str) {
    let (output, path) = run_check(bytes, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {stderr}");
    let prefix = format!("error: {path}:{line}:{column}: ");
    assert!(lines[0].starts_with(&prefix), "expected prefix {prefix:?} in {:?}", lines[0]);
    assert!(lines[0].contains(message), "expected {message:?} in {:?}", lines[0]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ERROR") && !stdout.contains("PASS"), "no verdict presented as a pass: {stdout}");
}

const CALL: &str = r#"{"kind":"call","api":"Individualize","flags":1}"#;

#[test]
fn invalid_json_is_refused_at_its_position() {
    check(b"{\"kind\":\"call\",\"api\":}\n", 1, 22, "expected value");
    check(format!("{CALL}\n{{\"kind\":\"call\"\n").as_bytes(), 2, 14, "EOF while parsing");
}

#[test]
fn invalid_utf8_is_refused_at_the_first_bad_byte() {
    check(b"{\"kind\":\"ca\xffll\"}\n", 1, 12, "invalid UTF-8");
}

#[test]
fn unknown_fields_are_refused() {
    check(
        format!("{CALL}\n{{\"kind\":\"call\",\"api\":\"Open\",\"color\":1}}\n").as_bytes(),
        2,
        35,
        "unknown field `color`",
    );
    check(
        b"{\"kind\":\"call\",\"api\":\"Open\",\"required_version\":\"2.2\",\"flags\":1}\n",
        1,
        63,
        "field `flags` does not belong in a call to Open",
    );
    check(
        b"{\"kind\":\"status\",\"status\":\"WMT_INDIVIDUALIZE\",\"value\":{\"enIndiStatus\":1,\"bogus\":0}}\n",
        1,
        79,
        "unknown WM_INDIVIDUALIZE_STATUS field `bogus`",
    );
}

#[test]
fn control_characters_quoted_from_the_input_stay_on_one_line() {
    // Found by the parse_trace fuzz target: a JSON escape inside a key.
    check(
        b"{\"kind\":\"status\",\"status\":\"WMT_INDIVIDUALIZE\",\"value\":{\"enIndi\\nStatus\":1}}\n",
        1,
        71,
        "unknown WM_INDIVIDUALIZE_STATUS field `enIndi\\nStatus`",
    );
    check(b"{\"kind\":\"call\",\"api\":\"Open\\u0007\"}\n", 1, 33, "unknown api `Open\\u{7}`");
}

#[test]
fn unknown_enumeration_names_are_refused() {
    check(b"{\"kind\":\"call\",\"api\":\"Individualise\",\"flags\":1}\n", 1, 36, "unknown api `Individualise`");
    check(
        b"{\"kind\":\"status\",\"status\":\"WMT_INDIVIDUALIZE\",\"value\":{\"enIndiStatus\":\"INDI_WORKING\"}}\n",
        1,
        84,
        "unknown enIndiStatus name `INDI_WORKING`",
    );
    check(
        b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1,\"hr\":\"E_WHATEVER\"}\n",
        1,
        64,
        "unknown HRESULT name",
    );
    check(b"{\"kind\":\"record\"}\n", 1, 16, "unknown record kind `record`");
}

#[test]
fn numbers_out_of_range_are_refused() {
    check(b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":4294967296}\n", 1, 55, "out of range");
    check(b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":-1}\n", 1, 47, "out of range");
    check(
        b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1,\"hr\":-2147483649}\n",
        1,
        63,
        "out of the 32-bit range",
    );
    check(b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1.5}\n", 1, 48, "integer");
}

#[test]
fn records_missing_required_fields_are_refused() {
    check(b"{\"kind\":\"call\",\"api\":\"Individualize\"}\n", 1, 37, "missing field `flags`");
    check(b"{\"api\":\"Open\"}\n", 1, 14, "missing field `kind`");
    check(
        b"{\"kind\":\"status\",\"status\":\"WMT_INDIVIDUALIZE\",\"value\":{\"enIndiStatus\":1}}\n",
        1,
        72,
        "missing field `dwHTTPRequest`",
    );
    check(b"{\"kind\":\"event\",\"event\":\"MEWMDRMIndividualizationProgress\"}\n", 1, 59, "missing field `value`");
}

#[test]
fn an_empty_file_is_not_a_trace() {
    check(b"", 1, 1, "empty trace");
}

#[test]
fn empty_lines_are_refused() {
    check(format!("{CALL}\n\n{CALL}\n").as_bytes(), 2, 1, "empty line");
}

#[test]
fn a_header_after_line_one_is_refused() {
    check(
        format!("{CALL}\n{{\"kind\":\"header\",\"format\":\"indiv-trace/1\"}}\n").as_bytes(),
        2,
        1,
        "only allowed on line 1",
    );
    check(b"{\"kind\":\"header\",\"format\":\"indiv-trace/2\"}\n", 1, 41, "unsupported format");
    check(
        b"{\"kind\":\"header\",\"format\":\"indiv-trace/1\",\"component_version\":\"2.1.0.7\"}\n",
        1,
        71,
        "malformed component_version",
    );
}

#[test]
fn header_versions_outside_the_spec_2_form_are_refused() {
    // The third number is always 0; what the service offers is individualized.
    check(
        b"{\"kind\":\"header\",\"format\":\"indiv-trace/1\",\"component_version\":\"2.4.1.1\"}\n",
        1,
        71,
        "malformed component_version `2.4.1.1`: expected four dot-separated numbers, the third 0, the fourth 0 or 1",
    );
    check(
        b"{\"kind\":\"header\",\"format\":\"indiv-trace/1\",\"service_version\":\"2.4.0.0\"}\n",
        1,
        69,
        "malformed service_version `2.4.0.0`: expected four dot-separated numbers, the third 0, the fourth 1",
    );
    let (ok, _) = run_check(
        b"{\"kind\":\"header\",\"format\":\"indiv-trace/1\",\"component_version\":\"2.4.0.0\",\"service_version\":\"2.4.0.1\"}\n",
        &[],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
}

#[test]
fn a_line_over_one_mebibyte_is_refused() {
    let mut line = String::from("{\"kind\":\"call\",\"api\":\"Open\",\"required_version\":\"");
    line.push_str(&"9".repeat(10 << 20));
    line.push_str("\"}\n");
    check(line.as_bytes(), 1, (1 << 20) + 1, "longer than 1048576 bytes");
}

#[test]
fn deeply_nested_json_is_refused() {
    let nested = format!(
        "{{\"kind\":\"call\",\"api\":\"Open\",\"required_version\":{}{}}}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    check(nested.as_bytes(), 1, 47, "invalid type");
    let deep_value = format!("{}{}\n", "[".repeat(200), "]".repeat(200));
    check(deep_value.as_bytes(), 1, 1, "invalid type");
}

#[test]
fn binary_garbage_is_refused() {
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let (output, path) = run_check(&garbage, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with(&format!("error: {path}:1:")), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_indiv")).args(["check", "/nonexistent/trace.jsonl"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: /nonexistent/trace.jsonl: "), "{stderr}");
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_read() {
    let trace = "{\"kind\":\"call\",\"api\":\"PerformSecurityUpdate\",\"flags\":2}\r\n{\"kind\":\"event\",\"event\":\"MEWMDRMRevocationDownloadCompleted\"}\r\n";
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(trace.as_bytes());
    let (output, _) = run_check(&bytes, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("PASS: 0 must and 0 should violations in 2 records"), "{stdout}");
}

#[test]
fn columns_after_a_byte_order_mark_count_its_bytes() {
    check(b"\xEF\xBB\xBF{\"kind\":1}\n", 1, 12, "invalid type");
}
