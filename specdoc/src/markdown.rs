//! `docs/SPEC.md`: the spec as a document, generated from the loaded [`Spec`]
//! and the rule fixtures (`indiv spec --format markdown`).
//!
//! Nothing in the document is written by hand: the introduction is fixed text
//! of this module, and everything else comes from `spec/individualization.toml`
//! (enumerations, tables, rules, citations, readings, interpretations) or from
//! `specdoc/tests/rules/*.toml` (the examples, copied verbatim with the
//! `RULE-ID@line` list each one expects, so that the examples are the tests).
//! A test fails when the committed file differs from what this module writes.

use std::fmt::Write as _;

use indiv_spec::catalog::{Area, Enumeration, RuleInfo};
use indiv_spec::{Rule, Spec};

use crate::diagram::{self, Diagram};
use crate::fixtures::{self, Fixture, FixtureError, HarnessInput, Input};

/// Where the document lives in the repository; links in it are relative to it.
pub const PATH: &str = "docs/SPEC.md";

/// The command that regenerates the document.
pub const COMMAND: &str = "cargo run -- spec --format markdown > docs/SPEC.md";

/// The areas in document order.
const AREAS: &[Area] =
    &[Area::Values, Area::Sessions, Area::Http, Area::Cancellation, Area::Reader, Area::Security, Area::Service];

/// The document, with the examples of the fixtures embedded in this build.
pub fn markdown(spec: &Spec) -> Result<String, FixtureError> {
    Ok(markdown_with(spec, fixtures::embedded()?))
}

