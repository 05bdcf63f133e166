//! The Python engine of `examples/python-engine` under `indiv certify`: it
//! passes every named case, and each of its deliberate bugs (`--bug NAME`)
//! fails certification with the rule the bug is meant to break. The table
//! below must name exactly the bugs `engine.py --list-bugs` prints, so a new
//! bug cannot go untested.
//!
//! These tests need `python3` on the PATH; without it they fail.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

/// Each bug, the rule certification must report, and the cases that show it
/// quickly and whatever the timing. (The harness judges a status against the
/// service's log as it stands when the status arrives, so a case where a late
/// reading would find the figure true is no use here.)
pub(crate) const BUGS: &[(&str, &str, &[&str])] = &[
    ("progress-past-total", "PROGRESS-WITHIN-TOTAL", &["reader-happy"]),
    ("missing-terminal", "SESSION-ENDS", &["reader-happy"]),
    ("status-after-terminal", "SESSION-ONE-TERMINAL", &["reader-happy"]),
    ("ignores-cancel", "CANCEL-STOPS-WORK", &["reader-cancel-begin"]),
    ("reindividualizes-after-final", "READER-ALREADY-INDIVIDUALIZED", &["no-reindiv-after-final"]),
    ("wrong-roundtrip-count", "HTTP-COUNT-MONOTONIC", &["reader-happy"]),
    ("accepts-second-individualize", "SESSION-ONE-AT-A-TIME", &["busy"]),
    ("stale-total", "PROGRESS-TOTAL-STABLE", &["reader-happy"]),
    ("no-completed-event", "SECURITY-COMPLETED-ONCE", &["security-happy"]),
    ("no-needs", "READER-NEEDS-WHEN-OUTDATED", &["reader-happy"]),
    ("call-after-begin", "SESSION-CALL-RETURNS-FIRST", &["reader-happy"]),
    // The package request fails, so no response ever announces the offer's size.
    ("total-from-offer", "SERVICE-TOTAL-MATCHES", &["fault-unavailable-package"]),
    // The body is cut short, so progress passes every byte the service ever writes.
    ("optimistic-progress", "SERVICE-PROGRESS-REAL", &["fault-short-body"]),
    // The URL cached in the first case is stale in the second.
    ("stale-response-url", "SERVICE-URL-MATCHES", &["reader-happy", "security-happy"]),
    ("skips-package-check", "SERVICE-FAULT-FAILS", &["fault-install-failure"]),
    ("counts-failed-roundtrip", "SERVICE-ROUNDTRIPS-MATCH", &["fault-reset-package"]),
    // The transport bugs a hostile service shows (docs/TESTEE.md, "A hostile service").
    ("trusts-offer-size", "SERVICE-TOTAL-MATCHES", &["hostile-size-mismatch"]),
    ("follows-redirect-loop", "SERVICE-REDIRECTS-BOUNDED", &["hostile-redirect-loop"]),
    // No rule: the process exits, and the case is an ERROR.
    ("crashes-on-missing-field", CRASH, &["hostile-offer-missing-field"]),
    ("offer-size-as-total", "SERVICE-TOTAL-MATCHES", &["hostile-chunked-package"]),
    ("short-close-succeeds", "SERVICE-FAULT-FAILS", &["hostile-http10-short"]),
    // Boundary bugs: every named case but the boundary ones passes with them
    // (docs/CASES.md, "Boundary cases").
    ("string-version-compare", "READER-NEEDS-WHEN-OUTDATED", &["boundary-version-minor-wider-below"]),
    ("url-drops-query", "SERVICE-URL-MATCHES", &["boundary-url-query"]),
    ("url-normalized", "SERVICE-URL-MATCHES", &["boundary-url-empty-query"]),
    ("total-16-bit", "SERVICE-TOTAL-MATCHES", &["boundary-total-65537"]),
    ("flags-ignore-high-bits", "READER-FLAGS-VALID", &["boundary-flags-individualize"]),
];

/// What the table expects of a bug that crashes the testee: an ERROR play,
/// not a rule.
pub(crate) const CRASH: &str = "ERROR";

