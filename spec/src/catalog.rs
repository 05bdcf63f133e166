//! Loads and validates `spec/individualization.toml` into typed data: sources,
//! enumerations, the session phase table, the HTTP status order, the rule
//! catalog, and the interpretations the spec makes where the sources disagree
//! or are silent.
//!
//! Loading refuses unknown keys, duplicate ids, names that point at nothing,
//! and any disagreement between the file and the code (an enumeration whose
//! names or values differ from `vocab`, a `[[rule]]` without a [`Rule`]
//! variant, a variant without a `[[rule]]` in the file).

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::vocab::{Api, HttpStatus, IndiStatus, KnownHresult, MfEvent, ReaderFlag, SecurityFlag, WmtStatus};

/// The spec file as shipped, embedded at build time.
pub const BUILTIN_TOML: &str = include_str!("../individualization.toml");
/// Where the embedded spec file lives in the repository, for diagnostics.
pub const BUILTIN_PATH: &str = "spec/individualization.toml";

macro_rules! rules {
    ($($variant:ident = $id:literal),+ $(,)?) => {
        /// A rule of the spec, as the code knows it: every variant has a
        /// `[[rule]]` with the same id in the spec file, and a check. The
        /// trace rules are checked by the monitor (and, independently, the
        /// oracle); the `SERVICE-*` rules (area `service`, basis `harness`)
        /// need what the service saw and are judged by the certification
        /// harness (crate `indiv-service-rules`), not by the monitor.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $(#[doc = $id] $variant),+ }

        impl Rule {
            /// Every rule, in the spec file's order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            /// The stable id, e.g. `SESSION-ENDS`.
            pub fn id(self) -> &'static str {
                match self { $(Rule::$variant => $id),+ }
            }

            /// The rule with this id.
            pub fn from_id(id: &str) -> Option<Rule> {
                match id { $($id => Some(Rule::$variant),)+ _ => None }
            }
        }
    };
}

rules! {
    StatusIndiValue = "STATUS-INDI-VALUE",
    StatusHttpValue = "STATUS-HTTP-VALUE",
    StatusHrMatches = "STATUS-HR-MATCHES",
    StatusUrlForm = "STATUS-URL-FORM",
    SessionUnsolicited = "SESSION-UNSOLICITED",
    SessionChannel = "SESSION-CHANNEL",
    SessionBeginFirst = "SESSION-BEGIN-FIRST",
    SessionBeginClean = "SESSION-BEGIN-CLEAN",
    SessionPhaseOrder = "SESSION-PHASE-ORDER",
    SessionOneTerminal = "SESSION-ONE-TERMINAL",
    SessionEnds = "SESSION-ENDS",
    SessionInstallAfterDownload = "SESSION-INSTALL-AFTER-DOWNLOAD",
    SessionSucceedInstalled = "SESSION-SUCCEED-INSTALLED",
    SessionOneAtATime = "SESSION-ONE-AT-A-TIME",
    SessionCallReturnsFirst = "SESSION-CALL-RETURNS-FIRST",
    SessionDownloadReported = "SESSION-DOWNLOAD-REPORTED",
    HttpCountMonotonic = "HTTP-COUNT-MONOTONIC",
    HttpCountStep = "HTTP-COUNT-STEP",
    HttpPhaseOrder = "HTTP-PHASE-ORDER",
    HttpCompletedCounted = "HTTP-COMPLETED-COUNTED",
    HttpSucceedCompleted = "HTTP-SUCCEED-COMPLETED",
    ProgressWithinTotal = "PROGRESS-WITHIN-TOTAL",
    ProgressMonotonic = "PROGRESS-MONOTONIC",
    ProgressTotalStable = "PROGRESS-TOTAL-STABLE",
    HttpUrlStable = "HTTP-URL-STABLE",
    CancelRequiresCall = "CANCEL-REQUIRES-CALL",
    CancelStopsWork = "CANCEL-STOPS-WORK",
    ReaderFlagsValid = "READER-FLAGS-VALID",
    ReaderAlreadyIndividualized = "READER-ALREADY-INDIVIDUALIZED",
    ReaderNeedsWhenOutdated = "READER-NEEDS-WHEN-OUTDATED",
    ReaderNoRightsAfterSucceed = "READER-NO-RIGHTS-AFTER-SUCCEED",
    ReaderNoRightsNotBefore = "READER-NO-RIGHTS-NOT-BEFORE",
    SecurityFlagsOne = "SECURITY-FLAGS-ONE",
    SecurityCompletedOnce = "SECURITY-COMPLETED-ONCE",
    SecurityCompletedMatches = "SECURITY-COMPLETED-MATCHES",
    SecurityAsNeeded = "SECURITY-AS-NEEDED",
    SecurityForce = "SECURITY-FORCE",
    SecurityRevocationOnly = "SECURITY-REVOCATION-ONLY",
    SecurityVersionForm = "SECURITY-VERSION-FORM",
    SecurityVersionReflects = "SECURITY-VERSION-REFLECTS",
    SecurityVersionStable = "SECURITY-VERSION-STABLE",
    ServiceRoundtripsMatch = "SERVICE-ROUNDTRIPS-MATCH",
    ServiceTotalMatches = "SERVICE-TOTAL-MATCHES",
    ServiceProgressReal = "SERVICE-PROGRESS-REAL",
    ServiceUrlMatches = "SERVICE-URL-MATCHES",
    ServiceUrlVerbatim = "SERVICE-URL-VERBATIM",
    ServiceFaultFails = "SERVICE-FAULT-FAILS",
    ServiceRedirectsBounded = "SERVICE-REDIRECTS-BOUNDED",
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// How binding a rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Breaking it fails the trace.
    Must,
    /// Breaking it fails the trace only with `--strict`.
    Should,
}

