//! Integration tests of `indiv-spec`: the spec file loads, refuses what it
//! must, and quotes its sources faithfully; the fast record decoder reads
//! what serde_json reads.

mod reader_agreement;
mod spec_file;
