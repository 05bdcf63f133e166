//! `indiv certify`: plays cases against an engine in any language over the
//! testee protocol, with a real loopback individualization service, and
//! judges each case's trace by every rule of the spec plus the service rules.
//!
//! A case is a [`Scenario`] — the same value the in-memory simulation plays —
//! so a named case means the same thing here as in `indiv simulate`.

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indiv_engine::scenario::{Phase, PhaseCounts, Trigger, named};
use indiv_engine::service::ServiceBehavior;
use indiv_engine::{AppCall, Scenario};
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{IndiStatus, SecurityFlag, SecurityVersion};
use indiv_spec::{CheckOptions, Level, Monitor, Rule, Spec};

use indiv_service_rules::{self as service_rules, CaseLog, ExchangeRecord, SessionFacts};

use indiv_spec::text::{one_line, shorten};

use crate::QUOTE_CHARS;
use crate::coverage::CaseFacts;
use crate::goals::{self, CallSeen, Goal};
use crate::loopback::{CaseHandle, LoopbackService};
use crate::process::{Incoming, Process};
use crate::protocol::{Capability, HarnessMessage, Implementation, PROTOCOL, TesteeMessage, needs};
use crate::validator::{Direction, ProtocolValidator};

/// The most records one case may produce before it is a flood, when
/// `--max-records` is not given.
pub const MAX_RECORDS_PER_CASE: usize = 100_000;
/// The highest `--max-records` (and `after_statuses` of a case file).
pub const MAX_RECORDS_LIMIT: usize = 1_000_000;
/// How long a testee has to answer, when `--answer-timeout` is not given, in
/// seconds: generous, because starting an interpreter on a loaded machine
/// (several certifications at once, `--jobs`) can take seconds, and a slow
/// machine is not a failing engine.
pub const DEFAULT_ANSWER_TIMEOUT_SECONDS: f64 = 30.0;

/// The protocol's limits: how long the testee has to answer the harness's
/// messages, and how many records a case may bring. Both change verdicts (a
/// testee too slow for them is an ERROR), so reproduce commands carry them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProtocolLimits {
    /// How long a testee has to answer `hello`, `reset` (with `ready`) and
    /// `end` (with `ended`), and to exit after `bye`.
    pub answer_timeout: Duration,
    /// Most records one case may produce; one more is an ERROR.
    pub max_records: usize,
}

impl Default for ProtocolLimits {
    fn default() -> ProtocolLimits {
        ProtocolLimits {
            answer_timeout: Duration::from_secs_f64(DEFAULT_ANSWER_TIMEOUT_SECONDS),
            max_records: MAX_RECORDS_PER_CASE,
        }
    }
}

/// A named case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Its name.
    pub name: String,
    /// What it shows.
    pub about: String,
    /// What it plays.
    pub scenario: Scenario,
}

/// The built-in cases: every named scenario of the reference engine.
pub fn named_cases() -> Vec<Case> {
    named().into_iter().map(|n| Case { name: n.name.into(), about: n.about.into(), scenario: n.scenario }).collect()
}

/// A case's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every rule held.
    Pass,
    /// Only `should` rules broke.
    Nonstrict,
    /// No `must` rule broke, but the case did not show what it is about: a
    /// goal (see [`crate::goals`]) was not reached, or it reached its timeout.
    Inconclusive,
    /// A `must` rule broke.
    Fail,
    /// The testee crashed, hung, broke the protocol or printed garbage.
    Error,
    /// The case needs a capability the testee lacks.
    Skip,
    /// It failed, as the expectations file (`--expect`) says it does.
    Xfail,
}

impl Verdict {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Nonstrict => "NONSTRICT",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
            Verdict::Skip => "SKIP",
            Verdict::Xfail => "XFAIL",
        }
    }
}

/// One broken rule in a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its level.
    pub level: Level,
    /// The trace line.
    pub line: usize,
    /// Expected versus seen.
    pub message: String,
    /// The record at that line.
    pub record: Option<String>,
    /// For a `SERVICE-*` rule: the service's log of the exchanges the status
    /// was judged against, as it stood then, one line each.
    pub service_log: Vec<String>,
}

