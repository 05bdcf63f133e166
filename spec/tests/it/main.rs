//! Integration tests of `indiv-spec`: the spec file loads, refuses what it
//! must, and quotes its sources faithfully.

mod spec_file;
