//! Mutation operators: one per rule of the spec, each turning a legal trace
//! into one that breaks that rule at a known line.
//!
//! An operator first reads the trace the way the checker's readings describe
//! it (which session a status belongs to, the component's version, the lock,
//! pending obligations: `Analysis`), then either edits a place that offers the
//! context the rule needs, or appends (or inserts at the start) a small fresh
//! block that creates that context, so that every operator applies to every
//! trace. The checker may report other rules on a mutant too; what it must
//! report is the operator's rule at [`Mutant::line`]. For rules judged at the
//! end of a trace that line is the one that created the obligation (the start
//! call, the INDI_SUCCEED, the Open, the refresh), as the spec's readings say.

use std::borrow::Cow;

use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityFlag,
    SecurityVersion,
};
use indiv_spec::{Rule, Spec};

use crate::legal::{Choices, call, chance, event, notify, pick, status_on, value};

/// A trace that breaks one rule, and where the checker must say so.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutant {
    /// The mutated trace.
    pub records: Vec<Record<'static>>,
    /// The 1-based line at which the checker must report the rule.
    pub line: usize,
}

/// Turns the legal `trace` into one that breaks `rule` at a known line. Every
/// operator can append or insert a fresh block when the trace offers no place
/// to edit, so this returns `None` only for the harness rules (`basis =
/// "harness"`, which need what the service saw, not just the trace), when the
/// built-in spec cannot be loaded, or when its phase table allows no
/// out-of-order phase.
pub fn mutate(rule: Rule, trace: &[Record<'static>], choices: &mut dyn Choices) -> Option<Mutant> {
    let spec = Spec::builtin().ok()?;
    let analysis = Analysis::of(spec, trace);
    let mut op = Op { spec, a: &analysis, d: Draft { records: trace.to_vec(), target: None }, c: choices };
    match rule {
        // The service rules need the certification harness's counters; no
        // trace edit alone can break them.
        Rule::ServiceRoundtripsMatch
        | Rule::ServiceTotalMatches
        | Rule::ServiceProgressReal
        | Rule::ServiceUrlMatches
        | Rule::ServiceFaultFails => None,
        Rule::StatusIndiValue => status_indi_value(&mut op),
        Rule::StatusHttpValue => status_http_value(&mut op),
        Rule::StatusHrMatches => status_hr_matches(&mut op),
        Rule::StatusUrlForm => status_url_form(&mut op),
        Rule::SessionUnsolicited => session_unsolicited(&mut op),
        Rule::SessionChannel => session_channel(&mut op),
        Rule::SessionBeginFirst => session_begin_first(&mut op),
        Rule::SessionBeginClean => session_begin_clean(&mut op),
        Rule::SessionPhaseOrder => session_phase_order(&mut op),
        Rule::SessionOneTerminal => session_one_terminal(&mut op),
        Rule::SessionEnds => session_ends(&mut op),
        Rule::SessionInstallAfterDownload => session_install_after_download(&mut op),
        Rule::SessionSucceedInstalled => session_succeed_installed(&mut op),
        Rule::SessionOneAtATime => session_one_at_a_time(&mut op),
        Rule::HttpCountMonotonic => http_count_monotonic(&mut op),
        Rule::HttpCountStep => http_count_step(&mut op),
        Rule::HttpPhaseOrder => http_phase_order(&mut op),
        Rule::HttpCompletedCounted => http_completed_counted(&mut op),
        Rule::HttpSucceedCompleted => http_succeed_completed(&mut op),
        Rule::ProgressWithinTotal => progress_within_total(&mut op),
        Rule::ProgressMonotonic => progress_monotonic(&mut op),
        Rule::ProgressTotalStable => progress_total_stable(&mut op),
        Rule::CancelRequiresCall => cancel_requires_call(&mut op),
        Rule::CancelStopsWork => cancel_stops_work(&mut op),
        Rule::ReaderFlagsValid => reader_flags_valid(&mut op),
        Rule::ReaderNoReindiv => reader_no_reindiv(&mut op),
        Rule::ReaderReindivAllowed => reader_reindiv_allowed(&mut op),
        Rule::ReaderNeedsWhenOutdated => reader_needs_when_outdated(&mut op),
        Rule::ReaderNoRightsAfterSucceed => reader_no_rights_after_succeed(&mut op),
        Rule::ReaderNoRightsNotBefore => reader_no_rights_not_before(&mut op),
        Rule::SecurityFlagsOne => security_flags_one(&mut op),
        Rule::SecurityCompletedOnce => security_completed_once(&mut op),
        Rule::SecurityCompletedMatches => security_completed_matches(&mut op),
        Rule::SecurityAsNeeded => security_as_needed(&mut op),
        Rule::SecurityForce => security_force(&mut op),
        Rule::SecurityRevocationOnly => security_revocation_only(&mut op),
        Rule::SecurityVersionForm => security_version_form(&mut op),
        Rule::SecurityVersionReflects => security_version_reflects(&mut op),
    }?;
    op.d.into_mutant()
}

// ---------------------------------------------------------------------------
// Reading a legal trace the way the checker does

/// A status a session judged (defined values, its own channel, up to its terminal).
#[derive(Clone, Debug)]
struct Seen {
    at: usize,
    indi: IndiStatus,
    http: HttpStatus,
    req: u32,
    progress: u32,
    trip: Option<i64>,
    /// The trip and its first non-zero total before this status, as the checker keeps it.
    total_before: Option<(i64, u32)>,
}

#[derive(Clone, Debug)]
struct SessionInfo {
    start: usize,
    path: Path,
    flags: u32,
    up_to_date: Option<bool>,
    statuses: Vec<Seen>,
    trip_total: Option<(i64, u32)>,
    terminal: Option<(usize, IndiStatus)>,
    completed: Option<usize>,
    /// Accepted cancel calls of its path while it was open, with its phase then.
    cancels: Vec<(usize, Option<IndiStatus>)>,
}

impl SessionInfo {
    /// The line index after which the session is closed (its terminal status
    /// for a reader session, its Completed event for a security session).
    fn close(&self) -> Option<usize> {
        match self.path {
            Path::Reader => self.terminal.map(|t| t.0),
            Path::Security => self.completed,
        }
    }

    fn installs(&self) -> Vec<usize> {
        self.statuses.iter().filter(|s| s.indi == IndiStatus::Install).map(|s| s.at).collect()
    }

    /// The first accepted cancel that came before the terminal status: the
    /// one the checker's cancel mark records.
    fn cancel_before_terminal(&self) -> Option<(usize, Option<IndiStatus>)> {
        let first = self.cancels.first().copied()?;
        let terminal = self.terminal.map_or(usize::MAX, |t| t.0);
        (first.0 < terminal).then_some(first)
    }

    fn channel_record(&self, v: IndividualizeStatus<'static>) -> Record<'static> {
        status_on(self.path, v)
    }
}

#[derive(Clone, Debug)]
struct StartCall {
    at: usize,
    reader: bool,
    flags: u32,
    /// A session was open at the call.
    busy: bool,
    /// An `Individualize(0x1)` session had succeeded before the call.
    locked: bool,
}

#[derive(Clone, Debug)]
struct OpenInfo {
    at: usize,
    /// Whether WMT_NEEDS_INDIVIDUALIZATION is due (`None`: version unknown).
    expected: Option<bool>,
    needs: Option<usize>,
}

/// What the operators need to know about a legal trace.
#[derive(Debug, Default)]
struct Analysis {
    /// 1 when line 1 is a header, else 0: where fresh records may be inserted first.
    body_start: usize,
    header: Option<(Option<SecurityVersion>, Option<SecurityVersion>)>,
    /// Every WMT_INDIVIDUALIZE status and Progress event.
    statuses: Vec<usize>,
    sessions: Vec<SessionInfo>,
    /// The first start call that opened a session.
    first_start: Option<usize>,
    starts: Vec<StartCall>,
    /// GetSecurityVersion calls: line index, hr, and what the version must reflect then.
    versions: Vec<(usize, Hresult, Option<Option<SecurityVersion>>)>,
    opens: Vec<OpenInfo>,
    needs: Vec<usize>,
    /// WMT_NO_RIGHTS_EX with the INDI_SUCCEED it answered, if any.
    no_rights: Vec<(usize, Option<usize>)>,
    refreshes: Vec<usize>,
    revocations_done: Vec<usize>,
    completed_events: Vec<usize>,
    /// Places where an Individualize must be accepted (after an `Individualize(0x0)`
    /// success, not locked, nothing open).
    reindiv_free: Vec<usize>,
    locked_at_end: bool,
    service: Option<SecurityVersion>,
}

impl Analysis {
    fn of(spec: &Spec, trace: &[Record<'static>]) -> Analysis {
        let mut a = Analysis::default();
        let mut component = ComponentVersion::Unknown;
        let mut reflects: Option<Option<SecurityVersion>> = None;
        let mut open: Vec<usize> = Vec::new();
        let mut locked = false;
        let mut window: Option<usize> = None;
        let mut needs_since = false;
        let mut due: Option<usize> = None;
        for (i, record) in trace.iter().enumerate() {
            match &record.body {
                Body::Header { component_version, service_version } => {
                    if i == 0 {
                        a.body_start = 1;
                        a.header = Some((*component_version, *service_version));
                    }
                    component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
                    a.service = *service_version;
                }
                Body::Call { call, hr } => {
                    window = None;
                    match call {
                        Call::Open { required_version } => {
                            let expected = component.known().map(|c| c.is_outdated_for(*required_version));
                            a.opens.push(OpenInfo { at: i, expected, needs: None });
                            window = Some(a.opens.len() - 1);
                        }
                        Call::Individualize { flags } | Call::PerformSecurityUpdate { flags } => {
                            let reader = matches!(call, Call::Individualize { .. });
                            a.starts.push(StartCall { at: i, reader, flags: *flags, busy: !open.is_empty(), locked });
                            if hr.is_success() {
                                if !reader && *flags == SecurityFlag::RevocationRefresh.value() {
                                    a.refreshes.push(i);
                                } else {
                                    let path = if reader { Path::Reader } else { Path::Security };
                                    let up_to_date = component.up_to_date(a.service);
                                    a.first_start.get_or_insert(i);
                                    a.sessions.push(SessionInfo {
                                        start: i,
                                        path,
                                        flags: *flags,
                                        up_to_date,
                                        statuses: Vec::new(),
                                        trip_total: None,
                                        terminal: None,
                                        completed: None,
                                        cancels: Vec::new(),
                                    });
                                    open.push(a.sessions.len() - 1);
                                }
                            }
                        }
                        Call::CancelIndividualization | Call::CancelAsyncOperation => {
                            let path = if matches!(call, Call::CancelIndividualization) {
                                Path::Reader
                            } else {
                                Path::Security
                            };
                            if hr.is_success() {
                                if let Some(&s) = open.iter().rev().find(|s| a.sessions[**s].path == path) {
                                    let session = &mut a.sessions[s];
                                    let phase = session.statuses.last().map(|l| l.indi);
                                    session.cancels.push((i, phase));
                                }
                            }
                        }
                        Call::GetSecurityVersion { version } => {
                            a.versions.push((i, *hr, reflects));
                            if hr.is_success() {
                                if let Some(v) = version.as_deref().and_then(SecurityVersion::parse) {
                                    component = ComponentVersion::Known(v);
                                }
                            }
                        }
                    }
                }
                Body::Status { status: Status::NeedsIndividualization, .. } => {
                    a.needs.push(i);
                    if let Some(w) = window {
                        a.opens[w].needs.get_or_insert(i);
                    }
                    needs_since = true;
                }
                Body::Status { status: Status::NoRightsEx, .. } => {
                    a.no_rights.push((i, due.take()));
                    needs_since = false;
                }
                Body::Status { status: Status::Individualize(v), .. }
                | Body::Event { event: Event::Progress(v), .. } => {
                    let channel =
                        if matches!(record.body, Body::Status { .. }) { Path::Reader } else { Path::Security };
                    a.statuses.push(i);
                    let Some(&s) = open.last() else { continue };
                    let (Some(indi), Some(http)) = (v.indi_status(), v.http_status()) else { continue };
                    let session = &mut a.sessions[s];
                    if session.path != channel || session.terminal.is_some() {
                        continue;
                    }
                    let trip = spec.http.trip(http, v.http_request);
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
                    if !spec.phases.is_terminal(indi) {
                        continue;
                    }
                    session.terminal = Some((i, indi));
                    let installed = session.statuses.iter().any(|s| s.indi == IndiStatus::Install);
                    if indi == IndiStatus::Succeed {
                        if installed {
                            component =
                                a.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
                            reflects = Some(a.service);
                        }
                        if session.path == Path::Reader {
                            if session.flags == ReaderFlag::Final.value() {
                                locked = true;
                            }
                            if needs_since {
                                due.get_or_insert(i);
                            }
                            if session.flags == ReaderFlag::Reindividualizable.value() && !locked {
                                a.reindiv_free.push(i + 1);
                            }
                        }
                    }
                    if session.path == Path::Reader {
                        open.retain(|o| *o != s);
                    }
                }
                Body::Event { event: Event::Completed, .. } => {
                    a.completed_events.push(i);
                    if let Some(pos) = open.iter().rposition(|s| a.sessions[*s].path == Path::Security) {
                        let s = open.remove(pos);
                        a.sessions[s].completed = Some(i);
                    }
                }
                Body::Event { event: Event::RevocationCompleted, .. } => a.revocations_done.push(i),
            }
        }
        a.locked_at_end = locked;
        a
    }

    /// Pairs of consecutive statuses of one session: (previous, current).
    fn pairs(&self) -> Vec<(&Seen, &Seen)> {
        self.sessions.iter().flat_map(|s| s.statuses.windows(2).map(|w| (&w[0], &w[1]))).collect()
    }
}

// ---------------------------------------------------------------------------
// Editing

/// The trace being edited, with the index of the record the rule must be
/// reported at, kept right through inserts and removals.
struct Draft {
    records: Vec<Record<'static>>,
    target: Option<usize>,
}

impl Draft {
    fn insert(&mut self, at: usize, record: Record<'static>) {
        self.records.insert(at, record);
        if let Some(t) = self.target.as_mut() {
            if at <= *t {
                *t += 1;
            }
        }
    }

    fn insert_target(&mut self, at: usize, record: Record<'static>) {
        self.insert(at, record);
        self.target = Some(at);
    }

    /// Removes the records at `at` (indices into the current draft); the
    /// target must not be one of them.
    fn remove(&mut self, mut at: Vec<usize>) {
        at.sort_unstable_by(|a, b| b.cmp(a));
        at.dedup();
        for i in at {
            self.records.remove(i);
            if let Some(t) = self.target.as_mut() {
                if i < *t {
                    *t -= 1;
                }
            }
        }
    }

    /// Appends `block`; returns the index of its first record.
    fn append(&mut self, block: Vec<Record<'static>>) -> usize {
        let base = self.records.len();
        self.records.extend(block);
        base
    }

    /// Inserts `block` at `at`; returns `at`.
    fn insert_block(&mut self, at: usize, block: Vec<Record<'static>>) -> usize {
        for (k, record) in block.into_iter().enumerate() {
            self.insert(at + k, record);
        }
        at
    }

    fn value_mut(&mut self, at: usize) -> Option<&mut IndividualizeStatus<'static>> {
        match &mut self.records.get_mut(at)?.body {
            Body::Status { status: Status::Individualize(v), .. } | Body::Event { event: Event::Progress(v), .. } => {
                Some(v)
            }
            _ => None,
        }
    }

    fn value(&self, at: usize) -> Option<IndividualizeStatus<'static>> {
        match &self.records.get(at)?.body {
            Body::Status { status: Status::Individualize(v), .. } | Body::Event { event: Event::Progress(v), .. } => {
                Some(v.clone())
            }
            _ => None,
        }
    }

    fn hr_mut(&mut self, at: usize) -> Option<&mut Hresult> {
        match &mut self.records.get_mut(at)?.body {
            Body::Call { hr, .. } | Body::Event { hr, .. } | Body::Status { hr, .. } => Some(hr),
            Body::Header { .. } => None,
        }
    }

    fn call_mut(&mut self, at: usize) -> Option<&mut Call<'static>> {
        match &mut self.records.get_mut(at)?.body {
            Body::Call { call, .. } => Some(call),
            _ => None,
        }
    }

    fn into_mutant(self) -> Option<Mutant> {
        let t = self.target?;
        Some(Mutant { records: self.records, line: t + 1 })
    }
}

