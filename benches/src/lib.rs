//! `indiv-benches`: the workloads the criterion benchmarks measure, and the
//! baselines they are compared with, as plain functions (so tests can check
//! that every workload does the work it claims).
//!
//! - [`check_jsonl`]: `indiv check`'s path — read, parse, check — over bytes.
//! - [`parse_only`]: baseline (a): serde_json into borrowed typed records with
//!   a plain derive, no checking.
//! - [`count_lines`]: baseline (b): `memchr` over every byte, the floor.
//! - [`monitor_only`]: the checker on records parsed beforehand.
//! - [`read_records`]: the trace reader alone (no checking), with either
//!   decoder: the fast one `indiv check` uses, or serde_json's.
//! - [`serde_ignored_any`] and [`sonic_skip`]: baselines of the `reader`
//!   group, validating each line's JSON without decoding it.
//! - [`engine_runs`]: the reference engine running scenarios.
//! - [`Adversary`], [`adversarial_jsonl`] and [`check_quoted`]: traces built
//!   to make a checker slow (many open sessions, cancels and completions
//!   that must find their session among them, violations, pending
//!   refreshes), checked as `indiv check` does, quoting lines.

use std::borrow::Cow;

use indiv_engine::Scenario;
use indiv_spec::reader::Decoder;
use indiv_spec::{CheckOptions, Monitor, Record, Spec, TraceReader};
use serde::Deserialize;

/// A legal trace of at least `records` records, as JSONL bytes.
pub fn legal_jsonl(records: u64, seed: u64) -> Vec<u8> {
    let spec = builtin();
    let mut out = Vec::new();
    for record in indiv_gen::legal::LegalStream::new(spec, indiv_gen::legal::SplitMix64::new(seed), records) {
        // Writing to a Vec cannot fail.
        serde_json::to_writer(&mut out, &record).unwrap_or_default();
        out.push(b'\n');
    }
    out
}

fn builtin() -> &'static Spec {
    // The built-in spec is validated by the test suite.
    Spec::builtin().unwrap_or_else(|e| panic!("{e}"))
}

/// `indiv check` over `bytes`: returns (records, violations).
pub fn check_jsonl(bytes: &[u8]) -> (u64, u64) {
    check_jsonl_with(bytes, Decoder::Fast)
}

/// [`check_jsonl`] with a chosen record decoder.
pub fn check_jsonl_with(bytes: &[u8], decoder: Decoder) -> (u64, u64) {
    let spec = builtin();
    let mut reader = TraceReader::with_decoder(bytes, decoder);
    let mut monitor = Monitor::new(spec, CheckOptions::default());
    let mut violations = 0u64;
    while let Ok(Some((line, record))) = reader.next_record() {
        monitor.feed(line, &record);
        violations += monitor.drain_violations().count() as u64;
        // Drained as `indiv check` does, which keeps the first hundred.
        monitor.drain_notes().for_each(drop);
    }
    let (rest, _) = monitor.finish();
    (reader.records(), violations + rest.len() as u64)
}

/// Baseline record: every field of the format, strings borrowed, parsed by a
/// plain serde derive.
#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct PlainRecord<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    format: Option<Cow<'a, str>>,
    #[serde(borrow)]
    component_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    service_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    api: Option<Cow<'a, str>>,
    #[serde(borrow)]
    required_version: Option<Cow<'a, str>>,
    flags: Option<u32>,
    #[serde(borrow)]
    hr: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow)]
    value: Option<PlainStatus<'a>>,
    ts: Option<f64>,
}

#[derive(Deserialize)]
#[allow(dead_code, non_snake_case)]
struct PlainStatus<'a> {
    #[serde(borrow)]
    hr: Option<Cow<'a, str>>,
    #[serde(borrow)]
    enIndiStatus: Cow<'a, str>,
    #[serde(borrow)]
    pszIndiRespUrl: Option<Cow<'a, str>>,
    dwHTTPRequest: u32,
    #[serde(borrow)]
    enHTTPStatus: Cow<'a, str>,
    dwHTTPReadProgress: u32,
    dwHTTPReadTotal: u32,
}

/// Baseline (a): parse every line into `PlainRecord`; returns records parsed.
pub fn parse_only(bytes: &[u8]) -> u64 {
    let mut parsed = 0;
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let Ok(text) = std::str::from_utf8(line) else { continue };
        if serde_json::from_str::<PlainRecord<'_>>(text).is_ok() {
            parsed += 1;
        }
    }
    parsed
}

/// The trace reader alone: every record read with `decoder`, none checked;
/// returns records read.
pub fn read_records(bytes: &[u8], decoder: Decoder) -> u64 {
    let mut reader = TraceReader::with_decoder(bytes, decoder);
    while let Ok(Some(_)) = reader.next_record() {}
    reader.records()
}

