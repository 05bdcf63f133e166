//! `indiv report diff OLD NEW`: what got better and what got worse between
//! two certification reports, per case and per rule, and whether anything
//! regressed (the only thing that fails the command).
//!
//! The reading, stated once here and in the README:
//!
//! - **Plays are taken together by case name.** A case played in several
//!   rounds (`--repeat`) is one case: the set of rules it broke is the union
//!   over its plays. A case whose plays came to different verdicts, or that a
//!   report lists under `flaky`, is **flaky**: in OLD or in NEW, it is shown
//!   apart with the verdict counts of each side, never compared, and never a
//!   regression. Every other case has one verdict.
//! - **Verdicts are ranked** PASS < NONSTRICT < INCONCLUSIVE < FAIL = ERROR
//!   = XFAIL (a failure the expectations file lists still failed: it ranks
//!   as one, though it does not fail a run). SKIP (the testee lacks a
//!   capability) is no rank: the case was not played.
//! - **A regression** is a case, not flaky, that
//!   - has a verdict of higher rank in NEW than in OLD (PASS → NONSTRICT,
//!     NONSTRICT → FAIL, ...);
//!   - breaks a rule in NEW it did not break in OLD, whatever its verdict
//!     (played on both sides);
//!   - was in OLD and is missing from NEW;
//!   - was played in OLD and is SKIP in NEW;
//!   - is new in NEW (or SKIP in OLD) and fails there: FAIL or ERROR, or,
//!     when NEW was a `--strict` run, also NONSTRICT or INCONCLUSIVE.
//! - **An improvement** is a case, not flaky and not a regression, whose
//!   verdict has a lower rank in NEW, that no longer breaks a rule it broke,
//!   or that was SKIP in OLD and is played in NEW.
//! - FAIL ↔ ERROR ↔ XFAIL with the same rules broken is a **change**
//!   (neither); a new
//!   case that does not fail is **new** (neither).
//! - **Per rule**: the cases (played, not SKIP, and not flaky in both
//!   reports) in which it fires in NEW and not in OLD, and the reverse. A
//!   rule broken by a new case (or one SKIP in OLD) is that case's
//!   regression, not the rule's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use indiv_spec::text::{markdown_escape, one_line};

use crate::report_file::ReportFile;
use crate::runner::Verdict;

/// A case of one report, its plays taken together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseSummary {
    /// How many plays came to each verdict.
    pub verdicts: BTreeMap<Verdict, usize>,
    /// The rules broken in any play.
    pub rules: BTreeSet<String>,
    /// Its plays disagree, or the report lists it as flaky.
    pub flaky: bool,
}

impl CaseSummary {
    /// The worst verdict of its plays ([`Verdict`]'s order: ERROR and SKIP
    /// last); the verdict of a case that is not flaky.
    pub fn verdict(&self) -> Verdict {
        self.verdicts.keys().next_back().copied().unwrap_or(Verdict::Skip)
    }
}

/// The cases of `report`, each once, in the order first played.
pub fn cases(report: &ReportFile) -> Vec<(String, CaseSummary)> {
    let mut order: Vec<String> = Vec::new();
    let mut by_name: HashMap<&str, CaseSummary> = HashMap::new();
    for play in &report.cases {
        let case = by_name.entry(play.name.as_str()).or_insert_with(|| {
            order.push(play.name.clone());
            CaseSummary::default()
        });
        *case.verdicts.entry(play.verdict).or_default() += 1;
        case.rules.extend(play.violations.iter().map(|v| v.rule.clone()));
    }
    for flaky in &report.flaky {
        if let Some(case) = by_name.get_mut(flaky.name.as_str()) {
            case.flaky = true;
        }
    }
    order
        .into_iter()
        .filter_map(|name| {
            let mut case = by_name.remove(name.as_str())?;
            case.flaky |= case.verdicts.len() > 1;
            Some((name, case))
        })
        .collect()
}

/// The rank of a played verdict (`None` for SKIP).
fn rank(verdict: Verdict) -> Option<u8> {
    match verdict {
        Verdict::Pass => Some(0),
        Verdict::Nonstrict => Some(1),
        Verdict::Inconclusive => Some(2),
        Verdict::Fail | Verdict::Error | Verdict::Xfail => Some(3),
        Verdict::Skip => None,
    }
}

