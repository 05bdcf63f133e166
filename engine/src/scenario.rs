//! Scenarios: a component version, a service behaviour, and a script of
//! application calls with the moments they are made. Named scenarios cover
//! every rule's conforming side; `Arbitrary` (and, with the `proptest`
//! feature, a proptest `Strategy`) generate the rest.

use arbitrary::{Arbitrary, Unstructured};
use indiv_spec::vocab::{IndiStatus, RequiredVersion, SecurityFlag, SecurityVersion};

use crate::boundary::{INDIVIDUALIZE_FLAGS, MAX_WHOLE_PACKAGE, MINORS, Relation, SECURITY_FLAGS, TOTALS, cut_fault};
use crate::core::AppCall;
use crate::service::{CATALOGUE, Exchange, Fault, Pace, ServiceBehavior, UrlShape};

/// When a step's call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Right after the previous step.
    Now,
    /// After this many more individualization statuses (or when nothing is left to happen).
    AfterStatuses(u32),
    /// When everything under way has finished.
    WhenIdle,
    /// When the engine next reports this phase (an individualization status,
    /// or a security-path Progress event, with this `enIndiStatus`), or when
    /// nothing is left to happen. The call then meets the phase under way,
    /// unless the engine has already left it.
    AtStatus(Phase),
}

/// A phase of an individualization session, as `enIndiStatus` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub enum Phase {
    /// `INDI_BEGIN`.
    #[serde(rename = "INDI_BEGIN")]
    Begin,
    /// `INDI_DOWNLOAD`.
    #[serde(rename = "INDI_DOWNLOAD")]
    Download,
    /// `INDI_INSTALL`.
    #[serde(rename = "INDI_INSTALL")]
    Install,
}

impl Phase {
    /// The `enIndiStatus` value of the phase.
    pub fn indi(self) -> IndiStatus {
        match self {
            Phase::Begin => IndiStatus::Begin,
            Phase::Download => IndiStatus::Download,
            Phase::Install => IndiStatus::Install,
        }
    }

    /// Its name, as the trace spells it.
    pub fn name(self) -> &'static str {
        self.indi().name()
    }
}

/// How many statuses of each [`Phase`] have come: what
/// [`Trigger::AtStatus`] waits for, counted the same way by the simulation
/// and the certification harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseCounts([u64; 3]);

impl PhaseCounts {
    /// Counts a status whose `enIndiStatus` is `indi` (other values than the
    /// three phases are not counted).
    pub fn count(&mut self, indi: u32) {
        let at = [Phase::Begin, Phase::Download, Phase::Install].iter().position(|p| p.indi().value() == indi);
        if let Some(n) = at.and_then(|i| self.0.get_mut(i)) {
            *n += 1;
        }
    }

    /// How many statuses of `phase` have come.
    pub fn get(&self, phase: Phase) -> u64 {
        self.0[phase as usize]
    }
}

/// One call of the script.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// When.
    pub trigger: Trigger,
    /// What.
    pub call: AppCall,
}

/// A complete, deterministic run description.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The component's security version at the start.
    pub component_version: SecurityVersion,
    /// The individualization service.
    pub service: ServiceBehavior,
    /// The application's calls.
    pub steps: Vec<Step>,
    /// How long, in milliseconds, an engine that simulates its installer
    /// (the reference testee, the Python example) takes to install, so that
    /// a call can meet the install under way. A real engine's installer
    /// takes what it takes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub install_ms: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A named scenario with what it shows.
#[derive(Clone, Debug)]
pub struct Named {
    /// Stable name, e.g. `reader-happy`.
    pub name: &'static str,
    /// What it shows.
    pub about: &'static str,
    /// The scenario.
    pub scenario: Scenario,
}

const OLD: SecurityVersion = SecurityVersion([2, 1, 0, 0]);
const OFFERED: SecurityVersion = SecurityVersion([2, 4, 0, 1]);
const NEEDS: RequiredVersion = RequiredVersion { major: 2, minor: 2 };

