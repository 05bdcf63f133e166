//! Finding the bytes of a JSON string that are not plain text: a quote, a
//! backslash or a control character (below U+0020). The one search both the
//! writer (`ser`: where to escape) and the fast decoder (`fast`: where a
//! string ends, or leaves it to serde_json) run over a string's bytes.
//!
//! The search tests a block of [`BLOCK`] bytes at a time, as two machine
//! words, without a branch inside the block: each word's special bytes
//! become a bit mask, and the first set bit of the block's mask is the
//! answer. A string that ends within its first block (most names and
//! versions of a trace) costs one test and no mispredicted loop exit; a long
//! one (a URL can be kilobytes) is read a block a step. The search stops at
//! the block of the first match, so a writer calling it again after each
//! escape reads every byte a bounded number of times.

/// Bytes tested in one step: two words.
const BLOCK: usize = 16;

/// The index of the first byte at or after `from` in `bytes` that is `"`,
/// `\` or below 0x20, or `None` when there is none.
#[inline]
pub(super) fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + BLOCK) {
        let mut block = [0u8; BLOCK];
        block.copy_from_slice(chunk);
        let found = specials(block);
        if found != 0 {
            return Some(i + found.trailing_zeros() as usize);
        }
        i += BLOCK;
    }
    // The last bytes, fewer than a block, padded with plain ones. (`from`
    // past the end has nothing to search.)
    let rest = bytes.get(i..)?;
    let mut block = [b'a'; BLOCK];
    block[..rest.len()].copy_from_slice(rest);
    let found = specials(block);
    (found != 0).then(|| i + found.trailing_zeros() as usize)
}

/// A mask of `block`'s bytes whose lowest set bit is its first special
/// byte (bit `k` for byte `k`); zero when no byte is special. Bits above the
/// lowest may be set for plain bytes, and are never looked at.
#[inline(always)]
fn specials(block: [u8; BLOCK]) -> u32 {
    let mut low = [0u8; 8];
    let mut high = [0u8; 8];
    low.copy_from_slice(&block[..8]);
    high.copy_from_slice(&block[8..]);
    word_mask(u64::from_le_bytes(low)) | word_mask(u64::from_le_bytes(high)) << 8
}

/// [`specials`] of one word (little-endian), in the low eight bits.
#[inline(always)]
fn word_mask(word: u64) -> u32 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below `n` (n <= 128) sets its high bit in (x - n) & !x. A
    // borrow only runs towards higher bytes, so the lowest flag is a real
    // match; higher flags may not be.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let zero = |x: u64| below(x, 1);
    let flags = below(word, 0x20) | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')));
    // Gathers the eight high bits into the top byte: byte k's bit lands
    // on bit 56 + k, and no two partial products meet.
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_of_multibyte_characters_are_plain() {
        // Every byte of a multi-byte character is 0x80 or above.
        let text = "é日本\"".as_bytes();
        assert_eq!(find_special(text, 0), Some(8));
        assert_eq!(find_special(&text[..8], 0), None);
    }

    fn is_special(b: u8) -> bool {
        b == b'"' || b == b'\\' || b < 0x20
    }

    /// The search one byte at a time, as the reference.
    fn reference(bytes: &[u8], from: usize) -> Option<usize> {
        (from..bytes.len()).find(|&j| is_special(bytes[j]))
    }

    #[test]
    fn the_search_finds_what_a_byte_by_byte_search_finds_at_every_length_and_place() {
        // Lengths within one block, across blocks and a padded last part;
        // each special byte at each place, starting the search at several
        // offsets, past the end too.
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 100, 129, 300] {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            for from in [0, 1, 5, 9, 31, 32, 33] {
                assert_eq!(find_special(&plain, from), None, "plain, len {len} from {from}");
                for special in [b'"', b'\\', 0x00, 0x1F, b'\n'] {
                    for at in 0..len {
                        let mut bytes = plain.clone();
                        bytes[at] = special;
                        assert_eq!(
                            find_special(&bytes, from),
                            reference(&bytes, from),
                            "{special:#x} at {at}, len {len}, from {from}"
                        );
                        // With a second special byte later (a control
                        // character before a quote, a quote before one).
                        if at + 3 < len {
                            bytes[at + 3] = if special == b'"' { 0x01 } else { b'"' };
                            assert_eq!(find_special(&bytes, from), reference(&bytes, from));
                        }
                    }
                }
            }
        }
    }
}
