//! The fast decoder of `indiv-trace/1` lines: one pass over a line's bytes,
//! specialised to the record grammar (one object of known keys whose values
//! are scalars, and at most one nested `value` object of known keys), that
//! decodes straight into a [`Record`] without a generic JSON parser.
//!
//! It reads a value with the very seeds the serde_json reader uses
//! (`super::de`): a key, a name, a version, a DWORD or an HRESULT means the
//! same on both paths because the same visitor method reads it. What it reads
//! itself is the JSON around them: whitespace, punctuation, strings without
//! escapes or control characters, integers that serde_json reads as `u64` or
//! `i64`, and `null`.
//!
//! Everything else it refuses by returning `None`, and [`super::decode_line`]
//! then reads the line with serde_json: a string with an escape, a float or
//! an integer past 19 digits, and every line that is not a record, so that
//! each input error has serde_json's message and position by construction.
//! The rule that keeps the two readers one: this decoder returns a record
//! only where serde_json returns the same record. The property test
//! `reader_agreement` (spec's tests) and the fuzz target `reader_agree` hold
//! it to that.

use super::Record;
use super::de::{Field, Fields, Scalar, empty_value, set_value_field, value_complete, value_field};
use super::scan::find_special;
use crate::record::IndividualizeStatus;

/// The error the shared seeds report on this path. It is dropped: a value the
/// seeds refuse makes the line serde_json's to read, and so to report.
type Refused = serde_json::Error;

/// The record `text` holds, or `None` where serde_json must read the line
/// (a form this decoder leaves to it, or an error).
pub(super) fn decode(text: &str) -> Option<Record<'_>> {
    let mut c = Cursor { text, bytes: text.as_bytes(), at: 0 };
    c.whitespace();
    c.eat(b'{')?;
    let mut fields = Fields::default();
    // The keys read so far, as `Field::bit`s: a repeated one is serde_json's
    // to report.
    let mut seen = 0u16;
    c.whitespace();
    if c.peek()? == b'}' {
        c.at += 1;
    } else {
        loop {
            c.eat(b'"')?;
            let field = c.record_key()?;
            if seen & field.bit() != 0 {
                return None;
            }
            seen |= field.bit();
            c.colon()?;
            if field == Field::Value {
                fields.set_value(c.status_value()?);
            } else {
                let scalar = c.scalar()?;
                fields.set_scalar::<Refused>(field, scalar).ok()?;
            }
            if c.comma_or_end()? {
                break;
            }
        }
    }
    c.whitespace();
    if c.at != c.bytes.len() {
        return None;
    }
    fields.set_seen(seen);
    fields.finish::<Refused>().ok()
}

