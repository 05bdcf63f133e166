//! The architecture invariants of ARCHITECTURE.md, checked rather than only
//! stated: which workspace crate may depend on which (read from `cargo
//! metadata`), which heavy crates the fuzz targets and benchmarks never pull
//! in, and what the sources of the engine and the oracle never name.
//!
//! Each check is a pure function over the metadata or the sources, shown to
//! fire on a doctored copy as well as to pass on the real one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Every workspace crate, with the workspace crates it may depend on
/// (normal and build dependencies). A crate missing here is a crate without a
/// place in the architecture, and fails the test too.
const ALLOWED: &[(&str, &[&str])] = &[
    ("indiv-spec", &[]),
    ("indiv-engine", &["indiv-spec"]),
    ("indiv-gen", &["indiv-spec", "indiv-engine"]),
    ("indiv-prove", &["indiv-spec", "indiv-engine", "indiv-gen"]),
    ("indiv-service-rules", &["indiv-spec", "indiv-engine"]),
    ("indiv-harness", &["indiv-spec", "indiv-engine", "indiv-service-rules"]),
    ("indiv-specdoc", &["indiv-spec", "indiv-engine", "indiv-service-rules"]),
    ("indiv-benches", &["indiv-spec", "indiv-engine", "indiv-gen"]),
    (
        "indiv-cli",
        &[
            "indiv-spec",
            "indiv-engine",
            "indiv-gen",
            "indiv-prove",
            "indiv-service-rules",
            "indiv-harness",
            "indiv-specdoc",
        ],
    ),
];

/// Crates of the command line and the certification harness: the fuzz
/// targets and the benchmarks must build without them.
const HEAVY: &[&str] = &["clap", "ureq", "nix", "indicatif", "ctrlc", "indiv-cli", "indiv-harness"];

/// Crates whose normal dependencies (all the way down) the fuzz targets and
/// the benchmarks consist of.
const LEAN: &[&str] = &["indiv-gen", "indiv-benches"];

/// What the engine's sources never name: sockets, clocks, threads, randomness.
const ENGINE_FORBIDDEN: &[&str] =
    &["std::net", "std::time", "Instant", "SystemTime", "std::thread", "rand::", "getrandom", "tokio", "std::process"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(repo())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("cargo metadata writes JSON")
}

/// The dependency graph: package name → (dependency name, kinds), from the
/// resolved nodes.
type Graph = BTreeMap<String, Vec<(String, BTreeSet<String>)>>;

fn graph(metadata: &Value) -> Graph {
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap_or(""), p["name"].as_str().unwrap_or("")))
        .collect();
    let mut graph = Graph::new();
    for node in metadata["resolve"]["nodes"].as_array().expect("resolve.nodes") {
        let name = names[node["id"].as_str().unwrap_or("")].to_string();
        let deps = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .map(|d| {
                let kinds = d["dep_kinds"]
                    .as_array()
                    .expect("dep_kinds")
                    .iter()
                    .map(|k| k["kind"].as_str().unwrap_or("normal").to_string())
                    .collect();
                (names[d["pkg"].as_str().unwrap_or("")].to_string(), kinds)
            })
            .collect();
        graph.insert(name, deps);
    }
    graph
}

fn members(metadata: &Value) -> BTreeSet<String> {
    let ids: BTreeSet<&str> =
        metadata["workspace_members"].as_array().expect("members").iter().filter_map(Value::as_str).collect();
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| ids.contains(p["id"].as_str().unwrap_or("")))
        .map(|p| p["name"].as_str().unwrap_or("").to_string())
        .collect()
}

fn is_runtime(kinds: &BTreeSet<String>) -> bool {
    kinds.contains("normal") || kinds.contains("build")
}

