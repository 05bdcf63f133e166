//! Rule area `sessions`: the shape of one session, from the start call that
//! opens it to its terminal status. Judges SESSION-UNSOLICITED,
//! SESSION-CHANNEL, SESSION-BEGIN-FIRST, SESSION-BEGIN-CLEAN,
//! SESSION-PHASE-ORDER, SESSION-ONE-TERMINAL, SESSION-ENDS,
//! SESSION-INSTALL-AFTER-DOWNLOAD, SESSION-SUCCEED-INSTALLED and
//! SESSION-ONE-AT-A-TIME; it also opens sessions and judges a start call
//! against the refusal it should have returned, for every start-call rule.

use super::{Found, LastDownload, Monitor, Session, Step, Violation, at_end, status_name};
use crate::catalog::{Rule, Spec};
use crate::record::IndividualizeStatus;
use crate::vocab::{Hresult, IndiStatus, KnownHresult, Path, SecurityFlag};

/// A refusal a start call should have returned: the rule that says so, the
/// code expected, and why, for the message.
pub(super) type Refusal = (Rule, KnownHresult, &'static str);

impl Session {
    /// Whether the last INDI_DOWNLOAD says the download finished: progress
    /// equal to a non-zero total, or, for a download of unknown length (total
    /// 0), its round trip finished.
    fn download_finished(&self) -> bool {
        self.last_download.is_some_and(|d| if d.total > 0 { d.progress == d.total } else { d.trip_finished })
    }

    /// What an INDI_SUCCEED of this session lacks, for messages: `None` when
    /// a download finished and an INDI_INSTALL came.
    pub(super) fn success_lacks(&self) -> Option<&'static str> {
        match (self.download_finished(), self.installed) {
            (true, true) => None,
            (false, false) => Some("without a finished download or an INDI_INSTALL"),
            (false, true) => Some("without a finished download"),
            (true, false) => Some("without an INDI_INSTALL"),
        }
    }
}

impl Monitor<'_> {
    /// SESSION-ONE-AT-A-TIME: the refusal a start call that would open a
    /// session should return while one is open.
    pub(super) fn busy(&self) -> Option<Refusal> {
        (!self.open.is_empty()).then_some((Rule::SessionOneAtATime, KnownHresult::Individualizing, "a session is open"))
    }

    /// Reports `rule` when a start call that should have been refused did
    /// not return the expected code; `opens` says whether a success code
    /// opens a session.
    pub(super) fn expect_refusal(
        &mut self,
        (rule, code, why): Refusal,
        hr: Hresult,
        (api, flags, opens): (&str, u32, bool),
    ) {
        if hr != Hresult::from(code) {
            let opened = if opens && hr.is_success() { " and opened a session" } else { "" };
            self.emit(rule, None, format!("{api}({flags:#x}) with {why} returned {hr}{opened}; expected {code}"));
        }
    }

    /// A start call that returned a success code opens a session, even when
    /// it should have been refused. A session its Completed closed before any
    /// terminal status can no longer end: no stray is the last session's now.
    pub(super) fn open_session(&mut self, path: Path, flags: u32) {
        if let Some((number, line, quote)) = self.unended.take() {
            self.never_ended_now(number, line, quote);
        }
        self.sessions_opened += 1;
        let up_to_date = self.component.up_to_date(self.service);
        self.open.of_mut(path).push(Session {
            number: self.sessions_opened,
            opened_line: self.line,
            quote: None,
            path,
            flags,
            up_to_date,
            phase: None,
            begun: false,
            terminal: None,
            last_request: None,
            last: None,
            trip_total: None,
            last_download: None,
            installed: false,
            cancel: None,
            first_url: None,
            download_reported: false,
            bytes_reported: false,
        });
    }

    /// SESSION-CHANNEL and SESSION-ONE-TERMINAL for a status routed to the
    /// open session at `at`: whether it is one of the session's statuses.
    pub(super) fn session_takes(&mut self, path: Path, channel: Path, v: &IndividualizeStatus<'_>) -> bool {
        let Some((number, terminal)) = self.open.of(path).last().map(|s| (s.number, s.terminal)) else {
            return false;
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
            return false;
        }
        if let Some(t) = terminal {
            self.emit(
                Rule::SessionOneTerminal,
                Some(number),
                format!("{} after the session's terminal status {t}", status_name(v)),
            );
            return false;
        }
        true
    }

    /// SESSION-ONE-TERMINAL for a status with no session open, which belongs
    /// to the last session ever opened (`number`). A terminal Progress event
    /// still ends that session if its Completed came first (SESSION-ENDS).
    pub(super) fn after_last_session(&mut self, number: u32, channel: Path, v: &IndividualizeStatus<'_>) {
        self.emit(Rule::SessionOneTerminal, Some(number), format!("{} after session {number} ended", status_name(v)));
        let terminal = v.indi_status().is_some_and(|indi| self.spec.phases.is_terminal(indi));
        if terminal && channel == Path::Security && self.unended.as_ref().is_some_and(|(n, _, _)| *n == number) {
            self.unended = None;
        }
    }

    /// SESSION-UNSOLICITED: a status before any session was opened.
    pub(super) fn unsolicited(&mut self, v: &IndividualizeStatus<'_>) {
        self.emit(Rule::SessionUnsolicited, None, format!("{} before any start call was accepted", status_name(v)));
    }

    /// A security session its Completed closed before any terminal status:
    /// it has not ended (SESSION-ENDS) unless a terminal Progress event still
    /// comes to it, which only the last session opened can receive.
    pub(super) fn closed_unended(&mut self, number: u32, line: usize, quote: Option<Box<str>>) {
        if number == self.sessions_opened {
            self.unended = Some((number, line, quote));
        } else {
            self.never_ended_now(number, line, quote);
        }
    }

    /// SESSION-ENDS for a session that can no longer end, found before the end
    /// of the trace; judged only for complete traces.
    fn never_ended_now(&mut self, number: u32, line: usize, quote: Option<Box<str>>) {
        if !self.options.partial {
            self.violations.push(never_ended(self.spec, number, line, true, quote));
        }
    }
}