/// What one case came to.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// The rules it broke.
    pub findings: Vec<Finding>,
    /// Why it is ERROR, SKIP or INCONCLUSIVE; for a case that reached its
    /// timeout, what it was waiting for.
    pub error: Option<String>,
    /// With what the case was waiting for, when it reached its timeout.
    pub timed_out: Option<String>,
    /// Its goals (see [`crate::goals`]), each described, with whether it was reached.
    pub goals: Vec<(String, bool)>,
    /// What it showed, for the rule coverage matrix (see [`crate::coverage`]).
    pub facts: CaseFacts,
    /// How long it took.
    pub duration: Duration,
    /// The trace, JSON Lines, header first.
    pub trace: String,
    /// The end of the testee's stderr, for ERROR cases.
    pub stderr: String,
    /// The scenario played.
    pub scenario: Scenario,
    /// What the service did, exchange by exchange as it stood when the case
    /// ended, each with the trace line by which the harness had seen it
    /// begin (the last line for one seen only at the end); drawn beside the
    /// engine's statuses in `report.html` ([`crate::html`]).
    pub exchanges: Vec<(usize, ExchangeRecord)>,
}

/// How to run the testee and the cases.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The program and its arguments.
    pub program: Vec<OsString>,
    /// Per-case timeout.
    pub timeout: Duration,
    /// Validate every line in both directions against the testee protocol
    /// (see [`crate::validator`]) and log it, numbered, to stderr; the
    /// first mismatch is an ERROR and [`Harness::protocol_mismatch`] turns true.
    pub validate_protocol: bool,
    /// The protocol's limits.
    pub limits: ProtocolLimits,
}

/// Records the testee wrote after a case's `ended`: they belong to that case,
/// which is ERROR for them (see [`Harness::take_settlement`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LateRecords {
    /// How many.
    pub count: usize,
    /// The first one, as written.
    pub first: String,
}

impl std::fmt::Display for LateRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let quote = shorten(&one_line(&self.first), QUOTE_CHARS);
        match self.count {
            1 => write!(f, "1 record after `ended`: {quote}"),
            n => write!(f, "{n} records after `ended`, the first: {quote}"),
        }
    }
}

/// A played case's end: what the testee wrote between its `ended` and the
/// acknowledgement of the next case's start (`ready` after `reset`), or the
/// testee's exit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settlement {
    /// The records written in that window, if any.
    pub late: Option<LateRecords>,
}

impl CaseResult {
    /// Makes this case ERROR for records it wrote after its `ended`.
    pub fn blame_late(&mut self, late: &LateRecords) {
        self.verdict = Verdict::Error;
        self.error = Some(match self.error.take() {
            Some(before) => format!("{late}; {before}"),
            None => late.to_string(),
        });
    }
}

/// Runs cases against one testee, restarting it after an ERROR.
///
/// Case isolation: a case that reached `ended` is *unsettled* until the
/// testee acknowledges the next case's start (`ready` after `reset`) or the
/// testee is stopped. Every record read in that window belongs to it and is
/// never fed to the next case; [`Harness::take_settlement`] hands them over,
/// and the caller holds the case's result until then (see [`crate::run`]).
pub struct Harness {
    spec: &'static Spec,
    settings: Settings,
    service: LoopbackService,
    process: Option<Process>,
    identity: Option<(Implementation, Vec<Capability>)>,
    interrupted: Arc<AtomicBool>,
    /// With `validate_protocol`: the conversation with the running testee.
    validator: Option<ProtocolValidator>,
    /// With `validate_protocol`: a line broke the protocol.
    mismatch: bool,
    /// The last played case reached `ended` and is not settled yet.
    unsettled: bool,
    /// Records read since that `ended`.
    late: Option<LateRecords>,
    /// The settlement of the last unsettled case, once it came.
    settlement: Option<Settlement>,
}

/// Why a case could not be judged.
enum CaseError {
    /// The testee crashed, hung, broke the protocol or printed garbage.
    Error(String),
    /// The case needs something the testee lacks.
    Skip(String),
}

impl Harness {
    /// Starts the loopback service; the testee starts with the first case.
    pub fn new(spec: &'static Spec, settings: Settings, interrupted: Arc<AtomicBool>) -> std::io::Result<Harness> {
        Ok(Harness {
            spec,
            settings,
            service: LoopbackService::start()?,
            process: None,
            identity: None,
            interrupted,
            validator: None,
            mismatch: false,
            unsettled: false,
            late: None,
            settlement: None,
        })
    }

    /// Whether, with `validate_protocol`, a line has broken the protocol; the
    /// run stops there.
    pub fn protocol_mismatch(&self) -> bool {
        self.mismatch
    }

