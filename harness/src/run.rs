//! A whole certification run: picks the cases (named, from a case file, or
//! generated from seeds), plays them through the [`Harness`], shrinks a
//! failing generated case across the process boundary, and sums the run up.
//! What is printed, and which exit status a run maps to, is the command
//! line's business: it watches the run through a [`RunObserver`].

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use indiv_engine::Scenario;
use indiv_engine::scenario::Trigger;
use indiv_engine::scenario::strategy;
use indiv_spec::{Rule, Spec};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::expect::Expectations;
use crate::protocol::{Capability, Implementation};
use crate::runner::{
    Case, CaseResult, DEFAULT_ANSWER_TIMEOUT_SECONDS, Harness, MAX_RECORDS_LIMIT, MAX_RECORDS_PER_CASE, ProtocolLimits,
    Settings, Settlement, Verdict, named_cases,
};

/// Most candidate runs spent shrinking one failing generated case.
const SHRINK_RUNS: usize = 150;
/// How many times a shrunk case is played again to see whether it fails
/// every time ("reproduces k of n").
pub const CONFIRM_RUNS: usize = 5;
/// The most rounds `--repeat` asks for.
pub const MAX_REPEAT: u32 = 100_000;

/// The largest case file read, in bytes.
pub const MAX_CASE_FILE_BYTES: u64 = 1 << 20;
/// The longest case name in a case file, in bytes.
pub const MAX_CASE_NAME_BYTES: usize = 4 << 10;
/// The most bytes of a package the service writes for a case file (it
/// holds them in memory for each download): `package_size`, or what a fault
/// cuts it to ([`indiv_engine::ServiceBehavior::package_written`]).
pub const MAX_PACKAGE_BYTES: u32 = 4 << 20;
/// Most chunks a package is written in (each is a progress status).
pub const MAX_CHUNKS: u32 = 4096;
/// The longest `delay_ms` between chunks.
pub const MAX_DELAY_MS: u32 = 10_000;
/// The longest `install_ms`.
pub const MAX_INSTALL_MS: u32 = 10_000;
/// Most steps of a case file's scenario.
pub const MAX_STEPS: usize = 1_000;
/// The per-case timeout when `--timeout` is not given, in seconds.
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 10.0;

/// What a certification run is asked to do.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The testee and its arguments (never empty: the command line puts the
    /// built-in reference engine here when no program is given).
    pub program: Vec<OsString>,
    /// How the user named the testee, for the reproduce commands (empty for
    /// the built-in reference engine).
    pub program_as_given: Vec<OsString>,
    /// Run the named cases matching any of these globs (all when empty).
    pub case_globs: Vec<String>,
    /// Also run this many generated cases.
    pub random: Option<u32>,
    /// Also run this many generated cases with a hostile service (each one
    /// fault of the catalogue, [`indiv_engine::service::CATALOGUE`]).
    pub chaos: Option<u32>,
    /// The seed of the generated cases.
    pub seed: u64,
    /// Run only this case file.
    pub case_file: Option<PathBuf>,
    /// Per-case timeout.
    pub timeout: Duration,
    /// NONSTRICT fails the run too.
    pub strict: bool,
    /// Where shrunk case files go (the current directory when `None`).
    pub case_dir: Option<PathBuf>,
    /// Validate and log every protocol line; stop the run at the first
    /// mismatch.
    pub validate_protocol: bool,
    /// The protocol's limits (`--answer-timeout`, `--max-records`).
    pub limits: ProtocolLimits,
    /// Play the selection this many times (rounds); `None` is once, or
    /// without end under `until_fail`.
    pub repeat: Option<u32>,
    /// Stop at the first play that fails (FAIL or ERROR; with `strict`, also
    /// NONSTRICT or INCONCLUSIVE), after as many rounds as it takes.
    pub until_fail: bool,
    /// Stop at the first play that fails, in whatever round.
    pub fail_fast: bool,
    /// Shrink at most this many distinct failures of generated cases
    /// (failures that broke the same set of rules count as one).
    pub shrink: usize,
    /// The known failures (`--expect`).
    pub expectations: Option<Expectations>,
    /// How many testee processes play cases at once (at least 1).
    pub jobs: usize,
    /// Set (by a signal handler) to stop the run after the current case.
    pub interrupted: Arc<AtomicBool>,
}

impl RunOptions {
    /// How many rounds the run plays at most.
    fn rounds(&self) -> u32 {
        self.repeat.unwrap_or(if self.until_fail { u32::MAX } else { 1 })
    }
}

/// A case file: one scenario with a name, as `--case-file` reads it (TOML;
/// `indiv schema case` describes its data, docs/CASES.md its meaning).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The case's name, shown in the console and the reports (at most 4096
    /// bytes).
    pub name: String,
    /// What it shows or how it was found.
    #[serde(default)]
    pub about: String,
    /// The scenario: the component's version, the service, the calls.
    pub scenario: Scenario,
}

impl CaseFile {
    /// The case file's text, as `--case-file` reads it: a comment line, then
    /// the TOML.
    pub fn to_toml(&self) -> Result<String, Error> {
        let text = toml::to_string(self).map_err(|e| Error::CaseFileWrite(e.to_string()))?;
        Ok(format!("# indiv certify case file; run it with --case-file\n{text}"))
    }
}

