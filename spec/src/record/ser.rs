//! Writing records: one JSON object each, with enumeration values by name
//! where they have one and an `Hresult` as the text it displays as; and a
//! record's `Display`, its JSONL line.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::scan::find_special;
use super::{Body, Call, Event, IndividualizeStatus, Record, Status, TRACE_FORMAT};
use crate::vocab::{Hresult, HttpStatus, IndiStatus, MfEvent, WmtStatus};

/// `,"key":` for a literal key, as one string.
macro_rules! key_colon {
    ($out:expr, $key:literal) => {
        $out.push_str(concat!(",\"", $key, "\":"))
    };
}

/// Writes a raw enumeration value by name when it has one.
struct NamedValue(u32, fn(u32) -> Option<&'static str>);

impl Serialize for NamedValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.1)(self.0) {
            Some(name) => s.serialize_str(name),
            None => s.serialize_u32(self.0),
        }
    }
}

impl Serialize for Hresult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for IndividualizeStatus<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("hr", &self.hr)?;
        m.serialize_entry("enIndiStatus", &NamedValue(self.indi, |v| IndiStatus::from_value(v).map(IndiStatus::name)))?;
        m.serialize_entry("pszIndiRespUrl", &self.url)?;
        m.serialize_entry("dwHTTPRequest", &self.http_request)?;
        m.serialize_entry("enHTTPStatus", &NamedValue(self.http, |v| HttpStatus::from_value(v).map(HttpStatus::name)))?;
        m.serialize_entry("dwHTTPReadProgress", &self.progress)?;
        m.serialize_entry("dwHTTPReadTotal", &self.total)?;
        m.end()
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match &self.body {
            Body::Header { component_version, service_version } => {
                m.serialize_entry("kind", "header")?;
                m.serialize_entry("format", TRACE_FORMAT)?;
                if let Some(v) = component_version {
                    m.serialize_entry("component_version", &v.to_string())?;
                }
                if let Some(v) = service_version {
                    m.serialize_entry("service_version", &v.to_string())?;
                }
            }
            Body::Call { call, hr } => {
                m.serialize_entry("kind", "call")?;
                m.serialize_entry("api", call.api().name())?;
                match call {
                    Call::Open { required_version } => {
                        m.serialize_entry("required_version", &required_version.to_string())?
                    }
                    Call::Individualize { flags } | Call::PerformSecurityUpdate { flags } => {
                        m.serialize_entry("flags", flags)?
                    }
                    Call::GetSecurityVersion { version: Some(v) } => m.serialize_entry("version", v)?,
                    Call::GetSecurityVersion { version: None }
                    | Call::CancelIndividualization
                    | Call::CancelAsyncOperation => {}
                }
                m.serialize_entry("hr", hr)?;
            }
            Body::Status { status, hr } => {
                m.serialize_entry("kind", "status")?;
                let (name, value) = match status {
                    Status::Individualize(v) => (WmtStatus::Individualize, Some(v)),
                    Status::NeedsIndividualization => (WmtStatus::NeedsIndividualization, None),
                    Status::NoRightsEx => (WmtStatus::NoRightsEx, None),
                };
                m.serialize_entry("status", name.name())?;
                m.serialize_entry("hr", hr)?;
                if let Some(v) = value {
                    m.serialize_entry("value", v)?;
                }
            }
            Body::Event { event, hr } => {
                m.serialize_entry("kind", "event")?;
                let (name, value) = match event {
                    Event::Progress(v) => (MfEvent::IndividualizationProgress, Some(v)),
                    Event::Completed => (MfEvent::IndividualizationCompleted, None),
                    Event::RevocationCompleted => (MfEvent::RevocationDownloadCompleted, None),
                };
                m.serialize_entry("event", name.name())?;
                m.serialize_entry("hr", hr)?;
                if let Some(v) = value {
                    m.serialize_entry("value", v)?;
                }
            }
        }
        if let Some(ts) = &self.ts {
            m.serialize_entry("ts", ts)?;
        }
        m.end()
    }
}

impl fmt::Display for Record<'_> {
    /// One JSONL line, without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        write_line(&mut line, self);
        f.write_str(&line)
    }
}