    /// Who the testee said it is, once it has said hello.
    pub fn identity(&self) -> Option<&(Implementation, Vec<Capability>)> {
        self.identity.as_ref()
    }

    /// Whether the last played case reached `ended` and what the testee
    /// writes next may still belong to it (see [`Harness`]).
    pub fn unsettled(&self) -> bool {
        self.unsettled
    }

    /// Once the last unsettled case is settled (the next case's start was
    /// acknowledged, or the testee stopped): the records it wrote after its
    /// `ended`. `None` while it is unsettled, and after it was taken.
    pub fn take_settlement(&mut self) -> Option<Settlement> {
        self.settlement.take()
    }

    /// Ends the window of the unsettled case, if any.
    fn settle(&mut self) {
        if std::mem::take(&mut self.unsettled) {
            self.settlement = Some(Settlement { late: self.late.take() });
        }
        self.late = None;
    }

    /// Takes a record written after `ended`.
    fn late_record(&mut self, text: &str) {
        match &mut self.late {
            Some(late) => late.count += 1,
            None => self.late = Some(LateRecords { count: 1, first: text.to_string() }),
        }
    }

    /// Says `bye` and stops the testee. What it writes before it exits
    /// belongs to the last case (see [`Harness::take_settlement`]).
    pub fn close(&mut self) {
        if self.process.is_some() {
            // A testee that cannot be told is stopped all the same.
            let _ = self.send(&HarnessMessage::Bye {});
        }
        // As long as any answer: what it writes before exiting is judged.
        let deadline = Instant::now() + self.settings.limits.answer_timeout;
        if let Some(process) = self.process.take() {
            // Its output to the end (or the deadline): records after the last
            // `ended`; nothing else may come.
            let mut records = Vec::new();
            while let Some(Incoming::Line(text)) = process.recv(deadline) {
                if !is_protocol_line(&text) {
                    records.push(text);
                }
            }
            if self.unsettled {
                for text in &records {
                    self.late_record(text);
                }
            }
            process.finish(deadline);
        }
        self.settle();
    }

    /// Plays one case.
    pub fn run(&mut self, case: &Case) -> CaseResult {
        let started = Instant::now();
        let mut run = CaseRun::new(self.spec, &case.scenario, self.settings.limits.max_records);
        let outcome = self.play(case, &mut run);
        let stderr = self.process.as_ref().map(Process::stderr_excerpt).unwrap_or_default();
        let timed_out = run.timed_out.clone();
        let mut goals = Vec::new();
        let (verdict, error) = match outcome {
            Ok(()) => {
                let missed = goals::unreached(&run.goals, &run.calls, &run.final_log, case.scenario.steps.len());
                goals = run
                    .goals
                    .iter()
                    .map(|g| {
                        let text = g.describe(case.scenario.steps.len());
                        let reached = !missed.contains(&text);
                        (text, reached)
                    })
                    .collect();
                let mut why: Vec<String> = timed_out.iter().cloned().collect();
                why.extend(missed.iter().map(|m| format!("goal not reached: {m}")));
                let verdict = match run.verdict() {
                    Verdict::Fail => Verdict::Fail,
                    _ if !why.is_empty() => Verdict::Inconclusive,
                    other => other,
                };
                (verdict, (!why.is_empty()).then(|| why.join("; ")))
            }
            Err(CaseError::Skip(why)) => (Verdict::Skip, Some(why)),
            Err(CaseError::Error(why)) => {
                // A testee in an unknown state is restarted for the next case.
                if let Some(process) = self.process.take() {
                    drop(process);
                }
                // Nothing more can come from it.
                self.settle();
                (Verdict::Error, Some(why))
            }
        };
        if verdict != Verdict::Error && verdict != Verdict::Skip {
            self.unsettled = true;
        }
        let exchanges = run.exchanges();
        CaseResult {
            name: case.name.clone(),
            verdict,
            findings: run.findings,
            error,
            timed_out,
            goals,
            facts: CaseFacts {
                records: run.records > 0,
                calls: run.calls.iter().map(|c| (c.api, c.accepted)).collect(),
                session: run.session.is_some(),
                exchanges: !run.final_log.exchanges.is_empty(),
            },
            duration: started.elapsed(),
            trace: run.trace,
            stderr: if verdict == Verdict::Error { stderr } else { String::new() },
            scenario: case.scenario.clone(),
            exchanges,
        }
    }