/// The JSON Schema of a case file's data (`indiv schema case`): the file is
/// TOML, read into this model; the limits [`read_case_file`] enforces
/// beyond the schema are stated in the descriptions and in docs/CASES.md.
pub fn case_schema() -> schemars::Schema {
    let mut schema = schemars::schema_for!(CaseFile);
    schema.insert("$id".into(), "https://indiv.invalid/schema/indiv-case-1.json".into());
    schema.insert("title".into(), "indiv certify case file (TOML)".into());
    schema.insert(
        "description".into(),
        format!(
            "One case for `indiv certify --case-file`, written in TOML; this schema describes its data. \
             Beyond it: a file of at most {MAX_CASE_FILE_BYTES} bytes, a name of at most {MAX_CASE_NAME_BYTES} bytes, \
             package_size from 1 to {MAX_PACKAGE_BYTES} unless a fault (drop_after, short_body) cuts what is written \
             to at most that, at most {MAX_CHUNKS} chunks (the bytes written / chunk_size rounded up), delay_ms at most {MAX_DELAY_MS}, install_ms at most {MAX_INSTALL_MS}, at most {MAX_STEPS} steps, after_statuses at most \
             {MAX_RECORDS_LIMIT}; component_version of the form major.minor.0.F, offered_version \
             major.minor.0.1. See docs/CASES.md."
        )
        .into(),
    );
    schema
}

/// The case `--show NAME` prints: a named case, or `random-SEED` (or
/// `chaos-SEED`), the case `--random 1 --seed SEED` (or `--chaos 1 --seed
/// SEED`) generates.
pub fn case_by_name(name: &str) -> Result<CaseFile, Error> {
    if let Some(case) = named_cases().into_iter().find(|c| c.name == name) {
        return Ok(CaseFile { name: case.name, about: case.about, scenario: case.scenario });
    }
    let (generator, seed) = Generator::parse_name(name).ok_or_else(|| Error::UnknownCase(name.to_string()))?;
    let case = generated_case(generator, seed)?.0;
    Ok(CaseFile { name: case.name, about: case.about, scenario: case.scenario })
}

/// How a generated case is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// `--random`: any scenario, with a polite fault or none, aimed at an
    /// entry of the boundary catalogue.
    Random,
    /// `--chaos`: any scenario, with a hostile fault of the catalogue.
    Chaos,
}

impl Generator {
    /// `random` or `chaos`: the option's name and the prefix of its cases'.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Random => "random",
            Generator::Chaos => "chaos",
        }
    }

    /// The generator and seed of a generated case's name (`random-SEED`,
    /// `chaos-SEED`), in the spelling the run gives it only (no sign, no
    /// leading zero).
    pub fn parse_name(name: &str) -> Option<(Generator, u64)> {
        [Generator::Random, Generator::Chaos].into_iter().find_map(|g| {
            let digits = name.strip_prefix(g.name())?.strip_prefix('-')?;
            let seed = digits.parse::<u64>().ok().filter(|v| v.to_string() == digits)?;
            Some((g, seed))
        })
    }
}

/// The generated case of `seed` and the proptest tree that shrinks it.
fn generated_case(generator: Generator, seed: u64) -> Result<(Case, Box<dyn ValueTree<Value = Scenario>>), Error> {
    let mut runner = seeded_runner(seed);
    let tree: Box<dyn ValueTree<Value = Scenario>> = match generator {
        Generator::Random => {
            Box::new(strategy::aimed(seed).new_tree(&mut runner).map_err(|e| Error::Generate(e.to_string()))?)
        }
        Generator::Chaos => {
            Box::new(strategy::chaos().new_tree(&mut runner).map_err(|e| Error::Generate(e.to_string()))?)
        }
    };
    let about = match generator {
        Generator::Random => {
            format!("generated from seed {seed}, aimed at {}", indiv_engine::boundary::aim_of_seed(seed).id)
        }
        Generator::Chaos => format!("generated from seed {seed} with a hostile service"),
    };
    let case = Case { name: format!("{}-{seed}", generator.name()), about, scenario: tree.current() };
    Ok((case, tree))
}

/// One play of a case: its result, and the command that reproduces it.
pub struct CaseOutcome {
    /// The result.
    pub result: CaseResult,
    /// `indiv certify ...` that runs this case again.
    pub reproduce: String,
    /// The round it was played in, from 1 (see `--repeat`).
    pub round: u32,
    /// For a shrunk generated case: how many of [`CONFIRM_RUNS`] plays of
    /// the minimal case failed again, and how many there were.
    pub reproduces: Option<(usize, usize)>,
    /// For an XFAIL play: the reasons of the expectations that covered it.
    pub expected: Option<Vec<String>>,
    /// Under `--validate-protocol`, the play at which the testee first broke
    /// the protocol: the run stops there.
    pub mismatch: bool,
}

