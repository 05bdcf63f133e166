//! Fuzz target `roundtrip`: see `indiv_conformance::fuzzing::roundtrip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_conformance::fuzzing::roundtrip(data));
