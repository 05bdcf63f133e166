//! The four properties, each a named value with a stable id
//! ([`PropertyId`]), and [`Prover`], which checks all of them on every state
//! the search visits and keeps, for each property, the counts and the
//! simplest counterexample of each kind of failure (fewest calls first).
//!
//! One module per property: [`conforms`] (a), [`dead_end`] (b), [`monotone`]
//! (c) and [`fires`] (d). Each exposes its check as a function of plain
//! inputs (a trace, a state, a checker's output), so tests can feed it
//! doctored ones.

pub mod conforms;
pub mod dead_end;
pub mod fires;
pub mod monotone;

use std::collections::{BTreeMap, BTreeSet};

use indiv_engine::Scenario;
use indiv_spec::Spec;
use indiv_spec::record::Record;

use self::conforms::Judgement;
use self::dead_end::{DeadEnd, Recovery, obligation};
use self::fires::Firing;
use crate::model::{scenario, settled};
use crate::search::Visit;
use crate::world::World;

/// A property, by its stable id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyId {
    /// (a) Every trace passes the checker, and the oracle agrees.
    Conforms,
    /// (b) No dead end, and success settles the need.
    NoDeadEnd,
    /// (c) Verdicts only grow.
    Monotone,
    /// (d) Every rule can fire.
    EveryRuleFires,
}

impl PropertyId {
    /// Every property, in the order they are reported.
    pub const ALL: [PropertyId; 4] =
        [PropertyId::Conforms, PropertyId::NoDeadEnd, PropertyId::Monotone, PropertyId::EveryRuleFires];

    /// The stable id, e.g. `PROVE-CONFORMS`.
    pub fn id(self) -> &'static str {
        match self {
            PropertyId::Conforms => "PROVE-CONFORMS",
            PropertyId::NoDeadEnd => "PROVE-NO-DEAD-END",
            PropertyId::Monotone => "PROVE-MONOTONE",
            PropertyId::EveryRuleFires => "PROVE-EVERY-RULE-FIRES",
        }
    }

    /// What it says, in one sentence.
    pub fn statement(self) -> &'static str {
        match self {
            PropertyId::Conforms => {
                "every trace the reference engine produces passes the checker (must and should rules), and the oracle agrees"
            }
            PropertyId::NoDeadEnd => {
                "from every state with WMT_NEEDS_INDIVIDUALIZATION unanswered, a few calls against a healthy service reach WMT_NO_RIGHTS_EX, and then Open with the same required version sends no WMT_NEEDS_INDIVIDUALIZATION"
            }
            PropertyId::Monotone => {
                "every violation reported on a prefix of an explored trace is still reported, at the same rule and line, on the whole trace"
            }
            PropertyId::EveryRuleFires => {
                "for every trace rule, its mutation operator applied to some explored trace breaks it at the operator's line"
            }
        }
    }
}

impl std::fmt::Display for PropertyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A failure, as a minimal call sequence: the environment and the calls with
/// their triggers (a [`Scenario`]), what was found, and the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// The kind of failure (for `PROVE-CONFORMS`, the rules broken).
    pub kind: String,
    /// The environment and the calls that reach the failing state.
    pub scenario: Scenario,
    /// What was found.
    pub finding: String,
    /// The trace that shows it.
    pub trace: Vec<Record<'static>>,
}

/// One property's result over the whole search.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The property.
    pub property: PropertyId,
    /// States (or traces, or rules) it was checked on.
    pub checked: u64,
    /// How many of them failed.
    pub failures: u64,
    /// A one-line summary.
    pub summary: String,
    /// The simplest counterexample of each kind of failure, by kind.
    pub counterexamples: Vec<Counterexample>,
}

impl Outcome {
    /// Whether the property holds.
    pub fn holds(&self) -> bool {
        self.failures == 0
    }
}

/// How simple a counterexample is (smaller is simpler).
type Simplicity = (usize, usize, bool, bool);

