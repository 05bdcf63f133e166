//! A testee process: started in its own process group, spoken to line by
//! line with deadlines, and always killed (with its children) and reaped.
//!
//! A descendant that leaves the group (`setsid`, a double fork) escapes a
//! group kill. [`adopt_orphans`] makes the harness a child subreaper (Linux
//! `PR_SET_CHILD_SUBREAPER`): such descendants become the harness's children
//! when their parents die, and every time a testee is stopped the harness
//! kills and reaps all of its children (see [`sweep_orphans`]). The command
//! line turns it on; a library user whose process has children of its own
//! leaves it off.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// The longest line read from a testee.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// How much of the testee's stderr is kept (the end of it).
pub const STDERR_KEPT: usize = 16 << 10;
/// How long [`Process::stderr_excerpt`] waits, once the testee has closed its
/// stdout, for the rest of its stderr. A testee that exits closes both at
/// once, so this is reached only when a descendant keeps stderr open.
const STDERR_DRAIN: Duration = Duration::from_secs(1);

/// The longest stderr line kept as the first error line, in bytes.
const ERROR_LINE_KEPT: usize = 1 << 10;

/// Words that make a stderr line look like the start of an error (compared
/// case-insensitively): a traceback's head, a panic message.
pub const ERROR_WORDS: &[&str] = &["error", "traceback", "panicked", "exception", "fatal"];

/// Whether a stderr line looks like the start of an error (see [`ERROR_WORDS`]).
pub fn looks_like_error(line: &str) -> bool {
    let lower = line.to_lowercase();
    ERROR_WORDS.iter().any(|w| lower.contains(w))
}

/// The testee's stderr as read so far.
#[derive(Default)]
struct StderrLog {
    /// Its last [`STDERR_KEPT`] bytes.
    kept: VecDeque<u8>,
    /// How many bytes before those were not kept.
    dropped: u64,
    /// The line being read (its first [`ERROR_LINE_KEPT`] bytes).
    partial: Vec<u8>,
    /// The first whole line that looks like an error, kept even when the
    /// bytes around it are not.
    first_error: Option<String>,
    /// The pipe is closed: nothing more will come.
    closed: bool,
}

impl StderrLog {
    /// Takes bytes the testee wrote.
    fn take(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                if self.first_error.is_none() {
                    let line = String::from_utf8_lossy(&self.partial);
                    if looks_like_error(&line) {
                        self.first_error = Some(line.into_owned());
                    }
                }
                self.partial.clear();
            } else if self.partial.len() < ERROR_LINE_KEPT {
                self.partial.push(b);
            }
        }
        self.kept.extend(bytes);
        let excess = self.kept.len().saturating_sub(STDERR_KEPT);
        self.kept.drain(..excess);
        self.dropped += excess as u64;
    }

    /// The kept end, after the first error line and how much was left out
    /// when the beginning was not kept.
    fn excerpt(&self) -> String {
        let bytes: Vec<u8> = self.kept.iter().copied().collect();
        let end = String::from_utf8_lossy(&bytes);
        match (&self.first_error, self.dropped) {
            (Some(first), dropped) if dropped > 0 => {
                format!("{first}\n[{dropped} bytes of stderr not kept]\n{end}")
            }
            _ => end.into_owned(),
        }
    }
}

/// How long [`sweep_orphans`] goes on killing and reaping before it gives up
/// (a process in uninterruptible sleep cannot be reaped at once).
const SWEEP_DEADLINE: Duration = Duration::from_secs(10);

/// Set by [`adopt_orphans`]: every child of this process is a testee or one
/// of its descendants, so stopping a testee may kill them all.
static ADOPTING: AtomicBool = AtomicBool::new(false);

/// Makes this process a child subreaper, so that a testee's descendants that
/// left its process group (and its session) are re-parented to this process
/// rather than to init when their parents die, and are killed and reaped
/// whenever a testee is stopped.
///
/// Only for a process whose every child is a testee (the `indiv` command
/// line): stopping a testee then kills every child of the process.
/// Elsewhere than on Linux it does nothing: descendants that leave the
/// group may then outlive the run.
pub fn adopt_orphans() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)?;
        ADOPTING.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// The testees running now (`certify --jobs` runs several): their pids,
