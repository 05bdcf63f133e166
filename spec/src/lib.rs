//! `indiv-spec`: the executable specification of the Windows Media DRM
//! individualization status stream.
//!
//! - [`catalog`] loads `spec/individualization.toml`, the single source of
//!   truth: enumerations, the session phase table, the HTTP status order, and
//!   the rules with their citations.
//! - [`record`] and [`reader`] define and read the `indiv-trace/1` format.
//! - [`monitor`] is the streaming checker that judges a trace rule by rule.
//! - [`schema`] publishes the trace format as a JSON Schema.
//! - [`sarif`] writes the rules and their findings as SARIF 2.1.0.
//! - [`text`] quotes outside text in messages and outputs: positions,
//!   shortening, escaping.
//!
//! This crate never depends on the engine or the harness: it is the yardstick
//! they are measured with.

pub mod catalog;
mod error;
pub mod monitor;
#[cfg(feature = "oracle")]
#[doc(hidden)]
pub mod oracle;
pub mod reader;
pub mod record;
pub mod sarif;
pub mod schema;
pub mod text;
pub mod vocab;

pub use catalog::{Level, Rule, Spec};
pub use error::Error;
pub use monitor::{CheckOptions, Monitor, Note, Outcome, Violation, check_reader, check_records};
pub use reader::TraceReader;
pub use record::Record;
