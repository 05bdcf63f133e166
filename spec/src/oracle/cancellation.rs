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
    // "after an accepted cancel the session starts no new phase ... and no new
    // round trip"
    let Some(&cancel) = s.cancels.first() else { return };
    let before: Vec<usize> = s.statuses.iter().copied().filter(|&i| i < cancel).collect();
    let phase_at_cancel = t.current_phase(&before);
    // "the trip of the session's last status with a defined enHTTPStatus
    // before the cancel"
    let trip_at_cancel = t.placed(&before).last().and_then(|&i| t.trip(i));
    for &i in s.statuses.iter().filter(|&&i| i > cancel) {
        let phase = t.phase(i);
        let new_phase = matches!(phase, Some(IndiStatus::Download | IndiStatus::Install)) && phase != phase_at_cancel;
        let new_trip = t.trip(i).is_some_and(|trip| trip_at_cancel.is_none_or(|old| trip > old));
        if new_phase || new_trip {
            t.flag(out, Rule::CancelStopsWork, i);
        }
    }
}
