//! `indiv certify`: runs the certification (see `indiv_harness::run`), shows
//! each case as it ends, writes the reports and maps the outcome to an exit
//! status.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use indiv_harness::expect::{Date, EntryStatus, Expectations};
use indiv_harness::run::{CaseOutcome, Counts, MAX_REPEAT, RunObserver, RunOptions, RunSummary};
use indiv_harness::runner::{MAX_RECORDS_LIMIT, ProtocolLimits, named_cases};
use indiv_harness::{CaseResult, Verdict};
use indiv_spec::Spec;
use indiv_spec::text::{one_line, shorten};

use crate::args::{AnnotationsFormat, CertifyArgs};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Most characters of a record quoted under a finding.
const RECORD_CHARS: usize = 160;

/// The longest `--timeout` and `--answer-timeout`: a day. Beyond it a deadline could overflow the
/// clock, and no case needs longer.
const MAX_TIMEOUT_SECONDS: f64 = 86_400.0;

/// Runs `indiv certify`.
pub fn run(spec: &'static Spec, args: CertifyArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    if args.list {
        let cases = named_cases();
        let width = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for case in cases {
            writeln!(out, "{:width$}  {}", case.name, case.about)?;
        }
        return Ok(ExitStatus::Ok);
    }
    if let Some(name) = &args.show {
        let case = indiv_harness::run::case_by_name(name)?;
        out.write_all(case.to_toml()?.as_bytes())?;
        return Ok(ExitStatus::Ok);
    }
    let timeout = seconds("--timeout", args.timeout)?;
    let answer_timeout = seconds("--answer-timeout", args.answer_timeout)?;
    let jobs = match super::checked_jobs(args.jobs)? {
        Some(n) => n,
        // Its log numbers the lines of one testee process.
        None if args.validate_protocol => 1,
        None => super::cores(),
    };
    if let Some(n) = args.repeat.filter(|n| !(1..=MAX_REPEAT).contains(n)) {
        return Err(Error::Usage(format!("--repeat must be from 1 to {MAX_REPEAT}, not {n}")));
    }
    if !(1..=MAX_RECORDS_LIMIT).contains(&args.max_records) {
        return Err(Error::Usage(format!(
            "--max-records must be from 1 to {MAX_RECORDS_LIMIT}, not {}",
            args.max_records
        )));
    }
    let program = if args.program.is_empty() {
        vec![std::env::current_exe()?.into_os_string(), OsString::from("testee")]
    } else {
        args.program.clone()
    };
    let options = RunOptions {
        program,
        program_as_given: args.program,
        case_globs: args.case,
        random: args.random,
        seed: args.seed,
        case_file: args.case_file,
        timeout,
        strict: args.strict,
        case_dir: args.report.clone(),
        validate_protocol: args.validate_protocol,
        limits: ProtocolLimits { answer_timeout, max_records: args.max_records },
        repeat: args.repeat,
        until_fail: args.until_fail,
        fail_fast: args.fail_fast,
        shrink: args.shrink,
        jobs,
        expectations: match (&args.expect, args.update_expectations) {
            // Updating may start from a file that is not there yet.
            (Some(path), true) if !path.exists() => None,
            (Some(path), _) => Some(Expectations::load(path, Date::today())?),
            (None, _) => None,
        },
        interrupted: interrupt_flag(),
    };
    if let Some(dir) = &args.report {
        // Before the first case: a run whose report cannot be written is not
        // worth starting.
        indiv_harness::report::prepare(dir)?;
    }
    // Descendants of the testee that leave its process group are adopted and
    // killed with it. Without it (not Linux, or refused) they may escape;
    // the run is still worth doing.
    let _ = indiv_harness::process::adopt_orphans();
    let repeated = options.repeat.is_some_and(|n| n > 1) || options.until_fail;
    let mut console = Console { out, bar: None, interrupted: Arc::clone(&options.interrupted), repeated };
    let summary = indiv_harness::run::certify(spec, &options, &mut console)?;
    if let Some(bar) = console.bar.take() {
        bar.finish_and_clear();
    }
    let counts = summary.counts();
    // After SIGHUP the terminal may be gone: the report is written first and
    // the console lines are then written as far as they can be.
    let printed = writeln!(
        console.out,
        "{}{}{}{}",
        counts_line(&counts, &summary),
        expectations_line(&summary),
        flaky_line(&summary),
        unexercised_line(spec, &summary)
    );
    if let (Some(path), true) = (&args.expect, args.update_expectations) {
        let failing = summary
            .cases
            .iter()
            .filter(|c| failing_play(&c.result, summary.strict))
            .map(|c| (c.result.name.as_str(), c.result.findings.iter().map(|f| f.rule).collect::<BTreeSet<_>>()));
        let text = indiv_harness::expect::updated(summary.expectations.as_ref(), failing);
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        indiv_harness::report::write_file(dir, &name, text.as_bytes())?;
    }
    if let Some(dir) = &args.report {
        indiv_harness::report::write(spec, dir, &summary)?;
        let generated = options.random.map(|count| indiv_harness::certificate::Generated { seed: options.seed, count });
        indiv_harness::certificate::write(dir, generated)?;
        console.tolerate(printed)?;
        let written = writeln!(console.out, "report written to {}", dir.display());
        console.tolerate(written)?;
    } else {
        console.tolerate(printed)?;
    }
    if args.annotations == Some(AnnotationsFormat::Github) {
        let paths = indiv_harness::report::trace_paths(&summary);
        let commands = indiv_harness::sarif::annotations(&summary, args.report.as_deref(), &paths);
        let written = console.out.write_all(commands.as_bytes());
        console.tolerate(written)?;
    }
    let expectations_fail = summary
        .expectations
        .as_ref()
        .is_some_and(|x| !args.update_expectations && x.statuses().iter().any(|(_, s)| s.fails_run()));
    Ok(match exit_status(&counts, summary.strict, summary.incomplete) {
        ExitStatus::Ok | ExitStatus::ErrorOnly if expectations_fail => ExitStatus::Violation,
        status => status,
    })
}

