//! The streaming checker against the independent whole-trace oracle
//! (`indiv_spec::oracle`, feature `oracle`): both must report the same set of
//! `(rule, line)` on every fixture example, every engine scenario (named and
//! generated), and thousands of random record sequences, complete and partial.

use std::borrow::Cow;
use std::collections::BTreeSet;

use indiv_engine::scenario::{named, strategy};
use indiv_engine::simulate;
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status, to_jsonl as jsonl};
use indiv_spec::vocab::{Hresult, KnownHresult, RequiredVersion, SecurityVersion};
use indiv_spec::{CheckOptions, Rule, Spec, TraceReader, check_reader, oracle};
use proptest::prelude::*;

/// Random record sequences compared per `cargo test` run (each both complete
/// and partial).
const RANDOM_CASES: u32 = 200000;
/// Session-shaped record sequences compared per run (each both ways).
const SHAPED_CASES: u32 = 100000;
/// Generated engine scenarios compared per run.
const ENGINE_CASES: u32 = 5000;

fn show(set: &BTreeSet<(Rule, usize)>) -> String {
    let items: Vec<String> = set.iter().map(|(rule, line)| format!("{rule}@{line}")).collect();
    format!("[{}]", items.join(", "))
}

/// What the streaming checker reports on `text`.
fn checker(text: &str, partial: bool) -> BTreeSet<(Rule, usize)> {
    let spec = Spec::builtin().expect("spec loads");
    let outcome = check_reader(spec, text.as_bytes(), CheckOptions { partial })
        .unwrap_or_else(|e| panic!("trace does not read: {e}\n{text}"));
    outcome.violations.iter().map(|v| (v.rule, v.line)).collect()
}

/// The records of `text` with their lines, as the reader reads them.
fn read(text: &str) -> Vec<(usize, Record<'static>)> {
    let mut reader = TraceReader::new(text.as_bytes());
    let mut out = Vec::new();
    while let Some((line, record)) = reader.next_record().unwrap_or_else(|e| panic!("{e}\n{text}")) {
        out.push((line, record.into_owned()));
    }
    out
}

/// Compares the checker and the oracle on `text`; on disagreement, the trace
/// and both sets.
fn compare_text(text: &str, partial: bool) -> Result<(), String> {
    let spec = Spec::builtin().expect("spec loads");
    let streaming = checker(text, partial);
    let whole = oracle::judge(spec, &read(text), partial);
    if streaming == whole {
        return Ok(());
    }
    let only_checker: BTreeSet<_> = streaming.difference(&whole).copied().collect();
    let only_oracle: BTreeSet<_> = whole.difference(&streaming).copied().collect();
    Err(format!(
        "checker and oracle disagree (partial: {partial})\n  checker: {}\n  oracle:  {}\n  only checker: {}\n  only oracle:  {}\ntrace:\n{text}",
        show(&streaming),
        show(&whole),
        show(&only_checker),
        show(&only_oracle)
    ))
}

