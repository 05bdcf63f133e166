//! The timeline of one trace, drawn as inline SVG: the records along the
//! x axis (by line), and one lane each for the calls and other records, the
//! session phase (`enIndiStatus`), the HTTP status (`enHTTPStatus`), the
//! progress against the total (`dwHTTPReadProgress / dwHTTPReadTotal`) and,
//! for a certify case, the service's exchanges beside the engine's statuses.
//! Each violation is a mark across the lanes at its line, linked to its
//! rule's explanation in the page (`#rule-ID`).
//!
//! A [`Timeline`] is built as the records stream by and keeps a bounded
//! summary: at most [`MAX_POINTS`] records are drawn (beyond that one record
//! in every `stride`, a power of two, the page says so; the lanes show the
//! last status seen up to each drawn record), at most [`MAX_MARKS`]
//! violations and [`MAX_EXCHANGES`] exchanges are kept (then how many more
//! were not shown). Everything quoted from outside (messages, records,
//! names) is shortened and escaped.

use std::fmt::Write as _;

use indiv_service_rules::{ExchangeKind, ExchangeRecord};
use indiv_spec::record::{Body, Call, Event, IndividualizeStatus, Record, Status};
use indiv_spec::text::shorten;
use indiv_spec::vocab::{HttpStatus, IndiStatus};
use indiv_spec::{Level, Rule};

use super::esc;

/// The most records drawn per timeline.
pub const MAX_POINTS: usize = 2048;
/// The most violations kept (marked and listed) per timeline.
pub const MAX_MARKS: usize = 500;
/// The most service exchanges drawn per timeline.
pub const MAX_EXCHANGES: usize = 500;
/// The longest message or quoted record kept, in characters.
const QUOTE: usize = 240;

/// The figures of a `WM_INDIVIDUALIZE_STATUS`, as drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Figures {
    indi: u32,
    http: u32,
    progress: u32,
    total: u32,
}

impl Figures {
    fn of(value: &IndividualizeStatus<'_>) -> Figures {
        Figures { indi: value.indi, http: value.http, progress: value.progress, total: value.total }
    }
}

