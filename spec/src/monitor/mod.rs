//! The streaming checker: judges a trace one record at a time against every
//! rule of the spec, keeping only the state of open sessions and a few
//! obligations, so memory never grows with the trace's length.
//!
//! The phase table and the HTTP order come from the loaded [`Spec`]; this
//! module holds the rules' logic, not a second copy of the tables. Each check
//! names the [`Rule`] it enforces, and every reading it makes is written next
//! to that rule in the spec file.
//!
//! This file holds the shared state ([`Monitor`] and its open sessions), the
//! entry points (`feed`, `drain_*`, `finish`) and the routing of each record
//! to its checks. The checks live in one module per rule area of the spec file
//! (the `area` of each `[[rule]]`): `values`, `sessions`, `http` (round trips
//! and progress), `cancellation`, `reader` and `security`. The rules of area
//! `service` need what only the certification harness sees; they are judged
//! there (crate `indiv-service-rules`), not here.

mod cancellation;
mod http;
mod reader;
mod security;
mod sessions;
#[cfg(test)]
mod tests;
mod url;
mod values;

use std::collections::VecDeque;

use serde_json::Number;

use crate::catalog::{Level, Rule, Spec};
use crate::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use crate::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, Path, RequiredVersion, SecurityFlag, SecurityVersion,
};

use cancellation::CancelMark;
use http::Snapshot;
use reader::OpenWindow;
use url::{CompactUrl, Digests, UrlRef};

pub use values::url_is_well_formed;

/// One broken rule at one place.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// The 1-based trace line it is reported at.
    pub line: usize,
    /// The 1-based number of the session it concerns, if any.
    pub session: Option<u32>,
    /// What was expected and what was seen.
    pub message: String,
    /// The `ts` of the record at `line`, when the violation was found there.
    pub ts: Option<Number>,
    /// The text of the trace line at `line`, shortened to [`QUOTE_CHARS`]
    /// characters, when that line is not the record being fed: an
    /// end-of-trace finding or a status judged after later records. Kept
    /// with the obligation that made the finding, so that nothing is read
    /// twice; only [`Monitor::feed_quoted`] gives the monitor the text.
    pub quote: Option<Box<str>>,
}

/// The most characters of a trace line a [`Violation`] quotes, then `…`.
pub const QUOTE_CHARS: usize = 160;

/// The most characters of a value from the trace (a URL, a version) that a
/// message quotes, then `…`.
pub const VALUE_CHARS: usize = 120;

/// A rule that could not be judged at one place, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The rule not judged.
    pub rule: Rule,
    /// The line it would have been judged at.
    pub line: usize,
    /// Why it could not be.
    pub message: String,
}

/// How to judge a trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// The trace may stop at any point (a live or truncated log): rules about
    /// what must have happened by the end are not judged.
    pub partial: bool,
}

/// An open session: what its start call said and what its statuses so far
/// leave the rules to remember. Its size is bounded: the quote and the URL
/// are at most [`QUOTE_CHARS`] characters and [`url::INLINE_BYTES`] bytes (a
/// longer URL is kept as its SHA-256 digest and a shortened prefix).
#[derive(Debug)]
struct Session {
    number: u32,
    opened_line: usize,
    /// The start call's line, shortened, for end-of-trace findings.
    quote: Option<Box<str>>,
    path: Path,
    flags: u32,
    /// For a security session: whether the client was at least as new as the
    /// service at the start call, when both were known.
    up_to_date: Option<bool>,
    phase: Option<IndiStatus>,
    /// Whether an INDI_BEGIN came.
    begun: bool,
    terminal: Option<IndiStatus>,
    /// The dwHTTPRequest of the previous status.
    last_request: Option<u32>,
    /// The figures of the last status with a place in the HTTP order (a
    /// defined enHTTPStatus).
    last: Option<Snapshot>,
    /// The first non-zero total of the current trip.
    trip_total: Option<u32>,
    /// The figures of the last INDI_DOWNLOAD status.
    last_download: Option<LastDownload>,
    installed: bool,
    cancel: Option<CancelMark>,
    /// The first non-null pszIndiRespUrl the session reported.
    first_url: Option<CompactUrl>,
    /// Whether an INDI_DOWNLOAD came.
    download_reported: bool,
    /// Whether a status other than INDI_BEGIN reported downloaded bytes.
    bytes_reported: bool,
}

