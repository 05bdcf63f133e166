//! The checker against generated traces, without any engine: it accepts every
//! legal trace the spec-driven generator (`legal`) produces, and every rule
//! that a trace alone can break is killed by its mutation operator (`mutate`)
//! at the line the operator names. Traces always go through JSON Lines and
//! `check_reader`, as a user's trace would.

use std::fmt::Write as _;
use std::path::PathBuf;

use indiv_gen::legal::{SplitMix64, legal_trace, legal_trace_strategy};
use indiv_gen::mutate::{Mutant, mutate};
use indiv_spec::catalog::Basis;
use indiv_spec::record::to_jsonl as jsonl;
use indiv_spec::{CheckOptions, Outcome, Record, Rule, Spec, Violation, check_reader, check_records};
use proptest::prelude::*;

/// Legal traces per rule in the kill matrix.
const TRACES_PER_RULE: u64 = 200;
/// Sessions at most in one generated trace.
const MAX_SESSIONS: usize = 5;

fn spec() -> &'static Spec {
    Spec::builtin().expect("the built-in spec loads")
}

/// What the checker reports on the serialized trace, as a user would run it.
fn check_serialized(records: &[Record<'_>]) -> Vec<Violation> {
    outcome_serialized(records, CheckOptions::default()).violations
}

/// Everything the checker finds in the serialized trace.
fn outcome_serialized(records: &[Record<'_>], options: CheckOptions) -> Outcome {
    let text = jsonl(records);
    check_reader(spec(), text.as_bytes(), options)
        .unwrap_or_else(|e| panic!("a generated trace does not read back: {e}\n{text}"))
}

/// The rules a trace alone can break (the harness rules need the service's view).
fn trace_rules() -> Vec<Rule> {
    Rule::ALL.iter().copied().filter(|r| spec().rule(*r).basis != Basis::Harness).collect()
}

fn describe(violations: &[Violation]) -> String {
    violations.iter().map(|v| format!("{}@{} ({})", v.rule, v.line, v.message)).collect::<Vec<_>>().join("\n  ")
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1000,
        max_shrink_time: 30_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn checker_accepts_every_legal_trace(trace in legal_trace_strategy()) {
        let violations = check_serialized(&trace);
        prop_assert!(
            violations.is_empty(),
            "the checker rejects a legal trace:\n  {}\ntrace:\n{}",
            describe(&violations),
            jsonl(&trace)
        );
    }
}

#[test]
fn seeded_legal_traces_are_accepted_too() {
    // The seeded generator (what `indiv gen` uses) walks the same code with
    // other numbers: a second, deterministic sample.
    for seed in 0..2_000 {
        let trace = legal_trace(spec(), &mut SplitMix64::new(seed), MAX_SESSIONS);
        let violations = check_serialized(&trace);
        assert!(violations.is_empty(), "seed {seed}:\n  {}\n{}", describe(&violations), jsonl(&trace));
    }
}

/// One row of the kill matrix.
struct Row {
    rule: Rule,
    applicable: u32,
    killed: u32,
    /// The first mutant that survived, with what the checker said instead.
    survivor: Option<(Mutant, Vec<Violation>)>,
}

fn kill_matrix() -> Vec<Row> {
    let traces: Vec<Vec<Record<'static>>> =
        (0..TRACES_PER_RULE).map(|seed| legal_trace(spec(), &mut SplitMix64::new(seed), MAX_SESSIONS)).collect();
    let mut rows = Vec::new();
    for (r, rule) in trace_rules().into_iter().enumerate() {
        let mut row = Row { rule, applicable: 0, killed: 0, survivor: None };
        for (seed, trace) in traces.iter().enumerate() {
            let mut choices = SplitMix64::new(((r as u64) << 32) ^ seed as u64 ^ 0x5EED);
            let Some(mutant) = mutate(rule, trace, &mut choices) else { continue };
            row.applicable += 1;
            let violations = check_serialized(&mutant.records);
            if violations.iter().any(|v| v.rule == rule && v.line == mutant.line) {
                row.killed += 1;
            } else if row.survivor.is_none() {
                row.survivor = Some((mutant, violations));
            }
        }
        rows.push(row);
    }
    rows
}

/// `target/kill-matrix.txt`, next to the test binary's profile directory.
fn matrix_path() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/deps/<test binary>
    Some(exe.parent()?.parent()?.parent()?.join("kill-matrix.txt"))
}

#[test]
fn every_rule_is_killed_by_its_mutation() {
    let rows = kill_matrix();
    let mut table = format!("kill matrix: {TRACES_PER_RULE} legal traces per rule\n");
    let _ = writeln!(table, "{:<32} {:>10} {:>7}", "rule", "applicable", "killed");
    for row in &rows {
        let _ = writeln!(table, "{:<32} {:>10} {:>7}", row.rule.id(), row.applicable, row.killed);
    }
    let harness: Vec<&str> =
        Rule::ALL.iter().filter(|r| spec().rule(**r).basis == Basis::Harness).map(|r| r.id()).collect();
    let _ = writeln!(table, "not judged on traces alone (harness rules): {}", harness.join(", "));
    crate::show_in_test_output(&table);
    if let Some(path) = matrix_path() {
        std::fs::write(&path, &table).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    let mut failures = String::new();
    for row in &rows {
        if row.applicable == 0 || row.killed != row.applicable {
            let _ = writeln!(failures, "{}: applicable {}, killed {}", row.rule, row.applicable, row.killed);
            if let Some((mutant, violations)) = &row.survivor {
                let _ = writeln!(
                    failures,
                    "  expected {}@{}, the checker reported:\n  {}\n{}",
                    row.rule,
                    mutant.line,
                    describe(violations),
                    jsonl(&mutant.records)
                );
            }
        }
    }
    assert!(failures.is_empty(), "{table}\n{failures}");
}

/// `check_reader` on the JSON Lines of `records` and `check_records` on the
/// records themselves find the same outcome (violations, notes, records),
/// complete and partial.
fn assert_text_and_records_judged_alike(records: &[Record<'_>], what: &str) {
    for partial in [false, true] {
        let options = CheckOptions { partial };
        assert_eq!(
            outcome_serialized(records, options),
            check_records(spec(), records, options),
            "{what} (partial: {partial}): the checker judges the JSONL and the records differently\n{}",
            jsonl(records)
        );
    }
}

#[test]
fn mutants_survive_a_json_round_trip() {
    for seed in 0..40 {
        let trace = legal_trace(spec(), &mut SplitMix64::new(10_000 + seed), MAX_SESSIONS);
        assert_text_and_records_judged_alike(&trace, &format!("legal seed {seed}"));
        for (r, rule) in trace_rules().into_iter().enumerate() {
            let Some(mutant) = mutate(rule, &trace, &mut SplitMix64::new(seed * 100 + r as u64)) else { continue };
            for (i, record) in mutant.records.iter().enumerate() {
                let line = serde_json::to_string(record).expect("a record serializes");
                let back: Record<'_> = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{rule} seed {seed}: line {} does not read back: {e}\n{line}", i + 1));
                assert_eq!(&back.into_owned(), record, "{rule} seed {seed}: line {} changed in a round trip", i + 1);
            }
            assert_text_and_records_judged_alike(&mutant.records, &format!("{rule} seed {seed}"));
        }
    }
}

/// One fault, one report: a mutant of SECURITY-VERSION-STABLE or
/// SECURITY-VERSION-REFLECTS is reported at its line under its own rule and
/// under no other version rule (the two never judge one report twice).
#[test]
fn a_wrong_version_is_reported_under_one_version_rule() {
    let version_rules = [Rule::SecurityVersionForm, Rule::SecurityVersionReflects, Rule::SecurityVersionStable];
    for seed in 0..TRACES_PER_RULE {
        let trace = legal_trace(spec(), &mut SplitMix64::new(seed), MAX_SESSIONS);
        for rule in [Rule::SecurityVersionStable, Rule::SecurityVersionReflects] {
            let mutant = mutate(rule, &trace, &mut SplitMix64::new(seed ^ 0xC8)).expect("the operator applies");
            let violations = check_serialized(&mutant.records);
            let at_line: Vec<Rule> = violations
                .iter()
                .filter(|v| v.line == mutant.line && version_rules.contains(&v.rule))
                .map(|v| v.rule)
                .collect();
            assert_eq!(
                at_line,
                vec![rule],
                "{rule} seed {seed}:\n  {}\n{}",
                describe(&violations),
                jsonl(&mutant.records)
            );
        }
    }
}