/// What a drawn record was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    /// A call, accepted or not.
    Call(&'static str, bool),
    /// A status or event carrying figures.
    Figures,
    /// Another record (header, `WMT_NEEDS_INDIVIDUALIZATION`, ...).
    Other(&'static str),
}

/// One drawn record.
#[derive(Clone, Copy, Debug)]
struct Point {
    line: u64,
    mark: Mark,
    /// The last figures seen up to this record.
    figures: Option<Figures>,
}

/// One violation on the timeline.
#[derive(Clone, Debug)]
struct Violation {
    rule: Rule,
    level: Level,
    line: u64,
    message: String,
    quote: Option<String>,
    service_log: Vec<String>,
}

/// A trace's timeline, built record by record in bounded memory.
#[derive(Clone, Debug)]
pub struct Timeline {
    points: Vec<Point>,
    stride: u64,
    last_line: u64,
    current: Option<Figures>,
    violations: Vec<Violation>,
    violations_dropped: u64,
    exchanges: Vec<(u64, ExchangeRecord)>,
    exchanges_dropped: u64,
}

impl Default for Timeline {
    fn default() -> Timeline {
        Timeline::new()
    }
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Timeline {
        Timeline {
            points: Vec::new(),
            stride: 1,
            last_line: 0,
            current: None,
            violations: Vec::new(),
            violations_dropped: 0,
            exchanges: Vec::new(),
            exchanges_dropped: 0,
        }
    }

    /// The timeline of a whole trace in memory (a certify case's), with
    /// every record that decodes; reading stops at the first that does not.
    pub fn of_trace(trace: &str) -> Timeline {
        let mut timeline = Timeline::new();
        let mut reader = indiv_spec::reader::TraceReader::new(trace.as_bytes());
        while let Ok(Some(line)) = reader.next_line() {
            timeline.record(line.number, &line.record);
        }
        timeline
    }

    /// Takes the record at `line` (lines arrive in order).
    pub fn record(&mut self, line: usize, record: &Record<'_>) {
        let line = line as u64;
        self.last_line = self.last_line.max(line);
        let mark = match &record.body {
            Body::Header { .. } => Mark::Other("header"),
            Body::Call { call, hr } => Mark::Call(call_name(call), hr.is_success()),
            Body::Status { status: Status::Individualize(value), .. }
            | Body::Event { event: Event::Progress(value), .. } => {
                self.current = Some(Figures::of(value));
                Mark::Figures
            }
            Body::Status { status: Status::NeedsIndividualization, .. } => Mark::Other("WMT_NEEDS_INDIVIDUALIZATION"),
            Body::Status { status: Status::NoRightsEx, .. } => Mark::Other("WMT_NO_RIGHTS_EX"),
            Body::Event { event: Event::Completed, .. } => Mark::Other("MEWMDRMIndividualizationCompleted"),
            Body::Event { event: Event::RevocationCompleted, .. } => Mark::Other("MEWMDRMRevocationDownloadCompleted"),
        };
        if line.saturating_sub(1) % self.stride != 0 {
            return;
        }
        self.points.push(Point { line, mark, figures: self.current });
        if self.points.len() > MAX_POINTS {
            // Keep every second drawn record: one in every 2 × stride.
            let stride = self.stride * 2;
            self.points.retain(|p| p.line.saturating_sub(1) % stride == 0);
            self.stride = stride;
        }
    }

    /// Marks a violation of `rule` at `line`, with the text of its line.
    pub fn violation(&mut self, rule: Rule, level: Level, line: usize, message: &str, quote: Option<&str>) {
        self.violation_with_log(rule, level, line, message, quote, &[]);
    }

    /// Marks a violation with the service's log it was judged against.
    pub fn violation_with_log(
        &mut self,
        rule: Rule,
        level: Level,
        line: usize,
        message: &str,
        quote: Option<&str>,
        service_log: &[String],
    ) {
        if self.violations.len() >= MAX_MARKS {
            self.violations_dropped += 1;
            return;
        }
        self.violations.push(Violation {
            rule,
            level,
            line: line as u64,
            message: shorten(message, QUOTE),
            quote: quote.map(|q| shorten(q, QUOTE)),
            service_log: service_log.iter().take(8).map(|l| shorten(l, QUOTE)).collect(),
        });
    }

    /// Adds what the service did in one exchange, seen by trace line `line`.
    pub fn exchange(&mut self, line: usize, exchange: &ExchangeRecord) {
        if self.exchanges.len() >= MAX_EXCHANGES {
            self.exchanges_dropped += 1;
            return;
        }
        self.exchanges.push((line as u64, exchange.clone()));
    }

    /// The number of the last record taken.
    pub fn records(&self) -> u64 {
        self.last_line
    }

    /// Whether any exchange was added (the service lane is drawn).
    fn has_service(&self) -> bool {
        !self.exchanges.is_empty()
    }

    /// The timeline as an `<svg>` element, then its notes (downsampling)
    /// and the list of its violations, each linked to `#rule-ID`.
    pub fn html(&self) -> String {
        let mut out = self.svg();
        if self.stride > 1 {
            let _ = writeln!(
                out,
                "<p class=\"note\">{} records: one record in every {} is drawn (at most {MAX_POINTS} per timeline); \
                 every violation is marked at its own line.</p>",
                self.last_line, self.stride
            );
        }
        out.push_str(&self.violation_list());
        out
    }

    fn x(&self, line: u64) -> f64 {
        let span = self.last_line.saturating_sub(1).max(1) as f64;
        let line = line.min(self.last_line.max(1));
        LEFT + (line.saturating_sub(1) as f64) / span * WIDTH
    }

    fn svg(&self) -> String {
        let lanes: &[&str] = if self.has_service() {
            &["records", "phase", "HTTP", "progress", "service"]
        } else {
            &["records", "phase", "HTTP", "progress"]
        };
        let height = TOP + LANE * lanes.len() as f64 + 24.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {:.0} {height:.0}\" \
             role=\"img\" aria-label=\"timeline of {} records\">",
            LEFT + WIDTH + 20.0,
            self.last_line
        );
        for (i, name) in lanes.iter().enumerate() {
            let y = lane_y(i);
            let _ = writeln!(
                s,
                "<text class=\"lane\" x=\"4\" y=\"{:.1}\">{name}</text><line class=\"grid\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
                y + LANE / 2.0 + 4.0,
                y + LANE - 2.0,
                LEFT + WIDTH,
                y + LANE - 2.0
            );
        }
        self.records_lane(&mut s, lane_y(0));
        self.runs_lane(&mut s, lane_y(1), |f| f.indi, phase_name, phase_colour);
        self.runs_lane(&mut s, lane_y(2), |f| f.http, http_name, http_colour);
        self.progress_lane(&mut s, lane_y(3));
        if self.has_service() {
            self.service_lane(&mut s, lane_y(4));
        }
        // The axis: the first and last line.
        let axis = TOP + LANE * lanes.len() as f64 + 14.0;
        let _ = writeln!(
            s,
            "<text class=\"axis\" x=\"{LEFT}\" y=\"{axis:.1}\">line 1</text>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{axis:.1}\" text-anchor=\"end\">line {}</text>",
            LEFT + WIDTH,
            self.last_line
        );
        let bottom = TOP + LANE * lanes.len() as f64;
        for v in &self.violations {
            let x = self.x(v.line);
            let class = super::level_class(v.level);
            let _ = writeln!(
                s,
                "<a class=\"violation {class}\" href=\"#rule-{}\"><title>{} ({}) line {}: {}</title>\
                 <line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"/>\
                 <path d=\"M{:.1} {:.1} L{:.1} {:.1} L{x:.1} {TOP:.1} Z\"/></a>",
                v.rule.id(),
                v.rule.id(),
                v.level.name(),
                v.line,
                esc(&v.message),
                TOP - 10.0,
                x - 5.0,
                TOP - 12.0,
                x + 5.0,
                TOP - 12.0,
            );
        }
        s.push_str("</svg>\n");
        s
    }

    fn records_lane(&self, s: &mut String, y: f64) {
        for p in &self.points {
            let x = self.x(p.line);
            let (class, title) = match p.mark {
                Mark::Call(api, true) => ("call", format!("line {}: {api}", p.line)),
                Mark::Call(api, false) => ("call refused", format!("line {}: {api} (refused)", p.line)),
                Mark::Figures => ("status", format!("line {}: status", p.line)),
                Mark::Other(name) => ("other", format!("line {}: {name}", p.line)),
            };
            let (top, bottom) =
                if matches!(p.mark, Mark::Call(..)) { (y + 2.0, y + LANE - 4.0) } else { (y + 10.0, y + LANE - 8.0) };
            let _ = writeln!(
                s,
                "<line class=\"{class}\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{bottom:.1}\"><title>{title}</title></line>"
            );
        }
    }

    /// One rectangle per run of drawn records with the same value.
    fn runs_lane(
        &self,
        s: &mut String,
        y: f64,
        value: fn(&Figures) -> u32,
        name: fn(u32) -> String,
        colour: fn(u32) -> &'static str,
    ) {
        let mut i = 0;
        while i < self.points.len() {
            let Some(v) = self.points[i].figures.as_ref().map(value) else {
                i += 1;
                continue;
            };
            let mut j = i + 1;
            while j < self.points.len() && self.points[j].figures.as_ref().map(value) == Some(v) {
                j += 1;
            }
            let start = self.x(self.points[i].line);
            let end = match self.points.get(j) {
                Some(p) => self.x(p.line),
                None => LEFT + WIDTH,
            };
            let (first, last) = (self.points[i].line, self.points[j - 1].line);
            let _ = writeln!(
                s,
                "<rect x=\"{start:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} (lines {first}–{last})</title></rect>",
                y + 4.0,
                (end - start).max(1.5),
                LANE - 8.0,
                colour(v),
                name(v),
            );
            i = j;
        }
    }

    fn progress_lane(&self, s: &mut String, y: f64) {
        // 0 at the bottom, the total at 80% of the lane; beyond it is drawn
        // up to 1.25 × total.
        let (bottom, full) = (y + LANE - 3.0, LANE - 3.0 - 6.0);
        let y_of = |f: &Figures| {
            let ratio = if f.total == 0 { 0.0 } else { (f.progress as f64 / f.total as f64).min(1.25) };
            bottom - ratio / 1.25 * full
        };
        let _ = writeln!(
            s,
            "<line class=\"total\" x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"><title>dwHTTPReadTotal</title></line>",
            bottom - full / 1.25,
            LEFT + WIDTH,
            bottom - full / 1.25
        );
        let mut path = String::new();
        for p in &self.points {
            if let Some(f) = &p.figures {
                let _ =
                    write!(path, "{}{:.1} {:.1}", if path.is_empty() { "M" } else { " L" }, self.x(p.line), y_of(f));
            }
        }
        if !path.is_empty() {
            let _ = writeln!(s, "<path class=\"progress\" d=\"{path}\"/>");
        }
        for p in &self.points {
            if let Some(f) = p.figures.filter(|f| f.progress > f.total && p.mark == Mark::Figures) {
                let _ = writeln!(
                    s,
                    "<circle class=\"beyond\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>line {}: progress {} beyond total {}</title></circle>",
                    self.x(p.line),
                    y_of(&f),
                    p.line,
                    f.progress,
                    f.total
                );
            }
        }
    }

    fn service_lane(&self, s: &mut String, y: f64) {
        for (n, (line, e)) in self.exchanges.iter().enumerate() {
            let x = self.x(*line);
            let label = match e.kind {
                ExchangeKind::Query => "Q",
                ExchangeKind::Package => "P",
                ExchangeKind::Other => "?",
            };
            let class = match e.status {
                Some(200) if e.completed => "exchange",
                _ => "exchange faulty",
            };
            let _ = writeln!(
                s,
                "<g class=\"{class}\"><title>exchange {n}, seen by line {line}: {}</title>\
                 <rect x=\"{:.1}\" y=\"{:.1}\" width=\"14\" height=\"{:.1}\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\">{label}</text></g>",
                esc(&e.describe()),
                x - 1.0,
                y + 4.0,
                LANE - 8.0,
                y + LANE / 2.0 + 4.0
            );
        }
    }

    fn violation_list(&self) -> String {
        let mut out = String::new();
        if self.violations.is_empty() {
            if self.exchanges_dropped > 0 {
                let _ = writeln!(out, "<p class=\"note\">{} more exchanges not shown.</p>", self.exchanges_dropped);
            }
            return out;
        }
        out.push_str("<ol class=\"violations\">\n");
        for v in &self.violations {
            let class = super::level_class(v.level);
            let _ = write!(
                out,
                "<li class=\"{class}\"><a href=\"#rule-{}\">{}</a> ({}) line {}: {}",
                v.rule.id(),
                v.rule.id(),
                v.level.name(),
                v.line,
                esc(&v.message)
            );
            if let Some(q) = &v.quote {
                let _ = write!(out, "<pre>{}</pre>", esc(q));
            }
            for l in &v.service_log {
                let _ = write!(out, "<div class=\"service\">service: {}</div>", esc(l));
            }
            out.push_str("</li>\n");
        }
        out.push_str("</ol>\n");
        if self.violations_dropped > 0 {
            let _ = writeln!(
                out,
                "<p class=\"note\">{} more violations not shown (at most {MAX_MARKS} per timeline).</p>",
                self.violations_dropped
            );
        }
        if self.exchanges_dropped > 0 {
            let _ = writeln!(out, "<p class=\"note\">{} more exchanges not shown.</p>", self.exchanges_dropped);
        }
        out
    }
}

