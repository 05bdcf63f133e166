//! Properties of the reference engine: every generated scenario conforms
//! (must and should), runs are deterministic, named scenarios are pinned as
//! snapshots, and a model of the spec predicts every call's result.

use indiv_engine::boundary;
use indiv_engine::core::AppCall;
use indiv_engine::scenario::{named, strategy};
use indiv_engine::service::{Exchange, Fault, Pace, ServiceBehavior};
use indiv_engine::{Scenario, Simulation, simulate};
use indiv_spec::record::{Body, Record, Status, to_jsonl as jsonl};
use indiv_spec::vocab::{Hresult, KnownHresult, RequiredVersion, SecurityFlag, SecurityVersion};
use indiv_spec::{CheckOptions, Monitor, Spec, check_reader};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

/// Engine scenarios checked per `cargo test` run.
const ENGINE_CASES: u32 = 1000;

/// Every violation the checker reports on `records`, via the JSONL text.
fn violations(records: &[Record<'static>]) -> Vec<String> {
    let spec = Spec::builtin().expect("spec loads");
    let text = jsonl(records);
    let outcome = check_reader(spec, text.as_bytes(), CheckOptions::default()).expect("engine output reads");
    outcome.violations.iter().map(|v| format!("{}@{}: {}", v.rule, v.line, v.message)).collect()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, max_shrink_time: 60_000, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn every_engine_trace_conforms() {
    // A runner rather than the `proptest!` macro, so the test can show how
    // many scenarios it checked and how fast.
    let mut runner = proptest::test_runner::TestRunner::new(config(ENGINE_CASES));
    let (records, started) = (std::cell::Cell::new(0usize), std::time::Instant::now());
    let reached = std::cell::Cell::new(boundary::Reached::default());
    let result = runner.run(&strategy::scenario(), |scenario| {
        let trace = simulate(&scenario);
        records.set(records.get() + trace.len());
        reached.set(reached.get().union(boundary::reached(&scenario)));
        let found = violations(&trace);
        prop_assert!(found.is_empty(), "{found:#?}\nscenario: {scenario:#?}\ntrace:\n{}", jsonl(&trace));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let seconds = started.elapsed().as_secs_f64();
    let missing: Vec<&str> = reached.get().missing().map(|e| e.id).collect();
    crate::show_in_test_output(&format!(
        "properties: {ENGINE_CASES} engine scenarios conform ({} records, {:.0} scenarios/s with checking); \
         boundaries reached: {}/{} {missing:?}; 256 determinism cases; {MODEL_CASES} model runs\n",
        records.get(),
        f64::from(ENGINE_CASES) / seconds,
        reached.get().entries().count(),
        boundary::case_entries().count(),
    ));
}

#[test]
fn generation_alone_reaches_every_boundary() {
    // Unaimed scenarios (the property suite's and the fuzz target's), from a
    // fixed seed so that the figure is a fact about the generator's weights,
    // not a draw: every case entry of the catalogue is reached without the
    // aim `--random` adds.
    let rng = proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(config(1000), rng);
    let mut reached = boundary::Reached::default();
    for _ in 0..1000 {
        let scenario = strategy::scenario().new_tree(&mut runner).expect("a scenario").current();
        reached = reached.union(boundary::reached(&scenario));
    }
    let missing: Vec<&str> = reached.missing().map(|e| e.id).collect();
    assert!(missing.is_empty(), "1000 generated scenarios miss {missing:?}");
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_same_scenario_gives_the_same_trace_byte_for_byte(scenario in strategy::scenario()) {
        prop_assert_eq!(jsonl(&simulate(&scenario)), jsonl(&simulate(&scenario.clone())));
    }
}

// Issue 3 asks for at least 1000 engine scenarios; a compile-time floor keeps
// a later edit from quietly lowering it.
const _: () = assert!(ENGINE_CASES >= 1000);

#[test]
fn minimised_counterexamples_are_kept_as_conforming_traces() {
    // Each counterexample the model-based test shrank to is kept as a
    // scenario and the engine's trace for it; the trace must still be what
    // the engine writes, and conform.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/counterexamples");
    let mut kept = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/counterexamples exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let scenario: Scenario = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let trace = jsonl(&simulate(&scenario));
        if std::env::var_os("INDIV_BLESS").is_some() {
            // After a deliberate change of the engine or the trace format.
            std::fs::write(path.with_extension("jsonl"), &trace).expect("write the blessed trace");
        }
        let committed = std::fs::read_to_string(path.with_extension("jsonl")).expect("a .jsonl beside each .toml");
        assert_eq!(trace, committed, "{}: the engine's trace changed", path.display());
        assert_eq!(violations(&simulate(&scenario)), Vec::<String>::new(), "{}", path.display());
        kept += 1;
    }
    assert!(kept > 0, "no counterexamples under {}", dir.display());
}

#[test]
fn named_scenarios_cover_the_list_and_conform() {
    let all = named();
    assert!(all.len() >= 15, "{} named scenarios", all.len());
    for n in &all {
        let trace = simulate(&n.scenario);
        assert!(violations(&trace).is_empty(), "{}: {:#?}", n.name, violations(&trace));
    }
}

#[test]
fn named_scenario_traces_are_snapshots() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/scenarios");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for n in named() {
            insta::assert_snapshot!(n.name, jsonl(&simulate(&n.scenario)), n.about);
        }
    });
}