/// Everything a run produced, for the console and the reports.
pub struct RunSummary {
    /// Every case, in run order.
    pub cases: Vec<CaseOutcome>,
    /// Who the testee said it is.
    pub testee: Option<(Implementation, Vec<Capability>)>,
    /// The program run.
    pub program: Vec<OsString>,
    /// Stopped by an interrupt before the end.
    pub incomplete: bool,
    /// Stopped by `--validate-protocol` at the first protocol mismatch (the
    /// last case is its ERROR; the cases after it did not run).
    pub protocol_mismatch: bool,
    /// The run was strict.
    pub strict: bool,
    /// The run played its cases more than once (`--repeat`, `--until-fail`).
    pub repeated: bool,
    /// The expectations file, with what became of each entry.
    pub expectations: Option<Expectations>,
    /// The boundary coverage of the plays (see
    /// [`crate::coverage::boundaries`]), worked out once for every report.
    pub boundaries: Vec<crate::coverage::BoundaryCoverage>,
}

/// A case whose plays came to different verdicts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flaky {
    /// The case's name.
    pub name: String,
    /// How many plays came to each verdict, in verdict order.
    pub verdicts: Vec<(Verdict, usize)>,
}

impl Flaky {
    /// Its plays per verdict, in words: `2 PASS, 1 FAIL`.
    pub fn verdicts_in_words(&self) -> String {
        verdict_counts_in_words(self.verdicts.iter().copied())
    }
}

/// Plays per verdict, in words: `2 PASS, 1 FAIL`.
pub fn verdict_counts_in_words(counts: impl IntoIterator<Item = (Verdict, usize)>) -> String {
    let words: Vec<String> = counts.into_iter().map(|(v, n)| format!("{n} {}", v.as_str())).collect();
    words.join(", ")
}

/// How many cases came to each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// PASS.
    pub pass: usize,
    /// NONSTRICT.
    pub nonstrict: usize,
    /// INCONCLUSIVE.
    pub inconclusive: usize,
    /// FAIL.
    pub fail: usize,
    /// ERROR.
    pub error: usize,
    /// SKIP.
    pub skip: usize,
    /// XFAIL.
    pub xfail: usize,
}

impl Counts {
    /// Counts the verdicts of `results`.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Counts {
        let mut counts = Counts::default();
        for r in results {
            *match r.verdict {
                Verdict::Pass => &mut counts.pass,
                Verdict::Nonstrict => &mut counts.nonstrict,
                Verdict::Inconclusive => &mut counts.inconclusive,
                Verdict::Fail => &mut counts.fail,
                Verdict::Error => &mut counts.error,
                Verdict::Skip => &mut counts.skip,
                Verdict::Xfail => &mut counts.xfail,
            } += 1;
        }
        counts
    }

    /// All cases.
    pub fn total(&self) -> usize {
        self.pass + self.nonstrict + self.inconclusive + self.fail + self.error + self.skip + self.xfail
    }
}

impl RunSummary {
    /// The verdict counts of the run (of every play).
    pub fn counts(&self) -> Counts {
        Counts::of(self.cases.iter().map(|c| &c.result))
    }

    /// The cases played more than once whose plays disagree, in the order
    /// they were first played.
    pub fn flaky(&self) -> Vec<Flaky> {
        let mut order: Vec<&str> = Vec::new();
        let mut seen: std::collections::HashMap<&str, std::collections::BTreeMap<Verdict, usize>> =
            std::collections::HashMap::new();
        for outcome in &self.cases {
            let name = outcome.result.name.as_str();
            let verdicts = seen.entry(name).or_insert_with(|| {
                order.push(name);
                std::collections::BTreeMap::new()
            });
            *verdicts.entry(outcome.result.verdict).or_default() += 1;
        }
        order
            .into_iter()
            .filter_map(|name| {
                let verdicts = seen.remove(name)?;
                (verdicts.len() > 1).then(|| Flaky { name: name.to_string(), verdicts: verdicts.into_iter().collect() })
            })
            .collect()
    }
}

/// What the command line sees of a run while it happens.
pub trait RunObserver {
    /// How many plays the run will make (shrinking runs not counted), when
    /// known (`--until-fail` without `--repeat` plays until a failure).
    fn planned(&mut self, total: Option<usize>);
    /// A case is done (a shrunk one, after shrinking).
    fn case_done(&mut self, outcome: &CaseOutcome) -> std::io::Result<()>;
    /// A failing generated case was shrunk, played [`CONFIRM_RUNS`] times
    /// more (`reproduces`: how many of them failed, of how many), and
    /// written as a case file.
    fn case_file_written(&mut self, path: &Path, reproduce: &str, reproduces: (usize, usize)) -> std::io::Result<()>;
    /// A failing generated case is being shrunk: `runs` candidates played so far.
    fn shrinking(&mut self, _name: &str, _runs: usize) {}
}

