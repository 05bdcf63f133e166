//! A certify run's findings for code-scanning tools: `results.sarif` in the
//! report directory (SARIF 2.1.0, one result per finding, located at the
//! case's trace file `traces/NAME.jsonl` and the finding's line) and GitHub
//! Actions workflow commands for the console (`indiv certify --annotations
//! github`), one per finding and one per case that errored.

use std::path::Path;

use indiv_spec::Spec;
use indiv_spec::sarif::{self, Location};
use indiv_spec::text::{shorten, workflow_command};
use serde_json::json;

use crate::run::RunSummary;
use crate::runner::Verdict;

/// Most characters of a record quoted in a result's snippet.
const SNIPPET_CHARS: usize = indiv_spec::monitor::QUOTE_CHARS;

/// `results.sarif`: every finding of every case as a result, at
/// `trace_paths[i]` (the trace file of case `i`, relative to the report
/// directory, as [`crate::report::trace_paths`] names it); each case that
/// errored as a notification of the run's invocation, which is unsuccessful
/// when the run was interrupted or stopped at a protocol mismatch.
pub fn results(spec: &Spec, summary: &RunSummary, trace_paths: &[Option<String>]) -> String {
    let mut out = sarif::log_start(spec, env!("CARGO_PKG_VERSION"));
    let mut first = true;
    let mut notifications = Vec::new();
    for (outcome, path) in summary.cases.iter().zip(trace_paths) {
        let r = &outcome.result;
        let uri = path.as_deref().and_then(sarif::artifact_uri);
        for f in &r.findings {
            let snippet = f.record.as_deref().map(|t| shorten(t, SNIPPET_CHARS));
            let at = Location { uri: uri.as_deref(), line: f.line, snippet: snippet.as_deref() };
            let mut properties = json!({"case": r.name, "verdict": r.verdict.as_str(), "round": outcome.round});
            if !f.service_log.is_empty() {
                properties["serviceLog"] = json!(f.service_log);
            }
            let result = sarif::result(spec, f.rule, &f.message, at, properties);
            if !std::mem::take(&mut first) {
                out.push(',');
            }
            out.push_str(&result.to_string());
        }
        if let (Verdict::Error, Some(error)) = (r.verdict, &r.error) {
            let at = uri.as_deref().map(|uri| Location { uri: Some(uri), line: 1, snippet: None });
            notifications.push(sarif::notification(&format!("case {}: {error}", r.name), at));
        }
    }
    out.push_str(&sarif::log_end(&notifications, !summary.incomplete && !summary.protocol_mismatch));
    out
}

/// GitHub workflow commands for a run: per finding an `::error` (a `must`
/// rule) or `::warning` (a `should` rule) titled with the rule id, whose
/// message names the case; at `REPORT/traces/NAME.jsonl` and the finding's
/// line when the run writes a report (`report` and `trace_paths`, as
/// [`crate::report::trace_paths`] names them), else without a file. Per case
/// that errored, an `::error` titled with the case's name. Everything from
/// outside (names, messages, paths) is escaped: a command stays one line.
pub fn annotations(summary: &RunSummary, report: Option<&Path>, trace_paths: &[Option<String>]) -> String {
    let mut out = String::new();
    for (outcome, path) in summary.cases.iter().zip(trace_paths) {
        let r = &outcome.result;
        let file = report.zip(path.as_deref()).map(|(dir, path)| dir.join(path).display().to_string());
        for f in &r.findings {
            let kind = match f.level {
                indiv_spec::Level::Must => "error",
                indiv_spec::Level::Should => "warning",
            };
            let message = format!("case {}: {}", r.name, f.message);
            let line = file.is_some().then_some(f.line);
            let message = if file.is_some() { message } else { format!("{message} (trace line {})", f.line) };
            out.push_str(&workflow_command(kind, file.as_deref(), line, f.rule.id(), &message));
        }
        if let (Verdict::Error, Some(error)) = (r.verdict, &r.error) {
            out.push_str(&workflow_command("error", None, None, &format!("{} ERROR", r.name), error));
        }
    }
    out
}
