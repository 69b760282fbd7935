//! `hotspots tasking` and `hotspots emerging`.

use super::analysis::{DataArgs, JsonStyle, write_features, write_file};
use super::params::SpecArgs;
use super::{CliError, EXIT_OK};
use crate::analysis::emerging::EmergingClass;
use crate::analysis::emerging::cube::{EmergingRun, run as run_cube};
use crate::analysis::spec::EmergingSpec;
use crate::analysis::tasking::{TaskingParams, tasking};
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::model::Dataset;
use crate::report::{Align, Table, thousands};
use crate::store::Store;
use clap::Args;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The options of `hotspots tasking`.
#[derive(Debug, Clone, Args)]
pub struct TaskingArgs {
    /// text, json, csv or html (the printable brief).
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// An area layer in the store (NAME, NAME@VERSION or id): each candidate's incidents split by its areas, and
    /// its outlines on the brief's maps.
    #[arg(long)]
    pub by_area: Option<String>,
    /// Boundary layers (GeoJSON) drawn on the brief's maps (repeatable).
    #[arg(long = "areas")]
    pub areas: Vec<PathBuf>,
    /// The tasking settings (date, window, candidates, weight, `--nr-days`, ...).
    #[command(flatten)]
    pub spec: SpecArgs<TaskingParams>,
    /// The store's data as the analysis reads it (CRS, harm table).
    #[command(flatten)]
    pub data: DataArgs,
}

