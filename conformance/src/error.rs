//! The one error type of the `indiv` CLI, and the exit status each kind maps to.

use std::path::PathBuf;

/// Why a command could not do its work. Rule violations are not errors: they
/// are the verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something that does not exist.
    #[error("{0}")]
    Usage(String),
    /// A trace could not be read as `indiv-trace/1`.
    #[error("{file}:{source}")]
    Trace {
        /// The file, or `-` for standard input.
        file: String,
        /// What the reader said, with line and column.
        source: indiv_spec::Error,
    },
    /// A file could not be opened.
    #[error("{}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// The built-in spec did not load (a build defect the tests rule out).
    #[error("{0}")]
    Spec(indiv_spec::Error),
    /// An embedded rule fixture did not parse (a build defect the tests rule out).
    #[error("{0}")]
    Fixture(crate::fixtures::FixtureError),
}

/// Exit status: the input conformed (or the command succeeded).
pub const EXIT_OK: u8 = 0;
/// Exit status: a `must` rule was broken (with `--strict`, also a `should` rule).
pub const EXIT_VIOLATION: u8 = 1;
/// Exit status: usage error, or an input that is not a readable trace.
pub const EXIT_INPUT: u8 = 2;
/// Exit status: the tool itself failed (output could not be written, broken build).
pub const EXIT_INTERNAL: u8 = 4;

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Trace { .. } | Error::Open { .. } => EXIT_INPUT,
            Error::Output(_) | Error::Spec(_) | Error::Fixture(_) => EXIT_INTERNAL,
        }
    }
}