/// The colour of a `must` violation's mark (as in the style sheet).
pub(crate) const MUST_COLOUR: &str = "#de2d26";
/// The colour of a `should` violation's mark (as in the style sheet).
pub(crate) const SHOULD_COLOUR: &str = "#b8860b";

const LEFT: f64 = 70.0;
const WIDTH: f64 = 1000.0;
const TOP: f64 = 16.0;
const LANE: f64 = 30.0;

fn lane_y(i: usize) -> f64 {
    TOP + LANE * i as f64
}

fn call_name(call: &Call<'_>) -> &'static str {
    call.api().name()
}

fn phase_name(v: u32) -> String {
    IndiStatus::from_value(v).map_or(format!("enIndiStatus {v}"), |s| s.name().to_string())
}

fn http_name(v: u32) -> String {
    HttpStatus::from_value(v).map_or(format!("enHTTPStatus {v}"), |s| s.name().to_string())
}

/// The colour a phase is drawn in.
pub(crate) fn phase_colour(v: u32) -> &'static str {
    match IndiStatus::from_value(v) {
        Some(IndiStatus::Begin) => "#9ecae1",
        Some(IndiStatus::Download) => "#3182bd",
        Some(IndiStatus::Install) => "#756bb1",
        Some(IndiStatus::Succeed) => "#31a354",
        Some(IndiStatus::Fail) => "#de2d26",
        Some(IndiStatus::Cancel) => "#fd8d3c",
        _ => "#555555",
    }
}

