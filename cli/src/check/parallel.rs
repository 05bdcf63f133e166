//! `indiv check --jobs N`: the lines of one input, read by a reader thread,
//! decoded by N threads (N − 1 parsing threads and the calling thread), and
//! handed to the monitor (on the calling thread) in input order, exactly as
//! [`TraceReader`] hands them.
//!
//! The reader thread reads the input once, at most [`ParallelConfig::chunk`]
//! bytes a read, and cuts what it read at line ends into chunks of about that
//! size; the part of a line not yet ended waits for the next read. Each chunk
//! goes to a queue of work, from which whichever thread is free parses it,
//! and then its place in line goes, in input order, to a bounded queue that
//! the calling thread takes chunks from:
//! **the monitor sees the chunks in input order and the lines of a chunk in
//! their order, whatever thread parsed them and whenever**. Before the
//! calling thread waits for the next chunk in line, it parses a chunk no
//! thread has taken yet, if there is one: it is the N-th thread that parses,
//! so that N busy threads share N cores instead of N + 1 (the reader thread
//! mostly waits; a thread that waits for its turn while the others are
//! descheduled leaves a core idle: BENCHMARKS.md, "Issue 13, the night
//! round"). A thread that parses
//! decodes each line with [`decode_line_bytes`], the reading
//! [`TraceReader`] uses, and stops at a chunk's first bad line; the calling
//! thread stops at the first bad line of the input, so the first input error
//! and everything before it are what `--jobs 1` reports.
//!
//! Memory: the queue holds at most 2N chunks, so at most 2N + 2 chunks
//! (each at most a chunk, one read and the longest line: 2N in line, one
//! handed over and waiting for its place, one being checked) are in memory,
//! with their decoded records, besides the reader thread's buffer (a read
//! and a line not yet ended), whatever the input's length. A chunk's buffers
//! (its bytes, its lines) go back to the threads that fill them once the
//! monitor is done with it (`Spares`), so a long input costs no
//! allocation, page fault or growing copy per chunk; the spares are
//! buffers that held a chunk before, so they never add to that bound.
//!
//! Output is flushed where the single-threaded reader flushes it, before each
//! of its reads ([`ParallelConfig::flush_every`] bytes, and the end), so a
//! failing output is found after the same findings and before the same input
//! error as with `--jobs 1`; and after the last line of each read, so a live
//! log's findings show while the input waits. A failed flush stops the check;
//! the threads stop at their next step (the reader after the read it is in,
//! the parsing threads skipping the chunks still queued).
//!
//! [`TraceReader`]: indiv_spec::reader::TraceReader

use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use indiv_spec::Error;
use indiv_spec::reader::{Decoder, Line, LineError, MAX_LINE_HELD, decode_line_bytes, empty_trace};
use indiv_spec::record::Detached;

use super::Lines;

/// Bytes of input per chunk unless told otherwise: enough to make a chunk's
/// hand-over cheap beside its parsing, few enough to keep 2N chunks small.
pub const CHUNK_BYTES: usize = 256 << 10;

/// The largest chunk size allowed, which keeps a chunk's offsets in `u32`.
pub const MAX_CHUNK_BYTES: usize = 64 << 20;

/// How to read one input on threads.
#[derive(Clone, Copy, Debug)]
pub struct ParallelConfig {
    /// Threads that parse: the calling thread and `jobs - 1` parsing threads.
    pub jobs: usize,
    /// Bytes per chunk (at least 1, at most [`MAX_CHUNK_BYTES`]).
    pub chunk: usize,
    /// The read size of the single-threaded reader: reads end at multiples
    /// of it, and output is flushed where that reader would read.
    pub flush_every: usize,
}

/// Buffers of chunks the monitor is done with, for the next chunks: bytes
/// for the reader thread, lines for the parsing threads.
#[derive(Default)]
struct Spares {
    bytes: Mutex<Vec<Vec<u8>>>,
    lines: Mutex<Vec<VecDeque<ParsedLine>>>,
}

/// Spare buffers kept of each kind: enough for the chunks in flight.
const MAX_SPARES: usize = 64;

impl Spares {
    /// An empty byte buffer, reused if one is spare.
    fn bytes(&self) -> Vec<u8> {
        take_spare(&self.bytes)
    }

    /// An empty line buffer, reused if one is spare.
    fn lines(&self) -> VecDeque<ParsedLine> {
        take_spare(&self.lines)
    }

