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
//! - [`Goal::CancelDuring`]: a cancel whose step waits for a phase
//!   ([`Trigger::AtStatus`]) is accepted while its session runs with that
//!   phase the last it reported. This one is not sure for every engine: an
//!   engine that leaves the phase before the cancel reaches it (an install
//!   that takes no time) has not shown what the case is for, and the case
//!   is INCONCLUSIVE for it rather than a PASS. The scenario's `install_ms`
//!   asks an engine that simulates its installer to take long enough.
//! - [`Goal::MetRunning`]: a start call made while an accepted session
//!   surely runs finds it running when its record comes. "Surely" needs the
//!   service's help: the package is held after its first chunk
//!   ([`Pace::hold`](indiv_engine::service::Pace::hold)) until the harness
//!   has made the calls before the script's first `when_idle` step, the
//!   package is longer than one chunk, no fault can end the session early,
//!   and an accepted start before it surely fetches the package, with no
//!   cancel and no `when_idle` step between. `busy` is such a case: without
//!   this goal an engine that finished its session before the second start
//!   came would pass it without showing that it refuses a start while busy.
//! - [`Goal::FaultMet`]: the service's fault was played to a request of the
//!   exchange it strikes (in the service's log), when the script has no
//!   cancel (which could stop a session before its requests) and a start
//!   call it must accept surely makes that request: every accepted session
//!   sends its query, and a forced one (`Individualize`,
//!   `PerformSecurityUpdate(FORCE_INDIV)`), or an as-needed one on a
//!   component older than the offer, fetches the package once its query
//!   succeeded (a package fault leaves the query alone). A refused
//!   connection leaves no trace in the log, so it asks nothing.

use indiv_engine::AppCall;
use indiv_engine::scenario::{Phase, Scenario, Trigger};
use indiv_engine::service::Fault;
use indiv_service_rules::{CaseLog, ExchangeKind};
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
    /// The cancel of this step (1-based), made when its session reported
    /// `phase`, must be accepted while the session runs in that phase.
    CancelDuring {
        /// The step, counted from 1.
        step: usize,
        /// Its API.
        api: Api,
        /// The phase.
        phase: Phase,
    },
    /// The call of this step (1-based) must come while a session runs.
    MetRunning {
        /// The step, counted from 1.
        step: usize,
        /// Its API.
        api: Api,
    },
    /// The service's fault was played to a request of the exchange it strikes.
    FaultMet {
        /// The fault.
        fault: Fault,
        /// Whether it strikes the query (else the package request).
        query: bool,
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
            Goal::CancelDuring { step, api, phase } => {
                format!("call {step} of {steps} ({api}) was accepted while {} was under way", phase.name())
            }
            Goal::MetRunning { step, api } => {
                format!("call {step} of {steps} ({api}) came while an accepted session ran")
            }
            Goal::FaultMet { fault, query } => format!(
                "the service played its fault ({}) to a {} request",
                fault.name(),
                if *query { "query" } else { "package" }
            ),
        }
    }
}

/// What one call of a case came to, as the goals need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallSeen {
    /// Its API.
    pub api: Api,
    /// It returned a success code.
    pub accepted: bool,
    /// For a cancel: the session it cancels had been accepted and had not
    /// reported a terminal status before the cancel's record.
    pub target_running: bool,
    /// For a cancel: the `enIndiStatus` of the last status that session
    /// reported before the cancel's record.
    pub target_phase: Option<u32>,
    /// A session (reader or security update) had been accepted and had not
    /// reported a terminal status before the call's record.
    pub session_running: bool,
}

