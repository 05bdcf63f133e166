//! Harness code of the fuzz targets in `fuzz/`: each target is a few lines
//! calling one function here, so the same checks also run from tests and
//! from regression cases. Every function panics exactly when it found a bug.

use arbitrary::{Arbitrary, Unstructured};
use indiv_engine::boundary::{self, INDIVIDUALIZE_FLAGS, MINORS, SECURITY_FLAGS};
use indiv_spec::reader::Decoder;
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status, line_serde, to_jsonl};
use indiv_spec::record::{decode_line, decode_line_fast, decode_line_serde, write_line};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, RequiredVersion, SecurityVersion};
use indiv_spec::{CheckOptions, Error, Spec, TraceReader};

/// The boundary catalogue's tokens for the byte-level targets' dictionaries
/// (`fuzz/dicts/parse_trace.dict`, `reader_agree.dict`), each as the JSON
/// text a trace carries it in: every HRESULT spelling, versions and required
/// versions on each side of a second digit, each total and flags value, and
/// each response URL shape of at most [`MAX_DICTIONARY_WORD`] bytes (the
/// long path is in the seeds only).
pub fn boundary_dictionary() -> Vec<String> {
    use indiv_engine::boundary::{Relation, TOTALS};
    use indiv_engine::service::UrlShape;
    let mut words: Vec<String> = boundary::hresult_spellings().map(|(_, json, _)| json.to_string()).collect();
    for relation in Relation::ALL {
        let (component, (major, minor)) = relation.example((2, 9));
        words.push(format!("\"{component}\""));
        words.push(format!("\"{major}.{minor}\""));
    }
    let numbers = TOTALS.iter().chain(&INDIVIDUALIZE_FLAGS).chain(&SECURITY_FLAGS);
    words.extend(numbers.map(u32::to_string));
    words.extend(UrlShape::ALL[1..].iter().map(|shape| format!("\"{}\"", shape.url("http://127.0.0.1:8080/c/1/"))));
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| w.len() <= MAX_DICTIONARY_WORD && seen.insert(w.clone()));
    words
}

/// The longest dictionary word libFuzzer keeps.
pub const MAX_DICTIONARY_WORD: usize = 64;

/// Seeds for the byte-level targets from the boundary catalogue: the
/// reference engine's trace of each named `boundary-*` case, and one trace
/// with each HRESULT spelling; each with its file name.
pub fn boundary_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = boundary::named_cases()
        .into_iter()
        .map(|named| (named.name.to_string(), to_jsonl(&indiv_engine::simulate(&named.scenario)).into_bytes()))
        .collect();
    let hresults: String = boundary::hresult_spellings()
        .map(|(_, json, _)| {
            format!("{{\"kind\":\"event\",\"event\":\"MEWMDRMIndividualizationCompleted\",\"hr\":{json}}}\n")
        })
        .collect();
    seeds.push(("boundary-hresults".to_string(), hresults.into_bytes()));
    seeds
}

/// `parse_trace`: arbitrary bytes into the trace reader. It must not panic,
/// must end, and every error must name a line and a column.
pub fn parse_trace(data: &[u8]) {
    let mut reader = TraceReader::new(data);
    let mut lines = 0usize;
    loop {
        match reader.next_record() {
            Ok(Some((line, _))) => {
                lines += 1;
                assert_eq!(line, reader.line());
                assert!(lines <= data.len() + 1, "more records than bytes");
            }
            Ok(None) => break,
            Err(e) => {
                let (line, column) = e.position().expect("input errors have a position");
                assert!(line >= 1 && column >= 1, "position {line}:{column} of {e}");
                assert!(matches!(e, Error::Input { .. }), "{e}");
                let message = e.to_string();
                assert!(!message.contains('\n'), "one-line message: {message}");
                break;
            }
        }
    }
}

