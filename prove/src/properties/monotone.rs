//! `PROVE-MONOTONE`: verdicts only grow. Every violation the checker reports
//! on a prefix of an explored trace (fed as a partial trace, without
//! `finish`) is still reported, with the same rule and line, on the whole
//! trace judged as complete. End-of-trace findings are not in any prefix's
//! set, so they are aside.
//!
//! The checker is streaming: what it has drained after the first `i` records
//! depends on those records alone, so one partial pass over the whole trace,
//! drained after every record, gives the violations of every prefix at once
//! ([`prefixes`]); [`check`] then compares them with the whole trace's.

use std::collections::BTreeSet;

use indiv_spec::record::Record;
use indiv_spec::{CheckOptions, Monitor, Rule, Spec};

/// A violation a prefix reported and the whole trace no longer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Withdrawn {
    /// The shortest prefix that reported it (records).
    pub prefix: usize,
    /// Its rule.
    pub rule: Rule,
    /// Its line.
    pub line: usize,
}

impl std::fmt::Display for Withdrawn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the first {} records report {}@{}, the whole trace does not", self.prefix, self.rule, self.line)
    }
}

/// What the checker drains after feeding each record of `trace` as a partial
/// trace: entry `i` holds the violations found at record `i + 1`, so the
/// prefix of `n` records reports the entries `..n`.
pub fn prefixes(spec: &Spec, trace: &[Record<'_>]) -> Vec<Vec<(Rule, usize)>> {
    let mut monitor = Monitor::new(spec, CheckOptions { partial: true });
    let mut out = Vec::with_capacity(trace.len());
    for (i, record) in trace.iter().enumerate() {
        monitor.feed(i + 1, record);
        out.push(monitor.drain_violations().map(|v| (v.rule, v.line)).collect());
    }
    out
}

/// Checks that every prefix's violations (as [`prefixes`] gives them) are
/// among `whole`'s; the first that is not, by the shortest prefix.
pub fn check(prefixes: &[Vec<(Rule, usize)>], whole: &BTreeSet<(Rule, usize)>) -> Result<(), Withdrawn> {
    for (i, found) in prefixes.iter().enumerate() {
        if let Some(&(rule, line)) = found.iter().find(|v| !whole.contains(v)) {
            return Err(Withdrawn { prefix: i + 1, rule, line });
        }
    }
    Ok(())
}