/// A status that belongs to an open session, with where the spec's HTTP
/// order puts it. A field that is not a defined value is `None`, and so is
/// what is read from it: the rules that need it pass the status over.
/// What the last INDI_DOWNLOAD of a session reported.
#[derive(Clone, Copy, Debug)]
struct LastDownload {
    progress: u32,
    total: u32,
    /// Its HTTP status said the trip finished (`[http].trip_finished`).
    trip_finished: bool,
}

struct Step<'v, 'a> {
    v: &'v IndividualizeStatus<'a>,
    /// Its pszIndiRespUrl (a held status keeps it compact).
    url: Option<UrlRef<'v>>,
    indi: Option<IndiStatus>,
    http: Option<HttpStatus>,
    /// Its round trip, as [`crate::catalog::HttpOrder::trip`] says.
    trip: Option<i64>,
    /// Its position in the HTTP order: (trip or `i64::MIN` before every trip, rank).
    key: Option<(i64, u8)>,
}

/// What the checks of one session status found, in the order they found it;
/// reported together once the session is no longer borrowed.
type Found = Vec<(Rule, String)>;

/// Where a status goes.
enum Target {
    /// To the most recently opened open session, the newest of this path.
    Session(Path),
    /// To the pending revocation refresh (no session is open).
    Refresh,
    /// To the last session ever opened, which has ended.
    AfterLast(u32),
    /// To nobody: no start call was accepted yet.
    Nobody,
}

/// Where the component's known version came from (SECURITY-VERSION-STABLE's
/// messages): the header, a report at a line, or an install that succeeded
/// at a line.
#[derive(Clone, Copy, Debug)]
enum KnownFrom {
    Header,
    Report(usize),
    Install(usize),
}

/// A status with no open session to go to, from an INDI_BEGIN on, held until
/// the next record that is not one: it belongs to the session of a start call
/// written after it (SESSION-CALL-RETURNS-FIRST) when that record is a start
/// call that opens one, and is a stray otherwise.
struct Held {
    line: usize,
    ts: Option<Number>,
    channel: Path,
    /// The status without its URL, which `url` keeps in bounded size.
    value: IndividualizeStatus<'static>,
    url: Option<CompactUrl>,
    /// Its line's text, shortened, once [`Monitor::feed_quoted`] gave it.
    quote: Option<Box<str>>,
}

/// The open sessions, one stack per path, each oldest first. Every session
/// leaves as the newest open session of its path (a reader session at its
/// terminal status, which only the newest open session receives; a security
/// session at its Completed, which closes the newest of its path), so each
/// record costs O(1) whatever the number of open sessions.
#[derive(Debug, Default)]
struct OpenSessions {
    reader: Vec<Session>,
    security: Vec<Session>,
}

impl OpenSessions {
    fn of(&self, path: Path) -> &Vec<Session> {
        match path {
            Path::Reader => &self.reader,
            Path::Security => &self.security,
        }
    }

    fn of_mut(&mut self, path: Path) -> &mut Vec<Session> {
        match path {
            Path::Reader => &mut self.reader,
            Path::Security => &mut self.security,
        }
    }

    fn is_empty(&self) -> bool {
        self.reader.is_empty() && self.security.is_empty()
    }

    /// The path of the most recently opened open session.
    fn newest_path(&self) -> Option<Path> {
        match (self.reader.last(), self.security.last()) {
            (Some(r), Some(s)) => Some(if r.number > s.number { Path::Reader } else { Path::Security }),
            (Some(_), None) => Some(Path::Reader),
            (None, Some(_)) => Some(Path::Security),
            (None, None) => None,
        }
    }

    /// The most recently opened open session.
    fn newest(&self) -> Option<&Session> {
        self.newest_path().and_then(|p| self.of(p).last())
    }

    /// The newest open session of `path`; only called with a path that has one.
    fn top_mut(&mut self, path: Path) -> Option<&mut Session> {
        self.of_mut(path).last_mut()
    }

