//! The `indiv certify` command: picks the cases (named, from a case file, or
//! generated and shrunk across the process boundary), runs them through the
//! [`Harness`], prints verdicts, writes the reports, and maps the outcome to
//! an exit status.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indiv_engine::Scenario;
use indiv_engine::scenario::strategy;
use indiv_spec::Spec;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};

use crate::certify::{Case, CaseResult, Harness, Settings, Verdict, named_cases};
use crate::certify_report;
use crate::error::{EXIT_OK, EXIT_VIOLATION, Error};

/// Exit status when only ERROR verdicts (no FAIL) occurred.
pub const EXIT_ERROR_ONLY: u8 = 3;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;
/// Most candidate runs spent shrinking one failing generated case.
const SHRINK_RUNS: usize = 150;

/// What `indiv certify` was asked.
#[derive(Clone, Debug)]
pub struct Options {
    /// The testee and its arguments; empty means the built-in reference engine.
    pub program: Vec<OsString>,
    /// List the cases and stop.
    pub list: bool,
    /// Run the named cases matching any of these globs (all when empty).
    pub case_globs: Vec<String>,
    /// Also run this many generated cases.
    pub random: Option<u32>,
    /// The seed of the generated cases.
    pub seed: u64,
    /// Run only this case file.
    pub case_file: Option<PathBuf>,
    /// Per-case timeout.
    pub timeout: Duration,
    /// NONSTRICT fails the run too.
    pub strict: bool,
    /// Write report.json, junit.xml, summary.md and the traces here.
    pub report: Option<PathBuf>,
    /// Validate and log every protocol line; stop the run at the first
    /// mismatch.
    pub validate_protocol: bool,
}

/// A case file: one scenario with a name, as `--case-file` reads it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The case's name.
    pub name: String,
    /// What it shows or how it was found.
    #[serde(default)]
    pub about: String,
    /// The scenario.
    pub scenario: Scenario,
}

/// Everything a run produced, for the reports.
pub struct RunSummary {
    /// Every case result, in order.
    pub results: Vec<(CaseResult, String)>,
    /// Who the testee said it is.
    pub testee: Option<(crate::testee::Implementation, Vec<crate::testee::Capability>)>,
    /// The program run.
    pub program: Vec<OsString>,
    /// Stopped by Ctrl-C before the end.
    pub incomplete: bool,
    /// Stopped by `--validate-protocol` at the first protocol mismatch (the
    /// last case is its ERROR; the cases after it did not run).
    pub protocol_mismatch: bool,
    /// The run was strict.
    pub strict: bool,
}

