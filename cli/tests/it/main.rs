//! The integration tests of `indiv-cli`: the `indiv` binary end to end, one
//! module per behaviour area.

mod action;
mod architecture;
mod bad_input;
mod boundaries;
mod browser;
mod certificate;
mod certify;
mod chaos;
mod check_io;
mod check_jobs;
mod cli;
mod docs;
mod expectations;
mod goals;
mod html;
mod isolation;
mod jobs;
mod matrix;
mod output_safety;
mod python_engine;
mod repeat;
mod report_diff;
mod robustness;
mod sarif;
mod snapshots;
mod stress;
mod validate_protocol;

/// Writes `text` to the test run's stderr past the test harness's output
/// capture (which only takes the `print!` family), for the figures a reader of
/// the test output should see: the kill matrix, the property case counts.
pub fn show_in_test_output(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A FIFO named `name` in `dir`, made by mkfifo(1).
pub fn make_fifo(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let fifo = dir.join(name);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    fifo
}

/// A test testee script under `tests/testees`.
pub fn testee_script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees").join(name)
}

/// A command's stdout then stderr, as text.
pub fn output_text(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Runs `indiv certify OPTIONS --report DIR -- python3 SCRIPT ARGS` (SCRIPT
/// from [`testee_script`]); the output and the report directory.
pub fn certify_python(options: &[&str], script: &str, args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_indiv"))
        .arg("certify")
        .args(options)
        .arg("--report")
        .arg(dir.path())
        .args(["--", "python3"])
        .arg(testee_script(script))
        .args(args)
        .output()
        .expect("run indiv certify");
    (o, dir)
}

/// The `report.json` in a report directory.
pub fn read_report(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// Each case of a certify `report.json` as (name, verdict), in run order.
pub fn verdicts(report: &serde_json::Value) -> Vec<(&str, &str)> {
    report["cases"]
        .as_array()
        .expect("report.json has cases")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or(""), c["verdict"].as_str().unwrap_or("")))
        .collect()
}
