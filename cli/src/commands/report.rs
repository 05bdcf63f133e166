//! `indiv report diff OLD NEW` (see `indiv_harness::diff`) and `indiv report
//! verify CERTIFICATE` (see `indiv_harness::certificate`): read, compare or
//! check, print, and map the outcome to an exit status.

use std::io::Write;
use std::path::Path;

use indiv_harness::certificate::{self, Verification};
use indiv_harness::report_file::ReportFile;
use indiv_spec::text::one_line;

use crate::args::{DiffFormat, ReportCommand};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv report ...`.
pub fn run(command: ReportCommand, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    match command {
        ReportCommand::Diff { old, new, format } => diff(&old, &new, format, out),
        ReportCommand::Verify { certificate } => verify(&certificate, out),
    }
}

fn diff(old_path: &Path, new_path: &Path, format: DiffFormat, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let old = ReportFile::read(old_path)?;
    let new = ReportFile::read(new_path)?;
    let d = indiv_harness::diff::diff(&old, &new);
    let (old_name, new_name) = (old_path.to_string_lossy(), new_path.to_string_lossy());
    let text = match format {
        DiffFormat::Human => indiv_harness::diff::human(&d, &old_name, &new_name),
        DiffFormat::Markdown => indiv_harness::diff::markdown(&d, &old_name, &new_name),
    };
    out.write_all(text.as_bytes())?;
    Ok(if d.regressions() > 0 { ExitStatus::Violation } else { ExitStatus::Ok })
}

/// Runs `indiv report verify CERTIFICATE` (also `indiv certify --verify`).
pub fn verify(path: &Path, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    match certificate::verify(path)? {
        Verification::Matches { traces } => {
            let path = one_line(&path.to_string_lossy());
            writeln!(out, "{path} matches its report.json and {traces} trace files")?;
            Ok(ExitStatus::Ok)
        }
        Verification::Mismatch { file, reason } => {
            writeln!(out, "certificate does not match: {}: {reason}", one_line(&file.to_string_lossy()))?;
            Ok(ExitStatus::Violation)
        }
    }
}