pub(super) fn run_tasking(store: &Path, args: &TaskingArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let params = &args.spec.0;
    let data = args.data.load(store)?;
    let (ds, harm) = (data.ds, data.harm_by_category);
    let tasking_err = |e| match e {
        crate::analysis::tasking::TaskingError::Analysis(a) => CliError::Analysis(a),
        other => CliError::Usage(other.to_string()),
    };
    let mut list = tasking(&ds, &harm, &data.harm_label, params).map_err(tasking_err)?;
    crate::analysis::tasking::add_near_repeat(&mut list, &ds, params)
        .map_err(|e| CliError::Usage(format!("near-repeat zones: {e}")))?;
    let by_area = match &args.by_area {
        Some(spec) => {
            let st = Store::open_existing(store)?;
            let rec = st.resolve_area_layer(spec)?;
            Some(st.load_area_layer(&rec)?)
        }
        None => None,
    };
    let files = args
        .areas
        .iter()
        .map(|p| AreaLayer::from_geojson_path(p).map_err(|e| CliError::Usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    list.name_areas(&super::analysis::area_names(store, &ds, &files)?);
    if let Some(layer) = &by_area {
        crate::analysis::tasking::split_by_area(&mut list, &ds, layer).map_err(tasking_err)?;
    }
    let bytes = match args.format.as_str() {
        "text" => crate::report::tasking::tasking_text(&list).into_bytes(),
        "csv" => crate::report::tasking::tasking_csv(&list)?,
        "json" => {
            let mut v = crate::report::json_pretty(&list)?;
            v.push(b'\n');
            v
        }
        "html" => {
            let mut areas = files;
            areas.extend(by_area);
            let projector = Projector::new(ds.crs()).map_err(|e| CliError::Usage(e.to_string()))?;
            crate::report::brief::brief_html(&list, &ds, &projector, &areas).into_bytes()
        }
        other => return Err(CliError::Usage(format!("--format {other}: use text, json, csv or html"))),
    };
    match &args.out {
        Some(path) => {
            write_file(path, &bytes)?;
            writeln!(w, "wrote {} candidates to {}", list.candidates.len(), path.display())?;
        }
        None => w.write_all(&bytes)?,
    }
    Ok(EXIT_OK)
}

/// The options of `hotspots emerging`.
#[derive(Debug, Clone, Args)]
pub struct EmergingArgs {
    /// Use H3 hexagons of this resolution (0-15) instead of square cells.
    #[arg(long)]
    pub hex: Option<u8>,
    /// With --hex: Gi* over this many rings of neighbours.
    #[arg(long, default_value_t = 1)]
    pub k: u32,
    /// Cells with a class, as GeoJSON (.geojson), CSV (.csv) or GeoPackage (.gpkg, gdal feature).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the whole run as JSON.
    #[arg(long)]
    pub json: bool,
    /// The emerging request (period, window, categories, cell and band sizes).
    #[command(flatten)]
    pub spec: SpecArgs<EmergingSpec>,
    /// The store's data as the analysis reads it (CRS, harm table).
    #[command(flatten)]
    pub data: DataArgs,
}

/// The cells with a class (not "no pattern"), as GeoJSON features.
pub(super) fn emerging_geojson(run: &EmergingRun, projector: &Projector) -> serde_json::Value {
    let features: Vec<serde_json::Value> = run
        .result
        .locations
        .iter()
        .enumerate()
        .filter(|(_, l)| l.class != EmergingClass::NoPattern)
        .map(|(i, l)| {
            json!({"type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [crate::report::analysis::cell_ring_lonlat(&run.grid, i, projector)]},
                "properties": {"class": l.class, "name": l.class.name(), "hot_steps": l.hot_steps, "cold_steps": l.cold_steps,
                    "final_bin": l.final_bin, "mk_z": l.mk_z, "mk_p": l.mk_p, "incidents": l.total}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "period": run.period.name(), "cell_m": run.cell_m,
        "band_m": run.band_m, "steps": run.steps.iter().map(|s| s.text()).collect::<Vec<_>>()})
}

pub(super) fn run_emerging(store: &Path, args: &EmergingArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let ds = args.data.load(store)?.ds;
    let params = &args.spec.0;
    if let Some(resolution) = args.hex {
        return run_emerging_hex(&ds, params, resolution, args, w);
    }
    let run = run_cube(&ds, params).map_err(|e| CliError::Usage(e.to_string()))?;
    let projector = Projector::new(ds.crs()).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(path) = &args.out {
        let geojson = || Ok(emerging_geojson(&run, &projector));
        let csv = || Ok(emerging_csv(&run, &projector)?);
        write_features("--out", path, "emerging", JsonStyle::Compact, &geojson, Some(&csv))?;
    }
    if args.json {
        writeln!(w, "{}", serde_json::to_string_pretty(&run).map_err(crate::report::ReportError::from)?)?;
        return Ok(EXIT_OK);
    }
    writeln!(
        w,
        "{} {} steps from {} to {}; {} m cells, Gi* band {} m, 95% significance after FDR; Mann-Kendall trend at 0.05",
        run.steps.len(),
        run.period.name(),
        crate::model::time::format_instant(run.steps[0].from_s),
        crate::model::time::format_instant(run.steps[run.steps.len() - 1].to_s),
        run.cell_m,
        run.band_m
    )?;
    for warning in &run.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    write!(w, "\n{}", class_table(&run.result))?;
    if let Some(path) = &args.out {
        writeln!(w, "cells with a class written to {}", path.display())?;
    }
    Ok(EXIT_OK)
}

/// How many cells (and incidents) each class holds.
fn class_table(result: &crate::analysis::emerging::Emerging) -> String {
    let mut t = Table::new(&[("class", Align::Left), ("cells", Align::Right), ("incidents", Align::Right)]);
    for (class, n) in result.class_counts() {
        if n > 0 {
            let incidents: f64 =
                result.locations.iter().filter(|l| l.analysed && l.class == class).map(|l| l.total).sum();
            t.row(vec![class.name().to_owned(), thousands(n as u64), thousands(incidents as u64)]);
        }
    }
    let skipped = result.not_analysed();
    if skipped > 0 {
        let incidents: f64 = result.locations.iter().filter(|l| !l.analysed).map(|l| l.total).sum();
        t.row(vec![
            "not analysed (no incidents, or outside the study area)".to_owned(),
            thousands(skipped as u64),
            thousands(incidents as u64),
        ]);
    }
    t.render(0)
}

fn run_emerging_hex(
    ds: &Dataset,
    params: &EmergingSpec,
    resolution: u8,
    args: &EmergingArgs,
    w: &mut dyn Write,
) -> Result<u8, CliError> {
    let run = crate::analysis::emerging::cube::run_hex(ds, params, resolution, args.k)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(path) = &args.out {
        let features = run
            .cells
            .iter()
            .zip(&run.result.locations)
            .filter(|(_, l)| l.class != EmergingClass::NoPattern)
            .map(|(&cell, l)| -> Result<serde_json::Value, CliError> {
                let mut ring: Vec<[f64; 2]> = crate::analysis::hex::hex_boundary_lonlat(cell)
                    .map_err(|e| CliError::Usage(e.to_string()))?
                    .into_iter()
                    .map(|(lon, lat)| [lon, lat])
                    .collect();
                if let Some(&first) = ring.first() {
                    ring.push(first);
                }
                Ok(json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {"h3": format!("{cell:x}"), "class": l.class, "name": l.class.name(),
                        "hot_steps": l.hot_steps, "cold_steps": l.cold_steps, "mk_z": l.mk_z, "incidents": l.total}}))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let doc = json!({"type": "FeatureCollection", "features": features, "period": run.period.name(),
            "resolution": run.resolution, "k": run.k, "steps": run.steps.iter().map(|s| s.text()).collect::<Vec<_>>()});
        write_features("--out", path, "emerging", JsonStyle::Compact, &|| Ok(doc.clone()), None)?;
    }
    if args.json {
        writeln!(w, "{}", serde_json::to_string_pretty(&run).map_err(crate::report::ReportError::from)?)?;
        return Ok(EXIT_OK);
    }
    writeln!(
        w,
        "{} {} steps; H3 resolution {}, Gi* over {} ring(s), 95% significance after FDR; Mann-Kendall trend at 0.05",
        run.steps.len(),
        run.period.name(),
        run.resolution,
        run.k
    )?;
    for warning in &run.warnings {
        writeln!(w, "warning: {warning}")?;
    }
    write!(w, "\n{}", class_table(&run.result))?;
    Ok(EXIT_OK)
}

fn emerging_csv(run: &EmergingRun, projector: &Projector) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["row", "col", "lon", "lat", "class", "hot_steps", "cold_steps", "mk_z", "mk_p", "incidents"])?;
    for (i, l) in run.result.locations.iter().enumerate().filter(|(_, l)| l.class != EmergingClass::NoPattern) {
        let (x, y) = run.grid.centre(i);
        let (lon, lat) = projector.to_lonlat(x, y).unwrap_or((f64::NAN, f64::NAN));
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        out.write_record([
            (i / run.grid.cols).to_string(),
            (i % run.grid.cols).to_string(),
            lon.to_string(),
            lat.to_string(),
            l.class.code(),
            l.hot_steps.to_string(),
            l.cold_steps.to_string(),
            opt(l.mk_z),
            opt(l.mk_p),
            l.total.to_string(),
        ])?;
    }
    crate::report::csv_bytes(out)
}
