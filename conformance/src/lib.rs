//! `indiv-conformance`: the library behind the `indiv` binary.
//!
//! - [`cli`] parses the command line and runs a command.
//! - [`check`] drives the streaming monitor of `indiv-spec` over one input.
//! - [`render`] writes findings as human diagnostics, JSON or JUnit, and the
//!   rule catalog.
//!
//! The binary is a thin `main` over [`cli::run`].

pub mod check;
pub mod cli;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod legal;
pub mod loopback;
pub mod mutate;
pub mod render;
pub mod testee;

pub use error::{EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, EXIT_VIOLATION, Error};
