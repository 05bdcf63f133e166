//! The search is exhaustive: its state count on a tiny bound is the one
//! counted by hand, every scenario of a bounded length (enumerated by brute
//! force, with every trigger) reaches a state it visited, and every path it
//! reports replays as a scenario.

use std::collections::HashSet;

use indiv_engine::{AppCall, Simulation, Step, Trigger, simulate};
use indiv_prove::model::{key, moments, replay, scenario, settled};
use indiv_prove::properties::conforms::Judgement;
use indiv_prove::properties::dead_end::obligation;
use indiv_prove::search::{Stats, explore};
use indiv_prove::world::standard_calls;
use indiv_prove::{Environment, World};
use indiv_spec::record::to_jsonl as jsonl;
use indiv_spec::vocab::RequiredVersion;

use crate::{spec, tiny_world, version};

/// One environment (component 2.2.0.1, service offering 2.2.0.1, no fault,
/// a one-byte package) and the one call Individualize(0x0).
fn one_call_world() -> World {
    tiny_world(version(2, 1), version(2, 1), vec![AppCall::Individualize { flags: 0 }])
}

#[test]
fn the_state_count_of_a_one_call_alphabet_is_the_one_counted_by_hand() {
    // Counted by hand. Depth 0: the start (1 state). Depth 1: the start is
    // idle, so its one moment is "now"; Individualize(0x0) opens a session
    // (INDI_BEGIN): 1 new state. Depth 2: that session reports 12 more
    // statuses: INDI_DOWNLOAD at connecting, requesting, receiving and
    // completed of the query (the query's body reports none), then at
    // connecting, requesting, receiving and its one body byte of the package;
    // its completion reports INDI_DOWNLOAD and INDI_INSTALL together (one
    // moment, "after 10"); two install steps report INDI_INSTALL; the last
    // step's INDI_SUCCEED leaves nothing to deliver ("when idle"). So the
    // moments are now, after 1..=8, 10, 11, 12 statuses, and when idle: 13.
    // Individualize(0x0) is refused while the session runs, which changes
    // nothing: "now" is the depth-1 state again, the 11 later busy moments
    // are 11 new states; when idle it opens a second session: 1 more.
    // Total: 1 + 1 + 12 = 14 states, from 1 + 13 = 14 transitions.
    let world = one_call_world();
    let count = |depth| explore(&world, depth, &mut |_| {});
    assert_eq!(count(0), Stats { states: 1, transitions: 0, environments: 1 });
    assert_eq!(count(1), Stats { states: 2, transitions: 1, environments: 1 });
    assert_eq!(count(2), Stats { states: 14, transitions: 14, environments: 1 });
}

#[test]
fn the_moments_of_a_running_session_are_each_reachable_status_count_once() {
    let world = one_call_world();
    let env = world.environments()[0];
    let running = replay(&env, &[crate::now(AppCall::Individualize { flags: 0 })]);
    let triggers: Vec<Trigger> = moments(&running).into_iter().map(|(t, _)| t).collect();
    let mut expected = vec![Trigger::Now];
    expected.extend([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12].map(Trigger::AfterStatuses));
    expected.push(Trigger::WhenIdle);
    assert_eq!(triggers, expected);
    let idle = settled(&running);
    assert_eq!(moments(&idle).len(), 1, "an idle state has one moment: now");
}

/// Every trigger a brute force tries: now, after 1 to 20 statuses, when idle.
fn every_trigger() -> Vec<Trigger> {
    let mut all = vec![Trigger::Now, Trigger::WhenIdle];
    all.extend((1..=20).map(Trigger::AfterStatuses));
    all
}

/// Every path of `depth` steps over `calls` and every trigger.
fn every_path(calls: &[AppCall], depth: usize) -> Vec<Vec<Step>> {
    let mut paths = vec![Vec::new()];
    for _ in 0..depth {
        let mut longer = Vec::new();
        for path in &paths {
            for trigger in every_trigger() {
                for call in calls {
                    let mut p: Vec<Step> = path.clone();
                    p.push(Step { trigger, call: call.clone() });
                    longer.push(p);
                }
            }
        }
        paths = longer;
    }
    paths
}

#[test]
fn every_scenario_of_two_calls_reaches_a_visited_state() {
    // A few environments of the standard world (healthy, a fault on the
    // query, a fault on the package), the whole standard alphabet.
    let standard = World::standard();
    let envs: Vec<Environment> = standard
        .environments()
        .into_iter()
        .filter(|e| e.component.is_individualized() && e.service.offered_version == version(3, 1))
        .take(4)
        .collect();
    let mut visited: HashSet<u128> = HashSet::new();
    for env in &envs {
        let world = World {
            components: vec![env.component],
            offered: vec![env.service.offered_version],
            faults: vec![env.service.fault],
            ..standard.clone()
        };
        explore(&world, 2, &mut |v| {
            visited.insert(key(v.env, v.sim));
        });
    }
    let calls = standard_calls();
    let mut checked = 0;
    for env in &envs {
        for depth in 0..=2 {
            for path in every_path(&calls, depth) {
                let state = replay(env, &path);
                assert!(visited.contains(&key(env, &state)), "{env:?}: {path:?} reaches a state the search missed");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * (1 + 22 * 13 + (22 * 13) * (22 * 13)));
}

/// The versions a state owes `WMT_NO_RIGHTS_EX` for (where in the trace
/// the needs stand does not matter to what can follow).
fn owed(sim: &Simulation) -> Option<Vec<RequiredVersion>> {
    obligation(sim.trace()).map(|o| o.required)
}

#[test]
fn deduplication_hides_no_scenario_of_two_calls_that_breaks_a_rule() {
    // The search judges one path per state; brute force judges every path
    // (every trigger, every call, up to two calls) of one environment whose
    // sessions install and succeed. Merged paths must not hide a violation,
    // nor an unanswered need the search did not see.
    let env = Environment {
        component: version(2, 0),
        service: crate::healthy(version(3, 1)),
        lock: indiv_engine::LockPolicy::UntilNeed,
    };
    let world = World {
        components: vec![env.component],
        offered: vec![version(3, 1)],
        faults: vec![None],
        ..World::standard()
    };
    let mut searched = 0;
    let mut owing = HashSet::new();
    explore(&world, 2, &mut |v| {
        assert!(Judgement::of(spec(), settled(v.sim).trace()).holds(), "{:?}", v.steps);
        owing.insert((key(v.env, v.sim), owed(v.sim)));
        searched += 1;
    });
    let mut traces = HashSet::new();
    for depth in 0..=2 {
        for path in every_path(&world.calls, depth) {
            let state = replay(&env, &path);
            assert!(owing.contains(&(key(&env, &state), owed(&state))), "{path:?}");
            let trace = jsonl(settled(&state).trace());
            if traces.insert(trace.clone()) {
                assert!(Judgement::of(spec(), settled(&state).trace()).holds(), "{path:?}\n{trace}");
            }
        }
    }
    assert!(traces.len() > searched, "brute force saw {} traces, the search {searched} states", traces.len());
}

#[test]
fn every_visited_path_replays_as_a_scenario_to_the_same_trace() {
    let world = World::standard();
    let env = world.environments()[0];
    let world = World {
        components: vec![env.component],
        offered: vec![env.service.offered_version],
        faults: vec![None],
        ..world
    };
    let mut paths = 0;
    explore(&world, 2, &mut |v| {
        let simulated = simulate(&scenario(v.env, v.steps));
        assert_eq!(simulated, settled(v.sim).trace(), "{:?}", v.steps);
        paths += 1;
    });
    assert!(paths > 100, "{paths}");
}