fn compare_records(records: &[Record<'_>], partial: bool) -> Result<(), String> {
    if records.is_empty() {
        // Not a trace (the reader refuses it); the oracle finds nothing.
        let spec = Spec::builtin().expect("spec loads");
        return match oracle::judge(spec, &[], partial).is_empty() {
            true => Ok(()),
            false => Err("the oracle reports violations in an empty trace".to_string()),
        };
    }
    compare_text(&jsonl(records), partial)
}

#[test]
fn oracle_agrees_with_the_checker_on_every_fixture_example() {
    let mut failures = Vec::new();
    let mut examples = 0;
    for fixture in indiv_specdoc::fixtures::embedded().unwrap_or_else(|e| panic!("{e}")) {
        // Harness examples are no traces: the oracle judges only what a trace shows.
        for (example, input) in fixture.example.iter().filter_map(|e| Some((e, e.trace()?))) {
            examples += 1;
            if let Err(e) = compare_text(&input.trace, input.partial) {
                failures.push(format!("{} [{}]: {e}", fixture.file, example.name));
            }
        }
    }
    assert!(examples > 0, "no fixture examples found");
    assert!(failures.is_empty(), "{} of {examples} examples disagree:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn oracle_agrees_with_the_checker_on_every_named_engine_scenario() {
    let mut failures = Vec::new();
    for n in named() {
        let trace = simulate(&n.scenario);
        for partial in [false, true] {
            if let Err(e) = compare_records(&trace, partial) {
                failures.push(format!("{}: {e}", n.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, max_shrink_time: 60_000, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config(ENGINE_CASES))]

    #[test]
    fn oracle_agrees_with_the_checker_on_generated_engine_scenarios(scenario in strategy::scenario()) {
        let trace = simulate(&scenario);
        if let Err(e) = compare_records(&trace, false) {
            prop_assert!(false, "{e}\nscenario: {scenario:#?}");
        }
    }
}

proptest! {
    #![proptest_config(config(RANDOM_CASES))]

    #[test]
    fn oracle_agrees_with_the_checker_on_random_records(records in random_trace()) {
        for partial in [false, true] {
            if let Err(e) = compare_records(&records, partial) {
                prop_assert!(false, "{e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(SHAPED_CASES))]

    #[test]
    fn oracle_agrees_with_the_checker_on_session_shaped_records(records in session_shaped_trace()) {
        for partial in [false, true] {
            if let Err(e) = compare_records(&records, partial) {
                prop_assert!(false, "{e}");
            }
        }
    }
}

/// The minimal trace of a disagreement the random comparison found: the
/// round-trip number goes back to a trip that announced a total after another
/// trip announced one of its own. Both now read a trip as a run of
/// consecutive statuses with one number, so line 4 starts a new trip.
const REVISITED_TRIP: &str = r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK"}
{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_DOWNLOAD","dwHTTPRequest":0,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":0,"dwHTTPReadTotal":100}}
{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_DOWNLOAD","dwHTTPRequest":1,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":0,"dwHTTPReadTotal":10}}
{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_DOWNLOAD","dwHTTPRequest":0,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}
"#;

#[test]
fn a_revisited_round_trip_number_starts_a_new_trip_in_both() {
    let spec = Spec::builtin().expect("spec loads");
    let streaming = checker(REVISITED_TRIP, true);
    let whole = oracle::judge(spec, &read(REVISITED_TRIP), true);
    assert_eq!(streaming, whole, "checker {} oracle {}", show(&streaming), show(&whole));
    assert!(!whole.contains(&(Rule::ProgressTotalStable, 4)), "{}", show(&whole));
    assert!(whole.contains(&(Rule::HttpCountMonotonic, 4)), "{}", show(&whole));
}

/// A run of `len` statuses from an INDI_BEGIN with no session open, then a
/// start call that opens one.
fn run_before_call(len: usize) -> String {
    let begin = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_BEGIN","dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
    let download = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_DOWNLOAD","dwHTTPRequest":0,"enHTTPStatus":"HTTP_CONNECTING","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#;
    let mut text = format!("{begin}\n");
    for _ in 1..len {
        text.push_str(download);
        text.push('\n');
    }
    text.push_str(r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK"}"#);
    text.push('\n');
    text
}

#[test]
fn the_hold_limit_of_early_statuses_is_the_same_in_both() {
    let spec = Spec::builtin().expect("spec loads");
    for (len, early) in [(4096, true), (4097, false)] {
        let text = run_before_call(len);
        for partial in [false, true] {
            let streaming = checker(&text, partial);
            let whole = oracle::judge(spec, &read(&text), partial);
            assert_eq!(streaming, whole, "len {len} partial {partial}");
            assert_eq!(whole.contains(&(Rule::SessionCallReturnsFirst, len + 1)), early, "len {len}");
            assert_eq!(whole.contains(&(Rule::SessionUnsolicited, 1)), !early, "len {len}");
        }
        // Cut before the call: a partial trace leaves what is held unjudged.
        let cut: String = text.lines().take(len).map(|l| format!("{l}\n")).collect();
        let streaming = checker(&cut, true);
        let whole = oracle::judge(spec, &read(&cut), true);
        assert_eq!(streaming, whole, "cut len {len}");
        assert_eq!(whole.contains(&(Rule::SessionUnsolicited, 1)), !early, "cut len {len}");
    }
}

// ---------------------------------------------------------------------------
// Random, plausible records

fn hr(k: KnownHresult) -> Hresult {
    Hresult::from(k)
}

/// The HRESULTs a call or event returns: mostly success, and every refusal.
fn any_hresult() -> impl Strategy<Value = Hresult> {
    prop_oneof![
        6 => Just(Hresult::S_OK),
        1 => Just(hr(KnownHresult::NsSDrmIndividualized)),
        1 => Just(hr(KnownHresult::EInvalidArg)),
        1 => Just(hr(KnownHresult::Individualizing)),
        1 => Just(hr(KnownHresult::AlreadyIndividualized)),
        1 => Just(hr(KnownHresult::EUnexpected)),
        1 => Just(hr(KnownHresult::IndivServiceUnavailable)),
        1 => Just(hr(KnownHresult::OperationCanceled)),
    ]
}

fn version(text: &str) -> Option<SecurityVersion> {
    SecurityVersion::parse(text)
}

fn any_security_version() -> impl Strategy<Value = Option<SecurityVersion>> {
    prop_oneof![
        Just(None),
        Just(version("2.1.0.0")),
        Just(version("2.4.0.0")),
        Just(version("2.4.0.1")),
        Just(version("2.5.0.1")),
    ]
}

/// What a service offers: individualized versions only (spec 2).
fn any_offered_version() -> impl Strategy<Value = Option<SecurityVersion>> {
    prop_oneof![Just(None), Just(version("2.1.0.1")), Just(version("2.4.0.1")), Just(version("2.5.0.1"))]
}

fn any_url() -> impl Strategy<Value = Option<Cow<'static, str>>> {
    prop_oneof![
        6 => Just(None),
        3 => Just(Some(Cow::Borrowed("https://indiv.example/resp/7f3a"))),
        1 => Just(Some(Cow::Borrowed("HTTP://indiv.example:8080/x"))),
        1 => Just(Some(Cow::Borrowed("/resp/7f3a"))),
        1 => Just(Some(Cow::Borrowed(""))),
        1 => Just(Some(Cow::Borrowed("https://indiv.example/a b"))),
        1 => Just(Some(Cow::Borrowed("https://"))),
        1 => Just(Some(Cow::Borrowed("ftp://indiv.example/"))),
        1 => Just(Some(Cow::Borrowed("https://indiv.example/\u{e9}"))),
        // Longer than the checker keeps whole (it keeps a digest): two that
        // differ only past the first 120 characters, and one malformed.
        1 => Just(Some(Cow::Owned(format!("https://indiv.example/{}/a", "r".repeat(300))))),
        1 => Just(Some(Cow::Owned(format!("https://indiv.example/{}/b", "r".repeat(300))))),
        1 => Just(Some(Cow::Owned(format!("https://indiv.example/{} x", "r".repeat(300))))),
    ]
}

fn any_indi() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => Just(0x01),
        4 => Just(0x02),
        3 => Just(0x04),
        2 => Just(0x08),
        6 => Just(0x10),
        4 => Just(0x20),
        1 => Just(0x00),
        1 => Just(0x18),
        1 => Just(0x40),
    ]
}

fn any_http() -> impl Strategy<Value = u32> {
    prop_oneof![12 => 0u32..=4, 1 => Just(7u32)]
}

fn any_bytes() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), Just(10), Just(100)]
}

fn any_status_value() -> impl Strategy<Value = IndividualizeStatus<'static>> {
    (
        prop_oneof![3 => Just(Hresult::S_OK), 1 => Just(hr(KnownHresult::IndivServiceUnavailable))],
        any_indi(),
        any_url(),
        0u32..=4,
        any_http(),
        any_bytes(),
        any_bytes(),
    )
        .prop_map(|(hr, indi, url, http_request, http, progress, total)| IndividualizeStatus {
            hr,
            indi,
            url,
            http_request,
            http,
            progress,
            total,
        })
}

fn any_flags() -> impl Strategy<Value = u32> {
    // 0x0..=0x8 reach every combination of the three flags and one bit beyond.
    prop_oneof![3 => 0u32..=8, 1 => Just(1u32), 1 => Just(4u32), 1 => Just(0x100u32)]
}

fn any_get_version() -> impl Strategy<Value = Option<Cow<'static, str>>> {
    prop_oneof![
        Just(None),
        Just(Some(Cow::Borrowed("2.4.0.1"))),
        Just(Some(Cow::Borrowed("2.4.0.0"))),
        Just(Some(Cow::Borrowed("2.1.0.0"))),
        Just(Some(Cow::Borrowed("2.5.0.1"))),
        Just(Some(Cow::Borrowed("2.2"))),
        Just(Some(Cow::Borrowed("2.4.0.2"))),
        Just(Some(Cow::Borrowed("2.4.1.1"))),
        Just(Some(Cow::Borrowed("two"))),
    ]
}

fn any_required() -> impl Strategy<Value = RequiredVersion> {
    prop_oneof![
        Just(RequiredVersion { major: 2, minor: 2 }),
        Just(RequiredVersion { major: 2, minor: 4 }),
        Just(RequiredVersion { major: 2, minor: 5 }),
    ]
}

fn call(call: Call<'static>, hr: Hresult) -> Record<'static> {
    Record::new(Body::Call { call, hr })
}

/// One record of any kind but the header.
fn any_record() -> impl Strategy<Value = Record<'static>> {
    prop_oneof![
        2 => any_required().prop_map(|required_version| call(Call::Open { required_version }, Hresult::S_OK)),
        3 => (any_flags(), any_hresult()).prop_map(|(flags, hr)| call(Call::Individualize { flags }, hr)),
        3 => (any_flags(), any_hresult()).prop_map(|(flags, hr)| call(Call::PerformSecurityUpdate { flags }, hr)),
        1 => any_hresult().prop_map(|hr| call(Call::CancelIndividualization, hr)),
        1 => any_hresult().prop_map(|hr| call(Call::CancelAsyncOperation, hr)),
        1 => (any_get_version(), any_hresult()).prop_map(|(version, hr)| call(Call::GetSecurityVersion { version }, hr)),
        8 => any_status_value().prop_map(|v| Record::new(Body::Status { status: Status::Individualize(v), hr: Hresult::S_OK })),
        1 => Just(Record::new(Body::Status { status: Status::NeedsIndividualization, hr: Hresult::S_OK })),
        1 => Just(Record::new(Body::Status { status: Status::NoRightsEx, hr: Hresult::S_OK })),
        8 => any_status_value().prop_map(|v| Record::new(Body::Event { event: Event::Progress(v), hr: Hresult::S_OK })),
        2 => any_hresult().prop_map(|hr| Record::new(Body::Event { event: Event::Completed, hr })),
        1 => Just(Record::new(Body::Event { event: Event::RevocationCompleted, hr: Hresult::S_OK })),
    ]
}

/// An optional header, then 0 to 40 records.
fn random_trace() -> impl Strategy<Value = Vec<Record<'static>>> {
    let header = prop_oneof![
        1 => Just(None),
        2 => (any_security_version(), any_offered_version()).prop_map(|(component_version, service_version)| {
            Some(Record::new(Body::Header { component_version, service_version }))
        }),
    ];
    (header, proptest::collection::vec(any_record(), 0..40))
        .prop_map(|(header, body)| header.into_iter().chain(body).collect())
}

