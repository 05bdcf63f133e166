//! The spec file is validated on load: unknown keys, duplicate ids, dangling
//! references and disagreements with the code are errors; every quote of a
//! kept source appears in that source.

use indiv_spec::catalog::{BUILTIN_TOML, Basis};
use indiv_spec::{Error, Rule, Spec};

/// Loads the shipped spec with `from` replaced by `to` (which must occur) and
/// asserts the load fails with a message containing `message`.
fn check(from: &str, to: &str, message: &str) {
    assert!(BUILTIN_TOML.contains(from), "the spec file no longer contains {from:?}");
    let text = BUILTIN_TOML.replacen(from, to, 1);
    match Spec::from_toml(&text) {
        Ok(_) => panic!("a spec with {to:?} instead of {from:?} loaded"),
        Err(e) => assert!(e.to_string().contains(message), "expected {message:?} in {e}"),
    }
}

#[test]
fn the_shipped_spec_loads() {
    let spec = Spec::builtin().expect("loads");
    assert_eq!(spec.rules.len(), Rule::ALL.len());
    assert!(Rule::ALL.len() >= 40, "{} rules", Rule::ALL.len());
}

#[test]
fn unknown_keys_are_load_errors() {
    check("format = \"indiv-spec/1\"", "format = \"indiv-spec/1\"\ncolour = 1", "unknown field `colour`");
    check(
        "id = \"SESSION-ENDS\"\nlevel = \"must\"",
        "id = \"SESSION-ENDS\"\nseverity = 2\nlevel = \"must\"",
        "unknown field `severity`",
    );
    check("level = \"should\"", "level = \"may\"", "unknown variant `may`");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let text = BUILTIN_TOML.replacen("format = \"indiv-spec/1\"", "format = ", 1);
    match Spec::from_toml(&text) {
        Err(Error::SpecSyntax { line, column, .. }) => {
            let expected = BUILTIN_TOML.lines().position(|l| l.starts_with("format = ")).expect("format line") + 1;
            assert_eq!((line, column), (expected, 10));
        }
        other => panic!("expected a positioned syntax error, got {other:?}"),
    }
}

#[test]
fn duplicate_ids_are_load_errors() {
    check("id = \"SESSION-ENDS\"", "id = \"SESSION-ONE-TERMINAL\"", "duplicate rule id `SESSION-ONE-TERMINAL`");
    check("id = \"error-codes\"", "id = \"wmt-status\"", "duplicate source id `wmt-status`");
}

#[test]
fn dangling_references_are_load_errors() {
    check(
        "source = \"drm-individualization-status\", quote",
        "source = \"nowhere\", quote",
        "cites unknown source `nowhere`",
    );
    check(
        "applies_to = [\"Individualize\", \"PerformSecurityUpdate\"]",
        "applies_to = [\"Individualise\"]",
        "unknown record `Individualise`",
    );
    check("first = \"INDI_BEGIN\"", "first = \"INDI_START\"", "`INDI_START` is not an individualization status");
    check("INDI_INSTALL = [\"INDI_INSTALL\",", "INDI_INSTALL = [\"INDI_UPGRADE\",", "`INDI_UPGRADE`");
    check(
        "trip_finished = \"HTTP_COMPLETED\"",
        "trip_finished = \"HTTP_DONE\"",
        "`HTTP_DONE` is not a DRM_HTTP_STATUS",
    );
}

#[test]
fn a_rule_without_a_check_or_a_check_without_a_rule_is_a_load_error() {
    check("id = \"SESSION-ENDS\"", "id = \"SESSION-FINISHES\"", "rule `SESSION-FINISHES` has no check in the code");
    let start = BUILTIN_TOML.find("[[rule]]\nid = \"HTTP-COUNT-STEP\"").expect("rule present");
    let end = start + BUILTIN_TOML[start + 1..].find("[[rule]]").expect("next rule") + 1;
    let without = format!("{}{}", &BUILTIN_TOML[..start], &BUILTIN_TOML[end..]);
    let e = Spec::from_toml(&without).expect_err("a check without its rule");
    assert!(e.to_string().contains("the code checks `HTTP-COUNT-STEP` but the spec file has no such rule"), "{e}");
}

