//! `indiv simulate`: the reference engine against the simulated service, in
//! virtual time; writes the trace.

use std::io::Write;

use indiv_engine::{Scenario, scenario};

use crate::args::SimulateArgs;
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv simulate`.
pub fn run(args: SimulateArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    if args.list {
        let named = scenario::named();
        let width = named.iter().map(|n| n.name.len()).max().unwrap_or(0);
        for n in named {
            writeln!(out, "{:width$}  {}", n.name, n.about)?;
        }
        return Ok(ExitStatus::Ok);
    }
    let scenario = match (&args.scenario, args.seed) {
        (Some(name), _) => {
            scenario::by_name(name)
                .ok_or_else(|| Error::Usage(format!("unknown scenario `{name}`; `indiv simulate --list` lists them")))?
                .scenario
        }
        (None, Some(seed)) => Scenario::from_seed(seed),
        (None, None) => return Err(Error::Usage("name a --scenario, a --seed, or --list".into())),
    };
    let text = indiv_spec::record::to_jsonl(&indiv_engine::simulate(&scenario));
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Open { path: path.clone(), source })?,
        None => out.write_all(text.as_bytes())?,
    }
    Ok(ExitStatus::Ok)
}
