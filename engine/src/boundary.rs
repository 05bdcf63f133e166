//! The boundary catalogue: for every comparison the spec's rules make and
//! every value an engine must copy, the values at its edges, in one place.
//!
//! A defect that lives at a boundary (versions compared as text, a total
//! kept in 16 bits, a URL rebuilt without its query) passes every case that
//! never offers the boundary's value. [`CATALOGUE`] lists those values; the
//! named `boundary-*` cases are built from it ([`named_cases`]), the
//! generated cases draw from it with a high weight (`Arbitrary for
//! Scenario`, and so the proptest strategies, `--random` and the fuzz
//! target `engine_scenario`), and [`reached`] says which entries a case
//! exercises, for the coverage `indiv certify` reports.
//!
//! Two sides:
//!
//! - **Case** entries are values a case gives an engine: the component's,
//!   the content's and the service's versions, the package's size, the
//!   shape of the response URL, the flags of a call. Whether a case reaches
//!   one is judged on the reference engine's play of the case (the
//!   simulation, [`reached`]): a case reaches an entry when an engine that
//!   does what the case asks meets the value where the rule compares or
//!   copies it (an `Open` made while the component has this relation to the
//!   required version, a status whose total is this size, a status carrying
//!   this URL), so the coverage of a run does not depend on the engine
//!   under test.
//! - **Trace** entries are spellings a trace may use for one value
//!   (HRESULTs by name and by number, on both sides of the severity bit).
//!   An engine chooses how it spells its HRESULTs, so no case can make it
//!   use one; the trace checker meets them, through the fuzz targets'
//!   seeds and dictionaries and the property suite of `indiv-gen`.
//!
//! The third number of a version is always 0 in the spec's version form
//! (GetSecurityVersion's page: "The third number is always set to 0"), so
//! no entry varies it; the fourth number's 0 and 1 are the
//! `not-individualized` relation.

use indiv_spec::record::{Body, Event, Status};
use indiv_spec::vocab::{Hresult, IndiStatus, RequiredVersion, SecurityFlag, SecurityVersion};

use crate::core::AppCall;
use crate::scenario::{Named, Scenario, Step, Trigger};
use crate::service::{Exchange, Fault, Pace, ServiceBehavior, UrlShape};
use crate::sim::{SIM_BASE_URL, Simulation};

/// How a component's version stands to another version's major and minor
/// numbers (the two numbers a content header requires, or the offered
/// version's). A pair may stand in several relations at once (2.10 to 2.9
/// is both [`Relation::MinorOneAbove`] and [`Relation::MinorWiderAbove`]).
/// Every relation but [`Relation::NotIndividualized`] is of an
/// individualized component: a component never individualized is outdated
/// for any content whatever its numbers, so its numbers decide nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The same major and minor, the component individualized.
    Equal,
    /// The same major and minor, the component never individualized (its
    /// fourth number 0): outdated whatever its numbers.
    NotIndividualized,
    /// The same major, the component's minor one above.
    MinorOneAbove,
    /// The same major, the component's minor one below.
    MinorOneBelow,
    /// The component's major one above, its minor below: the major decides.
    MajorOneAbove,
    /// The component's major one below, its minor above: the major decides.
    MajorOneBelow,
    /// The same major, the component's minor above and of more digits, so
    /// that it is below as text (2.10 against 2.9).
    MinorWiderAbove,
    /// The same major, the component's minor below and of fewer digits, so
    /// that it is above as text (2.9 against 2.10).
    MinorWiderBelow,
    /// The component's major above and of more digits, so that it is below
    /// as text (10.1 against 9.1).
    MajorWiderAbove,
    /// The component's major below and of fewer digits, so that it is above
    /// as text (9.1 against 10.1).
    MajorWiderBelow,
}

impl Relation {
    /// Every relation.
    pub const ALL: [Relation; 10] = [
        Relation::Equal,
        Relation::NotIndividualized,
        Relation::MinorOneAbove,
        Relation::MinorOneBelow,
        Relation::MajorOneAbove,
        Relation::MajorOneBelow,
        Relation::MinorWiderAbove,
        Relation::MinorWiderBelow,
        Relation::MajorWiderAbove,
        Relation::MajorWiderBelow,
    ];

    /// Whether `component` stands in this relation to `other` (major, minor).
    pub fn holds(self, component: SecurityVersion, other: (u32, u32)) -> bool {
        let (major, minor) = component.major_minor();
        let (o_major, o_minor) = other;
        if (self == Relation::NotIndividualized) == component.is_individualized() {
            return false;
        }
        let text = |a: u32, b: u32| format!("{a}.{b}");
        let (mine, theirs) = (text(major, minor), text(o_major, o_minor));
        match self {
            Relation::Equal | Relation::NotIndividualized => (major, minor) == other,
            Relation::MinorOneAbove => major == o_major && Some(minor) == o_minor.checked_add(1),
            Relation::MinorOneBelow => major == o_major && minor.checked_add(1) == Some(o_minor),
            Relation::MajorOneAbove => Some(major) == o_major.checked_add(1) && minor < o_minor,
            Relation::MajorOneBelow => major.checked_add(1) == Some(o_major) && minor > o_minor,
            Relation::MinorWiderAbove => major == o_major && minor > o_minor && mine < theirs,
            Relation::MinorWiderBelow => major == o_major && minor < o_minor && mine > theirs,
            Relation::MajorWiderAbove => major > o_major && mine < theirs,
            Relation::MajorWiderBelow => major < o_major && mine > theirs,
        }
    }

