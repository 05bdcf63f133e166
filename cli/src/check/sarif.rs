//! `indiv check --format sarif` and `--format github`: the pieces of a SARIF
//! 2.1.0 log (one run over every input, one result per violation, written
//! as it is found) and GitHub Actions workflow commands (one per violation).
//! Like the other formats, nothing is kept per violation; the SARIF log keeps
//! only one notification per input that could not be read, for its
//! invocation at the end.

use indiv_spec::monitor::QUOTE_CHARS;
use indiv_spec::sarif::{self, Location};
use indiv_spec::text::{shorten, workflow_command};
use indiv_spec::{Level, Spec, Violation};
use serde_json::{Value, json};

use super::FileResult;

/// What a SARIF log needs to remember across inputs: whether a result has
/// been written (commas), and what went wrong outside the rules.
#[derive(Debug, Default)]
pub struct SarifLog {
    written: bool,
    notifications: Vec<Value>,
}

impl SarifLog {
    /// The start of the log: the tool with every rule of the spec, up to its
    /// results.
    pub fn start(spec: &Spec) -> String {
        sarif::log_start(spec, env!("CARGO_PKG_VERSION"))
    }

    /// One violation of input `name`, with the text of its line if known.
    pub fn violation(&mut self, spec: &Spec, name: &str, v: &Violation, text: Option<&str>) -> String {
        let uri = sarif::artifact_uri(name);
        let snippet = text.map(|t| shorten(t, QUOTE_CHARS));
        let at = Location { uri: uri.as_deref(), line: v.line, snippet: snippet.as_deref() };
        let mut properties = json!({});
        if let Some(n) = v.session {
            properties["session"] = json!(n);
        }
        if let Some(ts) = &v.ts {
            properties["ts"] = json!(ts);
        }
        let result = sarif::result(spec, v.rule, &v.message, at, properties);
        self.piece(result)
    }

    /// What follows an input's violations: its notes, as results of kind
    /// `notApplicable`; an input error is remembered for the invocation.
    pub fn input_end(&mut self, result: &FileResult) -> String {
        let uri = sarif::artifact_uri(&result.name);
        let mut out = String::new();
        for note in &result.notes {
            let at = Location { uri: uri.as_deref(), line: note.line, snippet: None };
            out.push_str(&self.piece(sarif::not_applicable(note.rule, &note.message, at)));
        }
        if let Some(e) = &result.error {
            let line = e.position().map_or(1, |(line, _)| line);
            let at = Location { uri: uri.as_deref(), line, snippet: None };
            self.notifications.push(sarif::notification(&format!("{}:{e}", result.name), Some(at)));
        }
        out
    }

    /// Remembers an input that could not be opened.
    pub fn unreadable(&mut self, message: &str) {
        self.notifications.push(sarif::notification(message, None));
    }

    /// The end of the log.
    pub fn end(&self) -> String {
        sarif::log_end(&self.notifications, self.notifications.is_empty())
    }

    fn piece(&mut self, result: Value) -> String {
        if std::mem::replace(&mut self.written, true) { format!(",{result}") } else { result.to_string() }
    }
}

/// One violation as a GitHub workflow command: `::error` for a `must` rule,
/// `::warning` for a `should` rule, at the input's path and the line, titled
/// with the rule id. Standard input has no file.
pub fn github_violation(spec: &Spec, name: &str, v: &Violation) -> String {
    let kind = match spec.rule(v.rule).level {
        Level::Must => "error",
        Level::Should => "warning",
    };
    let file = (name != "-").then_some(name);
    workflow_command(kind, file, Some(v.line), v.rule.id(), &v.message)
}

/// An input that is not a readable trace, as a workflow command at the line
/// where reading stopped.
pub fn github_input_error(result: &FileResult) -> String {
    match &result.error {
        Some(e) => {
            let file = (result.name != "-").then_some(result.name.as_str());
            let line = e.position().map(|(line, _)| line);
            workflow_command("error", file, line, "not a readable trace", &e.to_string())
        }
        None => String::new(),
    }
}