/// The bugs that leave a session open: their cases last until `--timeout`.
pub(crate) const OPEN_ENDED: &[&str] = &["missing-terminal", "no-completed-event"];

/// Certification runs at once; the machine may have only two cores.
const WORKERS: usize = 4;

fn engine_py() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py")
}

pub(crate) fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// `engine.py --list-bugs`, one name per line.
fn listed_bugs() -> Vec<String> {
    let o = Command::new("python3")
        .arg(engine_py())
        .arg("--list-bugs")
        .output()
        .expect("python3 must be on the PATH to test the Python engine");
    assert!(o.status.success(), "engine.py --list-bugs failed: {}", text(&o));
    String::from_utf8(o.stdout).expect("UTF-8").lines().map(str::to_string).collect()
}

/// Certifies the Python engine, started with `engine_args`, with the harness
/// options `options`, writing the report into a temporary directory; returns
/// the run's output and report.json.
pub(crate) fn certify(options: &[&str], engine_args: &[&str]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_indiv"));
    cmd.arg("certify").args(options).arg("--report").arg(dir.path());
    let o = cmd.args(["--", "python3"]).arg(engine_py()).args(engine_args).output().expect("run indiv certify");
    let report = std::fs::read_to_string(dir.path().join("report.json"))
        .unwrap_or_else(|e| panic!("no report.json ({e}): {}", text(&o)));
    (o, serde_json::from_str(&report).expect("report.json is JSON"))
}

/// The rules each failing case of `report` broke.
pub(crate) fn broken_rules(report: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut broken = BTreeMap::new();
    for case in report["cases"].as_array().expect("cases") {
        let rules: BTreeSet<String> = case["violations"]
            .as_array()
            .expect("violations")
            .iter()
            .map(|v| v["rule"].as_str().expect("rule id").to_string())
            .collect();
        if !rules.is_empty() {
            broken.insert(case["name"].as_str().expect("case name").to_string(), rules);
        }
    }
    broken
}

/// Certifies the engine with `--bug bug` on `cases` (strictly, when the rule is
/// a `should` rule), playing them `rounds` times (`--repeat`); an error
/// message unless the run failed (exit 1) with `expected_rule` among the
/// violations of every round.
pub(crate) fn check(bug: &str, expected_rule: &str, cases: &[&str], rounds: u32) -> Result<(), String> {
    // An open-ended case waits out the timeout, so keep that short; a case
    // that ends takes well under a second.
    let mut options = if OPEN_ENDED.contains(&bug) { vec!["--timeout", "2"] } else { vec![] };
    for case in cases {
        options.extend(["--case", case]);
    }
    let repeat = rounds.to_string();
    options.extend(["--repeat", &repeat]);
    // One testee plays every case in order: some bugs show only across
    // cases (a URL cached by the case before).
    options.extend(["--jobs", "1"]);
    // A `should` rule fails a run only under --strict (NONSTRICT otherwise).
    if expected_rule != CRASH {
        let rule = indiv_spec::Rule::from_id(expected_rule).ok_or(format!("{expected_rule}: no such rule"))?;
        if indiv_spec::Spec::builtin().map_err(|e| e.to_string())?.rule(rule).level == indiv_spec::Level::Should {
            options.push("--strict");
        }
    }
    let (o, report) = certify(&options, &["--bug", bug]);
    let plays = report["cases"].as_array().cloned().unwrap_or_default();
    let caught_in = |round: u64| {
        plays.iter().filter(|c| c["round"] == round).any(|c| match expected_rule {
            CRASH => c["verdict"] == "ERROR",
            _ => c["violations"].as_array().is_some_and(|v| v.iter().any(|v| v["rule"] == expected_rule)),
        })
    };
    let missed: Vec<u64> = (1..=u64::from(rounds)).filter(|r| !caught_in(*r)).collect();
    // Errors alone exit 3; a broken rule, 1.
    let status = if expected_rule == CRASH { 3 } else { 1 };
    if o.status.code() == Some(status) && missed.is_empty() {
        return Ok(());
    }
    Err(format!(
        "--bug {bug}: expected exit {status} with {expected_rule} in each of {rounds} rounds; got exit {:?}, rounds \
         without it {missed:?}, rules broken {:?}\n{}",
        o.status.code(),
        broken_rules(&report),
        text(&o)
    ))
}

