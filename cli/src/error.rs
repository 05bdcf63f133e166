//! The one error type of the `indiv` command line, and the exit status each
//! kind maps to.

use std::path::PathBuf;

use crate::exit::ExitStatus;

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
    /// The threads of `indiv check --jobs` could not be started.
    #[error("cannot start threads: {0}")]
    Threads(std::io::Error),
    /// The built-in spec did not load (a build defect the tests rule out).
    #[error("{0}")]
    Spec(indiv_spec::Error),
    /// An embedded rule fixture did not parse (a build defect the tests rule out).
    #[error("{0}")]
    Fixture(#[from] indiv_specdoc::fixtures::FixtureError),
    /// A certification run could not do its work.
    #[error("{0}")]
    Certify(#[from] indiv_harness::Error),
    /// A fuzz input could not be turned into a regression case.
    #[error("{0}")]
    Fuzz(#[from] indiv_gen::fuzzing::FuzzError),
    /// The model checker could not run.
    #[error("{0}")]
    Prove(#[from] indiv_prove::Error),
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Usage(_) | Error::Trace { .. } | Error::Open { .. } | Error::Fuzz(_) => ExitStatus::Input,
            Error::Certify(e) if e.is_usage() => ExitStatus::Input,
            Error::Output(_)
            | Error::Threads(_)
            | Error::Spec(_)
            | Error::Fixture(_)
            | Error::Certify(_)
            | Error::Prove(_) => ExitStatus::Internal,
        }
    }
}

/// Writes `error: MESSAGE` to standard error as one line, its control
/// characters escaped (it may quote a file name or a trace). A failure to
/// write is ignored: there is nowhere left to report it, and the exit status
/// still says that something went wrong.
pub(crate) fn print_error(message: &dyn std::fmt::Display) {
    use std::io::Write as _;
    let line = indiv_spec::text::one_line(&message.to_string());
    let _ = writeln!(std::io::stderr().lock(), "error: {line}");
}
