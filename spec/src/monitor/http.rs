//! Rule area `http`: round trips and download progress, read through the
//! spec's HTTP order (`[http]`). Judges HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP,
//! HTTP-PHASE-ORDER, HTTP-COMPLETED-COUNTED, HTTP-SUCCEED-COMPLETED,
//! PROGRESS-WITHIN-TOTAL, PROGRESS-MONOTONIC and PROGRESS-TOTAL-STABLE.

use super::{Found, Monitor, Session, Step};
use crate::catalog::{Rule, Spec};
use crate::record::IndividualizeStatus;
use crate::vocab::HttpStatus;

/// The HTTP figures of a session's previous status.
#[derive(Clone, Copy, Debug)]
pub(super) struct Snapshot {
    http_request: u32,
    /// The position in the HTTP order: (trip or `i64::MIN` before every trip, rank).
    key: (i64, u8),
    pub(super) trip: Option<i64>,
    progress: u32,
}

impl Snapshot {
    /// The figures of `step`, to compare the session's next status with.
    pub(super) fn of(step: &Step<'_, '_>) -> Snapshot {
        Snapshot { http_request: step.v.http_request, key: step.key, trip: step.trip, progress: step.v.progress }
    }
}

impl Monitor<'_> {
    /// HTTP-COMPLETED-COUNTED and PROGRESS-WITHIN-TOTAL: the figures of one
    /// status on their own, judged wherever it belongs, like the value rules.
    pub(super) fn http_value_rules(
        &mut self,
        number: Option<u32>,
        v: &IndividualizeStatus<'_>,
        http: Option<HttpStatus>,
    ) {
        let finished = self.spec.http.trip_finished;
        if http == Some(finished) && v.http_request == 0 {
            self.emit(Rule::HttpCompletedCounted, number, format!("{finished} with dwHTTPRequest 0"));
        }
        if v.total > 0 && v.progress > v.total {
            self.emit(
                Rule::ProgressWithinTotal,
                number,
                format!("dwHTTPReadProgress {} exceeds dwHTTPReadTotal {}", v.progress, v.total),
            );
        }
    }
}

/// HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP, HTTP-PHASE-ORDER and
/// PROGRESS-MONOTONIC: a status against the session's previous status.
pub(super) fn against_previous(spec: &Spec, s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(prev) = s.last else {
        return;
    };
    let (v, trip) = (step.v, step.trip);
    if v.http_request < prev.http_request {
        found.push((
            Rule::HttpCountMonotonic,
            format!("dwHTTPRequest fell from {} to {}", prev.http_request, v.http_request),
        ));
    } else if u64::from(v.http_request) > u64::from(prev.http_request) + 1 {
        found.push((
            Rule::HttpCountStep,
            format!("dwHTTPRequest jumped from {} to {}", prev.http_request, v.http_request),
        ));
    }
    if step.key < prev.key {
        found.push((
            Rule::HttpPhaseOrder,
            format!("{} went backwards from {}", describe_http(trip, step.http), describe_key(prev, spec)),
        ));
    }
    if trip.is_some() && trip == prev.trip && v.progress < prev.progress {
        found.push((
            Rule::ProgressMonotonic,
            format!(
                "dwHTTPReadProgress fell from {} to {} within round trip {}",
                prev.progress,
                v.progress,
                trip.unwrap_or_default() + 1
            ),
        ));
    }
}

/// PROGRESS-TOTAL-STABLE: within one trip, every total after the first
/// non-zero one equals it. Judged before the session remembers `step`.
pub(super) fn trip_total(s: &mut Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(t) = step.trip else {
        return;
    };
    let total = step.v.total;
    // A trip is a run of statuses with one round-trip number; coming back to
    // an earlier number (HTTP-COUNT-MONOTONIC) starts a new run.
    let same_trip = s.last.is_some_and(|p| p.trip == Some(t));
    match s.trip_total {
        Some(announced) if same_trip && total != announced => {
            found.push((
                Rule::ProgressTotalStable,
                format!("dwHTTPReadTotal changed from {announced} to {total} within round trip {}", t + 1),
            ));
        }
        Some(_) if same_trip => {}
        _ => s.trip_total = (total != 0).then_some(total),
    }
}

/// HTTP-SUCCEED-COMPLETED: INDI_SUCCEED says the trip finished, after at
/// least one round trip.
pub(super) fn succeed_completed(spec: &Spec, step: &Step<'_, '_>, found: &mut Found) {
    let finished = spec.http.trip_finished;
    let (http, trips) = (step.http, step.v.http_request);
    if !(http == finished && trips >= 1) {
        found.push((
            Rule::HttpSucceedCompleted,
            format!("INDI_SUCCEED reports {http} after {trips} round trips; expected {finished} and at least 1"),
        ));
    }
}

fn describe_http(trip: Option<i64>, http: HttpStatus) -> String {
    match trip {
        None => format!("{http}"),
        Some(t) => format!("round trip {} {http}", t + 1),
    }
}

fn describe_key(prev: Snapshot, spec: &Spec) -> String {
    let http = spec.http.order[usize::from(prev.key.1)];
    describe_http(prev.trip, http)
}
