//! Rule area `reader`, as the oracle reads it: READER-FLAGS-VALID,
//! READER-ALREADY-INDIVIDUALIZED, READER-NEEDS-WHEN-OUTDATED,
//! READER-NO-RIGHTS-AFTER-SUCCEED and READER-NO-RIGHTS-NOT-BEFORE.

use super::{Found, Trace};
use crate::catalog::Rule;
use crate::record::{Body, Call, Record, Status};
use crate::vocab::{Hresult, IndiStatus, KnownHresult, Path, ReaderFlag};

/// READER-FLAGS-VALID for the Individualize call `i`: Individualize takes 0x0
/// or 0x1. Whether the refusal applied.
pub(super) fn flags_rule(t: &Trace<'_, '_>, i: usize, flags: u32, hr: Hresult, out: &mut Found) -> bool {
    if ReaderFlag::from_value(flags).is_some() {
        return false;
    }
    if hr != Hresult::from(KnownHresult::EInvalidArg) {
        t.flag(out, Rule::ReaderFlagsValid, i);
    }
    true
}

/// READER-ALREADY-INDIVIDUALIZED for the Individualize call `i`, when no
/// earlier refusal applied: it "returns NS_E_DRM_ALREADY_INDIVIDUALIZED and
/// opens nothing exactly when the most recent reader session that ended
/// succeeded, was opened with 0x1, and no WMT_NEEDS_INDIVIDUALIZATION has been
/// sent since its INDI_SUCCEED; otherwise it is accepted".
pub(super) fn lock_rule(t: &Trace<'_, '_>, i: usize, hr: Hresult, out: &mut Found) {
    let last_ended = t
        .sessions
        .sessions
        .iter()
        // A session opened by a later call whose statuses came before its
        // record does not count.
        .filter(|s| s.path == Path::Reader && s.opened_at < i)
        .filter_map(|s| s.terminal.filter(|&(at, _)| at < i).map(|(at, indi)| (at, indi, s.flags)))
        .max_by_key(|&(at, _, _)| at);
    let locked = match last_ended {
        Some((at, IndiStatus::Succeed, flags)) => flags == ReaderFlag::Final.value() && !needs_between(t, at + 1, i),
        _ => false,
    };
    // "accepted means a success code"
    let broken = if locked { hr != Hresult::from(KnownHresult::AlreadyIndividualized) } else { hr.is_failure() };
    if broken {
        t.flag(out, Rule::ReaderAlreadyIndividualized, i);
    }
}

/// Whether reader objects may be stale at `at`: "after a session on the
/// security path succeeded, and until a reader session succeeds".
fn stale_readers(t: &Trace<'_, '_>, at: usize) -> bool {
    let last_success = |path: Path| {
        t.sessions
            .sessions
            .iter()
            .filter(|s| s.path == path)
            .filter_map(|s| match s.terminal {
                Some((end, IndiStatus::Succeed)) if end < at => Some(end),
                _ => None,
            })
            .max()
    };
    match (last_success(Path::Security), last_success(Path::Reader)) {
        (Some(security), Some(reader)) => security > reader,
        (security, _) => security.is_some(),
    }
}

fn is_call(record: &Record<'_>) -> bool {
    matches!(record.body, Body::Call { .. })
}

fn is_needs(record: &Record<'_>) -> bool {
    matches!(record.body, Body::Status { status: Status::NeedsIndividualization, .. })
}

fn is_no_rights(record: &Record<'_>) -> bool {
    matches!(record.body, Body::Status { status: Status::NoRightsEx, .. })
}