    /// With `validate_protocol`: logs the line, numbered, and checks it.
    fn observe(&mut self, direction: Direction, text: &str) -> Result<(), CaseError> {
        let Some(validator) = self.validator.as_mut() else { return Ok(()) };
        let checked = validator.check(direction, text);
        eprintln!("{:>4} {} {text}", validator.lines(), direction.arrow());
        checked.map_err(|mismatch| {
            self.mismatch = true;
            CaseError::Error(mismatch.to_string())
        })
    }

    /// With `validate_protocol`, a line that could not be read is the first
    /// mismatch; otherwise `why` is the error.
    fn unreadable(&mut self, why: &str, what: &str) -> CaseError {
        match self.validator.as_mut() {
            Some(validator) => {
                let mismatch = validator.unreadable(what);
                eprintln!("{:>4} {} ({what})", mismatch.line, mismatch.direction.arrow());
                self.mismatch = true;
                CaseError::Error(mismatch.to_string())
            }
            None => CaseError::Error(why.into()),
        }
    }

    fn send(&mut self, message: &HarnessMessage) -> Result<(), CaseError> {
        let text = line(message);
        self.observe(Direction::HarnessToTestee, &text)?;
        let process = self.process.as_mut().ok_or_else(|| CaseError::Error("the testee is not running".into()))?;
        match process.send(&text) {
            Ok(()) => Ok(()),
            // A testee that died closed its input too: which of the two the
            // harness notices first is timing. Report the death the same way
            // either way, once its output has ended (or the answer timeout has
            // passed).
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                let deadline = Instant::now() + self.settings.limits.answer_timeout;
                while let Some(incoming) = process.recv(deadline) {
                    if matches!(incoming, Incoming::Eof) {
                        return Err(closed_output(process));
                    }
                }
                Err(CaseError::Error(format!("the testee closed its input: {e}")))
            }
            Err(e) => Err(CaseError::Error(format!("cannot write to the testee: {e}"))),
        }
    }

    /// Starts the testee and exchanges hellos, unless it runs.
    fn ensure_started(&mut self) -> Result<(), CaseError> {
        if self.process.is_some() {
            return Ok(());
        }
        let process = Process::spawn(&self.settings.program)
            .map_err(|e| CaseError::Error(format!("cannot start {:?}: {e}", self.settings.program)))?;
        self.process = Some(process);
        self.validator = match self.settings.validate_protocol {
            true => Some(ProtocolValidator::new().map_err(|e| CaseError::Error(e.to_string()))?),
            false => None,
        };
        self.send(&HarnessMessage::Hello { protocol: PROTOCOL.into() })?;
        match self.next_message(Instant::now() + self.settings.limits.answer_timeout, "hello")? {
            TesteeMessage::Hello { protocol, implementation, capabilities } => {
                if protocol != PROTOCOL {
                    return Err(CaseError::Error(format!("the testee speaks `{protocol}`, expected `{PROTOCOL}`")));
                }
                self.identity = Some((implementation, capabilities));
                Ok(())
            }
            other => Err(CaseError::Error(format!("expected hello, the testee wrote {}", line(&other)))),
        }
    }

    /// The next line, which must be a protocol message.
    fn next_message(&mut self, deadline: Instant, waiting_for: &str) -> Result<TesteeMessage, CaseError> {
        match self.next_line(deadline)? {
            Some(text) => parse_message(&text),
            None => Err(CaseError::Error(format!(
                "the testee did not answer {waiting_for} within {} (--answer-timeout)",
                format_seconds(self.settings.limits.answer_timeout)
            ))),
        }
    }

    /// The next line from the testee; `None` at the deadline.
    fn next_line(&mut self, deadline: Instant) -> Result<Option<String>, CaseError> {
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(CaseError::Error("interrupted".into()));
        }
        let process = self.process.as_mut().ok_or_else(|| CaseError::Error("the testee is not running".into()))?;
        // Wake up now and then to notice an interrupt.
        let slice = deadline.min(Instant::now() + Duration::from_millis(200));
        match process.recv(slice) {
            Some(Incoming::Line(text)) => match self.observe(Direction::TesteeToHarness, &text) {
                Ok(()) => Ok(Some(text)),
                // Under --validate-protocol a record after `ended` is the
                // first mismatch, but it belongs to the case that answered
                // `ended` (case isolation): that case is ERROR for it, and
                // the case waiting for `ready` did not get to play.
                Err(CaseError::Error(mismatch)) if self.unsettled && !is_protocol_line(&text) => {
                    self.late_record(&text);
                    self.settle();
                    Err(CaseError::Error(format!(
                        "not played: the testee wrote a record after the previous case's ended, the first \
                         protocol mismatch ({mismatch})"
                    )))
                }
                Err(e) => Err(e),
            },
            Some(Incoming::Oversized) => {
                Err(self.unreadable("the testee wrote a line over 1 MiB", "a line over 1 MiB, not shown"))
            }
            Some(Incoming::NotUtf8) => {
                Err(self.unreadable("the testee wrote a line that is not UTF-8", "a line that is not UTF-8, not shown"))
            }
            Some(Incoming::Eof) => Err(closed_output(process)),
            None if Instant::now() >= deadline => Ok(None),
            None => self.next_line(deadline),
        }
    }

    fn play(&mut self, case: &Case, run: &mut CaseRun) -> Result<(), CaseError> {
        self.ensure_started()?;
        if let Some((_, capabilities)) = &self.identity {
            if let Some(missing) =
                case.scenario.steps.iter().map(|s| needs(&s.call)).find(|c| !capabilities.contains(c))
            {
                return Err(CaseError::Skip(format!("the case needs the `{}` capability", capability_name(missing))));
            }
        }
        let handle = self
            .service
            .register(&case.scenario.service)
            .map_err(|e| CaseError::Error(format!("the loopback service could not open a port for the case: {e}")))?;
        let result = self.play_registered(case, run, &handle);
        if result.is_err() {
            // What the service did up to the error, for the report's timeline.
            run.log_at_error = Some(self.service.log(handle.id));
        }
        self.service.unregister(handle.id);
        result
    }

    fn play_registered(&mut self, case: &Case, run: &mut CaseRun, handle: &CaseHandle) -> Result<(), CaseError> {
        run.response_url = handle.response_url.clone();
        self.send(&HarnessMessage::Reset {
            case: case.name.clone(),
            component_version: case.scenario.component_version,
            service_url: handle.service_url.clone(),
            install_ms: case.scenario.install_ms,
        })?;
        // Records before `ready` belong to the previous case, after its `ended`.
        let ready_by = Instant::now() + self.settings.limits.answer_timeout;
        loop {
            let Some(text) = self.next_line(ready_by)? else {
                return Err(CaseError::Error(format!(
                    "the testee did not answer reset with ready within {} (--answer-timeout)",
                    format_seconds(self.settings.limits.answer_timeout)
                )));
            };
            if !is_protocol_line(&text) && self.unsettled {
                self.late_record(&text);
                continue;
            }
            match parse_message(&text)? {
                TesteeMessage::Ready {} => break,
                other => return Err(CaseError::Error(format!("expected ready, the testee wrote {}", line(&other)))),
            }
        }
        self.settle();
        let deadline = Instant::now() + self.settings.timeout;
        let within = format_seconds(self.settings.timeout);
        let steps = case.scenario.steps.len();
        for (i, step) in case.scenario.steps.iter().enumerate() {
            let api = api_name(&step.call);
            let done = match step.trigger {
                Trigger::Now => true,
                Trigger::AfterStatuses(n) => {
                    let target = run.statuses + n as usize;
                    self.pump(run, handle, deadline, |r| r.statuses >= target || r.idle())?
                }
                Trigger::WhenIdle => {
                    // A held package (`Pace::hold`) must go on for the engine to go idle.
                    self.service.release(handle.id);
                    self.pump(run, handle, deadline, CaseRun::idle)?
                }
                Trigger::AtStatus(phase) => {
                    let target = run.phase_count(phase) + 1;
                    self.pump(run, handle, deadline, |r| r.phase_count(phase) >= target || r.idle())?
                }
            };
            if !done {
                run.timed_out = Some(format!(
                    "timed out after {within}: call {} of {steps} ({api}) was never made, waiting for {}",
                    i + 1,
                    match step.trigger {
                        Trigger::AfterStatuses(n) => format!("{n} more statuses"),
                        Trigger::AtStatus(phase) => format!("a status of {}", phase.name()),
                        _ => "everything under way to end".into(),
                    }
                ));
                break;
            }
            // Exchanges from here on belong to a session this call may open: the
            // testee may reach the service before its call record reaches us.
            run.exchanges_at_call = self.service.log(handle.id).exchanges.len();
            self.send(&HarnessMessage::Call(step.call.clone()))?;
            run.calls_sent += 1;
            // The call's record comes first, before anything else is read.
            if !self.pump(run, handle, deadline, |r| r.calls_seen >= r.calls_sent)? {
                return Err(CaseError::Error(format!(
                    "no record for call {} of {steps} ({api}) within {within}",
                    i + 1
                )));
            }
        }
        self.service.release(handle.id);
        if run.timed_out.is_none() && !self.pump(run, handle, deadline, CaseRun::idle)? {
            run.timed_out = Some(format!("timed out after {within} waiting for every session to end"));
        }
        self.send(&HarnessMessage::End {})?;
        let ended_by = Instant::now() + self.settings.limits.answer_timeout;
        loop {
            let Some(text) = self.next_line(ended_by)? else {
                return Err(CaseError::Error(format!(
                    "the testee did not answer end with ended within {} (--answer-timeout)",
                    format_seconds(self.settings.limits.answer_timeout)
                )));
            };
            if is_protocol_line(&text) {
                match parse_message(&text)? {
                    TesteeMessage::Ended {} => break,
                    other => {
                        return Err(CaseError::Error(format!("expected ended, the testee wrote {}", line(&other))));
                    }
                }
            }
            run.record(&text, &self.service.log(handle.id))?;
        }
        run.finish();
        run.final_log = self.service.log(handle.id);
        Ok(())
    }

    /// Reads records until `done` holds (true) or the deadline passes (false).
    fn pump(
        &mut self,
        run: &mut CaseRun,
        handle: &CaseHandle,
        deadline: Instant,
        done: impl Fn(&CaseRun) -> bool,
    ) -> Result<bool, CaseError> {
        while !done(run) {
            let Some(text) = self.next_line(deadline)? else { return Ok(false) };
            if is_protocol_line(&text) {
                let message = parse_message(&text)?;
                return Err(CaseError::Error(format!("unexpected {} in the middle of a case", line(&message))));
            }
            let log = self.service.log(handle.id);
            run.record(&text, &log)?;
        }
        Ok(true)
    }
}

