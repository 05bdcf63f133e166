//! Reading records: a hand-written deserializer that borrows strings from
//! the input where it can.
//!
//! Reading is strict: an unknown key, a key that does not belong to the
//! record's kind, a repeated key, an unknown name or a number out of range is
//! an input error whose position serde_json fills in.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Number;

use super::{Body, Call, Event, IndividualizeStatus, Record, Status, TRACE_FORMAT};
use crate::vocab::{Api, Hresult, HttpStatus, IndiStatus, MfEvent, RequiredVersion, SecurityVersion, WmtStatus};

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

/// A header's `component_version`: `major.minor.0.F`.
const COMPONENT_VERSION_FORM: &str = "four dot-separated numbers, the third 0, the fourth 0 or 1";
/// A header's `service_version`: what the service offers is individualized.
const OFFER_VERSION_FORM: &str =
    "four dot-separated numbers, the third 0, the fourth 1 (the service offers an individualized component)";

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
        let fields = Fields::read(&mut map)?;
        let Some(kind) = fields.kind else {
            return Err(de::Error::custom("missing field `kind`"));
        };
        fields.check_keys(kind)?;
        fields.into_record(kind)
    }
}

/// The keys of one record object as read, before its kind says which of them
/// belong.
#[derive(Default)]
struct Fields<'de> {
    /// The keys present, as [`Field::bit`]s.
    seen: u16,
    kind: Option<Kind>,
    component_version: Option<SecurityVersion>,
    service_version: Option<SecurityVersion>,
    api: Option<Api>,
    required_version: Option<RequiredVersion>,
    flags: Option<u32>,
    hr: Option<Hresult>,
    version: Option<Cow<'de, str>>,
    status: Option<WmtStatus>,
    value: Option<IndividualizeStatus<'de>>,
    event: Option<MfEvent>,
    ts: Option<Number>,
}

impl<'de> Fields<'de> {
    /// Reads every key of the object, refusing a repeated one.
    fn read<M: MapAccess<'de>>(map: &mut M) -> Result<Fields<'de>, M::Error> {
        let mut fields = Fields::default();
        while let Some(field) = map.next_key_seed(FieldSeed)? {
            if fields.seen & field.bit() != 0 {
                return Err(de::Error::custom(format_args!("duplicate field `{}`", field.name())));
            }
            fields.seen |= field.bit();
            fields.read_value(field, map)?;
        }
        Ok(fields)
    }