/// A fresh block of records on one path, starting with its accepted start call.
struct Block {
    path: Path,
    records: Vec<Record<'static>>,
}

impl Block {
    /// `PerformSecurityUpdate(flags)` or `Individualize(flags)` that returned S_OK.
    fn start(path: Path, flags: u32) -> Block {
        let c = match path {
            Path::Reader => Call::Individualize { flags },
            Path::Security => Call::PerformSecurityUpdate { flags },
        };
        Block { path, records: vec![call(c, KnownHresult::SOk)] }
    }

    fn forced() -> Block {
        Block::start(Path::Security, SecurityFlag::ForceIndiv.value())
    }

    /// A status on the block's channel; returns its index in the block.
    fn status(&mut self, indi: IndiStatus, req: u32, http: HttpStatus, progress: u32, total: u32) -> usize {
        self.push(status_on(self.path, value(indi, req, http, progress, total)))
    }

    fn begin(&mut self) -> usize {
        self.status(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)
    }

    /// BEGIN, a finished download, an install and INDI_SUCCEED; returns the
    /// index of the INDI_SUCCEED.
    fn full_success(&mut self) -> usize {
        self.begin();
        self.status(IndiStatus::Download, 0, HttpStatus::Connecting, 0, 0);
        self.status(IndiStatus::Download, 0, HttpStatus::Receiving, 1000, 1000);
        self.status(IndiStatus::Install, 1, HttpStatus::Completed, 1000, 1000);
        let at = self.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 1000, 1000);
        if self.path == Path::Security {
            self.push(event(Event::Completed, KnownHresult::SOk));
        }
        at
    }

    fn push(&mut self, record: Record<'static>) -> usize {
        self.records.push(record);
        self.records.len() - 1
    }
}