fn service(fault: Option<Fault>) -> ServiceBehavior {
    ServiceBehavior {
        offered_version: OFFERED,
        package_size: 65536,
        pace: Pace { chunk_size: 16384, delay_ms: 0, hold: false },
        fault,
        response_url: Default::default(),
    }
}

fn now(call: AppCall) -> Step {
    Step { trigger: Trigger::Now, call }
}

fn idle(call: AppCall) -> Step {
    Step { trigger: Trigger::WhenIdle, call }
}

fn at(phase: Phase, call: AppCall) -> Step {
    Step { trigger: Trigger::AtStatus(phase), call }
}

/// `scenario` with a package written in 4 chunks half a second apart, the
/// last 3 held until the script's calls are made (see [`Pace::hold`]), so
/// that a call made when the download starts meets it under way.
fn slow_package(scenario: Scenario) -> Scenario {
    let service = ServiceBehavior { pace: Pace { chunk_size: 16384, delay_ms: 500, hold: true }, ..scenario.service };
    Scenario { service, ..scenario }
}

fn individualize(flags: u32) -> AppCall {
    AppCall::Individualize { flags }
}

fn update(flag: SecurityFlag) -> AppCall {
    AppCall::PerformSecurityUpdate { flags: flag.value() }
}

fn scenario(component: SecurityVersion, fault: Option<Fault>, steps: Vec<Step>) -> Scenario {
    Scenario { component_version: component, service: service(fault), steps, install_ms: 0 }
}

fn faulted(fault: Fault) -> Scenario {
    scenario(OLD, Some(fault), vec![now(individualize(1)), idle(AppCall::GetSecurityVersion)])
}

/// The named scenarios, covering every rule's conforming side: the paths
/// and their flags, then cancellation, then the service's faults.
pub fn named() -> Vec<Named> {
    let mut all = path_scenarios();
    all.extend(refusal_scenarios());
    all.extend(cancel_scenarios());
    all.extend(fault_scenarios());
    all.extend(crate::boundary::named_cases());
    all
}

fn named_as(name: &'static str, about: &'static str, scenario: Scenario) -> Named {
    Named { name, about, scenario }
}

/// Each path with each of its flags, and Open with and without an upgrade due.
fn path_scenarios() -> Vec<Named> {
    use AppCall::GetSecurityVersion;
    let open = AppCall::Open { required: NEEDS };
    let n = named_as;
    vec![
        n(
            "reader-happy",
            "Open needs an upgrade; Individualize(0x1) downloads, installs, succeeds; WMT_NO_RIGHTS_EX follows",
            scenario(OLD, None, vec![now(open.clone()), now(individualize(1)), idle(GetSecurityVersion)]),
        ),
        n(
            "security-happy",
            "PerformSecurityUpdate(INDIV) on an out-of-date client: Progress events, one Completed",
            scenario(OLD, None, vec![now(update(SecurityFlag::Indiv)), idle(GetSecurityVersion)]),
        ),
        n(
            "security-as-needed-up-to-date",
            "PerformSecurityUpdate(INDIV) on an up-to-date client succeeds without installing",
            scenario(OFFERED, None, vec![now(update(SecurityFlag::Indiv)), idle(GetSecurityVersion)]),
        ),
        n(
            "security-force-up-to-date",
            "PerformSecurityUpdate(FORCE_INDIV) downloads and installs although up to date",
            scenario(OFFERED, None, vec![now(update(SecurityFlag::ForceIndiv)), idle(GetSecurityVersion)]),
        ),
        n(
            "revocation-refresh",
            "PerformSecurityUpdate(REVOCATION_REFRESH): no statuses, one MEWMDRMRevocationDownloadCompleted",
            scenario(OLD, None, vec![now(update(SecurityFlag::RevocationRefresh))]),
        ),
        n(
            "needs-not-needed",
            "Open of content the component already satisfies: no WMT_NEEDS_INDIVIDUALIZATION",
            scenario(OFFERED, None, vec![now(open.clone()), now(GetSecurityVersion)]),
        ),
    ]
}

