//! The indexed open sessions and the quotes of [`Monitor::feed_quoted`]:
//! sessions of both paths interleaved (so that the newest open session of a
//! path is not the newest of all), and end-of-trace findings in line order,
//! each quoting its line.

use super::{CheckOptions, Monitor, QUOTE_CHARS, Violation};
use crate::catalog::{Rule, Spec};
use crate::reader::TraceReader;

const HEADER: &str =
    r#"{"kind":"header","format":"indiv-trace/1","component_version":"2.1.0.0","service_version":"2.4.0.1"}"#;

fn call(api: &str, flags: Option<u32>) -> String {
    match flags {
        Some(f) => format!(r#"{{"kind":"call","api":"{api}","flags":{f},"hr":"S_OK"}}"#),
        None => format!(r#"{{"kind":"call","api":"{api}","hr":"S_OK"}}"#),
    }
}

fn status(security: bool, indi: &str, hr: &str) -> String {
    let value = format!(
        r#""value":{{"hr":"{hr}","enIndiStatus":"{indi}","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}"#
    );
    if security {
        format!(r#"{{"kind":"event","event":"MEWMDRMIndividualizationProgress",{value}}}"#)
    } else {
        format!(r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE",{value}}}"#)
    }
}

fn completed() -> String {
    r#"{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":"S_OK"}"#.to_string()
}

/// Every violation of the trace, fed with its lines' text.
fn judge(lines: &[String]) -> Vec<Violation> {
    let spec = Spec::builtin().expect("the built-in spec loads");
    let text = lines.join("\n");
    let mut reader = TraceReader::new(text.as_bytes());
    let mut monitor = Monitor::new(spec, CheckOptions::default());
    let mut found = Vec::new();
    while let Some(line) = reader.next_line().expect("a readable trace") {
        monitor.feed_quoted(line.number, &line.record, line.text);
        found.extend(monitor.drain_violations());
    }
    monitor.finish_each(&mut |v| found.push(v));
    found
}

fn rules_at(found: &[Violation]) -> Vec<(Rule, usize)> {
    found.iter().map(|v| (v.rule, v.line)).collect()
}

#[test]
fn a_cancel_reaches_the_newest_open_session_of_its_path_past_newer_sessions_of_the_other() {
    // Security session 1 (line 2), reader session 2 (line 3, refused as busy
    // but opened), CancelAsyncOperation (line 4): it is session 1's.
    let mut lines = vec![
        HEADER.to_string(),
        call("PerformSecurityUpdate", Some(1)),
        call("Individualize", Some(0)),
        call("CancelAsyncOperation", None),
    ];
    lines.push(status(false, "INDI_BEGIN", "S_OK"));
    lines.push(status(false, "INDI_FAIL", "NS_E_DRM_INDIVIDUALIZE_ERROR"));
    lines.push(status(true, "INDI_BEGIN", "S_OK"));
    lines.push(status(true, "INDI_CANCEL", "NS_E_DRM_OPERATION_CANCELED"));
    lines.push(completed());
    let found = judge(&lines);
    assert!(!found.iter().any(|v| v.rule == Rule::CancelRequiresCall), "{found:#?}");

    // The same with the reader's cancel: session 1 had none.
    lines[3] = call("CancelIndividualization", None);
    let found = judge(&lines);
    assert!(rules_at(&found).contains(&(Rule::CancelRequiresCall, 8)), "{found:#?}");
}

#[test]
fn completed_closes_the_newest_security_session_while_newer_reader_sessions_stay_open() {
    let lines = vec![
        HEADER.to_string(),
        call("PerformSecurityUpdate", Some(1)),
        call("Individualize", Some(0)),
        call("PerformSecurityUpdate", Some(1)),
        call("Individualize", Some(0)),
        completed(),
        completed(),
        completed(),
    ];
    let found = judge(&lines);
    let ends: Vec<(Rule, usize, Option<u32>)> = found
        .iter()
        .filter(|v| matches!(v.rule, Rule::SessionEnds | Rule::SecurityCompletedOnce))
        .map(|v| (v.rule, v.line, v.session))
        .collect();
    // Completed at 6 closes session 3 (line 4), at 7 session 1 (line 2):
    // neither is the last session opened, so neither can end any more; the
    // one at 8 has no security session left. The reader sessions 2 and 4
    // never ended, found at the end in line order.
    assert_eq!(
        ends,
        vec![
            (Rule::SessionEnds, 4, Some(3)),
            (Rule::SessionEnds, 2, Some(1)),
            (Rule::SecurityCompletedOnce, 8, Some(4)),
            (Rule::SessionEnds, 3, Some(2)),
            (Rule::SessionEnds, 5, Some(4)),
        ],
        "{found:#?}"
    );
}

#[test]
fn end_of_trace_findings_quote_their_lines_shortened() {
    let padding = " ".repeat(2 * QUOTE_CHARS);
    let open = format!(r#"{{"kind":"call","api":"Individualize","flags":0,"hr":"S_OK"{padding}}}"#);
    let refresh = call("PerformSecurityUpdate", Some(2));
    let found = judge(&[HEADER.to_string(), refresh.clone(), open.clone()]);
    assert_eq!(rules_at(&found), vec![(Rule::SecurityRevocationOnly, 2), (Rule::SessionEnds, 3)]);
    let quotes: Vec<Option<&str>> = found.iter().map(|v| v.quote.as_deref()).collect();
    let shortened = crate::text::shorten(&open, QUOTE_CHARS);
    assert_eq!(quotes, vec![Some(refresh.as_str()), Some(shortened.as_str())]);
    assert_eq!(shortened.chars().count(), QUOTE_CHARS + 1);
}

#[test]
fn an_open_session_keeps_at_most_the_bytes_architecture_md_states() {
    // ARCHITECTURE.md, "Bounded memory": at most 2 KiB per open session. A
    // session is its struct (twice over while its stack's Vec grows), its
    // start call's quote (QUOTE_CHARS characters of up to 4 bytes, and `…`)
    // and its first URL (whole up to INLINE_BYTES, or a digest and a
    // shortened prefix), each allocation with up to 32 bytes of overhead.
    let session = 2 * std::mem::size_of::<super::Session>();
    let quote = 4 * QUOTE_CHARS + 3 + 32;
    let long_url = std::mem::size_of::<super::url::LongUrl>() + 4 * super::VALUE_CHARS + 3 + 2 * 32;
    let url = super::url::INLINE_BYTES.max(long_url) + 32;
    assert!(session + quote + url <= 2048, "{session} + {quote} + {url}");
}

#[test]
fn messages_quote_values_from_the_trace_shortened() {
    let url = |c: &str| format!("ftp://{}", c.repeat(100_000));
    let with_url = |url: &str| {
        format!(
            r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{{"hr":"S_OK","enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":"{url}","dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0}}}}"#
        )
    };
    let version =
        format!(r#"{{"kind":"call","api":"GetSecurityVersion","hr":"S_OK","version":"{}"}}"#, "9".repeat(100_000));
    let lines = [HEADER.to_string(), call("Individualize", Some(0)), with_url(&url("a")), with_url(&url("b")), version];
    let found = judge(&lines);
    let rules: Vec<Rule> = found.iter().map(|v| v.rule).collect();
    for rule in [Rule::StatusUrlForm, Rule::HttpUrlStable, Rule::SecurityVersionForm] {
        assert!(rules.contains(&rule), "{rules:?}");
    }
    for v in &found {
        assert!(v.message.len() < 600, "{}: {} bytes", v.rule, v.message.len());
    }
}
