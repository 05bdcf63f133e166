//! Operators of the `cancellation` area: CANCEL-REQUIRES-CALL and
//! CANCEL-STOPS-WORK.

use indiv_spec::record::{Call, Event};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult};

use super::Op;
use super::draft::Block;
use crate::legal::{call, event, value};

pub(super) fn cancel_requires_call(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for s in &op.analysis.sessions {
        let Some((terminal, indi)) = s.terminal else { continue };
        let cancels: Vec<usize> = s.cancels.iter().map(|c| c.0).filter(|at| *at < terminal).collect();
        match indi {
            IndiStatus::Cancel => sites.push((terminal, cancels)),
            IndiStatus::Fail if cancels.is_empty() => sites.push((terminal, cancels)),
            _ => {}
        }
    }
    match op.site(&sites) {
        Some((terminal, cancels)) => {
            if cancels.is_empty() {
                // A failure reported as a cancel nobody asked for.
                op.edit_at(terminal, |v| v.indi = IndiStatus::Cancel.value())
            } else {
                // The cancel calls were refused, so nothing asked for the cancel.
                for at in cancels {
                    *op.draft.hr_mut(at)? = KnownHresult::EUnexpected.into();
                }
                op.draft.target = Some(terminal);
                Some(())
            }
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            let at = b.status(IndiStatus::Cancel, 0, HttpStatus::NotInitiated, 0, 0);
            b.push(event(Event::Completed, KnownHresult::OperationCanceled));
            op.append_target(b, at)
        }
    }
}

pub(super) fn cancel_stops_work(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for (k, s) in op.analysis.sessions.iter().enumerate() {
        if let Some((at, phase)) = s.cancel_before_terminal() {
            sites.push((k, at, phase));
        }
    }
    match op.site(&sites) {
        Some((k, cancel, phase)) => {
            let s = &op.analysis.sessions[k];
            let last = s.statuses.iter().rev().find(|st| st.at < cancel);
            let mut v = match last {
                Some(st) => op.draft.value(st.at)?,
                None => value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0),
            };
            v.hr = Hresult::S_OK;
            if phase == Some(IndiStatus::Install) {
                // The install was under way: a new round trip after the
                // cancel, the one after the trip under way then.
                v.http_request = match last.map(|st| st.http) {
                    Some(HttpStatus::Completed | HttpStatus::NotInitiated) | None => v.http_request,
                    Some(_) => v.http_request.saturating_add(1),
                };
                v.http = HttpStatus::Connecting.value();
                v.progress = 0;
                v.total = 0;
            } else {
                // An install that begins after the cancel, at the snapshot
                // the session had then.
                v.indi = IndiStatus::Install.value();
            }
            op.draft.insert_target(cancel + 1, s.channel_record(v));
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            b.push(call(Call::CancelAsyncOperation, KnownHresult::SOk));
            let at = b.status(IndiStatus::Download, 0, HttpStatus::Connecting, 0, 0);
            op.append_target(b, at)
        }
    }
}
