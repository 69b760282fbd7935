//! `hotspots info`

use super::{CliError, EXIT_OK};
use crate::geo::CrsDef;
use crate::report::info::{LoadSummary, info_text, load_text};
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::Path;

/// The options of `hotspots info`.
#[derive(Debug, Clone, Args)]
pub struct InfoArgs {
    /// Print as JSON (keys: incidents, time.from, time.to, categories, months, precision, bbox, imports; with
    /// --load also `load`, with --check also `check`).
    #[arg(long)]
    pub json: bool,
    /// Also load every incident into memory and report the time taken and the bytes used.
    #[arg(long)]
    pub load: bool,
    /// Also run SQLite's check of every page and index (`PRAGMA quick_check`: 0.6 s on a 2M store, several
    /// seconds on a 20M one) and fail, naming the problem, if the store is damaged.
    #[arg(long)]
    pub check: bool,
    /// Metric CRS for --load (default: the UTM zone of the data's centre).
    #[arg(long)]
    pub crs: Option<String>,
}

/// Load the store's dataset and measure it.
pub(super) fn load_summary(store: &Store, crs: Option<&str>) -> Result<LoadSummary, CliError> {
    let crs = crs.map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let started = std::time::Instant::now();
    let ds = super::load_dataset(store, crs.as_ref())?;
    Ok(LoadSummary::of(&ds, started.elapsed().as_secs_f64()))
}

pub(super) fn run(store_path: &Path, args: &InfoArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let store = Store::open_existing(store_path)?;
    let check_s = if args.check { Some(crate::store::check_now(&store)?) } else { None };
    let info = store.info()?;
    let load = if args.load || args.crs.is_some() { Some(load_summary(&store, args.crs.as_deref())?) } else { None };
    if args.json {
        let json = |e: serde_json::Error| CliError::Report(crate::report::ReportError::Json(e));
        let mut v = serde_json::to_value(&info).map_err(json)?;
        if let Some(obj) = v.as_object_mut() {
            let held = crate::model::Coverage::from_month_labels(info.months.keys().map(String::as_str));
            obj.insert(
                "held".into(),
                serde_json::json!({"text": held.held_text(), "windows": held.held(),
                "gaps": held.gaps()}),
            );
            if let Some(l) = &load {
                obj.insert("load".into(), serde_json::to_value(l).map_err(json)?);
            }
            if let Some(seconds) = check_s {
                obj.insert("check".into(), serde_json::json!({"result": "passed", "seconds": seconds}));
            }
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v).map_err(json)?)?;
    } else {
        write!(out, "{}", info_text(&info))?;
        if let Some(l) = &load {
            writeln!(out, "\n{}", load_text(l))?;
        }
        if let Some(seconds) = check_s {
            writeln!(out, "store check (SQLite quick_check): passed in {seconds:.2} s")?;
        }
    }
    Ok(EXIT_OK)
}
