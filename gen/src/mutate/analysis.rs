//! Reading a legal trace the way the checker's readings describe it: which
//! session a status belongs to, the component's version, the `0x1` lock, the
//! obligations still pending. The operators pick the places they edit from
//! this [`Analysis`].

use indiv_spec::Spec;
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, Path, ReaderFlag, RequiredVersion, SecurityFlag, SecurityVersion,
};

use crate::legal::status_on;

/// A status a session judged (its own channel, up to its terminal). Legal
/// traces carry defined values only, so only those are read here; the checker
/// also judges a status with an undefined field, by the rules that do not read it.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) at: usize,
    pub(super) indi: IndiStatus,
    pub(super) http: HttpStatus,
    pub(super) req: u32,
    pub(super) progress: u32,
    pub(super) trip: Option<i64>,
    /// The trip and its first non-zero total before this status, as the checker keeps it.
    pub(super) total_before: Option<(i64, u32)>,
}

#[derive(Clone, Debug)]
pub(super) struct SessionInfo {
    pub(super) start: usize,
    pub(super) path: Path,
    pub(super) flags: u32,
    pub(super) up_to_date: Option<bool>,
    pub(super) statuses: Vec<Seen>,
    pub(super) trip_total: Option<(i64, u32)>,
    pub(super) terminal: Option<(usize, IndiStatus)>,
    pub(super) completed: Option<usize>,
    /// Accepted cancel calls of its path while it was open, with its phase then.
    pub(super) cancels: Vec<(usize, Option<IndiStatus>)>,
}

impl SessionInfo {
    /// The line index after which the session is closed (its terminal status
    /// for a reader session, its Completed event for a security session).
    pub(super) fn close(&self) -> Option<usize> {
        match self.path {
            Path::Reader => self.terminal.map(|t| t.0),
            Path::Security => self.completed,
        }
    }

    pub(super) fn installs(&self) -> Vec<usize> {
        self.statuses.iter().filter(|s| s.indi == IndiStatus::Install).map(|s| s.at).collect()
    }

    /// The first accepted cancel that came before the terminal status: the
    /// one the checker's cancel mark records.
    pub(super) fn cancel_before_terminal(&self) -> Option<(usize, Option<IndiStatus>)> {
        let first = self.cancels.first().copied()?;
        let terminal = self.terminal.map_or(usize::MAX, |t| t.0);
        (first.0 < terminal).then_some(first)
    }

