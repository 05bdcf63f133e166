//! The expectations file of `indiv certify --expect FILE`: failures an
//! implementer knows of and has not fixed yet, each with a reason, an owner
//! and a date by which it should be gone.
//!
//! ```toml
//! [[expect]]
//! case = "reader-cancel-*"        # a case name, or a glob (`*`, `?`)
//! rule = "CANCEL-STOPS-WORK"      # the rule it breaks; without it, any failure of the one case named
//! reason = "cancel is not wired to the installer yet"
//! owner = "ana"
//! until = 2027-03-31              # or "2027-03-31"
//! ```
//!
//! A failing play (FAIL or ERROR; under `--strict` also NONSTRICT and
//! INCONCLUSIVE) is XFAIL, and does not fail the run, when entries cover it:
//! every rule it broke is the `rule` of an entry whose `case` matches it, or
//! an entry names the case exactly without a `rule` (which also covers an
//! ERROR, which breaks no rule). An entry that covers no failure of a case it
//! matches is XPASS: the failure is gone, and the run fails so that the entry
//! is removed. An entry past its `until` date covers nothing and fails the
//! run. An entry whose case did not play (a run of a few cases) is reported
//! and judged nothing.
//!
//! A glob without a `rule` is refused: it would hide every failure of every
//! case it matches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indiv_spec::Rule;
use serde::Deserialize;

use crate::error::Error;
use crate::run::glob_matches;
use crate::runner::{CaseResult, Verdict};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// The year.
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day, 1 to 31.
    pub day: u32,
}

