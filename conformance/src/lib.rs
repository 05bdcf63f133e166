//! `indiv-conformance`: the library behind the `indiv` binary.
//!
//! - [`cli`] parses the command line and runs a command.
//! - [`check`] drives the streaming monitor of `indiv-spec` over one input.
//! - [`render`] writes findings as human diagnostics, JSON or JUnit, and the
//!   rule catalog.
//! - [`fixtures`] reads the rule fixtures (embedded at build time): the
//!   examples that are the tests.
//! - [`specdoc`] generates `docs/SPEC.md` and [`diagram`] the phase and HTTP
//!   diagrams (Mermaid and Graphviz DOT) from the spec and the fixtures.
//!
//! The binary is a thin `main` over [`cli::run`].

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
pub mod render;
pub mod service_rules;
pub mod specdoc;
pub mod testee;
pub mod testee_engine;

pub use error::{EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_VIOLATION, Error};
