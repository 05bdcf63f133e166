//! `indiv testee`: the reference engine as a testee. It speaks the testee
//! protocol on stdin/stdout, drives the sans-io [`Engine`] from one loop, and
//! carries its transport commands over real HTTP with a blocking client
//! (ureq) on worker threads. Events of abandoned work carry an old
//! generation number and are dropped.

use std::collections::HashSet;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use indiv_engine::core::{ExchangeId, Input, InstallEvent, NetError, NetEvent, Output, Request, Transmit};
use indiv_engine::service::{Offer, package_is_intact};
use indiv_engine::{AppCall, Engine};

use crate::protocol::{Capability, HarnessMessage, Implementation, PROTOCOL, TesteeMessage};

/// What the loop reacts to.
enum Message {
    /// A line from the harness.
    Command(String),
    /// The harness closed stdin.
    Closed,
    /// An engine input, from the case of this generation.
    Engine(u64, Input),
    /// A downloaded package, kept for the installer.
    Package(u64, ExchangeId, Vec<u8>),
}

/// Runs the testee until `bye` or the end of stdin.
pub fn run() {
    let (tx, rx) = channel();
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                match line {
                    Ok(line) => {
                        if tx.send(Message::Command(line)).is_err() {
                            return;
                        }
                    }
                    Err(_) => break,
                }
            }
            let _ = tx.send(Message::Closed);
        });
    }
    let mut testee = Testee {
        tx,
        engine: None,
        generation: 0,
        service_url: String::new(),
        aborted: HashSet::new(),
        package: None,
        install_ms: 0,
    };
    while let Ok(message) = rx.recv() {
        match message {
            Message::Command(line) => match serde_json::from_str::<HarnessMessage>(&line) {
                Ok(HarnessMessage::Bye {}) => return,
                Ok(command) => testee.command(command),
                Err(e) => eprintln!("indiv testee: ignoring a line that is no command ({e}): {line}"),
            },
            Message::Closed => return,
            Message::Engine(generation, input) if generation == testee.generation => testee.input(input),
            Message::Package(generation, exchange, bytes) if generation == testee.generation => {
                testee.package = Some((exchange, bytes));
            }
            Message::Engine(..) | Message::Package(..) => {}
        }
    }
}

struct Testee {
    tx: Sender<Message>,
    engine: Option<Engine>,
    /// Bumped at every reset and end: work of an older generation is abandoned.
    generation: u64,
    service_url: String,
    aborted: HashSet<ExchangeId>,
    package: Option<(ExchangeId, Vec<u8>)>,
    /// How long the simulated installer takes in this case.
    install_ms: u32,
}

fn write_line(text: &str) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // The harness is gone if stdout is closed; the next read ends the loop.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}

fn write_message(message: &TesteeMessage) {
    write_line(&serde_json::to_string(message).unwrap_or_default());
}

impl Testee {
    fn command(&mut self, command: HarnessMessage) {
        match command {
            HarnessMessage::Hello { .. } => write_message(&TesteeMessage::Hello {
                protocol: PROTOCOL.into(),
                implementation: Implementation {
                    name: "indiv reference engine".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    language: "Rust".into(),
                },
                capabilities: vec![Capability::Reader, Capability::Security],
            }),
            HarnessMessage::Reset { component_version, service_url, install_ms, .. } => {
                self.generation += 1;
                self.install_ms = install_ms;
                self.engine = Some(Engine::new(component_version));
                self.service_url = service_url;
                self.aborted.clear();
                self.package = None;
                write_message(&TesteeMessage::Ready {});
            }
            HarnessMessage::Call(call) => self.call(&call),
            HarnessMessage::End {} => {
                self.generation += 1;
                self.engine = None;
                write_message(&TesteeMessage::Ended {});
            }
            HarnessMessage::Bye {} => {}
        }
    }

    fn call(&mut self, call: &AppCall) {
        let Some(engine) = self.engine.as_mut() else {
            eprintln!("indiv testee: a call before reset");
            return;
        };
        engine.call(call);
        self.drain();
    }

