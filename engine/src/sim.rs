//! The in-memory simulation: drives the sans-io [`Engine`] against a
//! [`ServiceBehavior`] with virtual time and a script of application calls,
//! and returns the trace. Deterministic: the same scenario gives the same
//! trace, byte for byte.

use std::collections::VecDeque;

use indiv_spec::record::{Body, Event, Record, Status};
use indiv_spec::vocab::{Hresult, SecurityVersion};

use crate::core::{AppCall, Engine, Input, InstallEvent, LockPolicy, NetError, NetEvent, Output, Request, Transmit};
use crate::scenario::{PhaseCounts, Scenario, Trigger};
use crate::service::{Plan, ServiceBehavior, Wire};

/// The base URL the simulated service answers under.
pub const SIM_BASE_URL: &str = "http://individualize.sim/";

/// Runs `scenario` to the end and returns its trace, header first.
pub fn simulate(scenario: &Scenario) -> Vec<Record<'static>> {
    let mut sim = Simulation::new(scenario.component_version, scenario.service);
    for step in &scenario.steps {
        sim.advance(step.trigger);
        sim.call(&step.call);
    }
    sim.settle();
    sim.trace
}

/// One run in progress: the engine, the simulated service and installer, and
/// the trace so far. [`simulate`] drives it from a script; model-based tests
/// and the bounded model checker (`indiv-prove`) drive it step by step, and
/// the checker clones it to branch.
#[derive(Clone)]
pub struct Simulation {
    engine: Engine,
    service: ServiceBehavior,
    /// Inputs the service and installer will deliver, in order.
    queue: VecDeque<Input>,
    trace: Vec<Record<'static>>,
    /// Individualization statuses emitted so far (triggers count them).
    statuses: u64,
    /// How many of those statuses were of each phase.
    phases: PhaseCounts,
    /// The transport events of the service's answer to the package
    /// request, once planned: `service` fixes them, so every download of a
    /// run gets the same ones, and planning builds the package's bytes (up
    /// to [`crate::boundary::MAX_WHOLE_PACKAGE`]) only to count them.
    /// Forgotten when the service is replaced. (The answer to the
    /// individualize request is planned anew for each session: planning it
    /// is small, and it writes and reads the offer's JSON each time.)
    package_events: Option<Vec<NetEvent>>,
}

impl Simulation {
    /// A fresh component at `component` against `service`; the trace starts with its header.
    pub fn new(component: SecurityVersion, service: ServiceBehavior) -> Simulation {
        let header = Record {
            ts: None,
            body: Body::Header { component_version: Some(component), service_version: Some(service.offered_version) },
        };
        Simulation {
            engine: Engine::new(component),
            service,
            queue: VecDeque::new(),
            trace: vec![header],
            statuses: 0,
            phases: PhaseCounts::default(),
            package_events: None,
        }
    }

    /// This simulation with the engine's lock lasting as `policy` says.
    pub fn with_lock_policy(mut self, policy: LockPolicy) -> Simulation {
        self.engine = self.engine.with_lock_policy(policy);
        self
    }

    /// Makes an application call and returns what it returned.
    pub fn call(&mut self, call: &AppCall) -> Hresult {
        let hr = self.engine.call(call);
        self.drain();
        hr
    }

    /// Delivers everything still to come, until nothing is under way.
    pub fn settle(&mut self) {
        while self.step() {}
    }

    /// Delivers inputs until the moment `trigger` names: at once for
    /// [`Trigger::Now`], after that many more individualization statuses (or
    /// when nothing is left) for [`Trigger::AfterStatuses`], when nothing is
    /// left for [`Trigger::WhenIdle`], once a status of the phase is reported
    /// (or when nothing is left) for [`Trigger::AtStatus`]. [`simulate`]
    /// plays each step's trigger
    /// with it.
    pub fn advance(&mut self, trigger: Trigger) {
        match trigger {
            Trigger::Now => {}
            Trigger::AfterStatuses(n) => {
                let target = self.statuses + u64::from(n);
                while self.statuses < target && self.step() {}
            }
            Trigger::WhenIdle => self.settle(),
            Trigger::AtStatus(phase) => {
                let before = self.phases.get(phase);
                while self.phases.get(phase) == before && self.step() {}
            }
        }
    }

    /// Individualization statuses (and Progress events) emitted so far: what
    /// [`Trigger::AfterStatuses`] counts.
    pub fn statuses(&self) -> u64 {
        self.statuses
    }