/// Appends `record`'s line (without the newline) to `out`: the bytes its
/// `Serialize` gives through serde_json (the reference, [`line_serde`]; the
/// property tests and the `writer_agree` fuzz target hold the two to the same
/// bytes), written straight into `out` in one pass, without a serializer,
/// an allocation per record, or a string per version. Every trace the
/// project writes goes through here.
pub fn write_line(out: &mut String, record: &Record<'_>) {
    out.push('{');
    match &record.body {
        Body::Header { component_version, service_version } => {
            out.push_str(r#""kind":"header","format":"#);
            string(out, TRACE_FORMAT);
            if let Some(v) = component_version {
                key_colon!(out, "component_version");
                version(out, &v.0);
            }
            if let Some(v) = service_version {
                key_colon!(out, "service_version");
                version(out, &v.0);
            }
        }
        Body::Call { call, hr } => {
            out.push_str(r#""kind":"call","api":"#);
            string(out, call.api().name());
            match call {
                Call::Open { required_version } => {
                    key_colon!(out, "required_version");
                    version(out, &[required_version.major, required_version.minor]);
                }
                Call::Individualize { flags } | Call::PerformSecurityUpdate { flags } => {
                    key_colon!(out, "flags");
                    number(out, *flags);
                }
                Call::GetSecurityVersion { version: Some(v) } => {
                    key_colon!(out, "version");
                    string(out, v);
                }
                Call::GetSecurityVersion { version: None }
                | Call::CancelIndividualization
                | Call::CancelAsyncOperation => {}
            }
            key_colon!(out, "hr");
            hresult(out, *hr);
        }
        Body::Status { status, hr } => {
            let (name, value) = match status {
                Status::Individualize(v) => (WmtStatus::Individualize.name(), Some(v)),
                Status::NeedsIndividualization => (WmtStatus::NeedsIndividualization.name(), None),
                Status::NoRightsEx => (WmtStatus::NoRightsEx.name(), None),
            };
            notification(out, r#""kind":"status","status":"#, name, *hr, value);
        }
        Body::Event { event, hr } => {
            let (name, value) = match event {
                Event::Progress(v) => (MfEvent::IndividualizationProgress.name(), Some(v)),
                Event::Completed => (MfEvent::IndividualizationCompleted.name(), None),
                Event::RevocationCompleted => (MfEvent::RevocationDownloadCompleted.name(), None),
            };
            notification(out, r#""kind":"event","event":"#, name, *hr, value);
        }
    }
    if let Some(ts) = &record.ts {
        key_colon!(out, "ts");
        // A Number displays as serde_json writes it (an integer's digits, a
        // float's shortest round-trip form); timestamps are rare.
        let _ = write!(out, "{ts}");
    }
    out.push('}');
}

/// The line serde_json writes for `record`: the reference [`write_line`] is
/// held to.
pub fn line_serde(record: &Record<'_>) -> String {
    // A record always serializes: its map has string keys only.
    serde_json::to_string(record).unwrap_or_default()
}

/// A status or an event: `head` (its kind and the key of its name), its
/// name, its `hr`, and its value when it has one.
fn notification(out: &mut String, head: &str, name: &str, hr: Hresult, value: Option<&IndividualizeStatus<'_>>) {
    out.push_str(head);
    string(out, name);
    key_colon!(out, "hr");
    hresult(out, hr);
    if let Some(v) = value {
        key_colon!(out, "value");
        status_value(out, v);
    }
}

fn status_value(out: &mut String, v: &IndividualizeStatus<'_>) {
    out.push_str(r#"{"hr":"#);
    hresult(out, v.hr);
    key_colon!(out, "enIndiStatus");
    named(out, v.indi, IndiStatus::from_value(v.indi).map(IndiStatus::name));
    key_colon!(out, "pszIndiRespUrl");
    match &v.url {
        Some(url) => string(out, url),
        None => out.push_str("null"),
    }
    key_colon!(out, "dwHTTPRequest");
    number(out, v.http_request);
    key_colon!(out, "enHTTPStatus");
    named(out, v.http, HttpStatus::from_value(v.http).map(HttpStatus::name));
    key_colon!(out, "dwHTTPReadProgress");
    number(out, v.progress);
    key_colon!(out, "dwHTTPReadTotal");
    number(out, v.total);
    out.push('}');
}

/// A raw enumeration value by its name when it has one.
fn named(out: &mut String, value: u32, name: Option<&str>) {
    match name {
        Some(name) => string(out, name),
        None => number(out, value),
    }
}

/// An HRESULT as it displays (its name, or `0x` and eight hex digits),
/// which needs no escaping.
fn hresult(out: &mut String, hr: Hresult) {
    // As `Hresult`'s Display: the name of a known code, else `0x` and eight
    // upper-case hex digits; without the formatting machinery for the
    // common case.
    match hr.known() {
        Some(k) => {
            out.push('"');
            out.push_str(k.name());
            out.push('"');
        }
        None => {
            let _ = write!(out, "\"{hr}\"");
        }
    }
}

/// A `u32` in decimal.
fn number(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        // A digit is below 10.
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // ASCII digits, so UTF-8.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// A version's numbers joined by dots, in quotes: what
/// `format!("\"{v}\"")` writes for a `SecurityVersion` or a
/// `RequiredVersion` (their Display), which needs no escaping.
fn version(out: &mut String, parts: &[u32]) {
    out.push('"');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        number(out, *part);
    }
    out.push('"');
}

/// `text` as a JSON string, escaped as serde_json escapes: `"` and `\\`,
/// and the control characters below U+0020 (`\b`, `\t`, `\n`, `\f`, `\r`
/// short, the others as `\u00xx` in lower-case hex); nothing else.
fn string(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(i) = find_special(bytes, start) {
        // `i` is at an ASCII byte, so a character boundary.
        out.push_str(&text[start..i]);
        let b = bytes[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            _ => {
                let _ = write!(out, "\\u{b:04x}");
            }
        }
        start = i + 1;
    }
    out.push_str(&text[start..]);
    out.push('"');
}
