//! Operators of the `sessions` area: SESSION-UNSOLICITED, SESSION-CHANNEL,
//! SESSION-BEGIN-FIRST, SESSION-BEGIN-CLEAN, SESSION-PHASE-ORDER,
//! SESSION-ONE-TERMINAL, SESSION-ENDS, SESSION-INSTALL-AFTER-DOWNLOAD,
//! SESSION-SUCCEED-INSTALLED, SESSION-ONE-AT-A-TIME, SESSION-CALL-RETURNS-FIRST
//! and SESSION-DOWNLOAD-REPORTED.

use indiv_spec::record::{Body, Call, Event, Record};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, Path, ReaderFlag, SecurityFlag};

use super::Op;
use super::analysis::SessionInfo;
use super::draft::Block;
use crate::legal::{call, chance, event, pick, status_on, value};

pub(super) fn session_unsolicited(op: &mut Op) -> Option<()> {
    // Before the first session opens, a status on the reader channel belongs
    // to nobody (a Progress event might belong to a pending refresh instead).
    let last = op.analysis.first_start.unwrap_or(op.draft.records.len());
    let at = op.analysis.body_start + op.choices.choose((last - op.analysis.body_start) as u32 + 1) as usize;
    op.draft.insert_target(at, status_on(Path::Reader, value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)));
    keep_stray(op, at + 1);
    Some(())
}

/// Keeps a stray status inserted just before `next` a stray: directly before
/// a start call that opens a session it would be that session's status, come
/// before the call's record (SESSION-CALL-RETURNS-FIRST), so a cancel call
/// refused with nothing to cancel, which changes nothing, goes between.
fn keep_stray(op: &mut Op, next: usize) {
    let opens = match op.draft.records.get(next).map(|r| &r.body) {
        Some(Body::Call { call: Call::Individualize { .. }, hr }) => hr.is_success(),
        Some(Body::Call { call: Call::PerformSecurityUpdate { flags }, hr }) => {
            hr.is_success()
                && *flags != SecurityFlag::RevocationRefresh.value()
                && flags & (SecurityFlag::Indiv.value() | SecurityFlag::ForceIndiv.value()) != 0
        }
        _ => false,
    };
    if opens {
        op.draft.insert(next, call(Call::CancelIndividualization, KnownHresult::EUnexpected));
    }
}

