//! The rule fixtures: for every rule, examples where it stays quiet and
//! examples where it fires, with exactly what must be reported on each.
//!
//! The files live in `specdoc/tests/rules/<RULE-ID>.toml` and are embedded
//! in the binary at build time (see `build.rs`), so `indiv explain` and
//! `indiv spec --format markdown` show them without the source tree. This
//! module is the one parser of those files: the test runner
//! (`tests/it/rules.rs`), the snapshot tests and the document generator all
//! read fixtures through it.
//!
//! A fixture file is a `rule` and `[[example]]` tables, each with a `name` and
//! an `expect` list (empty for a conforming example). What else an example
//! holds depends on the rule's basis in the spec:
//!
//! - A **trace rule** (basis `documented` or `inferred`) is judged by the
//!   checker over a trace: `trace` (JSON Lines), `partial` (optional, default
//!   false: the trace is complete), and `expect` lists `RULE-ID@line`, `must`
//!   and `should` alike.
//! - A **harness rule** (basis `harness`, the `SERVICE-*` rules) is judged by
//!   [`service_rules::check`] over one status and what the service did:
//!   `status` (one `indiv-trace/1` line, a `WMT_INDIVIDUALIZE` status or a
//!   `MEWMDRMIndividualizationProgress` event, as the harness received it),
//!   `exchanges` (the service's log at that moment, in the order the requests
//!   arrived, counted from 0: inline tables `{ kind = "query" | "package" |
//!   "other", completed, body_written, content_length, status, offer_of,
//!   redirected, ambiguous }`, the
//!   last five optional), `first_exchange` (optional, default 0: where the
//!   session's exchanges start), `needs_package`, `response_url`, `fault`
//!   (optional: the injected fault as `indiv certify` names it, e.g.
//!   `install-failure`), and `expect` lists the rule ids reported.
//!
//! An example with a key of the other kind is an error, and so is a log the
//! service could not have written (see [`parse`]).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::OnceLock;

use indiv_engine::service::Fault;
use indiv_spec::catalog::Basis;
use indiv_spec::record::{Body, Event, IndividualizeStatus, Status};
use indiv_spec::{Record, Rule, Spec};
use serde::Deserialize;

use indiv_service_rules::{self as service_rules, CaseLog, ExchangeKind, ExchangeRecord, SessionFacts};

/// The file list that `build.rs` writes to `$OUT_DIR/fixtures.rs`.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));
}

/// Where the fixture files live, relative to the repository root.
pub const DIR: &str = "specdoc/tests/rules";

/// One fixture file: the examples of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixture {
    /// The file's name within [`DIR`]: the rule's id and `.toml`.
    pub file: String,
    /// The rule the examples are about.
    pub rule: Rule,
    /// The examples, in the file's order (`[[example]]` tables); at least one.
    pub example: Vec<Example>,
}

/// One example: what is judged, and what must be reported on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// What the example shows.
    pub name: String,
    /// What is judged: a trace, or one status with the service's log.
    pub input: Input,
    /// Exactly what is reported, empty when the input conforms: `RULE-ID@line`
    /// for a trace, `RULE-ID` for a harness input.
    pub expect: Vec<String>,
}

/// What an example gives its judge, by the basis of the fixture's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A trace rule's example, judged by the checker.
    Trace(TraceInput),
    /// A harness rule's example, judged by [`service_rules::check`].
    Harness(HarnessInput),
}

/// A trace for the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceInput {
    /// The trace, JSON Lines, each line ending with a newline.
    pub trace: String,
    /// Whether the trace is checked as partial (`indiv check --partial`).
    pub partial: bool,
}