    /// Every open session, oldest first (by number, which is line order).
    fn into_oldest_first(self) -> impl Iterator<Item = Session> {
        let mut reader = self.reader.into_iter().peekable();
        let mut security = self.security.into_iter().peekable();
        std::iter::from_fn(move || match (reader.peek(), security.peek()) {
            (Some(r), Some(s)) if r.number < s.number => reader.next(),
            (Some(_), None) => reader.next(),
            _ => security.next(),
        })
    }
}

/// The most statuses held at once; with more, all are judged as strays.
const HOLD_LIMIT: usize = 4096;

/// The streaming checker. Feed it records in order with their line numbers,
/// drain what it found as you go, and call [`Monitor::finish`] at the end.
pub struct Monitor<'s> {
    spec: &'s Spec,
    options: CheckOptions,
    violations: Vec<Violation>,
    notes: Vec<Note>,
    line: usize,
    ts: Option<Number>,
    /// The quote of `line` while it is not the record being fed (a held
    /// status judged late, an Open's window closing).
    quote: Option<Box<str>>,
    component: ComponentVersion,
    /// Where the component's known version came from, for messages.
    known_from: Option<KnownFrom>,
    service: Option<SecurityVersion>,
    /// After a session installed and succeeded: the version GetSecurityVersion
    /// must report (`Some(None)`: any individualized version).
    reflects: Option<Option<SecurityVersion>>,
    open: OpenSessions,
    /// Open sessions that reported INDI_INSTALL and no terminal status yet
    /// (SECURITY-VERSION-STABLE is not judged while there is one).
    installing: usize,
    sessions_opened: u32,
    /// The last session opened, when its Completed closed it before any
    /// terminal status: (number, start call's line, its quote). A terminal
    /// Progress event that still comes to it ends it (SESSION-ENDS).
    unended: Option<(u32, usize, Option<Box<str>>)>,
    /// READER-ALREADY-INDIVIDUALIZED: the last reader session that ended
    /// succeeded with 0x1, and no WMT_NEEDS_INDIVIDUALIZATION came since.
    locked: bool,
    /// A security-path session succeeded and no reader session has since:
    /// reader objects may be stale (READER-NEEDS-WHEN-OUTDATED is not judged).
    stale_readers: bool,
    /// The pending revocation refreshes: their calls' lines and quotes.
    revocations: VecDeque<(usize, Option<Box<str>>)>,
    open_window: Option<OpenWindow>,
    /// The last Open's window closed owing a WMT_NEEDS_INDIVIDUALIZATION
    /// (reported at the Open): a late one is that Open's, not reported again.
    late_needs_owed: bool,
    needs_since_no_rights: bool,
    /// The required version of the content whose Open got the last waiting
    /// WMT_NEEDS_INDIVIDUALIZATION, when it came in an Open's window.
    pending_required: Option<RequiredVersion>,
    success_since_needs: bool,
    /// READER-NO-RIGHTS-AFTER-SUCCEED: the INDI_SUCCEED that owes a
    /// WMT_NO_RIGHTS_EX, its line and quote.
    no_rights_due: Option<(usize, Option<Box<str>>)>,
    held: VecDeque<Held>,
    /// The digest of the last long URL read.
    digests: Digests,
}

