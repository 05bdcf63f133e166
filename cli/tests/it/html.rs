//! The HTML reports, without a browser: certify's `report.html` and `indiv
//! check --format html` are each one self-contained page, well-formed as XML
//! (parsed by [`parse`] below), with the run summary, the coverage matrix,
//! a timeline per trace with its violations marked and linked to the rule
//! explanations inside the page, and nothing of the trace's, the case's or
//! the testee's text made into markup. The same pages in headless Chromium:
//! `browser.rs` (feature `browser-tests`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{output_text, read_report};

/// One element of a parsed page.
#[derive(Clone, Debug)]
pub struct Element {
    /// Its tag name.
    pub name: String,
    /// Its attributes, unescaped.
    pub attrs: BTreeMap<String, String>,
    /// Its text, unescaped, with that of every element inside it.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';').expect("an entity ends with ;") + at;
        let name = &rest[at + 1..end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match name.strip_prefix("#x") {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => name.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32).unwrap_or_else(|| panic!("unknown entity &{name};"))
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses `page` (one element, after `<!DOCTYPE html>` in a page) as XML
/// and returns every element in document order; panics at anything not
/// well-formed: unbalanced tags, unquoted attributes, `<` in a value or in
/// text, unknown entities, text outside the root. No comments, CDATA or
/// processing instructions: the reports write none.
pub fn parse(page: &str) -> Vec<Element> {
    let mut rest = page.strip_prefix("<!DOCTYPE html>").unwrap_or(page).trim();
    let mut elements: Vec<Element> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut roots = 0;
    while !rest.is_empty() {
        if let Some(tag) = rest.strip_prefix('<') {
            let end = tag.find('>').expect("a tag ends");
            let inner = &tag[..end];
            if let Some(name) = inner.strip_prefix('/') {
                let open = stack.pop().expect("a closing tag closes an element");
                assert_eq!(elements[open].name, name, "closing tag");
            } else {
                let self_closing = inner.ends_with('/');
                let inner = inner.trim_end_matches('/');
                let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
                let name = &inner[..name_end];
                assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()), "tag {name:?}");
                let mut attrs = BTreeMap::new();
                let mut a = inner[name_end..].trim();
                while !a.is_empty() {
                    let eq = a.find("=\"").expect("attribute=\"value\"");
                    let key = &a[..eq];
                    assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'), "{key:?}");
                    let value_end = a[eq + 2..].find('"').expect("quoted value") + eq + 2;
                    let value = &a[eq + 2..value_end];
                    assert!(!value.contains('<'), "< in attribute value {value:?}");
                    assert!(attrs.insert(key.to_string(), unescape(value)).is_none(), "attribute {key} twice");
                    a = a[value_end + 1..].trim_start();
                }
                if stack.is_empty() {
                    roots += 1;
                }
                elements.push(Element { name: name.to_string(), attrs, text: String::new() });
                if !self_closing {
                    stack.push(elements.len() - 1);
                }
            }
            rest = &tag[end + 1..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            assert!(!stack.is_empty() || text.trim().is_empty(), "text outside the root: {text:?}");
            let text = unescape(text);
            for &open in &stack {
                elements[open].text.push_str(&text);
            }
            rest = &rest[end..];
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(roots, 1, "one root element");
    elements
}

/// The elements a report makes: anything else in a page was injected.
pub const MADE: &[&str] = &[
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "h3",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "a",
    "span",
    "code",
    "pre",
    "section",
    "ol",
    "ul",
    "li",
    "div",
    "strong",
    "i",
    "blockquote",
    "cite",
    "svg",
    "text",
    "line",
    "rect",
    "path",
    "circle",
    "g",
];

/// Checks what every page must be: well-formed, only elements a report
/// makes, no script and nothing fetched, every link to an anchor in the
/// page, every rule explained at `#rule-ID`. Returns the elements.
pub fn check_page(page: &str) -> Vec<Element> {
    assert!(page.starts_with("<!DOCTYPE html>\n"), "a page starts with <!DOCTYPE html>");
    let elements = parse(page);
    let ids: BTreeSet<&str> = elements.iter().filter_map(|e| e.attr("id")).collect();
    for e in &elements {
        assert!(MADE.contains(&e.name.as_str()), "an element the report does not make: <{}>", e.name);
        assert!(e.attrs.keys().all(|k| !k.starts_with("on") && k != "src"), "<{}> {:?}", e.name, e.attrs);
        if let Some(href) = e.attr("href") {
            let target = href.strip_prefix('#').unwrap_or_else(|| panic!("a link out of the page: {href}"));
            assert!(ids.contains(target), "a link to a missing anchor: {href}");
        }
    }
    for rule in indiv_spec::Rule::ALL {
        assert!(ids.contains(format!("rule-{}", rule.id()).as_str()), "{} is not explained", rule.id());
    }
    let csp = elements.iter().find(|e| e.attr("http-equiv") == Some("Content-Security-Policy")).expect("a CSP");
    assert!(csp.attr("content").is_some_and(|c| c.starts_with("default-src 'none'")), "{csp:?}");
    // Nothing names the outside world where a browser would fetch it.
    for e in &elements {
        for (key, value) in &e.attrs {
            assert!(key == "xmlns" || !value.contains("://"), "<{} {key}={value:?}>", e.name);
            assert!(!value.contains("url("), "<{} {key}={value:?}>", e.name);
        }
    }
    let style = elements.iter().find(|e| e.name == "style").expect("a style sheet");
    assert!(!style.text.contains("url(") && !style.text.contains("@import"));
    elements
}

fn count<'e>(elements: &'e [Element], name: &str, class: &str) -> Vec<&'e Element> {
    elements
        .iter()
        .filter(|e| e.name == name && e.attr("class").is_some_and(|c| c.split(' ').any(|w| w == class)))
        .collect()
}

fn indiv() -> Command {
    Command::new(env!("CARGO_BIN_EXE_indiv"))
}

fn engine_py() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/python-engine/engine.py")
}

