//! The individualization service of `indiv certify`: HTTP/1.1 on 127.0.0.1
//! (an ephemeral port, never another address), one URL prefix per case,
//! playing the case's [`ServiceBehavior`] — the same value the in-memory
//! simulation plays — over real sockets.
//!
//! It records what really happened in each exchange (completed or not, body
//! bytes written, the Content-Length announced), raising each figure before the
//! write it describes, so that what the harness reads when a status arrives is
//! a safe upper bound of what the testee can have seen.
//!
//! An early-response case gets a port of its own, which writes the package
//! as soon as a connection is accepted and closes when the case is
//! forgotten, so a late connection of an earlier case never reaches it.
//!
//! A package paced with [`Pace::hold`] stops after its first chunk until the
//! harness [releases](LoopbackService::release) its case (or forgets it):
//! the harness does so once it has made the script's calls that must meet
//! the download under way, so their timing does not depend on the machine's
//! speed.
//!
//! Whatever a testee sends, the service's memory and threads stay bounded:
//! a request line over [`MAX_REQUEST_LINE`] is answered 414, a head over
//! [`MAX_HEAD_BYTES`] 431, a declared body over [`MAX_BODY_BYTES`] 413, a
//! malformed request (or `Transfer-Encoding`, which it does not speak) 400,
//! and each of these closes the connection without reading further. A body is
//! read (and discarded) exactly as declared; bytes that arrive beyond it before
//! the answer are not taken as the next request: the request is answered 400
//! and the connection closed, so no request can be smuggled in a body. At most
//! [`MAX_CONNECTIONS`] connections are served at once; one more is closed at
//! once, without a thread.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indiv_engine::service::{
    ENDLESS_HEAD_BYTES, ENDLESS_HEAD_LINE_MS, EXTRA_BODY_BYTES, Exchange, Fault, Pace, Plan, SLOW_HEAD_BYTE_MS,
    ServiceBehavior, Wire,
};
use indiv_service_rules::{CaseLog, ExchangeKind, ExchangeRecord};

/// The longest request line, in bytes.
pub const MAX_REQUEST_LINE: usize = 8 << 10;
/// The longest request head (request line and headers), in bytes.
pub const MAX_HEAD_BYTES: usize = 64 << 10;
/// The largest request body, in bytes.
pub const MAX_BODY_BYTES: u64 = 1 << 20;
/// Most connections served at once (one case runs at a time).
pub const MAX_CONNECTIONS: usize = 64;
/// How long a connection may stay silent.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a held package waits for its release: a bound on the
/// connection's thread should the harness never release or forget its case.
const MAX_HOLD: Duration = Duration::from_secs(600);

struct CaseState {
    behavior: ServiceBehavior,
    base_url: String,
    log: CaseLog,
    /// The harness has released the case's held package.
    released: bool,
    /// For an early-response case: the port of its own that answers before
    /// it is asked (a late connection of an earlier case finds it closed).
    early: Option<Listener>,
}

/// A listener served on a thread of its own, until it is stopped.
struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
}

impl Listener {
    /// Binds 127.0.0.1 on an ephemeral port and serves it with `serve`.
    fn start(
        shared: &Arc<Shared>,
        serve: impl Fn(TcpStream, &Shared) + Copy + Send + 'static,
    ) -> std::io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let accept = accept_loop(listener, Arc::clone(shared), Arc::clone(&stop), serve)?;
        Ok(Listener { addr, stop, accept })
    }

    /// Stops accepting and waits for the accept loop to end (connections
    /// already accepted end on their own).
    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        let _ = self.accept.join();
    }
}

#[derive(Default)]
struct Shared {
    cases: Mutex<HashMap<u64, CaseState>>,
    /// Signalled when a case is released or forgotten.
    release: Condvar,
    /// A port nothing listens on, for the connection-refused faults.
    closed_port: u16,
    /// Connections being served.
    connections: AtomicUsize,
}

impl Shared {
    fn cases(&self) -> MutexGuard<'_, HashMap<u64, CaseState>> {
        // A panic while holding the lock would be a bug in this module; the
        // data (counters) stays meaningful, so keep serving.
        self.cases.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running loopback service. Dropping it stops it.
pub struct LoopbackService {
    addr: SocketAddr,
    closed_port: u16,
    shared: Arc<Shared>,
    listener: Option<Listener>,
    next_case: u64,
}

/// How the harness addresses one case on the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseHandle {
    /// The case's number on the service.
    pub id: u64,
    /// The URL prefix handed to the testee, ending in `/`.
    pub service_url: String,
    /// The `response_url` the service returns.
    pub response_url: String,
}