/// The document, with the examples of `fixtures`.
pub fn markdown_with(spec: &Spec, fixtures: &[Fixture]) -> String {
    let mut out = String::new();
    header(&mut out, spec);
    introduction(&mut out, spec);
    general_readings(&mut out, spec);
    enumerations(&mut out, spec);
    phases(&mut out, spec);
    http(&mut out, spec);
    rule_index(&mut out, spec);
    for area in AREAS {
        let rules: Vec<&RuleInfo> = spec.rules.iter().filter(|r| r.area == *area).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {}\n", area.title());
        for info in rules {
            rule_section(&mut out, spec, info, fixtures.iter().find(|f| f.rule.id() == info.id));
        }
    }
    interpretations(&mut out, spec);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// Escapes the characters of plain prose that Markdown would read as markup.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '<' | '>' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// [`md`] for a table cell.
fn cell(text: &str) -> String {
    md(text).replace('|', "\\|")
}

/// The anchor GitHub gives the heading of a rule: its id in lower case.
fn rule_anchor(id: &str) -> String {
    id.to_ascii_lowercase()
}

fn rule_link(id: &str) -> String {
    format!("[{id}](#{})", rule_anchor(id))
}

fn interpretation_anchor(id: &str) -> String {
    format!("interpretation-{id}")
}

/// A source's title, linked to the kept copy when the project keeps one.
fn source_ref(spec: &Spec, id: &str) -> String {
    match spec.source(id) {
        Some(s) => format!("*{}* ([`spec/sources/{file}`](../spec/sources/{file}))", md(&s.title), file = s.file),
        None => format!("`{id}`"),
    }
}

/// A source's title as a link to the kept copy, for tables.
fn source_link(spec: &Spec, id: &str) -> String {
    match spec.source(id) {
        Some(s) => format!("[{}](../spec/sources/{file})", cell(&s.title), file = s.file),
        None => format!("`{id}`"),
    }
}

fn header(out: &mut String, spec: &Spec) {
    out.push_str("# The Windows Media DRM individualization status stream: specification\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from spec/individualization.toml and specdoc/tests/rules/*.toml by\n     `indiv spec --format markdown`. Do not edit: edit those files and run `{COMMAND}`. -->\n"
    );
    let _ = writeln!(
        out,
        "This document is generated from [`spec/individualization.toml`](../spec/individualization.toml) \
         (the {} rules, the tables and the readings that the checker `indiv check` executes) and from the rule \
         fixtures in [`specdoc/tests/rules/`](../specdoc/tests/rules/) (the examples, which the test suite \
         runs). `indiv explain RULE-ID` prints one rule with its examples.\n",
        spec.rules.len()
    );
    out.push_str("## Contents\n\n");
    out.push_str("- [Introduction](#introduction)\n");
    out.push_str("- [General readings](#general-readings)\n");
    out.push_str("- [Enumerations](#enumerations)\n");
    out.push_str("- [Session phases](#session-phases)\n");
    out.push_str("- [HTTP status order](#http-status-order)\n");
    out.push_str("- [Rules at a glance](#rules-at-a-glance)\n");
    for area in AREAS {
        if spec.rules.iter().any(|r| r.area == *area) {
            let title = area.title();
            let _ = writeln!(out, "- [{title}](#{})", slug(title));
        }
    }
    out.push_str("- [Where the sources disagree or are silent](#where-the-sources-disagree-or-are-silent)\n\n");
}

/// The anchor GitHub derives from a heading: lower case, spaces to `-`, and
/// everything but letters, digits, `-` and `_` dropped.
fn slug(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn introduction(out: &mut String, spec: &Spec) {
    out.push_str("## Introduction\n\n");
    out.push_str(
        "Individualization upgrades the DRM component of a Windows Media client and reports its progress as a \
         stream of events: `WMT_INDIVIDUALIZE` statuses on the reader path (`IWMDRMReader::Individualize`), \
         `MEWMDRMIndividualizationProgress` and `MEWMDRMIndividualizationCompleted` events on the security path \
         (`IWMDRMSecurity::PerformSecurityUpdate`), and `WMT_NEEDS_INDIVIDUALIZATION` / `WMT_NO_RIGHTS_EX` around \
         them. Microsoft's pages describe the values but say little about which event may follow which. This \
         specification says it exactly, as rules over a recorded trace of calls and events (the `indiv-trace/1` \
         format: one JSON object per line, described in the [README](../README.md#the-trace-format-indiv-trace1)).\n\n",
    );
    out.push_str(
        "Every rule has a stable id (its heading below, whose anchor is the id in lower case, e.g. \
         `SPEC.md#session-ends`), a level, a basis, one statement, and a citation. Where the checker had to \
         interpret, the rule lists its *readings*; the interpretations that settle a disagreement or a silence \
         of the sources are collected at the [end](#where-the-sources-disagree-or-are-silent).\n\n",
    );
    out.push_str("### Levels\n\n");
    out.push_str(
        "- **must**: a trace that breaks the rule does not conform; `indiv check` exits with status 1.\n\
         - **should**: the rule describes good behaviour; breaking it is reported as a warning and fails the \
         trace only with `indiv check --strict`.\n\n",
    );
    out.push_str("### Basis\n\n");
    out.push_str(
        "- **documented**: a quoted sentence of a source states the rule. Every quote is kept verbatim in \
         [`spec/sources/`](../spec/sources/), and a test checks that it appears there.\n\
         - **derived**: the rule follows from the quoted sentences by the reasoning given with it.\n\
         - **inferred**: the sources are silent; the rule is this specification's choice, for the reasons given \
         (any quotes are context, not support).\n\
         - **harness**: the rule needs what only the certification harness can see (for example what the \
         individualization service received).\n\n",
    );
    out.push_str("### How to read the examples\n\n");
    out.push_str(
        "Each rule ends with examples taken verbatim from its fixture file \
         (`specdoc/tests/rules/RULE-ID.toml`). A *conforming* example is a trace on which the checker reports \
         nothing at all. A *violating* example lists the exact set of `RULE-ID@line` the checker reports on it, \
         `must` and `should` rules alike, with lines counted from 1 at the first line of the trace; sometimes a \
         trace that breaks one rule also breaks another, and the list says so. Traces are complete unless marked \
         *partial* (checked with `indiv check --partial`, which does not judge what must have happened by the \
         end). The test suite runs every example, so the examples cannot drift from the checker.\n\n",
    );
    out.push_str(
        "The examples of the *harness* rules are not traces: `indiv certify` judges each status the engine \
         reports against what its individualization service did, so each example gives one status as the harness \
         received it, the facts the harness knows of the session (whether it needs the package, the first \
         exchange that is the session's, the response URL the service returns, the fault it injects), and the \
         service's log at that moment: one row per request in the order the requests arrived, counted from 0, \
         with the response head the service wrote (HTTP status and Content-Length), the body bytes it wrote, and \
         whether it answered in full. A violating example lists the rule ids the harness reports on that status. \
         The test suite runs these examples through the function `indiv certify` calls on every status.\n\n",
    );
    out.push_str(
        "### Sources\n\nEvery page a citation quotes is kept verbatim in [`spec/sources/`](../spec/sources/); \
         where each was read (repository, path, commit) is in \
         [`spec/sources/ORIGINS.toml`](../spec/sources/ORIGINS.toml).\n\n| id | title | kept copy |\n|---|---|---|\n",
    );
    for s in &spec.sources {
        let kept = format!("[`spec/sources/{file}`](../spec/sources/{file})", file = s.file);
        let _ = writeln!(out, "| `{}` | {} | {kept} |", s.id, cell(&s.title));
    }
    out.push('\n');
}

fn general_readings(out: &mut String, spec: &Spec) {
    out.push_str("## General readings\n\n");
    out.push_str("These interpretations hold across rules.\n\n");
    for (i, r) in spec.readings.iter().enumerate() {
        let _ = writeln!(out, "{}. {}", i + 1, md(r));
    }
    out.push('\n');
}

/// Values of bit-flag enumerations and HRESULTs read best in hex; counts and
/// plain codes in decimal.
fn value_text(e: &Enumeration, value: u32) -> String {
    let flags = e.values.iter().all(|v| v.value == 0 || v.value.is_power_of_two());
    let wide = e.values.iter().any(|v| v.value > 0xFFFF);
    if wide {
        format!("`0x{value:08X}`")
    } else if flags {
        format!("`0x{value:X}`")
    } else {
        format!("`{value}`")
    }
}

fn enumerations(out: &mut String, spec: &Spec) {
    out.push_str("## Enumerations\n\n");
    out.push_str(
        "A trace may spell each value by name or by number; `indiv` always writes names. A number that is no \
         defined value is read and judged by the `STATUS-*-VALUE` rules.\n\n",
    );
    for e in &spec.enumerations {
        let _ = writeln!(out, "### {}\n", e.name);
        out.push_str("| name | value | meaning | source |\n|---|---|---|---|\n");
        let source = source_link(spec, &e.source);
        for v in &e.values {
            let _ = writeln!(out, "| `{}` | {} | {} | {source} |", v.name, value_text(e, v.value), cell(&v.meaning));
        }
        out.push('\n');
    }
    out.push_str("### Calls and events\n\n");
    let apis: Vec<String> = spec.vocabulary.apis.iter().map(|a| format!("`{a}`")).collect();
    let events: Vec<String> = spec.vocabulary.events.iter().map(|e| format!("`{e}`")).collect();
    let _ = writeln!(out, "- Application calls a trace records: {}.", apis.join(", "));
    let _ = writeln!(out, "- Media Foundation events of the security path: {}.\n", events.join(", "));
}

fn mermaid_block(out: &mut String, spec: &Spec, diagram: Diagram) {
    let _ = writeln!(out, "```mermaid\n{}```\n", diagram::mermaid(spec, diagram));
}

fn phases(out: &mut String, spec: &Spec) {
    let phases = &spec.phases;
    out.push_str("## Session phases\n\n");
    let terminals: Vec<String> = phases.terminals().iter().map(|t| format!("`{t}`")).collect();
    let _ = writeln!(
        out,
        "A session is one individualization, opened by an accepted start call. Its statuses (`enIndiStatus`) follow \
         this table (`[session]` of the spec file): the first status is `{}`, and {} end the session. The checker \
         keeps the session's current phase (the last phase it entered legally) and judges each new status against \
         the row of that phase ([SESSION-PHASE-ORDER](#session-phase-order)).\n",
        phases.first,
        join_and(&terminals)
    );
    out.push_str("| phase | value | may be followed by |\n|---|---|---|\n");
    for p in diagram::phase_order(spec) {
        let next: Vec<String> = diagram::successors(spec, p).iter().map(|n| format!("`{n}`")).collect();
        let next = if next.is_empty() { "nothing (terminal)".to_string() } else { next.join(", ") };
        let _ = writeln!(out, "| `{p}` | `{:#x}` | {next} |", p.value());
    }
    out.push('\n');
    if !phases.readings.is_empty() {
        out.push_str("Readings of the table:\n\n");
        for r in &phases.readings {
            let _ = writeln!(out, "- {}", md(r));
        }
        out.push('\n');
    }
    mermaid_block(out, spec, Diagram::Phases);
    out.push_str(
        "The same diagram as Graphviz: [`docs/diagrams/phases.dot`](diagrams/phases.dot), rendered as \
         [`phases.svg`](diagrams/phases.svg).\n\n",
    );
}

fn http(out: &mut String, spec: &Spec) {
    let http = &spec.http;
    out.push_str("## HTTP status order\n\n");
    let _ = writeln!(
        out,
        "Within one round trip to the individualization service, `enHTTPStatus` moves through these states in \
         order (`[http]` of the spec file). `dwHTTPRequest` counts *completed* round trips, so a status is in \
         round trip `dwHTTPRequest` (counting from 0) while it says a state between `{}` and `{}`, in round trip \
         `dwHTTPRequest - 1` when it says `{}`, and in no trip when it says `{}`. From one status of a session to \
         the next, the pair (round trip, HTTP status) never goes backwards: snapshots may skip or repeat states, \
         and a new trip starts only after the previous one completed ([HTTP-PHASE-ORDER](#http-phase-order)).\n",
        http.before_any_trip, http.trip_finished, http.trip_finished, http.before_any_trip
    );
    out.push_str("| position | status | value | round trip of a status saying it |\n|---|---|---|---|\n");
    for (i, s) in http.order.iter().enumerate() {
        let trip = if *s == http.before_any_trip {
            "none (before every trip)"
        } else if *s == http.trip_finished {
            "`dwHTTPRequest - 1` (the trip just counted)"
        } else {
            "`dwHTTPRequest`"
        };
        let _ = writeln!(out, "| {} | `{s}` | `{}` | {trip} |", i + 1, s.value());
    }
    out.push('\n');
    mermaid_block(out, spec, Diagram::Http);
    out.push_str(
        "The same diagram as Graphviz: [`docs/diagrams/http.dot`](diagrams/http.dot), rendered as \
         [`http.svg`](diagrams/http.svg).\n\n",
    );
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn rule_index(out: &mut String, spec: &Spec) {
    out.push_str("## Rules at a glance\n\n| rule | level | basis | statement |\n|---|---|---|---|\n");
    for area in AREAS {
        for r in spec.rules.iter().filter(|r| r.area == *area) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                rule_link(&r.id),
                r.level.name(),
                r.basis.name(),
                cell(&r.statement)
            );
        }
    }
    out.push('\n');
}

fn rule_section(out: &mut String, spec: &Spec, info: &RuleInfo, fixture: Option<&Fixture>) {
    let _ = writeln!(out, "### {}\n", info.id);
    let applies: Vec<String> = info.applies_to.iter().map(|a| format!("`{a}`")).collect();
    let _ = writeln!(out, "**{}** · {} · applies to {}\n", info.level.name(), info.basis.name(), applies.join(", "));
    let _ = writeln!(out, "{}\n", md(&info.statement));
    let c = &info.citation;
    for q in &c.quotes {
        let _ = writeln!(out, "Source: {}:\n\n> {}\n", source_ref(spec, &q.source), md(&q.quote));
    }
    if let Some(reasoning) = &c.reasoning {
        let _ = writeln!(out, "Reasoning: {}\n", md(reasoning));
    }
    if !info.readings.is_empty() {
        out.push_str("Readings:\n\n");
        for r in &info.readings {
            let _ = writeln!(out, "- {}", md(r));
        }
        out.push('\n');
    }
    if let Some(rule) = Rule::from_id(&info.id) {
        let related: Vec<String> = spec
            .interpretations_of(rule)
            .map(|i| format!("[{}](#{})", md(&i.topic), interpretation_anchor(&i.id)))
            .collect();
        if !related.is_empty() {
            let _ = writeln!(out, "Interpretations: {}.\n", related.join("; "));
        }
    }
    let boundaries: Vec<String> = indiv_engine::boundary::CATALOGUE
        .iter()
        .filter(|e| e.rules.contains(&info.id.as_str()))
        .map(|e| format!("`{}`", e.id))
        .collect();
    if !boundaries.is_empty() {
        let _ = writeln!(
            out,
            "Boundary values (the project's [boundary catalogue](CASES.md#boundary-cases)): {}.\n",
            boundaries.join(", ")
        );
    }
    match fixture {
        Some(f) => examples(out, f),
        None => out.push_str("No examples.\n\n"),
    }
}

fn examples(out: &mut String, fixture: &Fixture) {
    let _ = writeln!(out, "Examples ([`{dir}/{file}`](../{dir}/{file})):\n", dir = fixtures::DIR, file = fixture.file);
    for (i, e) in fixture.example.iter().enumerate() {
        let partial = if e.trace().is_some_and(|t| t.partial) { ", partial trace" } else { "" };
        if e.conforming() {
            let _ = writeln!(out, "**Example {}, conforming{partial}:** {}\n", i + 1, md(&e.name));
        } else {
            let expect: Vec<String> = e.expect.iter().map(|x| format!("`{x}`")).collect();
            let _ = writeln!(
                out,
                "**Example {}, violating{partial}:** {}. Expected: {}\n",
                i + 1,
                md(&e.name),
                expect.join(", ")
            );
        }
        match &e.input {
            Input::Trace(t) => {
                let fence = fence_for(&t.trace);
                let _ = writeln!(out, "{fence}json\n{}\n{fence}\n", t.trace.trim_end_matches('\n'));
            }
            Input::Harness(h) => harness_example(out, h),
        }
    }
}

/// A harness rule's example: the status, the session's facts, and the
/// service's log as a table.
fn harness_example(out: &mut String, h: &HarnessInput) {
    let fence = fence_for(&h.status);
    let _ = writeln!(out, "The status the harness received:\n\n{fence}json\n{}\n{fence}\n", h.status);
    let needs = if h.facts.needs_package { "needs" } else { "does not need" };
    let fault = h.fault.map_or("no fault".to_string(), |f| format!("the fault `{}`", f.name()));
    let _ = writeln!(
        out,
        "The session {needs} the package, and its exchanges start at exchange {}. The service returns the response \
         URL `{}` and injects {fault}.\n",
        h.facts.first_exchange, h.facts.response_url
    );
    if h.log.exchanges.is_empty() {
        out.push_str("The service's log is empty.\n\n");
        return;
    }
    out.push_str("The service's log when the status arrived:\n\n");
    out.push_str("| exchange | request | response head | body bytes written | completed |\n|---|---|---|---|---|\n");
    for (index, e) in h.log.exchanges.iter().enumerate() {
        let completed = if e.completed { "yes" } else { "no" };
        let _ = writeln!(
            out,
            "| {index} | {} | {} | {} | {completed} |",
            cell(&h.request_label(index)),
            cell(&fixtures::head_label(e)),
            e.body_written
        );
    }
    out.push('\n');
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn interpretations(out: &mut String, spec: &Spec) {
    out.push_str("## Where the sources disagree or are silent\n\n");
    out.push_str(
        "Each entry is an `[[interpretation]]` of the spec file: what the sources say, what this specification \
         decided, and why. The rules named carry the decision, and their examples show it.\n\n",
    );
    for i in &spec.interpretations {
        let _ = writeln!(out, "<a id=\"{}\"></a>\n", interpretation_anchor(&i.id));
        let _ = writeln!(out, "### {}\n", md(&i.topic));
        let _ = writeln!(out, "- **The sources say:** {}", md(&i.sources_say));
        let _ = writeln!(out, "- **Decision:** {}", md(&i.decision));
        let _ = writeln!(out, "- **Why:** {}", md(&i.why));
        if !i.rules.is_empty() {
            let links: Vec<String> = i.rules.iter().map(|r| rule_link(r)).collect();
            let _ = writeln!(out, "- **Rules:** {}", links.join(", "));
        }
        out.push('\n');
    }
    out.push_str("### Further readings\n\n");
    out.push_str(
        "Besides the [general readings](#general-readings) and the readings of the [session phase \
         table](#session-phases), these are the interpretations single rules make (their `readings`):\n\n",
    );
    for area in AREAS {
        for r in spec.rules.iter().filter(|r| r.area == *area) {
            for reading in &r.readings {
                let _ = writeln!(out, "- {}: {}", rule_link(&r.id), md(reading));
            }
        }
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_github_headings() {
        assert_eq!(slug("Reader path (IWMDRMReader)"), "reader-path-iwmdrmreader");
        assert_eq!(slug("Round trips and progress"), "round-trips-and-progress");
    }

    #[test]
    fn prose_markup_is_escaped() {
        assert_eq!(md("STATUS-*-VALUE <x>"), "STATUS-\\*-VALUE \\<x\\>");
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