#[test]
fn seeds_give_the_same_scenario_everywhere() {
    assert_eq!(Scenario::from_seed(7), Scenario::from_seed(7));
    assert_ne!(Scenario::from_seed(7), Scenario::from_seed(8));
}

// ---------------------------------------------------------------------------
// Model-based test: a reference model of the spec predicts what each call
// returns and what a settled session leaves behind; the engine must agree.

const MODEL_CASES: u32 = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Reader,
    Security,
}

#[derive(Clone, Debug)]
struct Model {
    component: SecurityVersion,
    service: ServiceBehavior,
    session: Option<(Path, u32)>,
    /// The last reader session to end was an Individualize(0x1) success, and
    /// no WMT_NEEDS_INDIVIDUALIZATION came since.
    locked: bool,
    /// The requirement of the content whose WMT_NEEDS_INDIVIDUALIZATION waits.
    needs_pending: Option<RequiredVersion>,
    needs_sent: usize,
    no_rights_sent: usize,
    /// What the last call must have returned.
    expected_hr: Option<Hresult>,
}

#[derive(Clone, Debug)]
enum Transition {
    Call(AppCall),
    Settle,
}

fn version() -> impl Strategy<Value = SecurityVersion> {
    (1u32..=3, 0u32..=6, 0u32..=1).prop_map(|(a, b, d)| SecurityVersion([a, b, 0, d]))
}

fn fault() -> impl Strategy<Value = Option<Fault>> {
    prop_oneof![
        3 => Just(None),
        1 => prop_oneof![
            Just(Fault::Unavailable(Exchange::Query)),
            Just(Fault::Unavailable(Exchange::Package)),
            Just(Fault::Refused(Exchange::Query)),
            Just(Fault::Reset(Exchange::Package)),
            (0u32..70_000).prop_map(Fault::DropAfter),
            (1u32..500).prop_map(Fault::ShortBody),
            Just(Fault::DailyLimit),
            Just(Fault::PackageMissing),
            Just(Fault::InstallFailure),
        ]
        .prop_map(Some),
    ]
}

fn call() -> impl Strategy<Value = AppCall> {
    prop_oneof![
        3 => prop_oneof![Just(0u32), Just(1), 0u32..8].prop_map(|flags| AppCall::Individualize { flags }),
        3 => prop_oneof![Just(1u32), Just(2), Just(4), 0u32..8].prop_map(|flags| AppCall::PerformSecurityUpdate { flags }),
        1 => Just(AppCall::CancelIndividualization),
        1 => Just(AppCall::CancelAsyncOperation),
        2 => (1u32..=3, 0u32..=6).prop_map(|(major, minor)| AppCall::Open { required: RequiredVersion { major, minor } }),
        1 => Just(AppCall::GetSecurityVersion),
    ]
}

impl Model {
    fn up_to_date(&self, path: Path, flags: u32) -> bool {
        path == Path::Security && flags == SecurityFlag::Indiv.value() && self.component >= self.service.offered_version
    }

    /// Whether the service's fault makes a session with this much work fail.
    fn fails(&self, queries_only: bool) -> bool {
        self.service.fault.is_some_and(|f| f.strikes_query() || !queries_only)
    }

    fn call(&mut self, call: &AppCall) -> Hresult {
        let ok = Hresult::S_OK;
        match call {
            AppCall::Open { required } => {
                let (major, minor) = self.component.major_minor();
                if !self.component.is_individualized() || (major, minor) < (required.major, required.minor) {
                    self.needs_pending = Some(*required);
                    self.locked = false;
                    self.needs_sent += 1;
                }
                ok
            }
            AppCall::Individualize { flags } => {
                let hr: Hresult = if *flags > 1 {
                    KnownHresult::EInvalidArg.into()
                } else if self.session.is_some() {
                    KnownHresult::Individualizing.into()
                } else if self.locked {
                    KnownHresult::AlreadyIndividualized.into()
                } else {
                    ok
                };
                if hr == ok {
                    self.session = Some((Path::Reader, *flags));
                }
                hr
            }
            AppCall::PerformSecurityUpdate { flags } => {
                if ![1, 2, 4].contains(flags) {
                    KnownHresult::EInvalidArg.into()
                } else if *flags == 2 {
                    ok
                } else if self.session.is_some() {
                    KnownHresult::Individualizing.into()
                } else {
                    self.session = Some((Path::Security, *flags));
                    ok
                }
            }
            AppCall::CancelIndividualization | AppCall::CancelAsyncOperation => {
                let path = if matches!(call, AppCall::CancelIndividualization) { Path::Reader } else { Path::Security };
                if self.session.is_some_and(|(p, _)| p == path) {
                    self.session = None;
                    if path == Path::Reader {
                        self.locked = false;
                    }
                    ok
                } else {
                    KnownHresult::EUnexpected.into()
                }
            }
            AppCall::GetSecurityVersion => ok,
        }
    }