/// A duration as the console says it: `10 s`, `1.5 s`.
fn format_seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// The API name of a call.
fn api_name(call: &AppCall) -> &'static str {
    match call {
        AppCall::Open { .. } => "Open",
        AppCall::Individualize { .. } => "Individualize",
        AppCall::CancelIndividualization => "CancelIndividualization",
        AppCall::PerformSecurityUpdate { .. } => "PerformSecurityUpdate",
        AppCall::CancelAsyncOperation => "CancelAsyncOperation",
        AppCall::GetSecurityVersion => "GetSecurityVersion",
    }
}

fn capability_name(c: Capability) -> &'static str {
    match c {
        Capability::Reader => "reader",
        Capability::Security => "security",
    }
}

fn line<T: serde::Serialize>(message: &T) -> String {
    // Serializing these plain types cannot fail.
    serde_json::to_string(message).unwrap_or_default()
}

fn is_protocol_line(text: &str) -> bool {
    // Records carry "kind"; protocol lines carry "op". A cheap test that
    // the parsers below confirm.
    text.contains("\"op\"") && !text.contains("\"kind\"")
}

/// The error of a testee whose output has ended, with its exit status if it
/// has exited by now.
fn closed_output(process: &mut Process) -> CaseError {
    std::thread::sleep(Duration::from_millis(20));
    let status = process.exit_status().map_or("still running".to_string(), |s| s.to_string());
    CaseError::Error(format!("the testee closed its output ({status})"))
}

