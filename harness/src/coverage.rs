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

use indiv_spec::catalog::Area;
use indiv_spec::vocab::Api;
use indiv_spec::{Rule, Spec};

use crate::runner::CaseResult;

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

#[cfg(test)]
mod tests {
    use super::*;

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