/// One status as the certification harness received it, with what the harness
/// knew at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessInput {
    /// The status record, one `indiv-trace/1` line as written in the file.
    pub status: String,
    /// The `WM_INDIVIDUALIZE_STATUS` the record carries.
    pub value: IndividualizeStatus<'static>,
    /// The session's facts (`first_exchange`, `needs_package`, `response_url`).
    pub facts: SessionFacts,
    /// The service's log when the status arrived (`exchanges`).
    pub log: CaseLog,
    /// The fault the service injects in the case, if any.
    pub fault: Option<Fault>,
}

impl HarnessInput {
    /// The harness's verdict: the rules the status breaks, with messages, as
    /// `indiv certify` reports them.
    pub fn judge(&self) -> Vec<(Rule, String)> {
        service_rules::check(&self.value, &self.facts, &self.log, self.fault)
            .into_iter()
            .map(|f| (f.rule, f.message))
            .collect()
    }

    /// The request of exchange `index`, as documents name it: its kind, the
    /// offer a package request names, and whether it came before the session.
    pub fn request_label(&self, index: usize) -> String {
        let Some(e) = self.log.exchanges.get(index) else { return String::new() };
        let mut label = exchange_kind_name(e.kind).to_string();
        if let Some(query) = e.offer_of {
            label.push_str(&format!(" of the offer of exchange {query}"));
        }
        if e.redirected {
            label.push_str(", after a redirect");
        }
        if e.ambiguous {
            label.push_str(", framed in a hostile way");
        }
        if index < self.facts.first_exchange {
            label.push_str(", before the session");
        }
        label
    }

    /// The session's facts and the fault, as documents state them.
    pub fn facts_label(&self) -> String {
        let needs = if self.facts.needs_package { "needs the package" } else { "does not need the package" };
        let fault = self.fault.map_or("none".to_string(), Fault::name);
        format!(
            "{needs}; exchanges from {}; response URL {}; fault {fault}",
            self.facts.first_exchange, self.facts.response_url
        )
    }
}

/// The response head of an exchange, as documents show it.
pub fn head_label(e: &ExchangeRecord) -> String {
    match (e.status, e.content_length) {
        (Some(status), Some(length)) => format!("{status}, Content-Length {length}"),
        (Some(status), None) => format!("{status}, no Content-Length"),
        _ => "not written yet".to_string(),
    }
}

impl Example {
    /// Whether nothing must be reported on this example.
    pub fn conforming(&self) -> bool {
        self.expect.is_empty()
    }

    /// Whether `rule` is among the expected reports.
    pub fn fires(&self, rule: Rule) -> bool {
        self.expect.iter().any(|x| x.split('@').next() == Some(rule.id()))
    }

    /// The trace, for a trace rule's example.
    pub fn trace(&self) -> Option<&TraceInput> {
        match &self.input {
            Input::Trace(t) => Some(t),
            Input::Harness(_) => None,
        }
    }

    /// The status and the service's log, for a harness rule's example.
    pub fn harness(&self) -> Option<&HarnessInput> {
        match &self.input {
            Input::Harness(h) => Some(h),
            Input::Trace(_) => None,
        }
    }
}

/// The name of an exchange kind in fixture files and documents.
pub fn exchange_kind_name(kind: ExchangeKind) -> &'static str {
    match kind {
        ExchangeKind::Query => "query",
        ExchangeKind::Package => "package",
        ExchangeKind::Other => "other",
    }
}

/// A fixture file that does not parse or does not make sense.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{DIR}/{file}: {message}")]
pub struct FixtureError {
    /// The file's name within [`DIR`].
    pub file: String,
    /// What is wrong, naming the example when one is at fault.
    pub message: String,
}

/// The file as written; [`parse`] turns it into a [`Fixture`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    rule: String,
    example: Vec<ExampleTable>,
}

/// One `[[example]]` as written: the keys of both kinds, sorted out by
/// [`parse`] according to the rule's basis.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleTable {
    name: String,
    expect: Vec<String>,
    trace: Option<String>,
    partial: Option<bool>,
    status: Option<String>,
    exchanges: Option<Vec<ExchangeTable>>,
    first_exchange: Option<usize>,
    needs_package: Option<bool>,
    response_url: Option<String>,
    fault: Option<String>,
}

