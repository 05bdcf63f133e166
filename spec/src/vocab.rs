//! The vocabulary of the status stream as Rust types: enumerations, HRESULTs,
//! security versions, the application calls and events.
//!
//! The spec file is the source of truth for every name and value here; loading
//! it fails when these tables and the file disagree (see `catalog`), so the
//! code can name the values it branches on without keeping a second truth.

use std::fmt;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident : $spec:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal => $value:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in the spec file's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name of the enumeration (or vocabulary list) in the spec file.
            pub const SPEC_NAME: &'static str = $spec;

            /// The symbolic name, as the spec file and the trace format spell it.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The numeric value.
            pub fn value(self) -> u32 {
                match self { $($name::$variant => $value),+ }
            }

            /// The value with this symbolic name.
            pub fn from_name(name: &str) -> Option<$name> {
                match name { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The value with this number, if it is a defined one.
            pub fn from_value(value: u32) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.value() == value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// `DRM_INDIVIDUALIZATION_STATUS`: the phase a `WM_INDIVIDUALIZE_STATUS` reports.
    IndiStatus: "DRM_INDIVIDUALIZATION_STATUS" {
        /// Reserved; never sent.
        Undefined = "INDI_UNDEFINED" => 0x00,
        /// The process starts.
        Begin = "INDI_BEGIN" => 0x01,
        /// The process has completed.
        Succeed = "INDI_SUCCEED" => 0x02,
        /// The process failed.
        Fail = "INDI_FAIL" => 0x04,
        /// The process was canceled by a cancel call.
        Cancel = "INDI_CANCEL" => 0x08,
        /// The upgrade is being downloaded.
        Download = "INDI_DOWNLOAD" => 0x10,
        /// The upgrade is being installed.
        Install = "INDI_INSTALL" => 0x20,
    }
}

named_enum! {
    /// `DRM_HTTP_STATUS`: where the current round trip stands.
    HttpStatus: "DRM_HTTP_STATUS" {
        /// No round trip has started.
        NotInitiated = "HTTP_NOTINITIATED" => 0,
        /// Connecting.
        Connecting = "HTTP_CONNECTING" => 1,
        /// Sending the request.
        Requesting = "HTTP_REQUESTING" => 2,
        /// Receiving the response.
        Receiving = "HTTP_RECEIVING" => 3,
        /// The round trip has completed.
        Completed = "HTTP_COMPLETED" => 4,
    }
}

named_enum! {
    /// The `WMT_STATUS` values of `IWMStatusCallback::OnStatus` that concern individualization.
    WmtStatus: "WMT_STATUS" {
        /// An individualization status with a `WM_INDIVIDUALIZE_STATUS` value.
        Individualize = "WMT_INDIVIDUALIZE" => 24,
        /// Opened content needs a newer security component.
        NeedsIndividualization = "WMT_NEEDS_INDIVIDUALIZATION" => 25,
        /// The application may now acquire a license.
        NoRightsEx = "WMT_NO_RIGHTS_EX" => 26,
    }
}

named_enum! {
    /// `PerformSecurityUpdate` flags.
    SecurityFlag: "WMDRM_SECURITY_PERFORM" {
        /// Individualize only if out of date.
        Indiv = "WMDRM_SECURITY_PERFORM_INDIV" => 0x1,
        /// Refresh revocation lists.
        RevocationRefresh = "WMDRM_SECURITY_PERFORM_REVOCATION_REFRESH" => 0x2,
        /// Individualize even if up to date.
        ForceIndiv = "WMDRM_SECURITY_PERFORM_FORCE_INDIV" => 0x4,
    }
}

named_enum! {
    /// `IWMDRMReader::Individualize` flags.
    ReaderFlag: "INDIVIDUALIZE_FLAGS" {
        /// The client can be individualized again.
        Reindividualizable = "REINDIVIDUALIZABLE" => 0x0,
        /// The client will not be individualized again.
        Final = "FINAL" => 0x1,
    }
}

named_enum! {
    /// The application calls a trace records.
    Api: "apis" {
        /// Open protected content whose header requires a security version.
        Open = "Open" => 0,
        /// `IWMDRMReader::Individualize`.
        Individualize = "Individualize" => 1,
        /// `IWMDRMReader::CancelIndividualization`.
        CancelIndividualization = "CancelIndividualization" => 2,
        /// `IWMDRMSecurity::PerformSecurityUpdate`.
        PerformSecurityUpdate = "PerformSecurityUpdate" => 3,
        /// Cancels the asynchronous security update.
        CancelAsyncOperation = "CancelAsyncOperation" => 4,
        /// `IWMDRMSecurity::GetSecurityVersion`.
        GetSecurityVersion = "GetSecurityVersion" => 5,
    }
}

named_enum! {
    /// The Media Foundation events of the security path.
    MfEvent: "events" {
        /// A progress event carrying a `WM_INDIVIDUALIZE_STATUS`.
        IndividualizationProgress = "MEWMDRMIndividualizationProgress" => 0,
        /// The security individualization has finished.
        IndividualizationCompleted = "MEWMDRMIndividualizationCompleted" => 1,
        /// A revocation refresh has finished.
        RevocationDownloadCompleted = "MEWMDRMRevocationDownloadCompleted" => 2,
    }
}

named_enum! {
    /// The HRESULTs the spec names.
    KnownHresult: "HRESULT" {
        /// Success.
        SOk = "S_OK" => 0x0000_0000,
        /// A null or invalid argument.
        EInvalidArg = "E_INVALIDARG" => 0x8007_0057,
        /// The call was unexpected at this time.
        EUnexpected = "E_UNEXPECTED" => 0x8000_FFFF,
        /// The component was individualized.
        NsSDrmIndividualized = "NS_S_DRM_INDIVIDUALIZED" => 0x000D_2727,
        /// A security upgrade is required.
        NeedsIndividualization = "NS_E_DRM_NEEDS_INDIVIDUALIZATION" => 0xC00D_2728,
        /// The latest security components are already installed.
        AlreadyIndividualized = "NS_E_DRM_ALREADY_INDIVIDUALIZED" => 0xC00D_2729,
        /// An upgrade is already running.
        Individualizing = "NS_E_DRM_INDIVIDUALIZING" => 0xC00D_272C,
        /// An error occurred during individualization.
        IndividualizeError = "NS_E_DRM_INDIVIDUALIZE_ERROR" => 0xC00D_2736,
        /// Individualization did not complete.
        IndividualizationIncomplete = "NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE" => 0xC00D_274C,
        /// The operation was canceled.
        OperationCanceled = "NS_E_DRM_OPERATION_CANCELED" => 0xC00D_2768,
        /// The service refused the client (daily limit).
        IndivFraud = "NS_E_DRM_INDIV_FRAUD" => 0xC00D_2843,
        /// The individualization package is missing.
        IndivNoCabs = "NS_E_DRM_INDIV_NO_CABS" => 0xC00D_2844,
        /// The service is unavailable.
        IndivServiceUnavailable = "NS_E_DRM_INDIV_SERVICE_UNAVAILABLE" => 0xC00D_2845,
    }
}

/// An HRESULT: any 32-bit value; a failure code has its high bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Hresult(pub u32);

impl Hresult {
    /// `S_OK`.
    pub const S_OK: Hresult = Hresult(0);

    /// Whether this is a failure code (high bit set).
    pub fn is_failure(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    /// Whether this is a success code (high bit clear).
    pub fn is_success(self) -> bool {
        !self.is_failure()
    }

    /// The spec's name for this code, if it has one.
    pub fn known(self) -> Option<KnownHresult> {
        KnownHresult::from_value(self.0)
    }

    /// Reads a name, a hex string (`0xC00D272C`) or nothing else.
    pub fn parse(text: &str) -> Option<Hresult> {
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            return u32::from_str_radix(hex, 16).ok().map(Hresult);
        }
        KnownHresult::from_name(text).map(|k| Hresult(k.value()))
    }
}

impl From<KnownHresult> for Hresult {
    fn from(k: KnownHresult) -> Hresult {
        Hresult(k.value())
    }
}

impl fmt::Display for Hresult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known() {
            Some(k) => f.write_str(k.name()),
            None => write!(f, "0x{:08X}", self.0),
        }
    }
}

