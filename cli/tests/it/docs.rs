//! The spec as a document: `docs/SPEC.md`, the diagrams and the JSON Schema
//! are generated, and the committed copies must equal what the generators
//! write; every trace line the project ships validates against the schema;
//! `indiv explain` shows a rule's examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use indiv_spec::Spec;
use indiv_specdoc::diagram::{self, Diagram};
use indiv_specdoc::fixtures::{self, Input};
use indiv_specdoc::markdown;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const REGENERATE: &str = "docs/generate.sh";

/// Asserts that the committed file `path` equals `generated`; on a
/// difference, names the first differing line and the command that fixes it.
fn assert_committed(path: &str, generated: &str, command: &str) {
    let committed = std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| {
        panic!("{path} is missing ({e}); generate it with `{command}` (or `{REGENERATE}` for every file)")
    });
    if committed == generated {
        return;
    }
    let line = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .map_or_else(|| committed.lines().count().min(generated.lines().count()) + 1, |at| at + 1);
    panic!(
        "{path} differs from the generator's output (first at line {line}).\n\
         Regenerate it with `{command}` (or `{REGENERATE}` for every generated file) and commit the result.\n\
         committed: {:?}\ngenerated: {:?}",
        committed.lines().nth(line - 1).unwrap_or("<end of file>"),
        generated.lines().nth(line - 1).unwrap_or("<end of file>"),
    );
}

#[test]
fn spec_md_is_what_the_generator_writes() {
    let spec = Spec::builtin().expect("spec loads");
    let generated = markdown::markdown(spec).expect("fixtures parse");
    assert_committed(markdown::PATH, &generated, markdown::COMMAND);
}

#[test]
fn spec_md_shows_every_rule_with_its_examples_and_every_interpretation() {
    let spec = Spec::builtin().expect("spec loads");
    let doc = markdown::markdown(spec).expect("fixtures parse");
    for rule in &spec.rules {
        assert!(doc.contains(&format!("\n### {}\n", rule.id)), "{} has no section", rule.id);
    }
    for fixture in fixtures::embedded().expect("fixtures parse") {
        for example in &fixture.example {
            let shown = match &example.input {
                Input::Trace(t) => t.trace.trim_end(),
                Input::Harness(h) => h.status.as_str(),
            };
            assert!(doc.contains(shown), "{} [{}] not shown verbatim", fixture.file, example.name);
            for expected in &example.expect {
                assert!(doc.contains(&format!("`{expected}`")), "{} [{}]: {expected}", fixture.file, example.name);
            }
        }
    }
    for i in &spec.interpretations {
        assert!(doc.contains(&format!("<a id=\"interpretation-{}\"></a>", i.id)), "{}", i.id);
    }
    assert!(doc.contains("```mermaid\nstateDiagram-v2\n") && doc.contains("```mermaid\nflowchart LR\n"));
}

#[test]
fn committed_diagrams_are_what_the_generator_writes() {
    let spec = Spec::builtin().expect("spec loads");
    for d in Diagram::ALL {
        let dot = diagram::dot(spec, *d);
        let path = format!("docs/diagrams/{}.dot", d.name());
        assert_committed(&path, &dot, &format!("cargo run -- spec --format dot --diagram {} > {path}", d.name()));
        // The SVG is rendered by Graphviz, which CI need not have: check only
        // that it is there and draws the same nodes.
        let svg_path = format!("docs/diagrams/{}.svg", d.name());
        let svg = std::fs::read_to_string(repo().join(&svg_path))
            .unwrap_or_else(|e| panic!("{svg_path} is missing ({e}); render it with `{REGENERATE}`"));
        for line in dot.lines().filter(|l| l.contains(" [label=\"")) {
            let node = line.trim().split(' ').next().unwrap_or_default();
            assert!(svg.contains(&format!("<title>{node}</title>")), "{svg_path} has no node {node}: re-render it");
        }
    }
}

fn schema() -> Value {
    serde_json::to_value(indiv_spec::schema::trace_schema()).expect("the schema is JSON")
}

#[test]
fn committed_trace_schema_is_what_the_generator_writes() {
    let text = serde_json::to_string_pretty(&indiv_spec::schema::trace_schema()).expect("the schema is JSON") + "\n";
    let path = "docs/schema/indiv-trace-1.schema.json";
    assert_committed(path, &text, &format!("cargo run -- schema trace > {path}"));
}