/// which are also their process groups' ids.
static LIVE_TESTEES: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// After [`adopt_orphans`]: kills (SIGKILL) and reaps every child of this
/// process but the testees still running and the members of their process
/// groups, over and over, until none is left or a generous deadline has
/// passed; each reaped one's own children have become this process's by then.
/// (A descendant of a running testee that left its group, with `setsid`,
/// cannot be told from an orphan of a stopped one and goes too.) Without
/// [`adopt_orphans`] it does nothing. Returns how many it reaped.
pub fn sweep_orphans() -> usize {
    if !ADOPTING.load(Ordering::SeqCst) {
        return 0;
    }
    let deadline = Instant::now() + SWEEP_DEADLINE;
    let mut reaped = 0;
    loop {
        // Listed and killed under the lock of the running testees: a testee
        // being started meanwhile is not taken for an orphan.
        let live = LIVE_TESTEES.lock().unwrap_or_else(|e| e.into_inner());
        let children: Vec<i32> = children_of(std::process::id())
            .into_iter()
            .filter(|(pid, group)| !live.iter().any(|t| *t as i32 == *pid || *t == *group))
            .map(|(pid, _)| pid)
            .collect();
        if children.is_empty() || Instant::now() >= deadline {
            return reaped;
        }
        for &pid in &children {
            let pid = Pid::from_raw(pid);
            // It may have exited already; it is reaped below all the same.
            let _ = kill(pid, Signal::SIGKILL);
        }
        drop(live);
        for &pid in &children {
            let pid = Pid::from_raw(pid);
            while Instant::now() < deadline {
                match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(5)),
                    Ok(_) => {
                        reaped += 1;
                        break;
                    }
                    // Not (or no longer) a child: reaped elsewhere.
                    Err(_) => break,
                }
            }
        }
    }
}

/// The processes whose parent is `parent`, each with its process group,
/// from `/proc/*/stat`.
fn children_of(parent: u32) -> Vec<(i32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (ppid, group) = parent_and_group(&stat)?;
            (ppid == parent).then_some((pid, group))
        })
        .collect()
}

/// The parent pid and the process group in a `/proc/PID/stat` line: the
/// second and third fields after the parenthesised command name (which may
/// itself hold spaces and parentheses).
fn parent_and_group(stat: &str) -> Option<(u32, u32)> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(1);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// What the testee's stdout produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// One line, without its end.
    Line(String),
    /// A line longer than [`MAX_LINE_BYTES`]; reading stopped.
    Oversized,
    /// Bytes that are not UTF-8; reading stopped.
    NotUtf8,
    /// The testee closed its stdout.
    Eof,
}

/// A running testee.
pub struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Incoming>,
    stderr: Arc<(Mutex<StderrLog>, Condvar)>,
    /// The testee closed its stdout (its stderr usually closes with it).
    stdout_closed: Arc<AtomicBool>,
    /// Killed and reaped: its pid (and group id) may belong to another
    /// process now.
    reaped: bool,
}

