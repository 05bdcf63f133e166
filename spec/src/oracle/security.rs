//! Rule area `security`, as the oracle reads it: SECURITY-FLAGS-ONE,
//! SECURITY-COMPLETED-ONCE, SECURITY-COMPLETED-MATCHES, SECURITY-AS-NEEDED,
//! SECURITY-FORCE, SECURITY-REVOCATION-ONLY, SECURITY-VERSION-FORM,
//! SECURITY-VERSION-REFLECTS and SECURITY-VERSION-STABLE.

use super::{Found, Owner, Trace};
use crate::catalog::Rule;
use crate::record::{Body, Call};
use crate::vocab::{Hresult, IndiStatus, KnownHresult, Path, SecurityFlag};

/// SECURITY-FLAGS-ONE for the PerformSecurityUpdate call `i`: exactly one of
/// 0x1, 0x2, 0x4. Whether the refusal applied.
pub(super) fn flags_rule(t: &Trace<'_, '_>, i: usize, flags: u32, hr: Hresult, out: &mut Found) -> bool {
    if SecurityFlag::from_value(flags).is_some() {
        return false;
    }
    if hr != Hresult::from(KnownHresult::EInvalidArg) {
        t.flag(out, Rule::SecurityFlagsOne, i);
    }
    true
}

/// SECURITY-REVOCATION-ONLY: "a MEWMDRMRevocationDownloadCompleted with no
/// refresh pending breaks it at its line; a refresh with none by the end of a
/// complete trace breaks it at the call's line"; "a Progress event while a
/// refresh is pending and no session is open breaks it at its line".
pub(super) fn revocation_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for &i in &t.sessions.stray_revocation_events {
        t.flag(out, Rule::SecurityRevocationOnly, i);
    }
    if !t.partial {
        for &(call, done) in &t.sessions.refreshes {
            if done.is_none() {
                t.flag(out, Rule::SecurityRevocationOnly, call);
            }
        }
    }
    for &(i, owner) in &t.sessions.owners {
        if owner == Owner::Refresh {
            t.flag(out, Rule::SecurityRevocationOnly, i);
        }
    }
}

/// SECURITY-AS-NEEDED and SECURITY-FORCE over one session.
pub(super) fn update_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    if t.is_security_update(k, SecurityFlag::Indiv) {
        // "a client whose version is not older than the service's is not
        // individualized: no INDI_INSTALL status"; "judged only when both
        // versions are known at the start call"
        if let (Some(first_install), (Some(component), Some(service))) =
            (t.statuses_in(k, IndiStatus::Install).next(), t.versions_at_start(k))
        {
            if component >= service {
                t.flag(out, Rule::SecurityAsNeeded, first_install);
            }
        }
    }
    // "reported at INDI_SUCCEED, beside SESSION-SUCCEED-INSTALLED"
    if t.is_security_update(k, SecurityFlag::ForceIndiv) {
        if let Some(succeed) = t.incomplete_success(k) {
            t.flag(out, Rule::SecurityForce, succeed);
        }
    }
}

/// SECURITY-COMPLETED-ONCE and SECURITY-COMPLETED-MATCHES.
pub(super) fn completed_rules(t: &Trace<'_, '_>, out: &mut Found) {
    // "a Completed event with no open security session breaks
    // [SECURITY-COMPLETED-ONCE] at its own line"
    for &i in &t.sessions.stray_completed {
        t.flag(out, Rule::SecurityCompletedOnce, i);
    }
    for s in &t.sessions.sessions {
        // "MEWMDRMIndividualizationCompleted comes after the session's terminal
        // status, and its hr is a success code exactly when that status was
        // INDI_SUCCEED"
        if let Some(c) = s.completed_at {
            let hr = match &t.records[c].1.body {
                Body::Event { hr, .. } => *hr,
                _ => Hresult::S_OK,
            };
            match s.terminal {
                Some((at, phase)) if at < c => {
                    if hr.is_success() != (phase == IndiStatus::Succeed) {
                        t.flag(out, Rule::SecurityCompletedMatches, c);
                    }
                }
                _ => t.flag(out, Rule::SecurityCompletedMatches, c),
            }
        }
        // An end-of-trace obligation, at the start call's line: a security
        // session that ended but never closed.
        if !t.partial && s.closed_at.is_none() && s.terminal.is_some() && s.path == Path::Security {
            t.flag(out, Rule::SecurityCompletedOnce, s.opened_at);
        }
    }
}

/// SECURITY-VERSION-FORM, SECURITY-VERSION-REFLECTS and
/// SECURITY-VERSION-STABLE on each GetSecurityVersion that returned a success
/// code.
pub(super) fn version_rules(t: &Trace<'_, '_>, out: &mut Found) {
    // The first success of a session that installed: reports after it are
    // "after a session that installed and succeeded".
    let first_upgrade = (0..t.sessions.sessions.len()).filter_map(|k| t.installed_success(k)).min();
    for i in 0..t.records.len() {
        let Body::Call { call: Call::GetSecurityVersion { .. }, hr } = &t.records[i].1.body else { continue };
        if hr.is_failure() {
            continue;
        }
        // "four dot-separated numbers, the third 0, the fourth 0 or 1"
        let Some(v) = t.well_formed_report(i) else {
            t.flag(out, Rule::SecurityVersionForm, i);
            continue;
        };
        // "after a session that installed and succeeded, GetSecurityVersion
        // reports the service's version when that is known, and otherwise a
        // version whose fourth number is 1"
        let upgraded = first_upgrade.is_some_and(|at| at < i);
        if upgraded {
            let ok = match t.service_version() {
                Some(service) => v == service,
                None => v.is_individualized(),
            };
            if !ok {
                t.flag(out, Rule::SecurityVersionReflects, i);
                // "a report that breaks SECURITY-VERSION-FORM ... or
                // SECURITY-VERSION-REFLECTS is judged by that rule alone"
                continue;
            }
        }
        // "a report while an install is under way ... is not judged"
        if t.install_under_way(i) {
            continue;
        }
        // "GetSecurityVersion reports the component's known version"; with no
        // known version the report becomes it and is not judged.
        if let Some(known) = t.component_version_before(i) {
            if v != known {
                t.flag(out, Rule::SecurityVersionStable, i);
            }
        }
    }
}
