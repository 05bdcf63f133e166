//! The whole-trace oracle: a second, independent reading of the spec's rules,
//! for tests and fuzz targets that compare it with the streaming [`Monitor`].
//!
//! It is written from the rule statements and readings of
//! `spec/individualization.toml` alone, and deliberately works unlike the
//! monitor: it holds the whole trace, first derives the session structure in
//! one pass that implements the general readings (which start call opened
//! which session, which status belongs to which session, when each session
//! closed), and then judges each rule (or small group of rules) with its own
//! function that scans that structure, looking backwards and forwards and
//! recomputing what it needs from scratch. It is slow (quadratic in places)
//! and meant to be obviously correct, never fast.
//!
//! Comments quote the reading each piece implements.
//!
//! [`Monitor`]: crate::Monitor

use std::collections::BTreeSet;

use crate::catalog::{Rule, Spec};
use crate::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use crate::vocab::{Hresult, IndiStatus, KnownHresult, Path, ReaderFlag, SecurityFlag, SecurityVersion};

/// Judges a whole trace: every `(rule, line)` violation of `records` (each
/// with its 1-based line). With `partial`, the end-of-trace obligations are
/// not judged.
pub fn judge(spec: &Spec, records: &[(usize, Record<'_>)], partial: bool) -> BTreeSet<(Rule, usize)> {
    let trace = Trace { spec, records, partial, sessions: derive_sessions(spec, records) };
    let mut out = Found::default();
    value_rules(&trace, &mut out);
    routing_rules(&trace, &mut out);
    revocation_rules(&trace, &mut out);
    start_call_rules(&trace, &mut out);
    for k in 0..trace.sessions.sessions.len() {
        phase_rules(&trace, k, &mut out);
        http_rules(&trace, k, &mut out);
        install_and_success_rules(&trace, k, &mut out);
        cancel_rules(&trace, k, &mut out);
    }
    ending_rules(&trace, &mut out);
    version_rules(&trace, &mut out);
    needs_rules(&trace, &mut out);
    no_rights_rules(&trace, &mut out);
    out.0
}

/// The lines of each session's statuses (up to and including its first
/// terminal one), sessions in the order they were opened: the structure the
/// oracle derives from the general readings, for tests that need to tell
/// which statuses one session is made of.
pub fn session_lines(spec: &Spec, records: &[(usize, Record<'_>)]) -> Vec<Vec<usize>> {
    let structure = derive_sessions(spec, records);
    structure.sessions.iter().map(|s| s.statuses.iter().map(|&i| records[i].0).collect()).collect()
}

/// The violations found so far, as `(rule, line)`.
#[derive(Default)]
struct Found(BTreeSet<(Rule, usize)>);

/// The whole trace with its derived session structure.
struct Trace<'t, 'r> {
    spec: &'t Spec,
    records: &'t [(usize, Record<'r>)],
    partial: bool,
    sessions: Structure,
}

impl Trace<'_, '_> {
    fn line(&self, i: usize) -> usize {
        self.records[i].0
    }

    fn flag(&self, out: &mut Found, rule: Rule, i: usize) {
        out.0.insert((rule, self.line(i)));
    }

    /// The `WM_INDIVIDUALIZE_STATUS` of record `i`, if it carries one.
    fn status(&self, i: usize) -> Option<&IndividualizeStatus<'_>> {
        indi_status_of(&self.records[i].1)
    }

    /// The phase of record `i`, which must be a session status.
    fn phase(&self, i: usize) -> Option<IndiStatus> {
        self.status(i).and_then(IndividualizeStatus::indi_status)
    }

    /// The round trip of a status: none before every trip, `dwHTTPRequest - 1`
    /// once it says the trip finished, `dwHTTPRequest` in between (`[http]`).
    fn trip(&self, i: usize) -> Option<i64> {
        let v = self.status(i)?;
        let http = v.http_status()?;
        if http == self.spec.http.before_any_trip {
            None
        } else if http == self.spec.http.trip_finished {
            Some(i64::from(v.http_request) - 1)
        } else {
            Some(i64::from(v.http_request))
        }
    }

    fn header(&self) -> Option<(Option<SecurityVersion>, Option<SecurityVersion>)> {
        // "a header may only be line 1"
        match self.records.first() {
            Some((_, Record { body: Body::Header { component_version, service_version }, .. })) => {
                Some((*component_version, *service_version))
            }
            _ => None,
        }
    }

    fn service_version(&self) -> Option<SecurityVersion> {
        self.header().and_then(|(_, service)| service)
    }

    /// Whether session `k` installed and succeeded, and where it succeeded.
    fn installed_success(&self, k: usize) -> Option<usize> {
        let s = &self.sessions.sessions[k];
        let (t, status) = s.terminal?;
        let installed = s.statuses.iter().any(|&i| i < t && self.phase(i) == Some(IndiStatus::Install));
        (status == IndiStatus::Succeed && installed).then_some(t)
    }

    /// The component's version just before record `at`, recomputed from the
    /// start: "known from the header, from a well-formed GetSecurityVersion
    /// result that returned a success code, and becomes the service's version
    /// (or, with that unknown, an individualized version of unknown number)
    /// when a session installs and succeeds". A version of unknown number is
    /// not known.
    fn component_version_before(&self, at: usize) -> Option<SecurityVersion> {
        let mut known = self.header().and_then(|(component, _)| component);
        for i in 0..at {
            if let Body::Call { call: Call::GetSecurityVersion { version: Some(text) }, hr } = &self.records[i].1.body {
                if hr.is_success() {
                    if let Some(v) = SecurityVersion::parse(text) {
                        known = Some(v);
                    }
                }
            }
            if (0..self.sessions.sessions.len()).any(|k| self.installed_success(k) == Some(i)) {
                known = self.service_version();
            }
        }
        known
    }
}

fn indi_status_of<'a>(record: &'a Record<'_>) -> Option<&'a IndividualizeStatus<'a>> {
    match &record.body {
        Body::Status { status: Status::Individualize(v), .. } => Some(v),
        Body::Event { event: Event::Progress(v), .. } => Some(v),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// The session structure (the general readings)

/// One session, as derived from the whole trace. Indices are record indices.
#[derive(Debug)]
struct Session {
    /// The start call that opened it.
    opened_at: usize,
    path: Path,
    flags: u32,
    /// Its statuses, in order, up to and including its first terminal one.
    statuses: Vec<usize>,
    /// Its first terminal status and what it said.
    terminal: Option<(usize, IndiStatus)>,
    /// Where it closed (a reader's first terminal status, a security
    /// session's Completed event).
    closed_at: Option<usize>,
    /// The Completed event that closed it (security sessions).
    completed_at: Option<usize>,
    /// The cancel calls that returned a success code and applied to it.
    cancels: Vec<usize>,
}

impl Session {
    fn is_open_at(&self, i: usize) -> bool {
        self.opened_at < i && self.closed_at.is_none_or(|c| c > i)
    }
}

/// Where a status or Progress event belongs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Owner {
    /// One of the session's statuses.
    Session(usize),
    /// On the wrong channel for this session.
    WrongChannel(usize),
    /// To this session, after its first terminal status or after it closed.
    AfterEnd(usize),
    /// A Progress event while a revocation refresh was pending.
    Refresh,
    /// Nobody: before any session was ever opened.
    Nobody,
}

/// The derived structure of a trace.
#[derive(Default)]
struct Structure {
    sessions: Vec<Session>,
    /// For each status or Progress event with defined values: where it belongs.
    owners: Vec<(usize, Owner)>,
    /// Revocation refreshes: the call, and the revocation event that ended it.
    refreshes: Vec<(usize, Option<usize>)>,
    /// Revocation events with no refresh pending.
    stray_revocation_events: Vec<usize>,
    /// Completed events with no open security session.
    stray_completed: Vec<usize>,
}

/// One pass over the trace that implements the general readings about who
/// opens, owns and closes what.
fn derive_sessions(spec: &Spec, records: &[(usize, Record<'_>)]) -> Structure {
    let mut st = Structure::default();
    for (i, (_, record)) in records.iter().enumerate() {
        match &record.body {
            Body::Call { call, hr } if hr.is_success() => match call {
                // "PerformSecurityUpdate with flags 0x2 that returned a success
                // code opens no session: it starts a revocation refresh"
                Call::PerformSecurityUpdate { flags } if *flags == SecurityFlag::RevocationRefresh.value() => {
                    st.refreshes.push((i, None));
                }
                // "a session is opened by Individualize, or by PerformSecurityUpdate
                // with any flags other than exactly 0x2, that returned a success
                // code; it is opened even when the call should have been refused"
                Call::Individualize { flags } | Call::PerformSecurityUpdate { flags } => {
                    let path = if matches!(call, Call::Individualize { .. }) { Path::Reader } else { Path::Security };
                    st.sessions.push(Session {
                        opened_at: i,
                        path,
                        flags: *flags,
                        statuses: Vec::new(),
                        terminal: None,
                        closed_at: None,
                        completed_at: None,
                        cancels: Vec::new(),
                    });
                }
                // "a cancel call that returned a success code applies to the most
                // recently opened open session of its path; with none, it applies
                // to nothing"
                Call::CancelIndividualization | Call::CancelAsyncOperation => {
                    let path =
                        if matches!(call, Call::CancelIndividualization) { Path::Reader } else { Path::Security };
                    if let Some(s) = st.sessions.iter_mut().rev().find(|s| s.path == path && s.is_open_at(i)) {
                        s.cancels.push(i);
                    }
                }
                _ => {}
            },
            Body::Status { status: Status::Individualize(v), .. } => route_status(spec, &mut st, i, v, Path::Reader),
            Body::Event { event: Event::Progress(v), .. } => route_status(spec, &mut st, i, v, Path::Security),
            // "a security session (opened by PerformSecurityUpdate) closes at its
            // MEWMDRMIndividualizationCompleted event"; "a Completed event with
            // no open security session breaks [SECURITY-COMPLETED-ONCE] at its
            // own line"
            Body::Event { event: Event::Completed, .. } => {
                match st.sessions.iter_mut().rev().find(|s| s.path == Path::Security && s.is_open_at(i)) {
                    Some(s) => {
                        s.closed_at = Some(i);
                        s.completed_at = Some(i);
                    }
                    None => st.stray_completed.push(i),
                }
            }
            // A revocation event ends the oldest refresh still pending.
            Body::Event { event: Event::RevocationCompleted, .. } => {
                match st.refreshes.iter_mut().find(|(_, done)| done.is_none()) {
                    Some(refresh) => refresh.1 = Some(i),
                    None => st.stray_revocation_events.push(i),
                }
            }
            _ => {}
        }
    }
    st
}

/// "a status or Progress event belongs to the most recently opened session
/// that is still open; with none open, a Progress event belongs to a pending
/// revocation refresh if there is one, otherwise to the last session ever
/// opened, otherwise to nobody"; "a status on the wrong channel for its
/// session is ... not one of the session's statuses"; "a status whose
/// enIndiStatus or enHTTPStatus is not a defined value takes part in no other
/// rule" (than the value rules).
fn route_status(spec: &Spec, st: &mut Structure, i: usize, v: &IndividualizeStatus<'_>, channel: Path) {
    let (Some(phase), Some(_)) = (v.indi_status(), v.http_status()) else { return };
    let open = st.sessions.iter().rposition(|s| s.is_open_at(i));
    let refresh_pending = st.refreshes.iter().any(|(_, done)| done.is_none());
    let owner = match open {
        Some(k) if st.sessions[k].path != channel => Owner::WrongChannel(k),
        Some(k) if st.sessions[k].terminal.is_some() => Owner::AfterEnd(k),
        Some(k) => {
            let s = &mut st.sessions[k];
            s.statuses.push(i);
            // "a reader session (opened by Individualize) closes at its first
            // terminal status"
            if spec.phases.is_terminal(phase) {
                s.terminal = Some((i, phase));
                if s.path == Path::Reader {
                    s.closed_at = Some(i);
                }
            }
            Owner::Session(k)
        }
        None if channel == Path::Security && refresh_pending => Owner::Refresh,
        // "otherwise to the last session ever opened (SESSION-ONE-TERMINAL)":
        // the reading names the rule, whatever the channel.
        None => match st.sessions.len().checked_sub(1) {
            Some(k) => Owner::AfterEnd(k),
            None => Owner::Nobody,
        },
    };
    st.owners.push((i, owner));
}

// ---------------------------------------------------------------------------
// The rules

/// STATUS-INDI-VALUE, STATUS-HTTP-VALUE, STATUS-HR-MATCHES, STATUS-URL-FORM,
/// HTTP-COMPLETED-COUNTED, PROGRESS-WITHIN-TOTAL: "the value rules ... judge
/// every WM_INDIVIDUALIZE_STATUS, wherever it belongs".
fn value_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for i in 0..t.records.len() {
        let Some(v) = t.status(i) else { continue };
        let phase = v.indi_status();
        if phase.is_none() {
            t.flag(out, Rule::StatusIndiValue, i);
        }
        if v.http_status().is_none() {
            t.flag(out, Rule::StatusHttpValue, i);
        }
        // "a status's own hr is a failure code exactly when it is INDI_FAIL;
        // INDI_CANCEL may carry either"; "judged only when enIndiStatus is a
        // defined value"
        if let Some(phase) = phase {
            if phase != IndiStatus::Cancel && v.hr.is_failure() != (phase == IndiStatus::Fail) {
                t.flag(out, Rule::StatusHrMatches, i);
            }
        }
        if v.url.as_deref().is_some_and(|url| !url_is_well_formed(url)) {
            t.flag(out, Rule::StatusUrlForm, i);
        }
        if v.http_status() == Some(t.spec.http.trip_finished) && v.http_request < 1 {
            t.flag(out, Rule::HttpCompletedCounted, i);
        }
        if v.total > 0 && v.progress > v.total {
            t.flag(out, Rule::ProgressWithinTotal, i);
        }
    }
}

/// "absolute means the scheme http:// or https:// (case-insensitive) followed
/// by a non-empty host; every byte is printable ASCII without spaces". The
/// host ends at the first `/`, `?` or `#`.
fn url_is_well_formed(url: &str) -> bool {
    if !url.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return false;
    }
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://").or_else(|| lower.strip_prefix("https://")) else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
}

/// SESSION-UNSOLICITED, SESSION-CHANNEL, SESSION-ONE-TERMINAL (for strays),
/// and SECURITY-REVOCATION-ONLY for Progress events during a refresh: each
/// status is reported under the rule its owner says.
fn routing_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for &(i, owner) in &t.sessions.owners {
        match owner {
            Owner::Session(_) => {}
            Owner::Nobody => t.flag(out, Rule::SessionUnsolicited, i),
            Owner::WrongChannel(_) => t.flag(out, Rule::SessionChannel, i),
            // "statuses after the session's first terminal status are reported
            // under SESSION-ONE-TERMINAL only"; "later strays belong to the last
            // session and are reported under SESSION-ONE-TERMINAL"
            Owner::AfterEnd(_) => t.flag(out, Rule::SessionOneTerminal, i),
            // "a Progress event while a refresh is pending and no session is
            // open breaks it at its line"
            Owner::Refresh => t.flag(out, Rule::SecurityRevocationOnly, i),
        }
    }
}