/// Runs the selected cases against the testee.
///
/// The plays (every case of the selection, round after round) are numbered
/// in run order and shared out among `jobs` workers, each with its own
/// testee process and loopback service; the observer sees them in run
/// order, whatever order they end in. Only then are failing generated cases
/// shrunk, in run order, so the run's results do not depend on `jobs` (for
/// an engine whose behaviour does not depend on the cases it played before:
/// each worker's testee plays a share of them).
pub fn certify(spec: &'static Spec, options: &RunOptions, observer: &mut dyn RunObserver) -> Result<RunSummary, Error> {
    let cases = select_cases(options)?;
    let seeds = |generator: Generator, count: Option<u32>| {
        (0..u64::from(count.unwrap_or(0))).map(move |i| (generator, options.seed.wrapping_add(i)))
    };
    let random: Vec<(Generator, u64)> =
        seeds(Generator::Random, options.random).chain(seeds(Generator::Chaos, options.chaos)).collect();
    if cases.is_empty() && random.is_empty() {
        return Err(Error::NoCase);
    }
    let settings = Settings {
        program: options.program.clone(),
        timeout: options.timeout,
        validate_protocol: options.validate_protocol,
        limits: options.limits,
    };
    let rounds = options.rounds();
    let per_round = (cases.len() + random.len()) as u64;
    let plays = per_round.saturating_mul(u64::from(rounds));
    observer.planned((rounds != u32::MAX).then_some(plays as usize));
    let command = reproduce_suffix(options);
    let schedule = Schedule { cases: &cases, seeds: &random, options, command: &command };
    let jobs = options.jobs.clamp(1, plays.min(MAX_JOBS as u64) as usize);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::channel::<WorkerMessage>();
    let mut outcomes: Vec<CaseOutcome> = Vec::new();
    let mut expectations = options.expectations.clone();
    let mut testee = None;
    let mut protocol_mismatch = false;
    let mut failure: Option<Error> = None;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (tx, settings, schedule, next, stop) = (tx.clone(), settings.clone(), &schedule, &next, &stop);
            scope.spawn(move || work(spec, settings, schedule, next, stop, plays, &tx));
        }
        drop(tx);
        // Plays that ended ahead of their turn, by number.
        let mut ahead: BTreeMap<u64, CaseOutcome> = BTreeMap::new();
        let mut turn = 0u64;
        let mut cut = false;
        for message in rx {
            match message {
                WorkerMessage::Played(n, outcome) => {
                    ahead.insert(n, *outcome);
                }
                WorkerMessage::Stopped { identity } => {
                    if testee.is_none() {
                        testee = identity;
                    }
                }
                WorkerMessage::Failed(e) => {
                    failure.get_or_insert(e);
                    stop.store(true, Ordering::SeqCst);
                }
            }
            while !cut {
                let Some(mut outcome) = ahead.remove(&turn) else { break };
                turn += 1;
                if let Some(x) = &mut expectations {
                    outcome.expected = x.apply(&mut outcome.result, options.strict);
                }
                let shown = observer.case_done(&outcome);
                let stops = outcome.mismatch
                    || ((options.until_fail || options.fail_fast) && failing(&outcome.result, options.strict));
                protocol_mismatch |= outcome.mismatch;
                if outcome.round > 1 && outcome.result.verdict == Verdict::Pass {
                    // A passing play after the first round keeps its verdict, not its trace.
                    outcome.result.trace = String::new();
                    outcome.result.stderr = String::new();
                    outcome.result.exchanges = Vec::new();
                }
                outcomes.push(outcome);
                if let Err(e) = shown {
                    failure.get_or_insert(Error::Output(e));
                    cut = true;
                }
                if stops {
                    // Nothing after this play is reported (as if it had not run).
                    cut = true;
                }
                if cut {
                    stop.store(true, Ordering::SeqCst);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    shrink_failures(spec, &settings, options, &command, &mut outcomes, observer)?;
    let boundaries = crate::coverage::boundaries(outcomes.iter().map(|c| &c.result));
    Ok(RunSummary {
        boundaries,
        cases: outcomes,
        testee,
        program: options.program.clone(),
        incomplete: options.interrupted.load(Ordering::SeqCst),
        protocol_mismatch,
        strict: options.strict,
        repeated: rounds > 1,
        expectations,
    })
}

/// The most worker processes `--jobs` may ask for.
pub const MAX_JOBS: usize = 64;

/// Which case each numbered play is.
struct Schedule<'a> {
    cases: &'a [Case],
    seeds: &'a [(Generator, u64)],
    options: &'a RunOptions,
    command: &'a str,
}

impl Schedule<'_> {
    /// Play `n`: its case, its reproduce command, and its round.
    fn play(&self, n: u64) -> Result<(Case, String, u32), Error> {
        let per_round = (self.cases.len() + self.seeds.len()) as u64;
        let round = u32::try_from(n / per_round + 1).unwrap_or(u32::MAX);
        let at = (n % per_round) as usize;
        let command = self.command;
        match self.cases.get(at) {
            Some(case) => {
                let reproduce = match &self.options.case_file {
                    Some(file) => format!("indiv certify --case-file {}{command}", shell_word(&file.to_string_lossy())),
                    None => format!("indiv certify --case {}{command}", case.name),
                };
                Ok((case.clone(), reproduce, round))
            }
            None => {
                let (generator, seed) = self.seeds[at - self.cases.len()];
                let case = generated_case(generator, seed)?.0;
                let option = generator.name();
                Ok((case, format!("indiv certify --{option} 1 --seed {seed}{command}"), round))
            }
        }
    }
}

/// What a worker tells the run.
enum WorkerMessage {
    /// Play `n` ended (settled: records written after its `ended` counted).
    Played(u64, Box<CaseOutcome>),
    /// The worker stopped: its testee's identity.
    Stopped { identity: Option<(Implementation, Vec<Capability>)> },
    /// The worker could not work.
    Failed(Error),
}