/// How a rule is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A quoted sentence of a source states the rule.
    Documented,
    /// The rule follows from quoted sentences by the stated reasoning.
    Derived,
    /// The sources are silent; the rule is the project's choice, for the
    /// stated reasoning.
    Inferred,
    /// It needs what only the certification harness sees.
    Harness,
}

impl Level {
    /// `must` or `should`, as the spec file writes it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
        }
    }
}

impl Basis {
    /// `documented`, `derived`, `inferred` or `harness`, as the spec file writes it.
    pub fn name(self) -> &'static str {
        match self {
            Basis::Documented => "documented",
            Basis::Derived => "derived",
            Basis::Inferred => "inferred",
            Basis::Harness => "harness",
        }
    }
}

/// The part of the stream a rule is about, for grouping in documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// The values inside one status.
    Values,
    /// The shape of one session.
    Sessions,
    /// Round trips and download progress.
    Http,
    /// Cancellation.
    Cancellation,
    /// The `IWMDRMReader` path.
    Reader,
    /// The `IWMDRMSecurity` path.
    Security,
    /// What the certification harness's service saw.
    Service,
}

impl Area {
    /// A human title, for headings in documents and catalogs.
    pub fn title(self) -> &'static str {
        match self {
            Area::Values => "Values",
            Area::Sessions => "Sessions",
            Area::Http => "Round trips and progress",
            Area::Cancellation => "Cancellation",
            Area::Reader => "Reader path (IWMDRMReader)",
            Area::Security => "Security path (IWMDRMSecurity)",
            Area::Service => "Service (certification harness)",
        }
    }
}

/// Where a rule comes from: the sentences of the sources it rests on, and
/// the reasoning that leads from them (or, where they are silent, the
/// project's reasons) to the rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// The quoted sentences, each verbatim from a kept source.
    #[serde(default)]
    pub quotes: Vec<Quote>,
    /// Why the rule holds, where no quote states it outright.
    pub reasoning: Option<String>,
}

/// One sentence of a source, verbatim.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quote {
    /// The id of a `[[source]]`.
    pub source: String,
    /// The sentence, as the source page has it (markdown aside).
    pub quote: String,
}

/// One rule of the catalog.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInfo {
    /// The stable id.
    pub id: String,
    /// `must` or `should`.
    pub level: Level,
    /// `documented`, `derived`, `inferred` or `harness`.
    pub basis: Basis,
    /// The group it belongs to.
    pub area: Area,
    /// The records it looks at.
    pub applies_to: Vec<String>,
    /// One sentence.
    pub statement: String,
    /// Its source or reasoning.
    pub citation: Citation,
    /// Further interpretations the checker makes.
    #[serde(default)]
    pub readings: Vec<String>,
}