/// Runs `indiv certify`.
pub fn certify(spec: &'static Spec, options: Options, out: &mut dyn Write) -> Result<u8, Error> {
    if options.list {
        let cases = named_cases();
        let width = cases.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for case in cases {
            writeln!(out, "{:width$}  {}", case.name, case.about)?;
        }
        return Ok(EXIT_OK);
    }
    let program = if options.program.is_empty() {
        let me = std::env::current_exe()?;
        vec![me.into_os_string(), OsString::from("testee")]
    } else {
        options.program.clone()
    };
    let mut cases = select_cases(&options)?;
    let random: Vec<u64> = match options.random {
        Some(n) => (0..u64::from(n)).map(|i| options.seed.wrapping_add(i)).collect(),
        None => Vec::new(),
    };
    if cases.is_empty() && random.is_empty() {
        return Err(Error::Usage("no case to run".into()));
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&interrupted);
        // A second handler cannot be installed in one process (tests run
        // several harnesses); the first one keeps working.
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    }
    let settings =
        Settings { program: program.clone(), timeout: options.timeout, validate_protocol: options.validate_protocol };
    let mut harness = Harness::new(spec, settings, Arc::clone(&interrupted))?;
    let total = cases.len() + random.len();
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let report_dir = options.report.clone();
    let mut results = Vec::new();
    let command = reproduce_prefix(&options.program);
    for case in cases.drain(..) {
        if interrupted.load(Ordering::SeqCst) || harness.protocol_mismatch() {
            break;
        }
        let reproduce = match &options.case_file {
            Some(file) => format!("indiv certify --case-file {}{command}", file.display()),
            None => format!("indiv certify --case {}{command}", case.name),
        };
        let result = harness.run(&case);
        show(out, bar.as_ref(), &result)?;
        results.push((result, reproduce));
    }
    for seed in random {
        if interrupted.load(Ordering::SeqCst) || harness.protocol_mismatch() {
            break;
        }
        let mut runner = runner(seed);
        let mut tree = strategy::scenario()
            .new_tree(&mut runner)
            .map_err(|e| Error::Usage(format!("cannot generate a scenario: {e}")))?;
        let case = Case {
            name: format!("random-{seed}"),
            about: format!("generated from seed {seed}"),
            scenario: tree.current(),
        };
        let mut result = harness.run(&case);
        let mut reproduce = format!("indiv certify --random 1 --seed {seed}{command}");
        // A protocol mismatch stops the run: there is nothing to shrink.
        if failing(&result, options.strict) && !interrupted.load(Ordering::SeqCst) && !harness.protocol_mismatch() {
            result = shrink(&mut harness, &mut tree, result, options.strict, &interrupted);
            let dir = report_dir.clone().unwrap_or_else(|| PathBuf::from("."));
            std::fs::create_dir_all(&dir).map_err(|source| Error::Open { path: dir.clone(), source })?;
            let file = dir.join(format!("indiv-case-{seed}.toml"));
            write_case_file(&file, &result, seed)?;
            reproduce = format!("indiv certify --case-file {}{command}", file.display());
            writeln!(out, "minimal case written to {}\n  reproduce: {reproduce}", file.display())?;
        }
        show(out, bar.as_ref(), &result)?;
        results.push((result, reproduce));
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    harness.close();
    let summary = RunSummary {
        results,
        testee: harness.identity().cloned(),
        program,
        incomplete: interrupted.load(Ordering::SeqCst),
        protocol_mismatch: harness.protocol_mismatch(),
        strict: options.strict,
    };
    let counts = count(&summary);
    writeln!(out, "{}", counts_line(&counts, summary.incomplete, summary.protocol_mismatch))?;
    if let Some(dir) = &options.report {
        certify_report::write(spec, dir, &summary)?;
        writeln!(out, "report written to {}", dir.display())?;
    }
    Ok(exit_status(&counts, options.strict, summary.incomplete))
}

fn reproduce_prefix(program: &[OsString]) -> String {
    if program.is_empty() {
        return String::new();
    }
    let words: Vec<String> = program.iter().map(|w| shell_word(&w.to_string_lossy())).collect();
    format!(" -- {}", words.join(" "))
}

fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn failing(result: &CaseResult, strict: bool) -> bool {
    matches!(result.verdict, Verdict::Fail | Verdict::Error) || (strict && result.verdict == Verdict::Nonstrict)
}

/// Shrinks a failing generated case by running simpler scenarios against the
/// testee until none of the simplifications fails any more.
fn shrink(
    harness: &mut Harness,
    tree: &mut impl ValueTree<Value = Scenario>,
    mut best: CaseResult,
    strict: bool,
    interrupted: &AtomicBool,
) -> CaseResult {
    let name = best.name.clone();
    let mut runs = 0;
    // A candidate that breaks the protocol under --validate-protocol is an
    // ERROR, so the best one, and it stops the run: shrink no further.
    'shrink: while runs < SHRINK_RUNS
        && !interrupted.load(Ordering::SeqCst)
        && !harness.protocol_mismatch()
        && tree.simplify()
    {
        loop {
            runs += 1;
            let case = Case { name: name.clone(), about: String::new(), scenario: tree.current() };
            let result = harness.run(&case);
            if failing(&result, strict) {
                best = result;
                break;
            }
            if runs >= SHRINK_RUNS || !tree.complicate() {
                break 'shrink;
            }
        }
    }
    best
}

fn write_case_file(path: &Path, result: &CaseResult, seed: u64) -> Result<(), Error> {
    let file = CaseFile {
        name: result.name.clone(),
        about: format!("shrunk from generated seed {seed}: {}", result.verdict.as_str()),
        scenario: result.scenario.clone(),
    };
    let text = toml::to_string(&file).map_err(|e| Error::Usage(format!("cannot write the case file: {e}")))?;
    let text = format!("# indiv certify case file; run it with --case-file\n{text}");
    std::fs::write(path, text).map_err(|source| Error::Open { path: path.to_path_buf(), source })
}

