//! Verdicts do not depend on timing: certification under CPU load (several
//! runs at once on a machine that may have two cores) gives no false FAIL
//! and no false PASS.
//!
//! - No false FAIL: the Python engine in both conforming ways of reporting
//!   the first exchange (`--query-figures zero`: 0/0; `body`: the query
//!   response's body length, which a harness reading the service's state
//!   late once mistook for the package's), over 2,000 generated cases and the
//!   named ones, every one PASS.
//! - No false PASS: at the same time, each deliberate bug of the engine,
//!   played 5 rounds over its cases, is caught in every round.
//!
//! The figures (plays, rounds, wall time) go to the test output.

use std::sync::Mutex;
use std::time::Instant;

use crate::python_engine::{BUGS, OPEN_ENDED, certify, check, text};

/// Generated cases per conforming run, and the runs: (query figures, seed).
const GENERATED: u32 = 500;
const CONFORMING: &[(&str, u64)] = &[("zero", 1_000), ("body", 2_000), ("zero", 3_000), ("body", 4_000)];
/// Rounds each bug's cases are played.
const BUG_ROUNDS: u32 = 5;
/// Bug runs at once, beside the conforming ones.
const BUG_WORKERS: usize = 2;

/// Certifies the conforming engine with `--query-figures figures` on
/// `GENERATED` cases from `seed` (and, for the first seed of each kind, the
/// named cases); the number of plays, or what went wrong.
fn conforming_run(figures: &str, seed: u64, named: bool) -> Result<usize, String> {
    let (random, seed_text) = (GENERATED.to_string(), seed.to_string());
    let mut options = vec!["--random", &random, "--seed", &seed_text];
    if named {
        options.extend(["--case", "*"]);
    }
    let (o, report) = certify(&options, &["--query-figures", figures]);
    let plays = report["cases"].as_array().map_or(0, Vec::len);
    let passed = report["counts"]["pass"].as_u64().unwrap_or(0) as usize;
    let expected = GENERATED as usize + if named { indiv_engine::scenario::named().len() } else { 0 };
    if o.status.code() == Some(0) && plays == expected && passed == plays {
        return Ok(plays);
    }
    let wrong: Vec<String> = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["verdict"] != "PASS")
        .map(|c| format!("{} {}: {} {}", c["name"], c["verdict"], c["violations"], c["error"]))
        .collect();
    Err(format!(
        "--query-figures {figures} --seed {seed}: {passed} of {plays} plays passed (expected {expected}), exit {:?}\n{}\n{}",
        o.status.code(),
        wrong.join("\n"),
        text(&o)
    ))
}

#[test]
fn verdicts_under_load_have_no_false_fail_and_no_false_pass() {
    let started = Instant::now();
    let failures = Mutex::new(Vec::new());
    let plays = Mutex::new(0usize);
    // Open-ended bugs wait out their timeout: they start first.
    let mut bugs: Vec<(&str, &str, &[&str])> = BUGS.to_vec();
    bugs.sort_by_key(|(bug, _, _)| !OPEN_ENDED.contains(bug));
    let bug_queue = Mutex::new(bugs.into_iter());
    std::thread::scope(|scope| {
        for (i, (figures, seed)) in CONFORMING.iter().enumerate() {
            let (failures, plays) = (&failures, &plays);
            scope.spawn(move || match conforming_run(figures, *seed, i < 2) {
                Ok(n) => *plays.lock().expect("plays") += n,
                Err(e) => failures.lock().expect("failures").push(e),
            });
        }
        for _ in 0..BUG_WORKERS {
            scope.spawn(|| {
                loop {
                    // Not in a `while let`: its guard would hold the queue for the whole run.
                    let Some((bug, rule, cases)) = bug_queue.lock().expect("queue").next() else { break };
                    if let Err(e) = check(bug, rule, cases, BUG_ROUNDS) {
                        failures.lock().expect("failures").push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let plays = plays.into_inner().expect("plays");
    assert!(plays >= 2_000, "only {plays} conforming plays");
    crate::show_in_test_output(&format!(
        "stress: {plays} conforming plays, all PASS; {} bugs x {BUG_ROUNDS} rounds, each round caught; {} certify runs \
         at once at most; {:.0} s\n",
        BUGS.len(),
        CONFORMING.len() + BUG_WORKERS,
        started.elapsed().as_secs_f64()
    ));
}
