//! Operators of the `security` area (the `PerformSecurityUpdate` path):
//! SECURITY-FLAGS-ONE, SECURITY-COMPLETED-ONCE, SECURITY-COMPLETED-MATCHES,
//! SECURITY-AS-NEEDED, SECURITY-FORCE, SECURITY-REVOCATION-ONLY,
//! SECURITY-VERSION-FORM, SECURITY-VERSION-REFLECTS and
//! SECURITY-VERSION-STABLE.

use std::borrow::Cow;

use indiv_spec::record::{Body, Call, Event, Record};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, Path, SecurityFlag, SecurityVersion};

use super::analysis::SessionInfo;
use super::draft::Block;
use super::{Op, failure};
use crate::legal::{call, chance, event, pick, status_on};

pub(super) fn security_flags_one(op: &mut Op) -> Option<()> {
    const BAD: [u32; 7] = [0, 3, 5, 6, 7, 8, u32::MAX];
    let sites: Vec<(usize, u32)> = op.analysis.starts.iter().filter(|s| !s.reader).map(|s| (s.at, s.flags)).collect();
    match op.site(&sites) {
        Some((at, flags)) if SecurityFlag::from_value(flags).is_some() => {
            *op.draft.call_mut(at)? = Call::PerformSecurityUpdate { flags: pick(op.choices, &BAD) };
            op.draft.target = Some(at);
            Some(())
        }
        Some((at, _)) => {
            *op.draft.hr_mut(at)? =
                pick(op.choices, &[KnownHresult::Individualizing, KnownHresult::IndividualizeError]).into();
            op.draft.target = Some(at);
            Some(())
        }
        None => {
            let bad =
                call(Call::PerformSecurityUpdate { flags: pick(op.choices, &BAD) }, KnownHresult::IndividualizeError);
            let at = op.draft.append(vec![bad]);
            op.draft.target = Some(at);
            Some(())
        }
    }
}

pub(super) fn security_completed_once(op: &mut Op) -> Option<()> {
    let ended: Vec<(usize, usize)> = op
        .analysis
        .sessions
        .iter()
        .filter(|s| s.terminal.is_some())
        .filter_map(|s| s.completed.map(|c| (s.start, c)))
        .collect();
    match op.site(&ended) {
        Some((start, completed)) if chance(op.choices, 50) => {
            // The Completed never comes: reported at the start call at the end.
            op.draft.target = Some(start);
            op.draft.remove(vec![completed]);
        }
        Some((_, completed)) => {
            let again = op.draft.records[completed].clone();
            op.draft.insert_target(completed + 1, again);
        }
        None => {
            let at = op.draft.append(vec![event(
                Event::Completed,
                pick(op.choices, &[KnownHresult::SOk, KnownHresult::IndividualizeError]),
            )]);
            op.draft.target = Some(at);
        }
    }
    Some(())
}

pub(super) fn security_completed_matches(op: &mut Op) -> Option<()> {
    let sites: Vec<(usize, IndiStatus)> =
        op.analysis.sessions.iter().filter_map(|s| Some((s.completed?, s.terminal?.1))).collect();
    match op.site(&sites) {
        Some((completed, terminal)) => {
            let hr = if terminal == IndiStatus::Succeed { failure(op.choices) } else { Hresult::S_OK };
            *op.draft.hr_mut(completed)? = hr;
            op.draft.target = Some(completed);
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            let at = b.push(event(Event::Completed, KnownHresult::SOk));
            op.append_target(b, at)
        }
    }
}

