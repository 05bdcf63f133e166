//! `PROVE-CONFORMS` fires on doctored traces (a record dropped, a call's
//! result or a status changed) at the rule and line expected, and stays
//! quiet on the reference engine's conforming traces.

use indiv_engine::scenario::named;
use indiv_engine::simulate;
use indiv_prove::properties::conforms::Judgement;
use indiv_spec::Rule;
use indiv_spec::record::{Body, Call, Record, Status};
use indiv_spec::vocab::Hresult;

use crate::spec;

fn reader_happy() -> Vec<Record<'static>> {
    let scenario = named().into_iter().find(|n| n.name == "reader-happy").expect("named").scenario;
    simulate(&scenario)
}

fn is(record: &Record<'_>, status: fn(&Status<'_>) -> bool) -> bool {
    matches!(&record.body, Body::Status { status: s, .. } if status(s))
}

/// A doctored trace: a name, an edit of reader-happy, and the rule and line
/// the property must then report.
type Doctored = (&'static str, fn(&mut Vec<Record<'static>>), Rule, usize);

fn doctored() -> Vec<Doctored> {
    vec![
        (
            "WMT_NO_RIGHTS_EX dropped after the success",
            |t| t.retain(|r| !is(r, |s| matches!(s, Status::NoRightsEx))),
            Rule::ReaderNoRightsAfterSucceed,
            21,
        ),
        (
            "WMT_NEEDS_INDIVIDUALIZATION dropped after an outdated Open",
            |t| t.retain(|r| !is(r, |s| matches!(s, Status::NeedsIndividualization))),
            Rule::ReaderNeedsWhenOutdated,
            2,
        ),
        (
            "Individualize(0x2) accepted",
            |t| {
                if let Body::Call { call: Call::Individualize { flags }, .. } = &mut t[3].body {
                    *flags = 2;
                }
            },
            Rule::ReaderFlagsValid,
            4,
        ),
        (
            "GetSecurityVersion fails to reflect the install",
            |t| {
                if let Some(Body::Call { call: Call::GetSecurityVersion { version }, .. }) =
                    t.last_mut().map(|r| &mut r.body)
                {
                    *version = Some("2.1.0.0".into());
                }
            },
            Rule::SecurityVersionReflects,
            23,
        ),
        (
            "GetSecurityVersion reports a version no session installed (C8)",
            |t| {
                let report = Call::GetSecurityVersion { version: Some("2.4.0.1".into()) };
                t.insert(1, Record::new(Body::Call { call: report, hr: Hresult::S_OK }));
            },
            Rule::SecurityVersionStable,
            2,
        ),
        (
            "PerformSecurityUpdate(0x3) accepted",
            |t| t.push(Record::new(Body::Call { call: Call::PerformSecurityUpdate { flags: 3 }, hr: Hresult::S_OK })),
            Rule::SecurityFlagsOne,
            24,
        ),
    ]
}

#[test]
fn the_property_fires_on_each_doctored_trace_at_its_rule_and_line() {
    let happy = reader_happy();
    assert!(Judgement::of(spec(), &happy).holds(), "reader-happy conforms");
    for (name, edit, rule, line) in doctored() {
        let mut trace = happy.clone();
        edit(&mut trace);
        let judgement = Judgement::of(spec(), &trace);
        assert!(!judgement.holds(), "{name}: not caught");
        assert!(judgement.monitor_set().contains(&(rule, line)), "{name}: {}", judgement.describe());
        assert_eq!(judgement.monitor_set(), judgement.oracle, "{name}: the oracle disagrees");
        assert!(judgement.describe().contains(&format!("{rule}@{line}")), "{name}: {}", judgement.describe());
    }
}

#[test]
fn the_property_stays_quiet_on_every_named_scenario() {
    for n in named() {
        let judgement = Judgement::of(spec(), &simulate(&n.scenario));
        assert!(judgement.holds(), "{}: {}", n.name, judgement.describe());
        assert_eq!(judgement.describe(), "");
    }
}

#[test]
fn a_disagreement_of_the_oracle_is_a_failure_and_is_described() {
    let mut judgement = Judgement::of(spec(), &reader_happy());
    judgement.oracle.insert((Rule::SessionEnds, 4));
    assert!(!judgement.holds());
    assert_eq!(judgement.describe(), "the oracle disagrees: checker [], oracle [SESSION-ENDS@4]");
}
