//! The boundary catalogue (`indiv_engine::boundary`) on the checker's side:
//! an HRESULT is judged by its code, however a trace spells it (by name, by
//! hex string, as an unsigned or a signed integer), and a status or a
//! Completed event is a failure exactly when its code's severity bit is set,
//! on both sides of that bit. The fuzz targets' dictionaries and seeds carry
//! the catalogue (`INDIV_BLESS=1` rewrites them from it).

use std::path::{Path, PathBuf};

use indiv_engine::boundary::hresult_spellings;
use indiv_engine::service::{Exchange, Fault};
use indiv_engine::{AppCall, Scenario, simulate};
use indiv_gen::fuzzing::{boundary_dictionary, boundary_seeds};
use indiv_gen::legal::{SplitMix64, legal_trace};
use indiv_gen::mutate::mutate;
use indiv_spec::record::to_jsonl;
use indiv_spec::vocab::KnownHresult;
use indiv_spec::{CheckOptions, Rule, Spec, check_reader};

use crate::show_in_test_output;

fn spec() -> &'static Spec {
    Spec::builtin().expect("the built-in spec loads")
}

/// The violations of `text`, as `RULE@line`.
fn check(text: &str) -> Vec<String> {
    let outcome = check_reader(spec(), text.as_bytes(), CheckOptions::default())
        .unwrap_or_else(|e| panic!("does not read: {e}\n{text}"));
    outcome.violations.iter().map(|v| format!("{}@{}", v.rule, v.line)).collect()
}

/// `text` with every HRESULT the writer spelled by name spelled by number,
/// in the form `spell` gives the code.
fn respelled(text: &str, spell: impl Fn(u32) -> String) -> String {
    let mut out = text.to_string();
    for known in KnownHresult::ALL {
        out = out.replace(&format!("\"hr\":\"{}\"", known.name()), &format!("\"hr\":{}", spell(known.value())));
    }
    out
}

/// How a code is spelled as a JSON value.
type Spell = fn(u32) -> String;

#[test]
fn the_checker_judges_an_hresult_by_its_code_not_its_spelling() {
    let spellings: [(&str, Spell); 4] = [
        ("upper-case hex", |v| format!("\"0x{v:08X}\"")),
        ("lower-case hex", |v| format!("\"0x{v:08x}\"")),
        ("unsigned integer", |v| v.to_string()),
        ("signed integer", |v| (v as i32).to_string()),
    ];
    let mut traces = 0;
    let mut with_violations = 0;
    for seed in 0..200 {
        let trace = legal_trace(spec(), &mut SplitMix64::new(seed), 4);
        // The legal trace, and mutants of it that break the rules reading an hr.
        let mut texts = vec![to_jsonl(&trace)];
        for rule in [Rule::StatusHrMatches, Rule::SecurityCompletedMatches, Rule::SessionOneTerminal] {
            if let Some(mutant) = mutate(rule, &trace, &mut SplitMix64::new(seed)) {
                texts.push(to_jsonl(&mutant.records));
            }
        }
        for text in texts {
            let expected = check(&text);
            with_violations += usize::from(!expected.is_empty());
            for (name, spell) in spellings {
                let other = respelled(&text, spell);
                assert_eq!(check(&other), expected, "seed {seed}, spelled as {name}:\n{other}");
            }
            traces += 1;
        }
    }
    show_in_test_output(&format!(
        "HRESULT spellings: {traces} traces ({with_violations} with violations) judged alike in 4 spellings\n"
    ));
    assert!(with_violations > 0, "no mutant broke a rule: the comparison shows nothing");
}

/// `trace` (JSON Lines) with the `hr` that follows `anchor` on the line that
/// contains `marker` replaced by `json`; and that line's number.
fn with_hr(trace: &str, marker: &str, anchor: &str, json: &str) -> (String, usize) {
    let (at, line) = trace.lines().enumerate().find(|(_, l)| l.contains(marker)).expect("the marked line");
    let start = line.find(anchor).expect("the anchor") + anchor.len();
    let end = start + line[start..].find([',', '}']).expect("the value's end");
    let replaced = format!("{}{json}{}", &line[..start], &line[end..]);
    (trace.replacen(line, &replaced, 1), at + 1)
}

