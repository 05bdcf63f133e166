//! Reads `indiv-trace/1` JSON Lines from any `BufRead`, one record at a time,
//! into a buffer it reuses, so memory does not grow with the trace.
//!
//! Accepted around the records: a UTF-8 byte order mark before line 1 and
//! CRLF line ends (Windows tools write both). Refused with a positioned error:
//! an empty trace, an empty line, a line over [`MAX_LINE_BYTES`], invalid
//! UTF-8, and anything the record grammar refuses.
//!
//! Each line's record comes from [`crate::record::decode_line`] (the fast
//! decoder, serde_json for what it leaves); [`Decoder::Serde`] reads every
//! line with serde_json alone, the reference the fast path is held to.

use std::io::BufRead;

use crate::Error;
use crate::record::{self, Body, Record};

/// The longest line read, in bytes without the line end. Longer lines are an
/// input error rather than a reason to grow memory without bound.
pub const MAX_LINE_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One line of a trace, read.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based line number.
    pub number: usize,
    /// The line's text, without its line end (and without a BOM).
    pub text: &'a str,
    /// The record it holds.
    pub record: Record<'a>,
}

/// How a [`TraceReader`] decodes a line's record. Both read the same
/// records and report the same errors; they differ in speed only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Decoder {
    /// [`record::decode_line`]: the fast decoder, serde_json for the lines it
    /// leaves (what `indiv check` uses).
    #[default]
    Fast,
    /// [`record::decode_line_serde`]: serde_json for every line, the
    /// reference.
    Serde,
}

/// A streaming reader of trace records.
pub struct TraceReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: usize,
    records: u64,
    decoder: Decoder,
    /// Bytes of `inner`'s buffer that the last line was read from in place,
    /// consumed at the next call (the record borrows them until then).
    in_place: usize,
}

impl<R: BufRead> TraceReader<R> {
    /// Reads from `inner`.
    pub fn new(inner: R) -> TraceReader<R> {
        TraceReader::with_decoder(inner, Decoder::Fast)
    }

    /// Reads from `inner`, decoding each line with `decoder`.
    pub fn with_decoder(inner: R, decoder: Decoder) -> TraceReader<R> {
        TraceReader { inner, buf: Vec::with_capacity(4096), line: 0, records: 0, decoder, in_place: 0 }
    }

    /// The 1-based line of the record returned last.
    pub fn line(&self) -> usize {
        self.line
    }

    /// How many records have been read.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The next record with its 1-based line, or `None` at the end of the trace.
    pub fn next_record(&mut self) -> Result<Option<(usize, Record<'_>)>, Error> {
        Ok(self.next_line()?.map(|l| (l.number, l.record)))
    }

    /// The next record with its line number and text, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        self.inner.consume(std::mem::take(&mut self.in_place));
        self.buf.clear();
        let line = self.line + 1;
        // A line wholly in `inner`'s buffer is read where it is; one that is
        // not (it crosses the buffer's end, or ends the input without a line
        // end) is copied into `buf`.
        let whole = loop {
            match self.inner.fill_buf() {
                Ok(available) => break memchr::memchr(b'\n', available).map(|at| at + 1),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(Error::Io { line, source }),
            }
        };
        let bytes = match whole {
            Some(len) => {
                self.in_place = len;
                // Nothing was consumed since the look above, so the buffer is
                // the same one (a `BufRead` refills only an empty buffer).
                let available = self.inner.fill_buf().map_err(|source| Error::Io { line, source })?;
                available.get(..len).ok_or_else(|| Error::Io {
                    line,
                    source: std::io::Error::other("the reader's buffer shrank without a read"),
                })?
            }
            None => {
                if !self.read_line(line)? {
                    if self.records == 0 {
                        return Err(empty_trace());
                    }
                    return Ok(None);
                }
                self.buf.as_slice()
            }
        };
        self.line = line;
        let (text, record) = decode_line_bytes(bytes, line == 1, self.decoder).map_err(|e| e.at(line))?;
        self.records += 1;
        Ok(Some(Line { number: line, text, record }))
    }

    /// Appends the next line (with its end) to `buf`; false at end of input.
    fn read_line(&mut self, line: usize) -> Result<bool, Error> {
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(Error::Io { line, source }),
            };
            if available.is_empty() {
                return Ok(!self.buf.is_empty());
            }
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            self.buf.extend_from_slice(&available[..take]);
            self.inner.consume(take);
            if self.buf.len() > MAX_LINE_HELD {
                return Err(too_long(line));
            }
            if done {
                return Ok(true);
            }
        }
    }
}

fn too_long(line: usize) -> Error {
    too_long_at().at(line)
}

fn too_long_at() -> LineError {
    LineError::new(MAX_LINE_BYTES + 1, &format!("line is longer than {MAX_LINE_BYTES} bytes"))
}

/// The bytes a reader may hold of one line before it knows the line is too
/// long: [`MAX_LINE_BYTES`] and room for a CRLF end and, on line 1, the BOM.
pub const MAX_LINE_HELD: usize = MAX_LINE_BYTES + 2 + BOM.len();

/// The error of an input without a single line.
pub fn empty_trace() -> Error {
    input(1, 1, "empty trace: no records")
}

/// Why one line is not a record, without its line number.
#[derive(Debug)]
pub struct LineError {
    column: usize,
    message: String,
}

impl LineError {
    fn new(column: usize, message: &str) -> LineError {
        LineError { column, message: crate::text::one_line(message) }
    }

    /// The input error, at `line`.
    pub fn at(self, line: usize) -> Error {
        Error::Input { line, column: self.column, message: self.message }
    }
}

/// The text and record of one line as [`TraceReader`] reads it: `bytes` is
/// the line with its end (`\n`, `\r\n`, or none for a last line without one),
/// `first` says whether it is line 1 (which may start with a BOM, and alone
/// may hold a header). The one reading of a line's bytes, for readers that
/// split lines themselves (`indiv check --jobs`).
pub fn decode_line_bytes(bytes: &[u8], first: bool, decoder: Decoder) -> Result<(&str, Record<'_>), LineError> {
    let mut bytes = bytes;
    if let Some(rest) = bytes.strip_suffix(b"\n") {
        bytes = rest;
    }
    if let Some(rest) = bytes.strip_suffix(b"\r") {
        bytes = rest;
    }
    let mut offset = 0;
    if first {
        if let Some(rest) = bytes.strip_prefix(BOM) {
            bytes = rest;
            offset = BOM.len();
        }
    }
    if bytes.len() > MAX_LINE_BYTES {
        return Err(too_long_at());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(LineError::new(offset + 1, "empty line: every line must hold one JSON object"));
    }
    // SIMD validation first; the standard library's names the position of
    // an invalid byte.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            std::str::from_utf8(bytes).map_err(|e| LineError::new(offset + e.valid_up_to() + 1, "invalid UTF-8"))?
        }
    };
    let decoded = match decoder {
        Decoder::Fast => record::decode_line(text),
        Decoder::Serde => record::decode_line_serde(text),
    };
    let record = decoded.map_err(|e| {
        let message = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
        LineError::new(offset + e.column().max(1), &message)
    })?;
    if matches!(record.body, Body::Header { .. }) && !first {
        return Err(LineError::new(offset + 1, "a header is only allowed on line 1"));
    }
    Ok((text, record))
}

fn input(line: usize, column: usize, message: &str) -> Error {
    // Messages quote the input, which may hold control characters (a JSON
    // escape inside a key); escaping them keeps every message on one line.
    Error::Input { line, column, message: crate::text::one_line(message) }
}