/// A four-number security version such as `2.4.0.1`: major, minor, always 0,
/// and 0 or 1 for "has been individualized". Ordered as a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityVersion(pub [u32; 4]);

impl SecurityVersion {
    /// Reads `a.b.c.d` (decimal numbers that fit in 32 bits, the fourth 0 or 1).
    pub fn parse(text: &str) -> Option<SecurityVersion> {
        // One pass over the bytes: the checker parses a version on every
        // GetSecurityVersion record.
        let mut parts = [0u32; 4];
        let mut at = 0;
        let mut digits = 0;
        for &b in text.as_bytes() {
            match b {
                b'0'..=b'9' => {
                    parts[at] = parts[at].checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
                    digits += 1;
                }
                b'.' if digits > 0 && at < 3 => {
                    at += 1;
                    digits = 0;
                }
                _ => return None,
            }
        }
        (at == 3 && digits > 0 && parts[3] <= 1).then_some(SecurityVersion(parts))
    }

    /// Whether this is the form a component's version takes (spec 2):
    /// `major.minor.0.F`, the third number 0 (GetSecurityVersion's page: "The
    /// third number is always set to 0").
    pub fn is_component_form(self) -> bool {
        self.0[2] == 0
    }

    /// Whether this is the form an offered version takes: a component's
    /// form, individualized (the service offers individualized components).
    pub fn is_offer_form(self) -> bool {
        self.is_component_form() && self.is_individualized()
    }

    /// Whether the fourth number says the component has been individualized.
    pub fn is_individualized(self) -> bool {
        self.0[3] == 1
    }

    /// Major and minor, the part a content header requires.
    pub fn major_minor(self) -> (u32, u32) {
        (self.0[0], self.0[1])
    }

