//! `indiv-engine`: a minimal, deterministic reference engine for DRM
//! individualization, with a simulated individualization service.
//!
//! - [`core`]: the sans-io [`Engine`] state machine (calls and transport events
//!   in; trace records and transport commands out).
//! - [`service`]: [`ServiceBehavior`], the service as one value (offer, package,
//!   pacing, faults), shared by the simulation and the loopback service.
//! - [`sim`]: the in-memory simulation with virtual time.
//! - [`boundary`]: the boundary catalogue: the values at the edges of the
//!   spec's comparisons, which cases aim at and certification measures.
//! - [`scenario`]: [`Scenario`], its named instances, `Arbitrary` and a proptest strategy.
//!
//! The engine depends on `indiv-spec` for vocabulary only: it never calls the
//! checker to decide what to do.

pub mod boundary;
pub mod core;
pub mod scenario;
pub mod service;
pub mod sim;

pub use crate::core::{AppCall, Engine, Input, LockPolicy, Output, Transmit};
pub use scenario::{Named, Scenario, Step, Trigger};
pub use service::{Fault, ServiceBehavior};
pub use sim::{Simulation, simulate};
