//! `indiv check`: judges each trace file (or standard input) and writes each
//! finding as it comes, then a summary, the rest of the JSON object, JUnit,
//! the end of the SARIF log, the input's HTML section (its timeline), or
//! (github) nothing more.
//!
//! Each input is read once, from start to end, and never opened again:
//! end-of-trace findings quote the lines the monitor kept with their
//! obligations, so FIFOs, process substitution and standard input work like
//! files. Output goes through one buffer that is flushed before every read of
//! the input (so a live log's findings show while it waits); when the output
//! cannot be written, reading stops at once and the status is 4.
//!
//! With `--jobs N` (N ≥ 2, the default on a machine with several cores),
//! an input larger than one chunk is read and parsed on threads
//! ([`crate::check::parallel`]) and checked here in input order, with the
//! same output, flushed at the same places, as with `--jobs 1`.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use indiv_harness::html::{self, Timeline};
use indiv_spec::reader::TraceReader;
use indiv_spec::{Spec, Violation};

use crate::args::{CheckArgs, CheckFormat};
use crate::check::parallel::{CHUNK_BYTES, ParallelConfig, ParallelReader};
use crate::check::render::JunitDetails;
use crate::check::sarif::{SarifLog, github_input_error, github_violation};
use crate::check::{CheckConfig, FileResult, FileVerdict, Lines, check_lines, render};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Bytes read from an input, and bytes of output gathered, per system call.
const BUFFER: usize = 1 << 16;

/// The output of `indiv check`, shared by the findings and the reader that
/// flushes it; the first write error is kept.
struct Output<'o> {
    out: BufWriter<&'o mut dyn Write>,
    error: Option<io::Error>,
}

impl Output<'_> {
    fn write(&mut self, text: &str) -> Result<(), ()> {
        if self.error.is_some() {
            return Err(());
        }
        self.out.write_all(text.as_bytes()).map_err(|e| self.error = Some(e))
    }

    fn flush(&mut self) -> Result<(), ()> {
        if self.error.is_some() {
            return Err(());
        }
        self.out.flush().map_err(|e| self.error = Some(e))
    }
}

/// An input that flushes the output before each read, which may wait.
struct FlushingReader<'a, 'o, R> {
    inner: R,
    output: &'a RefCell<Output<'o>>,
}

impl<R: Read> Read for FlushingReader<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.output.borrow_mut().flush().is_err() {
            // The caller reports the output's error, not this one.
            return Err(io::Error::other("output failed"));
        }
        self.inner.read(buf)
    }
}

/// Runs `indiv check`.
pub fn run(spec: &Spec, args: CheckArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage("standard input (-) can be read only once".into()));
    }
    let jobs = super::checked_jobs(args.jobs)?.unwrap_or_else(super::cores);
    let chunk = args.chunk_bytes.unwrap_or(CHUNK_BYTES);
    let output = RefCell::new(Output { out: BufWriter::with_capacity(BUFFER, out), error: None });
    let mut results = Vec::new();
    let mut worst = ExitStatus::Ok;
    let mut sarif = SarifLog::default();
    if args.format == CheckFormat::Sarif && output.borrow_mut().write(&SarifLog::start(spec)).is_err() {
        return Err(output_error(output));
    }
    if args.format == CheckFormat::Html {
        let start = format!("{}{}", html::page_start("indiv check"), html::legend());
        if output.borrow_mut().write(&start).is_err() {
            return Err(output_error(output));
        }
    }
    for path in &files {
        let input = if path.as_os_str() == "-" {
            Input::Stdin
        } else {
            match File::open(path) {
                Ok(f) => Input::File(f),
                Err(source) => {
                    let error = Error::Open { path: path.clone(), source };
                    if args.format == CheckFormat::Sarif {
                        sarif.unreadable(&error.to_string());
                    }
                    crate::error::print_error(&error);
                    worst = worst.max(ExitStatus::Input);
                    continue;
                }
            }
        };
        let checked = if jobs > 1 && !input.within(chunk) {
            let mut flush = || output.borrow_mut().flush().is_ok();
            let config = ParallelConfig { jobs, chunk, flush_every: BUFFER };
            let lines = ParallelReader::start(input.into_send(), config, &mut flush).map_err(Error::Threads)?;
            check_file(spec, &args, config_of(&args), path, lines, &output, &mut sarif)
        } else {
            let input = BufReader::with_capacity(BUFFER, FlushingReader { inner: input.into_local(), output: &output });
            check_file(spec, &args, config_of(&args), path, TraceReader::new(input), &output, &mut sarif)
        };
        let (result, details) = match checked {
            Ok(checked) => checked,
            Err(()) => return Err(output_error(output)),
        };
        worst = worst.max(match result.verdict(args.strict) {
            FileVerdict::Pass => ExitStatus::Ok,
            FileVerdict::Fail => ExitStatus::Violation,
            FileVerdict::Error => ExitStatus::Input,
        });
        // Only JUnit needs an input's counts after the input: the other
        // formats have written them, so memory does not grow with inputs.
        if args.format == CheckFormat::Junit {
            results.push((result, details));
        }
    }
    let mut o = output.borrow_mut();
    let end = match args.format {
        CheckFormat::Junit => render::junit(spec, &results, args.strict),
        CheckFormat::Sarif => sarif.end(),
        CheckFormat::Html => html::page_end(spec),
        CheckFormat::Human | CheckFormat::Json | CheckFormat::Github => String::new(),
    };
    if o.write(&end).is_err() {
        drop(o);
        return Err(output_error(output));
    }
    if o.flush().is_err() {
        drop(o);
        return Err(output_error(output));
    }
    Ok(worst)
}