    fn settle(&mut self) {
        let Some((path, flags)) = self.session.take() else { return };
        let up_to_date = self.up_to_date(path, flags);
        if self.fails(up_to_date) {
            if path == Path::Reader {
                self.locked = false;
            }
            return;
        }
        if !up_to_date {
            self.component = self.service.offered_version;
        }
        if path == Path::Reader {
            self.locked = flags == 1;
            // WMT_NO_RIGHTS_EX only when the upgrade met the content's requirement.
            if self.needs_pending.is_some_and(|r| !self.component.is_outdated_for(r)) {
                self.needs_pending = None;
                self.no_rights_sent += 1;
            }
        }
    }
}

struct EngineModel;

impl ReferenceStateMachine for EngineModel {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        (version(), version(), prop_oneof![Just(1u32), Just(4096), Just(65536)], fault())
            .prop_map(|(component, offered_version, package_size, fault)| Model {
                component,
                service: ServiceBehavior {
                    offered_version,
                    package_size,
                    pace: Pace { chunk_size: 8192, delay_ms: 0, hold: false },
                    fault,
                    response_url: Default::default(),
                },
                session: None,
                locked: false,
                needs_pending: None,
                needs_sent: 0,
                no_rights_sent: 0,
                expected_hr: None,
            })
            .boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Transition> {
        // Every call is a valid transition of the model: it predicts the
        // result of each, so nothing needs filtering.
        prop_oneof![3 => call().prop_map(Transition::Call), 1 => Just(Transition::Settle)].boxed()
    }

    fn apply(mut state: Model, transition: &Transition) -> Model {
        match transition {
            Transition::Call(call) => state.expected_hr = Some(state.call(call)),
            Transition::Settle => {
                state.settle();
                state.expected_hr = None;
            }
        }
        state
    }
}

struct Sut {
    sim: Simulation,
    monitor: Monitor<'static>,
    fed: usize,
}

impl Sut {
    /// Feeds the records added since the last check to the monitor; no violation may appear.
    fn check_new_records(&mut self) {
        let trace = self.sim.trace();
        for (i, record) in trace.iter().enumerate().skip(self.fed) {
            self.monitor.feed(i + 1, record);
        }
        self.fed = trace.len();
        let found: Vec<_> = self.monitor.drain_violations().collect();
        assert!(found.is_empty(), "{found:#?}\n{}", jsonl(self.sim.trace()));
    }

    fn count(&self, status: fn(&Status<'_>) -> bool) -> usize {
        self.sim.trace().iter().filter(|r| matches!(&r.body, Body::Status { status: s, .. } if status(s))).count()
    }
}

impl StateMachineTest for EngineModel {
    type SystemUnderTest = Sut;
    type Reference = EngineModel;

    fn init_test(model: &Model) -> Sut {
        let spec = Spec::builtin().expect("spec loads");
        Sut {
            sim: Simulation::new(model.component, model.service),
            monitor: Monitor::new(spec, CheckOptions::default()),
            fed: 0,
        }
    }

    fn apply(mut sut: Sut, model: &Model, transition: Transition) -> Sut {
        match transition {
            Transition::Call(call) => {
                let hr = sut.sim.call(&call);
                assert_eq!(Some(hr), model.expected_hr, "{call:?} returned {hr}");
            }
            Transition::Settle => {
                sut.sim.settle();
                assert!(!sut.sim.engine().is_busy(), "settled but still busy");
                assert_eq!(sut.sim.engine().component_version(), model.component, "component version after settling");
            }
        }
        sut.check_new_records();
        sut
    }

    fn check_invariants(sut: &Sut, model: &Model) {
        assert_eq!(
            sut.count(|s| matches!(s, Status::NeedsIndividualization)),
            model.needs_sent,
            "WMT_NEEDS_INDIVIDUALIZATION count"
        );
        assert_eq!(sut.count(|s| matches!(s, Status::NoRightsEx)), model.no_rights_sent, "WMT_NO_RIGHTS_EX count");
    }

    fn teardown(mut sut: Sut, _: Model) {
        sut.sim.settle();
        sut.check_new_records();
        let (violations, _) = sut.monitor.finish();
        assert!(violations.is_empty(), "{violations:#?}\n{}", jsonl(sut.sim.trace()));
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: MODEL_CASES, max_shrink_time: 60_000, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_follows_the_reference_model(sequential 1..40 => EngineModel);
}