/// READER-NEEDS-WHEN-OUTDATED: "after Open, WMT_NEEDS_INDIVIDUALIZATION is
/// sent before the next call (or the end of the trace) if and only if the
/// component is not individualized or its major.minor is below the required
/// version, and it is never sent without an Open of its own".
pub(super) fn needs_rules(t: &Trace<'_, '_>, out: &mut Found) {
    let records = t.records;
    for o in 0..records.len() {
        let Body::Call { call: Call::Open { required_version }, .. } = &records[o].1.body else { continue };
        let window_end = (o + 1..records.len()).find(|&j| is_call(&records[j].1));
        let window = o + 1..window_end.unwrap_or(records.len());
        let needs: Vec<usize> = window.filter(|&j| is_needs(&records[j].1)).collect();
        // "each Open owns at most one WMT_NEEDS_INDIVIDUALIZATION; a second one
        // before the next call has no Open of its own"
        for &extra in needs.iter().skip(1) {
            t.flag(out, Rule::ReaderNeedsWhenOutdated, extra);
        }
        // "where the component's version is unknown, only 'never sent without
        // an Open of its own' is judged", and likewise with stale readers
        // ("it is allowed and not required")
        let Some(component) = t.component_version_before(o) else { continue };
        if stale_readers(t, o) {
            continue;
        }
        match needs.first() {
            Some(&n) if !component.is_outdated_for(*required_version) => t.flag(out, Rule::ReaderNeedsWhenOutdated, n),
            // An obligation that only the end of the trace leaves unmet is
            // judged for complete traces only.
            None if component.is_outdated_for(*required_version) && (window_end.is_some() || !t.partial) => {
                t.flag(out, Rule::ReaderNeedsWhenOutdated, o)
            }
            _ => {}
        }
    }
    // A WMT_NEEDS_INDIVIDUALIZATION whose last call before it is no Open,
    // unless it is "the late NEEDS of an Open already reported as missing":
    // the first NEEDS after the window of the last Open, which owed one and
    // got none. One pass, keeping the last call and the last Open so far,
    // and whether a NEEDS came since that Open.
    let mut last_call: Option<usize> = None;
    let mut last_open: Option<usize> = None;
    let mut needs_since_open = false;
    for (n, (_, record)) in records.iter().enumerate() {
        if is_call(record) {
            last_call = Some(n);
            if matches!(record.body, Body::Call { call: Call::Open { .. }, .. }) {
                last_open = Some(n);
                needs_since_open = false;
            }
            continue;
        }
        if !is_needs(record) {
            continue;
        }
        let owned = last_call.is_some_and(|j| matches!(records[j].1.body, Body::Call { call: Call::Open { .. }, .. }));
        if !owned && !last_open.is_some_and(|o| late_needs_of_an_open(t, o, needs_since_open)) {
            t.flag(out, Rule::ReaderNeedsWhenOutdated, n);
        }
        needs_since_open = true;
    }
}

/// Whether a NEEDS whose last Open before it is `o` (with `needs_since` when
/// another NEEDS came between them) is the first after that Open, whose
/// window (up to its next call) had none although the component was
/// outdated.
fn late_needs_of_an_open(t: &Trace<'_, '_>, o: usize, needs_since: bool) -> bool {
    let Body::Call { call: Call::Open { required_version }, .. } = &t.records[o].1.body else { return false };
    let outdated = t.component_version_before(o).is_some_and(|c| c.is_outdated_for(*required_version));
    outdated && !stale_readers(t, o) && !needs_since
}

/// Whether a WMT_NEEDS_INDIVIDUALIZATION is among the records `from..to`:
/// whether the first at or after `from` comes before `to`.
fn needs_between(t: &Trace<'_, '_>, from: usize, to: usize) -> bool {
    t.next_needs.get(from).is_some_and(|&first| first < to)
}

