//! `indiv certify` against a hostile testee and hostile input: nothing the
//! testee starts outlives the run (not even descendants that call `setsid`),
//! whether it ends normally or by SIGINT, SIGTERM or SIGHUP; reports are
//! never written through links planted in the report directory; long case
//! names still give every report; an unusable report directory and a case
//! file over the limits are refused before the first case.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Generous: how long the tests wait for something that should be quick.
const PATIENCE: Duration = Duration::from_secs(60);

fn indiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn escaping_testee() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testees/escaping.py")
}

/// The pids of the processes, other than zombies, whose command line holds
/// `marker`.
fn processes_marked(marker: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z'));
            !zombie && String::from_utf8_lossy(&cmdline).contains(marker)
        })
        .collect()
}

/// The pids the escaping testee wrote.
fn escaped_pids(marker: &Path) -> Vec<u32> {
    std::fs::read_to_string(marker.join("pids"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Fails unless every process marked `marker` is gone by a generous
/// deadline; at least `at_least` escaped.
fn assert_none_outlived(marker: &Path, at_least: usize, how: &str) {
    let escaped = escaped_pids(marker);
    assert!(escaped.len() >= at_least, "{how}: only {} descendants escaped: {escaped:?}", escaped.len());
    let mark = marker.display().to_string();
    let deadline = Instant::now() + PATIENCE;
    let mut left = processes_marked(&mark);
    while !left.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        left = processes_marked(&mark);
    }
    // Never leave them behind for the next test, even when this one fails.
    for &pid in &left {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
    assert!(left.is_empty(), "{how}: processes {left:?} outlived the harness (escaped: {escaped:?})");
}

fn certify_escaping(marker: &Path, args: &[&str], report: &Path) -> Command {
    let mut command = indiv();
    command
        .arg("certify")
        .args(args)
        .arg("--report")
        .arg(report)
        .arg("--")
        .arg("python3")
        .arg(escaping_testee())
        .arg(marker)
        .arg(env!("CARGO_BIN_EXE_indiv"));
    command
}

#[test]
fn descendants_that_call_setsid_are_killed_at_the_end_of_a_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report");
    let o = certify_escaping(dir.path(), &["--case", "reader-*"], &report).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // Two at hello, two at each of the first three resets.
    assert_none_outlived(dir.path(), 8, "a normal end");
}

/// Starts a long run against the escaping testee, waits until descendants
/// have escaped and a case has passed, sends `signal` to the harness, and
/// checks the partial report and that nothing outlived it.
fn signal_ends_the_run_and_its_descendants(signal: Signal) {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report");
    let child: Child = certify_escaping(dir.path(), &["--random", "1000000"], &report)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    // Wait (generously) until the third reset has escaped twice more.
    let deadline = Instant::now() + PATIENCE;
    while escaped_pids(dir.path()).len() < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    kill(Pid::from_raw(i32::try_from(child.id()).expect("pid")), signal).expect("signal");
    let o = child.wait_with_output().expect("wait");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(130), "{signal}: {out}");
    assert!(out.contains("(interrupted: incomplete)"), "{signal}: {out}");
    let json = std::fs::read_to_string(report.join("report.json")).expect("a partial report");
    let json: serde_json::Value = serde_json::from_str(&json).expect("report json");
    assert_eq!(json["incomplete"], true, "{signal}");
    assert_none_outlived(dir.path(), 8, &format!("{signal}"));
}

#[test]
fn ctrl_c_ends_the_run_with_a_partial_report_and_no_descendant_left() {
    signal_ends_the_run_and_its_descendants(Signal::SIGINT);
}

#[test]
fn sigterm_ends_the_run_like_ctrl_c() {
    signal_ends_the_run_and_its_descendants(Signal::SIGTERM);
}

#[test]
fn sighup_ends_the_run_like_ctrl_c() {
    signal_ends_the_run_and_its_descendants(Signal::SIGHUP);
}

#[test]
fn reports_replace_links_planted_in_the_report_directory_and_never_write_through_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report");
    std::fs::create_dir(&report).expect("report dir");
    // Planted before the run: junit.xml and traces point outside.
    let outside_junit = dir.path().join("outside-junit.xml");
    std::fs::write(&outside_junit, "keep me").expect("write");
    std::os::unix::fs::symlink(&outside_junit, report.join("junit.xml")).expect("link");
    let outside_traces = dir.path().join("outside-traces");
    std::fs::create_dir(&outside_traces).expect("dir");
    std::os::unix::fs::symlink(&outside_traces, report.join("traces")).expect("link");
    // Planted while it runs: the testee links report.json and summary.md to
    // outside-report.json and outside-summary.md, which it does not create.
    let outside_report = dir.path().join("outside-report.json");
    std::fs::write(&outside_report, "keep me too").expect("write");
    let o = indiv()
        .args(["certify", "--case", "reader-happy", "--case", "busy", "--report"])
        .arg(&report)
        .args(["--", "python3"])
        .arg(escaping_testee())
        .arg(dir.path())
        .arg(env!("CARGO_BIN_EXE_indiv"))
        .arg(&report)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&outside_junit).expect("outside"), "keep me");
    assert_eq!(std::fs::read_to_string(&outside_report).expect("outside"), "keep me too");
    assert!(!dir.path().join("outside-summary.md").exists(), "summary.md was written through the link");
    assert_eq!(std::fs::read_dir(&outside_traces).expect("outside").count(), 0, "a trace was written outside");
    for name in ["report.json", "junit.xml", "summary.md", "traces"] {
        let meta = std::fs::symlink_metadata(report.join(name)).expect(name);
        assert!(!meta.file_type().is_symlink(), "{name} is still a link");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).expect("report")).expect("json");
    assert_eq!(crate::verdicts(&json), vec![("reader-happy", "PASS"), ("busy", "PASS")]);
    assert!(report.join("traces/busy.jsonl").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&report)
        .expect("report dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_none_outlived(dir.path(), 4, "planting links");
}