/// How simple a counterexample is, simplest first: fewer calls, then fewer
/// versions that are not individualized, then a service offering the
/// component's own version, then no fault. The search visits
/// every environment, so each kind keeps its simplest counterexample.
fn simplicity(s: &Scenario) -> Simplicity {
    let plain = [s.component_version, s.service.offered_version].iter().filter(|v| !v.is_individualized()).count();
    let other = s.service.offered_version != s.component_version;
    (s.steps.len(), plain, other, s.service.fault.is_some())
}

/// How simple the path of a visit is.
fn rank(v: &Visit<'_>) -> Simplicity {
    simplicity(&scenario(v.env, v.steps))
}

/// Counts and the simplest counterexample of each kind.
#[derive(Default)]
struct Tally {
    checked: u64,
    failures: u64,
    kinds: BTreeMap<String, (u64, Counterexample)>,
}

impl Tally {
    /// One more failing state, with one counterexample kind.
    fn fail(&mut self, kind: String, rank: Simplicity, counterexample: impl FnOnce() -> Counterexample) {
        self.failures += 1;
        self.kind(kind, rank, counterexample);
    }

    /// A kind of failure seen on the current failing state (`rank` simple):
    /// counted, and its counterexample kept when it is the first or simpler
    /// than the one kept.
    fn kind(&mut self, kind: String, rank: Simplicity, counterexample: impl FnOnce() -> Counterexample) {
        match self.kinds.get_mut(&kind) {
            Some((count, known)) => {
                *count += 1;
                if rank < simplicity(&known.scenario) {
                    *known = counterexample();
                }
            }
            None => {
                self.kinds.insert(kind, (1, counterexample()));
            }
        }
    }

    fn outcome(&self, property: PropertyId, what: &str) -> Outcome {
        let summary = if self.failures == 0 {
            format!("holds on {} {what}", self.checked)
        } else {
            let kinds: Vec<String> = self.kinds.iter().map(|(k, (n, _))| format!("{k} ({n})")).collect();
            format!("fails on {} of {} {what}: {}", self.failures, self.checked, kinds.join(", "))
        };
        let counterexamples = self.kinds.values().map(|(_, c)| c.clone()).collect();
        Outcome { property, checked: self.checked, failures: self.failures, summary, counterexamples }
    }
}

/// Checks every property on every state the search visits.
pub struct Prover<'a> {
    spec: &'a Spec,
    recovery: Recovery<'a>,
    firing: Firing,
    conforms: Tally,
    no_dead_end: Tally,
    monotone: Tally,
}

