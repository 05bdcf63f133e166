//! Every rule of the spec, shown to fire on a violating trace and to stay
//! quiet on a conforming one, from the fixture files in `tests/rules/`.
//!
//! A fixture file is `tests/rules/<RULE-ID>.toml` with `[[example]]` tables:
//! `name`, `partial` (optional), `trace` (JSON Lines) and `expect`, the exact
//! set of `RULE-ID@line` the checker must report, `must` and `should` alike.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indiv_spec::{CheckOptions, Rule, Spec, check_reader};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    pub rule: String,
    pub example: Vec<Example>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub name: String,
    #[serde(default)]
    pub partial: bool,
    pub trace: String,
    pub expect: Vec<String>,
}

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules")
}

pub fn load_fixtures() -> Vec<(PathBuf, Fixture)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("tests/rules exists") {
        let path = entry.expect("readable dir entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            let fixture: Fixture = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((path, fixture));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Runs the checker on `trace` and returns the reported `RULE-ID@line` set.
pub fn check(trace: &str, partial: bool) -> BTreeSet<String> {
    let spec = Spec::builtin().expect("builtin spec loads");
    let outcome = check_reader(spec, trace.as_bytes(), CheckOptions { partial })
        .unwrap_or_else(|e| panic!("fixture trace does not read: {e}\n{trace}"));
    outcome.violations.iter().map(|v| format!("{}@{}", v.rule.id(), v.line)).collect()
}

#[test]
fn every_rule_fires_on_its_violating_examples_and_stays_quiet_on_conforming_ones() {
    let mut failures = Vec::new();
    for (path, fixture) in load_fixtures() {
        for example in &fixture.example {
            let expected: BTreeSet<String> = example.expect.iter().cloned().collect();
            let seen = check(&example.trace, example.partial);
            if seen != expected {
                failures.push(format!(
                    "{} [{}]: expected {expected:?}, checker reported {seen:?}",
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    example.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} examples disagree:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_rule_has_a_conforming_and_a_violating_example() {
    let fixtures = load_fixtures();
    let mut missing = Vec::new();
    let spec = Spec::builtin().expect("builtin spec loads");
    // Service rules need the certification harness's counters; the certify
    // tests show each of them firing and staying quiet.
    for rule in Rule::ALL.iter().filter(|r| spec.rule(**r).basis != indiv_spec::catalog::Basis::Harness) {
        let Some((_, fixture)) = fixtures.iter().find(|(_, f)| f.rule == rule.id()) else {
            missing.push(format!("{rule}: no fixture file"));
            continue;
        };
        let fires = fixture.example.iter().any(|e| e.expect.iter().any(|x| x.starts_with(&format!("{}@", rule.id()))));
        let quiet = fixture.example.iter().any(|e| e.expect.is_empty());
        if !fires {
            missing.push(format!("{rule}: no example where it fires"));
        }
        if !quiet {
            missing.push(format!("{rule}: no conforming example"));
        }
    }
    for (path, fixture) in &fixtures {
        assert!(Rule::from_id(&fixture.rule).is_some(), "{}: unknown rule {}", path.display(), fixture.rule);
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(fixture.rule.as_str()),
            "a fixture file is named after its rule"
        );
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
