//! A generator of legal traces, driven by the spec's own data rather than by
//! an engine: sessions are random walks over the `[session]` phase table
//! (`first`, `may_follow`, the terminal statuses) and their round trips walk
//! the `[http]` order, with counters kept consistent along the way.
//!
//! Randomness is pluggable through [`Choices`], so the same generator serves
//! proptest (over a shrinkable `Vec<u32>`, see [`legal_trace_strategy`]) and a
//! seeded command line (over [`SplitMix64`]). Every choice is a number in
//! `0..n` where 0 is the plainest option (no header, no cancel, the next HTTP
//! state, ...), so an exhausted or shrunk choice list yields a short,
//! ordinary trace.
//!
//! What the generator knows about the world (the component's version, the
//! `0x1` lock, a pending `WMT_NEEDS_INDIVIDUALIZATION`, pending revocation
//! refreshes) lives in one struct, `World`, updated exactly where the checker's
//! readings say the world changes.

use std::borrow::Cow;
use std::collections::VecDeque;

use indiv_spec::Spec;
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityFlag,
    SecurityVersion,
};

use proptest::prelude::*;
use serde_json::Number;

// ---------------------------------------------------------------------------
// Randomness

/// A source of choices for the generator and the mutation operators.
pub trait Choices {
    /// A number in `0..n` (0 when `n` is 0 or 1). 0 is always the plainest option.
    fn choose(&mut self, n: u32) -> u32;
}

impl<C: Choices + ?Sized> Choices for &mut C {
    fn choose(&mut self, n: u32) -> u32 {
        (**self).choose(n)
    }
}

/// Choices read from a list of numbers (each taken modulo `n`), 0 once the
/// list is used up. Proptest shrinks the list, which shrinks the trace.
#[derive(Clone, Debug)]
pub struct SliceChoices<'a> {
    data: &'a [u32],
    next: usize,
}

impl<'a> SliceChoices<'a> {
    /// Choices read from `data`, first to last.
    pub fn new(data: &'a [u32]) -> SliceChoices<'a> {
        SliceChoices { data, next: 0 }
    }
}

impl Choices for SliceChoices<'_> {
    fn choose(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        match self.data.get(self.next) {
            Some(v) => {
                self.next += 1;
                v % n
            }
            None => 0,
        }
    }
}

