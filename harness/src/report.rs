//! The reports of `indiv certify --report DIR`: `report.json` (everything),
//! `junit.xml` (one test case per case), `summary.md` (for a CI step
//! summary), `results.sarif` (SARIF 2.1.0, see [`crate::sarif`]),
//! `report.html` (to look at, see [`crate::html`]) and `traces/CASE.jsonl`
//! (each case's trace).
//!
//! The report directory may hold links a testee planted there while it ran.
//! No report file is ever opened through one: each is written to a new file
//! (`O_CREAT | O_EXCL`, which never follows a link) and renamed over its name,
//! which replaces a planted link rather than writing where it points. A
//! planted `traces` link is replaced by a real directory. Trace file names are
//! the case name with every byte but `[A-Za-z0-9_-]` made `_`, cut to
//! [`MAX_NAME_BYTES`], and numbered when cut or taken.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use indiv_spec::Spec;
use serde_json::json;

use indiv_spec::text::{markdown_code, markdown_escape, xml_escape};

use crate::error::Error;
use crate::expect::EntryStatus;
use crate::run::RunSummary;
use crate::runner::Verdict;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

/// The longest trace file name taken from a case name, in bytes (file systems
/// allow 255; room is left for a number and `.jsonl`).
pub const MAX_NAME_BYTES: usize = 100;

/// A trace file name for `case` (without `.jsonl`), distinct from those in
/// `taken`: sanitised, bounded, numbered (`-N`, the case's place in the run)
/// when cut or already taken.
fn file_name(case: &str, number: usize, taken: &mut HashSet<String>) -> String {
    let clean: String =
        case.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    // Every character is ASCII now, so any byte count is a char boundary.
    let mut name = if clean.len() > MAX_NAME_BYTES || clean.is_empty() {
        format!("{}-{number}", &clean[..clean.len().min(MAX_NAME_BYTES)])
    } else {
        clean.clone()
    };
    // The number is the case's own, so this ends (a case literally named
    // like a numbered one takes one more number).
    while taken.contains(&name) {
        name = format!("{name}-{number}");
    }
    taken.insert(name.clone());
    name
}

