//! The individualization service's behaviour as one value: what it offers,
//! how big and how fast its package is, and which fault it injects. The
//! in-memory simulation plays it with virtual time; the loopback HTTP service
//! of `indiv certify` plays the same value over real sockets, so a scenario
//! means the same thing in both.
//!
//! Faults come in two kinds. The polite ones (an error status, a refused or
//! reset connection, a short body, a corrupt package) are what a healthy
//! network does to a request. The hostile ones, listed in [`CATALOGUE`], are
//! what a broken or malicious service does: offers that are not what they
//! claim, and responses whose HTTP framing an engine's transport must get
//! right (redirects, interim responses, chunked or compressed bodies,
//! HTTP/1.0, conflicting lengths, heads that never end or end too soon).
//! Each entry says what it expects of an engine ([`Expected`]).

use indiv_spec::vocab::SecurityVersion;

/// The service's answer to `POST {service_url}individualize`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Offer {
    /// The security version the service offers.
    pub version: SecurityVersion,
    /// Reported by the engine in `pszIndiRespUrl`.
    pub response_url: String,
    /// Where the individualized component is downloaded from (absolute).
    pub package_url: String,
    /// The component's size in bytes.
    pub package_size: u32,
}

/// An offer as JSON: every field required, extra fields ignored, each of
/// its type (serde_json refuses a duplicated field, a `null`, a string for
/// a number, a number out of range).
#[derive(serde::Deserialize)]
struct OfferJson {
    version: SecurityVersion,
    response_url: String,
    package_url: String,
    package_size: u64,
}

impl Offer {
    /// The offer in `body`, if it can be trusted by a client that asked
    /// `service_url` (ending in `/`): JSON with every field of its type, a
    /// `package_size` from 1 to a DWORD's largest value, and a
    /// `package_url` that is an absolute `http://` URL on the service's own
    /// host. `None` for anything else: the engine fails its
    /// session. The reference engine's transport and the simulation both
    /// read offers with this.
    pub fn parse(body: &[u8], service_url: &str) -> Option<Offer> {
        let json: OfferJson = serde_json::from_slice(body).ok()?;
        let package_size = u32::try_from(json.package_size).ok().filter(|n| *n > 0)?;
        if origin(&json.package_url)? != origin(service_url)? {
            return None;
        }
        Some(Offer {
            version: json.version,
            response_url: json.response_url,
            package_url: json.package_url,
            package_size,
        })
    }
}

/// The host of an absolute `http://` URL (its authority without the port),
/// or `None`. The port is not compared: a service may serve its package on
/// another port of its host.
fn origin(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("http://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    };
    (!host.is_empty() && !host.contains('@')).then_some(host)
}

/// Which exchange a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exchange {
    /// `POST individualize`.
    Query,
    /// `GET package`.
    Package,
}

impl Exchange {
    /// `query` or `package`.
    pub fn name(self) -> &'static str {
        match self {
            Exchange::Query => "query",
            Exchange::Package => "package",
        }
    }

    fn from_name(name: &str) -> Option<Exchange> {
        match name {
            "query" => Some(Exchange::Query),
            "package" => Some(Exchange::Package),
            _ => None,
        }
    }
}

/// The status of a redirect the service answers the package request with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Redirect {
    /// 301 Moved Permanently.
    MovedPermanently,
    /// 302 Found.
    Found,
    /// 307 Temporary Redirect.
    TemporaryRedirect,
}

impl Redirect {
    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            Redirect::MovedPermanently => 301,
            Redirect::Found => 302,
            Redirect::TemporaryRedirect => 307,
        }
    }
}

/// A fault the service injects, on every exchange it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answers 503 Service Unavailable.
    Unavailable(Exchange),
    /// Refuses the connection.
    Refused(Exchange),
    /// Resets the connection after reading the request, before answering.
    Reset(Exchange),
    /// Drops the connection after this many package body bytes.
    DropAfter(u32),
    /// Sends this many bytes fewer than its Content-Length, then closes.
    ShortBody(u32),
    /// Answers 429 Too Many Requests: the client's daily limit is exceeded.
    DailyLimit,
    /// Answers 404 Not Found for the package.
    PackageMissing,
    /// The package downloads, but installing it fails on the client.
    InstallFailure,
    /// Hostile: the offer's body is HTML, not JSON.
    OfferNotJson,
    /// Hostile: the offer has no `version`.
    OfferMissingField,
    /// Hostile: the offer has fields beyond the four it promises.
    OfferExtraField,
    /// Hostile: the offer's `response_url` is `null`.
    OfferNullField,
    /// Hostile: the offer's `package_size` is a string.
    OfferWrongType,
    /// Hostile: the offer's `package_size` is -1.
    SizeNegative,
    /// Hostile: the offer's `package_size` is 0.
    SizeZero,
    /// Hostile: the offer's `package_size` is the package's size plus 2^32,
    /// which a DWORD cannot hold.
    SizeOverDword,
    /// Hostile: the offer's `package_size` is one more than the
    /// Content-Length the package is then served with.
    SizeMismatch,
    /// Hostile: the offer's `package_url` is a relative reference.
    UrlRelative,
    /// Hostile: the offer's `package_url` is an `ftp://` URL.
    UrlNotHttp,
    /// Hostile: the offer's `package_url` names another host (127.0.0.2,
    /// where nothing listens).
    UrlOtherHost,
    /// Hostile: the package request is redirected once, to the same
    /// package on the same service.
    Redirect(Redirect),
    /// Hostile: the package request is redirected to itself, again and
    /// again (after [`REDIRECT_LOOP_CAP`] redirects the service answers 508).
    RedirectLoop,
    /// Hostile: the package comes as HTTP/1.0 without a Content-Length,
    /// 100 bytes short of the offer's size, and the connection closes.
    Http10Short,
    /// Hostile: the package response is written as soon as the connection
    /// is accepted, before the request arrives.
    EarlyResponse,
    /// Hostile: a `100 Continue` interim response comes first.
    Interim(Exchange),
    /// Hostile: `Transfer-Encoding: chunked`, no Content-Length.
    Chunked(Exchange),
    /// Hostile: `Content-Encoding: gzip`, which the client did not ask for;
    /// the Content-Length is the compressed length.
    Gzip(Exchange),
    /// Hostile: an HTTP/1.0 response without Content-Length: the body ends
    /// when the connection closes.
    Http10(Exchange),
    /// Hostile: the Content-Length header twice, with the same value.
    DuplicateLength(Exchange),
    /// Hostile: two Content-Length headers with different values (the
    /// second one more than the first, which is the body's length).
    ConflictingLength(Exchange),
    /// Hostile: header lines that never end (the service stops after
    /// [`ENDLESS_HEAD_BYTES`] and closes).
    EndlessHeaders(Exchange),
    /// Hostile: the connection closes in the middle of the status line.
    CutStatusLine(Exchange),
    /// Hostile: the connection closes in the middle of the headers.
    CutHeaders(Exchange),
    /// Hostile: [`EXTRA_BODY_BYTES`] more bytes than the Content-Length.
    LongBody(Exchange),
    /// Hostile: the response head trickles in, a byte every
    /// [`SLOW_HEAD_BYTE_MS`] milliseconds.
    SlowHeaders(Exchange),
}

