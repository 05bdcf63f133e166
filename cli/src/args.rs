//! The command line as clap reads it: every command, its arguments and
//! their help text. What each command does is in [`crate::commands`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// indiv: the executable spec of Windows Media DRM individualization status
/// streams, and the tools that check engines against it.
#[derive(Parser, Debug)]
#[command(name = "indiv", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check indiv-trace/1 traces (JSON Lines) against every rule of the spec.
    ///
    /// Formats: human (compiler-style diagnostics), json (one object per
    /// file), junit, sarif (SARIF 2.1.0, for code scanning) and github
    /// (workflow commands that annotate the trace lines in a GitHub Actions
    /// run). Every format is written as the trace is read.
    ///
    /// Exit status: 0 conforming, 1 a must rule broken (with --strict, also a
    /// should rule), 2 usage error or an input that is not a readable trace,
    /// 4 the output could not be written. The same in every format.
    Check(CheckArgs),
    /// Print the rule catalog.
    ///
    /// `--format markdown` writes docs/SPEC.md (the spec as a document, with
    /// every rule's examples); `--format dot` writes Graphviz diagrams of the
    /// session phases and the HTTP status order, both graphs one after the
    /// other unless --diagram picks one.
    ///
    /// `--prove` instead model-checks the spec against the reference engine:
    /// every environment and every call sequence up to --depth calls, every
    /// property reported; exit status 0 when all hold, 1 when one fails (with
    /// a minimal counterexample).
    Spec {
        /// Output format.
        #[arg(long, value_enum, default_value_t = CatalogFormat::Human)]
        format: CatalogFormat,
        /// With --format dot: only this diagram.
        #[arg(long, value_enum)]
        diagram: Option<DiagramArg>,
        /// Run the bounded model checker instead of printing the catalog.
        #[arg(long, conflicts_with_all = ["format", "diagram"])]
        prove: bool,
        /// With --prove: the most application calls on a path.
        #[arg(long, value_name = "K", requires = "prove", default_value_t = indiv_prove::DEFAULT_DEPTH)]
        depth: usize,
        /// With --prove: how long the reference engine's Individualize(0x1)
        /// lock lasts. `permanent` is spec 1.x's reading, to watch the search
        /// find the dead end it made (contradiction C3).
        #[arg(long, value_enum, requires = "prove", default_value_t = LockArg::UntilNeed)]
        lock: LockArg,
    },
    /// Print one rule with its statement, citation, readings and examples.
    Explain {
        /// A rule id, e.g. SESSION-ENDS (case-insensitive).
        rule: String,
    },
    /// Certify an engine: play cases against it over the testee protocol with a
    /// loopback individualization service, and judge every trace.
    ///
    /// With no program after `--`, certifies the built-in reference engine.
    /// Exit status: 0 nothing failed or errored, 1 a case failed (with
    /// --strict, also NONSTRICT), 3 only errors, 2 usage error, 130 interrupted.
    Certify(CertifyArgs),
    /// Compare two certification reports, or verify a certificate.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run the reference engine as a testee on stdin/stdout (indiv-testee/1).
    Testee,
    /// Generate a large legal trace (for benchmarks and soak tests of checkers).
    ///
    /// Built on the spec-driven legal-trace generator: the same seed gives the
    /// same trace everywhere. Writes at least N records (a few more to close
    /// the last session legally).
    Gen {
        /// At least this many records.
        #[arg(long, value_name = "N")]
        records: u64,
        /// Seed of the trace.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Write the trace here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Run the reference engine against the simulated service and write the trace.
    Simulate(SimulateArgs),
    /// Turn a fuzz input into a regression case (used by fuzz/nightly.sh).
    #[command(hide = true)]
    FuzzCase {
        /// The fuzz target that read the input.
        target: String,
        /// The (minimised) input.
        file: PathBuf,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        #[arg(value_enum)]
        which: SchemaKind,
    },
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Trace files; `-` (or none) reads standard input.
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Fail on should rules too.
    #[arg(long)]
    pub strict: bool,
    /// The traces may stop anywhere (live or truncated logs): do not judge
    /// what must have happened by the end.
    #[arg(long)]
    pub partial: bool,
    /// Print at most N violations per file; the rest are counted.
    #[arg(long, value_name = "N")]
    pub max_violations: Option<usize>,
    /// Parse on N threads (default: the number of cores; at most 64).
    ///
    /// A reader thread cuts each input at line ends into chunks, N threads
    /// parse them (the checker's thread among them), and the checker takes
    /// them in input order: the output
    /// and exit status are those of --jobs 1, which reads and checks on one
    /// thread. A file no larger than one chunk is read on one thread.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Bytes per chunk with --jobs 2 or more (for tests: small chunks make a
    /// small input many chunks).
    #[arg(long, value_name = "BYTES", hide = true)]
    pub chunk_bytes: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct CertifyArgs {
    /// List the named cases.
    #[arg(long)]
    pub list: bool,
    /// Print CASE as a case file and run nothing.
    ///
    /// CASE is a named case (see --list), `random-SEED`, the case that
    /// `--random 1 --seed SEED` generates, or `chaos-SEED`, the one
    /// `--chaos 1 --seed SEED` generates. The output is what --case-file
    /// reads (docs/CASES.md): `indiv certify --show CASE > case.toml` and
    /// `indiv certify --case-file case.toml` play the same case.
    #[arg(long, value_name = "CASE", conflicts_with_all = ["list", "case", "random", "chaos", "case_file", "report", "engine"])]
    pub show: Option<String>,
    /// Check that a certificate.json matches the report.json and traces next to it, and run nothing.
    ///
    /// The same as `indiv report verify CERTIFICATE`: exit status 0 it
    /// matches, 1 it does not, 2 an unreadable or malformed certificate.
    #[arg(
        long,
        value_name = "CERTIFICATE",
        conflicts_with_all = ["list", "show", "case", "random", "chaos", "case_file", "report", "engine", "program"]
    )]
    pub verify: Option<PathBuf>,
    /// Run the named cases matching GLOB (`*` and `?`); repeat for more.
    #[arg(long, value_name = "GLOB")]
    pub case: Vec<String>,
    /// Run N generated cases; a failing one is shrunk and written as a case file.
    #[arg(long, value_name = "N")]
    pub random: Option<u32>,
    /// Run N generated cases against a hostile service: each plays one
    /// behaviour of the catalogue (docs/TESTEE.md, "A hostile service"; the
    /// `hostile-*` named cases play each once). Shrunk like --random.
    #[arg(long, value_name = "N")]
    pub chaos: Option<u32>,
    /// Seed of the generated cases.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Run the case in FILE (as written by a shrunk failure or --show; the
    /// format is docs/CASES.md, `indiv schema case`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["case", "random", "chaos"])]
    pub case_file: Option<PathBuf>,
    /// Seconds a case may take.
    #[arg(long, value_name = "SECONDS", default_value_t = indiv_harness::run::DEFAULT_TIMEOUT_SECONDS)]
    pub timeout: f64,
    /// Seconds the testee has to answer hello, reset and end, and to exit after bye.
    ///
    /// A testee that does not answer in time is an ERROR. Raise it for an
    /// engine that starts slowly, or on a loaded machine.
    #[arg(long, value_name = "SECONDS", default_value_t = indiv_harness::runner::DEFAULT_ANSWER_TIMEOUT_SECONDS)]
    pub answer_timeout: f64,
    /// Most records one case may bring; one more is an ERROR (at most 1000000).
    #[arg(long, value_name = "N", default_value_t = indiv_harness::runner::MAX_RECORDS_PER_CASE)]
    pub max_records: usize,
    /// NONSTRICT cases (only should rules broken) fail the run too.
    #[arg(long)]
    pub strict: bool,
    /// Play the selected cases N times (rounds); cases whose plays disagree are listed as flaky.
    ///
    /// Every play is shown and counted; the exit status is that of all plays
    /// together. A generated case is shrunk the first time it fails only. At
    /// most 100000.
    #[arg(long, value_name = "N")]
    pub repeat: Option<u32>,
    /// Play round after round until a play fails (FAIL or ERROR; with
    /// --strict, also NONSTRICT or INCONCLUSIVE), then stop; at most --repeat
    /// rounds when given, else until interrupted.
    #[arg(long)]
    pub until_fail: bool,
    /// Stop at the first failing play (FAIL or ERROR; with --strict, also
    /// NONSTRICT or INCONCLUSIVE).
    #[arg(long)]
    pub fail_fast: bool,
    /// Shrink at most N distinct failures of generated cases.
    ///
    /// Failures that broke the same set of rules count as one: a run against
    /// an engine with one common bug shrinks one case, not every case that
    /// shows it. 0 shrinks none. The others keep their `--random 1 --seed S`
    /// reproduce command.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub shrink: usize,
    /// Known failures: a TOML file of `[[expect]]` entries (case, rule, reason, owner, until).
    ///
    /// A failure it lists is XFAIL and does not fail the run; a listed
    /// failure that no longer occurs (XPASS) fails it, and so does an entry
    /// past its `until` date. See README.md, "Known failures".
    ///
    /// With --engine, `--expect NAME=FILE` gives engine NAME its file;
    /// repeat it for more engines (at most one file per engine).
    #[arg(long, value_name = "FILE")]
    pub expect: Vec<PathBuf>,
    /// Play cases on N testee processes at once (default: the number of cores, or 1 with --validate-protocol; at most 64).
    ///
    /// Each process, with a loopback service of its own, plays a share of
    /// the cases; the console and the reports show them in run order, and
    /// failing generated cases are shrunk once every case has played, so a
    /// run's results do not depend on N for an engine whose behaviour does
    /// not depend on the cases it played before. Use --jobs 1 for one
    /// process playing every case in order.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Rewrite the --expect file from this run's failures, keeping reasons, owners and dates.
    #[arg(long, requires = "expect")]
    pub update_expectations: bool,
    /// Write report.json, junit.xml, summary.md, results.sarif and the traces into DIR.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Check every protocol line in both directions; stop at the first mismatch.
    ///
    /// Every line the harness writes and every line the testee writes is
    /// checked against the indiv-testee/1 protocol (the messages of `indiv
    /// schema testee`, strictly: no missing, unknown or mistyped field) and
    /// against where the conversation stands: the testee's hello answers
    /// hello, ready answers reset, only indiv-trace/1 records (read as `indiv
    /// check` reads them) come while a case runs, and records or ended after
    /// end. The first line that does not fit (a line over 1 MiB or not UTF-8
    /// included) makes its case an ERROR whose message names the direction
    /// (harness→testee or testee→harness), the line of the exchange, what was
    /// expected there and what came; the run stops there (the cases after it
    /// do not run) and exits 3, or 1 if an earlier case failed. Every line is
    /// also logged to stderr, numbered from 1 for each testee process
    /// started, with `>` for the harness and `<` for the testee. A testee
    /// that crashes or stops answering is an ERROR as without this option,
    /// and the run goes on.
    #[arg(long)]
    pub validate_protocol: bool,
    /// Also print each finding as an annotation: `github` prints GitHub
    /// Actions workflow commands (`::error` for a must rule, `::warning` for
    /// a should rule, and `::error` for a case that errored) after the run,
    /// located at the case's trace file under --report DIR and its line.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub annotations: Option<AnnotationsFormat>,
    /// Certify several engines in one run and write their matrix: NAME=COMMAND, repeatable.
    ///
    /// NAME (letters, digits, `-` and `_`, at most 64, starting with a letter
    /// or a digit; unique) names the engine's column and its report
    /// directory `DIR/NAME/`. COMMAND is split into words as a POSIX shell
    /// splits them (quotes and backslashes; nothing expanded), so quote it
    /// once for your shell: `--engine py='python3 engine.py --bug X'`.
    /// `builtin` is the built-in reference engine. Every engine plays the same
    /// cases, one engine after the other; needs --report, and excludes a
    /// program after `--`. See README.md, "Several engines: the matrix".
    #[arg(long, value_name = "NAME=COMMAND", conflicts_with = "program", requires = "report")]
    pub engine: Vec<String>,
    /// The engine's program and arguments, after `--`.
    #[arg(last = true, value_name = "PROGRAM")]
    pub program: Vec<std::ffi::OsString>,
}

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// A named scenario (see --list).
    #[arg(long, conflicts_with_all = ["seed", "list"])]
    pub scenario: Option<String>,
    /// A generated scenario: the same seed gives the same scenario everywhere.
    #[arg(long, conflicts_with = "list")]
    pub seed: Option<u64>,
    /// Write the trace here instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// List the named scenarios.
    #[arg(long)]
    pub list: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CheckFormat {
    /// Compiler-style diagnostics, then a summary line per file.
    Human,
    /// One JSON object per file, on one line.
    Json,
    /// JUnit XML: a test suite per file, a test case per trace rule.
    Junit,
    /// SARIF 2.1.0: one run, every rule of the spec, one result per violation.
    Sarif,
    /// GitHub Actions workflow commands: one `::error` or `::warning` per violation.
    Github,
    /// One self-contained HTML page: per file its verdict and its timeline
    /// (SVG), each violation marked and linked to its rule's explanation.
    Html,
}

