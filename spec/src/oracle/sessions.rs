//! Rule area `sessions`, as the oracle reads it: SESSION-UNSOLICITED,
//! SESSION-CHANNEL, SESSION-BEGIN-FIRST, SESSION-BEGIN-CLEAN,
//! SESSION-PHASE-ORDER, SESSION-ONE-TERMINAL, SESSION-ENDS,
//! SESSION-INSTALL-AFTER-DOWNLOAD, SESSION-SUCCEED-INSTALLED and
//! SESSION-ONE-AT-A-TIME, and the order in which the refusals of a start call
//! are judged.

use super::{Found, Owner, Trace, reader, security};
use crate::catalog::Rule;
use crate::record::{Body, Call};
use crate::vocab::{Hresult, IndiStatus, KnownHresult, SecurityFlag};

/// SESSION-UNSOLICITED, SESSION-CHANNEL, SESSION-ONE-TERMINAL (for strays):
/// each status is reported under the rule its owner says.
pub(super) fn routing_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for &(i, owner) in &t.sessions.owners {
        match owner {
            Owner::Session(_) | Owner::Refresh => {}
            Owner::Nobody => t.flag(out, Rule::SessionUnsolicited, i),
            Owner::WrongChannel(_) => t.flag(out, Rule::SessionChannel, i),
            // "statuses after the session's first terminal status are reported
            // under SESSION-ONE-TERMINAL only"; "later strays belong to the last
            // session and are reported under SESSION-ONE-TERMINAL"
            Owner::AfterEnd(_) => t.flag(out, Rule::SessionOneTerminal, i),
        }
    }
}

/// "when several refusals apply to a start call, the code expected is the
/// first of E_INVALIDARG (bad flags), NS_E_DRM_INDIVIDUALIZING (busy),
/// NS_E_DRM_ALREADY_INDIVIDUALIZED (locked); only the rule of that first
/// refusal is judged": READER-FLAGS-VALID or SECURITY-FLAGS-ONE, then
/// SESSION-ONE-AT-A-TIME, then READER-NO-REINDIV and READER-REINDIV-ALLOWED.
pub(super) fn start_call_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for i in 0..t.records.len() {
        let Body::Call { call, hr } = &t.records[i].1.body else { continue };
        let hr = *hr;
        // Bad flags, judged under the rule of the call's path.
        let refused = match call {
            Call::Individualize { flags } => reader::flags_rule(t, i, *flags, hr, out),
            // "a revocation refresh is not a session", and not a start call
            // that opens one either: it is never busy.
            Call::PerformSecurityUpdate { flags } => {
                security::flags_rule(t, i, *flags, hr, out) || *flags == SecurityFlag::RevocationRefresh.value()
            }
            _ => continue,
        };
        if refused || busy_rule(t, i, hr, out) {
            continue;
        }
        // "the lock binds Individualize only"
        if matches!(call, Call::Individualize { .. }) {
            reader::lock_rules(t, i, hr, out);
        }
    }
}

/// SESSION-ONE-AT-A-TIME for the start call `i` that would open a session;
/// whether the refusal applied.
fn busy_rule(t: &Trace<'_, '_>, i: usize, hr: Hresult, out: &mut Found) -> bool {
    if !t.sessions.sessions.iter().any(|s| s.is_open_at(i)) {
        return false;
    }
    if hr != Hresult::from(KnownHresult::Individualizing) {
        t.flag(out, Rule::SessionOneAtATime, i);
    }
    true
}

/// SESSION-BEGIN-FIRST, SESSION-PHASE-ORDER, SESSION-BEGIN-CLEAN over one
/// session's statuses.
pub(super) fn phase_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let s = &t.sessions.sessions[k];
    for (n, &i) in s.statuses.iter().enumerate() {
        let Some(phase) = t.phase(i) else { continue };
        if phase == t.spec.phases.first {
            // "INDI_BEGIN reports 0 round trips, HTTP_NOTINITIATED, progress 0
            // and total 0"
            if let Some(v) = t.status(i) {
                let clean = v.http_request == 0
                    && v.http_status() == Some(t.spec.http.before_any_trip)
                    && v.progress == 0
                    && v.total == 0;
                if !clean {
                    t.flag(out, Rule::SessionBeginClean, i);
                }
            }
        }
        let rule = t.current_phase(&s.statuses[..n]).map_or_else(
            // The first status: "a first status other than INDI_BEGIN is
            // reported under SESSION-BEGIN-FIRST and becomes the current phase"
            || (phase != t.spec.phases.first).then_some(Rule::SessionBeginFirst),
            |current| {
                if phase == t.spec.phases.first {
                    // "a repeated INDI_BEGIN is reported under
                    // SESSION-BEGIN-FIRST, not SESSION-PHASE-ORDER"
                    Some(Rule::SessionBeginFirst)
                } else if !t.spec.phases.may_follow(current, phase) {
                    Some(Rule::SessionPhaseOrder)
                } else {
                    None
                }
            },
        );
        if let Some(rule) = rule {
            t.flag(out, rule, i);
        }
    }
}

/// SESSION-INSTALL-AFTER-DOWNLOAD and SESSION-SUCCEED-INSTALLED over one
/// session.
pub(super) fn install_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    if let Some(first_install) = t.statuses_in(k, IndiStatus::Install).next() {
        // "judged at the session's first INDI_INSTALL; a session with no
        // INDI_DOWNLOAD before it breaks the rule"
        if !t.finished_download_before(k, first_install) {
            t.flag(out, Rule::SessionInstallAfterDownload, first_install);
        }
    }
    let Some(succeed) = t.incomplete_success(k) else { return };
    // "the as-needed exception holds for PerformSecurityUpdate(0x1) unless both
    // the component's and the service's versions are known and the
    // component's is older"
    let as_needed = t.is_security_update(k, SecurityFlag::Indiv);
    let older = matches!(t.versions_at_start(k), (Some(component), Some(service)) if component < service);
    if !as_needed || older {
        t.flag(out, Rule::SessionSucceedInstalled, succeed);
    }
}

/// SESSION-ENDS: an end-of-trace obligation, at the start call's line.
pub(super) fn ending_rules(t: &Trace<'_, '_>, out: &mut Found) {
    if t.partial {
        return;
    }
    for s in &t.sessions.sessions {
        if s.closed_at.is_none() && s.terminal.is_none() {
            t.flag(out, Rule::SessionEnds, s.opened_at);
        }
    }
}