/// Every broken dependency invariant, one sentence each.
fn dependency_violations(members: &BTreeSet<String>, graph: &Graph) -> Vec<String> {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut found = Vec::new();
    for member in members {
        let Some(may) = allowed.get(member.as_str()) else {
            found.push(format!("{member} has no place in the architecture (add it to ALLOWED and ARCHITECTURE.md)"));
            continue;
        };
        for (dep, kinds) in graph.get(member).into_iter().flatten() {
            if !members.contains(dep) {
                continue;
            }
            if is_runtime(kinds) && !may.contains(&dep.as_str()) {
                found.push(format!("{member} depends on {dep}, which the architecture forbids"));
            }
            if dep == "indiv-cli" {
                found.push(format!("{member} depends on the CLI crate (as {kinds:?})"));
            }
        }
    }
    for root in LEAN {
        let mut seen = BTreeSet::new();
        let mut stack = vec![root.to_string()];
        while let Some(name) = stack.pop() {
            for (dep, kinds) in graph.get(&name).into_iter().flatten() {
                if is_runtime(kinds) && seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        for heavy in HEAVY.iter().filter(|h| seen.contains(**h)) {
            found.push(format!("{root} pulls in {heavy} (the fuzz targets and benchmarks must build without it)"));
        }
    }
    found
}

/// The workspace path dependencies of the fuzz workspace's manifest.
fn fuzz_path_dependencies(manifest: &str) -> Vec<String> {
    let table: toml::Table = manifest.parse().expect("fuzz/Cargo.toml is TOML");
    let deps = table.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
    deps.iter().filter_map(|(_, d)| d.get("path").and_then(|p| p.as_str()).map(String::from)).collect()
}

/// Code lines (comments skipped) of the `.rs` files under `dir` that name
/// one of `forbidden`.
fn naming(dir: &Path, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("readable source");
                for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
                    if let Some(word) = forbidden.iter().find(|w| line.contains(**w)) {
                        found.push(format!("{}:{}: names `{word}`", path.display(), n + 1));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn workspace_crates_depend_only_the_way_the_architecture_allows() {
    let metadata = metadata();
    let found = dependency_violations(&members(&metadata), &graph(&metadata));
    assert!(found.is_empty(), "architecture invariants broken:\n{}", found.join("\n"));
}

#[test]
fn a_forbidden_dependency_is_reported() {
    let metadata = metadata();
    let members = members(&metadata);
    let real = graph(&metadata);
    let normal = || BTreeSet::from(["normal".to_string()]);
    let doctor = |from: &str, to: &str| {
        let mut g = real.clone();
        g.get_mut(from).expect("a member").push((to.to_string(), normal()));
        dependency_violations(&members, &g)
    };
    assert!(!doctor("indiv-spec", "indiv-engine").is_empty(), "spec → engine must be refused");
    assert!(!doctor("indiv-engine", "indiv-harness").is_empty(), "engine → harness must be refused");
    assert!(!doctor("indiv-gen", "indiv-cli").is_empty(), "gen → cli must be refused");
    assert!(!doctor("indiv-specdoc", "indiv-harness").is_empty(), "specdoc → the HTTP server must be refused");
    // A heavy crate reached through a new dependency of the generators.
    let mut g = real.clone();
    g.get_mut("indiv-gen").expect("a member").push(("clap".to_string(), normal()));
    let found = dependency_violations(&members, &g);
    assert!(found.iter().any(|f| f.contains("indiv-gen pulls in clap")), "{found:?}");
    let mut more = members.clone();
    more.insert("indiv-newcomer".to_string());
    assert!(!dependency_violations(&more, &real).is_empty(), "a crate without a place must be refused");
}

#[test]
fn the_fuzz_targets_depend_only_on_the_generators() {
    let manifest = std::fs::read_to_string(repo().join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
    assert_eq!(fuzz_path_dependencies(&manifest), ["../gen"], "fuzz/ may depend on the generators crate only");
    let doctored = manifest.replace("[dependencies]\n", "[dependencies]\nindiv-cli = { path = \"../cli\" }\n");
    assert_ne!(fuzz_path_dependencies(&doctored), ["../gen"], "the check sees a second path dependency");
}

#[test]
fn the_engine_names_no_sockets_clocks_threads_or_randomness() {
    let found = naming(&repo().join("engine/src"), ENGINE_FORBIDDEN);
    assert!(found.is_empty(), "the engine must stay sans-io:\n{}", found.join("\n"));
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = "// a comment may say std::time\nlet now = std::time::Instant::now();\n";
    std::fs::write(dir.path().join("clock.rs"), clock).expect("write");
    assert_eq!(naming(dir.path(), ENGINE_FORBIDDEN).len(), 1, "the scan sees the clock in code, not in the comment");
}

#[test]
fn the_oracle_shares_no_code_with_the_monitor() {
    let spec = repo().join("spec/src");
    let oracle = if spec.join("oracle").is_dir() { spec.join("oracle") } else { spec.clone() };
    let mut found = naming(&oracle, &["monitor::", "crate::monitor", "Monitor"]);
    if oracle == spec {
        found.retain(|f| f.contains("oracle.rs:"));
    }
    assert!(found.is_empty(), "the oracle must judge on its own:\n{}", found.join("\n"));
}
