//! `hotspots info`

use super::{CliError, EXIT_OK};
use crate::report::info::info_text;
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::Path;

#[derive(Debug, Clone, Args)]
pub struct InfoArgs {
    /// Print as JSON (keys: incidents, time.from, time.to, categories, months, precision, bbox, imports).
    #[arg(long)]
    pub json: bool,
}

pub fn run(store_path: &Path, args: &InfoArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let store = Store::open_existing(store_path)?;
    let info = store.info()?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&info).unwrap_or_default())?;
    } else {
        write!(out, "{}", info_text(&info))?;
    }
    Ok(EXIT_OK)
}