/// The duration a seconds option gives: a positive number of at most
/// [`MAX_TIMEOUT_SECONDS`].
fn seconds(option: &str, value: f64) -> Result<Duration, Error> {
    if value.is_finite() && value > 0.0 && value <= MAX_TIMEOUT_SECONDS {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::Usage(format!(
            "{option} must be a positive number of seconds, at most {MAX_TIMEOUT_SECONDS}, not {value}"
        )))
    }
}

/// A flag that Ctrl-C (SIGINT), SIGTERM and SIGHUP set: the run stops in the
/// current case (its testee and the testee's descendants are killed) and
/// still reports what it has, marked incomplete.
fn interrupt_flag() -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    // A second handler cannot be installed in one process (tests run several
    // certifications); the first one keeps working.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    interrupted
}

/// The console: one block per case, and a progress bar on a terminal.
struct Console<'o> {
    out: &'o mut dyn Write,
    bar: Option<ProgressBar>,
    /// Set by a signal: console output that fails then (a terminal gone with
    /// SIGHUP) does not stop the run from reporting.
    interrupted: Arc<AtomicBool>,
    /// The run plays its cases more than once: each play says its round.
    repeated: bool,
}

impl Console<'_> {
    /// `written`, or nothing when it failed after an interrupt.
    fn tolerate(&self, written: std::io::Result<()>) -> std::io::Result<()> {
        match written {
            Err(_) if self.interrupted.load(Ordering::SeqCst) => Ok(()),
            other => other,
        }
    }

    /// Shows a case as it ends.
    fn show(&mut self, outcome: &CaseOutcome) -> std::io::Result<()> {
        let result = &outcome.result;
        let round = self.repeated.then_some(outcome.round);
        let text = case_block(outcome, round);
        match &self.bar {
            Some(bar) => {
                if result.verdict != Verdict::Pass {
                    bar.suspend(|| self.out.write_all(text.as_bytes()))?;
                }
                bar.set_message(one_line(&result.name));
                bar.inc(1);
            }
            None => self.out.write_all(text.as_bytes())?,
        }
        Ok(())
    }
}

impl RunObserver for Console<'_> {
    fn planned(&mut self, total: Option<usize>) {
        self.bar = std::io::stderr().is_terminal().then(|| match total {
            Some(total) => {
                let bar = ProgressBar::new(total as u64);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar
            }
            // --until-fail without --repeat: no end is known.
            None => ProgressBar::new_spinner(),
        });
    }

    fn shrinking(&mut self, name: &str, runs: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("shrinking {}: {runs} candidates played", one_line(name)));
        }
    }

    fn case_done(&mut self, outcome: &CaseOutcome) -> std::io::Result<()> {
        let written = self.show(outcome);
        self.tolerate(written)
    }

    fn case_file_written(&mut self, path: &Path, reproduce: &str, reproduces: (usize, usize)) -> std::io::Result<()> {
        let (failed, played) = reproduces;
        let timing = if failed < played { ": its verdict depends on timing" } else { "" };
        let text = format!(
            "minimal case written to {} (reproduces {failed} of {played}{timing})\n  reproduce: {reproduce}\n",
            path.display()
        );
        match &self.bar {
            Some(bar) => bar.suspend(|| self.out.write_all(text.as_bytes())),
            None => self.out.write_all(text.as_bytes()),
        }
    }
}