    fn input(&mut self, input: Input) {
        if let Input::Net { exchange, .. } = &input {
            if self.aborted.contains(exchange) {
                return;
            }
        }
        if let Some(engine) = self.engine.as_mut() {
            engine.handle(input);
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(output) = self.engine.as_mut().and_then(Engine::poll_output) {
            match output {
                Output::Record(record) => write_line(&record.to_string()),
                Output::Transmit(t) => self.transmit(t),
            }
        }
    }

    fn transmit(&mut self, t: Transmit) {
        let generation = self.generation;
        let tx = self.tx.clone();
        match t {
            Transmit::Request { exchange, request } => {
                let url = match &request {
                    Request::Individualize { .. } => format!("{}individualize", self.service_url),
                    Request::Package { url } => url.clone(),
                };
                let service_url = self.service_url.clone();
                std::thread::spawn(move || {
                    exchange_over_http(generation, exchange, (&url, &service_url), &request, &tx);
                });
            }
            Transmit::Abort { exchange } => {
                self.aborted.insert(exchange);
            }
            Transmit::Install => {
                let intact = self.package.as_ref().is_some_and(|(_, bytes)| package_is_intact(bytes));
                let last = if intact { InstallEvent::Done } else { InstallEvent::Failed };
                let events = [InstallEvent::Step, InstallEvent::Step, last];
                if self.install_ms == 0 {
                    // Installed at once, before anything else is read: no
                    // call can meet this install under way.
                    if let Some(engine) = self.engine.as_mut() {
                        for event in events {
                            engine.handle(Input::Install(event));
                        }
                    }
                } else {
                    // The install takes `install_ms`, spread over its steps,
                    // so that a call can meet it under way.
                    let pause = Duration::from_millis(u64::from(self.install_ms) / events.len() as u64);
                    std::thread::spawn(move || {
                        for event in events {
                            std::thread::sleep(pause);
                            if tx.send(Message::Engine(generation, Input::Install(event))).is_err() {
                                return;
                            }
                        }
                    });
                }
            }
            Transmit::AbortInstall => {
                // Installing is instantaneous here; the engine ignores
                // installer events once it has canceled.
            }
            Transmit::RefreshRevocation { id } => {
                let _ = tx.send(Message::Engine(generation, Input::RevocationDone { id }));
            }
        }
    }
}

fn body_of(request: &Request) -> Option<String> {
    match request {
        Request::Individualize { client_version, force } => {
            Some(format!("{{\"client_version\":\"{client_version}\",\"force\":{force}}}"))
        }
        Request::Package { .. } => None,
    }
}

/// Carries one exchange to `url` (of the service at `service_url`) and
/// reports it as transport events. Redirects are not followed (a 3xx fails
/// the session), and a response that announces two different
/// Content-Lengths is a broken exchange.
fn exchange_over_http(
    generation: u64,
    exchange: ExchangeId,
    (url, service_url): (&str, &str),
    request: &Request,
    tx: &Sender<Message>,
) {
    let send = |event: NetEvent| tx.send(Message::Engine(generation, Input::Net { exchange, event })).is_ok();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .max_redirects(0)
        .build()
        .into();
    let response = match body_of(request) {
        Some(body) => agent.post(url).header("Content-Type", "application/json").send(body.as_str()),
        None => agent.get(url).call(),
    };
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            let refused = matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused)
                || matches!(e, ureq::Error::ConnectionFailed);
            if !refused {
                send(NetEvent::Connected);
                send(NetEvent::RequestSent);
            }
            send(NetEvent::Failed(if refused { NetError::Refused } else { NetError::Reset }));
            return;
        }
    };
    // The blocking client tells of the connection and the request only once
    // the response head is in: report them then, in order.
    let status = response.status().as_u16();
    let lengths: HashSet<&str> =
        response.headers().get_all("content-length").iter().map(|v| v.to_str().map_or("", str::trim)).collect();
    if lengths.len() > 1 {
        send(NetEvent::Connected);
        send(NetEvent::RequestSent);
        send(NetEvent::Failed(NetError::Reset));
        return;
    }
    let content_length = lengths.iter().next().and_then(|v| v.parse::<u32>().ok());
    if !(send(NetEvent::Connected)
        && send(NetEvent::RequestSent)
        && send(NetEvent::ResponseHead { status, content_length }))
    {
        return;
    }
    let mut reader = response.into_body().into_reader();
    let mut body = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    let cut = loop {
        match reader.read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => {
                body.extend_from_slice(&buf[..n]);
                if !send(NetEvent::Body { len: n as u32 }) {
                    return;
                }
            }
            Err(_) => break true,
        }
    };
    if cut || content_length.is_some_and(|n| body.len() as u64 != u64::from(n)) {
        send(NetEvent::Failed(NetError::Reset));
        return;
    }
    let offer = match request {
        Request::Individualize { .. } if (200..300).contains(&status) => Offer::parse(&body, service_url),
        _ => None,
    };
    if matches!(request, Request::Package { .. }) {
        let _ = tx.send(Message::Package(generation, exchange, body));
    }
    send(NetEvent::ResponseComplete { offer });
}
