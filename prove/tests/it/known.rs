//! The whole search at the default depth, on today's spec and engine: every
//! property holds; and the same search on a world seeded with the 1.x lock
//! (contradiction C3) finds its dead end and prints it as a minimal call
//! sequence. (C1, a service offering x.y.0.0, is seeded in `no_dead_end.rs`:
//! spec 2 refuses such an offer in a trace header.)

use std::sync::OnceLock;

use indiv_engine::{AppCall, LockPolicy, Scenario};
use indiv_prove::{Bounds, DEFAULT_DEPTH, PropertyId, Report, World, prove};

use crate::{healthy, idle, now, required, version};

fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let report = prove(&Bounds::standard(DEFAULT_DEPTH)).expect("the checker runs");
        crate::show(&report.render());
        report
    })
}

fn outcome(id: PropertyId) -> &'static indiv_prove::Outcome {
    report().outcomes.iter().find(|o| o.property == id).expect("every property is reported")
}

#[test]
fn the_search_reports_every_property_in_order_and_counts_its_states() {
    let r = report();
    let ids: Vec<PropertyId> = r.outcomes.iter().map(|o| o.property).collect();
    assert_eq!(ids, PropertyId::ALL);
    assert_eq!(r.depth, DEFAULT_DEPTH);
    assert_eq!(r.stats.environments, 72);
    assert!(r.stats.states > 1000 && r.stats.transitions >= r.stats.states - r.stats.environments);
    let text = r.render();
    assert!(text.starts_with(&format!("{} states (", r.stats.states)), "{text}");
    for id in PropertyId::ALL {
        assert!(text.contains(id.id()), "{text}");
    }
}

#[test]
fn every_property_holds() {
    let trace_rules = indiv_spec::Rule::ALL
        .iter()
        .filter(|r| crate::spec().rule(**r).basis != indiv_spec::catalog::Basis::Harness)
        .count();
    for id in PropertyId::ALL {
        let o = outcome(id);
        assert!(o.holds(), "{id}: {}", o.summary);
        let checked = match id {
            PropertyId::EveryRuleFires => trace_rules as u64,
            PropertyId::NoDeadEnd => o.checked,
            _ => report().stats.states,
        };
        assert_eq!(o.checked, checked, "{id}");
    }
    assert!(outcome(PropertyId::NoDeadEnd).checked > 0, "no state owed WMT_NO_RIGHTS_EX");
}

#[test]
fn under_the_old_lock_the_search_finds_the_dead_end_as_a_minimal_call_sequence() {
    let world = World { lock: LockPolicy::Permanent, ..World::standard() };
    let report = prove(&Bounds { world, ..Bounds::standard(2) }).expect("the checker runs");
    let o = report.outcomes.iter().find(|o| o.property == PropertyId::NoDeadEnd).expect("reported");
    assert!(!o.holds(), "the 1.x lock must leave a dead end");
    let kinds: Vec<&str> = o.counterexamples.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["no-rights, offer x.y.0.1"]);
    let component = version(2, 1);
    // Individualize(0x1), then newer content: nothing answers it.
    let locked = Scenario {
        component_version: component,
        service: healthy(component),
        steps: vec![now(AppCall::Individualize { flags: 1 }), idle(AppCall::Open { required: required(3) })],
        install_ms: 0,
    };
    assert_eq!(o.counterexamples[0].scenario, locked);
    let text = report.render();
    assert!(text.contains("  calls:\n    1. now: Individualize(0x1)\n    2. when idle: Open(2.3)"), "{text}");
    // Every other property still holds there: the engine conforms to spec 2
    // except that its lock outlives a need, which is a should rule's matter.
    for id in [PropertyId::Monotone, PropertyId::EveryRuleFires] {
        let o = report.outcomes.iter().find(|o| o.property == id).expect("reported");
        assert!(o.holds(), "{id}: {}", o.summary);
    }
}