/// A case's verdict line, each finding with its record and the rule's
/// statement (once per case), the error and the end of the testee's stderr.
/// What the testee wrote, and names from case files, reach the terminal with
/// their control characters escaped: a testee cannot print a fake verdict
/// line or drive the terminal.
fn case_block(outcome: &CaseOutcome, round: Option<u32>) -> String {
    let result = &outcome.result;
    let name = one_line(&result.name);
    let round = round.map_or(String::new(), |r| format!(", round {r}"));
    let mut text = format!("{:9} {name} ({:.2} s{round})\n", result.verdict.as_str(), result.duration.as_secs_f64());
    let mut stated = BTreeSet::new();
    for f in &result.findings {
        let level = f.level.name();
        let _ = writeln!(text, "  {} ({level}) line {}: {}", f.rule, f.line, one_line(&f.message));
        if let Some(record) = &f.record {
            let _ = writeln!(text, "    > {}", one_line(&shorten(record, RECORD_CHARS)));
        }
        for exchange in &f.service_log {
            let _ = writeln!(text, "    service {exchange}");
        }
        // The rule's statement once per case, then only the pointer to it.
        if let (true, Ok(spec)) = (stated.insert(f.rule), Spec::builtin()) {
            let info = spec.rule(f.rule);
            let _ = writeln!(text, "    = {level} ({}): {}", info.basis.name(), info.statement);
        }
        let _ = writeln!(text, "    = indiv explain {}", f.rule);
    }
    if let Some(error) = &result.error {
        let _ = writeln!(text, "  {}", one_line(error));
    }
    for why in outcome.expected.iter().flatten() {
        let _ = writeln!(text, "  expected: {}", one_line(why));
    }
    if !result.stderr.trim().is_empty() {
        for line in stderr_excerpt(&result.stderr) {
            let _ = match line {
                Excerpt::Line(l) => writeln!(text, "  stderr: {}", one_line(l)),
                Excerpt::Skipped(n) => writeln!(text, "  stderr ({n} {} skipped)", plural(n, "line", "lines")),
            };
        }
    }
    text
}

/// How many of the testee's last stderr lines the console shows.
const STDERR_LAST_LINES: usize = 5;

/// One line of the stderr excerpt: a line the testee wrote, or how many were
/// left out there.
#[derive(Debug, PartialEq, Eq)]
enum Excerpt<'a> {
    Line(&'a str),
    Skipped(usize),
}

/// The stderr lines worth showing: the first one that looks like an error
/// (where the trouble began: a traceback's head, a panic message), then the
/// last [`STDERR_LAST_LINES`], each line once, with the number of lines left
/// out between them.
fn stderr_excerpt(stderr: &str) -> Vec<Excerpt<'_>> {
    let lines: Vec<&str> = stderr.lines().collect();
    let tail = lines.len().saturating_sub(STDERR_LAST_LINES);
    let first_error = lines.iter().position(|l| indiv_harness::process::looks_like_error(l));
    let mut shown = Vec::new();
    let mut next = 0;
    if let Some(at) = first_error.filter(|&at| at < tail) {
        if at > 0 {
            shown.push(Excerpt::Skipped(at));
        }
        shown.push(Excerpt::Line(lines[at]));
        next = at + 1;
    }
    if tail > next {
        shown.push(Excerpt::Skipped(tail - next));
    }
    shown.extend(lines[tail.max(next)..].iter().map(|l| Excerpt::Line(l)));
    shown
}

fn plural<'w>(n: usize, one: &'w str, many: &'w str) -> &'w str {
    if n == 1 { one } else { many }
}

fn counts_line(c: &Counts, summary: &RunSummary) -> String {
    format!(
        "{} cases: {} pass, {} nonstrict, {} inconclusive, {} fail, {} error, {} skip{}{}{}",
        c.total(),
        c.pass,
        c.nonstrict,
        c.inconclusive,
        c.fail,
        c.error,
        c.skip,
        if summary.expectations.is_some() { format!(", {} xfail", c.xfail) } else { String::new() },
        if summary.incomplete { " (interrupted: incomplete)" } else { "" },
        if summary.protocol_mismatch { " (stopped at the first protocol mismatch)" } else { "" }
    )
}

/// The cases whose plays came to different verdicts, as a line of its own,
/// or nothing.
fn flaky_line(summary: &RunSummary) -> String {
    let flaky = summary.flaky();
    if flaky.is_empty() {
        return String::new();
    }
    let cases: Vec<String> = flaky
        .iter()
        .map(|f| {
            let verdicts: Vec<String> = f.verdicts.iter().map(|(v, n)| format!("{n} {}", v.as_str())).collect();
            format!("{} ({})", one_line(&f.name), verdicts.join(", "))
        })
        .collect();
    format!("\nflaky: verdicts differ across plays ({}): {}", flaky.len(), cases.join("; "))
}

