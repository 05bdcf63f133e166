//! The JSON Schema of the `indiv-trace/1` format, for implementers who log
//! their engines in it (`indiv schema trace`).
//!
//! The schema is derived with `schemars` from description types that mirror
//! [`crate::record`]; the reader stays hand-written for speed and precise
//! errors, and a test validates every fixture against this schema so the two
//! cannot drift apart.

use schemars::{JsonSchema, Schema, schema_for};

/// The JSON Schema of one trace line.
pub fn trace_schema() -> Schema {
    let mut schema = schema_for!(TraceRecord);
    schema.insert("$id".into(), "https://indiv.invalid/schema/indiv-trace-1.json".into());
    schema.insert("title".into(), "indiv-trace/1 record (one JSON Lines line)".into());
    schema
}

/// An HRESULT: a known name, a hex string such as "0xC00D272C", or a signed or
/// unsigned 32-bit integer. Omitted means S_OK.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum HresultText {
    /// A name from the spec, or `0x` and 1 to 8 hex digits.
    Text(#[schemars(regex(pattern = r"^([A-Z][A-Z0-9_]*|0[xX][0-9A-Fa-f]{1,8})$"))] String),
    /// A 32-bit integer.
    Number(#[schemars(range(min = -2147483648i64, max = 4294967295i64))] i64),
}

/// A value given by name or by number.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum NameOrDword {
    /// A symbolic name from the enumeration.
    Name(String),
    /// A DWORD.
    Number(u32),
}

/// `WM_INDIVIDUALIZE_STATUS`, field names as in the C structure.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, dead_code)]
struct IndividualizeStatusValue {
    /// The process's own HRESULT (default S_OK).
    hr: Option<HresultText>,
    /// DRM_INDIVIDUALIZATION_STATUS by name or number.
    enIndiStatus: NameOrDword,
    /// The individualization response URL, or null.
    pszIndiRespUrl: Option<String>,
    /// Completed HTTP round trips.
    dwHTTPRequest: u32,
    /// DRM_HTTP_STATUS by name or number.
    enHTTPStatus: NameOrDword,
    /// Bytes downloaded until now.
    dwHTTPReadProgress: u32,
    /// Bytes to be downloaded (0 while unknown).
    dwHTTPReadTotal: u32,
}

/// One trace line.
#[derive(JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(dead_code)]
enum TraceRecord {
    /// The optional first line.
    Header(Header),
    /// A call the application made, with what it returned.
    Call(CallRecord),
    /// An IWMStatusCallback::OnStatus callback.
    Status(StatusRecord),
    /// A Media Foundation event of the security path.
    Event(EventRecord),
}

/// The header (line 1 only).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Header {
    /// Always "indiv-trace/1".
    #[schemars(regex(pattern = r"^indiv-trace/1$"))]
    format: String,
    /// The component's security version at trace start (four numbers, the fourth 0 or 1).
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+\.[01]$"))]
    component_version: Option<String>,
    /// The version the individualization service offers.
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.[0-9]+\.[01]$"))]
    service_version: Option<String>,
    /// The engine's own timestamp.
    ts: Option<f64>,
}

/// A call record, by API.
#[derive(JsonSchema)]
#[serde(tag = "api", deny_unknown_fields)]
#[allow(dead_code)]
enum CallRecord {
    /// Opening protected content.
    Open {
        /// The content header's required version, major.minor.
        #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+$"))]
        required_version: String,
        /// Ignored.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// IWMDRMReader::Individualize.
    Individualize {
        /// dwFlags.
        flags: u32,
        /// What it returned.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// IWMDRMReader::CancelIndividualization.
    CancelIndividualization {
        /// What it returned.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// IWMDRMSecurity::PerformSecurityUpdate.
    PerformSecurityUpdate {
        /// dwFlags.
        flags: u32,
        /// What it returned.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// Cancels the asynchronous security update.
    CancelAsyncOperation {
        /// What it returned.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// IWMDRMSecurity::GetSecurityVersion.
    GetSecurityVersion {
        /// What it returned.
        hr: Option<HresultText>,
        /// The version it reported (judged by SECURITY-VERSION-FORM).
        version: Option<String>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
}

/// A status record, by WMT_STATUS.
#[derive(JsonSchema)]
#[serde(tag = "status", deny_unknown_fields)]
#[allow(dead_code, clippy::upper_case_acronyms, non_camel_case_types)]
enum StatusRecord {
    /// An individualization status.
    WMT_INDIVIDUALIZE {
        /// The callback's hr.
        hr: Option<HresultText>,
        /// The WM_INDIVIDUALIZE_STATUS.
        value: IndividualizeStatusValue,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// Opened content needs a newer component.
    WMT_NEEDS_INDIVIDUALIZATION {
        /// The callback's hr.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// The application may acquire a license.
    WMT_NO_RIGHTS_EX {
        /// The callback's hr.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
}

/// An event record, by event name.
#[derive(JsonSchema)]
#[serde(tag = "event", deny_unknown_fields)]
#[allow(dead_code, clippy::enum_variant_names)]
enum EventRecord {
    /// A progress event with its status.
    MEWMDRMIndividualizationProgress {
        /// The event's status.
        hr: Option<HresultText>,
        /// The WM_INDIVIDUALIZE_STATUS.
        value: IndividualizeStatusValue,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// The security individualization has finished.
    MEWMDRMIndividualizationCompleted {
        /// The operation's outcome.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
    /// A revocation refresh has finished.
    MEWMDRMRevocationDownloadCompleted {
        /// The operation's outcome.
        hr: Option<HresultText>,
        /// The engine's own timestamp.
        ts: Option<f64>,
    },
}