/// The goals of a scenario.
pub fn derive(scenario: &Scenario) -> Vec<Goal> {
    let mut goals = Vec::new();
    let mut started_before = false;
    let mut final_before = false;
    // Whether an accepted start surely sends its query, and fetches the package.
    let (mut queries, mut fetches) = (false, false);
    // Whether a session surely runs now: see `Goal::MetRunning`.
    let service = &scenario.service;
    let held = service.pace.hold && service.package_size > service.pace.chunk_size && service.fault.is_none();
    let mut surely_running = false;
    for (i, step) in scenario.steps.iter().enumerate() {
        let idle = !started_before || step.trigger == Trigger::WhenIdle;
        let step_no = i + 1;
        if step.trigger == Trigger::WhenIdle {
            surely_running = false;
        }
        let start_api = match step.call {
            AppCall::Individualize { flags } if ReaderFlag::from_value(flags).is_some() => Some(Api::Individualize),
            AppCall::PerformSecurityUpdate { flags } if SecurityFlag::from_value(flags).is_some() => {
                Some(Api::PerformSecurityUpdate)
            }
            _ => None,
        };
        if let (Some(api), true) = (start_api, surely_running) {
            goals.push(Goal::MetRunning { step: step_no, api });
        }
        let fetched_before = fetches;
        match step.call {
            AppCall::Individualize { flags } if ReaderFlag::from_value(flags).is_some() => {
                if idle && !final_before {
                    goals.push(Goal::StartAccepted { step: step_no, api: Api::Individualize });
                    (queries, fetches) = (true, true);
                }
                started_before = true;
                final_before |= flags == ReaderFlag::Final.value();
            }
            AppCall::PerformSecurityUpdate { flags } if SecurityFlag::from_value(flags).is_some() => {
                if idle {
                    goals.push(Goal::StartAccepted { step: step_no, api: Api::PerformSecurityUpdate });
                    if flags == SecurityFlag::ForceIndiv.value() {
                        (queries, fetches) = (true, true);
                    } else if flags == SecurityFlag::Indiv.value() {
                        queries = true;
                        fetches |= scenario.component_version < scenario.service.offered_version;
                    }
                }
                started_before = true;
            }
            AppCall::CancelIndividualization | AppCall::CancelAsyncOperation => {
                let api = match step.call {
                    AppCall::CancelIndividualization => Api::CancelIndividualization,
                    _ => Api::CancelAsyncOperation,
                };
                goals.push(match step.trigger {
                    Trigger::AtStatus(phase) => Goal::CancelDuring { step: step_no, api, phase },
                    _ => Goal::CancelAccepted { step: step_no, api },
                });
                surely_running = false;
            }
            _ => {}
        }
        // This step's start was accepted on an idle engine and fetches the
        // package, which the service holds.
        if held && fetches && !fetched_before {
            surely_running = true;
        }
    }
    let cancels = scenario
        .steps
        .iter()
        .any(|s| matches!(s.call, AppCall::CancelIndividualization | AppCall::CancelAsyncOperation));
    if let (Some(fault), false) = (scenario.service.fault, cancels) {
        let refused = matches!(fault, Fault::Refused(_));
        let query = fault.strikes_query();
        if !refused && ((query && queries) || (!query && fetches)) {
            goals.push(Goal::FaultMet { fault, query });
        }
    }
    goals
}