/// A case file for the reference engine: Individualize(0x1) with the given
/// service figures.
pub(crate) fn case_file(name: &str, package_size: u64, chunk_size: u64, delay_ms: u64) -> String {
    format!(
        "name = \"{name}\"\n[scenario]\ncomponent_version = \"2.1.0.0\"\n\n\
         [scenario.service]\noffered_version = \"2.4.0.1\"\npackage_size = {package_size}\n\n[scenario.service.pace]\n\
         chunk_size = {chunk_size}\ndelay_ms = {delay_ms}\n\n[[scenario.steps]]\ntrigger = \"now\"\n\n[scenario.steps.call]\n\
         api = \"Individualize\"\nflags = 1\n"
    )
}

#[test]
fn a_case_name_over_255_bytes_still_gives_every_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("{}-é-{}", "long".repeat(70), "x".repeat(40));
    assert!(name.len() > 255);
    let file = dir.path().join("long.toml");
    std::fs::write(&file, case_file(&name, 100, 100, 0)).expect("write");
    let report = dir.path().join("report");
    let o = indiv().args(["certify", "--case-file"]).arg(&file).arg("--report").arg(&report).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).expect("report.json")).expect("json");
    assert_eq!(crate::verdicts(&json), vec![(name.as_str(), "PASS")]);
    let trace_file = json["cases"][0]["trace_file"].as_str().expect("trace file");
    let file_name = Path::new(trace_file).file_name().expect("name").to_string_lossy().into_owned();
    assert!(file_name.len() <= 255 && file_name.is_ascii(), "{file_name}");
    assert!(report.join(trace_file).is_file(), "{trace_file}");
    let junit = std::fs::read_to_string(report.join("junit.xml")).expect("junit.xml");
    assert!(junit.contains(&name), "{junit}");
}

#[test]
fn an_unusable_report_directory_is_refused_before_the_first_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A regular file where a directory should be: refused even to root.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let marker = dir.path().join("marker");
    std::fs::create_dir(&marker).expect("dir");
    for report in [file.join("report"), file.clone()] {
        let o = certify_escaping(&marker, &["--case", "reader-happy"], &report).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        let expected = format!("error: cannot write reports to {}: ", report.display());
        assert!(err.starts_with(&expected), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(o.stdout.is_empty(), "a case ran: {}", String::from_utf8_lossy(&o.stdout));
        assert!(escaped_pids(&marker).is_empty(), "the testee was started");
    }
}

#[test]
fn a_case_file_over_the_limits_is_refused_naming_the_file_and_the_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refused = [
        (
            case_file("huge", 1 << 30, 1, 0),
            "7:1: package_size must be from 1 to 4194304 (4 MiB), not 1073741824, unless a fault cuts what is written to at most that (drop_after, short_body)",
        ),
        (
            case_file("fine-grained", 4 << 20, 1, 0),
            "10:1: chunk_size must be at least 1024 (a package is written in at most 4096 chunks), not 1",
        ),
        (case_file("slow", 100, 100, 3_600_000), "11:1: delay_ms must be at most 10000, not 3600000"),
        (
            case_file("slow-install", 100, 100, 0).replace("[scenario]\n", "[scenario]\ninstall_ms = 10001\n"),
            "3:1: install_ms must be at most 10000, not 10001",
        ),
    ];
    for (text_of_file, message) in refused {
        let file = dir.path().join("over.toml");
        std::fs::write(&file, text_of_file).expect("write");
        let o = indiv().args(["certify", "--case-file"]).arg(&file).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end(), format!("error: {}:{message}", file.display()));
    }
    let file = dir.path().join("big.toml");
    std::fs::write(&file, format!("{}\n# {}\n", case_file("big", 100, 100, 0), "x".repeat(2 << 20))).expect("write");
    let o = indiv().args(["certify", "--case-file"]).arg(&file).output().expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end(), format!("error: {}:1:1: a case file must be at most 1048576 bytes", file.display()));
    // At the limits, it runs.
    std::fs::write(&file, case_file("at-the-limits", 4 << 20, 1024, 0)).expect("write");
    let o = indiv().args(["certify", "--case-file"]).arg(&file).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}