/// SECURITY-REVOCATION-ONLY: "a MEWMDRMRevocationDownloadCompleted with no
/// refresh pending breaks it at its line; a refresh with none by the end of a
/// complete trace breaks it at the call's line".
fn revocation_rules(t: &Trace<'_, '_>, out: &mut Found) {
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
}

/// READER-FLAGS-VALID, SECURITY-FLAGS-ONE, SESSION-ONE-AT-A-TIME,
/// READER-NO-REINDIV, READER-REINDIV-ALLOWED: "when several refusals apply to
/// a start call, the code expected is the first of E_INVALIDARG (bad flags),
/// NS_E_DRM_INDIVIDUALIZING (busy), NS_E_DRM_ALREADY_INDIVIDUALIZED (locked);
/// only the rule of that first refusal is judged".
fn start_call_rules(t: &Trace<'_, '_>, out: &mut Found) {
    let sessions = &t.sessions.sessions;
    for i in 0..t.records.len() {
        let Body::Call { call, hr } = &t.records[i].1.body else { continue };
        let hr = *hr;
        let (reader, flags) = match call {
            Call::Individualize { flags } => (true, *flags),
            Call::PerformSecurityUpdate { flags } => (false, *flags),
            _ => continue,
        };
        // Bad flags: Individualize takes 0x0 or 0x1, PerformSecurityUpdate
        // exactly one of 0x1, 0x2, 0x4.
        let valid =
            if reader { ReaderFlag::from_value(flags).is_some() } else { SecurityFlag::from_value(flags).is_some() };
        if !valid {
            if hr != Hresult::from(KnownHresult::EInvalidArg) {
                t.flag(out, if reader { Rule::ReaderFlagsValid } else { Rule::SecurityFlagsOne }, i);
            }
            continue;
        }
        // Busy: "a revocation refresh is not a session", and not a start call
        // that opens one either.
        let refresh = !reader && flags == SecurityFlag::RevocationRefresh.value();
        if refresh {
            continue;
        }
        if sessions.iter().any(|s| s.is_open_at(i)) {
            if hr != Hresult::from(KnownHresult::Individualizing) {
                t.flag(out, Rule::SessionOneAtATime, i);
            }
            continue;
        }
        if !reader {
            // "the lock binds Individualize only"
            continue;
        }
        // Reader sessions that succeeded before this call, by where they did.
        let mut successes: Vec<(usize, u32)> = sessions
            .iter()
            .filter(|s| s.path == Path::Reader)
            .filter_map(|s| match s.terminal {
                Some((at, IndiStatus::Succeed)) if at < i => Some((at, s.flags)),
                _ => None,
            })
            .collect();
        successes.sort();
        // Locked: "after a session opened by Individualize with flags 0x1
        // succeeds, a later Individualize returns NS_E_DRM_ALREADY_INDIVIDUALIZED";
        // "the lock is never lifted".
        if successes.iter().any(|&(_, f)| f == ReaderFlag::Final.value()) {
            if hr != Hresult::from(KnownHresult::AlreadyIndividualized) {
                t.flag(out, Rule::ReaderNoReindiv, i);
            }
            continue;
        }
        // "judged when the most recent successful reader session was opened
        // with 0x0, no 0x1 session ever succeeded, and no session is open;
        // accepted means a success code"
        if successes.last().is_some_and(|&(_, f)| f == ReaderFlag::Reindividualizable.value()) && hr.is_failure() {
            t.flag(out, Rule::ReaderReindivAllowed, i);
        }
    }
}

