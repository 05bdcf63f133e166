//! Reading records: a hand-written deserializer that borrows strings from
//! the input where it can.
//!
//! Reading is strict: an unknown key, a key that does not belong to the
//! record's kind, a repeated key, an unknown name or a number out of range is
//! an input error whose position serde_json fills in.
//!
//! What each key's value means lives here once, as the seeds below (one
//! constant per key): serde_json drives them through `Deserialize`, and the
//! fast decoder (`super::fast`) calls the same visitor methods with the
//! scalars it read ([`Scalar`]), so the two read every value alike.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Number;

use super::{Body, Call, Event, IndividualizeStatus, Record, Status, TRACE_FORMAT};
use crate::vocab::{Api, Hresult, HttpStatus, IndiStatus, MfEvent, RequiredVersion, SecurityVersion, WmtStatus};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    Header,
    Call,
    Status,
    Event,
}

/// The keys a record may have, as bits so that "present but not allowed for
/// this kind" is one mask test.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Field {
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

    pub(super) fn bit(self) -> u16 {
        1 << self as u16
    }

    fn name(self) -> &'static str {
        FIELD_NAMES[self as usize]
    }

    /// The field a key names (one `match`, as both decoders look up every key).
    pub(super) fn from_key(key: &str) -> Option<Field> {
        Some(match key {
            "kind" => Field::Kind,
            "format" => Field::Format,
            "component_version" => Field::ComponentVersion,
            "service_version" => Field::ServiceVersion,
            "api" => Field::Api,
            "required_version" => Field::RequiredVersion,
            "flags" => Field::Flags,
            "hr" => Field::Hr,
            "version" => Field::Version,
            "status" => Field::Status,
            "value" => Field::Value,
            "event" => Field::Event,
            "ts" => Field::Ts,
            _ => return None,
        })
    }
}

fn mask(fields: &[Field]) -> u16 {
    fields.iter().fold(0, |m, f| m | f.bit())
}

/// A JSON scalar as the fast decoder reads it: a string without escapes
/// (borrowed from the line), an integer serde_json reads as `u64` or `i64`,
/// or null. Every other value (floats, escaped strings, arrays, objects
/// where a scalar belongs) is left to serde_json.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scalar<'de> {
    /// A string, its text between the quotes.
    Str(&'de str),
    /// A non-negative integer.
    U64(u64),
    /// A negative integer.
    I64(i64),
    /// `null`.
    Null,
}

/// What `deserialize_any` of serde_json calls on `visitor` for `scalar`.
pub(super) fn visit_any<'de, V: Visitor<'de>, E: de::Error>(visitor: V, scalar: Scalar<'de>) -> Result<V::Value, E> {
    match scalar {
        Scalar::Str(s) => visitor.visit_borrowed_str(s),
        Scalar::U64(v) => visitor.visit_u64(v),
        Scalar::I64(v) => visitor.visit_i64(v),
        Scalar::Null => visitor.visit_unit(),
    }
}

/// What `deserialize_str` of serde_json calls on `visitor` for `scalar`: a
/// string visits; anything else is the invalid-type error serde_json reports
/// (with the same message, so that this path never needs a second one).
pub(super) fn visit_str_only<'de, V: Visitor<'de>, E: de::Error>(
    visitor: V,
    scalar: Scalar<'de>,
) -> Result<V::Value, E> {
    match scalar {
        Scalar::Str(s) => visitor.visit_borrowed_str(s),
        Scalar::U64(v) => Err(E::invalid_type(de::Unexpected::Unsigned(v), &visitor)),
        Scalar::I64(v) => Err(E::invalid_type(de::Unexpected::Signed(v), &visitor)),
        Scalar::Null => Err(E::invalid_type(de::Unexpected::Unit, &visitor)),
    }
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
        Field::from_key(key).ok_or_else(|| E::custom(format_args!("unknown field `{key}`")))
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
        wmt_status(WMT_STATUS.deserialize(d)?)
    }
}