impl LoopbackService {
    /// Binds 127.0.0.1 on an ephemeral port and starts serving.
    pub fn start() -> std::io::Result<LoopbackService> {
        let closed_port = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port();
        let shared = Arc::new(Shared { closed_port, ..Shared::default() });
        let listener = Listener::start(&shared, serve_connection)?;
        Ok(LoopbackService { addr: listener.addr, closed_port, shared, listener: Some(listener), next_case: 1 })
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections are being served now (at most
    /// [`MAX_CONNECTIONS`]).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Sets up a case playing `behavior`; an error when the port of its
    /// own that an early-response case needs cannot be opened.
    pub fn register(&mut self, behavior: &ServiceBehavior) -> std::io::Result<CaseHandle> {
        let id = self.next_case;
        self.next_case += 1;
        let base_url = format!("http://{}/c/{id}/", self.addr);
        let service_url = if behavior.fault == Some(Fault::Refused(Exchange::Query)) {
            format!("http://127.0.0.1:{}/c/{id}/", self.closed_port)
        } else {
            base_url.clone()
        };
        let response_url = behavior.offer(&base_url).response_url;
        let early = match behavior.fault {
            Some(Fault::EarlyResponse) => Some(Listener::start(&self.shared, move |stream, shared| {
                serve_early(stream, shared, id);
            })?),
            _ => None,
        };
        let case = CaseState { behavior: *behavior, base_url, log: CaseLog::default(), released: false, early };
        self.shared.cases().insert(id, case);
        Ok(CaseHandle { id, service_url, response_url })
    }

    /// What the service has done for case `id` so far.
    pub fn log(&self, id: u64) -> CaseLog {
        self.shared.cases().get(&id).map(|c| c.log.clone()).unwrap_or_default()
    }

    /// Lets case `id`'s held package (see [`Pace::hold`]) go on; a package
    /// requested later is not held.
    pub fn release(&self, id: u64) {
        if let Some(case) = self.shared.cases().get_mut(&id) {
            case.released = true;
        }
        self.shared.release.notify_all();
    }

    /// Forgets case `id` (and releases its held package).
    pub fn unregister(&self, id: u64) {
        let case = self.shared.cases().remove(&id);
        self.shared.release.notify_all();
        if let Some(early) = case.and_then(|c| c.early) {
            early.stop();
        }
    }
}

impl Drop for LoopbackService {
    fn drop(&mut self) {
        // Held packages go on, and their connections end.
        let cases: Vec<CaseState> = self.shared.cases().drain().map(|(_, c)| c).collect();
        self.shared.release.notify_all();
        for listener in cases.into_iter().filter_map(|c| c.early).chain(self.listener.take()) {
            listener.stop();
        }
    }
}

/// Serves `listener` on a thread: each connection (at most
/// [`MAX_CONNECTIONS`] at once, counted across the service's listeners) on a
/// thread of its own, with `serve`.
fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    serve: impl Fn(TcpStream, &Shared) + Copy + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name("loopback-accept".into()).spawn(move || {
        for stream in listener.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let counted = shared
                .connections
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_CONNECTIONS).then_some(n + 1));
            if counted.is_err() {
                // Over the cap: closed at once (dropped), no thread.
                continue;
            }
            let served = Arc::clone(&shared);
            let spawned = std::thread::Builder::new().name("loopback-conn".into()).spawn(move || {
                serve(stream, &served);
                served.connections.fetch_sub(1, Ordering::SeqCst);
            });
            if spawned.is_err() {
                shared.connections.fetch_sub(1, Ordering::SeqCst);
            }
        }
    })
}

struct RequestHead {
    method: String,
    path: String,
    content_length: u64,
}

/// What reading a request head came to.
enum Head {
    /// A request to answer.
    Request(RequestHead),
    /// The client closed the connection (or went silent, or it broke).
    Closed,
    /// A request refused with this status; the connection is then closed.
    Refuse(u16),
}

