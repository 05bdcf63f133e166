//! Writing records: one JSON object each, with enumeration values by name
//! where they have one and an `Hresult` as the text it displays as; and a
//! record's `Display`, its JSONL line.

use std::fmt;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{Body, Call, Event, IndividualizeStatus, Record, Status, TRACE_FORMAT};
use crate::vocab::{Hresult, HttpStatus, IndiStatus, MfEvent, WmtStatus};

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
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}
