//! `indiv certify --engine NAME=COMMAND ...`: several engines in one run.
//! The reference engine, the Python example engine and the Python engine
//! with a bug play the same named and generated cases; the bug's failures
//! show in its column only, `matrix.md`, `matrix.json` and `report.html`
//! say so (escaped), each engine's directory holds the report a run of that
//! engine alone writes, and the command line refuses what it cannot do.
//!
//! These tests need `python3` on the PATH.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::output_text;

/// The bug of the third engine: it fails `reader-happy` and `random-1`,
/// not `fault-refused` nor `revocation-refresh`.
const BUG: &str = "progress-past-total";

/// The cases every run of this module plays.
const CASES: &[&str] = &[
    "--case",
    "reader-happy",
    "--case",
    "fault-refused",
    "--case",
    "revocation-refresh",
    "--random",
    "3",
    "--shrink",
    "0",
];

fn indiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
}

fn engine_py() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py")
}

/// The three engines' commands as `--engine` takes them (the path quoted
/// for the shell-word split).
fn engines() -> Vec<String> {
    let py = format!("'{}'", engine_py().display());
    vec!["ref=builtin".into(), format!("py=python3 {py}"), format!("bug=python3 {py} --bug {BUG}")]
}

/// One run of the three engines over [`CASES`], shared by the tests that
/// read it: its output and its report directory.
fn three_engines() -> &'static (Output, PathBuf) {
    static RUN: OnceLock<(Output, PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("matrix-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cmd = indiv();
        cmd.arg("certify").args(CASES).arg("--report").arg(&dir);
        for engine in engines() {
            cmd.arg("--engine").arg(engine);
        }
        let o = cmd.output().expect("run indiv certify");
        (o, dir)
    })
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_bug_fails_in_its_column_only_and_the_run_exits_1() {
    let (o, dir) = three_engines();
    let out = output_text(o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let md = read(&dir.join("matrix.md"));
    for row in [
        "| case | ref | py | bug |",
        "| reader-happy | PASS | PASS | FAIL |",
        "| fault-refused | PASS | PASS | PASS |",
        "| revocation-refresh | PASS | PASS | PASS |",
        "| random-0 | PASS | PASS | PASS |",
        "| random-1 | PASS | PASS | FAIL |",
        "| random-2 | PASS | PASS | PASS |",
        "| **total** | 6 pass | 6 pass | 4 pass, 2 fail |",
        "| PROGRESS-WITHIN-TOTAL | must | 3 / 0 | 3 / 0 | 3 / 2 |",
        "[report.json](bug/report.json), [report.html](bug/report.html)",
    ] {
        assert!(md.contains(row), "{row} not in\n{md}");
    }
    // Each engine's progress, named, then the matrix summed up.
    for line in [
        "engine ref: builtin\n",
        "engine bug: python3 ",
        "bug: 6 cases: 4 pass, 0 nonstrict, 0 inconclusive, 2 fail, 0 error, 0 skip",
        "matrix of 3 engines:\n",
        "  bug  4 pass, 2 fail (exit status 1)\n",
        "cases not passing in every engine (2):\n  reader-happy: ref PASS, py PASS, bug FAIL\n  random-1: ref PASS, py PASS, bug FAIL\n",
    ] {
        assert!(out.contains(line), "{line:?} not in\n{out}");
    }
}

#[test]
fn matrix_json_has_a_format_every_engine_and_every_cell() {
    let (o, dir) = three_engines();
    let m: serde_json::Value = serde_json::from_str(&read(&dir.join("matrix.json"))).expect("matrix.json is JSON");
    assert_eq!(m["format"], "indiv-matrix/1", "{}", output_text(o));
    assert_eq!(m["spec"]["version"], "4.0.1");
    let names: Vec<&str> =
        m["engines"].as_array().expect("engines").iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["ref", "py", "bug"]);
    assert_eq!(m["engines"][0]["builtin"], true);
    assert_eq!(m["engines"][2]["command"][3], BUG);
    assert_eq!(m["engines"][2]["exit_status"], 1);
    assert_eq!(m["engines"][2]["counts"]["fail"], 2);
    assert_eq!(m["engines"][2]["report"], "bug/report.json");
    let cases = m["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 6);
    assert_eq!(cases[0]["name"], "reader-happy");
    assert_eq!(cases[0]["engines"]["ref"]["verdict"], "PASS");
    assert_eq!(cases[0]["engines"]["bug"]["verdict"], "FAIL");
    assert_eq!(cases[0]["engines"]["bug"]["plays"]["FAIL"], 1);
    let rules = cases[0]["engines"]["bug"]["rules"].as_array().expect("rules");
    assert!(rules.contains(&serde_json::json!("PROGRESS-WITHIN-TOTAL")), "{rules:?}");
    let row = m["rules"].as_array().expect("rules").iter().find(|r| r["rule"] == "PROGRESS-WITHIN-TOTAL").expect("row");
    assert_eq!(row["engines"]["py"], serde_json::json!({"exercised": 3, "fired": 0}));
    assert_eq!(row["engines"]["bug"], serde_json::json!({"exercised": 3, "fired": 2}));
}

#[test]
fn report_html_is_self_contained_coloured_and_links_each_engine() {
    let (o, dir) = three_engines();
    let html = read(&dir.join("report.html"));
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", output_text(o));
    assert!(html.contains("<style>"));
    for absent in ["<script", "<link", "src=", "http://", "https://", "@import"] {
        assert!(!html.contains(absent), "{absent} in report.html");
    }
    for link in ["href=\"ref/report.html\"", "href=\"py/report.json\"", "href=\"bug/report.html\""] {
        assert!(html.contains(link), "{link} not in report.html");
    }
    assert!(html.contains("<tr><th>reader-happy</th><td class=\"pass\""), "{html}");
    assert!(html.contains(
        "<td class=\"fail\" title=\"PROGRESS-MONOTONIC, PROGRESS-WITHIN-TOTAL, SERVICE-PROGRESS-REAL\">FAIL</td></tr>"
    ));
}

#[test]
fn a_failing_case_reproduces_with_its_own_engines_command() {
    let (o, dir) = three_engines();
    let report = crate::read_report(&dir.join("bug"));
    let reproduce = report["cases"][0]["reproduce"].as_str().expect("reproduce");
    let expected = format!("indiv certify --case reader-happy -- python3 {} --bug {BUG}", engine_py().display());
    assert_eq!(reproduce, expected, "{}", output_text(o));
    let reference = crate::read_report(&dir.join("ref"));
    assert_eq!(reference["cases"][0]["reproduce"], "indiv certify --case reader-happy");
}

/// What must be equal between an engine's report in the matrix and a run
/// of that engine alone: everything but how long each case took and where
/// the loopback service listened (its port and case prefix). For the
/// buggy engine, the rules each case broke rather than each finding: at
/// which line, and how often, a rule breaks can depend on timing (how many
/// progress statuses a download brings), as from one run to the next.
fn comparable(report: &serde_json::Value, findings_as_rules: bool) -> serde_json::Value {
    let text = report.to_string();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("127.0.0.1:") {
        out.push_str(&rest[..at + 10]);
        rest = rest[at + 10..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '/' || c == 'c');
        out.push_str("PORT/");
    }
    out.push_str(rest);
    let mut report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    for case in report["cases"].as_array_mut().expect("cases") {
        let case = case.as_object_mut().expect("case");
        case.remove("duration_ms");
        if findings_as_rules {
            let rules: std::collections::BTreeSet<String> = case["violations"]
                .as_array()
                .expect("violations")
                .iter()
                .filter_map(|v| v["rule"].as_str().map(str::to_string))
                .collect();
            case.insert("violations".into(), serde_json::json!(rules));
        }
    }
    report
}

/// The files of a report directory, relative to it, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("report dir").filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            found.extend(files(&entry.path()).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            found.push(name);
        }
    }
    found.sort();
    found
}