#[test]
fn committed_testee_schema_is_what_the_generator_writes() {
    let text = serde_json::to_string_pretty(&indiv_harness::protocol::schema()).expect("the schema is JSON") + "\n";
    let path = "docs/schema/indiv-testee-1.schema.json";
    assert_committed(path, &text, &format!("cargo run -- schema testee > {path}"));
}

#[test]
fn committed_case_schema_is_what_the_generator_writes() {
    let text = serde_json::to_string_pretty(&indiv_harness::run::case_schema()).expect("the schema is JSON") + "\n";
    let path = "docs/schema/indiv-case-1.schema.json";
    assert_committed(path, &text, &format!("cargo run -- schema case > {path}"));
}

/// The fenced blocks of `lang` in a Markdown text, in order.
fn fenced(text: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang}\n");
    text.split(open.as_str()).skip(1).map(|block| block.split("```").next().unwrap_or("").to_string()).collect()
}

#[test]
fn cases_md_example_validates_against_the_case_schema_and_passes_certification() {
    let text = std::fs::read_to_string(repo().join("docs/CASES.md")).expect("docs/CASES.md");
    let example = text.split("## An example").nth(1).map(|after| fenced(after, "toml")).unwrap_or_default();
    let example = example.first().expect("docs/CASES.md has a complete example under `## An example`");
    let schema = serde_json::to_value(indiv_harness::run::case_schema()).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let value: Value = toml::from_str(example).expect("the example is TOML");
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("example.toml");
    std::fs::write(&file, example).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .args(["certify", "--case-file"])
        .arg(&file)
        .output()
        .expect("indiv ran");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("PASS      reader-slow-service ("), "{out}");
}

#[test]
fn cases_md_states_every_limit_the_reader_enforces() {
    use indiv_harness::run::{
        MAX_CASE_FILE_BYTES, MAX_CASE_NAME_BYTES, MAX_CHUNKS, MAX_DELAY_MS, MAX_PACKAGE_BYTES, MAX_STEPS,
    };
    let text = std::fs::read_to_string(repo().join("docs/CASES.md")).expect("docs/CASES.md");
    // Words, whatever the line breaks.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let limits: &[(&str, u64)] = &[
        ("the file's size", MAX_CASE_FILE_BYTES),
        ("the name", MAX_CASE_NAME_BYTES as u64),
        ("package_size", u64::from(MAX_PACKAGE_BYTES)),
        ("the chunks of a package", u64::from(MAX_CHUNKS)),
        ("delay_ms", u64::from(MAX_DELAY_MS)),
        ("the steps", MAX_STEPS as u64),
        ("after_statuses", indiv_harness::runner::MAX_RECORDS_PER_CASE as u64),
    ];
    for (what, limit) in limits {
        assert!(text.contains(&format!("at most {limit}")) || text.contains(&format!("to {limit}")), "{what}: {limit}");
    }
    // Every key the schema knows is documented.
    let schema = serde_json::to_value(indiv_harness::run::case_schema()).expect("the schema is JSON");
    let mut keys = Vec::new();
    collect_keys(&schema, &mut keys);
    for key in keys {
        // As a key of its own, in a dotted path (end, start or middle), or an
        // inline table's key.
        let shown =
            [format!("`{key}`"), format!(".{key}`"), format!("`{key}."), format!(".{key}."), format!("{{ {key} =")];
        assert!(shown.iter().any(|form| text.contains(form.as_str())), "{key} is not in docs/CASES.md");
    }
}

/// Every property name anywhere in a JSON Schema.
fn collect_keys(schema: &Value, keys: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                keys.extend(properties.keys().cloned());
            }
            map.values().for_each(|v| collect_keys(v, keys));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_keys(v, keys)),
        _ => {}
    }
}

#[test]
fn the_documents_a_new_implementer_reads_link_the_case_file_format() {
    for doc in ["README.md", "docs/TESTEE.md"] {
        let text = std::fs::read_to_string(repo().join(doc)).expect("document");
        assert!(text.contains("CASES.md"), "{doc} does not link docs/CASES.md");
    }
}

