//! Rule area `http`: round trips and download progress, read through the
//! spec's HTTP order (`[http]`). Judges HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP,
//! HTTP-PHASE-ORDER, HTTP-COMPLETED-COUNTED, HTTP-SUCCEED-COMPLETED,
//! PROGRESS-WITHIN-TOTAL, PROGRESS-MONOTONIC, PROGRESS-TOTAL-STABLE and
//! HTTP-URL-STABLE.

use super::url::UrlRef;
use super::{Found, Monitor, Session, Step};
use crate::catalog::{Rule, Spec};
use crate::record::IndividualizeStatus;
use crate::vocab::HttpStatus;

/// The HTTP figures of the session's last status with a place in the HTTP
/// order.
#[derive(Clone, Copy, Debug)]
pub(super) struct Snapshot {
    /// The position in the HTTP order: (trip or `i64::MIN` before every trip, rank).
    key: (i64, u8),
    pub(super) trip: Option<i64>,
    progress: u32,
}

/// HTTP-URL-STABLE: a non-null pszIndiRespUrl equals the session's first
/// non-null one; the first one is remembered.
pub(super) fn url_stable(s: &mut Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(url) = step.url else {
        return;
    };
    match &s.first_url {
        None => s.first_url = Some(url.to_compact()),
        Some(first) if !url.is(first) => found.push((
            Rule::HttpUrlStable,
            format!("pszIndiRespUrl changed from {:?} to {:?}", UrlRef::Compact(first).short(), url.short()),
        )),
        Some(_) => {}
    }
}

/// Remembers what the session's next status is compared with: the round-trip
/// count of every status, the HTTP figures of one with a defined enHTTPStatus.
pub(super) fn remember(s: &mut Session, step: &Step<'_, '_>) {
    s.last_request = Some(step.v.http_request);
    if let Some(key) = step.key {
        s.last = Some(Snapshot { key, trip: step.trip, progress: step.v.progress });
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

/// HTTP-COUNT-MONOTONIC and HTTP-COUNT-STEP against the session's previous
/// status; HTTP-PHASE-ORDER and PROGRESS-MONOTONIC against its last status
/// with a place in the HTTP order, when this one has a place too.
pub(super) fn against_previous(spec: &Spec, s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    let (v, trip) = (step.v, step.trip);
    if let Some(before) = s.last_request {
        if v.http_request < before {
            found.push((Rule::HttpCountMonotonic, format!("dwHTTPRequest fell from {before} to {}", v.http_request)));
        } else if u64::from(v.http_request) > u64::from(before) + 1 {
            found.push((Rule::HttpCountStep, format!("dwHTTPRequest jumped from {before} to {}", v.http_request)));
        }
    }
    let (Some(prev), Some(key), Some(http)) = (s.last, step.key, step.http) else {
        return;
    };
    if key < prev.key {
        found.push((
            Rule::HttpPhaseOrder,
            format!("{} went backwards from {}", describe_http(trip, http), describe_key(prev, spec)),
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
    let trips = step.v.http_request;
    if !(step.http == Some(finished) && trips >= 1) {
        found.push((
            Rule::HttpSucceedCompleted,
            format!(
                "INDI_SUCCEED reports {} after {trips} round trips; expected {finished} and at least 1",
                http_name(step)
            ),
        ));
    }
}

/// How messages name the enHTTPStatus of `step`, defined or not.
pub(super) fn http_name(step: &Step<'_, '_>) -> String {
    match step.http {
        Some(http) => http.to_string(),
        None => format!("enHTTPStatus {}", step.v.http),
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
