//! The HTML reports in a real browser: headless Chromium loads certify's
//! `report.html` and `indiv check --format html`'s page from disk, the DOM
//! it builds holds exactly the elements the file has (nothing injected,
//! nothing lost), and the browser's console says nothing (no script error,
//! no refused script or fetch, no SVG attribute it could not read).
//!
//! Behind the feature `browser-tests`, which `cargo test --workspace
//! --all-features` (the README's test command, and `.ci/run`, which installs
//! Chromium first) turns on; a plain `cargo test` on a fresh machine runs the
//! browserless checks of `html.rs` only. With the feature on, a missing
//! Chromium fails these tests, saying how to install it: they never skip.
//! Chromium is `$INDIV_CHROMIUM`, else `chromium` or `chromium-browser` on
//! the PATH.
#![cfg(feature = "browser-tests")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::html::{certify_failing, parse};

/// How long Chromium may take to load a page (generous: a loaded machine).
const BROWSER_DEADLINE: Duration = Duration::from_secs(180);

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("INDIV_CHROMIUM") {
        return path.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            if dir.join(name).is_file() {
                return dir.join(name);
            }
        }
    }
    panic!(
        "the browser tests (feature browser-tests) need Chromium: install it (`apt-get install chromium`, \
         as .ci/run does) or set INDIV_CHROMIUM to its path"
    );
}

/// What Chromium made of a page.
struct Loaded {
    /// The DOM, serialized (`--dump-dom`).
    dom: String,
    /// The page's console messages.
    console: Vec<String>,
}

/// Runs headless Chromium on `page` with `extra` arguments, in its own
/// process group, killed with the whole group after [`BROWSER_DEADLINE`].
fn chromium_run(page: &Path, extra: &[String]) -> Loaded {
    use std::os::unix::process::CommandExt as _;
    let work = tempfile::tempdir().expect("temp dir");
    let (out, err) = (work.path().join("stdout"), work.path().join("stderr"));
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", work.path().join("profile").display()))
        .args(extra)
        .arg(format!("file://{}", page.canonicalize().expect("the page exists").display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let deadline = Instant::now() + BROWSER_DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Whatever happened, nothing of the browser outlives the test.
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let status = status.unwrap_or_else(|| panic!("chromium did not finish within {BROWSER_DEADLINE:?}: {stderr}"));
    assert!(status.success(), "chromium failed ({status}): {stderr}");
    let console = stderr.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    Loaded { dom: std::fs::read_to_string(&out).unwrap_or_default(), console }
}

/// How many elements of each name the serialized DOM holds.
fn dom_elements(dom: &str) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    let mut rest = dom;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            *names.entry(name.to_lowercase()).or_default() += 1;
        }
    }
    names
}

/// How many elements of each name the file holds.
fn file_elements(page: &str) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for e in parse(page) {
        *names.entry(e.name.to_lowercase()).or_default() += 1;
    }
    names
}

/// Loads `page` and checks it: no console message, and the DOM holds the
/// elements of the file, no more and no fewer.
fn loads_cleanly(page: &Path) -> Loaded {
    let loaded = chromium_run(page, &["--dump-dom".to_string()]);
    assert!(loaded.console.is_empty(), "the console is not empty: {:#?}", loaded.console);
    let text = std::fs::read_to_string(page).expect("the page");
    assert_eq!(dom_elements(&loaded.dom), file_elements(&text), "the DOM has the file's elements");
    loaded
}

#[test]
fn report_html_of_a_failing_run_loads_in_chromium_without_errors_and_draws_its_timelines() {
    let dir = tempfile::tempdir().expect("temp dir");
    certify_failing(dir.path());
    let page = dir.path().join("report.html");
    let loaded = loads_cleanly(&page);
    assert_eq!(loaded.dom.matches("<svg class=\"timeline\"").count(), 2, "two cases, two timelines");
    assert!(loaded.dom.contains("class=\"violation must\" href=\"#rule-PROGRESS-WITHIN-TOTAL\""));
    assert_eq!(loaded.dom.matches("<section class=\"rule\" id=\"rule-").count(), indiv_spec::Rule::ALL.len());
    // And it can be looked at: a screenshot of it.
    let shot = dir.path().join("shot.png");
    chromium_run(&page, &[format!("--screenshot={}", shot.display()), "--window-size=1280,1400".into()]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{} bytes", png.len());
}

#[test]
fn a_hostile_trace_drawn_by_check_makes_no_element_in_chromium() {
    let dir = tempfile::tempdir().expect("temp dir");
    let trace = dir.path().join("<b>x'\"&.jsonl");
    std::fs::write(&trace, super::html::hostile_trace()).expect("write trace");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv")).args(["check", "--format", "html"]).arg(&trace).output();
    let o = o.expect("run indiv check");
    assert_eq!(o.status.code(), Some(1));
    let page = dir.path().join("check.html");
    std::fs::write(&page, &o.stdout).expect("write page");
    let loaded = loads_cleanly(&page);
    assert!(!loaded.dom.contains("<script") && !loaded.dom.contains("<img") && !loaded.dom.contains("<b>"));
    assert!(loaded.dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the text is shown as text");
}

#[test]
fn the_browser_check_catches_a_script_error_and_an_element_the_report_did_not_make() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["check", "--format", "html", "../examples/traces/reader-happy.jsonl"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run indiv check");
    let page = String::from_utf8(o.stdout).expect("UTF-8");
    // What a failed escape would look like: markup from a trace inside the page.
    let doctored = page.replacen("<h2>", "<h2><script>boom()</script><img src=\"x\"/>", 1);
    let path = dir.path().join("doctored.html");
    std::fs::write(&path, &doctored).expect("write page");
    let loaded = chromium_run(&path, &["--dump-dom".to_string()]);
    assert!(loaded.console.iter().any(|l| l.contains("Content Security Policy")), "{:#?}", loaded.console);
    assert_ne!(dom_elements(&loaded.dom).get("script"), None);
}