pub(super) fn security_as_needed(op: &mut Op) -> Option<()> {
    let up_to_date: Vec<&SessionInfo> =
        op.analysis.sessions.iter().filter(|s| s.path == Path::Security && s.up_to_date == Some(true)).collect();
    let forced: Vec<(usize, usize)> = up_to_date
        .iter()
        .filter(|s| s.flags == SecurityFlag::ForceIndiv.value())
        .filter_map(|s| s.installs().first().map(|i| (s.start, *i)))
        .collect();
    let as_needed: Vec<(Path, usize, usize)> = up_to_date
        .iter()
        .filter(|s| s.flags == SecurityFlag::Indiv.value() && s.statuses.len() >= 2)
        .filter_map(|s| Some((s.path, s.statuses[s.statuses.len() - 2].at, s.terminal?.0)))
        .collect();
    if let Some((start, install)) = op.site(&forced) {
        // The same session, asked for as needed: it must not have installed.
        *op.draft.call_mut(start)? = Call::PerformSecurityUpdate { flags: SecurityFlag::Indiv.value() };
        op.draft.target = Some(install);
        return Some(());
    }
    if let Some((path, last, terminal)) = op.site(&as_needed) {
        // An INDI_INSTALL just before the terminal status, where the session stood.
        let mut v = op.draft.value(last)?;
        v.indi = IndiStatus::Install.value();
        v.hr = Hresult::S_OK;
        op.draft.insert_target(terminal, status_on(path, v));
        return Some(());
    }
    // Make both versions known and equal in the header, then install in an
    // as-needed update. A report cannot make a known version equal to the
    // service's (SECURITY-VERSION-STABLE): the header's component_version
    // is the known version until an installing success, which makes it the
    // service's.
    let service = match op.analysis.header {
        Some((_, Some(s))) => s,
        _ => SecurityVersion([2, 4, 0, 1]),
    };
    let header = Record::new(Body::Header { component_version: Some(service), service_version: Some(service) });
    if op.analysis.header.is_some() {
        op.draft.records[0] = header;
    } else {
        op.draft.insert(0, header);
    }
    let mut b = Block::start(Path::Security, SecurityFlag::Indiv.value());
    b.begin();
    let at = b.status(IndiStatus::Install, 0, HttpStatus::NotInitiated, 0, 0);
    op.append_target(b, at)
}

pub(super) fn security_force(op: &mut Op) -> Option<()> {
    let succeeded: Vec<&SessionInfo> = op
        .analysis
        .sessions
        .iter()
        .filter(|s| s.path == Path::Security && s.terminal.is_some_and(|t| t.1 == IndiStatus::Succeed))
        .collect();
    let forced: Vec<(usize, Vec<usize>)> = succeeded
        .iter()
        .filter(|s| s.flags == SecurityFlag::ForceIndiv.value() && !s.installs().is_empty())
        .filter_map(|s| Some((s.terminal?.0, s.installs())))
        .collect();
    let skipped: Vec<(usize, usize)> = succeeded
        .iter()
        .filter(|s| s.flags == SecurityFlag::Indiv.value() && s.installs().is_empty())
        .filter_map(|s| Some((s.start, s.terminal?.0)))
        .collect();
    if let Some((terminal, installs)) = op.site(&forced) {
        op.draft.target = Some(terminal);
        op.draft.remove(installs);
        return Some(());
    }
    if let Some((start, terminal)) = op.site(&skipped) {
        // An up-to-date as-needed success, had it been forced, should have installed.
        *op.draft.call_mut(start)? = Call::PerformSecurityUpdate { flags: SecurityFlag::ForceIndiv.value() };
        op.draft.target = Some(terminal);
        return Some(());
    }
    let mut b = Block::forced();
    b.begin();
    if chance(op.choices, 50) {
        b.status(IndiStatus::Download, 0, HttpStatus::Receiving, 500, 1000);
    }
    let at = b.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 1000, 1000);
    b.push(event(Event::Completed, KnownHresult::SOk));
    op.append_target(b, at)
}

pub(super) fn security_revocation_only(op: &mut Op) -> Option<()> {
    let analysis = op.analysis;
    if let (Some(&last_refresh), Some(done)) = (analysis.refreshes.last(), op.site(&analysis.revocations_done)) {
        // One refresh fewer is answered; the queue is first in, first out, so
        // the one left unanswered at the end is the last refresh.
        op.draft.target = Some(last_refresh);
        op.draft.remove(vec![done]);
        return Some(());
    }
    let stray = event(Event::RevocationCompleted, KnownHresult::SOk);
    if chance(op.choices, 50) {
        op.draft.insert_target(op.analysis.body_start, stray);
    } else {
        let at = op.draft.append(vec![stray]);
        op.draft.target = Some(at);
    }
    Some(())
}

