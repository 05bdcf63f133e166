//! `indiv-conformance`: the library behind the `indiv` binary.
//!
//! The binary is a thin `main` over [`cli::run`]. The modules:
//!
//! - Command line: [`cli`] parses the command line and runs a command; the
//!   private `error` module holds [`Error`] and the exit statuses.
//! - `indiv check`: [`check`] drives the streaming monitor of `indiv-spec`
//!   over one input; [`render`] writes findings as human diagnostics, JSON or
//!   JUnit, the rule catalog and `indiv explain`.
//! - `indiv certify`: [`certify_run`] is the command (case selection,
//!   shrinking, exit status); [`certify`] plays cases against a testee and
//!   judges them; [`process`] runs the testee in its own process group;
//!   [`loopback`] is the HTTP individualization service on 127.0.0.1;
//!   [`service_rules`] judges the five `SERVICE-*` rules; [`testee`] is the
//!   protocol `indiv-testee/1` and its JSON Schema; [`protocol_check`]
//!   checks every protocol line for `--validate-protocol`; [`certify_report`]
//!   writes `report.json`, `junit.xml`, `summary.md` and the traces.
//! - `indiv testee`: [`testee_engine`] serves the reference engine over the
//!   testee protocol.
//! - Generators: [`legal`] writes legal traces (`indiv gen`, property tests);
//!   [`mutate`] turns a legal trace into one that breaks a chosen rule.
//! - Documents: [`fixtures`] reads the rule fixtures (embedded at build
//!   time), the examples that are the tests; [`specdoc`] generates
//!   `docs/SPEC.md` and [`diagram`] the phase and HTTP diagrams (Mermaid and
//!   Graphviz DOT).
//! - `fuzzing` (hidden): the harness of each fuzz target and `indiv
//!   fuzz-case`.

pub mod certify;
pub mod certify_report;
pub mod certify_run;
pub mod check;
pub mod cli;
pub mod diagram;
mod error;
pub mod fixtures;
#[doc(hidden)]
pub mod fuzzing;
pub mod legal;
pub mod loopback;
pub mod mutate;
pub mod process;
pub mod protocol_check;
pub mod render;
pub mod service_rules;
pub mod specdoc;
pub mod testee;
pub mod testee_engine;

pub use error::{EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_VIOLATION, Error};