    pub(super) fn channel_record(&self, v: IndividualizeStatus<'static>) -> Record<'static> {
        status_on(self.path, v)
    }
}

#[derive(Clone, Debug)]
pub(super) struct StartCall {
    pub(super) at: usize,
    pub(super) reader: bool,
    pub(super) flags: u32,
    /// A session was open at the call.
    pub(super) busy: bool,
    /// The client was locked at the call: the last reader session to end was
    /// an `Individualize(0x1)` success, with no WMT_NEEDS_INDIVIDUALIZATION since.
    pub(super) locked: bool,
}

#[derive(Clone, Debug)]
pub(super) struct OpenInfo {
    pub(super) at: usize,
    pub(super) required: RequiredVersion,
    /// Whether WMT_NEEDS_INDIVIDUALIZATION is due (`None`: version unknown).
    pub(super) expected: Option<bool>,
    pub(super) needs: Option<usize>,
}

/// What the operators need to know about a legal trace.
#[derive(Debug, Default)]
pub(super) struct Analysis {
    /// 1 when line 1 is a header, else 0: where fresh records may be inserted first.
    pub(super) body_start: usize,
    pub(super) header: Option<(Option<SecurityVersion>, Option<SecurityVersion>)>,
    /// Every WMT_INDIVIDUALIZE status and Progress event.
    pub(super) statuses: Vec<usize>,
    pub(super) sessions: Vec<SessionInfo>,
    /// The first start call that opened a session.
    pub(super) first_start: Option<usize>,
    pub(super) starts: Vec<StartCall>,
    /// GetSecurityVersion calls: line index, hr, and what the version must reflect then.
    pub(super) versions: Vec<(usize, Hresult, Option<Option<SecurityVersion>>)>,
    /// GetSecurityVersion calls where a different report breaks
    /// SECURITY-VERSION-STABLE and no other version rule (a success code,
    /// outside an install under way, no installing success with the service's
    /// version known before), with the known version a report must equal.
    pub(super) stable: Vec<(usize, SecurityVersion)>,
    pub(super) opens: Vec<OpenInfo>,
    pub(super) needs: Vec<usize>,
    /// WMT_NO_RIGHTS_EX with the INDI_SUCCEED it answered, if any.
    pub(super) no_rights: Vec<(usize, Option<usize>)>,
    pub(super) refreshes: Vec<usize>,
    pub(super) revocations_done: Vec<usize>,
    pub(super) completed_events: Vec<usize>,
    /// Places where an Individualize must be accepted (nothing open, not
    /// locked): the start of the body, and after each reader session that
    /// ended leaving the client unlocked.
    pub(super) unlocked_free: Vec<usize>,
    pub(super) locked_at_end: bool,
    pub(super) service: Option<SecurityVersion>,
}

impl Analysis {
    pub(super) fn of(spec: &Spec, trace: &[Record<'static>]) -> Analysis {
        let mut reading = Reading {
            spec,
            analysis: Analysis::default(),
            component: ComponentVersion::Unknown,
            reflects: None,
            open: Vec::new(),
            locked: false,
            window: None,
            pending_required: None,
            stale_readers: false,
            needs_since: false,
            due: None,
        };
        for (i, record) in trace.iter().enumerate() {
            reading.record(i, record);
        }
        reading.analysis.locked_at_end = reading.locked;
        let body_start = reading.analysis.body_start;
        reading.analysis.unlocked_free.insert(0, body_start);
        reading.analysis
    }

    /// Pairs of consecutive statuses of one session: (previous, current).
    pub(super) fn pairs(&self) -> Vec<(&Seen, &Seen)> {
        self.sessions.iter().flat_map(|s| s.statuses.windows(2).map(|w| (&w[0], &w[1]))).collect()
    }
}

/// The state of the world while [`Analysis::of`] reads a trace, record by record.
struct Reading<'s> {
    spec: &'s Spec,
    analysis: Analysis,
    component: ComponentVersion,
    /// What GetSecurityVersion must reflect (set by an installing success).
    reflects: Option<Option<SecurityVersion>>,
    /// Indices of the open sessions, oldest first.
    open: Vec<usize>,
    locked: bool,
    /// The Open whose WMT_NEEDS_INDIVIDUALIZATION may still come (until the next call).
    window: Option<usize>,
    /// The required version of the Open whose WMT_NEEDS_INDIVIDUALIZATION waits.
    pending_required: Option<RequiredVersion>,
    /// A security-path session succeeded and no reader session has since.
    stale_readers: bool,
    /// A WMT_NEEDS_INDIVIDUALIZATION came since the last WMT_NO_RIGHTS_EX.
    needs_since: bool,
    /// The INDI_SUCCEED a WMT_NO_RIGHTS_EX is owed for.
    due: Option<usize>,
}

impl Reading<'_> {
    fn record(&mut self, i: usize, record: &Record<'static>) {
        let a = &mut self.analysis;
        match &record.body {
            Body::Header { component_version, service_version } => {
                if i == 0 {
                    a.body_start = 1;
                    a.header = Some((*component_version, *service_version));
                }
                self.component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
                a.service = *service_version;
            }
            Body::Call { call, hr } => self.call(i, call, *hr),
            Body::Status { status: Status::NeedsIndividualization, .. } => {
                a.needs.push(i);
                if let Some(w) = self.window {
                    a.opens[w].needs.get_or_insert(i);
                }
                self.pending_required = self.window.map(|w| a.opens[w].required);
                self.needs_since = true;
                self.locked = false;
            }
            Body::Status { status: Status::NoRightsEx, .. } => {
                a.no_rights.push((i, self.due.take()));
                self.needs_since = false;
            }
            Body::Status { status: Status::Individualize(v), .. } => self.status(i, Path::Reader, v),
            Body::Event { event: Event::Progress(v), .. } => self.status(i, Path::Security, v),
            Body::Event { event: Event::Completed, .. } => {
                a.completed_events.push(i);
                if let Some(pos) = self.open.iter().rposition(|s| a.sessions[*s].path == Path::Security) {
                    let s = self.open.remove(pos);
                    a.sessions[s].completed = Some(i);
                }
            }
            Body::Event { event: Event::RevocationCompleted, .. } => a.revocations_done.push(i),
        }
    }

    fn call(&mut self, i: usize, call: &Call<'static>, hr: Hresult) {
        self.window = None;
        let a = &mut self.analysis;
        match call {
            Call::Open { required_version } => {
                let expected = self
                    .component
                    .known()
                    .filter(|_| !self.stale_readers)
                    .map(|c| c.is_outdated_for(*required_version));
                a.opens.push(OpenInfo { at: i, required: *required_version, expected, needs: None });
                self.window = Some(a.opens.len() - 1);
            }
            Call::Individualize { flags } => self.start(i, Path::Reader, *flags, hr),
            Call::PerformSecurityUpdate { flags } => self.start(i, Path::Security, *flags, hr),
            Call::CancelIndividualization => self.cancel(i, Path::Reader, hr),
            Call::CancelAsyncOperation => self.cancel(i, Path::Security, hr),
            Call::GetSecurityVersion { version } => {
                a.versions.push((i, hr, self.reflects));
                let reported = version.as_deref().and_then(SecurityVersion::parse).filter(|v| v.is_component_form());
                let installing = self.open.iter().any(|&s| {
                    let s = &a.sessions[s];
                    s.terminal.is_none() && s.statuses.iter().any(|st| st.indi == IndiStatus::Install)
                });
                let reflected = match self.reflects {
                    Some(Some(service)) => reported == Some(service),
                    Some(None) => reported.is_some_and(SecurityVersion::is_individualized),
                    None => true,
                };
                // A known version changes only through an installing success;
                // an unknown one is told by the first report it accepts.
                if let Some(v) = reported.filter(|_| hr.is_success() && reflected && !installing) {
                    match self.component {
                        // With the service's version known, an installing
                        // success leaves REFLECTS the only judge (one fault,
                        // one report).
                        ComponentVersion::Known(known) => {
                            if !matches!(self.reflects, Some(Some(_))) {
                                a.stable.push((i, known));
                            }
                        }
                        ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => {
                            self.component = ComponentVersion::Known(v);
                        }
                    }
                }
            }
        }
    }

