//! The `indiv` binary: see `indiv --help`, and [`indiv_cli::run`].

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(indiv_cli::run().code())
}
