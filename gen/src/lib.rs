//! `indiv-gen`: traces made from the spec rather than recorded, for the
//! property tests, `indiv gen`, the benchmarks and the fuzz targets.
//!
//! - [`legal`] writes legal traces: random walks over the spec's phase table
//!   and HTTP order, without an engine.
//! - [`mutate`] turns a legal trace into one that breaks a chosen rule at a
//!   known line (one operator per trace rule, grouped by the rule's area).
//! - [`fuzzing`] (hidden) is the harness of each fuzz target in `fuzz/`, and
//!   writes the regression cases of `indiv fuzz-case`.

#[doc(hidden)]
pub mod fuzzing;
pub mod legal;
pub mod mutate;