/// Whether `verdict` fails a run (strict or not).
fn fails(verdict: Verdict, strict: bool) -> bool {
    match verdict {
        Verdict::Fail | Verdict::Error => true,
        Verdict::Nonstrict | Verdict::Inconclusive => strict,
        Verdict::Pass | Verdict::Skip | Verdict::Xfail => false,
    }
}

/// One case that differs between the reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseChange {
    /// The case's name.
    pub name: String,
    /// Its verdict in OLD (`None`: not there).
    pub old: Option<Verdict>,
    /// Its verdict in NEW (`None`: not there).
    pub new: Option<Verdict>,
    /// Rules it breaks in NEW and did not in OLD (sorted).
    pub fires: Vec<String>,
    /// Rules it broke in OLD and does not in NEW (sorted).
    pub quiet: Vec<String>,
}

/// A case flaky in either report: its verdict counts on each side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlakyCase {
    /// The case's name.
    pub name: String,
    /// Its plays' verdicts in OLD (`None`: not there).
    pub old: Option<BTreeMap<Verdict, usize>>,
    /// Its plays' verdicts in NEW (`None`: not there).
    pub new: Option<BTreeMap<Verdict, usize>>,
}

/// A rule that fires in a different set of cases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleChange {
    /// The rule's id.
    pub rule: String,
    /// Cases where it fires in NEW and not in OLD.
    pub fires_in: Vec<String>,
    /// Cases where it fired in OLD and not in NEW.
    pub quiet_in: Vec<String>,
}

/// What differs between two reports (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// The regressions, in OLD's order, then the new cases in NEW's.
    pub worse: Vec<CaseChange>,
    /// The improvements.
    pub better: Vec<CaseChange>,
    /// FAIL ↔ ERROR ↔ XFAIL, the same rules broken.
    pub changed: Vec<CaseChange>,
    /// New cases that do not fail.
    pub new: Vec<CaseChange>,
    /// Cases flaky in either report.
    pub flaky: Vec<FlakyCase>,
    /// How many cases are the same in both.
    pub unchanged: usize,
    /// Rules that fire in more or fewer cases, by id.
    pub rules: Vec<RuleChange>,
    /// OLD was interrupted.
    pub old_incomplete: bool,
    /// NEW was interrupted (cases it did not reach are missing).
    pub new_incomplete: bool,
}

impl Diff {
    /// How many regressions there are: the command fails when there is one.
    pub fn regressions(&self) -> usize {
        self.worse.len()
    }
}

/// Compares two reports.
pub fn diff(old: &ReportFile, new: &ReportFile) -> Diff {
    let old_cases = cases(old);
    let new_cases = cases(new);
    let new_by_name: HashMap<&str, &CaseSummary> = new_cases.iter().map(|(n, c)| (n.as_str(), c)).collect();
    let old_names: BTreeSet<&str> = old_cases.iter().map(|(n, _)| n.as_str()).collect();
    let mut d = Diff { old_incomplete: old.incomplete, new_incomplete: new.incomplete, ..Diff::default() };
    let mut rules: BTreeMap<String, RuleChange> = BTreeMap::new();
    for (name, o) in &old_cases {
        let n = new_by_name.get(name.as_str()).copied();
        if o.flaky || n.is_some_and(|n| n.flaky) {
            d.flaky.push(FlakyCase {
                name: name.clone(),
                old: Some(o.verdicts.clone()),
                new: n.map(|n| n.verdicts.clone()),
            });
            continue;
        }
        let Some(n) = n else {
            d.worse.push(CaseChange {
                name: name.clone(),
                old: Some(o.verdict()),
                new: None,
                fires: Vec::new(),
                quiet: Vec::new(),
            });
            continue;
        };
        let (ov, nv) = (o.verdict(), n.verdict());
        // Rules are compared only where the case was played on both sides.
        let played = ov != Verdict::Skip && nv != Verdict::Skip;
        let change = CaseChange {
            name: name.clone(),
            old: Some(ov),
            new: Some(nv),
            fires: if played { n.rules.difference(&o.rules).cloned().collect() } else { Vec::new() },
            quiet: if played { o.rules.difference(&n.rules).cloned().collect() } else { Vec::new() },
        };
        for rule in &change.fires {
            rule_change(&mut rules, rule).fires_in.push(name.clone());
        }
        for rule in &change.quiet {
            rule_change(&mut rules, rule).quiet_in.push(name.clone());
        }
        let worse = !change.fires.is_empty()
            || match (rank(ov), rank(nv)) {
                (Some(a), Some(b)) => b > a,
                (Some(_), None) => true,
                (None, Some(_)) => fails(nv, new.strict),
                (None, None) => false,
            };
        let better = !change.quiet.is_empty()
            || match (rank(ov), rank(nv)) {
                (Some(a), Some(b)) => b < a,
                (None, Some(_)) => true,
                _ => false,
            };
        if worse {
            d.worse.push(change);
        } else if better {
            d.better.push(change);
        } else if ov != nv {
            d.changed.push(change);
        } else {
            d.unchanged += 1;
        }
    }
    for (name, n) in &new_cases {
        if old_names.contains(name.as_str()) {
            continue;
        }
        if n.flaky {
            d.flaky.push(FlakyCase { name: name.clone(), old: None, new: Some(n.verdicts.clone()) });
            continue;
        }
        let change =
            CaseChange { name: name.clone(), old: None, new: Some(n.verdict()), fires: Vec::new(), quiet: Vec::new() };
        if fails(n.verdict(), new.strict) {
            d.worse.push(change);
        } else {
            d.new.push(change);
        }
    }
    d.rules = rules.into_values().collect();
    d
}

