//! The streaming checker: judges a trace one record at a time against every
//! rule of the spec, keeping only the state of open sessions and a few
//! obligations, so memory never grows with the trace's length.
//!
//! The phase table and the HTTP order come from the loaded [`Spec`]; this
//! module holds the rules' logic, not a second copy of the tables. Each check
//! names the [`Rule`] it enforces, and every reading it makes is written next
//! to that rule in the spec file.

use std::collections::VecDeque;
use std::fmt::Write as _;

use serde_json::Number;

use crate::catalog::{Level, Rule, Spec};
use crate::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use crate::vocab::{
    ComponentVersion, Hresult, HttpStatus, IndiStatus, KnownHresult, Path, ReaderFlag, RequiredVersion, SecurityFlag,
    SecurityVersion,
};

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
}

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

/// The HTTP figures of a session's previous status.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    http_request: u32,
    /// The position in the HTTP order: (trip or `i64::MIN` before every trip, rank).
    key: (i64, u8),
    trip: Option<i64>,
    progress: u32,
}

#[derive(Clone, Copy, Debug)]
struct CancelMark {
    phase: Option<IndiStatus>,
    trip: Option<i64>,
}

#[derive(Debug)]
struct Session {
    number: u32,
    opened_line: usize,
    path: Path,
    flags: u32,
    /// For a security session: whether the client was at least as new as the
    /// service at the start call, when both were known.
    up_to_date: Option<bool>,
    phase: Option<IndiStatus>,
    terminal: Option<IndiStatus>,
    last: Option<Snapshot>,
    /// The first non-zero total of the current trip.
    trip_total: Option<u32>,
    /// Progress and total of the last INDI_DOWNLOAD status.
    last_download: Option<(u32, u32)>,
    installed: bool,
    cancel: Option<CancelMark>,
}

impl Session {
    fn download_finished(&self) -> bool {
        self.last_download.is_some_and(|(progress, total)| total > 0 && progress == total)
    }
}

#[derive(Debug)]
struct OpenWindow {
    line: usize,
    seen: bool,
    /// The component's version and the content's requirement, when the
    /// version is known; kept rather than a message so that an Open costs no
    /// formatting.
    versions: Option<(SecurityVersion, RequiredVersion)>,
}

impl OpenWindow {
    /// Whether WMT_NEEDS_INDIVIDUALIZATION must come; `None` when the version is unknown.
    fn expected(&self) -> Option<bool> {
        self.versions.map(|(c, required)| c.is_outdated_for(required))
    }

    fn why(&self) -> String {
        match (self.versions, self.expected()) {
            (Some((c, required)), Some(true)) => {
                format!("component {c} is out of date for content requiring {required}")
            }
            (Some((c, required)), _) => format!("component {c} satisfies content requiring {required}"),
            (None, _) => "the component's version is unknown".into(),
        }
    }
}

/// Where a status goes.
enum Target {
    Session(usize),
    Stray(Rule, Option<u32>),
}