/// A document the spec cites, kept verbatim under `spec/sources/`; where
/// each kept page was read (repository, path, commit) is recorded once, in
/// `spec/sources/ORIGINS.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Short id used in citations.
    pub id: String,
    /// The document's title.
    pub title: String,
    /// The copy under `spec/sources/`.
    pub file: String,
}

/// One named value of an enumeration.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// Symbolic name.
    pub name: String,
    /// Numeric value.
    pub value: u32,
    /// What it means.
    pub meaning: String,
}

/// An enumeration of the spec.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Enumeration {
    /// Its C name.
    pub name: String,
    /// The id of the source that defines it.
    pub source: String,
    /// Where the kept source does not give the numbers: where they come
    /// from.
    pub reasoning: Option<String>,
    /// Its values.
    pub values: Vec<EnumValue>,
}

/// One place where the sources disagree or are silent: what they say, what the
/// spec decided, and why (`[[interpretation]]` in the spec file).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Interpretation {
    /// A short stable id (lower case, `-`-separated), used as an anchor.
    pub id: String,
    /// The question, e.g. "Which status follows a cancel".
    pub topic: String,
    /// What the sources say about it, or that they say nothing.
    pub sources_say: String,
    /// What the spec decided.
    pub decision: String,
    /// Why.
    pub why: String,
    /// The ids of the rules that carry the decision.
    #[serde(default)]
    pub rules: Vec<String>,
}

/// The API names and Media Foundation events.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Application calls.
    pub apis: Vec<String>,
    /// Security-path events.
    pub events: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    first: String,
    terminal: Vec<String>,
    readings: Vec<String>,
    may_follow: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    order: Vec<String>,
    before_any_trip: String,
    trip_finished: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadingsFile {
    general: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    format: String,
    version: String,
    source: Vec<Source>,
    enumeration: Vec<Enumeration>,
    vocabulary: Vocabulary,
    session: SessionFile,
    http: HttpFile,
    readings: ReadingsFile,
    #[serde(default)]
    interpretation: Vec<Interpretation>,
    rule: Vec<RuleInfo>,
}

/// The session phase table, read from `[session]`.
#[derive(Clone, Debug)]
pub struct PhaseTable {
    /// The status every session starts with.
    pub first: IndiStatus,
    /// Bit set (of `IndiStatus` values) of the terminal statuses.
    terminal_mask: u32,
    /// For each defined status value, the bit set of statuses that may follow it.
    may_follow: Vec<(IndiStatus, u32)>,
    /// Readings written next to the table.
    pub readings: Vec<String>,
}

impl PhaseTable {
    /// Whether `status` ends a session.
    pub fn is_terminal(&self, status: IndiStatus) -> bool {
        self.terminal_mask & status.value() != 0
    }

    /// Whether `next` may follow `current` within one session.
    pub fn may_follow(&self, current: IndiStatus, next: IndiStatus) -> bool {
        self.may_follow.iter().find(|(from, _)| *from == current).is_some_and(|(_, mask)| mask & next.value() != 0)
    }

    /// The statuses that may follow `current`, in value order.
    pub fn successors(&self, current: IndiStatus) -> Vec<IndiStatus> {
        IndiStatus::ALL.iter().copied().filter(|next| self.may_follow(current, *next)).collect()
    }

    /// The statuses the table has a row for (every phase), in value order.
    pub fn phases(&self) -> Vec<IndiStatus> {
        self.may_follow.iter().map(|(from, _)| *from).collect()
    }

    /// The terminal statuses, in value order.
    pub fn terminals(&self) -> Vec<IndiStatus> {
        IndiStatus::ALL.iter().copied().filter(|s| self.is_terminal(*s)).collect()
    }
}

/// The HTTP status order within one round trip, read from `[http]`.
#[derive(Clone, Debug)]
pub struct HttpOrder {
    /// First to last.
    pub order: Vec<HttpStatus>,
    /// The status that comes before every trip.
    pub before_any_trip: HttpStatus,
    /// The status that says the trip has completed.
    pub trip_finished: HttpStatus,
    rank_by_value: [u8; 8],
}

