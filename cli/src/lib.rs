//! `indiv-cli`: the `indiv` command line, a thin layer over the library
//! crates. It parses the arguments (the private `args` module), runs one
//! command (one module of `commands` each) and maps the outcome to an
//! [`ExitStatus`].
//!
//! Public for the tests: [`check`], the driver of `indiv check` over one input
//! and its renderers.

mod args;
pub mod check;
mod commands;
mod error;
mod exit;

pub use error::Error;
pub use exit::ExitStatus;

use clap::Parser as _;

/// Parses the process's arguments, runs the command and returns the exit status.
pub fn run() -> ExitStatus {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitStatus::Input } else { ExitStatus::Ok };
        }
    };
    match commands::execute(cli.command) {
        Ok(status) => status,
        Err(e) => {
            error::print_error(&e);
            e.exit_status()
        }
    }
}