/// One worker: its own harness (testee and loopback service), taking plays
/// by number until they run out or the run stops.
fn work(
    spec: &'static Spec,
    settings: Settings,
    schedule: &Schedule<'_>,
    next: &AtomicU64,
    stop: &AtomicBool,
    plays: u64,
    tx: &std::sync::mpsc::Sender<WorkerMessage>,
) {
    let options = schedule.options;
    let mut harness = match Harness::new(spec, settings, Arc::clone(&options.interrupted)) {
        Ok(h) => h,
        Err(e) => {
            let _ = tx.send(WorkerMessage::Failed(Error::Service(e)));
            return;
        }
    };
    // The play whose records after `ended` are not all known yet.
    let mut unsettled: Option<(u64, CaseOutcome)> = None;
    let send = |n: u64, outcome: CaseOutcome| {
        let _ = tx.send(WorkerMessage::Played(n, Box::new(outcome)));
    };
    loop {
        if stop.load(Ordering::SeqCst) || options.interrupted.load(Ordering::SeqCst) || harness.protocol_mismatch() {
            break;
        }
        let n = next.fetch_add(1, Ordering::SeqCst);
        if n >= plays {
            break;
        }
        let (case, reproduce, round) = match schedule.play(n) {
            Ok(play) => play,
            Err(e) => {
                let _ = tx.send(WorkerMessage::Failed(e));
                break;
            }
        };
        let result = harness.run(&case);
        let settlement = harness.take_settlement();
        if let Some((m, mut previous)) = unsettled.take() {
            if let Some(Settlement { late: Some(late) }) = settlement {
                previous.result.blame_late(&late);
            }
            send(m, previous);
        }
        // The play in which the testee first broke the protocol stops the run.
        let mismatch = harness.protocol_mismatch();
        let outcome = CaseOutcome { result, reproduce, round, reproduces: None, expected: None, mismatch };
        if harness.unsettled() {
            unsettled = Some((n, outcome));
        } else {
            send(n, outcome);
        }
    }
    harness.close();
    if let Some((m, mut previous)) = unsettled.take() {
        if let Some(Settlement { late: Some(late) }) = harness.take_settlement() {
            previous.result.blame_late(&late);
        }
        send(m, previous);
    }
    let _ = tx.send(WorkerMessage::Stopped { identity: harness.identity().cloned() });
}

/// Shrinks the failing generated plays the budget allows (`--shrink`), in
/// run order, on a harness of their own: each minimal case is played
/// [`CONFIRM_RUNS`] times more and written as a case file, and replaces its
/// play in `outcomes`.
fn shrink_failures(
    spec: &'static Spec,
    settings: &Settings,
    options: &RunOptions,
    command: &str,
    outcomes: &mut [CaseOutcome],
    observer: &mut dyn RunObserver,
) -> Result<(), Error> {
    let mut budget = ShrinkBudget::new(options.shrink);
    let mut harness: Option<Harness> = None;
    let stopped = |h: &Option<Harness>| {
        options.interrupted.load(Ordering::SeqCst) || h.as_ref().is_some_and(Harness::protocol_mismatch)
    };
    for outcome in outcomes.iter_mut() {
        if stopped(&harness) || outcome.mismatch {
            break;
        }
        let Some((generator, seed)) = Generator::parse_name(&outcome.result.name) else {
            continue;
        };
        // Only a generated case's own play (a case file may be named like one).
        if options.case_file.is_some()
            || !failing(&outcome.result, options.strict)
            || !budget.take((generator, seed), &outcome.result)
        {
            continue;
        }
        let harness = match &mut harness {
            Some(h) => h,
            None => harness.insert(
                Harness::new(spec, settings.clone(), Arc::clone(&options.interrupted)).map_err(Error::Service)?,
            ),
        };
        let (_, mut tree) = generated_case(generator, seed)?;
        let best = outcome.result.clone();
        let (mut result, owns) = shrink(harness, &mut tree, best, options.strict, &options.interrupted, observer);
        let confirmed = confirm(harness, &mut result, owns, options);
        let dir = options.case_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io { path: dir.clone(), source })?;
        let file = match generator {
            Generator::Random => dir.join(format!("indiv-case-{seed}.toml")),
            Generator::Chaos => dir.join(format!("indiv-case-chaos-{seed}.toml")),
        };
        write_case_file(&file, &result, seed, confirmed)?;
        outcome.reproduce = format!("indiv certify --case-file {}{command}", shell_word(&file.to_string_lossy()));
        outcome.reproduces = Some(confirmed);
        outcome.result = result;
        observer.case_file_written(&file, &outcome.reproduce, confirmed)?;
    }
    if let Some(mut h) = harness {
        h.close();
    }
    Ok(())
}

/// Which failing generated cases are shrunk: at most `left` more distinct
/// failures, a failure being distinct when the set of rules it broke (none,
/// for an ERROR or an INCONCLUSIVE case) is new; and each seed once, however
/// many rounds it fails in. Shrinking costs up to [`SHRINK_RUNS`] plays, so
/// a run against an engine with one common bug shrinks it once.
struct ShrinkBudget {
    left: usize,
    failures: std::collections::HashSet<std::collections::BTreeSet<Rule>>,
    seeds: std::collections::HashSet<(Generator, u64)>,
}