/// What a fault asks of a conforming engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// Every session fails: what it needs from its first exchange cannot be
    /// had or trusted.
    FailsEverySession,
    /// A session that needs the package fails: the package (or what the
    /// offer says of it) cannot be had or trusted. An as-needed update whose
    /// client is current needs no package and may succeed.
    FailsPackageSessions,
    /// A careful transport can recover (a redirect within the service, an
    /// interim response, another but valid framing): the session may
    /// succeed or fail, and only the rules that judge every status apply.
    Recoverable,
}

/// One hostile behaviour of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hostile {
    /// The fault.
    pub fault: Fault,
    /// Its name ([`Fault::name`]).
    pub name: &'static str,
    /// Its named case (`hostile-` and the name).
    pub case: &'static str,
    /// What the service does, in words.
    pub what: &'static str,
}

/// The most redirects the service answers a looping package request with
/// before it answers 508 Loop Detected.
pub const REDIRECT_LOOP_CAP: u32 = 64;
/// How many header bytes the endless-headers fault writes before it closes:
/// twice what common clients accept in a head.
pub const ENDLESS_HEAD_BYTES: usize = 128 << 10;
/// The pause between the endless-headers fault's lines (of about a KiB), so
/// that the head keeps coming for a while without keeping a case long.
pub const ENDLESS_HEAD_LINE_MS: u64 = 1;
/// The pause between bytes of the slow-headers fault's response head: a
/// head of about a hundred bytes takes a fifth of a second, in a hundred
/// reads, and a case of many sessions stays well inside its timeout.
pub const SLOW_HEAD_BYTE_MS: u64 = 2;
/// How many bytes past the Content-Length the long-body fault writes.
pub const EXTRA_BODY_BYTES: u32 = 512;
/// How many bytes short of the offer's size the HTTP/1.0-short fault's package is.
pub const HTTP10_SHORT_BY: u32 = 100;

macro_rules! hostile {
    ($fault:expr, $name:literal, $what:literal) => {
        Hostile { fault: $fault, name: $name, case: concat!("hostile-", $name), what: $what }
    };
}