// ---------------------------------------------------------------------------
// Session-shaped records: runs that mostly conform, nudged here and there, so
// that the rules about whole sessions (installs, successes, versions, cancels,
// WMT_NO_RIGHTS_EX) are reached far more often than by records drawn one by one.

/// A conforming run of one session's statuses, first to last but the terminal:
/// (enIndiStatus, dwHTTPRequest, enHTTPStatus, progress, total, has URL).
const RUN: [(u32, u32, u32, u32, u32, bool); 7] = [
    (0x01, 0, 0, 0, 0, false),
    (0x10, 0, 1, 0, 0, false),
    (0x10, 1, 4, 0, 0, true),
    (0x10, 1, 3, 50, 100, true),
    (0x10, 2, 4, 100, 100, true),
    (0x20, 2, 4, 100, 100, true),
    (0x20, 2, 4, 100, 100, true),
];

/// One status of a run, perhaps nudged (`nudge` below 10 changes one thing).
fn nudged(step: (u32, u32, u32, u32, u32, bool), nudge: u8) -> IndividualizeStatus<'static> {
    let (mut indi, mut http_request, mut http, mut progress, mut total, url) = step;
    let mut failed = false;
    match nudge {
        0 => indi = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20][(http_request + http) as usize % 6],
        1 => http_request += 1,
        2 => http_request = http_request.saturating_sub(1),
        3 => http = (http + 2) % 5,
        4 => progress = 10,
        5 => total = 0,
        6 => failed = true,
        7 => (indi, http) = (0x20, 4),
        // One field undefined: the status still takes part in the rules that do not read it.
        8 => http = 5,
        9 => indi = 0x40,
        _ => {}
    }
    if indi == 0x04 {
        failed = !failed;
    }
    IndividualizeStatus {
        hr: if failed { hr(KnownHresult::IndivServiceUnavailable) } else { Hresult::S_OK },
        indi,
        url: url.then_some(Cow::Borrowed("https://indiv.example/resp/7f3a")),
        http_request,
        http,
        progress,
        total,
    }
}