impl ShrinkBudget {
    fn new(distinct: usize) -> ShrinkBudget {
        ShrinkBudget { left: distinct, failures: Default::default(), seeds: Default::default() }
    }

    /// Whether the failing `result` of `seed` is shrunk; counts it if so.
    fn take(&mut self, seed: (Generator, u64), result: &CaseResult) -> bool {
        let rules: std::collections::BTreeSet<Rule> = result.findings.iter().map(|f| f.rule).collect();
        if self.left == 0 || self.seeds.contains(&seed) || self.failures.contains(&rules) {
            return false;
        }
        self.left -= 1;
        self.seeds.insert(seed);
        self.failures.insert(rules);
        true
    }
}

/// Plays the shrunk case `best` [`CONFIRM_RUNS`] times more and counts the
/// plays that fail again (each judged with the records it wrote after its
/// `ended`, known at the next play's start; the last play's, at the next
/// case's, are not counted). `best_unsettled` says whether the harness's
/// unsettled case is `best`: the first play's settlement then belongs to it.
/// Stops early on an interrupt or a protocol mismatch; returns (failed,
/// played).
fn confirm(harness: &mut Harness, best: &mut CaseResult, best_unsettled: bool, options: &RunOptions) -> (usize, usize) {
    let case = Case { name: best.name.clone(), about: String::new(), scenario: best.scenario.clone() };
    let mut plays: Vec<CaseResult> = Vec::new();
    for _ in 0..CONFIRM_RUNS {
        if options.interrupted.load(Ordering::SeqCst) || harness.protocol_mismatch() {
            break;
        }
        let result = harness.run(&case);
        if let Some(Settlement { late: Some(late) }) = harness.take_settlement() {
            match plays.last_mut() {
                Some(previous) => previous.blame_late(&late),
                None if best_unsettled => best.blame_late(&late),
                None => {}
            }
        }
        plays.push(result);
    }
    (plays.iter().filter(|r| failing(r, options.strict)).count(), plays.len())
}

/// What follows the case in a reproduce command: every option that can
/// change a verdict (`--timeout`, `--answer-timeout` and `--max-records`
/// when not the default, `--strict`, `--validate-protocol`), then ` --
/// PROGRAM ARGS` quoted for a POSIX shell (nothing for the built-in
/// reference engine).
fn reproduce_suffix(options: &RunOptions) -> String {
    let mut suffix = String::new();
    let seconds = options.timeout.as_secs_f64();
    if seconds != DEFAULT_TIMEOUT_SECONDS {
        suffix.push_str(&format!(" --timeout {seconds}"));
    }
    let answer = options.limits.answer_timeout.as_secs_f64();
    if answer != DEFAULT_ANSWER_TIMEOUT_SECONDS {
        suffix.push_str(&format!(" --answer-timeout {answer}"));
    }
    if options.limits.max_records != MAX_RECORDS_PER_CASE {
        suffix.push_str(&format!(" --max-records {}", options.limits.max_records));
    }
    if options.strict {
        suffix.push_str(" --strict");
    }
    if options.validate_protocol {
        suffix.push_str(" --validate-protocol");
    }
    if !options.program_as_given.is_empty() {
        let words: Vec<String> = options.program_as_given.iter().map(|w| shell_word(&w.to_string_lossy())).collect();
        suffix.push_str(&format!(" -- {}", words.join(" ")));
    }
    suffix
}

/// `word` quoted for a POSIX shell when it needs quoting.
pub(crate) fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The proptest runner of a generated case: the same seed gives the same
/// scenario everywhere.
fn seeded_runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn failing(result: &CaseResult, strict: bool) -> bool {
    matches!(result.verdict, Verdict::Fail | Verdict::Error)
        || (strict && matches!(result.verdict, Verdict::Nonstrict | Verdict::Inconclusive))
}

/// Shrinks a failing generated case by running simpler scenarios against the
/// testee until none of the simplifications fails any more. Records a
/// candidate wrote after its `ended` make it ERROR once known (at the next
/// candidate's start); also returns whether the harness's unsettled case is
/// the best one.
fn shrink(
    harness: &mut Harness,
    tree: &mut impl ValueTree<Value = Scenario>,
    mut best: CaseResult,
    strict: bool,
    interrupted: &AtomicBool,
    observer: &mut dyn RunObserver,
) -> (CaseResult, bool) {
    let name = best.name.clone();
    let mut runs = 0;
    // Whether the last case run is the best one.
    let mut last_is_best = true;
    // A candidate that breaks the protocol under --validate-protocol is an
    // ERROR, so the best one, and it stops the run: shrink no further.
    'shrink: while runs < SHRINK_RUNS
        && !interrupted.load(Ordering::SeqCst)
        && !harness.protocol_mismatch()
        && tree.simplify()
    {
        loop {
            runs += 1;
            observer.shrinking(&name, runs);
            let case = Case { name: name.clone(), about: String::new(), scenario: tree.current() };
            let result = harness.run(&case);
            if let Some(Settlement { late: Some(late) }) = harness.take_settlement() {
                if last_is_best {
                    best.blame_late(&late);
                }
            }
            last_is_best = failing(&result, strict);
            if last_is_best {
                best = result;
                break;
            }
            if runs >= SHRINK_RUNS || !tree.complicate() {
                break 'shrink;
            }
        }
    }
    (best, last_is_best)
}