/// `reader_agree`: arbitrary bytes into the trace reader twice, with the fast
/// record decoder and with serde_json alone (the reference). Both must read
/// the same records, line for line, and stop at the same error (variant,
/// line, column, message); and wherever the fast decoder reads a line itself,
/// serde_json must read the same record from it.
pub fn reader_agree(data: &[u8]) {
    let fast = read_all(data, Decoder::Fast);
    let serde = read_all(data, Decoder::Serde);
    assert_eq!(fast, serde, "the readers disagree on {:?}", String::from_utf8_lossy(data));
    for line in data.split(|b| *b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else { continue };
        if let Some(record) = decode_line_fast(text) {
            match decode_line_serde(text) {
                Ok(reference) => assert_eq!(record, reference, "decoded differently: {text:?}"),
                Err(e) => panic!("the fast decoder reads what serde_json refuses ({e}): {text:?}"),
            }
        }
    }
}

/// Every record a reader reads from `data` with `decoder` (with its line),
/// then how it stopped: `None` at the end, or the error as (line, column,
/// message), with `Io` (impossible for bytes in memory) as a message.
type ReadAll = (Vec<(usize, Record<'static>)>, Option<(usize, usize, String)>);

fn read_all(data: &[u8], decoder: Decoder) -> ReadAll {
    let mut reader = TraceReader::with_decoder(data, decoder);
    let mut records = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some((line, record))) => records.push((line, record.into_owned())),
            Ok(None) => return (records, None),
            Err(Error::Input { line, column, message }) => return (records, Some((line, column, message))),
            Err(other) => return (records, Some((0, 0, format!("not an input error: {other}")))),
        }
    }
}

/// `engine_scenario`: an arbitrary scenario into the reference engine; its
/// trace must conform, must and should. The checker judges the records in
/// memory ([`indiv_spec::check_records`], what `check_reader` finds in their
/// text): writing and reading records have targets of their own
/// (`writer_agree`, `reader_agree`, `roundtrip`), and doing both here made
/// each run 2.5 times slower (BENCHMARKS.md, "Issue 13, the night round").
/// That the engine's traces read back as written, through `check_reader`,
/// is the property `every_engine_trace_conforms` (engine tests).
pub fn engine_scenario(data: &[u8]) {
    let scenario = indiv_engine::Scenario::from_bytes(data);
    let trace = indiv_engine::simulate(&scenario);
    let outcome = indiv_spec::check_records(builtin(), &trace, CheckOptions::default());
    assert!(outcome.violations.is_empty(), "{:#?}\n{scenario:#?}\n{}", outcome.violations, to_jsonl(&trace));
}

/// `roundtrip`: record → JSON → record is the identity, and JSON → record →
/// JSON is stable. Lines are written by the writer every trace goes through
/// ([`write_line`]) and read back as `indiv check` reads them
/// ([`decode_line`]: the fast decoder, serde_json for what it leaves); each
/// is held to serde_json by a target of its own (`writer_agree`,
/// `reader_agree`).
pub fn roundtrip(data: &[u8]) {
    for_each_written(data, |record, json| {
        let back = decode_line(json).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(&back, record, "{json}");
    });
    // Whatever the bytes are, a line that reads as a record writes back to
    // JSON that reads as the same record and writes the same JSON again.
    if let Some(record) = first_line_record(data) {
        let once = record.to_string();
        let again = decode_line(&once).unwrap_or_else(|e| panic!("{e}: {once}"));
        assert_eq!(again, record, "{once}");
        assert_eq!(again.to_string(), once);
    }
}

/// `writer_agree`: the writer ([`write_line`]) writes what serde_json writes
/// for a record (the reference, [`line_serde`]), byte for byte: for
/// structured records as `roundtrip` draws them, and for the record the
/// first line of the bytes holds, if any.
pub fn writer_agree(data: &[u8]) {
    for_each_written(data, |record, json| assert_eq!(json, line_serde(record), "{record:?}"));
    if let Some(record) = first_line_record(data) {
        assert_eq!(record.to_string(), line_serde(&record), "{record:?}");
    }
}

/// Calls `f` with each record of the [`FuzzTrace`] `data` stands for, if
/// any, and its line as [`write_line`] writes it.
fn for_each_written(data: &[u8], mut f: impl FnMut(&Record<'_>, &str)) {
    let Ok(trace) = FuzzTrace::arbitrary(&mut Unstructured::new(data)) else { return };
    let mut json = String::new();
    for record in trace.records() {
        json.clear();
        write_line(&mut json, &record);
        f(&record, &json);
    }
}

/// The record the first line of `data` holds, read as `indiv check` reads it.
fn first_line_record(data: &[u8]) -> Option<Record<'_>> {
    let line = data.split(|b| *b == b'\n').next().and_then(|l| std::str::from_utf8(l).ok())?;
    decode_line(line).ok()
}

