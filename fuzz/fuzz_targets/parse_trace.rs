//! Fuzz target `parse_trace`: see `indiv_conformance::fuzzing::parse_trace`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_conformance::fuzzing::parse_trace(data));