/// Calls the engine must refuse (busy, invalid flags, already individualized)
/// or accept again.
fn refusal_scenarios() -> Vec<Named> {
    use AppCall::GetSecurityVersion;
    let n = named_as;
    vec![
        n(
            "busy",
            "a second start call while a session runs returns NS_E_DRM_INDIVIDUALIZING (the package comes slowly)",
            slow_package(scenario(
                OLD,
                None,
                vec![
                    now(individualize(0)),
                    now(individualize(0)),
                    now(update(SecurityFlag::ForceIndiv)),
                    idle(GetSecurityVersion),
                ],
            )),
        ),
        n(
            "invalid-flags",
            "Individualize(0x2), PerformSecurityUpdate(0x3) and (0x0) return E_INVALIDARG",
            scenario(
                OLD,
                None,
                vec![
                    now(individualize(2)),
                    now(AppCall::PerformSecurityUpdate { flags: 3 }),
                    now(AppCall::PerformSecurityUpdate { flags: 0 }),
                ],
            ),
        ),
        n(
            "no-reindiv-after-final",
            "after Individualize(0x1) succeeds, Individualize returns NS_E_DRM_ALREADY_INDIVIDUALIZED; FORCE_INDIV still works",
            scenario(
                OLD,
                None,
                vec![
                    now(individualize(1)),
                    idle(individualize(0)),
                    now(update(SecurityFlag::ForceIndiv)),
                    idle(GetSecurityVersion),
                ],
            ),
        ),
        n(
            "need-lifts-lock",
            "after Individualize(0x1) succeeds, content needing more than the component has gets WMT_NEEDS_INDIVIDUALIZATION, which lifts the lock: Individualize(0x1) is accepted; the service's version still does not meet the content, so no WMT_NO_RIGHTS_EX",
            scenario(
                OLD,
                None,
                vec![
                    now(individualize(1)),
                    idle(AppCall::Open { required: RequiredVersion { major: 2, minor: 5 } }),
                    idle(individualize(1)),
                    idle(GetSecurityVersion),
                ],
            ),
        ),
        n(
            "reindiv-after-0",
            "after Individualize(0x0) succeeds, Individualize is accepted again",
            scenario(OLD, None, vec![now(individualize(0)), idle(individualize(0)), idle(GetSecurityVersion)]),
        ),
    ]
}

/// Cancels at each phase of each path, and with nothing running.
fn cancel_scenarios() -> Vec<Named> {
    use AppCall::{CancelAsyncOperation, CancelIndividualization, GetSecurityVersion};
    let n = named_as;
    vec![
        n(
            "reader-cancel-begin",
            "CancelIndividualization right after the start: INDI_CANCEL, nothing more",
            scenario(OLD, None, vec![now(individualize(1)), now(CancelIndividualization), idle(GetSecurityVersion)]),
        ),
        n(
            "reader-cancel-download",
            "CancelIndividualization while INDI_DOWNLOAD is under way (the package comes slowly)",
            slow_package(scenario(
                OLD,
                None,
                vec![now(individualize(1)), at(Phase::Download, CancelIndividualization), idle(GetSecurityVersion)],
            )),
        ),
        n(
            "reader-cancel-install",
            "CancelIndividualization while INDI_INSTALL is under way (a simulated installer takes 2 s)",
            Scenario {
                install_ms: 2_000,
                ..scenario(
                    OLD,
                    None,
                    vec![now(individualize(1)), at(Phase::Install, CancelIndividualization), idle(GetSecurityVersion)],
                )
            },
        ),
        n(
            "security-cancel-download",
            "CancelAsyncOperation while INDI_DOWNLOAD is under way: INDI_CANCEL, then a failed Completed",
            slow_package(scenario(
                OLD,
                None,
                vec![
                    now(update(SecurityFlag::ForceIndiv)),
                    at(Phase::Download, CancelAsyncOperation),
                    idle(GetSecurityVersion),
                ],
            )),
        ),
        n(
            "cancel-nothing-running",
            "a cancel with nothing running returns E_UNEXPECTED",
            scenario(OLD, None, vec![now(CancelIndividualization), now(CancelAsyncOperation)]),
        ),
    ]
}