/// A small seeded PRNG (SplitMix64): the same seed gives the same trace.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choices for SplitMix64 {
    fn choose(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        // Multiply-shift maps 32 random bits onto 0..n without division; the
        // result is below n because (x * n) >> 32 < n for x < 2^32.
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// True with roughly `percent` % probability; false for the choice 0.
pub(crate) fn chance(c: &mut dyn Choices, percent: u32) -> bool {
    c.choose(100) >= 100 - percent.min(100)
}

/// One of `items` (which must not be empty); the first for the choice 0.
pub(crate) fn pick<T: Copy>(c: &mut dyn Choices, items: &[T]) -> T {
    items[c.choose(items.len() as u32) as usize]
}

/// An index into `weights`, each drawn with probability proportional to its
/// weight; the first non-zero weight for the choice 0.
pub(crate) fn weighted(c: &mut dyn Choices, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut r = c.choose(total);
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    0
}

// ---------------------------------------------------------------------------
// Record builders, shared with the mutation operators

/// A call record.
pub(crate) fn call(call: Call<'static>, hr: impl Into<Hresult>) -> Record<'static> {
    Record::new(Body::Call { call, hr: hr.into() })
}

/// A `WM_INDIVIDUALIZE_STATUS` without a response URL.
pub(crate) fn value(
    indi: IndiStatus,
    req: u32,
    http: HttpStatus,
    progress: u32,
    total: u32,
) -> IndividualizeStatus<'static> {
    let hr = if indi == IndiStatus::Fail { KnownHresult::IndividualizeError.into() } else { Hresult::S_OK };
    IndividualizeStatus { hr, indi: indi.value(), url: None, http_request: req, http: http.value(), progress, total }
}

/// A status on `path`'s channel: a `WMT_INDIVIDUALIZE` status or a Progress event.
pub(crate) fn status_on(path: Path, v: IndividualizeStatus<'static>) -> Record<'static> {
    match path {
        Path::Reader => Record::new(Body::Status { status: Status::Individualize(v), hr: Hresult::S_OK }),
        Path::Security => Record::new(Body::Event { event: Event::Progress(v), hr: Hresult::S_OK }),
    }
}

/// A status callback without a value (`WMT_NEEDS_INDIVIDUALIZATION`, `WMT_NO_RIGHTS_EX`).
pub(crate) fn notify(status: Status<'static>) -> Record<'static> {
    Record::new(Body::Status { status, hr: Hresult::S_OK })
}

/// A security-path event without a value.
pub(crate) fn event(event: Event<'static>, hr: impl Into<Hresult>) -> Record<'static> {
    Record::new(Body::Event { event, hr: hr.into() })
}

// ---------------------------------------------------------------------------
// The world the generator keeps track of

/// Whether records carry `ts`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stamps {
    Never,
    Always,
    Sometimes,
}

/// Everything the next record depends on beyond the session being run.
#[derive(Debug)]
struct World {
    component: ComponentVersion,
    service: Option<SecurityVersion>,
    /// An `Individualize(0x1)` session has succeeded: later calls are refused.
    locked: bool,
    /// A `WMT_NEEDS_INDIVIDUALIZATION` has not been answered by `WMT_NO_RIGHTS_EX` yet.
    needs_pending: bool,
    /// Revocation refreshes still owed a `MEWMDRMRevocationDownloadCompleted`.
    revocations_pending: u32,
    /// Sessions opened so far.
    sessions: usize,
    /// A session installed and succeeded: applications tend to ask for the
    /// new version next (SECURITY-VERSION-REFLECTS judges that answer).
    version_due: bool,
}

impl World {
    fn is_outdated(&self, required: RequiredVersion) -> Option<bool> {
        Some(self.component.known()?.is_outdated_for(required))
    }

    /// Whether the client is at least as new as the service, when both are known.
    fn up_to_date(&self) -> Option<bool> {
        self.component.up_to_date(self.service)
    }
}

const COMPONENTS: [[u32; 4]; 6] = [[2, 1, 0, 0], [2, 2, 0, 1], [2, 4, 0, 1], [2, 5, 0, 1], [2, 4, 0, 0], [1, 0, 0, 0]];
const SERVICES: [[u32; 4]; 4] = [[2, 4, 0, 1], [2, 4, 0, 0], [2, 3, 0, 1], [2, 6, 0, 1]];
const URLS: [&str; 3] =
    ["https://indiv.example/resp/7f3a", "http://indiv.example:8080/r?id=42", "HTTPS://Indiv.Example/x#frag"];
const FAILURES: [KnownHresult; 5] = [
    KnownHresult::IndividualizeError,
    KnownHresult::IndividualizationIncomplete,
    KnownHresult::IndivFraud,
    KnownHresult::IndivNoCabs,
    KnownHresult::IndivServiceUnavailable,
];
const BAD_READER_FLAGS: [u32; 4] = [2, 3, 0x10, u32::MAX];
const BAD_SECURITY_FLAGS: [u32; 6] = [0, 3, 5, 6, 8, u32::MAX];
/// At most this many statuses in a session before it must end.
const MAX_STATUSES: u32 = 40;

// ---------------------------------------------------------------------------
// One session

/// One HTTP snapshot: what a status reports about round trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Snap {
    req: u32,
    http: HttpStatus,
    progress: u32,
    total: u32,
    /// The 0-based round trip the snapshot belongs to (`None` before every trip).
    trip: Option<u32>,
}

/// The state of an accepted cancel, as the checker's `CANCEL-STOPS-WORK` reading keeps it.
#[derive(Clone, Copy, Debug)]
struct CancelMark {
    phase: Option<IndiStatus>,
    trip: Option<u32>,
}

/// A session being generated.
#[derive(Debug)]
struct Run {
    path: Path,
    flags: u32,
    up_to_date: Option<bool>,
    /// The round trips of the whole session, state by state, in the
    /// `[http].order`; statuses report a subsequence of it.
    plan: Vec<Snap>,
    /// The snapshot of the last status (`None`: before every trip).
    at: Option<usize>,
    idle: Snap,
    phase: Option<IndiStatus>,
    last_download: Option<(u32, u32)>,
    installs: u32,
    statuses: u32,
    cancel: Option<CancelMark>,
    url: Option<&'static str>,
}

impl Run {
    fn current(&self) -> Snap {
        match self.at {
            Some(i) => self.plan[i],
            None => self.idle,
        }
    }

    fn download_finished(&self) -> bool {
        self.last_download.is_some_and(|(progress, total)| total > 0 && progress == total)
    }

    /// An as-needed security update, exempt from installing unless the client is known to be older.
    fn may_skip_install(&self) -> bool {
        self.path == Path::Security && self.flags == SecurityFlag::Indiv.value() && self.up_to_date != Some(false)
    }

    /// Where the next INDI_DOWNLOAD status may stand: a few states ahead in
    /// the plan (snapshots skip states), never more than one completed round
    /// trip ahead (HTTP-COUNT-STEP), and after a cancel never in a new trip.
    fn download_steps(&self) -> Vec<usize> {
        let current = self.current();
        let from = self.at.map_or(0, |i| i + 1);
        let mut out = Vec::new();
        for j in from..self.plan.len().min(from + 3) {
            let next = self.plan[j];
            if next.req > current.req + 1 {
                break;
            }
            if let Some(mark) = self.cancel {
                if mark.trip.is_none_or(|t| next.trip.is_some_and(|n| n > t)) {
                    break;
                }
            }
            out.push(j);
        }
        out
    }

    /// The plan index where the current round trip completes, if one is under way.
    fn trip_completion(&self, finished: HttpStatus) -> Option<usize> {
        let at = self.at?;
        let current = self.plan[at];
        if current.http == finished {
            return None;
        }
        (at + 1..self.plan.len()).find(|j| self.plan[*j].trip == current.trip && self.plan[*j].http == finished)
    }
}

// ---------------------------------------------------------------------------
// The generator

/// The generator proper: emits whole episodes into a queue.
struct Gen<'s> {
    spec: &'s Spec,
    out: VecDeque<Record<'static>>,
    stamps: Stamps,
    clock: u64,
    world: World,
}

impl<'s> Gen<'s> {
    /// A generator whose first records (an optional header) are queued.
    fn new(spec: &'s Spec, c: &mut dyn Choices) -> Gen<'s> {
        let stamps = [Stamps::Never, Stamps::Always, Stamps::Sometimes][weighted(c, &[3, 2, 1])];
        let world = World {
            component: ComponentVersion::Unknown,
            service: None,
            locked: false,
            needs_pending: false,
            revocations_pending: 0,
            sessions: 0,
            version_due: false,
        };
        let mut g = Gen { spec, out: VecDeque::new(), stamps, clock: 0, world };
        g.header(c);
        g
    }

    fn push(&mut self, c: &mut dyn Choices, mut record: Record<'static>) {
        self.clock += 1 + u64::from(c.choose(5));
        let stamp = match self.stamps {
            Stamps::Never => false,
            Stamps::Always => true,
            Stamps::Sometimes => chance(c, 50),
        };
        if stamp {
            record.ts = Some(Number::from(self.clock));
        }
        self.out.push_back(record);
    }

    /// The optional header: no versions known, one, or both.
    fn header(&mut self, c: &mut dyn Choices) {
        let (component, service) = match weighted(c, &[3, 5, 1, 1]) {
            0 => return,
            1 => (Some(pick(c, &COMPONENTS)), Some(pick(c, &SERVICES))),
            2 => (Some(pick(c, &COMPONENTS)), None),
            _ => (None, Some(pick(c, &SERVICES))),
        };
        let component_version = component.map(SecurityVersion);
        let service_version = service.map(SecurityVersion);
        self.world.component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
        self.world.service = service_version;
        self.push(c, Record::new(Body::Header { component_version, service_version }));
    }

    /// One episode: something an application does between sessions, ending
    /// with no session open.
    fn episode(&mut self, c: &mut dyn Choices) {
        match weighted(c, &[10, 8, 2, 3, 2, 1, 1]) {
            0 => self.reader_flow(c),
            1 => self.security_flow(c),
            2 => self.open(c),
            3 => self.get_version(c),
            4 => self.refresh(c),
            5 => self.bad_flags(c),
            _ => self.stray_cancel(c),
        }
        if std::mem::take(&mut self.world.version_due) && chance(c, 40) {
            self.get_version(c);
        }
        // A refresh completes whenever the service answers.
        while self.world.revocations_pending > 0 && chance(c, 50) {
            self.revocation_done(c);
        }
    }

    /// Settles what a complete trace owes: every refresh gets its event.
    fn finish(&mut self, c: &mut dyn Choices) {
        while self.world.revocations_pending > 0 {
            self.revocation_done(c);
        }
    }

    // --- episodes -----------------------------------------------------------

    /// Opening content: WMT_NEEDS_INDIVIDUALIZATION exactly when the component
    /// is out of date (either way when its version is unknown).
    fn open(&mut self, c: &mut dyn Choices) {
        let required = self.required_version(c);
        let needs = self.world.is_outdated(required).unwrap_or_else(|| chance(c, 50));
        // Open's hr is ignored; an engine may well say why content did not open.
        let hr = if needs && chance(c, 30) { KnownHresult::NeedsIndividualization } else { KnownHresult::SOk };
        self.push(c, call(Call::Open { required_version: required }, hr));
        if needs {
            self.push(c, notify(Status::NeedsIndividualization));
            self.world.needs_pending = true;
        }
    }

    fn required_version(&self, c: &mut dyn Choices) -> RequiredVersion {
        let (major, minor) = match self.world.component {
            ComponentVersion::Known(v) => {
                let (major, minor) = v.major_minor();
                pick(c, &[(major, minor), (major, minor + 1), (major, minor.saturating_sub(1)), (2, 2), (3, 0)])
            }
            _ => pick(c, &[(2, 2), (2, 4), (2, 5)]),
        };
        RequiredVersion { major, minor }
    }

    /// Optionally Open, then Individualize: refused once locked, otherwise a
    /// session; a success that follows a NEEDS is answered by WMT_NO_RIGHTS_EX.
    fn reader_flow(&mut self, c: &mut dyn Choices) {
        if chance(c, 60) {
            self.open(c);
        }
        let flags = if chance(c, 25) { ReaderFlag::Final } else { ReaderFlag::Reindividualizable }.value();
        if self.world.locked {
            self.push(c, call(Call::Individualize { flags }, KnownHresult::AlreadyIndividualized));
            return;
        }
        self.push(c, call(Call::Individualize { flags }, KnownHresult::SOk));
        let (end, _) = self.session(c, Path::Reader, flags, None);
        if end == IndiStatus::Succeed {
            if flags == ReaderFlag::Final.value() {
                self.world.locked = true;
            }
            if self.world.needs_pending {
                self.push(c, notify(Status::NoRightsEx));
                self.world.needs_pending = false;
            }
        }
    }

    /// PerformSecurityUpdate(INDIV or FORCE_INDIV): a session, then exactly one
    /// Completed whose hr tells the outcome.
    fn security_flow(&mut self, c: &mut dyn Choices) {
        let flags = if chance(c, 50) { SecurityFlag::ForceIndiv } else { SecurityFlag::Indiv }.value();
        let up_to_date = self.world.up_to_date();
        self.push(c, call(Call::PerformSecurityUpdate { flags }, KnownHresult::SOk));
        let (end, hr) = self.session(c, Path::Security, flags, up_to_date);
        let completed = match end {
            IndiStatus::Succeed => Hresult::S_OK,
            IndiStatus::Fail if hr.is_failure() => hr,
            _ => KnownHresult::OperationCanceled.into(),
        };
        self.push(c, event(Event::Completed, completed));
    }

    /// GetSecurityVersion reports what the world knows (after an installing
    /// success: the service's version, or an individualized one).
    fn get_version(&mut self, c: &mut dyn Choices) {
        if chance(c, 10) {
            self.push(c, call(Call::GetSecurityVersion { version: None }, KnownHresult::EUnexpected));
            return;
        }
        let version = match self.world.component {
            ComponentVersion::Known(v) => v,
            ComponentVersion::IndividualizedUnknown => {
                SecurityVersion(pick(c, &[[2, 4, 0, 1], [2, 5, 0, 1], [9, 9, 0, 1]]))
            }
            ComponentVersion::Unknown => SecurityVersion(pick(c, &COMPONENTS)),
        };
        self.world.component = ComponentVersion::Known(version);
        let version = Some(Cow::Owned(version.to_string()));
        self.push(c, call(Call::GetSecurityVersion { version }, KnownHresult::SOk));
    }

    /// PerformSecurityUpdate(REVOCATION_REFRESH): no session, one event later.
    fn refresh(&mut self, c: &mut dyn Choices) {
        let flags = SecurityFlag::RevocationRefresh.value();
        self.push(c, call(Call::PerformSecurityUpdate { flags }, KnownHresult::SOk));
        self.world.revocations_pending += 1;
    }

    fn revocation_done(&mut self, c: &mut dyn Choices) {
        self.world.revocations_pending = self.world.revocations_pending.saturating_sub(1);
        self.push(c, event(Event::RevocationCompleted, KnownHresult::SOk));
    }

    /// A start call with flags no API accepts: E_INVALIDARG, nothing opened.
    fn bad_flags(&mut self, c: &mut dyn Choices) {
        let record = if chance(c, 50) {
            call(Call::PerformSecurityUpdate { flags: pick(c, &BAD_SECURITY_FLAGS) }, KnownHresult::EInvalidArg)
        } else {
            call(Call::Individualize { flags: pick(c, &BAD_READER_FLAGS) }, KnownHresult::EInvalidArg)
        };
        self.push(c, record);
    }

    /// A cancel with nothing to cancel, refused.
    fn stray_cancel(&mut self, c: &mut dyn Choices) {
        let what = if chance(c, 50) { Call::CancelAsyncOperation } else { Call::CancelIndividualization };
        self.push(c, call(what, KnownHresult::EUnexpected));
    }

    // --- sessions -----------------------------------------------------------

    /// The round trips a session may make: 1 to 3 trips, the last one
    /// downloading the component (a non-zero total), earlier ones asking the
    /// service. States come from `[http].order`; progress grows only while
    /// receiving.
    fn plan(&self, c: &mut dyn Choices) -> Vec<Snap> {
        let http = &self.spec.http;
        let trips = 1 + c.choose(3);
        let mut plan = Vec::new();
        for k in 0..trips {
            let total = if k + 1 == trips {
                pick(c, &[65_536, 4_096, 1_048_576, 123_457, 1])
            } else {
                pick(c, &[0, 0, 2_048, 777])
            };
            for &state in &http.order {
                if state == http.before_any_trip {
                    continue;
                }
                let trip = Some(k);
                if state == http.trip_finished {
                    plan.push(Snap { req: k + 1, http: state, progress: total, total, trip });
                } else if state == HttpStatus::Receiving && total > 0 {
                    let chunks = 1 + c.choose(4);
                    for i in 1..=chunks {
                        // At most `total`, so it fits in u32.
                        let progress = (u64::from(total) * u64::from(i) / u64::from(chunks)) as u32;
                        plan.push(Snap { req: k, http: state, progress, total, trip });
                    }
                } else {
                    plan.push(Snap { req: k, http: state, progress: 0, total: 0, trip });
                }
            }
        }
        plan
    }

    /// Runs one session from its start call (already written) to its terminal
    /// status; returns that status and its hr. The phases are a random walk
    /// over `[session.may_follow]`, restricted to what is possible now.
    fn session(
        &mut self,
        c: &mut dyn Choices,
        path: Path,
        flags: u32,
        up_to_date: Option<bool>,
    ) -> (IndiStatus, Hresult) {
        self.world.sessions += 1;
        let idle = Snap { req: 0, http: self.spec.http.before_any_trip, progress: 0, total: 0, trip: None };
        let url = if chance(c, 75) { Some(pick(c, &URLS)) } else { None };
        let mut run = Run {
            path,
            flags,
            up_to_date,
            plan: self.plan(c),
            at: None,
            idle,
            phase: None,
            last_download: None,
            installs: 0,
            statuses: 0,
            cancel: None,
            url,
        };
        self.slot(c, &mut run, true);
        self.report(c, &mut run, self.spec.phases.first, Hresult::S_OK);
        loop {
            self.slot(c, &mut run, true);
            let next = self.next_phase(c, &run);
            let hr = match next {
                IndiStatus::Download => {
                    self.download(c, &mut run);
                    continue;
                }
                IndiStatus::Install => {
                    self.install(c, &mut run);
                    continue;
                }
                IndiStatus::Succeed => self.succeed(c, &mut run),
                IndiStatus::Fail => {
                    let hr = pick(c, &FAILURES).into();
                    self.report(c, &mut run, next, hr);
                    hr
                }
                _ => {
                    // INDI_CANCEL (or a terminal status this generator does not
                    // know, which it reports like a cancel).
                    let hr = if chance(c, 50) { KnownHresult::OperationCanceled.into() } else { Hresult::S_OK };
                    self.report(c, &mut run, next, hr);
                    hr
                }
            };
            if path == Path::Security {
                // A security session stays open until its Completed event:
                // calls made meanwhile are still refused as busy.
                for _ in 0..c.choose(3) {
                    self.slot(c, &mut run, false);
                }
            }
            return (next, hr);
        }
    }

    /// The phase of the next status: one of `may_follow` of the current phase
    /// that is possible now, weighted towards finishing the work.
    fn next_phase(&self, c: &mut dyn Choices, run: &Run) -> IndiStatus {
        let current = run.phase.unwrap_or(self.spec.phases.first);
        let canceled = run.cancel.is_some();
        let cancel_phase = run.cancel.and_then(|m| m.phase);
        let room = run.statuses < MAX_STATUSES;
        let mut candidates: Vec<(u8, IndiStatus, u32)> = Vec::new();
        for next in self.spec.phases.successors(current) {
            let (rank, weight) = match next {
                IndiStatus::Download => {
                    let possible = room
                        && !run.download_steps().is_empty()
                        && (!canceled || cancel_phase == Some(IndiStatus::Download));
                    (
                        0,
                        if !possible {
                            0
                        } else if canceled {
                            2
                        } else {
                            12
                        },
                    )
                }
                IndiStatus::Install => {
                    let up_to_date_as_needed = run.path == Path::Security
                        && run.flags == SecurityFlag::Indiv.value()
                        && run.up_to_date == Some(true);
                    let possible = room
                        && run.installs < 3
                        && run.download_finished()
                        && !up_to_date_as_needed
                        && (!canceled || cancel_phase == Some(IndiStatus::Install));
                    (
                        1,
                        if !possible {
                            0
                        } else if run.installs == 0 {
                            8
                        } else {
                            2
                        },
                    )
                }
                IndiStatus::Succeed => {
                    // INDI_SUCCEED reports a completed trip; from before every
                    // trip that means starting one, which a cancel forbids.
                    let reachable = run.at.is_some() || !canceled;
                    let complete = run.download_finished() && run.installs > 0;
                    let possible = reachable && (complete || run.may_skip_install());
                    (
                        2,
                        if !possible {
                            0
                        } else if canceled {
                            1
                        } else {
                            6
                        },
                    )
                }
                IndiStatus::Fail => (3, 1),
                IndiStatus::Cancel => (4, if canceled { 10 } else { 0 }),
                _ => (5, 0),
            };
            if weight > 0 {
                candidates.push((rank, next, weight));
            }
        }
        candidates.sort_by_key(|(rank, _, _)| *rank);
        if candidates.is_empty() {
            // The shipped table lets INDI_FAIL follow every non-terminal phase;
            // a table without that still gets an ending.
            return self.spec.phases.terminals().first().copied().unwrap_or(IndiStatus::Fail);
        }
        let weights: Vec<u32> = candidates.iter().map(|(_, _, w)| *w).collect();
        candidates[weighted(c, &weights)].1
    }

    fn download(&mut self, c: &mut dyn Choices, run: &mut Run) {
        let steps = run.download_steps();
        if steps.is_empty() {
            return;
        }
        run.at = Some(steps[c.choose(steps.len() as u32) as usize]);
        let now = run.current();
        run.last_download = Some((now.progress, now.total));
        self.report(c, run, IndiStatus::Download, Hresult::S_OK);
    }

    fn install(&mut self, c: &mut dyn Choices, run: &mut Run) {
        // Installing may see the download's trip complete, never a new trip.
        if let Some(j) = run.trip_completion(self.spec.http.trip_finished) {
            if chance(c, 50) {
                run.at = Some(j);
            }
        }
        run.installs += 1;
        self.report(c, run, IndiStatus::Install, Hresult::S_OK);
    }

    /// INDI_SUCCEED at a completed trip (completing the current one, or the
    /// first one when no trip was reported yet); an installing success
    /// updates the component's version.
    fn succeed(&mut self, c: &mut dyn Choices, run: &mut Run) -> Hresult {
        let finished = self.spec.http.trip_finished;
        if run.current().http != finished {
            run.at = match run.at {
                Some(_) => run.trip_completion(finished).or(run.at),
                None => run.plan.iter().position(|s| s.http == finished),
            };
        }
        let hr = if chance(c, 20) { KnownHresult::NsSDrmIndividualized.into() } else { Hresult::S_OK };
        self.report(c, run, IndiStatus::Succeed, hr);
        if run.installs > 0 {
            self.world.component =
                self.world.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
            self.world.version_due = true;
        }
        hr
    }

    /// Writes a status of `indi` at the run's current snapshot.
    fn report(&mut self, c: &mut dyn Choices, run: &mut Run, indi: IndiStatus, hr: Hresult) {
        let snap = run.current();
        // The response URL is known once the service has answered a round trip.
        let url = if snap.req >= 1 { run.url.map(Cow::Borrowed) } else { None };
        let v = IndividualizeStatus {
            hr,
            indi: indi.value(),
            url,
            http_request: snap.req,
            http: snap.http.value(),
            progress: snap.progress,
            total: snap.total,
        };
        let mut record = status_on(run.path, v);
        // The callback's own hr is not judged; a failing engine often repeats it.
        if let Body::Status { hr: callback_hr, .. } = &mut record.body {
            if indi == IndiStatus::Fail && chance(c, 50) {
                *callback_hr = hr;
            }
        }
        self.push(c, record);
        run.phase = Some(indi);
        run.statuses += 1;
    }

    /// Between two statuses of an open session, the application may call
    /// (cancel, a refused start, a refresh) and a refresh may complete.
    fn slot(&mut self, c: &mut dyn Choices, run: &mut Run, running: bool) {
        let can_cancel = running && run.cancel.is_none();
        let revocation = if self.world.revocations_pending > 0 { 6 } else { 0 };
        match weighted(c, &[40, if can_cancel { 3 } else { 0 }, 2, 1, 1, revocation, 1]) {
            0 => {}
            1 => {
                let what = match run.path {
                    Path::Reader => Call::CancelIndividualization,
                    Path::Security => Call::CancelAsyncOperation,
                };
                self.push(c, call(what, KnownHresult::SOk));
                run.cancel = Some(CancelMark { phase: run.phase, trip: run.current().trip });
            }
            2 => {
                // Busy: valid flags while a session is open.
                let record = if chance(c, 50) {
                    let flags = pick(c, &[SecurityFlag::Indiv, SecurityFlag::ForceIndiv]).value();
                    call(Call::PerformSecurityUpdate { flags }, KnownHresult::Individualizing)
                } else {
                    let flags = pick(c, &[ReaderFlag::Reindividualizable, ReaderFlag::Final]).value();
                    call(Call::Individualize { flags }, KnownHresult::Individualizing)
                };
                self.push(c, record);
            }
            3 => self.bad_flags(c),
            4 => self.refresh(c),
            5 => self.revocation_done(c),
            _ => {
                // A cancel for the other path finds nothing to cancel.
                let what = match run.path {
                    Path::Reader => Call::CancelAsyncOperation,
                    Path::Security => Call::CancelIndividualization,
                };
                self.push(c, call(what, KnownHresult::EUnexpected));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Public entry points

/// A complete legal trace: an optional header, then episodes until up to
/// `max_sessions` sessions (at least one when `max_sessions` > 0) were opened,
/// then whatever a complete trace still owes. The checker reports no
/// violation, `must` or `should`, on it.
pub fn legal_trace(spec: &Spec, choices: &mut dyn Choices, max_sessions: usize) -> Vec<Record<'static>> {
    let mut g = Gen::new(spec, choices);
    let max = u32::try_from(max_sessions).unwrap_or(u32::MAX - 1);
    let target = if max == 0 { 0 } else { 1 + choices.choose(max) as usize };
    // Episodes that open no session (or a lock that refuses every reader
    // session) must not keep the loop going forever.
    let mut budget = 4 * max_sessions + 4;
    while g.world.sessions < target && budget > 0 {
        g.episode(choices);
        budget -= 1;
    }
    g.finish(choices);
    g.out.into()
}

/// A proptest strategy of legal traces with up to four sessions, shrinking
/// through the list of choices it is generated from.
pub fn legal_trace_strategy() -> impl Strategy<Value = Vec<Record<'static>>> {
    proptest::collection::vec(any::<u32>(), 0..400).prop_map(|data| {
        // The embedded spec loads in every tested build (catalog's unit test
        // loads it), so this cannot fail short of a broken build.
        let spec = Spec::builtin().expect("the built-in spec loads");
        legal_trace(spec, &mut SliceChoices::new(&data), 4)
    })
}

/// An endless-capable legal trace as an iterator: episodes are appended until
/// at least `min_records` records were produced, then the trace is closed
/// legally (the last episode finishes and pending refreshes complete), so the
/// trace has `min_records` records or a few more. Memory stays bounded by one
/// episode, whatever the length.
pub struct LegalStream<'s, C: Choices> {
    generator: Gen<'s>,
    choices: C,
    min_records: u64,
    produced: u64,
    finished: bool,
}

impl<'s, C: Choices> LegalStream<'s, C> {
    /// A stream of at least `min_records` records drawn with `choices`.
    pub fn new(spec: &'s Spec, mut choices: C, min_records: u64) -> LegalStream<'s, C> {
        let generator = Gen::new(spec, &mut choices);
        LegalStream { generator, choices, min_records, produced: 0, finished: false }
    }
}

impl<C: Choices> Iterator for LegalStream<'_, C> {
    type Item = Record<'static>;

    fn next(&mut self) -> Option<Record<'static>> {
        loop {
            if let Some(record) = self.generator.out.pop_front() {
                self.produced += 1;
                return Some(record);
            }
            if self.finished {
                return None;
            }
            if self.produced >= self.min_records {
                self.generator.finish(&mut self.choices);
                self.finished = true;
            } else {
                self.generator.episode(&mut self.choices);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indiv_spec::record::to_jsonl;
    use indiv_spec::{CheckOptions, check_reader};

    #[test]
    fn exhausted_choices_give_a_short_legal_trace() {
        let spec = Spec::builtin().expect("spec");
        let trace = legal_trace(spec, &mut SliceChoices::new(&[]), 3);
        let text = to_jsonl(&trace);
        let outcome = check_reader(spec, text.as_bytes(), CheckOptions::default()).expect("reads");
        assert!(outcome.violations.is_empty(), "{:?}\n{text}", outcome.violations);
        assert!(trace.len() >= 3, "{text}");
    }

    #[test]
    fn the_stream_reaches_its_length_and_stays_legal() {
        let spec = Spec::builtin().expect("spec");
        let trace: Vec<_> = LegalStream::new(spec, SplitMix64::new(7), 5_000).collect();
        assert!(trace.len() >= 5_000);
        let text = to_jsonl(&trace);
        let outcome = check_reader(spec, text.as_bytes(), CheckOptions::default()).expect("reads");
        assert!(outcome.violations.is_empty(), "{:?}", &outcome.violations[..outcome.violations.len().min(5)]);
    }
}