/// Reads one line of at most `limit` bytes (its end included) into `line`:
/// `Ok(false)` at the end of the input before any byte, `Err(None)` when the
/// line is longer, `Err(Some(_))` when reading failed.
fn read_bounded_line(
    reader: &mut BufReader<TcpStream>,
    line: &mut Vec<u8>,
    limit: usize,
) -> Result<bool, Option<std::io::Error>> {
    line.clear();
    loop {
        let available = reader.fill_buf().map_err(Some)?;
        if available.is_empty() {
            return if line.is_empty() { Ok(false) } else { Err(Some(std::io::ErrorKind::UnexpectedEof.into())) };
        }
        let (take, done) = match memchr::memchr(b'\n', available) {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > limit {
            return Err(None);
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if done {
            return Ok(true);
        }
    }
}

fn read_head(reader: &mut BufReader<TcpStream>) -> Head {
    let mut line = Vec::new();
    match read_bounded_line(reader, &mut line, MAX_REQUEST_LINE) {
        Ok(true) => {}
        Ok(false) | Err(Some(_)) => return Head::Closed,
        Err(None) => return Head::Refuse(414),
    }
    let mut head_bytes = line.len();
    let Ok(request_line) = std::str::from_utf8(&line) else { return Head::Refuse(400) };
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(path), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Head::Refuse(400);
    };
    if !version.starts_with("HTTP/1.") {
        return Head::Refuse(400);
    }
    let (method, path) = (method.to_string(), path.to_string());
    let mut content_length = None;
    loop {
        match read_bounded_line(reader, &mut line, MAX_HEAD_BYTES - head_bytes) {
            Ok(true) => {}
            Ok(false) | Err(Some(_)) => return Head::Closed,
            Err(None) => return Head::Refuse(431),
        }
        head_bytes += line.len();
        let Ok(header) = std::str::from_utf8(&line) else { return Head::Refuse(400) };
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { return Head::Refuse(400) };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Head::Refuse(400);
        }
        if name.eq_ignore_ascii_case("content-length") {
            let Ok(length) = value.trim().parse::<u64>() else { return Head::Refuse(400) };
            if content_length.is_some_and(|seen| seen != length) {
                return Head::Refuse(400);
            }
            content_length = Some(length);
        }
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > MAX_BODY_BYTES {
        return Head::Refuse(413);
    }
    Head::Request(RequestHead { method, path, content_length })
}

/// Whether bytes beyond the request's declared body have already arrived
/// (before it is answered): a client that waits for answers never sends them.
fn bytes_beyond_body(reader: &BufReader<TcpStream>) -> bool {
    if !reader.buffer().is_empty() {
        return true;
    }
    let stream = reader.get_ref();
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let beyond = matches!(stream.peek(&mut byte), Ok(n) if n > 0);
    if stream.set_nonblocking(false).is_err() {
        return true;
    }
    beyond
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    // A client that stops reading does not hold the thread for ever either.
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    let Ok(write_half) = stream.try_clone() else { return };
    let mut writer = write_half;
    let mut reader = BufReader::new(stream);
    loop {
        let head = match read_head(&mut reader) {
            Head::Request(head) => head,
            Head::Closed => return,
            Head::Refuse(status) => {
                refuse(&mut writer, status);
                return;
            }
        };
        // Read and discard the body, exactly as declared.
        let read = std::io::copy(&mut reader.by_ref().take(head.content_length), &mut std::io::sink());
        if !matches!(read, Ok(n) if n == head.content_length) {
            return;
        }
        if bytes_beyond_body(&reader) {
            refuse(&mut writer, 400);
            return;
        }
        if !answer(&head, shared, &mut writer) {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// A connection to the port of early-response case `id`: its package is
/// written at once, before the request is read; then the request is read
/// (bounded, as any) and the connection closed.
fn serve_early(stream: TcpStream, shared: &Shared, id: u64) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IDLE_TIMEOUT));
    let Ok(mut writer) = stream.try_clone() else { return };
    // The package of the case's latest offer: the request that would name it has not come.
    let offer_tag =
        shared.cases().get(&id).and_then(|c| c.log.exchanges.iter().rposition(|e| e.kind == ExchangeKind::Query));
    if let Some((plan, pace, index)) = log_exchange(shared, id, ("GET", "package"), offer_tag, 0, 0) {
        play(plan, pace, shared, id, index, &mut writer, None);
    }
    let mut reader = BufReader::new(stream);
    let _ = read_head(&mut reader);
    let _ = writer.shutdown(Shutdown::Both);
}

/// Answers `status` with `Connection: close` and closes the connection.
fn refuse(writer: &mut TcpStream, status: u16) {
    let head = format!("HTTP/1.1 {status} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", reason(status));
    let _ = writer.write_all(head.as_bytes());
    let _ = writer.shutdown(Shutdown::Both);
}

/// Answers one request; false when the connection must be closed.
fn answer(head: &RequestHead, shared: &Shared, writer: &mut TcpStream) -> bool {
    let (path, query) = head.path.split_once('?').unwrap_or((&head.path, ""));
    let param = |name: &str| {
        query.split('&').find_map(|p| p.strip_prefix(name)?.strip_prefix('=')).and_then(|n| n.parse::<u32>().ok())
    };
    let (offer_tag, hop) = (param("offer").map(|n| n as usize), param("hop").unwrap_or(0));
    let mut segments = path.trim_start_matches('/').split('/');
    let id = match (segments.next(), segments.next().and_then(|s| s.parse::<u64>().ok())) {
        (Some("c"), Some(id)) => id,
        _ => return respond_plain(writer, 404),
    };
    let what = segments.next().unwrap_or("");
    let local_port = writer.local_addr().map(|a| a.port()).unwrap_or(0);
    let Some((plan, pace, index)) = log_exchange(shared, id, (head.method.as_str(), what), offer_tag, hop, local_port)
    else {
        return respond_plain(writer, 404);
    };
    // Where a redirect sends the client: the same package and offer, the next hop.
    let location = |next: u32| {
        let offer = offer_tag.map_or(String::new(), |q| format!("offer={q}&"));
        format!("http://127.0.0.1:{local_port}/c/{id}/package?{offer}hop={next}")
    };
    play(plan, pace, shared, id, index, writer, Some(&location))
}

/// Plays `plan` for exchange `index` of case `id`: false when the
/// connection must be closed.
fn play(
    plan: Plan,
    pace: Pace,
    shared: &Shared,
    id: u64,
    index: usize,
    writer: &mut TcpStream,
    location: Option<&dyn Fn(u32) -> String>,
) -> bool {
    // Exchanges of an abandoned session may overlap the next ones: update
    // this exchange's record, found by its index.
    let update = |f: &dyn Fn(&mut ExchangeRecord)| {
        if let Some(record) = shared.cases().get_mut(&id).and_then(|c| c.log.exchanges.get_mut(index)) {
            f(record);
        }
    };
    let whole = plan.whole();
    match plan {
        Plan::Refuse | Plan::Reset => false,
        Plan::Respond { status, content_length, body, chunk_size, wire, redirect_to, .. } => {
            let location = redirect_to.and_then(|hop| location.map(|l| l(hop)));
            let response = Response {
                status,
                content_length,
                body: &body,
                chunk_size,
                pace_ms: pace.delay_ms,
                wire,
                whole,
                location,
            };
            let hold = || {
                if pace.hold {
                    wait_for_release(shared, id);
                }
            };
            write_response(&response, writer, &update, &hold)
        }
    }
}
/// Waits until case `id` is released or forgotten (at most [`MAX_HOLD`]).
fn wait_for_release(shared: &Shared, id: u64) {
    let until = Instant::now() + MAX_HOLD;
    let mut cases = shared.cases();
    while cases.get(&id).is_some_and(|c| !c.released) {
        let Some(left) = until.checked_duration_since(Instant::now()) else { return };
        cases = match shared.release.wait_timeout(cases, left) {
            Ok((guard, _)) => guard,
            // As in `Shared::cases`: the data stays meaningful.
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
}

/// Plans the answer to `request` (method and last path segment) of case
/// `id` and opens its record in the case's log: the plan, the pace of the
/// body (none but for a package), and the record's index. `hop` counts the
/// redirects that led to a package request. `None` for an unknown case.
fn log_exchange(
    shared: &Shared,
    id: u64,
    request: (&str, &str),
    offer_tag: Option<usize>,
    hop: u32,
    local_port: u16,
) -> Option<(Plan, Pace, usize)> {
    let mut cases = shared.cases();
    let case = cases.get_mut(&id)?;
    let (kind, plan) = match request {
        ("POST", "individualize") => {
            let mut offer = case.behavior.offer(&case.base_url);
            // Tag the package URL with this exchange, so that a package
            // request is tied to its offer (and not to a later session).
            offer.package_url = format!("{}?offer={}", offer.package_url, case.log.exchanges.len());
            let port = match case.behavior.fault {
                // A port nothing listens on.
                Some(Fault::Refused(Exchange::Package)) => Some(shared.closed_port),
                // The port that answers before it is asked.
                Some(Fault::EarlyResponse) => case.early.as_ref().map(|l| l.addr.port()),
                _ => None,
            };
            if let Some(port) = port {
                offer.package_url = offer.package_url.replacen(&format!(":{local_port}/"), &format!(":{port}/"), 1);
            }
            (ExchangeKind::Query, case.behavior.plan_query(&offer, &case.base_url))
        }
        ("GET", "package") => (ExchangeKind::Package, case.behavior.plan_package(hop)),
        _ => (
            ExchangeKind::Other,
            Plan::Respond {
                status: 404,
                content_length: Some(0),
                body: Vec::new(),
                chunk_size: 1,
                offer: None,
                wire: Wire::Plain,
                redirect_to: None,
            },
        ),
    };
    let offer_of = if kind == ExchangeKind::Package { offer_tag } else { None };
    let ambiguous = matches!(&plan, Plan::Respond { wire, .. } if wire.completion_ambiguous());
    case.log.exchanges.push(ExchangeRecord {
        kind,
        completed: false,
        body_written: 0,
        content_length: None,
        status: None,
        offer_of,
        redirected: kind == ExchangeKind::Package && hop > 0,
        ambiguous,
    });
    let pace = if kind == ExchangeKind::Package {
        case.behavior.pace
    } else {
        Pace { chunk_size: 1, delay_ms: 0, hold: false }
    };
    Some((plan, pace, case.log.exchanges.len() - 1))
}

/// Raises figures of the exchange's record in the case's log.
type UpdateRecord<'u> = &'u dyn Fn(&dyn Fn(&mut ExchangeRecord));

/// A response as the service plays it.
struct Response<'b> {
    status: u16,
    content_length: Option<u32>,
    body: &'b [u8],
    chunk_size: u32,
    pace_ms: u32,
    wire: Wire,
    /// Written in full once `body` is (see [`Plan::whole`]).
    whole: bool,
    /// Where a redirect sends the client.
    location: Option<String>,
}

impl Response<'_> {
    /// The status line and headers, as `wire` frames them.
    fn head(&self) -> String {
        let Response { status, content_length, wire, .. } = *self;
        let version = if wire == Wire::UntilClose { "HTTP/1.0" } else { "HTTP/1.1" };
        let mut head = String::new();
        if wire == Wire::Interim {
            head.push_str("HTTP/1.1 100 Continue\r\n\r\n");
        }
        head.push_str(&format!("{version} {status} {}\r\n", reason(status)));
        if let Some(n) = content_length {
            head.push_str(&format!("Content-Length: {n}\r\n"));
            match wire {
                Wire::LengthTwice => head.push_str(&format!("Content-Length: {n}\r\n")),
                Wire::ConflictingLengths => head.push_str(&format!("Content-Length: {}\r\n", u64::from(n) + 1)),
                _ => {}
            }
        }
        match wire {
            Wire::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
            Wire::Gzip => head.push_str("Content-Encoding: gzip\r\n"),
            Wire::UntilClose | Wire::ExtraBody | Wire::ConflictingLengths => head.push_str("Connection: close\r\n"),
            _ => {}
        }
        if let Some(location) = &self.location {
            head.push_str(&format!("Location: {location}\r\n"));
        }
        head.push_str("Content-Type: application/octet-stream\r\n\r\n");
        head
    }
}

/// Writes `bytes`, a byte at a time with a pause between when `slow`.
fn write_paced(writer: &mut TcpStream, bytes: &[u8], slow: bool) -> bool {
    if !slow {
        return writer.write_all(bytes).and_then(|()| writer.flush()).is_ok();
    }
    for byte in bytes {
        if writer.write_all(std::slice::from_ref(byte)).and_then(|()| writer.flush()).is_err() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(SLOW_HEAD_BYTE_MS));
    }
    true
}

