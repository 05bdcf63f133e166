//! The `indiv` command: see `indiv --help`.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(indiv_conformance::cli::run())
}
