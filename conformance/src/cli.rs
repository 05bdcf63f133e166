//! The command line: `indiv check`, `indiv certify`, `indiv simulate`,
//! `indiv gen`, `indiv spec`, `indiv explain`, `indiv schema`, `indiv testee`,
//! and the hidden `indiv fuzz-case` (feature `fuzzing`). Parses with clap,
//! runs the command, maps the outcome to an exit status.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use indiv_spec::{Rule, Spec};

use crate::check::{CheckConfig, FileResult, Verdict, check_input};
use crate::error::{EXIT_INPUT, EXIT_OK, EXIT_VIOLATION, Error};
use crate::render;

/// indiv: the executable spec of Windows Media DRM individualization status
/// streams, and the tools that check engines against it.
#[derive(Parser, Debug)]
#[command(name = "indiv", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check indiv-trace/1 traces (JSON Lines) against every rule of the spec.
    ///
    /// Exit status: 0 conforming, 1 a must rule broken (with --strict, also a
    /// should rule), 2 usage error or an input that is not a readable trace.
    Check(CheckArgs),
    /// Print the rule catalog.
    ///
    /// `--format markdown` writes docs/SPEC.md (the spec as a document, with
    /// every rule's examples); `--format dot` writes Graphviz diagrams of the
    /// session phases and the HTTP status order, both graphs one after the
    /// other unless --diagram picks one.
    Spec {
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Human)]
        format: CatalogFormat,
        /// With --format dot: only this diagram.
        #[arg(long, value_enum)]
        diagram: Option<crate::diagram::Diagram>,
    },
    /// Print one rule with its statement, citation, readings and examples.
    Explain {
        /// A rule id, e.g. SESSION-ENDS (case-insensitive).
        rule: String,
    },
    /// Certify an engine: play cases against it over the testee protocol with a
    /// loopback individualization service, and judge every trace.
    ///
    /// With no program after `--`, certifies the built-in reference engine.
    /// Exit status: 0 nothing failed or errored, 1 a case failed (with
    /// --strict, also NONSTRICT), 3 only errors, 2 usage error, 130 interrupted.
    Certify(CertifyArgs),
    /// Run the reference engine as a testee on stdin/stdout (indiv-testee/1).
    Testee,
    /// Generate a large legal trace (for benchmarks and soak tests of checkers).
    ///
    /// Built on the spec-driven legal-trace generator: the same seed gives the
    /// same trace everywhere. Writes at least N records (a few more to close
    /// the last session legally).
    Gen {
        /// At least this many records.
        #[arg(long, value_name = "N")]
        records: u64,
        /// Seed of the trace.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write the trace here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run the reference engine against the simulated service and write the trace.
    Simulate(SimulateArgs),
    /// Turn a fuzz input into a regression case (used by fuzz/nightly.sh).
    #[cfg(feature = "fuzzing")]
    #[command(hide = true)]
    FuzzCase {
        /// The fuzz target that read the input.
        target: String,
        /// The (minimised) input.
        file: PathBuf,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        which: SchemaKind,
    },
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Trace files; `-` (or none) reads standard input.
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    format: CheckFormat,
    /// Fail on should rules too.
    #[arg(long)]
    strict: bool,
    /// The traces may stop anywhere (live or truncated logs): do not judge
    /// what must have happened by the end.
    #[arg(long)]
    partial: bool,
    /// Keep and print at most N violations per file; the rest are counted.
    #[arg(long, value_name = "N")]
    max_violations: Option<usize>,
}