/// The non-empty lines of `bytes` that end in `\n`, without it, found with
/// `memchr` as the trace reader finds them.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', bytes)
        .map(move |end| {
            let line = &bytes[start..end];
            start = end + 1;
            line
        })
        .filter(|l| !l.is_empty())
}

/// Baseline of the `reader` group: serde_json validates each line (syntax,
/// and UTF-8 inside strings) into `IgnoredAny`, decoding nothing; returns
/// lines that are valid JSON.
pub fn serde_ignored_any(bytes: &[u8]) -> u64 {
    lines(bytes).filter(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok()).count() as u64
}

/// Baseline of the `reader` group: sonic-rs skips each line as one lazy value
/// (SIMD, checked, UTF-8 validated), decoding nothing; returns lines it
/// skipped without error.
pub fn sonic_skip(bytes: &[u8]) -> u64 {
    lines(bytes).filter(|l| sonic_rs::get(*l, std::iter::empty::<&str>()).is_ok()).count() as u64
}

/// Lines the fast decoder reads itself, of all lines (the rest it leaves to
/// serde_json).
pub fn fast_path_lines(bytes: &[u8]) -> (u64, u64) {
    let mut fast = 0;
    let mut all = 0;
    for line in lines(bytes) {
        all += 1;
        if std::str::from_utf8(line).ok().and_then(indiv_spec::record::decode_line_fast).is_some() {
            fast += 1;
        }
    }
    (fast, all)
}

/// Baseline (b): count the lines with `memchr`.
pub fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// Parses `bytes` once, for [`monitor_only`].
pub fn parse_records(bytes: &[u8]) -> Vec<Record<'static>> {
    let mut reader = TraceReader::new(bytes);
    let mut records = Vec::new();
    while let Ok(Some((_, record))) = reader.next_record() {
        records.push(record.into_owned());
    }
    records
}

/// The checker alone over records parsed beforehand; returns violations.
pub fn monitor_only(records: &[Record<'_>]) -> u64 {
    let mut monitor = Monitor::new(builtin(), CheckOptions::default());
    let mut violations = 0u64;
    for (i, record) in records.iter().enumerate() {
        monitor.feed(i + 1, record);
        violations += monitor.drain_violations().count() as u64;
        monitor.drain_notes().for_each(drop);
    }
    violations + monitor.finish().0.len() as u64
}

/// A trace shape that costs a checker with per-record searches over its open
/// sessions quadratic time, or that makes a finding of every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adversary {
    /// Every record a start call that opens a session (refused as busy, but
    /// opened): one violation each, and one more each at the end.
    OpenSessions,
    /// Reader sessions, then as many CancelAsyncOperation calls: each looks
    /// for the newest security session past every reader session.
    Cancels,
    /// Security sessions, then as many reader sessions, then as many
    /// Completed events: each closes the newest security session from under
    /// the reader sessions.
    Completions,
    /// Every record a WMT_NEEDS_INDIVIDUALIZATION without an Open: one
    /// violation each.
    Violations,
    /// Every record a revocation refresh that never completes: one
    /// end-of-trace violation each.
    Revocations,
}

impl Adversary {
    /// Every shape, in the benchmark's order.
    pub const ALL: [Adversary; 5] = [
        Adversary::OpenSessions,
        Adversary::Cancels,
        Adversary::Completions,
        Adversary::Violations,
        Adversary::Revocations,
    ];

    /// Its name in the benchmark.
    pub fn name(self) -> &'static str {
        match self {
            Adversary::OpenSessions => "open_sessions",
            Adversary::Cancels => "cancels",
            Adversary::Completions => "completions",
            Adversary::Violations => "violations",
            Adversary::Revocations => "revocations",
        }
    }
}

