//! The JSON Schema of the `indiv-trace/1` format, for implementers who log
//! their engines in it (`indiv schema trace`).
//!
//! The schema is derived with `schemars` from description types that mirror
//! [`crate::record`], then tightened to what the reader accepts (see
//! [`trace_schema`]); the reader stays hand-written for speed and precise
//! errors, and a test validates every fixture line and example trace against
//! this schema (and checks that it still refuses unknown fields), so the two
//! cannot drift apart. The generated schema is committed as
//! `docs/schema/indiv-trace-1.schema.json`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema, schema_for};
use serde_json::{Map, Value, json};

use crate::vocab::{HttpStatus, IndiStatus, KnownHresult, WmtStatus};

/// The JSON Schema of one trace line.
///
/// The derived schema is adjusted where `schemars` cannot say what the reader
/// does:
/// - an optional field is left out, never `null` (only `pszIndiRespUrl` may be
///   `null`);
/// - the wrappers of the call, status and event variants refuse properties no
///   variant evaluated (`unevaluatedProperties`), as the reader refuses unknown
///   and misplaced keys;
/// - `status` may be the WMT_STATUS number as well as its name;
/// - DWORDs are at most 4294967295.
pub fn trace_schema() -> Schema {
    let mut schema = schema_for!(TraceRecord);
    let root = schema.ensure_object();
    tighten(root, None);
    schema.insert("$id".into(), "https://indiv.invalid/schema/indiv-trace-1.json".into());
    schema.insert("title".into(), "indiv-trace/1 record (one JSON Lines line)".into());
    schema
}

/// The only optional field the reader accepts as `null`.
const NULLABLE: &[&str] = &["pszIndiRespUrl"];

/// Applies the adjustments of [`trace_schema`] to `schema` and everything in
/// it; `property` is the name `schema` describes, if it is a property.
fn tighten(schema: &mut Map<String, Value>, property: Option<&str>) {
    if property.is_some_and(|p| !NULLABLE.contains(&p)) {
        drop_null(schema);
    }
    if property == Some("status") {
        if let Some(name) = schema.get("const").and_then(Value::as_str) {
            if let Some(status) = WmtStatus::from_name(name) {
                schema.remove("const");
                schema.remove("type");
                schema.insert("enum".into(), json!([status.name(), status.value()]));
            }
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("uint32") {
        schema.insert("maximum".into(), json!(u32::MAX));
    }
    if schema.contains_key("oneOf") && schema.contains_key("properties") && !schema.contains_key("additionalProperties")
    {
        schema.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
    for (key, value) in schema.iter_mut() {
        match (key.as_str(), value) {
            ("properties", Value::Object(properties)) => {
                for (name, sub) in properties.iter_mut() {
                    if let Value::Object(sub) = sub {
                        tighten(sub, Some(name));
                    }
                }
            }
            ("$defs", Value::Object(defs)) => {
                for sub in defs.values_mut().filter_map(Value::as_object_mut) {
                    tighten(sub, None);
                }
            }
            ("items" | "additionalProperties" | "not", Value::Object(sub)) => tighten(sub, None),
            ("oneOf" | "anyOf" | "allOf" | "prefixItems", Value::Array(items)) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    tighten(item, None);
                }
            }
            _ => {}
        }
    }
}

/// Removes `null` from what `schema` accepts: `"type": [T, "null"]` becomes
/// `T`, and an `anyOf` alternative `{"type": "null"}` goes (a single remaining
/// alternative replaces the `anyOf`).
fn drop_null(schema: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = schema.get_mut("anyOf") {
        alternatives.retain(|a| a != &json!({"type": "null"}));
        if alternatives.len() == 1 {
            if let Value::Object(only) = alternatives.remove(0) {
                schema.remove("anyOf");
                for (k, v) in only {
                    schema.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// An HRESULT: a known name, a hex string such as "0xC00D272C", or a signed or
/// unsigned 32-bit integer. Omitted means S_OK.
struct HresultText;

impl JsonSchema for HresultText {
    fn schema_name() -> Cow<'static, str> {
        "Hresult".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = KnownHresult::ALL.iter().map(|h| h.name()).collect();
        json_schema!({
            "description": "An HRESULT: a name from the spec, `0x` and 1 to 8 hex digits, or a signed or unsigned 32-bit integer.",
            "anyOf": [
                {"type": "string", "enum": names},
                {"type": "string", "pattern": "^0[xX][0-9A-Fa-f]{1,8}$"},
                {"type": "integer", "minimum": i32::MIN, "maximum": u32::MAX}
            ]
        })
    }
}

/// A schema for an enumeration value given by name (one of `names`) or by
/// number (any DWORD: numbers that are no value are judged by the rules).
fn name_or_dword(description: &str, names: Vec<&str>) -> Schema {
    json_schema!({
        "description": description,
        "anyOf": [
            {"type": "string", "enum": names},
            {"type": "integer", "minimum": 0, "maximum": u32::MAX}
        ]
    })
}

/// `enIndiStatus`: a DRM_INDIVIDUALIZATION_STATUS name or a DWORD.
struct IndiStatusText;

impl JsonSchema for IndiStatusText {
    fn schema_name() -> Cow<'static, str> {
        "IndiStatus".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        name_or_dword(
            "A DRM_INDIVIDUALIZATION_STATUS name, or a DWORD.",
            IndiStatus::ALL.iter().map(|s| s.name()).collect(),
        )
    }
}

/// `enHTTPStatus`: a DRM_HTTP_STATUS name or a DWORD.
struct HttpStatusText;

impl JsonSchema for HttpStatusText {
    fn schema_name() -> Cow<'static, str> {
        "HttpStatus".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        name_or_dword("A DRM_HTTP_STATUS name, or a DWORD.", HttpStatus::ALL.iter().map(|s| s.name()).collect())
    }
}

/// `WM_INDIVIDUALIZE_STATUS`, field names as in the C structure.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case, dead_code)]
struct IndividualizeStatusValue {
    /// The process's own HRESULT (default S_OK).
    hr: Option<HresultText>,
    /// DRM_INDIVIDUALIZATION_STATUS by name or number.
    enIndiStatus: IndiStatusText,
    /// The individualization response URL, or null.
    pszIndiRespUrl: Option<String>,
    /// Completed HTTP round trips.
    dwHTTPRequest: u32,
    /// DRM_HTTP_STATUS by name or number.
    enHTTPStatus: HttpStatusText,
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
    /// The component's security version at trace start: major.minor.0.F,
    /// F 0 or 1 (individualized).
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.0+\.[01]$"))]
    component_version: Option<String>,
    /// The version the individualization service offers: major.minor.0.1
    /// (an offered component is individualized).
    #[schemars(regex(pattern = r"^[0-9]+\.[0-9]+\.0+\.1$"))]
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