impl HttpOrder {
    /// The round trip a status saying `status` after `http_request` completed
    /// round trips is in: none before every trip, `http_request - 1` once it
    /// says the trip finished, `http_request` in between.
    pub fn trip(&self, status: HttpStatus, http_request: u32) -> Option<i64> {
        if status == self.before_any_trip {
            None
        } else if status == self.trip_finished {
            Some(i64::from(http_request) - 1)
        } else {
            Some(i64::from(http_request))
        }
    }

    /// The position of `status` in the order (0 first).
    pub fn rank(&self, status: HttpStatus) -> u8 {
        // `http_order` checked that every defined status is in the order and that
        // values fit the table.
        self.rank_by_value[status.value() as usize]
    }
}

/// The loaded, validated spec.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The spec's version (semantic versioning: a rule added, removed or
    /// made stricter is a new major version).
    pub version: String,
    /// SHA-256 of the spec file's text, in lower-case hex: which exact spec
    /// a verdict was judged against.
    pub hash: String,
    /// The documents cited.
    pub sources: Vec<Source>,
    /// The enumerations.
    pub enumerations: Vec<Enumeration>,
    /// The API and event names.
    pub vocabulary: Vocabulary,
    /// Which status may follow which.
    pub phases: PhaseTable,
    /// The HTTP status order.
    pub http: HttpOrder,
    /// Readings that hold across rules.
    pub readings: Vec<String>,
    /// The rules, in the file's order.
    pub rules: Vec<RuleInfo>,
    /// Where the sources disagree or are silent, in the file's order.
    pub interpretations: Vec<Interpretation>,
    rule_index: Vec<usize>,
}

impl Spec {
    /// The spec embedded in this build. Loaded once; a failure means the
    /// shipped file and the code disagree, which the tests rule out.
    pub fn builtin() -> Result<&'static Spec, Error> {
        static BUILTIN: OnceLock<Result<Spec, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Spec::from_toml(BUILTIN_TOML).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| Error::SpecInvalid(format!("{BUILTIN_PATH}: {message}")))
    }

    /// Loads and validates spec text.
    pub fn from_toml(text: &str) -> Result<Spec, Error> {
        let file: SpecFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|span| crate::text::line_column(text, span.start)).unwrap_or((1, 1));
            Error::SpecSyntax { line, column, message: e.message().trim_end_matches('.').to_string() }
        })?;
        let mut spec = validate(file)?;
        spec.hash = sha256_hex(text);
        Ok(spec)
    }

    /// The catalog entry of `rule`.
    pub fn rule(&self, rule: Rule) -> &RuleInfo {
        // `rule_index` built one index per `Rule::ALL` entry, in that order.
        &self.rules[self.rule_index[rule as usize]]
    }

    /// The source with this id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The enumeration with this name.
    pub fn enumeration(&self, name: &str) -> Option<&Enumeration> {
        self.enumerations.iter().find(|e| e.name == name)
    }

    /// The interpretations that name `rule` among their rules, in the file's order.
    pub fn interpretations_of(&self, rule: Rule) -> impl Iterator<Item = &Interpretation> {
        self.interpretations.iter().filter(move |i| i.rules.iter().any(|r| r == rule.id()))
    }
}

fn invalid(message: String) -> Error {
    Error::SpecInvalid(message)
}

/// Checks that an enumeration of the file has exactly the names and values of
/// the code's table.
fn check_enumeration(file: &SpecFile, name: &str, code: &[(&str, u32)]) -> Result<(), Error> {
    let Some(e) = file.enumeration.iter().find(|e| e.name == name) else {
        return Err(invalid(format!("enumeration {name} is missing")));
    };
    let in_file: Vec<(&str, u32)> = e.values.iter().map(|v| (v.name.as_str(), v.value)).collect();
    if in_file != code {
        return Err(invalid(format!(
            "enumeration {name} differs from the code: file has {in_file:?}, code has {code:?}"
        )));
    }
    Ok(())
}

