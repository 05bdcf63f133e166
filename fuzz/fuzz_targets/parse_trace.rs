//! Fuzz target `parse_trace`: see `indiv_gen::fuzzing::parse_trace`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::parse_trace(data));