#[test]
fn every_protocol_message_in_testee_md_validates_against_the_testee_schema() {
    let schema = serde_json::to_value(indiv_harness::protocol::schema()).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let text = std::fs::read_to_string(repo().join("docs/TESTEE.md")).expect("docs/TESTEE.md");
    // Every message quoted in backticks, as the document shows them.
    let messages: Vec<&str> =
        text.split('`').skip(1).step_by(2).filter(|quoted| quoted.starts_with("{\"op\":")).collect();
    assert!(messages.len() >= 10, "only {} messages found in docs/TESTEE.md", messages.len());
    for message in messages {
        let value: Value = serde_json::from_str(message).unwrap_or_else(|e| panic!("{message}: {e}"));
        let errors: Vec<String> = validator.iter_errors(&value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{message}: {errors:?}");
    }
    let wrong: Value = serde_json::from_str(r#"{"op":"redy"}"#).expect("JSON");
    assert!(!validator.is_valid(&wrong), "the schema rejects an unknown op");
}

/// The JSON values of the lines of `text`, as the trace reader sees them
/// (byte order mark and CR removed).
fn json_lines(text: &str) -> Vec<(usize, Value)> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let value = serde_json::from_str(line.trim_end_matches('\r'))
                .unwrap_or_else(|e| panic!("line {} is not JSON: {e}\n{line}", i + 1));
            (i + 1, value)
        })
        .collect()
}

#[test]
fn every_shipped_trace_line_validates_against_the_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let mut traces: Vec<(String, String)> = Vec::new();
    for fixture in fixtures::embedded().expect("fixtures parse") {
        for example in &fixture.example {
            let text = match &example.input {
                Input::Trace(t) => t.trace.clone(),
                Input::Harness(h) => h.status.clone(),
            };
            traces.push((format!("{} [{}]", fixture.file, example.name), text));
        }
    }
    let examples = repo().join("examples/traces");
    for entry in std::fs::read_dir(&examples).expect("examples/traces exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            traces.push((path.display().to_string(), std::fs::read_to_string(&path).expect("readable")));
        }
    }
    assert!(traces.len() > 80, "only {} traces", traces.len());
    let mut failures = Vec::new();
    let mut lines = 0;
    for (name, text) in &traces {
        for (n, value) in json_lines(text) {
            lines += 1;
            let errors: Vec<String> =
                validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            if !errors.is_empty() {
                failures.push(format!("{name}:{n}: {}\n  {value}", errors.join("; ")));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {lines} lines break the schema:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_schema_still_rejects_what_the_reader_rejects() {
    let validator = jsonschema::validator_for(&schema()).expect("the schema compiles");
    let status = r#"{"enIndiStatus":"INDI_BEGIN","pszIndiRespUrl":null,"dwHTTPRequest":0,"enHTTPStatus":"HTTP_NOTINITIATED","dwHTTPReadProgress":0,"dwHTTPReadTotal":0"#;
    let good = [
        r#"{"kind":"call","api":"Individualize","flags":1,"hr":"S_OK","ts":1.5}"#.to_string(),
        format!(r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{status}}}}}"#),
        r#"{"kind":"header","format":"indiv-trace/1","component_version":"2.1.0.0"}"#.to_string(),
        r#"{"kind":"status","status":25,"hr":"0xC00D2728"}"#.to_string(),
        format!(r#"{{"kind":"event","event":"MEWMDRMIndividualizationProgress","hr":-1,"value":{status}}}}}"#),
        r#"{"kind":"call","api":"GetSecurityVersion","hr":"S_OK","version":"not checked here"}"#.to_string(),
    ];
    for line in &good {
        let value: Value = serde_json::from_str(line).expect("json");
        assert!(validator.is_valid(&value), "rejected: {line}");
    }
    let bad = [
        r#"{"kind":"call","api":"Individualize","flags":1,"colour":1}"#.to_string(),
        r#"{"kind":"call","api":"Individualize"}"#.to_string(),
        r#"{"kind":"call","api":"Reboot","hr":"S_OK"}"#.to_string(),
        r#"{"kind":"call","api":"Open","required_version":"2.2","flags":1}"#.to_string(),
        r#"{"kind":"note","text":"hi"}"#.to_string(),
        r#"{"kind":"header","format":"indiv-trace/2"}"#.to_string(),
        format!(r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{status},"extra":1}}}}"#),
        format!(r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{status}}},"extra":1}}"#),
        format!(r#"{{"kind":"event","event":"MEWMDRMIndividualizationCompleted","value":{status}}}}}"#),
        r#"{"kind":"status","status":"WMT_NO_RIGHTS_EX","hr":"not an hresult"}"#.to_string(),
        r#"{"kind":"status","status":"WMT_NO_RIGHTS_EX","hr":null}"#.to_string(),
        r#"{"kind":"status","status":27}"#.to_string(),
        r#"{"kind":"call","api":"PerformSecurityUpdate","flags":4294967296}"#.to_string(),
        r#"{"kind":"call","api":"CancelAsyncOperation","ts":null}"#.to_string(),
        format!(
            r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{}}}}}"#,
            status.replace("INDI_BEGIN", "INDI_START")
        ),
    ];
    for line in &bad {
        let value: Value = serde_json::from_str(line).expect("json");
        assert!(!validator.is_valid(&value), "accepted: {line}");
    }
}

