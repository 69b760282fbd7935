//! The `hotspots` command: parse arguments, run the command, print errors with their causes, exit with a
//! defined code (see `hotspots::cli::EXIT_*`).

use clap::Parser;
use hotspots::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli::run(cli, &mut out) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            // The whole cause chain, each cause once (messages that already quote their cause are not repeated).
            let e = anyhow::Error::from(e);
            eprintln!("error: {}", cli::error_chain(e.as_ref()));
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
