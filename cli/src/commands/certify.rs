//! `indiv certify`: runs the certification (see `indiv_harness::run`), shows
//! each case as it ends, writes the reports and maps the outcome to an exit
//! status.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use indiv_harness::expect::{Date, EntryStatus, Expectations};
use indiv_harness::matrix::{EngineRun, Matrix};
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
    if let Some(certificate) = &args.verify {
        return super::report::verify(certificate, out);
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
    let checked = Checked { timeout, limits: ProtocolLimits { answer_timeout, max_records: args.max_records }, jobs };
    if !args.engine.is_empty() {
        return matrix(spec, &args, &checked, out);
    }
    let expect = match args.expect.as_slice() {
        [] => None,
        [path] => Some(path.as_path()),
        _ => return Err(Error::Usage("--expect is given once, unless each is NAME=FILE for an --engine".into())),
    };
    let engine = EngineCommand { name: None, program_as_given: args.program.clone() };
    let run = certify_engine(spec, &args, &checked, &engine, args.report.as_deref(), expect, interrupt_flag(), out)?;
    Ok(run.0)
}

/// The options every engine of a run shares, checked.
struct Checked {
    timeout: Duration,
    limits: ProtocolLimits,
    jobs: usize,
}

/// An engine to certify: its name under `--engine`, and its program as
/// given (empty: the built-in reference engine).
struct EngineCommand {
    name: Option<String>,
    program_as_given: Vec<OsString>,
}