    /// Keeps a finished chunk's buffers, unless one grew past a chunk's
    /// usual size (a long line): that one is freed.
    fn give(&self, text: String, mut lines: VecDeque<ParsedLine>, chunk: usize) {
        let mut bytes = text.into_bytes();
        if bytes.capacity() <= 2 * chunk {
            bytes.clear();
            give_spare(&self.bytes, bytes);
        }
        if lines.capacity() <= chunk {
            lines.clear();
            give_spare(&self.lines, lines);
        }
    }
}

fn take_spare<T: Default>(pool: &Mutex<Vec<T>>) -> T {
    // A thread that panicked holding the lock left the pool whole.
    pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop().unwrap_or_default()
}

fn give_spare<T>(pool: &Mutex<Vec<T>>, spare: T) {
    let mut pool = pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if pool.len() < MAX_SPARES {
        pool.push(spare);
    }
}

/// What the reader thread hands over, in input order.
enum Next {
    /// Lines starting at byte `base` of the input, parsed by a parsing thread
    /// or the calling thread.
    Chunk {
        base: u64,
        /// The chunk ends the lines of one read: the next line waits for a read.
        last_of_read: bool,
        parsed: Receiver<Parsed>,
    },
    /// The input ended after the chunks before.
    End,
    /// A read failed after the chunks before.
    Failed(io::Error),
}

/// One chunk's work for a parsing thread.
struct Job {
    bytes: Vec<u8>,
    /// The chunk starts the input (its first line may start with a BOM).
    first: bool,
    reply: SyncSender<Parsed>,
}

/// A chunk parsed: its text up to its first bad line, and its records.
struct Parsed {
    text: String,
    lines: VecDeque<ParsedLine>,
    /// The chunk's first bad line, after `lines`.
    error: Option<BadLine>,
    /// The text was not UTF-8 after all (never: each line was validated).
    broken: bool,
}

struct ParsedLine {
    /// The line's text in the chunk's text, without line end and BOM.
    text: Range<u32>,
    /// Where the line ends in the chunk, after its line end.
    end: u32,
    /// The line ends with a line end (all but a last line).
    terminated: bool,
    record: Detached,
}

struct BadLine {
    error: LineError,
    end: u32,
    terminated: bool,
}

/// The chunk the calling thread is taking lines from.
struct Current {
    base: u64,
    last_of_read: bool,
    text: String,
    lines: VecDeque<ParsedLine>,
    error: Option<BadLine>,
}

/// The lines of one input, read and parsed on threads, in input order.
pub struct ParallelReader<'f> {
    next: Receiver<Next>,
    stop: Arc<AtomicBool>,
    spares: Arc<Spares>,
    /// The chunks no thread has taken yet, for the calling thread to parse
    /// while its next chunk is being parsed.
    work: Arc<Mutex<Receiver<Job>>>,
    /// Bytes per chunk.
    chunk: usize,
    threads: Vec<JoinHandle<()>>,
    /// Flushes the output; false when it failed.
    flush: &'f mut dyn FnMut() -> bool,
    flush_every: u64,
    /// The next offset where the single-threaded reader would read.
    next_read: u64,
    current: Option<Current>,
    line: usize,
    records: u64,
    ended: bool,
}