/// The goals not reached, described; `calls` holds what each call came to,
/// in order (a call with no record is missing), `log` what the service did.
pub fn unreached(goals: &[Goal], calls: &[CallSeen], log: &CaseLog, steps: usize) -> Vec<String> {
    goals
        .iter()
        .filter(|goal| match goal {
            Goal::StartAccepted { step, .. } => !calls.get(step - 1).is_some_and(|c| c.accepted),
            Goal::CancelAccepted { step, .. } => calls.get(step - 1).is_none_or(|c| c.target_running && !c.accepted),
            Goal::CancelDuring { step, phase, .. } => !calls
                .get(step - 1)
                .is_some_and(|c| c.accepted && c.target_running && c.target_phase == Some(phase.indi().value())),
            Goal::MetRunning { step, .. } => !calls.get(step - 1).is_some_and(|c| c.session_running),
            Goal::FaultMet { query, .. } => {
                let kind = if *query { ExchangeKind::Query } else { ExchangeKind::Package };
                !log.exchanges.iter().any(|e| e.kind == kind)
            }
        })
        .map(|goal| goal.describe(steps))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indiv_engine::scenario::{by_name, named};
    use indiv_spec::vocab::IndiStatus;

    fn goals_of(name: &str) -> Vec<Goal> {
        derive(&by_name(name).expect("a named scenario").scenario)
    }

    #[test]
    fn a_start_on_a_fresh_engine_must_be_accepted() {
        assert_eq!(goals_of("reader-happy"), vec![Goal::StartAccepted { step: 2, api: Api::Individualize }]);
    }

    #[test]
    fn a_second_start_while_a_held_session_runs_must_meet_it_running() {
        assert_eq!(
            goals_of("busy"),
            vec![
                Goal::StartAccepted { step: 1, api: Api::Individualize },
                Goal::MetRunning { step: 2, api: Api::Individualize },
                Goal::MetRunning { step: 3, api: Api::PerformSecurityUpdate },
            ]
        );
        let call = |session_running| CallSeen {
            api: Api::Individualize,
            accepted: false,
            target_running: false,
            target_phase: None,
            session_running,
        };
        let goal = [Goal::MetRunning { step: 2, api: Api::Individualize }];
        let log = CaseLog::default();
        let start = CallSeen { accepted: true, ..call(false) };
        assert!(unreached(&goal, &[start, call(true)], &log, 2).is_empty());
        assert_eq!(unreached(&goal, &[start, call(false)], &log, 2).len(), 1, "the session had ended");
        assert_eq!(unreached(&goal, &[start], &log, 2).len(), 1, "never made");
    }

    #[test]
    fn without_a_hold_a_second_start_asks_nothing() {
        let mut busy = by_name("busy").expect("busy").scenario;
        busy.service.pace.hold = false;
        assert_eq!(derive(&busy), vec![Goal::StartAccepted { step: 1, api: Api::Individualize }]);
        // Nor with a package of one chunk, which the hold cannot stop.
        busy.service.pace.hold = true;
        busy.service.package_size = busy.service.pace.chunk_size;
        assert_eq!(derive(&busy), vec![Goal::StartAccepted { step: 1, api: Api::Individualize }]);
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
        let refused_running = CallSeen {
            api: Api::CancelIndividualization,
            accepted: false,
            target_running: true,
            target_phase: None,
            session_running: true,
        };
        let refused_idle = CallSeen {
            api: Api::CancelIndividualization,
            accepted: false,
            target_running: false,
            target_phase: None,
            session_running: false,
        };
        let log = CaseLog::default();
        assert_eq!(unreached(&goals, &[refused_running], &log, 1).len(), 1);
        assert!(unreached(&goals, &[refused_idle], &log, 1).is_empty());
        assert_eq!(unreached(&goals, &[], &log, 1).len(), 1);
    }

    #[test]
    fn a_cancel_made_at_a_phase_must_meet_that_phase_under_way() {
        let during = Goal::CancelDuring { step: 2, api: Api::CancelIndividualization, phase: Phase::Install };
        assert!(goals_of("reader-cancel-install").contains(&during));
        let install = Some(Phase::Install.indi().value());
        let call = |accepted, target_running, target_phase| CallSeen {
            api: Api::CancelIndividualization,
            accepted,
            target_running,
            target_phase,
            session_running: target_running,
        };
        let start = call(true, false, None);
        let log = CaseLog::default();
        let unreached_with = |cancel| unreached(std::slice::from_ref(&during), &[start, cancel], &log, 3).len();
        assert_eq!(unreached_with(call(true, true, install)), 0, "met the install under way");
        assert_eq!(unreached_with(call(false, false, Some(IndiStatus::Succeed.value()))), 1, "came after the end");
        let download = Some(Phase::Download.indi().value());
        assert_eq!(unreached_with(call(true, true, download)), 1, "came before the install");
        assert_eq!(unreached_with(call(false, true, install)), 1, "refused");
        assert_eq!(unreached(std::slice::from_ref(&during), &[start], &log, 3).len(), 1, "never made");
    }

    #[test]
    fn a_fault_case_must_meet_its_fault_unless_the_connection_is_refused() {
        let missing = Goal::FaultMet { fault: Fault::PackageMissing, query: false };
        assert!(goals_of("fault-package-missing").contains(&missing));
        let daily = Goal::FaultMet { fault: Fault::DailyLimit, query: true };
        assert!(goals_of("fault-daily-limit").contains(&daily));
        assert!(!goals_of("fault-refused").iter().any(|g| matches!(g, Goal::FaultMet { .. })));
        let mut log = CaseLog::default();
        assert_eq!(unreached(std::slice::from_ref(&missing), &[], &log, 2).len(), 1, "no package request");
        let request = |kind| indiv_service_rules::ExchangeRecord {
            kind,
            completed: true,
            body_written: 0,
            content_length: None,
            status: Some(404),
            offer_of: None,
            redirected: false,
            ambiguous: false,
        };
        log.exchanges.push(request(ExchangeKind::Query));
        assert_eq!(unreached(std::slice::from_ref(&missing), &[], &log, 2).len(), 1, "a query is not the package");
        log.exchanges.push(request(ExchangeKind::Package));
        assert!(unreached(&[missing], &[], &log, 2).is_empty());
        for n in named().into_iter().filter(|n| n.name.starts_with("fault-") && n.name != "fault-refused") {
            assert!(derive(&n.scenario).iter().any(|g| matches!(g, Goal::FaultMet { .. })), "{}", n.name);
        }
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