    /// A component and another version's major and minor in this relation,
    /// around `base` (major and minor, each taken from 1 to 1,000).
    pub fn example(self, base: (u32, u32)) -> (SecurityVersion, (u32, u32)) {
        let (a, b) = (base.0.clamp(1, 1_000), base.1.clamp(1, 1_000));
        let component = |major: u32, minor: u32| SecurityVersion([major, minor, 0, 1]);
        match self {
            Relation::Equal => (component(a, b), (a, b)),
            Relation::NotIndividualized => (SecurityVersion([a, b, 0, 0]), (a, b)),
            Relation::MinorOneAbove => (component(a, b + 1), (a, b)),
            Relation::MinorOneBelow => (component(a, b), (a, b + 1)),
            Relation::MajorOneAbove => (component(a + 1, b - 1), (a, b)),
            Relation::MajorOneBelow => (component(a, b + 1), (a + 1, b)),
            Relation::MinorWiderAbove => (component(a, 10), (a, 9)),
            Relation::MinorWiderBelow => (component(a, 9), (a, 10)),
            Relation::MajorWiderAbove => (component(10, b), (9, b)),
            Relation::MajorWiderBelow => (component(9, b), (10, b)),
        }
    }

    /// A major and minor that `component` stands in this relation to, if
    /// there is one near it.
    pub fn other_for(self, component: SecurityVersion) -> Option<(u32, u32)> {
        let (a, b) = component.major_minor();
        let candidate = match self {
            Relation::Equal | Relation::NotIndividualized => Some((a, b)),
            Relation::MinorOneAbove => b.checked_sub(1).map(|b| (a, b)),
            Relation::MinorOneBelow => b.checked_add(1).map(|b| (a, b)),
            Relation::MajorOneAbove => a.checked_sub(1).zip(b.checked_add(1)),
            Relation::MajorOneBelow => a.checked_add(1).zip(b.checked_sub(1)),
            Relation::MinorWiderAbove => Some((a, 9)),
            Relation::MinorWiderBelow => Some((a, 10)),
            Relation::MajorWiderAbove => Some((9, b)),
            Relation::MajorWiderBelow => Some((10, b)),
        };
        candidate.filter(|other| self.holds(component, *other))
    }

    /// Its stable name.
    pub fn name(self) -> &'static str {
        match self {
            Relation::Equal => "equal",
            Relation::NotIndividualized => "not-individualized",
            Relation::MinorOneAbove => "minor-one-above",
            Relation::MinorOneBelow => "minor-one-below",
            Relation::MajorOneAbove => "major-one-above",
            Relation::MajorOneBelow => "major-one-below",
            Relation::MinorWiderAbove => "minor-wider-above",
            Relation::MinorWiderBelow => "minor-wider-below",
            Relation::MajorWiderAbove => "major-wider-above",
            Relation::MajorWiderBelow => "major-wider-below",
        }
    }
}

/// One boundary value, by the comparison or copy it sits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Boundary {
    /// `Open` while the component stands in this relation to the content's
    /// required version (READER-NEEDS-WHEN-OUTDATED).
    Required(Relation),
    /// An accepted `PerformSecurityUpdate(WMDRM_SECURITY_PERFORM_INDIV)`
    /// whose offer arrives while the component stands in this relation to
    /// the offered version (SECURITY-AS-NEEDED).
    Offered(Relation),
    /// A status whose `dwHTTPReadTotal` is this many bytes: the package's
    /// announced length (SERVICE-TOTAL-MATCHES, PROGRESS-WITHIN-TOTAL).
    Total(u32),
    /// A status whose progress equals its non-zero total (PROGRESS-WITHIN-TOTAL).
    ProgressAtTotal,
    /// A status whose progress is one below its non-zero total.
    ProgressOneShort,
    /// A status carrying a response URL of this shape (SERVICE-URL-MATCHES,
    /// STATUS-URL-FORM, HTTP-URL-STABLE).
    Url(UrlShape),
    /// `Individualize` with these flags (READER-FLAGS-VALID).
    IndividualizeFlags(u32),
    /// `PerformSecurityUpdate` with these flags (SECURITY-FLAGS-ONE).
    SecurityFlags(u32),
    /// An HRESULT as a trace may spell it: this JSON value (a name or hex
    /// string, an unsigned or signed integer), which reads as this code (a
    /// trace entry).
    HresultSpelling(&'static str, u32),
}

/// Which side of the engine a boundary is on (see the module's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// A value a case gives an engine; `indiv certify` reports its coverage.
    Case,
    /// A spelling a trace may use; the trace checker's fuzz targets and
    /// property suite use it.
    Trace,
}

