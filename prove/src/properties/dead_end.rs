//! `PROVE-NO-DEAD-END`: no dead end, and success settles the need. From every
//! explored state with a `WMT_NEEDS_INDIVIDUALIZATION` unanswered (no
//! `WMT_NO_RIGHTS_EX` after it yet), against every healthy service (no fault,
//! offering a version whose major.minor meets every unanswered requirement),
//! some sequence of at most `m` application calls reaches `WMT_NO_RIGHTS_EX`,
//! and after it (once everything under way has finished), `Open` with each
//! unanswered required version sends no `WMT_NEEDS_INDIVIDUALIZATION`.
//!
//! The recovery is itself a bounded search over the same moments and calls
//! as the main one, from the state with its service replaced by the healthy
//! one ([`indiv_engine::Simulation::replace_service`]: exchanges already under
//! way keep their plan). What a node of it reaches within the calls left
//! depends only on the engine, the pending inputs, whether
//! `WMT_NO_RIGHTS_EX` already came, the healthy service and the required
//! versions, so it is remembered under those, across the recoveries of all
//! states and environments.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use indiv_engine::{AppCall, ServiceBehavior, Simulation, Step};
use indiv_spec::record::{Body, Call, Record, Status};
use indiv_spec::vocab::RequiredVersion;

use crate::model::{Key, machine_key, moments, settled};
use crate::world::World;

/// The `WMT_NEEDS_INDIVIDUALIZATION`s of a trace not answered yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Obligation {
    /// The 1-based line of the first unanswered one.
    pub line: usize,
    /// The required versions of the `Open`s they answered, ascending and distinct.
    pub required: Vec<RequiredVersion>,
}

/// The unanswered `WMT_NEEDS_INDIVIDUALIZATION`s of `trace`, if any: those
/// after its last `WMT_NO_RIGHTS_EX`, each belonging to the `Open` before it.
pub fn obligation(trace: &[Record<'_>]) -> Option<Obligation> {
    let mut last_open = None;
    let mut pending: Option<Obligation> = None;
    for (i, record) in trace.iter().enumerate() {
        match &record.body {
            Body::Call { call: Call::Open { required_version }, .. } => last_open = Some(*required_version),
            Body::Status { status: Status::NeedsIndividualization, .. } => {
                let ob = pending.get_or_insert(Obligation { line: i + 1, required: Vec::new() });
                if let Some(r) = last_open.filter(|r| !ob.required.contains(r)) {
                    ob.required.push(r);
                    ob.required.sort();
                }
            }
            Body::Status { status: Status::NoRightsEx, .. } => pending = None,
            _ => {}
        }
    }
    pending
}

/// How a state is a dead end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeadEnd {
    /// No sequence of at most `within` calls against `service` reaches `WMT_NO_RIGHTS_EX`.
    NoRights {
        /// The healthy service.
        service: ServiceBehavior,
        /// The bound on the calls.
        within: usize,
    },
    /// `WMT_NO_RIGHTS_EX` can be reached (`steps` is the shortest way), but
    /// on every way `Open` with `required` then sends `WMT_NEEDS_INDIVIDUALIZATION` again.
    NeedsAgain {
        /// The healthy service.
        service: ServiceBehavior,
        /// The first sequence that reached `WMT_NO_RIGHTS_EX`.
        steps: Vec<Step>,
        /// The required version whose `Open` is answered with the need again.
        required: RequiredVersion,
    },
}

impl DeadEnd {
    /// The healthy service the state was searched against.
    pub fn service(&self) -> ServiceBehavior {
        match self {
            DeadEnd::NoRights { service, .. } | DeadEnd::NeedsAgain { service, .. } => *service,
        }
    }

    /// The kind, as a short stable name.
    pub fn kind(&self) -> &'static str {
        match self {
            DeadEnd::NoRights { .. } => "no-rights",
            DeadEnd::NeedsAgain { .. } => "needs-again",
        }
    }

    /// The trace that shows it, from `sim` (the state): for `NeedsAgain`,
    /// the recovery, everything finished, then the `Open` that needs again;
    /// for `NoRights`, the state with everything under way finished.
    pub fn witness(&self, sim: &Simulation) -> Vec<Record<'static>> {
        let mut at = sim.clone();
        at.replace_service(self.service());
        if let DeadEnd::NeedsAgain { steps, required, .. } = self {
            for step in steps {
                at.advance(step.trigger);
                at.call(&step.call);
            }
            at.settle();
            at.call(&AppCall::Open { required: *required });
        }
        at.settle();
        at.trace().to_vec()
    }
}

/// What the best sequence from a node of a recovery reaches, within the
/// calls left: better is later in the order of the variants.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reach {
    /// No `WMT_NO_RIGHTS_EX`.
    Waiting,
    /// `WMT_NO_RIGHTS_EX` after these steps, but `Open` with this version then needs again.
    NeedsAgain(Vec<Step>, RequiredVersion),
    /// `WMT_NO_RIGHTS_EX`, and every `Open` is then satisfied.
    Settled,
}