/// SESSION-BEGIN-FIRST, SESSION-PHASE-ORDER, SESSION-BEGIN-CLEAN over one
/// session's statuses.
fn phase_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
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
        let rule = phase_walk(t, &s.statuses[..n]).map_or_else(
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

/// The session's current phase after `statuses`: "the last phase it entered
/// legally"; the first status always becomes the current phase, and "a
/// status that is not in may_follow of the current phase ... leaves the
/// current phase unchanged".
fn phase_walk(t: &Trace<'_, '_>, statuses: &[usize]) -> Option<IndiStatus> {
    let mut current: Option<IndiStatus> = None;
    for &i in statuses {
        let Some(phase) = t.phase(i) else { continue };
        current = match current {
            None => Some(phase),
            Some(c) if t.spec.phases.may_follow(c, phase) => Some(phase),
            Some(c) => Some(c),
        };
    }
    current
}

/// HTTP-COUNT-MONOTONIC, HTTP-COUNT-STEP, HTTP-PHASE-ORDER,
/// PROGRESS-MONOTONIC, PROGRESS-TOTAL-STABLE: each status of a session against
/// "the session's previous status" (and, for the total, against the first
/// status of its trip that announced a non-zero total).
fn http_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let statuses = &t.sessions.sessions[k].statuses;
    for n in 1..statuses.len() {
        let (p, i) = (statuses[n - 1], statuses[n]);
        let (Some(prev), Some(cur)) = (t.status(p), t.status(i)) else { continue };
        if cur.http_request < prev.http_request {
            t.flag(out, Rule::HttpCountMonotonic, i);
        }
        if u64::from(cur.http_request) > u64::from(prev.http_request) + 1 {
            t.flag(out, Rule::HttpCountStep, i);
        }
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
    // "every status of a trip after the first one with a non-zero total is
    // compared with that total"; "a trip is a run of consecutive statuses of
    // the session with the same round-trip number".
    for (n, &i) in statuses.iter().enumerate() {
        let Some(trip) = t.trip(i) else { continue };
        let announced = statuses[..n]
            .iter()
            .rev()
            .take_while(|&&j| t.trip(j) == Some(trip))
            .filter_map(|&j| t.status(j).map(|v| v.total))
            .filter(|total| *total != 0)
            .last();
        if announced.is_some_and(|total| t.status(i).is_some_and(|v| v.total != total)) {
            t.flag(out, Rule::ProgressTotalStable, i);
        }
    }
}

/// SESSION-INSTALL-AFTER-DOWNLOAD, SECURITY-AS-NEEDED, HTTP-SUCCEED-COMPLETED,
/// SESSION-SUCCEED-INSTALLED, SECURITY-FORCE over one session.
fn install_and_success_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let s = &t.sessions.sessions[k];
    let with_phase = |phase: IndiStatus| s.statuses.iter().copied().filter(move |&i| t.phase(i) == Some(phase));
    // A download is finished when "progress equal to a non-zero total".
    let finished_download_before = |at: usize| {
        with_phase(IndiStatus::Download)
            .rfind(|&i| i < at)
            .and_then(|i| t.status(i))
            .is_some_and(|v| v.total != 0 && v.progress == v.total)
    };
    // "judged only when both versions are known at the start call"
    let versions = (t.component_version_before(s.opened_at), t.service_version());
    let as_needed = s.path == Path::Security && s.flags == SecurityFlag::Indiv.value();
    let forced = s.path == Path::Security && s.flags == SecurityFlag::ForceIndiv.value();

    if let Some(first_install) = with_phase(IndiStatus::Install).next() {
        // "judged at the session's first INDI_INSTALL; a session with no
        // INDI_DOWNLOAD before it breaks the rule"
        if !finished_download_before(first_install) {
            t.flag(out, Rule::SessionInstallAfterDownload, first_install);
        }
        // "a client whose version is not older than the service's is not
        // individualized: no INDI_INSTALL status"
        if let (true, (Some(component), Some(service))) = (as_needed, versions) {
            if component >= service {
                t.flag(out, Rule::SecurityAsNeeded, first_install);
            }
        }
    }

    let Some((succeed, IndiStatus::Succeed)) = s.terminal else { return };
    // "INDI_SUCCEED reports HTTP_COMPLETED and at least one round trip"
    if let Some(v) = t.status(succeed) {
        if v.http_status() != Some(t.spec.http.trip_finished) || v.http_request < 1 {
            t.flag(out, Rule::HttpSucceedCompleted, succeed);
        }
    }
    let installed = with_phase(IndiStatus::Install).any(|i| i < succeed);
    if finished_download_before(succeed) && installed {
        return;
    }
    // "the as-needed exception holds for PerformSecurityUpdate(0x1) unless both
    // the component's and the service's versions are known and the
    // component's is older"
    let older = matches!(versions, (Some(component), Some(service)) if component < service);
    if !as_needed || older {
        t.flag(out, Rule::SessionSucceedInstalled, succeed);
    }
    // "reported at INDI_SUCCEED, beside SESSION-SUCCEED-INSTALLED"
    if forced {
        t.flag(out, Rule::SecurityForce, succeed);
    }
}

