//! The `SERVICE-*` rules: what only the certification harness can judge,
//! because it ran the service and knows what really crossed the wire. Pure
//! functions over a status, the session's facts and the service's log, so
//! each rule can be shown to fire and to stay quiet without sockets.

use indiv_engine::service::{Expected, Fault, ServiceBehavior};
use indiv_spec::Rule;
use indiv_spec::record::IndividualizeStatus;
use indiv_spec::vocab::{HttpStatus, IndiStatus, SecurityFlag, SecurityVersion};

use crate::log::{CaseLog, ExchangeKind, ExchangeRecord};

/// What the harness knows of the session a status belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFacts {
    /// Index of the first exchange of the case's log that belongs to the session.
    pub first_exchange: usize,
    /// Whether the session must download and install the package.
    pub needs_package: bool,
    /// The `response_url` the service returns for this case.
    pub response_url: String,
}

impl SessionFacts {
    /// The facts of a session opened by a start call with `flags` (reader
    /// sessions pass `None`) on a component at `component`.
    pub fn new(
        first_exchange: usize,
        security_flags: Option<u32>,
        component: SecurityVersion,
        service: &ServiceBehavior,
        response_url: &str,
    ) -> SessionFacts {
        let as_needed = security_flags == Some(SecurityFlag::Indiv.value());
        SessionFacts {
            first_exchange,
            needs_package: !as_needed || component < service.offered_version,
            response_url: response_url.to_string(),
        }
    }
}

/// Whether `fault` fails a session with these facts (see
/// [`Fault::expected`]).
pub fn fault_fails(fault: Option<Fault>, facts: &SessionFacts) -> bool {
    fault.is_some_and(|f| match f.expected() {
        Expected::FailsEverySession => true,
        Expected::FailsPackageSessions => facts.needs_package,
        Expected::Recoverable => false,
    })
}

/// The most redirects a session may follow (`SERVICE-REDIRECTS-BOUNDED`).
pub const MAX_REDIRECTS: usize = 20;

/// The query most likely the session's, of those since its window opened at
/// `first`: a request of an abandoned earlier session may arrive late, so it
/// is the one a package request of the session names, and before there is
/// one, the last query.
fn likely_query(log: &CaseLog, first: usize) -> Option<usize> {
    let recent = log.exchanges.iter().enumerate().skip(first);
    let named = recent.clone().filter_map(|(_, e)| e.offer_of).filter(|q| *q >= first).max();
    named.or_else(|| recent.filter(|(_, e)| e.kind == ExchangeKind::Query).map(|(i, _)| i).next_back())
}

/// A query and the package requests of its offer, each with its index in the log.
fn offer_exchanges(log: &CaseLog, query: usize) -> Vec<(usize, &ExchangeRecord)> {
    log.exchanges
        .iter()
        .enumerate()
        .skip(query)
        .filter(|(i, e)| *i == query || (e.kind == ExchangeKind::Package && e.offer_of == Some(query)))
        .collect()
}

/// A service rule a status breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceFinding {
    /// The rule.
    pub rule: Rule,
    /// Expected versus seen.
    pub message: String,
    /// The exchanges of the log it was judged against, by index: the
    /// response a byte figure describes, the query a URL comes from, or
    /// every exchange of the session for a count or an outcome.
    pub exchanges: Vec<usize>,
}

/// Which response a status's byte figures (`dwHTTPReadProgress`,
/// `dwHTTPReadTotal`) describe, read from the status's own `dwHTTPRequest`
/// and `enHTTPStatus`, never from what the service is doing when the harness
/// reads the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Figures {
    /// Connecting or requesting the session's first round trip: no response
    /// of the session has arrived, so the figures must be 0.
    NoResponse,
    /// The response of the session's exchange at this position (0 is the
    /// individualize request, then the package requests of its offer).
    Of(usize),
    /// `HTTP_NOTINITIATED`, an undefined `enHTTPStatus`, or `HTTP_COMPLETED`
    /// with no round trip counted: no place in a round trip, so nothing to
    /// compare with (the HTTP rules of the spec judge such statuses).
    Unplaced,
}