impl Process {
    /// Starts `program` (first element) with its arguments.
    pub fn spawn(program: &[OsString]) -> std::io::Result<Process> {
        let (first, rest) = program
            .split_first()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no program to run"))?;
        // Under the lock of the running testees, so that no sweep sees this
        // child before it is known to be a running testee.
        let mut live = LIVE_TESTEES.lock().unwrap_or_else(|e| e.into_inner());
        let mut child = Command::new(first)
            .args(rest)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that killing it kills what it started.
            .process_group(0)
            .spawn()?;
        live.push(child.id());
        drop(live);
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        let stdout_closed = Arc::new(AtomicBool::new(false));
        if let Some(stdout) = child.stdout.take() {
            let closed = Arc::clone(&stdout_closed);
            std::thread::spawn(move || {
                let mut reader = BufReader::with_capacity(1 << 16, stdout);
                loop {
                    let message = match read_line(&mut reader) {
                        Ok(message) => message,
                        Err(_) => Incoming::Eof,
                    };
                    if matches!(message, Incoming::Eof) {
                        closed.store(true, Ordering::SeqCst);
                    }
                    let last = !matches!(message, Incoming::Line(_));
                    if tx.send(message).is_err() || last {
                        return;
                    }
                }
            });
        }
        let stderr = Arc::new((Mutex::new(StderrLog::default()), Condvar::new()));
        if let Some(mut err) = child.stderr.take() {
            let log = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let (lock, changed) = &*log;
                let mut buf = [0u8; 4096];
                loop {
                    let n = err.read(&mut buf).unwrap_or(0);
                    let mut log = lock.lock().unwrap_or_else(|e| e.into_inner());
                    if n == 0 {
                        log.closed = true;
                        changed.notify_all();
                        return;
                    }
                    log.take(&buf[..n]);
                }
            });
        } else {
            stderr.0.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        }
        Ok(Process { child, stdin, lines, stderr, stdout_closed, reaped: false })
    }

    /// Writes one line to the testee.
    pub fn send(&mut self, line: &str) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| std::io::Error::other("stdin closed"))?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        stdin.flush()
    }

    /// The next thing from the testee's stdout, or `None` at the deadline.
    pub fn recv(&self, deadline: Instant) -> Option<Incoming> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(wait) {
            Ok(message) => Some(message),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Incoming::Eof),
        }
    }

    /// The end of what the testee wrote to stderr (its last [`STDERR_KEPT`]
    /// bytes), after its first line that looks like an error when that line
    /// is older than those. Once the testee has
    /// closed its stdout (it crashed or exited), this first reads its stderr
    /// to the end (waiting at most a second), so that what it wrote
    /// before dying, a traceback or a panic message, is not missed.
    pub fn stderr_excerpt(&self) -> String {
        let (lock, changed) = &*self.stderr;
        let mut log = lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.stdout_closed.load(Ordering::SeqCst) {
            let deadline = Instant::now() + STDERR_DRAIN;
            while !log.closed {
                let wait = deadline.saturating_duration_since(Instant::now());
                if wait.is_zero() {
                    break;
                }
                log = changed.wait_timeout(log, wait).unwrap_or_else(|e| e.into_inner()).0;
            }
        }
        log.excerpt()
    }

    /// Whether it has exited, and how.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Closes its stdin and waits up to `deadline` for it to exit by itself;
    /// then kills its process group. Always reaps it.
    pub fn finish(mut self, deadline: Instant) -> Option<ExitStatus> {
        self.stdin = None;
        while Instant::now() < deadline {
            if let Some(status) = self.exit_status() {
                self.kill_group();
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        None
    }

    fn kill_group(&mut self) {
        if self.reaped {
            return;
        }
        self.reaped = true;
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The group may already be gone; there is nothing to do then.
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        LIVE_TESTEES.lock().unwrap_or_else(|e| e.into_inner()).retain(|pid| *pid != self.child.id());
        sweep_orphans();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stdin = None;
        self.kill_group();
    }
}

fn read_line(reader: &mut impl BufRead) -> std::io::Result<Incoming> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            if line.is_empty() {
                return Ok(Incoming::Eof);
            }
            break;
        }
        match memchr::memchr(b'\n', available) {
            Some(at) => {
                line.extend_from_slice(&available[..at]);
                reader.consume(at + 1);
                break;
            }
            None => {
                let n = available.len();
                line.extend_from_slice(available);
                reader.consume(n);
            }
        }
        if line.len() > MAX_LINE_BYTES {
            return Ok(Incoming::Oversized);
        }
    }
    if line.len() > MAX_LINE_BYTES {
        return Ok(Incoming::Oversized);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8(line).map(Incoming::Line).unwrap_or(Incoming::NotUtf8))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_error_line_is_kept_when_the_stderr_around_it_is_not() {
        let mut log = super::StderrLog::default();
        log.take(b"starting\nTraceback (most recent call last):\n");
        log.take(&vec![b'x'; super::STDERR_KEPT]);
        log.take(b"\nlast line\n");
        let excerpt = log.excerpt();
        let dropped = log.dropped;
        assert!(dropped > 0);
        let head = format!("Traceback (most recent call last):\n[{dropped} bytes of stderr not kept]\n");
        assert!(excerpt.starts_with(&head), "{}", &excerpt[..100]);
        assert!(excerpt.ends_with("\nlast line\n"));
        // Nothing dropped: the excerpt is the stderr as written.
        let mut short = super::StderrLog::default();
        short.take(b"a\nerror: b\nc\n");
        assert_eq!(short.excerpt(), "a\nerror: b\nc\n");
        // A line that does not look like an error is not kept apart.
        let mut quiet = super::StderrLog::default();
        quiet.take(&vec![b'y'; 2 * super::STDERR_KEPT]);
        assert_eq!(quiet.excerpt().len(), super::STDERR_KEPT);
    }

    use super::parent_and_group;

    #[test]
    fn the_parent_is_read_past_a_command_name_with_spaces_and_parentheses() {
        assert_eq!(parent_and_group("42 (a) b (c)) S 17 40 42 0 -1"), Some((17, 40)));
        assert_eq!(parent_and_group("42 (sleep) S 1 42 42 0 -1"), Some((1, 42)));
        assert_eq!(parent_and_group("garbage"), None);
    }
}