/// Certifies one engine as `indiv certify` without `--engine` does: plays
/// the cases, prints them, writes the reports into `report` and updates the
/// expectations; its exit status and run. Under `--engine`, the counts line
/// and the progress bar name the engine.
#[allow(clippy::too_many_arguments)]
fn certify_engine(
    spec: &'static Spec,
    args: &CertifyArgs,
    checked: &Checked,
    engine: &EngineCommand,
    report: Option<&Path>,
    expect: Option<&Path>,
    interrupted: Arc<AtomicBool>,
    out: &mut dyn Write,
) -> Result<(ExitStatus, RunSummary), Error> {
    let program = if engine.program_as_given.is_empty() {
        vec![std::env::current_exe()?.into_os_string(), OsString::from("testee")]
    } else {
        engine.program_as_given.clone()
    };
    let options = RunOptions {
        program,
        program_as_given: engine.program_as_given.clone(),
        case_globs: args.case.clone(),
        random: args.random,
        chaos: args.chaos,
        seed: args.seed,
        case_file: args.case_file.clone(),
        timeout: checked.timeout,
        strict: args.strict,
        case_dir: report.map(Path::to_path_buf),
        validate_protocol: args.validate_protocol,
        limits: checked.limits,
        repeat: args.repeat,
        until_fail: args.until_fail,
        fail_fast: args.fail_fast,
        shrink: args.shrink,
        jobs: checked.jobs,
        expectations: match (expect, args.update_expectations) {
            // Updating may start from a file that is not there yet.
            (Some(path), true) if !path.exists() => None,
            (Some(path), _) => Some(Expectations::load(path, Date::today())?),
            (None, _) => None,
        },
        interrupted,
    };
    if let Some(dir) = report {
        // Before the first case: a run whose report cannot be written is not
        // worth starting.
        indiv_harness::report::prepare(dir)?;
    }
    // Descendants of the testee that leave its process group are adopted and
    // killed with it. Without it (not Linux, or refused) they may escape;
    // the run is still worth doing.
    let _ = indiv_harness::process::adopt_orphans();
    let repeated = options.repeat.is_some_and(|n| n > 1) || options.until_fail;
    let label = engine.name.clone();
    let mut console = Console { out, bar: None, interrupted: Arc::clone(&options.interrupted), repeated, label };
    let summary = indiv_harness::run::certify(spec, &options, &mut console)?;
    if let Some(bar) = console.bar.take() {
        bar.finish_and_clear();
    }
    let counts = summary.counts();
    // After SIGHUP the terminal may be gone: the report is written first and
    // the console lines are then written as far as they can be.
    let printed = writeln!(
        console.out,
        "{}{}{}{}{}{}",
        engine.name.as_ref().map_or(String::new(), |name| format!("{name}: ")),
        counts_line(&counts, &summary),
        expectations_line(&summary),
        flaky_line(&summary),
        unexercised_line(spec, &summary),
        boundary_line(&summary)
    );
    if let (Some(path), true) = (expect, args.update_expectations) {
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
    if let Some(dir) = report {
        indiv_harness::report::write(spec, dir, &summary)?;
        let generated =
            (options.random.is_some() || options.chaos.is_some()).then(|| indiv_harness::certificate::Generated {
                seed: options.seed,
                count: options.random.unwrap_or(0),
                chaos: options.chaos.unwrap_or(0),
            });
        indiv_harness::certificate::write(dir, generated)?;
        console.tolerate(printed)?;
        let written = writeln!(console.out, "report written to {}", dir.display());
        console.tolerate(written)?;
    } else {
        console.tolerate(printed)?;
    }
    if args.annotations == Some(AnnotationsFormat::Github) {
        let paths = indiv_harness::report::trace_paths(&summary);
        let commands = indiv_harness::sarif::annotations(&summary, report, &paths);
        let written = console.out.write_all(commands.as_bytes());
        console.tolerate(written)?;
    }
    let expectations_fail = summary
        .expectations
        .as_ref()
        .is_some_and(|x| !args.update_expectations && x.statuses().iter().any(|(_, s)| s.fails_run()));
    let status = match exit_status(&counts, summary.strict, summary.incomplete) {
        ExitStatus::Ok | ExitStatus::ErrorOnly if expectations_fail => ExitStatus::Violation,
        status => status,
    };
    Ok((status, summary))
}

/// `indiv certify --engine NAME=COMMAND ...`: every engine plays the same
/// cases, one engine after the other (each with `--jobs` processes, as it
/// would alone), its full report in `DIR/NAME/`; then the matrix is written
/// to `DIR` and summed up. The exit status is the worst of the engines'
/// (130 before 1 before 3 before 0); an engine that did not run (after an
/// interrupt) makes it 130.
fn matrix(
    spec: &'static Spec,
    args: &CertifyArgs,
    checked: &Checked,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let engines = parse_engines(&args.engine)?;
    let expects = parse_expects(&args.expect, &engines)?;
    // clap makes --engine require --report.
    let dir = args.report.as_deref().ok_or_else(|| Error::Usage("--engine needs --report DIR".into()))?;
    // Every engine's directory, before the first case of the first engine.
    for engine in &engines {
        indiv_harness::report::prepare(&dir.join(&engine.name))?;
    }
    let interrupted = interrupt_flag();
    let mut runs: Vec<(ExitStatus, RunSummary)> = Vec::new();
    for (engine, expect) in engines.iter().zip(&expects) {
        if interrupted.load(Ordering::SeqCst) {
            break;
        }
        writeln!(out, "engine {}: {}", engine.name, one_line(&engine.command_line()))?;
        let command = EngineCommand {
            name: Some(engine.name.clone()),
            program_as_given: engine.words.iter().map(OsString::from).collect(),
        };
        let engine_dir = dir.join(&engine.name);
        let run = certify_engine(
            spec,
            args,
            checked,
            &command,
            Some(&engine_dir),
            expect.as_deref(),
            Arc::clone(&interrupted),
            out,
        )?;
        runs.push(run);
    }
    let not_run = runs.len() < engines.len();
    let columns: Vec<EngineRun<'_>> = engines
        .iter()
        .zip(&runs)
        .map(|(engine, (status, summary))| EngineRun {
            name: &engine.name,
            command: engine.words.clone(),
            summary,
            exit_status: status.code(),
        })
        .collect();
    let matrix = Matrix::new(spec, &columns, not_run);
    indiv_harness::matrix::write(spec, dir, &matrix)?;
    let written = out.write_all(matrix_summary(&matrix, dir).as_bytes());
    if !interrupted.load(Ordering::SeqCst) {
        written?;
    }
    let statuses: Vec<ExitStatus> = runs.iter().map(|(status, _)| *status).collect();
    Ok(if not_run { ExitStatus::Interrupted } else { worst(&statuses) })
}

/// The worst of the engines' exit statuses, as one run would rank them:
/// interrupted, then a failure, then only errors, then success.
fn worst(statuses: &[ExitStatus]) -> ExitStatus {
    [ExitStatus::Interrupted, ExitStatus::Violation, ExitStatus::ErrorOnly]
        .into_iter()
        .find(|s| statuses.contains(s))
        .unwrap_or(ExitStatus::Ok)
}

/// An engine of `--engine NAME=COMMAND`.
#[derive(Debug, PartialEq, Eq)]
struct EngineSpec {
    name: String,
    /// The command's words; empty for `builtin`, the built-in reference engine.
    words: Vec<String>,
}

impl EngineSpec {
    /// The command as given, quoted for a POSIX shell, or `builtin`.
    fn command_line(&self) -> String {
        match self.words.is_empty() {
            true => "builtin".into(),
            false => shlex::try_join(self.words.iter().map(String::as_str)).unwrap_or_else(|_| self.words.join(" ")),
        }
    }
}

/// Reads every `--engine NAME=COMMAND`: a valid, unique NAME and a COMMAND
/// split as a POSIX shell splits words.
fn parse_engines(values: &[String]) -> Result<Vec<EngineSpec>, Error> {
    let mut engines: Vec<EngineSpec> = Vec::new();
    for value in values {
        let Some((name, command)) = value.split_once('=') else {
            return Err(Error::Usage(format!("--engine takes NAME=COMMAND, not `{value}`")));
        };
        if !indiv_harness::matrix::valid_engine_name(name) {
            return Err(Error::Usage(format!(
                "engine name `{name}` must be 1 to {} letters, digits, `-` or `_`, starting with a letter or a digit",
                indiv_harness::matrix::MAX_ENGINE_NAME_BYTES
            )));
        }
        if engines.iter().any(|e| e.name == name) {
            return Err(Error::Usage(format!("engine name `{name}` is given twice")));
        }
        let words = shlex::split(command).ok_or_else(|| {
            Error::Usage(format!("--engine {name}: cannot split `{command}` into words (an unclosed quote?)"))
        })?;
        let words = match words.as_slice() {
            [] => {
                return Err(Error::Usage(format!(
                    "--engine {name}: no command (`{name}=builtin` is the built-in reference engine)"
                )));
            }
            [only] if only == "builtin" => Vec::new(),
            _ => words,
        };
        engines.push(EngineSpec { name: name.to_string(), words });
    }
    Ok(engines)
}

/// Reads every `--expect NAME=FILE` under `--engine`: the file of each
/// engine, in engine order.
fn parse_expects(values: &[std::path::PathBuf], engines: &[EngineSpec]) -> Result<Vec<Option<PathBuf>>, Error> {
    let mut files: Vec<Option<PathBuf>> = engines.iter().map(|_| None).collect();
    for value in values {
        let text = value.to_string_lossy();
        let Some((name, file)) = text.split_once('=') else {
            return Err(Error::Usage(format!("with --engine, --expect takes NAME=FILE, not `{text}`")));
        };
        let Some(at) = engines.iter().position(|e| e.name == name) else {
            return Err(Error::Usage(format!("--expect {name}=...: no engine is named `{name}`")));
        };
        if files[at].replace(PathBuf::from(file)).is_some() {
            return Err(Error::Usage(format!("--expect: engine `{name}` is given two files")));
        }
    }
    Ok(files)
}

/// The console's summary of the matrix: each engine's counts and exit
/// status, the cases on which not every engine passed, and where the
/// matrix was written.
fn matrix_summary(matrix: &Matrix, dir: &Path) -> String {
    let mut text = format!("matrix of {} engines:\n", matrix.engines.len());
    let width = matrix.engines.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &matrix.engines {
        let _ = writeln!(
            text,
            "  {:width$}  {} (exit status {})",
            e.name,
            indiv_harness::matrix::counts_text(&e.counts),
            e.exit_status
        );
    }
    let differing: Vec<String> = matrix
        .differing()
        .map(|row| {
            let cells: Vec<String> =
                matrix.engines.iter().zip(&row.cells).map(|(e, c)| format!("{} {}", e.name, c.label())).collect();
            format!("  {}: {}\n", one_line(&row.name), cells.join(", "))
        })
        .collect();
    let _ = writeln!(text, "cases not passing in every engine ({}):", differing.len());
    text.push_str(&differing.concat());
    if matrix.incomplete {
        text.push_str("(interrupted: incomplete)\n");
    }
    let _ = writeln!(
        text,
        "matrix written to {}, {} and {}",
        dir.join("matrix.md").display(),
        dir.join("matrix.json").display(),
        dir.join("report.html").display()
    );
    text
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
    /// The engine's name under `--engine`, for the progress bar.
    label: Option<String>,
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
                bar.set_message(match &self.label {
                    Some(engine) => format!("{engine}: {}", one_line(&result.name)),
                    None => one_line(&result.name),
                });
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
    let cases: Vec<String> =
        flaky.iter().map(|f| format!("{} ({})", one_line(&f.name), f.verdicts_in_words())).collect();
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

/// The most entries not reached that the console names.
const SHOWN_UNREACHED: usize = 8;

/// The run's boundary coverage (see `indiv_harness::coverage::boundaries`) as a
/// line of its own, with the entries no case reached (the first
/// [`SHOWN_UNREACHED`], and how many more).
fn boundary_line(summary: &RunSummary) -> String {
    let rows = &summary.boundaries;
    let (reached, of) = indiv_harness::coverage::reached_of(rows);
    let missing: Vec<&str> = rows.iter().filter(|r| r.cases == 0).map(|r| r.entry.id).collect();
    let mut line = format!("\nboundaries reached: {reached}/{of}");
    if !missing.is_empty() {
        let shown = missing.len().min(SHOWN_UNREACHED);
        line.push_str(&format!("; not reached: {}", missing[..shown].join(", ")));
        if missing.len() > shown {
            line.push_str(&format!(" and {} more (report.json lists every entry)", missing.len() - shown));
        }
    }
    line
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
    use super::{EngineSpec, Excerpt, parse_engines, stderr_excerpt, worst};
    use crate::exit::ExitStatus;

    #[test]
    fn an_engine_command_is_split_as_a_shell_splits_words_and_builtin_is_the_reference_engine() {
        let values: Vec<String> = [
            "ref=builtin",
            "py=python3 'my engine.py' --bug \"stale total\"",
            "x=a\\ b c=d",
            "quoted='builtin'",
            "spaced=  builtin  ",
        ]
        .iter()
        .map(|v| v.to_string())
        .collect();
        let engines = parse_engines(&values).expect("valid engines");
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            engines,
            [
                EngineSpec { name: "ref".into(), words: vec![] },
                EngineSpec { name: "py".into(), words: words(&["python3", "my engine.py", "--bug", "stale total"]) },
                EngineSpec { name: "x".into(), words: words(&["a b", "c=d"]) },
                EngineSpec { name: "quoted".into(), words: vec![] },
                EngineSpec { name: "spaced".into(), words: vec![] },
            ]
        );
        assert_eq!(engines[1].command_line(), "python3 'my engine.py' --bug 'stale total'");
        assert_eq!(engines[0].command_line(), "builtin");
    }

    #[test]
    fn the_exit_status_of_several_engines_is_the_worst_as_one_run_ranks_them() {
        use ExitStatus::{ErrorOnly, Interrupted, Ok, Violation};
        let cases: &[(&[ExitStatus], ExitStatus)] = &[
            (&[Ok, Ok], Ok),
            (&[Ok, ErrorOnly], ErrorOnly),
            (&[ErrorOnly, Violation, Ok], Violation),
            (&[Violation, Interrupted], Interrupted),
            (&[], Ok),
        ];
        for (statuses, expected) in cases {
            assert_eq!(worst(statuses), *expected, "{statuses:?}");
        }
    }

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
