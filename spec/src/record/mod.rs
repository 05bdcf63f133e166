//! The records of the `indiv-trace/1` format: what they hold, how they are
//! read from one JSON object (borrowing strings from the line where it can),
//! and how they are written back (names, never numbers, where a name exists).
//!
//! Reading is strict: an unknown key, a key that does not belong to the
//! record's kind, a repeated key, an unknown name or a number out of range is
//! an input error whose position serde_json fills in.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::vocab::{Api, Hresult, HttpStatus, IndiStatus, MfEvent, RequiredVersion, SecurityVersion, WmtStatus};

/// The format name a header carries.
pub const TRACE_FORMAT: &str = "indiv-trace/1";

/// One line of a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Record<'a> {
    /// The engine's own timestamp, echoed in diagnostics.
    pub ts: Option<Number>,
    /// What the line says.
    pub body: Body<'a>,
}

/// What a record says.
#[derive(Clone, Debug, PartialEq)]
pub enum Body<'a> {
    /// The optional first line.
    Header {
        /// The DRM component's security version at trace start.
        component_version: Option<SecurityVersion>,
        /// The version the individualization service offers.
        service_version: Option<SecurityVersion>,
    },
    /// A call the application made, with what it returned.
    Call {
        /// The API and its arguments.
        call: Call<'a>,
        /// What it returned.
        hr: Hresult,
    },
    /// An `IWMStatusCallback::OnStatus` callback.
    Status {
        /// Which status.
        status: Status<'a>,
        /// The callback's `hr` argument.
        hr: Hresult,
    },
    /// A Media Foundation event of the security path.
    Event {
        /// Which event.
        event: Event<'a>,
        /// The event's status.
        hr: Hresult,
    },
}

/// An application call with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Call<'a> {
    /// Opening protected content whose header requires a version.
    Open {
        /// The content header's required version.
        required_version: RequiredVersion,
    },
    /// `IWMDRMReader::Individualize(dwFlags)`.
    Individualize {
        /// `dwFlags`.
        flags: u32,
    },
    /// `IWMDRMReader::CancelIndividualization`.
    CancelIndividualization,
    /// `IWMDRMSecurity::PerformSecurityUpdate(dwFlags)`.
    PerformSecurityUpdate {
        /// `dwFlags`.
        flags: u32,
    },
    /// Cancels the asynchronous security update.
    CancelAsyncOperation,
    /// `IWMDRMSecurity::GetSecurityVersion`, with the version it reported as
    /// written (judged by `SECURITY-VERSION-FORM`, so not parsed here).
    GetSecurityVersion {
        /// The reported version string.
        version: Option<Cow<'a, str>>,
    },
}

impl Call<'_> {
    /// The API this call is to.
    pub fn api(&self) -> Api {
        match self {
            Call::Open { .. } => Api::Open,
            Call::Individualize { .. } => Api::Individualize,
            Call::CancelIndividualization => Api::CancelIndividualization,
            Call::PerformSecurityUpdate { .. } => Api::PerformSecurityUpdate,
            Call::CancelAsyncOperation => Api::CancelAsyncOperation,
            Call::GetSecurityVersion { .. } => Api::GetSecurityVersion,
        }
    }
}

/// A `WMT_STATUS` callback.
#[derive(Clone, Debug, PartialEq)]
pub enum Status<'a> {
    /// `WMT_INDIVIDUALIZE` with its `WM_INDIVIDUALIZE_STATUS`.
    Individualize(IndividualizeStatus<'a>),
    /// `WMT_NEEDS_INDIVIDUALIZATION`.
    NeedsIndividualization,
    /// `WMT_NO_RIGHTS_EX`.
    NoRightsEx,
}

/// A security-path event.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'a> {
    /// `MEWMDRMIndividualizationProgress` with its status.
    Progress(IndividualizeStatus<'a>),
    /// `MEWMDRMIndividualizationCompleted`.
    Completed,
    /// `MEWMDRMRevocationDownloadCompleted`.
    RevocationCompleted,
}

