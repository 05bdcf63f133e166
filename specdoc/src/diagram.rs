//! Diagrams of the two tables the checker reads from the spec file: the
//! session phase machine ([`PhaseTable`], `[session]`) and the HTTP status
//! order within a round trip ([`HttpOrder`], `[http]`).
//!
//! Each diagram comes as Graphviz DOT (`indiv spec --format dot [--diagram
//! phases|http]`, committed as `docs/diagrams/*.dot` with SVGs rendered by
//! `dot -Tsvg`) and as a Mermaid block for `docs/SPEC.md`. Both are drawn from
//! the loaded [`Spec`], never from a second copy of the tables: every arrow of
//! the phase diagram is an entry of `[session.may_follow]`, and the HTTP
//! diagram's chain is `[http].order`.
//!
//! [`PhaseTable`]: indiv_spec::catalog::PhaseTable
//! [`HttpOrder`]: indiv_spec::catalog::HttpOrder

use std::fmt::Write as _;

use indiv_spec::Spec;
use indiv_spec::vocab::{HttpStatus, IndiStatus};

/// One of the diagrams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Diagram {
    /// The session phase machine: which `enIndiStatus` may follow which.
    Phases,
    /// The HTTP status order within one round trip.
    Http,
}

impl Diagram {
    /// Both diagrams, in the order `indiv spec --format dot` prints them.
    pub const ALL: &'static [Diagram] = &[Diagram::Phases, Diagram::Http];

    /// The name used on the command line and for the files in `docs/diagrams/`.
    pub fn name(self) -> &'static str {
        match self {
            Diagram::Phases => "phases",
            Diagram::Http => "http",
        }
    }
}

/// Colours of the arrows into the terminal statuses, in value order
/// (INDI_SUCCEED, INDI_FAIL, INDI_CANCEL); more terminals reuse the last.
const TERMINAL_COLOURS: &[&str] = &["#2e7d32", "#c62828", "#616161"];

/// The phases in drawing order: the first status, the other non-terminal
/// phases in value order, then the terminal statuses in value order.
pub fn phase_order(spec: &Spec) -> Vec<IndiStatus> {
    let phases = &spec.phases;
    let mut order = vec![phases.first];
    order.extend(phases.phases().into_iter().filter(|p| *p != phases.first && !phases.is_terminal(*p)));
    order.extend(phases.terminals());
    order
}

/// The statuses that may follow `from`, in drawing order: phases first, then
/// terminal statuses.
pub fn successors(spec: &Spec, from: IndiStatus) -> Vec<IndiStatus> {
    let all = spec.phases.successors(from);
    let (terminal, phases): (Vec<_>, Vec<_>) = all.into_iter().partition(|s| spec.phases.is_terminal(*s));
    phases.into_iter().chain(terminal).collect()
}

fn terminal_colour(spec: &Spec, status: IndiStatus) -> Option<&'static str> {
    let at = spec.phases.terminals().iter().position(|t| *t == status)?;
    TERMINAL_COLOURS.get(at).or(TERMINAL_COLOURS.last()).copied()
}

/// Which round trip a status saying `status` is in, in words.
fn trip_of(spec: &Spec, status: HttpStatus) -> &'static str {
    if status == spec.http.before_any_trip {
        "before any trip"
    } else if status == spec.http.trip_finished {
        "in trip dwHTTPRequest - 1"
    } else {
        "in trip dwHTTPRequest"
    }
}

/// Both diagrams as DOT, one graph after the other.
pub fn dot_all(spec: &Spec) -> String {
    Diagram::ALL.iter().map(|d| dot(spec, *d)).collect::<Vec<_>>().join("\n")
}

/// One diagram as a Graphviz DOT graph.
pub fn dot(spec: &Spec, diagram: Diagram) -> String {
    match diagram {
        Diagram::Phases => phases_dot(spec),
        Diagram::Http => http_dot(spec),
    }
}

const DOT_HEADER: &str = "// Generated from spec/individualization.toml by `indiv spec --format dot --diagram";

fn phases_dot(spec: &Spec) -> String {
    let phases = &spec.phases;
    let mut out = String::new();
    let _ = writeln!(out, "{DOT_HEADER} phases`; do not edit.");
    out.push_str("digraph phases {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=14, labelloc=t, nodesep=0.5, ranksep=0.9,\n");
    let _ = writeln!(
        out,
        "         label=\"Session phases: which enIndiStatus may follow which ([session] of the spec)\\n\\n\"];"
    );
    out.push_str(
        "  node [fontname=\"Helvetica\", fontsize=12, shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\"];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10, color=\"#37474f\"];\n");
    out.push_str("  start [shape=circle, style=filled, fillcolor=black, width=0.18, label=\"\"];\n");
    for p in phase_order(spec) {
        let mut attrs = format!("label=\"{}\\n{:#x}\"", p.name(), p.value());
        if phases.is_terminal(p) {
            attrs.push_str(", peripheries=2");
            if let Some(colour) = terminal_colour(spec, p) {
                let _ = write!(attrs, ", color=\"{colour}\", fontcolor=\"{colour}\", fillcolor=white");
            }
        }
        let _ = writeln!(out, "  {} [{attrs}];", p.name());
    }
    // The terminal statuses in one column, in value order (invisible edges
    // keep that order within the rank).
    let terminals: Vec<&str> = phases.terminals().iter().map(|t| t.name()).collect();
    let _ = writeln!(out, "  {{ rank=same; {}; }}", terminals.join("; "));
    if terminals.len() > 1 {
        let _ = writeln!(out, "  {} [style=invis];", terminals.join(" -> "));
    }
    let _ = writeln!(out, "  start -> {} [label=\"accepted\\nstart call\"];", phases.first.name());
    // Arrows between phases first, the ones along the drawing order weighted to
    // keep the main line straight, then the arrows into terminal statuses.
    let order = phase_order(spec);
    for (at, from) in order.iter().enumerate() {
        for to in phases.successors(*from).into_iter().filter(|to| !phases.is_terminal(*to)) {
            let weight = if order.get(at + 1) == Some(&to) { " [weight=4]" } else { "" };
            let _ = writeln!(out, "  {} -> {}{weight};", from.name(), to.name());
        }
    }
    for from in &order {
        for to in phases.successors(*from).into_iter().filter(|to| phases.is_terminal(*to)) {
            let attrs = match terminal_colour(spec, to) {
                Some(colour) => format!(" [color=\"{colour}\"]"),
                None => String::new(),
            };
            let _ = writeln!(out, "  {} -> {}{attrs};", from.name(), to.name());
        }
    }
    let _ = writeln!(
        out,
        "  legend [shape=plaintext, style=\"\", fontsize=10, label=\"double border: a terminal status,\\nwhich ends the session\\n\\nan arrow from a phase to itself:\\nthe phase may repeat\"];"
    );
    let _ = writeln!(out, "  {{ rank=same; start; legend; }}");
    out.push_str("}\n");
    out
}

