//! `PROVE-EVERY-RULE-FIRES`: every rule can fire. For each trace rule (every
//! rule but the harness's `SERVICE-*`), some explored trace that conforms,
//! changed by that rule's mutation operator (`indiv_gen::mutate::mutate`),
//! breaks it at the operator's line. Explored traces are offered in the
//! search's order; each rule gets a bounded number of tries, and the rules
//! that no try made fire are reported.

use std::collections::BTreeMap;

use indiv_gen::legal::SplitMix64;
use indiv_gen::mutate::{Mutant, mutate};
use indiv_spec::catalog::Basis;
use indiv_spec::record::Record;
use indiv_spec::{Rule, Spec};

use super::conforms::complete;

/// The mutant of `trace` for `rule` (choices seeded by `seed`), when the
/// checker reports `rule` at the mutant's line.
pub fn fires(spec: &Spec, rule: Rule, trace: &[Record<'static>], seed: u64) -> Option<Mutant> {
    let mutant = mutate(rule, trace, &mut SplitMix64::new(seed))?;
    complete(spec, &mutant.records).iter().any(|v| v.rule == rule && v.line == mutant.line).then_some(mutant)
}

/// The rules a trace alone can break.
pub fn trace_rules(spec: &Spec) -> Vec<Rule> {
    Rule::ALL.iter().copied().filter(|r| spec.rule(*r).basis != Basis::Harness).collect()
}

/// Where one rule was made to fire.
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    /// The explored trace's index among those offered.
    pub trace: u64,
    /// The mutant.
    pub mutant: Mutant,
}

/// The rules tried so far, with where each fired.
pub struct Firing {
    tries: u32,
    offered: u64,
    /// Tries left per rule not fired yet.
    pending: BTreeMap<Rule, u32>,
    /// Where each fired rule fired.
    pub fired: BTreeMap<Rule, Fired>,
}

impl Firing {
    /// Every trace rule of `spec`, each with `tries` tries.
    pub fn new(spec: &Spec, tries: u32) -> Firing {
        Firing {
            tries,
            offered: 0,
            pending: trace_rules(spec).into_iter().map(|r| (r, tries)).collect(),
            fired: BTreeMap::new(),
        }
    }

    /// Whether every rule has fired or run out of tries.
    pub fn done(&self) -> bool {
        self.pending.values().all(|left| *left == 0)
    }

    /// Tries every rule not fired yet on `trace` (a conforming explored trace).
    pub fn offer(&mut self, spec: &Spec, trace: &[Record<'static>]) {
        let index = self.offered;
        self.offered += 1;
        let mut fired = Vec::new();
        for (rule, left) in self.pending.iter_mut().filter(|(_, left)| **left > 0) {
            let seed = (u64::from(self.tries - *left) << 32) ^ (*rule as u64);
            *left -= 1;
            if let Some(mutant) = fires(spec, *rule, trace, seed) {
                fired.push((*rule, Fired { trace: index, mutant }));
            }
        }
        for (rule, at) in fired {
            self.pending.remove(&rule);
            self.fired.insert(rule, at);
        }
    }

    /// The rules that could not be shown to fire.
    pub fn unfired(&self) -> Vec<Rule> {
        self.pending.keys().copied().collect()
    }
}
