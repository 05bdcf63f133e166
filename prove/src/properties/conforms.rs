//! `PROVE-CONFORMS`: the trace of every explored scenario passes the
//! streaming checker (`must` and `should` rules, judged as a complete trace),
//! and the independent oracle reports the same `(rule, line)` set: none.

use std::collections::BTreeSet;

use indiv_spec::record::Record;
use indiv_spec::{CheckOptions, Rule, Spec, Violation, check_records, oracle};

/// What the checker and the oracle say about one complete trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    /// The checker's violations, in the order it reported them.
    pub monitor: Vec<Violation>,
    /// The oracle's `(rule, line)` set.
    pub oracle: BTreeSet<(Rule, usize)>,
}

impl Judgement {
    /// Judges `trace` (line 1 is its first record) as a complete trace.
    pub fn of(spec: &Spec, trace: &[Record<'_>]) -> Judgement {
        Judgement { monitor: complete(spec, trace), oracle: oracle::judge(spec, &numbered(trace), false) }
    }

    /// The checker's `(rule, line)` set.
    pub fn monitor_set(&self) -> BTreeSet<(Rule, usize)> {
        self.monitor.iter().map(|v| (v.rule, v.line)).collect()
    }

    /// Whether the property holds: neither reports anything.
    pub fn holds(&self) -> bool {
        self.monitor.is_empty() && self.oracle.is_empty()
    }

    /// What was found, one line each: the checker's violations with their
    /// messages, then any disagreement of the oracle.
    pub fn describe(&self) -> String {
        let mut lines: Vec<String> =
            self.monitor.iter().map(|v| format!("{}@{}: {}", v.rule, v.line, v.message)).collect();
        let monitor = self.monitor_set();
        if monitor != self.oracle {
            lines.push(format!("the oracle disagrees: checker {}, oracle {}", show(&monitor), show(&self.oracle)));
        }
        lines.join("\n")
    }
}

/// Every violation of `trace` as a complete trace, as the checker streams them.
pub fn complete(spec: &Spec, trace: &[Record<'_>]) -> Vec<Violation> {
    check_records(spec, trace, CheckOptions { partial: false }).violations
}

/// `trace` with its 1-based lines, as the oracle takes it.
pub fn numbered<'a>(trace: &[Record<'a>]) -> Vec<(usize, Record<'a>)> {
    trace.iter().cloned().enumerate().map(|(i, r)| (i + 1, r)).collect()
}

/// `[RULE@line, …]`.
pub fn show(set: &BTreeSet<(Rule, usize)>) -> String {
    let items: Vec<String> = set.iter().map(|(rule, line)| format!("{rule}@{line}")).collect();
    format!("[{}]", items.join(", "))
}