/// One operator's working state.
struct Op<'a, 'c> {
    spec: &'a Spec,
    a: &'a Analysis,
    d: Draft,
    c: &'c mut dyn Choices,
}

impl Op<'_, '_> {
    /// One of `sites`, or `None` (about one time in five, and always when
    /// there is none) to make the operator use its fresh block instead.
    fn site<T: Clone>(&mut self, sites: &[T]) -> Option<T> {
        if sites.is_empty() || chance(self.c, 20) {
            return None;
        }
        Some(sites[self.c.choose(sites.len() as u32) as usize].clone())
    }

    /// Appends `block` and targets its record `local`.
    fn append_target(&mut self, block: Block, local: usize) -> Option<()> {
        let base = self.d.append(block.records);
        self.d.target = Some(base + local);
        Some(())
    }

    /// A status whose value the rule judges wherever it stands: an existing
    /// one (matching `keep`), or a stray one appended.
    fn any_status(&mut self, keep: impl Fn(&IndividualizeStatus<'_>) -> bool) -> usize {
        let sites: Vec<usize> =
            self.a.statuses.iter().copied().filter(|at| self.d.value(*at).is_some_and(|v| keep(&v))).collect();
        match self.site(&sites) {
            Some(at) => at,
            None => {
                let path = pick(self.c, &[Path::Reader, Path::Security]);
                let at = self.d.records.len();
                self.d.records.push(status_on(path, value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)));
                at
            }
        }
    }

