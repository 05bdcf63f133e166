//! Boundary coverage end to end: `indiv certify` reports which entries of the
//! boundary catalogue its cases reached, on the console, in report.json and
//! in summary.md; `--random 100 --seed 0` reaches every one.

use std::process::Command;

use crate::output_text;

fn certify(args: &[&str]) -> (std::process::Output, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = Command::new(env!("CARGO_BIN_EXE_indiv"))
        .arg("certify")
        .args(args)
        .arg("--report")
        .arg(dir.path())
        .output()
        .expect("run indiv certify");
    let report = std::fs::read_to_string(dir.path().join("report.json"))
        .unwrap_or_else(|e| panic!("no report.json ({e}): {}", output_text(&o)));
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary.md");
    (o, serde_json::from_str(&report).expect("report.json is JSON"), summary)
}

fn case_entries() -> usize {
    indiv_engine::boundary::case_entries().count()
}

#[test]
fn a_random_run_of_100_at_seed_0_reaches_every_boundary_and_says_so() {
    let (o, report, summary) = certify(&["--random", "100", "--seed", "0"]);
    let out = output_text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let n = case_entries();
    assert!(out.contains(&format!("\nboundaries reached: {n}/{n}\n")), "{out}");
    let coverage = &report["boundary_coverage"];
    assert_eq!(coverage["entries"], n);
    assert_eq!(coverage["reached"], n);
    let rows = coverage["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), n);
    for row in rows {
        assert!(row["cases"].as_u64().is_some_and(|c| c > 0), "{row}");
        assert!(row["rules"].as_array().is_some_and(|r| !r.is_empty()), "{row}");
    }
    assert!(summary.contains(&format!("Boundary coverage: {n} of {n} entries of the boundary catalogue reached.")));
}

#[test]
fn a_small_run_names_the_boundaries_it_did_not_reach() {
    let (o, report, summary) = certify(&["--random", "2", "--seed", "0"]);
    let out = output_text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let rows = report["boundary_coverage"]["rows"].as_array().expect("rows");
    let missing: Vec<&str> = rows.iter().filter(|r| r["cases"] == 0).filter_map(|r| r["id"].as_str()).collect();
    let reached = report["boundary_coverage"]["reached"].as_u64().expect("reached") as usize;
    assert_eq!(reached + missing.len(), case_entries());
    assert!(missing.len() > 8, "two cases reach few boundaries: {missing:?}");
    // The console names the first eight and says how many more there are.
    let line = format!(
        "boundaries reached: {reached}/{}; not reached: {} and {} more (report.json lists every entry)",
        case_entries(),
        missing[..8].join(", "),
        missing.len() - 8
    );
    assert!(out.contains(&line), "{line}\nnot in\n{out}");
    // summary.md names every one.
    for id in &missing {
        assert!(summary.contains(id), "{id} not in summary.md");
    }
}