#[test]
fn enumerations_that_differ_from_the_code_are_load_errors() {
    check("name = \"INDI_INSTALL\", value = 0x20", "name = \"INDI_INSTALL\", value = 0x40", "differs from the code");
    check("\"GetSecurityVersion\"]", "\"GetVersion\"]", "vocabulary.apis differs");
}

#[test]
fn the_phase_table_must_be_consistent() {
    check("INDI_SUCCEED = []", "INDI_SUCCEED = [\"INDI_FAIL\"]", "nothing may follow a terminal status");
    check(
        "INDI_BEGIN = [\"INDI_DOWNLOAD\",",
        "INDI_BEGIN = [\"INDI_BEGIN\", \"INDI_DOWNLOAD\",",
        "only starts a session",
    );
    check("INDI_CANCEL = []\n", "", "no row for `INDI_CANCEL`");
}

#[test]
fn citations_fit_their_basis() {
    let documented = "citation = { quotes = [\n  { source = \"wm-individualize-status\", quote = \"Value from the DRM_HTTP_STATUS enumeration type.\" },\n] }";
    check(
        documented,
        "citation = { reasoning = \"because\" }",
        "documented rule `STATUS-HTTP-VALUE` needs a source and a quote",
    );
    check(
        ", reasoning = \"a process starts once, and before anything else it reports\"",
        "",
        "derived rule `SESSION-BEGIN-FIRST` needs its reasoning",
    );
    check(
        "citation = { reasoning = \"a round trip under way is reported before it completes, so an engine that reports its exchanges is never two completions behind\" }",
        "citation = { quotes = [{ source = \"error-codes\", quote = \"x\" }] }",
        "inferred rule `HTTP-COUNT-STEP` needs its reasoning",
    );
    check(
        "quote = \"HRESULT return code.\"",
        "quote = \" \"",
        "rule `STATUS-HR-MATCHES` quotes nothing of `wm-individualize-status`",
    );
}

/// Markdown and HTML markup stripped, escapes undone, white space folded, so
/// that a quote can be found in the source page as a reader sees it.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    let mut in_tag = false;
    let mut in_link_target = false;
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            ']' if chars.peek() == Some(&'(') => {
                in_link_target = true;
                chars.next();
            }
            ')' if in_link_target => in_link_target = false,
            _ if in_link_target => {}
            '*' | '[' => {}
            '\\' => {}
            c if c.is_whitespace() => {
                if prev != ' ' {
                    out.push(' ');
                }
                prev = ' ';
                continue;
            }
            c => out.push(c),
        }
        prev = c;
    }
    out
}

fn sources_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sources")
}

/// Every quote of `spec` that is not verbatim in its kept source, as
/// `RULE: quote` lines.
fn quotes_not_found(spec: &Spec) -> Vec<String> {
    let mut missing = Vec::new();
    for rule in &spec.rules {
        for q in &rule.citation.quotes {
            let source = spec.source(&q.source).expect("validated on load");
            let page = std::fs::read_to_string(sources_dir().join(&source.file)).expect("source kept");
            if !plain(&page).contains(&plain(&q.quote)) {
                missing.push(format!("{}: not in {}: {}", rule.id, source.file, q.quote));
            }
        }
    }
    missing
}

#[test]
fn every_quote_appears_verbatim_in_its_kept_source() {
    let spec = Spec::builtin().expect("loads");
    let missing = quotes_not_found(spec);
    assert!(missing.is_empty(), "{} quotes not found:\n{}", missing.len(), missing.join("\n"));
    let quotes: usize = spec.rules.iter().map(|r| r.citation.quotes.len()).sum();
    assert!(quotes >= 30, "only {quotes} quotes");
    for rule in spec.rules.iter().filter(|r| matches!(r.basis, Basis::Documented | Basis::Derived)) {
        assert!(!rule.citation.quotes.is_empty(), "{} is {} without a quote", rule.id, rule.basis.name());
    }
}

