//! The certificate `indiv certify --report DIR` writes (`certificate.json`,
//! `badge.svg`) and `indiv report verify`: a fresh certificate verifies, one
//! changed byte in the report or a trace does not (named, exit status 1),
//! malformed input exits 2, and the badge is well-formed XML saying passes
//! of all in the colour of the run.

use std::path::Path;
use std::process::{Command, Output};

use crate::{certify_python, output_text, read_report};

/// `indiv certify --case reader-happy --case busy --report DIR` against the
/// built-in reference engine.
fn certified() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--case", "reader-happy", "--case", "busy", "--report"])
        .arg(dir.path())
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    dir
}

fn verify(certificate: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["report", "verify"])
        .arg(certificate)
        .output()
        .expect("run indiv report verify")
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// Flips one bit of the byte at `at` of `path`.
fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn a_fresh_certificate_states_the_run_and_verifies() {
    let dir = certified();
    let certificate = read_json(&dir.path().join("certificate.json"));
    let report = read_report(dir.path());
    assert_eq!(certificate["format"], "indiv-certificate/1");
    assert_eq!(certificate["spec"], report["spec"]);
    assert_eq!(certificate["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(certificate["engine"]["testee"]["implementation"]["name"], "indiv reference engine");
    assert_eq!(certificate["engine"]["testee"]["capabilities"], serde_json::json!(["reader", "security"]));
    assert_eq!(certificate["engine"]["program"], report["program"]);
    let cases = serde_json::json!([
        {"name": "reader-happy", "round": 1, "verdict": "PASS"},
        {"name": "busy", "round": 1, "verdict": "PASS"},
    ]);
    assert_eq!(certificate["cases"], cases);
    assert_eq!(certificate["counts"], report["counts"]);
    assert_eq!(certificate["coverage"], report["coverage"]);
    assert_eq!(certificate["boundary_coverage"], report["boundary_coverage"]);
    assert!(certificate["boundary_coverage"]["reached"].is_u64(), "{}", certificate["boundary_coverage"]);
    assert_eq!(certificate["generated"], serde_json::Value::Null);
    let files: Vec<&str> =
        certificate["files"].as_array().expect("files").iter().map(|f| f["path"].as_str().unwrap_or("")).collect();
    assert_eq!(files, ["report.json", "traces/reader-happy.jsonl", "traces/busy.jsonl"]);
    let o = verify(&dir.path().join("certificate.json"));
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).ends_with("matches its report.json and 2 trace files\n"));
}

#[test]
fn generated_cases_are_certified_with_their_seeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--random", "2", "--seed", "7", "--report"])
        .arg(dir.path())
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let certificate = read_json(&dir.path().join("certificate.json"));
    assert_eq!(certificate["generated"], serde_json::json!({"seed": 7, "count": 2}));
    let names: Vec<&str> =
        certificate["cases"].as_array().expect("cases").iter().map(|c| c["name"].as_str().unwrap_or("")).collect();
    assert_eq!(names, ["random-7", "random-8"]);
    assert_eq!(verify(&dir.path().join("certificate.json")).status.code(), Some(0));
}

#[test]
fn certify_verify_says_what_report_verify_says() {
    let dir = certified();
    let certificate = dir.path().join("certificate.json");
    let via_certify = || {
        let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
            .args(["certify", "--verify"])
            .arg(&certificate)
            .output()
            .expect("run indiv certify --verify");
        (o.status.code(), o.stdout)
    };
    let via_report = || {
        let o = verify(&certificate);
        (o.status.code(), o.stdout)
    };
    assert_eq!(via_certify(), via_report());
    assert_eq!(via_certify().0, Some(0));
    let trace = dir.path().join("traces/busy.jsonl");
    let original = std::fs::read(&trace).expect("read");
    flip_byte(&trace, original.len() / 2);
    assert_eq!(via_certify(), via_report());
    assert_eq!(via_certify().0, Some(1), "a changed trace fails verification");
    // It runs nothing: no program may be given with it.
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--verify"])
        .arg(&certificate)
        .args(["--", "python3", "engine.py"])
        .output()
        .expect("run indiv certify --verify -- ...");
    assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
}

#[test]
fn one_changed_byte_of_a_trace_or_the_report_fails_verification_naming_the_file() {
    let dir = certified();
    let certificate = dir.path().join("certificate.json");
    for file in ["traces/busy.jsonl", "report.json", "traces/reader-happy.jsonl"] {
        let path = dir.path().join(file);
        let original = std::fs::read(&path).expect("read");
        flip_byte(&path, original.len() / 2);
        let o = verify(&certificate);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", output_text(&o));
        let expected =
            format!("certificate does not match: {}: content differs from the certificate\n", path.display());
        assert_eq!(out, expected);
        std::fs::write(&path, original).expect("restore");
        assert_eq!(verify(&certificate).status.code(), Some(0), "restored {file}");
    }
    // A trace removed, or replaced by a link to an identical copy.
    let trace = dir.path().join("traces/busy.jsonl");
    let copy = dir.path().join("busy-copy.jsonl");
    std::fs::rename(&trace, &copy).expect("move");
    let o = verify(&certificate);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("traces/busy.jsonl: missing"), "{}", output_text(&o));
    std::os::unix::fs::symlink(&copy, &trace).expect("link");
    let o = verify(&certificate);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("traces/busy.jsonl: not a regular file"),
        "{}",
        output_text(&o)
    );
}