/// The `WMT_STATUS` a raw value names, if it is one a record may carry.
/// (serde_json positions this error after the whole record, as it does any
/// error raised outside its own `deserialize_*` calls.)
fn wmt_status<E: de::Error>(value: u32) -> Result<WmtStatus, E> {
    WmtStatus::from_value(value).ok_or_else(|| {
        de::Error::custom(format_args!("WMT_STATUS {value} is not an individualization status (expected 24, 25 or 26)"))
    })
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

/// `kind`.
const KIND: NameSeed<Kind> =
    NameSeed { what: "record kind", lookup: kind_by_name, expected: "header, call, status or event" };
/// `component_version`.
const COMPONENT_VERSION: VersionSeed<SecurityVersion> =
    VersionSeed { what: "component_version", parse: component_version, form: COMPONENT_VERSION_FORM };
/// `service_version`.
const SERVICE_VERSION: VersionSeed<SecurityVersion> =
    VersionSeed { what: "service_version", parse: service_version, form: OFFER_VERSION_FORM };
/// `api`.
const API: NameSeed<Api> = NameSeed {
    what: "api",
    lookup: Api::from_name,
    expected: "Open, Individualize, CancelIndividualization, PerformSecurityUpdate, CancelAsyncOperation or GetSecurityVersion",
};
/// `required_version`.
const REQUIRED_VERSION: VersionSeed<RequiredVersion> =
    VersionSeed { what: "required_version", parse: RequiredVersion::parse, form: "major.minor, e.g. \"2.2\"" };
/// `flags`.
const FLAGS: DwordSeed = DwordSeed("flags");
/// `version`.
const VERSION: CowStrSeed = CowStrSeed("version");
/// `status`, before [`wmt_status`] keeps the three a record may carry.
const WMT_STATUS: EnumSeed = EnumSeed { what: "WMT_STATUS", by_name: wmt_status_by_name };
/// `event`.
const EVENT: NameSeed<MfEvent> = NameSeed {
    what: "event",
    lookup: MfEvent::from_name,
    expected: "MEWMDRMIndividualizationProgress, MEWMDRMIndividualizationCompleted or MEWMDRMRevocationDownloadCompleted",
};
/// `value.enIndiStatus`.
const INDI: EnumSeed = EnumSeed { what: "enIndiStatus", by_name: indi_by_name };
/// `value.pszIndiRespUrl`.
const URL: NullableStrSeed = NullableStrSeed("pszIndiRespUrl");
/// `value.enHTTPStatus`.
const HTTP: EnumSeed = EnumSeed { what: "enHTTPStatus", by_name: http_by_name };

fn component_version(v: &str) -> Option<SecurityVersion> {
    SecurityVersion::parse(v).filter(|v| v.is_component_form())
}

fn service_version(v: &str) -> Option<SecurityVersion> {
    SecurityVersion::parse(v).filter(|v| v.is_offer_form())
}

fn wmt_status_by_name(n: &str) -> Option<u32> {
    WmtStatus::from_name(n).map(WmtStatus::value)
}

fn indi_by_name(n: &str) -> Option<u32> {
    IndiStatus::from_name(n).map(IndiStatus::value)
}

fn http_by_name(n: &str) -> Option<u32> {
    HttpStatus::from_name(n).map(HttpStatus::value)
}

/// What serde_json names a scalar in an invalid-type message.
fn scalar_unexpected(scalar: Scalar<'_>) -> de::Unexpected<'_> {
    match scalar {
        Scalar::Str(s) => de::Unexpected::Str(s),
        Scalar::U64(v) => de::Unexpected::Unsigned(v),
        Scalar::I64(v) => de::Unexpected::Signed(v),
        Scalar::Null => de::Unexpected::Unit,
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
        Fields::read(&mut map)?.finish()
    }
}

/// The keys of one record object as read, before its kind says which of them
/// belong.
#[derive(Default)]
pub(super) struct Fields<'de> {
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
            Field::Kind => self.kind = Some(map.next_value_seed(KIND)?),
            Field::Format => map.next_value_seed(FormatSeed)?,
            Field::ComponentVersion => self.component_version = Some(map.next_value_seed(COMPONENT_VERSION)?),
            Field::ServiceVersion => self.service_version = Some(map.next_value_seed(SERVICE_VERSION)?),
            Field::Api => self.api = Some(map.next_value_seed(API)?),
            Field::RequiredVersion => self.required_version = Some(map.next_value_seed(REQUIRED_VERSION)?),
            Field::Flags => self.flags = Some(map.next_value_seed(FLAGS)?),
            Field::Hr => self.hr = Some(map.next_value_seed(HresultSeed)?),
            Field::Version => self.version = Some(map.next_value_seed(VERSION)?),
            Field::Status => self.status = Some(map.next_value_seed(WmtStatusSeed)?),
            Field::Value => self.value = Some(map.next_value_seed(StatusValueSeed)?),
            Field::Event => self.event = Some(map.next_value_seed(EVENT)?),
            Field::Ts => self.ts = Some(map.next_value::<Number>()?),
        }
        Ok(())
    }

    /// Sets `field` (not `value`, an object) from a scalar, as
    /// [`Fields::read_value`] would from the same JSON, with the same seeds.
    /// A float `ts` is not a [`Scalar`]; the fast decoder leaves it to serde_json.
    #[inline]
    pub(super) fn set_scalar<E: de::Error>(&mut self, field: Field, scalar: Scalar<'de>) -> Result<(), E> {
        match field {
            Field::Kind => self.kind = Some(visit_str_only(KIND, scalar)?),
            Field::Format => visit_str_only(FormatSeed, scalar)?,
            Field::ComponentVersion => self.component_version = Some(visit_str_only(COMPONENT_VERSION, scalar)?),
            Field::ServiceVersion => self.service_version = Some(visit_str_only(SERVICE_VERSION, scalar)?),
            Field::Api => self.api = Some(visit_str_only(API, scalar)?),
            Field::RequiredVersion => self.required_version = Some(visit_str_only(REQUIRED_VERSION, scalar)?),
            Field::Flags => self.flags = Some(visit_any(FLAGS, scalar)?),
            Field::Hr => self.hr = Some(visit_any(HresultSeed, scalar)?),
            Field::Version => self.version = Some(visit_str_only(VERSION, scalar)?),
            Field::Status => self.status = Some(wmt_status(visit_any(WMT_STATUS, scalar)?)?),
            Field::Value => return Err(E::invalid_type(scalar_unexpected(scalar), &StatusValueSeed)),
            Field::Event => self.event = Some(visit_str_only(EVENT, scalar)?),
            Field::Ts => {
                self.ts = Some(match scalar {
                    Scalar::U64(v) => Number::from(v),
                    Scalar::I64(v) => Number::from(v),
                    Scalar::Str(_) | Scalar::Null => {
                        return Err(E::invalid_type(scalar_unexpected(scalar), &"a JSON number"));
                    }
                })
            }
        }
        Ok(())
    }

    /// Keeps a `value` object read by the fast decoder.
    pub(super) fn set_value(&mut self, value: IndividualizeStatus<'de>) {
        self.value = Some(value);
    }

    /// Sets the keys present (as [`Field::bit`]s), for a decoder that kept
    /// them itself while it read the values (a repeated key is an error it
    /// reports or leaves, as `duplicate field`).
    pub(super) fn set_seen(&mut self, seen: u16) {
        self.seen = seen;
    }

    /// The record these keys make, or why they make none: the checks
    /// [`RecordVisitor`] runs once every key is read.
    pub(super) fn finish<E: de::Error>(self) -> Result<Record<'de>, E> {
        let Some(kind) = self.kind else {
            return Err(de::Error::custom("missing field `kind`"));
        };
        self.check_keys(kind)?;
        self.into_record(kind)
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
        // The first field in `Field::ALL` order is the lowest bit.
        let first = |bits: u16| Field::ALL[bits.trailing_zeros() as usize];
        let foreign = self.seen & !allowed;
        if foreign != 0 {
            return Err(E::custom(format_args!("field `{}` does not belong in {}", first(foreign).name(), what())));
        }
        let missing = required & !self.seen;
        if missing != 0 {
            return Err(E::custom(format_args!("missing field `{}` in {}", first(missing).name(), what())));
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
        value_field(key).ok_or_else(|| E::custom(format_args!("unknown WM_INDIVIDUALIZE_STATUS field `{key}`")))
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
        let mut out = empty_value();
        while let Some(i) = map.next_key_seed(ValueFieldSeed)? {
            if seen & (1 << i) != 0 {
                return Err(de::Error::custom(format_args!("duplicate field `{}`", VALUE_FIELDS[i])));
            }
            seen |= 1 << i;
            match i {
                0 => out.hr = map.next_value_seed(HresultSeed)?,
                1 => out.indi = map.next_value_seed(INDI)?,
                2 => out.url = map.next_value_seed(URL)?,
                3 => out.http_request = map.next_value_seed(DwordSeed("dwHTTPRequest"))?,
                4 => out.http = map.next_value_seed(HTTP)?,
                5 => out.progress = map.next_value_seed(DwordSeed("dwHTTPReadProgress"))?,
                _ => out.total = map.next_value_seed(DwordSeed("dwHTTPReadTotal"))?,
            }
        }
        value_complete(seen)?;
        Ok(out)
    }
}

