//! The model: a state is a [`Simulation`] (the reference engine, the
//! simulated service and installer with the inputs they will still deliver)
//! in one [`Environment`], reached by a path of [`Step`]s; a transition is one
//! application call made at one moment ([`Trigger`]).
//!
//! The moments of a state are the ones a [`Trigger`] can name, each once:
//! now, after each number of further statuses that still leaves something to
//! deliver, and when idle. A trigger that names the same moment as another
//! (after more statuses than remain, or anything when nothing is under way)
//! is left out, so each transition is a distinct scenario step, and every
//! label replays: [`replay`] (and `indiv_engine::simulate`) reach the same
//! state from the same steps.
//!
//! States are deduplicated by a [`Key`]: a 128-bit fingerprint (SipHash and
//! FxHash side by side) of the environment, the engine's whole state (every
//! field, by its derived `Hash`), the pending inputs, and the [`Memory`]:
//! what the rules and the properties remember from the trace that the engine
//! does not hold. The trace itself is not in the key (it grows with every
//! path, so no two paths would ever meet); two paths that meet leave the
//! engine, the service and that memory alike, so what follows is judged
//! alike. A test judges every two-call scenario of an environment by brute
//! force, without deduplication, to hold the key to that.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use indiv_engine::{Scenario, Simulation, Step, Trigger};
use indiv_spec::record::{Body, Call, Event, Record, Status};
use indiv_spec::vocab::{IndiStatus, RequiredVersion, SecurityFlag};

use crate::world::Environment;

/// A state's identity for deduplication (a 128-bit fingerprint).
pub type Key = u128;

/// A fresh simulation of `env`, its header written.
pub fn start(env: &Environment) -> Simulation {
    Simulation::new(env.component, env.service).with_lock_policy(env.lock)
}

/// The state `steps` reach from the start of `env`.
pub fn replay(env: &Environment, steps: &[Step]) -> Simulation {
    let mut sim = start(env);
    for step in steps {
        sim.advance(step.trigger);
        sim.call(&step.call);
    }
    sim
}

/// The scenario of a path (what `indiv simulate` and `indiv certify` play).
pub fn scenario(env: &Environment, steps: &[Step]) -> Scenario {
    Scenario { component_version: env.component, service: env.service, steps: steps.to_vec(), install_ms: 0 }
}

/// The trace a scenario ends with: the state's, after everything under way
/// has finished (what `indiv_engine::simulate` returns).
pub fn settled(sim: &Simulation) -> Simulation {
    let mut done = sim.clone();
    done.settle();
    done
}

/// Every distinct moment of `sim` at which a call can be made, with the
/// state at that moment, earliest first.
pub fn moments(sim: &Simulation) -> Vec<(Trigger, Simulation)> {
    let mut out = vec![(Trigger::Now, sim.clone())];
    if sim.is_idle() {
        return out;
    }
    let base = sim.statuses();
    let mut at = sim.clone();
    loop {
        let before = at.statuses();
        while at.statuses() == before && at.step() {}
        if at.is_idle() {
            out.push((Trigger::WhenIdle, at));
            return out;
        }
        // Within u32: a session reports a bounded number of statuses.
        let after = u32::try_from(at.statuses() - base).unwrap_or(u32::MAX);
        out.push((Trigger::AfterStatuses(after), at.clone()));
    }
}

/// What the rules (and the properties) remember from a trace beyond what the
/// engine's state holds: who succeeded last, whether anything was installed,
/// whether a session was ever opened, the window of the last `Open`, and the
/// `WMT_NO_RIGHTS_EX` obligations with the versions they are owed for. Read
/// from the trace by [`Memory::of`]. The known version SECURITY-VERSION-STABLE
/// judges reports against needs no field: the trace's header names both
/// versions, so it is the environment's component until `installed`, and the
/// service's after.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Memory {
    /// The flags of the last reader session that succeeded.
    pub reader_success: Option<u32>,
    /// A session installed and succeeded.
    pub installed: bool,
    /// A session was opened.
    pub opened: bool,
    /// The last call was an `Open` of this version; whether
    /// `WMT_NEEDS_INDIVIDUALIZATION` followed it.
    pub open_window: Option<(RequiredVersion, bool)>,
    /// A `WMT_NEEDS_INDIVIDUALIZATION` has not been answered by `WMT_NO_RIGHTS_EX` yet.
    pub needs: bool,
    /// The required versions of the `Open`s whose needs are unanswered, ascending.
    pub owed: Vec<RequiredVersion>,
    /// A reader session succeeded since that `WMT_NEEDS_INDIVIDUALIZATION`.
    pub success_since_needs: bool,
}