fn http_dot(spec: &Spec) -> String {
    let http = &spec.http;
    let mut out = String::new();
    let _ = writeln!(out, "{DOT_HEADER} http`; do not edit.");
    out.push_str("digraph http {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=14, labelloc=t, nodesep=0.4, ranksep=0.45,\n");
    let _ = writeln!(
        out,
        "         label=<HTTP status order within one round trip ([http] of the spec)<BR/><BR/><FONT POINT-SIZE=\"11\">\
         From one status of a session to the next, (round trip, HTTP status) never goes backwards (HTTP-PHASE-ORDER):<BR/>\
         states may be skipped or repeated, a new trip starts only after the previous one completed,<BR/>\
         and nothing returns to {}.</FONT><BR/><BR/>>];",
        http.before_any_trip.name()
    );
    out.push_str(
        "  node [fontname=\"Helvetica\", fontsize=12, shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\"];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10, color=\"#37474f\"];\n");
    for s in &http.order {
        let mut attrs = format!("label=\"{} = {}\\n{}\"", s.name(), s.value(), trip_of(spec, *s));
        if *s == http.trip_finished {
            attrs.push_str(", peripheries=2");
        }
        let _ = writeln!(out, "  {} [{attrs}];", s.name());
    }
    for pair in http.order.windows(2) {
        let _ = writeln!(out, "  {} -> {};", pair[0].name(), pair[1].name());
    }
    if let Some(first_in_trip) = http.order.iter().find(|s| **s != http.before_any_trip) {
        let _ = writeln!(
            out,
            "  {} -> {} [style=dashed, constraint=false, label=\"next round trip\"];",
            http.trip_finished.name(),
            first_in_trip.name()
        );
    }
    out.push_str("}\n");
    out
}

/// One diagram as the body of a Mermaid block (without the fence).
pub fn mermaid(spec: &Spec, diagram: Diagram) -> String {
    let mut out = String::new();
    match diagram {
        Diagram::Phases => {
            let phases = &spec.phases;
            out.push_str("stateDiagram-v2\n    direction LR\n");
            let _ = writeln!(out, "    [*] --> {}: accepted start call", phases.first.name());
            for from in phase_order(spec) {
                for to in successors(spec, from) {
                    let _ = writeln!(out, "    {} --> {}", from.name(), to.name());
                }
            }
            for t in phases.terminals() {
                let _ = writeln!(out, "    {} --> [*]", t.name());
            }
        }
        Diagram::Http => {
            let http = &spec.http;
            out.push_str("flowchart LR\n");
            for s in &http.order {
                let _ = writeln!(out, "    {}[\"{} = {}<br/>{}\"]", s.name(), s.name(), s.value(), trip_of(spec, *s));
            }
            for pair in http.order.windows(2) {
                let _ = writeln!(out, "    {} --> {}", pair[0].name(), pair[1].name());
            }
            if let Some(first_in_trip) = http.order.iter().find(|s| **s != http.before_any_trip) {
                let _ = writeln!(
                    out,
                    "    {} -. \"next round trip\" .-> {}",
                    http.trip_finished.name(),
                    first_in_trip.name()
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_of_the_phase_table_is_an_arrow() {
        let spec = Spec::builtin().expect("spec loads");
        let dot = dot(spec, Diagram::Phases);
        let mermaid = mermaid(spec, Diagram::Phases);
        let mut arrows = 0;
        for from in spec.phases.phases() {
            for to in spec.phases.successors(from) {
                arrows += 1;
                assert!(dot.contains(&format!("  {from} -> {to}")), "{from} -> {to} missing from\n{dot}");
                assert!(mermaid.contains(&format!("    {from} --> {to}\n")), "{from} --> {to} missing");
            }
        }
        // The invisible chain that orders the terminal column is layout, not an arrow.
        let drawn = dot.lines().filter(|l| l.contains(" -> INDI_") && !l.contains("style=invis")).count();
        assert_eq!(drawn, arrows + 1, "one arrow per entry, plus the start");
    }

    #[test]
    fn the_http_chain_follows_the_order() {
        let spec = Spec::builtin().expect("spec loads");
        let dot = dot(spec, Diagram::Http);
        for pair in spec.http.order.windows(2) {
            assert!(dot.contains(&format!("  {} -> {};\n", pair[0], pair[1])), "{dot}");
        }
        assert!(dot_all(spec).contains("digraph phases {") && dot_all(spec).contains("digraph http {"));
    }
}
