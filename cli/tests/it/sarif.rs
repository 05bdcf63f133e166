//! SARIF and GitHub annotations: `indiv check --format sarif` writes a SARIF
//! 2.1.0 log that the official schema accepts, with one result per violation
//! at its file and line; `--format github` writes one workflow command per
//! violation, escaped so that outside text cannot start a second command;
//! `indiv certify --report DIR` writes `results.sarif` located at the traces
//! it writes, and `--annotations github` prints the findings as commands.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// Breaks rules of both levels: a start call with undefined flags (a should
/// rule), a status with no Open, a second start while the first session is
/// open, and no session ever ends.
const TRACE: &str = concat!(
    r#"{"kind":"call","api":"Individualize","flags":2,"hr":"S_OK"}"#,
    "\n",
    r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION"}"#,
    "\n",
    r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK"}"#,
    "\n",
);

fn indiv_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indiv")).current_dir(dir).args(args).output().expect("run indiv")
}

/// Asserts that `log` is valid under the official SARIF 2.1.0 schema
/// (`tests/sarif/`, see its ORIGIN.md).
fn assert_valid_sarif(log: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the vendored schema")).expect("schema is JSON");
    // Formats too: every URI must be one.
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator.iter_errors(log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
}

/// `indiv check --format json`'s violations of one file as (rule, line, level, message).
fn json_violations(dir: &Path, file: &str) -> Vec<(String, u64, String, String)> {
    let o = indiv_in(dir, &["check", "--format", "json", file]);
    let object: Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    object["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| {
            (
                v["rule"].as_str().unwrap_or_default().to_string(),
                v["line"].as_u64().unwrap_or_default(),
                v["level"].as_str().unwrap_or_default().to_string(),
                v["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn check_sarif_validates_against_the_sarif_schema_with_one_result_per_violation_at_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.jsonl"), TRACE).expect("write trace");
    std::fs::write(dir.path().join("bad.jsonl"), "{\"kind\":\"nonsense\"}\n").expect("write trace");
    let o = indiv_in(dir.path(), &["check", "--format", "sarif", "t.jsonl", "bad.jsonl", "missing.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "an unreadable input still decides the exit status");
    let log: Value = serde_json::from_slice(&o.stdout).expect("the output is one JSON document");
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(log["runs"].as_array().map(Vec::len), Some(1));
    assert_eq!(run["tool"]["driver"]["name"], "indiv");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let spec = indiv_spec::Spec::builtin().expect("the built-in spec");
    assert_eq!(rules.len(), spec.rules.len(), "every rule of the spec, the SERVICE-* rules included");
    let ends = rules.iter().find(|r| r["id"] == "SESSION-ENDS").expect("SESSION-ENDS described");
    assert_eq!(ends["defaultConfiguration"]["level"], "error");
    assert!(ends["shortDescription"]["text"].as_str().is_some_and(|t| t.starts_with("every opened session")));
    // A documented rule's help carries its quotation verbatim.
    let documented = rules.iter().find(|r| r["id"] == "READER-NEEDS-WHEN-OUTDATED").expect("described");
    assert!(documented["help"]["text"].as_str().is_some_and(|t| t.contains("\"") && t.contains("spec/sources/")));
    let seen: Vec<(String, u64, String, String)> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r.get("kind").is_none())
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uri"], "t.jsonl");
            (
                r["ruleId"].as_str().unwrap_or_default().to_string(),
                location["region"]["startLine"].as_u64().unwrap_or_default(),
                r["level"].as_str().unwrap_or_default().to_string(),
                r["message"]["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String, String)> = json_violations(dir.path(), "t.jsonl")
        .into_iter()
        .map(|(rule, line, level, message)| {
            (rule, line, if level == "must" { "error" } else { "warning" }.to_string(), message)
        })
        .collect();
    assert_eq!(seen, expected);
    assert!(seen.iter().any(|(rule, line, level, _)| rule == "SESSION-ENDS" && *line == 1 && level == "error"));
    assert!(seen.iter().any(|(_, _, level, _)| level == "warning"), "{seen:?}");
    // The unreadable and the missing input are notifications of the invocation.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().expect("notifications");
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "bad.jsonl");
}

#[test]
fn check_sarif_of_many_inputs_is_one_valid_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut args = vec!["check".to_string(), "--format".into(), "sarif".into()];
    for i in 0..50 {
        let name = format!("t{i}.jsonl");
        std::fs::write(dir.path().join(&name), TRACE).expect("write trace");
        args.push(name);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = indiv_in(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_valid_sarif(&log);
    let uris: std::collections::BTreeSet<&str> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(uris.len(), 50, "{uris:?}");
}

#[test]
fn check_sarif_of_standard_input_locates_results_without_a_uri_and_validates() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["check", "--format", "sarif", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn indiv");
    child.stdin.take().expect("stdin").write_all(TRACE.as_bytes()).expect("feed stdin");
    let o = child.wait_with_output().expect("indiv ran");
    assert_eq!(o.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_valid_sarif(&log);
    let artifact = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["description"]["text"], "standard input");
    assert!(artifact.get("uri").is_none(), "{artifact}");
}

/// One workflow command read back as the GitHub runner reads it: the
/// command, its properties and its message, unescaped.
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape_data = |s: &str| s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%");
    let unescape_property = |s: &str| unescape_data(&s.replace("%3A", ":").replace("%2C", ","));
    let body = line.strip_prefix("::").expect("a command starts with ::");
    let (head, data) = body.split_once("::").expect("a command has ::data");
    let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape_property(v))
        })
        .collect();
    (command.to_string(), properties, unescape_data(data))
}

#[test]
fn github_commands_escape_hostile_names_and_text_so_no_second_command_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "t,x:y::warning file=z,line=1::%25 owned\r\n::error::injected.jsonl";
    // A reported version with a line break, a command, `%` and an escape sequence.
    let version = r"2.4\r\n::error file=a::injected 100%0A\u001b[2J";
    let trace = format!(
        "{TRACE}{{\"kind\":\"call\",\"api\":\"GetSecurityVersion\",\"version\":\"{version}\",\"hr\":\"S_OK\"}}\n"
    );
    std::fs::write(dir.path().join(name), trace).expect("write trace");
    let o = indiv_in(dir.path(), &["check", "--format", "github", name]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).expect("utf-8");
    assert!(!out.contains('\r') && !out.contains('\u{1b}'), "{out:?}");
    let expected = json_violations(dir.path(), name);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), expected.len(), "one command per violation: {out}");
    assert!(expected.iter().any(|(_, _, _, m)| m.contains("::error file=a::injected")), "{expected:?}");
    for (line, (rule, at, level, message)) in lines.iter().zip(&expected) {
        let (command, properties, data) = parse_command(line);
        assert_eq!(command, if level == "must" { "error" } else { "warning" }, "{line}");
        let properties: Vec<(&str, &str)> = properties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(properties, [("file", name), ("line", at.to_string().as_str()), ("title", rule.as_str())], "{line}");
        // The message comes back whole; other control characters are shown escaped.
        let shown: String =
            message
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\n' && c != '\r' {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        assert_eq!(data, shown, "{line}");
    }
}