impl Reach {
    /// `self`, or `other` when it is better (at equal kind, a shorter way).
    fn or(self, other: Reach) -> Reach {
        match (&self, &other) {
            (Reach::Settled, _) | (_, Reach::Waiting) => self,
            (Reach::NeedsAgain(mine, _), Reach::NeedsAgain(theirs, _)) if mine.len() <= theirs.len() => self,
            _ => other,
        }
    }
}

/// One recovery's fixed part: the versions `Open` is probed with, where the
/// recovery's records start, and a fingerprint of the healthy service and the
/// versions for the memo.
struct Context<'r> {
    required: &'r [RequiredVersion],
    base: usize,
    id: Key,
}

/// A recovery node in the memo: the engine and pending inputs, whether
/// `WMT_NO_RIGHTS_EX` already came, the recovery's context, the calls left.
type NodeKey = (Key, bool, Key, usize);

/// The recovery searches: a bounded search from each state, as a recursion
/// over the calls left whose results are remembered per node, so that the
/// searches from many states share what they have in common.
pub struct Recovery<'w> {
    world: &'w World,
    depth: usize,
    memo: HashMap<NodeKey, Reach>,
    /// Recovery nodes evaluated (the rest were remembered).
    pub searches: u64,
}

impl<'w> Recovery<'w> {
    /// Recovery searches of at most `depth` calls over `world`'s alphabet.
    pub fn new(world: &'w World, depth: usize) -> Recovery<'w> {
        Recovery { world, depth, memo: HashMap::new(), searches: 0 }
    }

    /// The bound on a recovery's calls.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Checks the state `sim`, whose trace owes `obligation`, against every
    /// healthy service: the dead end found against each service that has
    /// one, in the world's order (none: the property holds here).
    pub fn check(&mut self, sim: &Simulation, obligation: &Obligation) -> Vec<DeadEnd> {
        let mut found = Vec::new();
        for service in self.world.healthy(&obligation.required) {
            let mut start = sim.clone();
            start.replace_service(service);
            let context = Context {
                required: &obligation.required,
                base: start.trace().len(),
                id: context_key(&service, &obligation.required),
            };
            match self.reach(&start, &context, self.depth) {
                Reach::Settled => {}
                Reach::NeedsAgain(steps, required) => found.push(DeadEnd::NeedsAgain { service, steps, required }),
                Reach::Waiting => found.push(DeadEnd::NoRights { service, within: self.depth }),
            }
        }
        found
    }

    /// The best that `node` reaches within `left` calls.
    fn reach(&mut self, node: &Simulation, context: &Context<'_>, left: usize) -> Reach {
        let key = (machine_key(node), answered(node, context.base), context.id, left);
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        self.searches += 1;
        let mut best = goal(node, context.base, context.required);
        let world = self.world;
        if left > 0 && best != Reach::Settled {
            'moments: for (trigger, at) in moments(node) {
                for call in &world.calls {
                    let mut next = at.clone();
                    next.call(call);
                    let reached = match self.reach(&next, context, left - 1) {
                        Reach::NeedsAgain(mut steps, r) => {
                            steps.insert(0, Step { trigger, call: call.clone() });
                            Reach::NeedsAgain(steps, r)
                        }
                        other => other,
                    };
                    best = best.or(reached);
                    if best == Reach::Settled {
                        break 'moments;
                    }
                }
            }
        }
        self.memo.insert(key, best.clone());
        best
    }
}

/// The memo's fingerprint of a recovery's service and probed versions.
fn context_key(service: &ServiceBehavior, required: &[RequiredVersion]) -> Key {
    let mut h = DefaultHasher::new();
    service.hash(&mut h);
    required.hash(&mut h);
    let first = h.finish();
    0xD1B5_4A32_D192_ED03u64.hash(&mut h);
    (u128::from(first) << 64) | u128::from(h.finish())
}

/// Whether `WMT_NO_RIGHTS_EX` came after the first `base` records.
fn answered(sim: &Simulation, base: usize) -> bool {
    sim.trace()[base..].iter().any(|r| matches!(r.body, Body::Status { status: Status::NoRightsEx, .. }))
}

/// What `sim` reaches once everything under way has finished, with no more calls.
fn goal(sim: &Simulation, base: usize, required: &[RequiredVersion]) -> Reach {
    let done = settled(sim);
    if !answered(&done, base) {
        return Reach::Waiting;
    }
    for &r in required {
        let mut probe = done.clone();
        let before = probe.trace().len();
        probe.call(&AppCall::Open { required: r });
        if probe.trace()[before..]
            .iter()
            .any(|rec| matches!(rec.body, Body::Status { status: Status::NeedsIndividualization, .. }))
        {
            return Reach::NeedsAgain(Vec::new(), r);
        }
    }
    Reach::Settled
}
