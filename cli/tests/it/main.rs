//! The integration tests of `indiv-cli`: the `indiv` binary end to end, one
//! module per behaviour area.

mod architecture;
mod bad_input;
mod certify;
mod check_io;
mod cli;
mod docs;
mod goals;
mod isolation;
mod output_safety;
mod python_engine;
mod robustness;
mod snapshots;
mod validate_protocol;

/// Writes `text` to the test run's stderr past the test harness's output
/// capture (which only takes the `print!` family), for the figures a reader of
/// the test output should see: the kill matrix, the property case counts.
pub fn show_in_test_output(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
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
