//! The integration tests of `indiv-conformance`: one binary, one module per
//! behaviour area.

mod bad_input;
mod certify;
mod cli;
mod docs;
mod oracle;
mod properties_checker;
mod properties_engine;
mod python_engine;
mod regressions;
mod rules;
mod snapshots;
