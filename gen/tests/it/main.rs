//! The integration tests of `indiv-gen`: the generators against the checker
//! (legal traces pass, each mutation is caught), the checker against the
//! independent oracle, and the fuzz targets on their regression cases and
//! seed corpora.

mod boundaries;
mod fuzz_seeds;
mod oracle;
mod properties_checker;
mod regressions;

/// Writes `text` to the test run's stderr past the test harness's output
/// capture (which only takes the `print!` family), for the figures a reader of
/// the test output should see: the kill matrix, the replayed inputs.
pub fn show_in_test_output(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