/// `WM_INDIVIDUALIZE_STATUS`. The two enumerations are kept as raw DWORDs:
/// a number that is no defined value is read, and judged by the value rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndividualizeStatus<'a> {
    /// `hr`: the individualization process's own result.
    pub hr: Hresult,
    /// `enIndiStatus` as a raw value.
    pub indi: u32,
    /// `pszIndiRespUrl`.
    pub url: Option<Cow<'a, str>>,
    /// `dwHTTPRequest`: completed round trips.
    pub http_request: u32,
    /// `enHTTPStatus` as a raw value.
    pub http: u32,
    /// `dwHTTPReadProgress`.
    pub progress: u32,
    /// `dwHTTPReadTotal`.
    pub total: u32,
}

impl IndividualizeStatus<'_> {
    /// `enIndiStatus`, if it is a value the status may carry.
    pub fn indi_status(&self) -> Option<IndiStatus> {
        IndiStatus::from_value(self.indi).filter(|s| *s != IndiStatus::Undefined)
    }

    /// `enHTTPStatus`, if it is a defined value.
    pub fn http_status(&self) -> Option<HttpStatus> {
        HttpStatus::from_value(self.http)
    }

    /// A copy that owns its strings.
    pub fn into_owned(self) -> IndividualizeStatus<'static> {
        IndividualizeStatus { url: self.url.map(|u| Cow::Owned(u.into_owned())), ..self }
    }
}

impl Record<'_> {
    /// A copy that owns its strings.
    pub fn into_owned(self) -> Record<'static> {
        let body = match self.body {
            Body::Header { component_version, service_version } => Body::Header { component_version, service_version },
            Body::Call { call, hr } => Body::Call {
                call: match call {
                    Call::Open { required_version } => Call::Open { required_version },
                    Call::Individualize { flags } => Call::Individualize { flags },
                    Call::CancelIndividualization => Call::CancelIndividualization,
                    Call::PerformSecurityUpdate { flags } => Call::PerformSecurityUpdate { flags },
                    Call::CancelAsyncOperation => Call::CancelAsyncOperation,
                    Call::GetSecurityVersion { version } => {
                        Call::GetSecurityVersion { version: version.map(|v| Cow::Owned(v.into_owned())) }
                    }
                },
                hr,
            },
            Body::Status { status, hr } => Body::Status {
                status: match status {
                    Status::Individualize(v) => Status::Individualize(v.into_owned()),
                    Status::NeedsIndividualization => Status::NeedsIndividualization,
                    Status::NoRightsEx => Status::NoRightsEx,
                },
                hr,
            },
            Body::Event { event, hr } => Body::Event {
                event: match event {
                    Event::Progress(v) => Event::Progress(v.into_owned()),
                    Event::Completed => Event::Completed,
                    Event::RevocationCompleted => Event::RevocationCompleted,
                },
                hr,
            },
        };
        Record { ts: self.ts, body }
    }

    /// A record without a timestamp.
    pub fn new(body: Body<'_>) -> Record<'_> {
        Record { ts: None, body }
    }
}

// ---------------------------------------------------------------------------
// Reading

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Header,
    Call,
    Status,
    Event,
}

/// The keys a record may have, as bits so that "present but not allowed for
/// this kind" is one mask test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Field {
    Kind = 0,
    Format,
    ComponentVersion,
    ServiceVersion,
    Api,
    RequiredVersion,
    Flags,
    Hr,
    Version,
    Status,
    Value,
    Event,
    Ts,
}

const FIELD_NAMES: [&str; 13] = [
    "kind",
    "format",
    "component_version",
    "service_version",
    "api",
    "required_version",
    "flags",
    "hr",
    "version",
    "status",
    "value",
    "event",
    "ts",
];

impl Field {
    const ALL: [Field; 13] = [
        Field::Kind,
        Field::Format,
        Field::ComponentVersion,
        Field::ServiceVersion,
        Field::Api,
        Field::RequiredVersion,
        Field::Flags,
        Field::Hr,
        Field::Version,
        Field::Status,
        Field::Value,
        Field::Event,
        Field::Ts,
    ];

