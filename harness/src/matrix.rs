//! The matrix of `indiv certify --engine NAME=COMMAND ...`: several engines
//! certified in one run, side by side, as Bowtie shows implementations of a
//! specification.
//!
//! Each engine has its own full report in `REPORT/NAME/` (written by
//! [`crate::report`] and [`crate::certificate`] as for a run of that engine
//! alone); this module writes the top of the report directory:
//!
//! - `matrix.md`: the engines (command, testee, exit status, links), the
//!   cases × engines table with the verdict of each cell and a totals row,
//!   and the rules × engines table with, in each cell, in how many cases
//!   the rule was exercised and in how many it fired (see
//!   [`crate::coverage`]), with a totals row;
//! - `matrix.json` (format [`FORMAT`]): the same, as data;
//! - `report.html`: one self-contained page (inline CSS, no script, nothing
//!   fetched) with both tables, each cell coloured by its verdict, linking to
//!   each engine's `NAME/report.html` and `NAME/report.json`.
//!
//! Engine names are checked ([`valid_engine_name`]); case names, rule ids,
//! commands and the testees' words come from outside (case files, the
//! command line, the testee's hello) and are escaped for Markdown and HTML
//! wherever they appear.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use indiv_spec::Spec;
use indiv_spec::text::{markdown_code, markdown_escape, xml_escape};
use serde_json::{Value, json};

use crate::error::Error;
use crate::report::write_file;
use crate::report_file::VERDICTS;
use crate::run::{Counts, RunSummary};
use crate::runner::Verdict;

/// The format of `matrix.json`.
pub const FORMAT: &str = "indiv-matrix/1";
/// The longest engine name, in bytes.
pub const MAX_ENGINE_NAME_BYTES: usize = 64;

/// Whether `name` may name an engine (and its report directory): 1 to
/// [`MAX_ENGINE_NAME_BYTES`] characters of `[A-Za-z0-9_-]`, starting with a
/// letter or digit. No dot, so no engine directory is named like a file of
/// the matrix, nor `.` or `..`.
pub fn valid_engine_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ENGINE_NAME_BYTES
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One engine's run, as the matrix takes it.
pub struct EngineRun<'a> {
    /// Its name (valid by [`valid_engine_name`]).
    pub name: &'a str,
    /// Its command, as given (empty for the built-in reference engine).
    pub command: Vec<String>,
    /// What its run produced.
    pub summary: &'a RunSummary,
    /// The exit status its run alone would have had.
    pub exit_status: u8,
}

/// What one engine made of one case: no play, one verdict over all its
/// plays, or plays that disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// The engine did not play the case (its run stopped early).
    NotPlayed,
    /// Every play (how many) came to this verdict.
    Verdict(Verdict, usize),
    /// The plays came to different verdicts, with how many each.
    Flaky(Vec<(Verdict, usize)>),
}

impl Cell {
    /// The cell's text: the verdict, `FLAKY` or `-`.
    pub fn label(&self) -> &'static str {
        match self {
            Cell::NotPlayed => "-",
            Cell::Verdict(v, _) => v.as_str(),
            Cell::Flaky(_) => "FLAKY",
        }
    }

    /// A CSS class for the cell's colour.
    fn class(&self) -> &'static str {
        match self {
            Cell::NotPlayed => "none",
            Cell::Verdict(Verdict::Pass, _) => "pass",
            Cell::Verdict(Verdict::Nonstrict | Verdict::Inconclusive, _) => "warn",
            Cell::Verdict(Verdict::Fail, _) => "fail",
            Cell::Verdict(Verdict::Error, _) => "error",
            Cell::Verdict(Verdict::Skip | Verdict::Xfail, _) => "skip",
            Cell::Flaky(_) => "flaky",
        }
    }
}

/// One case's row: its cell for each engine, in engine order, and the
/// rules each engine broke in it.
#[derive(Clone, Debug)]
pub struct CaseRow {
    /// The case's name.
    pub name: String,
    /// One cell per engine.
    pub cells: Vec<Cell>,
    /// The rules each engine broke in any play of the case, sorted.
    pub rules: Vec<Vec<String>>,
}

