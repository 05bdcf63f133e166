//! `indiv-specdoc`: the spec as a document.
//!
//! - [`fixtures`] reads the rule fixtures (`tests/rules/*.toml`, embedded at
//!   build time), the examples where each rule fires and stays quiet.
//! - [`explain`] writes the rule catalog (`indiv spec`) and `indiv explain`.
//! - [`markdown`] writes `docs/SPEC.md`.
//! - [`diagram`] draws the phase and HTTP diagrams (Mermaid and Graphviz DOT).

pub mod diagram;
pub mod explain;
pub mod fixtures;
pub mod markdown;
