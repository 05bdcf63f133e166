//! `indiv gen`: a large legal trace from the spec-driven generator.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use indiv_gen::legal::{LegalStream, SplitMix64};
use indiv_spec::{Record, Spec};

use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv gen`: at least `records` records of the trace of `seed`, to
/// `file` or `out`.
pub fn run(
    spec: &Spec,
    records: u64,
    seed: u64,
    file: Option<&Path>,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let stream = LegalStream::new(spec, SplitMix64::new(seed), records);
    match file {
        Some(path) => {
            let f = File::create(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
            write_records(stream, &mut BufWriter::with_capacity(1 << 20, f))?;
        }
        None => write_records(stream, &mut BufWriter::with_capacity(1 << 20, out))?,
    }
    Ok(ExitStatus::Ok)
}

fn write_records(records: impl Iterator<Item = Record<'static>>, out: &mut impl Write) -> Result<(), Error> {
    let mut line = String::new();
    for record in records {
        line.clear();
        indiv_spec::record::write_line(&mut line, &record);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
