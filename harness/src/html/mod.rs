//! HTML reports: certify's `report.html` ([`render_report_html`], a
//! function of one run's results) and the pieces `indiv check --format
//! html` writes ([`page_start`], a section per trace around a
//! [`Timeline`], [`page_end`]). The one home of the timeline drawing is
//! [`timeline`].
//!
//! Every page is one self-contained file: inline CSS and inline SVG, no
//! script (a Content-Security-Policy forbids scripts and every fetch) and no
//! external URL; links point within the page (`#rule-ID`, `#case-N`), where
//! each rule is explained (statement, level, basis, citation). Every piece
//! of outside text (trace strings, messages, case names, the testee's
//! words, the program's path) is escaped by [`esc`] for text and attribute
//! context alike; control characters become U+FFFD. The page is also
//! well-formed XML (void elements are self-closed, no `<` or `&` in the
//! style sheet), which lets tests parse it without a browser.
//!
//! Bounded: a timeline keeps at most [`timeline::MAX_POINTS`] records,
//! [`timeline::MAX_MARKS`] violations and [`timeline::MAX_EXCHANGES`]
//! exchanges, and `report.html` draws at most [`MAX_TIMELINES`] cases'
//! timelines (failing plays first), saying how many more it left out.

pub mod timeline;

use std::fmt::Write as _;

use indiv_spec::text::xml_escape;
use indiv_spec::{Level, Rule, Spec};

use crate::coverage;
use crate::run::{CaseOutcome, RunSummary};
use crate::runner::Verdict;

pub use timeline::Timeline;

/// The report file's name in the report directory.
pub const REPORT_HTML: &str = "report.html";
/// The most cases whose timelines `report.html` draws.
pub const MAX_TIMELINES: usize = 300;

/// `text` escaped for HTML text and (double- or single-quoted) attribute
/// values: `&`, `<`, `>`, `"`, `'` as entities, CR as `&#xD;`, other control
/// characters as U+FFFD.
pub fn esc(text: &str) -> String {
    xml_escape(text)
}