/// For each record index (and the end): the index of the first
/// WMT_NEEDS_INDIVIDUALIZATION at or after it, or the trace's length.
pub(super) fn next_needs(records: &[(usize, Record<'_>)]) -> Vec<usize> {
    let mut next = vec![records.len(); records.len() + 1];
    for j in (0..records.len()).rev() {
        next[j] = if is_needs(&records[j].1) { j } else { next[j + 1] };
    }
    next
}

/// READER-NO-RIGHTS-NOT-BEFORE and READER-NO-RIGHTS-AFTER-SUCCEED.
pub(super) fn no_rights_rules(t: &Trace<'_, '_>, out: &mut Found) {
    let records = t.records;
    // The last WMT_NEEDS_INDIVIDUALIZATION still waiting at each `at`: not
    // followed by a WMT_NO_RIGHTS_EX before `at` ("one WMT_NO_RIGHTS_EX
    // satisfies every WMT_NEEDS_INDIVIDUALIZATION before it"), in one pass.
    let mut last_waiting: Vec<Option<usize>> = Vec::with_capacity(records.len());
    let mut waiting_now = None;
    for (n, (_, record)) in records.iter().enumerate() {
        last_waiting.push(waiting_now);
        if is_needs(record) {
            waiting_now = Some(n);
        } else if is_no_rights(record) {
            waiting_now = None;
        }
    }
    let waiting = |at: usize| last_waiting[at];
    let successes = |reader_only: bool| -> Vec<usize> {
        t.sessions
            .sessions
            .iter()
            .filter(|s| !reader_only || s.path == Path::Reader)
            .filter_map(|s| match s.terminal {
                Some((at, IndiStatus::Succeed)) => Some(at),
                _ => None,
            })
            .collect()
    };
    let any_successes = successes(false);
    let reader_successes = successes(true);
    // "after WMT_NEEDS_INDIVIDUALIZATION, WMT_NO_RIGHTS_EX is not sent before a
    // session has succeeded" (of either path): for every waiting
    // WMT_NEEDS_INDIVIDUALIZATION, a success between it and the
    // WMT_NO_RIGHTS_EX, so one after the last of them; "a WMT_NO_RIGHTS_EX with
    // no WMT_NEEDS_INDIVIDUALIZATION waiting is not judged"
    for (r, (_, record)) in records.iter().enumerate() {
        if !is_no_rights(record) {
            continue;
        }
        let Some(last_waiting) = waiting(r) else { continue };
        if !any_successes.iter().any(|&s| last_waiting < s && s < r) {
            t.flag(out, Rule::ReaderNoRightsNotBefore, r);
        }
    }
    // "after WMT_NEEDS_INDIVIDUALIZATION, once a session opened by Individualize
    // succeeds, WMT_NO_RIGHTS_EX follows"; "judged at the end of complete
    // traces, reported at the INDI_SUCCEED line", the one "that created the
    // obligation": the first success with a WMT_NEEDS_INDIVIDUALIZATION waiting
    // that no WMT_NO_RIGHTS_EX follows. Later successes add no obligation of
    // their own: the one missing WMT_NO_RIGHTS_EX would have met them all.
    if t.partial {
        return;
    }
    // The last WMT_NO_RIGHTS_EX: a success before it is followed by one.
    let last_no_rights = records.iter().rposition(|(_, r)| is_no_rights(r));
    let unanswered = reader_successes.iter().copied().filter(|&s| {
        let followed = last_no_rights.is_some_and(|j| j > s);
        // The component after the success: read after the session's start
        // call too, since a session's early statuses may come before it.
        let opened = t.sessions.sessions.iter().find(|k| k.terminal.is_some_and(|(at, _)| at == s));
        let after = opened.map_or(s, |k| k.opened_at.max(s)) + 1;
        waiting(s).is_some_and(|n| upgrade_meets_need(t, n, after)) && !followed
    });
    if let Some(s) = unanswered.min() {
        t.flag(out, Rule::ReaderNoRightsAfterSucceed, s);
    }
}

/// Whether the component as it is before record `after` (just after a
/// success) meets the required version of the content whose Open got the
/// WMT_NEEDS_INDIVIDUALIZATION at `n`: "the
/// required version is that of the Open whose window (up to the next call)
/// the last waiting WMT_NEEDS_INDIVIDUALIZATION came in"; "where that version
/// or the required version is unknown, WMT_NO_RIGHTS_EX is owed".
fn upgrade_meets_need(t: &Trace<'_, '_>, n: usize, after: usize) -> bool {
    let records = t.records;
    let last_call = (0..n).rev().find(|&j| is_call(&records[j].1));
    let required = last_call.and_then(|j| match &records[j].1.body {
        Body::Call { call: Call::Open { required_version }, .. } => Some(*required_version),
        _ => None,
    });
    match (required, t.component_version_before(after)) {
        (Some(required), Some(component)) => !component.is_outdated_for(required),
        _ => true,
    }
}