/// The colour an HTTP status is drawn in.
pub(crate) fn http_colour(v: u32) -> &'static str {
    match HttpStatus::from_value(v) {
        Some(HttpStatus::NotInitiated) => "#dddddd",
        Some(HttpStatus::Connecting) => "#fdd0a2",
        Some(HttpStatus::Requesting) => "#fdae6b",
        Some(HttpStatus::Receiving) => "#e6550d",
        Some(HttpStatus::Completed) => "#31a354",
        None => "#555555",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(indi: &str, progress: u32, total: u32) -> String {
        format!(
            r#"{{"kind":"status","status":"WMT_INDIVIDUALIZE","value":{{"enIndiStatus":"{indi}","pszIndiRespUrl":null,"dwHTTPRequest":1,"enHTTPStatus":"HTTP_RECEIVING","dwHTTPReadProgress":{progress},"dwHTTPReadTotal":{total}}}}}"#
        )
    }

    #[test]
    fn a_million_records_keep_at_most_the_stated_points_and_say_so() {
        let mut timeline = Timeline::new();
        let line = status("INDI_DOWNLOAD", 1, 2);
        let record = indiv_spec::record::decode_line(&line).expect("a record");
        for n in 1..=1_000_000 {
            timeline.record(n, &record);
        }
        assert!(timeline.points.len() <= MAX_POINTS, "{}", timeline.points.len());
        assert!(timeline.points.len() > MAX_POINTS / 2);
        assert_eq!(timeline.records(), 1_000_000);
        let html = timeline.html();
        assert!(html.contains("one record in every 512 is drawn"), "{}", &html[html.len() - 400..]);
        assert!(html.len() < 400_000, "{} bytes", html.len());
    }

    #[test]
    fn violations_beyond_the_cap_are_counted_not_kept() {
        let mut timeline = Timeline::new();
        for n in 0..MAX_MARKS + 7 {
            timeline.violation(Rule::ALL[0], Level::Must, n + 1, &"m".repeat(10_000), Some("q"));
        }
        assert_eq!(timeline.violations.len(), MAX_MARKS);
        assert!(timeline.violations.iter().all(|v| v.message.chars().count() <= QUOTE + 1));
        assert!(timeline.html().contains("7 more violations not shown"));
    }

    #[test]
    fn progress_beyond_the_total_is_marked() {
        let mut timeline = Timeline::new();
        for (n, (p, t)) in [(0, 10), (11, 10)].into_iter().enumerate() {
            let line = status("INDI_DOWNLOAD", p, t);
            timeline.record(n + 1, &indiv_spec::record::decode_line(&line).expect("a record"));
        }
        let svg = timeline.svg();
        assert!(svg.contains("line 2: progress 11 beyond total 10"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}
