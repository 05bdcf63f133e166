//! Fuzz target `engine_scenario`: see `indiv_conformance::fuzzing::engine_scenario`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_conformance::fuzzing::engine_scenario(data));
