//! `indiv-service-rules`: what the individualization service did on the wire
//! ([`CaseLog`]), and the `SERVICE-*` harness rules judged against it
//! ([`check`]; `url` says when two response URLs are the same URL).
//!
//! Only a harness that ran the service can judge these rules, but the rules
//! themselves are pure functions of a status, the session's facts and the
//! log. They live apart from the HTTP server so that the documents (rule
//! fixtures, `docs/SPEC.md`) can show and test them without it.

mod log;
mod rules;
mod url;

pub use log::{CaseLog, ExchangeKind, ExchangeRecord};
pub use rules::{ServiceFinding, SessionFacts, check, fault_fails};