    /// Reads the value of `field`.
    fn read_value<M: MapAccess<'de>>(&mut self, field: Field, map: &mut M) -> Result<(), M::Error> {
        match field {
            Field::Kind => {
                self.kind = Some(map.next_value_seed(NameSeed {
                    what: "record kind",
                    lookup: kind_by_name,
                    expected: "header, call, status or event",
                })?)
            }
            Field::Format => map.next_value_seed(FormatSeed)?,
            Field::ComponentVersion => {
                self.component_version = Some(map.next_value_seed(VersionSeed {
                    what: "component_version",
                    parse: |v| SecurityVersion::parse(v).filter(|v| v.is_component_form()),
                    form: COMPONENT_VERSION_FORM,
                })?)
            }
            Field::ServiceVersion => {
                self.service_version = Some(map.next_value_seed(VersionSeed {
                    what: "service_version",
                    parse: |v| SecurityVersion::parse(v).filter(|v| v.is_offer_form()),
                    form: OFFER_VERSION_FORM,
                })?)
            }
            Field::Api => {
                self.api = Some(map.next_value_seed(NameSeed {
                    what: "api",
                    lookup: Api::from_name,
                    expected: "Open, Individualize, CancelIndividualization, PerformSecurityUpdate, CancelAsyncOperation or GetSecurityVersion",
                })?)
            }
            Field::RequiredVersion => {
                self.required_version = Some(map.next_value_seed(VersionSeed {
                    what: "required_version",
                    parse: RequiredVersion::parse,
                    form: "major.minor, e.g. \"2.2\"",
                })?)
            }
            Field::Flags => self.flags = Some(map.next_value_seed(DwordSeed("flags"))?),
            Field::Hr => self.hr = Some(map.next_value_seed(HresultSeed)?),
            Field::Version => self.version = Some(map.next_value_seed(CowStrSeed("version"))?),
            Field::Status => self.status = Some(map.next_value_seed(WmtStatusSeed)?),
            Field::Value => self.value = Some(map.next_value_seed(StatusValueSeed)?),
            Field::Event => {
                self.event = Some(map.next_value_seed(NameSeed {
                    what: "event",
                    lookup: MfEvent::from_name,
                    expected: "MEWMDRMIndividualizationProgress, MEWMDRMIndividualizationCompleted or MEWMDRMRevocationDownloadCompleted",
                })?)
            }
            Field::Ts => self.ts = Some(map.next_value::<Number>()?),
        }
        Ok(())
    }

    /// The keys a record of `kind` may have and the keys it must have, as
    /// masks; the call, status or event says which.
    fn masks<E: de::Error>(&self, kind: Kind) -> Result<(u16, u16), E> {
        Ok(match kind {
            Kind::Header => {
                (mask(&[Field::Format, Field::ComponentVersion, Field::ServiceVersion]), mask(&[Field::Format]))
            }
            Kind::Call => {
                let Some(api) = self.api else {
                    return Err(E::custom("missing field `api`"));
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
                let Some(status) = self.status else {
                    return Err(E::custom("missing field `status`"));
                };
                let value_field = if status == WmtStatus::Individualize { mask(&[Field::Value]) } else { 0 };
                (mask(&[Field::Status, Field::Hr]) | value_field, value_field)
            }
            Kind::Event => {
                let Some(event) = self.event else {
                    return Err(E::custom("missing field `event`"));
                };
                let value_field = if event == MfEvent::IndividualizationProgress { mask(&[Field::Value]) } else { 0 };
                (mask(&[Field::Event, Field::Hr]) | value_field, value_field)
            }
        })
    }

    /// Refuses a key that does not belong to a record of `kind` and a
    /// missing key it needs.
    fn check_keys<E: de::Error>(&self, kind: Kind) -> Result<(), E> {
        let (allowed, required) = self.masks(kind)?;
        // Only for a message: formatting it for every record would cost more
        // than reading the record.
        let what = || match (kind, self.api, self.status, self.event) {
            (Kind::Call, Some(api), ..) => format!("a call to {api}"),
            (Kind::Status, _, Some(status), _) => format!("a {status} status"),
            (Kind::Event, .., Some(event)) => format!("a {event} event"),
            _ => "a header".to_string(),
        };
        let allowed = allowed | mask(&[Field::Kind, Field::Ts]);
        if let Some(f) = Field::ALL.iter().find(|f| self.seen & f.bit() != 0 && allowed & f.bit() == 0) {
            return Err(E::custom(format_args!("field `{}` does not belong in {}", f.name(), what())));
        }
        if let Some(f) = Field::ALL.iter().find(|f| required & f.bit() != 0 && self.seen & f.bit() == 0) {
            return Err(E::custom(format_args!("missing field `{}` in {}", f.name(), what())));
        }
        Ok(())
    }

    /// The record of `kind` these keys make, once [`Fields::check_keys`]
    /// passed.
    fn into_record<E: de::Error>(self, kind: Kind) -> Result<Record<'de>, E> {
        let hr = self.hr.unwrap_or_default();
        // `check_keys` made sure that every key the record's kind needs is
        // present, so `missing` is never returned; it stands in for an
        // `expect` that the reader must not panic on.
        let missing = || E::custom("internal error: a required field was not kept");
        let body = match kind {
            Kind::Header => {
                Body::Header { component_version: self.component_version, service_version: self.service_version }
            }
            Kind::Call => {
                let call = match self.api.ok_or_else(missing)? {
                    Api::Open => Call::Open { required_version: self.required_version.ok_or_else(missing)? },
                    Api::Individualize => Call::Individualize { flags: self.flags.ok_or_else(missing)? },
                    Api::CancelIndividualization => Call::CancelIndividualization,
                    Api::PerformSecurityUpdate => {
                        Call::PerformSecurityUpdate { flags: self.flags.ok_or_else(missing)? }
                    }
                    Api::CancelAsyncOperation => Call::CancelAsyncOperation,
                    Api::GetSecurityVersion => Call::GetSecurityVersion { version: self.version },
                };
                Body::Call { call, hr }
            }
            Kind::Status => {
                let status = match self.status.ok_or_else(missing)? {
                    WmtStatus::Individualize => Status::Individualize(self.value.ok_or_else(missing)?),
                    WmtStatus::NeedsIndividualization => Status::NeedsIndividualization,
                    WmtStatus::NoRightsEx => Status::NoRightsEx,
                };
                Body::Status { status, hr }
            }
            Kind::Event => {
                let event = match self.event.ok_or_else(missing)? {
                    MfEvent::IndividualizationProgress => Event::Progress(self.value.ok_or_else(missing)?),
                    MfEvent::IndividualizationCompleted => Event::Completed,
                    MfEvent::RevocationDownloadCompleted => Event::RevocationCompleted,
                };
                Body::Event { event, hr }
            }
        };
        Ok(Record { ts: self.ts, body })
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