/// `indiv certify --report DIR` of the Python engine with `bug` on `cases`.
pub fn certify_failing(dir: &Path) -> std::process::Output {
    let o = indiv()
        .args(["certify", "--jobs", "1", "--case", "reader-happy", "--case", "fault-short-body", "--report"])
        .arg(dir)
        .args(["--", "python3"])
        .arg(engine_py())
        .args(["--bug", "progress-past-total"])
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    o
}

#[test]
fn certify_writes_report_html_with_summary_coverage_and_a_timeline_per_case_with_violations_linked_to_rules() {
    let dir = tempfile::tempdir().expect("temp dir");
    certify_failing(dir.path());
    let page = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html is written");
    let elements = check_page(&page);
    let report = read_report(dir.path());
    let cases = report["cases"].as_array().expect("cases");
    assert_eq!(count(&elements, "svg", "timeline").len(), cases.len(), "one timeline per case");
    assert_eq!(count(&elements, "table", "coverage").len(), 1);
    assert_eq!(count(&elements, "table", "boundaries").len(), 1);
    let boundaries = report["boundary_coverage"]["rows"].as_array().expect("boundary rows");
    let unreached = boundaries.iter().filter(|r| r["cases"] == 0).count();
    assert_eq!(count(&elements, "tr", "unreached").len(), unreached, "one highlighted row per entry not reached");
    let coverage_rows = elements.iter().filter(|e| e.name == "tr").count();
    assert!(coverage_rows > indiv_spec::Rule::ALL.len(), "{coverage_rows} rows");
    // Each violation of report.json is marked on its case's timeline, linked to its rule.
    let marks = count(&elements, "a", "violation");
    let violations: Vec<(String, u64)> = cases
        .iter()
        .flat_map(|c| c["violations"].as_array().expect("violations").iter())
        .map(|v| (v["rule"].as_str().expect("rule").to_string(), v["line"].as_u64().expect("line")))
        .collect();
    assert!(!violations.is_empty());
    assert_eq!(marks.len(), violations.len());
    for ((rule, line), mark) in violations.iter().zip(&marks) {
        assert_eq!(mark.attr("href"), Some(format!("#rule-{rule}").as_str()));
        assert!(mark.text.starts_with(&format!("{rule} (")), "{}", mark.text);
        assert!(mark.text.contains(&format!(") line {line}: ")), "{}", mark.text);
    }
    // The service's exchanges are drawn beside the engine's statuses.
    let exchanges = count(&elements, "g", "exchange");
    assert!(exchanges.iter().any(|g| g.text.contains("GET package: status 200")), "{exchanges:?}");
    assert!(count(&elements, "g", "faulty").iter().any(|g| g.text.contains("not written in full")));
    // The summary names the testee and the counts.
    let body = &elements.iter().find(|e| e.name == "body").expect("body").text;
    let testee = report["testee"]["implementation"]["name"].as_str().expect("the testee's name");
    assert!(body.contains(testee), "the testee is named");
    let fail = format!("FAIL {}", report["counts"]["fail"]);
    assert!(body.contains(&fail), "{fail}: {}", &body[..body.len().min(2000)]);
}