fn parse_message(text: &str) -> Result<TesteeMessage, CaseError> {
    serde_json::from_str(text).map_err(|e| CaseError::Error(format!("not a testee protocol message ({e}): {text}")))
}

/// The judging of one case as its records arrive.
struct CaseRun {
    spec: &'static Spec,
    monitor: Monitor<'static>,
    service: ServiceBehavior,
    trace: String,
    lines: Vec<String>,
    findings: Vec<Finding>,
    statuses: usize,
    records: usize,
    max_records: usize,
    calls_sent: usize,
    calls_seen: usize,
    exchanges_at_call: usize,
    reader_open: bool,
    security_open: bool,
    revocations: usize,
    session: Option<SessionFacts>,
    session_installed: bool,
    component: SecurityVersion,
    response_url: String,
    /// The case's goals and what each call came to.
    goals: Vec<Goal>,
    calls: Vec<CallSeen>,
    /// The reader session and the security update: opened and not yet
    /// reported a terminal status.
    reader_running: bool,
    security_running: bool,
    /// The `enIndiStatus` of the last status of the reader session and of
    /// the security update (`None` before their first).
    reader_phase: Option<u32>,
    security_phase: Option<u32>,
    /// How many statuses came of each phase.
    phases: PhaseCounts,
    /// What the case was waiting for when it reached its timeout.
    timed_out: Option<String>,
    /// The service's log once the testee said `ended`.
    final_log: CaseLog,
    /// For each exchange of the service's log, the trace line by which it
    /// was seen (the log as read when that line arrived already held it).
    exchange_lines: Vec<usize>,
    /// The service's log when the case ended in an error (SKIP, ERROR).
    log_at_error: Option<CaseLog>,
}