#[test]
fn certify_writes_results_sarif_at_the_report_traces_and_prints_github_annotations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--case", "reader-happy", "--annotations", "github", "--report"])
        .arg(dir.path())
        .args(["--", "python3"])
        .arg(&engine)
        .args(["--bug", "progress-past-total"])
        .output()
        .expect("run indiv certify");
    let text = crate::output_text(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.sarif")).expect("results.sarif"))
            .expect("results.sarif is JSON");
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let report = crate::read_report(dir.path());
    let findings = report["cases"][0]["violations"].as_array().expect("violations");
    assert_eq!(results.len(), findings.len(), "one result per finding");
    let result = results.iter().find(|r| r["ruleId"] == "PROGRESS-WITHIN-TOTAL").expect("the bug's rule");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "traces/reader-happy.jsonl");
    let line = location["region"]["startLine"].as_u64().expect("a line") as usize;
    // The line is the line of the trace file that holds the record.
    let trace = std::fs::read_to_string(dir.path().join("traces/reader-happy.jsonl")).expect("the trace");
    let finding = findings.iter().find(|f| f["rule"] == "PROGRESS-WITHIN-TOTAL").expect("in report.json");
    assert_eq!(trace.lines().nth(line - 1), finding["record"].as_str(), "line {line}");
    // The console: one command per finding, at the same file and line.
    let stdout = String::from_utf8_lossy(&o.stdout);
    let commands: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), findings.len(), "{stdout}");
    let file = dir.path().join("traces/reader-happy.jsonl").display().to_string();
    let expected = ("file".to_string(), file);
    let progress = commands
        .iter()
        .map(|c| parse_command(c))
        .find(|(_, p, _)| p.iter().any(|(k, v)| k == "title" && v == "PROGRESS-WITHIN-TOTAL"));
    let (command, properties, message) = progress.expect("an annotation for the bug's rule");
    assert_eq!(command, "error");
    assert_eq!(properties[0], expected);
    assert_eq!(properties[1], ("line".to_string(), line.to_string()));
    assert!(message.starts_with("case reader-happy: "), "{message}");
}
