//! The rule coverage matrix: for each rule, in how many cases it was
//! exercised (its condition arose) and in how many it fired.
//!
//! "Exercised" is approximated conservatively from each case's trace and the
//! service's log, by the rule's area, so that a rule counted as exercised
//! really had its kind of event to judge (a rule is also exercised wherever
//! it fired):
//!
//! - `values`: the testee wrote at least one record;
//! - `sessions`, `http`: a session opened (a start call other than a
//!   revocation refresh was accepted);
//! - `cancellation`: a cancel call was accepted;
//! - `reader`: a call to the reader's APIs (`Open`, `Individualize`,
//!   `CancelIndividualization`) has its record;
//! - `security`: a call to the security APIs (`PerformSecurityUpdate`,
//!   `CancelAsyncOperation`, `GetSecurityVersion`) has its record;
//! - `service`: a session opened and the service answered a request.
//!
//! A rule no case exercised is one certification says nothing about.
//!
//! Beside it, the boundary coverage: which case entries of the boundary
//! catalogue (`indiv_engine::boundary`) the cases reached.

use indiv_spec::catalog::Area;
use indiv_spec::vocab::Api;
use indiv_spec::{Rule, Spec};

use indiv_engine::boundary::Entry;

use crate::runner::{CaseResult, Verdict};

/// What a case showed, as the approximation needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFacts {
    /// The testee wrote a record.
    pub records: bool,
    /// Each call's API and whether it was accepted, in order.
    pub calls: Vec<(Api, bool)>,
    /// A session opened.
    pub session: bool,
    /// The service answered a request.
    pub exchanges: bool,
}

/// Whether a rule of `area` was exercised in a case with `facts`.
pub fn exercised(area: Area, facts: &CaseFacts) -> bool {
    let called = |apis: &[Api]| facts.calls.iter().any(|(api, _)| apis.contains(api));
    match area {
        Area::Values => facts.records,
        Area::Sessions | Area::Http => facts.session,
        Area::Cancellation => facts.calls.iter().any(|(api, accepted)| {
            *accepted && matches!(api, Api::CancelIndividualization | Api::CancelAsyncOperation)
        }),
        Area::Reader => called(&[Api::Open, Api::Individualize, Api::CancelIndividualization]),
        Area::Security => called(&[Api::PerformSecurityUpdate, Api::CancelAsyncOperation, Api::GetSecurityVersion]),
        Area::Service => facts.session && facts.exchanges,
    }
}

/// One row of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleCoverage {
    /// The rule.
    pub rule: Rule,
    /// Cases in which its condition arose (or it fired).
    pub exercised: usize,
    /// Cases in which it fired.
    pub fired: usize,
}

/// The matrix over `results`, one row per rule of the catalog.
pub fn matrix<'a>(spec: &Spec, results: impl IntoIterator<Item = &'a CaseResult> + Clone) -> Vec<RuleCoverage> {
    Rule::ALL
        .iter()
        .map(|&rule| {
            let area = spec.rule(rule).area;
            let (mut exercised_in, mut fired) = (0, 0);
            for r in results.clone() {
                let fires = r.findings.iter().any(|f| f.rule == rule);
                fired += usize::from(fires);
                exercised_in += usize::from(fires || exercised(area, &r.facts));
            }
            RuleCoverage { rule, exercised: exercised_in, fired }
        })
        .collect()
}

/// One row of the boundary coverage: a case entry of the boundary
/// catalogue and in how many cases it was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundaryCoverage {
    /// The entry.
    pub entry: &'static Entry,
    /// Cases that reached it.
    pub cases: usize,
}

/// The boundary coverage over `results`, one row per case entry of the
/// catalogue, in its order. A case counts when it was played to a
/// judgement (not ERROR, SKIP or INCONCLUSIVE): it reached an entry when the
/// reference engine's play of its scenario meets the entry's value (see
/// [`indiv_engine::boundary::reached`]), so the figures do not depend on
/// the engine under test, only on which cases it was judged on.
pub fn boundaries<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Vec<BoundaryCoverage> {
    let mut counts = vec![0usize; indiv_engine::boundary::case_entries().count()];
    for r in results {
        if matches!(r.verdict, Verdict::Error | Verdict::Skip | Verdict::Inconclusive) {
            continue;
        }
        let reached = indiv_engine::boundary::reached(&r.scenario);
        for (count, entry) in counts.iter_mut().zip(indiv_engine::boundary::case_entries()) {
            *count += usize::from(reached.has(entry));
        }
    }
    indiv_engine::boundary::case_entries().zip(counts).map(|(entry, cases)| BoundaryCoverage { entry, cases }).collect()
}

/// How many of `rows` were reached, of how many.
pub fn reached_of(rows: &[BoundaryCoverage]) -> (usize, usize) {
    (rows.iter().filter(|r| r.cases > 0).count(), rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, verdict: Verdict) -> CaseResult {
        let scenario = crate::run::case_by_name(name).expect("a case").scenario;
        CaseResult {
            name: name.to_string(),
            verdict,
            findings: Vec::new(),
            error: None,
            timed_out: None,
            goals: Vec::new(),
            facts: CaseFacts::default(),
            duration: std::time::Duration::ZERO,
            trace: String::new(),
            stderr: String::new(),
            scenario,
            exchanges: Vec::new(),
        }
    }

    #[test]
    fn a_random_run_of_as_many_seeds_as_entries_reaches_every_boundary() {
        let count = indiv_engine::boundary::case_entries().count() as u64;
        for start in [0, 1_000] {
            let results: Vec<_> =
                (start..start + count).map(|seed| result(&format!("random-{seed}"), Verdict::Fail)).collect();
            let rows = boundaries(&results);
            let missing: Vec<_> = rows.iter().filter(|r| r.cases == 0).map(|r| r.entry.id).collect();
            assert!(missing.is_empty(), "seeds from {start}: {missing:?}");
            assert_eq!(reached_of(&rows), (rows.len(), rows.len()));
        }
    }

    #[test]
    fn cases_not_judged_reach_no_boundary() {
        let played = result("boundary-url-query", Verdict::Pass);
        let query = |rows: &[BoundaryCoverage]| rows.iter().find(|r| r.entry.id == "url/query").map(|r| r.cases);
        assert_eq!(query(&boundaries([&played])), Some(1));
        for verdict in [Verdict::Error, Verdict::Skip, Verdict::Inconclusive] {
            let rows = boundaries([&result("boundary-url-query", verdict)]);
            assert_eq!(query(&rows), Some(0), "{verdict:?}");
            assert_eq!(reached_of(&rows).0, 0);
        }
    }

    #[test]
    fn a_refused_cancel_does_not_exercise_the_cancellation_rules() {
        let refused = CaseFacts { calls: vec![(Api::CancelIndividualization, false)], ..CaseFacts::default() };
        assert!(!exercised(Area::Cancellation, &refused));
        assert!(exercised(Area::Reader, &refused));
        let accepted = CaseFacts { calls: vec![(Api::CancelIndividualization, true)], ..CaseFacts::default() };
        assert!(exercised(Area::Cancellation, &accepted));
    }

    #[test]
    fn session_rules_need_a_session_and_service_rules_a_request_too() {
        let session = CaseFacts { records: true, session: true, ..CaseFacts::default() };
        assert!(exercised(Area::Sessions, &session) && exercised(Area::Http, &session));
        assert!(!exercised(Area::Service, &session));
        assert!(exercised(Area::Service, &CaseFacts { exchanges: true, ..session }));
        assert!(!exercised(Area::Sessions, &CaseFacts { records: true, ..CaseFacts::default() }));
    }
}