/// One session's statuses: a subsequence of [`RUN`] and perhaps a terminal
/// status carrying the last counters, each status perhaps nudged.
fn session_statuses() -> impl Strategy<Value = Vec<IndividualizeStatus<'static>>> {
    (
        proptest::sample::subsequence(RUN.to_vec(), 0..=RUN.len()),
        prop_oneof![Just(None), Just(Some(0x02u32)), Just(Some(0x02)), Just(Some(0x04)), Just(Some(0x08))],
        proptest::collection::vec(0u8..40, RUN.len() + 1),
    )
        .prop_map(|(mut steps, terminal, nudges)| {
            if let Some(indi) = terminal {
                let (_, req, http, progress, total, url) = steps.last().copied().unwrap_or(RUN[0]);
                steps.push((indi, req.max(1), if http == 0 { 4 } else { http }, progress, total, url));
            }
            steps.into_iter().zip(nudges).map(|(step, nudge)| nudged(step, nudge)).collect()
        })
}

fn mostly_ok() -> impl Strategy<Value = Hresult> {
    prop_oneof![8 => Just(Hresult::S_OK), 1 => any_hresult()]
}

/// A start call, its session's statuses on the right channel, and perhaps a
/// cancel call somewhere among them and (security) a Completed event.
fn session_episode() -> impl Strategy<Value = Vec<Record<'static>>> {
    (
        any::<bool>(),
        prop_oneof![4 => Just(1u32), 3 => Just(4u32), 2 => Just(0u32), 2 => 2u32..=8],
        mostly_ok(),
        session_statuses(),
        prop_oneof![3 => Just(None), 1 => (0usize..8).prop_map(Some)],
        prop_oneof![4 => Just(None), 1 => Just(Some(Hresult::S_OK)), 1 => Just(Some(hr(KnownHresult::OperationCanceled)))],
        0u8..4,
        // A GetSecurityVersion among the statuses: during an install it is
        // not judged by SECURITY-VERSION-STABLE.
        (prop_oneof![3 => Just(None), 1 => (0usize..8).prop_map(Some)], any_get_version()),
    )
        .prop_map(|(reader, flags, start_hr, statuses, cancel_at, completed_hr, completed, (version_at, version))| {
            let mut out = Vec::new();
            let start = if reader { Call::Individualize { flags } } else { Call::PerformSecurityUpdate { flags } };
            out.push(call(start, start_hr));
            let terminal_ok = statuses.last().is_some_and(|v| v.indi == 0x02);
            for (n, v) in statuses.into_iter().enumerate() {
                if version_at == Some(n) {
                    out.push(call(Call::GetSecurityVersion { version: version.clone() }, Hresult::S_OK));
                }
                if cancel_at == Some(n) {
                    let cancel = if reader { Call::CancelIndividualization } else { Call::CancelAsyncOperation };
                    out.push(call(cancel, Hresult::S_OK));
                }
                out.push(if reader {
                    Record::new(Body::Status { status: Status::Individualize(v), hr: Hresult::S_OK })
                } else {
                    Record::new(Body::Event { event: Event::Progress(v), hr: Hresult::S_OK })
                });
            }
            if !reader && completed > 0 {
                let hr = completed_hr.unwrap_or(if terminal_ok {
                    Hresult::S_OK
                } else {
                    hr(KnownHresult::IndivServiceUnavailable)
                });
                out.push(Record::new(Body::Event { event: Event::Completed, hr }));
            }
            out
        })
}

