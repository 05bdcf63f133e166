//! The search: breadth first, one environment after the other, with a set of
//! visited [`Key`]s, so that every state reachable in at most `depth` calls
//! is visited exactly once, and first by a shortest path (which makes every
//! counterexample a minimal call sequence).
//!
//! The frontier holds paths, not states: a state is replayed from its path
//! when it is expanded (a few calls), which keeps memory to the visited keys
//! and the paths of one level.

use std::collections::HashSet;

use indiv_engine::{Simulation, Step};

use crate::model::{Key, key, moments, replay, start};
use crate::world::{Environment, World};

/// One state, as the search hands it to the properties, once.
pub struct Visit<'a> {
    /// Its environment.
    pub env: &'a Environment,
    /// A shortest path to it.
    pub steps: &'a [Step],
    /// The state.
    pub sim: &'a Simulation,
}

/// How much the search did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Distinct states visited (the start of every environment included).
    pub states: u64,
    /// Transitions taken (calls made at a moment), leading to new states or not.
    pub transitions: u64,
    /// Environments searched.
    pub environments: u64,
}

/// Visits every state of every environment of `world` reachable in at most
/// `depth` calls, each once, in breadth-first order.
pub fn explore(world: &World, depth: usize, visit: &mut dyn FnMut(&Visit<'_>)) -> Stats {
    let mut stats = Stats::default();
    for env in world.environments() {
        explore_environment(world, &env, depth, visit, &mut stats);
        stats.environments += 1;
    }
    stats
}

/// The search of one environment.
pub fn explore_environment(
    world: &World,
    env: &Environment,
    depth: usize,
    visit: &mut dyn FnMut(&Visit<'_>),
    stats: &mut Stats,
) {
    let mut visited: HashSet<Key> = HashSet::new();
    let root = start(env);
    visited.insert(key(env, &root));
    stats.states += 1;
    visit(&Visit { env, steps: &[], sim: &root });
    let mut frontier: Vec<Vec<Step>> = vec![Vec::new()];
    for level in 1..=depth {
        let mut next = Vec::new();
        for path in &frontier {
            let sim = replay(env, path);
            for (trigger, at) in moments(&sim) {
                for call in &world.calls {
                    let mut state = at.clone();
                    state.call(call);
                    stats.transitions += 1;
                    if !visited.insert(key(env, &state)) {
                        continue;
                    }
                    stats.states += 1;
                    let mut steps = path.clone();
                    steps.push(Step { trigger, call: call.clone() });
                    visit(&Visit { env, steps: &steps, sim: &state });
                    if level < depth {
                        next.push(steps);
                    }
                }
            }
        }
        frontier = next;
    }
}
