//! The integration tests of `indiv-specdoc`: every rule fixture, run through
//! the checker or the service rules. (The committed documents are compared
//! with the generators end to end, in `indiv-cli`'s tests.)

mod rules;
