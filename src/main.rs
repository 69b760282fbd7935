//! The `hotspots` command: parse arguments, run the command, print errors with their causes, exit with a
//! defined code (see `hotspots::cli::EXIT_*`).

use clap::Parser;
use hotspots::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli::run(cli, &mut out).map_err(anyhow::Error::from) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