impl<'s> Monitor<'s> {
    /// A monitor for one trace.
    pub fn new(spec: &'s Spec, options: CheckOptions) -> Monitor<'s> {
        Monitor {
            spec,
            options,
            violations: Vec::new(),
            notes: Vec::new(),
            line: 0,
            ts: None,
            quote: None,
            component: ComponentVersion::Unknown,
            known_from: None,
            service: None,
            reflects: None,
            open: OpenSessions::default(),
            installing: 0,
            sessions_opened: 0,
            unended: None,
            locked: false,
            stale_readers: false,
            revocations: VecDeque::new(),
            open_window: None,
            late_needs_owed: false,
            needs_since_no_rights: false,
            pending_required: None,
            success_since_needs: false,
            no_rights_due: None,
            held: VecDeque::new(),
            digests: Digests::default(),
        }
    }

    /// The level of `rule` in the spec.
    pub fn level(&self, rule: Rule) -> Level {
        self.spec.rule(rule).level
    }

    /// Judges the record at 1-based `line`.
    pub fn feed(&mut self, line: usize, record: &Record<'_>) {
        if let Some((channel, v)) = status_of(record) {
            if matches!(self.route(channel), Target::AfterLast(_) | Target::Nobody) {
                // A session's statuses start with INDI_BEGIN: what was held
                // before one is strays, and nothing is held until one comes.
                let begin = v.indi_status() == Some(self.spec.phases.first);
                if begin {
                    self.release_strays();
                }
                if begin || !self.held.is_empty() {
                    let url = v.url.as_deref().map(|url| self.digests.of(url).to_compact());
                    let value = IndividualizeStatus { url: None, ..v.clone() }.into_owned();
                    self.hold(Held { line, ts: record.ts.clone(), channel, value, url, quote: None });
                    return;
                }
            }
        }
        let opens = opens_session(record);
        if !opens {
            self.release_strays();
        }
        self.line = line;
        self.ts.clone_from(&record.ts);
        match &record.body {
            Body::Header { component_version, service_version } => {
                self.component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
                self.known_from = component_version.map(|_| KnownFrom::Header);
                self.service = *service_version;
            }
            Body::Call { call, hr } => {
                self.close_open_window();
                self.call(call, *hr);
            }
            Body::Status { status: Status::Individualize(value), .. } => {
                let url = value.url.as_deref().map(|url| self.digests.of(url));
                self.status(Path::Reader, value, url);
            }
            Body::Status { status: Status::NeedsIndividualization, .. } => self.needs_individualization(),
            Body::Status { status: Status::NoRightsEx, .. } => self.no_rights(),
            Body::Event { event: Event::Progress(value), .. } => {
                let url = value.url.as_deref().map(|url| self.digests.of(url));
                self.status(Path::Security, value, url);
            }
            Body::Event { event: Event::Completed, hr } => self.completed(*hr),
            Body::Event { event: Event::RevocationCompleted, .. } => self.revocation_completed(),
        }
        if opens {
            self.release_to_session();
        }
    }

    /// [`Monitor::feed`], given the text of the line too: the findings about
    /// this line that come after it (at the end of the trace, or once later
    /// records decide them) quote it in [`Violation::quote`], shortened to
    /// [`QUOTE_CHARS`]. The text is copied only when the record leaves an
    /// obligation, so this costs [`Monitor::feed`]'s time otherwise.
    pub fn feed_quoted(&mut self, line: usize, record: &Record<'_>, text: &str) {
        self.feed(line, record);
        let mut made: Option<Box<str>> = None;
        let mut quote = || made.get_or_insert_with(|| crate::text::shorten(text, QUOTE_CHARS).into()).clone();
        if let Some(h) = self.held.back_mut().filter(|h| h.line == line && h.quote.is_none()) {
            h.quote = Some(quote());
        }
        for path in [Path::Reader, Path::Security] {
            if let Some(s) = self.open.top_mut(path).filter(|s| s.opened_line == line && s.quote.is_none()) {
                s.quote = Some(quote());
            }
        }
        if let Some((l, q)) = self.revocations.back_mut() {
            if *l == line && q.is_none() {
                *q = Some(quote());
            }
        }
        if let Some(w) = self.open_window.as_mut() {
            if w.line == line && w.quote.is_none() && w.expected() == Some(true) {
                w.quote = Some(quote());
            }
        }
        if let Some((l, q)) = self.no_rights_due.as_mut() {
            if *l == line && q.is_none() {
                *q = Some(quote());
            }
        }
    }

    /// Takes the violations found so far.
    pub fn drain_violations(&mut self) -> std::vec::Drain<'_, Violation> {
        self.violations.drain(..)
    }