/// Every fault the service can inject, a slow trickle, and every hostile
/// behaviour of the catalogue (`hostile-NAME`).
fn fault_scenarios() -> Vec<Named> {
    let n = named_as;
    let mut trickle = faulted(Fault::DropAfter(u32::MAX));
    trickle.service.fault = None;
    trickle.service.package_size = 8192;
    trickle.service.pace = Pace { chunk_size: 512, delay_ms: 5, hold: false };
    vec![
        n(
            "fault-unavailable",
            "the service answers 503: INDI_FAIL with NS_E_DRM_INDIV_SERVICE_UNAVAILABLE",
            faulted(Fault::Unavailable(Exchange::Query)),
        ),
        n(
            "fault-unavailable-package",
            "the package request answers 503",
            faulted(Fault::Unavailable(Exchange::Package)),
        ),
        n("fault-refused", "the connection is refused", faulted(Fault::Refused(Exchange::Query))),
        n(
            "fault-reset-package",
            "the connection is reset before the package response",
            faulted(Fault::Reset(Exchange::Package)),
        ),
        n(
            "fault-drop-after-bytes",
            "the connection drops after 20000 package bytes: NS_E_DRM_INDIVIDUALIZATION_INCOMPLETE",
            faulted(Fault::DropAfter(20000)),
        ),
        n(
            "fault-short-body",
            "the package body is 100 bytes shorter than its Content-Length",
            faulted(Fault::ShortBody(100)),
        ),
        n("fault-daily-limit", "the service answers 429: NS_E_DRM_INDIV_FRAUD", faulted(Fault::DailyLimit)),
        n("fault-package-missing", "the package answers 404: NS_E_DRM_INDIV_NO_CABS", faulted(Fault::PackageMissing)),
        n("fault-install-failure", "installing fails: NS_E_DRM_INDIVIDUALIZE_ERROR", faulted(Fault::InstallFailure)),
        n("slow-trickle", "an 8192-byte package in 512-byte pieces: one progress status per piece", trickle),
    ]
    .into_iter()
    .chain(CATALOGUE.iter().map(|h| n(h.case, h.what, faulted(h.fault))))
    .collect()
}

/// The named scenario called `name`.
pub fn by_name(name: &str) -> Option<Named> {
    named().into_iter().find(|n| n.name == name)
}

/// A component's version: `major.minor.0.F`.
fn version(u: &mut Unstructured<'_>) -> arbitrary::Result<SecurityVersion> {
    Ok(SecurityVersion([u.int_in_range(1..=3)?, u.int_in_range(0..=6)?, 0, u.int_in_range(0..=1)?]))
}

/// An offered version: individualized, `major.minor.0.1`.
fn offered(u: &mut Unstructured<'_>) -> arbitrary::Result<SecurityVersion> {
    Ok(SecurityVersion([u.int_in_range(1..=3)?, u.int_in_range(0..=6)?, 0, 1]))
}

/// Flags: the usual values half the time, the boundary catalogue's
/// (`edges`) three times in eight, any 32 bits otherwise.
fn flags(u: &mut Unstructured<'_>, usual: &[u32], edges: &[u32]) -> arbitrary::Result<u32> {
    match u.int_in_range(0..=7)? {
        0 => u.arbitrary(),
        1..=3 => Ok(*u.choose(edges)?),
        _ => Ok(*u.choose(usual)?),
    }
}

