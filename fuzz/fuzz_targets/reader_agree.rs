//! Fuzz target `reader_agree`: see `indiv_gen::fuzzing::reader_agree`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::reader_agree(data));
