//! `indiv certify --jobs N`: cases played on N testee processes at once
//! give the same results, reports and exit status as `--jobs 1`, in the same
//! order (apart from timings, ports and service prefixes), shrunk cases
//! included.

use std::path::Path;
use std::process::Command;

use crate::{output_text, read_report};

/// What must not depend on `--jobs`: each play's name, round, verdict,
/// the set of rules it broke, reproduce command and shrink result; the
/// counts; the flaky list. (How many times a rule broke in a generated case
/// may depend on timing, as from one run to the next: a cancel made after N
/// statuses meets more or less of a session.)
fn results(report: &serde_json::Value) -> serde_json::Value {
    let cases: Vec<serde_json::Value> = report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let rules: std::collections::BTreeSet<&str> =
                c["violations"].as_array().expect("violations").iter().filter_map(|v| v["rule"].as_str()).collect();
            serde_json::json!([c["name"], c["round"], c["verdict"], rules, c["reproduce"], c["reproduces"]])
        })
        .collect();
    serde_json::json!({"cases": cases, "counts": report["counts"], "flaky": report["flaky"]})
}

/// Certifies the Python engine with `engine_args` on `options` with `--jobs
/// jobs`; exit status, results, and the case files written.
fn run(jobs: &str, options: &[&str], engine_args: &[&str]) -> (Option<i32>, serde_json::Value, Vec<(String, String)>) {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py");
    run_program(jobs, options, &engine, engine_args)
}

/// [`run`] with a test testee script (see [`crate::testee_script`]).
fn run_script(
    jobs: &str,
    options: &[&str],
    script: &str,
    args: &[&str],
) -> (Option<i32>, serde_json::Value, Vec<(String, String)>) {
    run_program(jobs, options, &crate::testee_script(script), args)
}

/// Certifies `python3 SCRIPT ARGS`; see [`run`].
fn run_program(
    jobs: &str,
    options: &[&str],
    engine: &Path,
    engine_args: &[&str],
) -> (Option<i32>, serde_json::Value, Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .current_dir(dir.path())
        .args(["certify", "--jobs", jobs])
        .args(options)
        .args(["--report", "report", "--", "python3"])
        .arg(engine)
        .args(engine_args)
        .output()
        .expect("run indiv certify");
    let report = read_report(&dir.path().join("report"));
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir.path().join("report"))
        .expect("report dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("indiv-case-"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("case file");
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect();
    files.sort();
    assert!(report["cases"].as_array().is_some_and(|c| !c.is_empty()), "{}", output_text(&o));
    (o.status.code(), results(&report), files)
}

#[test]
fn two_jobs_give_the_results_of_one_on_200_generated_cases() {
    let options = ["--random", "200", "--seed", "7"];
    let one = run("1", &options, &[]);
    let two = run("2", &options, &[]);
    assert_eq!(one.0, Some(0));
    assert_eq!(one, two);
}

#[test]
fn two_jobs_fail_and_shrink_as_one_does() {
    // Every case fails the same way whatever the timing (a line that is not
    // a record before the first call's), so the run's failures and its
    // shrunk case are the same from one run to the next: only --jobs may
    // change them, and must not. (A buggy engine's failures in generated
    // cases can depend on timing, for example on where a cancel lands.)
    let options = ["--random", "30", "--shrink", "2"];
    let testee = ["1", env!("CARGO_BIN_EXE_indiv")];
    let one = run_script("1", &options, "flaky.py", &testee);
    let three = run_script("3", &options, "flaky.py", &testee);
    assert_eq!(one.0, Some(3), "only errors");
    assert_eq!(one.2.len(), 1, "failures that broke the same rules (none) are shrunk once: {:?}", one.2);
    assert_eq!(one, three);
}

#[test]
fn fail_fast_with_jobs_reports_nothing_after_the_first_failure() {
    let options = ["--random", "30", "--fail-fast", "--shrink", "0"];
    let testee = ["1", env!("CARGO_BIN_EXE_indiv")];
    let one = run_script("1", &options, "flaky.py", &testee);
    let two = run_script("2", &options, "flaky.py", &testee);
    assert_eq!(one, two);
    let cases = one.1["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert_eq!(cases[0][2], "ERROR");
}

#[test]
fn a_jobs_count_out_of_range_is_a_usage_error() {
    for n in ["0", "65"] {
        let o =
            Command::new(env!("CARGO_BIN_EXE_indiv")).args(["certify", &format!("--jobs={n}")]).output().expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.starts_with("error: --jobs must be from 1 to 64"), "{err}");
    }
}