/// Anything else a trace does between sessions.
fn other_episode() -> impl Strategy<Value = Vec<Record<'static>>> {
    let status = |status| Record::new(Body::Status { status, hr: Hresult::S_OK });
    prop_oneof![
        3 => (any_required(), 0u8..4).prop_map(move |(required_version, needs)| {
            let mut out = vec![call(Call::Open { required_version }, Hresult::S_OK)];
            out.extend((0..needs.saturating_sub(1).min(2)).map(|_| status(Status::NeedsIndividualization)));
            out
        }),
        2 => (mostly_ok(), any::<bool>()).prop_map(|(hr, done)| {
            let mut out = vec![call(Call::PerformSecurityUpdate { flags: 2 }, hr)];
            if done {
                out.push(Record::new(Body::Event { event: Event::RevocationCompleted, hr: Hresult::S_OK }));
            }
            out
        }),
        2 => (any_get_version(), mostly_ok()).prop_map(|(version, hr)| vec![call(Call::GetSecurityVersion { version }, hr)]),
        2 => Just(vec![status(Status::NoRightsEx)]),
        1 => Just(vec![status(Status::NeedsIndividualization)]),
        1 => any_record().prop_map(|r| vec![r]),
    ]
}

/// An optional header, then up to eight episodes.
fn session_shaped_trace() -> impl Strategy<Value = Vec<Record<'static>>> {
    let header = prop_oneof![
        1 => Just(None),
        3 => (any_security_version(), any_offered_version()).prop_map(|(component_version, service_version)| {
            Some(Record::new(Body::Header { component_version, service_version }))
        }),
    ];
    let episode = prop_oneof![3 => session_episode(), 2 => other_episode()];
    (header, proptest::collection::vec(episode, 1..8))
        .prop_map(|(header, episodes)| header.into_iter().chain(episodes.into_iter().flatten()).collect())
}
