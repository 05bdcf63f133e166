//! Fuzz target `roundtrip`: see `indiv_gen::fuzzing::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::roundtrip(data));
