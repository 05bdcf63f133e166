//! `report.json` read back: the part of a certification report that `indiv
//! report diff` compares and that a certificate ([`crate::certificate`])
//! vouches for. One reader for both, so that they agree on what a report
//! says; it accepts any report `indiv certify --report` writes and ignores
//! what it does not use.
//!
//! Bad input is an [`Error`] naming the file: [`Error::Json`] with the line
//! and column for a file that is not JSON, or JSON of another shape;
//! [`Error::Io`] for one that cannot be read.

use std::io::Read as _;
use std::path::Path;

use serde::{Deserialize, Deserializer};

use crate::error::Error;
use crate::expect::EntryState;
use crate::runner::Verdict;

/// The largest `report.json` read, in bytes (a report of 100,000 plays with
/// their findings stays far below it).
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Every verdict, in [`Verdict`]'s order.
pub const VERDICTS: [Verdict; 7] = [
    Verdict::Pass,
    Verdict::Nonstrict,
    Verdict::Inconclusive,
    Verdict::Fail,
    Verdict::Error,
    Verdict::Skip,
    Verdict::Xfail,
];

/// The verdict named `name` (`PASS`, `FAIL`, ...), if any.
pub fn verdict_named(name: &str) -> Option<Verdict> {
    VERDICTS.into_iter().find(|v| v.as_str() == name)
}

/// A report as written by `indiv certify --report`; only `cases` (each with
/// `name` and `verdict`) is required, so that a report can be written by hand.
#[derive(Clone, Debug, Deserialize)]
pub struct ReportFile {
    /// `{"name": "indiv", "version": ...}`: the tool that wrote it.
    #[serde(default)]
    pub tool: Option<serde_json::Value>,
    /// `{"version": ..., "hash": ...}`: the spec the cases were judged against.
    #[serde(default)]
    pub spec: Option<SpecId>,
    /// The run was interrupted.
    #[serde(default)]
    pub incomplete: bool,
    /// The run stopped at the first protocol mismatch.
    #[serde(default)]
    pub stopped_at_protocol_mismatch: bool,
    /// The run was strict (NONSTRICT and INCONCLUSIVE failed it).
    #[serde(default)]
    pub strict: bool,
    /// The program run, word by word.
    #[serde(default)]
    pub program: Vec<String>,
    /// The testee's hello: implementation and capabilities.
    #[serde(default)]
    pub testee: Option<serde_json::Value>,
    /// Every play, in run order.
    pub cases: Vec<Play>,
    /// The cases whose plays came to different verdicts.
    #[serde(default)]
    pub flaky: Vec<FlakyName>,
    /// The rule coverage matrix.
    #[serde(default)]
    pub coverage: Option<serde_json::Value>,
    /// The boundary coverage (absent from reports of indiv before it).
    #[serde(default)]
    pub boundary_coverage: Option<serde_json::Value>,
    /// What became of the `--expect` file's entries, when one was given.
    #[serde(default)]
    pub expectations: Option<ExpectationsFile>,
}

/// The `expectations` of a report: only each entry's `state` is read.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExpectationsFile {
    /// Every entry of the file, in its order.
    #[serde(default)]
    pub entries: Vec<EntryOutcome>,
}

/// What became of one expectations entry.
#[derive(Clone, Debug, Deserialize)]
pub struct EntryOutcome {
    /// Its state (absent from reports written before it was recorded).
    #[serde(default)]
    pub state: Option<EntryState>,
}

impl ExpectationsFile {
    /// How many entries are in each state: met, XPASS, expired, not played.
    pub fn tally(&self) -> [(EntryState, usize); 4] {
        [EntryState::Met, EntryState::Xpass, EntryState::Expired, EntryState::NotPlayed]
            .map(|s| (s, self.entries.iter().filter(|e| e.state == Some(s)).count()))
    }

    /// Whether an entry fails the run (XPASS or expired).
    pub fn fail_run(&self) -> bool {
        self.entries.iter().any(|e| e.state.is_some_and(EntryState::fails_run))
    }
}

/// Which spec a report was judged against.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct SpecId {
    /// Its version.
    pub version: String,
    /// SHA-256 of its text.
    pub hash: String,
}