impl<'f> ParallelReader<'f> {
    /// Starts reading `input` on threads; `flush` flushes the output.
    pub fn start(
        input: Box<dyn Read + Send>,
        config: ParallelConfig,
        flush: &'f mut dyn FnMut() -> bool,
    ) -> io::Result<ParallelReader<'f>> {
        let jobs = config.jobs.max(1);
        let chunk = config.chunk.clamp(1, MAX_CHUNK_BYTES);
        let flush_every = config.flush_every.max(1);
        let stop = Arc::new(AtomicBool::new(false));
        let spares = Arc::new(Spares::default());
        let (next_tx, next) = mpsc::sync_channel(2 * jobs);
        let (work_tx, work_rx) = mpsc::channel::<Job>();
        let work_rx = Arc::new(Mutex::new(work_rx));
        let mut threads = Vec::with_capacity(jobs);
        let mut reader = ParallelReader {
            next,
            stop: stop.clone(),
            spares: spares.clone(),
            work: work_rx.clone(),
            chunk,
            threads: Vec::new(),
            flush,
            flush_every: flush_every as u64,
            next_read: 0,
            current: None,
            line: 0,
            records: 0,
            ended: false,
        };
        for _ in 1..jobs {
            let work = work_rx.clone();
            let spares = spares.clone();
            let stop = stop.clone();
            let spawned = std::thread::Builder::new()
                .name("indiv-check-parse".into())
                .spawn(move || parse_chunks(&work, &spares, &stop));
            // On failure, the threads started so far end when `work_tx` drops.
            threads.push(spawned?);
        }
        let reading = ReadConfig { chunk, align: flush_every };
        let spawned = std::thread::Builder::new()
            .name("indiv-check-read".into())
            .spawn(move || read_chunks(input, reading, &next_tx, &work_tx, &stop, &spares));
        threads.push(spawned?);
        reader.threads = threads;
        Ok(reader)
    }

    /// Flushes the output, or the error that stops the check.
    fn flush(&mut self) -> Result<(), Error> {
        if (self.flush)() {
            Ok(())
        } else {
            // The caller reports the output's error, not this one.
            Err(Error::Io { line: self.line + 1, source: io::Error::other("output failed") })
        }
    }

    /// Flushes where the single-threaded reader would have read before
    /// handing over the line ending at `end`: at a multiple of
    /// `flush_every` within the line, or at the end of the input for a line
    /// without a line end.
    fn flush_before(&mut self, end: u64, terminated: bool) -> Result<(), Error> {
        if self.next_read < end || !terminated {
            self.flush()?;
        }
        self.next_read = self.next_read.max(end.div_ceil(self.flush_every) * self.flush_every);
        Ok(())
    }

    /// The next chunk in input order, or `None` at the end.
    fn take_chunk(&mut self) -> Result<Option<Current>, Error> {
        let internal = |line: usize| Error::Io { line, source: io::Error::other("a parsing thread stopped") };
        match self.next.recv() {
            Ok(Next::Chunk { base, last_of_read, parsed }) => {
                let parsed =
                    parsed_or_help(&parsed, &self.work, &self.spares).ok_or_else(|| internal(self.line + 1))?;
                if parsed.broken {
                    return Err(internal(self.line + 1));
                }
                Ok(Some(Current { base, last_of_read, text: parsed.text, lines: parsed.lines, error: parsed.error }))
            }
            Ok(Next::End) => {
                self.flush()?;
                self.ended = true;
                // The reader thread has ended and, with it, the parsing
                // threads' work: joining them waits for nothing.
                for thread in std::mem::take(&mut self.threads) {
                    let _ = thread.join();
                }
                if self.records == 0 {
                    return Err(empty_trace());
                }
                Ok(None)
            }
            Ok(Next::Failed(source)) => {
                self.flush()?;
                Err(Error::Io { line: self.line + 1, source })
            }
            Err(_) => Err(Error::Io { line: self.line + 1, source: io::Error::other("the reading thread stopped") }),
        }
    }
}

impl Lines for ParallelReader<'_> {
    fn next_line(&mut self) -> Result<Option<Line<'_>>, Error> {
        let parsed = loop {
            if let Some(current) = &mut self.current {
                if let Some(line) = current.lines.pop_front() {
                    break line;
                }
                let base = current.base;
                let last_of_read = current.last_of_read;
                if let Some(bad) = current.error.take() {
                    self.flush_before(base + u64::from(bad.end), bad.terminated)?;
                    return Err(bad.error.at(self.line + 1));
                }
                if let Some(done) = self.current.take() {
                    self.spares.give(done.text, done.lines, self.chunk);
                }
                if last_of_read {
                    // The next line waits for a read: show what was found.
                    self.flush()?;
                }
            }
            if self.ended {
                return Ok(None);
            }
            match self.take_chunk()? {
                Some(chunk) => self.current = Some(chunk),
                None => return Ok(None),
            }
        };
        let base = self.current.as_ref().map_or(0, |c| c.base);
        self.flush_before(base + u64::from(parsed.end), parsed.terminated)?;
        self.line += 1;
        self.records += 1;
        let line = self.line;
        let missing = || Error::Io { line, source: io::Error::other("a parsed line lost its text") };
        let current = self.current.as_ref().ok_or_else(missing)?;
        let text = current.text.get(parsed.text.start as usize..parsed.text.end as usize).ok_or_else(missing)?;
        let record = parsed.record.attach(&current.text).ok_or_else(missing)?;
        Ok(Some(Line { number: line, text, record }))
    }

    fn records(&self) -> u64 {
        self.records
    }
}

impl Drop for ParallelReader<'_> {
    /// Stops the threads: the reader before its next read, the parsing
    /// threads once the reader has ended. Threads still running are not
    /// waited for (the reader may be waiting for input that never comes);
    /// they end on their own.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// How the reader thread reads.
#[derive(Clone, Copy)]
struct ReadConfig {
    chunk: usize,
    align: usize,
}