const STYLE: &str = "
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.verdict { font-weight: bold; padding: 0 .4em; border-radius: 3px; color: #fff; }
.PASS { background: #31a354; } .NONSTRICT { background: #b8860b; } .INCONCLUSIVE { background: #8c6bb1; }
.FAIL { background: #de2d26; } .ERROR { background: #a50f15; } .SKIP { background: #777; } .XFAIL { background: #555; }
.counts span { margin-right: 1em; } .note { color: #555; font-style: italic; }
.unexercised, .unreached { background: #fff3cd; } .fired { color: #de2d26; font-weight: bold; }
pre { background: #f6f6f6; padding: .4em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: .2em 0; }
svg.timeline { width: 100%; height: auto; background: #fcfcfc; border: 1px solid #eee; }
svg.timeline text { font: 11px sans-serif; fill: #333; }
svg.timeline .grid { stroke: #eee; } svg.timeline .call { stroke: #222; stroke-width: 2; }
svg.timeline .refused { stroke: #de2d26; } svg.timeline .status { stroke: #888; } svg.timeline .other { stroke: #3182bd; stroke-width: 2; }
svg.timeline .progress { fill: none; stroke: #3182bd; stroke-width: 1.5; } svg.timeline .total { stroke: #999; stroke-dasharray: 4 3; }
svg.timeline .beyond { fill: #de2d26; }
svg.timeline .exchange rect { fill: #c7e9c0; stroke: #31a354; } svg.timeline .faulty rect { fill: #fcbba1; stroke: #de2d26; }
svg.timeline .violation line { stroke-width: 2; stroke-dasharray: 3 2; } svg.timeline .violation path { stroke: none; }
svg.timeline .must line { stroke: #de2d26; } svg.timeline .must path { fill: #de2d26; }
svg.timeline .should line { stroke: #b8860b; } svg.timeline .should path { fill: #b8860b; }
ol.violations li.must { color: #a50f15; } ol.violations li.should { color: #8a6d0b; }
ol.violations pre, ol.violations .service { color: #333; }
.legend span { display: inline-block; margin-right: .8em; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 3px; vertical-align: middle; }
section.rule { border-left: 3px solid #ddd; padding-left: .8em; margin: 1em 0; } section.rule:target { border-color: #de2d26; background: #fff5f5; }
blockquote { margin: .3em 0 .3em 1em; color: #444; } .level { font-size: .85em; color: #555; }
";

/// The start of a page titled `title`: the head with its style sheet and
/// Content-Security-Policy, and the opening of the body.
pub fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)
    )
}

/// The end of a page: the legend of the timelines, the explanation of every
/// rule of the spec (each at `#rule-ID`), and the closing tags.
pub fn page_end(spec: &Spec) -> String {
    let mut out = String::from("<h2 id=\"rules\">Rules</h2>\n");
    let _ = writeln!(
        out,
        "<p>Spec {} (<code>{}</code>): {} rules.</p>",
        esc(&spec.version),
        esc(&spec.hash),
        Rule::ALL.len()
    );
    for &rule in Rule::ALL {
        out.push_str(&rule_section(spec, rule));
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The legend of the timelines, in the colours they are drawn in.
pub fn legend() -> String {
    use indiv_spec::vocab::{HttpStatus, IndiStatus};
    let mut out = String::from("<p class=\"legend\">");
    let mut item = |colour: &str, what: &str| {
        let _ = write!(out, "<span><i style=\"background: {colour}\"></i>{what}</span>");
    };
    for s in IndiStatus::ALL.iter().filter(|s| **s != IndiStatus::Undefined) {
        item(timeline::phase_colour(s.value()), s.name());
    }
    for s in HttpStatus::ALL {
        item(timeline::http_colour(s.value()), s.name());
    }
    item(timeline::MUST_COLOUR, "a must violation");
    item(timeline::SHOULD_COLOUR, "a should violation");
    item("#c7e9c0", "service exchange (Q query, P package; red when cut or refused)");
    out.push_str(
        "<span>records lane: black calls (red when refused), grey statuses, blue other records; \
         progress lane: dwHTTPReadProgress against the dashed dwHTTPReadTotal</span></p>\n",
    );
    out
}

fn rule_section(spec: &Spec, rule: Rule) -> String {
    let info = spec.rule(rule);
    let mut out = format!(
        "<section class=\"rule\" id=\"rule-{}\">\n<h3>{} <span class=\"level\">{} ({}, {})</span></h3>\n<p>{}</p>\n",
        rule.id(),
        rule.id(),
        info.level.name(),
        info.basis.name(),
        esc(info.area.title()),
        esc(&info.statement)
    );
    for q in &info.citation.quotes {
        let source =
            spec.source(&q.source).map_or(q.source.clone(), |s| format!("{}, spec/sources/{}", s.title, s.file));
        let _ = writeln!(out, "<blockquote>“{}” <cite>({})</cite></blockquote>", esc(&q.quote), esc(&source));
    }
    if let Some(reasoning) = &info.citation.reasoning {
        let _ = writeln!(out, "<p>Reasoning: {}</p>", esc(reasoning));
    }
    for reading in &info.readings {
        let _ = writeln!(out, "<p class=\"note\">Reading: {}</p>", esc(reading));
    }
    let _ = writeln!(out, "<p class=\"note\">More: <code>indiv explain {}</code></p>\n</section>", rule.id());
    out
}

fn verdict_badge(verdict: &str) -> String {
    format!("<span class=\"verdict {verdict}\">{verdict}</span>")
}

/// The timeline of a certify case: its trace's records, its findings and
/// the service's exchanges.
pub fn case_timeline(r: &crate::CaseResult) -> Timeline {
    let mut timeline = Timeline::of_trace(&r.trace);
    for f in &r.findings {
        timeline.violation_with_log(f.rule, f.level, f.line, &f.message, f.record.as_deref(), &f.service_log);
    }
    for (line, e) in &r.exchanges {
        timeline.exchange(*line, e);
    }
    timeline
}

/// `report.html` of one run: the run summary with a table of the cases,
/// per case its verdict, what went wrong, and its timeline with each
/// violation marked and linked to its rule's explanation, then the rule
/// coverage matrix and the rules. `trace_files` are
/// the cases' trace files relative to the report directory (see
/// [`crate::report::trace_paths`]).
pub fn render_report_html(spec: &Spec, summary: &RunSummary, trace_files: &[Option<String>]) -> String {
    let mut out = page_start("indiv certify report");
    summary_section(&mut out, spec, summary);
    cases_table(&mut out, summary);
    out.push_str("<h2 id=\"cases\">Cases</h2>\n");
    out.push_str(&legend());
    // Which cases get a timeline: failing plays first, then in run order.
    let mut order: Vec<usize> =
        (0..summary.cases.len()).filter(|&i| !summary.cases[i].result.trace.is_empty()).collect();
    order.sort_by_key(|&i| (summary.cases[i].result.verdict == Verdict::Pass, i));
    let drawn: std::collections::HashSet<usize> = order.iter().copied().take(MAX_TIMELINES).collect();
    let left_out = order.len().saturating_sub(MAX_TIMELINES);
    if left_out > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">Timelines are drawn for {MAX_TIMELINES} cases (failing plays first); {left_out} more not drawn.</p>"
        );
    }
    for (i, outcome) in summary.cases.iter().enumerate() {
        case_section(
            &mut out,
            i,
            outcome,
            trace_files.get(i).and_then(Option::as_deref),
            drawn.contains(&i),
            summary.repeated,
        );
    }
    coverage_section(&mut out, spec, summary);
    out.push_str(&page_end(spec));
    out
}

fn summary_section(out: &mut String, spec: &Spec, summary: &RunSummary) {
    out.push_str("<h2 id=\"summary\">Summary</h2>\n<table>\n<tbody>\n");
    let _ = writeln!(out, "<tr><th>spec</th><td>{} <code>{}</code></td></tr>", esc(&spec.version), esc(&spec.hash));
    let _ = writeln!(out, "<tr><th>tool</th><td>indiv {}</td></tr>", env!("CARGO_PKG_VERSION"));
    if let Some((implementation, capabilities)) = &summary.testee {
        let caps: Vec<String> = capabilities.iter().map(|c| format!("{c:?}").to_lowercase()).collect();
        let _ = writeln!(
            out,
            "<tr><th>testee</th><td>{} {} ({}); capabilities: {}</td></tr>",
            esc(&implementation.name),
            esc(&implementation.version),
            esc(&implementation.language),
            esc(&caps.join(", "))
        );
    }
    let program: Vec<String> = summary.program.iter().map(|w| w.to_string_lossy().into_owned()).collect();
    let _ = writeln!(out, "<tr><th>program</th><td><code>{}</code></td></tr>", esc(&program.join(" ")));
    let _ = writeln!(out, "<tr><th>strict</th><td>{}</td></tr>", if summary.strict { "yes" } else { "no" });
    out.push_str("</tbody>\n</table>\n");
    let c = summary.counts();
    out.push_str("<p class=\"counts\">");
    for (name, n) in [
        ("PASS", c.pass),
        ("NONSTRICT", c.nonstrict),
        ("INCONCLUSIVE", c.inconclusive),
        ("FAIL", c.fail),
        ("ERROR", c.error),
        ("SKIP", c.skip),
        ("XFAIL", c.xfail),
    ] {
        let _ = write!(out, "<span>{} {n}</span>", verdict_badge(name));
    }
    let _ = writeln!(out, "<span>{} {}</span></p>", c.total(), if c.total() == 1 { "play" } else { "plays" });
    if summary.incomplete {
        out.push_str("<p><strong>Interrupted: this report is incomplete.</strong></p>\n");
    }
    if summary.protocol_mismatch {
        out.push_str(
            "<p><strong>Stopped at the first protocol mismatch: the cases after it did not run.</strong></p>\n",
        );
    }
    let flaky = summary.flaky();
    if !flaky.is_empty() {
        out.push_str("<p><strong>Flaky: these cases came to different verdicts across plays.</strong></p>\n<ul>\n");
        for f in &flaky {
            let _ = writeln!(out, "<li>{}: {}</li>", esc(&f.name), f.verdicts_in_words());
        }
        out.push_str("</ul>\n");
    }
    if let Some(x) = &summary.expectations {
        out.push_str("<p>Expectations:</p>\n<ul>\n");
        for (e, status) in x.statuses() {
            let _ =
                writeln!(out, "<li>{}: {}</li>", esc(&e.describe()), esc(&crate::report::entry_status_name(&status)));
        }
        out.push_str("</ul>\n");
    }
}

fn cases_table(out: &mut String, summary: &RunSummary) {
    out.push_str(
        "<table class=\"cases\">\n<thead><tr><th>case</th><th>verdict</th><th>rules broken</th><th>time</th></tr></thead>\n<tbody>\n",
    );
    for (i, outcome) in summary.cases.iter().enumerate() {
        let r = &outcome.result;
        let mut rules: Vec<Rule> = r.findings.iter().map(|f| f.rule).collect();
        rules.sort();
        rules.dedup();
        let rules: Vec<String> = rules.iter().map(|rule| format!("<a href=\"#rule-{0}\">{0}</a>", rule.id())).collect();
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#case-{}\">{}</a>{}</td><td>{}</td><td>{}</td><td>{:.2} s</td></tr>",
            i + 1,
            esc(&r.name),
            if summary.repeated { format!(" (round {})", outcome.round) } else { String::new() },
            verdict_badge(r.verdict.as_str()),
            rules.join(", "),
            r.duration.as_secs_f64()
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn coverage_section(out: &mut String, spec: &Spec, summary: &RunSummary) {
    out.push_str("<h2 id=\"coverage\">Rule coverage</h2>\n");
    out.push_str(
        "<p>For each rule: in how many plays its condition arose (exercised) and in how many it fired. \
         A rule no play exercised is one this run says nothing about (highlighted).</p>\n",
    );
    out.push_str(
        "<table class=\"coverage\">\n<thead><tr><th>rule</th><th>level</th><th>area</th><th>exercised</th><th>fired</th></tr></thead>\n<tbody>\n",
    );
    for row in coverage::matrix(spec, summary.cases.iter().map(|c| &c.result)) {
        let info = spec.rule(row.rule);
        let _ = writeln!(
            out,
            "<tr{}><td><a href=\"#rule-{1}\">{1}</a></td><td>{2}</td><td>{3}</td><td>{4}</td><td{5}>{6}</td></tr>",
            if row.exercised == 0 { " class=\"unexercised\"" } else { "" },
            row.rule.id(),
            info.level.name(),
            esc(info.area.title()),
            row.exercised,
            if row.fired > 0 { " class=\"fired\"" } else { "" },
            row.fired
        );
    }
    out.push_str("</tbody>\n</table>\n");
    let rows = &summary.boundaries;
    let (reached, of) = coverage::reached_of(rows);
    out.push_str("<h2 id=\"boundaries\">Boundary coverage</h2>\n");
    let _ = writeln!(
        out,
        "<p>{reached} of {of} entries of the boundary catalogue reached: for each value at the edge of a comparison \
         the spec makes, in how many judged plays the case met it (judged on the reference engine's play of the case). \
         An entry no play reached is highlighted.</p>"
    );
    out.push_str(
        "<table class=\"boundaries\">\n<thead><tr><th>boundary</th><th>rules</th><th>cases</th></tr></thead>\n<tbody>\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td></tr>",
            if row.cases == 0 { " class=\"unreached\"" } else { "" },
            esc(row.entry.id),
            esc(&row.entry.rules.join(", ")),
            row.cases
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn case_section(
    out: &mut String,
    i: usize,
    outcome: &CaseOutcome,
    trace_file: Option<&str>,
    draw: bool,
    repeated: bool,
) {
    let r = &outcome.result;
    let _ = writeln!(
        out,
        "<section class=\"case\" id=\"case-{}\">\n<h3>{}{} {}</h3>",
        i + 1,
        esc(&r.name),
        if repeated { format!(" (round {})", outcome.round) } else { String::new() },
        verdict_badge(r.verdict.as_str())
    );
    if let Some(error) = &r.error {
        let _ = writeln!(out, "<p>{}</p>", esc(error));
    }
    if let Some(expected) = &outcome.expected {
        let _ = writeln!(out, "<p>Expected failure: {}</p>", esc(&expected.join("; ")));
    }
    if !r.goals.is_empty() {
        out.push_str("<ul class=\"goals\">");
        for (goal, reached) in &r.goals {
            let _ = write!(out, "<li>{} {}</li>", if *reached { "✓" } else { "✗ not reached:" }, esc(goal));
        }
        out.push_str("</ul>\n");
    }
    if let Some((failed, played)) = outcome.reproduces {
        let _ = writeln!(out, "<p>The minimal case reproduces {failed} of {played}.</p>");
    }
    let _ = writeln!(out, "<p>Reproduce: <code>{}</code></p>", esc(&outcome.reproduce));
    if !r.stderr.is_empty() {
        let _ = writeln!(out, "<p>The testee's stderr (its end):</p>\n<pre>{}</pre>", esc(&r.stderr));
    }
    match trace_file {
        Some(file) if draw => {
            let _ = writeln!(out, "<p>Trace: <code>{}</code></p>", esc(file));
            out.push_str(&case_timeline(r).html());
        }
        Some(file) => {
            let _ = writeln!(out, "<p>Trace: <code>{}</code> (timeline not drawn)</p>", esc(file));
            list_findings(out, r);
        }
        None => {
            out.push_str(
                "<p class=\"note\">No trace kept (a passing play after the first round keeps its verdict only).</p>\n",
            );
            list_findings(out, r);
        }
    }
    out.push_str("</section>\n");
}

/// The findings of a case drawn without a timeline.
fn list_findings(out: &mut String, r: &crate::CaseResult) {
    if r.findings.is_empty() {
        return;
    }
    out.push_str("<ul>\n");
    for f in r.findings.iter().take(timeline::MAX_MARKS) {
        let _ = writeln!(
            out,
            "<li><a href=\"#rule-{0}\">{0}</a> ({1}) line {2}: {3}</li>",
            f.rule.id(),
            f.level.name(),
            f.line,
            esc(&indiv_spec::text::shorten(&f.message, 240))
        );
    }
    out.push_str("</ul>\n");
    if r.findings.len() > timeline::MAX_MARKS {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} more violations not shown.</p>",
            r.findings.len() - timeline::MAX_MARKS
        );
    }
}

/// The level's CSS class.
pub fn level_class(level: Level) -> &'static str {
    match level {
        Level::Must => "must",
        Level::Should => "should",
    }
}