impl Date {
    /// Reads `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4
            || m.len() != 2
            || d.len() != 2
            || !(y.bytes().chain(m.bytes()).chain(d.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let date = Date { year: y.parse().ok()?, month: m.parse().ok()?, day: d.parse().ok()? };
        (date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= days_in_month(date.year, date.month))
            .then_some(date)
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (the civil calendar).
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `until` as written: a TOML date or a string.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
enum DateField {
    Text(String),
    Date(toml::value::Datetime),
}

impl DateField {
    fn text(&self) -> String {
        match self {
            DateField::Text(t) => t.clone(),
            DateField::Date(d) => d.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    #[serde(default)]
    expect: Vec<EntryModel>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryModel {
    case: String,
    rule: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    until: Option<DateField>,
}

/// One `[[expect]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// A case name or glob.
    pub case: String,
    /// The rule the failure breaks (any failure of the case when `None`).
    pub rule: Option<Rule>,
    /// Why it fails.
    pub reason: Option<String>,
    /// Who looks after it.
    pub owner: Option<String>,
    /// The date after which the entry no longer holds.
    pub until: Option<Date>,
    /// The file's line of the entry's `[[expect]]`.
    pub line: usize,
}

impl Entry {
    /// How the entry is named in messages.
    pub fn describe(&self) -> String {
        match self.rule {
            Some(rule) => format!("line {}: case `{}`, rule {rule}", self.line, self.case),
            None => format!("line {}: case `{}`", self.line, self.case),
        }
    }

    fn covers_case(&self, name: &str) -> bool {
        glob_matches(&self.case, name)
    }
}

/// What became of an entry in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryStatus {
    /// It covered a failure.
    Met,
    /// A case it matches played without the failure it expects (XPASS).
    NoLongerFails,
    /// Its `until` date has passed.
    Expired(Date),
    /// No case it matches played.
    NotPlayed,
}

impl EntryStatus {
    /// Whether the status fails the run.
    pub fn fails_run(&self) -> bool {
        self.state().fails_run()
    }

    /// The status without its date: what `report.json` records as `state`.
    pub fn state(&self) -> EntryState {
        match self {
            EntryStatus::Met => EntryState::Met,
            EntryStatus::NoLongerFails => EntryState::Xpass,
            EntryStatus::Expired(_) => EntryState::Expired,
            EntryStatus::NotPlayed => EntryState::NotPlayed,
        }
    }
}

/// An entry's [`EntryStatus`] as `report.json` records it (`state`), and as
/// the certificate and the badge read it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// It covered a failure.
    Met,
    /// No longer fails (XPASS): fails the run.
    Xpass,
    /// Past its date: fails the run.
    Expired,
    /// No case it matches played.
    NotPlayed,
}

impl EntryState {
    /// Whether an entry in this state fails the run.
    pub fn fails_run(self) -> bool {
        matches!(self, EntryState::Xpass | EntryState::Expired)
    }
}

/// An expectations file, and what it has met so far in a run.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The file.
    pub path: PathBuf,
    /// Its entries, in order.
    pub entries: Vec<Entry>,
    today: Date,
    met: Vec<bool>,
    played: Vec<bool>,
}

impl Expectations {
    /// Reads and checks an expectations file; `today` decides which entries
    /// have expired.
    pub fn load(path: &Path, today: Date) -> Result<Expectations, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        Expectations::parse(path, &text, today)
    }

    /// Reads the text of an expectations file.
    pub fn parse(path: &Path, text: &str, today: Date) -> Result<Expectations, Error> {
        let bad = |line: usize, column: usize, message: String| Error::Expectations {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
        let model: FileModel = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| indiv_spec::text::line_column(text, s.start));
            bad(line, column, e.message().trim_end_matches('.').to_string())
        })?;
        // The line of each `[[expect]]` header, in order.
        let headers: Vec<usize> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("[[expect]]"))
            .map(|(i, _)| i + 1)
            .collect();
        let mut entries = Vec::with_capacity(model.expect.len());
        for (i, m) in model.expect.into_iter().enumerate() {
            let line = headers.get(i).copied().unwrap_or(1);
            let rule = match &m.rule {
                Some(id) => Some(Rule::from_id(id).ok_or_else(|| {
                    bad(line, 1, format!("unknown rule `{id}`; `indiv explain --list` lists the rules"))
                })?),
                None => None,
            };
            if rule.is_none() && (m.case.contains('*') || m.case.contains('?')) {
                return Err(bad(
                    line,
                    1,
                    format!(
                        "case `{}` is a glob without a rule: it would hide every failure of every case it matches; \
                         name one case, or add the rule",
                        m.case
                    ),
                ));
            }
            let until = match &m.until {
                Some(field) => {
                    let text = field.text();
                    Some(
                        Date::parse(&text)
                            .ok_or_else(|| bad(line, 1, format!("until `{text}` is not a date YYYY-MM-DD")))?,
                    )
                }
                None => None,
            };
            entries.push(Entry { case: m.case, rule, reason: m.reason, owner: m.owner, until, line });
        }
        let n = entries.len();
        Ok(Expectations { path: path.to_path_buf(), entries, today, met: vec![false; n], played: vec![false; n] })
    }

    fn expired(&self, entry: &Entry) -> bool {
        entry.until.is_some_and(|until| until < self.today)
    }

    /// Takes a play: marks the entries matching its case as played, and
    /// turns a failing verdict into [`Verdict::Xfail`] when live entries
    /// cover it (see the module's doc). Returns the reasons of the entries
    /// that covered it.
    pub fn apply(&mut self, result: &mut CaseResult, strict: bool) -> Option<Vec<String>> {
        for (i, entry) in self.entries.iter().enumerate() {
            if entry.covers_case(&result.name) {
                self.played[i] = true;
            }
        }
        let failing = matches!(result.verdict, Verdict::Fail | Verdict::Error)
            || (strict && matches!(result.verdict, Verdict::Nonstrict | Verdict::Inconclusive));
        if !failing {
            return None;
        }
        let broken: BTreeSet<Rule> = result.findings.iter().map(|f| f.rule).collect();
        let live: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.entries[i].covers_case(&result.name) && !self.expired(&self.entries[i]))
            .collect();
        let whole =
            live.iter().copied().find(|&i| self.entries[i].rule.is_none() && self.entries[i].case == result.name);
        let covering: Vec<usize> = match whole {
            Some(i) => vec![i],
            None if broken.is_empty() => return None,
            None => {
                let by_rule: Vec<usize> =
                    live.into_iter().filter(|&i| self.entries[i].rule.is_some_and(|r| broken.contains(&r))).collect();
                let covered: BTreeSet<Rule> = by_rule.iter().filter_map(|&i| self.entries[i].rule).collect();
                if covered != broken {
                    return None;
                }
                by_rule
            }
        };
        for &i in &covering {
            self.met[i] = true;
        }
        result.verdict = Verdict::Xfail;
        Some(
            covering
                .iter()
                .map(|&i| {
                    let e = &self.entries[i];
                    let mut why = e.reason.clone().unwrap_or_else(|| "no reason given".into());
                    if let Some(owner) = &e.owner {
                        why.push_str(&format!(" (owner {owner})"));
                    }
                    if let Some(until) = e.until {
                        why.push_str(&format!(" (until {until})"));
                    }
                    why
                })
                .collect(),
        )
    }

    /// What became of each entry, in file order.
    pub fn statuses(&self) -> Vec<(&Entry, EntryStatus)> {
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let status = match e.until {
                    Some(until) if until < self.today => EntryStatus::Expired(until),
                    _ if self.met[i] => EntryStatus::Met,
                    _ if self.played[i] => EntryStatus::NoLongerFails,
                    _ => EntryStatus::NotPlayed,
                };
                (e, status)
            })
            .collect()
    }
}

