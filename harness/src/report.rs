//! The reports of `indiv certify --report DIR`: `report.json` (everything),
//! `junit.xml` (one test case per case), `summary.md` (for a CI step
//! summary) and `traces/CASE.jsonl` (each case's trace).

use std::fmt::Write as _;
use std::path::Path;

use indiv_spec::Spec;
use serde_json::json;

use indiv_spec::text::xml_escape;

use crate::error::Error;
use crate::run::RunSummary;
use crate::runner::Verdict;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

fn file_name(case: &str) -> String {
    case.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// Writes every report into `dir`.
pub fn write(spec: &Spec, dir: &Path, summary: &RunSummary) -> Result<(), Error> {
    let traces = dir.join("traces");
    std::fs::create_dir_all(&traces).map_err(io(&traces))?;
    let mut cases = Vec::new();
    for outcome in &summary.cases {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        let trace_file = format!("traces/{}.jsonl", file_name(&r.name));
        let path = dir.join(&trace_file);
        std::fs::write(&path, &r.trace).map_err(io(&path))?;
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
            })).collect::<Vec<_>>(),
            "error": r.error,
            "trace_file": trace_file,
            "stderr_excerpt": r.stderr,
            "reproduce": reproduce,
        }));
    }
    let counts = summary.counts();
    let testee = summary
        .testee
        .as_ref()
        .map(|(implementation, capabilities)| json!({"implementation": implementation, "capabilities": capabilities}));
    let report = json!({
        "tool": {"name": "indiv", "version": env!("CARGO_PKG_VERSION")},
        "spec": {"version": spec.version, "hash": spec.hash},
        "incomplete": summary.incomplete,
        "stopped_at_protocol_mismatch": summary.protocol_mismatch,
        "strict": summary.strict,
        "program": summary.program.iter().map(|w| w.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "testee": testee,
        "counts": {"pass": counts.pass, "nonstrict": counts.nonstrict, "fail": counts.fail, "error": counts.error, "skip": counts.skip},
        "cases": cases,
    });
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?;
    std::fs::write(&path, text).map_err(io(&path))?;
    let path = dir.join("junit.xml");
    std::fs::write(&path, junit(summary)).map_err(io(&path))?;
    let path = dir.join("summary.md");
    std::fs::write(&path, markdown(spec, summary)).map_err(io(&path))?;
    Ok(())
}

fn junit(summary: &RunSummary) -> String {
    let counts = summary.counts();
    let mut cases = String::new();
    for outcome in &summary.cases {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        let _ = write!(
            cases,
            "    <testcase classname=\"indiv.certify\" name=\"{}\" time=\"{:.3}\">",
            xml_escape(&r.name),
            r.duration.as_secs_f64()
        );
        let details: String = r
            .findings
            .iter()
            .map(|f| format!("{} ({}) line {}: {}\n", f.rule, f.level.name(), f.line, f.message))
            .collect();
        let failing = r.verdict == Verdict::Fail || (summary.strict && r.verdict == Verdict::Nonstrict);
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
            Verdict::Nonstrict => {
                let _ = write!(cases, "<system-out>{}</system-out>", xml_escape(&details));
            }
            _ => {}
        }
        cases.push_str("</testcase>\n");
    }
    let failures = counts.fail + if summary.strict { counts.nonstrict } else { 0 };
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
            implementation.name, implementation.version, implementation.language
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
        "| pass | nonstrict | fail | error | skip |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n",
        counts.pass, counts.nonstrict, counts.fail, counts.error, counts.skip
    );
    out.push_str("| case | verdict | rules broken | reproduce |\n|---|---|---|---|\n");
    for outcome in &summary.cases {
        let (r, reproduce) = (&outcome.result, &outcome.reproduce);
        let mut rules: Vec<String> = r.findings.iter().map(|f| f.rule.id().to_string()).collect();
        rules.dedup();
        let broken = if let Some(e) = &r.error { e.replace('|', "\\|") } else { rules.join(", ") };
        let _ = writeln!(out, "| {} | {} | {} | `{}` |", r.name, r.verdict.as_str(), broken, reproduce);
    }
    out
}