/// A position in a line.
struct Cursor<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// Index of the next byte to read.
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips JSON whitespace (serde_json's four bytes).
    #[inline(always)]
    fn whitespace(&mut self) {
        // The writer writes none: a byte above the space ends it at once,
        // without the four-way test.
        while let Some(&b) = self.bytes.get(self.at) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                break;
            }
            self.at += 1;
        }
    }

    /// Reads `byte`, or refuses.
    fn eat(&mut self, byte: u8) -> Option<()> {
        if self.peek()? == byte {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// Reads `:` between whitespace.
    fn colon(&mut self) -> Option<()> {
        self.whitespace();
        self.eat(b':')?;
        self.whitespace();
        Some(())
    }

    /// After a member: true at `}` (read), false at `,` (read, with the
    /// whitespace after it); refuses anything else.
    fn comma_or_end(&mut self) -> Option<bool> {
        self.whitespace();
        match self.peek()? {
            b'}' => {
                self.at += 1;
                Some(true)
            }
            b',' => {
                self.at += 1;
                self.whitespace();
                Some(false)
            }
            _ => None,
        }
    }

    /// The text of a string whose opening quote was read, up to its closing
    /// quote (read). Refuses an escape, a control character and a missing
    /// end: serde_json reads or reports those.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at;
        let end = find_special(self.bytes, start)?;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // The quote is ASCII, so both ends are on character boundaries:
        // `get` never refuses here.
        self.text.get(start..end)
    }

    /// A record key whose opening quote was read, with its closing quote.
    /// The writer's keys are recognised by their bytes (a key followed by a
    /// quote is that key: no escape, no control character); any other goes
    /// through [`Cursor::string`] and [`Field::from_key`].
    #[inline]
    fn record_key(&mut self) -> Option<Field> {
        let rest = self.bytes.get(self.at..)?;
        let (field, len) = match rest.first()? {
            b'k' if rest.starts_with(b"kind\"") => (Field::Kind, 5),
            b'a' if rest.starts_with(b"api\"") => (Field::Api, 4),
            b'h' if rest.starts_with(b"hr\"") => (Field::Hr, 3),
            b't' if rest.starts_with(b"ts\"") => (Field::Ts, 3),
            b's' if rest.starts_with(b"status\"") => (Field::Status, 7),
            b'v' if rest.starts_with(b"value\"") => (Field::Value, 6),
            b'e' if rest.starts_with(b"event\"") => (Field::Event, 6),
            b'f' if rest.starts_with(b"flags\"") => (Field::Flags, 6),
            _ => return Field::from_key(self.string()?),
        };
        self.at += len;
        Some(field)
    }

    /// A `WM_INDIVIDUALIZE_STATUS` key whose opening quote was read, with
    /// its closing quote, as [`Cursor::record_key`] reads a record key.
    #[inline]
    fn value_key(&mut self) -> Option<usize> {
        let rest = self.bytes.get(self.at..)?;
        let (i, len) = if rest.starts_with(b"hr\"") {
            (0, 3)
        } else if rest.starts_with(b"enIndiStatus\"") {
            (1, 13)
        } else if rest.starts_with(b"pszIndiRespUrl\"") {
            (2, 15)
        } else if rest.starts_with(b"dwHTTPRequest\"") {
            (3, 14)
        } else if rest.starts_with(b"enHTTPStatus\"") {
            (4, 13)
        } else if rest.starts_with(b"dwHTTPReadProgress\"") {
            (5, 19)
        } else if rest.starts_with(b"dwHTTPReadTotal\"") {
            (6, 16)
        } else {
            return value_field(self.string()?);
        };
        self.at += len;
        Some(i)
    }

    /// A scalar value: a string, `null`, or an integer serde_json reads as
    /// `u64` (up to `u64::MAX`) or `i64` (down to `i64::MIN`). Refuses what it
    /// reads as a float (a fraction, an exponent, a larger integer, `-0`),
    /// a leading zero, and anything that is no scalar.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                self.string().map(Scalar::Str)
            }
            b'n' => {
                if self.bytes.get(self.at..self.at + 4)? == b"null" {
                    self.at += 4;
                    Some(Scalar::Null)
                } else {
                    None
                }
            }
            b'-' => {
                self.at += 1;
                // As serde_json does: the magnitude as a u64, negated as an
                // i64; a result that is not negative (-0, or a magnitude past
                // 2^63) it reads as a float.
                let negated = (self.integer()? as i64).wrapping_neg();
                if negated < 0 { Some(Scalar::I64(negated)) } else { None }
            }
            b'0'..=b'9' => self.integer().map(Scalar::U64),
            _ => None,
        }
    }

    /// The digits of an integer, as a u64. Refuses no digit, a leading zero
    /// before another digit, a value past `u64::MAX`, and a fraction or an
    /// exponent after the digits.
    #[inline(always)]
    fn integer(&mut self) -> Option<u64> {
        let start = self.at;
        let mut value = 0u64;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 || (digits > 1 && self.bytes[start] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        Some(value)
    }

    /// A `WM_INDIVIDUALIZE_STATUS` object, `{` next (after whitespace).
    fn status_value(&mut self) -> Option<IndividualizeStatus<'a>> {
        self.eat(b'{')?;
        let mut out = empty_value();
        let mut seen = 0u8;
        self.whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
        } else {
            loop {
                self.eat(b'"')?;
                let i = self.value_key()?;
                if seen & (1 << i) != 0 {
                    return None;
                }
                seen |= 1 << i;
                self.colon()?;
                let scalar = self.scalar()?;
                set_value_field::<Refused>(&mut out, i, scalar).ok()?;
                if self.comma_or_end()? {
                    break;
                }
            }
        }
        value_complete::<Refused>(seen).ok()?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writers_record_decodes_without_serde_json() {
        let line = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","hr":"S_OK","value":{"hr":"S_OK","enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0},"ts":3}"#;
        let fast = decode(line);
        assert!(fast.is_some());
        assert_eq!(fast, serde_json::from_str::<Record<'_>>(line).ok());
    }

    #[test]
    fn integer_reads_plain_integers_and_leaves_every_other_form_to_serde_json() {
        for (text, expect) in [
            ("0}", Some(0)),
            ("7,", Some(7)),
            ("12345678}", Some(12_345_678)),
            ("123456789}", Some(123_456_789)),
            ("18446744073709551615}", Some(u64::MAX)),
            ("18446744073709551616}", None),
            ("00}", None),
            ("012345678}", None),
            ("1.5}", None),
            ("12345678e3}", None),
            ("}", None),
            ("42", Some(42)),
            ("1234567", Some(1_234_567)),
            ("12345678", Some(12_345_678)),
            ("", None),
            ("-", None),
        ] {
            let mut c = Cursor { text, bytes: text.as_bytes(), at: 0 };
            assert_eq!(c.integer(), expect, "{text}");
        }
    }

    #[test]
    fn forms_left_to_serde_json_are_refused() {
        for line in [
            r#"{"kind":"call","api":"Individualize","flags":1.0,"hr":"S_OK"}"#,
            r#"{"kind":"call","api":"Individualize","flags":01,"hr":"S_OK"}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":-0}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK","ts":18446744073709551616}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_\u004fK"}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"flags":1,"hr":"S_OK"}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK",}"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK"} x"#,
            r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK""#,
            r#"{"kind":"call","api":"Individualize","flags":nul,"hr":"S_OK"}"#,
        ] {
            assert_eq!(decode(line), None, "{line}");
        }
    }
}