/// One play of a case.
#[derive(Clone, Debug, Deserialize)]
pub struct Play {
    /// The case's name.
    pub name: String,
    /// Its verdict.
    #[serde(deserialize_with = "verdict")]
    pub verdict: Verdict,
    /// The rules it broke (with repetitions, in the order found).
    #[serde(default)]
    pub violations: Vec<Violation>,
    /// The round it was played in, from 1.
    #[serde(default = "first_round")]
    pub round: u32,
    /// Its trace, relative to the report's directory.
    #[serde(default)]
    pub trace_file: Option<String>,
}

/// One broken rule of a play (its other fields are not read).
#[derive(Clone, Debug, Deserialize)]
pub struct Violation {
    /// The rule's id.
    pub rule: String,
}

/// A flaky case (its verdict counts are not read: they follow from the plays).
#[derive(Clone, Debug, Deserialize)]
pub struct FlakyName {
    /// The case's name.
    pub name: String,
}

fn first_round() -> u32 {
    1
}

fn verdict<'de, D: Deserializer<'de>>(d: D) -> Result<Verdict, D::Error> {
    let name = String::deserialize(d)?;
    verdict_named(&name).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "unknown verdict `{}`, expected one of PASS, NONSTRICT, INCONCLUSIVE, FAIL, ERROR, SKIP, XFAIL",
            indiv_spec::text::shorten(&name, 40)
        ))
    })
}

/// Reads the file at `path` whole, at most `limit` bytes; more is an error.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(Error::Malformed { path: path.to_path_buf(), message: format!("larger than {limit} bytes") });
    }
    Ok(bytes)
}

/// `bytes`, the content of `path`, read as JSON of type `T`; `what` names
/// the kind of file in a shape error (`an indiv report`).
pub(crate) fn parse<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| {
        // serde_json says column 0 at the start of a line (at an end of file after a
        // newline); columns are 1-based here.
        let (line, column) = (e.line(), e.column().max(1));
        // serde_json ends its message with the position, given apart here.
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(at) => text[..at].to_string(),
            None => text,
        };
        let message = match e.classify() {
            serde_json::error::Category::Data => format!("not {what}: {message}"),
            _ => format!("not JSON: {message}"),
        };
        Error::Json { path: path.to_path_buf(), line, column, message }
    })
}

impl ReportFile {
    /// Reads and parses the report at `path`.
    pub fn read(path: &Path) -> Result<ReportFile, Error> {
        let bytes = read_bounded(path, MAX_REPORT_BYTES)?;
        parse(path, &bytes, "an indiv report")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_the_file_line_and_column_and_say_what_is_wrong() {
        let path = Path::new("old/report.json");
        let syntax = parse::<ReportFile>(path, b"{\n  \"cases\": [,]\n}", "an indiv report");
        let syntax = syntax.map(|_| ()).expect_err("not JSON");
        assert_eq!(syntax.to_string(), "old/report.json:2:13: not JSON: expected value");
        let shape = parse::<ReportFile>(path, b"{\"cases\": 3}", "an indiv report").map(|_| ());
        let shape = shape.expect_err("wrong shape").to_string();
        assert!(shape.starts_with("old/report.json:1:11: not an indiv report: invalid type"), "{shape}");
        let verdict = br#"{"cases": [{"name": "a", "verdict": "GREAT"}]}"#;
        let verdict = parse::<ReportFile>(path, verdict, "an indiv report").map(|_| ());
        let verdict = verdict.expect_err("unknown verdict").to_string();
        assert!(verdict.contains("not an indiv report: unknown verdict `GREAT`"), "{verdict}");
    }

    #[test]
    fn a_hand_written_report_needs_only_names_and_verdicts() {
        let text = br#"{"cases": [{"name": "a", "verdict": "PASS"}]}"#;
        let report: ReportFile = parse(Path::new("r.json"), text, "an indiv report").expect("a report");
        assert_eq!(report.cases[0].verdict, Verdict::Pass);
        assert_eq!(report.cases[0].round, 1);
        assert!(report.flaky.is_empty() && !report.strict);
    }
}
