//! A generator of legal traces, driven by the spec's own data rather than by
//! an engine: sessions are random walks over the `[session]` phase table
//! (`first`, `may_follow`, the terminal statuses) and their round trips walk
//! the `[http]` order, with counters kept consistent along the way.
//!
//! Randomness is pluggable through [`Choices`], so the same generator serves
//! proptest (over a shrinkable `Vec<u32>`, see [`legal_trace_strategy`]) and a
//! seeded command line (over [`SplitMix64`]). Every choice is a number in
//! `0..n` where 0 is the plainest option (no header, no cancel, the next HTTP
//! state, ...), so an exhausted or shrunk choice list yields a short,
//! ordinary trace.
//!
//! What the generator knows about the world (the component's version, the
//! `0x1` lock, a pending `WMT_NEEDS_INDIVIDUALIZATION`, pending revocation
//! refreshes) lives in one struct, `World`, updated exactly where the checker's
//! readings say the world changes.
//!
//! The parts: [`Choices`] and its sources (`choices`), the record
//! constructors (`records`), the `World`, the generator `Gen` and its
//! episodes (`generator`), the walk of one session and its round trips
//! (`session`), and [`LegalStream`] (`stream`).

mod choices;
mod generator;
mod records;
mod session;
mod stream;
mod world;

use indiv_spec::Spec;
use indiv_spec::record::Record;
use proptest::prelude::*;

pub use self::choices::{Choices, SliceChoices, SplitMix64};
pub(crate) use self::choices::{chance, pick};
use self::generator::Gen;
pub(crate) use self::records::{call, event, notify, status_on, value};
pub use self::stream::LegalStream;

/// A complete legal trace: an optional header, then episodes until up to
/// `max_sessions` sessions (at least one when `max_sessions` > 0) were opened,
/// then whatever a complete trace still owes. The checker reports no
/// violation, `must` or `should`, on it.
pub fn legal_trace(spec: &Spec, choices: &mut dyn Choices, max_sessions: usize) -> Vec<Record<'static>> {
    let mut g = Gen::new(spec, choices);
    let max = u32::try_from(max_sessions).unwrap_or(u32::MAX - 1);
    let target = if max == 0 { 0 } else { 1 + choices.choose(max) as usize };
    // Episodes that open no session (or a lock that refuses every reader
    // session) must not keep the loop going forever.
    let mut budget = 4 * max_sessions + 4;
    while g.world.sessions < target && budget > 0 {
        g.episode(choices);
        budget -= 1;
    }
    g.finish(choices);
    g.out.into()
}

/// A proptest strategy of legal traces with up to four sessions, shrinking
/// through the list of choices it is generated from.
pub fn legal_trace_strategy() -> impl Strategy<Value = Vec<Record<'static>>> {
    proptest::collection::vec(any::<u32>(), 0..400).prop_map(|data| {
        // The embedded spec loads in every tested build (catalog's unit test
        // loads it), so this cannot fail short of a broken build.
        let spec = Spec::builtin().expect("the built-in spec loads");
        legal_trace(spec, &mut SliceChoices::new(&data), 4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use indiv_spec::record::to_jsonl;
    use indiv_spec::{CheckOptions, check_reader};

    #[test]
    fn exhausted_choices_give_a_short_legal_trace() {
        let spec = Spec::builtin().expect("spec");
        let trace = legal_trace(spec, &mut SliceChoices::new(&[]), 3);
        let text = to_jsonl(&trace);
        let outcome = check_reader(spec, text.as_bytes(), CheckOptions::default()).expect("reads");
        assert!(outcome.violations.is_empty(), "{:?}\n{text}", outcome.violations);
        assert!(trace.len() >= 3, "{text}");
    }

    #[test]
    fn the_stream_reaches_its_length_and_stays_legal() {
        let spec = Spec::builtin().expect("spec");
        let trace: Vec<_> = LegalStream::new(spec, SplitMix64::new(7), 5_000).collect();
        assert!(trace.len() >= 5_000);
        let text = to_jsonl(&trace);
        let outcome = check_reader(spec, text.as_bytes(), CheckOptions::default()).expect("reads");
        assert!(outcome.violations.is_empty(), "{:?}", &outcome.violations[..outcome.violations.len().min(5)]);
    }
}
