//! The fast record decoder against serde_json, the reference: fed the same
//! bytes, the two readers return the same records or the same error (same
//! variant, line, column and message). Inputs are records the writer makes
//! and hostile mutations of them: truncations, bad escapes, surrogates,
//! duplicate keys, huge numbers, leading zeros, whitespace, invalid UTF-8,
//! nesting.

use std::borrow::Cow;

use indiv_spec::reader::Decoder;
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status, decode_line_fast, decode_line_serde};
use indiv_spec::vocab::{Hresult, HttpStatus, IndiStatus, KnownHresult, RequiredVersion, SecurityVersion};
use indiv_spec::{Error, TraceReader};
use proptest::prelude::*;

/// What a reader made of a whole input: its records (owned) up to the end or
/// its error, as comparable values.
#[derive(Debug, PartialEq)]
enum Outcome {
    Records(Vec<(usize, Record<'static>)>),
    Failed { records: Vec<(usize, Record<'static>)>, line: usize, column: usize, message: String },
}

fn read_all(bytes: &[u8], decoder: Decoder) -> Outcome {
    read_all_from(bytes, decoder)
}

fn read_all_from(bytes: impl std::io::BufRead, decoder: Decoder) -> Outcome {
    let mut reader = TraceReader::with_decoder(bytes, decoder);
    let mut records = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some((line, record))) => records.push((line, record.into_owned())),
            Ok(None) => return Outcome::Records(records),
            Err(Error::Input { line, column, message }) => return Outcome::Failed { records, line, column, message },
            Err(other) => panic!("reading bytes in memory failed below the format: {other}"),
        }
    }
}

/// The two readers agree on `bytes`, and where the fast decoder reads a line
/// itself, serde_json reads the same record from it.
fn assert_agree(bytes: &[u8]) {
    assert_eq!(
        read_all(bytes, Decoder::Fast),
        read_all(bytes, Decoder::Serde),
        "the readers disagree on {:?}",
        String::from_utf8_lossy(bytes)
    );
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else { continue };
        if let Some(fast) = decode_line_fast(text) {
            match decode_line_serde(text) {
                Ok(serde) => assert_eq!(fast, serde, "decoded differently: {text}"),
                Err(e) => panic!("the fast decoder accepts what serde_json refuses ({e}): {text}"),
            }
        }
    }
}

/// Records the writer makes, covering every kind, call, status and event.
fn record() -> impl Strategy<Value = Record<'static>> {
    let hr = prop_oneof![
        Just(Hresult::S_OK),
        (0..KnownHresult::ALL.len()).prop_map(|i| Hresult::from(KnownHresult::ALL[i])),
        any::<u32>().prop_map(Hresult),
    ];
    let text = prop_oneof![
        "[ -~]{0,12}",
        Just("https://indiv.example/response".to_string()),
        "\\PC{0,6}",
        Just("quote \" backslash \\ tab \t nul \u{0} é 日本 😀".to_string()),
    ];
    let dword = prop_oneof![0u32..200, any::<u32>()];
    let value = (
        hr.clone(),
        prop_oneof![(0..IndiStatus::ALL.len()).prop_map(|i| IndiStatus::ALL[i].value()), any::<u32>()],
        proptest::option::of(text.clone()),
        dword.clone(),
        prop_oneof![(0..HttpStatus::ALL.len()).prop_map(|i| HttpStatus::ALL[i].value()), any::<u32>()],
        dword.clone(),
        dword.clone(),
    )
        .prop_map(|(hr, indi, url, http_request, http, progress, total)| IndividualizeStatus {
            hr,
            indi,
            url: url.map(Cow::Owned),
            http_request,
            http,
            progress,
            total,
        });
    let version = (0u32..5, 0u32..9, 0u32..2).prop_map(|(a, b, c)| SecurityVersion([a, b, 0, c]));
    let call = prop_oneof![
        (0u32..4, 0u32..9).prop_map(|(major, minor)| Call::Open { required_version: RequiredVersion { major, minor } }),
        dword.clone().prop_map(|flags| Call::Individualize { flags }),
        Just(Call::CancelIndividualization),
        dword.clone().prop_map(|flags| Call::PerformSecurityUpdate { flags }),
        Just(Call::CancelAsyncOperation),
        proptest::option::of(text).prop_map(|v| Call::GetSecurityVersion { version: v.map(Cow::Owned) }),
    ];
    let body = prop_oneof![
        (version.clone(), proptest::option::of(version)).prop_map(|(c, s)| Body::Header {
            component_version: Some(c),
            service_version: s.map(|SecurityVersion([a, b, _, _])| SecurityVersion([a, b, 0, 1])),
        }),
        (call, hr.clone()).prop_map(|(call, hr)| Body::Call { call, hr }),
        (value.clone(), hr.clone()).prop_map(|(v, hr)| Body::Status { status: Status::Individualize(v), hr }),
        hr.clone().prop_map(|hr| Body::Status { status: Status::NeedsIndividualization, hr }),
        hr.clone().prop_map(|hr| Body::Status { status: Status::NoRightsEx, hr }),
        (value, hr.clone()).prop_map(|(v, hr)| Body::Event { event: Event::Progress(v), hr }),
        hr.clone().prop_map(|hr| Body::Event { event: Event::Completed, hr }),
        hr.prop_map(|hr| Body::Event { event: Event::RevocationCompleted, hr }),
    ];
    let ts =
        prop_oneof![Just(None), any::<u64>().prop_map(|v| Some(v.into())), any::<i64>().prop_map(|v| Some(v.into())),];
    (body, ts).prop_map(|(body, ts)| Record { ts, body })
}

