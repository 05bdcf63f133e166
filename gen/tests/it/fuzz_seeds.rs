//! The committed seed corpora (`fuzz/seeds/`) are what `fuzz/make-seeds.py`
//! writes from the rule fixtures and example traces today: a fixture that
//! changes without new seeds fails here, not silently in the fuzz job.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// `fuzz/make-seeds.py` on the seed folders under `seeds`, with `--check`
/// or writing.
fn make_seeds(seeds: &Path, check: bool) -> Output {
    let mut command = Command::new("python3");
    command.arg(fuzz_dir().join("make-seeds.py")).arg("--seeds").arg(seeds);
    if check {
        command.arg("--check");
    }
    command.output().expect("python3 runs (the README lists it as a requirement of the tests)")
}

/// A copy of the committed seed folders, and the names of each target's
/// seeds the script writes, sorted (so the picks below do not depend on the
/// order a file system lists them in).
fn copy_of_the_seeds() -> (tempfile::TempDir, Vec<(String, Vec<String>)>) {
    let copy = tempfile::tempdir().expect("a temporary folder");
    let mut targets = Vec::new();
    for target in std::fs::read_dir(fuzz_dir().join("seeds")).expect("the seed folders") {
        let target = target.expect("a seed folder").path();
        let name = target.file_name().expect("a folder name").to_string_lossy().into_owned();
        std::fs::create_dir(copy.path().join(&name)).expect("a folder of the copy");
        let mut seeds = Vec::new();
        for seed in std::fs::read_dir(&target).expect("a target's seeds") {
            let seed = seed.expect("a seed").path();
            let file = seed.file_name().expect("a file name").to_string_lossy().into_owned();
            std::fs::copy(&seed, copy.path().join(&name).join(&file)).expect("copy a seed");
            if !file.starts_with("boundary-") {
                seeds.push(file);
            }
        }
        seeds.sort();
        targets.push((name, seeds));
    }
    targets.sort();
    (copy, targets)
}

/// The first seed of `target` the script writes.
fn first_seed<'a>(targets: &'a [(String, Vec<String>)], target: &str) -> &'a str {
    let (_, seeds) = targets.iter().find(|(name, _)| name == target).expect("the target's seeds");
    seeds.first().expect("a seed of the script's")
}

#[test]
fn committed_seeds_are_what_make_seeds_writes() {
    let out = make_seeds(&fuzz_dir().join("seeds"), true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_changed_missing_or_stale_seed_fails_the_check_and_writing_mends_it() {
    let (copy, targets) = copy_of_the_seeds();
    let seeds = copy.path();
    let out = make_seeds(seeds, true);
    assert!(out.status.success(), "the copy starts out current: {}", String::from_utf8_lossy(&out.stderr));

    let changed = format!("parse_trace/{}", first_seed(&targets, "parse_trace"));
    let mut bytes = std::fs::read(seeds.join(&changed)).expect("a seed's bytes");
    bytes.push(b'x');
    std::fs::write(seeds.join(&changed), &bytes).expect("change a seed");
    let missing = format!("roundtrip/{}", first_seed(&targets, "roundtrip"));
    std::fs::remove_file(seeds.join(&missing)).expect("remove a seed");
    let stale = "writer_agree/0123456789abcdef";
    std::fs::write(seeds.join(stale), b"{}").expect("add a seed");
    // Not named as the script names seeds: never its to judge or remove.
    let others = ["parse_trace/boundary-not-the-scripts", "roundtrip/notes.txt"];
    for other in others {
        std::fs::write(seeds.join(other), b"{}").expect("add another file");
    }

    let out = make_seeds(seeds, true);
    let report = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{report}");
    for (seed, why) in [(changed.as_str(), "differs"), (missing.as_str(), "missing"), (stale, "stale")] {
        // Python prints the path as it normalises it; the seed's folder and
        // name end it whatever the temporary folder's spelling.
        let tail = format!("/{seed}: {why}");
        assert!(report.lines().any(|l| l.contains(&tail)), "no `…{tail}` in:\n{report}");
    }
    assert_eq!(report.lines().count(), 4, "three problems and the summary: {report}");

    let out = make_seeds(seeds, false);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = make_seeds(seeds, true);
    assert!(out.status.success(), "writing mends the copy: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!seeds.join(stale).exists(), "the stale seed is removed");
    for other in others {
        assert!(seeds.join(other).exists(), "{other} is left alone");
    }
}
