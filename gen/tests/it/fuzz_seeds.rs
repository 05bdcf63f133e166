//! The committed seed corpora (`fuzz/seeds/`) are what `fuzz/make-seeds.py`
//! writes from the rule fixtures and example traces today: a fixture that
//! changes without new seeds fails here, not silently in the fuzz job.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// `fuzz/make-seeds.py --check` against the seed folders under `seeds`.
fn check_seeds(seeds: &Path) -> Output {
    Command::new("python3")
        .arg(fuzz_dir().join("make-seeds.py"))
        .arg("--check")
        .arg("--seeds")
        .arg(seeds)
        .output()
        .expect("python3 runs (the README lists it as a requirement of the tests)")
}

#[test]
fn committed_seeds_are_what_make_seeds_writes() {
    let out = check_seeds(&fuzz_dir().join("seeds"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_changed_missing_or_stale_seed_fails_the_check() {
    let copy = tempfile::tempdir().expect("a temporary folder");
    let seeds = copy.path();
    let mut changed = None;
    for target in std::fs::read_dir(fuzz_dir().join("seeds")).expect("the seed folders") {
        let target = target.expect("a seed folder").path();
        let name = target.file_name().expect("a folder name").to_owned();
        std::fs::create_dir(seeds.join(&name)).expect("a folder of the copy");
        for seed in std::fs::read_dir(&target).expect("a target's seeds") {
            let seed = seed.expect("a seed").path();
            let to = seeds.join(&name).join(seed.file_name().expect("a file name"));
            std::fs::copy(&seed, &to).expect("copy a seed");
            changed.get_or_insert(to);
        }
    }
    let out = check_seeds(seeds);
    assert!(out.status.success(), "the copy starts out current: {}", String::from_utf8_lossy(&out.stderr));

    let changed = changed.expect("a seed");
    let mut bytes = std::fs::read(&changed).expect("a seed's bytes");
    bytes.push(b'x');
    std::fs::write(&changed, &bytes).expect("change a seed");
    let missing =
        seeds.join("roundtrip").read_dir().expect("roundtrip's seeds").next().expect("a seed").expect("a seed");
    std::fs::remove_file(missing.path()).expect("remove a seed");
    let stale = seeds.join("writer_agree/0123456789abcdef");
    std::fs::write(&stale, b"{}").expect("add a seed");
    let boundary = seeds.join("parse_trace/boundary-not-the-scripts");
    std::fs::write(&boundary, b"{}").expect("add a boundary seed");

    let out = check_seeds(seeds);
    let report = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{report}");
    for (path, why) in [(&changed, "differs"), (&missing.path(), "missing"), (&stale, "stale")] {
        let line = format!("{}: {why}", path.display());
        assert!(report.lines().any(|l| l.starts_with(&line)), "no `{line}` in:\n{report}");
    }
    assert!(!report.contains("boundary-not-the-scripts"), "the boundary seeds are not the script's: {report}");
    assert_eq!(report.lines().count(), 4, "three problems and the summary: {report}");
}