fn indiv(args: &[&str]) -> Output {
    // Run outside the source tree: the examples must come from the binary.
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_indiv")).args(args).current_dir(dir.path()).output().expect("indiv ran")
}

#[test]
fn the_binary_writes_the_document_without_the_source_tree() {
    let o = indiv(&["spec", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let spec = Spec::builtin().expect("spec loads");
    assert!(String::from_utf8_lossy(&o.stdout) == markdown::markdown(spec).expect("fixtures parse"));
}

#[test]
fn spec_dot_prints_both_diagrams_or_the_one_asked_for() {
    let both = indiv(&["spec", "--format", "dot"]);
    assert_eq!(both.status.code(), Some(0));
    let text = String::from_utf8_lossy(&both.stdout);
    assert!(text.contains("digraph phases {") && text.contains("digraph http {"), "{text}");
    let http = indiv(&["spec", "--format", "dot", "--diagram", "http"]);
    assert_eq!(String::from_utf8_lossy(&http.stdout), diagram::dot(Spec::builtin().expect("spec"), Diagram::Http));
    let misuse = indiv(&["spec", "--diagram", "http"]);
    assert_eq!(misuse.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&misuse.stderr), "error: --diagram goes with --format dot\n");
}

#[test]
fn explain_shows_the_rule_its_interpretations_and_its_examples() {
    let o = indiv(&["explain", "reader-already-individualized"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.starts_with("READER-ALREADY-INDIVIDUALIZED  (should, inferred, Reader path (IWMDRMReader))"), "{out}");
    assert!(out.contains("quote:      \"Indicates that the client will not be individualized again.\""), "{out}");
    assert!(out.contains("  - Which dwFlags Individualize takes after WMT_NEEDS_INDIVIDUALIZATION\n"), "{out}");
    assert!(out.contains("\nexamples (specdoc/tests/rules/READER-ALREADY-INDIVIDUALIZED.toml):\n"), "{out}");
    assert!(out.contains("  1. Individualize refused after a final individualization (conforming)\n"), "{out}");
    assert!(
        out.contains(
            "  7. Individualize accepted after a final individualization (violating, expect READER-ALREADY-INDIVIDUALIZED@7)\n"
        ),
        "{out}"
    );
    assert!(out.contains("  7 | {\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":0,\"hr\":\"S_OK\"}\n"), "{out}");
}

#[test]
fn explain_shows_a_harness_rules_examples_with_the_service_log() {
    let o = indiv(&["explain", "SERVICE-TOTAL-MATCHES"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("\nexamples (specdoc/tests/rules/SERVICE-TOTAL-MATCHES.toml):\n"), "{out}");
    assert!(out.contains("(violating, expect SERVICE-TOTAL-MATCHES)\n"), "{out}");
    assert!(out.contains("     status:   {\"kind\":"), "{out}");
    assert!(out.contains("     session:  needs the package; exchanges from 0; response URL "), "{out}");
    assert!(out.contains("     exchange 0: query; head 200, Content-Length "), "{out}");
}

#[test]
fn cases_md_names_every_entry_of_the_boundary_catalogue_and_every_url_shape() {
    let text = std::fs::read_to_string(repo().join("docs/CASES.md")).expect("docs/CASES.md");
    for entry in indiv_engine::boundary::CATALOGUE {
        // The last part of the id names the value: a relation, a size, a shape, flags, a spelling.
        let value = entry.id.rsplit('/').next().unwrap_or(entry.id);
        assert!(text.contains(value), "docs/CASES.md does not name {} ({value})", entry.id);
        if let Some(case) = entry.case {
            let family = case.trim_end_matches(value).trim_end_matches('-');
            assert!(text.contains(case) || text.contains(family), "docs/CASES.md does not name {case}");
        }
    }
    for shape in indiv_engine::service::UrlShape::ALL {
        assert!(text.contains(&format!("`\"{}\"`", shape.name())), "docs/CASES.md does not name {}", shape.name());
    }
}