    fn bit(self) -> u16 {
        1 << self as u16
    }

    fn name(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }
}

fn mask(fields: &[Field]) -> u16 {
    fields.iter().fold(0, |m, f| m | f.bit())
}

/// Reads a key of a record object.
struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Field;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Field;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
        match FIELD_NAMES.iter().position(|n| *n == key) {
            Some(i) => Ok(Field::ALL[i]),
            None => Err(E::custom(format_args!("unknown field `{key}`"))),
        }
    }
}

/// Reads a DWORD: an integer from 0 to 4294967295.
struct DwordSeed(&'static str);

impl<'de> DeserializeSeed<'de> for DwordSeed {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for DwordSeed {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as an integer from 0 to 4294967295", self.0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        u32::try_from(v).map_err(|_| E::custom(format_args!("{} {v} is out of range (0 to 4294967295)", self.0)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        u32::try_from(v).map_err(|_| E::custom(format_args!("{} {v} is out of range (0 to 4294967295)", self.0)))
    }
}

/// Reads an enumeration value given by name or by number.
struct EnumSeed {
    what: &'static str,
    by_name: fn(&str) -> Option<u32>,
}

impl<'de> DeserializeSeed<'de> for EnumSeed {
    type Value = u32;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for EnumSeed {
    type Value = u32;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a name or a DWORD", self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
        (self.by_name)(v).ok_or_else(|| E::custom(format_args!("unknown {} name `{v}`", self.what)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        DwordSeed(self.what).visit_u64(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        DwordSeed(self.what).visit_i64(v)
    }
}

/// Reads an HRESULT: a known name, a hex string, or a signed or unsigned
/// 32-bit integer.
struct HresultSeed;

impl<'de> DeserializeSeed<'de> for HresultSeed {
    type Value = Hresult;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Hresult, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for HresultSeed {
    type Value = Hresult;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an HRESULT (a known name, a hex string such as \"0xC00D272C\", or a 32-bit integer)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Hresult, E> {
        Hresult::parse(v).ok_or_else(|| {
            if v.starts_with("0x") || v.starts_with("0X") {
                E::custom(format_args!("`{v}` is not a hex HRESULT of 1 to 8 digits"))
            } else {
                E::custom(format_args!("unknown HRESULT name `{v}`"))
            }
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Hresult, E> {
        u32::try_from(v).map(Hresult).map_err(|_| E::custom(format_args!("HRESULT {v} is out of the 32-bit range")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Hresult, E> {
        if let Ok(u) = u32::try_from(v) {
            return Ok(Hresult(u));
        }
        i32::try_from(v)
            .map(|i| Hresult(i as u32))
            .map_err(|_| E::custom(format_args!("HRESULT {v} is out of the 32-bit range")))
    }
}

/// Reads a string, borrowing it from the input when it has no escapes.
struct CowStrSeed(&'static str);

impl<'de> DeserializeSeed<'de> for CowStrSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for CowStrSeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.0)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Reads a string or null.
struct NullableStrSeed(&'static str);

impl<'de> DeserializeSeed<'de> for NullableStrSeed {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NullableStrSeed {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string or null", self.0)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
}

/// Reads a name from a closed list.
struct NameSeed<T> {
    what: &'static str,
    lookup: fn(&str) -> Option<T>,
    expected: &'static str,
}

impl<'de, T> DeserializeSeed<'de> for NameSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for NameSeed<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.lookup)(v)
            .ok_or_else(|| E::custom(format_args!("unknown {} `{v}`: expected {}", self.what, self.expected)))
    }
}

fn kind_by_name(name: &str) -> Option<Kind> {
    match name {
        "header" => Some(Kind::Header),
        "call" => Some(Kind::Call),
        "status" => Some(Kind::Status),
        "event" => Some(Kind::Event),
        _ => None,
    }
}

/// `WMT_STATUS` by name or number.
struct WmtStatusSeed;

impl<'de> DeserializeSeed<'de> for WmtStatusSeed {
    type Value = WmtStatus;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<WmtStatus, D::Error> {
        let value = EnumSeed { what: "WMT_STATUS", by_name: |n| WmtStatus::from_name(n).map(WmtStatus::value) }
            .deserialize(d)?;
        WmtStatus::from_value(value).ok_or_else(|| {
            de::Error::custom(format_args!(
                "WMT_STATUS {value} is not an individualization status (expected 24, 25 or 26)"
            ))
        })
    }
}

/// Reads a version string and parses it with `parse`.
struct VersionSeed<T> {
    what: &'static str,
    parse: fn(&str) -> Option<T>,
    form: &'static str,
}

impl<'de, T> DeserializeSeed<'de> for VersionSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<T> Visitor<'_> for VersionSeed<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).ok_or_else(|| E::custom(format_args!("malformed {} `{v}`: expected {}", self.what, self.form)))
    }
}

const SECURITY_VERSION_FORM: &str = "four dot-separated numbers, the fourth 0 or 1";

struct FormatSeed;

impl<'de> DeserializeSeed<'de> for FormatSeed {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for FormatSeed {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the format name \"{TRACE_FORMAT}\"")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        if v == TRACE_FORMAT {
            Ok(())
        } else {
            Err(E::custom(format_args!("unsupported format `{v}`: expected `{TRACE_FORMAT}`")))
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Record<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Record<'a>, D::Error> {
        d.deserialize_map(RecordVisitor(PhantomData))
    }
}

struct RecordVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for RecordVisitor<'a> {
    type Value = Record<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a trace record (a JSON object)")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Record<'a>, M::Error> {
        let mut seen = 0u16;
        let mut kind = None;
        let mut component_version = None;
        let mut service_version = None;
        let mut api = None;
        let mut required_version = None;
        let mut flags = None;
        let mut hr = None;
        let mut version = None;
        let mut status = None;
        let mut value: Option<IndividualizeStatus<'de>> = None;
        let mut event = None;
        let mut ts = None;
        while let Some(field) = map.next_key_seed(FieldSeed)? {
            if seen & field.bit() != 0 {
                return Err(de::Error::custom(format_args!("duplicate field `{}`", field.name())));
            }
            seen |= field.bit();
            match field {
                Field::Kind => {
                    kind = Some(map.next_value_seed(NameSeed {
                        what: "record kind",
                        lookup: kind_by_name,
                        expected: "header, call, status or event",
                    })?)
                }
                Field::Format => map.next_value_seed(FormatSeed)?,
                Field::ComponentVersion => {
                    component_version = Some(map.next_value_seed(VersionSeed {
                        what: "component_version",
                        parse: SecurityVersion::parse,
                        form: SECURITY_VERSION_FORM,
                    })?)
                }
                Field::ServiceVersion => {
                    service_version = Some(map.next_value_seed(VersionSeed {
                        what: "service_version",
                        parse: SecurityVersion::parse,
                        form: SECURITY_VERSION_FORM,
                    })?)
                }
                Field::Api => {
                    api = Some(map.next_value_seed(NameSeed {
                        what: "api",
                        lookup: Api::from_name,
                        expected: "Open, Individualize, CancelIndividualization, PerformSecurityUpdate, CancelAsyncOperation or GetSecurityVersion",
                    })?)
                }
                Field::RequiredVersion => {
                    required_version = Some(map.next_value_seed(VersionSeed {
                        what: "required_version",
                        parse: RequiredVersion::parse,
                        form: "major.minor, e.g. \"2.2\"",
                    })?)
                }
                Field::Flags => flags = Some(map.next_value_seed(DwordSeed("flags"))?),
                Field::Hr => hr = Some(map.next_value_seed(HresultSeed)?),
                Field::Version => version = Some(map.next_value_seed(CowStrSeed("version"))?),
                Field::Status => status = Some(map.next_value_seed(WmtStatusSeed)?),
                Field::Value => value = Some(map.next_value_seed(StatusValueSeed)?),
                Field::Event => {
                    event = Some(map.next_value_seed(NameSeed {
                        what: "event",
                        lookup: MfEvent::from_name,
                        expected: "MEWMDRMIndividualizationProgress, MEWMDRMIndividualizationCompleted or MEWMDRMRevocationDownloadCompleted",
                    })?)
                }
                Field::Ts => ts = Some(map.next_value::<Number>()?),
            }
        }
        let Some(kind) = kind else {
            return Err(de::Error::custom("missing field `kind`"));
        };
        let hr = hr.unwrap_or_default();
        let (allowed, required): (u16, u16) = match kind {
            Kind::Header => {
                (mask(&[Field::Format, Field::ComponentVersion, Field::ServiceVersion]), mask(&[Field::Format]))
            }
            Kind::Call => {
                let Some(api) = api else {
                    return Err(de::Error::custom("missing field `api`"));
                };
                let args: &[Field] = match api {
                    Api::Open => &[Field::RequiredVersion],
                    Api::Individualize | Api::PerformSecurityUpdate => &[Field::Flags],
                    Api::GetSecurityVersion => &[],
                    Api::CancelIndividualization | Api::CancelAsyncOperation => &[],
                };
                let optional = if api == Api::GetSecurityVersion { mask(&[Field::Version]) } else { 0 };
                (mask(&[Field::Api, Field::Hr]) | mask(args) | optional, mask(args))
            }
            Kind::Status => {
                let Some(status) = status else {
                    return Err(de::Error::custom("missing field `status`"));
                };
                let value_field = if status == WmtStatus::Individualize { mask(&[Field::Value]) } else { 0 };
                (mask(&[Field::Status, Field::Hr]) | value_field, value_field)
            }
            Kind::Event => {
                let Some(event) = event else {
                    return Err(de::Error::custom("missing field `event`"));
                };
                let value_field = if event == MfEvent::IndividualizationProgress { mask(&[Field::Value]) } else { 0 };
                (mask(&[Field::Event, Field::Hr]) | value_field, value_field)
            }
        };
        // Only for a message: formatting it for every record would cost more
        // than reading the record.
        let what = || match (kind, api, status, event) {
            (Kind::Call, Some(api), ..) => format!("a call to {api}"),
            (Kind::Status, _, Some(status), _) => format!("a {status} status"),
            (Kind::Event, .., Some(event)) => format!("a {event} event"),
            _ => "a header".to_string(),
        };
        let allowed = allowed | mask(&[Field::Kind, Field::Ts]);
        if let Some(f) = Field::ALL.iter().find(|f| seen & f.bit() != 0 && allowed & f.bit() == 0) {
            return Err(de::Error::custom(format_args!("field `{}` does not belong in {}", f.name(), what())));
        }
        if let Some(f) = Field::ALL.iter().find(|f| required & f.bit() != 0 && seen & f.bit() == 0) {
            return Err(de::Error::custom(format_args!("missing field `{}` in {}", f.name(), what())));
        }
        // The masks above guarantee that every `expect`ed option is set.
        let missing = || de::Error::custom("internal error: a required field was not kept");
        let body = match kind {
            Kind::Header => Body::Header { component_version, service_version },
            Kind::Call => {
                let call = match api.ok_or_else(missing)? {
                    Api::Open => Call::Open { required_version: required_version.ok_or_else(missing)? },
                    Api::Individualize => Call::Individualize { flags: flags.ok_or_else(missing)? },
                    Api::CancelIndividualization => Call::CancelIndividualization,
                    Api::PerformSecurityUpdate => Call::PerformSecurityUpdate { flags: flags.ok_or_else(missing)? },
                    Api::CancelAsyncOperation => Call::CancelAsyncOperation,
                    Api::GetSecurityVersion => Call::GetSecurityVersion { version },
                };
                Body::Call { call, hr }
            }
            Kind::Status => {
                let status = match status.ok_or_else(missing)? {
                    WmtStatus::Individualize => Status::Individualize(value.ok_or_else(missing)?),
                    WmtStatus::NeedsIndividualization => Status::NeedsIndividualization,
                    WmtStatus::NoRightsEx => Status::NoRightsEx,
                };
                Body::Status { status, hr }
            }
            Kind::Event => {
                let event = match event.ok_or_else(missing)? {
                    MfEvent::IndividualizationProgress => Event::Progress(value.ok_or_else(missing)?),
                    MfEvent::IndividualizationCompleted => Event::Completed,
                    MfEvent::RevocationDownloadCompleted => Event::RevocationCompleted,
                };
                Body::Event { event, hr }
            }
        };
        Ok(Record { ts, body })
    }
}

/// The fields of `WM_INDIVIDUALIZE_STATUS`, named as in the C structure.
const VALUE_FIELDS: [&str; 7] =
    ["hr", "enIndiStatus", "pszIndiRespUrl", "dwHTTPRequest", "enHTTPStatus", "dwHTTPReadProgress", "dwHTTPReadTotal"];

struct ValueFieldSeed;

impl<'de> DeserializeSeed<'de> for ValueFieldSeed {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for ValueFieldSeed {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WM_INDIVIDUALIZE_STATUS field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        VALUE_FIELDS
            .iter()
            .position(|n| *n == key)
            .ok_or_else(|| E::custom(format_args!("unknown WM_INDIVIDUALIZE_STATUS field `{key}`")))
    }
}

struct StatusValueSeed;

impl<'de> DeserializeSeed<'de> for StatusValueSeed {
    type Value = IndividualizeStatus<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StatusValueSeed {
    type Value = IndividualizeStatus<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WM_INDIVIDUALIZE_STATUS object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut seen = 0u8;
        let mut out = IndividualizeStatus {
            hr: Hresult::S_OK,
            indi: 0,
            url: None,
            http_request: 0,
            http: 0,
            progress: 0,
            total: 0,
        };
        while let Some(i) = map.next_key_seed(ValueFieldSeed)? {
            if seen & (1 << i) != 0 {
                return Err(de::Error::custom(format_args!("duplicate field `{}`", VALUE_FIELDS[i])));
            }
            seen |= 1 << i;
            match i {
                0 => out.hr = map.next_value_seed(HresultSeed)?,
                1 => {
                    out.indi = map.next_value_seed(EnumSeed {
                        what: "enIndiStatus",
                        by_name: |n| IndiStatus::from_name(n).map(IndiStatus::value),
                    })?
                }
                2 => out.url = map.next_value_seed(NullableStrSeed("pszIndiRespUrl"))?,
                3 => out.http_request = map.next_value_seed(DwordSeed("dwHTTPRequest"))?,
                4 => {
                    out.http = map.next_value_seed(EnumSeed {
                        what: "enHTTPStatus",
                        by_name: |n| HttpStatus::from_name(n).map(HttpStatus::value),
                    })?
                }
                5 => out.progress = map.next_value_seed(DwordSeed("dwHTTPReadProgress"))?,
                _ => out.total = map.next_value_seed(DwordSeed("dwHTTPReadTotal"))?,
            }
        }
        // hr (0) and pszIndiRespUrl (2) may be omitted; the rest are required.
        if let Some(i) = [1usize, 3, 4, 5, 6].into_iter().find(|i| seen & (1 << i) == 0) {
            return Err(de::Error::custom(format_args!(
                "missing field `{}` in WM_INDIVIDUALIZE_STATUS",
                VALUE_FIELDS[i]
            )));
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------
// Writing

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
/// A trace as JSON Lines, one record a line, each line ending in `\n`: the
/// one writer of `indiv-trace/1` text.
pub fn to_jsonl(records: &[Record<'_>]) -> String {
    let mut out = String::new();
    for record in records {
        // Writing into a String cannot fail, and a record always serializes
        // (its map has string keys only).
        let _ = writeln!(out, "{record}");
    }
    out
}