/// Reads a case file.
pub fn read_case_file(path: &Path) -> Result<Case, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Open { path: path.to_path_buf(), source })?;
    let file: CaseFile = toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| position(&text, s.start));
        Error::Usage(format!("{}:{line}:{column}: {}", path.display(), e.message().trim_end_matches('.')))
    })?;
    Ok(Case { name: file.name, about: file.about, scenario: file.scenario })
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
    (line, column)
}

fn select_cases(options: &Options) -> Result<Vec<Case>, Error> {
    if let Some(file) = &options.case_file {
        return Ok(vec![read_case_file(file)?]);
    }
    let all = named_cases();
    if options.case_globs.is_empty() {
        return Ok(if options.random.is_some() { Vec::new() } else { all });
    }
    if let Some(glob) = options.case_globs.iter().find(|g| !all.iter().any(|c| glob_matches(g, &c.name))) {
        return Err(Error::Usage(format!("no case matches `{glob}`; `indiv certify --list` lists them")));
    }
    Ok(all.into_iter().filter(|c| options.case_globs.iter().any(|g| glob_matches(g, &c.name))).collect())
}

/// `*` matches any run of characters, `?` any one character.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    fn go(g: &[char], n: &[char]) -> bool {
        match g.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let g: Vec<char> = glob.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&g, &n)
}

fn show(out: &mut dyn Write, bar: Option<&indicatif::ProgressBar>, result: &CaseResult) -> Result<(), Error> {
    let mut text = format!("{:9} {} ({:.2} s)\n", result.verdict.as_str(), result.name, result.duration.as_secs_f64());
    let mut stated = std::collections::BTreeSet::new();
    for f in &result.findings {
        let level = crate::render::level_name(f.level);
        let _ = writeln!(text, "  {} ({level}) line {}: {}", f.rule, f.line, f.message);
        if let Some(record) = &f.record {
            let _ = writeln!(text, "    > {}", shorten(record, 160));
        }
        // The rule's statement once per case, then only the pointer to it.
        if let (true, Ok(spec)) = (stated.insert(f.rule), indiv_spec::Spec::builtin()) {
            let info = spec.rule(f.rule);
            let basis = crate::render::basis_name(info.basis);
            let _ = writeln!(text, "    = {level} ({basis}): {}", info.statement);
        }
        let _ = writeln!(text, "    = indiv explain {}", f.rule);
    }
    if let Some(error) = &result.error {
        let _ = writeln!(text, "  {error}");
    }
    if !result.stderr.trim().is_empty() {
        let tail: Vec<&str> = result.stderr.lines().rev().take(5).collect();
        for l in tail.iter().rev() {
            let _ = writeln!(text, "  stderr: {l}");
        }
    }
    match bar {
        Some(bar) => {
            if result.verdict != Verdict::Pass {
                bar.suspend(|| out.write_all(text.as_bytes()))?;
            }
            bar.set_message(result.name.clone());
            bar.inc(1);
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}

/// Verdict counts, in the order PASS, NONSTRICT, FAIL, ERROR, SKIP.
pub fn count(summary: &RunSummary) -> [usize; 5] {
    let mut counts = [0; 5];
    for (r, _) in &summary.results {
        counts[r.verdict as usize] += 1;
    }
    counts
}

fn counts_line(c: &[usize; 5], incomplete: bool, protocol_mismatch: bool) -> String {
    let total: usize = c.iter().sum();
    format!(
        "{total} cases: {} pass, {} nonstrict, {} fail, {} error, {} skip{}{}",
        c[0],
        c[1],
        c[2],
        c[3],
        c[4],
        if incomplete { " (interrupted: incomplete)" } else { "" },
        if protocol_mismatch { " (stopped at the first protocol mismatch)" } else { "" }
    )
}

fn exit_status(c: &[usize; 5], strict: bool, incomplete: bool) -> u8 {
    if incomplete {
        EXIT_INTERRUPTED
    } else if c[Verdict::Fail as usize] > 0 || (strict && c[Verdict::Nonstrict as usize] > 0) {
        EXIT_VIOLATION
    } else if c[Verdict::Error as usize] > 0 {
        EXIT_ERROR_ONLY
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_case_names() {
        assert!(glob_matches("fault-*", "fault-refused"));
        assert!(glob_matches("*cancel*", "reader-cancel-install"));
        assert!(glob_matches("busy", "busy"));
        assert!(glob_matches("b?sy", "busy"));
        assert!(!glob_matches("fault-*", "reader-happy"));
        assert!(!glob_matches("busy", "busy-2"));
    }
}