/// The reader thread: reads `input` once and hands over its chunks until
/// the end, a read error, a line too long, or `stop`.
fn read_chunks(
    mut input: Box<dyn Read + Send>,
    config: ReadConfig,
    next: &SyncSender<Next>,
    work: &Sender<Job>,
    stop: &AtomicBool,
    spares: &Spares,
) {
    let per_read = (config.chunk / config.align).max(1) * config.align;
    // `buf[..held]` holds the input from `base` on: a line not yet ended.
    // The buffer is read into again and again; its bytes past `held` are
    // stale, never read, and not cleared (clearing would cost a pass).
    let mut buf: Vec<u8> = Vec::new();
    let mut held = 0;
    let mut base: u64 = 0;
    let send = |bytes: &[u8], base: u64, last_of_read: bool| -> bool {
        let mut copy = spares.bytes();
        copy.extend_from_slice(bytes);
        let (reply, parsed) = mpsc::sync_channel(1);
        // The job first, so that the calling thread finds it when it waits
        // for this chunk; then its place in line, which blocks while 2N
        // chunks are in flight.
        work.send(Job { bytes: copy, first: base == 0, reply }).is_ok()
            && next.send(Next::Chunk { base, last_of_read, parsed }).is_ok()
    };
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let offset = base + held as u64;
        // Reads end where the single-threaded reader's end (a multiple of
        // `align`), unless the input gives less.
        let want = per_read - (offset % config.align as u64) as usize;
        if buf.len() < held + want {
            buf.resize(held + want, 0);
        }
        let n = match input.read(&mut buf[held..held + want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = next.send(Next::Failed(e));
                return;
            }
        };
        let filled = held + n;
        if n == 0 {
            // The end: a last line without a line end, then the end.
            if held > 0 && !send(&buf[..held], base, true) {
                return;
            }
            let _ = next.send(Next::End);
            return;
        }
        if let Some(at) = memchr::memrchr(b'\n', &buf[held..filled]) {
            let ended = held + at + 1;
            let mut from = 0;
            while ended - from > config.chunk {
                let cut = match memchr::memrchr(b'\n', &buf[from..from + config.chunk]) {
                    Some(at) => from + at + 1,
                    None => memchr::memchr(b'\n', &buf[from + config.chunk..ended])
                        .map_or(ended, |at| from + config.chunk + at + 1),
                };
                if cut == ended {
                    break;
                }
                if !send(&buf[from..cut], base + from as u64, false) {
                    return;
                }
                from = cut;
            }
            if !send(&buf[from..ended], base + from as u64, true) {
                return;
            }
            // The line not yet ended moves to the front.
            buf.copy_within(ended..filled, 0);
            held = filled - ended;
            base += ended as u64;
        } else {
            held = filled;
        }
        if held > MAX_LINE_HELD {
            // Too long, whatever follows: the line is the input's last.
            let _ = send(&buf[..=MAX_LINE_HELD], base, true);
            return;
        }
    }
}

/// The chunk `parsed` brings, once parsed; `None` if the thread that took
/// it stopped. Before waiting for it, the calling thread parses the chunks
/// no thread has taken yet from `work`. The chunk's job was handed over
/// before its place in line, so it is taken by a parsing thread or here: the
/// wait always ends.
fn parsed_or_help(parsed: &Receiver<Parsed>, work: &Mutex<Receiver<Job>>, spares: &Spares) -> Option<Parsed> {
    loop {
        match parsed.try_recv() {
            Ok(chunk) => return Some(chunk),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        // Jobs are taken in input order, and this chunk's was handed over
        // before its place in line: if no thread has taken it, it is the
        // first in the queue. A parsing thread that holds the lock is
        // taking the first, so this chunk is being parsed or will be.
        let queue = match work.try_lock() {
            Ok(queue) => Some(queue),
            // A thread that panicked holding the lock left the receiver whole.
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        };
        let job = queue.and_then(|queue| queue.try_recv().ok());
        match job {
            // The reply waits in its channel (room for one) for its turn.
            Some(job) => {
                let _ = job.reply.send(parse(job.bytes, job.first, spares.lines()));
            }
            None => return parsed.recv().ok(),
        }
    }
}

/// A parsing thread: parses chunks until the reader thread has ended.
fn parse_chunks(work: &Mutex<Receiver<Job>>, spares: &Spares, stop: &AtomicBool) {
    loop {
        // A thread that panicked holding the lock left the receiver whole.
        let job = work.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
        let Ok(job) = job else {
            return;
        };
        if stop.load(Ordering::Relaxed) {
            // Nobody takes chunks any more: the queue is drained unparsed.
            continue;
        }
        // The calling thread may have stopped; then nobody waits for this.
        let _ = job.reply.send(parse(job.bytes, job.first, spares.lines()));
    }
}

/// Parses a chunk's lines into `lines` (empty), up to its first bad line.
fn parse(mut bytes: Vec<u8>, first: bool, mut lines: VecDeque<ParsedLine>) -> Parsed {
    let mut error = None;
    let mut start = 0;
    let offset = |n: usize| n as u32; // chunks are at most MAX_CHUNK_BYTES plus a line and a read
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |at| start + at + 1);
        let line = &bytes[start..end];
        let terminated = line.ends_with(b"\n");
        match decode_line_bytes(line, first && start == 0, Decoder::Fast) {
            Ok((text, record)) => {
                let at = (text.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
                lines.push_back(ParsedLine {
                    text: offset(at)..offset(at + text.len()),
                    end: offset(end),
                    terminated,
                    record: record.detach(&bytes),
                });
            }
            Err(e) => {
                error = Some(BadLine { error: e, end: offset(end), terminated });
                break;
            }
        }
        start = end;
    }
    bytes.truncate(start);
    match String::from_utf8(bytes) {
        Ok(text) => Parsed { text, lines, error, broken: false },
        Err(_) => Parsed { text: String::new(), lines: VecDeque::new(), error: None, broken: true },
    }
}