/// One rule's row: per engine, in how many cases it was exercised and in
/// how many it fired.
#[derive(Clone, Debug)]
pub struct RuleRow {
    /// The rule's id.
    pub rule: String,
    /// Its level (`must`, `should`).
    pub level: &'static str,
    /// (exercised, fired) per engine.
    pub cells: Vec<(usize, usize)>,
}

/// An engine's column head.
#[derive(Clone, Debug)]
pub struct EngineColumn {
    /// Its name.
    pub name: String,
    /// Its command, word by word (empty: the built-in reference engine).
    pub command: Vec<String>,
    /// The testee's hello: name, version, language.
    pub implementation: Option<(String, String, String)>,
    /// Its plays' verdict counts.
    pub counts: Counts,
    /// Its run's exit status.
    pub exit_status: u8,
    /// Its run was interrupted.
    pub incomplete: bool,
    /// Its run stopped at a protocol mismatch.
    pub protocol_mismatch: bool,
}

impl EngineColumn {
    /// The command as one line: the words quoted for a POSIX shell, or
    /// `builtin`.
    pub fn command_line(&self) -> String {
        if self.command.is_empty() {
            return "builtin".to_string();
        }
        self.command.iter().map(|w| crate::run::shell_word(w)).collect::<Vec<_>>().join(" ")
    }

    /// The testee's hello as `NAME VERSION (LANGUAGE)`, each part escaped
    /// by `escape`, or `-` when it never said hello.
    fn testee(&self, escape: fn(&str) -> String) -> String {
        self.implementation.as_ref().map_or(String::from("-"), |(name, version, language)| {
            format!("{} {} ({})", escape(name), escape(version), escape(language))
        })
    }
}

/// The whole matrix.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// The engines, in the order given.
    pub engines: Vec<EngineColumn>,
    /// The cases, in the order the engines first played them.
    pub cases: Vec<CaseRow>,
    /// Every rule of the catalog.
    pub rules: Vec<RuleRow>,
    /// Some engine's run was interrupted, or an engine did not run.
    pub incomplete: bool,
    /// The runs were strict.
    pub strict: bool,
}