/// SESSION-BEGIN-FIRST, SESSION-PHASE-ORDER and SESSION-BEGIN-CLEAN; moves
/// the session to the status's phase when the phase table allows it. A status
/// without a defined phase is passed over.
pub(super) fn phase_rules(spec: &Spec, s: &mut Session, step: &Step<'_, '_>, found: &mut Found) {
    let Some(indi) = step.indi else {
        return;
    };
    let first = spec.phases.first;
    match s.phase {
        None => {
            if indi != first {
                found
                    .push((Rule::SessionBeginFirst, format!("the session's first status is {indi}, expected {first}")));
            }
            s.phase = Some(indi);
        }
        Some(current) if indi == first => {
            // Repeated: SESSION-BEGIN-FIRST; after a later phase, the phase
            // also went backwards: SESSION-PHASE-ORDER.
            if s.begun {
                found.push((Rule::SessionBeginFirst, format!("{indi} again; it occurs once, first")));
            }
            if current != first && !spec.phases.may_follow(current, indi) {
                found.push((Rule::SessionPhaseOrder, format!("{indi} may not follow {current}")));
            }
        }
        Some(current) => {
            if spec.phases.may_follow(current, indi) {
                s.phase = Some(indi);
            } else {
                found.push((Rule::SessionPhaseOrder, format!("{indi} may not follow {current}")));
            }
        }
    }
    s.begun |= indi == first;
    begin_clean(spec, step, found);
}

/// SESSION-BEGIN-CLEAN: the first phase reports no round trip, the status
/// before every trip, and no progress.
fn begin_clean(spec: &Spec, step: &Step<'_, '_>, found: &mut Found) {
    let v = step.v;
    let (first, before) = (spec.phases.first, spec.http.before_any_trip);
    if step.indi == Some(first)
        && !(v.http_request == 0 && step.http == Some(before) && v.progress == 0 && v.total == 0)
    {
        found.push((
            Rule::SessionBeginClean,
            format!(
                "{first} reports {} round trips, {}, progress {} of {}; expected 0, {before}, 0 of 0",
                v.http_request,
                super::http::http_name(step),
                v.progress,
                v.total
            ),
        ));
    }
}

/// SESSION-INSTALL-AFTER-DOWNLOAD, judged at the session's first INDI_INSTALL.
pub(super) fn install_after_download(s: &Session, step: &Step<'_, '_>, found: &mut Found) {
    if step.indi == Some(IndiStatus::Install) && !s.installed && !s.download_finished() {
        found.push((Rule::SessionInstallAfterDownload, install_message(s.last_download)));
    }
}