impl CaseRun {
    fn new(spec: &'static Spec, scenario: &Scenario, max_records: usize) -> CaseRun {
        let header = Record {
            ts: None,
            body: Body::Header {
                component_version: Some(scenario.component_version),
                service_version: Some(scenario.service.offered_version),
            },
        };
        let mut run = CaseRun {
            spec,
            monitor: Monitor::new(spec, CheckOptions::default()),
            service: scenario.service,
            trace: String::new(),
            lines: Vec::new(),
            findings: Vec::new(),
            statuses: 0,
            records: 0,
            max_records,
            calls_sent: 0,
            calls_seen: 0,
            exchanges_at_call: 0,
            reader_open: false,
            security_open: false,
            revocations: 0,
            session: None,
            session_installed: false,
            component: scenario.component_version,
            response_url: String::new(),
            goals: goals::derive(scenario),
            calls: Vec::new(),
            reader_running: false,
            reader_phase: None,
            security_phase: None,
            phases: PhaseCounts::default(),
            security_running: false,
            timed_out: None,
            final_log: CaseLog::default(),
            exchange_lines: Vec::new(),
            log_at_error: None,
        };
        let text = header.to_string();
        run.monitor.feed(1, &header);
        run.push_line(text);
        run
    }

    fn push_line(&mut self, text: String) {
        self.trace.push_str(&text);
        self.trace.push('\n');
        self.lines.push(text);
    }

    fn idle(&self) -> bool {
        !self.reader_open && !self.security_open && self.revocations == 0
    }

