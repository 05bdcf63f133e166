//! Output formats: compiler-style human diagnostics, one JSON object per
//! input, JUnit XML with one test case per rule, and the rule catalog.

use std::fmt::Write as _;

use indiv_spec::catalog::{Area, Basis, RuleInfo};
use indiv_spec::{Level, Rule, Spec, Violation};
use serde_json::{Value, json};

use crate::check::{FileResult, Verdict};
use crate::fixtures::{HarnessInput, Input};

/// Longest part of a trace line quoted in a diagnostic.
const SNIPPET_CHARS: usize = 160;

/// One violation as a compiler diagnostic, ending with a blank line.
pub fn human_violation(spec: &Spec, file: &str, v: &Violation, text: Option<&str>) -> String {
    let info = spec.rule(v.rule);
    let severity = match info.level {
        Level::Must => "error",
        Level::Should => "warning",
    };
    let mut out = format!("{severity}[{}]: {}\n", v.rule, v.message);
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
    let _ = writeln!(out, "{gutter} = {} ({}): {}", level_name(info.level), basis_name(info.basis), info.statement);
    let citation = citation_line(spec, info).replace("\n   = ", &format!("\n{gutter} = "));
    let _ = writeln!(out, "{gutter} = {citation}");
    let _ = writeln!(out, "{gutter} = explain: indiv explain {}", v.rule);
    out.push('\n');
    out
}

fn snippet(text: &str) -> String {
    if text.chars().count() <= SNIPPET_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(SNIPPET_CHARS).collect();
    format!("{cut}… (line shortened for display)")
}

/// The citation of a rule: its source and quote, then its reasoning, one
/// `= ` line each.
pub fn citation_line(spec: &Spec, info: &RuleInfo) -> String {
    let mut parts = Vec::new();
    if let (Some(source), Some(quote)) = (&info.citation.source, &info.citation.quote) {
        let title = spec.source(source).map_or(source.as_str(), |s| s.title.as_str());
        let file = spec.source(source).and_then(|s| s.file.as_deref()).map(|f| format!(" [{f}]")).unwrap_or_default();
        parts.push(format!("source: {title}{file}: \"{quote}\""));
    }
    if let Some(reasoning) = &info.citation.reasoning {
        parts.push(format!("reasoning: {reasoning}"));
    }
    parts.join("\n   = ")
}

/// `must` or `should`.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Must => "must",
        Level::Should => "should",
    }
}

/// `documented`, `inferred` or `harness`.
pub fn basis_name(basis: Basis) -> &'static str {
    match basis {
        Basis::Documented => "documented",
        Basis::Inferred => "inferred",
        Basis::Harness => "harness",
    }
}

/// The closing lines for one input in human output.
pub fn human_summary(result: &FileResult, strict: bool) -> String {
    let mut out = String::new();
    for note in &result.notes {
        let _ = writeln!(out, "note[{}]: {}:{}: {}", note.rule, result.name, note.line, note.message);
    }
    if result.notes_dropped > 0 {
        let _ = writeln!(out, "note: {} more notes not shown", result.notes_dropped);
    }
    if result.dropped() > 0 {
        let _ = writeln!(out, "note: {} more violations not shown (--max-violations)", result.dropped());
    }
    let verdict = result.verdict(strict);
    let _ = match verdict {
        Verdict::Error => {
            writeln!(out, "{}: ERROR: not a readable trace after {} records; no verdict", result.name, result.records)
        }
        _ => writeln!(
            out,
            "{}: {}: {} must and {} should violations in {} records{}",
            result.name,
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
                "level": level_name(spec.rule(v.rule).level),
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
                    level_name(info.level),
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

/// Escapes text for XML attributes and content.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "&#xFFFD;");
            }
            c => out.push(c),
        }
    }
    out
}

/// A human title for an area.
pub fn area_title(area: Area) -> &'static str {
    match area {
        Area::Values => "Values",
        Area::Sessions => "Sessions",
        Area::Http => "Round trips and progress",
        Area::Cancellation => "Cancellation",
        Area::Reader => "Reader path (IWMDRMReader)",
        Area::Security => "Security path (IWMDRMSecurity)",
        Area::Service => "Service (certification harness)",
    }
}

/// The rule catalog as text: one line a rule, grouped by area.
pub fn catalog_human(spec: &Spec) -> String {
    let mut out = String::new();
    let mut areas: Vec<Area> = spec.rules.iter().map(|r| r.area).collect();
    areas.sort();
    areas.dedup();
    let width = spec.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for area in areas {
        let _ = writeln!(out, "{}", area_title(area));
        for r in spec.rules.iter().filter(|r| r.area == area) {
            let _ = writeln!(
                out,
                "  {:width$}  {:6}  {:10}  {}",
                r.id,
                level_name(r.level),
                basis_name(r.basis),
                r.statement
            );
        }
        out.push('\n');
    }
    let _ =
        writeln!(out, "{} rules. `indiv explain RULE-ID` shows one with its citation and readings.", spec.rules.len());
    out
}

