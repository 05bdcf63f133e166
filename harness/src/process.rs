//! A testee process: started in its own process group, spoken to line by
//! line with deadlines, and always killed (with its children) and reaped.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The longest line read from a testee.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// How much of the testee's stderr is kept (the end of it).
pub const STDERR_KEPT: usize = 16 << 10;

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
    stderr: Arc<Mutex<VecDeque<u8>>>,
}

impl Process {
    /// Starts `program` (first element) with its arguments.
    pub fn spawn(program: &[OsString]) -> std::io::Result<Process> {
        let (first, rest) = program
            .split_first()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no program to run"))?;
        let mut child = Command::new(first)
            .args(rest)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that killing it kills what it started.
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut reader = BufReader::with_capacity(1 << 16, stdout);
                loop {
                    let message = match read_line(&mut reader) {
                        Ok(message) => message,
                        Err(_) => Incoming::Eof,
                    };
                    let last = !matches!(message, Incoming::Line(_));
                    if tx.send(message).is_err() || last {
                        return;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(mut err) = child.stderr.take() {
            let kept = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                    kept.extend(&buf[..n]);
                    let excess = kept.len().saturating_sub(STDERR_KEPT);
                    kept.drain(..excess);
                }
            });
        }
        Ok(Process { child, stdin, lines, stderr })
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

    /// The end of what the testee wrote to stderr.
    pub fn stderr_excerpt(&self) -> String {
        let kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let bytes: Vec<u8> = kept.iter().copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
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
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // The group may already be gone; there is nothing to do then.
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
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