pub(super) fn security_version_form(op: &mut Op) -> Option<()> {
    const BAD: [Option<&str>; 8] = [
        None,
        Some("2.4.0.2"),
        Some("2.4"),
        Some("2.4.0.1.0"),
        Some("abc"),
        Some(""),
        Some("2.x.0.1"),
        Some("2.4.1.1"),
    ];
    let bad = pick(op.choices, &BAD).map(Cow::Borrowed);
    let sites: Vec<usize> = op.analysis.versions.iter().map(|v| v.0).collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => op.draft.append(vec![call(Call::GetSecurityVersion { version: None }, KnownHresult::SOk)]),
    };
    *op.draft.call_mut(at)? = Call::GetSecurityVersion { version: bad };
    *op.draft.hr_mut(at)? = Hresult::S_OK;
    op.draft.target = Some(at);
    Some(())
}

/// A well-formed version that is not what `reflects` requires.
fn wrong_version(reflects: Option<SecurityVersion>) -> String {
    match reflects {
        Some(SecurityVersion([a, b, c, d])) => SecurityVersion([a, b.wrapping_add(1), c, d]).to_string(),
        None => SecurityVersion([2, 4, 0, 0]).to_string(),
    }
}

pub(super) fn security_version_reflects(op: &mut Op) -> Option<()> {
    let sites: Vec<(usize, Option<SecurityVersion>)> =
        op.analysis.versions.iter().filter(|v| v.1.is_success()).filter_map(|v| v.2.map(|r| (v.0, r))).collect();
    let (at, reflects) = match op.site(&sites) {
        Some(site) => site,
        None => {
            // An installing success first.
            let mut b = Block::forced();
            b.full_success();
            let at = b.push(call(Call::GetSecurityVersion { version: None }, KnownHresult::SOk));
            (op.draft.append(b.records) + at, op.analysis.service)
        }
    };
    *op.draft.call_mut(at)? = Call::GetSecurityVersion { version: Some(Cow::Owned(wrong_version(reflects))) };
    op.draft.target = Some(at);
    Some(())
}

/// A well-formed version other than `known`, individualized exactly when
/// `known` is (so that SECURITY-VERSION-REFLECTS, where it judges, still
/// accepts it).
fn other_version(SecurityVersion([a, b, c, d]): SecurityVersion) -> SecurityVersion {
    SecurityVersion([a, b.wrapping_add(1), c, d])
}

pub(super) fn security_version_stable(op: &mut Op) -> Option<()> {
    let analysis = op.analysis;
    if let Some((at, known)) = op.site(&analysis.stable) {
        // The version changes with no installing success in between.
        *op.draft.call_mut(at)? =
            Call::GetSecurityVersion { version: Some(Cow::Owned(other_version(known).to_string())) };
        op.draft.target = Some(at);
        return Some(());
    }
    // At the start, before any session: the header's component_version is
    // the known version (contradiction C8: 2.4.0.1, then a report of
    // 2.1.0.0); with none, a first report makes one known.
    let report = |v: SecurityVersion| {
        call(Call::GetSecurityVersion { version: Some(Cow::Owned(v.to_string())) }, KnownHresult::SOk)
    };
    let (mut block, known) = match analysis.header {
        Some((Some(component), _)) => (Vec::new(), component),
        _ => {
            let first = SecurityVersion(pick(op.choices, &[[2, 4, 0, 1], [2, 1, 0, 0], [3, 0, 0, 1]]));
            (vec![report(first)], first)
        }
    };
    block.push(report(other_version(known)));
    let local = block.len() - 1;
    let at = op.draft.insert_block(analysis.body_start, block);
    op.draft.target = Some(at + local);
    Some(())
}