fn rule_change<'r>(rules: &'r mut BTreeMap<String, RuleChange>, rule: &str) -> &'r mut RuleChange {
    rules.entry(rule.to_string()).or_insert_with(|| RuleChange {
        rule: rule.to_string(),
        fires_in: Vec::new(),
        quiet_in: Vec::new(),
    })
}

fn verdict_text(verdict: Option<Verdict>) -> &'static str {
    verdict.map_or("missing", Verdict::as_str)
}

fn counts_text(verdicts: &Option<BTreeMap<Verdict, usize>>) -> String {
    match verdicts {
        None => "missing".into(),
        Some(v) => crate::run::verdict_counts_in_words(v.iter().map(|(v, n)| (*v, *n))),
    }
}

/// What a change says beyond its verdicts, with `escape` applied to the
/// rule ids (they come from the reports).
fn change_detail(c: &CaseChange, escape: fn(&str) -> String) -> String {
    let list = |rules: &[String]| rules.iter().map(|r| escape(r)).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    match (c.old, c.new) {
        (None, _) => parts.push("new case".to_string()),
        (_, None) => parts.push("missing from NEW".to_string()),
        _ => {}
    }
    if !c.fires.is_empty() {
        parts.push(format!("now breaks {}", list(&c.fires)));
    }
    if !c.quiet.is_empty() {
        parts.push(format!("no longer breaks {}", list(&c.quiet)));
    }
    parts.join("; ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The diff for a terminal: one line per case and rule, every name from
/// the reports (and the file names) escaped with [`one_line`].
pub fn human(d: &Diff, old_path: &str, new_path: &str) -> String {
    let mut out = format!("indiv report diff {} {}\n", one_line(old_path), one_line(new_path));
    if d.old_incomplete {
        out.push_str("note: OLD is an interrupted run (incomplete)\n");
    }
    if d.new_incomplete {
        out.push_str("note: NEW is an interrupted run (incomplete): the cases it did not reach are missing\n");
    }
    let sections = [("worse", &d.worse), ("better", &d.better), ("changed", &d.changed), ("new", &d.new)];
    for (title, changes) in sections {
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title} ({}):", changes.len());
        for c in changes {
            let detail = change_detail(c, one_line);
            let detail = if detail.is_empty() { String::new() } else { format!("; {detail}") };
            let _ =
                writeln!(out, "  {}: {} -> {}{detail}", one_line(&c.name), verdict_text(c.old), verdict_text(c.new));
        }
    }
    if !d.flaky.is_empty() {
        let _ = writeln!(out, "flaky, not compared ({}):", d.flaky.len());
        for f in &d.flaky {
            let _ = writeln!(out, "  {}: OLD {}; NEW {}", one_line(&f.name), counts_text(&f.old), counts_text(&f.new));
        }
    }
    let more: Vec<&RuleChange> = d.rules.iter().filter(|r| !r.fires_in.is_empty()).collect();
    let fewer: Vec<&RuleChange> = d.rules.iter().filter(|r| !r.quiet_in.is_empty()).collect();
    let names = |cases: &[String]| cases.iter().map(|c| one_line(c)).collect::<Vec<_>>().join(", ");
    if !more.is_empty() {
        let _ = writeln!(out, "rules now broken in more cases ({}):", more.len());
        for r in more {
            let _ = writeln!(out, "  {}: {}", one_line(&r.rule), names(&r.fires_in));
        }
    }
    if !fewer.is_empty() {
        let _ = writeln!(out, "rules now broken in fewer cases ({}):", fewer.len());
        for r in fewer {
            let _ = writeln!(out, "  {}: {}", one_line(&r.rule), names(&r.quiet_in));
        }
    }
    let _ = writeln!(out, "{} unchanged", plural(d.unchanged, "case", "cases"));
    match d.regressions() {
        0 => out.push_str("no regressions\n"),
        n => {
            let _ = writeln!(out, "{}", plural(n, "regression", "regressions"));
        }
    }
    out
}

/// The diff as Markdown for a pull-request comment, every name from the
/// reports (and the file names) escaped with [`markdown_escape`].
pub fn markdown(d: &Diff, old_path: &str, new_path: &str) -> String {
    let mut out = String::from("## indiv report diff\n\n");
    let _ = writeln!(out, "{} → {}\n", markdown_escape(old_path), markdown_escape(new_path));
    match d.regressions() {
        0 => out.push_str("**No regressions.**\n\n"),
        n => {
            let _ = writeln!(out, "**{}.**\n", plural(n, "regression", "regressions"));
        }
    }
    if d.new_incomplete {
        out.push_str("NEW is an interrupted run: the cases it did not reach are missing.\n\n");
    }
    let sections = [("Worse", &d.worse), ("Better", &d.better), ("Changed", &d.changed), ("New", &d.new)];
    for (title, changes) in sections {
        if changes.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title} ({})\n\n| case | old | new | rules |\n|---|---|---|---|", changes.len());
        for c in changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                markdown_escape(&c.name),
                verdict_text(c.old),
                verdict_text(c.new),
                change_detail(c, markdown_escape)
            );
        }
        out.push('\n');
    }
    if !d.flaky.is_empty() {
        let _ = writeln!(out, "### Flaky, not compared ({})\n", d.flaky.len());
        for f in &d.flaky {
            let _ = writeln!(
                out,
                "- {}: OLD {}; NEW {}",
                markdown_escape(&f.name),
                counts_text(&f.old),
                counts_text(&f.new)
            );
        }
        out.push('\n');
    }
    if !d.rules.is_empty() {
        out.push_str("### Rules\n\n| rule | now broken in | no longer broken in |\n|---|---|---|\n");
        let names = |cases: &[String]| cases.iter().map(|c| markdown_escape(c)).collect::<Vec<_>>().join(", ");
        for r in &d.rules {
            let _ = writeln!(out, "| {} | {} | {} |", markdown_escape(&r.rule), names(&r.fires_in), names(&r.quiet_in));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{} unchanged.", plural(d.unchanged, "case", "cases"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report_file::parse;

    fn report(json: serde_json::Value) -> ReportFile {
        parse(std::path::Path::new("r.json"), json.to_string().as_bytes(), "an indiv report").expect("a report")
    }

    fn play(name: &str, verdict: &str, rules: &[&str]) -> serde_json::Value {
        let violations: Vec<_> = rules.iter().map(|r| serde_json::json!({"rule": r})).collect();
        serde_json::json!({"name": name, "verdict": verdict, "violations": violations})
    }

    fn names(changes: &[CaseChange]) -> Vec<&str> {
        changes.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn each_kind_of_regression_is_one() {
        let old = report(serde_json::json!({"cases": [
            play("worse-verdict", "PASS", &[]),
            play("new-rule", "FAIL", &["A"]),
            play("gone", "PASS", &[]),
            play("skipped-now", "PASS", &[]),
            play("same", "FAIL", &["A"]),
        ]}));
        let new = report(serde_json::json!({"cases": [
            play("worse-verdict", "INCONCLUSIVE", &[]),
            play("new-rule", "FAIL", &["A", "B"]),
            play("skipped-now", "SKIP", &[]),
            play("same", "FAIL", &["A"]),
            play("fresh-fail", "ERROR", &[]),
            play("fresh-pass", "PASS", &[]),
        ]}));
        let d = diff(&old, &new);
        assert_eq!(names(&d.worse), ["worse-verdict", "new-rule", "gone", "skipped-now", "fresh-fail"]);
        assert_eq!(names(&d.new), ["fresh-pass"]);
        assert_eq!(d.unchanged, 1);
        assert_eq!(d.rules, [RuleChange { rule: "B".into(), fires_in: vec!["new-rule".into()], quiet_in: vec![] }]);
    }

    #[test]
    fn improvements_and_fail_error_swaps_do_not_regress() {
        let old = report(serde_json::json!({"cases": [
            play("fixed", "FAIL", &["A"]),
            play("now-played", "SKIP", &[]),
            play("swap", "FAIL", &[]),
            play("fewer", "FAIL", &["A", "B"]),
        ]}));
        let new = report(serde_json::json!({"cases": [
            play("fixed", "PASS", &[]),
            play("now-played", "NONSTRICT", &["S"]),
            play("swap", "ERROR", &[]),
            play("fewer", "FAIL", &["A"]),
        ]}));
        let d = diff(&old, &new);
        assert_eq!(d.regressions(), 0, "{d:?}");
        assert_eq!(names(&d.better), ["fixed", "now-played", "fewer"]);
        assert_eq!(names(&d.changed), ["swap"]);
    }

    #[test]
    fn an_expected_failure_ranks_as_a_failure_but_a_new_one_does_not_fail() {
        let old = report(
            serde_json::json!({"cases": [play("was-passing", "PASS", &[]), play("was-failing", "FAIL", &["A"])]}),
        );
        let new = report(serde_json::json!({"cases": [
            play("was-passing", "XFAIL", &[]), play("was-failing", "XFAIL", &["A"]), play("fresh", "XFAIL", &["A"]),
        ]}));
        let d = diff(&old, &new);
        assert_eq!(names(&d.worse), ["was-passing"]);
        assert_eq!(names(&d.changed), ["was-failing"]);
        assert_eq!(names(&d.new), ["fresh"]);
    }

    #[test]
    fn a_strict_new_run_makes_a_new_nonstrict_case_a_regression() {
        let old = report(serde_json::json!({"cases": []}));
        let new = report(serde_json::json!({"strict": true, "cases": [play("n", "NONSTRICT", &["S"])]}));
        assert_eq!(names(&diff(&old, &new).worse), ["n"]);
    }

    #[test]
    fn repeated_plays_are_one_case_and_disagreeing_plays_are_flaky() {
        let old = report(serde_json::json!({"cases": [
            play("steady", "FAIL", &["A"]), play("steady", "FAIL", &["B"]),
            play("wobbly", "PASS", &[]), play("listed", "PASS", &[]),
        ], "flaky": [{"name": "listed", "verdicts": {}}]}));
        let new = report(serde_json::json!({"cases": [
            play("steady", "FAIL", &["A", "B"]),
            play("wobbly", "PASS", &[]), play("wobbly", "ERROR", &[]),
            play("listed", "FAIL", &["X"]),
        ]}));
        let d = diff(&old, &new);
        assert_eq!(d.regressions(), 0, "{d:?}");
        assert_eq!(d.unchanged, 1, "the union of the rules of steady's plays is the same");
        let flaky: Vec<&str> = d.flaky.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(flaky, ["wobbly", "listed"]);
        assert!(d.rules.is_empty(), "flaky cases say nothing of rules: {:?}", d.rules);
    }

    #[test]
    fn the_terminal_text_escapes_names_from_the_reports() {
        let old = report(serde_json::json!({"cases": []}));
        let new = report(serde_json::json!({"cases": [play("evil\u{1b}[2J\nFAIL fake", "FAIL", &["R\u{7}"])]}));
        let text = human(&diff(&old, &new), "a\nb", "c");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text}");
        assert_eq!(text.lines().count(), 5, "{text}");
        let md = markdown(&diff(&old, &new), "a", "b|c");
        assert!(md.contains("b\\|c") && !md.contains('\u{1b}'), "{md}");
    }
}