/// `records` records of shape `adversary`, as JSONL bytes.
pub fn adversarial_jsonl(adversary: Adversary, records: u64) -> Vec<u8> {
    const READER: &str = r#"{"kind":"call","api":"Individualize","flags":0,"hr":"S_OK"}"#;
    const SECURITY: &str = r#"{"kind":"call","api":"PerformSecurityUpdate","flags":1,"hr":"S_OK"}"#;
    const REFRESH: &str = r#"{"kind":"call","api":"PerformSecurityUpdate","flags":2,"hr":"S_OK"}"#;
    const CANCEL: &str = r#"{"kind":"call","api":"CancelAsyncOperation","hr":"S_OK"}"#;
    const COMPLETED: &str = r#"{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":"S_OK"}"#;
    const NEEDS: &str = r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION","hr":"S_OK"}"#;
    let parts: Vec<(&str, u64)> = match adversary {
        Adversary::OpenSessions => vec![(READER, records)],
        Adversary::Cancels => vec![(READER, records / 2), (CANCEL, records - records / 2)],
        Adversary::Completions => {
            let third = records / 3;
            vec![(SECURITY, third), (READER, third), (COMPLETED, records - 2 * third)]
        }
        Adversary::Violations => vec![(NEEDS, records)],
        Adversary::Revocations => vec![(REFRESH, records)],
    };
    let mut out = Vec::new();
    for (line, count) in parts {
        for _ in 0..count {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    out
}

/// `indiv check`'s path with quotes kept for end-of-trace findings (read,
/// parse, [`Monitor::feed_quoted`], drain, [`Monitor::finish_each`]):
/// returns (records, violations, bytes of the quotes and messages seen).
pub fn check_quoted(bytes: &[u8]) -> (u64, u64, u64) {
    let spec = builtin();
    let mut reader = TraceReader::new(bytes);
    let mut monitor = Monitor::new(spec, CheckOptions::default());
    let (mut violations, mut seen) = (0u64, 0u64);
    let mut count = |v: &indiv_spec::Violation| {
        violations += 1;
        seen += (v.message.len() + v.quote.as_deref().map_or(0, str::len)) as u64;
    };
    while let Ok(Some(line)) = reader.next_line() {
        monitor.feed_quoted(line.number, &line.record, line.text);
        monitor.drain_violations().for_each(|v| count(&v));
        monitor.drain_notes().for_each(drop);
    }
    monitor.finish_each(&mut |v| count(&v));
    (reader.records(), violations, seen)
}

/// `count` generated scenarios, the same every run.
pub fn scenarios(count: u64) -> Vec<Scenario> {
    (0..count).map(Scenario::from_seed).collect()
}

/// Runs every scenario through the reference engine; returns records produced.
pub fn engine_runs(scenarios: &[Scenario]) -> u64 {
    scenarios.iter().map(|s| indiv_engine::simulate(s).len() as u64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_does_its_work_on_the_same_bytes() {
        let bytes = legal_jsonl(20_000, 3);
        let lines = count_lines(&bytes);
        assert!(lines >= 20_000);
        assert_eq!(parse_only(&bytes), lines, "the baseline parses every line");
        assert_eq!(check_jsonl(&bytes), (lines, 0), "a legal trace checks clean");
        let records = parse_records(&bytes);
        assert_eq!(records.len() as u64, lines);
        assert_eq!(monitor_only(&records), 0);
        let mut broken = bytes.clone();
        broken.extend_from_slice(b"{\"kind\":\"status\",\"status\":\"WMT_NO_RIGHTS_EX\"}\n{\"kind\":\"event\",\"event\":\"MEWMDRMIndividualizationCompleted\"}\n");
        assert!(check_jsonl(&broken).1 > 0, "the check path really checks");
        assert!(engine_runs(&scenarios(50)) > 50);
        assert_eq!(read_records(&bytes, Decoder::Fast), lines);
        assert_eq!(read_records(&bytes, Decoder::Serde), lines);
        assert_eq!(check_jsonl_with(&bytes, Decoder::Serde), (lines, 0));
        assert_eq!(serde_ignored_any(&bytes), lines);
        assert_eq!(sonic_skip(&bytes), lines);
        assert_eq!(fast_path_lines(&bytes), (lines, lines), "generated lines never leave the fast path");
        assert_eq!(serde_ignored_any(b"{\"a\":}\n"), 0, "the baselines validate");
        assert_eq!(sonic_skip(b"{\"a\":}\n"), 0, "the baselines validate");
    }

    #[test]
    fn every_adversarial_trace_makes_the_findings_it_is_built_for() {
        let n = 3_000;
        for adversary in Adversary::ALL {
            let (records, violations, seen) = check_quoted(&adversarial_jsonl(adversary, n));
            assert_eq!(records, n, "{adversary:?}");
            let expected = match adversary {
                // Busy at every start call but the first; every session open at the end.
                Adversary::OpenSessions => 2 * n - 1,
                // Busy at every start call but the first; the reader sessions at the end.
                Adversary::Cancels => 2 * (n / 2) - 1,
                // Busy: every start call but the first. Each security session
                // closed unended (SECURITY-COMPLETED-MATCHES and SESSION-ENDS);
                // the reader sessions at the end.
                Adversary::Completions => (2 * n / 3 - 1) + 2 * (n / 3) + n / 3,
                Adversary::Violations | Adversary::Revocations => n,
            };
            assert_eq!(violations, expected, "{adversary:?}");
            assert!(seen > 0);
        }
    }
}