/// The content's required version for an `Open` made while the component
/// is `component`: three times in four in a relation of the boundary
/// catalogue to it (or, when the relation cannot hold for it, to
/// `fallback`, the other version the component may have then), any
/// otherwise.
fn required(
    u: &mut Unstructured<'_>,
    component: SecurityVersion,
    fallback: SecurityVersion,
) -> arbitrary::Result<RequiredVersion> {
    let any = |u: &mut Unstructured<'_>| -> arbitrary::Result<RequiredVersion> {
        Ok(RequiredVersion { major: u.int_in_range(1..=3)?, minor: u.int_in_range(0..=6)? })
    };
    if !u.ratio(3, 4)? {
        return any(u);
    }
    let relation = *u.choose(&Relation::ALL)?;
    match relation.other_for(component).or_else(|| relation.other_for(fallback)) {
        Some((major, minor)) => Ok(RequiredVersion { major, minor }),
        None => any(u),
    }
}

impl<'a> Arbitrary<'a> for AppCall {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<AppCall> {
        Ok(match u.int_in_range(0..=9)? {
            0..=2 => AppCall::Individualize { flags: flags(u, &[0, 1], &INDIVIDUALIZE_FLAGS)? },
            // As needed twice as often as the others: it is the call that compares versions.
            3 | 4 => AppCall::PerformSecurityUpdate { flags: flags(u, &[1, 1, 2, 4], &SECURITY_FLAGS)? },
            5 => AppCall::CancelIndividualization,
            6 => AppCall::CancelAsyncOperation,
            7 | 8 => AppCall::Open {
                required: RequiredVersion { major: u.int_in_range(1..=3)?, minor: u.int_in_range(0..=6)? },
            },
            _ => AppCall::GetSecurityVersion,
        })
    }
}

impl<'a> Arbitrary<'a> for Trigger {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Trigger> {
        Ok(match u.int_in_range(0..=3)? {
            0 => Trigger::Now,
            1 | 2 => Trigger::AfterStatuses(u.int_in_range(0..=24)?),
            _ => Trigger::WhenIdle,
        })
    }
}

impl<'a> Arbitrary<'a> for Fault {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Fault> {
        let exchange = if u.arbitrary()? { Exchange::Query } else { Exchange::Package };
        Ok(match u.int_in_range(0..=7)? {
            0 => Fault::Unavailable(exchange),
            1 => Fault::Refused(exchange),
            2 => Fault::Reset(exchange),
            3 => Fault::DropAfter(u.int_in_range(0..=200_000)?),
            4 => Fault::ShortBody(u.int_in_range(1..=4096)?),
            5 => Fault::DailyLimit,
            6 => Fault::PackageMissing,
            _ => Fault::InstallFailure,
        })
    }
}

/// The most steps a generated scenario has; runs stay short and finite.
pub const MAX_STEPS: usize = 12;

impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Scenario> {
        // Versions, sizes, URL shapes and flags come from the boundary
        // catalogue with a high weight, from the wider domain otherwise.
        let (component_version, offered_version) = if u.ratio(7, 8)? {
            let relation = *u.choose(&Relation::ALL)?;
            let (component, (major, minor)) = relation.example((u.int_in_range(1..=3)?, *u.choose(&MINORS)?));
            (component, SecurityVersion([major, minor, 0, 1]))
        } else {
            (version(u)?, offered(u)?)
        };
        let package_size =
            if u.ratio(1, 2)? { *u.choose(&TOTALS)? } else { *u.choose(&[1u32, 100, 4096, 65536, 100_000])? };
        let chunk_size = *u.choose(&[1u32, 512, 4096, 16384, 65536])?;
        let chunk_size = chunk_size.max(package_size.min(MAX_WHOLE_PACKAGE) / 64).max(1);
        let fault = if u.ratio(1, 3)? { Some(u.arbitrary()?) } else { None };
        let response_url = if u.ratio(1, 3)? { UrlShape::Plain } else { *u.choose(&UrlShape::ALL[1..])? };
        let count = u.int_in_range(0..=MAX_STEPS)?;
        let mut steps = Vec::with_capacity(count);
        for _ in 0..count {
            let trigger = u.arbitrary()?;
            let call = match u.arbitrary()? {
                AppCall::Open { .. } => {
                    // The component at the call is the first version or, after an upgrade, the offered one.
                    let (first, other) = if u.arbitrary()? {
                        (component_version, offered_version)
                    } else {
                        (offered_version, component_version)
                    };
                    AppCall::Open { required: required(u, first, other)? }
                }
                call => call,
            };
            steps.push(Step { trigger, call });
        }
        Ok(Scenario {
            component_version,
            service: ServiceBehavior {
                offered_version,
                package_size,
                pace: Pace { chunk_size, delay_ms: 0, hold: false },
                // A package too big to write in full is cut (and the session fails).
                fault: cut_fault(package_size).or(fault),
                response_url,
            },
            steps,
            install_ms: 0,
        })
    }
}

