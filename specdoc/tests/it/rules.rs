//! Every rule of the spec, shown to fire on a violating example and to stay
//! quiet on a conforming one, from the fixture files in `tests/rules/`.
//!
//! A fixture file is `tests/rules/<RULE-ID>.toml` with `[[example]]` tables.
//! A trace rule's example has `name`, `partial` (optional), `trace` (JSON
//! Lines) and `expect`, the exact set of `RULE-ID@line` the checker must
//! report, `must` and `should` alike. A harness rule's example (the
//! `SERVICE-*` rules) has one status line, the service's log and the session's
//! facts, and `expect`, the exact set of rule ids `service_rules::check` (what
//! `indiv certify` runs on every status) must report. The files are read
//! through `indiv_specdoc::fixtures`, the same parser (and the same copies,
//! embedded at build time) that `indiv explain` and `docs/SPEC.md` show.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use indiv_spec::{CheckOptions, Rule, Spec, check_reader};
use indiv_specdoc::fixtures::{self, Fixture, Input};

pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules")
}

/// Every fixture with its path, sorted by file name.
pub fn load_fixtures() -> Vec<(PathBuf, Fixture)> {
    let fixtures = fixtures::embedded().unwrap_or_else(|e| panic!("{e}"));
    fixtures.iter().map(|f| (fixture_dir().join(&f.file), f.clone())).collect()
}

/// Runs the checker on `trace` and returns the reported `RULE-ID@line` set.
pub fn check(trace: &str, partial: bool) -> BTreeSet<String> {
    let spec = Spec::builtin().expect("builtin spec loads");
    let outcome = check_reader(spec, trace.as_bytes(), CheckOptions { partial })
        .unwrap_or_else(|e| panic!("fixture trace does not read: {e}\n{trace}"));
    outcome.violations.iter().map(|v| format!("{}@{}", v.rule.id(), v.line)).collect()
}

#[test]
fn the_embedded_fixtures_are_the_files_on_disk() {
    let mut on_disk = Vec::new();
    for entry in std::fs::read_dir(fixture_dir()).expect("tests/rules exists") {
        let path = entry.expect("readable dir entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("UTF-8 name").to_string();
            on_disk.push((name, std::fs::read_to_string(&path).expect("readable fixture")));
        }
    }
    on_disk.sort();
    let embedded: Vec<(String, String)> =
        fixtures::embedded_files().iter().map(|(n, t)| (n.to_string(), t.to_string())).collect();
    assert!(embedded == on_disk, "the fixtures embedded in the build differ from tests/rules/ (rebuild)");
}

#[test]
fn every_rule_fires_on_its_violating_examples_and_stays_quiet_on_conforming_ones() {
    let mut failures = Vec::new();
    for (path, fixture) in load_fixtures() {
        for example in &fixture.example {
            let expected: BTreeSet<String> = example.expect.iter().cloned().collect();
            let seen = match &example.input {
                Input::Trace(t) => check(&t.trace, t.partial),
                Input::Harness(h) => h.judge().iter().map(|(rule, _)| rule.id().to_string()).collect(),
            };
            if seen != expected {
                failures.push(format!(
                    "{} [{}]: expected {expected:?}, reported {seen:?}",
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
    for rule in Rule::ALL {
        let Some((_, fixture)) = fixtures.iter().find(|(_, f)| f.rule == *rule) else {
            missing.push(format!("{rule}: no fixture file"));
            continue;
        };
        let fires = fixture.example.iter().any(|e| e.fires(*rule));
        let quiet = fixture.example.iter().any(|e| e.conforming());
        if !fires {
            missing.push(format!("{rule}: no example where it fires"));
        }
        if !quiet {
            missing.push(format!("{rule}: no conforming example"));
        }
    }
    for (path, fixture) in &fixtures {
        assert_eq!(path.file_stem().and_then(|s| s.to_str()), Some(fixture.rule.id()), "named after its rule");
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert_eq!(fixtures.len(), Rule::ALL.len(), "one fixture file per rule, and no other");
}
