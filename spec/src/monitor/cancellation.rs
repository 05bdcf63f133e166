//! Rule area `cancellation`: cancel calls and what a session may do after
//! one. Judges CANCEL-REQUIRES-CALL and CANCEL-STOPS-WORK.

use super::{Found, Monitor, Session, Step};
use crate::catalog::Rule;
use crate::vocab::{Hresult, IndiStatus, Path};

/// Where a session was when a cancel call for it was accepted.
#[derive(Clone, Copy, Debug)]
pub(super) struct CancelMark {
    phase: Option<IndiStatus>,
    trip: Option<i64>,
}

impl Monitor<'_> {
    /// A cancel call that returned a success code applies to the most
    /// recently opened open session of its path (the first one accepted
    /// counts); with none, to nothing.
    pub(super) fn cancel(&mut self, path: Path, hr: Hresult) {
        if hr.is_failure() {
            return;
        }
        if let Some(s) = self.open.iter_mut().rev().find(|s| s.path == path) {
            if s.cancel.is_none() {
                s.cancel = Some(CancelMark { phase: s.phase, trip: s.last.and_then(|l| l.trip) });
            }
        }
    }
}

/// CANCEL-STOPS-WORK: after an accepted cancel, no new download or install
/// phase and no new round trip.
pub(super) fn stops_work(s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(c) = s.cancel else {
        return;
    };
    let new_phase =
        step.indi.filter(|i| matches!(i, IndiStatus::Download | IndiStatus::Install) && Some(*i) != c.phase);
    let new_trip = step.trip.is_some_and(|t| c.trip.is_none_or(|ct| t > ct));
    if new_phase.is_some() || new_trip {
        let what = match (new_phase, new_trip) {
            (Some(indi), true) => format!("a new phase ({indi}) and a new round trip"),
            (Some(indi), false) => format!("a new phase ({indi})"),
            _ => "a new round trip".to_string(),
        };
        found.push((Rule::CancelStopsWork, format!("{what} started after an accepted cancel")));
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