#[test]
fn a_certificate_that_states_what_its_report_does_not_fails_verification() {
    let dir = certified();
    let path = dir.path().join("certificate.json");
    let mut certificate = read_json(&path);
    certificate["counts"]["pass"] = serde_json::json!(3);
    std::fs::write(&path, serde_json::to_string_pretty(&certificate).expect("json")).expect("write");
    let o = verify(&path);
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    let expected = format!("certificate does not match: {}: `counts` does not match report.json\n", path.display());
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    // A changed hash with the digest left as it was.
    let mut certificate = read_json(&path);
    certificate["counts"]["pass"] = serde_json::json!(2);
    certificate["files"][1]["sha256"] = serde_json::json!("00");
    std::fs::write(&path, serde_json::to_string_pretty(&certificate).expect("json")).expect("write");
    let o = verify(&path);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("traces/reader-happy.jsonl: content differs"));
}

#[test]
fn an_unreadable_or_malformed_certificate_exits_2_naming_it() {
    let dir = certified();
    let path = dir.path().join("certificate.json");
    let good = std::fs::read_to_string(&path).expect("read");
    let show = path.display().to_string();
    let cases = [
        ("{\"format\": ", format!("error: {show}:1:11: not JSON: EOF while parsing a value")),
        ("[]", format!("error: {show}: not an indiv certificate: `format` is not `indiv-certificate/1`")),
        (
            &good.replace("\"traces/busy.jsonl\"", "\"../../etc/passwd\""),
            format!("error: {show}: not an indiv certificate: `files` names `../../etc/passwd`"),
        ),
    ];
    for (text, message) in cases {
        std::fs::write(&path, text).expect("write");
        let o = verify(&path);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{}", output_text(&o));
        assert!(err.starts_with(&message), "{message:?} in {err:?}");
    }
    let missing = dir.path().join("nothing/certificate.json");
    let o = verify(&missing);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with(&format!("error: {}: ", missing.display())));
}

/// Checks that `xml` is one well-formed element (tags balanced, attributes
/// quoted, every `&` an entity, no `<` in text; see [`crate::html::parse`])
/// and returns the text content of its `<text>` elements.
fn well_formed_texts(xml: &str) -> Vec<String> {
    crate::html::parse(xml).into_iter().filter(|e| e.name == "text").map(|e| e.text).collect()
}

#[test]
fn the_badge_is_well_formed_xml_saying_passes_of_all_in_the_colour_of_the_run() {
    let passing = certified();
    let svg = std::fs::read_to_string(passing.path().join("badge.svg")).expect("badge.svg");
    let version = read_report(passing.path())["spec"]["version"].as_str().expect("spec version").to_string();
    let label = format!("indiv spec {version}");
    assert_eq!(well_formed_texts(&svg), [label.as_str(), &label, "2/2", "2/2"]);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(svg.contains("fill=\"#4c1\""), "green: {svg}");
    // Every second case errs: busy is ERROR, the run fails.
    let indiv = env!("CARGO_BIN_EXE_indiv");
    let (o, failing) =
        certify_python(&["--jobs", "1", "--case", "reader-happy", "--case", "busy"], "flaky.py", &["2", indiv]);
    assert_eq!(o.status.code(), Some(3), "{}", output_text(&o));
    let svg = std::fs::read_to_string(failing.path().join("badge.svg")).expect("badge.svg");
    assert_eq!(well_formed_texts(&svg), [label.as_str(), &label, "1/2", "1/2"]);
    assert!(svg.contains("fill=\"#e05d44\"") && !svg.contains("#4c1"), "red: {svg}");
    assert_eq!(verify(&failing.path().join("certificate.json")).status.code(), Some(0));
}

#[test]
fn the_xml_check_refuses_what_is_not_well_formed() {
    for bad in ["<a><b></a></b>", "<a x=1></a>", "<a>&bogus;</a>", "<a>1 < 2</a>", "<a></a><b></b>", "<a>"] {
        let caught = std::panic::catch_unwind(|| well_formed_texts(bad));
        assert!(caught.is_err(), "{bad} passed");
    }
    assert_eq!(well_formed_texts("<a><text x=\"1\">&lt;ok&gt;</text><b/></a>"), ["<ok>"]);
}
