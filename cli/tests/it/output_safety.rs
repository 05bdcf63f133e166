//! Outside text (trace strings, file names) reaches the terminal with its
//! control characters escaped and JUnit XML well formed; an unwritable
//! standard error or an absurd option is an exit status, never a panic.

use std::process::{Command, Output, Stdio};

fn indiv_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indiv")).current_dir(dir).args(args).output().expect("run indiv")
}

/// A trace whose GetSecurityVersion result is `version` (JSON-escaped).
fn trace_reporting(version_json: &str) -> String {
    format!("{{\"kind\":\"call\",\"api\":\"GetSecurityVersion\",\"version\":\"{version_json}\",\"hr\":\"S_OK\"}}\n")
}

#[test]
fn terminal_escapes_in_a_trace_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Clear the screen, set the window title, ring the bell.
    std::fs::write(dir.path().join("t.jsonl"), trace_reporting("\\u001b[2J\\u001b]0;evil\\u0007")).expect("write");
    let o = indiv_in(dir.path(), &["check", "t.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!o.stdout.iter().any(|b| *b == 0x1b || *b == 0x07), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("GetSecurityVersion reported `\\u{1b}[2J\\u{1b}]0;evil\\u{7}`"), "{out}");
}

#[test]
fn a_file_name_with_control_characters_is_shown_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "t\u{1b}[31m.jsonl";
    std::fs::write(dir.path().join(name), trace_reporting("x")).expect("write");
    let o = indiv_in(dir.path(), &["check", name]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!o.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&o.stdout));
    let missing = indiv_in(dir.path(), &["check", "missing\u{1b}[2J.jsonl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(!missing.stderr.contains(&0x1b), "{}", String::from_utf8_lossy(&missing.stderr));
}

#[test]
fn junit_stays_well_formed_with_characters_xml_cannot_hold() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.jsonl"), trace_reporting("a\u{FFFE}b\u{FFFF}c\\u0001d")).expect("write");
    let o = indiv_in(dir.path(), &["check", "--format", "junit", "t.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    let xml = String::from_utf8(o.stdout).expect("utf-8");
    for bad in ['\u{FFFE}', '\u{FFFF}', '\u{1}'] {
        assert!(!xml.contains(bad), "{bad:?} in {xml}");
    }
    assert!(xml.contains("a\u{FFFD}b\u{FFFD}c\u{FFFD}d"), "{xml}");
    // Every character is one XML 1.0 allows.
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    assert!(xml.chars().all(allowed), "{xml}");
}

#[test]
fn an_unwritable_standard_error_is_no_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .current_dir(dir.path())
        .args(["check", "missing.jsonl"])
        .stderr(Stdio::from(full))
        .output()
        .expect("run indiv");
    assert_eq!(o.status.code(), Some(2), "the exit status still says what happened");
}

#[test]
fn a_timeout_too_large_for_the_clock_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for option in ["--timeout", "--answer-timeout"] {
        for timeout in ["1e19", "86401", "inf", "-1", "0", "NaN"] {
            let o = indiv_in(dir.path(), &["certify", &format!("{option}={timeout}")]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{option} {timeout}: {err}");
            let expected = format!("error: {option} must be a positive number of seconds, at most 86400");
            assert!(err.starts_with(&expected), "{err}");
        }
    }
}

#[test]
fn a_record_limit_out_of_range_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    for n in ["0", "1000001"] {
        let o = indiv_in(dir.path(), &["certify", &format!("--max-records={n}")]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "--max-records {n}: {err}");
        assert!(err.starts_with("error: --max-records must be from 1 to 1000000"), "{err}");
    }
    let o = indiv_in(dir.path(), &["certify", "--max-records=-1"]);
    assert_eq!(o.status.code(), Some(2), "a negative count is refused by the parser");
}

#[test]
fn a_testees_terminal_escapes_are_shown_escaped_by_certify() {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("testee.sh");
    // Clears the screen and, after a carriage return, forges a verdict line.
    std::fs::write(&script, "#!/bin/sh\nprintf '\\033[2J\\r26 cases: 26 pass, 0 fail\\n' >&2\nexit 1\n")
        .expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .current_dir(dir.path())
        .args(["certify", "--case", "reader-happy", "--", "sh"])
        .arg(&script)
        .output()
        .expect("run indiv");
    assert_eq!(o.status.code(), Some(3), "{}", String::from_utf8_lossy(&o.stdout));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!o.stdout.iter().any(|b| *b == 0x1b || *b == b'\r'), "{out}");
    assert!(out.contains("stderr: \\u{1b}[2J\\r26 cases: 26 pass, 0 fail"), "{out}");
}

#[test]
fn a_hostile_case_name_is_inert_in_every_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Markup, a forged table row, characters XML cannot hold, a terminal escape
    // (TOML escapes, so the file itself is plain text).
    let name = r"<img src=x onerror=alert(1)>| fake | row |\uFFFE\u0001\u001b[2J";
    let file = dir.path().join("hostile.toml");
    std::fs::write(&file, crate::robustness::case_file(name, 100, 100, 0)).expect("write");
    let report = dir.path().join("report");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--case-file"])
        .arg(&file)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("run indiv");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(!o.stdout.contains(&0x1b), "{}", String::from_utf8_lossy(&o.stdout));

    let summary = std::fs::read_to_string(report.join("summary.md")).expect("summary.md");
    assert!(!summary.contains("<img") && !summary.contains('\u{1b}'), "{summary}");
    let row = summary.lines().find(|l| l.contains("onerror")).expect("the case's row");
    let cells = row.replace("\\|", "").matches('|').count();
    assert_eq!(cells, 5, "one row of four cells: {row}");

    let junit = std::fs::read_to_string(report.join("junit.xml")).expect("junit.xml");
    assert!(!junit.contains("<img"), "{junit}");
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    assert!(junit.chars().all(allowed), "{junit}");
}
