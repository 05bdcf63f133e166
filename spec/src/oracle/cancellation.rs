//! Rule area `cancellation`, as the oracle reads it: CANCEL-REQUIRES-CALL and
//! CANCEL-STOPS-WORK.

use super::{Found, Trace};
use crate::catalog::Rule;
use crate::vocab::IndiStatus;

/// CANCEL-REQUIRES-CALL and CANCEL-STOPS-WORK over session `k`.
pub(super) fn cancel_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let s = &t.sessions.sessions[k];
    // "INDI_CANCEL occurs only in a session for which an earlier cancel call of
    // its own path ... returned a success code"
    if let Some((at, IndiStatus::Cancel)) = s.terminal {
        if !s.cancels.iter().any(|&c| c < at) {
            t.flag(out, Rule::CancelRequiresCall, at);
        }
    }
    // "after an accepted cancel no new round trip starts, no INDI_INSTALL
    // begins that was not already under way, and INDI_SUCCEED comes only if
    // INDI_INSTALL had begun before the cancel"
    let Some(&cancel) = s.cancels.first() else { return };
    let before: Vec<usize> = s.statuses.iter().copied().filter(|&i| i < cancel).collect();
    // "the trip of the session's last status with a place in the HTTP order
    // before the cancel (or any trip if that status had none)"
    let trip_at_cancel = t.placed(&before).last().and_then(|&i| t.trip(i));
    let after: Vec<usize> = s.statuses.iter().copied().filter(|&i| i > cancel).collect();
    for &i in &after {
        if t.trip(i).is_some_and(|trip| trip_at_cancel.is_none_or(|old| trip > old)) {
            t.flag(out, Rule::CancelStopsWork, i);
        }
    }
    // "had begun before the cancel: an INDI_INSTALL status of the session came
    // before the cancel call"
    if before.iter().any(|&i| t.phase(i) == Some(IndiStatus::Install)) {
        return;
    }
    // "reported once per session, at the first INDI_INSTALL or INDI_SUCCEED
    // after the cancel; an INDI_SUCCEED that SESSION-SUCCEED-INSTALLED reports
    // is not reported again" (`judge` runs the install rules first)
    let first = after.iter().copied().find(|&i| matches!(t.phase(i), Some(IndiStatus::Install | IndiStatus::Succeed)));
    if let Some(i) = first {
        let succeed_reported =
            t.phase(i) == Some(IndiStatus::Succeed) && out.0.contains(&(Rule::SessionSucceedInstalled, t.line(i)));
        if !succeed_reported {
            t.flag(out, Rule::CancelStopsWork, i);
        }
    }
}