/// The hostile behaviours, each a named case (`hostile-NAME`) and a fault
/// `--chaos` draws from. docs/TESTEE.md lists them with what they expect.
pub const CATALOGUE: &[Hostile] = &[
    hostile!(Fault::OfferNotJson, "offer-not-json", "the offer is an HTML page, not JSON"),
    hostile!(Fault::OfferMissingField, "offer-missing-field", "the offer has no version"),
    hostile!(Fault::OfferExtraField, "offer-extra-field", "the offer has two fields more than it promises"),
    hostile!(Fault::OfferNullField, "offer-null-field", "the offer's response_url is null"),
    hostile!(Fault::OfferWrongType, "offer-wrong-type", "the offer's package_size is a string"),
    hostile!(Fault::SizeNegative, "size-negative", "the offer's package_size is -1"),
    hostile!(Fault::SizeZero, "size-zero", "the offer's package_size is 0"),
    hostile!(Fault::SizeOverDword, "size-over-dword", "the offer's package_size is above 4 GiB, past a DWORD"),
    hostile!(
        Fault::SizeMismatch,
        "size-mismatch",
        "the offer's package_size is one more than the package's Content-Length"
    ),
    hostile!(Fault::UrlRelative, "url-relative", "the offer's package_url is a relative reference"),
    hostile!(Fault::UrlNotHttp, "url-not-http", "the offer's package_url is an ftp:// URL"),
    hostile!(Fault::UrlOtherHost, "url-other-host", "the offer's package_url names another host"),
    hostile!(
        Fault::Redirect(Redirect::MovedPermanently),
        "redirect-301",
        "the package request is answered 301 to the same package"
    ),
    hostile!(
        Fault::Redirect(Redirect::Found),
        "redirect-302",
        "the package request is answered 302 to the same package"
    ),
    hostile!(
        Fault::Redirect(Redirect::TemporaryRedirect),
        "redirect-307",
        "the package request is answered 307 to the same package"
    ),
    hostile!(Fault::RedirectLoop, "redirect-loop", "the package request is redirected to itself, again and again"),
    hostile!(
        Fault::Http10Short,
        "http10-short",
        "the package comes as HTTP/1.0 without Content-Length, 100 bytes short, then the connection closes"
    ),
    hostile!(Fault::EarlyResponse, "early-response", "the package response arrives before the request is sent"),
    hostile!(Fault::Interim(Exchange::Query), "interim-query", "a 100 Continue comes before the offer"),
    hostile!(Fault::Interim(Exchange::Package), "interim-package", "a 100 Continue comes before the package"),
    hostile!(Fault::Chunked(Exchange::Query), "chunked-query", "the offer comes chunked, without Content-Length"),
    hostile!(Fault::Chunked(Exchange::Package), "chunked-package", "the package comes chunked, without Content-Length"),
    hostile!(Fault::Gzip(Exchange::Query), "gzip-query", "the offer comes gzip-encoded, unasked"),
    hostile!(Fault::Gzip(Exchange::Package), "gzip-package", "the package comes gzip-encoded, unasked"),
    hostile!(Fault::Http10(Exchange::Query), "http10-query", "the offer comes as HTTP/1.0 without Content-Length"),
    hostile!(
        Fault::Http10(Exchange::Package),
        "http10-package",
        "the package comes as HTTP/1.0 without Content-Length"
    ),
    hostile!(
        Fault::DuplicateLength(Exchange::Query),
        "duplicate-length-query",
        "the offer's Content-Length header comes twice, with the same value"
    ),
    hostile!(
        Fault::DuplicateLength(Exchange::Package),
        "duplicate-length-package",
        "the package's Content-Length header comes twice, with the same value"
    ),
    hostile!(
        Fault::ConflictingLength(Exchange::Query),
        "conflicting-length-query",
        "the offer comes with two different Content-Lengths"
    ),
    hostile!(
        Fault::ConflictingLength(Exchange::Package),
        "conflicting-length-package",
        "the package comes with two different Content-Lengths"
    ),
    hostile!(Fault::EndlessHeaders(Exchange::Query), "endless-headers-query", "the offer's headers never end"),
    hostile!(Fault::EndlessHeaders(Exchange::Package), "endless-headers-package", "the package's headers never end"),
    hostile!(
        Fault::CutStatusLine(Exchange::Query),
        "cut-status-line-query",
        "the connection closes in the middle of the offer's status line"
    ),
    hostile!(
        Fault::CutStatusLine(Exchange::Package),
        "cut-status-line-package",
        "the connection closes in the middle of the package's status line"
    ),
    hostile!(
        Fault::CutHeaders(Exchange::Query),
        "cut-headers-query",
        "the connection closes in the middle of the offer's headers"
    ),
    hostile!(
        Fault::CutHeaders(Exchange::Package),
        "cut-headers-package",
        "the connection closes in the middle of the package's headers"
    ),
    hostile!(
        Fault::LongBody(Exchange::Query),
        "long-body-query",
        "512 bytes follow the offer, past its Content-Length"
    ),
    hostile!(
        Fault::LongBody(Exchange::Package),
        "long-body-package",
        "512 bytes follow the package, past its Content-Length"
    ),
    hostile!(
        Fault::SlowHeaders(Exchange::Query),
        "slow-headers-query",
        "the offer's response head trickles in, a byte every 2 ms"
    ),
    hostile!(
        Fault::SlowHeaders(Exchange::Package),
        "slow-headers-package",
        "the package's response head trickles in, a byte every 2 ms"
    ),
];

impl Fault {
    /// The exchange the fault is played on: the query for the faults of
    /// the offer (its answer), the package request for those of the package.
    pub fn played_on(self) -> Exchange {
        match self {
            Fault::Unavailable(e)
            | Fault::Refused(e)
            | Fault::Reset(e)
            | Fault::Interim(e)
            | Fault::Chunked(e)
            | Fault::Gzip(e)
            | Fault::Http10(e)
            | Fault::DuplicateLength(e)
            | Fault::ConflictingLength(e)
            | Fault::EndlessHeaders(e)
            | Fault::CutStatusLine(e)
            | Fault::CutHeaders(e)
            | Fault::LongBody(e)
            | Fault::SlowHeaders(e) => e,
            Fault::DailyLimit
            | Fault::OfferNotJson
            | Fault::OfferMissingField
            | Fault::OfferExtraField
            | Fault::OfferNullField
            | Fault::OfferWrongType
            | Fault::SizeNegative
            | Fault::SizeZero
            | Fault::SizeOverDword
            | Fault::UrlRelative
            | Fault::UrlNotHttp
            | Fault::UrlOtherHost => Exchange::Query,
            Fault::DropAfter(_)
            | Fault::ShortBody(_)
            | Fault::PackageMissing
            | Fault::InstallFailure
            | Fault::SizeMismatch
            | Fault::Redirect(_)
            | Fault::RedirectLoop
            | Fault::Http10Short
            | Fault::EarlyResponse => Exchange::Package,
        }
    }

    /// Whether the fault is played on the query exchange (see
    /// [`Fault::played_on`]).
    pub fn strikes_query(self) -> bool {
        self.played_on() == Exchange::Query
    }

