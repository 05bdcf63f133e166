//! The integration tests of `indiv-engine`: one binary, one module per
//! behaviour area.

mod properties_engine;

/// Writes `text` to the test run's stderr past the test harness's output
/// capture (which only takes the `print!` family), for the figures a reader of
/// the test output should see: the property case counts.
pub fn show_in_test_output(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