/// `check_records`: a structured sequence of records into the streaming
/// checker and the independent oracle; both must report the same set of
/// (rule, line) violations. Both judge the records in memory, as in
/// [`engine_scenario`]; `roundtrip` writes and reads `FuzzTrace`s drawn the
/// same way, record by record.
pub fn check_records(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(trace) = FuzzTrace::arbitrary(&mut u) else { return };
    let partial = trace.partial;
    let records = trace.records();
    // An empty trace is an input error (tested with the reader), not a
    // judgement the two implementations could disagree on.
    if records.is_empty() {
        return;
    }
    compare_with_oracle(&records, partial);
}

/// Asserts that the streaming checker and the oracle agree on `records`.
pub fn compare_with_oracle(records: &[Record<'static>], partial: bool) {
    use std::collections::BTreeSet;
    let spec = builtin();
    let outcome = indiv_spec::check_records(spec, records, CheckOptions { partial });
    let streaming: BTreeSet<_> = outcome.violations.iter().map(|v| (v.rule, v.line)).collect();
    let numbered: Vec<(usize, Record<'_>)> = records.iter().cloned().enumerate().map(|(i, r)| (i + 1, r)).collect();
    let oracle = indiv_spec::oracle::judge(spec, &numbered, partial);
    assert_eq!(streaming, oracle, "checker and oracle disagree (partial: {partial}) on:\n{}", to_jsonl(records));
}

/// The fuzz targets, by name.
pub const TARGETS: [&str; 6] =
    ["parse_trace", "check_records", "engine_scenario", "roundtrip", "reader_agree", "writer_agree"];

/// Why a fuzz input could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum FuzzError {
    /// No fuzz target has this name.
    #[error("unknown fuzz target `{0}`; expected one of {targets}", targets = TARGETS.join(", "))]
    UnknownTarget(String),
}

/// Runs the harness of `target` on `input`.
pub fn run_target(target: &str, input: &[u8]) -> Result<(), FuzzError> {
    match target {
        "parse_trace" => parse_trace(input),
        "check_records" => check_records(input),
        "engine_scenario" => engine_scenario(input),
        "roundtrip" => roundtrip(input),
        "reader_agree" => reader_agree(input),
        "writer_agree" => writer_agree(input),
        other => return Err(FuzzError::UnknownTarget(other.to_string())),
    }
    Ok(())
}

/// The trace a fuzz input stands for, for the targets whose input is one,
/// and whether it is judged as partial.
pub fn input_trace(target: &str, input: &[u8]) -> Option<(Vec<Record<'static>>, bool)> {
    match target {
        "check_records" => {
            let trace = FuzzTrace::arbitrary(&mut Unstructured::new(input)).ok()?;
            Some((trace.records(), trace.partial))
        }
        "engine_scenario" => Some((indiv_engine::simulate(&indiv_engine::Scenario::from_bytes(input)), false)),
        _ => None,
    }
}

/// A regression case (TOML) for a fuzz input: the input itself, and for
/// trace-shaped inputs the trace with the violations the oracle (for
/// `check_records`) or the spec (for the engine: none) expects.
pub fn regression_case(target: &str, input: &[u8]) -> Result<String, FuzzError> {
    use std::fmt::Write as _;
    if !TARGETS.contains(&target) {
        return Err(FuzzError::UnknownTarget(target.to_string()));
    }
    let mut out = String::from("# A regression case from the nightly fuzz job; `cargo test` replays it.\n");
    let _ = writeln!(out, "target = \"{target}\"");
    let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
    let _ = writeln!(out, "input_hex = \"{hex}\"");
    if let Some((records, partial)) = input_trace(target, input) {
        let expect: Vec<String> = if target == "check_records" {
            let numbered: Vec<(usize, Record<'_>)> =
                records.iter().cloned().enumerate().map(|(i, r)| (i + 1, r)).collect();
            indiv_spec::oracle::judge(builtin(), &numbered, partial)
                .into_iter()
                .map(|(rule, line)| format!("\"{}@{line}\"", rule.id()))
                .collect()
        } else {
            Vec::new()
        };
        let _ = writeln!(out, "partial = {partial}");
        let _ = writeln!(out, "trace = '''\n{}'''", to_jsonl(&records));
        let _ = writeln!(out, "expect = [{}]", expect.join(", "));
    }
    Ok(out)
}

fn builtin() -> &'static Spec {
    // The shipped spec is validated by the test suite; a fuzz run on a broken
    // build has nothing to report but that.
    Spec::builtin().expect("the built-in spec loads")
}

/// The most records of a [`FuzzTrace`] (after its header): the records the
/// input describes past these are dropped. Every rule's violations show in a
/// few records (the longest rule fixture has 19 lines); longer traces only
/// make each run slower (`check_records` judges the trace twice, with the
/// checker and the oracle), and the fuzz targets' `-max_len`
/// (`fuzz/options/`) keeps inputs near this size anyway.
pub const MAX_RECORDS: usize = 64;

/// A trace the fuzzer builds record by record; values lean towards the ones
/// the rules care about so that rules are reached, with raw numbers mixed in.
/// At most [`MAX_RECORDS`] records after the header.
#[derive(Arbitrary, Debug)]
pub struct FuzzTrace {
    header: Option<(FuzzVersion, Option<FuzzVersion>)>,
    records: Vec<FuzzRecord>,
    /// Judge the trace as partial (a live or truncated log).
    pub partial: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct FuzzVersion(u8, u8, bool);

/// A minor number from the boundary catalogue's (small ones, and each side
/// of a second digit), so that versions compared as text and as numbers
/// disagree in some traces.
fn minor(byte: u8) -> u32 {
    MINORS[usize::from(byte) % MINORS.len()]
}

impl FuzzVersion {
    fn version(self) -> SecurityVersion {
        SecurityVersion([u32::from(self.0 % 4), minor(self.1), 0, u32::from(self.2)])
    }

    /// The version a service offers: always individualized (spec 2).
    fn offered(self) -> SecurityVersion {
        SecurityVersion([u32::from(self.0 % 4), minor(self.1), 0, 1])
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzHr {
    Ok,
    Known(u8),
    /// A code of the boundary catalogue's HRESULT spellings (each side of
    /// the severity bit, a failure the spec does not name).
    Boundary(u8),
    Raw(u32),
}

impl FuzzHr {
    fn hr(&self) -> Hresult {
        match self {
            FuzzHr::Ok => Hresult::S_OK,
            FuzzHr::Known(i) => KnownHresult::ALL[usize::from(*i) % KnownHresult::ALL.len()].into(),
            FuzzHr::Boundary(i) => {
                let count = boundary::hresult_spellings().count().max(1);
                boundary::hresult_spellings().nth(usize::from(*i) % count).map_or(Hresult::S_OK, |(_, _, hr)| hr)
            }
            FuzzHr::Raw(v) => Hresult(*v),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzFlags {
    Usual(u8),
    /// Flags of the boundary catalogue (both calls' edges).
    Boundary(u8),
    Raw(u32),
}

impl FuzzFlags {
    fn flags(&self) -> u32 {
        match self {
            FuzzFlags::Usual(v) => u32::from(v % 6),
            FuzzFlags::Boundary(v) => {
                let at = usize::from(*v) % (INDIVIDUALIZE_FLAGS.len() + SECURITY_FLAGS.len());
                INDIVIDUALIZE_FLAGS.iter().chain(&SECURITY_FLAGS).nth(at).copied().unwrap_or(0)
            }
            FuzzFlags::Raw(v) => *v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzCall {
    Open(u8, u8),
    Individualize(FuzzFlags),
    CancelIndividualization,
    PerformSecurityUpdate(FuzzFlags),
    CancelAsyncOperation,
    GetSecurityVersion(Option<FuzzReported>),
}

#[derive(Arbitrary, Debug)]
enum FuzzReported {
    Version(FuzzVersion),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum FuzzUrl {
    Null,
    Valid,
    Relative,
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum FuzzEnum {
    Defined(u8),
    Raw(u32),
}

#[derive(Arbitrary, Debug)]
enum FuzzAmount {
    Small(u8),
    Raw(u32),
}

impl FuzzAmount {
    fn value(&self) -> u32 {
        match self {
            FuzzAmount::Small(v) => [0, 10, 100][usize::from(*v) % 3],
            FuzzAmount::Raw(v) => *v,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct FuzzStatus {
    hr: FuzzHr,
    indi: FuzzEnum,
    url: FuzzUrl,
    request: u8,
    http: FuzzEnum,
    progress: FuzzAmount,
    total: FuzzAmount,
}

impl FuzzStatus {
    fn value(&self) -> IndividualizeStatus<'static> {
        let indi = match self.indi {
            FuzzEnum::Defined(i) => IndiStatus::ALL[usize::from(i) % IndiStatus::ALL.len()].value(),
            FuzzEnum::Raw(v) => v,
        };
        let http = match self.http {
            FuzzEnum::Defined(i) => HttpStatus::ALL[usize::from(i) % HttpStatus::ALL.len()].value(),
            FuzzEnum::Raw(v) => v,
        };
        let url = match &self.url {
            FuzzUrl::Null => None,
            FuzzUrl::Valid => Some("https://indiv.example/response".into()),
            FuzzUrl::Relative => Some("response".into()),
            FuzzUrl::Text(t) => Some(t.clone().into()),
        };
        IndividualizeStatus {
            hr: self.hr.hr(),
            indi,
            url,
            http_request: u32::from(self.request % 5),
            http,
            progress: self.progress.value(),
            total: self.total.value(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum FuzzRecord {
    Call(FuzzCall, FuzzHr),
    Needs,
    NoRights,
    Status(FuzzStatus),
    Progress(FuzzStatus),
    Completed(FuzzHr),
    RevocationCompleted,
    Ts(Box<FuzzRecord>, u32),
}

impl FuzzRecord {
    fn record(&self) -> Record<'static> {
        let body = match self {
            FuzzRecord::Call(call, hr) => {
                let call = match call {
                    FuzzCall::Open(a, b) => {
                        Call::Open { required_version: RequiredVersion { major: u32::from(a % 4), minor: minor(*b) } }
                    }
                    FuzzCall::Individualize(f) => Call::Individualize { flags: f.flags() },
                    FuzzCall::CancelIndividualization => Call::CancelIndividualization,
                    FuzzCall::PerformSecurityUpdate(f) => Call::PerformSecurityUpdate { flags: f.flags() },
                    FuzzCall::CancelAsyncOperation => Call::CancelAsyncOperation,
                    FuzzCall::GetSecurityVersion(v) => Call::GetSecurityVersion {
                        version: v.as_ref().map(|v| match v {
                            FuzzReported::Version(v) => v.version().to_string().into(),
                            FuzzReported::Text(t) => t.clone().into(),
                        }),
                    },
                };
                Body::Call { call, hr: hr.hr() }
            }
            FuzzRecord::Needs => Body::Status { status: Status::NeedsIndividualization, hr: Hresult::S_OK },
            FuzzRecord::NoRights => Body::Status { status: Status::NoRightsEx, hr: Hresult::S_OK },
            FuzzRecord::Status(s) => Body::Status { status: Status::Individualize(s.value()), hr: Hresult::S_OK },
            FuzzRecord::Progress(s) => Body::Event { event: Event::Progress(s.value()), hr: Hresult::S_OK },
            FuzzRecord::Completed(hr) => Body::Event { event: Event::Completed, hr: hr.hr() },
            FuzzRecord::RevocationCompleted => Body::Event { event: Event::RevocationCompleted, hr: Hresult::S_OK },
            FuzzRecord::Ts(inner, ts) => return Record { ts: Some((*ts).into()), body: inner.record().body },
        };
        Record { ts: None, body }
    }
}

impl FuzzTrace {
    /// The records, header first when there is one; at most [`MAX_RECORDS`]
    /// after it.
    pub fn records(&self) -> Vec<Record<'static>> {
        let header = self.header.map(|(component, service)| Record {
            ts: None,
            body: Body::Header {
                component_version: Some(component.version()),
                service_version: service.map(FuzzVersion::offered),
            },
        });
        header.into_iter().chain(self.records.iter().take(MAX_RECORDS).map(FuzzRecord::record)).collect()
    }
}
