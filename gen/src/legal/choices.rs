//! Where the generator's and the mutation operators' randomness comes from:
//! [`Choices`], read from a list of numbers ([`SliceChoices`], which proptest
//! shrinks) or drawn from a seed ([`SplitMix64`]), and the helpers that turn
//! a choice into a decision ([`chance`], [`pick`], [`weighted`]).

/// A source of choices for the generator and the mutation operators.
pub trait Choices {
    /// A number in `0..n` (0 when `n` is 0 or 1). 0 is always the plainest option.
    fn choose(&mut self, n: u32) -> u32;
}

impl<C: Choices + ?Sized> Choices for &mut C {
    fn choose(&mut self, n: u32) -> u32 {
        (**self).choose(n)
    }
}

/// Choices read from a list of numbers (each taken modulo `n`), 0 once the
/// list is used up. Proptest shrinks the list, which shrinks the trace.
#[derive(Clone, Debug)]
pub struct SliceChoices<'a> {
    data: &'a [u32],
    next: usize,
}

impl<'a> SliceChoices<'a> {
    /// Choices read from `data`, first to last.
    pub fn new(data: &'a [u32]) -> SliceChoices<'a> {
        SliceChoices { data, next: 0 }
    }
}

impl Choices for SliceChoices<'_> {
    fn choose(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        match self.data.get(self.next) {
            Some(v) => {
                self.next += 1;
                v % n
            }
            None => 0,
        }
    }
}

/// A small seeded PRNG (SplitMix64): the same seed gives the same trace.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Choices for SplitMix64 {
    fn choose(&mut self, n: u32) -> u32 {
        if n <= 1 {
            return 0;
        }
        // Multiply-shift maps 32 random bits onto 0..n without division; the
        // result is below n because (x * n) >> 32 < n for x < 2^32.
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// True with roughly `percent` % probability; false for the choice 0.
pub(crate) fn chance(c: &mut dyn Choices, percent: u32) -> bool {
    c.choose(100) >= 100 - percent.min(100)
}

/// One of `items` (which must not be empty); the first for the choice 0.
pub(crate) fn pick<T: Copy>(c: &mut dyn Choices, items: &[T]) -> T {
    items[c.choose(items.len() as u32) as usize]
}

/// An index into `weights`, each drawn with probability proportional to its
/// weight; the first non-zero weight for the choice 0.
pub(crate) fn weighted(c: &mut dyn Choices, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut r = c.choose(total);
    for (i, w) in weights.iter().enumerate() {
        if r < *w {
            return i;
        }
        r -= w;
    }
    0
}