/// A `WM_INDIVIDUALIZE_STATUS` before its fields are read: `hr` and
/// `pszIndiRespUrl` may be omitted, and then are `S_OK` and null.
pub(super) fn empty_value<'de>() -> IndividualizeStatus<'de> {
    IndividualizeStatus { hr: Hresult::S_OK, indi: 0, url: None, http_request: 0, http: 0, progress: 0, total: 0 }
}

/// The index in `WM_INDIVIDUALIZE_STATUS` of a key, if it is one of its
/// fields.
pub(super) fn value_field(key: &str) -> Option<usize> {
    Some(match key {
        "hr" => 0,
        "enIndiStatus" => 1,
        "pszIndiRespUrl" => 2,
        "dwHTTPRequest" => 3,
        "enHTTPStatus" => 4,
        "dwHTTPReadProgress" => 5,
        "dwHTTPReadTotal" => 6,
        _ => return None,
    })
}

/// Sets field `i` of a `WM_INDIVIDUALIZE_STATUS` from a scalar, with the seeds
/// [`StatusValueSeed`] uses.
#[inline]
pub(super) fn set_value_field<'de, E: de::Error>(
    out: &mut IndividualizeStatus<'de>,
    i: usize,
    scalar: Scalar<'de>,
) -> Result<(), E> {
    match i {
        0 => out.hr = visit_any(HresultSeed, scalar)?,
        1 => out.indi = visit_any(INDI, scalar)?,
        2 => out.url = visit_any(URL, scalar)?,
        3 => out.http_request = visit_any(DwordSeed("dwHTTPRequest"), scalar)?,
        4 => out.http = visit_any(HTTP, scalar)?,
        5 => out.progress = visit_any(DwordSeed("dwHTTPReadProgress"), scalar)?,
        _ => out.total = visit_any(DwordSeed("dwHTTPReadTotal"), scalar)?,
    }
    Ok(())
}

/// Refuses a `WM_INDIVIDUALIZE_STATUS` whose keys (`seen`, one bit per
/// field index) miss a required one.
pub(super) fn value_complete<E: de::Error>(seen: u8) -> Result<(), E> {
    // hr (0) and pszIndiRespUrl (2) may be omitted; the rest are required.
    match [1usize, 3, 4, 5, 6].into_iter().find(|i| seen & (1 << i) == 0) {
        Some(i) => {
            Err(de::Error::custom(format_args!("missing field `{}` in WM_INDIVIDUALIZE_STATUS", VALUE_FIELDS[i])))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_looks_up_the_field_it_names() {
        for field in Field::ALL {
            assert_eq!(Field::from_key(field.name()), Some(field));
        }
        for (i, name) in VALUE_FIELDS.iter().enumerate() {
            assert_eq!(value_field(name), Some(i));
        }
        assert_eq!(Field::from_key("Kind"), None);
        assert_eq!(value_field("hr "), None);
    }
}