/// The expectations file that `--update-expectations` writes: one entry per
/// failing case and broken rule (one entry without a rule for a case that
/// broke none, an ERROR), keeping the reason, owner and date of an entry of
/// `old` that covered it; entries of `old` whose case did not play are kept.
pub fn updated<'a>(old: Option<&Expectations>, failing: impl IntoIterator<Item = (&'a str, BTreeSet<Rule>)>) -> String {
    let mut entries: Vec<Entry> = Vec::new();
    let keep = |case: &str, rule: Option<Rule>| -> (Option<String>, Option<String>, Option<Date>) {
        let found =
            old.and_then(|o| o.entries.iter().find(|e| e.covers_case(case) && (e.rule.is_none() || e.rule == rule)));
        found.map_or((None, None, None), |e| (e.reason.clone(), e.owner.clone(), e.until))
    };
    for (case, rules) in failing {
        let rules: Vec<Option<Rule>> =
            if rules.is_empty() { vec![None] } else { rules.into_iter().map(Some).collect() };
        for rule in rules {
            if entries.iter().any(|e| e.case == case && e.rule == rule) {
                continue;
            }
            let (reason, owner, until) = keep(case, rule);
            entries.push(Entry { case: case.to_string(), rule, reason, owner, until, line: 0 });
        }
    }
    if let Some(old) = old {
        for (entry, status) in old.statuses() {
            if status == EntryStatus::NotPlayed && !entries.iter().any(|e| e.case == entry.case && e.rule == entry.rule)
            {
                entries.push(entry.clone());
            }
        }
    }
    let mut text =
        String::from("# indiv certify expectations: known failures (see `indiv certify --help`, --expect)\n");
    for e in &entries {
        text.push_str("\n[[expect]]\n");
        text.push_str(&format!("case = {}\n", toml_string(&e.case)));
        if let Some(rule) = e.rule {
            text.push_str(&format!("rule = {}\n", toml_string(rule.id())));
        }
        text.push_str(&format!("reason = {}\n", toml_string(e.reason.as_deref().unwrap_or("TODO: why it fails"))));
        if let Some(owner) = &e.owner {
            text.push_str(&format!("owner = {}\n", toml_string(owner)));
        }
        if let Some(until) = e.until {
            text.push_str(&format!("until = {until}\n"));
        }
    }
    text
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{Date, updated};
    use indiv_spec::Rule;

    #[test]
    fn dates_are_read_strictly_and_counted_from_the_epoch() {
        let d = |y, m, day| Date { year: y, month: m, day };
        assert_eq!(Date::parse("2024-02-29"), Some(d(2024, 2, 29)));
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "2024-01-01x", "", "2024/01/01"]
        {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_days(0), d(1970, 1, 1));
        assert_eq!(Date::from_days(19_782), d(2024, 2, 29));
        assert_eq!(Date::from_days(-1), d(1969, 12, 31));
        assert!(d(2026, 11, 29) < d(2026, 12, 1) && d(2026, 12, 1) < d(2027, 1, 1));
        assert_eq!(d(2027, 3, 1).to_string(), "2027-03-01");
    }

    #[test]
    fn an_updated_file_lists_each_failing_rule_once_and_an_error_without_a_rule() {
        let failing = vec![
            ("busy", [Rule::SessionEnds].into_iter().collect()),
            ("busy", [Rule::SessionEnds].into_iter().collect()),
            ("crashes \"here\"", Default::default()),
        ];
        let text = updated(None, failing);
        assert_eq!(text.matches("[[expect]]").count(), 2, "{text}");
        assert!(text.contains("case = \"busy\"\nrule = \"SESSION-ENDS\"\nreason = \"TODO: why it fails\"\n"), "{text}");
        assert!(text.contains("case = \"crashes \\\"here\\\"\"\nreason"), "{text}");
    }
}
