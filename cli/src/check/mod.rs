//! Drives the streaming monitor over one input for `indiv check`: reads,
//! judges, counts per rule, keeps at most `--max-violations` findings, and
//! hands each finding to the caller as it is found, with the text of its line
//! when that line is at hand.

use std::collections::BTreeMap;
use std::io::BufRead;

use indiv_spec::reader::TraceReader;
use indiv_spec::record::{Body, Call};
use indiv_spec::{CheckOptions, Level, Monitor, Note, Rule, Spec, Violation};

pub mod render;

/// How to judge.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckConfig {
    /// `should` rules fail the trace too.
    pub strict: bool,
    /// The trace may stop anywhere.
    pub partial: bool,
    /// Keep (and print) at most this many violations per input; the rest are counted.
    pub max_violations: Option<usize>,
}

/// The verdict on one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileVerdict {
    /// No rule that counts was broken.
    Pass,
    /// A rule that counts was broken.
    Fail,
    /// The input is not a readable trace.
    Error,
}

impl FileVerdict {
    /// `pass`, `fail` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileVerdict::Pass => "pass",
            FileVerdict::Fail => "fail",
            FileVerdict::Error => "error",
        }
    }
}

/// What checking one input found.
#[derive(Debug)]
pub struct FileResult {
    /// The input's name as given (`-` for standard input).
    pub name: String,
    /// Records read before the end (or the input error).
    pub records: u64,
    /// Violations kept, at most `max_violations`.
    pub violations: Vec<Violation>,
    /// Violations of each rule, all of them, kept or not.
    pub per_rule: BTreeMap<Rule, u64>,
    /// `must` violations in all.
    pub must: u64,
    /// `should` violations in all.
    pub should: u64,
    /// Where a rule could not be judged (at most [`MAX_NOTES`]).
    pub notes: Vec<Note>,
    /// Notes made but not kept.
    pub notes_dropped: u64,
    /// Why the input could not be read to its end, if it could not.
    pub error: Option<indiv_spec::Error>,
}

impl FileResult {
    /// The verdict under `strict`.
    pub fn verdict(&self, strict: bool) -> FileVerdict {
        if self.error.is_some() {
            FileVerdict::Error
        } else if self.must > 0 || (strict && self.should > 0) {
            FileVerdict::Fail
        } else {
            FileVerdict::Pass
        }
    }

    /// Violations found but not kept.
    pub fn dropped(&self) -> u64 {
        self.must + self.should - self.violations.len() as u64
    }
}

/// Checks one input. `found` sees every kept violation as it is found, with
/// the text of its line when that is at hand (the current line, or the last
/// `Open`); end-of-trace findings come with `None`.
pub fn check_input<R: BufRead>(
    spec: &Spec,
    name: &str,
    input: R,
    config: CheckConfig,
    found: &mut dyn FnMut(&Violation, Option<&str>),
) -> FileResult {
    let mut result = FileResult {
        name: name.to_string(),
        records: 0,
        violations: Vec::new(),
        per_rule: BTreeMap::new(),
        must: 0,
        should: 0,
        notes: Vec::new(),
        notes_dropped: 0,
        error: None,
    };
    let mut reader = TraceReader::new(input);
    let mut monitor = Monitor::new(spec, CheckOptions { partial: config.partial });
    // The monitor reports a missing WMT_NEEDS_INDIVIDUALIZATION at the next
    // call, pointing back at the Open: keep that one line's text at hand.
    let mut last_open: Option<(usize, String)> = None;
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                result.error = Some(e);
                break;
            }
        };
        monitor.feed(line.number, &line.record);
        for v in monitor.drain_violations() {
            let text = if v.line == line.number {
                Some(line.text)
            } else {
                last_open.as_ref().filter(|(n, _)| *n == v.line).map(|(_, t)| t.as_str())
            };
            keep(spec, &mut result, config, v, text, found);
        }
        keep_notes(&mut result, monitor.drain_notes());
        if let Body::Call { call: Call::Open { .. }, .. } = line.record.body {
            last_open = Some((line.number, line.text.to_string()));
        }
    }
    result.records = reader.records();
    if result.error.is_none() {
        let (violations, notes) = monitor.finish();
        for v in violations {
            keep(spec, &mut result, config, v, None, found);
        }
        keep_notes(&mut result, notes);
    }
    result
}

/// Notes kept per input; the rest are counted. A note per `Open` of unknown
/// version would otherwise grow with the trace.
pub const MAX_NOTES: usize = 100;

fn keep_notes(result: &mut FileResult, notes: impl IntoIterator<Item = Note>) {
    for note in notes {
        if result.notes.len() < MAX_NOTES {
            result.notes.push(note);
        } else {
            result.notes_dropped += 1;
        }
    }
}

fn keep(
    spec: &Spec,
    result: &mut FileResult,
    config: CheckConfig,
    v: Violation,
    text: Option<&str>,
    found: &mut dyn FnMut(&Violation, Option<&str>),
) {
    *result.per_rule.entry(v.rule).or_default() += 1;
    match spec.rule(v.rule).level {
        Level::Must => result.must += 1,
        Level::Should => result.should += 1,
    }
    if config.max_violations.is_none_or(|max| result.violations.len() < max) {
        found(&v, text);
        result.violations.push(v);
    }
}

/// The human report of one in-memory trace, end-of-trace findings quoted
/// too: what `indiv check` prints for it.
pub fn human_report(spec: &Spec, name: &str, text: &str, config: CheckConfig) -> (String, FileResult) {
    let mut out = String::new();
    let mut late = Vec::new();
    let result = check_input(spec, name, text.as_bytes(), config, &mut |v, line_text| match line_text {
        Some(t) => out.push_str(&render::human_violation(spec, name, v, Some(t))),
        None => late.push(v.clone()),
    });
    let lines: Vec<&str> = text.lines().collect();
    for v in &late {
        let line_text = lines.get(v.line.wrapping_sub(1)).map(|t| t.trim_end_matches('\r'));
        out.push_str(&render::human_violation(spec, name, v, line_text));
    }
    out.push_str(&render::human_summary(&result, config.strict));
    (out, result)
}