/// One exchange of `exchanges` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExchangeTable {
    kind: KindName,
    completed: bool,
    body_written: u64,
    content_length: Option<u32>,
    status: Option<u16>,
    offer_of: Option<usize>,
    /// The request followed a redirect of the service.
    #[serde(default)]
    redirected: bool,
    /// The response was framed in a hostile way (chunked, HTTP/1.0, ...):
    /// it may announce no Content-Length, and its round trip may be
    /// counted either way.
    #[serde(default)]
    ambiguous: bool,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KindName {
    Query,
    Package,
    Other,
}

impl From<KindName> for ExchangeKind {
    fn from(kind: KindName) -> ExchangeKind {
        match kind {
            KindName::Query => ExchangeKind::Query,
            KindName::Package => ExchangeKind::Package,
            KindName::Other => ExchangeKind::Other,
        }
    }
}

/// Parses the text of the fixture file `file` (a name within [`DIR`]).
///
/// Besides the TOML (unknown keys and missing fields are errors), it checks
/// that the rule exists and names the file, that every example has the keys of
/// its rule's basis and no others, that every expected report is well formed
/// (`RULE-ID@line` within the trace of a trace example, the id of a harness
/// rule for a harness example, none twice), that a harness example's status is
/// a record the harness judges, and that its log is one the service could have
/// written (a response head carries both `status` and `content_length`, no more
/// body than announced, `completed` exactly when the whole announced body is
/// written, `offer_of` only on a package request and naming an earlier query).
pub fn parse(file: &str, text: &str) -> Result<Fixture, FixtureError> {
    let error = |message: String| FixtureError { file: file.to_string(), message };
    let written: FixtureFile = toml::from_str(text).map_err(|e| error(e.to_string().trim_end().to_string()))?;
    let spec = Spec::builtin().map_err(|e| error(e.to_string()))?;
    let rule = Rule::from_id(&written.rule).ok_or_else(|| error(format!("unknown rule `{}`", written.rule)))?;
    let named = format!("{}.toml", rule.id());
    if file != named {
        return Err(error(format!("the examples of {rule} belong in {named}")));
    }
    if written.example.is_empty() {
        return Err(error("no `[[example]]`".into()));
    }
    let harness = spec.rule(rule).basis == Basis::Harness;
    let example = written
        .example
        .into_iter()
        .enumerate()
        .map(|(i, table)| {
            let name = table.name.clone();
            example(spec, rule, harness, table)
                .map_err(|message| error(format!("example {} ({name:?}): {message}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Fixture { file: file.to_string(), rule, example })
}

fn example(spec: &Spec, rule: Rule, harness: bool, table: ExampleTable) -> Result<Example, String> {
    let trace_keys = [("trace", table.trace.is_some()), ("partial", table.partial.is_some())];
    let harness_keys = [
        ("status", table.status.is_some()),
        ("exchanges", table.exchanges.is_some()),
        ("first_exchange", table.first_exchange.is_some()),
        ("needs_package", table.needs_package.is_some()),
        ("response_url", table.response_url.is_some()),
        ("fault", table.fault.is_some()),
    ];
    let (foreign, kind) = if harness {
        (&trace_keys[..], "a harness rule, judged on one status and the service's log")
    } else {
        (&harness_keys[..], "a trace rule, judged on a trace")
    };
    if let Some((key, _)) = foreign.iter().find(|(_, given)| *given) {
        return Err(format!("`{key}` does not belong here: {rule} is {kind}"));
    }
    let ExampleTable {
        name,
        expect,
        trace,
        partial,
        status,
        exchanges,
        first_exchange,
        needs_package,
        response_url,
        fault,
    } = table;
    let input = if harness {
        harness_input(HarnessKeys { status, exchanges, first_exchange, needs_package, response_url, fault })?
    } else {
        Input::Trace(TraceInput { trace: trace.ok_or_else(|| missing("trace"))?, partial: partial.unwrap_or(false) })
    };
    check_expect(spec, &input, &expect)?;
    Ok(Example { name, input, expect })
}

/// The keys of a harness example, taken out of its table.
struct HarnessKeys {
    status: Option<String>,
    exchanges: Option<Vec<ExchangeTable>>,
    first_exchange: Option<usize>,
    needs_package: Option<bool>,
    response_url: Option<String>,
    fault: Option<String>,
}

fn missing(key: &str) -> String {
    format!("missing `{key}`")
}

fn harness_input(keys: HarnessKeys) -> Result<Input, String> {
    let status = keys.status.ok_or_else(|| missing("status"))?;
    let value = status_value(&status)?;
    let exchanges = keys.exchanges.ok_or_else(|| missing("exchanges"))?;
    let log = CaseLog { exchanges: exchanges.iter().enumerate().map(exchange_record).collect::<Result<_, _>>()? };
    for (i, e) in log.exchanges.iter().enumerate() {
        let Some(query) = e.offer_of else { continue };
        if query >= i || log.exchanges[query].kind != ExchangeKind::Query {
            return Err(format!("exchange {i}: `offer_of = {query}` must name an earlier query exchange"));
        }
    }
    let first_exchange = keys.first_exchange.unwrap_or(0);
    if first_exchange > log.exchanges.len() {
        return Err(format!("`first_exchange = {first_exchange}` is beyond the {} exchanges", log.exchanges.len()));
    }
    let facts = SessionFacts {
        first_exchange,
        needs_package: keys.needs_package.ok_or_else(|| missing("needs_package"))?,
        response_url: keys.response_url.ok_or_else(|| missing("response_url"))?,
    };
    let fault = match keys.fault {
        None => None,
        Some(name) => Some(Fault::from_name(&name).ok_or_else(|| {
            format!("unknown fault `{name}` (name it as `indiv certify` does, e.g. `reset-query` or `drop-after-512`)")
        })?),
    };
    Ok(Input::Harness(HarnessInput { status, value, facts, log, fault }))
}

/// The value of a status line, if it is a record the harness judges.
fn status_value(line: &str) -> Result<IndividualizeStatus<'static>, String> {
    if line.contains('\n') {
        return Err("`status` is one record line".into());
    }
    let record: Record<'_> =
        serde_json::from_str(line).map_err(|e| format!("`status` is not an indiv-trace/1 record: {e}"))?;
    match record.body {
        Body::Status { status: Status::Individualize(value), .. }
        | Body::Event { event: Event::Progress(value), .. } => Ok(IndividualizeStatus {
            hr: value.hr,
            indi: value.indi,
            url: value.url.map(|u| Cow::Owned(u.into_owned())),
            http_request: value.http_request,
            http: value.http,
            progress: value.progress,
            total: value.total,
        }),
        _ => Err("`status` must be a WMT_INDIVIDUALIZE status or a MEWMDRMIndividualizationProgress event".into()),
    }
}

/// Exchange `index` of the log, if the service could have written it so.
fn exchange_record((index, e): (usize, &ExchangeTable)) -> Result<ExchangeRecord, String> {
    let kind = ExchangeKind::from(e.kind);
    let problem = match (e.status, e.content_length) {
        _ if e.redirected && kind != ExchangeKind::Package => {
            Some("only a package request follows a redirect".to_string())
        }
        (Some(_), None) if e.ambiguous => None,
        (Some(_), None) | (None, Some(_)) => {
            Some("`status` and `content_length` go together: the response head carries both".to_string())
        }
        (None, None) if e.body_written > 0 => Some("body bytes written before a response head".to_string()),
        (_, Some(length)) if e.body_written > u64::from(length) => {
            Some(format!("{} body bytes written of a Content-Length of {length}", e.body_written))
        }
        (_, length) if !e.ambiguous && e.completed != (length.is_some_and(|n| u64::from(n) == e.body_written)) => Some(
            "`completed` is true exactly when the response head and the whole announced body are written".to_string(),
        ),
        _ if e.offer_of.is_some() && kind != ExchangeKind::Package => {
            Some("only a package request carries `offer_of`".to_string())
        }
        _ => None,
    };
    match problem {
        Some(problem) => Err(format!("exchange {index}: {problem}")),
        None => Ok(ExchangeRecord {
            kind,
            completed: e.completed,
            body_written: e.body_written,
            content_length: e.content_length,
            status: e.status,
            offer_of: e.offer_of,
            redirected: e.redirected,
            ambiguous: e.ambiguous,
        }),
    }
}

/// Checks that every expected report is one the example's judge can make.
fn check_expect(spec: &Spec, input: &Input, expect: &[String]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for item in expect {
        if !seen.insert(item) {
            return Err(format!("`expect` lists `{item}` twice"));
        }
        match input {
            Input::Trace(t) => {
                let line_count = t.trace.lines().count();
                let well_formed = item.split_once('@').and_then(|(id, line)| {
                    Some((Rule::from_id(id)?, line.parse::<usize>().ok().filter(|n| (1..=line_count).contains(n))?))
                });
                if well_formed.is_none() {
                    return Err(format!(
                        "`expect` item `{item}` is not RULE-ID@line of a rule and a line of the {line_count}-line trace"
                    ));
                }
            }
            Input::Harness(_) => {
                if !Rule::from_id(item).is_some_and(|r| spec.rule(r).basis == Basis::Harness) {
                    return Err(format!("`expect` item `{item}` is not the id of a harness rule (no @line here)"));
                }
            }
        }
    }
    Ok(())
}

/// The fixture files embedded at build time, as `(file name, text)`, sorted by name.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::FILES
}

/// Every embedded fixture, parsed once, sorted by file name.
pub fn embedded() -> Result<&'static [Fixture], FixtureError> {
    static PARSED: OnceLock<Result<Vec<Fixture>, FixtureError>> = OnceLock::new();
    PARSED
        .get_or_init(|| embedded::FILES.iter().map(|(file, text)| parse(file, text)).collect())
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The embedded fixture of `rule`, if it has one.
pub fn for_rule(rule: Rule) -> Result<Option<&'static Fixture>, FixtureError> {
    Ok(embedded()?.iter().find(|f| f.rule == rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_fixture_parses() {
        let fixtures = embedded().expect("the embedded fixtures parse");
        assert_eq!(fixtures.len(), embedded_files().len());
        assert!(fixtures.iter().all(|f| !f.example.is_empty()));
    }

    /// The message of the error `parse` returns for `text` as `file`.
    fn error_of(file: &str, text: &str) -> String {
        let e = parse(file, text).expect_err("an error");
        let prefix = format!("specdoc/tests/rules/{file}: ");
        assert!(e.to_string().starts_with(&prefix), "{e}");
        e.message
    }

    #[test]
    fn unknown_keys_missing_fields_and_unknown_rules_are_errors() {
        let message = error_of("X.toml", "rule = \"X\"\ncolour = 1\nexample = []\n");
        assert!(message.contains("colour"), "{message}");
        let message = error_of("X.toml", "rule = \"X\"\n[[example]]\nname = \"n\"\ntrace = \"\"\n");
        assert!(message.contains("expect"), "{message}");
        let message = error_of("X.toml", "rule = \"X\"\n[[example]]\nname = \"n\"\ntrace = \"\"\nexpect = []\n");
        assert_eq!(message, "unknown rule `X`");
        let message = error_of("X.toml", "rule = \"SESSION-ENDS\"\nexample = []\n");
        assert_eq!(message, "the examples of SESSION-ENDS belong in SESSION-ENDS.toml");
        assert_eq!(error_of("SESSION-ENDS.toml", "rule = \"SESSION-ENDS\"\nexample = []\n"), "no `[[example]]`");
    }

    const TRACE_LINE: &str = r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK"}"#;

    fn trace_fixture(example: &str) -> String {
        format!("rule = \"SESSION-ENDS\"\n[[example]]\nname = \"n\"\n{example}\n")
    }

    #[test]
    fn trace_examples_take_trace_keys_and_rule_at_line_expectations() {
        let ok = trace_fixture(&format!("trace = '''\n{TRACE_LINE}\n'''\nexpect = [\"SESSION-ENDS@1\"]"));
        let fixture = parse("SESSION-ENDS.toml", &ok).expect("parses");
        let example = &fixture.example[0];
        assert_eq!(example.trace().map(|t| (t.trace.as_str(), t.partial)), Some((&*format!("{TRACE_LINE}\n"), false)));
        assert!(example.fires(Rule::SessionEnds) && !example.fires(Rule::SessionBeginFirst));
        let file = "SESSION-ENDS.toml";
        let harness_key = trace_fixture("trace = \"\"\nneeds_package = true\nexpect = []");
        assert_eq!(
            error_of(file, &harness_key),
            "example 1 (\"n\"): `needs_package` does not belong here: SESSION-ENDS is a trace rule, judged on a trace"
        );
        assert_eq!(error_of(file, &trace_fixture("expect = []")), "example 1 (\"n\"): missing `trace`");
        for bad in ["SESSION-ENDS", "SESSION-ENDS@2", "SESSION-ENDS@0", "NO-RULE@1"] {
            let text = trace_fixture(&format!("trace = '''\n{TRACE_LINE}\n'''\nexpect = [\"{bad}\"]"));
            assert!(error_of(file, &text).contains(&format!("`expect` item `{bad}` is not RULE-ID@line")), "{bad}");
        }
        let twice = trace_fixture(&format!("trace = '''\n{TRACE_LINE}\n'''\nexpect = [\"SESSION-ENDS@1\"] "));
        let twice = twice.replace("[\"SESSION-ENDS@1\"]", "[\"SESSION-ENDS@1\", \"SESSION-ENDS@1\"]");
        assert!(error_of(file, &twice).ends_with("`expect` lists `SESSION-ENDS@1` twice"));
    }

    const STATUS_LINE: &str = r#"{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{"enIndiStatus":"INDI_DOWNLOAD","pszIndiRespUrl":null,"dwHTTPRequest":1,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":500,"dwHTTPReadTotal":1000}}"#;

    const LOG: &str = "exchanges = [\n  { kind = \"query\", completed = true, body_written = 120, content_length = 120, status = 200 },\n  { kind = \"package\", completed = false, body_written = 500, content_length = 1000, status = 200, offer_of = 0 },\n]";

    /// A harness fixture whose one example has `keys` (the example's own
    /// lines) after its name.
    fn harness_fixture(keys: &str) -> String {
        format!("rule = \"SERVICE-TOTAL-MATCHES\"\n[[example]]\nname = \"n\"\n{keys}\n")
    }

    fn harness_keys(status: &str, log: &str, extra: &str) -> String {
        format!("status = '{status}'\n{log}\nneeds_package = true\nresponse_url = \"http://u/\"\n{extra}\nexpect = []")
    }

    #[test]
    fn harness_examples_read_into_the_arguments_of_the_service_check() {
        let text = harness_fixture(&harness_keys(STATUS_LINE, LOG, "fault = \"drop-after-512\""));
        let fixture = parse("SERVICE-TOTAL-MATCHES.toml", &text).expect("parses");
        let harness = fixture.example[0].harness().expect("a harness example");
        assert_eq!((harness.value.http_request, harness.value.progress, harness.value.total), (1, 500, 1000));
        assert_eq!(
            harness.facts,
            SessionFacts { first_exchange: 0, needs_package: true, response_url: "http://u/".into() }
        );
        assert_eq!(harness.fault, Some(Fault::DropAfter(512)));
        assert_eq!(harness.log.exchanges.len(), 2);
        assert_eq!(harness.log.exchanges[1].offer_of, Some(0));
        assert_eq!(harness.judge(), vec![]);
    }

    #[test]
    fn harness_examples_refuse_what_the_harness_could_not_have_seen() {
        let file = "SERVICE-TOTAL-MATCHES.toml";
        let message = |keys: &str| error_of(file, &harness_fixture(keys));
        let prefix = "example 1 (\"n\"): ";
        let with = |status: &str, log: &str, extra: &str| message(&harness_keys(status, log, extra));
        assert_eq!(
            with(STATUS_LINE, LOG, "partial = true"),
            format!(
                "{prefix}`partial` does not belong here: SERVICE-TOTAL-MATCHES is a harness rule, judged on one status and the service's log"
            )
        );
        assert_eq!(message("expect = []"), format!("{prefix}missing `status`"));
        let call = r#"{"kind":"call","api":"Individualize","flags":1}"#;
        assert!(with(call, LOG, "").contains("`status` must be a WMT_INDIVIDUALIZE status"));
        assert!(with("{}", LOG, "").contains("`status` is not an indiv-trace/1 record"));
        assert!(with(STATUS_LINE, LOG, "fault = \"gremlins\"").contains("unknown fault `gremlins`"));
        assert!(
            with(STATUS_LINE, LOG, "first_exchange = 3").contains("`first_exchange = 3` is beyond the 2 exchanges")
        );
        let expect_line =
            harness_keys(STATUS_LINE, LOG, "").replace("expect = []", "expect = [\"SERVICE-TOTAL-MATCHES@1\"]");
        assert!(message(&expect_line).contains("is not the id of a harness rule"));
        let expect_trace_rule =
            harness_keys(STATUS_LINE, LOG, "").replace("expect = []", "expect = [\"SESSION-ENDS\"]");
        assert!(message(&expect_trace_rule).contains("`SESSION-ENDS` is not the id of a harness rule"));
        let exchange = |e: &str| with(STATUS_LINE, &format!("exchanges = [{e}]"), "");
        assert!(
            exchange("{ kind = \"query\", completed = false, body_written = 0, status = 200 }")
                .ends_with("exchange 0: `status` and `content_length` go together: the response head carries both")
        );
        assert!(
            exchange("{ kind = \"query\", completed = false, body_written = 5 }")
                .ends_with("exchange 0: body bytes written before a response head")
        );
        assert!(
            exchange("{ kind = \"query\", completed = false, body_written = 9, content_length = 8, status = 200 }")
                .ends_with("exchange 0: 9 body bytes written of a Content-Length of 8")
        );
        assert!(
            exchange("{ kind = \"query\", completed = false, body_written = 8, content_length = 8, status = 200 }")
                .contains("`completed` is true exactly when")
        );
        assert!(
            exchange("{ kind = \"query\", completed = true, body_written = 0 }")
                .contains("`completed` is true exactly when")
        );
        assert!(
            exchange("{ kind = \"query\", completed = false, body_written = 0, offer_of = 0 }")
                .ends_with("exchange 0: only a package request carries `offer_of`")
        );
        assert!(
            exchange("{ kind = \"package\", completed = false, body_written = 0, offer_of = 0 }")
                .ends_with("exchange 0: `offer_of = 0` must name an earlier query exchange")
        );
        assert!(exchange("{ kind = \"package\", completed = false, body_written = 0, colour = 1 }").contains("colour"));
        assert!(exchange("{ kind = \"ping\", completed = false, body_written = 0 }").contains("ping"));
    }
}
