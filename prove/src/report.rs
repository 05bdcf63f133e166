//! The result of a run ([`Report`]) and its text: the states explored, the
//! depth and the time, each property with its result, and for each failing
//! one its counterexamples as minimal call sequences with their traces.

use std::fmt::Write as _;
use std::time::Duration;

use indiv_engine::{AppCall, Fault, Scenario, Step, Trigger};
use indiv_spec::record::to_jsonl;

use crate::properties::{Counterexample, Outcome};
use crate::search::Stats;

/// What a run explored and found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// How much the search did.
    pub stats: Stats,
    /// The bound on the calls of a path.
    pub depth: usize,
    /// The bound on the calls of a recovery (`PROVE-NO-DEAD-END`).
    pub recovery: usize,
    /// Recovery searches actually run (the rest were remembered).
    pub recovery_searches: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// Each property's result, in [`crate::PropertyId::ALL`] order.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// Whether every property holds.
    pub fn holds(&self) -> bool {
        self.outcomes.iter().all(Outcome::holds)
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let s = &self.stats;
        let _ = writeln!(
            out,
            "{} states ({} transitions, {} environments), depth {}, recovery depth {}, {} recovery searches, {:.2} s",
            s.states,
            s.transitions,
            s.environments,
            self.depth,
            self.recovery,
            self.recovery_searches,
            self.elapsed.as_secs_f64()
        );
        for o in &self.outcomes {
            let verdict = if o.holds() { "HOLDS" } else { "FAILS" };
            let _ = writeln!(out, "{verdict:<6}{}: {}", o.property.id(), o.summary);
        }
        for o in self.outcomes.iter().filter(|o| !o.holds()) {
            for c in &o.counterexamples {
                out.push('\n');
                out.push_str(&counterexample(o.property.id(), c));
            }
        }
        out
    }
}

/// One counterexample as text.
pub fn counterexample(property: &str, c: &Counterexample) -> String {
    let mut out = format!("counterexample of {property} ({}):\n", c.kind);
    out.push_str(&environment(&c.scenario));
    if c.scenario.steps.is_empty() {
        out.push_str("  calls: none\n");
    } else {
        out.push_str("  calls:\n");
        for (i, s) in c.scenario.steps.iter().enumerate() {
            let _ = writeln!(out, "    {}. {}", i + 1, step(s));
        }
    }
    out.push_str("  finding:\n");
    for line in c.finding.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out.push_str("  trace:\n");
    for line in to_jsonl(&c.trace).lines() {
        let _ = writeln!(out, "    {line}");
    }
    out
}

/// The environment of a scenario, one line.
pub fn environment(s: &Scenario) -> String {
    let service = &s.service;
    let fault = service.fault.map_or_else(|| "none".to_string(), Fault::name);
    format!(
        "  environment: component {}, service offering {} (package {} bytes in {}-byte writes), fault {}\n",
        s.component_version, service.offered_version, service.package_size, service.pace.chunk_size, fault
    )
}

/// One step: its trigger and its call, e.g. `when idle: Individualize(0x1)`.
pub fn step(s: &Step) -> String {
    let when = match s.trigger {
        Trigger::Now => "now".to_string(),
        Trigger::AfterStatuses(n) => format!("after {n} statuses"),
        Trigger::WhenIdle => "when idle".to_string(),
        Trigger::AtStatus(phase) => format!("at {}", phase.name()),
    };
    format!("{when}: {}", call(&s.call))
}

/// A call with its arguments, e.g. `PerformSecurityUpdate(0x4)`.
pub fn call(c: &AppCall) -> String {
    match c {
        AppCall::Open { required } => format!("Open({required})"),
        AppCall::Individualize { flags } => format!("Individualize(0x{flags:X})"),
        AppCall::PerformSecurityUpdate { flags } => format!("PerformSecurityUpdate(0x{flags:X})"),
        AppCall::CancelIndividualization => "CancelIndividualization".into(),
        AppCall::CancelAsyncOperation => "CancelAsyncOperation".into(),
        AppCall::GetSecurityVersion => "GetSecurityVersion".into(),
    }
}