    /// What the fault asks of a conforming engine.
    pub fn expected(self) -> Expected {
        match self {
            Fault::OfferExtraField
            | Fault::Redirect(_)
            | Fault::EarlyResponse
            | Fault::Interim(_)
            | Fault::Chunked(_)
            | Fault::Gzip(_)
            | Fault::Http10(_)
            | Fault::DuplicateLength(_)
            | Fault::LongBody(_)
            | Fault::SlowHeaders(_) => Expected::Recoverable,
            // What a package session alone reads from the offer.
            Fault::OfferWrongType
            | Fault::SizeNegative
            | Fault::SizeZero
            | Fault::SizeOverDword
            | Fault::UrlRelative
            | Fault::UrlNotHttp
            | Fault::UrlOtherHost => Expected::FailsPackageSessions,
            _ if self.strikes_query() => Expected::FailsEverySession,
            _ => Expected::FailsPackageSessions,
        }
    }

    /// The catalogue's entry of a hostile fault; `None` for a polite one.
    pub fn hostile(self) -> Option<&'static Hostile> {
        CATALOGUE.iter().find(|h| h.fault == self)
    }

    /// A short stable name, used in scenario names and case files.
    pub fn name(self) -> String {
        if let Some(h) = self.hostile() {
            return h.name.to_string();
        }
        match self {
            Fault::Unavailable(e) => format!("unavailable-{}", e.name()),
            Fault::Refused(e) => format!("refused-{}", e.name()),
            Fault::Reset(e) => format!("reset-{}", e.name()),
            Fault::DropAfter(n) => format!("drop-after-{n}"),
            Fault::ShortBody(n) => format!("short-body-{n}"),
            Fault::DailyLimit => "daily-limit".into(),
            Fault::PackageMissing => "package-missing".into(),
            Fault::InstallFailure => "install-failure".into(),
            // Every hostile fault is in the catalogue, so this is a last
            // resort that still names the fault.
            other => format!("{other:?}"),
        }
    }

    /// The fault [`Fault::name`] calls `name`, if any.
    pub fn from_name(name: &str) -> Option<Fault> {
        if let Some(h) = CATALOGUE.iter().find(|h| h.name == name) {
            return Some(h.fault);
        }
        // Numbers are read only in the spelling `name` writes (no sign, no leading zero).
        let count = |n: &str| n.parse::<u32>().ok().filter(|v| v.to_string() == n);
        if let Some(e) = name.strip_prefix("unavailable-") {
            return Exchange::from_name(e).map(Fault::Unavailable);
        }
        if let Some(e) = name.strip_prefix("refused-") {
            return Exchange::from_name(e).map(Fault::Refused);
        }
        if let Some(e) = name.strip_prefix("reset-") {
            return Exchange::from_name(e).map(Fault::Reset);
        }
        if let Some(n) = name.strip_prefix("drop-after-") {
            return count(n).map(Fault::DropAfter);
        }
        if let Some(n) = name.strip_prefix("short-body-") {
            return count(n).map(Fault::ShortBody);
        }
        match name {
            "daily-limit" => Some(Fault::DailyLimit),
            "package-missing" => Some(Fault::PackageMissing),
            "install-failure" => Some(Fault::InstallFailure),
            _ => None,
        }
    }

    /// How the fault frames its responses on `exchange` ([`Wire::Plain`]
    /// on the other one, and for the faults of the offer's content).
    pub fn wire_on(self, exchange: Exchange) -> Wire {
        if self.played_on() != exchange {
            return Wire::Plain;
        }
        match self {
            Fault::Interim(_) => Wire::Interim,
            Fault::Chunked(_) => Wire::Chunked,
            Fault::Gzip(_) => Wire::Gzip,
            Fault::Http10(_) | Fault::Http10Short => Wire::UntilClose,
            Fault::DuplicateLength(_) => Wire::LengthTwice,
            Fault::ConflictingLength(_) => Wire::ConflictingLengths,
            Fault::EndlessHeaders(_) => Wire::EndlessHead,
            Fault::CutStatusLine(_) => Wire::CutStatusLine,
            Fault::CutHeaders(_) => Wire::CutHead,
            Fault::LongBody(_) => Wire::ExtraBody,
            Fault::SlowHeaders(_) => Wire::SlowHead,
            Fault::EarlyResponse => Wire::Early,
            _ => Wire::Plain,
        }
    }
}

/// How the package body is paced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pace {
    /// Bytes per write (and per progress status).
    pub chunk_size: u32,
    /// Wall-clock pause between writes, for the loopback service only; the
    /// simulation's time is virtual.
    pub delay_ms: u32,
    /// The loopback service writes the package's first chunk, then holds
    /// the rest until the harness has made every call before the script's
    /// first `when_idle` step (or every call, when there is none) and read
    /// its record, or until the case ends. A call that waits for a status
    /// of the download then meets the download under way however slowly the
    /// engine or the machine runs. The simulation needs no hold: it makes
    /// each call at its trigger before it delivers the next input.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hold: bool,
}

/// The service, as one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceBehavior {
    /// The security version it offers.
    pub offered_version: SecurityVersion,
    /// The package's size in bytes (at least 1).
    pub package_size: u32,
    /// How the package is paced.
    pub pace: Pace,
    /// The fault it injects, if any.
    pub fault: Option<Fault>,
    /// The shape of the `response_url` it returns.
    #[serde(default, skip_serializing_if = "UrlShape::is_plain")]
    pub response_url: UrlShape,
}