pub(super) fn session_channel(op: &mut Op) -> Option<()> {
    let sites: Vec<(Path, usize)> =
        op.analysis.sessions.iter().flat_map(|s| s.statuses.iter().map(move |st| (s.path, st.at))).collect();
    match op.site(&sites) {
        Some((path, at)) => {
            let other = if path == Path::Reader { Path::Security } else { Path::Reader };
            let v = op.draft.value(at)?;
            let ts = op.draft.records[at].ts.clone();
            op.draft.records[at] = Record { ts, ..status_on(other, v) };
            op.draft.target = Some(at);
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.path = Path::Reader;
            let at = b.begin();
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_begin_first(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> = op.analysis.sessions.iter().filter(|s| s.terminal.is_some()).collect();
    match op.site(&sites) {
        Some(s) => {
            let begin = s.statuses.first()?;
            let terminal = s.terminal?.0;
            if chance(op.choices, 50) {
                // Without its INDI_BEGIN the session starts with its next status.
                op.draft.target = Some(s.statuses.get(1)?.at);
                op.draft.remove(vec![begin.at]);
            } else {
                // A second INDI_BEGIN anywhere before the terminal status.
                let at = begin.at + 1 + op.choices.choose((terminal - begin.at) as u32) as usize;
                let again = op.draft.records[begin.at].clone();
                op.draft.insert_target(at, again);
            }
            Some(())
        }
        None => {
            let mut b = Block::forced();
            let at = b.status(IndiStatus::Download, 0, HttpStatus::Connecting, 0, 0);
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_begin_clean(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> = op.analysis.sessions.iter().filter_map(|s| s.statuses.first().map(|b| b.at)).collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => {
            let mut b = Block::forced();
            let local = b.begin();
            op.draft.append(b.records) + local
        }
    };
    let variant = op.choices.choose(4);
    op.edit_at(at, |v| match variant {
        0 => v.total = 4096,
        1 => v.progress = 5,
        2 => v.http_request = 1,
        _ => v.http = HttpStatus::Connecting.value(),
    })
}

pub(super) fn session_phase_order(op: &mut Op) -> Option<()> {
    let spec = op.spec;
    let first = spec.phases.first;
    // Phases that may not follow `p` (other than the first, which is SESSION-BEGIN-FIRST's).
    let forbidden = |p: IndiStatus| -> Vec<IndiStatus> {
        spec.phases.phases().into_iter().filter(|q| *q != first && !spec.phases.may_follow(p, *q)).collect()
    };
    let mut sites = Vec::new();
    for s in &op.analysis.sessions {
        for st in &s.statuses {
            if !spec.phases.is_terminal(st.indi) {
                for q in forbidden(st.indi) {
                    sites.push((s.path, st.at, q));
                }
            }
        }
    }
    match op.site(&sites) {
        Some((path, at, q)) => {
            let mut v = op.draft.value(at)?;
            v.indi = q.value();
            v.hr = if q == IndiStatus::Fail { KnownHresult::IndividualizeError.into() } else { Hresult::S_OK };
            op.draft.insert_target(at + 1, status_on(path, v));
            Some(())
        }
        None => {
            // A phase reachable from the first that forbids some next phase.
            let (p, q) = spec
                .phases
                .successors(first)
                .into_iter()
                .filter(|p| !spec.phases.is_terminal(*p))
                .find_map(|p| forbidden(p).first().map(|q| (p, *q)))?;
            let mut b = Block::forced();
            b.begin();
            b.status(p, 0, HttpStatus::NotInitiated, 0, 0);
            let at = b.status(q, 0, HttpStatus::NotInitiated, 0, 0);
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_one_terminal(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> = op.analysis.sessions.iter().filter_map(|s| s.terminal.map(|t| t.0)).collect();
    match op.site(&sites) {
        Some(at) => {
            // The terminal status once more, right after it.
            let again = op.draft.records[at].clone();
            op.draft.insert_target(at + 1, again);
            keep_stray(op, at + 2);
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            b.status(IndiStatus::Fail, 0, HttpStatus::NotInitiated, 0, 0);
            let at = b.status(IndiStatus::Fail, 0, HttpStatus::NotInitiated, 0, 0);
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_ends(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> = op.analysis.sessions.iter().filter(|s| s.terminal.is_some()).collect();
    match op.site(&sites) {
        Some(s) => {
            // Its terminal status (and Completed) never comes: the session stays
            // open under later ones, which close on top of it.
            op.draft.target = Some(s.start);
            op.draft.remove(s.terminal.map(|t| t.0).into_iter().chain(s.completed).collect());
            Some(())
        }
        None => {
            let mut b = if chance(op.choices, 50) {
                Block::start(Path::Reader, ReaderFlag::Reindividualizable.value())
            } else {
                Block::forced()
            };
            if chance(op.choices, 50) {
                b.begin();
            }
            op.append_target(b, 0)
        }
    }
}

pub(super) fn session_install_after_download(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for s in &op.analysis.sessions {
        let Some(first) = s.statuses.iter().position(|st| st.indi == IndiStatus::Install) else { continue };
        let downloads: Vec<usize> =
            s.statuses[..first].iter().filter(|st| st.indi == IndiStatus::Download).map(|st| st.at).collect();
        if let Some(&last) = downloads.last() {
            sites.push((s.statuses[first].at, last, downloads));
        }
    }
    match op.site(&sites) {
        Some((install, last, downloads)) => {
            op.draft.target = Some(install);
            if chance(op.choices, 50) {
                // The last download stops one byte short.
                let v = op.draft.value_mut(last)?;
                v.progress = v.total.saturating_sub(1);
            } else {
                op.draft.remove(downloads);
            }
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            if chance(op.choices, 50) {
                b.status(IndiStatus::Download, 0, HttpStatus::Receiving, 10, 1000);
            }
            let at = b.status(IndiStatus::Install, 0, HttpStatus::Receiving, 10, 1000);
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_succeed_installed(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> = op
        .analysis
        .sessions
        .iter()
        .filter(|s| {
            let exempt =
                s.path == Path::Security && s.flags == SecurityFlag::Indiv.value() && s.up_to_date != Some(false);
            s.terminal.is_some_and(|t| t.1 == IndiStatus::Succeed) && !exempt && !s.installs().is_empty()
        })
        .collect();
    match op.site(&sites) {
        Some(s) => {
            op.draft.target = Some(s.terminal?.0);
            op.draft.remove(s.installs());
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            let at = b.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 0, 0);
            b.push(event(Event::Completed, KnownHresult::SOk));
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_one_at_a_time(op: &mut Op) -> Option<()> {
    let valid_start = |reader: bool, flags: u32| {
        if reader {
            ReaderFlag::from_value(flags).is_some()
        } else {
            flags == SecurityFlag::Indiv.value() || flags == SecurityFlag::ForceIndiv.value()
        }
    };
    let refused: Vec<usize> =
        op.analysis.starts.iter().filter(|s| s.busy && valid_start(s.reader, s.flags)).map(|s| s.at).collect();
    let open_spans: Vec<(usize, usize)> =
        op.analysis.sessions.iter().filter_map(|s| s.close().map(|close| (s.start, close))).collect();
    let wrong = pick(
        op.choices,
        &[KnownHresult::AlreadyIndividualized, KnownHresult::EInvalidArg, KnownHresult::IndividualizeError],
    );
    let reader = chance(op.choices, 50);
    let start = if reader {
        Call::Individualize { flags: pick(op.choices, &[0, 1]) }
    } else {
        Call::PerformSecurityUpdate { flags: pick(op.choices, &[1, 4]) }
    };
    if !refused.is_empty() && chance(op.choices, 40) {
        // A busy refusal that said something else.
        let at = refused[op.choices.choose(refused.len() as u32) as usize];
        *op.draft.hr_mut(at)? = wrong.into();
        op.draft.target = Some(at);
        return Some(());
    }
    match op.site(&open_spans) {
        Some((open, close)) => {
            // Anywhere from just after the start call up to the record that closes it.
            let at = open + 1 + op.choices.choose((close - open) as u32) as usize;
            let hr = if chance(op.choices, 25) { KnownHresult::SOk } else { wrong };
            op.draft.insert_target(at, call(start, hr));
            Some(())
        }
        None => {
            let mut b = Block::forced();
            if chance(op.choices, 50) {
                b.begin();
            }
            let at = b.push(call(start, wrong));
            op.append_target(b, at)
        }
    }
}

pub(super) fn session_call_returns_first(op: &mut Op) -> Option<()> {
    // A start call directly followed by statuses of its own session, with no
    // revocation refresh pending (whose Progress events would not be held).
    let pending = |at: usize| {
        op.analysis.refreshes.iter().filter(|r| **r < at).count()
            > op.analysis.revocations_done.iter().filter(|r| **r < at).count()
    };
    let mut sites = Vec::new();
    for s in &op.analysis.sessions {
        let run = s.statuses.iter().enumerate().take_while(|(k, st)| st.at == s.start + 1 + k).count();
        if run > 0 && !(s.path == Path::Security && pending(s.start)) {
            sites.push((s.start, run));
        }
    }
    match op.site(&sites) {
        Some((start, run)) => {
            // The call's record comes after the first 1..=run of them.
            let k = 1 + op.choices.choose(run as u32) as usize;
            let record = op.draft.records.remove(start);
            op.draft.records.insert(start + k, record);
            op.draft.target = Some(start + k);
            Some(())
        }
        None => {
            // A fresh reader session whose INDI_BEGIN comes before its call.
            let mut b = Block::start(Path::Reader, ReaderFlag::Reindividualizable.value());
            let begin = status_on(Path::Reader, value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0));
            b.records.insert(0, begin);
            b.status(IndiStatus::Fail, 0, HttpStatus::NotInitiated, 0, 0);
            op.append_target(b, 1)
        }
    }
}

pub(super) fn session_download_reported(op: &mut Op) -> Option<()> {
    // A session that ends in INDI_FAIL or INDI_CANCEL without any INDI_DOWNLOAD
    // or INDI_INSTALL: its terminal status now reports downloaded bytes.
    let sites: Vec<usize> = op
        .analysis
        .sessions
        .iter()
        .filter(|s| !s.statuses.iter().any(|st| matches!(st.indi, IndiStatus::Download | IndiStatus::Install)))
        .filter_map(|s| match s.terminal {
            Some((at, IndiStatus::Fail | IndiStatus::Cancel)) => Some(at),
            _ => None,
        })
        .collect();
    match op.site(&sites) {
        Some(at) => op.edit_at(at, |v| {
            v.progress = v.progress.max(1);
            if v.total != 0 {
                v.total = v.total.max(v.progress);
            }
        }),
        None => {
            let mut b = Block::forced();
            b.begin();
            let at = b.status(IndiStatus::Fail, 0, HttpStatus::Receiving, 100, 200);
            b.push(event(Event::Completed, KnownHresult::IndividualizeError));
            op.append_target(b, at)
        }
    }
}