/// Whether a play fails (or, as XFAIL, would have failed) the run.
fn failing_play(result: &CaseResult, strict: bool) -> bool {
    matches!(result.verdict, Verdict::Fail | Verdict::Error | Verdict::Xfail)
        || (strict && matches!(result.verdict, Verdict::Nonstrict | Verdict::Inconclusive))
}

/// What became of the expectations, as a line of its own, or nothing
/// without `--expect`.
fn expectations_line(summary: &RunSummary) -> String {
    let Some(x) = &summary.expectations else { return String::new() };
    let statuses = x.statuses();
    let count = |f: &dyn Fn(&EntryStatus) -> bool| statuses.iter().filter(|(_, s)| f(s)).count();
    let mut line = format!(
        "\nexpectations ({}): {} met, {} no longer failing (XPASS), {} expired, {} not played",
        one_line(&x.path.to_string_lossy()),
        count(&|s| *s == EntryStatus::Met),
        count(&|s| *s == EntryStatus::NoLongerFails),
        count(&|s| matches!(s, EntryStatus::Expired(_))),
        count(&|s| *s == EntryStatus::NotPlayed),
    );
    for (entry, status) in statuses.iter().filter(|(_, s)| s.fails_run()) {
        let why = match status {
            EntryStatus::Expired(until) => format!("expired on {until}; fix it or move the date"),
            _ => "XPASS: the failure no longer occurs; remove the entry".to_string(),
        };
        line.push_str(&format!("\n  {}: {why}", one_line(&entry.describe())));
    }
    line
}

/// The rules no case exercised (see `indiv_harness::coverage`), as a line
/// of its own, or nothing when every rule was.
fn unexercised_line(spec: &Spec, summary: &RunSummary) -> String {
    let never: Vec<&str> = indiv_harness::coverage::matrix(spec, summary.cases.iter().map(|c| &c.result))
        .into_iter()
        .filter(|row| row.exercised == 0)
        .map(|row| row.rule.id())
        .collect();
    match never.is_empty() {
        true => String::new(),
        false => format!("\nrules no case exercised ({}): {}", never.len(), never.join(", ")),
    }
}

fn exit_status(c: &Counts, strict: bool, incomplete: bool) -> ExitStatus {
    if incomplete {
        ExitStatus::Interrupted
    } else if c.fail > 0 || (strict && (c.nonstrict > 0 || c.inconclusive > 0)) {
        ExitStatus::Violation
    } else if c.error > 0 {
        ExitStatus::ErrorOnly
    } else {
        ExitStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::Excerpt::{Line, Skipped};
    use super::{Excerpt, stderr_excerpt};

    #[test]
    fn the_stderr_excerpt_shows_the_first_error_line_and_the_last_lines_once() {
        let many: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let cases: &[(&str, String, Vec<Excerpt<'_>>)] = &[
            ("empty", String::new(), vec![]),
            ("short, no error", "a\nb\n".into(), vec![Line("a"), Line("b")]),
            (
                "long, no error",
                many.clone(),
                vec![Skipped(15), Line("line 16"), Line("line 17"), Line("line 18"), Line("line 19"), Line("line 20")],
            ),
            (
                "traceback first",
                format!("Traceback (most recent call last):\n{many}"),
                vec![
                    Line("Traceback (most recent call last):"),
                    Skipped(15),
                    Line("line 16"),
                    Line("line 17"),
                    Line("line 18"),
                    Line("line 19"),
                    Line("line 20"),
                ],
            ),
            (
                "error after a few lines, any case",
                format!("start\nready\nthread 'main' PANICKED at x\n{many}"),
                vec![
                    Skipped(2),
                    Line("thread 'main' PANICKED at x"),
                    Skipped(15),
                    Line("line 16"),
                    Line("line 17"),
                    Line("line 18"),
                    Line("line 19"),
                    Line("line 20"),
                ],
            ),
            (
                "error right before the last lines: nothing skipped between",
                "a\nError: x\n1\n2\n3\n4\n5\n".into(),
                vec![Skipped(1), Line("Error: x"), Line("1"), Line("2"), Line("3"), Line("4"), Line("5")],
            ),
            (
                "error among the last lines: shown once",
                "a\nb\nc\nexception\nd\n".into(),
                vec![Line("a"), Line("b"), Line("c"), Line("exception"), Line("d")],
            ),
        ];
        for (what, stderr, expected) in cases {
            assert_eq!(&stderr_excerpt(stderr), expected, "{what}");
        }
    }
}