fn write_case_file(path: &Path, result: &CaseResult, seed: u64, reproduces: (usize, usize)) -> Result<(), Error> {
    let (failed, played) = reproduces;
    let file = CaseFile {
        name: result.name.clone(),
        about: format!(
            "shrunk from generated seed {seed}: {}; failed again in {failed} of {played} more plays",
            result.verdict.as_str()
        ),
        scenario: result.scenario.clone(),
    };
    let text = file.to_toml()?;
    let (dir, name) = match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) => (dir, name),
        _ => return Err(Error::CaseFileWrite(format!("{} is not a file name", path.display()))),
    };
    crate::report::write_file(dir, name, text.as_bytes())
}

/// Reads a case file.
pub fn read_case_file(path: &Path) -> Result<Case, Error> {
    let text = read_bounded(path)?;
    let file: CaseFile = toml::from_str(&text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| indiv_spec::text::line_column(&text, s.start));
        Error::CaseFile {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim_end_matches('.').to_string(),
        }
    })?;
    check_versions(path, &text, &file.scenario)?;
    check_limits(path, &text, &file)?;
    Ok(Case { name: file.name, about: file.about, scenario: file.scenario })
}

/// The text of a case file of at most [`MAX_CASE_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<String, Error> {
    use std::io::Read as _;
    let io = |source| Error::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_CASE_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_CASE_FILE_BYTES {
        return Err(Error::CaseFile {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("a case file must be at most {MAX_CASE_FILE_BYTES} bytes"),
        });
    }
    String::from_utf8(bytes).map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// A case file stays within the limits that bound the harness's memory and
/// time: [`MAX_CASE_NAME_BYTES`], [`MAX_PACKAGE_BYTES`], [`MAX_CHUNKS`],
/// [`MAX_DELAY_MS`], [`MAX_INSTALL_MS`], [`MAX_STEPS`], and `after_statuses` at most
/// [`MAX_RECORDS_LIMIT`].
fn check_limits(path: &Path, text: &str, file: &CaseFile) -> Result<(), Error> {
    let service = &file.scenario.service;
    let (size, chunk) = (service.package_size, service.pace.chunk_size);
    // What the service writes of the package (a fault may cut it) is what
    // costs memory and time: the size announced may be larger.
    let written = service.package_written();
    let wait = file.scenario.steps.iter().find_map(|s| match s.trigger {
        Trigger::AfterStatuses(n) if n as usize > MAX_RECORDS_LIMIT => Some(n),
        _ => None,
    });
    let problem = if file.name.len() > MAX_CASE_NAME_BYTES {
        Some(("name", format!("name must be at most {MAX_CASE_NAME_BYTES} bytes, not {}", file.name.len())))
    } else if size == 0 || written > MAX_PACKAGE_BYTES {
        Some((
            "package_size",
            format!(
                "package_size must be from 1 to {MAX_PACKAGE_BYTES} (4 MiB), not {size}, unless a fault cuts what is written to at most that (drop_after, short_body)"
            ),
        ))
    } else if chunk == 0 || written.div_ceil(chunk) > MAX_CHUNKS {
        let least = written.div_ceil(MAX_CHUNKS);
        Some((
            "chunk_size",
            format!(
                "chunk_size must be at least {least} (a package is written in at most {MAX_CHUNKS} chunks), not {chunk}"
            ),
        ))
    } else if service.pace.delay_ms > MAX_DELAY_MS {
        Some(("delay_ms", format!("delay_ms must be at most {MAX_DELAY_MS}, not {}", service.pace.delay_ms)))
    } else if file.scenario.install_ms > MAX_INSTALL_MS {
        Some(("install_ms", format!("install_ms must be at most {MAX_INSTALL_MS}, not {}", file.scenario.install_ms)))
    } else if file.scenario.steps.len() > MAX_STEPS {
        Some(("steps", format!("a scenario has at most {MAX_STEPS} steps, not {}", file.scenario.steps.len())))
    } else {
        wait.map(|n| ("after_statuses", format!("after_statuses must be at most {MAX_RECORDS_LIMIT}, not {n}")))
    };
    let Some((key, message)) = problem else { return Ok(()) };
    let (line, column) = text.find(key).map_or((1, 1), |at| indiv_spec::text::line_column(text, at));
    Err(Error::CaseFile { path: path.to_path_buf(), line, column, message })
}

/// A case's versions take the spec's forms: the component `major.minor.0.F`,
/// the offer individualized, `major.minor.0.1`.
fn check_versions(path: &Path, text: &str, scenario: &Scenario) -> Result<(), Error> {
    let problem = if !scenario.component_version.is_component_form() {
        Some(("component_version", "the third number 0"))
    } else if !scenario.service.offered_version.is_offer_form() {
        Some((
            "offered_version",
            "the third number 0 and the fourth 1 (the service offers an individualized component)",
        ))
    } else {
        None
    };
    let Some((key, form)) = problem else { return Ok(()) };
    let (line, column) = text.find(key).map_or((1, 1), |at| indiv_spec::text::line_column(text, at));
    Err(Error::CaseFile { path: path.to_path_buf(), line, column, message: format!("{key} must have {form}") })
}