/// A catalogue entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The boundary.
    pub boundary: Boundary,
    /// Its stable id, e.g. `required/wider-below`, `total/65537`.
    pub id: &'static str,
    /// The rules whose comparison it sits on.
    pub rules: &'static [&'static str],
    /// The named case that reaches it (`boundary-...`), for a case entry.
    pub case: Option<&'static str>,
}

impl Entry {
    /// Its side.
    pub fn side(&self) -> Side {
        match self.boundary {
            Boundary::HresultSpelling(..) => Side::Trace,
            _ => Side::Case,
        }
    }
}

/// The sizes of [`Boundary::Total`] entries: one byte, each side of 16 bits,
/// each side of the sign bit of 32, and a DWORD's largest value.
pub const TOTALS: [u32; 7] = [1, 65_535, 65_536, 65_537, 0x7FFF_FFFF, 0x8000_0000, u32::MAX];

/// The largest package the service writes in full; a case with a larger
/// `package_size` cuts it with a fault ([`cut_fault`], see
/// [`ServiceBehavior::package_written`]),
/// so that the 2 GiB and 4 GiB totals are announced, and met by the
/// engine's total, without gigabytes crossing the loopback.
pub const MAX_WHOLE_PACKAGE: u32 = 1 << 20;

/// How many bytes of a package larger than [`MAX_WHOLE_PACKAGE`] the
/// named cases and generated cases let through before the connection drops.
pub const CUT_PACKAGE_AFTER: u32 = 65_536;

/// `Individualize` flags at the edges: both valid values, the next bit,
/// a valid bit with another, the high bit alone and with a valid bit.
pub const INDIVIDUALIZE_FLAGS: [u32; 6] = [0, 1, 2, 3, 0x8000_0000, 0x8000_0001];

/// The minor numbers generated versions are built around: small ones, and
/// those on each side of a second digit.
pub const MINORS: [u32; 8] = [0, 1, 2, 4, 6, 9, 10, 99];

/// `PerformSecurityUpdate` flags at the edges: the three valid values, none,
/// each combination of two or three, the next bit, the high bit with a
/// valid bit, every bit.
pub const SECURITY_FLAGS: [u32; 11] = [1, 2, 4, 0, 3, 5, 6, 7, 8, 0x8000_0004, u32::MAX];

macro_rules! entry {
    ($boundary:expr, $id:literal, $case:expr, [$($rule:literal),*]) => {
        Entry { boundary: $boundary, id: $id, rules: &[$($rule),*], case: $case }
    };
}

