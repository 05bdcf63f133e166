//! The sans-io reference engine: a deterministic state machine fed with
//! application calls and transport/installer events, producing `indiv-trace/1`
//! records and transport commands. No sockets, clocks or randomness; drivers
//! (the in-memory simulation, the loopback testee) live outside.
//!
//! It behaves as the spec says a conforming engine behaves, but it never asks
//! the checker what to do: the property suite checks it from the outside.

use std::collections::VecDeque;

use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::vocab::{
    Hresult, HttpStatus, IndiStatus, KnownHresult, ReaderFlag, RequiredVersion, SecurityFlag, SecurityVersion,
};

use crate::service::Offer;

/// An application call, with its arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "api", deny_unknown_fields)]
pub enum AppCall {
    /// Open content whose header requires `required`.
    Open {
        /// The header's required version.
        #[serde(rename = "required_version")]
        required: RequiredVersion,
    },
    /// `IWMDRMReader::Individualize(flags)`.
    Individualize {
        /// `dwFlags`.
        flags: u32,
    },
    /// `IWMDRMReader::CancelIndividualization`.
    CancelIndividualization,
    /// `IWMDRMSecurity::PerformSecurityUpdate(flags)`.
    PerformSecurityUpdate {
        /// `dwFlags`.
        flags: u32,
    },
    /// Cancel the asynchronous security update.
    CancelAsyncOperation,
    /// `IWMDRMSecurity::GetSecurityVersion`.
    GetSecurityVersion,
}

/// Identifies one HTTP exchange, so that events of an abandoned exchange are ignored.
pub type ExchangeId = u64;

/// What the engine asks its transport to fetch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// `POST {service_url}individualize`: ask the service what it offers.
    Individualize {
        /// The client's security version.
        client_version: SecurityVersion,
        /// Individualize even if up to date.
        force: bool,
    },
    /// `GET package_url`: download the individualized component.
    Package {
        /// The absolute URL the service returned.
        url: String,
    },
}

/// A command for the driver.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Transmit {
    /// Start an HTTP exchange.
    Request {
        /// The exchange's id.
        exchange: ExchangeId,
        /// What to fetch.
        request: Request,
    },
    /// Abandon an exchange (cancellation).
    Abort {
        /// The exchange's id.
        exchange: ExchangeId,
    },
    /// Install the downloaded component.
    Install,
    /// Abandon the install (cancellation).
    AbortInstall,
    /// Refresh the revocation lists.
    RefreshRevocation {
        /// Echoed by [`Input::RevocationDone`].
        id: u64,
    },
}

/// What the engine produces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Output {
    /// A trace record, in the order it happened.
    Record(Record<'static>),
    /// A command for the driver.
    Transmit(Transmit),
}

/// How an exchange failed below HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetError {
    /// The connection was refused.
    Refused,
    /// The connection was reset or closed before the whole response arrived.
    Reset,
}

/// A transport event of one exchange.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NetEvent {
    /// The connection is established.
    Connected,
    /// The request has been written.
    RequestSent,
    /// The status line and headers arrived.
    ResponseHead {
        /// HTTP status code.
        status: u16,
        /// `Content-Length`, if any.
        content_length: Option<u32>,
    },
    /// `len` more body bytes arrived.
    Body {
        /// Bytes.
        len: u32,
    },
    /// The whole response arrived; for the first exchange with a 2xx status,
    /// the driver passes the parsed offer.
    ResponseComplete {
        /// The service's answer to the individualize request.
        offer: Option<Offer>,
    },
    /// The exchange failed below HTTP.
    Failed(NetError),
}

/// An installer event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InstallEvent {
    /// One install step done.
    Step,
    /// The component is installed.
    Done,
    /// Installing failed.
    Failed,
}