    /// Edits a status value judged by a value rule and targets it.
    fn edit_value(
        &mut self,
        keep: impl Fn(&IndividualizeStatus<'_>) -> bool,
        edit: impl FnOnce(&mut IndividualizeStatus<'static>, &mut dyn Choices),
    ) -> Option<()> {
        let at = self.any_status(keep);
        let v = self.d.value_mut(at)?;
        edit(v, &mut *self.c);
        self.d.target = Some(at);
        Some(())
    }

    /// Edits the value of the session status at `at` and targets it.
    fn edit_at(&mut self, at: usize, edit: impl FnOnce(&mut IndividualizeStatus<'static>)) -> Option<()> {
        edit(self.d.value_mut(at)?);
        self.d.target = Some(at);
        Some(())
    }
}

fn failure(c: &mut dyn Choices) -> Hresult {
    pick(c, &[KnownHresult::IndividualizeError, KnownHresult::IndivServiceUnavailable, KnownHresult::EUnexpected])
        .into()
}

// ---------------------------------------------------------------------------
// Values

fn status_indi_value(op: &mut Op) -> Option<()> {
    op.edit_value(|_| true, |v, c| v.indi = pick(c, &[0, 0x03, 0x12, 0x40, 0x30, u32::MAX]))
}

fn status_http_value(op: &mut Op) -> Option<()> {
    op.edit_value(|_| true, |v, c| v.http = pick(c, &[5, 6, 0x10, u32::MAX]))
}

fn status_hr_matches(op: &mut Op) -> Option<()> {
    op.edit_value(
        |v| v.indi_status().is_some_and(|s| s != IndiStatus::Cancel),
        |v, c| {
            v.hr = if v.indi == IndiStatus::Fail.value() {
                pick(c, &[KnownHresult::SOk, KnownHresult::NsSDrmIndividualized]).into()
            } else {
                failure(c)
            }
        },
    )
}

fn status_url_form(op: &mut Op) -> Option<()> {
    const BAD: [&str; 7] = [
        "",
        "ftp://indiv.example/x",
        "https://",
        "not a url",
        "https://exa mple/x",
        "https://é.example/",
        "http://:80/",
    ];
    op.edit_value(|_| true, |v, c| v.url = Some(Cow::Borrowed(pick(c, &BAD))))
}

fn http_completed_counted(op: &mut Op) -> Option<()> {
    op.edit_value(
        |_| true,
        |v, _| {
            v.http = HttpStatus::Completed.value();
            v.http_request = 0;
        },
    )
}

fn progress_within_total(op: &mut Op) -> Option<()> {
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

// ---------------------------------------------------------------------------
// Sessions

fn session_unsolicited(op: &mut Op) -> Option<()> {
    // Before the first session opens, a status on the reader channel belongs
    // to nobody (a Progress event might belong to a pending refresh instead).
    let last = op.a.first_start.unwrap_or(op.d.records.len());
    let at = op.a.body_start + op.c.choose((last - op.a.body_start) as u32 + 1) as usize;
    op.d.insert_target(at, status_on(Path::Reader, value(IndiStatus::Begin, 0, HttpStatus::NotInitiated, 0, 0)));
    Some(())
}

fn session_channel(op: &mut Op) -> Option<()> {
    let sites: Vec<(Path, usize)> =
        op.a.sessions.iter().flat_map(|s| s.statuses.iter().map(move |st| (s.path, st.at))).collect();
    match op.site(&sites) {
        Some((path, at)) => {
            let other = if path == Path::Reader { Path::Security } else { Path::Reader };
            let v = op.d.value(at)?;
            let ts = op.d.records[at].ts.clone();
            op.d.records[at] = Record { ts, ..status_on(other, v) };
            op.d.target = Some(at);
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

fn session_begin_first(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> = op.a.sessions.iter().filter(|s| s.terminal.is_some()).collect();
    match op.site(&sites) {
        Some(s) => {
            let begin = s.statuses.first()?;
            let terminal = s.terminal?.0;
            if chance(op.c, 50) {
                // Without its INDI_BEGIN the session starts with its next status.
                op.d.target = Some(s.statuses.get(1)?.at);
                op.d.remove(vec![begin.at]);
            } else {
                // A second INDI_BEGIN anywhere before the terminal status.
                let at = begin.at + 1 + op.c.choose((terminal - begin.at) as u32) as usize;
                let again = op.d.records[begin.at].clone();
                op.d.insert_target(at, again);
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

fn session_begin_clean(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> = op.a.sessions.iter().filter_map(|s| s.statuses.first().map(|b| b.at)).collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => {
            let mut b = Block::forced();
            let local = b.begin();
            op.d.append(b.records) + local
        }
    };
    let variant = op.c.choose(4);
    op.edit_at(at, |v| match variant {
        0 => v.total = 4096,
        1 => v.progress = 5,
        2 => v.http_request = 1,
        _ => v.http = HttpStatus::Connecting.value(),
    })
}

fn session_phase_order(op: &mut Op) -> Option<()> {
    let spec = op.spec;
    let first = spec.phases.first;
    // Phases that may not follow `p` (other than the first, which is SESSION-BEGIN-FIRST's).
    let forbidden = |p: IndiStatus| -> Vec<IndiStatus> {
        spec.phases.phases().into_iter().filter(|q| *q != first && !spec.phases.may_follow(p, *q)).collect()
    };
    let mut sites = Vec::new();
    for s in &op.a.sessions {
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
            let mut v = op.d.value(at)?;
            v.indi = q.value();
            v.hr = if q == IndiStatus::Fail { KnownHresult::IndividualizeError.into() } else { Hresult::S_OK };
            op.d.insert_target(at + 1, status_on(path, v));
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

fn session_one_terminal(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> = op.a.sessions.iter().filter_map(|s| s.terminal.map(|t| t.0)).collect();
    match op.site(&sites) {
        Some(at) => {
            // The terminal status once more, right after it.
            let again = op.d.records[at].clone();
            op.d.insert_target(at + 1, again);
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

fn session_ends(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> = op.a.sessions.iter().filter(|s| s.terminal.is_some()).collect();
    match op.site(&sites) {
        Some(s) => {
            // Its terminal status (and Completed) never comes: the session stays
            // open under later ones, which close on top of it.
            op.d.target = Some(s.start);
            op.d.remove(s.terminal.map(|t| t.0).into_iter().chain(s.completed).collect());
            Some(())
        }
        None => {
            let mut b = if chance(op.c, 50) {
                Block::start(Path::Reader, ReaderFlag::Reindividualizable.value())
            } else {
                Block::forced()
            };
            if chance(op.c, 50) {
                b.begin();
            }
            op.append_target(b, 0)
        }
    }
}

fn session_install_after_download(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for s in &op.a.sessions {
        let Some(first) = s.statuses.iter().position(|st| st.indi == IndiStatus::Install) else { continue };
        let downloads: Vec<usize> =
            s.statuses[..first].iter().filter(|st| st.indi == IndiStatus::Download).map(|st| st.at).collect();
        if let Some(&last) = downloads.last() {
            sites.push((s.statuses[first].at, last, downloads));
        }
    }
    match op.site(&sites) {
        Some((install, last, downloads)) => {
            op.d.target = Some(install);
            if chance(op.c, 50) {
                // The last download stops one byte short.
                let v = op.d.value_mut(last)?;
                v.progress = v.total.saturating_sub(1);
            } else {
                op.d.remove(downloads);
            }
            Some(())
        }
        None => {
            let mut b = Block::forced();
            b.begin();
            if chance(op.c, 50) {
                b.status(IndiStatus::Download, 0, HttpStatus::Receiving, 10, 1000);
            }
            let at = b.status(IndiStatus::Install, 0, HttpStatus::Receiving, 10, 1000);
            op.append_target(b, at)
        }
    }
}

fn session_succeed_installed(op: &mut Op) -> Option<()> {
    let sites: Vec<&SessionInfo> =
        op.a.sessions
            .iter()
            .filter(|s| {
                let exempt =
                    s.path == Path::Security && s.flags == SecurityFlag::Indiv.value() && s.up_to_date != Some(false);
                s.terminal.is_some_and(|t| t.1 == IndiStatus::Succeed) && !exempt && !s.installs().is_empty()
            })
            .collect();
    match op.site(&sites) {
        Some(s) => {
            op.d.target = Some(s.terminal?.0);
            op.d.remove(s.installs());
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

fn session_one_at_a_time(op: &mut Op) -> Option<()> {
    let valid_start = |reader: bool, flags: u32| {
        if reader {
            ReaderFlag::from_value(flags).is_some()
        } else {
            flags == SecurityFlag::Indiv.value() || flags == SecurityFlag::ForceIndiv.value()
        }
    };
    let refused: Vec<usize> =
        op.a.starts.iter().filter(|s| s.busy && valid_start(s.reader, s.flags)).map(|s| s.at).collect();
    let open_spans: Vec<(usize, usize)> =
        op.a.sessions.iter().filter_map(|s| s.close().map(|close| (s.start, close))).collect();
    let wrong =
        pick(op.c, &[KnownHresult::AlreadyIndividualized, KnownHresult::EInvalidArg, KnownHresult::IndividualizeError]);
    let reader = chance(op.c, 50);
    let start = if reader {
        Call::Individualize { flags: pick(op.c, &[0, 1]) }
    } else {
        Call::PerformSecurityUpdate { flags: pick(op.c, &[1, 4]) }
    };
    if !refused.is_empty() && chance(op.c, 40) {
        // A busy refusal that said something else.
        let at = refused[op.c.choose(refused.len() as u32) as usize];
        *op.d.hr_mut(at)? = wrong.into();
        op.d.target = Some(at);
        return Some(());
    }
    match op.site(&open_spans) {
        Some((open, close)) => {
            // Anywhere from just after the start call up to the record that closes it.
            let at = open + 1 + op.c.choose((close - open) as u32) as usize;
            let hr = if chance(op.c, 25) { KnownHresult::SOk } else { wrong };
            op.d.insert_target(at, call(start, hr));
            Some(())
        }
        None => {
            let mut b = Block::forced();
            if chance(op.c, 50) {
                b.begin();
            }
            let at = b.push(call(start, wrong));
            op.append_target(b, at)
        }
    }
}

// ---------------------------------------------------------------------------
// Round trips and progress

/// A fresh security session whose last two statuses are `prev` and `cur` (after a BEGIN).
fn two_statuses(op: &mut Op, prev: (u32, HttpStatus, u32, u32), cur: (u32, HttpStatus, u32, u32)) -> Option<()> {
    let mut b = Block::forced();
    b.begin();
    b.status(IndiStatus::Download, prev.0, prev.1, prev.2, prev.3);
    let at = b.status(IndiStatus::Download, cur.0, cur.1, cur.2, cur.3);
    op.append_target(b, at)
}

fn http_count_monotonic(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> =
        op.a.pairs().into_iter().filter(|(p, _)| p.req >= 1).map(|(p, c)| (p.req, c.at)).collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.http_request = prev - 1),
        None => two_statuses(op, (1, HttpStatus::Completed, 0, 0), (0, HttpStatus::Receiving, 0, 0)),
    }
}

fn http_count_step(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> = op.a.pairs().into_iter().map(|(p, c)| (p.req, c.at)).collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.http_request = prev.saturating_add(2)),
        None => two_statuses(op, (0, HttpStatus::Connecting, 0, 0), (2, HttpStatus::Connecting, 0, 0)),
    }
}

fn http_phase_order(op: &mut Op) -> Option<()> {
    let sites: Vec<(HttpStatus, u32, usize)> =
        op.a.pairs()
            .into_iter()
            .filter(|(p, _)| p.http != HttpStatus::NotInitiated)
            .map(|(p, c)| (p.http, p.req, c.at))
            .collect();
    match op.site(&sites) {
        Some((http, req, at)) => {
            let in_trip_late = matches!(http, HttpStatus::Requesting | HttpStatus::Receiving);
            if in_trip_late && chance(op.c, 50) {
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

fn http_succeed_completed(op: &mut Op) -> Option<()> {
    let sites: Vec<usize> =
        op.a.sessions.iter().filter_map(|s| s.terminal.filter(|t| t.1 == IndiStatus::Succeed).map(|t| t.0)).collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => {
            let mut b = Block::forced();
            b.begin();
            let local = b.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 0, 0);
            op.d.append(b.records) + local
        }
    };
    let http =
        pick(op.c, &[HttpStatus::NotInitiated, HttpStatus::Connecting, HttpStatus::Receiving, HttpStatus::Completed]);
    op.edit_at(at, |v| {
        v.http = http.value();
        if http == HttpStatus::Completed {
            v.http_request = 0;
        }
    })
}

fn progress_monotonic(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> =
        op.a.pairs()
            .into_iter()
            .filter(|(p, c)| p.trip.is_some() && p.trip == c.trip && p.progress >= 1)
            .map(|(p, c)| (p.progress, c.at))
            .collect();
    match op.site(&sites) {
        Some((prev, at)) => op.edit_at(at, |v| v.progress = prev - 1),
        None => two_statuses(op, (0, HttpStatus::Receiving, 10, 100), (0, HttpStatus::Receiving, 5, 100)),
    }
}

fn progress_total_stable(op: &mut Op) -> Option<()> {
    let sites: Vec<(u32, usize)> =
        op.a.sessions
            .iter()
            .flat_map(|s| s.statuses.iter())
            .filter_map(|st| match (st.trip, st.total_before) {
                (Some(t), Some((tt, total))) if t == tt => Some((total, st.at)),
                _ => None,
            })
            .collect();
    match op.site(&sites) {
        Some((total, at)) => {
            let changed = if chance(op.c, 30) { 0 } else { total.wrapping_add(1) };
            op.edit_at(at, |v| v.total = changed)
        }
        None => two_statuses(op, (0, HttpStatus::Receiving, 10, 100), (0, HttpStatus::Receiving, 20, 200)),
    }
}

// ---------------------------------------------------------------------------
// Cancellation

fn cancel_requires_call(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for s in &op.a.sessions {
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
                    *op.d.hr_mut(at)? = KnownHresult::EUnexpected.into();
                }
                op.d.target = Some(terminal);
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

fn cancel_stops_work(op: &mut Op) -> Option<()> {
    let mut sites = Vec::new();
    for (k, s) in op.a.sessions.iter().enumerate() {
        if let Some((at, phase)) = s.cancel_before_terminal() {
            sites.push((k, at, phase));
        }
    }
    match op.site(&sites) {
        Some((k, cancel, phase)) => {
            let s = &op.a.sessions[k];
            // A phase the session was not in at the cancel, at the snapshot it had then.
            let indi = if phase == Some(IndiStatus::Install) { IndiStatus::Download } else { IndiStatus::Install };
            let mut v = match s.statuses.iter().rev().find(|st| st.at < cancel) {
                Some(st) => op.d.value(st.at)?,
                None => value(indi, 0, HttpStatus::NotInitiated, 0, 0),
            };
            v.indi = indi.value();
            v.hr = Hresult::S_OK;
            op.d.insert_target(cancel + 1, s.channel_record(v));
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

// ---------------------------------------------------------------------------
// Reader path

fn reader_flags_valid(op: &mut Op) -> Option<()> {
    const BAD: [u32; 5] = [2, 3, 4, 0x10, u32::MAX];
    let sites: Vec<(usize, u32)> = op.a.starts.iter().filter(|s| s.reader).map(|s| (s.at, s.flags)).collect();
    match op.site(&sites) {
        Some((at, flags)) if ReaderFlag::from_value(flags).is_some() => {
            // Whatever it returned, it was not E_INVALIDARG.
            *op.d.call_mut(at)? = Call::Individualize { flags: pick(op.c, &BAD) };
            op.d.target = Some(at);
            Some(())
        }
        Some((at, _)) => {
            *op.d.hr_mut(at)? = pick(op.c, &[KnownHresult::Individualizing, KnownHresult::IndividualizeError]).into();
            op.d.target = Some(at);
            Some(())
        }
        None => {
            let at =
                op.d.append(vec![call(Call::Individualize { flags: pick(op.c, &BAD) }, KnownHresult::Individualizing)]);
            op.d.target = Some(at);
            Some(())
        }
    }
}

fn reader_no_reindiv(op: &mut Op) -> Option<()> {
    let wrong = pick(
        op.c,
        &[
            KnownHresult::Individualizing,
            KnownHresult::IndividualizeError,
            KnownHresult::EInvalidArg,
            KnownHresult::SOk,
        ],
    );
    let sites: Vec<usize> =
        op.a.starts
            .iter()
            .filter(|s| s.reader && s.locked && !s.busy && ReaderFlag::from_value(s.flags).is_some())
            .map(|s| s.at)
            .collect();
    if let Some(at) = op.site(&sites) {
        *op.d.hr_mut(at)? = wrong.into();
        op.d.target = Some(at);
        return Some(());
    }
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    if !op.a.locked_at_end {
        // Lock it first: an Individualize(0x1) session that succeeds.
        b = Block::start(Path::Reader, ReaderFlag::Final.value());
        b.full_success();
    }
    let at = b.push(call(Call::Individualize { flags: pick(op.c, &[0, 1]) }, wrong));
    op.append_target(b, at)
}

fn reader_reindiv_allowed(op: &mut Op) -> Option<()> {
    let flags = pick(op.c, &[0, 1]);
    let hr =
        pick(op.c, &[KnownHresult::AlreadyIndividualized, KnownHresult::IndividualizeError, KnownHresult::EUnexpected]);
    let refused = call(Call::Individualize { flags }, hr);
    let sites = op.a.reindiv_free.clone();
    if let Some(at) = op.site(&sites) {
        op.d.insert_target(at, refused);
        return Some(());
    }
    // An Individualize(0x0) session that succeeds, then a refusal; at the
    // start of the trace when the trace ends locked (the lock is never lifted).
    let mut b = Block::start(Path::Reader, ReaderFlag::Reindividualizable.value());
    b.full_success();
    let local = b.push(refused);
    let at = if op.a.locked_at_end || chance(op.c, 30) {
        op.d.insert_block(op.a.body_start, b.records)
    } else {
        op.d.append(b.records)
    };
    op.d.target = Some(at + local);
    Some(())
}

fn reader_needs_when_outdated(op: &mut Op) -> Option<()> {
    let missing: Vec<(usize, usize)> =
        op.a.opens.iter().filter(|o| o.expected == Some(true)).filter_map(|o| o.needs.map(|n| (o.at, n))).collect();
    let unwanted: Vec<usize> =
        op.a.opens.iter().filter(|o| o.expected == Some(false) && o.needs.is_none()).map(|o| o.at).collect();
    match op.c.choose(3) {
        0 if !missing.is_empty() => {
            // The NEEDS an outdated component owed never comes: reported at the Open.
            let (open, needs) = missing[op.c.choose(missing.len() as u32) as usize];
            op.d.target = Some(open);
            op.d.remove(vec![needs]);
        }
        1 if !unwanted.is_empty() => {
            // A NEEDS although the component satisfies the content.
            let open = unwanted[op.c.choose(unwanted.len() as u32) as usize];
            op.d.insert_target(open + 1, notify(Status::NeedsIndividualization));
        }
        _ => {
            // A NEEDS without an Open of its own: at the start, or right after another NEEDS.
            let mut places = vec![op.a.body_start];
            places.extend(op.a.needs.iter().map(|n| n + 1));
            let at = places[op.c.choose(places.len() as u32) as usize];
            op.d.insert_target(at, notify(Status::NeedsIndividualization));
        }
    }
    Some(())
}

fn reader_no_rights_after_succeed(op: &mut Op) -> Option<()> {
    // Only the last WMT_NO_RIGHTS_EX can go: a later one would answer the success too.
    if let Some(&(at, Some(success))) = op.a.no_rights.last() {
        if !chance(op.c, 20) {
            op.d.target = Some(success);
            op.d.remove(vec![at]);
            return Some(());
        }
    }
    let mut b = Block { path: Path::Reader, records: Vec::new() };
    b.push(call(Call::Open { required_version: RequiredVersion { major: 999, minor: 0 } }, KnownHresult::SOk));
    b.push(notify(Status::NeedsIndividualization));
    b.push(call(Call::Individualize { flags: ReaderFlag::Reindividualizable.value() }, KnownHresult::SOk));
    let at = b.full_success();
    op.append_target(b, at)
}

fn reader_no_rights_not_before(op: &mut Op) -> Option<()> {
    let sites = op.a.needs.clone();
    match op.site(&sites) {
        Some(needs) => op.d.insert_target(needs + 1, notify(Status::NoRightsEx)),
        None => {
            let block = vec![
                call(Call::Open { required_version: RequiredVersion { major: 999, minor: 0 } }, KnownHresult::SOk),
                notify(Status::NeedsIndividualization),
                notify(Status::NoRightsEx),
            ];
            let at = if chance(op.c, 50) { op.d.insert_block(op.a.body_start, block) } else { op.d.append(block) };
            op.d.target = Some(at + 2);
        }
    }
    Some(())
}

// ---------------------------------------------------------------------------
// Security path

fn security_flags_one(op: &mut Op) -> Option<()> {
    const BAD: [u32; 7] = [0, 3, 5, 6, 7, 8, u32::MAX];
    let sites: Vec<(usize, u32)> = op.a.starts.iter().filter(|s| !s.reader).map(|s| (s.at, s.flags)).collect();
    match op.site(&sites) {
        Some((at, flags)) if SecurityFlag::from_value(flags).is_some() => {
            *op.d.call_mut(at)? = Call::PerformSecurityUpdate { flags: pick(op.c, &BAD) };
            op.d.target = Some(at);
            Some(())
        }
        Some((at, _)) => {
            *op.d.hr_mut(at)? = pick(op.c, &[KnownHresult::Individualizing, KnownHresult::IndividualizeError]).into();
            op.d.target = Some(at);
            Some(())
        }
        None => {
            let bad = call(Call::PerformSecurityUpdate { flags: pick(op.c, &BAD) }, KnownHresult::IndividualizeError);
            let at = op.d.append(vec![bad]);
            op.d.target = Some(at);
            Some(())
        }
    }
}

fn security_completed_once(op: &mut Op) -> Option<()> {
    let ended: Vec<(usize, usize)> =
        op.a.sessions
            .iter()
            .filter(|s| s.terminal.is_some())
            .filter_map(|s| s.completed.map(|c| (s.start, c)))
            .collect();
    match op.site(&ended) {
        Some((start, completed)) if chance(op.c, 50) => {
            // The Completed never comes: reported at the start call at the end.
            op.d.target = Some(start);
            op.d.remove(vec![completed]);
        }
        Some((_, completed)) => {
            let again = op.d.records[completed].clone();
            op.d.insert_target(completed + 1, again);
        }
        None => {
            let at = op.d.append(vec![event(
                Event::Completed,
                pick(op.c, &[KnownHresult::SOk, KnownHresult::IndividualizeError]),
            )]);
            op.d.target = Some(at);
        }
    }
    Some(())
}

fn security_completed_matches(op: &mut Op) -> Option<()> {
    let sites: Vec<(usize, IndiStatus)> =
        op.a.sessions.iter().filter_map(|s| Some((s.completed?, s.terminal?.1))).collect();
    match op.site(&sites) {
        Some((completed, terminal)) => {
            let hr = if terminal == IndiStatus::Succeed { failure(op.c) } else { Hresult::S_OK };
            *op.d.hr_mut(completed)? = hr;
            op.d.target = Some(completed);
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

fn security_as_needed(op: &mut Op) -> Option<()> {
    let up_to_date: Vec<&SessionInfo> =
        op.a.sessions.iter().filter(|s| s.path == Path::Security && s.up_to_date == Some(true)).collect();
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
        *op.d.call_mut(start)? = Call::PerformSecurityUpdate { flags: SecurityFlag::Indiv.value() };
        op.d.target = Some(install);
        return Some(());
    }
    if let Some((path, last, terminal)) = op.site(&as_needed) {
        // An INDI_INSTALL just before the terminal status, where the session stood.
        let mut v = op.d.value(last)?;
        v.indi = IndiStatus::Install.value();
        v.hr = Hresult::S_OK;
        op.d.insert_target(terminal, status_on(path, v));
        return Some(());
    }
    // Make both versions known and equal, then install in an as-needed update.
    let service = match op.a.header {
        Some((_, Some(s))) => s,
        Some((component, None)) => {
            let s = SecurityVersion([2, 4, 0, 1]);
            op.d.records[0] = Record::new(Body::Header { component_version: component, service_version: Some(s) });
            s
        }
        None => {
            let s = SecurityVersion([2, 4, 0, 1]);
            op.d.insert(0, Record::new(Body::Header { component_version: None, service_version: Some(s) }));
            s
        }
    };
    let mut b = Block::start(Path::Security, SecurityFlag::Indiv.value());
    b.records.insert(
        0,
        call(Call::GetSecurityVersion { version: Some(Cow::Owned(service.to_string())) }, KnownHresult::SOk),
    );
    b.begin();
    let at = b.status(IndiStatus::Install, 0, HttpStatus::NotInitiated, 0, 0);
    op.append_target(b, at)
}

fn security_force(op: &mut Op) -> Option<()> {
    let succeeded: Vec<&SessionInfo> =
        op.a.sessions
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
        op.d.target = Some(terminal);
        op.d.remove(installs);
        return Some(());
    }
    if let Some((start, terminal)) = op.site(&skipped) {
        // An up-to-date as-needed success, had it been forced, should have installed.
        *op.d.call_mut(start)? = Call::PerformSecurityUpdate { flags: SecurityFlag::ForceIndiv.value() };
        op.d.target = Some(terminal);
        return Some(());
    }
    let mut b = Block::forced();
    b.begin();
    if chance(op.c, 50) {
        b.status(IndiStatus::Download, 0, HttpStatus::Receiving, 500, 1000);
    }
    let at = b.status(IndiStatus::Succeed, 1, HttpStatus::Completed, 1000, 1000);
    b.push(event(Event::Completed, KnownHresult::SOk));
    op.append_target(b, at)
}

fn security_revocation_only(op: &mut Op) -> Option<()> {
    let a = op.a;
    if let (Some(&last_refresh), Some(done)) = (a.refreshes.last(), op.site(&a.revocations_done)) {
        // One refresh fewer is answered; the queue is first in, first out, so
        // the one left unanswered at the end is the last refresh.
        op.d.target = Some(last_refresh);
        op.d.remove(vec![done]);
        return Some(());
    }
    let stray = event(Event::RevocationCompleted, KnownHresult::SOk);
    if chance(op.c, 50) {
        op.d.insert_target(op.a.body_start, stray);
    } else {
        let at = op.d.append(vec![stray]);
        op.d.target = Some(at);
    }
    Some(())
}

fn security_version_form(op: &mut Op) -> Option<()> {
    const BAD: [Option<&str>; 7] =
        [None, Some("2.4.0.2"), Some("2.4"), Some("2.4.0.1.0"), Some("abc"), Some(""), Some("2.x.0.1")];
    let bad = pick(op.c, &BAD).map(Cow::Borrowed);
    let sites: Vec<usize> = op.a.versions.iter().map(|v| v.0).collect();
    let at = match op.site(&sites) {
        Some(at) => at,
        None => op.d.append(vec![call(Call::GetSecurityVersion { version: None }, KnownHresult::SOk)]),
    };
    *op.d.call_mut(at)? = Call::GetSecurityVersion { version: bad };
    *op.d.hr_mut(at)? = Hresult::S_OK;
    op.d.target = Some(at);
    Some(())
}

/// A well-formed version that is not what `reflects` requires.
fn wrong_version(reflects: Option<SecurityVersion>) -> String {
    match reflects {
        Some(SecurityVersion([a, b, c, d])) => SecurityVersion([a, b.wrapping_add(1), c, d]).to_string(),
        None => SecurityVersion([2, 4, 0, 0]).to_string(),
    }
}

fn security_version_reflects(op: &mut Op) -> Option<()> {
    let sites: Vec<(usize, Option<SecurityVersion>)> =
        op.a.versions.iter().filter(|v| v.1.is_success()).filter_map(|v| v.2.map(|r| (v.0, r))).collect();
    let (at, reflects) = match op.site(&sites) {
        Some(site) => site,
        None => {
            // An installing success first.
            let mut b = Block::forced();
            b.full_success();
            let at = b.push(call(Call::GetSecurityVersion { version: None }, KnownHresult::SOk));
            (op.d.append(b.records) + at, op.a.service)
        }
    };
    *op.d.call_mut(at)? = Call::GetSecurityVersion { version: Some(Cow::Owned(wrong_version(reflects))) };
    op.d.target = Some(at);
    Some(())
}