/// Makes `dir` (with `dir/traces`) ready for the reports and proves a file
/// can be created in it, so that a run whose reports cannot be written stops
/// before its first case.
pub fn prepare(dir: &Path) -> Result<(), Error> {
    let unusable = |source| Error::ReportDir { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(unusable)?;
    real_dir(&dir.join("traces")).map_err(unusable)?;
    let (probe, file) = new_file(dir, "probe").map_err(unusable)?;
    drop(file);
    std::fs::remove_file(&probe).map_err(unusable)
}

/// Makes `path` a real directory: a link (or file) there is removed first.
fn real_dir(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => std::fs::remove_file(path)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::fs::create_dir(path)
}

/// A new file in `dir` named after `name`, created exclusively (so never
/// through a link, dangling or not).
fn new_file(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut attempt = 0u32;
    loop {
        let path = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Writes `bytes` as `dir/name` without following a link at that name: into
/// a new file, then renamed over the name (a planted link is replaced).
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let target = dir.join(name);
    let (temporary, mut file) = new_file(dir, name).map_err(io(&target))?;
    let written = file.write_all(bytes).and_then(|()| {
        drop(file);
        std::fs::rename(&temporary, &target)
    });
    if written.is_err() {
        // Leave no temporary file behind; the error says what went wrong.
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(io(&target))
}

/// The trace file of each case, relative to the report directory
/// (`traces/NAME.jsonl`), in run order; `None` for a case that keeps no trace
/// (a passing play of a later round, see `--repeat`).
pub fn trace_paths(summary: &RunSummary) -> Vec<Option<String>> {
    let mut taken = HashSet::new();
    summary
        .cases
        .iter()
        .enumerate()
        .map(|(number, outcome)| {
            let r = &outcome.result;
            (!r.trace.is_empty()).then(|| format!("traces/{}.jsonl", file_name(&r.name, number + 1, &mut taken)))
        })
        .collect()
}

/// Writes every report into `dir`.
pub fn write(spec: &Spec, dir: &Path, summary: &RunSummary) -> Result<(), Error> {
    prepare(dir)?;
    let traces = dir.join("traces");
    let paths = trace_paths(summary);
    let mut cases = Vec::new();
    let mut trace_files = Vec::new();
    for (outcome, trace_file) in summary.cases.iter().zip(&paths) {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        if let Some(name) = trace_file.as_deref().and_then(|p| p.strip_prefix("traces/")) {
            trace_files.push((name.to_string(), r.trace.as_bytes()));
        }
        cases.push(json!({
            "name": r.name,
            "verdict": r.verdict.as_str(),
            "duration_ms": r.duration.as_millis() as u64,
            "violations": r.findings.iter().map(|f| json!({
                "rule": f.rule.id(),
                "level": f.level.name(),
                "line": f.line,
                "message": f.message,
                "statement": spec.rule(f.rule).statement,
                "record": f.record,
                "service_log": f.service_log,
            })).collect::<Vec<_>>(),
            "error": r.error,
            "timed_out": r.timed_out,
            "goals": r.goals.iter().map(|(goal, reached)| json!({"goal": goal, "reached": reached})).collect::<Vec<_>>(),
            "trace_file": trace_file,
            "stderr_excerpt": r.stderr,
            "reproduce": reproduce,
            "round": outcome.round,
            "expected": outcome.expected,
            "reproduces": outcome.reproduces.map(|(failed, played)| json!({"failed": failed, "played": played})),
        }));
    }
    let counts = summary.counts();
    let testee = summary
        .testee
        .as_ref()
        .map(|(implementation, capabilities)| json!({"implementation": implementation, "capabilities": capabilities}));
    let boundary_coverage = {
        let rows = &summary.boundaries;
        let (reached, of) = crate::coverage::reached_of(rows);
        json!({
            "reached": reached,
            "entries": of,
            "rows": rows.iter().map(|row| json!({
                "id": row.entry.id,
                "rules": row.entry.rules,
                "cases": row.cases,
            })).collect::<Vec<_>>(),
        })
    };
    let report = json!({
        "tool": {"name": "indiv", "version": env!("CARGO_PKG_VERSION")},
        "spec": {"version": spec.version, "hash": spec.hash},
        "incomplete": summary.incomplete,
        "stopped_at_protocol_mismatch": summary.protocol_mismatch,
        "strict": summary.strict,
        "program": summary.program.iter().map(|w| w.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "testee": testee,
        "counts": {"pass": counts.pass, "nonstrict": counts.nonstrict, "inconclusive": counts.inconclusive, "fail": counts.fail, "error": counts.error, "skip": counts.skip, "xfail": counts.xfail},
        "expectations": summary.expectations.as_ref().map(|x| json!({
            "file": x.path.to_string_lossy(),
            "entries": x.statuses().iter().map(|(e, status)| json!({
                "line": e.line,
                "case": e.case,
                "rule": e.rule.map(|r| r.id()),
                "reason": e.reason,
                "owner": e.owner,
                "until": e.until.map(|d| d.to_string()),
                "status": entry_status_name(status),
                "state": status.state(),
            })).collect::<Vec<_>>(),
        })),
        "cases": cases,
        "flaky": summary.flaky().iter().map(|f| json!({
            "name": f.name,
            "verdicts": f.verdicts.iter().map(|(v, n)| (v.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
        "coverage": crate::coverage::matrix(spec, summary.cases.iter().map(|c| &c.result)).iter().map(|row| json!({
            "rule": row.rule.id(),
            "exercised": row.exercised,
            "fired": row.fired,
        })).collect::<Vec<_>>(),
        "boundary_coverage": boundary_coverage,
    });
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    write_file(dir, "report.json", text.as_bytes())?;
    write_file(dir, "junit.xml", junit(summary).as_bytes())?;
    write_file(dir, "summary.md", markdown(spec, summary).as_bytes())?;
    write_file(dir, "results.sarif", crate::sarif::results(spec, summary, &paths).as_bytes())?;
    let html = crate::html::render_report_html(spec, summary, &paths);
    write_file(dir, crate::html::REPORT_HTML, html.as_bytes())?;
    for (name, trace) in trace_files {
        write_file(&traces, &name, trace)?;
    }
    Ok(())
}

/// How report.json names what became of an expectation.
pub(crate) fn entry_status_name(status: &EntryStatus) -> String {
    match status {
        EntryStatus::Met => "met".into(),
        EntryStatus::NoLongerFails => "XPASS: the failure no longer occurs".into(),
        EntryStatus::Expired(until) => format!("expired on {until}"),
        EntryStatus::NotPlayed => "not played".into(),
    }
}

fn junit(summary: &RunSummary) -> String {
    let counts = summary.counts();
    let mut cases = String::new();
    for outcome in &summary.cases {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        let _ = write!(
            cases,
            "    <testcase classname=\"indiv.certify\" name=\"{}{}\" time=\"{:.3}\">",
            xml_escape(&r.name),
            if summary.repeated { format!(" (round {})", outcome.round) } else { String::new() },
            r.duration.as_secs_f64()
        );
        let details: String = r
            .findings
            .iter()
            .map(|f| {
                let log: String = f.service_log.iter().map(|l| format!("  service: {l}\n")).collect();
                format!("{} ({}) line {}: {}\n{log}", f.rule, f.level.name(), f.line, f.message)
            })
            .collect();
        let failing = r.verdict == Verdict::Fail
            || (summary.strict && matches!(r.verdict, Verdict::Nonstrict | Verdict::Inconclusive));
        let details = match &r.error {
            Some(why) if r.verdict != Verdict::Error => format!("{details}{why}\n"),
            _ => details,
        };
        match r.verdict {
            _ if failing => {
                let _ = write!(
                    cases,
                    "<failure message=\"{} rules broken\">{}reproduce: {}</failure>",
                    r.findings.len(),
                    xml_escape(&details),
                    xml_escape(reproduce)
                );
            }
            Verdict::Error => {
                let _ = write!(
                    cases,
                    "<error message=\"{}\">{}</error>",
                    xml_escape(r.error.as_deref().unwrap_or("error")),
                    xml_escape(&r.stderr)
                );
            }
            Verdict::Skip => {
                let _ = write!(cases, "<skipped message=\"{}\"/>", xml_escape(r.error.as_deref().unwrap_or("")));
            }
            Verdict::Xfail => {
                let why = outcome.expected.as_deref().unwrap_or_default().join("; ");
                let _ = write!(
                    cases,
                    "<skipped message=\"expected failure: {}\">{}</skipped>",
                    xml_escape(&why),
                    xml_escape(&details)
                );
            }
            Verdict::Nonstrict | Verdict::Inconclusive => {
                let _ = write!(cases, "<system-out>{}</system-out>", xml_escape(&details));
            }
            _ => {}
        }
        cases.push_str("</testcase>\n");
    }
    let failures = counts.fail + if summary.strict { counts.nonstrict + counts.inconclusive } else { 0 };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"indiv certify\">\n  <testsuite name=\"indiv certify\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{}\">\n{cases}  </testsuite>\n</testsuites>\n",
        summary.cases.len(),
        counts.error,
        counts.skip,
    )
}

fn markdown(spec: &Spec, summary: &RunSummary) -> String {
    let counts = summary.counts();
    let mut out = String::from("# indiv certify\n\n");
    let _ = writeln!(out, "Spec {} (`{}`)\n", spec.version, &spec.hash[..spec.hash.len().min(12)]);
    if let Some((implementation, _)) = &summary.testee {
        let _ = writeln!(
            out,
            "Testee: **{}** {} ({})\n",
            markdown_escape(&implementation.name),
            markdown_escape(&implementation.version),
            markdown_escape(&implementation.language)
        );
    }
    if summary.incomplete {
        out.push_str("**Interrupted: this report is incomplete.**\n\n");
    }
    if summary.protocol_mismatch {
        out.push_str(
            "**Stopped at the first protocol mismatch (`--validate-protocol`): the cases after it did not run.**\n\n",
        );
    }
    let _ = writeln!(
        out,
        "| pass | nonstrict | inconclusive | fail | error | skip | xfail |\n|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} | {} |\n",
        counts.pass, counts.nonstrict, counts.inconclusive, counts.fail, counts.error, counts.skip, counts.xfail
    );
    let rows = &summary.boundaries;
    let (reached, of) = crate::coverage::reached_of(rows);
    let _ = write!(out, "Boundary coverage: {reached} of {of} entries of the boundary catalogue reached");
    let missing: Vec<&str> = rows.iter().filter(|r| r.cases == 0).map(|r| r.entry.id).collect();
    match missing.is_empty() {
        true => out.push_str(".\n\n"),
        false => {
            let _ = writeln!(out, "; not reached: {}.\n", markdown_code(&missing.join(", ")));
        }
    }
    if let Some(x) = &summary.expectations {
        let failing: Vec<String> = x
            .statuses()
            .iter()
            .filter(|(_, s)| s.fails_run())
            .map(|(e, s)| format!("- {}: {}\n", markdown_escape(&e.describe()), entry_status_name(s)))
            .collect();
        if !failing.is_empty() {
            out.push_str("**Expectations that fail the run:**\n\n");
            out.push_str(&failing.concat());
            out.push('\n');
        }
    }
    let flaky = summary.flaky();
    if !flaky.is_empty() {
        out.push_str("**Flaky: these cases came to different verdicts across plays.**\n\n");
        for f in &flaky {
            let _ = writeln!(out, "- {}: {}", markdown_escape(&f.name), f.verdicts_in_words());
        }
        out.push('\n');
    }
    out.push_str("| case | verdict | rules broken | reproduce |\n|---|---|---|---|\n");
    for outcome in &summary.cases {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        let mut rules: Vec<String> = r.findings.iter().map(|f| f.rule.id().to_string()).collect();
        rules.dedup();
        // Names, errors and the command line carry outside text (case files,
        // the testee's words, its path): escaped, so a cell stays one cell
        // and nothing renders as markup.
        let broken = match &r.error {
            Some(e) if rules.is_empty() => markdown_escape(e),
            Some(e) => format!("{}; {}", rules.join(", "), markdown_escape(e)),
            None => rules.join(", "),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            markdown_escape(&r.name),
            r.verdict.as_str(),
            broken,
            markdown_code(reproduce)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::{MAX_NAME_BYTES, file_name};

    #[test]
    fn trace_file_names_are_sanitised_bounded_and_distinct() {
        let mut taken = HashSet::new();
        let long = "é".repeat(300);
        let names: Vec<String> = ["a b", "a_b", &long, &long, "x-5", "x", "x", "", ""]
            .iter()
            .enumerate()
            .map(|(i, case)| file_name(case, i + 1, &mut taken))
            .collect();
        assert_eq!(names[..2], ["a_b", "a_b-2"]);
        assert_eq!(names[2], format!("{}-3", "_".repeat(MAX_NAME_BYTES)));
        assert_eq!(names[4..7], ["x-5", "x", "x-7"]);
        assert_eq!(names[7..], ["-8", "-9"]);
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
        assert!(names.iter().all(|n| n.len() < 200 && n.is_ascii() && !n.contains('/')));
    }
}
