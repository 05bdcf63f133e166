//! The command line: `indiv check`, `indiv spec`, `indiv explain`,
//! `indiv schema`. Parses with clap, runs the command, maps the outcome to an
//! exit status.

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
    Spec {
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Human)]
        format: CatalogFormat,
    },
    /// Print one rule with its statement, citation and readings.
    Explain {
        /// A rule id, e.g. SESSION-ENDS (case-insensitive).
        rule: String,
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
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SchemaKind {
    /// The indiv-trace/1 record format.
    Trace,
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
        Command::Spec { format } => {
            match format {
                CatalogFormat::Human => out.write_all(render::catalog_human(spec).as_bytes())?,
                CatalogFormat::Json => writeln!(out, "{:#}", render::catalog_json(spec))?,
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
        #[cfg(feature = "fuzzing")]
        Command::FuzzCase { target, file } => {
            let input = std::fs::read(&file).map_err(|source| Error::Open { path: file.clone(), source })?;
            let case = crate::fuzzing::regression_case(&target, &input).map_err(Error::Usage)?;
            out.write_all(case.as_bytes())?;
            Ok(EXIT_OK)
        }
        Command::Schema { which: SchemaKind::Trace } => {
            let schema = indiv_spec::schema::trace_schema();
            writeln!(out, "{}", serde_json::to_string_pretty(&schema).map_err(io::Error::other)?)?;
            Ok(EXIT_OK)
        }
    }
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
