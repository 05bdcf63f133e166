//! SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format) for
//! the rules of the spec: the pieces of a log that `indiv check --format
//! sarif` streams and `indiv certify --report` writes as `results.sarif`.
//!
//! A log is written in three pieces so that nothing is kept per result:
//! [`log_start`] (the log, its one run and the tool with every rule of the
//! spec, up to the opening of the `results` array), one [`result`] per
//! finding as it is found, and [`log_end`] (closing the array, then the
//! run's invocation with its notifications). Rules are described from the
//! spec: `shortDescription` is the statement, `fullDescription` and `help`
//! carry the citation (each quotation verbatim, with its source, and the
//! reasoning); `must` maps to the SARIF level `error`, `should` to
//! `warning`.

use serde_json::{Value, json};

use crate::catalog::{Level, Rule, RuleInfo, Spec};

/// The SARIF version written.
pub const VERSION: &str = "2.1.0";

/// The schema a log names in `$schema`: the OASIS standard's, errata 01.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF level of a result breaking a rule of `level`.
pub fn level(level: Level) -> &'static str {
    match level {
        Level::Must => "error",
        Level::Should => "warning",
    }
}

/// Where a result is: a trace file (its URI reference, see
/// [`artifact_uri`]; `None` for standard input) and a 1-based line, with the
/// text of that line when known.
#[derive(Clone, Copy, Debug)]
pub struct Location<'a> {
    /// The trace file's URI reference, or `None` for standard input.
    pub uri: Option<&'a str>,
    /// The 1-based line.
    pub line: usize,
    /// The text of the line (as quoted by the checker), if known.
    pub snippet: Option<&'a str>,
}

/// A path as a SARIF artifact URI: a relative path stays a relative
/// reference, an absolute one becomes a `file://` URI; every byte but the
/// unreserved characters of RFC 3986 and `/` is percent-encoded (so a `:` in
/// a file name cannot read as a scheme, and `%`, `#`, `?` and spaces stay
/// part of the path). `-` (standard input) has none.
pub fn artifact_uri(path: &str) -> Option<String> {
    if path == "-" || path.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(path.len() + 8);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// The citation of a rule as plain text: each quotation verbatim with its
/// source, then the reasoning, one a line.
fn citation_text(spec: &Spec, info: &RuleInfo) -> String {
    let mut lines = Vec::new();
    for q in &info.citation.quotes {
        match spec.source(&q.source) {
            Some(s) => lines.push(format!("\"{}\" ({}, spec/sources/{})", q.quote, s.title, s.file)),
            None => lines.push(format!("\"{}\" ({})", q.quote, q.source)),
        }
    }
    if let Some(reasoning) = &info.citation.reasoning {
        lines.push(format!("Reasoning: {reasoning}"));
    }
    lines.join("\n")
}

/// The citation of a rule as Markdown: each quotation as a block quote with
/// its source, then the reasoning.
fn citation_markdown(spec: &Spec, info: &RuleInfo) -> String {
    let mut parts = Vec::new();
    for q in &info.citation.quotes {
        let source =
            spec.source(&q.source).map_or(q.source.clone(), |s| format!("{} (`spec/sources/{}`)", s.title, s.file));
        parts.push(format!("> {}\n\n— {source}", q.quote.replace('\n', "\n> ")));
    }
    if let Some(reasoning) = &info.citation.reasoning {
        parts.push(format!("Reasoning: {reasoning}"));
    }
    parts.join("\n\n")
}

/// The reporting descriptor of one rule.
fn descriptor(spec: &Spec, rule: Rule) -> Value {
    let info = spec.rule(rule);
    let citation = citation_text(spec, info);
    let heading = format!("{} ({}, {}): {}", rule, info.level.name(), info.basis.name(), info.statement);
    json!({
        "id": rule.id(),
        "shortDescription": {"text": info.statement},
        "fullDescription": {"text": format!("{}\n{citation}", info.statement)},
        "help": {
            "text": format!("{heading}\n{citation}\nMore: indiv explain {rule}"),
            "markdown": format!(
                "**{}** ({}, {}): {}\n\n{}\n\nMore: `indiv explain {rule}`",
                rule,
                info.level.name(),
                info.basis.name(),
                info.statement,
                citation_markdown(spec, info)
            ),
        },
        "defaultConfiguration": {"level": level(info.level)},
        "properties": {"level": info.level.name(), "basis": info.basis.name(), "tags": [info.area.title()]},
    })
}

/// The index of `rule` in the driver's `rules` (the order of [`Rule::ALL`]).
fn rule_index(rule: Rule) -> usize {
    // Every rule is in `Rule::ALL`, so the default is never taken.
    Rule::ALL.iter().position(|r| *r == rule).unwrap_or(0)
}

/// The start of a log up to the opening of its one run's `results` array:
/// `$schema`, `version`, the tool (`indiv`, `tool_version`, every rule of
/// the spec in [`Rule::ALL`] order) and the spec's version and hash in the
/// run's properties.
pub fn log_start(spec: &Spec, tool_version: &str) -> String {
    let rules: Vec<Value> = Rule::ALL.iter().map(|r| descriptor(spec, *r)).collect();
    let driver = json!({"name": "indiv", "version": tool_version, "rules": rules});
    let properties = json!({"spec": {"version": spec.version, "hash": spec.hash}});
    format!(
        "{{\"$schema\":{},\"version\":\"{VERSION}\",\"runs\":[{{\"tool\":{{\"driver\":{driver}}},\"properties\":{properties},\"results\":[",
        json!(SCHEMA_URI)
    )
}

/// One result, breaking `rule` (with its level) at `at`, as a JSON value;
/// `properties` are added to its property bag when not empty.
pub fn result(spec: &Spec, rule: Rule, message: &str, at: Location<'_>, properties: Value) -> Value {
    result_of(rule, level(spec.rule(rule).level), None, message, at, properties)
}

/// A rule that could not be judged at `at` (the checker's notes): a result
/// of kind `notApplicable` and level `none`.
pub fn not_applicable(rule: Rule, message: &str, at: Location<'_>) -> Value {
    result_of(rule, "none", Some("notApplicable"), message, at, Value::Null)
}

fn result_of(rule: Rule, level: &str, kind: Option<&str>, message: &str, at: Location<'_>, properties: Value) -> Value {
    let mut artifact = serde_json::Map::new();
    match at.uri {
        Some(uri) => artifact.insert("uri".into(), json!(uri)),
        None => artifact.insert("description".into(), json!({"text": "standard input"})),
    };
    let mut region = json!({"startLine": at.line.max(1)});
    if let Some(text) = at.snippet {
        region["snippet"] = json!({"text": text});
    }
    let mut o = json!({
        "ruleId": rule.id(),
        "ruleIndex": rule_index(rule),
        "level": level,
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
    });
    if let Some(kind) = kind {
        o["kind"] = json!(kind);
    }
    if properties.as_object().is_some_and(|p| !p.is_empty()) {
        o["properties"] = properties;
    }
    o
}

/// A notification of the run's invocation: something went wrong outside
/// the rules (an unreadable input, a case that errored), at a location when
/// there is one.
pub fn notification(message: &str, at: Option<Location<'_>>) -> Value {
    let mut o = json!({"level": "error", "message": {"text": message}});
    if let Some(at) = at {
        let mut artifact = serde_json::Map::new();
        match at.uri {
            Some(uri) => artifact.insert("uri".into(), json!(uri)),
            None => artifact.insert("description".into(), json!({"text": "standard input"})),
        };
        o["locations"] =
            json!([{"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": at.line.max(1)}}}]);
    }
    o
}