    /// Takes the notes made so far.
    pub fn drain_notes(&mut self) -> std::vec::Drain<'_, Note> {
        self.notes.drain(..)
    }

    /// Ends the trace: judges what must have happened by the end (unless the
    /// trace is partial) and returns what was not drained yet.
    pub fn finish(self) -> (Vec<Violation>, Vec<Note>) {
        let mut violations = Vec::new();
        let notes = self.finish_each(&mut |v| violations.push(v));
        (violations, notes)
    }

    /// [`Monitor::finish`] without collecting: hands each violation not
    /// drained yet to `found`, then those of the end of the trace in line
    /// order (the obligations of one line in a fixed order: the Open's
    /// window, the session, a session closed unended, refreshes, the
    /// WMT_NO_RIGHTS_EX owed), one at a time, so that ending a trace with a
    /// million open sessions needs no memory beyond theirs. Returns the notes
    /// not drained yet.
    pub fn finish_each(mut self, found: &mut dyn FnMut(Violation)) -> Vec<Note> {
        if !self.options.partial {
            self.release_strays();
        }
        for v in self.violations.drain(..) {
            found(v);
        }
        if self.options.partial {
            return self.notes;
        }
        let spec = self.spec;
        // Every source is in line order; merge them, ties in source order.
        let mut window = self.open_window_at_end().into_iter().peekable();
        let mut sessions = std::mem::take(&mut self.open)
            .into_oldest_first()
            .map(|s| match s.terminal {
                None => sessions::never_ended(spec, s.number, s.opened_line, false, s.quote),
                Some(t) => security::never_completed(&s, t),
            })
            .peekable();
        let mut unended = self
            .unended
            .take()
            .map(|(number, line, quote)| sessions::never_ended(spec, number, line, true, quote))
            .into_iter()
            .peekable();
        let mut refreshes =
            std::mem::take(&mut self.revocations).into_iter().map(security::refresh_never_completed).peekable();
        let mut no_rights = self.no_rights_at_end().into_iter().peekable();
        loop {
            let lines = [
                window.peek().map(|v| v.line),
                sessions.peek().map(|v| v.line),
                unended.peek().map(|v| v.line),
                refreshes.peek().map(|v| v.line),
                no_rights.peek().map(|v| v.line),
            ];
            let Some(first) = lines.iter().enumerate().filter_map(|(i, l)| l.map(|l| (l, i))).min().map(|(_, i)| i)
            else {
                break;
            };
            let next = match first {
                0 => window.next(),
                1 => sessions.next(),
                2 => unended.next(),
                3 => refreshes.next(),
                _ => no_rights.next(),
            };
            if let Some(v) = next {
                found(v);
            }
        }
        self.notes
    }

    /// Holds a status that has no open session to go to; beyond
    /// [`HOLD_LIMIT`], every held one is judged as a stray.
    fn hold(&mut self, held: Held) {
        self.held.push_back(held);
        if self.held.len() > HOLD_LIMIT {
            self.release_strays();
        }
    }

    /// Judges the held statuses as strays: no start call followed them.
    fn release_strays(&mut self) {
        while let Some(h) = self.held.pop_front() {
            self.replay(h);
        }
    }

    /// SESSION-CALL-RETURNS-FIRST: after a start call that opened a session,
    /// the statuses held before it are that session's, judged in their order.
    fn release_to_session(&mut self) {
        if self.held.is_empty() {
            return;
        }
        if let Some(s) = self.open.newest() {
            let (number, first, count) = (s.number, self.held[0].line, self.held.len());
            let what = if count == 1 { "a status".to_string() } else { format!("{count} statuses") };
            self.emit(
                Rule::SessionCallReturnsFirst,
                Some(number),
                format!("{what} of session {number} came before its start call's record (from line {first})"),
            );
        }
        self.release_strays();
    }

    /// Judges a held status at its own line.
    fn replay(&mut self, h: Held) {
        let (line, ts, quote) = (self.line, self.ts.take(), self.quote.take());
        self.line = h.line;
        self.ts = h.ts;
        self.quote = h.quote;
        self.status(h.channel, &h.value, h.url.as_ref().map(UrlRef::Compact));
        self.line = line;
        self.ts = ts;
        self.quote = quote;
    }

    fn emit(&mut self, rule: Rule, session: Option<u32>, message: String) {
        self.violations.push(Violation {
            rule,
            line: self.line,
            session,
            message,
            ts: self.ts.clone(),
            quote: self.quote.clone(),
        });
    }

    fn note(&mut self, rule: Rule, message: String) {
        self.notes.push(Note { rule, line: self.line, message });
    }

    fn call(&mut self, call: &Call<'_>, hr: Hresult) {
        match call {
            Call::Open { required_version } => self.open_content(*required_version),
            Call::Individualize { flags } => self.individualize(*flags, hr),
            Call::PerformSecurityUpdate { flags } => self.perform_security_update(*flags, hr),
            Call::CancelIndividualization => self.cancel(Path::Reader, hr),
            Call::CancelAsyncOperation => self.cancel(Path::Security, hr),
            Call::GetSecurityVersion { version } => self.get_security_version(version.as_deref(), hr),
        }
    }

    /// The general reading of who owns a status: the most recently opened
    /// open session; with none open, a pending revocation refresh (for a
    /// Progress event), then the last session ever opened, then nobody.
    fn route(&self, channel: Path) -> Target {
        if let Some(path) = self.open.newest_path() {
            return Target::Session(path);
        }
        if channel == Path::Security && !self.revocations.is_empty() {
            return Target::Refresh;
        }
        if self.sessions_opened > 0 {
            return Target::AfterLast(self.sessions_opened);
        }
        Target::Nobody
    }

    fn status(&mut self, channel: Path, v: &IndividualizeStatus<'_>, url: Option<UrlRef<'_>>) {
        let target = self.route(channel);
        let number = match target {
            Target::Session(path) => self.open.of(path).last().map(|s| s.number),
            Target::AfterLast(n) => Some(n),
            Target::Refresh | Target::Nobody => None,
        };
        let indi = v.indi_status();
        let http = v.http_status();
        self.value_rules(number, v, url, indi, http);
        self.http_value_rules(number, v, http);
        // A field that is not a defined value is reported above; every other
        // rule still judges the status, passing over what it cannot read.
        match target {
            Target::Session(path) => {
                if self.session_takes(path, channel, v) {
                    self.session_status(path, v, url, indi, http);
                }
            }
            Target::Refresh => self.progress_during_refresh(v),
            Target::AfterLast(number) => self.after_last_session(number, channel, v),
            Target::Nobody => self.unsolicited(v),
        }
    }

    /// Judges one status of the open session at `at`, each area's checks in
    /// turn, then updates what the session remembers.
    fn session_status(
        &mut self,
        path: Path,
        v: &IndividualizeStatus<'_>,
        url: Option<UrlRef<'_>>,
        indi: Option<IndiStatus>,
        http: Option<HttpStatus>,
    ) {
        let spec = self.spec;
        let trip = http.and_then(|h| spec.http.trip(h, v.http_request));
        let key = http.map(|h| (trip.unwrap_or(i64::MIN), spec.http.rank(h)));
        let step = Step { v, url, indi, http, trip, key };
        let mut found = Found::new();
        let Some(s) = self.open.top_mut(path) else {
            return;
        };
        let number = s.number;
        let was_installing = s.installed && s.terminal.is_none();

        sessions::phase_rules(spec, s, &step, &mut found);
        http::against_previous(spec, s, &step, &mut found);
        http::trip_total(s, &step, &mut found);
        http::url_stable(s, &step, &mut found);
        cancellation::stops_work(s, &step, &mut found);
        if indi == Some(IndiStatus::Install) {
            cancellation::install_after_cancel(s, &step, &mut found);
        }
        sessions::install_after_download(s, &step, &mut found);
        security::as_needed(s, &step, &mut found);
        sessions::track_download_and_install(spec, s, &step);
        http::remember(s, &step);

        let mut note = None;
        let mut ended = None;
        if let Some(indi) = indi.filter(|i| spec.phases.is_terminal(*i)) {
            s.terminal = Some(indi);
            match indi {
                IndiStatus::Succeed => {
                    http::succeed_completed(spec, &step, &mut found);
                    note = sessions::succeed_installed(s, &mut found);
                    cancellation::install_after_cancel(s, &step, &mut found);
                    sessions::download_reported(s, &mut found);
                    security::force(s, &mut found);
                }
                IndiStatus::Cancel => {
                    cancellation::requires_call(s, &mut found);
                    sessions::download_reported(s, &mut found);
                }
                _ => sessions::download_reported(s, &mut found),
            }
            ended = Some((s.path, s.flags, s.installed, indi));
        }
        let installing = s.installed && s.terminal.is_none();
        if installing != was_installing {
            if installing {
                self.installing += 1;
            } else {
                self.installing -= 1;
            }
        }
        // A reader session closes at its terminal status, a security session
        // at its Completed event.
        if ended.is_some() && path == Path::Reader {
            self.open.reader.pop();
        }

        for (rule, message) in found {
            self.emit(rule, Some(number), message);
        }
        if let Some(message) = note {
            self.note(Rule::SessionSucceedInstalled, message);
        }
        if let Some((path, flags, installed, indi)) = ended {
            if installed && indi == IndiStatus::Succeed {
                self.installed_and_succeeded();
            }
            self.session_ended(path, flags, indi);
        }
    }
}