/// Lines by hand: forms the writer does not make but a reader must read (or
/// refuse) alike.
const HAND_WRITTEN: &[&str] = &[
    r#"{"kind":"header","format":"indiv-trace/1","component_version":"2.1.0.0","service_version":"2.4.0.1"}"#,
    r#" { "kind" : "call" , "api" : "Open" , "required_version" : "2.2" , "ts" : 0 } "#,
    "\t{\"kind\":\"call\",\r\"api\":\"Individualize\",\t\"flags\":1,\"hr\":\"S_OK\",\"ts\":2}\r",
    r#"{"kind":"status","status":"WMT_NEEDS_INDIVIDUALIZATION","hr":-2147024809,"ts":-1}"#,
    r#"{"kind":"status","status":25,"hr":0,"ts":1.5}"#,
    r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","hr":"0xC00D272C","value":{"enIndiStatus":3,"dwHTTPRequest":1,"enHTTPStatus":"HTTP_REQUESTING","dwHTTPReadProgress":10,"dwHTTPReadTotal":100,"pszIndiRespUrl":"https:\/\/indiv.example\/r\u00e9"}}"#,
    r#"{"kind":"event","event":"MEWMDRMIndividualizationProgress","hr":"S_OK","value":{"hr":"S_OK","enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0},"ts":3}"#,
    r#"{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":"S_OK","ts":18446744073709551615}"#,
    r#"{"kind":"call","api":"GetSecurityVersion","version":"2.4.0.1","hr":"S_OK","ts":-9223372036854775808}"#,
    r#"{"kind":"call","api":"GetSecurityVersion","version":"\ud83d\ude00 \u0041","hr":"S_OK"}"#,
    r#"{"kind":"call","api":"PerformSecurityUpdate","flags":4294967295,"hr":4294967295}"#,
    r#"{"kind":"event","event":"MEWMDRMRevocationDownloadCompleted","hr":-2147483648,"ts":1e3}"#,
];

/// Hostile fragments to insert or to put in place of a value.
const FRAGMENTS: &[&[u8]] = &[
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\udc00",
    b"\\ud800\\u0041",
    b"\\u00e9",
    b"\\x",
    b"\"",
    b",",
    b":",
    b"{",
    b"}",
    b"[",
    b"]",
    b"[[[[[[[[[[[[[[[[[[[[",
    b"{\"a\":{\"b\":{\"c\":[1,[2,{}]]}}}",
    b" ",
    b"\t",
    b"\r",
    b"\x0c",
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"0",
    b"-",
    b"-0",
    b"01",
    b".5",
    b"1e400",
    b"-1e400",
    b"99999999999999999999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"4294967296",
    b"null",
    b"nul",
    b"true",
    b"false",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"\"kind\":\"call\",",
    b"\"hr\":\"S_OK\",",
    b"\"ts\":1,",
    b"\"value\":{},",
    b"\n",
    b"\r\n",
];

/// One hostile change to a line.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    Insert(usize, usize),
    Replace(usize, usize, usize),
    Delete(usize, usize),
    SetByte(usize, u8),
    /// Repeats a `"key":value,` segment starting at a quote.
    DuplicateMember(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Mutation::Insert(at, f)),
        (any::<usize>(), 1usize..12, 0..FRAGMENTS.len()).prop_map(|(at, len, f)| Mutation::Replace(at, len, f)),
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::SetByte(at, b)),
        any::<usize>().prop_map(Mutation::DuplicateMember),
    ]
}