#[derive(clap::Args, Debug)]
struct CertifyArgs {
    /// List the named cases.
    #[arg(long)]
    list: bool,
    /// Run the named cases matching GLOB (`*` and `?`); repeat for more.
    #[arg(long, value_name = "GLOB")]
    case: Vec<String>,
    /// Run N generated cases; a failing one is shrunk and written as a case file.
    #[arg(long, value_name = "N")]
    random: Option<u32>,
    /// Seed of the generated cases.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Run the case in FILE (as written by a shrunk failure).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "random"])]
    case_file: Option<PathBuf>,
    /// Seconds a case may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// NONSTRICT cases (only should rules broken) fail the run too.
    #[arg(long)]
    strict: bool,
    /// Write report.json, junit.xml, summary.md and the traces into DIR.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Check every protocol line in both directions; stop at the first mismatch.
    ///
    /// Every line the harness writes and every line the testee writes is
    /// checked against the indiv-testee/1 protocol (the messages of `indiv
    /// schema testee`, strictly: no missing, unknown or mistyped field) and
    /// against where the conversation stands: the testee's hello answers
    /// hello, ready answers reset, only indiv-trace/1 records (read as `indiv
    /// check` reads them) come while a case runs, and records or ended after
    /// end. The first line that does not fit (a line over 1 MiB or not UTF-8
    /// included) makes its case an ERROR whose message names the direction
    /// (harness→testee or testee→harness), the line of the exchange, what was
    /// expected there and what came; the run stops there (the cases after it
    /// do not run) and exits 3, or 1 if an earlier case failed. Every line is
    /// also logged to stderr, numbered from 1 for each testee process
    /// started, with `>` for the harness and `<` for the testee. A testee
    /// that crashes or stops answering is an ERROR as without this option,
    /// and the run goes on.
    #[arg(long)]
    validate_protocol: bool,
    /// The engine's program and arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    program: Vec<std::ffi::OsString>,
}

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// A named scenario (see --list).
    #[arg(long, conflicts_with_all = ["seed", "list"])]
    scenario: Option<String>,
    /// A generated scenario: the same seed gives the same scenario everywhere.
    #[arg(long, conflicts_with = "list")]
    seed: Option<u64>,
    /// Write the trace here instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// List the named scenarios.
    #[arg(long)]
    list: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Human,
    Json,
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CatalogFormat {
    Human,
    Json,
    /// docs/SPEC.md.
    Markdown,
    /// Graphviz DOT diagrams.
    Dot,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemaKind {
    /// The indiv-trace/1 record format.
    Trace,
    /// The indiv-testee/1 protocol.
    Testee,
}

/// Parses the process's arguments, runs the command and returns the exit status.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_INPUT } else { EXIT_OK };
        }
    };
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn execute(cli: Cli) -> Result<u8, Error> {
    let spec = Spec::builtin().map_err(Error::Spec)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Check(args) => check(spec, args, &mut out),
        Command::Spec { format, diagram } => {
            match (format, diagram) {
                (CatalogFormat::Dot, None) => out.write_all(crate::diagram::dot_all(spec).as_bytes())?,
                (CatalogFormat::Dot, Some(d)) => out.write_all(crate::diagram::dot(spec, d).as_bytes())?,
                (_, Some(_)) => return Err(Error::Usage("--diagram goes with --format dot".into())),
                (CatalogFormat::Human, None) => out.write_all(render::catalog_human(spec).as_bytes())?,
                (CatalogFormat::Json, None) => writeln!(out, "{:#}", render::catalog_json(spec))?,
                (CatalogFormat::Markdown, None) => {
                    out.write_all(crate::specdoc::markdown(spec).map_err(Error::Fixture)?.as_bytes())?
                }
            }
            Ok(EXIT_OK)
        }
        Command::Explain { rule } => {
            let upper = rule.to_ascii_uppercase();
            let rule = Rule::from_id(&upper).ok_or_else(|| {
                Error::Usage(format!("unknown rule `{rule}`; `indiv spec` lists the {} rules", Rule::ALL.len()))
            })?;
            out.write_all(render::explain(spec, rule).as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Simulate(args) => simulate(args, &mut out),
        Command::Testee => Ok(crate::testee_engine::run()),
        Command::Gen { records, seed, out: file } => {
            let stream = crate::legal::LegalStream::new(spec, crate::legal::SplitMix64::new(seed), records);
            match &file {
                Some(path) => {
                    let f = File::create(path).map_err(|source| Error::Open { path: path.clone(), source })?;
                    write_records(stream, &mut io::BufWriter::with_capacity(1 << 20, f))?;
                }
                None => write_records(stream, &mut io::BufWriter::with_capacity(1 << 20, &mut out))?,
            }
            Ok(EXIT_OK)
        }
        Command::Certify(args) => {
            if !(args.timeout.is_finite() && args.timeout > 0.0) {
                return Err(Error::Usage(format!(
                    "--timeout must be a positive number of seconds, not {}",
                    args.timeout
                )));
            }
            let options = crate::certify_run::Options {
                program: args.program,
                list: args.list,
                case_globs: args.case,
                random: args.random,
                seed: args.seed,
                case_file: args.case_file,
                timeout: std::time::Duration::from_secs_f64(args.timeout),
                strict: args.strict,
                report: args.report,
                validate_protocol: args.validate_protocol,
            };
            crate::certify_run::certify(spec, options, &mut out)
        }
        #[cfg(feature = "fuzzing")]
        Command::FuzzCase { target, file } => {
            let input = std::fs::read(&file).map_err(|source| Error::Open { path: file.clone(), source })?;
            let case = crate::fuzzing::regression_case(&target, &input).map_err(Error::Usage)?;
            out.write_all(case.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Trace => indiv_spec::schema::trace_schema(),
                SchemaKind::Testee => crate::testee::schema(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&schema).map_err(io::Error::other)?)?;
            Ok(EXIT_OK)
        }
    }
}

fn write_records(
    records: impl Iterator<Item = indiv_spec::Record<'static>>,
    out: &mut impl Write,
) -> Result<(), Error> {
    for record in records {
        serde_json::to_writer(&mut *out, &record).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn simulate(args: SimulateArgs, out: &mut dyn Write) -> Result<u8, Error> {
    if args.list {
        let named = indiv_engine::scenario::named();
        let width = named.iter().map(|n| n.name.len()).max().unwrap_or(0);
        for n in named {
            writeln!(out, "{:width$}  {}", n.name, n.about)?;
        }
        return Ok(EXIT_OK);
    }
    let scenario = match (&args.scenario, args.seed) {
        (Some(name), _) => {
            indiv_engine::scenario::by_name(name)
                .ok_or_else(|| Error::Usage(format!("unknown scenario `{name}`; `indiv simulate --list` lists them")))?
                .scenario
        }
        (None, Some(seed)) => indiv_engine::Scenario::from_seed(seed),
        (None, None) => return Err(Error::Usage("name a --scenario, a --seed, or --list".into())),
    };
    let mut text = String::new();
    for record in indiv_engine::simulate(&scenario) {
        text.push_str(&record.to_string());
        text.push('\n');
    }
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Open { path: path.clone(), source })?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(EXIT_OK)
}

fn check(spec: &Spec, args: CheckArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let config = CheckConfig { strict: args.strict, partial: args.partial, max_violations: args.max_violations };
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files };
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage("standard input (-) can be read only once".into()));
    }
    let mut results = Vec::new();
    let mut worst = EXIT_OK;
    for path in &files {
        let name = path.display().to_string();
        let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::with_capacity(1 << 16, io::stdin().lock()))
        } else {
            match File::open(path) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                Err(source) => {
                    eprintln!("error: {}", Error::Open { path: path.clone(), source });
                    worst = worst.max(EXIT_INPUT);
                    continue;
                }
            }
        };
        let mut write_error = None;
        let mut late = Vec::new();
        let result = check_input(spec, &name, input, config, &mut |v, text| {
            if args.format != CheckFormat::Human || write_error.is_some() {
                return;
            }
            if text.is_none() && path.as_os_str() != "-" {
                // Found at the end: print once the file is read again for its line.
                late.push(v.clone());
                return;
            }
            if let Err(e) = out.write_all(render::human_violation(spec, &name, v, text).as_bytes()) {
                write_error = Some(e);
            }
        });
        if let Some(e) = write_error {
            return Err(Error::Output(e));
        }
        if !late.is_empty() {
            let texts = read_lines(path, late.iter().map(|v| v.line).collect());
            for v in &late {
                let text = texts.iter().find(|(n, _)| *n == v.line).map(|(_, t)| t.as_str());
                out.write_all(render::human_violation(spec, &name, v, text).as_bytes())?;
            }
        }
        let code = match result.verdict(args.strict) {
            Verdict::Pass => EXIT_OK,
            Verdict::Fail => EXIT_VIOLATION,
            Verdict::Error => EXIT_INPUT,
        };
        worst = worst.max(code);
        if let Some(e) = &result.error {
            // The same one-line form as `Error::Trace`: file:line:column: message.
            eprintln!("error: {name}:{e}");
        }
        match args.format {
            CheckFormat::Human => out.write_all(render::human_summary(&result, args.strict).as_bytes())?,
            CheckFormat::Json => writeln!(out, "{}", render::json_result(spec, &result, args.strict, args.partial))?,
            CheckFormat::Junit => {}
        }
        results.push(result);
    }
    if args.format == CheckFormat::Junit {
        out.write_all(render::junit(spec, &results, args.strict).as_bytes())?;
    }
    out.flush()?;
    Ok(worst)
}

/// The text of the given lines of a file (best effort: used only to quote
/// lines in diagnostics found at the end of the trace).
fn read_lines(path: &Path, mut wanted: Vec<usize>) -> Vec<(usize, String)> {
    wanted.sort_unstable();
    wanted.dedup();
    let Ok(file) = File::open(path) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut next = wanted.into_iter().peekable();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let Some(&want) = next.peek() else { break };
        let Ok(line) = line else { break };
        if i + 1 == want {
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches('\r').trim_start_matches('\u{feff}').to_string();
            found.push((want, text));
            next.next();
        }
    }
    found
}

/// Human-readable outcome for one file, for callers that render outside the CLI.
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