/// Every boundary, case entries first.
#[rustfmt::skip]
pub const CATALOGUE: &[Entry] = &[
    entry!(Boundary::Required(Relation::Equal), "required/equal", Some("boundary-version-equal"), ["READER-NEEDS-WHEN-OUTDATED", "READER-NO-RIGHTS-AFTER-SUCCEED"] ),
    entry!(Boundary::Required(Relation::NotIndividualized), "required/not-individualized", Some("boundary-version-not-individualized"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MinorOneAbove), "required/minor-one-above", Some("boundary-version-minor-one-above"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MinorOneBelow), "required/minor-one-below", Some("boundary-version-minor-one-below"), ["READER-NEEDS-WHEN-OUTDATED", "READER-NO-RIGHTS-AFTER-SUCCEED"] ),
    entry!(Boundary::Required(Relation::MajorOneAbove), "required/major-one-above", Some("boundary-version-major-one-above"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MajorOneBelow), "required/major-one-below", Some("boundary-version-major-one-below"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MinorWiderAbove), "required/minor-wider-above", Some("boundary-version-minor-wider-above"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MinorWiderBelow), "required/minor-wider-below", Some("boundary-version-minor-wider-below"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MajorWiderAbove), "required/major-wider-above", Some("boundary-version-major-wider-above"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Required(Relation::MajorWiderBelow), "required/major-wider-below", Some("boundary-version-major-wider-below"), ["READER-NEEDS-WHEN-OUTDATED"] ),
    entry!(Boundary::Offered(Relation::Equal), "offered/equal", Some("boundary-version-equal"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::NotIndividualized), "offered/not-individualized", Some("boundary-version-not-individualized"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MinorOneAbove), "offered/minor-one-above", Some("boundary-version-minor-one-above"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MinorOneBelow), "offered/minor-one-below", Some("boundary-version-minor-one-below"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MajorOneAbove), "offered/major-one-above", Some("boundary-version-major-one-above"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MajorOneBelow), "offered/major-one-below", Some("boundary-version-major-one-below"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MinorWiderAbove), "offered/minor-wider-above", Some("boundary-version-minor-wider-above"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MinorWiderBelow), "offered/minor-wider-below", Some("boundary-version-minor-wider-below"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MajorWiderAbove), "offered/major-wider-above", Some("boundary-version-major-wider-above"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Offered(Relation::MajorWiderBelow), "offered/major-wider-below", Some("boundary-version-major-wider-below"), ["SECURITY-AS-NEEDED", "SESSION-SUCCEED-INSTALLED"] ),
    entry!(Boundary::Total(1), "total/1", Some("boundary-total-1"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"]),
    entry!(Boundary::Total(65_535), "total/65535", Some("boundary-total-65535"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::Total(65_536), "total/65536", Some("boundary-total-65536"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::Total(65_537), "total/65537", Some("boundary-total-65537"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::Total(0x7FFF_FFFF), "total/2147483647", Some("boundary-total-2147483647"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::Total(0x8000_0000), "total/2147483648", Some("boundary-total-2147483648"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::Total(u32::MAX), "total/4294967295", Some("boundary-total-4294967295"), ["SERVICE-TOTAL-MATCHES", "PROGRESS-WITHIN-TOTAL"] ),
    entry!(Boundary::ProgressAtTotal, "progress/at-total", Some("boundary-total-65537"), ["PROGRESS-WITHIN-TOTAL", "SERVICE-PROGRESS-REAL"] ),
    entry!(Boundary::ProgressOneShort, "progress/one-short", Some("boundary-total-1"), ["PROGRESS-WITHIN-TOTAL", "SERVICE-PROGRESS-REAL"] ),
    entry!(Boundary::Url(UrlShape::Query), "url/query", Some("boundary-url-query"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::EmptyQuery), "url/empty-query", Some("boundary-url-empty-query"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::PercentEncoded), "url/percent-encoded", Some("boundary-url-percent-encoded"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::DefaultPort), "url/default-port", Some("boundary-url-default-port"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::LoopbackLiteralMaxPort), "url/loopback-literal-max-port", Some("boundary-url-loopback-literal-max-port"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::DotSegments), "url/dot-segments", Some("boundary-url-dot-segments"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::LongPath), "url/long-path", Some("boundary-url-long-path"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::Url(UrlShape::UpperCaseScheme), "url/upper-case-scheme", Some("boundary-url-upper-case-scheme"), ["SERVICE-URL-MATCHES", "SERVICE-URL-VERBATIM", "STATUS-URL-FORM", "HTTP-URL-STABLE"] ),
    entry!(Boundary::IndividualizeFlags(0), "flags/individualize/0x0", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::IndividualizeFlags(1), "flags/individualize/0x1", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::IndividualizeFlags(2), "flags/individualize/0x2", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::IndividualizeFlags(3), "flags/individualize/0x3", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::IndividualizeFlags(0x8000_0000), "flags/individualize/0x80000000", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::IndividualizeFlags(0x8000_0001), "flags/individualize/0x80000001", Some("boundary-flags-individualize"), ["READER-FLAGS-VALID"] ),
    entry!(Boundary::SecurityFlags(1), "flags/security/0x1", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE", "SECURITY-AS-NEEDED"] ),
    entry!(Boundary::SecurityFlags(2), "flags/security/0x2", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE", "SECURITY-REVOCATION-ONLY"] ),
    entry!(Boundary::SecurityFlags(4), "flags/security/0x4", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE", "SECURITY-FORCE"] ),
    entry!(Boundary::SecurityFlags(0), "flags/security/0x0", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(3), "flags/security/0x3", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(5), "flags/security/0x5", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(6), "flags/security/0x6", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(7), "flags/security/0x7", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(8), "flags/security/0x8", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"]),
    entry!(Boundary::SecurityFlags(0x8000_0004), "flags/security/0x80000004", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"] ),
    entry!(Boundary::SecurityFlags(u32::MAX), "flags/security/0xFFFFFFFF", Some("boundary-flags-security"), ["SECURITY-FLAGS-ONE"] ),
    entry!(Boundary::HresultSpelling(r#""E_INVALIDARG""#, 0x8007_0057), "hresult/by-name", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0x80070057""#, 0x8007_0057), "hresult/known-by-hex", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0xc00d272c""#, 0xC00D_272C), "hresult/lower-case-hex", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0X8000FFFF""#, 0x8000_FFFF), "hresult/upper-case-prefix", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling("2147942487", 0x8007_0057), "hresult/unsigned-integer", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling("-2147024809", 0x8007_0057), "hresult/signed-integer", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0x7FFFFFFF""#, 0x7FFF_FFFF), "hresult/last-success", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling("2147483647", 0x7FFF_FFFF), "hresult/last-success-integer", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0x80000000""#, 0x8000_0000), "hresult/first-failure", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling("-2147483648", 0x8000_0000), "hresult/first-failure-signed", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""0x80004005""#, 0x8000_4005), "hresult/unnamed-failure", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
    entry!(Boundary::HresultSpelling(r#""NS_S_DRM_INDIVIDUALIZED""#, 0x000D_2727), "hresult/named-success", None, ["STATUS-HR-MATCHES", "SECURITY-COMPLETED-MATCHES"]),
];

/// The case entries of the catalogue, in its order.
pub fn case_entries() -> impl Iterator<Item = &'static Entry> {
    CATALOGUE.iter().filter(|e| e.side() == Side::Case)
}

/// The trace entries: each HRESULT spelling (a JSON value) with the code
/// it reads as.
pub fn hresult_spellings() -> impl Iterator<Item = (&'static Entry, &'static str, Hresult)> {
    CATALOGUE.iter().filter_map(|e| match e.boundary {
        Boundary::HresultSpelling(json, value) => Some((e, json, Hresult(value))),
        _ => None,
    })
}

/// Which case entries of [`CATALOGUE`] `scenario` reaches, as a mask over
/// the catalogue's indices: judged on the reference engine's play of the
/// scenario (see the module's doc).
pub fn reached(scenario: &Scenario) -> Reached {
    let mut hit = Reached::default();
    let service = scenario.service;
    let offered = service.offered_version.major_minor();
    let mut sim = Simulation::new(scenario.component_version, service);
    // Accepted as-needed updates: where their records start, and the
    // relations of the component to the offer; the versions are compared
    // only if the offer reaches the session.
    let mut as_needed: Vec<(usize, Vec<Relation>)> = Vec::new();
    // READER-NEEDS-WHEN-OUTDATED does not judge whether an Open owes the
    // notice after a security-path success until a reader session succeeds
    // (stale reader objects): such an Open compares nothing.
    let (mut stale_readers, mut seen) = (false, 0);
    for step in &scenario.steps {
        sim.advance(step.trigger);
        stale_readers = stale_after(&sim.trace()[seen..], stale_readers);
        seen = sim.trace().len();
        let component = sim.engine().component_version();
        match step.call {
            AppCall::Open { required } if !stale_readers => {
                for r in Relation::ALL.into_iter().filter(|r| r.holds(component, (required.major, required.minor))) {
                    hit.mark(Boundary::Required(r));
                }
            }
            AppCall::Individualize { flags } => hit.mark(Boundary::IndividualizeFlags(flags)),
            AppCall::PerformSecurityUpdate { flags } => hit.mark(Boundary::SecurityFlags(flags)),
            _ => {}
        }
        let start = sim.trace().len();
        let hr = sim.call(&step.call);
        if step.call == (AppCall::PerformSecurityUpdate { flags: SecurityFlag::Indiv.value() }) && hr.is_success() {
            // Against an offer (always individualized), "not individualized"
            // is the fourth number one below the offer's.
            let relations = Relation::ALL.into_iter().filter(|r| r.holds(component, offered));
            as_needed.push((start, relations.collect()));
        }
    }
    sim.settle();
    let response_url = service.offer(SIM_BASE_URL).response_url;
    for record in sim.trace() {
        let (Body::Status { status: Status::Individualize(value), .. }
        | Body::Event { event: Event::Progress(value), .. }) = &record.body
        else {
            continue;
        };
        let (progress, total) = (value.progress, value.total);
        if total > 0 {
            hit.mark(Boundary::Total(total));
            if progress == total {
                hit.mark(Boundary::ProgressAtTotal);
            }
            if progress.checked_add(1) == Some(total) {
                hit.mark(Boundary::ProgressOneShort);
            }
        }
        if value.url.as_deref() == Some(response_url.as_str()) {
            hit.mark(Boundary::Url(service.response_url));
        }
    }
    for (start, relations) in as_needed {
        if offer_reached_session(&sim.trace()[start..]) {
            for r in relations {
                hit.mark(Boundary::Offered(r));
            }
        }
    }
    hit
}

/// Whether reader objects are stale (see [`reached`]) after `records`, given
/// whether they were before: a security-path success makes them so, a
/// reader-path success not.
fn stale_after(records: &[indiv_spec::record::Record<'_>], mut stale: bool) -> bool {
    for record in records {
        match &record.body {
            Body::Event { event: Event::Progress(value), .. } if value.indi_status() == Some(IndiStatus::Succeed) => {
                stale = true;
            }
            Body::Status { status: Status::Individualize(value), .. }
                if value.indi_status() == Some(IndiStatus::Succeed) =>
            {
                stale = false;
            }
            _ => {}
        }
    }
    stale
}

/// Whether the security session whose records begin `records` got its
/// offer: one of its Progress events, up to its terminal one, carries the
/// response URL (the reference engine reports it once the offer is read).
fn offer_reached_session(records: &[indiv_spec::record::Record<'_>]) -> bool {
    for record in records {
        if let Body::Event { event: Event::Progress(value), .. } = &record.body {
            if value.url.is_some() {
                return true;
            }
            if matches!(value.indi_status(), Some(IndiStatus::Succeed | IndiStatus::Fail | IndiStatus::Cancel)) {
                return false;
            }
        }
    }
    false
}

/// The case entries a case (or a run) reached: a bit per catalogue index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reached(u128);

impl Reached {
    fn mark(&mut self, boundary: Boundary) {
        if let Some(i) = CATALOGUE.iter().position(|e| e.boundary == boundary) {
            self.0 |= 1 << i;
        }
    }

    /// Whether catalogue entry `entry` was reached.
    pub fn has(&self, entry: &Entry) -> bool {
        CATALOGUE.iter().position(|e| e == entry).is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// The entries of both.
    pub fn union(self, other: Reached) -> Reached {
        Reached(self.0 | other.0)
    }

    /// The case entries reached, in the catalogue's order.
    pub fn entries(self) -> impl Iterator<Item = &'static Entry> {
        case_entries().filter(move |e| self.has(e))
    }

    /// The case entries not reached, in the catalogue's order.
    pub fn missing(self) -> impl Iterator<Item = &'static Entry> {
        case_entries().filter(move |e| !self.has(e))
    }
}

// The mask holds every entry.
const _: () = assert!(CATALOGUE.len() <= 128);

/// The named `boundary-*` cases: each case entry's `case`, built from the
/// entries that name it. Each reaches its entries (a test holds them to it).
pub fn named_cases() -> Vec<Named> {
    let mut names: Vec<&'static str> = Vec::new();
    for case in case_entries().filter_map(|e| e.case) {
        if !names.contains(&case) {
            names.push(case);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let entries: Vec<&Entry> = case_entries().filter(|e| e.case == Some(name)).collect();
            let (about, scenario) = case_for(&entries);
            Named { name, about, scenario }
        })
        .collect()
}

fn step(trigger: Trigger, call: AppCall) -> Step {
    Step { trigger, call }
}

/// The scenario of a named boundary case and what it shows, from the first
/// of its entries (those of one case are of one kind).
fn case_for(entries: &[&Entry]) -> (&'static str, Scenario) {
    let base = ServiceBehavior {
        offered_version: SecurityVersion([2, 4, 0, 1]),
        package_size: 65_536,
        pace: Pace { chunk_size: 16_384, delay_ms: 0, hold: false },
        fault: None,
        response_url: UrlShape::Plain,
    };
    let old = SecurityVersion([2, 1, 0, 0]);
    let reader_session = vec![
        step(Trigger::Now, AppCall::Individualize { flags: 1 }),
        step(Trigger::WhenIdle, AppCall::GetSecurityVersion),
    ];
    let scenario = |component, service, steps| Scenario { component_version: component, service, steps, install_ms: 0 };
    match entries.first().map(|e| e.boundary) {
        Some(Boundary::Required(relation) | Boundary::Offered(relation)) => {
            let (component, (major, minor)) = relation.example((2, 4));
            let offered_version = SecurityVersion([major, minor, 0, 1]);
            let steps = vec![
                step(Trigger::Now, AppCall::Open { required: RequiredVersion { major, minor } }),
                step(Trigger::Now, AppCall::PerformSecurityUpdate { flags: SecurityFlag::Indiv.value() }),
                step(Trigger::WhenIdle, AppCall::GetSecurityVersion),
            ];
            (
                "Open, then PerformSecurityUpdate(INDIV), with the component's version at a boundary of the content's required version and of the offered version (the same major and minor)",
                scenario(component, ServiceBehavior { offered_version, ..base }, steps),
            )
        }
        Some(Boundary::Total(_) | Boundary::ProgressAtTotal | Boundary::ProgressOneShort) => {
            let size = match entries[0].boundary {
                Boundary::Total(size) => size,
                _ => 65_537,
            };
            let service = ServiceBehavior {
                package_size: size,
                fault: cut_fault(size),
                pace: Pace { chunk_size: size.clamp(1, 16_384), ..base.pace },
                ..base
            };
            (
                "Individualize(0x1) with a package size at a DWORD boundary (above 1 MiB the connection drops after 64 KiB, so the session fails)",
                scenario(old, service, reader_session),
            )
        }
        Some(Boundary::Url(shape)) => (
            "Individualize(0x1) against a service whose response_url has a shape a URL library may rewrite",
            scenario(old, ServiceBehavior { response_url: shape, ..base }, reader_session),
        ),
        Some(Boundary::IndividualizeFlags(_)) => {
            // The invalid values first, while no success has locked the
            // client, so that only the flags decide each call's answer.
            let (valid, invalid): (Vec<u32>, Vec<u32>) = INDIVIDUALIZE_FLAGS.iter().partition(|f| **f <= 1);
            let steps = invalid
                .into_iter()
                .chain(valid)
                .map(|flags| step(Trigger::WhenIdle, AppCall::Individualize { flags }))
                .chain([step(Trigger::WhenIdle, AppCall::GetSecurityVersion)])
                .collect();
            ("Individualize with each flags value at the edges, one after the other", scenario(old, base, steps))
        }
        Some(Boundary::SecurityFlags(_)) => {
            let steps = SECURITY_FLAGS
                .iter()
                .map(|&flags| step(Trigger::WhenIdle, AppCall::PerformSecurityUpdate { flags }))
                .chain([step(Trigger::WhenIdle, AppCall::GetSecurityVersion)])
                .collect();
            (
                "PerformSecurityUpdate with each flags value at the edges, one after the other",
                scenario(old, base, steps),
            )
        }
        Some(Boundary::HresultSpelling(..)) | None => ("", scenario(old, base, Vec::new())),
    }
}

/// The case entry generated case `random-SEED` aims at: the case entries
/// in turn, so that any run of as many consecutive seeds as there are case
/// entries aims at each of them once.
pub fn aim_of_seed(seed: u64) -> &'static Entry {
    let count = case_entries().count() as u64;
    // `seed % count` is below the number of case entries.
    case_entries().nth((seed % count) as usize).unwrap_or(&CATALOGUE[0])
}

/// `scenario` aimed at `entry`: a first call that meets the entry's value
/// (and, where the value is one the service gives, the service set to give
/// it, and its fault kept only if it cannot stop the value from arriving).
/// Where the value arrives during a session, the script's next call waits
/// until the session is over ([`Trigger::WhenIdle`]), so that no later call
/// cancels it first. The rest of the script is kept (the last step dropped
/// if it would exceed [`crate::scenario::MAX_STEPS`]); a test holds every
/// aimed scenario to reach its entry.
pub fn aim(mut scenario: Scenario, entry: &Entry) -> Scenario {
    let service = &mut scenario.service;
    let package_fault = service.fault.filter(|f| f.played_on() == Exchange::Package && f.hostile().is_none());
    let force = AppCall::PerformSecurityUpdate { flags: SecurityFlag::ForceIndiv.value() };
    let (call, barrier) = match entry.boundary {
        Boundary::Required(relation) => {
            let component = scenario.component_version;
            let (major, minor) = relation.other_for(component).unwrap_or_else(|| {
                let (component, other) = relation.example(component.major_minor());
                scenario.component_version = component;
                other
            });
            (AppCall::Open { required: RequiredVersion { major, minor } }, false)
        }
        Boundary::Offered(relation) => {
            let (component, (major, minor)) = match relation.other_for(scenario.component_version) {
                Some(other) => (scenario.component_version, other),
                None => relation.example(scenario.component_version.major_minor()),
            };
            scenario.component_version = component;
            service.offered_version = SecurityVersion([major, minor, 0, 1]);
            service.fault = cut_fault(service.package_size).or(package_fault);
            (AppCall::PerformSecurityUpdate { flags: SecurityFlag::Indiv.value() }, true)
        }
        Boundary::Total(size) => {
            service.package_size = size;
            service.pace.chunk_size = service.pace.chunk_size.max(size.min(MAX_WHOLE_PACKAGE) / 64).max(1);
            service.fault = cut_fault(size);
            (force, true)
        }
        Boundary::ProgressAtTotal | Boundary::ProgressOneShort => {
            service.package_size = service.package_size.min(MAX_WHOLE_PACKAGE);
            service.fault = (entry.boundary == Boundary::ProgressOneShort).then_some(Fault::ShortBody(1));
            (force, true)
        }
        Boundary::Url(shape) => {
            service.response_url = shape;
            service.fault = cut_fault(service.package_size).or(package_fault);
            (force, true)
        }
        Boundary::IndividualizeFlags(flags) => (AppCall::Individualize { flags }, false),
        Boundary::SecurityFlags(flags) => (AppCall::PerformSecurityUpdate { flags }, false),
        Boundary::HresultSpelling(..) => return scenario,
    };
    if let Some(next) = scenario.steps.first_mut().filter(|_| barrier) {
        next.trigger = Trigger::WhenIdle;
    }
    scenario.steps.insert(0, step(Trigger::Now, call));
    scenario.steps.truncate(crate::scenario::MAX_STEPS);
    scenario
}

/// The fault that cuts a package of `size` bytes, when the service would
/// not write it in full (see [`MAX_WHOLE_PACKAGE`]).
pub fn cut_fault(size: u32) -> Option<Fault> {
    (size > MAX_WHOLE_PACKAGE).then_some(Fault::DropAfter(CUT_PACKAGE_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_boundary_case_reaches_its_entries() {
        for named in named_cases() {
            let reached = reached(&named.scenario);
            for entry in case_entries().filter(|e| e.case == Some(named.name)) {
                assert!(reached.has(entry), "{} does not reach {}", named.name, entry.id);
            }
        }
    }

    #[test]
    fn every_case_entry_has_a_named_case_and_ids_are_unique() {
        let mut ids = std::collections::HashSet::new();
        for e in CATALOGUE {
            assert!(ids.insert(e.id), "{} twice", e.id);
            assert_eq!(e.case.is_some(), e.side() == Side::Case, "{}", e.id);
            assert!(!e.rules.is_empty(), "{}", e.id);
            for rule in e.rules {
                assert!(indiv_spec::Rule::from_id(rule).is_some(), "{}: no rule {rule}", e.id);
            }
        }
    }

    #[test]
    fn every_hresult_spelling_reads_as_its_code_on_both_readers() {
        use indiv_spec::record::{decode_line, decode_line_serde};
        let mut spellings = 0;
        for (entry, json, hr) in hresult_spellings() {
            let line = format!(r#"{{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":{json}}}"#);
            for read in [decode_line(&line), decode_line_serde(&line)] {
                let record = read.unwrap_or_else(|e| panic!("{}: {e}", entry.id));
                assert!(matches!(record.body, Body::Event { hr: read, .. } if read == hr), "{}", entry.id);
            }
            spellings += 1;
        }
        assert_eq!(spellings, CATALOGUE.iter().filter(|e| e.side() == Side::Trace).count());
        let severities: std::collections::HashSet<bool> =
            hresult_spellings().map(|(_, _, hr)| hr.is_failure()).collect();
        assert_eq!(severities.len(), 2, "both sides of the severity bit");
    }

    #[test]
    fn relation_examples_stand_in_their_relation() {
        for r in Relation::ALL {
            for base in [(1, 0), (2, 4), (3, 9), (2, 10), (1_000, 1_000), (u32::MAX, u32::MAX)] {
                let (component, other) = r.example(base);
                assert!(r.holds(component, other), "{r:?} {base:?}: {component} {other:?}");
                assert_eq!(r.other_for(component).map(|o| r.holds(component, o)), Some(true), "{r:?} {component}");
            }
        }
        let v = |s: &str| SecurityVersion::parse(s).expect("a version");
        assert!(Relation::MinorWiderAbove.holds(v("2.10.0.1"), (2, 9)));
        assert!(!Relation::MinorWiderAbove.holds(v("2.10.0.1"), (2, 1)), "2.10 is above 2.1 as text too");
        assert!(Relation::MinorWiderBelow.holds(v("2.9.0.1"), (2, 10)));
        assert!(!Relation::Equal.holds(v("2.9.0.0"), (2, 9)));
        assert!(Relation::NotIndividualized.holds(v("2.9.0.0"), (2, 9)));
        assert!(Relation::MajorOneAbove.holds(v("3.1.0.1"), (2, 5)));
        assert!(!Relation::MajorOneAbove.holds(v("3.6.0.1"), (2, 5)), "the minor is not below");
        assert!(!Relation::MinorOneAbove.holds(v("2.0.0.1"), (2, u32::MAX)));
    }

    proptest::proptest! {
        #[test]
        fn every_aimed_scenario_reaches_its_entry(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256), seed in 0u64..1_000) {
            let entry = aim_of_seed(seed);
            let scenario = aim(Scenario::from_bytes(&bytes), entry);
            proptest::prop_assert!(reached(&scenario).has(entry), "{} not reached by {scenario:?}", entry.id);
        }
    }

    #[test]
    fn consecutive_seeds_aim_at_every_case_entry() {
        let count = case_entries().count() as u64;
        for start in [0, 7, u64::MAX - count] {
            let aimed: std::collections::HashSet<_> = (start..start + count).map(|s| aim_of_seed(s).id).collect();
            assert_eq!(aimed.len() as u64, count);
        }
    }

    #[test]
    fn an_open_the_rule_does_not_judge_reaches_no_version_boundary() {
        // After a security-path success and before a reader success,
        // READER-NEEDS-WHEN-OUTDATED does not judge whether an Open owes the
        // notice; after a reader success it does again.
        let (_, mut scenario) = case_for(&[&CATALOGUE[0]]);
        scenario.component_version = SecurityVersion([2, 1, 0, 1]);
        scenario.service.offered_version = SecurityVersion([2, 4, 0, 1]);
        let open = AppCall::Open { required: RequiredVersion { major: 2, minor: 5 } };
        let force = AppCall::PerformSecurityUpdate { flags: SecurityFlag::ForceIndiv.value() };
        scenario.steps = vec![step(Trigger::Now, force), step(Trigger::WhenIdle, open.clone())];
        let below =
            |s: &Scenario| reached(s).entries().any(|e| e.boundary == Boundary::Required(Relation::MinorOneBelow));
        assert!(!below(&scenario), "an Open after a security success");
        scenario.steps.push(step(Trigger::Now, AppCall::Individualize { flags: 0 }));
        scenario.steps.push(step(Trigger::WhenIdle, open));
        assert!(below(&scenario), "an Open after a reader success");
    }

    #[test]
    fn a_never_individualized_component_stands_in_no_relation_of_numbers() {
        let component = SecurityVersion([3, 10, 0, 0]);
        let related: Vec<Relation> = Relation::ALL.into_iter().filter(|r| r.holds(component, (3, 9))).collect();
        assert!(related.is_empty(), "{related:?}");
        assert!(Relation::NotIndividualized.holds(component, (3, 10)));
        assert!(Relation::MajorWiderAbove.holds(SecurityVersion([10, 1, 0, 1]), (9, 1)));
        assert!(Relation::MajorWiderBelow.holds(SecurityVersion([9, 5, 0, 1]), (10, 1)));
        assert!(!Relation::MajorWiderAbove.holds(SecurityVersion([30, 1, 0, 1]), (29, 1)), "the same width");
    }

    #[test]
    fn a_scenario_that_never_calls_reaches_nothing() {
        let (_, mut scenario) = case_for(&[&CATALOGUE[0]]);
        scenario.steps.clear();
        assert_eq!(reached(&scenario), Reached::default());
    }

    #[test]
    fn a_refused_security_update_compares_no_versions() {
        let (_, mut scenario) = case_for(&[&CATALOGUE[0]]);
        scenario.service.fault = Some(Fault::Unavailable(crate::service::Exchange::Query));
        let r = reached(&scenario);
        assert!(r.has(&CATALOGUE[0]), "the Open still compares");
        assert!(!r.entries().any(|e| matches!(e.boundary, Boundary::Offered(_))), "no offer arrived");
    }
}
