//! One module per `indiv` command; [`execute`] picks it.

mod certify;
mod check;
mod fuzz_case;
mod generate;
mod report;
mod simulate;
mod spec;

use std::io::{self, Write};

use indiv_harness::run::MAX_JOBS;
use indiv_spec::{Rule, Spec};

use crate::args::{Command, SchemaKind};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs one command, writing to standard output.
pub fn execute(command: Command) -> Result<ExitStatus, Error> {
    let spec = Spec::builtin().map_err(Error::Spec)?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match command {
        Command::Check(args) => check::run(spec, args, &mut out),
        Command::Spec { prove: true, depth, lock, .. } => spec::prove(depth, lock.into(), &mut out),
        Command::Spec { format, diagram, .. } => spec::run(spec, format, diagram, &mut out),
        Command::Explain { rule } => explain(spec, &rule, &mut out),
        Command::Simulate(args) => simulate::run(args, &mut out),
        Command::Testee => {
            indiv_harness::reference::run();
            Ok(ExitStatus::Ok)
        }
        Command::Gen { records, seed, out: file } => generate::run(spec, records, seed, file.as_deref(), &mut out),
        Command::Certify(args) => certify::run(spec, args, &mut out),
        Command::Report(command) => report::run(command, &mut out),
        Command::FuzzCase { target, file } => fuzz_case::run(&target, &file, &mut out),
        Command::Schema { which } => schema(which, &mut out),
    }
}

/// `--jobs N` as given to any command: from 1 to [`MAX_JOBS`], or `None`
/// when not given.
fn checked_jobs(jobs: Option<usize>) -> Result<Option<usize>, Error> {
    match jobs {
        Some(n) if !(1..=MAX_JOBS).contains(&n) => {
            Err(Error::Usage(format!("--jobs must be from 1 to {MAX_JOBS}, not {n}")))
        }
        jobs => Ok(jobs),
    }
}

/// The default `--jobs`: the number of cores, at most [`MAX_JOBS`].
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_JOBS))
}

/// `indiv explain RULE`.
fn explain(spec: &Spec, rule: &str, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let id = Rule::from_id(&rule.to_ascii_uppercase()).ok_or_else(|| {
        Error::Usage(format!("unknown rule `{rule}`; `indiv spec` lists the {} rules", Rule::ALL.len()))
    })?;
    out.write_all(indiv_specdoc::explain::explain(spec, id).as_bytes())?;
    Ok(ExitStatus::Ok)
}

/// `indiv schema trace|testee|case`.
fn schema(which: SchemaKind, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let schema = match which {
        SchemaKind::Trace => indiv_spec::schema::trace_schema(),
        SchemaKind::Testee => indiv_harness::protocol::schema(),
        SchemaKind::Case => indiv_harness::run::case_schema(),
    };
    writeln!(out, "{}", serde_json::to_string_pretty(&schema).map_err(io::Error::other)?)?;
    Ok(ExitStatus::Ok)
}
