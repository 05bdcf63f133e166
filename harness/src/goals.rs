//! A case's goals: facts that every conforming engine produces when it plays
//! the case's scenario, derived from the scenario alone and checked from the
//! trace. A case whose rules all held but whose goals were not all reached
//! proves nothing (an engine that refuses every call breaks few rules) and is
//! INCONCLUSIVE, not PASS.
//!
//! Goals are derived conservatively, so that no conforming engine misses one
//! whatever its timing:
//!
//! - [`Goal::StartAccepted`]: a start call (`Individualize` with flags 0x0 or
//!   0x1, `PerformSecurityUpdate` with a valid flag) made while the engine is
//!   surely idle — every earlier call of the script is not a start call, or
//!   the step waits until nothing is under way (`when_idle`) — returns a
//!   success code. For `Individualize`, only when no earlier step of the
//!   script is an `Individualize(0x1)`, so the spec's lock
//!   (`READER-ALREADY-INDIVIDUALIZED`) cannot apply. Then no refusal of the
//!   spec applies: the flags are valid (not `E_INVALIDARG`), nothing runs
//!   (not `NS_E_DRM_INDIVIDUALIZING`), and nothing is locked.
//! - [`Goal::CancelAccepted`]: a cancel call returns a success code when the
//!   session it cancels (the reader session for `CancelIndividualization`,
//!   the security update for `CancelAsyncOperation`) had been accepted and
//!   had reported no terminal status before the cancel's record. Records are
//!   written as things happen, so a session that ended before the engine
//!   took the cancel has its end in the trace first; when it is not, the
//!   cancel met a running session and must be accepted. A cancel whose session
//!   never opened or had already ended asks nothing.

use indiv_engine::AppCall;
use indiv_engine::scenario::{Scenario, Trigger};
use indiv_spec::vocab::{Api, ReaderFlag, SecurityFlag};

/// One fact a case must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    /// The call of this step (1-based) starts work and must be accepted.
    StartAccepted {
        /// The step, counted from 1.
        step: usize,
        /// Its API.
        api: Api,
    },
    /// The cancel of this step (1-based) must be accepted if its session
    /// was running when the cancel's record came.
    CancelAccepted {
        /// The step, counted from 1.
        step: usize,
        /// Its API.
        api: Api,
    },
}

impl Goal {
    /// What the goal asks, in words.
    pub fn describe(&self, steps: usize) -> String {
        match self {
            Goal::StartAccepted { step, api } => {
                format!("call {step} of {steps} ({api}) on an idle engine was accepted")
            }
            Goal::CancelAccepted { step, api } => {
                format!("call {step} of {steps} ({api}) was accepted while its session ran")
            }
        }
    }
}

/// What one call of a case came to, as the goals need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSeen {
    /// It returned a success code.
    pub accepted: bool,
    /// For a cancel: the session it cancels had been accepted and had not
    /// reported a terminal status before the cancel's record.
    pub target_running: bool,
}

/// The goals of a scenario.
pub fn derive(scenario: &Scenario) -> Vec<Goal> {
    let mut goals = Vec::new();
    let mut started_before = false;
    let mut final_before = false;
    for (i, step) in scenario.steps.iter().enumerate() {
        let idle = !started_before || step.trigger == Trigger::WhenIdle;
        let step_no = i + 1;
        match step.call {
            AppCall::Individualize { flags } if ReaderFlag::from_value(flags).is_some() => {
                if idle && !final_before {
                    goals.push(Goal::StartAccepted { step: step_no, api: Api::Individualize });
                }
                started_before = true;
                final_before |= flags == ReaderFlag::Final.value();
            }
            AppCall::PerformSecurityUpdate { flags } if SecurityFlag::from_value(flags).is_some() => {
                if idle {
                    goals.push(Goal::StartAccepted { step: step_no, api: Api::PerformSecurityUpdate });
                }
                started_before = true;
            }
            AppCall::CancelIndividualization => {
                goals.push(Goal::CancelAccepted { step: step_no, api: Api::CancelIndividualization })
            }
            AppCall::CancelAsyncOperation => {
                goals.push(Goal::CancelAccepted { step: step_no, api: Api::CancelAsyncOperation })
            }
            _ => {}
        }
    }
    goals
}

/// The goals not reached, described; `calls` holds what each call came to,
/// in order (a call with no record is missing).
pub fn unreached(goals: &[Goal], calls: &[CallSeen], steps: usize) -> Vec<String> {
    goals
        .iter()
        .filter(|goal| {
            let (Goal::StartAccepted { step, .. } | Goal::CancelAccepted { step, .. }) = goal;
            let seen = calls.get(step - 1);
            match goal {
                Goal::StartAccepted { .. } => !seen.is_some_and(|c| c.accepted),
                Goal::CancelAccepted { .. } => seen.is_none_or(|c| c.target_running && !c.accepted),
            }
        })
        .map(|goal| goal.describe(steps))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indiv_engine::scenario::{by_name, named};

    fn goals_of(name: &str) -> Vec<Goal> {
        derive(&by_name(name).expect("a named scenario").scenario)
    }

    #[test]
    fn a_start_on_a_fresh_engine_must_be_accepted() {
        assert_eq!(goals_of("reader-happy"), vec![Goal::StartAccepted { step: 2, api: Api::Individualize }]);
    }

    #[test]
    fn a_second_start_while_one_runs_asks_nothing() {
        assert_eq!(goals_of("busy"), vec![Goal::StartAccepted { step: 1, api: Api::Individualize }]);
    }

    #[test]
    fn an_individualize_after_a_final_one_may_be_locked() {
        let goals = goals_of("no-reindiv-after-final");
        assert_eq!(goals, vec![Goal::StartAccepted { step: 1, api: Api::Individualize }]);
    }

    #[test]
    fn invalid_flags_ask_nothing() {
        assert!(goals_of("invalid-flags").is_empty());
    }

    #[test]
    fn a_cancel_is_a_goal_only_while_its_session_runs() {
        let goals = [Goal::CancelAccepted { step: 1, api: Api::CancelIndividualization }];
        let refused_running = CallSeen { accepted: false, target_running: true };
        let refused_idle = CallSeen { accepted: false, target_running: false };
        assert_eq!(unreached(&goals, &[refused_running], 1).len(), 1);
        assert!(unreached(&goals, &[refused_idle], 1).is_empty());
        assert_eq!(unreached(&goals, &[], 1).len(), 1);
    }

    #[test]
    fn every_named_case_with_a_start_call_has_a_goal() {
        for n in named() {
            let starts = n.scenario.steps.iter().any(|s| {
                matches!(s.call, AppCall::Individualize { flags } if flags < 2)
                    || matches!(s.call, AppCall::PerformSecurityUpdate { flags } if SecurityFlag::from_value(flags).is_some())
            });
            let start_goal = derive(&n.scenario).iter().any(|g| matches!(g, Goal::StartAccepted { .. }));
            assert_eq!(starts, start_goal, "{}", n.name);
        }
    }
}
