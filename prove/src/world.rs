//! What the checker explores: the environments (the component's starting
//! version and the service's behaviour) and the alphabet of application calls.
//!
//! Every comparison the engine and the rules make is between two versions:
//! the component's against a content header's required version (`Open`), and
//! the component's against the service's offer (`SECURITY-AS-NEEDED`, and the
//! installed version afterwards). [`World::standard`] puts the component's
//! major.minor in the middle (2.2) and lets the required versions (2.1, 2.2,
//! 2.3) and the offered versions (2.1, 2.2, 2.3) fall below, on and above it,
//! each individualized (`.0.1`) or not (`.0.0`): every relation of every
//! pair occurs, and only relations matter. The service injects each [`Fault`]
//! in turn, or none.

use indiv_engine::service::{Exchange, Pace};
use indiv_engine::{AppCall, Fault, LockPolicy, ServiceBehavior};
use indiv_spec::vocab::{RequiredVersion, SecurityFlag, SecurityVersion};

/// One environment: the component's version at the start and the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Environment {
    /// The component's security version at the start.
    pub component: SecurityVersion,
    /// The individualization service.
    pub service: ServiceBehavior,
    /// How long the engine's `Individualize(0x1)` lock lasts (spec 2's
    /// reading, except in a test that seeds the 1.x one).
    pub lock: LockPolicy,
}

/// Everything the search ranges over, except its depth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    /// The component's starting versions.
    pub components: Vec<SecurityVersion>,
    /// The versions the service offers.
    pub offered: Vec<SecurityVersion>,
    /// The faults the service injects (`None`: a healthy service).
    pub faults: Vec<Option<Fault>>,
    /// The package's size in bytes.
    pub package_size: u32,
    /// Bytes per write of the package (one progress status each).
    pub chunk_size: u32,
    /// The alphabet: every call the application may make at every moment.
    pub calls: Vec<AppCall>,
    /// How long the engine's `Individualize(0x1)` lock lasts.
    pub lock: LockPolicy,
}

/// The required versions the standard alphabet opens content with: below, on
/// and above the standard component's major.minor.
pub const REQUIRED: [RequiredVersion; 3] = [
    RequiredVersion { major: 2, minor: 1 },
    RequiredVersion { major: 2, minor: 2 },
    RequiredVersion { major: 2, minor: 3 },
];

/// An invalid `Individualize` flag (valid: 0x0, 0x1).
pub const INVALID_READER_FLAGS: u32 = 2;
/// An invalid `PerformSecurityUpdate` flag (valid: exactly one of 0x1, 0x2, 0x4).
pub const INVALID_SECURITY_FLAGS: u32 = 3;

impl World {
    /// The standard world of `indiv spec --prove`: 2 component versions, 3
    /// offered versions (individualized, as spec 2 requires of an offer), 12
    /// service behaviours (no fault and every [`Fault`]), a two-byte package
    /// in one-byte writes, and 13 calls.
    pub fn standard() -> World {
        let v = |minor, individualized| SecurityVersion([2, minor, 0, individualized]);
        World {
            components: vec![v(2, 0), v(2, 1)],
            offered: (1..=3).map(|minor| v(minor, 1)).collect(),
            faults: standard_faults(),
            package_size: 2,
            chunk_size: 1,
            calls: standard_calls(),
            lock: LockPolicy::UntilNeed,
        }
    }

    /// Every environment, components outermost, then offered versions, then faults.
    pub fn environments(&self) -> Vec<Environment> {
        let mut out = Vec::new();
        for &component in &self.components {
            for &offered in &self.offered {
                for &fault in &self.faults {
                    out.push(Environment { component, service: self.service(offered, fault), lock: self.lock });
                }
            }
        }
        out
    }

    /// The service offering `offered` with `fault`, and this world's package.
    pub fn service(&self, offered: SecurityVersion, fault: Option<Fault>) -> ServiceBehavior {
        ServiceBehavior {
            offered_version: offered,
            package_size: self.package_size,
            pace: Pace { chunk_size: self.chunk_size, delay_ms: 0, hold: false },
            fault,
            response_url: Default::default(),
        }
    }

    /// The healthy services for content requiring every version of
    /// `required`: no fault, and an offered version whose major.minor meets
    /// each (individualized or not: the world's offered versions decide).
    pub fn healthy(&self, required: &[RequiredVersion]) -> Vec<ServiceBehavior> {
        self.offered
            .iter()
            .filter(|v| required.iter().all(|r| v.major_minor() >= (r.major, r.minor)))
            .map(|&v| self.service(v, None))
            .collect()
    }
}

/// No fault, and one instance of every [`Fault`] variant (on each exchange
/// where it names one).
pub fn standard_faults() -> Vec<Option<Fault>> {
    let mut faults = vec![None];
    for exchange in [Exchange::Query, Exchange::Package] {
        faults.extend([Fault::Unavailable(exchange), Fault::Refused(exchange), Fault::Reset(exchange)].map(Some));
    }
    faults.extend(
        [Fault::DropAfter(0), Fault::ShortBody(1), Fault::DailyLimit, Fault::PackageMissing, Fault::InstallFailure]
            .map(Some),
    );
    faults
}

/// The standard alphabet, covering every API: `Open` below, on and above the
/// component's major.minor; `Individualize` with 0x0, 0x1 and an invalid
/// flag; `PerformSecurityUpdate` with 0x1, 0x2, 0x4 and an invalid value;
/// both cancels; `GetSecurityVersion`.
pub fn standard_calls() -> Vec<AppCall> {
    let mut calls: Vec<AppCall> = REQUIRED.iter().map(|&required| AppCall::Open { required }).collect();
    calls.extend([0, 1, INVALID_READER_FLAGS].map(|flags| AppCall::Individualize { flags }));
    let security = [SecurityFlag::Indiv, SecurityFlag::RevocationRefresh, SecurityFlag::ForceIndiv].map(|f| f.value());
    calls.extend(
        security.into_iter().chain([INVALID_SECURITY_FLAGS]).map(|flags| AppCall::PerformSecurityUpdate { flags }),
    );
    calls.extend([AppCall::CancelIndividualization, AppCall::CancelAsyncOperation, AppCall::GetSecurityVersion]);
    calls
}