/// Writes the head of a fault whose head never ends well: cut short, or
/// header lines without end (at most [`ENDLESS_HEAD_BYTES`], paced).
fn write_broken_head(writer: &mut TcpStream, wire: Wire) {
    match wire {
        Wire::CutStatusLine => {
            let _ = writer.write_all(b"HTTP/1.1 20");
        }
        Wire::CutHead => {
            let _ = writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Le");
        }
        _ => {
            let mut written = 0;
            if writer.write_all(b"HTTP/1.1 200 OK\r\n").is_err() {
                return;
            }
            let value = "a".repeat(1000);
            for i in 0.. {
                let line = format!("X-Padding-{i}: {value}\r\n");
                written += line.len();
                if written > ENDLESS_HEAD_BYTES || writer.write_all(line.as_bytes()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(ENDLESS_HEAD_LINE_MS));
            }
        }
    }
    let _ = writer.flush();
}

/// Writes `response`, raising each figure of its record (through `update`)
/// before the write it describes, and calling `after_first_chunk` between
/// the first chunk of the body and the second; false when the connection
/// must be closed.
fn write_response(
    response: &Response<'_>,
    writer: &mut TcpStream,
    update: UpdateRecord<'_>,
    after_first_chunk: &dyn Fn(),
) -> bool {
    let Response { status, content_length, body, chunk_size, pace_ms, wire, whole, .. } = *response;
    update(&|r| {
        r.content_length = if wire == Wire::ConflictingLengths { None } else { content_length };
        r.status = Some(status);
        r.completed = whole && body.is_empty();
    });
    if matches!(wire, Wire::CutStatusLine | Wire::CutHead | Wire::EndlessHead) {
        write_broken_head(writer, wire);
        return false;
    }
    if !write_paced(writer, response.head().as_bytes(), wire == Wire::SlowHead) {
        return false;
    }
    let chunks: Vec<&[u8]> = body.chunks(chunk_size.max(1) as usize).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        if i == 1 {
            after_first_chunk();
        }
        if pace_ms > 0 && i > 0 {
            std::thread::sleep(Duration::from_millis(u64::from(pace_ms)));
        }
        let last = i + 1 == chunks.len();
        let len = chunk.len() as u64;
        update(&|r| {
            r.body_written += len;
            r.completed = whole && last;
        });
        let framed = if wire == Wire::Chunked {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(chunk);
            framed.extend_from_slice(b"\r\n");
            if last {
                framed.extend_from_slice(b"0\r\n\r\n");
            }
            framed
        } else {
            chunk.to_vec()
        };
        if writer.write_all(&framed).and_then(|()| writer.flush()).is_err() {
            return false;
        }
    }
    if wire == Wire::Chunked && chunks.is_empty() && writer.write_all(b"0\r\n\r\n").is_err() {
        return false;
    }
    if wire == Wire::ExtraBody {
        let extra = EXTRA_BODY_BYTES as usize;
        update(&|r| r.body_written += extra as u64);
        let _ = writer.write_all(&vec![b'x'; extra]);
    }
    // After these, the connection's next bytes are no response: close it.
    whole && !matches!(wire, Wire::UntilClose | Wire::ExtraBody | Wire::ConflictingLengths)
}