/// CANCEL-REQUIRES-CALL and CANCEL-STOPS-WORK over one session.
fn cancel_rules(t: &Trace<'_, '_>, k: usize, out: &mut Found) {
    let s = &t.sessions.sessions[k];
    // "INDI_CANCEL occurs only in a session for which an earlier cancel call of
    // its own path ... returned a success code"
    if let Some((at, IndiStatus::Cancel)) = s.terminal {
        if !s.cancels.iter().any(|&c| c < at) {
            t.flag(out, Rule::CancelRequiresCall, at);
        }
    }
    // "after an accepted cancel the session starts no new phase ... and no new
    // round trip"
    let Some(&cancel) = s.cancels.first() else { return };
    let before: Vec<usize> = s.statuses.iter().copied().filter(|&i| i < cancel).collect();
    let phase_at_cancel = phase_walk(t, &before);
    let trip_at_cancel = before.last().and_then(|&i| t.trip(i));
    for &i in s.statuses.iter().filter(|&&i| i > cancel) {
        let phase = t.phase(i);
        let new_phase = matches!(phase, Some(IndiStatus::Download | IndiStatus::Install)) && phase != phase_at_cancel;
        let new_trip = t.trip(i).is_some_and(|trip| trip_at_cancel.is_none_or(|old| trip > old));
        if new_phase || new_trip {
            t.flag(out, Rule::CancelStopsWork, i);
        }
    }
}

