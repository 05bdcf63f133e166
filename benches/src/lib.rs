//! `indiv-benches`: benchmark support (filled in by its own issue).
