//! The whole search at the default depth, on today's spec and engine: which
//! properties hold, and the counterexamples of the known contradictions it
//! finds.
//!
//! `PROVE-NO-DEAD-END` fails today in one known way (contradiction C3 of the
//! spec 2 issue; C1, a service offering x.y.0.0, is gone: spec 2 refuses such
//! an offer, and `no_dead_end.rs` keeps the search finding it in a world
//! that still offers one):
//! - after Individualize(0x1) succeeds, content requiring a higher version
//!   gets `WMT_NEEDS_INDIVIDUALIZATION`, but Individualize must be refused
//!   with `NS_E_DRM_ALREADY_INDIVIDUALIZED`, and the security path sends no
//!   `WMT_NO_RIGHTS_EX` (`no-rights`, against any healthy service).
//!
//! WHEN THE RULES ARE FIXED, flip `today_no_dead_end_fails_in_the_known_way`
//! into a test that `PROVE-NO-DEAD-END` holds (and `every_property_but_no_dead_end_holds`
//! into "every property holds").

use std::sync::OnceLock;

use indiv_engine::{AppCall, Scenario};
use indiv_prove::{Bounds, DEFAULT_DEPTH, PropertyId, Report, prove};

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
fn every_property_but_no_dead_end_holds() {
    for id in [PropertyId::Conforms, PropertyId::Monotone, PropertyId::EveryRuleFires] {
        let o = outcome(id);
        assert!(o.holds(), "{id}: {}", o.summary);
        assert_eq!(o.checked, if id == PropertyId::EveryRuleFires { 41 } else { report().stats.states });
    }
}

fn scenario_of(kind: &str) -> Scenario {
    let o = outcome(PropertyId::NoDeadEnd);
    let c = o.counterexamples.iter().find(|c| c.kind == kind);
    c.unwrap_or_else(|| panic!("no {kind} counterexample: {}", o.summary)).scenario.clone()
}

#[test]
fn today_no_dead_end_fails_in_the_known_way() {
    let o = outcome(PropertyId::NoDeadEnd);
    assert!(!o.holds(), "PROVE-NO-DEAD-END holds: flip this test (see the module doc)");
    let kinds: Vec<&str> = o.counterexamples.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["no-rights, offer x.y.0.1"]);
    let component = version(2, 1);
    let plain = |steps| Scenario { component_version: component, service: healthy(component), steps };
    // Individualize(0x1), then newer content: nothing answers it.
    let locked = plain(vec![now(AppCall::Individualize { flags: 1 }), idle(AppCall::Open { required: required(3) })]);
    assert_eq!(scenario_of("no-rights, offer x.y.0.1"), locked);
}