/// The channel and value of a status or Progress event.
fn status_of<'r, 'a>(record: &'r Record<'a>) -> Option<(Path, &'r IndividualizeStatus<'a>)> {
    match &record.body {
        Body::Status { status: Status::Individualize(v), .. } => Some((Path::Reader, v)),
        Body::Event { event: Event::Progress(v), .. } => Some((Path::Security, v)),
        _ => None,
    }
}

/// Whether `record` is a start call that opens a session when none is open:
/// it returned a success code, and it is Individualize, or
/// PerformSecurityUpdate with the 0x1 or the 0x4 bit and other than exactly
/// 0x2 (the general readings).
fn opens_session(record: &Record<'_>) -> bool {
    match &record.body {
        Body::Call { call: Call::Individualize { .. }, hr } => hr.is_success(),
        Body::Call { call: Call::PerformSecurityUpdate { flags }, hr } => {
            let (indiv, force) = (SecurityFlag::Indiv.value(), SecurityFlag::ForceIndiv.value());
            hr.is_success() && *flags != SecurityFlag::RevocationRefresh.value() && flags & (indiv | force) != 0
        }
        _ => false,
    }
}

/// How messages name a status: by its enIndiStatus, or by the undefined value.
fn status_name(v: &IndividualizeStatus<'_>) -> String {
    match v.indi_status() {
        Some(indi) => indi.to_string(),
        None => format!("a status with enIndiStatus {:#x}", v.indi),
    }
}