fn table<T: Copy>(all: &[T], name: fn(T) -> &'static str, value: fn(T) -> u32) -> Vec<(&'static str, u32)> {
    all.iter().map(|v| (name(*v), value(*v))).collect()
}

fn indi(name: &str, what: &str) -> Result<IndiStatus, Error> {
    IndiStatus::from_name(name)
        .filter(|s| *s != IndiStatus::Undefined)
        .ok_or_else(|| invalid(format!("{what}: `{name}` is not an individualization status")))
}

fn http(name: &str, what: &str) -> Result<HttpStatus, Error> {
    HttpStatus::from_name(name).ok_or_else(|| invalid(format!("{what}: `{name}` is not a DRM_HTTP_STATUS")))
}

/// Checks the whole file, each kind of check in turn, and builds the spec.
fn validate(file: SpecFile) -> Result<Spec, Error> {
    if file.format != "indiv-spec/1" {
        return Err(invalid(format!("format is `{}`, expected `indiv-spec/1`", file.format)));
    }
    let source_ids = validate_sources(&file.source)?;
    validate_enumerations(&file, &source_ids)?;
    validate_vocabulary(&file.vocabulary)?;

    let phases = phase_table(&file.session)?;
    let http_order = http_order(&file.http)?;

    let rule_ids = validate_rules(&file, &source_ids)?;
    let rule_index = rule_index(&file.rule)?;
    validate_interpretations(&file.interpretation, &rule_ids)?;

    if !is_semantic_version(&file.version) {
        return Err(invalid(format!("version `{}` is not MAJOR.MINOR.PATCH", file.version)));
    }
    Ok(Spec {
        version: file.version,
        // Filled in by `from_toml`, which has the text.
        hash: String::new(),
        sources: file.source,
        enumerations: file.enumeration,
        vocabulary: file.vocabulary,
        phases,
        http: http_order,
        readings: file.readings.general,
        rules: file.rule,
        interpretations: file.interpretation,
        rule_index,
    })
}

fn is_semantic_version(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Sources have unique ids and unique kept files. Returns their ids.
fn validate_sources(sources: &[Source]) -> Result<HashSet<&str>, Error> {
    let mut source_ids = HashSet::new();
    let mut files = HashSet::new();
    for s in sources {
        if !source_ids.insert(s.id.as_str()) {
            return Err(invalid(format!("duplicate source id `{}`", s.id)));
        }
        if !files.insert(s.file.as_str()) {
            return Err(invalid(format!("sources `{}` and another keep the same file `{}`", s.id, s.file)));
        }
    }
    Ok(source_ids)
}

/// Enumerations have unique names, cite known sources and repeat no value
/// name, and the ones the code knows have exactly the code's names and values.
fn validate_enumerations(file: &SpecFile, source_ids: &HashSet<&str>) -> Result<(), Error> {
    let mut enum_names = HashSet::new();
    for e in &file.enumeration {
        if !enum_names.insert(e.name.as_str()) {
            return Err(invalid(format!("duplicate enumeration `{}`", e.name)));
        }
        if !source_ids.contains(e.source.as_str()) {
            return Err(invalid(format!("enumeration `{}` cites unknown source `{}`", e.name, e.source)));
        }
        let mut seen = HashSet::new();
        if let Some(v) = e.values.iter().find(|v| !seen.insert(v.name.as_str())) {
            return Err(invalid(format!("enumeration `{}` repeats `{}`", e.name, v.name)));
        }
    }
    check_enumeration(file, IndiStatus::SPEC_NAME, &table(IndiStatus::ALL, IndiStatus::name, IndiStatus::value))?;
    check_enumeration(file, HttpStatus::SPEC_NAME, &table(HttpStatus::ALL, HttpStatus::name, HttpStatus::value))?;
    check_enumeration(file, WmtStatus::SPEC_NAME, &table(WmtStatus::ALL, WmtStatus::name, WmtStatus::value))?;
    check_enumeration(
        file,
        SecurityFlag::SPEC_NAME,
        &table(SecurityFlag::ALL, SecurityFlag::name, SecurityFlag::value),
    )?;
    check_enumeration(file, ReaderFlag::SPEC_NAME, &table(ReaderFlag::ALL, ReaderFlag::name, ReaderFlag::value))?;
    check_enumeration(file, KnownHresult::SPEC_NAME, &table(KnownHresult::ALL, KnownHresult::name, KnownHresult::value))
}

/// The API and event names are the code's, in the code's order.
fn validate_vocabulary(vocabulary: &Vocabulary) -> Result<(), Error> {
    let code_apis: Vec<&str> = Api::ALL.iter().map(|a| a.name()).collect();
    if vocabulary.apis != code_apis {
        return Err(invalid(format!("vocabulary.apis differs from the code: {code_apis:?}")));
    }
    let code_events: Vec<&str> = MfEvent::ALL.iter().map(|e| e.name()).collect();
    if vocabulary.events != code_events {
        return Err(invalid(format!("vocabulary.events differs from the code: {code_events:?}")));
    }
    Ok(())
}

/// Rules have unique ids that the code knows, and each is well formed
/// ([`validate_rule`]). Returns their ids.
fn validate_rules<'f>(file: &'f SpecFile, source_ids: &HashSet<&str>) -> Result<HashSet<&'f str>, Error> {
    let mut rule_ids = HashSet::new();
    let known_targets: HashSet<&str> = WmtStatus::ALL
        .iter()
        .map(|s| s.name())
        .chain(file.vocabulary.apis.iter().map(String::as_str))
        .chain(file.vocabulary.events.iter().map(String::as_str))
        .collect();
    for r in &file.rule {
        if !rule_ids.insert(r.id.as_str()) {
            return Err(invalid(format!("duplicate rule id `{}`", r.id)));
        }
        if Rule::from_id(&r.id).is_none() {
            return Err(invalid(format!("rule `{}` has no check in the code", r.id)));
        }
        validate_rule(r, &known_targets, source_ids)?;
    }
    Ok(rule_ids)
}

