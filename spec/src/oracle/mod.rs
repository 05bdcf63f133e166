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
//! recomputing what it needs from scratch. It is meant to be obviously
//! correct before fast; it is linear in the trace's length all the same
//! (times the number of sessions in a few places), so that the fuzz target
//! that compares it with the monitor stays fast on long inputs: what a rule
//! asks of "every record before this one" is computed once, in a table over
//! the whole trace (the component's version before each record, whether an
//! install is under way at each record), each built in one pass that reads
//! the reading it implements.
//!
//! This file holds the derived structure and what every rule may ask of the
//! trace; the rules' functions live in one module per rule area of the spec
//! file (the `area` of each `[[rule]]`): `values`, `sessions`, `http` (round
//! trips and progress), `cancellation`, `reader` and `security`. The rules of
//! area `service` need what only the certification harness sees and are not
//! judged here. The oracle shares no code with the monitor: it uses only the
//! catalog, the records and the vocabulary.
//!
//! Comments quote the reading each piece implements.
//!
//! [`Monitor`]: crate::Monitor

mod cancellation;
mod http;
mod reader;
mod security;
mod sessions;
mod values;

use std::collections::BTreeSet;

use crate::catalog::{Rule, Spec};
use crate::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use crate::vocab::{IndiStatus, Path, SecurityFlag, SecurityVersion};