    /// Takes one record line from the testee.
    fn record(&mut self, text: &str, log: &CaseLog) -> Result<(), CaseError> {
        self.records += 1;
        if self.records > self.max_records {
            return Err(CaseError::Error(format!(
                "the testee wrote over {} records in one case (--max-records)",
                self.max_records
            )));
        }
        let record: Record<'_> = serde_json::from_str(text).map_err(|e| {
            CaseError::Error(format!("not an indiv-trace/1 record ({e}): {}", shorten(text, QUOTE_CHARS)))
        })?;
        if matches!(record.body, Body::Header { .. }) {
            return Err(CaseError::Error("the testee wrote a header; the harness writes it".into()));
        }
        let line = self.lines.len() + 1;
        self.push_line(text.to_string());
        while self.exchange_lines.len() < log.exchanges.len() {
            self.exchange_lines.push(line);
        }
        self.track(&record, log, line);
        self.monitor.feed(line, &record);
        let spec_violations: Vec<_> = self.monitor.drain_violations().collect();
        for v in spec_violations {
            self.add(v.rule, v.line, v.message);
        }
        Ok(())
    }

    fn track(&mut self, record: &Record<'_>, log: &CaseLog, line: usize) {
        let first_exchange = self.exchanges_at_call;
        match &record.body {
            Body::Call { call, hr } => {
                self.calls_seen += 1;
                let target_running = match call {
                    Call::CancelIndividualization => self.reader_running,
                    Call::CancelAsyncOperation => self.security_running,
                    _ => false,
                };
                let target_phase = match call {
                    Call::CancelIndividualization => self.reader_phase,
                    Call::CancelAsyncOperation => self.security_phase,
                    _ => None,
                };
                self.calls.push(CallSeen {
                    api: call.api(),
                    accepted: hr.is_success(),
                    target_running,
                    target_phase,
                    session_running: self.reader_running || self.security_running,
                });
                if hr.is_failure() {
                    return;
                }
                match call {
                    Call::Individualize { .. } => {
                        self.reader_open = true;
                        self.reader_running = true;
                        self.reader_phase = None;
                        self.open_session(first_exchange, None);
                    }
                    Call::PerformSecurityUpdate { flags } if *flags == SecurityFlag::RevocationRefresh.value() => {
                        self.revocations += 1;
                    }
                    Call::PerformSecurityUpdate { flags } => {
                        self.security_open = true;
                        self.security_running = true;
                        self.security_phase = None;
                        self.open_session(first_exchange, Some(*flags));
                    }
                    _ => {}
                }
            }
            Body::Status { status: Status::Individualize(value), .. } => {
                self.status(value, log, line);
                self.reader_phase = Some(value.indi);
                if value.indi_status().is_some_and(|s| self.spec.phases.is_terminal(s)) {
                    self.reader_open = false;
                    self.reader_running = false;
                }
            }
            Body::Event { event: Event::Progress(value), .. } => {
                self.status(value, log, line);
                self.security_phase = Some(value.indi);
                if value.indi_status().is_some_and(|s| self.spec.phases.is_terminal(s)) {
                    self.security_running = false;
                }
            }
            Body::Event { event: Event::Completed, .. } => {
                self.security_open = false;
                self.security_running = false;
            }
            Body::Event { event: Event::RevocationCompleted, .. } => {
                self.revocations = self.revocations.saturating_sub(1)
            }
            Body::Status { .. } | Body::Header { .. } => {}
        }
    }

    fn open_session(&mut self, first_exchange: usize, flags: Option<u32>) {
        self.session =
            Some(SessionFacts::new(first_exchange, flags, self.component, &self.service, &self.response_url));
        self.session_installed = false;
    }

    /// How many statuses of `phase` have come (what [`Trigger::AtStatus`] waits for).
    fn phase_count(&self, phase: Phase) -> u64 {
        self.phases.get(phase)
    }

    fn status(&mut self, value: &IndividualizeStatus<'_>, log: &CaseLog, line: usize) {
        self.statuses += 1;
        self.phases.count(value.indi);
        let Some(facts) = self.session.clone() else { return };
        for found in service_rules::check(value, &facts, log, self.service.fault) {
            self.add(found.rule, line, found.message);
            if let Some(finding) = self.findings.last_mut() {
                finding.service_log = log.excerpt(&found.exchanges);
            }
        }
        match value.indi_status() {
            Some(IndiStatus::Install) => self.session_installed = true,
            Some(IndiStatus::Succeed) if self.session_installed => self.component = self.service.offered_version,
            _ => {}
        }
    }

    fn add(&mut self, rule: Rule, line: usize, message: String) {
        let level = self.monitor.level(rule);
        let record = self.lines.get(line.wrapping_sub(1)).cloned();
        self.findings.push(Finding { rule, level, line, message, record, service_log: Vec::new() });
    }

    fn finish(&mut self) {
        let monitor = std::mem::replace(&mut self.monitor, Monitor::new(self.spec, CheckOptions::default()));
        let (violations, _) = monitor.finish();
        for v in violations {
            self.add(v.rule, v.line, v.message);
        }
    }

    /// The final log's exchanges, each with the line by which it was seen.
    fn exchanges(&self) -> Vec<(usize, ExchangeRecord)> {
        let last = self.lines.len();
        self.log_at_error
            .as_ref()
            .unwrap_or(&self.final_log)
            .exchanges
            .iter()
            .enumerate()
            .map(|(i, e)| (self.exchange_lines.get(i).copied().unwrap_or(last), e.clone()))
            .collect()
    }

    fn verdict(&self) -> Verdict {
        if self.findings.iter().any(|f| f.level == Level::Must) {
            Verdict::Fail
        } else if self.findings.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Nonstrict
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LateRecords;

    #[test]
    fn late_records_are_counted_and_the_first_is_quoted_on_one_line_and_shortened() {
        let one = LateRecords { count: 1, first: "{\"kind\":\"status\"}".into() };
        assert_eq!(one.to_string(), "1 record after `ended`: {\"kind\":\"status\"}");
        let many = LateRecords { count: 3, first: format!("a\nb\u{1b}{}", "x".repeat(500)) };
        let text = many.to_string();
        assert!(text.starts_with("3 records after `ended`, the first: a\\nb\\u{1b}x"), "{text}");
        assert!(text.ends_with('…'), "{text}");
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
    }
}