/// Remembers the last INDI_DOWNLOAD's figures, whether INDI_INSTALL came,
/// and whether a status other than INDI_BEGIN reported downloaded bytes.
pub(super) fn track_download_and_install(spec: &Spec, s: &mut Session, step: &Step<'_, '_>) {
    if step.indi != Some(spec.phases.first) && step.v.progress > 0 {
        s.bytes_reported = true;
    }
    match step.indi {
        Some(IndiStatus::Download) => {
            s.download_reported = true;
            s.last_download = Some(LastDownload {
                progress: step.v.progress,
                total: step.v.total,
                trip_finished: step.http == Some(spec.http.trip_finished),
            })
        }
        Some(IndiStatus::Install) => s.installed = true,
        _ => {}
    }
}

/// SESSION-SUCCEED-INSTALLED at INDI_SUCCEED. Returns a note when the
/// as-needed exception may apply but a version is unknown, or when flags that
/// broke SECURITY-FLAGS-ONE leave the session without a mode.
pub(super) fn succeed_installed(s: &Session, found: &mut Found) -> Option<String> {
    let what = s.success_lacks()?;
    if s.path == Path::Security && SecurityFlag::from_value(s.flags).is_none() {
        return Some(format!(
            "INDI_SUCCEED {what} in a session opened by PerformSecurityUpdate({:#x}), whose flags name no mode, so whether it had to install cannot be judged",
            s.flags
        ));
    }
    let as_needed = s.path == Path::Security && s.flags == SecurityFlag::Indiv.value();
    if as_needed && s.up_to_date != Some(false) {
        return s.up_to_date.is_none().then(|| {
            "an as-needed update succeeded without installing, and a version is unknown, so whether it had to install cannot be judged".to_string()
        });
    }
    found.push((Rule::SessionSucceedInstalled, format!("INDI_SUCCEED {what}")));
    None
}

/// SESSION-DOWNLOAD-REPORTED at the session's terminal status (after the
/// other checks of that status): a session that reported downloaded bytes
/// reported an INDI_DOWNLOAD, unless SESSION-INSTALL-AFTER-DOWNLOAD (a session
/// with INDI_INSTALL) or SESSION-SUCCEED-INSTALLED (at this INDI_SUCCEED)
/// judges the missing download.
pub(super) fn download_reported(s: &Session, found: &mut Found) {
    if s.bytes_reported
        && !s.download_reported
        && !s.installed
        && !found.iter().any(|(rule, _)| *rule == Rule::SessionSucceedInstalled)
    {
        found.push((
            Rule::SessionDownloadReported,
            "the session reported downloaded bytes but never an INDI_DOWNLOAD status".to_string(),
        ));
    }
}

/// SESSION-ENDS: session `number` (opened at `line`) without a terminal
/// status at the end of a complete trace, reported at its start call;
/// `closed` when its Completed closed it first; `quote` is that line's.
pub(super) fn never_ended(spec: &Spec, number: u32, line: usize, closed: bool, quote: Option<Box<str>>) -> Violation {
    let terminals = one_of(&spec.phases.terminals());
    let how = if closed { "; MEWMDRMIndividualizationCompleted closed it without one" } else { "" };
    at_end(
        Rule::SessionEnds,
        line,
        Some(number),
        format!("session {number} never reported a terminal status ({terminals}){how}"),
        quote,
    )
}

/// `A, B or C`.
fn one_of(statuses: &[IndiStatus]) -> String {
    match statuses.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => {
            let rest: Vec<&str> = rest.iter().map(|s| s.name()).collect();
            format!("{} or {last}", rest.join(", "))
        }
    }
}

fn install_message(last_download: Option<LastDownload>) -> String {
    match last_download {
        None => "INDI_INSTALL without any INDI_DOWNLOAD before it".into(),
        Some(LastDownload { total: 0, .. }) => {
            "INDI_INSTALL after a download of unknown length (total 0) whose round trip had not finished".into()
        }
        Some(LastDownload { progress, total, .. }) => {
            format!(
                "INDI_INSTALL after a download that reported {progress} of {total} bytes; expected progress equal to a non-zero total"
            )
        }
    }
}