/// The response `value`'s figures describe (the spec's `[http]` reading: a
/// status is in round trip `dwHTTPRequest` while connecting, requesting or
/// receiving, and in round trip `dwHTTPRequest - 1` once it says
/// `HTTP_COMPLETED`). While connecting or requesting, the engine has received
/// nothing of its current trip yet, so its figures are the previous trip's
/// (carried) or 0; while receiving they are the current trip's.
fn figures_of(value: &IndividualizeStatus<'_>) -> Figures {
    let trips = value.http_request as usize;
    match value.http_status() {
        None | Some(HttpStatus::NotInitiated) => Figures::Unplaced,
        Some(HttpStatus::Completed) => trips.checked_sub(1).map_or(Figures::Unplaced, Figures::Of),
        Some(HttpStatus::Receiving) => Figures::Of(trips),
        Some(HttpStatus::Connecting | HttpStatus::Requesting) => {
            trips.checked_sub(1).map_or(Figures::NoResponse, Figures::Of)
        }
    }
}

/// The service rules `value` breaks, judged against the log as it stood when
/// the status arrived.
///
/// The log only grows (exchanges are appended; a head, once recorded, stays;
/// body bytes and completion are raised before the write they describe), so
/// the log the harness reads is a superset of the one the engine's line was
/// written against. Each rule is judged so that reading the log later never
/// turns a kept rule into a broken one: the byte figures are compared with
/// the exchange the status names by its own figures (`figures_of`), not
/// with the exchange the service happens to be serving.
///
/// Which query is the session's is not always knowable: a testee may queue a
/// start call sent while a session runs, so the next session's window opens
/// before this one's exchanges end, and the harness may read a status after
/// the next session has reached the service. So every query since the
/// session's window opened is a candidate, and a rule is reported only when
/// it is broken whichever candidate is the session's; the messages are those
/// of the likeliest one (see `likely_query`).
pub fn check(
    value: &IndividualizeStatus<'_>,
    facts: &SessionFacts,
    log: &CaseLog,
    fault: Option<Fault>,
) -> Vec<ServiceFinding> {
    let Some(likely) = likely_query(log, facts.first_exchange) else {
        // No query yet: the session has no exchanges.
        return judge(value, facts, &[], fault);
    };
    let queries = log.exchanges.iter().enumerate().skip(facts.first_exchange);
    let candidates: Vec<(usize, Vec<ServiceFinding>)> = queries
        .filter(|(_, e)| e.kind == ExchangeKind::Query)
        .map(|(i, _)| (i, judge(value, facts, &offer_exchanges(log, i), fault)))
        .collect();
    let broken_by_every = |rule: Rule| candidates.iter().all(|(_, found)| found.iter().any(|f| f.rule == rule));
    // `likely_query` names a query at or after the window's start, so it is a candidate.
    let likely_findings = candidates.iter().find(|(i, _)| *i == likely).map(|(_, found)| found.clone());
    likely_findings.unwrap_or_default().into_iter().filter(|f| broken_by_every(f.rule)).collect()
}

