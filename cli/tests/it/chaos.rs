//! `indiv certify --chaos N`: generated cases against a hostile service. The
//! reference engine and the Python engine pass them; each transport bug of
//! the Python engine is caught by them with the rule it is meant to break
//! (or, for the crash, as an ERROR); a failing chaos case is shrunk and
//! written as `indiv-case-chaos-SEED.toml`, which names its hostile fault.

use std::process::Command;

use crate::python_engine::{CRASH, broken_rules, certify, text};

/// Chaos cases per run: seeds 0 to 199 draw every catalogue entry at least
/// once (`seeds_0_to_199_draw_every_hostile_fault`).
const CHAOS: &str = "200";

#[test]
fn seeds_0_to_199_draw_every_hostile_fault() {
    let count: u64 = CHAOS.parse().expect("a number");
    let drawn: std::collections::HashSet<String> = (0..count)
        .map(|seed| {
            let case = indiv_harness::run::case_by_name(&format!("chaos-{seed}")).expect("a chaos case");
            case.scenario.service.fault.expect("a hostile fault").name()
        })
        .collect();
    let missing: Vec<&str> =
        indiv_engine::service::CATALOGUE.iter().map(|h| h.name).filter(|name| !drawn.contains(*name)).collect();
    assert!(missing.is_empty(), "not drawn by seeds 0 to {}: {missing:?}", count - 1);
}

#[test]
fn the_reference_engine_passes_every_chaos_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--chaos", CHAOS, "--seed", "0", "--report"])
        .arg(dir.path())
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).expect("report")).expect("json");
    assert_eq!(report["counts"]["pass"], 200, "{}", report["counts"]);
    assert!(report["cases"][0]["name"] == "chaos-0", "{}", report["cases"][0]["name"]);
    let certificate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("certificate.json")).expect("certificate"))
            .expect("json");
    assert_eq!(certificate["generated"], serde_json::json!({"seed": 0, "count": 0, "chaos": 200}));
}

#[test]
fn the_python_engine_passes_every_chaos_case() {
    let (o, report) = certify(&["--chaos", CHAOS, "--seed", "0"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(report["counts"]["pass"], 200, "{}", report["counts"]);
}

#[test]
fn chaos_catches_every_transport_bug_with_its_rule() {
    let bugs = [
        ("trusts-offer-size", "SERVICE-TOTAL-MATCHES"),
        ("follows-redirect-loop", "SERVICE-REDIRECTS-BOUNDED"),
        ("crashes-on-missing-field", CRASH),
        ("offer-size-as-total", "SERVICE-TOTAL-MATCHES"),
        ("short-close-succeeds", "SERVICE-FAULT-FAILS"),
    ];
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = bugs
            .iter()
            .map(|&(bug, rule)| {
                scope.spawn(move || {
                    let (o, report) = certify(&["--chaos", CHAOS, "--seed", "0", "--shrink", "0"], &["--bug", bug]);
                    let caught = match rule {
                        CRASH => report["cases"]
                            .as_array()
                            .is_some_and(|cases| cases.iter().any(|c| c["verdict"] == "ERROR")),
                        _ => broken_rules(&report).values().any(|rules| rules.contains(rule)),
                    };
                    let status = if rule == CRASH { 3 } else { 1 };
                    (o.status.code() == Some(status) && caught)
                        .then_some(())
                        .ok_or_else(|| format!("--bug {bug}: expected exit {status} with {rule}\n{}", text(&o)))
                })
            })
            .collect();
        runs.into_iter().filter_map(|r| r.join().expect("thread").err()).collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_failing_chaos_case_shrinks_to_a_case_file_that_names_its_hostile_fault() {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--chaos", CHAOS, "--seed", "0", "--jobs", "1", "--report"])
        .arg(dir.path())
        .args(["--", "python3"])
        .arg(&engine)
        .args(["--bug", "short-close-succeeds"])
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .expect("report dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|name| name.starts_with("indiv-case-chaos-") && name.ends_with(".toml"))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}\n{}", text(&o));
    let case = std::fs::read_to_string(dir.path().join(&written[0])).expect("case file");
    assert!(case.contains("fault = \"http10_short\""), "{case}");
    // The case file plays again, and fails again, on its own.
    let again = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--case-file"])
        .arg(dir.path().join(&written[0]))
        .args(["--", "python3"])
        .arg(&engine)
        .args(["--bug", "short-close-succeeds"])
        .output()
        .expect("run indiv certify");
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("SERVICE-FAULT-FAILS"), "{}", text(&again));
}

#[test]
fn a_chaos_case_shows_as_a_case_file_with_a_hostile_fault() {
    let o = Command::new(env!("CARGO_BIN_EXE_indiv")).args(["certify", "--show", "chaos-7"]).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let shown = String::from_utf8_lossy(&o.stdout);
    let file: indiv_harness::run::CaseFile = toml::from_str(shown.trim_start_matches(|c| c != '\n')).expect("toml");
    assert_eq!(file.name, "chaos-7");
    let fault = file.scenario.service.fault.expect("a chaos case has a fault");
    assert!(fault.hostile().is_some(), "{fault:?}");
    let bad = Command::new(env!("CARGO_BIN_EXE_indiv")).args(["certify", "--show", "chaos-07"]).output().expect("run");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}