/// One rule applies to known records, says something, and cites what its
/// basis needs: a source and a quote when documented, reasoning otherwise.
fn validate_rule(r: &RuleInfo, known_targets: &HashSet<&str>, source_ids: &HashSet<&str>) -> Result<(), Error> {
    if r.applies_to.is_empty() {
        return Err(invalid(format!("rule `{}` applies to nothing", r.id)));
    }
    if let Some(t) = r.applies_to.iter().find(|t| !known_targets.contains(t.as_str())) {
        return Err(invalid(format!("rule `{}` applies to unknown record `{t}`", r.id)));
    }
    if r.statement.trim().is_empty() {
        return Err(invalid(format!("rule `{}` has an empty statement", r.id)));
    }
    let c = &r.citation;
    if let Some(q) = c.quotes.iter().find(|q| !source_ids.contains(q.source.as_str())) {
        return Err(invalid(format!("rule `{}` cites unknown source `{}`", r.id, q.source)));
    }
    if let Some(q) = c.quotes.iter().find(|q| q.quote.trim().is_empty()) {
        return Err(invalid(format!("rule `{}` quotes nothing of `{}`", r.id, q.source)));
    }
    match r.basis {
        Basis::Documented | Basis::Derived if c.quotes.is_empty() => {
            Err(invalid(format!("{} rule `{}` needs a source and a quote", r.basis.name(), r.id)))
        }
        Basis::Derived | Basis::Inferred | Basis::Harness if c.reasoning.is_none() => {
            Err(invalid(format!("{} rule `{}` needs its reasoning", r.basis.name(), r.id)))
        }
        _ => Ok(()),
    }
}

/// Every [`Rule`] has a `[[rule]]` in the file: for each, in `Rule::ALL`
/// order, its index in the file's rules.
fn rule_index(rules: &[RuleInfo]) -> Result<Vec<usize>, Error> {
    let mut rule_index = Vec::with_capacity(Rule::ALL.len());
    for rule in Rule::ALL {
        let Some(at) = rules.iter().position(|r| r.id == rule.id()) else {
            return Err(invalid(format!("the code checks `{}` but the spec file has no such rule", rule.id())));
        };
        rule_index.push(at);
    }
    Ok(rule_index)
}