fn apply(line: &mut Vec<u8>, mutation: &Mutation) {
    let len = line.len();
    let at = |i: usize| if len == 0 { 0 } else { i % (len + 1) };
    match *mutation {
        Mutation::Truncate(i) => line.truncate(at(i)),
        Mutation::Insert(i, f) => {
            let i = at(i);
            line.splice(i..i, FRAGMENTS[f].iter().copied());
        }
        Mutation::Replace(i, n, f) => {
            let i = at(i);
            let end = (i + n).min(len);
            line.splice(i..end, FRAGMENTS[f].iter().copied());
        }
        Mutation::Delete(i, n) => {
            let i = at(i);
            line.drain(i..(i + n).min(len));
        }
        Mutation::SetByte(i, b) => {
            if len > 0 {
                line[i % len] = b;
            }
        }
        Mutation::DuplicateMember(i) => {
            let quotes: Vec<usize> = line.iter().enumerate().filter(|(_, b)| **b == b'"').map(|(i, _)| i).collect();
            if quotes.is_empty() {
                return;
            }
            let start = quotes[i % quotes.len()];
            if let Some(comma) = line[start..].iter().position(|b| *b == b',') {
                let member = line[start..=start + comma].to_vec();
                line.splice(start..start, member);
            }
        }
    }
}

/// A line to mutate: one the writer made, or one by hand.
fn base_line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => record().prop_map(|r| r.to_string().into_bytes()),
        1 => (0..HAND_WRITTEN.len()).prop_map(|i| HAND_WRITTEN[i].as_bytes().to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn written_records_decode_on_the_fast_path_as_written(record in record()) {
        let line = record.to_string();
        prop_assert_eq!(decode_line_serde(&line).ok(), Some(record.clone()));
        // The writer escapes only quotes, backslashes and control characters:
        // every other record it writes is the fast decoder's to read.
        let escaped = line.contains('\\');
        let fast = decode_line_fast(&line);
        prop_assert!(fast.is_some() || escaped, "left to serde_json: {}", line);
        if let Some(fast) = fast {
            prop_assert_eq!(fast, record);
        }
        assert_agree(line.as_bytes());
    }

    #[test]
    fn mutated_records_read_alike(
        line in base_line(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut line = line;
        for m in &mutations {
            apply(&mut line, m);
        }
        assert_agree(&line);
    }

    #[test]
    fn traces_of_mutated_lines_read_alike(
        lines in proptest::collection::vec((base_line(), proptest::collection::vec(mutation(), 0..2)), 1..5),
        bom in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let mut bytes = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        for (mut line, mutations) in lines {
            for m in &mutations {
                apply(&mut line, m);
            }
            bytes.extend_from_slice(&line);
            bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        assert_agree(&bytes);
    }

    #[test]
    fn lines_read_in_place_or_copied_read_alike(
        lines in proptest::collection::vec((base_line(), proptest::collection::vec(mutation(), 0..2)), 1..5),
        capacity in 1usize..300,
    ) {
        let mut bytes = Vec::new();
        for (mut line, mutations) in lines {
            for m in &mutations {
                apply(&mut line, m);
            }
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
        }
        // A small buffer splits lines across refills (each such line is
        // copied); a line wholly in the buffer is read in place.
        let buffered = std::io::BufReader::with_capacity(capacity, bytes.as_slice());
        prop_assert_eq!(read_all_from(buffered, Decoder::Fast), read_all(&bytes, Decoder::Serde));
    }
}

#[test]
fn hand_written_lines_read_alike() {
    for line in HAND_WRITTEN {
        assert!(decode_line_serde(line).is_ok(), "{line}");
        assert_agree(line.as_bytes());
    }
}

#[test]
fn every_fragment_in_every_place_reads_alike() {
    for line in HAND_WRITTEN {
        for at in 0..=line.len() {
            for fragment in FRAGMENTS {
                let mut bytes = line.as_bytes().to_vec();
                bytes.splice(at..at, fragment.iter().copied());
                assert_agree(&bytes);
                let mut replaced = line.as_bytes().to_vec();
                let end = (at + fragment.len()).min(line.len());
                replaced.splice(at..end, fragment.iter().copied());
                assert_agree(&replaced);
            }
            assert_agree(&line.as_bytes()[..at]);
        }
    }
}