#[test]
fn a_quote_the_source_does_not_have_is_found() {
    let doctored = BUILTIN_TOML.replacen(
        "quote = \"This value is reserved for future use.\"",
        "quote = \"This value is never sent.\"",
        1,
    );
    let spec = Spec::from_toml(&doctored).expect("still loads");
    let missing = quotes_not_found(&spec);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(missing[0].contains("This value is never sent."), "{missing:?}");
}

#[test]
fn every_kept_source_has_its_origin() {
    let spec = Spec::builtin().expect("loads");
    let origins: toml::Table = std::fs::read_to_string(sources_dir().join("ORIGINS.toml"))
        .expect("spec/sources/ORIGINS.toml")
        .parse()
        .expect("ORIGINS.toml is TOML");
    let pages = origins["page"].as_array().expect("[[page]] tables");
    for source in &spec.sources {
        let page = pages
            .iter()
            .find(|p| p.get("file").and_then(|f| f.as_str()) == Some(source.file.as_str()))
            .unwrap_or_else(|| panic!("{}: {} has no [[page]] in ORIGINS.toml", source.id, source.file));
        for key in ["repository", "path", "how"] {
            assert!(page.get(key).and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty()), "{}: no {key}", source.file);
        }
        assert!(sources_dir().join(&source.file).is_file(), "{} is not kept", source.file);
    }
}

#[test]
fn the_spec_has_a_version_and_a_content_hash() {
    let spec = Spec::builtin().expect("loads");
    assert_eq!(spec.version, "4.0.1");
    assert_eq!(spec.hash.len(), 64);
    assert!(spec.hash.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{}", spec.hash);
    let touched = Spec::from_toml(&format!("{BUILTIN_TOML}\n# a comment\n")).expect("loads");
    assert_ne!(touched.hash, spec.hash, "any change of the text changes the hash");
    check("version = \"4.0.1\"", "version = \"2.0\"", "version `2.0` is not MAJOR.MINOR.PATCH");
}

#[test]
fn a_wrong_quote_is_caught() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sources/002_134b009432f2ce75.txt"),
    )
    .expect("source kept");
    assert!(plain(&page).contains("the application will receive a WMT_NO_RIGHTS_EX event"));
    assert!(!plain(&page).contains("the application will receive a WMT_NO_RIGHTS event"));
}

#[test]
fn interpretations_load_and_name_only_known_rules() {
    let spec = Spec::builtin().expect("loads");
    assert!(spec.interpretations.len() >= 10, "only {} interpretations", spec.interpretations.len());
    let flags = spec.interpretations.iter().find(|i| i.id == "reader-flags").expect("the dwFlags interpretation");
    assert!(flags.rules.iter().any(|r| r == "READER-ALREADY-INDIVIDUALIZED"), "{:?}", flags.rules);
    assert!(spec.interpretations_of(Rule::ReaderAlreadyIndividualized).any(|i| i.id == "reader-flags"));
    for i in &spec.interpretations {
        for rule in &i.rules {
            assert!(Rule::from_id(rule).is_some(), "{}: {rule}", i.id);
        }
    }
}

#[test]
fn interpretations_are_validated_on_load() {
    check(
        "rules = [\"READER-FLAGS-VALID\", \"READER-ALREADY-INDIVIDUALIZED\"",
        "rules = [\"READER-FLAGS-VALID\", \"READER-NO-REINDIVIDUALIZE\"",
        "interpretation `reader-flags` names unknown rule `READER-NO-REINDIVIDUALIZE`",
    );
    check(
        "rules = [\"READER-FLAGS-VALID\", \"READER-ALREADY-INDIVIDUALIZED\"",
        "rules = [\"READER-FLAGS-VALID\", \"READER-FLAGS-VALID\"",
        "names rule `READER-FLAGS-VALID` twice",
    );
    check("id = \"after-cancel\"", "id = \"reader-flags\"", "duplicate interpretation id `reader-flags`");
    check("id = \"after-cancel\"", "id = \"After Cancel\"", "interpretation id `After Cancel` must be");
    check("[[interpretation]]\nid = \"strays\"", "[[interpretation]]\nid = \"strays\"\nsee = 1", "unknown field `see`");
    check(
        "topic = \"Which status follows a cancel\"",
        "topic = \" \"",
        "interpretation `after-cancel` has an empty topic",
    );
}