/// The shape of the `response_url` an offer carries, which an engine must
/// report byte for byte (SERVICE-URL-MATCHES): each shape is one a URL
/// library might rewrite on the way (drop an empty query or a default port,
/// resolve dot segments, change the case of percent-encoding or of the
/// scheme). Every shape keeps the case's own path, so that no two cases
/// share a response URL. No shape has a fragment: a fragment is never sent
/// over HTTP, so a service cannot return one. The boundary catalogue
/// ([`crate::boundary`]) lists each shape but `Plain`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UrlShape {
    /// `{base}response`.
    #[default]
    Plain,
    /// A query of three parameters, one with an encoded `=`.
    Query,
    /// A `?` with nothing after it.
    EmptyQuery,
    /// Percent-encoded octets, upper and lower case, of an unreserved
    /// character, a `/` and a space.
    PercentEncoded,
    /// The scheme's default port written out (`:80`).
    DefaultPort,
    /// The highest port, with the IPv4 loopback literal as the host.
    LoopbackLiteralMaxPort,
    /// `..` and `.` segments, unresolved.
    DotSegments,
    /// A path of more than 2 KiB.
    LongPath,
    /// The scheme in capitals (`HTTP://`).
    UpperCaseScheme,
}

impl UrlShape {
    /// Every shape, `Plain` first.
    pub const ALL: [UrlShape; 9] = [
        UrlShape::Plain,
        UrlShape::Query,
        UrlShape::EmptyQuery,
        UrlShape::PercentEncoded,
        UrlShape::DefaultPort,
        UrlShape::LoopbackLiteralMaxPort,
        UrlShape::DotSegments,
        UrlShape::LongPath,
        UrlShape::UpperCaseScheme,
    ];

    /// Whether this is [`UrlShape::Plain`].
    pub fn is_plain(&self) -> bool {
        *self == UrlShape::Plain
    }

    /// Its name, as a case file spells it.
    pub fn name(self) -> &'static str {
        match self {
            UrlShape::Plain => "plain",
            UrlShape::Query => "query",
            UrlShape::EmptyQuery => "empty_query",
            UrlShape::PercentEncoded => "percent_encoded",
            UrlShape::DefaultPort => "default_port",
            UrlShape::LoopbackLiteralMaxPort => "loopback_literal_max_port",
            UrlShape::DotSegments => "dot_segments",
            UrlShape::LongPath => "long_path",
            UrlShape::UpperCaseScheme => "upper_case_scheme",
        }
    }

    /// The response URL of this shape for a service at `base_url` (an
    /// absolute `http://` URL ending in `/`).
    pub fn url(self, base_url: &str) -> String {
        let rest = base_url.strip_prefix("http://").unwrap_or(base_url);
        let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
        let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
        match self {
            UrlShape::Plain => format!("{base_url}response"),
            UrlShape::Query => format!("{base_url}response?session=7&lang=en-US&sig=a%3Db"),
            UrlShape::EmptyQuery => format!("{base_url}response?"),
            UrlShape::PercentEncoded => format!("{base_url}resp%6Fnse/%7Euser/a%2fb%20c"),
            UrlShape::DefaultPort => format!("http://{host}:80{path}response"),
            UrlShape::LoopbackLiteralMaxPort => format!("http://127.0.0.1:65535{path}response"),
            UrlShape::DotSegments => format!("{base_url}a/../response/./"),
            UrlShape::LongPath => format!("{base_url}{}response", "segment/".repeat(LONG_PATH_SEGMENTS)),
            UrlShape::UpperCaseScheme => format!("HTTP://{rest}response"),
        }
    }
}

/// How many 8-byte segments [`UrlShape::LongPath`] repeats: 2,048 bytes of
/// them, so the path is longer than 2 KiB whatever the base.
const LONG_PATH_SEGMENTS: usize = 256;

/// How a response is framed on the wire: plainly (`Content-Length` and the
/// body), or with one of the hostile faults' deviations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wire {
    /// `HTTP/1.1`, one `Content-Length`, the body.
    Plain,
    /// A `100 Continue` interim response first.
    Interim,
    /// `Transfer-Encoding: chunked`, no `Content-Length`.
    Chunked,
    /// `Content-Encoding: gzip` (the plan's body is already compressed).
    Gzip,
    /// `HTTP/1.0`, no `Content-Length`; the body ends with the connection.
    UntilClose,
    /// `Content-Length` twice, the same value.
    LengthTwice,
    /// `Content-Length` twice, the body's length and one more.
    ConflictingLengths,
    /// Header lines without end (bounded), then the connection closes.
    EndlessHead,
    /// Half a status line, then the connection closes.
    CutStatusLine,
    /// The status line and half the headers, then the connection closes.
    CutHead,
    /// [`EXTRA_BODY_BYTES`] bytes follow the body.
    ExtraBody,
    /// The head trickles, a byte every [`SLOW_HEAD_BYTE_MS`] milliseconds.
    SlowHead,
    /// Written before the request is read.
    Early,
}

impl Wire {
    /// Whether the response is a complete HTTP message once all of it is
    /// written: not for a head cut short or without end, nor for lengths
    /// that conflict.
    pub fn completes(self) -> bool {
        !matches!(self, Wire::EndlessHead | Wire::CutStatusLine | Wire::CutHead | Wire::ConflictingLengths)
    }

    /// Whether a careful client may count the response's round trip either
    /// way: every deviation from plain framing may be taken for a broken
    /// exchange by one transport and read in full by another.
    pub fn completion_ambiguous(self) -> bool {
        self != Wire::Plain
    }
}

/// What the service does with one exchange, independent of how it is carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Refuse the connection.
    Refuse,
    /// Accept, read the request, then reset.
    Reset,
    /// Answer with `status`, announcing `content_length`, and write
    /// `body.len()` bytes in `chunks` (fewer than announced means: then close).
    Respond {
        /// HTTP status code.
        status: u16,
        /// The announced `Content-Length` (none for chunked or HTTP/1.0
        /// framing).
        content_length: Option<u32>,
        /// The body bytes actually written.
        body: Vec<u8>,
        /// The size of each write.
        chunk_size: u32,
        /// The offer, when the body is one a careful client can trust.
        offer: Option<Offer>,
        /// How the response is framed.
        wire: Wire,
        /// For a redirect: the hop of the request the `Location` names.
        redirect_to: Option<u32>,
    },
}