fn select_cases(options: &RunOptions) -> Result<Vec<Case>, Error> {
    if let Some(file) = &options.case_file {
        return Ok(vec![read_case_file(file)?]);
    }
    let all = named_cases();
    if options.case_globs.is_empty() {
        let generated = options.random.is_some() || options.chaos.is_some();
        return Ok(if generated { Vec::new() } else { all });
    }
    if let Some(glob) = options.case_globs.iter().find(|g| !all.iter().any(|c| glob_matches(g, &c.name))) {
        return Err(Error::NoCaseMatches(glob.clone()));
    }
    Ok(all.into_iter().filter(|c| options.case_globs.iter().any(|g| glob_matches(g, &c.name))).collect())
}

/// `*` matches any run of characters, `?` any one character. Greedy with
/// one backtrack point (the last `*`), so a glob with many stars costs
/// O(glob × name), never exponential time.
pub fn glob_matches(glob: &str, name: &str) -> bool {
    let g: Vec<char> = glob.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut gi, mut ni) = (0, 0);
    // The last star seen, and where in the name its match ends so far.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ni));
                gi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                gi += 1;
                ni += 1;
            }
            _ => match star {
                // Let the last star take one more character and retry.
                Some((at, end)) => {
                    star = Some((at, end + 1));
                    gi = at + 1;
                    ni = end + 1;
                }
                None => return false,
            },
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    use super::{DEFAULT_TIMEOUT_SECONDS, ProtocolLimits, RunOptions, case_by_name, glob_matches, reproduce_suffix};
    use crate::error::Error;

    fn options(timeout: f64, strict: bool, validate_protocol: bool, program: &[&str]) -> RunOptions {
        RunOptions {
            limits: ProtocolLimits::default(),
            program: vec![OsString::from("indiv"), OsString::from("testee")],
            program_as_given: program.iter().map(OsString::from).collect(),
            case_globs: Vec::new(),
            random: None,
            chaos: None,
            seed: 0,
            case_file: None,
            timeout: Duration::from_secs_f64(timeout),
            strict,
            case_dir: None,
            validate_protocol,
            repeat: None,
            until_fail: false,
            fail_fast: false,
            shrink: 1,
            expectations: None,
            jobs: 1,
            interrupted: Arc::new(AtomicBool::new(false)),
        }
    }

    #[test]
    fn the_reproduce_suffix_carries_every_option_that_changes_a_verdict() {
        let d = DEFAULT_TIMEOUT_SECONDS;
        let cases: &[(RunOptions, &str)] = &[
            (options(d, false, false, &[]), ""),
            (options(7.0, false, false, &[]), " --timeout 7"),
            (options(0.5, false, false, &[]), " --timeout 0.5"),
            (options(d, true, false, &[]), " --strict"),
            (options(d, false, true, &[]), " --validate-protocol"),
            (
                options(2.0, true, true, &["python3", "my engine.py"]),
                " --timeout 2 --strict --validate-protocol -- python3 'my engine.py'",
            ),
            (options(d, false, false, &["it's"]), " -- 'it'\\''s'"),
            (
                RunOptions {
                    limits: ProtocolLimits { answer_timeout: Duration::from_secs_f64(45.0), max_records: 7 },
                    ..options(d, false, false, &["e"])
                },
                " --answer-timeout 45 --max-records 7 -- e",
            ),
        ];
        for (options, expected) in cases {
            assert_eq!(reproduce_suffix(options), *expected);
        }
    }

    #[test]
    fn a_case_is_shown_by_its_name_or_as_random_seed_and_nothing_else() {
        assert_eq!(case_by_name("busy").map(|c| c.name).ok().as_deref(), Some("busy"));
        let generated = case_by_name("random-12").expect("a seed names a case");
        assert_eq!(
            (generated.name.as_str(), generated.about.as_str()),
            ("random-12", "generated from seed 12, aimed at offered/minor-one-above")
        );
        for name in ["", "bus", "random-", "random-+1", "random-012", "random-18446744073709551616"] {
            assert!(matches!(case_by_name(name), Err(Error::UnknownCase(n)) if n == name), "{name}");
        }
    }

    #[test]
    fn globs_match_case_names() {
        assert!(glob_matches("fault-*", "fault-refused"));
        assert!(glob_matches("*cancel*", "reader-cancel-install"));
        assert!(glob_matches("busy", "busy"));
        assert!(glob_matches("b?sy", "busy"));
        assert!(!glob_matches("fault-*", "reader-happy"));
        assert!(!glob_matches("busy", "busy-2"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a*b*c", "abxbc"));
        assert!(!glob_matches("a*b*c", "abxbd"));
        assert!(glob_matches("*-*-*", "reader-cancel-install"));
        assert!(!glob_matches("?", ""));
        assert!(!glob_matches("", "x"));
    }

    #[test]
    fn a_glob_with_many_stars_is_matched_in_linear_steps() {
        // Backtracking over every star would take 40^30 steps here.
        let glob = format!("{}b", "*a".repeat(30));
        assert!(!glob_matches(&glob, &"a".repeat(40)));
        assert!(glob_matches(&glob, &format!("{}b", "a".repeat(40))));
    }
}