#[test]
fn each_engines_directory_holds_the_report_of_a_run_of_that_engine_alone() {
    let (o, dir) = three_engines();
    assert!(o.status.code().is_some(), "{}", output_text(o));
    let py = engine_py();
    let alone: [(&str, Vec<&std::ffi::OsStr>); 3] = [
        ("ref", vec![]),
        ("py", vec!["python3".as_ref(), py.as_os_str()]),
        ("bug", vec!["python3".as_ref(), py.as_os_str(), "--bug".as_ref(), BUG.as_ref()]),
    ];
    for (name, program) in alone {
        let single = tempfile::tempdir().expect("temp dir");
        let mut cmd = indiv();
        cmd.arg("certify").args(CASES).arg("--report").arg(single.path());
        if !program.is_empty() {
            cmd.arg("--").args(program);
        }
        let s = cmd.output().expect("run indiv certify");
        let (in_matrix, by_itself) = (crate::read_report(&dir.join(name)), crate::read_report(single.path()));
        let bug = name == "bug";
        assert_eq!(comparable(&in_matrix, bug), comparable(&by_itself, bug), "{name}: {}", output_text(&s));
        assert_eq!(files(&dir.join(name)), files(single.path()), "{name}");
        let expected = if bug { 1 } else { 0 };
        assert_eq!(s.status.code(), Some(expected), "{name}");
    }
}