fn respond_plain(writer: &mut TcpStream, status: u16) -> bool {
    let head = format!("HTTP/1.1 {status} {}\r\nContent-Length: 0\r\n\r\n", reason(status));
    writer.write_all(head.as_bytes()).is_ok()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        508 => "Loop Detected",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::{LoopbackService, MAX_CONNECTIONS};
    use indiv_engine::service::{Fault, ServiceBehavior};

    /// Generous: how long a test waits for what should be quick.
    const PATIENCE: Duration = Duration::from_secs(60);

    fn service_with_a_case() -> (LoopbackService, u64) {
        let mut service = LoopbackService::start().expect("service");
        let behavior = indiv_engine::scenario::named()[0].scenario.service;
        let id = service.register(&behavior).expect("register").id;
        (service, id)
    }

    fn connect(service: &LoopbackService) -> TcpStream {
        let stream = TcpStream::connect(service.addr()).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
        stream
    }

    /// Everything the service writes until it closes (or resets) the
    /// connection.
    fn read_to_close(stream: &mut TcpStream) -> String {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Writes `first`, then `filler` over and over up to `total` bytes;
    /// true when the service closed the connection before all was written.
    fn cut_off_while_writing(stream: &mut TcpStream, first: &[u8], filler: &[u8], total: usize) -> bool {
        if stream.write_all(first).is_err() {
            return true;
        }
        let mut written = first.len();
        while written < total {
            if stream.write_all(filler).is_err() {
                return true;
            }
            written += filler.len();
        }
        false
    }

    #[test]
    fn a_huge_header_block_is_refused_after_a_bounded_read_and_the_connection_closed() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        let first = format!("POST /c/{id}/individualize HTTP/1.1\r\nHost: x\r\n");
        let filler = format!("X-Filler: {}\r\n", "a".repeat(1000));
        // 256 MiB would be written if the service read it all: it stops at
        // 64 KiB and closes, so the writes fail long before (the kernel's
        // buffers hold a few MiB at most).
        assert!(cut_off_while_writing(&mut stream, first.as_bytes(), filler.as_bytes(), 256 << 20));
        let answer = read_to_close(&mut stream);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431 "), "{answer}");
        assert!(service.log(id).exchanges.is_empty(), "a refused request reached the case's log");
    }

    #[test]
    fn a_huge_request_line_is_refused_and_the_connection_closed() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        let first = format!("GET /c/{id}/package?");
        assert!(cut_off_while_writing(&mut stream, first.as_bytes(), &[b'a'; 4096], 256 << 20));
        let answer = read_to_close(&mut stream);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 414 "), "{answer}");
        assert!(service.log(id).exchanges.is_empty());
    }

    #[test]
    fn a_small_oversized_head_is_answered_431() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        // Just over the limit, all of it sent before the service answers.
        let head = format!("GET /c/{id}/package HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(super::MAX_HEAD_BYTES));
        let _ = stream.write_all(head.as_bytes());
        let answer = read_to_close(&mut stream);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431 "), "{answer}");
        assert!(service.log(id).exchanges.is_empty());
    }

    #[test]
    fn bytes_beyond_a_declared_body_are_not_parsed_as_the_next_request() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        let smuggled = format!(
            "POST /c/{id}/individualize HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /c/{id}/package HTTP/1.1\r\n\r\n"
        );
        stream.write_all(smuggled.as_bytes()).expect("write");
        let answer = read_to_close(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
        assert!(service.log(id).exchanges.is_empty(), "{:?}", service.log(id).exchanges);
    }

    #[test]
    fn a_body_over_the_limit_is_refused_unread_and_the_connection_closed() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        let head = format!("POST /c/{id}/individualize HTTP/1.1\r\nContent-Length: {}\r\n\r\n", 200 << 20);
        stream.write_all(head.as_bytes()).expect("write");
        // What would have been the body, with a request inside it.
        let inner = format!("GET /c/{id}/package HTTP/1.1\r\n\r\n");
        assert!(cut_off_while_writing(&mut stream, inner.as_bytes(), &[b'b'; 4096], 200 << 20));
        let answer = read_to_close(&mut stream);
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert!(service.log(id).exchanges.is_empty());
    }

    #[test]
    fn chunked_bodies_and_conflicting_lengths_are_refused() {
        let (service, id) = service_with_a_case();
        for head in [
            format!("POST /c/{id}/individualize HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            format!("POST /c/{id}/individualize HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
            format!("POST /c/{id}/individualize HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            "this is not http\r\n\r\n".to_string(),
        ] {
            let mut stream = connect(&service);
            stream.write_all(head.as_bytes()).expect("write");
            let answer = read_to_close(&mut stream);
            assert!(answer.starts_with("HTTP/1.1 400 "), "{head:?}: {answer}");
        }
        assert!(service.log(id).exchanges.is_empty());
    }

    #[test]
    fn requests_one_after_another_on_one_connection_are_each_answered() {
        let (service, id) = service_with_a_case();
        let mut stream = connect(&service);
        for _ in 0..3 {
            let request = format!("POST /c/{id}/other HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody");
            stream.write_all(request.as_bytes()).expect("write");
            // The answer's head (its body is empty).
            let mut answer = Vec::new();
            while !answer.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).expect("read");
                answer.push(byte[0]);
            }
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.starts_with("HTTP/1.1 404 ") && answer.contains("Content-Length: 0"), "{answer}");
        }
        assert_eq!(service.log(id).exchanges.len(), 3);
    }

    #[test]
    fn connections_over_the_cap_are_closed_without_being_served() {
        let (service, _) = service_with_a_case();
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS).map(|_| connect(&service)).collect();
        let deadline = Instant::now() + PATIENCE;
        while service.connections() < MAX_CONNECTIONS && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(service.connections(), MAX_CONNECTIONS);
        for _ in 0..3 {
            let mut extra = connect(&service);
            let _ = extra.write_all(b"GET /c/1/package HTTP/1.1\r\n\r\n");
            assert_eq!(read_to_close(&mut extra), "", "a connection over the cap was served");
            assert!(service.connections() <= MAX_CONNECTIONS);
        }
        drop(idle);
        let deadline = Instant::now() + PATIENCE;
        while service.connections() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(service.connections(), 0);
        let mut again = connect(&service);
        again.write_all(b"GET /nowhere HTTP/1.1\r\n\r\n").expect("write");
        let mut answer = [0u8; 64];
        let n = again.read(&mut answer).expect("read");
        assert!(answer[..n].starts_with(b"HTTP/1.1 404 "));
    }

    /// Sends `request` to `addr`, says it sends no more, and reads what the
    /// service writes until it closes the connection.
    fn exchange(addr: std::net::SocketAddr, request: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream.write_all(request.as_bytes()).expect("write");
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        bytes
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    /// The head (up to the blank line) and the body of a response.
    fn split(response: &[u8]) -> (String, Vec<u8>) {
        match find(response, b"\r\n\r\n") {
            Some(at) => (String::from_utf8_lossy(&response[..at]).into_owned(), response[at + 4..].to_vec()),
            None => (String::from_utf8_lossy(response).into_owned(), Vec::new()),
        }
    }

    fn lengths(head: &str) -> Vec<u64> {
        head.lines().filter_map(|l| l.strip_prefix("Content-Length: ")).filter_map(|n| n.parse().ok()).collect()
    }

    /// The wire form each hostile fault promises (docs/TESTEE.md, "A hostile
    /// service"), seen by a raw client on the exchange it is played on.
    #[test]
    fn every_hostile_fault_is_played_on_the_wire_as_documented() {
        use indiv_engine::service::{
            CATALOGUE, ENDLESS_HEAD_BYTES, EXTRA_BODY_BYTES, Exchange, Fault, REDIRECT_LOOP_CAP, Wire,
        };
        let mut service = LoopbackService::start().expect("service");
        let base = indiv_engine::scenario::named()[0].scenario.service;
        for hostile in CATALOGUE {
            let behavior = indiv_engine::service::ServiceBehavior { fault: Some(hostile.fault), ..base };
            let case = service.register(&behavior).expect("register");
            let query_request =
                format!("POST /c/{}/individualize HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}", case.id);
            let query = exchange(service.addr(), &query_request);
            let played_on_query = hostile.fault.played_on() == Exchange::Query;
            let package_request = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            let package_path = format!("/c/{}/package?offer=0", case.id);
            let (response, size) = if played_on_query {
                // The offer as the service makes it: its package URL tagged with its exchange.
                let mut offer = behavior.offer(&format!("http://{}/c/{}/", service.addr(), case.id));
                offer.package_url.push_str("?offer=0");
                (query, behavior.offer_body(&offer).len() as u64)
            } else if hostile.fault == Fault::EarlyResponse {
                // The offer points at the early port, which answers before it is asked.
                let (_, offer) = split(&query);
                let offer = String::from_utf8_lossy(&offer).into_owned();
                let port: u16 = offer
                    .split("127.0.0.1:")
                    .nth(2)
                    .and_then(|p| p.split('/').next())
                    .and_then(|p| p.parse().ok())
                    .expect("a package port");
                assert_ne!(port, service.addr().port(), "{offer}");
                let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
                let mut bytes = vec![0u8; 16];
                // Nothing sent, and the response comes.
                stream.read_exact(&mut bytes).expect("an early response");
                assert!(bytes.starts_with(b"HTTP/1.1 200 "), "{}", String::from_utf8_lossy(&bytes));
                let _ = stream.write_all(package_request(&package_path).as_bytes());
                let _ = stream.shutdown(std::net::Shutdown::Write);
                let _ = stream.read_to_end(&mut bytes);
                (bytes, u64::from(behavior.package_size))
            } else {
                (exchange(service.addr(), &package_request(&package_path)), u64::from(behavior.package_size))
            };
            let (head, body) = split(&response);
            let name = hostile.name;
            let fault = hostile.fault;
            match fault {
                Fault::Redirect(r) => {
                    assert!(head.starts_with(&format!("HTTP/1.1 {} ", r.status())), "{name}: {head}");
                    let location = head.lines().find_map(|l| l.strip_prefix("Location: ")).expect("Location");
                    assert!(location.ends_with(&format!("/c/{}/package?offer=0&hop=1", case.id)), "{name}: {location}");
                    let next =
                        exchange(service.addr(), &package_request(&format!("/c/{}/package?offer=0&hop=1", case.id)));
                    assert!(next.starts_with(b"HTTP/1.1 200 "), "{name}: the redirect leads to the package");
                }
                Fault::RedirectLoop => {
                    for hop in 1..=REDIRECT_LOOP_CAP {
                        let path = format!("/c/{}/package?offer=0&hop={hop}", case.id);
                        let next = exchange(service.addr(), &package_request(&path));
                        let expected = if hop < REDIRECT_LOOP_CAP { "HTTP/1.1 302 " } else { "HTTP/1.1 508 " };
                        assert!(next.starts_with(expected.as_bytes()), "{name}: hop {hop}");
                    }
                    let log = service.log(case.id);
                    assert_eq!(log.exchanges.iter().filter(|e| e.redirected).count(), REDIRECT_LOOP_CAP as usize);
                }
                _ => {}
            }
            if matches!(fault, Fault::Redirect(_) | Fault::RedirectLoop) {
                continue;
            }
            let wire = fault.wire_on(fault.played_on());
            let text = String::from_utf8_lossy(&response);
            match wire {
                Wire::Plain | Wire::SlowHead | Wire::Early => {
                    assert!(head.starts_with("HTTP/1.1 200 "), "{name}: {head}");
                    let announced = if fault == Fault::SizeMismatch { size } else { body.len() as u64 };
                    assert_eq!(lengths(&head), vec![announced], "{name}: {head}");
                    assert_eq!(body.len() as u64, if played_on_query { body.len() as u64 } else { size }, "{name}");
                }
                Wire::Interim => {
                    assert!(text.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), "{name}: {text}");
                }
                Wire::Chunked => {
                    assert!(head.contains("Transfer-Encoding: chunked") && lengths(&head).is_empty(), "{name}: {head}");
                    assert!(body.ends_with(b"0\r\n\r\n"), "{name}");
                }
                Wire::Gzip => {
                    assert!(head.contains("Content-Encoding: gzip"), "{name}: {head}");
                    assert!(body.starts_with(&[0x1f, 0x8b]), "{name}");
                    assert_eq!(lengths(&head), vec![body.len() as u64], "{name}: {head}");
                }
                Wire::UntilClose => {
                    assert!(head.starts_with("HTTP/1.0 200 ") && lengths(&head).is_empty(), "{name}: {head}");
                    let expected = if fault == Fault::Http10Short { size - 100 } else { size };
                    assert_eq!(body.len() as u64, expected, "{name}");
                }
                Wire::LengthTwice => assert_eq!(lengths(&head), vec![size, size], "{name}: {head}"),
                Wire::ConflictingLengths => assert_eq!(lengths(&head), vec![size, size + 1], "{name}: {head}"),
                Wire::EndlessHead => {
                    assert!(find(&response, b"\r\n\r\n").is_none(), "{name}: a head that ends");
                    assert!(
                        response.len() > 64 << 10 && response.len() <= ENDLESS_HEAD_BYTES + 64,
                        "{name}: {} bytes",
                        response.len()
                    );
                }
                Wire::CutStatusLine => assert_eq!(text, "HTTP/1.1 20", "{name}"),
                Wire::CutHead => {
                    assert!(
                        text.starts_with("HTTP/1.1 200 OK\r\n") && find(&response, b"\r\n\r\n").is_none(),
                        "{name}: {text}"
                    );
                }
                Wire::ExtraBody => {
                    assert_eq!(lengths(&head), vec![size], "{name}: {head}");
                    assert_eq!(body.len() as u64, size + u64::from(EXTRA_BODY_BYTES), "{name}");
                }
            }
            // The log: a hostile framing is marked, and a broken head never completes.
            let log = service.log(case.id);
            let played = log.exchanges.iter().rev().find(|e| !e.redirected).expect("an exchange");
            assert_eq!(played.ambiguous, wire != Wire::Plain, "{name}");
            if !wire.completes() {
                assert!(!played.completed, "{name}: a broken response completed");
            }
            service.unregister(case.id);
        }
    }

    #[test]
    fn an_early_response_port_is_the_cases_own_and_closes_with_it() {
        let mut service = LoopbackService::start().expect("service");
        let base = indiv_engine::scenario::named()[0].scenario.service;
        let behavior = ServiceBehavior { fault: Some(Fault::EarlyResponse), ..base };
        let port_of = |service: &LoopbackService, id: u64| -> u16 {
            let request = format!("POST /c/{id}/individualize HTTP/1.1\r\nContent-Length: 2\r\n\r\n{{}}");
            let offer = String::from_utf8_lossy(&exchange(service.addr(), &request)).into_owned();
            offer
                .split("127.0.0.1:")
                .nth(2)
                .and_then(|p| p.split('/').next())
                .and_then(|p| p.parse().ok())
                .expect("port")
        };
        let first = service.register(&behavior).expect("register").id;
        let first_port = port_of(&service, first);
        let second = service.register(&behavior).expect("register").id;
        let second_port = port_of(&service, second);
        assert_ne!(first_port, second_port, "each early-response case has a port of its own");
        service.unregister(first);
        // A late connection of the first case's session reaches no case.
        assert!(TcpStream::connect(("127.0.0.1", first_port)).is_err(), "the port closes with its case");
        assert_eq!(service.log(second).exchanges.len(), 1, "only the second case's query");
        let mut stream = TcpStream::connect(("127.0.0.1", second_port)).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        let mut head = [0u8; 13];
        stream.read_exact(&mut head).expect("an answer before any request");
        assert_eq!(&head, b"HTTP/1.1 200 ");
        assert_eq!(service.log(second).exchanges.len(), 2);
    }
}