    /// Whether nothing is left to deliver (every trigger would call at once).
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// The inputs the service and installer will still deliver, in order.
    pub fn pending(&self) -> impl Iterator<Item = &Input> {
        self.queue.iter()
    }

    /// The service from now on: exchanges started later follow `service`,
    /// those already under way keep their plan, and the header is not
    /// rewritten. For a model checker that asks what an application can still
    /// do once the service is healthy again.
    pub fn replace_service(&mut self, service: ServiceBehavior) {
        self.service = service;
        self.package_events = None;
    }

    /// The trace so far, header first.
    pub fn trace(&self) -> &[Record<'static>] {
        &self.trace
    }

    /// The engine, to ask it about its state.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Delivers one input; false when nothing is left to deliver.
    pub fn step(&mut self) -> bool {
        let Some(input) = self.queue.pop_front() else { return false };
        self.engine.handle(input);
        self.drain();
        true
    }

    fn drain(&mut self) {
        while let Some(output) = self.engine.poll_output() {
            match output {
                Output::Record(record) => {
                    if let Body::Status { status: Status::Individualize(value), .. }
                    | Body::Event { event: Event::Progress(value), .. } = &record.body
                    {
                        self.statuses += 1;
                        self.phases.count(value.indi);
                    }
                    self.trace.push(record);
                }
                Output::Transmit(t) => self.transmit(t),
            }
        }
    }

    fn transmit(&mut self, t: Transmit) {
        match t {
            Transmit::Request { exchange, request } => {
                let service = &self.service;
                let events = match request {
                    Request::Individualize { .. } => {
                        &plan_events(service.plan_query(&service.offer(SIM_BASE_URL), SIM_BASE_URL))
                    }
                    Request::Package { .. } => {
                        &*self.package_events.get_or_insert_with(|| plan_events(service.plan_package(0)))
                    }
                };
                self.queue.extend(events.iter().map(|event| Input::Net { exchange, event: event.clone() }));
            }
            Transmit::Abort { exchange } => {
                self.queue.retain(|i| !matches!(i, Input::Net { exchange: e, .. } if *e == exchange));
            }
            Transmit::Install => {
                let last = if self.service.install_fails() { InstallEvent::Failed } else { InstallEvent::Done };
                for event in [InstallEvent::Step, InstallEvent::Step, last] {
                    self.queue.push_back(Input::Install(event));
                }
            }
            Transmit::AbortInstall => self.queue.retain(|i| !matches!(i, Input::Install(_))),
            Transmit::RefreshRevocation { id } => self.queue.push_back(Input::RevocationDone { id }),
        }
    }
}

/// The transport events a plan produces, as a careful HTTP client sees
/// them: it follows no redirect, skips an interim response, reads a chunked
/// or HTTP/1.0 body to its end without a `Content-Length`, reads no byte
/// past a `Content-Length`, decodes no encoding it did not ask for, and
/// takes a head that is cut short, has no end or announces two lengths for
/// a broken connection. (The reference engine's transport, ureq, differs in
/// one place: it takes an interim response before a package for a broken
/// exchange; both outcomes conform.)
pub fn plan_events(plan: Plan) -> Vec<NetEvent> {
    let whole = plan.whole();
    match plan {
        Plan::Refuse => vec![NetEvent::Failed(NetError::Refused)],
        Plan::Reset => vec![NetEvent::Connected, NetEvent::RequestSent, NetEvent::Failed(NetError::Reset)],
        Plan::Respond {
            wire: Wire::ConflictingLengths | Wire::EndlessHead | Wire::CutStatusLine | Wire::CutHead,
            ..
        } => {
            vec![NetEvent::Connected, NetEvent::RequestSent, NetEvent::Failed(NetError::Reset)]
        }
        Plan::Respond { status, content_length, body, chunk_size, offer, .. } => {
            let mut events =
                vec![NetEvent::Connected, NetEvent::RequestSent, NetEvent::ResponseHead { status, content_length }];
            for chunk in body.chunks(chunk_size.max(1) as usize) {
                events.push(NetEvent::Body { len: chunk.len() as u32 });
            }
            if whole {
                let offer = if (200..300).contains(&status) { offer } else { None };
                events.push(NetEvent::ResponseComplete { offer });
            } else {
                events.push(NetEvent::Failed(NetError::Reset));
            }
            events
        }
    }
}