/// How `indiv certify --annotations` prints findings.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum AnnotationsFormat {
    /// GitHub Actions workflow commands.
    Github,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CatalogFormat {
    Human,
    Json,
    /// docs/SPEC.md.
    Markdown,
    /// Graphviz DOT diagrams.
    Dot,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LockArg {
    /// Until the next WMT_NEEDS_INDIVIDUALIZATION (spec 2).
    UntilNeed,
    /// For good (spec 1.x).
    Permanent,
}

impl From<LockArg> for indiv_engine::LockPolicy {
    fn from(lock: LockArg) -> indiv_engine::LockPolicy {
        match lock {
            LockArg::UntilNeed => indiv_engine::LockPolicy::UntilNeed,
            LockArg::Permanent => indiv_engine::LockPolicy::Permanent,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SchemaKind {
    /// The indiv-trace/1 record format.
    Trace,
    /// The indiv-testee/1 protocol.
    Testee,
    /// The data of a case file (`indiv certify --case-file`; TOML).
    Case,
}

/// One of the diagrams of `indiv spec --format dot`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DiagramArg {
    /// The session phase machine: which `enIndiStatus` may follow which.
    Phases,
    /// The HTTP status order within one round trip.
    Http,
}

impl From<DiagramArg> for indiv_specdoc::diagram::Diagram {
    fn from(arg: DiagramArg) -> Self {
        match arg {
            DiagramArg::Phases => indiv_specdoc::diagram::Diagram::Phases,
            DiagramArg::Http => indiv_specdoc::diagram::Diagram::Http,
        }
    }
}

/// `indiv report diff|verify`.
#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Print what got better and what got worse between two `report.json`.
    ///
    /// Per case and per rule; cases that are flaky in either report are
    /// listed apart and never compared. The README says exactly what counts
    /// as a regression. Exit status: 0 no regression, 1 a regression, 2 an
    /// unreadable report or one that is not an indiv report.
    Diff {
        /// The earlier report.json.
        old: PathBuf,
        /// The later report.json.
        new: PathBuf,
        /// Output format (markdown: for a pull-request comment).
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
    },
    /// Check that a certificate.json matches the report.json and traces next to it.
    ///
    /// Exit status: 0 it matches, 1 it does not (the first file that does
    /// not is named), 2 an unreadable or malformed certificate or report.
    Verify {
        /// The certificate.json of a report directory.
        certificate: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    Human,
    Markdown,
}
