//! `PROVE-EVERY-RULE-FIRES`: every trace rule's mutation operator, applied
//! to an engine trace, makes the checker report that rule at the operator's
//! line; a harness rule has no operator; a rule given no tries is reported
//! as not shown to fire.

use indiv_engine::scenario::named;
use indiv_engine::simulate;
use indiv_prove::properties::conforms::complete;
use indiv_prove::properties::fires::{Firing, fires, trace_rules};
use indiv_spec::Rule;
use indiv_spec::record::Record;

use crate::spec;

fn reader_happy() -> Vec<Record<'static>> {
    simulate(&named().into_iter().find(|n| n.name == "reader-happy").expect("named").scenario)
}

#[test]
fn every_trace_rule_fires_on_an_engine_trace_at_its_operators_line() {
    let trace = reader_happy();
    let rules = trace_rules(spec());
    assert_eq!(rules.len(), 41);
    for rule in rules {
        let mutant = (0..8).find_map(|seed| fires(spec(), rule, &trace, seed));
        let mutant = mutant.unwrap_or_else(|| panic!("{rule} does not fire"));
        let reported = complete(spec(), &mutant.records);
        assert!(reported.iter().any(|v| v.rule == rule && v.line == mutant.line), "{rule}");
    }
}

#[test]
fn a_harness_rule_has_no_operator_and_does_not_fire() {
    assert_eq!(fires(spec(), Rule::ServiceFaultFails, &reader_happy(), 0), None);
    assert!(!trace_rules(spec()).contains(&Rule::ServiceFaultFails));
}

#[test]
fn the_property_reports_the_rules_that_could_not_be_shown_to_fire() {
    let trace = reader_happy();
    let mut untried = Firing::new(spec(), 0);
    untried.offer(spec(), &trace);
    assert!(untried.done());
    assert_eq!(untried.unfired(), trace_rules(spec()), "no tries: nothing fires");

    let mut firing = Firing::new(spec(), 8);
    while !firing.done() {
        firing.offer(spec(), &trace);
    }
    assert_eq!(firing.unfired(), Vec::<Rule>::new());
    assert_eq!(firing.fired.len(), 41);
}
