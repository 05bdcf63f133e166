//! `PROVE-MONOTONE` holds on traces whose violations stay (a streaming
//! checker's verdicts on prefixes are kept), and fires on a synthetic checker
//! output where a prefix's violation is withdrawn from the whole trace's.

use std::collections::BTreeSet;

use indiv_engine::scenario::named;
use indiv_engine::simulate;
use indiv_prove::properties::conforms::Judgement;
use indiv_prove::properties::monotone::{Withdrawn, check, prefixes};
use indiv_spec::Rule;
use indiv_spec::record::{Body, Call, Record};

use crate::spec;

/// reader-happy with Individualize(0x2) accepted (READER-FLAGS-VALID at line
/// 4) and the trace cut before the session ends (SESSION-ENDS at the end).
fn violating() -> Vec<Record<'static>> {
    let scenario = named().into_iter().find(|n| n.name == "reader-happy").expect("named").scenario;
    let mut trace = simulate(&scenario);
    if let Body::Call { call: Call::Individualize { flags }, .. } = &mut trace[3].body {
        *flags = 2;
    }
    trace.truncate(10);
    trace
}

#[test]
fn the_violations_of_every_prefix_are_kept_on_a_violating_trace() {
    let trace = violating();
    let whole = Judgement::of(spec(), &trace).monitor_set();
    let found = prefixes(spec(), &trace);
    assert_eq!(found.len(), trace.len());
    assert!(found[3].contains(&(Rule::ReaderFlagsValid, 4)), "{found:?}");
    assert!(whole.contains(&(Rule::ReaderFlagsValid, 4)) && whole.len() > 1, "{whole:?}");
    assert_eq!(check(&found, &whole), Ok(()));
}

#[test]
fn each_prefix_of_the_one_pass_is_what_a_fresh_checker_reports_on_that_prefix() {
    let trace = violating();
    let found = prefixes(spec(), &trace);
    for n in 1..=trace.len() {
        let fresh: BTreeSet<(Rule, usize)> = prefixes(spec(), &trace[..n]).concat().into_iter().collect();
        let pass: BTreeSet<(Rule, usize)> = found[..n].concat().into_iter().collect();
        assert_eq!(fresh, pass, "prefix of {n} records");
    }
}

#[test]
fn a_withdrawn_violation_fires_at_the_shortest_prefix_that_reported_it() {
    // Synthetic checker output: the prefix of 2 records reports
    // SESSION-ENDS@2, the prefix of 3 also READER-FLAGS-VALID@3, and the
    // whole trace keeps only the latter.
    let prefixes = vec![vec![], vec![(Rule::SessionEnds, 2)], vec![(Rule::ReaderFlagsValid, 3)]];
    let whole: BTreeSet<(Rule, usize)> = [(Rule::ReaderFlagsValid, 3)].into_iter().collect();
    let withdrawn = check(&prefixes, &whole);
    assert_eq!(withdrawn, Err(Withdrawn { prefix: 2, rule: Rule::SessionEnds, line: 2 }));
    assert_eq!(
        withdrawn.map_err(|w| w.to_string()),
        Err("the first 2 records report SESSION-ENDS@2, the whole trace does not".to_string())
    );
    // A violation kept at another line is withdrawn too.
    let moved: BTreeSet<(Rule, usize)> = [(Rule::SessionEnds, 3), (Rule::ReaderFlagsValid, 3)].into_iter().collect();
    assert!(check(&prefixes, &moved).is_err());
    let kept: BTreeSet<(Rule, usize)> = [(Rule::SessionEnds, 2), (Rule::ReaderFlagsValid, 3)].into_iter().collect();
    assert_eq!(check(&prefixes, &kept), Ok(()));
}
