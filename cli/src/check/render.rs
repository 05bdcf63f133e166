//! Output formats: compiler-style human diagnostics, one JSON object per
//! input, JUnit XML with one test case per rule, and the rule catalog. Each
//! violation is rendered on its own as it is found: the JSON object of an
//! input is written in pieces ([`json_start`], [`json_violation`],
//! [`json_end`]), and JUnit keeps at most [`JUNIT_DETAILS`] lines per rule.
//! HTML ([`html_section`]) draws each input's timeline with
//! [`indiv_harness::html`], the one home of that drawing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use indiv_spec::catalog::Basis;
use indiv_spec::text::{one_line, shorten, xml_escape};
use indiv_spec::{Level, Rule, Spec, Violation};
use serde_json::{Value, json};

use super::{FileResult, FileVerdict};

/// Longest part of a trace line quoted in a diagnostic: as much as the
/// monitor keeps of the lines it quotes later.
const SNIPPET_CHARS: usize = indiv_spec::monitor::QUOTE_CHARS;

/// Violations of one rule listed in an input's JUnit test case; the rest are
/// counted, so that JUnit output needs bounded memory too.
pub const JUNIT_DETAILS: usize = 20;

/// The HTML section of one input: its verdict and counts, why it could not
/// be read to its end, its timeline with every shown violation marked, and
/// the notes. Every name and message is escaped.
pub fn html_section(result: &FileResult, strict: bool, timeline: &indiv_harness::html::Timeline) -> String {
    use indiv_harness::html::esc;
    let verdict = result.verdict(strict).as_str();
    let mut out = format!(
        "<section class=\"trace\">\n<h2>{} <span class=\"verdict {}\">{}</span></h2>\n<p>{} records; {} must and {} should violations</p>\n",
        esc(&result.name),
        verdict.to_uppercase(),
        verdict.to_uppercase(),
        result.records,
        result.must,
        result.should
    );
    if let Some(e) = &result.error {
        let _ = writeln!(out, "<p><strong>Not a readable trace:</strong> {}</p>", esc(&format!("{}:{e}", result.name)));
    }
    out.push_str(&timeline.html());
    if result.dropped() > 0 {
        let _ =
            writeln!(out, "<p class=\"note\">{} more violations not shown (--max-violations).</p>", result.dropped());
    }
    if !result.notes.is_empty() {
        out.push_str("<p>Not applicable:</p>\n<ul>\n");
        for note in &result.notes {
            let _ = writeln!(
                out,
                "<li><a href=\"#rule-{0}\">{0}</a> line {1}: {2}</li>",
                note.rule.id(),
                note.line,
                esc(&note.message)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
    out
}

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

/// The start of an input's JSON object, up to the opening of its
/// `violations` array. The keys are those of the whole object in the order
/// they can be written while streaming: what is known before reading, the
/// violations, then the counts.
pub fn json_start(spec: &Spec, name: &str, strict: bool, partial: bool) -> String {
    format!(
        "{{\"file\":{},\"spec\":{},\"strict\":{strict},\"partial\":{partial},\"violations\":[",
        json!(name),
        json!({"version": spec.version, "hash": spec.hash})
    )
}

/// One violation in an input's `violations` array; `first` when it is the
/// array's first element.
pub fn json_violation(spec: &Spec, v: &Violation, first: bool) -> String {
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
    if first { o.to_string() } else { format!(",{o}") }
}

/// The rest of an input's JSON object after its violations, and the line end.
pub fn json_end(result: &FileResult, strict: bool) -> String {
    let not_applicable: Vec<Value> =
        result.notes.iter().map(|n| json!({"rule": n.rule.id(), "line": n.line, "message": n.message})).collect();
    let per_rule: serde_json::Map<String, Value> =
        result.per_rule.iter().map(|(r, n)| (r.id().to_string(), json!(n))).collect();
    let mut out = format!(
        "],\"violations_not_shown\":{},\"verdict\":{},\"records\":{},\"counts\":{},\"per_rule\":{},\"not_applicable\":{},\"not_applicable_not_shown\":{}",
        result.dropped(),
        json!(result.verdict(strict).as_str()),
        result.records,
        json!({"must": result.must, "should": result.should}),
        Value::Object(per_rule),
        Value::Array(not_applicable),
        result.notes_dropped,
    );
    if let Some(e) = &result.error {
        let (line, column) = e.position().unwrap_or((0, 0));
        let _ = write!(out, ",\"error\":{}", json!({"line": line, "column": column, "message": e.to_string()}));
    }
    out.push_str("}\n");
    out
}

/// What JUnit output lists of one input's violations: the first
/// [`JUNIT_DETAILS`] of each rule, as `line N: message` lines.
#[derive(Debug, Default)]
pub struct JunitDetails {
    by_rule: BTreeMap<Rule, String>,
    listed: BTreeMap<Rule, usize>,
}

impl JunitDetails {
    /// Lists `v` if its rule has room left.
    pub fn add(&mut self, v: &Violation) {
        let listed = self.listed.entry(v.rule).or_default();
        if *listed < JUNIT_DETAILS {
            *listed += 1;
            let _ = writeln!(self.by_rule.entry(v.rule).or_default(), "line {}: {}", v.line, v.message);
        }
    }
}

/// All inputs as one JUnit XML document: a test suite per input, a test case per rule.
pub fn junit(spec: &Spec, results: &[(FileResult, JunitDetails)], strict: bool) -> String {
    let mut suites = String::new();
    let (mut total_tests, mut total_failures, mut total_errors) = (0usize, 0usize, 0usize);
    for (result, listed) in results {
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
            let mut details = listed.by_rule.get(rule).cloned().unwrap_or_default();
            let not_listed = count.saturating_sub(listed.listed.get(rule).map_or(0, |n| *n as u64));
            if not_listed > 0 {
                let _ = writeln!(details, "{not_listed} more not listed");
            }
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