#[test]
fn a_passing_play_that_kept_no_trace_is_reported_without_a_timeline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = indiv()
        .args(["certify", "--jobs", "1", "--case", "reader-happy", "--repeat", "2", "--report"])
        .arg(dir.path())
        .output()
        .expect("run indiv certify");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let page = std::fs::read_to_string(dir.path().join("report.html")).expect("report.html");
    let elements = check_page(&page);
    assert_eq!(count(&elements, "svg", "timeline").len(), 1, "round 1 only");
    assert!(page.contains("No trace kept"));
    assert!(elements.iter().any(|e| e.attr("id") == Some("case-2")));
}

/// A trace whose strings carry markup, quotes, `]]>` and control characters.
pub fn hostile_trace() -> String {
    let url = "https://x/<script>alert(1)</script>\\\"'&amp;]]><!-- \\u0001\\u001b<img src=x onerror=alert(2)>";
    let status = format!(
        r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{{"enIndiStatus":"INDI_DOWNLOAD","pszIndiRespUrl":"{url}","dwHTTPRequest":1,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":9,"dwHTTPReadTotal":4}}}}"#
    );
    format!("{{\"kind\":\"call\",\"api\":\"Individualize\",\"flags\":1}}\n{status}\n{status}\n")
}

#[test]
fn check_format_html_escapes_hostile_trace_text_and_file_names_so_nothing_is_injected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("<b>x'\"&.jsonl");
    std::fs::write(&file, hostile_trace()).expect("write trace");
    let o = indiv().args(["check", "--format", "html"]).arg(&file).output().expect("run indiv check");
    assert_eq!(o.status.code(), Some(1), "{}", output_text(&o));
    let page = String::from_utf8(o.stdout).expect("UTF-8");
    let elements = check_page(&page);
    assert!(!elements.iter().any(|e| matches!(e.name.as_str(), "script" | "img" | "b")));
    // The text is there, as text: quoted in the violations, the name in the heading.
    let pre: Vec<&Element> = elements.iter().filter(|e| e.name == "pre").collect();
    assert!(pre.iter().any(|p| p.text.contains("<script>alert(1)</script>")), "{pre:?}");
    let heading = elements.iter().find(|e| e.name == "h2" && e.text.contains(".jsonl")).expect("a heading");
    assert!(heading.text.contains("<b>x'\"&.jsonl"), "{}", heading.text);
    assert!(!page.contains('\u{1}') && !page.contains('\u{1b}'), "control characters are replaced");
    assert!(count(&elements, "circle", "beyond").len() >= 2, "progress 9 of 4 is marked");
}

#[test]
fn a_case_name_and_testee_words_with_markup_are_escaped_in_report_html() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shown = indiv().args(["certify", "--show", "reader-happy"]).output().expect("run indiv certify --show");
    let text = String::from_utf8(shown.stdout).expect("UTF-8");
    let hostile = r#"<script>alert(1)</script>"'&]]>"#;
    let toml_name = format!("name = {}", toml::Value::String(hostile.into()));
    let text = text
        .lines()
        .map(|l| if l.starts_with("name = ") { toml_name.clone() } else { l.into() })
        .collect::<Vec<_>>()
        .join("\n");
    let case = dir.path().join("case.toml");
    std::fs::write(&case, text).expect("write case file");
    let report = dir.path().join("report");
    let o = indiv().arg("certify").arg("--case-file").arg(&case).arg("--report").arg(&report).output().expect("run");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let page = std::fs::read_to_string(report.join("report.html")).expect("report.html");
    let elements = check_page(&page);
    assert!(!elements.iter().any(|e| e.name == "script"));
    let heading = elements.iter().find(|e| e.name == "h3" && e.text.contains("alert")).expect("the case's heading");
    assert!(heading.text.starts_with(hostile), "{}", heading.text);
}

#[test]
fn a_trace_of_a_million_records_makes_a_bounded_page_that_says_it_was_downsampled() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("big.jsonl");
    let o = indiv().args(["gen", "--records", "1000000", "--seed", "1", "--out"]).arg(&file).output().expect("gen");
    assert!(o.status.success(), "{}", output_text(&o));
    let o = indiv().args(["check", "--format", "html"]).arg(&file).output().expect("run indiv check");
    assert_eq!(o.status.code(), Some(0), "{}", output_text(&o));
    let page = String::from_utf8(o.stdout).expect("UTF-8");
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
    let elements = check_page(&page);
    assert_eq!(count(&elements, "svg", "timeline").len(), 1);
    let note = count(&elements, "p", "note").into_iter().find(|p| p.text.contains("is drawn")).expect("a note");
    assert!(note.text.contains("one record in every 512 is drawn"), "{}", note.text);
}
