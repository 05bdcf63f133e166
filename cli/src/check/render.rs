//! Output formats: compiler-style human diagnostics, one JSON object per
//! input, JUnit XML with one test case per rule, and the rule catalog.

use std::fmt::Write as _;

use indiv_spec::catalog::Basis;
use indiv_spec::text::{one_line, shorten, xml_escape};
use indiv_spec::{Level, Rule, Spec, Violation};
use serde_json::{Value, json};

use super::{FileResult, FileVerdict};

/// Longest part of a trace line quoted in a diagnostic.
const SNIPPET_CHARS: usize = 160;

/// One violation as a compiler diagnostic, ending with a blank line. What
/// comes from outside (the message may quote the trace; the file name; the
/// line) has its control characters escaped, so it cannot drive a terminal.
pub fn human_violation(spec: &Spec, file: &str, v: &Violation, text: Option<&str>) -> String {
    let info = spec.rule(v.rule);
    let file = one_line(file);
    let severity = match info.level {
        Level::Must => "error",
        Level::Should => "warning",
    };
    let mut out = format!("{severity}[{}]: {}\n", v.rule, one_line(&v.message));
    let mut context = Vec::new();
    if let Some(n) = v.session {
        context.push(format!("session {n}"));
    }
    if let Some(ts) = &v.ts {
        context.push(format!("ts {ts}"));
    }
    let context = if context.is_empty() { String::new() } else { format!(" ({})", context.join(", ")) };
    let gutter = " ".repeat(v.line.to_string().len());
    let _ = writeln!(out, "{gutter}--> {file}:{}{context}", v.line);
    if let Some(text) = text {
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{} | {}", v.line, snippet(text));
        let _ = writeln!(out, "{gutter} |");
    }
    let _ = writeln!(out, "{gutter} = {} ({}): {}", info.level.name(), info.basis.name(), info.statement);
    let citation = indiv_specdoc::explain::citation_line(spec, info).replace("\n   = ", &format!("\n{gutter} = "));
    let _ = writeln!(out, "{gutter} = {citation}");
    let _ = writeln!(out, "{gutter} = explain: indiv explain {}", v.rule);
    out.push('\n');
    out
}

fn snippet(text: &str) -> String {
    match text.chars().nth(SNIPPET_CHARS) {
        None => one_line(text),
        Some(_) => format!("{} (line shortened for display)", one_line(&shorten(text, SNIPPET_CHARS))),
    }
}

/// The closing lines for one input in human output, escaped like
/// [`human_violation`].
pub fn human_summary(result: &FileResult, strict: bool) -> String {
    let mut out = String::new();
    let name = one_line(&result.name);
    for note in &result.notes {
        let _ = writeln!(out, "note[{}]: {name}:{}: {}", note.rule, note.line, one_line(&note.message));
    }
    if result.notes_dropped > 0 {
        let _ = writeln!(out, "note: {} more notes not shown", result.notes_dropped);
    }
    if result.dropped() > 0 {
        let _ = writeln!(out, "note: {} more violations not shown (--max-violations)", result.dropped());
    }
    let verdict = result.verdict(strict);
    let _ = match verdict {
        FileVerdict::Error => {
            writeln!(out, "{name}: ERROR: not a readable trace after {} records; no verdict", result.records)
        }
        _ => writeln!(
            out,
            "{name}: {}: {} must and {} should violations in {} records{}",
            verdict.as_str().to_uppercase(),
            result.must,
            result.should,
            result.records,
            if strict { " (strict)" } else { "" }
        ),
    };
    out
}

/// One input as a JSON object.
pub fn json_result(spec: &Spec, result: &FileResult, strict: bool, partial: bool) -> Value {
    let violations: Vec<Value> = result
        .violations
        .iter()
        .map(|v| {
            let mut o = json!({
                "rule": v.rule.id(),
                "level": spec.rule(v.rule).level.name(),
                "line": v.line,
                "session": v.session,
                "message": v.message,
            });
            if let Some(ts) = &v.ts {
                o["ts"] = json!(ts);
            }
            o
        })
        .collect();
    let not_applicable: Vec<Value> =
        result.notes.iter().map(|n| json!({"rule": n.rule.id(), "line": n.line, "message": n.message})).collect();
    let mut o = json!({
        "file": result.name,
        "spec": {"version": spec.version, "hash": spec.hash},
        "verdict": result.verdict(strict).as_str(),
        "strict": strict,
        "partial": partial,
        "records": result.records,
        "counts": {"must": result.must, "should": result.should},
        "per_rule": result.per_rule.iter().map(|(r, n)| (r.id().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "violations": violations,
        "violations_not_shown": result.dropped(),
        "not_applicable": not_applicable,
        "not_applicable_not_shown": result.notes_dropped,
    });
    if let Some(e) = &result.error {
        let (line, column) = e.position().unwrap_or((0, 0));
        o["error"] = json!({"line": line, "column": column, "message": e.to_string()});
    }
    o
}

/// All inputs as one JUnit XML document: a test suite per input, a test case per rule.
pub fn junit(spec: &Spec, results: &[FileResult], strict: bool) -> String {
    let mut suites = String::new();
    let (mut total_tests, mut total_failures, mut total_errors) = (0usize, 0usize, 0usize);
    for result in results {
        let mut cases = String::new();
        let mut failures = 0;
        let mut errors = 0;
        let mut tests = 0;
        if let Some(e) = &result.error {
            errors += 1;
            tests += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"readable trace\"><error message=\"{}\"/></testcase>",
                xml_escape(&result.name),
                xml_escape(&format!("{}:{e}", result.name))
            );
        }
        // The service rules need the certification harness; a trace alone cannot break them.
        for rule in Rule::ALL.iter().filter(|r| spec.rule(**r).basis != Basis::Harness) {
            tests += 1;
            let info = spec.rule(*rule);
            let count = result.per_rule.get(rule).copied().unwrap_or(0);
            let _ = write!(cases, "    <testcase classname=\"{}\" name=\"{}\">", xml_escape(&result.name), rule);
            let details: String = result
                .violations
                .iter()
                .filter(|v| v.rule == *rule)
                .map(|v| format!("line {}: {}\n", v.line, v.message))
                .collect();
            let counts = info.level == Level::Must || strict;
            if count > 0 && counts {
                failures += 1;
                let _ = write!(
                    cases,
                    "<failure type=\"{}\" message=\"{}\">{}</failure>",
                    info.level.name(),
                    xml_escape(&format!("{count} violations: {}", info.statement)),
                    xml_escape(&details)
                );
            } else if count > 0 {
                let _ = write!(
                    cases,
                    "<system-out>{}</system-out>",
                    xml_escape(&format!("should rule broken {count} times\n{details}"))
                );
            }
            cases.push_str("</testcase>\n");
        }
        total_tests += tests;
        total_failures += failures;
        total_errors += errors;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{cases}  </testsuite>\n",
            xml_escape(&result.name)
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"indiv check\" tests=\"{total_tests}\" failures=\"{total_failures}\" errors=\"{total_errors}\">\n{suites}</testsuites>\n"
    )
}
