//! The individualization service's behaviour as one value: what it offers,
//! how big and how fast its package is, and which fault it injects. The
//! in-memory simulation plays it with virtual time; the loopback HTTP service
//! of `indiv certify` plays the same value over real sockets, so a scenario
//! means the same thing in both.

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

impl Offer {
    /// The JSON body the service sends.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"version\":\"{}\",\"response_url\":\"{}\",\"package_url\":\"{}\",\"package_size\":{}}}",
            self.version, self.response_url, self.package_url, self.package_size
        )
    }
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
}

impl Fault {
    /// Whether the fault strikes the query exchange (or every request), so
    /// that every session fails; the others strike only sessions that fetch
    /// the package.
    pub fn strikes_query(self) -> bool {
        matches!(
            self,
            Fault::Unavailable(Exchange::Query) | Fault::Refused(Exchange::Query) | Fault::Reset(Exchange::Query)
        ) || self == Fault::DailyLimit
    }

    /// A short stable name, used in scenario names and case files.
    pub fn name(self) -> String {
        let which = |e: Exchange| match e {
            Exchange::Query => "query",
            Exchange::Package => "package",
        };
        match self {
            Fault::Unavailable(e) => format!("unavailable-{}", which(e)),
            Fault::Refused(e) => format!("refused-{}", which(e)),
            Fault::Reset(e) => format!("reset-{}", which(e)),
            Fault::DropAfter(n) => format!("drop-after-{n}"),
            Fault::ShortBody(n) => format!("short-body-{n}"),
            Fault::DailyLimit => "daily-limit".into(),
            Fault::PackageMissing => "package-missing".into(),
            Fault::InstallFailure => "install-failure".into(),
        }
    }

    /// The fault [`Fault::name`] calls `name`, if any.
    pub fn from_name(name: &str) -> Option<Fault> {
        let which = |e: &str| match e {
            "query" => Some(Exchange::Query),
            "package" => Some(Exchange::Package),
            _ => None,
        };
        // Numbers are read only in the spelling `name` writes (no sign, no leading zero).
        let count = |n: &str| n.parse::<u32>().ok().filter(|v| v.to_string() == n);
        if let Some(e) = name.strip_prefix("unavailable-") {
            return which(e).map(Fault::Unavailable);
        }
        if let Some(e) = name.strip_prefix("refused-") {
            return which(e).map(Fault::Refused);
        }
        if let Some(e) = name.strip_prefix("reset-") {
            return which(e).map(Fault::Reset);
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
        /// The announced `Content-Length`.
        content_length: u32,
        /// The body bytes actually written.
        body: Vec<u8>,
        /// The size of each write.
        chunk_size: u32,
        /// The offer, when the body is one.
        offer: Option<Offer>,
    },
}

impl ServiceBehavior {
    /// The offer made to a client, with URLs under `base_url` (ending in `/`).
    pub fn offer(&self, base_url: &str) -> Offer {
        Offer {
            version: self.offered_version,
            response_url: format!("{base_url}response"),
            package_url: format!("{base_url}package"),
            package_size: self.package_size,
        }
    }

    /// What the service does with the individualize request.
    pub fn plan_query(&self, base_url: &str) -> Plan {
        match self.fault {
            Some(Fault::Refused(Exchange::Query)) => Plan::Refuse,
            Some(Fault::Reset(Exchange::Query)) => Plan::Reset,
            Some(Fault::Unavailable(Exchange::Query)) => error(503),
            Some(Fault::DailyLimit) => error(429),
            _ => {
                let offer = self.offer(base_url);
                let body = offer.to_json().into_bytes();
                Plan::Respond {
                    status: 200,
                    content_length: body.len() as u32,
                    chunk_size: body.len() as u32,
                    body,
                    offer: Some(offer),
                }
            }
        }
    }

    /// What the service does with the package request.
    pub fn plan_package(&self) -> Plan {
        let size = self.package_size;
        let sent = match self.fault {
            Some(Fault::Refused(Exchange::Package)) => return Plan::Refuse,
            Some(Fault::Reset(Exchange::Package)) => return Plan::Reset,
            Some(Fault::Unavailable(Exchange::Package)) => return error(503),
            Some(Fault::PackageMissing) => return error(404),
            Some(Fault::DropAfter(n)) => n.min(size.saturating_sub(1)),
            Some(Fault::ShortBody(missing)) => size.saturating_sub(missing.max(1)),
            _ => size,
        };
        Plan::Respond {
            status: 200,
            content_length: size,
            body: package_bytes(sent, self.install_fails()),
            chunk_size: self.pace.chunk_size.max(1),
            offer: None,
        }
    }

    /// Whether installing the package fails.
    pub fn install_fails(&self) -> bool {
        self.fault == Some(Fault::InstallFailure)
    }
}

fn error(status: u16) -> Plan {
    let body = format!("{{\"error\":{status}}}").into_bytes();
    Plan::Respond { status, content_length: body.len() as u32, chunk_size: body.len() as u32, body, offer: None }
}

/// The package's bytes: byte `i` is `i mod 251`, so an installer can verify
/// it; a corrupt package (the install-failure fault) has every byte inverted.
fn package_bytes(len: u32, corrupt: bool) -> Vec<u8> {
    let flip = if corrupt { 0xFF } else { 0 };
    (0..len).map(|i| (i % 251) as u8 ^ flip).collect()
}

/// Whether `bytes` are a good package (what an installer checks).
pub fn package_is_intact(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_read_back() {
        let faults = [
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
        for fault in faults {
            assert_eq!(Fault::from_name(&fault.name()), Some(fault), "{}", fault.name());
        }
        for name in ["", "reset", "reset-other", "drop-after-", "drop-after-x", "drop-after-012", "short-body--1"] {
            assert_eq!(Fault::from_name(name), None, "{name}");
        }
    }
}
