//! The rule fixtures: for every rule, traces where it stays quiet and traces
//! where it fires, with the exact `RULE-ID@line` set the checker must report.
//!
//! The files live in `conformance/tests/rules/<RULE-ID>.toml` and are embedded
//! in the binary at build time (see `build.rs`), so `indiv explain` and
//! `indiv spec --format markdown` show them without the source tree. This
//! module is the one parser of those files: the test runner
//! (`tests/it/rules.rs`), the snapshot tests and the document generator all
//! read fixtures through it.
//!
//! A fixture file is a `rule` and `[[example]]` tables with `name`, `partial`
//! (optional, default false: the trace is complete), `trace` (JSON Lines) and
//! `expect` (the `RULE-ID@line` list, `must` and `should` alike; empty for a
//! conforming example).

use std::sync::OnceLock;

use indiv_spec::Rule;
use serde::Deserialize;

/// The file list that `build.rs` writes to `$OUT_DIR/fixtures.rs`.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

/// Where the fixture files live, relative to the repository root.
pub const DIR: &str = "conformance/tests/rules";

/// One fixture file: the examples of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The file's name within [`DIR`], e.g. `SESSION-ENDS.toml` (not part of
    /// the file's text).
    #[serde(skip)]
    pub file: String,
    /// The id of the rule the examples are about.
    pub rule: String,
    /// The examples, in the file's order (`[[example]]` tables).
    pub example: Vec<Example>,
}

/// One example: a trace and what the checker must report on it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// What the example shows.
    pub name: String,
    /// Whether the trace is checked as partial (`indiv check --partial`).
    #[serde(default)]
    pub partial: bool,
    /// The trace, JSON Lines, each line ending with a newline.
    pub trace: String,
    /// The exact set of `RULE-ID@line` the checker reports; empty when the
    /// trace conforms.
    pub expect: Vec<String>,
}

impl Example {
    /// Whether the checker must report nothing on this example.
    pub fn conforming(&self) -> bool {
        self.expect.is_empty()
    }
}

/// A fixture file that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{DIR}/{file}: {message}")]
pub struct FixtureError {
    /// The file's name within [`DIR`].
    pub file: String,
    /// What the TOML parser said.
    pub message: String,
}

/// Parses the text of the fixture file `file` (a name within [`DIR`]).
pub fn parse(file: &str, text: &str) -> Result<Fixture, FixtureError> {
    let mut fixture: Fixture = toml::from_str(text)
        .map_err(|e| FixtureError { file: file.to_string(), message: e.to_string().trim_end().to_string() })?;
    fixture.file = file.to_string();
    Ok(fixture)
}

/// The fixture files embedded at build time, as `(file name, text)`, sorted by name.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// Every embedded fixture, parsed once, sorted by file name.
pub fn embedded() -> Result<&'static [Fixture], FixtureError> {
    static PARSED: OnceLock<Result<Vec<Fixture>, FixtureError>> = OnceLock::new();
    PARSED
        .get_or_init(|| embedded::FILES.iter().map(|(file, text)| parse(file, text)).collect())
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The embedded fixture of `rule`, if it has one.
pub fn for_rule(rule: Rule) -> Result<Option<&'static Fixture>, FixtureError> {
    Ok(embedded()?.iter().find(|f| f.rule == rule.id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_fixture_parses() {
        let fixtures = embedded().expect("the embedded fixtures parse");
        assert_eq!(fixtures.len(), embedded_files().len());
        assert!(fixtures.iter().all(|f| !f.example.is_empty()));
    }

    #[test]
    fn unknown_keys_and_missing_fields_are_errors() {
        let e = parse("X.toml", "rule = \"X\"\ncolour = 1\nexample = []\n").expect_err("unknown key");
        assert!(e.to_string().starts_with("conformance/tests/rules/X.toml: "), "{e}");
        assert!(e.message.contains("colour"), "{e}");
        let e = parse("X.toml", "rule = \"X\"\n[[example]]\nname = \"n\"\ntrace = \"\"\n").expect_err("no expect");
        assert!(e.message.contains("expect"), "{e}");
    }
}