/// The end of a log after its results: the run's invocation (successful
/// when nothing stopped the tool from judging every input, with the
/// notifications of what did) and the closing brackets, then a line end.
pub fn log_end(notifications: &[Value], successful: bool) -> String {
    let invocation = if notifications.is_empty() {
        json!({"executionSuccessful": successful})
    } else {
        json!({"executionSuccessful": successful, "toolExecutionNotifications": notifications})
    };
    format!("],\"invocations\":[{invocation}]}}]}}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_percent_encode_all_but_unreserved_characters() {
        assert_eq!(artifact_uri("traces/a-b_c.jsonl").as_deref(), Some("traces/a-b_c.jsonl"));
        assert_eq!(artifact_uri("a,b:c d%.jsonl").as_deref(), Some("a%2Cb%3Ac%20d%25.jsonl"));
        assert_eq!(artifact_uri("/tmp/é").as_deref(), Some("file:///tmp/%C3%A9"));
        assert_eq!(artifact_uri("-"), None);
    }

    #[test]
    fn a_log_in_pieces_is_one_json_document_with_every_rule() {
        let spec = Spec::builtin().expect("the built-in spec loads");
        let at = Location { uri: Some("t.jsonl"), line: 3, snippet: Some("{}") };
        let r = result(spec, Rule::SessionEnds, "m", at, json!({"session": 1}));
        let text =
            format!("{}{r},{}{}", log_start(spec, "0"), not_applicable(Rule::SessionEnds, "n", at), log_end(&[], true));
        let log: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"].as_array().map(Vec::len), Some(Rule::ALL.len()));
        assert_eq!(log["runs"][0]["results"][0]["ruleId"], "SESSION-ENDS");
        assert_eq!(log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
        assert_eq!(log["runs"][0]["results"][1]["kind"], "notApplicable");
    }
}
