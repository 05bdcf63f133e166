//! Every exit status of every `indiv` command, in one place.

/// How an `indiv` command ended, as the process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: the input conformed, every case passed, or the command succeeded.
    Ok,
    /// 1: a `must` rule was broken (with `--strict`, also a `should` rule), a
    /// certified case failed, `indiv report diff` found a regression, or
    /// `indiv report verify` found a certificate that does not match.
    Violation,
    /// 2: usage error, or an input that is not a readable trace, case file,
    /// report or certificate.
    Input,
    /// 3: `indiv certify` only: cases errored (crash, hang, protocol breach)
    /// and none failed.
    ErrorOnly,
    /// 4: the tool itself failed (output could not be written, broken build).
    Internal,
    /// 130: `indiv certify` was interrupted (Ctrl-C, as shells report SIGINT).
    Interrupted,
}

impl ExitStatus {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Violation => 1,
            ExitStatus::Input => 2,
            ExitStatus::ErrorOnly => 3,
            ExitStatus::Internal => 4,
            ExitStatus::Interrupted => 130,
        }
    }
}
