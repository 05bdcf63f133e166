//! `indiv-harness`: the certification harness behind `indiv certify`.
//!
//! - [`protocol`]: the testee protocol `indiv-testee/1` and its JSON Schema;
//!   [`validator`] checks every protocol line for `--validate-protocol`.
//! - [`process`]: a testee in its own process group, killed with its group and
//!   reaped.
//! - [`loopback`]: the HTTP individualization service on 127.0.0.1, playing a
//!   case's `ServiceBehavior` and logging what crossed the wire.
//! - [`runner`]: plays cases against a testee and judges them as records
//!   arrive ([`Harness`], [`CaseResult`], [`Verdict`]).
//! - [`coverage`]: the rule coverage matrix: where each rule was exercised and fired.
//! - [`matrix`]: several engines side by side (`indiv certify --engine`):
//!   `matrix.md`, `matrix.json` and `report.html`.
//! - [`goals`]: the facts each case must show, derived from its scenario.
//! - [`run`]: a whole certification run: case selection, generated cases,
//!   shrinking, the [`run::RunSummary`] and its [`run::Counts`].
//! - [`report`]: `report.json`, `junit.xml`, `summary.md` and the traces.
//! - [`html`]: `report.html` and `indiv check --format html`: the run, the
//!   coverage matrix and each trace's timeline drawn as inline SVG.
//! - [`sarif`]: `results.sarif` and GitHub workflow commands for a run's findings.
//! - [`report_file`]: `report.json` read back; [`diff`] compares two
//!   (`indiv report diff`), [`certificate`] writes `certificate.json` and
//!   `badge.svg` and verifies a certificate (`indiv report verify`).
//! - [`reference`](mod@reference): the reference engine behind the testee protocol (`indiv
//!   testee`).

pub mod certificate;
pub mod coverage;
pub mod diff;
mod error;
pub mod expect;
pub mod goals;
pub mod html;
pub mod loopback;
pub mod matrix;
pub mod process;
pub mod protocol;
pub mod reference;
pub mod report;
pub mod report_file;
pub mod run;
pub mod runner;
pub mod sarif;
pub mod validator;

pub use error::Error;

/// Most characters of a testee's line quoted in an ERROR message.
pub(crate) const QUOTE_CHARS: usize = 200;
pub use runner::{Case, CaseResult, Harness, Verdict};
