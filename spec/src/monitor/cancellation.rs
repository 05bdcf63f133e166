//! Rule area `cancellation`: cancel calls and what a session may do after
//! one. Judges CANCEL-REQUIRES-CALL and CANCEL-STOPS-WORK.

use super::{Found, Monitor, Session, Step};
use crate::catalog::Rule;
use crate::vocab::{Hresult, IndiStatus, Path};

/// Where a session was when a cancel call for it was accepted.
#[derive(Clone, Copy, Debug)]
pub(super) struct CancelMark {
    /// The trip of the session's last status with a place in the HTTP order.
    trip: Option<i64>,
    /// Whether an INDI_INSTALL of the session came before the cancel.
    installing: bool,
    /// Whether an INDI_INSTALL or INDI_SUCCEED after the cancel was reported
    /// already: the install clause is reported once per session.
    install_reported: bool,
}

impl Monitor<'_> {
    /// A cancel call that returned a success code applies to the most
    /// recently opened open session of its path (the first one accepted
    /// counts); with none, to nothing.
    pub(super) fn cancel(&mut self, path: Path, hr: Hresult) {
        if hr.is_failure() {
            return;
        }
        if let Some(s) = self.open.top_mut(path) {
            if s.cancel.is_none() {
                s.cancel = Some(CancelMark {
                    trip: s.last.and_then(|l| l.trip),
                    installing: s.installed,
                    install_reported: false,
                });
            }
        }
    }
}

/// CANCEL-STOPS-WORK, round trips: after an accepted cancel no status reports
/// a round trip later than the one under way at the cancel. The install
/// clause is judged by [`install_after_cancel`].
pub(super) fn stops_work(s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(c) = s.cancel else {
        return;
    };
    if step.trip.is_some_and(|t| c.trip.is_none_or(|ct| t > ct)) {
        found.push((Rule::CancelStopsWork, "a new round trip started after an accepted cancel".to_string()));
    }
}

/// CANCEL-STOPS-WORK, install: after an accepted cancel in a session whose
/// INDI_INSTALL had not begun before it, the first INDI_INSTALL or
/// INDI_SUCCEED breaks the rule, once; an INDI_SUCCEED that
/// SESSION-SUCCEED-INSTALLED already reports (no INDI_INSTALL at all) is not
/// reported again. Runs after the session's other checks of this status.
pub(super) fn install_after_cancel(s: &mut Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(c) = s.cancel.as_mut() else {
        return;
    };
    if c.installing || c.install_reported {
        return;
    }
    let message = match step.indi {
        Some(IndiStatus::Install) => "INDI_INSTALL began after an accepted cancel",
        Some(IndiStatus::Succeed) if !found.iter().any(|(rule, _)| *rule == Rule::SessionSucceedInstalled) => {
            "INDI_SUCCEED after an accepted cancel, though no INDI_INSTALL had begun before it"
        }
        Some(IndiStatus::Succeed) => "",
        _ => return,
    };
    c.install_reported = true;
    if !message.is_empty() {
        found.push((Rule::CancelStopsWork, message.to_string()));
    }
}

/// CANCEL-REQUIRES-CALL, at an INDI_CANCEL: an earlier cancel call of the
/// session's path was accepted.
pub(super) fn requires_call(s: &Session, found: &mut Found) {
    if s.cancel.is_none() {
        let call = if s.path == Path::Reader { "CancelIndividualization" } else { "CancelAsyncOperation" };
        found.push((Rule::CancelRequiresCall, format!("INDI_CANCEL without an accepted {call} call")));
    }
}