/// The service rules `value` breaks if `exchanges` (with their indices in
/// the log) are the session's.
fn judge(
    value: &IndividualizeStatus<'_>,
    facts: &SessionFacts,
    exchanges: &[(usize, &ExchangeRecord)],
    fault: Option<Fault>,
) -> Vec<ServiceFinding> {
    let all: Vec<usize> = exchanges.iter().map(|(i, _)| *i).collect();
    let mut found = Vec::new();
    let mut push = |rule, message, exchanges: &[usize]| {
        found.push(ServiceFinding { rule, message, exchanges: exchanges.to_vec() });
    };
    let completed = exchanges.iter().filter(|(_, e)| e.completed).count() as u64;
    // A response of hostile framing may be counted or not.
    let surely = exchanges.iter().filter(|(_, e)| e.completed && !e.ambiguous).count() as u64;
    let reported = u64::from(value.http_request);
    let indi = value.indi_status();
    if reported > completed {
        push(
            Rule::ServiceRoundtripsMatch,
            format!("dwHTTPRequest {reported} exceeds the {completed} round trips the service completed"),
            &all,
        );
    } else if matches!(indi, Some(IndiStatus::Succeed | IndiStatus::Fail)) && reported < surely {
        let which = if surely == completed {
            format!("the service completed {completed}")
        } else {
            format!("the service completed {completed}, {surely} of them in plain HTTP")
        };
        push(
            Rule::ServiceRoundtripsMatch,
            format!("the terminal status reports {reported} round trips; {which}"),
            &all,
        );
    }
    let followed = exchanges.iter().filter(|(_, e)| e.redirected).count();
    if followed > MAX_REDIRECTS {
        push(
            Rule::ServiceRedirectsBounded,
            format!("the session followed {followed} redirects; at most {MAX_REDIRECTS} are allowed"),
            &all,
        );
    }
    // `Some(None)`: the status describes no response; `None`: not judged.
    let described = match figures_of(value) {
        Figures::Unplaced => None,
        Figures::NoResponse => Some(None),
        // An exchange the log has not recorded is not judged: the figures
        // cannot be attributed to a response, and a trip count beyond the
        // service's is SERVICE-ROUNDTRIPS-MATCH's to report.
        Figures::Of(trip) => exchanges.get(trip).map(|(i, e)| Some((trip, *i, *e))),
    };
    if let Some(response) = described {
        let which = response.map_or("before any response".to_string(), |(trip, _, _)| format!("for round trip {trip}"));
        let evidence: Vec<usize> = response.map(|(_, i, _)| i).into_iter().collect();
        if value.total > 0 {
            let announced = response.and_then(|(_, _, e)| e.content_length);
            if announced != Some(value.total) {
                let served = announced.map_or("no Content-Length".to_string(), |n| format!("Content-Length {n}"));
                push(
                    Rule::ServiceTotalMatches,
                    format!("dwHTTPReadTotal {} but the service announced {served} {which}", value.total),
                    &evidence,
                );
            }
        }
        let written = response.map_or(0, |(_, _, e)| e.body_written);
        if u64::from(value.progress) > written {
            push(
                Rule::ServiceProgressReal,
                format!(
                    "dwHTTPReadProgress {} but the service has written {written} body bytes {which}",
                    value.progress
                ),
                &evidence,
            );
        }
    }
    if let Some(url) = &value.url {
        let query: Vec<usize> =
            exchanges.iter().filter(|(_, e)| e.kind == ExchangeKind::Query).map(|(i, _)| *i).collect();
        let answered = exchanges.iter().any(|(_, e)| e.kind == ExchangeKind::Query && e.status == Some(200));
        if !answered {
            push(Rule::ServiceUrlMatches, format!("pszIndiRespUrl {url:?} before the service answered"), &query);
        } else if !crate::url::same_url(url, &facts.response_url) {
            push(
                Rule::ServiceUrlMatches,
                format!("pszIndiRespUrl {url:?}; the service returned {:?}", facts.response_url),
                &query,
            );
        } else if url.as_ref() != facts.response_url {
            push(
                Rule::ServiceUrlVerbatim,
                format!(
                    "pszIndiRespUrl {url:?} is the URL the service returned, spelled differently: {:?}",
                    facts.response_url
                ),
                &query,
            );
        }
    }
    if indi == Some(IndiStatus::Succeed) && fault_fails(fault, facts) {
        let name = fault.map(Fault::name).unwrap_or_default();
        push(Rule::ServiceFaultFails, format!("INDI_SUCCEED although the service injected `{name}`"), &all);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use indiv_spec::vocab::{Hresult, HttpStatus};

    fn exchange(kind: ExchangeKind, completed: bool, written: u64, length: u32, status: u16) -> ExchangeRecord {
        let offer_of = (kind == ExchangeKind::Package).then_some(0);
        ExchangeRecord {
            kind,
            completed,
            body_written: written,
            content_length: Some(length),
            status: Some(status),
            offer_of,
            redirected: false,
            ambiguous: false,
        }
    }

    fn status(
        indi: IndiStatus,
        trips: u32,
        progress: u32,
        total: u32,
        url: Option<&str>,
    ) -> IndividualizeStatus<'static> {
        IndividualizeStatus {
            hr: Hresult::S_OK,
            indi: indi.value(),
            url: url.map(|u| u.to_string().into()),
            http_request: trips,
            http: HttpStatus::Receiving.value(),
            progress,
            total,
        }
    }

    const URL: &str = "http://127.0.0.1:9/c/1/response";

    fn facts() -> SessionFacts {
        SessionFacts { first_exchange: 0, needs_package: true, response_url: URL.into() }
    }

    /// A log after the offer and half of a 1000-byte package.
    fn halfway() -> CaseLog {
        CaseLog {
            exchanges: vec![
                exchange(ExchangeKind::Query, true, 120, 120, 200),
                exchange(ExchangeKind::Package, false, 500, 1000, 200),
            ],
        }
    }

    /// Runs the rules and returns the ids found.
    fn check_ids(value: &IndividualizeStatus<'_>, log: &CaseLog, fault: Option<Fault>) -> Vec<Rule> {
        check(value, &facts(), log, fault).into_iter().map(|f| f.rule).collect()
    }

    #[test]
    fn each_finding_names_the_exchanges_it_was_judged_against() {
        let evidence = |value: &IndividualizeStatus<'_>, fault| -> Vec<(Rule, Vec<usize>)> {
            check(value, &facts(), &halfway(), fault).into_iter().map(|f| (f.rule, f.exchanges)).collect()
        };
        // A byte figure: the response it describes (round trip 1, the package).
        assert_eq!(
            evidence(&status(IndiStatus::Download, 1, 501, 1000, Some(URL)), None),
            vec![(Rule::ServiceProgressReal, vec![1])]
        );
        assert_eq!(
            evidence(&status(IndiStatus::Download, 1, 500, 999, Some(URL)), None),
            vec![(Rule::ServiceTotalMatches, vec![1])]
        );
        // A URL: the query.
        assert_eq!(
            evidence(&status(IndiStatus::Download, 1, 500, 1000, Some("http://x/")), None),
            vec![(Rule::ServiceUrlMatches, vec![0])]
        );
        // A count or an outcome: every exchange of the session.
        assert_eq!(
            evidence(&status(IndiStatus::Download, 2, 500, 1000, Some(URL)), None),
            vec![(Rule::ServiceRoundtripsMatch, vec![0, 1])]
        );
        let mut done = halfway();
        done.exchanges[1].completed = true;
        done.exchanges[1].body_written = 1000;
        let found =
            check(&status(IndiStatus::Succeed, 2, 1000, 1000, Some(URL)), &facts(), &done, Some(Fault::ShortBody(100)));
        let found: Vec<(Rule, Vec<usize>)> = found.into_iter().map(|f| (f.rule, f.exchanges)).collect();
        assert_eq!(found, vec![(Rule::ServiceFaultFails, vec![0, 1])]);
        assert_eq!(
            done.excerpt(&[1, 7]),
            vec!["exchange 1: GET package: status 200, Content-Length 1000, 1000 body bytes written, written in full"]
        );
    }

    #[test]
    fn a_truthful_status_breaks_no_service_rule() {
        assert_eq!(check_ids(&status(IndiStatus::Download, 1, 500, 1000, Some(URL)), &halfway(), None), vec![]);
        assert_eq!(check_ids(&status(IndiStatus::Download, 0, 0, 0, None), &CaseLog::default(), None), vec![]);
    }

    #[test]
    fn roundtrips_beyond_the_service_or_short_at_the_end_fire() {
        let log = halfway();
        assert_eq!(
            check_ids(&status(IndiStatus::Download, 2, 500, 1000, Some(URL)), &log, None),
            vec![Rule::ServiceRoundtripsMatch]
        );
        assert_eq!(
            check_ids(&status(IndiStatus::Fail, 0, 120, 120, Some(URL)), &log, None),
            vec![Rule::ServiceRoundtripsMatch]
        );
        assert_eq!(check_ids(&status(IndiStatus::Fail, 1, 500, 1000, Some(URL)), &log, None), vec![]);
    }

    #[test]
    fn a_total_other_than_the_content_length_fires() {
        assert_eq!(
            check_ids(&status(IndiStatus::Download, 1, 500, 999, Some(URL)), &halfway(), None),
            vec![Rule::ServiceTotalMatches]
        );
    }

    #[test]
    fn progress_beyond_the_bytes_written_fires() {
        assert_eq!(
            check_ids(&status(IndiStatus::Download, 1, 501, 1000, Some(URL)), &halfway(), None),
            vec![Rule::ServiceProgressReal]
        );
    }

    #[test]
    fn a_url_the_service_did_not_return_fires() {
        let other = Some("http://127.0.0.1:9/c/2/response");
        assert_eq!(
            check_ids(&status(IndiStatus::Download, 1, 500, 1000, other), &halfway(), None),
            vec![Rule::ServiceUrlMatches]
        );
        assert_eq!(
            check_ids(&status(IndiStatus::Download, 0, 0, 0, Some(URL)), &CaseLog::default(), None),
            vec![Rule::ServiceUrlMatches]
        );
    }

    #[test]
    fn a_late_query_of_an_abandoned_session_is_not_the_sessions() {
        let mut log = halfway();
        // The abandoned session's query arrives after this session's own.
        log.exchanges.insert(1, exchange(ExchangeKind::Query, true, 120, 120, 200));
        log.exchanges[2].offer_of = Some(0);
        assert_eq!(check_ids(&status(IndiStatus::Download, 1, 500, 1000, Some(URL)), &log, None), vec![]);
        log.exchanges[2].completed = true;
        log.exchanges[2].body_written = 1000;
        assert_eq!(check_ids(&status(IndiStatus::Succeed, 2, 1000, 1000, Some(URL)), &log, None), vec![]);
    }

    #[test]
    fn the_redirect_bounds_are_the_ones_the_spec_states() {
        let spec = indiv_spec::Spec::builtin().expect("the built-in spec");
        let rule = spec.rule(Rule::ServiceRedirectsBounded);
        assert!(rule.statement.contains(&format!("at most {MAX_REDIRECTS} redirects")), "{}", rule.statement);
        let cap = indiv_engine::service::REDIRECT_LOOP_CAP;
        assert!(rule.readings.iter().any(|r| r.contains(&format!("at most {cap} times"))), "{:?}", rule.readings);
    }

    #[test]
    fn success_despite_a_fault_fires() {
        let mut log = halfway();
        log.exchanges[1].completed = true;
        log.exchanges[1].body_written = 1000;
        let succeed = status(IndiStatus::Succeed, 2, 1000, 1000, Some(URL));
        assert_eq!(check_ids(&succeed, &log, Some(Fault::InstallFailure)), vec![Rule::ServiceFaultFails]);
        assert_eq!(check_ids(&succeed, &log, None), vec![]);
        let as_needed = SessionFacts { needs_package: false, ..facts() };
        assert!(!fault_fails(Some(Fault::PackageMissing), &as_needed));
        assert!(fault_fails(Some(Fault::DailyLimit), &as_needed));
    }

    #[test]
    fn only_what_every_candidate_query_breaks_fires() {
        // The session's query (0) answered and ended its as-needed session;
        // the next session's query (1) and package (2) arrived before the
        // harness read the terminal status.
        let mut log = CaseLog {
            exchanges: vec![
                exchange(ExchangeKind::Query, true, 120, 120, 200),
                exchange(ExchangeKind::Query, true, 120, 120, 200),
                exchange(ExchangeKind::Package, true, 1000, 1000, 200),
            ],
        };
        log.exchanges[2].offer_of = Some(1);
        let mut end = status(IndiStatus::Succeed, 1, 0, 0, Some(URL));
        end.http = HttpStatus::Completed.value();
        let facts = SessionFacts { needs_package: false, ..facts() };
        let ids = |value: &IndividualizeStatus<'_>| -> Vec<Rule> {
            check(value, &facts, &log, None).into_iter().map(|f| f.rule).collect()
        };
        assert_eq!(ids(&end), vec![], "the session's own query explains the status");
        let mut overstated = end.clone();
        overstated.http_request = 3;
        assert_eq!(ids(&overstated), vec![Rule::ServiceRoundtripsMatch], "no query explains 3 round trips");
    }

    /// The session's log as the harness may read it at five moments of one
    /// forced session: before the package request arrives, after it arrived,
    /// after its head, halfway through its body, and after it finished.
    fn moments() -> Vec<(&'static str, CaseLog)> {
        let query = exchange(ExchangeKind::Query, true, 120, 120, 200);
        let requested = ExchangeRecord {
            kind: ExchangeKind::Package,
            completed: false,
            body_written: 0,
            content_length: None,
            status: None,
            offer_of: Some(0),
            redirected: false,
            ambiguous: false,
        };
        let with = |package: ExchangeRecord| CaseLog { exchanges: vec![query.clone(), package] };
        vec![
            ("before the package request", CaseLog { exchanges: vec![query.clone()] }),
            ("after the package request", with(requested)),
            ("after the package head", with(exchange(ExchangeKind::Package, false, 0, 1000, 200))),
            ("halfway through the package", with(exchange(ExchangeKind::Package, false, 500, 1000, 200))),
            ("after the package", with(exchange(ExchangeKind::Package, true, 1000, 1000, 200))),
        ]
    }

    /// A status with `http` as its `enHTTPStatus`.
    fn at(http: HttpStatus, trips: u32, progress: u32, total: u32) -> IndividualizeStatus<'static> {
        IndividualizeStatus { http: http.value(), ..status(IndiStatus::Download, trips, progress, total, Some(URL)) }
    }

    /// Requires `value` to break `expect` whichever moment the harness reads
    /// the log at, from the first moment that has the exchange it names.
    fn check_at_every_moment(value: &IndividualizeStatus<'_>, from: usize, expect: &[Rule]) {
        for (moment, log) in moments().into_iter().skip(from) {
            assert_eq!(check_ids(value, &log, None), expect, "{value:?} read {moment}");
        }
    }

    #[test]
    fn a_status_is_judged_alike_whenever_the_log_is_read() {
        use HttpStatus::{Completed, Connecting, Receiving, Requesting};
        // (status, first moment it can be read at, rules it breaks)
        let cases = [
            // The offer's own length, reported as TESTEE.md allows during the
            // first exchange, then carried while the package is requested.
            (at(Completed, 1, 120, 120), 0, vec![]),
            (at(Connecting, 1, 120, 120), 0, vec![]),
            (at(Requesting, 1, 120, 120), 0, vec![]),
            (at(Requesting, 1, 0, 0), 0, vec![]),
            // The package's figures, once its head and bytes were written.
            (at(Receiving, 1, 0, 1000), 2, vec![]),
            (at(Receiving, 1, 500, 1000), 3, vec![]),
            (at(Completed, 2, 1000, 1000), 4, vec![]),
            // Really wrong: figures no exchange they name announced or sent.
            (at(Completed, 1, 120, 1000), 0, vec![Rule::ServiceTotalMatches]),
            (at(Completed, 1, 121, 120), 0, vec![Rule::ServiceProgressReal]),
            (at(Requesting, 1, 0, 1000), 0, vec![Rule::ServiceTotalMatches]),
            (at(Receiving, 1, 0, 120), 2, vec![Rule::ServiceTotalMatches]),
            (at(Receiving, 1, 1001, 1000), 2, vec![Rule::ServiceProgressReal]),
        ];
        for (value, from, expect) in &cases {
            check_at_every_moment(value, *from, expect);
        }
    }

    #[test]
    fn the_first_exchange_length_is_not_judged_against_the_package_the_harness_reads_later() {
        // The race of issue 12: the status describes the offer; by the time
        // the harness reads it the service is writing the package.
        let offer = at(HttpStatus::Completed, 1, 120, 120);
        assert_eq!(check_ids(&offer, &halfway(), None), vec![]);
        let wrong = at(HttpStatus::Completed, 1, 120, 119);
        assert_eq!(check_ids(&wrong, &halfway(), None), vec![Rule::ServiceTotalMatches]);
    }

    #[test]
    fn figures_of_a_round_trip_the_log_has_not_recorded_are_not_judged() {
        let first = CaseLog { exchanges: vec![exchange(ExchangeKind::Query, true, 120, 120, 200)] };
        // Receiving the package before the service recorded its request.
        assert_eq!(check_ids(&at(HttpStatus::Receiving, 1, 0, 1000), &first, None), vec![]);
        // Before any response the figures must be 0.
        let nothing = CaseLog::default();
        assert_eq!(
            check_ids(&at(HttpStatus::Connecting, 0, 0, 120), &nothing, None),
            vec![Rule::ServiceTotalMatches, Rule::ServiceUrlMatches]
        );
        // A status in no round trip is not judged by its figures.
        assert_eq!(check_ids(&at(HttpStatus::NotInitiated, 0, 5, 5), &nothing, None), vec![Rule::ServiceUrlMatches]);
    }
}
