//! Finding the bytes of a JSON string that are not plain text: a quote, a
//! backslash or a control character (below U+0020). The one search both the
//! writer (`ser`: where to escape) and the fast decoder (`fast`: where a
//! string ends, or leaves it to serde_json) run over a string's bytes.
//!
//! Short strings (names, versions) are searched eight bytes at a time in a
//! machine word; past the first [`WORD_SEARCH_BYTES`], a long string (a URL
//! can be kilobytes) is searched a block of [`BLOCK`] bytes at a time, in
//! SIMD.

/// Bytes searched a word at a time before the search switches to SIMD.
const WORD_SEARCH_BYTES: usize = 32;

/// Bytes tested in one step of the long search.
const BLOCK: usize = 64;

/// The index of the first byte at or after `from` in `bytes` that is `"`,
/// `\` or below 0x20, or `None` when there is none.
#[inline]
pub(super) fn find_special(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let word_end = from.saturating_add(WORD_SEARCH_BYTES).min(bytes.len());
    while let Some(chunk) = bytes.get(i..i + 8).filter(|_| i < word_end) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(at) = first_in_word(u64::from_le_bytes(word)) {
            return Some(i + at);
        }
        i += 8;
    }
    if i >= word_end && word_end < bytes.len() {
        return find_special_long(bytes, i);
    }
    (i..bytes.len()).find(|&j| is_special(bytes[j]))
}

/// [`find_special`] for the rest of a long string, a block at a time. Each
/// block's test has no early exit, which lets the compiler vectorise it;
/// and the search stops at the block of the first match, so that a writer
/// calling it again after each escape reads every byte a bounded number of
/// times.
fn find_special_long(bytes: &[u8], from: usize) -> Option<usize> {
    let rest = &bytes[from..];
    for (n, block) in rest.chunks(BLOCK).enumerate() {
        if block.iter().fold(false, |any, b| any | is_special(*b)) {
            let at = block.iter().position(|b| is_special(*b))?;
            return Some(from + n * BLOCK + at);
        }
    }
    None
}

#[inline(always)]
fn is_special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The index of the first of the eight bytes of `word` (little-endian) that
/// is a quote, a backslash or a control character, or `None` when none is.
/// (A borrow only runs towards higher bytes, so the lowest flag is a real
/// match; higher flags may not be, and are never looked at.)
fn first_in_word(word: u64) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below `n` (n <= 128) sets its high bit in (x - n) & !x.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS;
    let zero = |x: u64| below(x, 1);
    let flags = below(word, 0x20) | zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\')));
    (flags != 0).then(|| flags.trailing_zeros() as usize / 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_quote_backslash_or_control_byte_of_a_word_is_found() {
        let plain = u64::from_le_bytes(*b"https://");
        assert_eq!(first_in_word(plain), None);
        for special in [b'"', b'\\', 0x00, 0x1F, b'\t'] {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = special;
                assert_eq!(first_in_word(u64::from_le_bytes(word)), Some(at), "{special:#x} at {at}");
                // A later special byte does not hide an earlier one.
                word[7] = b'"';
                assert_eq!(first_in_word(u64::from_le_bytes(word)), Some(at), "{special:#x} at {at}, quote at 7");
            }
        }
        // Bytes of multi-byte characters need no look of their own.
        let multibyte = [0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0xE6, 0x9C, 0xAC];
        assert_eq!(&multibyte, "é日本".as_bytes());
        assert_eq!(first_in_word(u64::from_le_bytes(multibyte)), None);
    }

    /// The search one byte at a time, as the reference.
    fn reference(bytes: &[u8], from: usize) -> Option<usize> {
        (from..bytes.len()).find(|&j| is_special(bytes[j]))
    }

    #[test]
    fn the_search_finds_what_a_byte_by_byte_search_finds_at_every_length_and_place() {
        // Lengths across the word search, the switch and several blocks of
        // the long search; each special byte at each place, starting the
        // search at several offsets.
        for len in [0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 100, 129, 300] {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            for from in [0, 1, 5, 9] {
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