/// How to judge, as the arguments say.
fn config_of(args: &CheckArgs) -> CheckConfig {
    CheckConfig { strict: args.strict, partial: args.partial, max_violations: args.max_violations }
}

/// An input, opened.
enum Input {
    Stdin,
    File(File),
}

impl Input {
    /// A regular file (standard input too) of at most `bytes` bytes:
    /// threads would not pay.
    fn within(&self, bytes: usize) -> bool {
        use std::os::fd::AsFd as _;
        let metadata = match self {
            // A second descriptor of standard input, for its metadata only.
            Input::Stdin => io::stdin().as_fd().try_clone_to_owned().and_then(|fd| File::from(fd).metadata()),
            Input::File(f) => f.metadata(),
        };
        metadata.is_ok_and(|m| m.is_file() && m.len() <= bytes as u64)
    }

    /// For reading on this thread.
    fn into_local(self) -> Box<dyn Read> {
        match self {
            Input::Stdin => Box::new(io::stdin().lock()),
            Input::File(f) => Box::new(f),
        }
    }

    /// For reading on another thread.
    fn into_send(self) -> Box<dyn Read + Send> {
        match self {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(f) => Box::new(f),
        }
    }
}

/// The error that stopped the output.
fn output_error(output: RefCell<Output<'_>>) -> Error {
    let output = output.into_inner();
    Error::Output(output.error.unwrap_or_else(|| io::Error::other("output failed")))
}

/// Checks one input, writing its violations as they are found and then its
/// summary (human), the rest of its object (JSON), its notes (SARIF), a
/// command for an input error (github), or nothing (JUnit, whose document is
/// written once every input is read). `Err` when the output failed; its
/// error is in `output`.
fn check_file<L: Lines>(
    spec: &Spec,
    args: &CheckArgs,
    config: CheckConfig,
    path: &Path,
    lines: L,
    output: &RefCell<Output<'_>>,
    sarif: &mut SarifLog,
) -> Result<(FileResult, JunitDetails), ()> {
    let name = path.display().to_string();
    let mut details = JunitDetails::default();
    if args.format == CheckFormat::Json {
        output.borrow_mut().write(&render::json_start(spec, &name, args.strict, args.partial))?;
    }
    let mut first = true;
    // Only `--format html` draws: a bounded summary of the records.
    let timeline = RefCell::new(Timeline::new());
    let mut found = |v: &Violation, text: Option<&str>| match args.format {
        CheckFormat::Human => output.borrow_mut().write(&render::human_violation(spec, &name, v, text)),
        CheckFormat::Json => {
            let piece = render::json_violation(spec, v, std::mem::take(&mut first));
            output.borrow_mut().write(&piece)
        }
        CheckFormat::Junit => {
            details.add(v);
            Ok(())
        }
        CheckFormat::Sarif => {
            let piece = sarif.violation(spec, &name, v, text);
            output.borrow_mut().write(&piece)
        }
        CheckFormat::Github => output.borrow_mut().write(&github_violation(spec, &name, v)),
        CheckFormat::Html => {
            timeline.borrow_mut().violation(v.rule, spec.rule(v.rule).level, v.line, &v.message, text);
            Ok(())
        }
    };
    let result = if args.format == CheckFormat::Html {
        check_lines(spec, &name, lines, config, &mut found, &mut |line, record| {
            timeline.borrow_mut().record(line, record)
        })?
    } else {
        check_lines(spec, &name, lines, config, &mut found, &mut |_, _| {})?
    };
    if output.borrow().error.is_some() {
        // The input's read failed because the output did.
        return Err(());
    }
    if let Some(e) = &result.error {
        // The same one-line form as `Error::Trace`: file:line:column: message.
        crate::error::print_error(&format_args!("{name}:{e}"));
    }
    match args.format {
        CheckFormat::Human => output.borrow_mut().write(&render::human_summary(&result, args.strict))?,
        CheckFormat::Json => output.borrow_mut().write(&render::json_end(&result, args.strict))?,
        CheckFormat::Sarif => {
            let piece = sarif.input_end(&result);
            output.borrow_mut().write(&piece)?
        }
        CheckFormat::Github => output.borrow_mut().write(&github_input_error(&result))?,
        CheckFormat::Html => {
            output.borrow_mut().write(&render::html_section(&result, args.strict, &timeline.borrow()))?
        }
        CheckFormat::Junit => {}
    }
    Ok((result, details))
}
