//! Fuzz target `writer_agree`: see `indiv_gen::fuzzing::writer_agree`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| indiv_gen::fuzzing::writer_agree(data));
