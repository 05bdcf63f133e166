//! The one error type of `indiv-harness`: why a certification run could not
//! do its work. Broken rules and misbehaving testees are not errors: they are
//! verdicts.

use std::path::PathBuf;

/// Why a run stopped without a verdict.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The report directory cannot be created or written to.
    #[error("cannot write reports to {}: {source}", path.display())]
    ReportDir {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A case file is not valid.
    #[error("{}:{line}:{column}: {message}", path.display())]
    CaseFile {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (bytes).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An expectations file (`--expect`) is not valid.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Expectations {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (bytes).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A `--case` glob matches no named case.
    #[error("no case matches `{0}`; `indiv certify --list` lists them")]
    NoCaseMatches(String),
    /// `--show` names no named case and no `random-SEED` or `chaos-SEED`.
    #[error(
        "no case is named `{0}`; `indiv certify --list` lists the named cases, `random-SEED` is the generated case of SEED, and `chaos-SEED` the one against a hostile service"
    )]
    UnknownCase(String),
    /// The selection is empty.
    #[error("no case to run")]
    NoCase,
    /// Generating a scenario from a seed failed.
    #[error("cannot generate a scenario: {0}")]
    Generate(String),
    /// A shrunk case could not be written as TOML.
    #[error("cannot write the case file: {0}")]
    CaseFileWrite(String),
    /// The loopback service could not start.
    #[error("cannot start the loopback service: {0}")]
    Service(std::io::Error),
    /// A report or certificate is not JSON, or not of the expected shape.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column (bytes).
        column: usize,
        /// What is wrong: `not JSON: ...` or `not an indiv report: ...`.
        message: String,
    },
    /// A report or certificate is JSON of the right shape but says something
    /// it cannot (a trace file outside `traces/`, a digest that is not hex),
    /// or is too large.
    #[error("{}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Writing the console output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// Whether the error lies in what the user asked (a usage or input
    /// error) rather than in the tool or its surroundings.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Io { .. }
                | Error::ReportDir { .. }
                | Error::CaseFile { .. }
                | Error::Expectations { .. }
                | Error::NoCaseMatches(_)
                | Error::UnknownCase(_)
                | Error::NoCase
                | Error::Generate(_)
                | Error::CaseFileWrite(_)
                | Error::Json { .. }
                | Error::Malformed { .. }
        )
    }
}