impl Scenario {
    /// The scenario `bytes` describe (any bytes describe one).
    pub fn from_bytes(bytes: &[u8]) -> Scenario {
        let mut u = Unstructured::new(bytes);
        // `Unstructured` answers with defaults once the bytes run out, so this
        // cannot fail; fall back to the empty script all the same.
        Scenario::arbitrary(&mut u).unwrap_or_else(|_| Scenario {
            component_version: OLD,
            service: service(None),
            steps: Vec::new(),
            install_ms: 0,
        })
    }

    /// The scenario `bytes` describe against a hostile service: the first
    /// byte picks the fault of the catalogue, the rest is read as
    /// [`Scenario::from_bytes`] reads it (its fault replaced). Shrinking
    /// the bytes shrinks the script, and the fault towards the catalogue's
    /// first entries.
    pub fn chaos_from_bytes(bytes: &[u8]) -> Scenario {
        let (pick, rest) = bytes.split_first().map_or((0, &[][..]), |(pick, rest)| (*pick, rest));
        let mut scenario = Scenario::from_bytes(rest);
        scenario.service.fault = Some(CATALOGUE[usize::from(pick) % CATALOGUE.len()].fault);
        // The hostile fault replaces the one that cut a package too big to write in full.
        scenario.service.package_size = scenario.service.package_size.min(MAX_WHOLE_PACKAGE);
        scenario
    }

    /// The scenario of seed `seed`, the same on every machine.
    pub fn from_seed(seed: u64) -> Scenario {
        let mut state = seed;
        let bytes: Vec<u8> = (0..64).flat_map(|_| splitmix64(&mut state).to_le_bytes()).collect();
        Scenario::from_bytes(&bytes)
    }
}

/// SplitMix64: a tiny, well-mixed PRNG, so seeds give the same scenario everywhere.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Proptest strategies over scenarios: bytes interpreted by `Arbitrary`, so
/// the fuzzer and the property suite share one generator, and shrinking the
/// bytes shrinks the script.
#[cfg(feature = "proptest")]
pub mod strategy {
    use proptest::prelude::*;

    use super::Scenario;

    /// Any scenario.
    pub fn scenario() -> impl Strategy<Value = Scenario> {
        proptest::collection::vec(any::<u8>(), 0..512).prop_map(|bytes| Scenario::from_bytes(&bytes))
    }

    /// Any scenario, aimed at the case entry of the boundary catalogue that
    /// `seed` picks ([`crate::boundary::aim_of_seed`]): the scenario of
    /// `indiv certify --random`'s case `random-SEED`.
    pub fn aimed(seed: u64) -> impl Strategy<Value = Scenario> {
        let entry = crate::boundary::aim_of_seed(seed);
        scenario().prop_map(move |s| crate::boundary::aim(s, entry))
    }

    /// Any scenario, against a service playing one hostile fault of the
    /// catalogue (`--chaos`); see [`Scenario::chaos_from_bytes`].
    pub fn chaos() -> impl Strategy<Value = Scenario> {
        proptest::collection::vec(any::<u8>(), 1..512).prop_map(|bytes| Scenario::chaos_from_bytes(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_survive_a_toml_round_trip() {
        for n in named() {
            let text = toml::to_string(&n.scenario).expect("serializes");
            let back: Scenario = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(back, n.scenario, "{}", n.name);
        }
        let text = toml::to_string(&by_name("busy").expect("named").scenario).expect("serializes");
        assert!(text.contains("api = \"Individualize\""), "{text}");
    }
}
