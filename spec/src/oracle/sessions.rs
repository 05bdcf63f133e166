//! Rule area `sessions`, as the oracle reads it: SESSION-UNSOLICITED,
//! SESSION-CHANNEL, SESSION-BEGIN-FIRST, SESSION-BEGIN-CLEAN,
//! SESSION-PHASE-ORDER, SESSION-ONE-TERMINAL, SESSION-ENDS,
//! SESSION-INSTALL-AFTER-DOWNLOAD, SESSION-SUCCEED-INSTALLED,
//! SESSION-ONE-AT-A-TIME, SESSION-CALL-RETURNS-FIRST and
//! SESSION-DOWNLOAD-REPORTED, and the order in which the refusals of a start call
//! are judged.

use super::{Found, Owner, Trace, reader, security};
use crate::catalog::Rule;
use crate::record::{Body, Call};
use crate::vocab::{Hresult, IndiStatus, KnownHresult, Path, SecurityFlag};

/// SESSION-UNSOLICITED, SESSION-CHANNEL, SESSION-ONE-TERMINAL (for strays):
/// each status is reported under the rule its owner says.
pub(super) fn routing_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for &(i, owner) in &t.sessions.owners {
        match owner {
            Owner::Session(_) | Owner::Refresh | Owner::Unjudged => {}
            Owner::Nobody => t.flag(out, Rule::SessionUnsolicited, i),
            Owner::WrongChannel(_) => t.flag(out, Rule::SessionChannel, i),
            // "statuses after the session's first terminal status are reported
            // under SESSION-ONE-TERMINAL only"; "later strays belong to the last
            // session and are reported under SESSION-ONE-TERMINAL"
            Owner::AfterEnd(_) => t.flag(out, Rule::SessionOneTerminal, i),
        }
    }
}

/// SESSION-CALL-RETURNS-FIRST: "reported once per session, at the start
/// call's line".
pub(super) fn early_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for &i in &t.sessions.early_calls {
        t.flag(out, Rule::SessionCallReturnsFirst, i);
    }
}

/// "when several refusals apply to a start call, the code expected is the
/// first of E_INVALIDARG (bad flags), NS_E_DRM_INDIVIDUALIZING (busy),
/// NS_E_DRM_ALREADY_INDIVIDUALIZED (locked); only the rule of that first
/// refusal is judged": READER-FLAGS-VALID or SECURITY-FLAGS-ONE, then
/// SESSION-ONE-AT-A-TIME, then READER-ALREADY-INDIVIDUALIZED.
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
            reader::lock_rule(t, i, hr, out);
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
    // The current phase after the statuses before this one (as
    // `Trace::current_phase_after` reads it), and whether one of them was
    // INDI_BEGIN, kept up to date status by status.
    let mut current: Option<IndiStatus> = None;
    let mut began = false;
    for &i in &s.statuses {
        let Some(phase) = t.phase(i) else { continue };
        let before = current;
        current = t.current_phase_after(current, phase);
        let began_before = began;
        began |= phase == t.spec.phases.first;
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
        match before {
            // The first status: "a first status other than INDI_BEGIN is
            // reported under SESSION-BEGIN-FIRST and becomes the current phase"
            None => {
                if phase != t.spec.phases.first {
                    t.flag(out, Rule::SessionBeginFirst, i);
                }
            }
            Some(current) if phase == t.spec.phases.first => {
                // "an INDI_BEGIN after an earlier INDI_BEGIN of the session is
                // reported under SESSION-BEGIN-FIRST"
                if began_before {
                    t.flag(out, Rule::SessionBeginFirst, i);
                }
                // "an INDI_BEGIN after a later phase is also reported under
                // SESSION-PHASE-ORDER (the phase went backwards); right after
                // INDI_BEGIN, the phase stayed, and it is not"
                if current != phase && !t.spec.phases.may_follow(current, phase) {
                    t.flag(out, Rule::SessionPhaseOrder, i);
                }
            }
            Some(current) => {
                if !t.spec.phases.may_follow(current, phase) {
                    t.flag(out, Rule::SessionPhaseOrder, i);
                }
            }
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
    // "a session opened by a call that broke a flags rule is judged only by
    // the rules that do not depend on its mode": the exception does.
    let s = &t.sessions.sessions[k];
    if s.path == Path::Security && SecurityFlag::from_value(s.flags).is_none() {
        return;
    }
    // "the as-needed exception holds for PerformSecurityUpdate(0x1) unless both
    // the component's and the service's versions are known and the
    // component's is older"
    let as_needed = t.is_security_update(k, SecurityFlag::Indiv);
    let older = matches!(t.versions_at_start(k), (Some(component), Some(service)) if component < service);
    if !as_needed || older {
        t.flag(out, Rule::SessionSucceedInstalled, succeed);
    }
}

/// SESSION-DOWNLOAD-REPORTED over session `k`, after [`install_rules`]: "a
/// session that reports downloaded bytes (a status other than INDI_BEGIN with
/// dwHTTPReadProgress above 0) reports at least one INDI_DOWNLOAD status",
/// "judged at the session's terminal status"; not for a session that
/// reported INDI_INSTALL, nor at an INDI_SUCCEED that
/// SESSION-SUCCEED-INSTALLED reports.
pub(super) fn download_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let s = &t.sessions.sessions[k];
    let Some((terminal, _)) = s.terminal else { return };
    let phases: Vec<Option<IndiStatus>> = s.statuses.iter().map(|&i| t.phase(i)).collect();
    let bytes = s
        .statuses
        .iter()
        .any(|&i| t.phase(i) != Some(t.spec.phases.first) && t.status(i).is_some_and(|v| v.progress > 0));
    let downloaded = phases.contains(&Some(IndiStatus::Download));
    let installed = phases.contains(&Some(IndiStatus::Install));
    let reported = out.0.contains(&(Rule::SessionSucceedInstalled, t.line(terminal)));
    if bytes && !downloaded && !installed && !reported {
        t.flag(out, Rule::SessionDownloadReported, terminal);
    }
}

/// SESSION-ENDS: an end-of-trace obligation, at the start call's line. "a
/// session that never reports a terminal status is reported under
/// SESSION-ENDS, also when its Completed came first; a terminal Progress
/// event that still comes to it after its Completed ends it".
pub(super) fn ending_rules(t: &Trace<'_, '_>, out: &mut Found) {
    if t.partial {
        return;
    }
    // The sessions a terminal Progress event came to after their end.
    let mut late_terminal = vec![false; t.sessions.sessions.len()];
    for &(i, owner) in &t.sessions.owners {
        if let Owner::AfterEnd(k) = owner {
            if matches!(t.records[i].1.body, Body::Event { .. })
                && t.phase(i).is_some_and(|p| t.spec.phases.is_terminal(p))
            {
                late_terminal[k] = true;
            }
        }
    }
    for (k, s) in t.sessions.sessions.iter().enumerate() {
        if s.terminal.is_none() && !late_terminal[k] {
            t.flag(out, Rule::SessionEnds, s.opened_at);
        }
    }
}
