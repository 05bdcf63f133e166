//! Drives the streaming monitor over one input for `indiv check`: reads,
//! judges, counts per rule, and hands each finding to the caller as it is
//! found (at most `--max-violations` of them), with the text of its line.
//! Nothing is kept per violation: memory is a fixed budget plus what the
//! monitor keeps per open session, whatever the number of violations
//! (ARCHITECTURE.md, "Bounded memory").

use std::collections::BTreeMap;
use std::io::BufRead;

use indiv_spec::reader::{Line, TraceReader};
use indiv_spec::record::Record;
use indiv_spec::{CheckOptions, Level, Monitor, Note, Rule, Spec, Violation};

pub mod parallel;
pub mod render;
pub mod sarif;

/// Where `check_input` takes its lines from: a [`TraceReader`] on the calling
/// thread, or [`parallel::ParallelReader`]'s threads. Both give the same
/// lines and the same first error, and stop there.
pub trait Lines {
    /// The next line, `None` at the end of the trace.
    fn next_line(&mut self) -> Result<Option<Line<'_>>, indiv_spec::Error>;
    /// How many records have been read.
    fn records(&self) -> u64;
}

impl<R: BufRead> Lines for TraceReader<R> {
    fn next_line(&mut self) -> Result<Option<Line<'_>>, indiv_spec::Error> {
        TraceReader::next_line(self)
    }

    fn records(&self) -> u64 {
        TraceReader::records(self)
    }
}

/// How to judge.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckConfig {
    /// `should` rules fail the trace too.
    pub strict: bool,
    /// The trace may stop anywhere.
    pub partial: bool,
    /// Show at most this many violations per input; the rest are counted.
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

/// What checking one input found: counts, never the violations themselves,
/// which went to the caller as they were found.
#[derive(Debug)]
pub struct FileResult {
    /// The input's name as given (`-` for standard input).
    pub name: String,
    /// Records read before the end (or the input error).
    pub records: u64,
    /// Violations handed to the caller, at most `max_violations`.
    pub shown: u64,
    /// Violations of each rule, all of them, shown or not.
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

    /// Violations found but not shown.
    pub fn dropped(&self) -> u64 {
        self.must + self.should - self.shown
    }
}

/// What sees each shown violation with the text of its line, and may fail
/// (the output cannot be written).
pub type Found<'f, E> = dyn FnMut(&Violation, Option<&str>) -> Result<(), E> + 'f;

/// Checks one input. `found` sees every shown violation as it is found, in
/// the order found (end-of-trace findings last, in line order), with the
/// text of its line: the record being read, or the quote the monitor kept
/// with the obligation. When `found` fails (the output cannot be written),
/// reading stops at once and its error is returned.
pub fn check_input<R: BufRead, E>(
    spec: &Spec,
    name: &str,
    input: R,
    config: CheckConfig,
    found: &mut Found<'_, E>,
) -> Result<FileResult, E> {
    check_lines(spec, name, TraceReader::new(input), config, found, &mut |_, _| {})
}

/// [`check_input`] over the lines of `reader`, with `seen` shown every
/// record read, with its line number, before its violations (what
/// `--format html` draws).
pub fn check_lines<L: Lines, E>(
    spec: &Spec,
    name: &str,
    mut reader: L,
    config: CheckConfig,
    found: &mut Found<'_, E>,
    seen: &mut dyn FnMut(usize, &Record<'_>),
) -> Result<FileResult, E> {
    let mut result = FileResult {
        name: name.to_string(),
        records: 0,
        shown: 0,
        per_rule: BTreeMap::new(),
        must: 0,
        should: 0,
        notes: Vec::new(),
        notes_dropped: 0,
        error: None,
    };
    let mut monitor = Monitor::new(spec, CheckOptions { partial: config.partial });
    loop {
        let line = match reader.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                result.error = Some(e);
                break;
            }
        };
        seen(line.number, &line.record);
        monitor.feed_quoted(line.number, &line.record, line.text);
        for v in monitor.drain_violations() {
            let text = v.quote.as_deref().or((v.line == line.number).then_some(line.text));
            keep(spec, &mut result, config, &v, text, found)?;
        }
        keep_notes(&mut result, monitor.drain_notes());
    }
    result.records = reader.records();
    if result.error.is_none() {
        let mut failed = None;
        let notes = monitor.finish_each(&mut |v| {
            if failed.is_none() {
                failed = keep(spec, &mut result, config, &v, v.quote.as_deref(), found).err();
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        keep_notes(&mut result, notes);
    }
    Ok(result)
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

fn keep<E>(
    spec: &Spec,
    result: &mut FileResult,
    config: CheckConfig,
    v: &Violation,
    text: Option<&str>,
    found: &mut Found<'_, E>,
) -> Result<(), E> {
    *result.per_rule.entry(v.rule).or_default() += 1;
    match spec.rule(v.rule).level {
        Level::Must => result.must += 1,
        Level::Should => result.should += 1,
    }
    if config.max_violations.is_none_or(|max| result.shown < max as u64) {
        result.shown += 1;
        found(v, text)?;
    }
    Ok(())
}

/// The human report of one in-memory trace: what `indiv check` prints for it.
pub fn human_report(spec: &Spec, name: &str, text: &str, config: CheckConfig) -> (String, FileResult) {
    let mut out = String::new();
    let result = check_input(spec, name, text.as_bytes(), config, &mut |v, line_text| {
        out.push_str(&render::human_violation(spec, name, v, line_text));
        Ok::<(), std::convert::Infallible>(())
    });
    let result = match result {
        Ok(result) => result,
        Err(never) => match never {},
    };
    out.push_str(&render::human_summary(&result, config.strict));
    (out, result)
}