/// The streaming checker. Feed it records in order with their line numbers,
/// drain what it found as you go, and call [`Monitor::finish`] at the end.
pub struct Monitor<'s> {
    spec: &'s Spec,
    options: CheckOptions,
    violations: Vec<Violation>,
    notes: Vec<Note>,
    line: usize,
    ts: Option<Number>,
    component: ComponentVersion,
    service: Option<SecurityVersion>,
    /// After a session installed and succeeded: the version GetSecurityVersion
    /// must report (`Some(None)`: any individualized version).
    reflects: Option<Option<SecurityVersion>>,
    open: Vec<Session>,
    sessions_opened: u32,
    locked: bool,
    last_reader_success_flags: Option<u32>,
    revocations: VecDeque<usize>,
    open_window: Option<OpenWindow>,
    needs_since_no_rights: bool,
    success_since_needs: bool,
    no_rights_due: Option<usize>,
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
            component: ComponentVersion::Unknown,
            service: None,
            reflects: None,
            open: Vec::new(),
            sessions_opened: 0,
            locked: false,
            last_reader_success_flags: None,
            revocations: VecDeque::new(),
            open_window: None,
            needs_since_no_rights: false,
            success_since_needs: false,
            no_rights_due: None,
        }
    }

    /// The level of `rule` in the spec.
    pub fn level(&self, rule: Rule) -> Level {
        self.spec.rule(rule).level
    }

    /// Judges the record at 1-based `line`.
    pub fn feed(&mut self, line: usize, record: &Record<'_>) {
        self.line = line;
        self.ts.clone_from(&record.ts);
        match &record.body {
            Body::Header { component_version, service_version } => {
                self.component = component_version.map_or(ComponentVersion::Unknown, ComponentVersion::Known);
                self.service = *service_version;
            }
            Body::Call { call, hr } => {
                self.close_open_window();
                self.call(call, *hr);
            }
            Body::Status { status: Status::Individualize(value), .. } => self.status(Path::Reader, value),
            Body::Status { status: Status::NeedsIndividualization, .. } => self.needs_individualization(),
            Body::Status { status: Status::NoRightsEx, .. } => self.no_rights(),
            Body::Event { event: Event::Progress(value), .. } => self.status(Path::Security, value),
            Body::Event { event: Event::Completed, hr } => self.completed(*hr),
            Body::Event { event: Event::RevocationCompleted, .. } => {
                if self.revocations.pop_front().is_none() {
                    self.emit(
                        Rule::SecurityRevocationOnly,
                        None,
                        "MEWMDRMRevocationDownloadCompleted without a pending revocation refresh".into(),
                    );
                }
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
    pub fn finish(mut self) -> (Vec<Violation>, Vec<Note>) {
        if !self.options.partial {
            let mut end = Vec::new();
            if let Some(w) = self.open_window.take() {
                if w.expected() == Some(true) && !w.seen {
                    end.push((
                        Rule::ReaderNeedsWhenOutdated,
                        w.line,
                        None,
                        format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the end of the trace", w.why()),
                    ));
                }
            }
            for s in &self.open {
                match s.terminal {
                    None => end.push((
                        Rule::SessionEnds,
                        s.opened_line,
                        Some(s.number),
                        format!(
                            "session {} never reported a terminal status (INDI_SUCCEED, INDI_FAIL or INDI_CANCEL)",
                            s.number
                        ),
                    )),
                    Some(t) => end.push((
                        Rule::SecurityCompletedOnce,
                        s.opened_line,
                        Some(s.number),
                        format!("session {} reported {t} but no MEWMDRMIndividualizationCompleted followed", s.number),
                    )),
                }
            }
            for line in &self.revocations {
                end.push((
                    Rule::SecurityRevocationOnly,
                    *line,
                    None,
                    "the revocation refresh never produced MEWMDRMRevocationDownloadCompleted".into(),
                ));
            }
            if let Some(line) = self.no_rights_due {
                end.push((
                    Rule::ReaderNoRightsAfterSucceed,
                    line,
                    None,
                    "individualization succeeded after WMT_NEEDS_INDIVIDUALIZATION, but no WMT_NO_RIGHTS_EX followed"
                        .into(),
                ));
            }
            end.sort_by_key(|(_, line, _, _)| *line);
            for (rule, line, session, message) in end {
                self.violations.push(Violation { rule, line, session, message, ts: None });
            }
        }
        (self.violations, self.notes)
    }

    fn emit(&mut self, rule: Rule, session: Option<u32>, message: String) {
        self.violations.push(Violation { rule, line: self.line, session, message, ts: self.ts.clone() });
    }

    fn note(&mut self, rule: Rule, message: String) {
        self.notes.push(Note { rule, line: self.line, message });
    }

    // --- calls -----------------------------------------------------------

    fn call(&mut self, call: &Call<'_>, hr: Hresult) {
        match call {
            Call::Open { required_version } => {
                let versions = match self.component {
                    ComponentVersion::Known(c) => Some((c, *required_version)),
                    ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => {
                        self.note(
                            Rule::ReaderNeedsWhenOutdated,
                            "the component's version is unknown here, so whether WMT_NEEDS_INDIVIDUALIZATION is due cannot be judged".into(),
                        );
                        None
                    }
                };
                self.open_window = Some(OpenWindow { line: self.line, seen: false, versions });
            }
            Call::Individualize { flags } => {
                let refusal = if ReaderFlag::from_value(*flags).is_none() {
                    Some((Rule::ReaderFlagsValid, KnownHresult::EInvalidArg, "flags other than 0x0 or 0x1"))
                } else if !self.open.is_empty() {
                    Some((Rule::SessionOneAtATime, KnownHresult::Individualizing, "a session is open"))
                } else if self.locked {
                    Some((
                        Rule::ReaderNoReindiv,
                        KnownHresult::AlreadyIndividualized,
                        "an earlier Individualize(0x1) succeeded",
                    ))
                } else {
                    None
                };
                match refusal {
                    Some((rule, code, why)) => self.expect_refusal(rule, code, hr, why, *flags, "Individualize"),
                    None if hr.is_failure() && self.last_reader_success_flags == Some(0) => self.emit(
                        Rule::ReaderReindivAllowed,
                        None,
                        format!("Individualize({flags:#x}) returned {hr} after an Individualize(0x0) session succeeded; expected it to be accepted"),
                    ),
                    None => {}
                }
                if hr.is_success() {
                    self.open_session(Path::Reader, *flags);
                }
            }
            Call::PerformSecurityUpdate { flags } => {
                let refresh = *flags == SecurityFlag::RevocationRefresh.value();
                let refusal = if SecurityFlag::from_value(*flags).is_none() {
                    Some((
                        Rule::SecurityFlagsOne,
                        KnownHresult::EInvalidArg,
                        "flags that are not exactly one of 0x1, 0x2, 0x4",
                    ))
                } else if !refresh && !self.open.is_empty() {
                    Some((Rule::SessionOneAtATime, KnownHresult::Individualizing, "a session is open"))
                } else {
                    None
                };
                if let Some((rule, code, why)) = refusal {
                    self.expect_refusal(rule, code, hr, why, *flags, "PerformSecurityUpdate");
                }
                if hr.is_success() {
                    if refresh {
                        self.revocations.push_back(self.line);
                    } else {
                        self.open_session(Path::Security, *flags);
                    }
                }
            }
            Call::CancelIndividualization => self.cancel(Path::Reader, hr),
            Call::CancelAsyncOperation => self.cancel(Path::Security, hr),
            Call::GetSecurityVersion { version } => {
                if hr.is_failure() {
                    return;
                }
                let Some(text) = version else {
                    self.emit(
                        Rule::SecurityVersionForm,
                        None,
                        "GetSecurityVersion returned a success code but no version".into(),
                    );
                    return;
                };
                let Some(reported) = SecurityVersion::parse(text) else {
                    self.emit(
                        Rule::SecurityVersionForm,
                        None,
                        format!("GetSecurityVersion reported `{text}`, expected four dot-separated numbers, the fourth 0 or 1"),
                    );
                    return;
                };
                match self.reflects {
                    Some(Some(service)) if reported != service => self.emit(
                        Rule::SecurityVersionReflects,
                        None,
                        format!("GetSecurityVersion reported {reported} after a session installed and succeeded; expected the service's version {service}"),
                    ),
                    Some(None) if !reported.is_individualized() => self.emit(
                        Rule::SecurityVersionReflects,
                        None,
                        format!("GetSecurityVersion reported {reported} after a session installed and succeeded; expected a fourth number of 1"),
                    ),
                    _ => {}
                }
                self.component = ComponentVersion::Known(reported);
            }
        }
    }

    fn expect_refusal(&mut self, rule: Rule, code: KnownHresult, hr: Hresult, why: &str, flags: u32, api: &str) {
        if hr != Hresult::from(code) {
            let opened = if hr.is_success() { " and opened a session" } else { "" };
            self.emit(rule, None, format!("{api}({flags:#x}) with {why} returned {hr}{opened}; expected {code}"));
        }
    }

    fn open_session(&mut self, path: Path, flags: u32) {
        self.sessions_opened += 1;
        let up_to_date = self.component.up_to_date(self.service);
        self.open.push(Session {
            number: self.sessions_opened,
            opened_line: self.line,
            path,
            flags,
            up_to_date,
            phase: None,
            terminal: None,
            last: None,
            trip_total: None,
            last_download: None,
            installed: false,
            cancel: None,
        });
    }

    fn cancel(&mut self, path: Path, hr: Hresult) {
        if hr.is_failure() {
            return;
        }
        if let Some(s) = self.open.iter_mut().rev().find(|s| s.path == path) {
            if s.cancel.is_none() {
                s.cancel = Some(CancelMark { phase: s.phase, trip: s.last.and_then(|l| l.trip) });
            }
        }
    }

    fn close_open_window(&mut self) {
        if let Some(w) = self.open_window.take() {
            if w.expected() == Some(true) && !w.seen {
                let line = self.line;
                self.line = w.line;
                let ts = self.ts.take();
                self.emit(
                    Rule::ReaderNeedsWhenOutdated,
                    None,
                    format!("{}, but no WMT_NEEDS_INDIVIDUALIZATION came before the next call (line {line})", w.why()),
                );
                if let Some(v) = self.violations.last_mut() {
                    v.ts = None;
                }
                self.line = line;
                self.ts = ts;
            }
        }
    }

    // --- reader notifications ---------------------------------------------

    fn needs_individualization(&mut self) {
        match &mut self.open_window {
            Some(w) if !w.seen => {
                w.seen = true;
                if w.expected() == Some(false) {
                    let message = format!("WMT_NEEDS_INDIVIDUALIZATION was sent although {}", w.why());
                    self.emit(Rule::ReaderNeedsWhenOutdated, None, message);
                }
            }
            _ => self.emit(
                Rule::ReaderNeedsWhenOutdated,
                None,
                "WMT_NEEDS_INDIVIDUALIZATION without an Open of its own".into(),
            ),
        }
        self.needs_since_no_rights = true;
        self.success_since_needs = false;
    }

    fn no_rights(&mut self) {
        if self.needs_since_no_rights && !self.success_since_needs {
            self.emit(
                Rule::ReaderNoRightsNotBefore,
                None,
                "WMT_NO_RIGHTS_EX after WMT_NEEDS_INDIVIDUALIZATION, before any Individualize session succeeded".into(),
            );
        }
        self.needs_since_no_rights = false;
        self.success_since_needs = false;
        self.no_rights_due = None;
    }

    // --- security events --------------------------------------------------

    fn completed(&mut self, hr: Hresult) {
        let Some(at) = self.open.iter().rposition(|s| s.path == Path::Security) else {
            let last = (self.sessions_opened > 0).then_some(self.sessions_opened);
            self.emit(
                Rule::SecurityCompletedOnce,
                last,
                "MEWMDRMIndividualizationCompleted with no open PerformSecurityUpdate session".into(),
            );
            return;
        };
        let session = self.open.remove(at);
        match session.terminal {
            None => self.emit(
                Rule::SecurityCompletedMatches,
                Some(session.number),
                format!(
                    "MEWMDRMIndividualizationCompleted before session {} reported a terminal status",
                    session.number
                ),
            ),
            Some(t) if hr.is_success() != (t == IndiStatus::Succeed) => self.emit(
                Rule::SecurityCompletedMatches,
                Some(session.number),
                format!(
                    "MEWMDRMIndividualizationCompleted carries {hr} ({}) but the session ended in {t}",
                    if hr.is_success() { "success" } else { "failure" }
                ),
            ),
            Some(_) => {}
        }
    }

    // --- statuses -----------------------------------------------------------

    fn route(&self, channel: Path) -> Target {
        if !self.open.is_empty() {
            return Target::Session(self.open.len() - 1);
        }
        if channel == Path::Security && !self.revocations.is_empty() {
            return Target::Stray(Rule::SecurityRevocationOnly, None);
        }
        if self.sessions_opened > 0 {
            return Target::Stray(Rule::SessionOneTerminal, Some(self.sessions_opened));
        }
        Target::Stray(Rule::SessionUnsolicited, None)
    }

    fn status(&mut self, channel: Path, v: &IndividualizeStatus<'_>) {
        let target = self.route(channel);
        let number = match target {
            Target::Session(at) => Some(self.open[at].number),
            Target::Stray(_, n) => n,
        };
        let indi = v.indi_status();
        let http = v.http_status();
        self.value_rules(number, v, indi, http);
        let (Some(indi), Some(http)) = (indi, http) else {
            return;
        };
        let at = match target {
            Target::Session(at) => at,
            Target::Stray(rule, number) => {
                let message = match rule {
                    Rule::SecurityRevocationOnly => format!(
                        "{indi} progress event during a revocation refresh, which produces no individualization statuses"
                    ),
                    Rule::SessionOneTerminal => format!("{indi} after session {} ended", self.sessions_opened),
                    _ => format!("{indi} before any start call was accepted"),
                };
                self.emit(rule, number, message);
                return;
            }
        };
        let (path, number, terminal) = {
            let s = &self.open[at];
            (s.path, s.number, s.terminal)
        };
        if path != channel {
            self.emit(
                Rule::SessionChannel,
                Some(number),
                format!(
                    "session {number} reports through {}, but this status came as {}",
                    path.channel(),
                    channel.channel()
                ),
            );
            return;
        }
        if let Some(t) = terminal {
            self.emit(
                Rule::SessionOneTerminal,
                Some(number),
                format!("{indi} after the session's terminal status {t}"),
            );
            return;
        }
        self.session_status(at, v, indi, http);
    }

    fn value_rules(
        &mut self,
        number: Option<u32>,
        v: &IndividualizeStatus<'_>,
        indi: Option<IndiStatus>,
        http: Option<HttpStatus>,
    ) {
        if indi.is_none() {
            let mut message = format!("enIndiStatus {:#x} is not one status value", v.indi);
            if v.indi == 0 {
                message.push_str(" (INDI_UNDEFINED is reserved)");
            } else if v.indi.count_ones() > 1 && v.indi & !0x3f == 0 {
                let _ = write!(message, " (an OR of {} values)", v.indi.count_ones());
            }
            self.emit(Rule::StatusIndiValue, number, message);
        }
        if http.is_none() {
            self.emit(Rule::StatusHttpValue, number, format!("enHTTPStatus {} is not a DRM_HTTP_STATUS value", v.http));
        }
        if let Some(indi) = indi {
            if indi != IndiStatus::Cancel && v.hr.is_failure() != (indi == IndiStatus::Fail) {
                let message = if indi == IndiStatus::Fail {
                    format!("INDI_FAIL carries the success code {}", v.hr)
                } else {
                    format!("{indi} carries the failure code {}", v.hr)
                };
                self.emit(Rule::StatusHrMatches, number, message);
            }
        }
        if let Some(url) = &v.url {
            if !url_is_well_formed(url) {
                self.emit(
                    Rule::StatusUrlForm,
                    number,
                    format!("pszIndiRespUrl {url:?} is not an absolute http(s) URL in ASCII"),
                );
            }
        }
        if http == Some(HttpStatus::Completed) && v.http_request == 0 {
            self.emit(Rule::HttpCompletedCounted, number, "HTTP_COMPLETED with dwHTTPRequest 0".into());
        }
        if v.total > 0 && v.progress > v.total {
            self.emit(
                Rule::ProgressWithinTotal,
                number,
                format!("dwHTTPReadProgress {} exceeds dwHTTPReadTotal {}", v.progress, v.total),
            );
        }
    }

    fn session_status(&mut self, at: usize, v: &IndividualizeStatus<'_>, indi: IndiStatus, http: HttpStatus) {
        let spec = self.spec;
        let trip = spec.http.trip(http, v.http_request);
        let key = (trip.unwrap_or(i64::MIN), spec.http.rank(http));
        let mut found: Vec<(Rule, String)> = Vec::new();
        let s = &mut self.open[at];
        let number = s.number;

        // Phases.
        match s.phase {
            None => {
                if indi != spec.phases.first {
                    found.push((
                        Rule::SessionBeginFirst,
                        format!("the session's first status is {indi}, expected {}", spec.phases.first),
                    ));
                }
                s.phase = Some(indi);
            }
            Some(_) if indi == spec.phases.first => {
                found.push((Rule::SessionBeginFirst, format!("{indi} again; it occurs once, first")));
            }
            Some(current) => {
                if spec.phases.may_follow(current, indi) {
                    s.phase = Some(indi);
                } else {
                    found.push((Rule::SessionPhaseOrder, format!("{indi} may not follow {current}")));
                }
            }
        }
        if indi == IndiStatus::Begin
            && !(v.http_request == 0 && http == HttpStatus::NotInitiated && v.progress == 0 && v.total == 0)
        {
            found.push((
                Rule::SessionBeginClean,
                format!(
                    "INDI_BEGIN reports {} round trips, {http}, progress {} of {}; expected 0, HTTP_NOTINITIATED, 0 of 0",
                    v.http_request, v.progress, v.total
                ),
            ));
        }

        // Round trips and progress, against the previous status.
        if let Some(prev) = s.last {
            if v.http_request < prev.http_request {
                found.push((
                    Rule::HttpCountMonotonic,
                    format!("dwHTTPRequest fell from {} to {}", prev.http_request, v.http_request),
                ));
            } else if u64::from(v.http_request) > u64::from(prev.http_request) + 1 {
                found.push((
                    Rule::HttpCountStep,
                    format!("dwHTTPRequest jumped from {} to {}", prev.http_request, v.http_request),
                ));
            }
            if key < prev.key {
                found.push((
                    Rule::HttpPhaseOrder,
                    format!("{} went backwards from {}", describe_http(trip, http), describe_key(prev, spec)),
                ));
            }
            if trip.is_some() && trip == prev.trip && v.progress < prev.progress {
                found.push((
                    Rule::ProgressMonotonic,
                    format!(
                        "dwHTTPReadProgress fell from {} to {} within round trip {}",
                        prev.progress,
                        v.progress,
                        trip.unwrap_or_default() + 1
                    ),
                ));
            }
        }
        if let Some(t) = trip {
            // A trip is a run of statuses with one round-trip number; coming
            // back to an earlier number (HTTP-COUNT-MONOTONIC) starts a new run.
            let same_trip = s.last.is_some_and(|p| p.trip == Some(t));
            match s.trip_total {
                Some(total) if same_trip && v.total != total => {
                    found.push((
                        Rule::ProgressTotalStable,
                        format!("dwHTTPReadTotal changed from {total} to {} within round trip {}", v.total, t + 1),
                    ));
                }
                Some(_) if same_trip => {}
                _ => s.trip_total = (v.total != 0).then_some(v.total),
            }
        }

        // Cancellation.
        if let Some(c) = s.cancel {
            let new_phase = matches!(indi, IndiStatus::Download | IndiStatus::Install) && Some(indi) != c.phase;
            let new_trip = trip.is_some_and(|t| c.trip.is_none_or(|ct| t > ct));
            if new_phase || new_trip {
                let what = match (new_phase, new_trip) {
                    (true, true) => format!("a new phase ({indi}) and a new round trip"),
                    (true, false) => format!("a new phase ({indi})"),
                    _ => "a new round trip".to_string(),
                };
                found.push((Rule::CancelStopsWork, format!("{what} started after an accepted cancel")));
            }
        }

        // Download and install.
        match indi {
            IndiStatus::Download => s.last_download = Some((v.progress, v.total)),
            IndiStatus::Install if !s.installed => {
                if !s.download_finished() {
                    found.push((Rule::SessionInstallAfterDownload, install_message(s.last_download)));
                }
                if s.path == Path::Security && s.flags == SecurityFlag::Indiv.value() && s.up_to_date == Some(true) {
                    found.push((
                        Rule::SecurityAsNeeded,
                        "an as-needed update installs although the client is not older than the service".into(),
                    ));
                }
                s.installed = true;
            }
            _ => {}
        }

        s.last = Some(Snapshot { http_request: v.http_request, key, trip, progress: v.progress });

        // Terminal statuses.
        let mut note = None;
        let mut success = None;
        if spec.phases.is_terminal(indi) {
            s.terminal = Some(indi);
            match indi {
                IndiStatus::Succeed => {
                    if !(http == HttpStatus::Completed && v.http_request >= 1) {
                        found.push((
                            Rule::HttpSucceedCompleted,
                            format!("INDI_SUCCEED reports {http} after {} round trips; expected HTTP_COMPLETED and at least 1", v.http_request),
                        ));
                    }
                    let complete = s.download_finished() && s.installed;
                    if !complete {
                        let what = match (s.download_finished(), s.installed) {
                            (false, false) => "without a finished download or an INDI_INSTALL",
                            (false, true) => "without a finished download",
                            _ => "without an INDI_INSTALL",
                        };
                        let as_needed = s.path == Path::Security && s.flags == SecurityFlag::Indiv.value();
                        if as_needed && s.up_to_date != Some(false) {
                            if s.up_to_date.is_none() {
                                note = Some("an as-needed update succeeded without installing, and a version is unknown, so whether it had to install cannot be judged".to_string());
                            }
                        } else {
                            found.push((Rule::SessionSucceedInstalled, format!("INDI_SUCCEED {what}")));
                        }
                        if s.path == Path::Security && s.flags == SecurityFlag::ForceIndiv.value() {
                            found.push((Rule::SecurityForce, format!("a forced update reports INDI_SUCCEED {what}")));
                        }
                    }
                    success = Some((s.path, s.flags, s.installed));
                }
                IndiStatus::Cancel if s.cancel.is_none() => {
                    let call = if s.path == Path::Reader { "CancelIndividualization" } else { "CancelAsyncOperation" };
                    found.push((Rule::CancelRequiresCall, format!("INDI_CANCEL without an accepted {call} call")));
                }
                _ => {}
            }
            if s.path == Path::Reader {
                self.open.remove(at);
            }
        }

        for (rule, message) in found {
            self.emit(rule, Some(number), message);
        }
        if let Some(message) = note {
            self.note(Rule::SessionSucceedInstalled, message);
        }
        if let Some((path, flags, installed)) = success {
            if installed {
                self.component = self.service.map_or(ComponentVersion::IndividualizedUnknown, ComponentVersion::Known);
                self.reflects = Some(self.service);
            }
            if path == Path::Reader {
                self.last_reader_success_flags = Some(flags);
                if flags == ReaderFlag::Final.value() {
                    self.locked = true;
                }
                if self.needs_since_no_rights {
                    self.success_since_needs = true;
                    self.no_rights_due.get_or_insert(self.line);
                }
            }
        }
    }
}

fn install_message(last_download: Option<(u32, u32)>) -> String {
    match last_download {
        None => "INDI_INSTALL without any INDI_DOWNLOAD before it".into(),
        Some((progress, total)) => {
            format!(
                "INDI_INSTALL after a download that reported {progress} of {total} bytes; expected progress equal to a non-zero total"
            )
        }
    }
}

fn describe_http(trip: Option<i64>, http: HttpStatus) -> String {
    match trip {
        None => format!("{http}"),
        Some(t) => format!("round trip {} {http}", t + 1),
    }
}

fn describe_key(prev: Snapshot, spec: &Spec) -> String {
    let http = spec.http.order[usize::from(prev.key.1)];
    describe_http(prev.trip, http)
}

/// `STATUS-URL-FORM`: an absolute http(s) URL with a host, printable ASCII.
pub fn url_is_well_formed(url: &str) -> bool {
    // On every status that carries a URL, so one pass per step and no early
    // exit in the byte check (it vectorises).
    let bytes = url.as_bytes();
    let printable = bytes.iter().fold(true, |ok, &b| ok & (b > b' ') & (b < 0x7f));
    if bytes.is_empty() || !printable {
        return false;
    }
    let scheme_is = |scheme: &[u8]| bytes.get(..scheme.len()).is_some_and(|p| p.eq_ignore_ascii_case(scheme));
    let rest = if scheme_is(b"https://") {
        &bytes[8..]
    } else if scheme_is(b"http://") {
        &bytes[7..]
    } else {
        return false;
    };
    let authority = &rest[..memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len())];
    let host = memchr::memrchr(b'@', authority).map_or(authority, |at| &authority[at + 1..]);
    host.first().is_some_and(|&b| b != b':')
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

/// Reads and checks a whole trace, keeping every finding in memory. For
/// bounded memory on huge traces drive [`Monitor`] and drain as you go.
pub fn check_reader<R: std::io::BufRead>(
    spec: &Spec,
    input: R,
    options: CheckOptions,
) -> Result<Outcome, crate::Error> {
    let mut reader = crate::TraceReader::new(input);
    let mut monitor = Monitor::new(spec, options);
    let mut outcome = Outcome::default();
    while let Some((line, record)) = reader.next_record()? {
        monitor.feed(line, &record);
        outcome.violations.extend(monitor.drain_violations());
    }
    outcome.records = reader.records();
    let (violations, notes) = monitor.finish();
    outcome.violations.extend(violations);
    outcome.notes = notes;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::url_is_well_formed;

    #[test]
    fn response_urls_must_be_absolute_http_in_ascii() {
        for good in ["http://a", "HTTPS://indiv.example/r?x=1", "https://user@host:443/p", "http://127.0.0.1:8080/c/1/"]
        {
            assert!(url_is_well_formed(good), "{good}");
        }
        for bad in
            ["", "/relative", "ftp://host/", "http://", "https://:443/", "http://host/a b", "https://hôst/", "http:/x"]
        {
            assert!(!url_is_well_formed(bad), "{bad}");
        }
    }
}