impl Plan {
    /// Whether the response is written in full once `body` is.
    pub fn whole(&self) -> bool {
        match self {
            Plan::Refuse | Plan::Reset => false,
            Plan::Respond { content_length, body, wire, .. } => {
                wire.completes() && content_length.is_none_or(|n| body.len() as u64 == u64::from(n))
            }
        }
    }
}

impl ServiceBehavior {
    /// The offer made to a client, with URLs under `base_url` (ending in `/`).
    pub fn offer(&self, base_url: &str) -> Offer {
        Offer {
            version: self.offered_version,
            response_url: self.response_url.url(base_url),
            package_url: format!("{base_url}package"),
            package_size: self.package_size,
        }
    }

    /// The offer's body as the service sends it: the offer's JSON, or what
    /// a hostile fault makes of it.
    pub fn offer_body(&self, offer: &Offer) -> Vec<u8> {
        let Offer { version, response_url, package_url, package_size } = offer;
        let field = |name: &str, value: String| format!("\"{name}\":{value}");
        let quoted = |s: &str| format!("\"{s}\"");
        let size = u64::from(*package_size);
        let mut fields = vec![
            field("version", quoted(&version.to_string())),
            field("response_url", quoted(response_url)),
            field("package_url", quoted(package_url)),
            field("package_size", size.to_string()),
        ];
        let after_scheme = package_url.strip_prefix("http://").unwrap_or(package_url);
        let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
        match self.fault {
            Some(Fault::OfferNotJson) => return b"<html><body>individualization offer</body></html>".to_vec(),
            Some(Fault::OfferMissingField) => {
                fields.remove(0);
            }
            Some(Fault::OfferExtraField) => {
                fields.push(field("mirror", quoted("http://127.0.0.1:1/unused")));
                fields.push(field("retry_after", "null".into()));
            }
            Some(Fault::OfferNullField) => fields[1] = field("response_url", "null".into()),
            Some(Fault::OfferWrongType) => fields[3] = field("package_size", quoted(&size.to_string())),
            Some(Fault::SizeNegative) => fields[3] = field("package_size", "-1".into()),
            Some(Fault::SizeZero) => fields[3] = field("package_size", "0".into()),
            Some(Fault::SizeOverDword) => fields[3] = field("package_size", (size + (1 << 32)).to_string()),
            Some(Fault::SizeMismatch) => fields[3] = field("package_size", (size + 1).to_string()),
            Some(Fault::UrlRelative) => fields[2] = field("package_url", quoted(path)),
            Some(Fault::UrlNotHttp) => fields[2] = field("package_url", quoted(&format!("ftp://{after_scheme}"))),
            Some(Fault::UrlOtherHost) => {
                let other = after_scheme.replacen("127.0.0.1", "127.0.0.2", 1);
                let other = if other == after_scheme { format!("other.invalid{path}") } else { other };
                fields[2] = field("package_url", quoted(&format!("http://{other}")));
            }
            _ => {}
        }
        format!("{{{}}}", fields.join(",")).into_bytes()
    }

    /// What the service does with the individualize request; `offer` is the
    /// offer it makes (see [`ServiceBehavior::offer`], with whatever the
    /// loopback service adds to its URLs) and `service_url` the URL prefix
    /// the client asked, against which a careful client reads the offer.
    pub fn plan_query(&self, offer: &Offer, service_url: &str) -> Plan {
        match self.fault {
            Some(Fault::Refused(Exchange::Query)) => Plan::Refuse,
            Some(Fault::Reset(Exchange::Query)) => Plan::Reset,
            Some(Fault::Unavailable(Exchange::Query)) => error(503),
            Some(Fault::DailyLimit) => error(429),
            fault => {
                let body = self.offer_body(offer);
                let trusted = Offer::parse(&body, service_url);
                let wire = fault.map_or(Wire::Plain, |f| f.wire_on(Exchange::Query));
                respond(200, body, trusted, wire)
            }
        }
    }

    /// What the service does with the package request; `hop` counts the
    /// redirects the service gave before this request (0 for the request of
    /// the offer's URL).
    pub fn plan_package(&self, hop: u32) -> Plan {
        let size = self.package_size;
        let sent = match self.fault {
            Some(Fault::Refused(Exchange::Package)) => return Plan::Refuse,
            Some(Fault::Reset(Exchange::Package)) => return Plan::Reset,
            Some(Fault::Unavailable(Exchange::Package)) => return error(503),
            Some(Fault::PackageMissing) => return error(404),
            Some(Fault::Redirect(r)) if hop == 0 => return redirect(r.status(), 1),
            Some(Fault::RedirectLoop) if hop < REDIRECT_LOOP_CAP => return redirect(302, hop + 1),
            Some(Fault::RedirectLoop) => return error(508),
            _ => self.package_written(),
        };
        let wire = self.fault.map_or(Wire::Plain, |f| f.wire_on(Exchange::Package));
        let mut body = package_bytes(sent, self.install_fails());
        let mut content_length = Some(size);
        match wire {
            Wire::Gzip => {
                body = gzip_stored(&body);
                content_length = Some(body.len() as u32);
            }
            Wire::Chunked | Wire::UntilClose => content_length = None,
            _ => {}
        }
        Plan::Respond {
            status: 200,
            content_length,
            body,
            chunk_size: self.pace.chunk_size.max(1),
            offer: None,
            wire,
            redirect_to: None,
        }
    }

