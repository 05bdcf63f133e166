//! The one error type of `indiv-spec`: a spec file that does not load, or a
//! trace that cannot be read as `indiv-trace/1`.

/// Everything that can go wrong in this crate. Messages are lowercase, carry
/// no trailing period, and name a line and column where there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file is not valid TOML or does not fit the schema.
    #[error("{line}:{column}: {message}")]
    SpecSyntax {
        /// 1-based line in the spec file.
        line: usize,
        /// 1-based column (bytes) in the spec file.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The spec file parses but contradicts itself or the code (a duplicate
    /// id, a name that points at nothing, a rule without a check).
    #[error("invalid spec: {0}")]
    SpecInvalid(String),
    /// A trace line could not be read as an `indiv-trace/1` record.
    #[error("{line}:{column}: {message}")]
    Input {
        /// 1-based line of the trace.
        line: usize,
        /// 1-based column (bytes) of the trace line.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Reading the trace failed below the format (a disk or pipe error).
    #[error("{line}: read error: {source}")]
    Io {
        /// The line being read when the error happened.
        line: usize,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The position of an input or spec error, when it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Error::SpecSyntax { line, column, .. } | Error::Input { line, column, .. } => Some((*line, *column)),
            Error::Io { line, .. } => Some((*line, 1)),
            Error::SpecInvalid(_) => None,
        }
    }
}
