//! `indiv-engine`: the reference engine (filled in by its own issue).
