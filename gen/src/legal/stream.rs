//! [`LegalStream`]: a legal trace of any length as an iterator, in memory
//! bounded by one episode.

use indiv_spec::Spec;
use indiv_spec::record::Record;

use super::choices::Choices;
use super::generator::Gen;

/// An endless-capable legal trace as an iterator: episodes are appended until
/// at least `min_records` records were produced, then the trace is closed
/// legally (the last episode finishes and pending refreshes complete), so the
/// trace has `min_records` records or a few more. Memory stays bounded by one
/// episode, whatever the length.
pub struct LegalStream<'s, C: Choices> {
    generator: Gen<'s>,
    choices: C,
    min_records: u64,
    produced: u64,
    finished: bool,
}

impl<'s, C: Choices> LegalStream<'s, C> {
    /// A stream of at least `min_records` records drawn with `choices`.
    pub fn new(spec: &'s Spec, mut choices: C, min_records: u64) -> LegalStream<'s, C> {
        let generator = Gen::new(spec, &mut choices);
        LegalStream { generator, choices, min_records, produced: 0, finished: false }
    }
}

impl<C: Choices> Iterator for LegalStream<'_, C> {
    type Item = Record<'static>;

    fn next(&mut self) -> Option<Record<'static>> {
        loop {
            if let Some(record) = self.generator.out.pop_front() {
                self.produced += 1;
                return Some(record);
            }
            if self.finished {
                return None;
            }
            if self.produced >= self.min_records {
                self.generator.finish(&mut self.choices);
                self.finished = true;
            } else {
                self.generator.episode(&mut self.choices);
            }
        }
    }
}