#[test]
fn a_failure_is_judged_by_the_severity_bit_on_both_sides_of_it() {
    let named = |name: &str| indiv_engine::scenario::by_name(name).expect("a named case").scenario;
    let reader = to_jsonl(&simulate(&named("fault-refused")));
    let mut security: Scenario = named("security-happy");
    security.service.fault = Some(Fault::Refused(Exchange::Query));
    security.steps.retain(|s| s.call != AppCall::GetSecurityVersion);
    let security = to_jsonl(&simulate(&security));
    assert!(check(&reader).is_empty() && check(&security).is_empty(), "{reader}\n{security}");
    let mut judged = 0;
    for (entry, json, hr) in hresult_spellings() {
        // INDI_FAIL's own hr: a failure code exactly (STATUS-HR-MATCHES).
        let (text, line) = with_hr(&reader, "INDI_FAIL", "\"value\":{\"hr\":", json);
        let expected = if hr.is_failure() { vec![] } else { vec![format!("STATUS-HR-MATCHES@{line}")] };
        assert_eq!(check(&text), expected, "{}:\n{text}", entry.id);
        // The failed session's Completed event: a failure code exactly
        // (SECURITY-COMPLETED-MATCHES).
        let (text, line) = with_hr(&security, "MEWMDRMIndividualizationCompleted", "\"hr\":", json);
        let expected = if hr.is_failure() { vec![] } else { vec![format!("SECURITY-COMPLETED-MATCHES@{line}")] };
        assert_eq!(check(&text), expected, "{}:\n{text}", entry.id);
        judged += 1;
    }
    show_in_test_output(&format!("HRESULT spellings of the boundary catalogue judged: {judged}\n"));
    assert_eq!(judged, hresult_spellings().count());
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The byte-level targets, whose dictionaries and seeds carry the catalogue.
const BYTE_TARGETS: [&str; 2] = ["parse_trace", "reader_agree"];
const DICTIONARY_START: &str = "# --- the boundary catalogue (gen/tests/it/boundaries.rs; INDIV_BLESS=1 rewrites it)";
const DICTIONARY_END: &str = "# --- end of the boundary catalogue";

/// A word as a libFuzzer dictionary line.
fn dictionary_line(word: &str) -> String {
    let mut line = String::from("\"");
    for b in word.bytes() {
        match b {
            b'"' | b'\\' => line.push_str(&format!("\\{}", b as char)),
            0x20..=0x7e => line.push(b as char),
            _ => line.push_str(&format!("\\x{b:02X}")),
        }
    }
    line.push('"');
    line
}

#[test]
fn fuzz_dictionaries_and_seeds_carry_the_boundary_catalogue() {
    let bless = std::env::var_os("INDIV_BLESS").is_some();
    let section: String = std::iter::once(DICTIONARY_START.to_string())
        .chain(boundary_dictionary().iter().map(|w| dictionary_line(w)))
        .chain(std::iter::once(DICTIONARY_END.to_string()))
        .map(|l| l + "\n")
        .collect();
    let seeds = boundary_seeds();
    for target in BYTE_TARGETS {
        let path = fuzz_dir().join(format!("dicts/{target}.dict"));
        let text = std::fs::read_to_string(&path).expect("the dictionary");
        let kept = match (text.find(DICTIONARY_START), text.find(DICTIONARY_END)) {
            (Some(a), Some(b)) => format!("{}{}", &text[..a], &text[b + DICTIONARY_END.len() + 1..]),
            _ => text.clone(),
        };
        let wanted = format!("{kept}{section}");
        if bless {
            std::fs::write(&path, &wanted).expect("write the dictionary");
        } else {
            assert_eq!(text, wanted, "{}: run with INDIV_BLESS=1 to rewrite", path.display());
        }
        let dir = fuzz_dir().join(format!("seeds/{target}"));
        for (name, bytes) in &seeds {
            let file = dir.join(name);
            if bless {
                std::fs::write(&file, bytes).expect("write a seed");
            } else {
                let on_disk = std::fs::read(&file).unwrap_or_default();
                assert!(on_disk == *bytes, "{} is stale: run with INDIV_BLESS=1", file.display());
            }
        }
        for entry in std::fs::read_dir(&dir).expect("the seeds") {
            let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
            if name.starts_with("boundary-") && !seeds.iter().any(|(n, _)| *n == name) {
                assert!(bless, "{target}/{name} is no boundary seed any more: remove it");
                std::fs::remove_file(dir.join(&name)).expect("remove a stale seed");
            }
        }
    }
}

#[test]
fn the_writer_writes_what_serde_json_writes() {
    use arbitrary::{Arbitrary, Unstructured};
    use indiv_gen::fuzzing::FuzzTrace;
    use indiv_spec::record::{Record, line_serde};
    let check = |records: &[Record<'_>], what: &str| {
        for record in records {
            assert_eq!(record.to_string(), line_serde(record), "{what}");
        }
    };
    for seed in 0..500 {
        check(&legal_trace(spec(), &mut SplitMix64::new(seed), 4), "a legal trace");
    }
    for named in indiv_engine::scenario::named() {
        check(&simulate(&named.scenario), named.name);
    }
    // Arbitrary records: every value, strings with every character that
    // needs escaping, timestamps.
    let mut rng = SplitMix64::new(7);
    let mut records = 0;
    for _ in 0..10_000 {
        let bytes: Vec<u8> = (0..512).map(|_| (rng.next_u64() >> 24) as u8).collect();
        if let Ok(trace) = FuzzTrace::arbitrary(&mut Unstructured::new(&bytes)) {
            let trace = trace.records();
            records += trace.len();
            check(&trace, "an arbitrary record");
        }
    }
    assert!(records > 10_000, "{records} arbitrary records");
    let escapes = r#"{"kind":"call","api":"GetSecurityVersion","version":"\"\\\/\b\f\n\r\t\u0000\u001f\u007f é 😀","hr":"0x80004005","ts":1.5}"#;
    let record: Record<'_> = serde_json::from_str(escapes).expect("a record");
    check(&[record], "escapes");
    // Long strings, which the writer searches a block at a time: each
    // character that needs escaping at each place of a 300-byte version,
    // alone and every few bytes.
    for special in ['"', '\\', '\n', '\u{1}', '\u{1f}'] {
        for at in 0..300 {
            let mut text: Vec<char> = "a".repeat(300).chars().collect();
            text[at] = special;
            let lone: String = text.iter().collect();
            let dense: String = (0..300).map(|i| if i % 7 == at % 7 { special } else { 'é' }).collect();
            for version in [lone, dense] {
                let call = indiv_spec::record::Call::GetSecurityVersion { version: Some(version.into()) };
                let body = indiv_spec::record::Body::Call { call, hr: indiv_spec::vocab::Hresult::S_OK };
                check(&[Record::new(body)], "a long string");
            }
        }
    }
}
