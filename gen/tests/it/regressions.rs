//! Replays every regression case under `tests/regressions/`: the fuzz input
//! runs through its target's harness again (a panic fails the test), and a
//! case that stands for a trace is checked against its expected violations.
//! The committed seed corpus of every fuzz target runs through its harness
//! too, so each target's replay path is exercised even before it has found
//! anything.

use std::collections::BTreeSet;
use std::path::Path;

use indiv_gen::fuzzing::{TARGETS, run_target};
use indiv_spec::{CheckOptions, Spec, check_reader};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    target: String,
    input_hex: String,
    #[serde(default)]
    partial: bool,
    trace: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
}

fn decode(hex: &str) -> Vec<u8> {
    assert!(hex.len() % 2 == 0, "odd hex length");
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex digits")).collect()
}

#[test]
fn every_regression_case_passes_its_target_again() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/regressions exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let case: Case = toml::from_str(&std::fs::read_to_string(&path).expect("readable"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.display();
        assert!(TARGETS.contains(&case.target.as_str()), "{name}: unknown target");
        run_target(&case.target, &decode(&case.input_hex)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(trace) = &case.trace {
            let spec = Spec::builtin().expect("spec");
            let outcome = check_reader(spec, trace.as_bytes(), CheckOptions { partial: case.partial })
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let seen: BTreeSet<String> = outcome.violations.iter().map(|v| format!("{}@{}", v.rule, v.line)).collect();
            let expected: BTreeSet<String> = case.expect.iter().cloned().collect();
            assert_eq!(seen, expected, "{name}");
        }
        cases += 1;
    }
    println!("replayed {cases} regression cases");
    assert!(cases > 0, "no regression cases under {}", dir.display());
}

#[test]
fn every_seed_input_passes_its_target() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    for target in TARGETS {
        let dir = seeds.join(target);
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            let input = std::fs::read(&path).expect("readable seed");
            run_target(target, &input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            inputs += 1;
        }
        assert!(inputs > 0, "{target} has no seed inputs");
    }
}

#[test]
fn fuzz_build_flags_belong_to_targets_and_are_flags_cargo_fuzz_knows() {
    // fuzz/nightly.sh and .clusterfuzzlite/build.sh pass these words to
    // `cargo fuzz build` (and run, cmin, tmin); a typo would fail the nightly
    // job only, so it fails here first.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/options");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/options") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|e| e != "build") {
            continue;
        }
        let target = path.file_stem().and_then(|s| s.to_str()).expect("a name");
        assert!(TARGETS.contains(&target), "{}: no such fuzz target", path.display());
        let text = std::fs::read_to_string(&path).expect("readable");
        assert_eq!(text.lines().count(), 1, "{}: one line of flags", path.display());
        for word in text.split_whitespace() {
            assert!(["--no-trace-compares"].contains(&word), "{}: unknown flag {word}", path.display());
        }
        files += 1;
    }
    assert!(files > 0, "no build flags: the structured targets run without comparison tracing");
}

/// The fuzz targets each place lists, against [`TARGETS`]: the names it
/// lacks and the names it has that are no target.
fn listing_differs(listed: &BTreeSet<String>) -> (Vec<&'static str>, Vec<String>) {
    let missing = TARGETS.iter().copied().filter(|t| !listed.contains(*t)).collect();
    let unknown = listed.iter().filter(|t| !TARGETS.contains(&t.as_str())).cloned().collect();
    (missing, unknown)
}

#[test]
fn every_place_that_lists_the_fuzz_targets_lists_them_all() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let stems = |dir: &str, ext: &str| -> BTreeSet<String> {
        std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .map(|p| p.file_stem().and_then(|s| s.to_str()).expect("a name").to_string())
            .collect()
    };
    let manifest: toml::Table = read("fuzz/Cargo.toml").parse().expect("fuzz/Cargo.toml is TOML");
    let bins: BTreeSet<String> = manifest["bin"]
        .as_array()
        .expect("[[bin]] tables")
        .iter()
        .map(|bin| bin["name"].as_str().expect("a bin name").to_string())
        .collect();
    // The nightly workflow's matrix, `target: [a, b, …]` on one line.
    let workflow = read(".github/workflows/nightly-fuzz.yml");
    let matrix = workflow.lines().find_map(|l| l.trim().strip_prefix("target: [")).expect("a target matrix");
    let matrix: BTreeSet<String> = matrix.trim_end_matches(']').split(',').map(|t| t.trim().to_string()).collect();
    let seeds: BTreeSet<String> = std::fs::read_dir(root.join("fuzz/seeds"))
        .expect("fuzz/seeds")
        .map(|entry| entry.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    for (place, listed) in [
        ("fuzz/Cargo.toml [[bin]]", bins),
        ("fuzz/fuzz_targets/*.rs", stems("fuzz/fuzz_targets", "rs")),
        ("fuzz/options/*.options", stems("fuzz/options", "options")),
        ("fuzz/seeds/*", seeds),
        (".github/workflows/nightly-fuzz.yml", matrix.clone()),
    ] {
        assert_eq!(listing_differs(&listed), (vec![], vec![]), "{place} (missing, unknown)");
    }
    // The comparison fires: a list without one target, or with one more.
    let mut doctored = matrix;
    doctored.remove("writer_agree");
    doctored.insert("write_agree".to_string());
    assert_eq!(listing_differs(&doctored), (vec!["writer_agree"], vec!["write_agree".to_string()]));
}
