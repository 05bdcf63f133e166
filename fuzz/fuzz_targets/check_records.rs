//! Fuzz target `check_records`: see `indiv_conformance::fuzzing::check_records`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_conformance::fuzzing::check_records(data));