    /// A start call on `path`: a session opens when it was accepted (a
    /// revocation refresh opens none, it is owed an event instead, and
    /// PerformSecurityUpdate with neither the 0x1 nor the 0x4 bit opens nothing).
    fn start(&mut self, i: usize, path: Path, flags: u32, hr: Hresult) {
        let a = &mut self.analysis;
        let reader = path == Path::Reader;
        a.starts.push(StartCall { at: i, reader, flags, busy: !self.open.is_empty(), locked: self.locked });
        if !hr.is_success() {
            return;
        }
        if !reader && flags == SecurityFlag::RevocationRefresh.value() {
            a.refreshes.push(i);
            return;
        }
        if !reader && flags & (SecurityFlag::Indiv.value() | SecurityFlag::ForceIndiv.value()) == 0 {
            return;
        }
        let up_to_date = self.component.up_to_date(a.service);
        a.first_start.get_or_insert(i);
        a.sessions.push(SessionInfo {
            start: i,
            path,
            flags,
            up_to_date,
            statuses: Vec::new(),
            trip_total: None,
            terminal: None,
            completed: None,
            cancels: Vec::new(),
        });
        self.open.push(a.sessions.len() - 1);
    }

    /// An accepted cancel call belongs to the innermost open session of its path.
    fn cancel(&mut self, i: usize, path: Path, hr: Hresult) {
        if !hr.is_success() {
            return;
        }
        let a = &mut self.analysis;
        if let Some(&s) = self.open.iter().rev().find(|s| a.sessions[**s].path == path) {
            let session = &mut a.sessions[s];
            let phase = session.statuses.last().map(|l| l.indi);
            session.cancels.push((i, phase));
        }
    }

    /// A WMT_INDIVIDUALIZE status (`channel` reader) or Progress event
    /// (`channel` security): the innermost open session judges it when it
    /// has defined values, is on that session's channel and the session has
    /// not ended yet.
    fn status(&mut self, i: usize, channel: Path, v: &IndividualizeStatus<'static>) {
        self.analysis.statuses.push(i);
        let Some(&s) = self.open.last() else { return };
        let (Some(indi), Some(http)) = (v.indi_status(), v.http_status()) else { return };
        let session = &mut self.analysis.sessions[s];
        if session.path != channel || session.terminal.is_some() {
            return;
        }
        let trip = self.spec.http.trip(http, v.http_request);
        session.statuses.push(Seen {
            at: i,
            indi,
            http,
            req: v.http_request,
            progress: v.progress,
            trip,
            total_before: session.trip_total,
        });
        if let Some(t) = trip {
            if session.trip_total.is_none_or(|(tt, _)| tt != t) && v.total != 0 {
                session.trip_total = Some((t, v.total));
            }
        }
        if !self.spec.phases.is_terminal(indi) {
            return;
        }
        session.terminal = Some((i, indi));
        self.terminal(i, s, indi);
    }

    /// The terminal status `indi` at `i` of session `s`: an installing
    /// success updates the version, a reader success may lock, owe a
    /// WMT_NO_RIGHTS_EX or leave room for another Individualize; a reader
    /// session closes.
    fn terminal(&mut self, i: usize, s: usize, indi: IndiStatus) {
        let a = &mut self.analysis;
        let session = &a.sessions[s];
        let (path, flags) = (session.path, session.flags);
        let installed = session.statuses.iter().any(|s| s.indi == IndiStatus::Install);
        if indi == IndiStatus::Succeed && installed {
            self.component = a.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
            self.reflects = Some(a.service);
        }
        if indi == IndiStatus::Succeed {
            self.stale_readers = path == Path::Security;
        }
        if path == Path::Reader {
            self.locked = indi == IndiStatus::Succeed && flags == ReaderFlag::Final.value();
            let meets = match (self.pending_required, self.component.known()) {
                (Some(required), Some(c)) => !c.is_outdated_for(required),
                _ => true,
            };
            if indi == IndiStatus::Succeed && self.needs_since && meets {
                self.due.get_or_insert(i);
            }
            if !self.locked {
                a.unlocked_free.push(i + 1);
            }
        }
        if path == Path::Reader {
            self.open.retain(|o| *o != s);
        }
    }
}
