//! The human report for every violating fixture example (for a harness
//! rule's example, the rules and messages the harness reports), pinned with
//! insta so a change in wording, order or position shows up in review.

use indiv_cli::check::{CheckConfig, human_report};
use indiv_spec::Spec;
use indiv_specdoc::fixtures::Input;

#[test]
fn human_reports_of_violating_examples_are_stable() {
    let spec = Spec::builtin().expect("builtin spec loads");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for fixture in indiv_specdoc::fixtures::embedded().unwrap_or_else(|e| panic!("{e}")) {
            for (i, example) in fixture.example.iter().enumerate() {
                if example.expect.is_empty() {
                    continue;
                }
                let report = match &example.input {
                    Input::Trace(t) => {
                        let name = format!("{}.jsonl", fixture.rule);
                        let config = CheckConfig { partial: t.partial, ..CheckConfig::default() };
                        human_report(spec, &name, &t.trace, config).0
                    }
                    // What `indiv certify` reports on the status: each rule with its message.
                    Input::Harness(h) => {
                        h.judge().iter().map(|(rule, message)| format!("{rule}: {message}\n")).collect()
                    }
                };
                insta::assert_snapshot!(format!("{}-{}", fixture.rule, i + 1), report, &example.name);
            }
        }
    });
}
