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
    assert_eq!(spec.rules.len(), 43);
    assert_eq!(Rule::ALL.len(), 43);
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
    check("id = \"nserror\"", "id = \"wmsdkidl\"", "duplicate source id `wmsdkidl`");
}

#[test]
fn dangling_references_are_load_errors() {
    check("source = \"nserror\", quote", "source = \"nowhere\", quote", "cites unknown source `nowhere`");
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
    check(
        "citation = { source = \"nserror\", quote = \"You cannot begin a new security upgrade until the current one has been completed\" }",
        "citation = { reasoning = \"because\" }",
        "needs a source and a quote",
    );
    check(
        "citation = { reasoning = \"an asynchronous call that never reports an outcome leaves the application waiting forever\" }",
        "citation = { source = \"nserror\", quote = \"x\" }",
        "needs its reasoning",
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

#[test]
fn every_quote_of_a_kept_source_appears_in_it() {
    let spec = Spec::builtin().expect("loads");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sources");
    let mut checked = 0;
    for rule in &spec.rules {
        let (Some(source), Some(quote)) = (&rule.citation.source, &rule.citation.quote) else {
            assert_ne!(rule.basis, Basis::Documented, "{}", rule.id);
            continue;
        };
        let source = spec.source(source).expect("validated on load");
        if let Some(file) = &source.file {
            let page = std::fs::read_to_string(dir.join(file)).expect("source kept");
            assert!(plain(&page).contains(&plain(quote)), "{}: quote not found in {file}: {quote}", rule.id);
            checked += 1;
        } else {
            let note = source.note.as_deref().unwrap_or_default();
            assert!(!note.is_empty(), "{}: external source without a note", rule.id);
        }
    }
    assert!(checked >= 15, "only {checked} quotes checked");
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
    assert!(flags.rules.iter().any(|r| r == "READER-NO-REINDIV"), "{:?}", flags.rules);
    assert!(spec.interpretations_of(Rule::ReaderReindivAllowed).any(|i| i.id == "reader-flags"));
    for i in &spec.interpretations {
        for rule in &i.rules {
            assert!(Rule::from_id(rule).is_some(), "{}: {rule}", i.id);
        }
    }
}

#[test]
fn interpretations_are_validated_on_load() {
    check(
        "rules = [\"READER-FLAGS-VALID\", \"READER-NO-REINDIV\"",
        "rules = [\"READER-FLAGS-VALID\", \"READER-NO-REINDIVIDUALIZE\"",
        "interpretation `reader-flags` names unknown rule `READER-NO-REINDIVIDUALIZE`",
    );
    check(
        "rules = [\"READER-FLAGS-VALID\", \"READER-NO-REINDIV\"",
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