impl<'a> Prover<'a> {
    /// A prover over `world`, with recovery searches of at most `recovery`
    /// calls and `tries` tries per rule for `PROVE-EVERY-RULE-FIRES`.
    pub fn new(spec: &'a Spec, world: &'a World, recovery: usize, tries: u32) -> Prover<'a> {
        Prover {
            spec,
            recovery: Recovery::new(world, recovery),
            firing: Firing::new(spec, tries),
            conforms: Tally::default(),
            no_dead_end: Tally::default(),
            monotone: Tally::default(),
        }
    }

    /// Checks one visited state.
    pub fn visit(&mut self, v: &Visit<'_>) {
        let done = settled(v.sim);
        let trace = done.trace();
        let judgement = Judgement::of(self.spec, trace);
        self.check_conforms(v, &judgement, trace);
        self.check_monotone(v, &judgement, trace);
        self.check_dead_end(v);
        if judgement.holds() && !self.firing.done() {
            self.firing.offer(self.spec, trace);
        }
    }

    fn check_conforms(&mut self, v: &Visit<'_>, judgement: &Judgement, trace: &[Record<'static>]) {
        self.conforms.checked += 1;
        if judgement.holds() {
            return;
        }
        let monitor = judgement.monitor_set();
        let rules: BTreeSet<&str> = monitor.iter().chain(&judgement.oracle).map(|(rule, _)| rule.id()).collect();
        let rules = rules.into_iter().collect::<Vec<_>>().join(" ");
        let kind = if monitor == judgement.oracle { rules } else { format!("{rules} (oracle disagrees)") };
        let make = || Counterexample {
            kind: kind.clone(),
            scenario: scenario(v.env, v.steps),
            finding: judgement.describe(),
            trace: trace.to_vec(),
        };
        self.conforms.fail(kind.clone(), rank(v), make);
    }

    fn check_monotone(&mut self, v: &Visit<'_>, judgement: &Judgement, trace: &[Record<'static>]) {
        self.monotone.checked += 1;
        let Err(withdrawn) = monotone::check(&monotone::prefixes(self.spec, trace), &judgement.monitor_set()) else {
            return;
        };
        let kind = withdrawn.rule.id().to_string();
        let make = || Counterexample {
            kind: kind.clone(),
            scenario: scenario(v.env, v.steps),
            finding: withdrawn.to_string(),
            trace: trace.to_vec(),
        };
        self.monotone.fail(kind.clone(), rank(v), make);
    }

    fn check_dead_end(&mut self, v: &Visit<'_>) {
        let Some(ob) = obligation(v.sim.trace()) else { return };
        self.no_dead_end.checked += 1;
        let dead_ends = self.recovery.check(v.sim, &ob);
        if dead_ends.is_empty() {
            return;
        }
        self.no_dead_end.failures += 1;
        let within = self.recovery.depth();
        let state_lines = v.sim.trace().len();
        for dead in dead_ends {
            let offered = dead.service().offered_version;
            let kind =
                format!("{}, offer {}", dead.kind(), if offered.is_individualized() { "x.y.0.1" } else { "x.y.0.0" });
            let make = || Counterexample {
                kind: kind.clone(),
                scenario: scenario(v.env, v.steps),
                finding: describe_dead_end(&dead, ob.line, within, state_lines),
                trace: dead.witness(v.sim),
            };
            self.no_dead_end.kind(kind.clone(), rank(v), make);
        }
    }

    /// The properties' outcomes.
    pub fn outcomes(&self) -> Vec<Outcome> {
        let unfired = self.firing.unfired();
        let fired = self.firing.fired.len() as u64;
        let total = fired + unfired.len() as u64;
        let summary = if unfired.is_empty() {
            format!("all {total} trace rules fired")
        } else {
            let names: Vec<&str> = unfired.iter().map(|r| r.id()).collect();
            format!("{fired} of {total} trace rules fired; not shown to fire: {}", names.join(", "))
        };
        vec![
            self.conforms.outcome(PropertyId::Conforms, "traces"),
            self.no_dead_end.outcome(PropertyId::NoDeadEnd, "states owing WMT_NO_RIGHTS_EX"),
            self.monotone.outcome(PropertyId::Monotone, "traces"),
            Outcome {
                property: PropertyId::EveryRuleFires,
                checked: total,
                failures: unfired.len() as u64,
                summary,
                counterexamples: Vec::new(),
            },
        ]
    }

    /// Recovery searches run (the rest were remembered).
    pub fn recovery_searches(&self) -> u64 {
        self.recovery.searches
    }
}

/// One paragraph on a dead end found from a state (its trace `state_lines`
/// long) whose first unanswered `WMT_NEEDS_INDIVIDUALIZATION` is at `line`.
pub fn describe_dead_end(dead: &DeadEnd, line: usize, within: usize, state_lines: usize) -> String {
    let offered = dead.service().offered_version;
    let healthy =
        format!("lines 1-{state_lines} reach the state; from there the service is healthy, offering {offered}");
    match dead {
        DeadEnd::NoRights { .. } => format!(
            "WMT_NEEDS_INDIVIDUALIZATION at line {line} is never answered: no sequence of at most {within} calls reaches WMT_NO_RIGHTS_EX ({healthy}; the trace shows the state with its work finished)"
        ),
        DeadEnd::NeedsAgain { steps, required, .. } => {
            let calls: Vec<String> = steps.iter().map(crate::report::step).collect();
            let how = if calls.is_empty() { "letting the work under way finish".to_string() } else { calls.join(", ") };
            format!(
                "WMT_NEEDS_INDIVIDUALIZATION at line {line} is answered by WMT_NO_RIGHTS_EX after {how}; but then Open({required}) sends WMT_NEEDS_INDIVIDUALIZATION again, and so after every sequence of at most {within} calls that reaches WMT_NO_RIGHTS_EX ({healthy})"
            )
        }
    }
}