    /// How many bytes of the package's body the service writes when it
    /// answers the package request with the package: its size, or less
    /// when a fault cuts the body short. Limits on what a case may make the
    /// service write are limits on this, not on the size it announces.
    pub fn package_written(&self) -> u32 {
        let size = self.package_size;
        match self.fault {
            Some(Fault::DropAfter(n)) => n.min(size.saturating_sub(1)),
            Some(Fault::ShortBody(missing)) => size.saturating_sub(missing.max(1)),
            Some(Fault::Http10Short) => size.saturating_sub(HTTP10_SHORT_BY),
            _ => size,
        }
    }

    /// Whether installing the package fails.
    pub fn install_fails(&self) -> bool {
        self.fault == Some(Fault::InstallFailure)
    }
}

/// A whole response in one write (an offer or an error), framed as `wire` says.
fn respond(status: u16, body: Vec<u8>, offer: Option<Offer>, wire: Wire) -> Plan {
    let body = if wire == Wire::Gzip { gzip_stored(&body) } else { body };
    let content_length = match wire {
        Wire::Chunked | Wire::UntilClose => None,
        _ => Some(body.len() as u32),
    };
    // What a careful client reads: a gzip body it did not ask for is no offer.
    let offer = if wire == Wire::Gzip { None } else { offer };
    Plan::Respond { status, content_length, chunk_size: body.len().max(1) as u32, body, offer, wire, redirect_to: None }
}

fn error(status: u16) -> Plan {
    respond(status, format!("{{\"error\":{status}}}").into_bytes(), None, Wire::Plain)
}

fn redirect(status: u16, hop: u32) -> Plan {
    Plan::Respond {
        status,
        content_length: Some(0),
        body: Vec::new(),
        chunk_size: 1,
        offer: None,
        wire: Wire::Plain,
        redirect_to: Some(hop),
    }
}

/// The package's bytes: byte `i` is `i mod 251`, so an installer can verify
/// it; a corrupt package (the install-failure fault) has every byte inverted.
fn package_bytes(len: u32, corrupt: bool) -> Vec<u8> {
    let flip = if corrupt { 0xFF } else { 0 };
    let cycle = package_cycle().map(|b| b ^ flip);
    // Whole cycles copied, not a byte at a time: every simulated and served
    // download builds its package.
    let mut bytes = Vec::with_capacity(len as usize);
    while bytes.len() < len as usize {
        let take = (len as usize - bytes.len()).min(cycle.len());
        bytes.extend_from_slice(&cycle[..take]);
    }
    bytes
}

/// One cycle of a good package: bytes 0 to 250.
fn package_cycle() -> [u8; 251] {
    std::array::from_fn(|i| i as u8)
}

/// Whether `bytes` are a good package (what an installer checks).
pub fn package_is_intact(bytes: &[u8]) -> bool {
    let cycle = package_cycle();
    bytes.chunks(cycle.len()).all(|chunk| chunk == &cycle[..chunk.len()])
}