impl Matrix {
    /// The matrix of `runs`.
    pub fn new(spec: &Spec, runs: &[EngineRun<'_>], incomplete: bool) -> Matrix {
        let mut order: Vec<String> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for run in runs {
            for outcome in &run.summary.cases {
                let name = &outcome.result.name;
                if !index.contains_key(name) {
                    index.insert(name.clone(), order.len());
                    order.push(name.clone());
                }
            }
        }
        let mut cases: Vec<CaseRow> = order
            .into_iter()
            .map(|name| CaseRow { name, cells: vec![Cell::NotPlayed; runs.len()], rules: vec![Vec::new(); runs.len()] })
            .collect();
        for (e, run) in runs.iter().enumerate() {
            let mut verdicts: BTreeMap<usize, BTreeMap<Verdict, usize>> = BTreeMap::new();
            for outcome in &run.summary.cases {
                let Some(&row) = index.get(&outcome.result.name) else { continue };
                *verdicts.entry(row).or_default().entry(outcome.result.verdict).or_default() += 1;
                let rules = &mut cases[row].rules[e];
                rules.extend(outcome.result.findings.iter().map(|f| f.rule.id().to_string()));
                rules.sort();
                rules.dedup();
            }
            for (row, seen) in verdicts {
                cases[row].cells[e] = match seen.len() {
                    1 => seen.into_iter().next().map_or(Cell::NotPlayed, |(v, n)| Cell::Verdict(v, n)),
                    _ => Cell::Flaky(seen.into_iter().collect()),
                };
            }
        }
        let coverage: Vec<Vec<crate::coverage::RuleCoverage>> =
            runs.iter().map(|run| crate::coverage::matrix(spec, run.summary.cases.iter().map(|c| &c.result))).collect();
        let rules = indiv_spec::Rule::ALL
            .iter()
            .enumerate()
            .map(|(i, &rule)| RuleRow {
                rule: rule.id().to_string(),
                level: spec.rule(rule).level.name(),
                cells: coverage.iter().map(|c| c.get(i).map_or((0, 0), |row| (row.exercised, row.fired))).collect(),
            })
            .collect();
        let engines = runs
            .iter()
            .map(|run| EngineColumn {
                name: run.name.to_string(),
                command: run.command.clone(),
                implementation: run
                    .summary
                    .testee
                    .as_ref()
                    .map(|(i, _)| (i.name.clone(), i.version.clone(), i.language.clone())),
                counts: run.summary.counts(),
                exit_status: run.exit_status,
                incomplete: run.summary.incomplete,
                protocol_mismatch: run.summary.protocol_mismatch,
            })
            .collect();
        Matrix {
            engines,
            cases,
            rules,
            incomplete: incomplete || runs.iter().any(|r| r.summary.incomplete),
            strict: runs.iter().any(|r| r.summary.strict),
        }
    }

    /// The cases on which the engines do not all PASS, with their cells.
    pub fn differing(&self) -> impl Iterator<Item = &CaseRow> {
        self.cases.iter().filter(|row| row.cells.iter().any(|c| !matches!(c, Cell::Verdict(Verdict::Pass, _))))
    }

    /// `matrix.md`.
    pub fn markdown(&self, spec: &Spec) -> String {
        let mut out = String::from("# indiv certify: engine matrix\n\n");
        let _ = writeln!(out, "Spec {} (`{}`)\n", spec.version, short_hash(spec));
        if self.incomplete {
            out.push_str("**Interrupted: this matrix is incomplete.**\n\n");
        }
        out.push_str("| engine | command | testee | exit status | report |\n|---|---|---|---|---|\n");
        for e in &self.engines {
            let testee = e.testee(markdown_escape);
            let _ = writeln!(
                out,
                "| {name} | {} | {testee} | {} | [report.json]({name}/report.json), [report.html]({name}/report.html) |",
                markdown_code(&e.command_line()),
                e.exit_status,
                name = markdown_escape(&e.name),
            );
        }
        out.push_str("\n## Cases\n\n");
        self.markdown_head(&mut out, &["case"]);
        for row in &self.cases {
            let _ = write!(out, "| {} |", markdown_escape(&row.name));
            for cell in &row.cells {
                let _ = write!(out, " {} |", cell.label());
            }
            out.push('\n');
        }
        out.push_str("| **total** |");
        for e in &self.engines {
            let _ = write!(out, " {} |", counts_text(&e.counts));
        }
        out.push_str("\n\n## Rules\n\nEach cell: in how many cases the rule was exercised / in how many it fired.\n\n");
        self.markdown_head(&mut out, &["rule", "level"]);
        for row in &self.rules {
            let _ = write!(out, "| {} | {} |", markdown_escape(&row.rule), row.level);
            for (exercised, fired) in &row.cells {
                let _ = write!(out, " {exercised} / {fired} |");
            }
            out.push('\n');
        }
        out.push_str("| **total** | |");
        for e in 0..self.engines.len() {
            let _ = write!(out, " {} |", self.rule_totals(e));
        }
        out.push('\n');
        out
    }

    /// A Markdown table's head: the `first` columns, then one per engine.
    fn markdown_head(&self, out: &mut String, first: &[&str]) {
        let names = self.engines.iter().map(|e| markdown_escape(&e.name));
        let columns: Vec<String> = first.iter().map(|c| c.to_string()).chain(names).collect();
        let _ = writeln!(out, "| {} |\n|{}", columns.join(" | "), "---|".repeat(columns.len()));
    }

    /// `values`, one per engine in engine order, keyed by engine name.
    fn by_engine(&self, values: impl Iterator<Item = Value>) -> serde_json::Map<String, Value> {
        self.engines.iter().map(|e| e.name.clone()).zip(values).collect()
    }

    /// How many rules engine `e`'s cases exercised, and how many fired.
    fn rule_totals(&self, e: usize) -> String {
        let exercised = self.rules.iter().filter(|r| r.cells.get(e).is_some_and(|c| c.0 > 0)).count();
        let fired = self.rules.iter().filter(|r| r.cells.get(e).is_some_and(|c| c.1 > 0)).count();
        format!("{exercised} of {} exercised, {fired} fired", self.rules.len())
    }

    /// `matrix.json`.
    pub fn json(&self, spec: &Spec) -> Value {
        let engines: Vec<Value> = self
            .engines
            .iter()
            .map(|e| {
                json!({
                    "name": e.name,
                    "command": e.command,
                    "builtin": e.command.is_empty(),
                    "testee": e.implementation.as_ref().map(|(name, version, language)| json!({"name": name, "version": version, "language": language})),
                    "exit_status": e.exit_status,
                    "incomplete": e.incomplete,
                    "stopped_at_protocol_mismatch": e.protocol_mismatch,
                    "counts": counts_json(&e.counts),
                    "report": format!("{}/report.json", e.name),
                    "report_html": format!("{}/report.html", e.name),
                })
            })
            .collect();
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|row| {
                let cells = self.by_engine(row.cells.iter().zip(&row.rules).map(|(cell, rules)| match cell {
                    Cell::NotPlayed => Value::Null,
                    Cell::Verdict(v, n) => json!({"verdict": v.as_str(), "plays": {v.as_str(): n}, "rules": rules}),
                    Cell::Flaky(seen) => json!({
                        "verdict": "FLAKY",
                        "plays": seen.iter().map(|(v, n)| (v.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
                        "rules": rules,
                    }),
                }));
                json!({"name": row.name, "engines": cells})
            })
            .collect();
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|row| {
                let cells = self.by_engine(
                    row.cells.iter().map(|(exercised, fired)| json!({"exercised": exercised, "fired": fired})),
                );
                json!({"rule": row.rule, "level": row.level, "engines": cells})
            })
            .collect();
        json!({
            "format": FORMAT,
            "tool": {"name": "indiv", "version": env!("CARGO_PKG_VERSION")},
            "spec": {"version": spec.version, "hash": spec.hash},
            "incomplete": self.incomplete,
            "strict": self.strict,
            "engines": engines,
            "cases": cases,
            "rules": rules,
        })
    }

    /// `report.html`: self-contained (inline CSS, no script, no resource
    /// fetched), every outside word escaped.
    pub fn html(&self, spec: &Spec) -> String {
        let mut out = String::from(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>indiv certify: engine matrix</title>\n<style>\n",
        );
        out.push_str(CSS);
        out.push_str("</style>\n</head>\n<body>\n<h1>indiv certify: engine matrix</h1>\n");
        let _ = writeln!(out, "<p>Spec {} (<code>{}</code>)</p>", xml_escape(&spec.version), short_hash(spec));
        if self.incomplete {
            out.push_str("<p class=\"warning\"><strong>Interrupted: this matrix is incomplete.</strong></p>\n");
        }
        out.push_str("<h2>Engines</h2>\n<table>\n<tr><th>engine</th><th>command</th><th>testee</th><th>exit status</th><th>counts</th><th>report</th></tr>\n");
        for e in &self.engines {
            let testee = e.testee(xml_escape);
            let name = xml_escape(&e.name);
            let _ = writeln!(
                out,
                "<tr><th>{name}</th><td><code>{}</code></td><td>{testee}</td><td class=\"{}\">{}</td><td>{}</td><td><a href=\"{name}/report.html\">report.html</a> <a href=\"{name}/report.json\">report.json</a></td></tr>",
                xml_escape(&e.command_line()),
                if e.exit_status == 0 { "pass" } else { "fail" },
                e.exit_status,
                xml_escape(&counts_text(&e.counts)),
            );
        }
        out.push_str("</table>\n<h2>Cases</h2>\n<table>\n<tr><th>case</th>");
        for e in &self.engines {
            let name = xml_escape(&e.name);
            let _ = write!(out, "<th><a href=\"{name}/report.html\">{name}</a></th>");
        }
        out.push_str("</tr>\n");
        for row in &self.cases {
            let _ = write!(out, "<tr><th>{}</th>", xml_escape(&row.name));
            for (cell, rules) in row.cells.iter().zip(&row.rules) {
                let title = match cell {
                    Cell::Flaky(seen) => crate::run::verdict_counts_in_words(seen.iter().copied()),
                    _ => rules.join(", "),
                };
                let _ = write!(
                    out,
                    "<td class=\"{}\" title=\"{}\">{}</td>",
                    cell.class(),
                    xml_escape(&title),
                    cell.label()
                );
            }
            out.push_str("</tr>\n");
        }
        out.push_str("<tr class=\"total\"><th>total</th>");
        for e in &self.engines {
            let _ = write!(out, "<td>{}</td>", xml_escape(&counts_text(&e.counts)));
        }
        out.push_str(
            "</tr>\n</table>\n<h2>Rules</h2>\n<p>Each cell: in how many cases the rule was exercised / in how many it fired.</p>\n<table>\n<tr><th>rule</th><th>level</th>",
        );
        for e in &self.engines {
            let _ = write!(out, "<th>{}</th>", xml_escape(&e.name));
        }
        out.push_str("</tr>\n");
        for row in &self.rules {
            let _ = write!(out, "<tr><th>{}</th><td>{}</td>", xml_escape(&row.rule), row.level);
            for (exercised, fired) in &row.cells {
                let class = match (exercised, fired) {
                    (_, f) if *f > 0 => "fail",
                    (0, _) => "none",
                    _ => "pass",
                };
                let _ = write!(out, "<td class=\"{class}\">{exercised} / {fired}</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("<tr class=\"total\"><th>total</th><td></td>");
        for e in 0..self.engines.len() {
            let _ = write!(out, "<td>{}</td>", xml_escape(&self.rule_totals(e)));
        }
        out.push_str("</tr>\n</table>\n</body>\n</html>\n");
        out
    }
}

/// The page's style: verdict colours, nothing fetched.
const CSS: &str = "body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f4f4f4; font-weight: 600; }
td.pass { background: #c8e6c9; }
td.warn { background: #fff3c4; }
td.fail { background: #ffcdd2; }
td.error { background: #f8bbd0; }
td.skip { background: #e0e0e0; }
td.flaky { background: #ffe0b2; }
td.none { background: #fafafa; color: #999; }
tr.total td, tr.total th { font-weight: 600; }
.warning { color: #b71c1c; }
";

fn short_hash(spec: &Spec) -> &str {
    &spec.hash[..spec.hash.len().min(12)]
}

/// Verdict counts as `25 pass, 1 fail` (the verdicts with plays only; `0
/// plays` when none).
pub fn counts_text(c: &Counts) -> String {
    let parts: Vec<String> = VERDICTS
        .iter()
        .zip(counts_array(c))
        .filter(|(_, n)| *n > 0)
        .map(|(v, n)| format!("{n} {}", v.as_str().to_lowercase()))
        .collect();
    if parts.is_empty() { "0 plays".to_string() } else { parts.join(", ") }
}

/// The counts in [`VERDICTS`] order.
fn counts_array(c: &Counts) -> [usize; 7] {
    [c.pass, c.nonstrict, c.inconclusive, c.fail, c.error, c.skip, c.xfail]
}

fn counts_json(c: &Counts) -> Value {
    json!({"pass": c.pass, "nonstrict": c.nonstrict, "inconclusive": c.inconclusive, "fail": c.fail, "error": c.error, "skip": c.skip, "xfail": c.xfail})
}

/// Writes `matrix.md`, `matrix.json` and `report.html` into `dir` (each to
/// a new file renamed into place, as the reports are).
pub fn write(spec: &Spec, dir: &Path, matrix: &Matrix) -> Result<(), Error> {
    write_file(dir, "matrix.md", matrix.markdown(spec).as_bytes())?;
    let json = serde_json::to_string_pretty(&matrix.json(spec)).map_err(std::io::Error::other)?;
    write_file(dir, "matrix.json", json.as_bytes())?;
    write_file(dir, "report.html", matrix.html(spec).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::valid_engine_name;

    #[test]
    fn engine_names_are_short_words_that_make_safe_directory_names() {
        for good in ["reference", "py", "py-bug_2", "0", &"a".repeat(64)] {
            assert!(valid_engine_name(good), "{good}");
        }
        for bad in ["", "-x", "_x", "a.b", "..", ".", "a/b", "a b", "é", "a=b", &"a".repeat(65)] {
            assert!(!valid_engine_name(bad), "{bad}");
        }
    }
}
