//! `indiv check`: judges each trace file (or standard input) and prints the
//! findings as they come, then a summary, JSON or JUnit.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use indiv_spec::{Spec, Violation};

use crate::args::{CheckArgs, CheckFormat};
use crate::check::{CheckConfig, FileResult, FileVerdict, check_input, render};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv check`.
pub fn run(spec: &Spec, args: CheckArgs, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let config = CheckConfig { strict: args.strict, partial: args.partial, max_violations: args.max_violations };
    let files = if args.files.is_empty() { vec![PathBuf::from("-")] } else { args.files.clone() };
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage("standard input (-) can be read only once".into()));
    }
    let mut results = Vec::new();
    let mut worst = ExitStatus::Ok;
    for path in &files {
        let input: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::with_capacity(1 << 16, io::stdin().lock()))
        } else {
            match File::open(path) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                Err(source) => {
                    crate::error::print_error(&Error::Open { path: path.clone(), source });
                    worst = worst.max(ExitStatus::Input);
                    continue;
                }
            }
        };
        let result = check_file(spec, &args, config, path, input, out)?;
        worst = worst.max(match result.verdict(args.strict) {
            FileVerdict::Pass => ExitStatus::Ok,
            FileVerdict::Fail => ExitStatus::Violation,
            FileVerdict::Error => ExitStatus::Input,
        });
        results.push(result);
    }
    if args.format == CheckFormat::Junit {
        out.write_all(render::junit(spec, &results, args.strict).as_bytes())?;
    }
    out.flush()?;
    Ok(worst)
}

/// Checks one input, printing its violations as they are found (those found
/// at the end once their lines are read again) and its summary.
fn check_file(
    spec: &Spec,
    args: &CheckArgs,
    config: CheckConfig,
    path: &Path,
    input: Box<dyn BufRead>,
    out: &mut dyn Write,
) -> Result<FileResult, Error> {
    let name = path.display().to_string();
    let mut write_error = None;
    let mut late: Vec<Violation> = Vec::new();
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
    if let Some(e) = &result.error {
        // The same one-line form as `Error::Trace`: file:line:column: message.
        crate::error::print_error(&format_args!("{name}:{e}"));
    }
    match args.format {
        CheckFormat::Human => out.write_all(render::human_summary(&result, args.strict).as_bytes())?,
        CheckFormat::Json => writeln!(out, "{}", render::json_result(spec, &result, args.strict, args.partial))?,
        CheckFormat::Junit => {}
    }
    Ok(result)
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