/// An input from the driver.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// A transport event.
    Net {
        /// The exchange it belongs to.
        exchange: ExchangeId,
        /// What happened.
        event: NetEvent,
    },
    /// An installer event.
    Install(InstallEvent),
    /// A revocation refresh finished.
    RevocationDone {
        /// The refresh's id.
        id: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Path {
    Reader,
    Security,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Phase {
    /// First exchange: asking the service.
    Querying,
    /// Second exchange: downloading the package.
    Downloading,
    /// Installing the package.
    Installing,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Session {
    path: Path,
    flags: u32,
    force: bool,
    phase: Phase,
    exchange: ExchangeId,
    /// Completed round trips.
    trips: u32,
    http: HttpStatus,
    progress: u32,
    total: u32,
    /// Body bytes of the current response received so far.
    received: u64,
    /// The current response's `Content-Length`, if it announced one.
    announced: Option<u32>,
    url: Option<String>,
    offer: Option<Offer>,
    /// The failure an HTTP error status announced; reported when its response completes.
    http_error: Option<Hresult>,
}

/// How long the lock of a successful `Individualize(0x1)` lasts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LockPolicy {
    /// Spec 2 (READER-ALREADY-INDIVIDUALIZED): until the next
    /// WMT_NEEDS_INDIVIDUALIZATION, or a reader session that does not end in
    /// an `Individualize(0x1)` success.
    #[default]
    UntilNeed,
    /// Spec 1.x: for good. Kept so that the model checker can show that it
    /// finds the dead end this made (contradiction C3); never the default.
    Permanent,
}

/// The reference engine. Feed it [`Engine::call`] and [`Engine::handle`];
/// take what it produced with [`Engine::poll_output`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Engine {
    component: SecurityVersion,
    session: Option<Session>,
    /// READER-ALREADY-INDIVIDUALIZED: the last reader session to end was an
    /// Individualize(0x1) success, and no WMT_NEEDS_INDIVIDUALIZATION came since.
    locked: bool,
    lock_policy: LockPolicy,
    /// The required version of the content whose WMT_NEEDS_INDIVIDUALIZATION
    /// no WMT_NO_RIGHTS_EX has answered yet.
    needs_pending: Option<RequiredVersion>,
    next_exchange: ExchangeId,
    revocations: Vec<u64>,
    next_revocation: u64,
    out: VecDeque<Output>,
}

impl Engine {
    /// A fresh component at `component` security version.
    pub fn new(component: SecurityVersion) -> Engine {
        Engine {
            component,
            session: None,
            locked: false,
            lock_policy: LockPolicy::UntilNeed,
            needs_pending: None,
            next_exchange: 1,
            revocations: Vec::new(),
            next_revocation: 1,
            out: VecDeque::new(),
        }
    }

    /// This engine with the lock lasting as `policy` says.
    pub fn with_lock_policy(mut self, policy: LockPolicy) -> Engine {
        self.lock_policy = policy;
        self
    }

    /// The component's security version now.
    pub fn component_version(&self) -> SecurityVersion {
        self.component
    }

    /// Whether an individualization or a revocation refresh is under way.
    pub fn is_busy(&self) -> bool {
        self.session.is_some() || !self.revocations.is_empty()
    }

    /// The next output, in order.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Makes an application call: writes its call record (with what it
    /// returned) and whatever the call causes at once; returns the HRESULT.
    pub fn call(&mut self, call: &AppCall) -> Hresult {
        match call {
            AppCall::Open { required } => {
                self.record_call(Call::Open { required_version: *required }, Hresult::S_OK);
                if self.component.is_outdated_for(*required) {
                    self.needs_pending = Some(*required);
                    self.locked &= self.lock_policy == LockPolicy::Permanent;
                    self.record_status(Status::NeedsIndividualization, Hresult::S_OK);
                }
                Hresult::S_OK
            }
            AppCall::Individualize { flags } => {
                let hr = if ReaderFlag::from_value(*flags).is_none() {
                    KnownHresult::EInvalidArg.into()
                } else if self.session.is_some() {
                    KnownHresult::Individualizing.into()
                } else if self.locked {
                    KnownHresult::AlreadyIndividualized.into()
                } else {
                    Hresult::S_OK
                };
                self.record_call(Call::Individualize { flags: *flags }, hr);
                if hr.is_success() {
                    self.start(Path::Reader, *flags, true);
                }
                hr
            }
            AppCall::PerformSecurityUpdate { flags } => {
                let refresh = *flags == SecurityFlag::RevocationRefresh.value();
                let hr = if SecurityFlag::from_value(*flags).is_none() {
                    KnownHresult::EInvalidArg.into()
                } else if !refresh && self.session.is_some() {
                    KnownHresult::Individualizing.into()
                } else {
                    Hresult::S_OK
                };
                self.record_call(Call::PerformSecurityUpdate { flags: *flags }, hr);
                if hr.is_success() {
                    if refresh {
                        let id = self.next_revocation;
                        self.next_revocation += 1;
                        self.revocations.push(id);
                        self.out.push_back(Output::Transmit(Transmit::RefreshRevocation { id }));
                    } else {
                        self.start(Path::Security, *flags, *flags == SecurityFlag::ForceIndiv.value());
                    }
                }
                hr
            }
            AppCall::CancelIndividualization => self.cancel(Path::Reader, Call::CancelIndividualization),
            AppCall::CancelAsyncOperation => self.cancel(Path::Security, Call::CancelAsyncOperation),
            AppCall::GetSecurityVersion => {
                let version = self.component.to_string();
                self.record_call(Call::GetSecurityVersion { version: Some(version.into()) }, Hresult::S_OK);
                Hresult::S_OK
            }
        }
    }

    /// Handles a driver event.
    pub fn handle(&mut self, input: Input) {
        match input {
            Input::Net { exchange, event } => {
                if self.session.as_ref().is_some_and(|s| s.exchange == exchange && s.phase != Phase::Installing) {
                    self.net(event);
                }
            }
            Input::Install(event) => {
                if self.session.as_ref().is_some_and(|s| s.phase == Phase::Installing) {
                    self.install(event);
                }
            }
            Input::RevocationDone { id } => {
                if let Some(at) = self.revocations.iter().position(|r| *r == id) {
                    self.revocations.remove(at);
                    self.record(Body::Event { event: Event::RevocationCompleted, hr: Hresult::S_OK });
                }
            }
        }
    }

    fn start(&mut self, path: Path, flags: u32, force: bool) {
        let exchange = self.next_exchange;
        self.next_exchange += 1;
        self.session = Some(Session {
            path,
            flags,
            force,
            phase: Phase::Querying,
            exchange,
            trips: 0,
            http: HttpStatus::NotInitiated,
            progress: 0,
            total: 0,
            received: 0,
            announced: None,
            url: None,
            offer: None,
            http_error: None,
        });
        self.report(IndiStatus::Begin, Hresult::S_OK);
        let request = Request::Individualize { client_version: self.component, force };
        self.out.push_back(Output::Transmit(Transmit::Request { exchange, request }));
    }

    fn cancel(&mut self, path: Path, call: Call<'static>) -> Hresult {
        let Some(session) = self.session.as_ref().filter(|s| s.path == path) else {
            let hr = KnownHresult::EUnexpected.into();
            self.record_call(call, hr);
            return hr;
        };
        let abort = match session.phase {
            Phase::Installing => Transmit::AbortInstall,
            Phase::Querying | Phase::Downloading => Transmit::Abort { exchange: session.exchange },
        };
        self.record_call(call, Hresult::S_OK);
        self.out.push_back(Output::Transmit(abort));
        self.finish(IndiStatus::Cancel, KnownHresult::OperationCanceled.into());
        Hresult::S_OK
    }

    fn net(&mut self, event: NetEvent) {
        let Some(s) = self.session.as_mut() else { return };
        let downloading = s.phase == Phase::Downloading;
        match event {
            NetEvent::Connected => {
                s.http = HttpStatus::Connecting;
                self.report(IndiStatus::Download, Hresult::S_OK);
            }
            NetEvent::RequestSent => {
                s.http = HttpStatus::Requesting;
                self.report(IndiStatus::Download, Hresult::S_OK);
            }
            NetEvent::ResponseHead { status, content_length } => {
                s.received = 0;
                s.announced = content_length;
                if (200..300).contains(&status) {
                    s.http = HttpStatus::Receiving;
                    if downloading {
                        s.progress = 0;
                        // A total the response did not announce is never reported.
                        s.total = content_length.unwrap_or(0);
                    }
                    self.report(IndiStatus::Download, Hresult::S_OK);
                } else {
                    // The error body still has to arrive for the trip to complete.
                    s.http_error = Some(http_error(status, downloading));
                }
            }
            NetEvent::Body { len } => {
                s.received += u64::from(len);
                if downloading && s.http_error.is_none() && s.http == HttpStatus::Receiving {
                    // Never report more than the announced total: a transport that
                    // delivers more is broken, and the download fails at completion.
                    // Without one (chunked, HTTP/1.0), the bytes received.
                    let received = u32::try_from(s.received).unwrap_or(u32::MAX);
                    s.progress = if s.total > 0 { received.min(s.total) } else { received };
                    self.report(IndiStatus::Download, Hresult::S_OK);
                }
            }
            NetEvent::ResponseComplete { offer } => {
                s.trips += 1;
                s.http = HttpStatus::Completed;
                if let Some(hr) = s.http_error {
                    self.finish(IndiStatus::Fail, hr);
                    return;
                }
                match s.phase {
                    Phase::Querying => self.offered(offer),
                    Phase::Downloading => {
                        // The package is what the offer said it is: its size, and
                        // the Content-Length when the response announced one.
                        let size = s.offer.as_ref().map_or(0, |o| o.package_size);
                        let announced_ok = s.announced.is_none_or(|n| n == size);
                        if announced_ok && s.received == u64::from(size) && size > 0 {
                            self.report(IndiStatus::Download, Hresult::S_OK);
                            self.begin_install();
                        } else if announced_ok && s.received < u64::from(size) {
                            self.finish(IndiStatus::Fail, KnownHresult::IndividualizationIncomplete.into());
                        } else {
                            self.finish(IndiStatus::Fail, KnownHresult::IndividualizeError.into());
                        }
                    }
                    Phase::Installing => {}
                }
            }
            NetEvent::Failed(error) => {
                let hr = if downloading && s.http == HttpStatus::Receiving {
                    KnownHresult::IndividualizationIncomplete
                } else {
                    match error {
                        NetError::Refused | NetError::Reset => KnownHresult::IndivServiceUnavailable,
                    }
                };
                self.finish(IndiStatus::Fail, hr.into());
            }
        }
    }

    fn offered(&mut self, offer: Option<Offer>) {
        let component = self.component;
        let Some(s) = self.session.as_mut() else { return };
        let Some(offer) = offer else {
            self.finish(IndiStatus::Fail, KnownHresult::IndividualizeError.into());
            return;
        };
        s.url = Some(offer.response_url.clone());
        let up_to_date = !s.force && component >= offer.version;
        let url = offer.package_url.clone();
        s.offer = Some(offer);
        self.report(IndiStatus::Download, Hresult::S_OK);
        if up_to_date {
            self.finish(IndiStatus::Succeed, Hresult::S_OK);
            return;
        }
        let exchange = self.next_exchange;
        self.next_exchange += 1;
        if let Some(s) = self.session.as_mut() {
            s.phase = Phase::Downloading;
            s.exchange = exchange;
            s.progress = 0;
            s.total = 0;
        }
        self.out.push_back(Output::Transmit(Transmit::Request { exchange, request: Request::Package { url } }));
    }

    fn begin_install(&mut self) {
        if let Some(s) = self.session.as_mut() {
            s.phase = Phase::Installing;
        }
        self.report(IndiStatus::Install, Hresult::S_OK);
        self.out.push_back(Output::Transmit(Transmit::Install));
    }

    fn install(&mut self, event: InstallEvent) {
        match event {
            InstallEvent::Step => self.report(IndiStatus::Install, Hresult::S_OK),
            InstallEvent::Done => {
                if let Some(version) = self.session.as_ref().and_then(|s| s.offer.as_ref()).map(|o| o.version) {
                    self.component = version;
                }
                self.finish(IndiStatus::Succeed, Hresult::S_OK);
            }
            InstallEvent::Failed => self.finish(IndiStatus::Fail, KnownHresult::IndividualizeError.into()),
        }
    }

    /// Reports the terminal status, closes the session, and sends what follows it.
    fn finish(&mut self, terminal: IndiStatus, hr: Hresult) {
        self.report(terminal, hr);
        let Some(s) = self.session.take() else { return };
        if s.path == Path::Reader {
            let succeeded = terminal == IndiStatus::Succeed;
            self.locked = succeeded && s.flags == ReaderFlag::Final.value();
            // WMT_NO_RIGHTS_EX only when the upgrade met what the content needs;
            // otherwise the need stays pending.
            if succeeded && self.needs_pending.is_some_and(|r| !self.component.is_outdated_for(r)) {
                self.needs_pending = None;
                self.record_status(Status::NoRightsEx, Hresult::S_OK);
            }
        }
        if s.path == Path::Security {
            let completed = if terminal == IndiStatus::Succeed { Hresult::S_OK } else { hr };
            self.record(Body::Event { event: Event::Completed, hr: completed });
        }
    }

    /// Reports a status of the open session with its current figures.
    fn report(&mut self, indi: IndiStatus, hr: Hresult) {
        let Some(s) = self.session.as_ref() else { return };
        let value = IndividualizeStatus {
            hr,
            indi: indi.value(),
            url: s.url.clone().map(Into::into),
            http_request: s.trips,
            http: s.http.value(),
            progress: s.progress,
            total: s.total,
        };
        let body = match s.path {
            Path::Reader => Body::Status { status: Status::Individualize(value), hr: Hresult::S_OK },
            Path::Security => Body::Event { event: Event::Progress(value), hr: Hresult::S_OK },
        };
        self.record(body);
    }

    fn record_call(&mut self, call: Call<'static>, hr: Hresult) {
        self.record(Body::Call { call, hr });
    }

    fn record_status(&mut self, status: Status<'static>, hr: Hresult) {
        self.record(Body::Status { status, hr });
    }

    fn record(&mut self, body: Body<'static>) {
        self.out.push_back(Output::Record(Record { ts: None, body }));
    }
}

fn http_error(status: u16, downloading: bool) -> Hresult {
    match status {
        503 => KnownHresult::IndivServiceUnavailable,
        429 => KnownHresult::IndivFraud,
        404 if downloading => KnownHresult::IndivNoCabs,
        _ => KnownHresult::IndividualizeError,
    }
    .into()
}