#[test]
fn a_hostile_case_name_is_escaped_in_matrix_md_and_report_html() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shown = indiv().args(["certify", "--show", "fault-refused"]).output().expect("show");
    let mut case: toml::Table = toml::from_str(&String::from_utf8_lossy(&shown.stdout)).expect("case file");
    let hostile = "<script>alert(1)</script> | **x** [a](javascript:alert(1)) & \"q\" `c`\n| row |";
    case.insert("name".into(), toml::Value::String(hostile.into()));
    let file = dir.path().join("hostile.toml");
    std::fs::write(&file, toml::to_string(&case).expect("toml")).expect("write case file");
    let report = dir.path().join("report");
    let o = indiv()
        .arg("certify")
        .arg("--case-file")
        .arg(&file)
        .arg("--report")
        .arg(&report)
        .args(["--engine", "a=builtin", "--engine", "b=builtin"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let md = read(&report.join("matrix.md"));
    assert!(!md.contains("<script>") && !md.contains("**x**") && !md.contains("](javascript"), "{md}");
    let row: Vec<&str> = md.lines().filter(|l| l.contains("alert")).collect();
    assert_eq!(row.len(), 1, "the case is one row: {md}");
    let unescaped_bars = row[0].match_indices('|').filter(|(at, _)| !row[0][..*at].ends_with('\\')).count();
    assert_eq!(unescaped_bars, 4, "one cell for the name, one per engine: {}", row[0]);
    assert!(row[0].ends_with("| PASS | PASS |"), "{}", row[0]);
    let html = read(&report.join("report.html"));
    assert!(!html.contains("<script") && !html.contains("\"q\""), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | **x** [a](javascript:alert(1)) &amp; &quot;q&quot;")
    );
    let m: serde_json::Value = serde_json::from_str(&read(&report.join("matrix.json"))).expect("JSON");
    assert_eq!(m["cases"][0]["name"], hostile);
}

#[test]
fn expect_name_file_gives_one_engine_its_known_failures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let known = dir.path().join("known.toml");
    std::fs::write(
        &known,
        "[[expect]]\ncase = \"reader-happy\"\nreason = \"progress runs one byte ahead\"\nowner = \"ana\"\nuntil = 2999-12-31\n",
    )
    .expect("write");
    let report = dir.path().join("report");
    let py = format!("'{}'", engine_py().display());
    let o = indiv()
        .args(["certify", "--case", "reader-happy", "--report"])
        .arg(&report)
        .args(["--engine", "ref=builtin", "--engine", &format!("bug=python3 {py} --bug {BUG}")])
        .arg("--expect")
        .arg(format!("bug={}", known.display()))
        .output()
        .expect("run");
    let out = output_text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let md = read(&report.join("matrix.md"));
    assert!(md.contains("| reader-happy | PASS | XFAIL |"), "{md}");
    assert_eq!(crate::read_report(&report.join("bug"))["expectations"]["entries"][0]["status"], "met");
    assert!(crate::read_report(&report.join("ref"))["expectations"].is_null());
}

#[test]
fn bad_engine_options_are_usage_errors_before_any_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report");
    let cases: &[(&[&str], &str)] = &[
        (&["--engine", "a=builtin", "--engine", "a=builtin"], "error: engine name `a` is given twice"),
        (&["--engine", "a.b=builtin"], "error: engine name `a.b` must be 1 to 64 letters, digits, `-` or `_`"),
        (&["--engine", "../x=builtin"], "error: engine name `../x` must be"),
        (&["--engine", "=builtin"], "error: engine name `` must be"),
        (&["--engine", "builtin"], "error: --engine takes NAME=COMMAND, not `builtin`"),
        (&["--engine", "a="], "error: --engine a: no command (`a=builtin` is the built-in reference engine)"),
        (&["--engine", "a=python3 'x"], "error: --engine a: cannot split `python3 'x` into words"),
        (&["--engine", "a=builtin", "--expect", "k.toml"], "error: with --engine, --expect takes NAME=FILE"),
        (&["--engine", "a=builtin", "--expect", "b=k.toml"], "error: --expect b=...: no engine is named `b`"),
        (&["--engine", "a=builtin", "--", "python3", "x.py"], "cannot be used with"),
    ];
    for (args, message) in cases {
        let o = indiv().args(["certify", "--report"]).arg(&report).args(*args).output().expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!report.exists(), "{args:?} wrote a report");
    }
    let o = indiv().args(["certify", "--engine", "a=builtin"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--report"), "{}", output_text(&o));
}
