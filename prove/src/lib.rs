//! `indiv-prove`: an exhaustive, bounded model checker of the spec against
//! the reference engine and its simulated service (`indiv spec --prove`).
//!
//! It explores every environment of a [`World`] (the component's starting
//! version, the service's offered version and fault) and every sequence of at
//! most `depth` application calls from an alphabet covering every API, each
//! call made at every moment a [`indiv_engine::Trigger`] can name (now, after
//! each reachable number of statuses, when idle). On every state it reaches
//! it checks four properties ([`PropertyId`]): the engine's traces conform
//! and the oracle agrees (`PROVE-CONFORMS`), no need for individualization
//! is a dead end (`PROVE-NO-DEAD-END`), verdicts only grow
//! (`PROVE-MONOTONE`), and every trace rule can fire
//! (`PROVE-EVERY-RULE-FIRES`).
//!
//! # Design: a hand-written breadth-first search, not `stateright`
//!
//! `stateright` was the anchor. Its `Model` (initial states, actions, next
//! state) fits the transitions, but the rest does not:
//!
//! - its properties are `fn(&Model, &State) -> bool` (`always`, `sometimes`,
//!   `eventually`) judged one state at a time. Two of ours are not: "every
//!   rule can fire" is a question over all explored traces at once, and "no
//!   dead end" is a second bounded search from each state, against another
//!   service, whose results are worth remembering across states;
//! - it deduplicates on a 64-bit hash of the whole state. Ours must leave the
//!   trace out of that identity (the trace grows along every path, so no two
//!   paths would ever meet) and yet carry it, for the checks and the
//!   counterexamples;
//! - it brings its own threads, concurrent maps and an HTTP explorer, on a
//!   machine with 2 cores where the search takes seconds.
//!
//! A hand-written search ([`search`]) does exactly what is needed: breadth
//! first (so the first path to a state is a shortest one, and every
//! counterexample a minimal call sequence), one environment at a time, with a
//! set of visited 128-bit keys over the engine, the pending inputs and what
//! the rules remember ([`model`]), each state visited once: exhaustive, not
//! sampled, and the number of states it reports is the number it judged.
//!
//! Modules: [`world`] (environments and alphabet), [`model`] (states, moments,
//! keys), [`search`], [`properties`] (one module per property), [`report`].

mod error;
pub mod model;
pub mod properties;
pub mod report;
pub mod search;
pub mod world;

use std::time::Instant;

use indiv_spec::Spec;

pub use error::Error;
pub use properties::{Counterexample, Outcome, PropertyId, Prover};
pub use report::Report;
pub use search::{Stats, Visit, explore};
pub use world::{Environment, World};

/// The depth `indiv spec --prove` searches to by default, and the depth the
/// test suite searches the standard world to (`prove/tests/it/known.rs`):
/// about 136000 states in well under a minute on 2 cores in an optimized
/// build; each further call multiplies the time by three to four.
pub const DEFAULT_DEPTH: usize = 3;
/// The calls a recovery may take (`PROVE-NO-DEAD-END`'s `m`).
pub const DEFAULT_RECOVERY: usize = 3;
/// Tries per rule for `PROVE-EVERY-RULE-FIRES`.
pub const DEFAULT_TRIES: u32 = 32;

/// How far to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// The most calls on a path.
    pub depth: usize,
    /// The most calls a recovery may take.
    pub recovery: usize,
    /// Tries per rule for `PROVE-EVERY-RULE-FIRES`.
    pub tries: u32,
    /// The environments and the alphabet.
    pub world: World,
}

impl Bounds {
    /// The standard world searched to `depth` calls, with the default
    /// recovery bound and tries.
    pub fn standard(depth: usize) -> Bounds {
        Bounds { depth, recovery: DEFAULT_RECOVERY, tries: DEFAULT_TRIES, world: World::standard() }
    }
}

/// Explores `bounds` and checks every property on every state.
pub fn prove(bounds: &Bounds) -> Result<Report, Error> {
    if bounds.world.calls.is_empty() || bounds.world.environments().is_empty() {
        return Err(Error::Bounds("the world has no environment or no call".into()));
    }
    let spec = Spec::builtin()?;
    let started = Instant::now();
    let mut prover = Prover::new(spec, &bounds.world, bounds.recovery, bounds.tries);
    let stats = explore(&bounds.world, bounds.depth, &mut |v| prover.visit(v));
    Ok(Report {
        stats,
        depth: bounds.depth,
        recovery: bounds.recovery,
        recovery_searches: prover.recovery_searches(),
        elapsed: started.elapsed(),
        outcomes: prover.outcomes(),
    })
}
