//! `hotspots areas import | list | counts`: boundary layers in the store, and incidents counted per area.

use super::analysis::write_file;
use super::{CliError, EXIT_OK};
use crate::analysis::area_tally::tally;
use crate::analysis::points::WeightMode;
use crate::areas::FieldChoice;
use crate::areas::file::read_layer_file;
use crate::geo::Projector;
use crate::model::time::format_instant;
use crate::report::areas as report;
use crate::store::{AreaImportOutcome, NewAreaLayer, Store, valid_layer_name};
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `hotspots areas`: its subcommand.
#[derive(Debug, Clone, Args)]
pub struct AreasArgs {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: AreasCommand,
}

/// The `hotspots areas` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum AreasCommand {
    /// Import a boundary layer (GeoJSON; any OGR vector format with the gdal feature) into the store.
    Import(AreasImportArgs),
    /// List the stored layers and their versions.
    List(AreasListArgs),
    /// Incidents per area of a layer: count, harm, per category, area and density.
    Counts(Box<AreasCountsArgs>),
}

/// Options of `hotspots areas import`.
#[derive(Debug, Clone, Args)]
pub struct AreasImportArgs {
    /// The boundary file: .geojson (CRS84, EPSG:27700, ... from its "crs" member), or with the gdal feature any
    /// vector format OGR reads (.shp, .gpkg, .fgb, .kml, ...).
    pub file: PathBuf,
    /// The layer's name (letters, digits, `_`, `-`, `.`). Importing new content under an existing name adds a new
    /// version; the old one stays.
    #[arg(long)]
    pub layer: String,
    /// The property holding each area's unique key (e.g. lsoa11cd).
    #[arg(long)]
    pub key: String,
    /// The property holding each area's display name (default: the key).
    #[arg(long)]
    pub name_field: Option<String>,
    /// Print the layer's record, and whether it was already imported, as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `hotspots areas list`.
#[derive(Debug, Clone, Args)]
pub struct AreasListArgs {
    /// Print the layers as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `hotspots areas counts`.
#[derive(Debug, Clone, Args)]
pub struct AreasCountsArgs {
    /// The layer: NAME (its newest version), NAME@N (version N) or a layer id.
    #[arg(long)]
    pub layer: String,
    /// What density counts: incidents (count) or harm.
    #[arg(long, default_value = "count")]
    pub weight: WeightMode,
    /// Print the counts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the counts as CSV.
    #[arg(long)]
    pub csv: bool,
    /// Write to a file: .csv, .geojson (or .json), or .gpkg with the gdal feature.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The window and categories counted.
    #[command(flatten)]
    pub filter: super::params::SpecArgs<crate::model::Query>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: super::analysis::DataArgs,
}

pub(super) fn run(store: &Path, args: &AreasArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    match &args.command {
        AreasCommand::Import(a) => run_import(store, a, out),
        AreasCommand::List(a) => run_list(store, a, out),
        AreasCommand::Counts(a) => run_counts(store, a, out),
    }
}

fn run_import(store_path: &Path, args: &AreasImportArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    if !valid_layer_name(&args.layer) {
        return Err(CliError::Usage(format!(
            "--layer '{}': a layer name is 1 to 64 letters, digits, '_', '-' or '.', not all digits",
            args.layer
        )));
    }
    // Read and check the whole file before the store is touched: a bad file changes nothing.
    let file = read_layer_file(&args.file, &FieldChoice::explicit(&args.key, args.name_field.as_deref()))?;
    let mut store = Store::open(store_path)?;
    let path_text = args.file.display().to_string();
    let file_name = args.file.file_name().map_or_else(|| path_text.clone(), |n| n.to_string_lossy().into_owned());
    let outcome = store.import_area_layer(&NewAreaLayer {
        name: &args.layer,
        file: &path_text,
        file_name: &file_name,
        format: &file.format,
        key_field: &args.key,
        name_field: args.name_field.as_deref(),
        source_crs: &file.layer.crs.label,
        file_sha256: &file.sha256,
        areas: &file.layer.areas,
    })?;
    let (rec, already) = match outcome {
        AreaImportOutcome::Imported(r) => (r, false),
        AreaImportOutcome::AlreadyImported(r) => (r, true),
    };
    if args.json {
        let v = json!({"layer": rec, "already_imported": already});
        writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default())?;
    } else if already {
        writeln!(out, "{}: already imported as layer {} (id {}); nothing added", file_name, rec.label(), rec.id)?;
    } else {
        writeln!(
            out,
            "{}: imported layer {} (id {}): {} areas, key '{}', CRS {} ({})",
            file_name,
            rec.label(),
            rec.id,
            crate::report::thousands(rec.features as u64),
            rec.key_field,
            rec.source_crs,
            rec.format
        )?;
    }
    Ok(EXIT_OK)
}

fn run_list(store_path: &Path, args: &AreasListArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let store = Store::open_existing(store_path)?;
    let layers = store.area_layers()?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report::layers_json(&layers)).unwrap_or_default())?;
    } else {
        write!(out, "{}", report::layers_text(&layers))?;
    }
    Ok(EXIT_OK)
}

fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

fn run_counts(store_path: &Path, args: &AreasCountsArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let store = Store::open_existing(store_path)?;
    let rec = store.resolve_area_layer(&args.layer)?;
    let layer = store.load_area_layer(&rec)?;
    drop(store);
    // The window and categories are read exactly as the analyses read them.
    let query = &args.filter.0;
    let data = args.data.load(store_path)?;
    let ds = &data.ds;
    let sel = query.select(ds).map_err(crate::analysis::pipeline::AnalysisError::from)?;
    let metric = Projector::new_metric(ds.crs()).map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let t = tally(&layer, ds, &sel, &data.harm_by_category, &metric, args.weight);
    let mut warnings = sel.warnings.clone();
    warnings.extend(data.notes.iter().cloned());
    let window = json!({
        "from": query.from_s.map(format_instant),
        "to": query.to_s.map(format_instant),
        "categories": query.categories,
    });
    if let Some(path) = &args.out {
        match extension(path).as_str() {
            "csv" => write_file(path, &report::tally_csv(&t)?)?,
            "geojson" | "json" => write_file(
                path,
                &serde_json::to_vec(&report::tally_geojson(&t, &layer, window.clone())).unwrap_or_default(),
            )?,
            #[cfg(feature = "gdal")]
            "gpkg" => crate::gis::write_area_counts_gpkg(path, &t, &layer)
                .map_err(|e| CliError::Usage(format!("--out {}: {e}", path.display())))?,
            other => {
                let gpkg = if cfg!(feature = "gdal") { ", .gpkg" } else { " (.gpkg needs the gdal feature)" };
                return Err(CliError::Usage(format!(
                    "--out {}: unknown format '{other}'; use .csv, .geojson{gpkg}",
                    path.display()
                )));
            }
        }
    }
    if args.json {
        let v = report::tally_json(&t, &rec, window, &warnings);
        writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default())?;
    } else if args.csv {
        out.write_all(&report::tally_csv(&t)?)?;
    } else {
        writeln!(out, "layer: {} (id {}, {} areas, key '{}')", rec.label(), rec.id, rec.features, rec.key_field)?;
        match (query.from_s, query.to_s) {
            (None, None) => writeln!(out, "window: all time")?,
            (f, t) => writeln!(
                out,
                "window: {} to {} (end exclusive)",
                f.map_or("the beginning".into(), format_instant),
                t.map_or("the end".into(), format_instant)
            )?,
        }
        for warning in &warnings {
            writeln!(out, "warning: {warning}")?;
        }
        writeln!(
            out,
            "incidents: {} ({} in an area, {} outside every area); areas measured in {}",
            crate::report::thousands(t.total()),
            crate::report::thousands(t.total() - t.outside.count),
            crate::report::thousands(t.outside.count),
            t.area_crs
        )?;
        writeln!(out)?;
        write!(out, "{}", report::tally_text(&t))?;
    }
    if let Some(path) = args.out.as_ref().filter(|_| !args.json && !args.csv) {
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(EXIT_OK)
}

/// `compare --by-area LAYER`: each area's incidents in the two windows (with the categories of the comparison) and
/// the change, the before count scaled to the after window's length as the comparison does, and no change where the
/// comparison gives none.
pub(super) fn compare_by_area(
    store_path: &Path,
    layer_spec: &str,
    ds: &crate::model::Dataset,
    comparison: &crate::analysis::compare::Comparison,
    categories: &[String],
) -> Result<crate::analysis::area_change::AreaComparison, CliError> {
    let store = Store::open_existing(store_path)?;
    let rec = store.resolve_area_layer(layer_spec)?;
    let layer = store.load_area_layer(&rec)?;
    let select = |w: crate::model::Window| {
        crate::model::Query {
            from_s: Some(w.from_s),
            to_s: Some(w.to_s),
            categories: categories.to_vec(),
            ..Default::default()
        }
        .select(ds)
        .map_err(crate::analysis::pipeline::AnalysisError::from)
    };
    let (b, a) = (select(comparison.before)?, select(comparison.after)?);
    let why = crate::analysis::compare::not_covered_reason(&comparison.before_coverage, &comparison.after_coverage);
    Ok(crate::analysis::area_change::compare_areas(&layer, ds, &b, &a, comparison.length_ratio, why.as_deref()))
}