/// Judges a whole trace: every `(rule, line)` violation of `records` (each
/// with its 1-based line). With `partial`, the end-of-trace obligations are
/// not judged.
pub fn judge(spec: &Spec, records: &[(usize, Record<'_>)], partial: bool) -> BTreeSet<(Rule, usize)> {
    let mut trace = Trace {
        spec,
        records,
        partial,
        sessions: derive_sessions(spec, records, partial),
        under_install: Vec::new(),
        known_before: Vec::new(),
        next_needs: reader::next_needs(records),
    };
    trace.under_install = trace.installs_under_way();
    trace.known_before = trace.component_versions();
    let mut out = Found::default();
    values::value_rules(&trace, &mut out);
    http::value_rules(&trace, &mut out);
    sessions::routing_rules(&trace, &mut out);
    sessions::early_rules(&trace, &mut out);
    security::revocation_rules(&trace, &mut out);
    sessions::start_call_rules(&trace, &mut out);
    for k in 0..trace.sessions.sessions.len() {
        sessions::phase_rules(&trace, k, &mut out);
        http::session_rules(&trace, k, &mut out);
        sessions::install_rules(&trace, k, &mut out);
        sessions::download_rules(&trace, k, &mut out);
        security::update_rules(&trace, k, &mut out);
        cancellation::cancel_rules(&trace, k, &mut out);
    }
    sessions::ending_rules(&trace, &mut out);
    security::completed_rules(&trace, &mut out);
    security::version_rules(&trace, &mut out);
    reader::needs_rules(&trace, &mut out);
    reader::no_rights_rules(&trace, &mut out);
    out.0
}

/// The lines of each session's statuses (up to and including its first
/// terminal one), sessions in the order they were opened: the structure the
/// oracle derives from the general readings, for tests that need to tell
/// which statuses one session is made of.
pub fn session_lines(spec: &Spec, records: &[(usize, Record<'_>)]) -> Vec<Vec<usize>> {
    let structure = derive_sessions(spec, records, false);
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
    /// For each record: whether an install is under way at it
    /// ([`Trace::install_under_way`]).
    under_install: Vec<bool>,
    /// For each record index `at` (and the end, `records.len()`): the
    /// component's version just before it ([`Trace::component_version_before`]).
    known_before: Vec<Option<SecurityVersion>>,
    /// For each record index (and the end): the first
    /// WMT_NEEDS_INDIVIDUALIZATION at or after it (`records.len()` for none).
    next_needs: Vec<usize>,
}

impl Trace<'_, '_> {
    fn line(&self, i: usize) -> usize {
        self.records[i].0
    }

    fn flag(&self, out: &mut Found, rule: Rule, i: usize) {
        out.0.insert((rule, self.line(i)));
    }

    /// The `WM_INDIVIDUALIZE_STATUS` of record `i`, if it carries one and
    /// some rule judges it.
    fn status(&self, i: usize) -> Option<&IndividualizeStatus<'_>> {
        if self.sessions.unjudged.contains(&i) {
            return None;
        }
        indi_status_of(&self.records[i].1)
    }

    /// The phase of record `i`, which must be a session status.
    fn phase(&self, i: usize) -> Option<IndiStatus> {
        self.status(i).and_then(IndividualizeStatus::indi_status)
    }

    /// Those of `statuses` that have a place in the HTTP order: "a status whose
    /// enHTTPStatus is not a defined value has no place in the HTTP order; the
    /// rules that read that place pass it over".
    fn placed(&self, statuses: &[usize]) -> Vec<usize> {
        statuses
            .iter()
            .copied()
            .filter(|&i| self.status(i).and_then(IndividualizeStatus::http_status).is_some())
            .collect()
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

    /// The component's version just before record `at`: "known from the
    /// header or, with none, from the first well-formed GetSecurityVersion
    /// result that returned a success code outside an install under way; a
    /// later report does not change it; it becomes the service's version (or,
    /// with that unknown, an individualized version of unknown number, which
    /// the next individualized report outside an install under way tells)
    /// when a session installs and succeeds". A version of unknown number is
    /// not known. Read from the table [`Trace::component_versions`] built.
    fn component_version_before(&self, at: usize) -> Option<SecurityVersion> {
        self.known_before.get(at).copied().flatten()
    }

    /// The table behind [`Trace::component_version_before`], for every `at`
    /// from 0 to the end, in one pass. The last session that installed and
    /// succeeded before `at` decides: none, and the header's version holds,
    /// or with none the first well-formed report before `at` (outside an
    /// install under way); one at `l`, and the service's version holds, or
    /// with that unknown the first individualized well-formed report between
    /// `l` and `at` (outside an install under way). A session opened at or
    /// after `at` does not count, even when its statuses came before its
    /// start call's record: a success at `i` of a session opened at `o`
    /// counts from `max(i, o) + 1` on.
    fn component_versions(&self) -> Vec<Option<SecurityVersion>> {
        let n = self.records.len();
        // The latest success counting at each `at`: (from, success) pairs,
        // then a running maximum.
        let mut counts_from: Vec<Option<usize>> = vec![None; n + 1];
        for (k, s) in self.sessions.sessions.iter().enumerate() {
            if let Some(i) = self.installed_success(k) {
                let from = (i.max(s.opened_at) + 1).min(n);
                counts_from[from] = counts_from[from].max(Some(i));
            }
        }
        // The first report at or after each index (any well-formed one, and
        // an individualized one), outside an install under way.
        let mut next_any = vec![None; n + 1];
        let mut next_individualized = vec![None; n + 1];
        for j in (0..n).rev() {
            next_any[j] = next_any[j + 1];
            next_individualized[j] = next_individualized[j + 1];
            if self.under_install[j] {
                continue;
            }
            if let Some(v) = self.well_formed_report(j) {
                next_any[j] = Some((j, v));
                if v.is_individualized() {
                    next_individualized[j] = Some((j, v));
                }
            }
        }
        let header = self.header().and_then(|(component, _)| component);
        let service = self.service_version();
        let mut last: Option<usize> = None;
        (0..=n)
            .map(|at| {
                last = last.max(counts_from[at]);
                let (base, report) = match last {
                    None => (header, next_any[0]),
                    Some(l) => (service, next_individualized.get(l + 1).copied().flatten()),
                };
                base.or_else(|| report.filter(|&(j, _)| j < at).map(|(_, v)| v))
            })
            .collect()
    }

    /// The version GetSecurityVersion record `i` reported, when it returned a
    /// success code and the version is well formed: "four dot-separated
    /// numbers, the third 0, the fourth 0 or 1".
    fn well_formed_report(&self, i: usize) -> Option<SecurityVersion> {
        let Body::Call { call: Call::GetSecurityVersion { version: Some(text) }, hr } = &self.records[i].1.body else {
            return None;
        };
        SecurityVersion::parse(text).filter(|v| hr.is_success() && v.0[2] == 0)
    }

    /// Whether an install is under way at record `i`: "a session that
    /// reported INDI_INSTALL has not reported its terminal status" (and is
    /// still open). Read from the table [`Trace::installs_under_way`] built.
    fn install_under_way(&self, i: usize) -> bool {
        self.under_install.get(i).copied().unwrap_or(false)
    }

    /// The table behind [`Trace::install_under_way`]: session `k` has an
    /// install under way at `i` when it is open at `i` (opened before `i`,
    /// not closed at or before `i`), one of its INDI_INSTALL statuses came
    /// before `i`, and its terminal status (if any) did not come at or before
    /// `i`: the records strictly between the later of its start call and
    /// first INDI_INSTALL, and the earlier of its closing and its terminal
    /// status. Marked session by session with a difference array.
    fn installs_under_way(&self) -> Vec<bool> {
        let n = self.records.len();
        let mut delta = vec![0i64; n + 2];
        for (k, s) in self.sessions.sessions.iter().enumerate() {
            let Some(first_install) = self.statuses_in(k, IndiStatus::Install).min() else { continue };
            let from = s.opened_at.max(first_install) + 1;
            let until = [s.closed_at, s.terminal.map(|(t, _)| t)].into_iter().flatten().min().unwrap_or(n).min(n);
            if from < until {
                delta[from] += 1;
                delta[until] -= 1;
            }
        }
        let mut open = 0i64;
        (0..n)
            .map(|i| {
                open += delta[i];
                open > 0
            })
            .collect()
    }

    /// The component's and the service's versions at session `k`'s start
    /// call: "judged only when both versions are known at the start call".
    fn versions_at_start(&self, k: usize) -> (Option<SecurityVersion>, Option<SecurityVersion>) {
        (self.component_version_before(self.sessions.sessions[k].opened_at), self.service_version())
    }

    /// Whether session `k` was opened by PerformSecurityUpdate with `flag`.
    fn is_security_update(&self, k: usize, flag: SecurityFlag) -> bool {
        let s = &self.sessions.sessions[k];
        s.path == Path::Security && s.flags == flag.value()
    }

    /// The statuses of session `k` that report `phase`, in order.
    fn statuses_in(&self, k: usize, phase: IndiStatus) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.sessions.sessions[k].statuses.iter().copied().filter(move |&i| self.phase(i) == Some(phase))
    }

    /// Whether the last INDI_DOWNLOAD of session `k` before record `at` says
    /// the download finished: "progress equal to a non-zero total", or, when
    /// the total is 0, "finished when its round trip reports HTTP_COMPLETED".
    fn finished_download_before(&self, k: usize, at: usize) -> bool {
        self.statuses_in(k, IndiStatus::Download).rfind(|&i| i < at).and_then(|i| self.status(i)).is_some_and(|v| {
            if v.total != 0 { v.progress == v.total } else { v.http_status() == Some(self.spec.http.trip_finished) }
        })
    }

    /// Session `k`'s INDI_SUCCEED, when no finished download and INDI_INSTALL
    /// both came before it.
    fn incomplete_success(&self, k: usize) -> Option<usize> {
        let Some((succeed, IndiStatus::Succeed)) = self.sessions.sessions[k].terminal else { return None };
        let installed = self.statuses_in(k, IndiStatus::Install).any(|i| i < succeed);
        (!(self.finished_download_before(k, succeed) && installed)).then_some(succeed)
    }

    /// The session's current phase once a status reporting `phase` came
    /// when it was `current`: "the last phase it entered legally"; the first
    /// status always becomes the current phase, and "a status that is not in
    /// may_follow of the current phase ... leaves the current phase
    /// unchanged".
    fn current_phase_after(&self, current: Option<IndiStatus>, phase: IndiStatus) -> Option<IndiStatus> {
        match current {
            None => Some(phase),
            Some(c) if self.spec.phases.may_follow(c, phase) => Some(phase),
            Some(c) => Some(c),
        }
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
    /// Not judged: held at the end of a partial trace.
    Unjudged,
}

/// The derived structure of a trace.
#[derive(Default)]
struct Structure {
    sessions: Vec<Session>,
    /// For each status or Progress event: where it belongs.
    owners: Vec<(usize, Owner)>,
    /// Revocation refreshes: the call, and the revocation event that ended it.
    refreshes: Vec<(usize, Option<usize>)>,
    /// Revocation events with no refresh pending.
    stray_revocation_events: Vec<usize>,
    /// Completed events with no open security session.
    stray_completed: Vec<usize>,
    /// Start calls whose session had statuses before the call's record.
    early_calls: Vec<usize>,
    /// Statuses no rule judges: held at the end of a partial trace.
    unjudged: BTreeSet<usize>,
}

/// One pass over the trace that implements the general readings about who
/// opens, owns and closes what.
fn derive_sessions(spec: &Spec, records: &[(usize, Record<'_>)], partial: bool) -> Structure {
    let mut st = Structure::default();
    // The current run of statuses with no open session to go to, each with
    // the owner it has as a stray.
    let mut run: Vec<(usize, Path, Owner)> = Vec::new();
    for (i, (_, record)) in records.iter().enumerate() {
        let status = channel_of(records, i).is_some();
        if !run.is_empty() && !status && !opens_session(records, i) {
            settle_run(spec, &mut st, std::mem::take(&mut run), Settle::Strays, records);
        }
        match &record.body {
            Body::Call { call, hr } if hr.is_success() => match call {
                // "PerformSecurityUpdate with flags 0x2 that returned a success
                // code opens no session: it starts a revocation refresh"
                Call::PerformSecurityUpdate { flags } if *flags == SecurityFlag::RevocationRefresh.value() => {
                    st.refreshes.push((i, None));
                }
                // "PerformSecurityUpdate with neither the 0x1 nor the 0x4 bit
                // ... opens nothing"
                Call::PerformSecurityUpdate { flags }
                    if ![SecurityFlag::Indiv, SecurityFlag::ForceIndiv].iter().any(|f| flags & f.value() != 0) => {}
                // "a session is opened by a start call that returned a success
                // code, even when the call should have been refused"
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
                    // "such statuses are the session's statuses, in their order
                    // and before the statuses after the call"
                    if !run.is_empty() {
                        let k = st.sessions.len() - 1;
                        settle_run(spec, &mut st, std::mem::take(&mut run), Settle::Session(k), records);
                    }
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
            Body::Status { status: Status::Individualize(_), .. } | Body::Event { event: Event::Progress(_), .. } => {
                if let Some(stray) = route_status(spec, &mut st, i, records) {
                    run.push((i, channel_of(records, i).map_or(Path::Reader, |(c, _)| c), stray));
                } else if !run.is_empty() {
                    settle_run(spec, &mut st, std::mem::take(&mut run), Settle::Strays, records);
                }
            }
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
    let end = if partial { Settle::Unjudged } else { Settle::Strays };
    settle_run(spec, &mut st, run, end, records);
    st
}

/// The channel of record `i` and its status, if it is a status or a Progress
/// event.
fn channel_of<'a>(records: &'a [(usize, Record<'_>)], i: usize) -> Option<(Path, &'a IndividualizeStatus<'a>)> {
    match &records.get(i)?.1.body {
        Body::Status { status: Status::Individualize(v), .. } => Some((Path::Reader, v)),
        Body::Event { event: Event::Progress(v), .. } => Some((Path::Security, v)),
        _ => None,
    }
}

/// Whether record `i` is "a start call that returned a success code and opens
/// a session" when none is open.
fn opens_session(records: &[(usize, Record<'_>)], i: usize) -> bool {
    match records.get(i).map(|r| &r.1.body) {
        Some(Body::Call { call: Call::Individualize { .. }, hr }) => hr.is_success(),
        Some(Body::Call { call: Call::PerformSecurityUpdate { flags }, hr }) => {
            hr.is_success()
                && *flags != SecurityFlag::RevocationRefresh.value()
                && [SecurityFlag::Indiv, SecurityFlag::ForceIndiv].iter().any(|f| flags & f.value() != 0)
        }
        _ => false,
    }
}

/// What becomes of a run of statuses with no open session to go to.
#[derive(Clone, Copy)]
enum Settle {
    /// A start call that opened session `k` followed it.
    Session(usize),
    /// Something else followed it, or a complete trace ended.
    Strays,
    /// A partial trace ended.
    Unjudged,
}

/// SESSION-CALL-RETURNS-FIRST: "a run of consecutive statuses and Progress
/// events with no open session to go to ..., from its last INDI_BEGIN on,
/// directly followed by a start call that returned a success code and opens
/// a session" belongs to that session; "the checker holds at most 4096
/// statuses, from an INDI_BEGIN on: when a run from its last INDI_BEGIN is
/// longer, all of it is strays"; "in a partial trace, statuses still held at
/// its end are not judged". The rest of the run are strays.
fn settle_run(
    spec: &Spec,
    st: &mut Structure,
    run: Vec<(usize, Path, Owner)>,
    settle: Settle,
    records: &[(usize, Record<'_>)],
) {
    let begin = run
        .iter()
        .rposition(|&(j, _, _)| channel_of(records, j).and_then(|(_, v)| v.indi_status()) == Some(spec.phases.first));
    let held_from = begin.filter(|&b| run.len() - b <= 4096).unwrap_or(run.len());
    for &(j, _, stray) in &run[..held_from] {
        st.owners.push((j, stray));
    }
    let held = &run[held_from..];
    if held.is_empty() {
        return;
    }
    match settle {
        Settle::Session(k) => {
            st.early_calls.push(st.sessions[k].opened_at);
            for &(j, channel, _) in held {
                attach(spec, st, k, j, channel, records);
            }
        }
        Settle::Strays => st.owners.extend(held.iter().map(|&(j, _, stray)| (j, stray))),
        Settle::Unjudged => {
            for &(j, _, _) in held {
                st.unjudged.insert(j);
                st.owners.push((j, Owner::Unjudged));
            }
        }
    }
}

/// Routes status `j`, written before the record of the start call that
/// opened session `k`, into that session, as if it had come after the call.
fn attach(spec: &Spec, st: &mut Structure, k: usize, j: usize, channel: Path, records: &[(usize, Record<'_>)]) {
    let phase = channel_of(records, j).and_then(|(_, v)| v.indi_status());
    let s = &mut st.sessions[k];
    // As `route_status` reads a status of an open session: a closed session
    // (a reader session after its terminal status) takes strays, then the
    // channel, then the terminal status decide.
    let owner = if s.closed_at.is_some() {
        Owner::AfterEnd(k)
    } else if s.path != channel {
        Owner::WrongChannel(k)
    } else if s.terminal.is_some() {
        Owner::AfterEnd(k)
    } else {
        s.statuses.push(j);
        if let Some(phase) = phase.filter(|p| spec.phases.is_terminal(*p)) {
            s.terminal = Some((j, phase));
            if s.path == Path::Reader {
                s.closed_at = Some(j);
            }
        }
        Owner::Session(k)
    };
    st.owners.push((j, owner));
}

/// "a status or Progress event belongs to the most recently opened session
/// that is still open; with none open, a Progress event belongs to a pending
/// revocation refresh if there is one, otherwise to the last session ever
/// opened, otherwise to nobody"; "a status on the wrong channel for its
/// session is ... not one of the session's statuses". Routing reads neither
/// enIndiStatus nor enHTTPStatus, so every status is routed: "a status whose
/// enIndiStatus or enHTTPStatus is not a defined value takes part in every
/// rule that does not read that field". A status with no open session to go
/// to is not routed here: what it would be as a stray is returned, and the
/// caller settles the run it belongs to.
fn route_status(spec: &Spec, st: &mut Structure, i: usize, records: &[(usize, Record<'_>)]) -> Option<Owner> {
    let (channel, v) = channel_of(records, i)?;
    let phase = v.indi_status();
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
            if let Some(phase) = phase.filter(|p| spec.phases.is_terminal(*p)) {
                s.terminal = Some((i, phase));
                if s.path == Path::Reader {
                    s.closed_at = Some(i);
                }
            }
            Owner::Session(k)
        }
        None if channel == Path::Security && refresh_pending => Owner::Refresh,
        // "otherwise a status directly followed by a start call that opens a
        // session belongs to that session" (decided when the run ends, see
        // `settle_run`), "otherwise to the last session ever opened
        // (SESSION-ONE-TERMINAL)": the reading names the rule, whatever the
        // channel, "otherwise to nobody".
        None => {
            return Some(match st.sessions.len().checked_sub(1) {
                Some(k) => Owner::AfterEnd(k),
                None => Owner::Nobody,
            });
        }
    };
    st.owners.push((i, owner));
    None
}