/// The session a trace has open, as far as [`Memory::of`] reads it.
#[derive(Clone, Copy)]
struct Open {
    reader: bool,
    flags: u32,
    installed: bool,
}

impl Memory {
    /// Reads `trace`.
    pub fn of(trace: &[Record<'_>]) -> Memory {
        let mut memory = Memory::default();
        let mut open: Option<Open> = None;
        let mut last_open = None;
        for record in trace {
            match &record.body {
                Body::Header { .. } => {}
                Body::Call { call, hr } => {
                    memory.open_window = None;
                    let starts = |reader, flags| Some(Open { reader, flags, installed: false });
                    match call {
                        Call::Open { required_version } => {
                            memory.open_window = Some((*required_version, false));
                            last_open = Some(*required_version);
                        }
                        Call::Individualize { flags } if hr.is_success() => open = starts(true, *flags),
                        Call::PerformSecurityUpdate { flags }
                            if hr.is_success() && *flags != SecurityFlag::RevocationRefresh.value() =>
                        {
                            open = starts(false, *flags);
                        }
                        _ => {}
                    }
                    memory.opened |= open.is_some();
                }
                Body::Status { status: Status::Individualize(v), .. }
                | Body::Event { event: Event::Progress(v), .. } => {
                    memory.status(&mut open, IndiStatus::from_value(v.indi));
                }
                Body::Status { status: Status::NeedsIndividualization, .. } => memory.need(last_open),
                Body::Status { status: Status::NoRightsEx, .. } => {
                    memory.needs = false;
                    memory.owed.clear();
                    memory.success_since_needs = false;
                }
                Body::Event { .. } => {}
            }
        }
        memory
    }

    /// A `WMT_NEEDS_INDIVIDUALIZATION`, owed for the last `Open` before it
    /// (as `PROVE-NO-DEAD-END`'s obligation reads it).
    fn need(&mut self, last_open: Option<RequiredVersion>) {
        self.needs = true;
        self.success_since_needs = false;
        if let Some((_, seen)) = self.open_window.as_mut() {
            *seen = true;
        }
        if let Some(required) = last_open.filter(|r| !self.owed.contains(r)) {
            self.owed.push(required);
            self.owed.sort();
        }
    }

    fn status(&mut self, open: &mut Option<Open>, indi: Option<IndiStatus>) {
        let Some(session) = open.as_mut() else { return };
        match indi {
            Some(IndiStatus::Install) => session.installed = true,
            Some(IndiStatus::Succeed) => {
                self.installed |= session.installed;
                if session.reader {
                    self.reader_success = Some(session.flags);
                    self.success_since_needs |= self.needs;
                }
                *open = None;
            }
            Some(IndiStatus::Fail | IndiStatus::Cancel) => *open = None,
            _ => {}
        }
    }
}

/// The key of `sim` in `env`.
pub fn key(env: &Environment, sim: &Simulation) -> Key {
    let mut fp = Fingerprint::new();
    env.hash(&mut fp);
    Memory::of(sim.trace()).hash(&mut fp);
    fp.write_machine(sim);
    fp.key()
}

/// The key of `sim` without the environment's header or the rules' memory:
/// what the engine and the service will do from here (for searches whose
/// goal is read from the records that come after).
pub fn machine_key(sim: &Simulation) -> Key {
    let mut fp = Fingerprint::new();
    fp.write_machine(sim);
    fp.key()
}

/// A 128-bit fingerprint: SipHash (std's `DefaultHasher`) and FxHash over
/// the same bytes, so that two states collide only if both hashes do.
struct Fingerprint(DefaultHasher, u64);

/// FxHash's multiplier.
const FX: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Fingerprint {
    fn new() -> Fingerprint {
        Fingerprint(DefaultHasher::new(), 0)
    }

    /// The engine's whole state and the pending inputs.
    fn write_machine(&mut self, sim: &Simulation) {
        sim.engine().hash(self);
        for input in sim.pending() {
            input.hash(self);
        }
    }

    fn key(&self) -> Key {
        (u128::from(self.0.finish()) << 64) | u128::from(self.1)
    }

    fn fx(&mut self, word: u64) {
        self.1 = (self.1.rotate_left(5) ^ word).wrapping_mul(FX);
    }
}

impl Hasher for Fingerprint {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.fx(u64::from_le_bytes(word));
        }
        for &b in chunks.remainder() {
            self.fx(u64::from(b));
        }
        self.fx(bytes.len() as u64);
    }

    fn finish(&self) -> u64 {
        self.0.finish() ^ self.1
    }
}
