//! `PROVE-NO-DEAD-END`: which `WMT_NEEDS_INDIVIDUALIZATION`s a trace still
//! owes an answer to, and the recovery search, quiet where a healthy service
//! lets the application recover and firing where it cannot.

use indiv_engine::{AppCall, LockPolicy, Simulation, Step};
use indiv_prove::model::replay;
use indiv_prove::properties::dead_end::{DeadEnd, Obligation, Recovery, obligation};
use indiv_prove::{Environment, World};
use indiv_spec::record::{Body, Call, Record, Status};
use indiv_spec::vocab::Hresult;

use crate::{healthy, idle, now, required, version};

fn open(minor: u32) -> Record<'static> {
    Record::new(Body::Call { call: Call::Open { required_version: required(minor) }, hr: Hresult::S_OK })
}

fn status(status: Status<'static>) -> Record<'static> {
    Record::new(Body::Status { status, hr: Hresult::S_OK })
}

fn needs() -> Record<'static> {
    status(Status::NeedsIndividualization)
}

fn no_rights() -> Record<'static> {
    status(Status::NoRightsEx)
}

fn owed(line: usize, minors: &[u32]) -> Option<Obligation> {
    Some(Obligation { line, required: minors.iter().map(|m| required(*m)).collect() })
}

#[test]
fn an_obligation_is_every_need_after_the_last_answer() {
    let cases: Vec<(&str, Vec<Record<'static>>, Option<Obligation>)> = vec![
        ("nothing opened", vec![], None),
        ("an Open that needs nothing", vec![open(2)], None),
        ("one need", vec![open(3), needs()], owed(2, &[3])),
        ("a need answered", vec![open(3), needs(), no_rights()], None),
        ("two needs, versions sorted", vec![open(3), needs(), open(1), needs()], owed(2, &[1, 3])),
        ("the same version twice", vec![open(3), needs(), open(3), needs()], owed(2, &[3])),
        ("a need after an answer", vec![open(3), needs(), no_rights(), open(2), needs()], owed(5, &[2])),
        ("a need without an Open", vec![needs()], owed(1, &[])),
    ];
    for (name, trace, expected) in cases {
        assert_eq!(obligation(&trace), expected, "{name}");
    }
}

/// The standard alphabet against services offering `offered`.
fn world(offered: &[(u32, u32)]) -> World {
    World { offered: offered.iter().map(|(m, i)| version(*m, *i)).collect(), ..World::standard() }
}

/// The state `steps` reach from component 2.2.0.1 against a healthy
/// service offering `offered`, and what it owes.
fn state(offered: (u32, u32), steps: &[Step]) -> (Simulation, Obligation) {
    state_with(LockPolicy::UntilNeed, offered, steps)
}

/// Like [`state`], with the engine's lock lasting as `lock` says.
fn state_with(lock: LockPolicy, offered: (u32, u32), steps: &[Step]) -> (Simulation, Obligation) {
    let env = Environment { component: version(2, 1), service: healthy(version(offered.0, offered.1)), lock };
    let sim = replay(&env, steps);
    let ob = obligation(sim.trace()).expect("the state owes an answer");
    (sim, ob)
}

#[test]
fn a_state_a_healthy_service_lets_recover_is_no_dead_end() {
    let world = world(&[(3, 1)]);
    let (sim, ob) = state((3, 1), &[now(AppCall::Open { required: required(3) })]);
    assert_eq!(ob.required, vec![required(3)]);
    let mut recovery = Recovery::new(&world, 3);
    assert_eq!(recovery.check(&sim, &ob), vec![]);
    // Mid-session too: the running session's success answers the need.
    let (busy, ob) =
        state((3, 1), &[now(AppCall::Open { required: required(3) }), now(AppCall::Individualize { flags: 0 })]);
    assert!(!busy.is_idle());
    assert_eq!(recovery.check(&busy, &ob), vec![]);
}

#[test]
fn recovery_needs_calls_so_a_zero_bound_makes_every_idle_need_a_dead_end() {
    let world = world(&[(3, 1)]);
    let (sim, ob) = state((3, 1), &[now(AppCall::Open { required: required(3) })]);
    let dead = Recovery::new(&world, 0).check(&sim, &ob);
    assert_eq!(dead, vec![DeadEnd::NoRights { service: healthy(version(3, 1)), within: 0 }]);
}

#[test]
fn a_service_offering_a_version_ending_in_0_never_answers_the_need() {
    // Contradiction C1 of spec 1.x, seeded: a world whose service still offers
    // x.y.0.0 (spec 2 refuses such an offer in a trace header). The install
    // makes the component x.y.0.0, which counts as not individualized. Under
    // 1.x the success was answered with WMT_NO_RIGHTS_EX and the next Open
    // needed the upgrade again; under spec 2 an upgrade that does not meet
    // the content owes no WMT_NO_RIGHTS_EX (contradiction C4), so the need is
    // never answered, and the search says so.
    let world = world(&[(3, 0)]);
    let (sim, ob) = state((2, 1), &[now(AppCall::Open { required: required(3) })]);
    let dead = Recovery::new(&world, 3).check(&sim, &ob);
    assert_eq!(dead, vec![DeadEnd::NoRights { service: healthy(version(3, 0)), within: 3 }]);
}

#[test]
fn a_final_individualization_then_newer_content_is_a_dead_end_only_under_the_old_lock() {
    // Contradiction C3 of spec 1.x, seeded: after Individualize(0x1)
    // succeeds, content that requires more gets WMT_NEEDS_INDIVIDUALIZATION,
    // the 1.x lock refuses Individualize for good, and the security path
    // sends no WMT_NO_RIGHTS_EX. Spec 2's need lifts the lock.
    let world = world(&[(2, 1), (3, 1)]);
    let steps = [now(AppCall::Individualize { flags: 1 }), idle(AppCall::Open { required: required(3) })];
    let (sim, ob) = state_with(LockPolicy::Permanent, (2, 1), &steps);
    let dead = Recovery::new(&world, 3).check(&sim, &ob);
    assert_eq!(dead, vec![DeadEnd::NoRights { service: healthy(version(3, 1)), within: 3 }]);
    let (sim, ob) = state((2, 1), &steps);
    assert_eq!(Recovery::new(&world, 3).check(&sim, &ob), vec![]);
}