/// A violation of an obligation the end of the trace left unmet, reported at
/// the line that created it.
fn at_end(rule: Rule, line: usize, session: Option<u32>, message: String, quote: Option<Box<str>>) -> Violation {
    Violation { rule, line, session, message, ts: None, quote }
}

/// Everything one check of a whole trace found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Records read.
    pub records: u64,
    /// Every violation, in the order found.
    pub violations: Vec<Violation>,
    /// Rules that could not be judged somewhere, and why.
    pub notes: Vec<Note>,
}

/// Checks a whole trace of records already in memory (record `i` of
/// `records` is line `i + 1`), keeping every finding: what [`check_reader`]
/// finds in the same records written as a trace. What that reader refuses
/// as input (no record at all, a header after line 1, a line over
/// [`crate::reader::MAX_LINE_BYTES`]) is judged here as given.
pub fn check_records(spec: &Spec, records: &[Record<'_>], options: CheckOptions) -> Outcome {
    let outcome = keep_every_finding(spec, options, |feed| {
        for (i, record) in records.iter().enumerate() {
            feed(i + 1, record);
        }
        Ok::<_, std::convert::Infallible>(records.len() as u64)
    });
    outcome.unwrap_or_else(|never| match never {})
}

/// Reads and checks a whole trace, keeping every finding in memory. For
/// bounded memory on huge traces drive [`Monitor`] and drain as you go.
pub fn check_reader<R: std::io::BufRead>(
    spec: &Spec,
    input: R,
    options: CheckOptions,
) -> Result<Outcome, crate::Error> {
    keep_every_finding(spec, options, |feed| {
        let mut reader = crate::TraceReader::new(input);
        while let Some((line, record)) = reader.next_record()? {
            feed(line, &record);
        }
        Ok(reader.records())
    })
}

/// A check of a whole trace that keeps every finding: `records` hands each
/// record with its line to the function it is given, and returns how many
/// it read.
fn keep_every_finding<E>(
    spec: &Spec,
    options: CheckOptions,
    records: impl FnOnce(&mut dyn FnMut(usize, &Record<'_>)) -> Result<u64, E>,
) -> Result<Outcome, E> {
    let mut monitor = Monitor::new(spec, options);
    let mut violations = Vec::new();
    let records = records(&mut |line, record| {
        monitor.feed(line, record);
        violations.extend(monitor.drain_violations());
    })?;
    let (rest, notes) = monitor.finish();
    violations.extend(rest);
    Ok(Outcome { records, violations, notes })
}
