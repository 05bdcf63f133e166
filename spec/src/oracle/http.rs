//! Rule area `http`, as the oracle reads it: HTTP-COUNT-MONOTONIC,
//! HTTP-COUNT-STEP, HTTP-PHASE-ORDER, HTTP-COMPLETED-COUNTED,
//! HTTP-SUCCEED-COMPLETED, PROGRESS-WITHIN-TOTAL, PROGRESS-MONOTONIC,
//! PROGRESS-TOTAL-STABLE and HTTP-URL-STABLE.

use super::{Found, Trace};
use crate::catalog::Rule;
use crate::record::IndividualizeStatus;
use crate::vocab::IndiStatus;

/// HTTP-COMPLETED-COUNTED and PROGRESS-WITHIN-TOTAL, value rules that "judge
/// every WM_INDIVIDUALIZE_STATUS, wherever it belongs".
pub(super) fn value_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for i in 0..t.records.len() {
        let Some(v) = t.status(i) else { continue };
        if v.http_status() == Some(t.spec.http.trip_finished) && v.http_request < 1 {
            t.flag(out, Rule::HttpCompletedCounted, i);
        }
        if v.total > 0 && v.progress > v.total {
            t.flag(out, Rule::ProgressWithinTotal, i);
        }
    }
}

/// The rules of this area over session `k`'s statuses.
pub(super) fn session_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    against_previous(t, k, out);
    total_stable(t, k, out);
    succeed_completed(t, k, out);
    url_stable(t, k, out);
}

/// HTTP-URL-STABLE: "every non-null URL of the session after the first is
/// compared with the first, byte for byte, and each that differs is reported;
/// a null pointer reports no URL and is not judged".
fn url_stable(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let urls: Vec<(usize, &str)> = t.sessions.sessions[k]
        .statuses
        .iter()
        .filter_map(|&i| t.status(i).and_then(|v| v.url.as_deref()).map(|u| (i, u)))
        .collect();
    let Some(&(_, first)) = urls.first() else { return };
    for &(i, url) in &urls[1..] {
        if url != first {
            t.flag(out, Rule::HttpUrlStable, i);
        }
    }
}

/// HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP: each status of a session against
/// "the session's previous status". HTTP-PHASE-ORDER, PROGRESS-MONOTONIC:
/// the same over the statuses with a place in the HTTP order only.
fn against_previous(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let statuses = &t.sessions.sessions[k].statuses;
    for pair in statuses.windows(2) {
        let (Some(prev), Some(cur)) = (t.status(pair[0]), t.status(pair[1])) else { continue };
        if cur.http_request < prev.http_request {
            t.flag(out, Rule::HttpCountMonotonic, pair[1]);
        }
        if u64::from(cur.http_request) > u64::from(prev.http_request) + 1 {
            t.flag(out, Rule::HttpCountStep, pair[1]);
        }
    }
    for pair in t.placed(statuses).windows(2) {
        let (p, i) = (pair[0], pair[1]);
        let (Some(prev), Some(cur)) = (t.status(p), t.status(i)) else { continue };
        // "a HTTP_NOTINITIATED status comes before every trip": the pair
        // (trip, rank) with no trip first.
        let key = |j: usize, v: &IndividualizeStatus<'_>| (t.trip(j), v.http_status().map(|h| t.spec.http.rank(h)));
        if key(i, cur) < key(p, prev) {
            t.flag(out, Rule::HttpPhaseOrder, i);
        }
        // "compared with the session's previous status when both belong to the
        // same trip"
        if t.trip(i).is_some() && t.trip(i) == t.trip(p) && cur.progress < prev.progress {
            t.flag(out, Rule::ProgressMonotonic, i);
        }
    }
}

/// PROGRESS-TOTAL-STABLE: each status of a session against the first status
/// of its trip that announced a non-zero total.
fn total_stable(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let statuses = t.placed(&t.sessions.sessions[k].statuses);
    // "every status of a trip after the first one with a non-zero total is
    // compared with that total"; "a trip is a run of consecutive statuses of
    // the session with the same round-trip number" (those with a place in the
    // HTTP order).
    // One pass, keeping the current run's trip and the first non-zero total
    // announced in it; a status with no trip ends the run.
    let mut run: Option<(i64, Option<u32>)> = None;
    for &i in &statuses {
        let Some(trip) = t.trip(i) else {
            run = None;
            continue;
        };
        let total = t.status(i).map(|v| v.total);
        let announced = match run {
            Some((run_trip, announced)) if run_trip == trip => announced,
            _ => None,
        };
        if announced.is_some_and(|announced| total.is_some_and(|total| total != announced)) {
            t.flag(out, Rule::ProgressTotalStable, i);
        }
        run = Some((trip, announced.or(total.filter(|&total| total != 0))));
    }
}

/// HTTP-SUCCEED-COMPLETED: "INDI_SUCCEED reports HTTP_COMPLETED and at least
/// one round trip"; an undefined enHTTPStatus is not HTTP_COMPLETED.
fn succeed_completed(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let Some((succeed, IndiStatus::Succeed)) = t.sessions.sessions[k].terminal else { return };
    if let Some(v) = t.status(succeed) {
        if v.http_status() != Some(t.spec.http.trip_finished) || v.http_request < 1 {
            t.flag(out, Rule::HttpSucceedCompleted, succeed);
        }
    }
}
