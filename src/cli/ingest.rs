//! `hotspots ingest FILE...`

use super::{CliError, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use crate::ingest::{ColumnOptions, ImportProgress, IngestOptions, NoProgress, TerminalProgress, ingest_file};
use crate::report::ingest::{FileResult, ingest_json, ingest_text};
use crate::store::Store;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Options of `hotspots ingest`.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Files to import: police.uk street-level CSV, CSV with named columns, or GeoJSON points (optionally .gz).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Longitude column (WGS84 degrees unless --crs says otherwise).
    #[arg(long)]
    pub lon_col: Option<String>,
    /// Latitude column.
    #[arg(long)]
    pub lat_col: Option<String>,
    /// Projected x (easting) column; needs --crs.
    #[arg(long)]
    pub x_col: Option<String>,
    /// Projected y (northing) column; needs --crs.
    #[arg(long)]
    pub y_col: Option<String>,
    /// CRS of the coordinates: EPSG:4326 (default), EPSG:3857, EPSG:27700, UTM30N, EPSG:326xx, or a proj string.
    #[arg(long)]
    pub crs: Option<String>,
    /// Time column.
    #[arg(long)]
    pub time_col: Option<String>,
    /// Time format: auto (ISO 8601, YYYY-MM, YYYY-MM-DD, MM/DD/YYYY hh:mm:ss AM), epoch-s, epoch-ms, or strftime.
    #[arg(long)]
    pub time_format: Option<String>,
    /// IANA time zone of clock times without an offset (default UTC), e.g. Europe/London.
    #[arg(long)]
    pub timezone: Option<String>,
    /// Category column (crime type).
    #[arg(long)]
    pub category_col: Option<String>,
    /// The file's own id column (kept, never used as a key).
    #[arg(long)]
    pub id_col: Option<String>,
    /// Area code column (e.g. LSOA code, beat).
    #[arg(long)]
    pub area_col: Option<String>,
    /// Location text column (street).
    #[arg(long)]
    pub location_col: Option<String>,
    /// Weight column (non-negative number; default 1 per incident).
    #[arg(long)]
    pub weight_col: Option<String>,
    /// Encoding of text that is not UTF-8, e.g. windows-1252.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Directory for rejected-row CSVs (default: rejects/ beside the store).
    #[arg(long)]
    pub rejects_dir: Option<PathBuf>,
    /// Import even when the file's incidents lie more than 200 km from those the store holds (by default such an
    /// import is refused: keep each place in its own store).
    #[arg(long)]
    pub allow_far_away: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

impl IngestArgs {
    /// Arguments for importing `files` with automatic column recognition.
    pub fn for_files(files: Vec<PathBuf>) -> Self {
        IngestArgs {
            files,
            lon_col: None,
            lat_col: None,
            x_col: None,
            y_col: None,
            crs: None,
            time_col: None,
            time_format: None,
            timezone: None,
            category_col: None,
            id_col: None,
            area_col: None,
            location_col: None,
            weight_col: None,
            encoding: None,
            rejects_dir: None,
            allow_far_away: false,
            json: false,
        }
    }

    /// The library's import options these arguments ask for (column choices, formats, time zone, checks).
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            columns: ColumnOptions {
                lon_col: self.lon_col.clone(),
                lat_col: self.lat_col.clone(),
                x_col: self.x_col.clone(),
                y_col: self.y_col.clone(),
                crs: self.crs.clone(),
                time_col: self.time_col.clone(),
                time_format: self.time_format.clone(),
                timezone: self.timezone.clone(),
                category_col: self.category_col.clone(),
                id_col: self.id_col.clone(),
                area_col: self.area_col.clone(),
                location_col: self.location_col.clone(),
                weight_col: self.weight_col.clone(),
            },
            encoding: self.encoding.clone(),
            rejects_dir: self.rejects_dir.clone(),
            allow_far_away: self.allow_far_away,
        }
    }
}

/// Import every file, continuing past a failed one; returns the results in order.
pub(super) fn ingest_all(store: &mut Store, args: &IngestArgs) -> Vec<FileResult> {
    let opts = args.options();
    let terminal = TerminalProgress::new();
    let progress: &dyn ImportProgress = if std::io::stderr().is_terminal() { &terminal } else { &NoProgress };
    args.files
        .iter()
        .map(|f| match ingest_file(store, f, &opts, progress) {
            Ok(s) => FileResult::Done(s),
            Err(e) => FileResult::Failed { file: f.display().to_string(), error: error_chain(&e) },
        })
        .collect()
}

/// An error and its causes, joined with ": ".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

pub(super) fn run(store_path: &Path, args: &IngestArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut store = Store::open(store_path)?;
    let results = ingest_all(&mut store, args);
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&ingest_json(&results)).unwrap_or_default())?;
    } else {
        write!(out, "{}", ingest_text(&results))?;
    }
    let failed = results.iter().filter(|r| matches!(r, FileResult::Failed { .. })).count();
    Ok(match failed {
        0 => EXIT_OK,
        n if n == results.len() => EXIT_ERROR,
        _ => EXIT_PARTIAL,
    })
}