/// Interpretations have unique, well-formed ids, say something in every field,
/// and name only rules of the file, each once.
fn validate_interpretations(interpretations: &[Interpretation], rule_ids: &HashSet<&str>) -> Result<(), Error> {
    let mut ids = HashSet::new();
    for i in interpretations {
        let well_formed = !i.id.is_empty()
            && !i.id.starts_with('-')
            && !i.id.ends_with('-')
            && i.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(invalid(format!(
                "interpretation id `{}` must be lower-case letters, digits and inner `-`",
                i.id
            )));
        }
        if !ids.insert(i.id.as_str()) {
            return Err(invalid(format!("duplicate interpretation id `{}`", i.id)));
        }
        for (field, text) in
            [("topic", &i.topic), ("sources_say", &i.sources_say), ("decision", &i.decision), ("why", &i.why)]
        {
            if text.trim().is_empty() {
                return Err(invalid(format!("interpretation `{}` has an empty {field}", i.id)));
            }
        }
        let mut named = HashSet::new();
        for rule in &i.rules {
            if !rule_ids.contains(rule.as_str()) {
                return Err(invalid(format!("interpretation `{}` names unknown rule `{rule}`", i.id)));
            }
            if !named.insert(rule.as_str()) {
                return Err(invalid(format!("interpretation `{}` names rule `{rule}` twice", i.id)));
            }
        }
    }
    Ok(())
}

fn phase_table(session: &SessionFile) -> Result<PhaseTable, Error> {
    let first = indi(&session.first, "session.first")?;
    let mut terminal_mask = 0;
    for t in &session.terminal {
        terminal_mask |= indi(t, "session.terminal")?.value();
    }
    let mut may_follow = Vec::new();
    for (from, to) in &session.may_follow {
        let from = indi(from, "session.may_follow")?;
        let mut mask = 0;
        for next in to {
            let next = indi(next, &format!("session.may_follow.{from}"))?;
            if next == first {
                return Err(invalid(format!("session.may_follow.{from}: `{first}` only starts a session")));
            }
            mask |= next.value();
        }
        if terminal_mask & from.value() != 0 && mask != 0 {
            return Err(invalid(format!("session.may_follow.{from}: nothing may follow a terminal status")));
        }
        may_follow.push((from, mask));
    }
    may_follow.sort_by_key(|(from, _)| from.value());
    for status in IndiStatus::ALL.iter().filter(|s| **s != IndiStatus::Undefined) {
        if !may_follow.iter().any(|(from, _)| from == status) {
            return Err(invalid(format!("session.may_follow has no row for `{status}`")));
        }
    }
    Ok(PhaseTable { first, terminal_mask, may_follow, readings: session.readings.clone() })
}

fn http_order(file: &HttpFile) -> Result<HttpOrder, Error> {
    let order = file.order.iter().map(|name| http(name, "http.order")).collect::<Result<Vec<_>, _>>()?;
    let mut rank_by_value = [u8::MAX; 8];
    for (rank, status) in order.iter().enumerate() {
        let slot = rank_by_value
            .get_mut(status.value() as usize)
            .ok_or_else(|| invalid(format!("http.order: `{status}` has a value too large for the table")))?;
        if *slot != u8::MAX {
            return Err(invalid(format!("http.order repeats `{status}`")));
        }
        *slot = rank as u8;
    }
    if order.len() != HttpStatus::ALL.len() {
        return Err(invalid("http.order must list every DRM_HTTP_STATUS once".to_string()));
    }
    let before_any_trip = http(&file.before_any_trip, "http.before_any_trip")?;
    let trip_finished = http(&file.trip_finished, "http.trip_finished")?;
    if order.first() != Some(&before_any_trip) || order.last() != Some(&trip_finished) {
        return Err(invalid(
            "http.before_any_trip must be first in http.order and http.trip_finished last".to_string(),
        ));
    }
    Ok(HttpOrder { order, before_any_trip, trip_finished, rank_by_value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_spec_loads_and_has_every_rule() {
        let spec = Spec::builtin().expect("the shipped spec loads");
        assert_eq!(spec.rules.len(), Rule::ALL.len());
        for rule in Rule::ALL {
            assert_eq!(spec.rule(*rule).id, rule.id());
        }
    }
}