#[cfg(test)]
mod tests {
    //! The calling thread's share of the parsing, step by step: which chunk
    //! it parses while it waits, and which it leaves to a parsing thread.
    use super::*;
    use std::time::Duration;

    const LATER: &[u8] = b"{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1}\n";
    const OWN: &[u8] = b"{\"kind\":\"call\",\"api\":\"Open\",\"required_version\":\"2.2\"}\n";
    /// Longer than any step here takes, however loaded the machine: the
    /// tests fail after it instead of hanging.
    const PATIENCE: Duration = Duration::from_secs(120);

    /// A queue of work holding one job for a later chunk, and that job's reply.
    fn queue_with_later_job() -> (Mutex<Receiver<Job>>, Receiver<Parsed>) {
        let (work, queue) = mpsc::channel();
        let (reply, parsed) = mpsc::sync_channel(1);
        work.send(Job { bytes: LATER.to_vec(), first: false, reply }).expect("the queue is open");
        (Mutex::new(queue), parsed)
    }

    #[test]
    fn the_calling_thread_parses_a_later_chunk_while_its_own_is_being_parsed() {
        let (queue, later) = queue_with_later_job();
        let (own_reply, own) = mpsc::sync_channel(1);
        // The parsing thread that took the calling thread's own chunk: it
        // answers once the later chunk is parsed, which only the calling
        // thread can do here.
        let parsing_thread = std::thread::spawn(move || {
            let later = later.recv_timeout(PATIENCE);
            let _ = own_reply.send(parse(OWN.to_vec(), false, VecDeque::new()));
            later
        });
        let spares = Spares::default();
        let got = parsed_or_help(&own, &queue, &spares).expect("the own chunk comes");
        assert_eq!(got.text.as_bytes(), OWN);
        let later = parsing_thread.join().expect("no panic").expect("the calling thread parsed the later chunk");
        assert_eq!(later.text.as_bytes(), LATER);
        assert_eq!((later.lines.len(), later.error.is_none()), (1, true));
    }

    #[test]
    fn the_calling_thread_leaves_the_queue_to_a_parsing_thread_taking_from_it() {
        let (queue, _later) = queue_with_later_job();
        // A parsing thread holds the queue: it is taking the first job.
        let held = queue.lock().expect("not poisoned");
        let (own_reply, own) = mpsc::sync_channel(1);
        let parsing_thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            let _ = own_reply.send(parse(OWN.to_vec(), false, VecDeque::new()));
        });
        let got = parsed_or_help(&own, &queue, &Spares::default()).expect("the own chunk comes");
        assert_eq!(got.text.as_bytes(), OWN);
        parsing_thread.join().expect("no panic");
        let job = held.recv_timeout(Duration::ZERO).expect("the later job is still queued");
        assert_eq!(job.bytes, LATER);
    }

    #[test]
    fn a_chunk_whose_parsing_thread_stopped_ends_the_wait_with_none() {
        let (queue, _later) = queue_with_later_job();
        let (own_reply, own) = mpsc::sync_channel::<Parsed>(1);
        drop(own_reply);
        assert!(parsed_or_help(&own, &queue, &Spares::default()).is_none());
    }
}
