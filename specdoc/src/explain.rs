//! The rule catalog (`indiv spec`, as text or JSON) and one rule in full
//! (`indiv explain`): statement, citation, readings and the rule's examples
//! from the embedded fixtures.

use std::fmt::Write as _;

use indiv_spec::catalog::{Area, RuleInfo};
use indiv_spec::{Rule, Spec};
use serde_json::{Value, json};

use crate::fixtures::{HarnessInput, Input};

/// The citation of a rule: each source and quote, then its reasoning, one
/// `= ` line each.
pub fn citation_line(spec: &Spec, info: &RuleInfo) -> String {
    let mut parts = Vec::new();
    for q in &info.citation.quotes {
        let (title, file) = spec
            .source(&q.source)
            .map_or((q.source.as_str(), String::new()), |s| (s.title.as_str(), format!(" [{}]", s.file)));
        parts.push(format!("source: {title}{file}: \"{}\"", q.quote));
    }
    if let Some(reasoning) = &info.citation.reasoning {
        parts.push(format!("reasoning: {reasoning}"));
    }
    parts.join("\n   = ")
}

/// The rule catalog as text: one line a rule, grouped by area.
pub fn catalog_human(spec: &Spec) -> String {
    let mut out = String::new();
    let mut areas: Vec<Area> = spec.rules.iter().map(|r| r.area).collect();
    areas.sort();
    areas.dedup();
    let width = spec.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for area in areas {
        let _ = writeln!(out, "{}", area.title());
        for r in spec.rules.iter().filter(|r| r.area == area) {
            let _ = writeln!(out, "  {:width$}  {:6}  {:10}  {}", r.id, r.level.name(), r.basis.name(), r.statement);
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
        "version": spec.version,
        "hash": spec.hash,
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
    let _ = writeln!(out, "{}  ({}, {}, {})", info.id, info.level.name(), info.basis.name(), info.area.title());
    let _ = writeln!(out, "\n  {}\n", info.statement);
    let _ = writeln!(out, "applies to: {}", info.applies_to.join(", "));
    for q in &info.citation.quotes {
        let s = spec.source(&q.source);
        let title = s.map_or(q.source.as_str(), |s| s.title.as_str());
        let _ = writeln!(out, "source:     {title}");
        if let Some(s) = s {
            let _ = writeln!(out, "            spec/sources/{}", s.file);
        }
        let _ = writeln!(out, "quote:      \"{}\"", q.quote);
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