/// The rule catalog as JSON, with the tables the checker reads.
pub fn catalog_json(spec: &Spec) -> Value {
    let phases = &spec.phases;
    let may_follow: serde_json::Map<String, Value> = phases
        .phases()
        .into_iter()
        .map(|p| (p.name().to_string(), json!(phases.successors(p).iter().map(|s| s.name()).collect::<Vec<_>>())))
        .collect();
    json!({
        "format": "indiv-spec/1",
        "session": {
            "first": phases.first.name(),
            "terminal": phases.terminals().iter().map(|s| s.name()).collect::<Vec<_>>(),
            "may_follow": may_follow,
        },
        "http": {
            "order": spec.http.order.iter().map(|s| s.name()).collect::<Vec<_>>(),
        },
        "readings": spec.readings,
        "sources": spec.sources,
        "rules": spec.rules,
        "interpretations": spec.interpretations,
    })
}

/// One rule in full, for `indiv explain`: statement, citation, readings, the
/// interpretations that name it, and its examples from the embedded fixtures.
pub fn explain(spec: &Spec, rule: Rule) -> String {
    let info = spec.rule(rule);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({}, {}, {})",
        info.id,
        level_name(info.level),
        basis_name(info.basis),
        area_title(info.area)
    );
    let _ = writeln!(out, "\n  {}\n", info.statement);
    let _ = writeln!(out, "applies to: {}", info.applies_to.join(", "));
    if let (Some(source), Some(quote)) = (&info.citation.source, &info.citation.quote) {
        let s = spec.source(source);
        let title = s.map_or(source.as_str(), |s| s.title.as_str());
        let _ = writeln!(out, "source:     {title}");
        if let Some(file) = s.and_then(|s| s.file.as_deref()) {
            let _ = writeln!(out, "            spec/sources/{file}");
        }
        let _ = writeln!(out, "quote:      \"{quote}\"");
    }
    if let Some(reasoning) = &info.citation.reasoning {
        let _ = writeln!(out, "reasoning:  {reasoning}");
    }
    if !info.readings.is_empty() {
        let _ = writeln!(out, "readings:");
        for r in &info.readings {
            let _ = writeln!(out, "  - {r}");
        }
    }
    let interpretations: Vec<&str> = spec.interpretations_of(rule).map(|i| i.topic.as_str()).collect();
    if !interpretations.is_empty() {
        let _ = writeln!(out, "see also:   docs/SPEC.md, \"Where the sources disagree or are silent\":");
        for topic in interpretations {
            let _ = writeln!(out, "  - {topic}");
        }
    }
    match crate::fixtures::for_rule(rule) {
        Ok(Some(fixture)) => explain_examples(&mut out, fixture),
        Ok(None) => {
            let _ = writeln!(out, "\nexamples:   none");
        }
        Err(e) => {
            let _ = writeln!(out, "\nexamples:   unavailable: {e}");
        }
    }
    out
}

/// The examples of a rule's fixture: each trace numbered by line as the
/// expected `RULE-ID@line` list counts, or a harness example's status, facts
/// and service log.
fn explain_examples(out: &mut String, fixture: &crate::fixtures::Fixture) {
    let _ = writeln!(out, "\nexamples ({}/{}):", crate::fixtures::DIR, fixture.file);
    for (i, e) in fixture.example.iter().enumerate() {
        let partial = if e.trace().is_some_and(|t| t.partial) { ", partial trace" } else { "" };
        let verdict = if e.conforming() {
            format!("conforming{partial}")
        } else {
            format!("violating{partial}, expect {}", e.expect.join(", "))
        };
        let _ = writeln!(out, "\n  {}. {} ({verdict})", i + 1, e.name);
        match &e.input {
            Input::Trace(t) => {
                let lines: Vec<&str> = t.trace.trim_end_matches('\n').lines().collect();
                let width = lines.len().to_string().len();
                for (n, line) in lines.iter().enumerate() {
                    let _ = writeln!(out, "  {:>width$} | {line}", n + 1);
                }
            }
            Input::Harness(h) => explain_harness_example(out, h),
        }
    }
}

/// A harness example: the status, the session's facts, one line per exchange.
fn explain_harness_example(out: &mut String, h: &HarnessInput) {
    let _ = writeln!(out, "     status:   {}", h.status);
    let _ = writeln!(out, "     session:  {}", h.facts_label());
    if h.log.exchanges.is_empty() {
        let _ = writeln!(out, "     service:  no exchange yet");
    }
    for (index, e) in h.log.exchanges.iter().enumerate() {
        let completed = if e.completed { "completed" } else { "not completed" };
        let _ = writeln!(
            out,
            "     exchange {index}: {}; head {}; {} body bytes written; {completed}",
            h.request_label(index),
            crate::fixtures::head_label(e),
            e.body_written
        );
    }
}