    /// Whether a component at this version is outdated for content that
    /// requires `required`: the spec's reading is that it is when it was
    /// never individualized (the fourth number is 0) or its major.minor is
    /// below the required version. Checker, oracle, generators and engine all
    /// ask this one function.
    pub fn is_outdated_for(self, required: RequiredVersion) -> bool {
        !self.is_individualized() || self.major_minor() < (required.major, required.minor)
    }
}

/// Which path a session runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// `IWMDRMReader`: opened by `Individualize`, reports through
    /// `WMT_INDIVIDUALIZE` statuses.
    Reader,
    /// `IWMDRMSecurity`: opened by `PerformSecurityUpdate`, reports through
    /// `MEWMDRMIndividualizationProgress` events.
    Security,
}

impl Path {
    /// The name of the channel the path's statuses arrive on.
    pub fn channel(self) -> &'static str {
        match self {
            Path::Reader => "WMT_INDIVIDUALIZE",
            Path::Security => "MEWMDRMIndividualizationProgress",
        }
    }
}

/// The component's security version as far as a trace has told (the spec's
/// general reading on versions): unknown until a header, a
/// `GetSecurityVersion` or a completed security update names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentVersion {
    /// Nothing has told it yet.
    Unknown,
    /// This version.
    Known(SecurityVersion),
    /// A session installed and succeeded while the service's version was
    /// unknown: the component is individualized, at a version not told.
    IndividualizedUnknown,
}

impl ComponentVersion {
    /// The version, when it is known.
    pub fn known(self) -> Option<SecurityVersion> {
        match self {
            ComponentVersion::Known(v) => Some(v),
            ComponentVersion::Unknown | ComponentVersion::IndividualizedUnknown => None,
        }
    }

    /// Whether the component is at least as new as the service's `offered`
    /// version, when both are known.
    pub fn up_to_date(self, offered: Option<SecurityVersion>) -> Option<bool> {
        Some(self.known()? >= offered?)
    }
}

impl fmt::Display for SecurityVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// The version a content header requires: major and minor only (`2.2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequiredVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
}

impl RequiredVersion {
    /// Reads `major.minor`.
    pub fn parse(text: &str) -> Option<RequiredVersion> {
        let (major, minor) = text.split_once('.')?;
        Some(RequiredVersion { major: parse_decimal(major)?, minor: parse_decimal(minor)? })
    }
}

impl fmt::Display for RequiredVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn parse_decimal(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order_as_tuples() {
        let a = SecurityVersion::parse("2.4.0.1").expect("valid");
        let b = SecurityVersion::parse("2.4.0.0").expect("valid");
        assert!(a > b);
        assert_eq!(a.to_string(), "2.4.0.1");
        assert_eq!(SecurityVersion::parse("4294967295.007.0.1"), Some(SecurityVersion([u32::MAX, 7, 0, 1])));
        for bad in [
            "2.4.0.2",
            "2.4.0",
            "2.4.0.1.0",
            "2.x.0.1",
            "",
            "+2.4.0.1",
            "2.4.0.99999999999",
            "2..0.1",
            ".2.4.0",
            "2.4.0.",
            "4294967296.0.0.0",
            " 2.4.0.1",
        ] {
            assert_eq!(SecurityVersion::parse(bad), None, "{bad}");
        }
        assert_eq!(RequiredVersion::parse("2.2"), Some(RequiredVersion { major: 2, minor: 2 }));
        assert_eq!(RequiredVersion::parse("2"), None);
        assert_eq!(RequiredVersion::parse("2.2.0"), None);
    }

    #[test]
    fn hresults_read_names_and_hex() {
        assert_eq!(Hresult::parse("S_OK"), Some(Hresult(0)));
        assert_eq!(Hresult::parse("0xC00D272C"), Some(Hresult(0xC00D_272C)));
        assert_eq!(Hresult::parse("0x"), None);
        assert_eq!(Hresult::parse("0x123456789"), None);
        assert_eq!(Hresult::parse("E_NOPE"), None);
        assert!(Hresult(0xC00D_272C).is_failure());
        assert_eq!(Hresult(0x8000_0001).to_string(), "0x80000001");
        assert_eq!(Hresult(0xC00D_2729).to_string(), "NS_E_DRM_ALREADY_INDIVIDUALIZED");
    }
}

macro_rules! serde_as_text {
    ($type:ty, $parse:path, $what:literal) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $parse(&text).ok_or_else(|| serde::de::Error::custom(format_args!("malformed {} `{text}`", $what)))
            }
        }
    };
}

serde_as_text!(SecurityVersion, SecurityVersion::parse, "security version");
serde_as_text!(RequiredVersion, RequiredVersion::parse, "required version");

macro_rules! schema_as_text {
    ($type:ty, $name:literal, $pattern:literal) => {
        impl schemars::JsonSchema for $type {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": $pattern })
            }
        }
    };
}

schema_as_text!(SecurityVersion, "SecurityVersion", r"^[0-9]+\.[0-9]+\.[0-9]+\.[01]$");
schema_as_text!(RequiredVersion, "RequiredVersion", r"^[0-9]+\.[0-9]+$");
