//! `indiv spec`: the rule catalog as text or JSON, `docs/SPEC.md`, or the
//! diagrams as Graphviz DOT; with `--prove`, the bounded model checker
//! (`indiv_prove`).

use std::io::Write;

use indiv_spec::Spec;
use indiv_specdoc::{diagram, explain, markdown};

use crate::args::{CatalogFormat, DiagramArg};
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs `indiv spec`.
pub fn run(
    spec: &Spec,
    format: CatalogFormat,
    diagram: Option<DiagramArg>,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    match (format, diagram) {
        (CatalogFormat::Dot, None) => out.write_all(diagram::dot_all(spec).as_bytes())?,
        (CatalogFormat::Dot, Some(d)) => out.write_all(diagram::dot(spec, d.into()).as_bytes())?,
        (_, Some(_)) => return Err(Error::Usage("--diagram goes with --format dot".into())),
        (CatalogFormat::Human, None) => out.write_all(explain::catalog_human(spec).as_bytes())?,
        (CatalogFormat::Json, None) => writeln!(out, "{:#}", explain::catalog_json(spec))?,
        (CatalogFormat::Markdown, None) => out.write_all(markdown::markdown(spec)?.as_bytes())?,
    }
    Ok(ExitStatus::Ok)
}

/// Runs `indiv spec --prove [--depth K] [--lock L]`: prints the states
/// explored, the depth, the time and each property's result, and every
/// failing property's counterexamples; 1 when a property fails.
pub fn prove(depth: usize, lock: indiv_engine::LockPolicy, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mut bounds = indiv_prove::Bounds::standard(depth);
    bounds.world.lock = lock;
    let report = indiv_prove::prove(&bounds)?;
    out.write_all(report.render().as_bytes())?;
    Ok(if report.holds() { ExitStatus::Ok } else { ExitStatus::Violation })
}
