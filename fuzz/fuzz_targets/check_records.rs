//! Fuzz target `check_records`: see `indiv_gen::fuzzing::check_records`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::check_records(data));
