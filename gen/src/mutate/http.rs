//! Operators of the `http` area (round trips and progress):
//! HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP, HTTP-PHASE-ORDER,
//! HTTP-COMPLETED-COUNTED, HTTP-SUCCEED-COMPLETED, PROGRESS-WITHIN-TOTAL,
//! PROGRESS-MONOTONIC, PROGRESS-TOTAL-STABLE and HTTP-URL-STABLE.

use std::borrow::Cow;

use indiv_spec::record::{Body, Event, Status};
use indiv_spec::vocab::{HttpStatus, IndiStatus};

use super::Op;
use super::draft::Block;
use crate::legal::{chance, pick};

/// A fresh security session whose last two statuses are `prev` and `cur` (after a BEGIN).
fn two_statuses(op: &mut Op, prev: (u32, HttpStatus, u32, u32), cur: (u32, HttpStatus, u32, u32)) -> Option<()> {
    let mut b = Block::forced();
    b.begin();
    b.status(IndiStatus::Download, prev.0, prev.1, prev.2, prev.3);
    let at = b.status(IndiStatus::Download, cur.0, cur.1, cur.2, cur.3);
    op.append_target(b, at)
}

pub(super) fn http_count_monotonic(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> =
        op.analysis.pairs().into_iter().filter(|(p, _)| p.req >= 1).map(|(p, c)| (p.req, c.at)).collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.http_request = prev - 1),
        None => two_statuses(op, (1, HttpStatus::Completed, 0, 0), (0, HttpStatus::Receiving, 0, 0)),
    }
}

pub(super) fn http_count_step(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> = op.analysis.pairs().into_iter().map(|(p, c)| (p.req, c.at)).collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.http_request = prev.saturating_add(2)),
        None => two_statuses(op, (0, HttpStatus::Connecting, 0, 0), (2, HttpStatus::Connecting, 0, 0)),
    }
}

pub(super) fn http_phase_order(op: &mut Op) -> Option<()> {
    let sites: Vec<(HttpStatus, u32, usize)> = op
        .analysis
        .pairs()
        .into_iter()
        .filter(|(p, _)| p.http != HttpStatus::NotInitiated)
        .map(|(p, c)| (p.http, p.req, c.at))
        .collect();
    match op.site(&sites) {
        Some((http, req, at)) => {
            let in_trip_late = matches!(http, HttpStatus::Requesting | HttpStatus::Receiving);
            if in_trip_late && chance(op.choices, 50) {
                // Back to the start of the same round trip.
                op.edit_at(at, |v| {
                    v.http = HttpStatus::Connecting.value();
                    v.http_request = req;
                })
            } else {
                // Back to before every round trip.
                op.edit_at(at, |v| v.http = HttpStatus::NotInitiated.value())
            }
        }
        None => two_statuses(op, (0, HttpStatus::Receiving, 0, 0), (0, HttpStatus::Connecting, 0, 0)),
    }
}

pub(super) fn http_completed_counted(op: &mut Op) -> Option<()> {
    op.edit_value(
        |_| true,
        |v, _| {
            v.http = HttpStatus::Completed.value();
            v.http_request = 0;
        },
    )
}

pub(super) fn http_succeed_completed(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> = op
        .analysis
        .sessions
        .iter()
        .filter_map(|s| s.terminal.filter(|t| t.1 == IndiStatus::Succeed).map(|t| t.0))
        .collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => {
            let mut b = Block::forced();
            b.begin();
            let local = b.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 0, 0);
            op.draft.append(b.records) + local
        }
    };
    let http = pick(
        op.choices,
        &[HttpStatus::NotInitiated, HttpStatus::Connecting, HttpStatus::Receiving, HttpStatus::Completed],
    );
    op.edit_at(at, |v| {
        v.http = http.value();
        if http == HttpStatus::Completed {
            v.http_request = 0;
        }
    })
}

pub(super) fn progress_within_total(op: &mut Op) -> Option<()> {
    op.edit_value(
        |_| true,
        |v, c| {
            if v.total == 0 || v.total == u32::MAX {
                v.total = pick(c, &[1, 4096, 65_536]);
            }
            v.progress = v.total + 1 + c.choose(1000).min(u32::MAX - v.total - 1);
        },
    )
}

pub(super) fn progress_monotonic(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> = op
        .analysis
        .pairs()
        .into_iter()
        .filter(|(p, c)| p.trip.is_some() && p.trip == c.trip && p.progress >= 1)
        .map(|(p, c)| (p.progress, c.at))
        .collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.progress = prev - 1),
        None => two_statuses(op, (0, HttpStatus::Receiving, 10, 100), (0, HttpStatus::Receiving, 5, 100)),
    }
}

pub(super) fn progress_total_stable(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> = op
        .analysis
        .sessions
        .iter()
        .flat_map(|s| s.statuses.iter())
        .filter_map(|st| match (st.trip, st.total_before) {
            (Some(t), Some((tt, total))) if t == tt => Some((total, st.at)),
            _ => None,
        })
        .collect();
    match op.site(&sites) {
        Some((total, at)) => {
            let changed = if chance(op.choices, 30) { 0 } else { total.wrapping_add(1) };
            op.edit_at(at, |v| v.total = changed)
        }
        None => two_statuses(op, (0, HttpStatus::Receiving, 10, 100), (0, HttpStatus::Receiving, 20, 200)),
    }
}

pub(super) fn http_url_stable(op: &mut Op) -> Option<()> {
    // Statuses of a session after its first non-null URL.
    let mut sites = Vec::new();
    for s in &op.analysis.sessions {
        let first = s.statuses.iter().position(|st| op.draft.value(st.at).is_some_and(|v| v.url.is_some()));
        if let Some(first) = first {
            sites.extend(s.statuses[first + 1..].iter().map(|st| st.at));
        }
    }
    let at = match op.site(&sites) {
        Some(at) => at,
        None => {
            let mut b = Block::forced();
            b.begin();
            let first = b.status(IndiStatus::Download, 1, HttpStatus::Completed, 0, 0);
            let local = b.status(IndiStatus::Download, 1, HttpStatus::Connecting, 0, 0);
            let base = op.draft.append(b.records);
            op.draft.value_mut(base + first)?.url = Some(Cow::Borrowed(FIRST_URL));
            base + local
        }
    };
    let first = op.draft.records[..at].iter().rev().find_map(|r| match &r.body {
        Body::Status { status: Status::Individualize(v), .. } | Body::Event { event: Event::Progress(v), .. } => {
            v.url.clone()
        }
        _ => None,
    });
    let other = if first.as_deref() == Some(OTHER_URL) { FIRST_URL } else { OTHER_URL };
    op.edit_at(at, |v| v.url = Some(Cow::Borrowed(other)))
}

/// The response URLs the operator reports.
const FIRST_URL: &str = "https://indiv.example/response";
const OTHER_URL: &str = "https://other.example/response";