#[test]
fn the_python_engine_passes_every_named_case() {
    let list = Command::new(env!("CARGO_BIN_EXE_indiv")).args(["certify", "--list"]).output().expect("run");
    let named = String::from_utf8_lossy(&list.stdout).lines().count();
    let (o, report) = certify(&[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(report["cases"].as_array().expect("cases").len(), named, "{}", text(&o));
    assert_eq!(report["counts"]["pass"], named, "{}", report["counts"]);
    assert_eq!(report["testee"]["implementation"]["language"], "Python");
}

#[test]
fn the_bug_table_names_exactly_the_bugs_the_engine_lists() {
    let listed: BTreeSet<String> = listed_bugs().into_iter().collect();
    let tested: BTreeSet<String> = BUGS.iter().map(|(bug, _, _)| (*bug).to_string()).collect();
    assert_eq!(tested.len(), BUGS.len(), "a bug is in the table twice");
    assert_eq!(tested, listed, "the table here and engine.py --list-bugs disagree");
}

#[test]
fn every_listed_bug_fails_certification_with_its_rule() {
    let mut queue: Vec<(&str, &str, &[&str])> = listed_bugs()
        .iter()
        .map(|name| {
            *BUGS
                .iter()
                .find(|(bug, _, _)| bug == name)
                .unwrap_or_else(|| panic!("engine.py lists bug {name:?}, which the table here does not test"))
        })
        .collect();
    // The runs that wait for the case timeout go last in the queue, so they
    // are popped first and overlap the rest.
    queue.sort_by_key(|(bug, _, _)| OPEN_ENDED.contains(bug));
    let queue = Mutex::new(queue);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    // Not in a `while let`: its guard would hold the queue for the whole run.
                    let Some((bug, rule, cases)) = queue.lock().expect("queue").pop() else { break };
                    if let Err(e) = check(bug, rule, cases, 1) {
                        failures.lock().expect("failures").push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().expect("failures");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_failure_shows_the_rule_its_statement_and_the_offending_record() {
    let (o, _) = certify(&["--case", "reader-happy"], &["--bug", "stale-total"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let statement = "= must (derived): within one round trip a non-zero dwHTTPReadTotal never changes";
    assert!(out.contains("PROGRESS-TOTAL-STABLE (must) line "), "{out}");
    assert!(out.contains("dwHTTPReadTotal changed from"), "expected vs seen: {out}");
    assert!(out.contains("    > {\"kind\":\"status\""), "the offending record: {out}");
    assert_eq!(out.matches(statement).count(), 1, "the statement once per case: {out}");
    assert!(out.contains("= indiv explain PROGRESS-TOTAL-STABLE"), "{out}");
}

#[test]
fn a_service_rule_failure_shows_the_exchange_it_was_judged_against() {
    let (o, report) = certify(&["--case", "fault-short-body"], &["--bug", "optimistic-progress"]);
    let out = text(&o);
    let exchange = "exchange 1: GET package: status 200, Content-Length 65536, ";
    assert!(out.contains(&format!("    service {exchange}")), "{out}");
    let violations = report["cases"][0]["violations"].as_array().expect("violations");
    let progress = violations.iter().find(|v| v["rule"] == "SERVICE-PROGRESS-REAL").expect("SERVICE-PROGRESS-REAL");
    let log = progress["service_log"].as_array().expect("service_log");
    assert!(log.len() == 1 && log[0].as_str().is_some_and(|l| l.starts_with(exchange)), "{log:?}");
    // A rule of the trace alone has no service log.
    let (_, report) = certify(&["--case", "reader-happy"], &["--bug", "stale-total"]);
    let violations = report["cases"][0]["violations"].as_array().expect("violations");
    let trace_rules: Vec<_> =
        violations.iter().filter(|v| !v["rule"].as_str().unwrap_or("").starts_with("SERVICE-")).collect();
    assert!(!trace_rules.is_empty() && trace_rules.iter().all(|v| v["service_log"] == serde_json::json!([])));
}