/// `data` as a gzip stream (RFC 1952) of stored (uncompressed) deflate
/// blocks: a valid stream any gzip reader decodes, a little longer than
/// `data`, made without a compression library.
pub fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut blocks = data.chunks(0xFFFF).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        let len = block.len() as u16;
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE, reflected), bit by bit: the packages are small.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLITE: [Fault; 12] = [
        Fault::Unavailable(Exchange::Query),
        Fault::Unavailable(Exchange::Package),
        Fault::Refused(Exchange::Query),
        Fault::Refused(Exchange::Package),
        Fault::Reset(Exchange::Query),
        Fault::Reset(Exchange::Package),
        Fault::DropAfter(0),
        Fault::DropAfter(4096),
        Fault::ShortBody(1),
        Fault::DailyLimit,
        Fault::PackageMissing,
        Fault::InstallFailure,
    ];

    #[test]
    fn fault_names_read_back() {
        for fault in POLITE.into_iter().chain(CATALOGUE.iter().map(|h| h.fault)) {
            assert_eq!(Fault::from_name(&fault.name()), Some(fault), "{}", fault.name());
        }
        for name in ["", "reset", "reset-other", "drop-after-", "drop-after-x", "drop-after-012", "short-body--1"] {
            assert_eq!(Fault::from_name(name), None, "{name}");
        }
    }

    #[test]
    fn the_catalogue_names_each_hostile_fault_once() {
        let mut names = std::collections::HashSet::new();
        for h in CATALOGUE {
            assert!(names.insert(h.name), "{} twice", h.name);
            assert_eq!(h.case, format!("hostile-{}", h.name));
            assert!(!POLITE.contains(&h.fault), "{}", h.name);
            assert_eq!(CATALOGUE.iter().filter(|o| o.fault == h.fault).count(), 1, "{}", h.name);
        }
        // Every polite fault keeps its old name; no name is a Debug spelling.
        for fault in POLITE {
            assert!(fault.hostile().is_none());
            assert!(fault.name().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }

    fn base() -> ServiceBehavior {
        ServiceBehavior {
            offered_version: SecurityVersion([2, 4, 0, 1]),
            package_size: 4096,
            pace: Pace { chunk_size: 1024, delay_ms: 0, hold: false },
            fault: None,
            response_url: Default::default(),
        }
    }

    const URL: &str = "http://127.0.0.1:8080/c/1/";

    /// What a careful client makes of the offer `fault` plays.
    fn offer_under(fault: Option<Fault>) -> Option<Offer> {
        let service = ServiceBehavior { fault, ..base() };
        match service.plan_query(&service.offer(URL), URL) {
            Plan::Respond { offer, .. } => offer,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_careful_client_trusts_the_plain_and_the_extended_offer_only() {
        let plain = offer_under(None).expect("the plain offer is trusted");
        assert_eq!(plain, base().offer(URL));
        assert_eq!(offer_under(Some(Fault::OfferExtraField)), Some(plain));
        for fault in [
            Fault::OfferNotJson,
            Fault::OfferMissingField,
            Fault::OfferNullField,
            Fault::OfferWrongType,
            Fault::SizeNegative,
            Fault::SizeZero,
            Fault::SizeOverDword,
            Fault::UrlRelative,
            Fault::UrlNotHttp,
            Fault::UrlOtherHost,
            Fault::Gzip(Exchange::Query),
        ] {
            assert_eq!(offer_under(Some(fault)), None, "{}", fault.name());
        }
        // The size mismatch shows only against the package's Content-Length.
        assert_eq!(offer_under(Some(Fault::SizeMismatch)).map(|o| o.package_size), Some(4097));
    }

    #[test]
    fn an_offer_is_read_against_the_service_it_came_from() {
        let body = String::from_utf8(base().offer_body(&base().offer(URL))).expect("UTF-8");
        assert!(Offer::parse(body.as_bytes(), URL).is_some());
        assert!(Offer::parse(body.as_bytes(), "http://127.0.0.1:8081/c/1/").is_some(), "another port of the host");
        assert!(Offer::parse(body.as_bytes(), "http://127.0.0.2:8080/c/1/").is_none());
        assert!(Offer::parse(body.as_bytes(), "https://127.0.0.1:8080/c/1/").is_none());
        let longer_host = body.replace("127.0.0.1:8080/c", "127.0.0.10:8080/c");
        assert!(Offer::parse(longer_host.as_bytes(), URL).is_none());
        let userinfo = body.replace("127.0.0.1:8080/c", "127.0.0.1:8080@127.0.0.2/c");
        assert!(Offer::parse(userinfo.as_bytes(), URL).is_none());
        let biggest = body.replace(":4096}", &format!(":{}}}", u32::MAX));
        assert_eq!(Offer::parse(biggest.as_bytes(), URL).map(|o| o.package_size), Some(u32::MAX));
        let twice = body.replace("}", ",\"package_size\":4096}");
        assert!(Offer::parse(twice.as_bytes(), URL).is_none(), "a duplicated field is refused");
    }

    #[test]
    fn redirects_name_the_next_hop_and_a_loop_ends_in_508() {
        let once = ServiceBehavior { fault: Some(Fault::Redirect(Redirect::TemporaryRedirect)), ..base() };
        assert!(matches!(once.plan_package(0), Plan::Respond { status: 307, redirect_to: Some(1), .. }));
        assert!(matches!(once.plan_package(1), Plan::Respond { status: 200, redirect_to: None, .. }));
        let looping = ServiceBehavior { fault: Some(Fault::RedirectLoop), ..base() };
        for hop in 0..REDIRECT_LOOP_CAP {
            assert!(
                matches!(looping.plan_package(hop), Plan::Respond { status: 302, redirect_to: Some(h), .. } if h == hop + 1)
            );
        }
        assert!(matches!(looping.plan_package(REDIRECT_LOOP_CAP), Plan::Respond { status: 508, .. }));
    }

    #[test]
    fn framings_without_a_length_or_with_a_broken_head_are_planned_as_such() {
        let plan = |fault| ServiceBehavior { fault: Some(fault), ..base() }.plan_package(0);
        assert!(matches!(
            plan(Fault::Chunked(Exchange::Package)),
            Plan::Respond { content_length: None, wire: Wire::Chunked, .. }
        ));
        let short = plan(Fault::Http10Short);
        assert!(matches!(&short, Plan::Respond { content_length: None, body, .. } if body.len() == 4096 - 100));
        assert!(short.whole(), "an HTTP/1.0 body is whole when the connection closes");
        assert!(!plan(Fault::ConflictingLength(Exchange::Package)).whole());
        assert!(!plan(Fault::CutHeaders(Exchange::Package)).whole());
        assert!(plan(Fault::LongBody(Exchange::Package)).whole());
        assert!(!plan(Fault::ShortBody(1)).whole());
    }

    #[test]
    fn crc32_and_gzip_match_the_standard() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // `printf '' | gzip -n` less the header's OS byte: an empty stored stream.
        let empty = gzip_stored(b"");
        assert_eq!(&empty[10..], &[1, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]);
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        let gz = gzip_stored(&data);
        assert_eq!(gz.len(), 10 + 2 * 5 + data.len() + 8);
        assert_eq!(gz[10], 0, "the first of two blocks is not the last");
        assert_eq!(gz[10 + 5 + 0xFFFF], 1, "the second block is the last");
    }

    #[test]
    fn what_each_fault_expects() {
        assert_eq!(Fault::DailyLimit.expected(), Expected::FailsEverySession);
        assert_eq!(Fault::PackageMissing.expected(), Expected::FailsPackageSessions);
        assert_eq!(Fault::OfferNotJson.expected(), Expected::FailsEverySession);
        assert_eq!(Fault::SizeZero.expected(), Expected::FailsPackageSessions);
        assert_eq!(Fault::ConflictingLength(Exchange::Query).expected(), Expected::FailsEverySession);
        assert_eq!(Fault::ConflictingLength(Exchange::Package).expected(), Expected::FailsPackageSessions);
        assert_eq!(Fault::Chunked(Exchange::Query).expected(), Expected::Recoverable);
        assert_eq!(Fault::RedirectLoop.expected(), Expected::FailsPackageSessions);
        assert_eq!(Fault::Redirect(Redirect::Found).expected(), Expected::Recoverable);
    }
}
