//! The model checker's tests: the search is exhaustive (counted by hand on
//! a tiny bound, and compared with every scenario enumerated by brute
//! force), each property fires on a doctored input and stays quiet on a
//! conforming one, and on today's spec the checker finds the known
//! counterexamples (`known`).

mod conforms;
mod fires;
mod known;
mod monotone;
mod no_dead_end;
mod search;

use indiv_engine::service::Pace;
use indiv_engine::{AppCall, LockPolicy, ServiceBehavior, Step, Trigger};
use indiv_prove::World;
use indiv_spec::Spec;
use indiv_spec::vocab::{RequiredVersion, SecurityVersion};

/// The built-in spec.
pub fn spec() -> &'static Spec {
    Spec::builtin().expect("the built-in spec loads")
}

/// Version 2.`minor`.0.`individualized`.
pub fn version(minor: u32, individualized: u32) -> SecurityVersion {
    SecurityVersion([2, minor, 0, individualized])
}

/// Required version 2.`minor`.
pub fn required(minor: u32) -> RequiredVersion {
    RequiredVersion { major: 2, minor }
}

/// A healthy service offering `offered`, with the standard world's package.
pub fn healthy(offered: SecurityVersion) -> ServiceBehavior {
    ServiceBehavior {
        offered_version: offered,
        package_size: 2,
        pace: Pace { chunk_size: 1, delay_ms: 0, hold: false },
        fault: None,
        response_url: Default::default(),
    }
}

/// A world of one healthy environment and the given alphabet.
pub fn tiny_world(component: SecurityVersion, offered: SecurityVersion, calls: Vec<AppCall>) -> World {
    World {
        components: vec![component],
        offered: vec![offered],
        faults: vec![None],
        package_size: 1,
        chunk_size: 1,
        calls,
        lock: LockPolicy::UntilNeed,
    }
}

/// `call`, made at once.
pub fn now(call: AppCall) -> Step {
    Step { trigger: Trigger::Now, call }
}

/// `call`, made when nothing is under way.
pub fn idle(call: AppCall) -> Step {
    Step { trigger: Trigger::WhenIdle, call }
}

/// Shows `text` in the test's output (`cargo test -- --nocapture`).
pub fn show(text: &str) {
    println!("{text}");
}