/// SESSION-ENDS, SECURITY-COMPLETED-ONCE, SECURITY-COMPLETED-MATCHES.
fn ending_rules(t: &Trace<'_, '_>, out: &mut Found) {
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
        // End-of-trace obligations, at the start call's line.
        if t.partial || s.closed_at.is_some() {
            continue;
        }
        if s.terminal.is_none() {
            t.flag(out, Rule::SessionEnds, s.opened_at);
        } else if s.path == Path::Security {
            t.flag(out, Rule::SecurityCompletedOnce, s.opened_at);
        }
    }
}

/// SECURITY-VERSION-FORM and SECURITY-VERSION-REFLECTS on each
/// GetSecurityVersion that returned a success code.
fn version_rules(t: &Trace<'_, '_>, out: &mut Found) {
    for i in 0..t.records.len() {
        let Body::Call { call: Call::GetSecurityVersion { version }, hr } = &t.records[i].1.body else { continue };
        if hr.is_failure() {
            continue;
        }
        let Some(v) = version.as_deref().and_then(SecurityVersion::parse) else {
            t.flag(out, Rule::SecurityVersionForm, i);
            continue;
        };
        // "after a session that installed and succeeded, GetSecurityVersion
        // reports the service's version when that is known, and otherwise a
        // version whose fourth number is 1"
        let upgraded = (0..t.sessions.sessions.len()).any(|k| t.installed_success(k).is_some_and(|at| at < i));
        if upgraded {
            let ok = match t.service_version() {
                Some(service) => v == service,
                None => v.is_individualized(),
            };
            if !ok {
                t.flag(out, Rule::SecurityVersionReflects, i);
            }
        }
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
fn needs_rules(t: &Trace<'_, '_>, out: &mut Found) {
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
        // an Open of its own' is judged"
        let Some(component) = t.component_version_before(o) else { continue };
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
    // A WMT_NEEDS_INDIVIDUALIZATION whose last call before it is no Open.
    for n in 0..records.len() {
        if !is_needs(&records[n].1) {
            continue;
        }
        let last_call = (0..n).rev().find(|&j| is_call(&records[j].1));
        let owned = last_call.is_some_and(|j| matches!(records[j].1.body, Body::Call { call: Call::Open { .. }, .. }));
        if !owned {
            t.flag(out, Rule::ReaderNeedsWhenOutdated, n);
        }
    }
}

/// READER-NO-RIGHTS-NOT-BEFORE and READER-NO-RIGHTS-AFTER-SUCCEED.
fn no_rights_rules(t: &Trace<'_, '_>, out: &mut Found) {
    let records = t.records;
    // The WMT_NEEDS_INDIVIDUALIZATION still waiting at `at`: not followed by a
    // WMT_NO_RIGHTS_EX before `at` ("one WMT_NO_RIGHTS_EX satisfies every
    // WMT_NEEDS_INDIVIDUALIZATION before it").
    let waiting = |at: usize| -> Vec<usize> {
        (0..at).filter(|&n| is_needs(&records[n].1) && !(n + 1..at).any(|j| is_no_rights(&records[j].1))).collect()
    };
    let reader_successes: Vec<usize> = t
        .sessions
        .sessions
        .iter()
        .filter(|s| s.path == Path::Reader)
        .filter_map(|s| match s.terminal {
            Some((at, IndiStatus::Succeed)) => Some(at),
            _ => None,
        })
        .collect();
    // "after WMT_NEEDS_INDIVIDUALIZATION, WMT_NO_RIGHTS_EX is not sent before a
    // session opened by Individualize has succeeded": for every waiting
    // WMT_NEEDS_INDIVIDUALIZATION, a reader success between it and the
    // WMT_NO_RIGHTS_EX, so one after the last of them; "a WMT_NO_RIGHTS_EX with
    // no WMT_NEEDS_INDIVIDUALIZATION waiting is not judged"
    for (r, (_, record)) in records.iter().enumerate() {
        if !is_no_rights(record) {
            continue;
        }
        let Some(&last_waiting) = waiting(r).last() else { continue };
        if !reader_successes.iter().any(|&s| last_waiting < s && s < r) {
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
    let unanswered = reader_successes.iter().copied().filter(|&s| {
        let followed = (s + 1..records.len()).any(|j| is_no_rights(&records[j].1));
        !waiting(s).is_empty() && !followed
    });
    if let Some(s) = unanswered.min() {
        t.flag(out, Rule::ReaderNoRightsAfterSucceed, s);
    }
}
