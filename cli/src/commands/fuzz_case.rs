//! `indiv fuzz-case` (hidden): a fuzz input as a
//! regression case, for `fuzz/nightly.sh`.

use std::io::Write;
use std::path::Path;

use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv fuzz-case TARGET FILE`.
pub fn run(target: &str, file: &Path, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let input = std::fs::read(file).map_err(|source| Error::Open { path: file.to_path_buf(), source })?;
    let case = indiv_gen::fuzzing::regression_case(target, &input)?;
    out.write_all(case.as_bytes())?;
    Ok(ExitStatus::Ok)
}
