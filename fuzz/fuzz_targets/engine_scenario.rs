//! Fuzz target `engine_scenario`: see `indiv_gen::fuzzing::engine_scenario`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::engine_scenario(data));
