//! The analysis commands: `density`, `find`, `gistar`, `hex`. Their parameters are the library's requests
//! ([`crate::analysis::spec`]) as flags, followed by the data options every analysis shares.

use super::CliError;
use super::params::SpecArgs;
use crate::analysis::backtest::MethodChoice;
use crate::analysis::gistar::GiStarOptions;
use crate::analysis::harm::HarmTable;
use crate::analysis::pipeline::{AnalysisParams, Prepared, prepare_for_rule, prepare_in};
use crate::analysis::points::WeightMode;
use crate::analysis::spec::{GiStarSpec, HexSpec, HotspotRule, HotspotSpec, Method};
use crate::analysis::study_boundary::StudyBoundary;
use crate::geo::{CrsDef, Projector};
use crate::model::Dataset;
use crate::report::analysis as out;
use crate::store::derived::DerivedCache;
use crate::store::{DataVersion, Store};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the data's weights and metric grid come from: options of every command that analyses incidents.
#[derive(Debug, Clone, Default, Args)]
pub struct DataArgs {
    /// Harm weights CSV (`category,weight`) instead of the built-in police.uk table.
    #[arg(long, help_heading = "Data")]
    pub harm: Option<PathBuf>,
    /// Metric CRS for grids and distances (default: the UTM zone of the data's centre), e.g. EPSG:27700.
    #[arg(long, help_heading = "Data")]
    pub crs: Option<String>,
}

/// The store's dataset with its harm weights, in the metric CRS asked for.
pub struct Data {
    pub ds: Dataset,
    /// The store's data version, read before the data were loaded (what results derived from `ds` are kept under).
    pub version: DataVersion,
    pub harm_by_category: Vec<f64>,
    pub harm_label: String,
    pub projector: Projector,
    pub notes: Vec<String>,
}

impl DataArgs {
    /// Open the store, load the dataset and resolve the harm table.
    pub fn load(&self, store_path: &Path) -> Result<Data, CliError> {
        let store = Store::open_existing(store_path)?;
        let crs =
            self.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
        // Before the load: an import committing in between makes the data newer than the version, never older, so
        // a result kept under this version is never one of older data.
        let version = store.data_version()?;
        let ds = super::load_dataset(&store, crs.as_ref())?;
        let table = match &self.harm {
            Some(p) => HarmTable::from_csv_path(p).map_err(|e| CliError::Usage(e.to_string()))?,
            None => HarmTable::police_uk_default(),
        };
        let (harm_by_category, missing) = table.weights_for(ds.categories().names(), 1.0);
        let mut notes = Vec::new();
        let known = ds.categories().names().len() - missing.len();
        if !missing.is_empty() && self.harm.is_none() && known * 2 < ds.categories().names().len() {
            // Another taxonomy (Chicago's primary types): one short note, not a list on every command.
            notes.push(format!(
                "harm: the default table knows {known} of these {} categories; the others weigh 1 (count is the \
                 default weight; give --harm FILE to weigh them)",
                ds.categories().names().len()
            ));
        } else if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(5).map(String::as_str).collect();
            notes.push(format!(
                "harm table '{}' has no weight for {}{}: they weigh 1",
                table.label(),
                shown.join(", "),
                if missing.len() > 5 { format!(" and {} more", missing.len() - 5) } else { String::new() }
            ));
        }
        let projector = Projector::new(ds.crs()).map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(Data { ds, version, harm_by_category, harm_label: table.label().to_owned(), projector, notes })
    }
}

/// The loaded data and everything resolved for one analysis.
pub(super) struct Loaded {
    pub ds: Dataset,
    /// The store's data version `ds` was loaded at ([`Data::version`]).
    pub version: DataVersion,
    pub harm_by_category: Vec<f64>,
    pub prepared: Prepared,
    pub projector: Projector,
    pub notes: Vec<String>,
}

impl Loaded {
    /// The loaded data with the analysis prepared on them.
    fn of(d: Data, prepared: Prepared) -> Loaded {
        Loaded {
            ds: d.ds,
            version: d.version,
            harm_by_category: d.harm_by_category,
            prepared,
            projector: d.projector,
            notes: d.notes,
        }
    }
}

/// Load the data and prepare the analysis of `params`.
pub(super) fn load(store_path: &Path, data: &DataArgs, params: &AnalysisParams) -> Result<Loaded, CliError> {
    let d = data.load(store_path)?;
    let boundary = study_boundary(store_path, params, &d.projector)?;
    let prepared = prepare_in(&d.ds, params, &d.harm_by_category, &d.harm_label, boundary.as_ref())?;
    Ok(Loaded::of(d, prepared))
}

/// Area names for hotspot names: from the layer (of the store's boundary layers and `extra`) whose keys match most
/// of the dataset's area codes ([`crate::analysis::naming::AreaNames`]); none when no layer matches.
pub(super) fn area_names(
    store_path: &Path,
    ds: &crate::model::Dataset,
    extra: &[crate::areas::AreaLayer],
) -> Result<crate::analysis::naming::AreaNames, CliError> {
    let store = Store::open_existing(store_path)?;
    let mut layers: Vec<crate::areas::AreaLayer> = Vec::new();
    for rec in store.newest_area_layers()? {
        layers.push(store.load_area_layer(&rec)?);
    }
    Ok(crate::analysis::naming::AreaNames::from_layers(extra.iter().chain(layers.iter()), ds.areas()))
}

/// The boundary layer `--study-area` names, from the store (`areas import`).
pub(super) fn study_boundary(
    store_path: &Path,
    params: &AnalysisParams,
    projector: &Projector,
) -> Result<Option<StudyBoundary>, CliError> {
    let Some(name) = &params.study_area else { return Ok(None) };
    let store = Store::open_existing(store_path)?;
    let rec = store.resolve_area_layer(name).map_err(|e| CliError::Usage(format!("--study-area {name}: {e}")))?;
    let layer = store.load_area_layer(&rec)?;
    let mut b = StudyBoundary::from_layer(&layer, projector).map_err(|e| CliError::Usage(e.to_string()))?;
    b.name = name.clone();
    Ok(Some(b))
}

/// [`load`] for a hotspot rule (`predict` on patrol-scale cells when no cell size is given).
pub(super) fn load_for_rule(
    store_path: &Path,
    data: &DataArgs,
    params: &AnalysisParams,
    rule: &HotspotRule,
) -> Result<Loaded, CliError> {
    let d = data.load(store_path)?;
    let boundary = study_boundary(store_path, params, &d.projector)?;
    let prepared = prepare_for_rule(&d.ds, params, rule, &d.harm_by_category, &d.harm_label, boundary.as_ref())?;
    Ok(Loaded::of(d, prepared))
}

/// The backtest's choice of prediction method for `predict` when the rule names none: kept beside the store
/// ([`DerivedCache`], under [`Prepared::choice_key`](crate::analysis::pipeline::Prepared::choice_key)) for the next
/// command on the same data, and read from there when an earlier command made it. A choice that cannot be kept is
/// still used, with a note saying why it was not kept.
pub(super) fn predictor_choice(store: &Path, l: &Loaded, rule: &HotspotRule) -> Result<Option<MethodChoice>, CliError> {
    if rule.method != Method::Predict || rule.predictor.is_some() {
        return Ok(None);
    }
    let key = l.prepared.choice_key(&l.harm_by_category);
    let mut kept = DerivedCache::open(store, &l.version);
    if let Some(choice) = kept.get(&key).and_then(|v| serde_json::from_value::<MethodChoice>(v.clone()).ok()) {
        return Ok(Some(choice));
    }
    let choice = l.prepared.choose_predictor(&l.ds, &l.harm_by_category)?;
    let kept_ok = serde_json::to_value(&choice)
        .map_err(|e| e.to_string())
        .and_then(|v| kept.put(&key, v).map_err(|e| e.to_string()));
    if let Err(why) = kept_ok {
        eprintln!("note: the method choice is not kept for the next command ({why}); it is made again each time");
    }
    Ok(Some(choice))
}

/// Write bytes to a file atomically.
pub(super) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    crate::files::write_atomic(path, bytes)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Write a GeoJSON FeatureCollection as a GeoPackage layer (the `gdal` feature), or say what is needed.
pub(super) fn write_gpkg(path: &Path, doc: &serde_json::Value, layer: &str) -> Result<(), CliError> {
    #[cfg(feature = "gdal")]
    {
        crate::gis::write_geojson_gpkg(path, doc, layer)
            .map_err(|e| CliError::Usage(format!("--out {}: {e}", path.display())))
    }
    #[cfg(not(feature = "gdal"))]
    {
        let _ = (doc, layer);
        Err(CliError::Usage(format!(
            "--out {}: GeoPackage output needs the gdal feature (cargo build --release --features gdal); .geojson and \
             .csv work in every build",
            path.display()
        )))
    }
}

/// How [`write_features`] writes GeoJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonStyle {
    Compact,
    Pretty,
}

/// Features to `path` in the format its extension names: `.geojson` (or `.json`), `.csv` when the command has a CSV
/// form, or `.gpkg` (one layer named `layer`; the gdal feature). `flag` names the option in errors.
pub(super) fn write_features(
    flag: &str,
    path: &Path,
    layer: &str,
    style: JsonStyle,
    geojson: &dyn Fn() -> Result<serde_json::Value, CliError>,
    csv: Option<&dyn Fn() -> Result<Vec<u8>, CliError>>,
) -> Result<(), CliError> {
    let json_bytes = |v: &serde_json::Value| match style {
        JsonStyle::Compact => serde_json::to_vec(v),
        JsonStyle::Pretty => serde_json::to_vec_pretty(v),
    };
    match (extension(path).as_str(), csv) {
        ("geojson" | "json", _) => {
            write_file(path, &json_bytes(&geojson()?).map_err(crate::report::ReportError::from)?)
        }
        ("csv", Some(csv)) => write_file(path, &csv()?),
        ("gpkg", _) => write_gpkg(path, &geojson()?, layer),
        (other, csv) => Err(CliError::Usage(format!(
            "{flag} {}: unknown format '{other}'; use {}",
            path.display(),
            if csv.is_some() { ".geojson, .csv or .gpkg" } else { ".geojson or .gpkg" }
        ))),
    }
}

pub(super) fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

fn header(l: &Loaded, out: &mut dyn Write) -> Result<(), CliError> {
    write!(out, "{}", out::params_text(&l.prepared.params))?;
    for w in l.prepared.warnings.iter().chain(&l.notes) {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}

/// Options of `hotspots density`.
#[derive(Debug, Clone, Args)]
pub struct DensityArgs {
    /// Write the surface: .geojson (positive cells), .csv (every cell), .png (heatmap) or, with the gdal feature,
    /// .tif (GeoTIFF in the grid's CRS).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The surface's parameters (window, categories, grid, kernel, weight), as the library's [`AnalysisParams`].
    #[command(flatten)]
    pub spec: SpecArgs<AnalysisParams>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
}

pub(super) fn run_density(store: &Path, args: &DensityArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let l = load(store, &args.data, &args.spec)?;
    let s = l.prepared.density()?;
    header(&l, out)?;
    writeln!(
        out,
        "density: {} incidents at {} distinct points; peak {:.1} per km2",
        l.prepared.selection.len(),
        s.distinct_points,
        s.peak_per_km2()
    )?;
    if let Some(path) = &args.out {
        match extension(path).as_str() {
            "geojson" | "json" => write_file(
                path,
                &serde_json::to_vec(&out::density_geojson(&s, &l.prepared.params, &l.projector))
                    .map_err(crate::report::ReportError::from)?,
            )?,
            "csv" => write_file(path, &out::density_csv(&s, &l.projector)?)?,
            "png" => {
                let style =
                    crate::report::png::HeatmapStyle { scale: crate::report::png::Scale::Sqrt, ..Default::default() };
                crate::report::png::write_heatmap_png(path, &s.density_per_km2, s.grid.rows, s.grid.cols, &style)
                    .map_err(|e| CliError::Usage(e.to_string()))?;
            }
            #[cfg(feature = "gdal")]
            "tif" | "tiff" => crate::gis::write_density_tif(path, &s)
                .map_err(|e| CliError::Usage(format!("--out {}: {e}", path.display())))?,
            other => {
                let tif =
                    if cfg!(feature = "gdal") { ", .png or .tif" } else { " or .png (.tif needs the gdal feature)" };
                return Err(CliError::Usage(format!(
                    "--out {}: unknown format '{other}'; use .geojson, .csv{tif}",
                    path.display()
                )));
            }
        }
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(super::EXIT_OK)
}

/// Options of `hotspots find`.
#[derive(Debug, Clone, Args)]
pub struct FindArgs {
    /// Print the hotspots as GeoJSON (with the settings used) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The same as --json.
    #[arg(long)]
    pub geojson: bool,
    /// Print the hotspots as CSV, one row each.
    #[arg(long)]
    pub csv: bool,
    /// Write to a file (.geojson, .json, .csv, or .gpkg with the gdal feature) as well as the terminal.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The request's parameters (surface, hotspot rule, how many to list), as the library's [`HotspotSpec`].
    #[command(flatten)]
    pub spec: SpecArgs<HotspotSpec>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
}

pub(super) fn run_find(store: &Path, args: &FindArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let spec = &args.spec.0;
    let l = load_for_rule(store, &args.data, &spec.analysis, &spec.rule)?;
    let choice = predictor_choice(store, &l, &spec.rule)?;
    let predictor = choice.as_ref().map(|c| &c.method);
    let mut set = l.prepared.rule_hotspots(&l.ds, None, &spec.rule, None, &l.harm_by_category, predictor)?;
    set.name_areas(&area_names(store, &l.ds, &[])?);
    let top = spec.top;
    let geojson = || {
        let mut doc = out::hotspots_geojson(&set, &l.prepared.params, top);
        if let (Some(obj), Some(c)) = (doc.as_object_mut(), &choice) {
            obj.insert("method_choice".into(), serde_json::json!(c));
        }
        doc
    };
    let body: Option<Vec<u8>> = if args.json || args.geojson {
        Some(crate::report::json_pretty(&geojson())?)
    } else if args.csv {
        Some(out::hotspots_csv(&set, top)?)
    } else {
        None
    };
    if let Some(path) = &args.out {
        write_features(
            "--out",
            path,
            "hotspots",
            JsonStyle::Pretty,
            &|| Ok(geojson()),
            Some(&|| Ok(out::hotspots_csv(&set, top)?)),
        )?;
    }
    match body {
        Some(b) => {
            out.write_all(&b)?;
            writeln!(out)?;
        }
        None => {
            header(&l, out)?;
            if let Some(c) = &choice {
                writeln!(out, "places: {} ({})", c.text, c.description)?;
                writeln!(out, "why: {}", c.sentence)?;
            } else if let (Method::Predict, Some(m)) = (spec.rule.method, &spec.rule.predictor) {
                writeln!(out, "places: {m} (as given)")?;
            }
            writeln!(out)?;
            write!(out, "{}", out::hotspots_text(&set, top))?;
        }
    }
    Ok(super::EXIT_OK)
}

/// Options of `hotspots gistar`.
#[derive(Debug, Clone, Args)]
pub struct GiStarArgs {
    /// Write cells: .geojson (non-empty or significant cells), .csv (every cell) or .gpkg (gdal feature).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The request's parameters (surface, band, permutations, seed, FDR), as the library's [`GiStarSpec`].
    #[command(flatten)]
    pub spec: SpecArgs<GiStarSpec>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
}

pub(super) fn run_gistar(store: &Path, args: &GiStarArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let spec = &args.spec.0;
    let l = load(store, &args.data, &spec.analysis)?;
    let band = spec.band_m.unwrap_or(l.prepared.params.bandwidth_m);
    let opts = GiStarOptions { permutations: spec.permutations, seed: spec.seed, fdr: spec.fdr };
    let gg = l.prepared.gistar(band, opts)?;
    let g = &gg.result;
    header(&l, out)?;
    writeln!(out, "band: {band} m; Gi* grid {} x {} cells over the data's extent", gg.grid.cols, gg.grid.rows)?;
    write!(out, "{}", out::gistar_text(g))?;
    if let Some(path) = &args.out {
        let geojson = || Ok(out::gistar_geojson(&gg.grid, &gg.values, g, &l.prepared.params, &l.projector));
        let csv = || Ok(out::gistar_csv(&gg.grid, &gg.values, g, &l.projector)?);
        write_features("--out", path, "gistar", JsonStyle::Compact, &geojson, Some(&csv))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(super::EXIT_OK)
}

/// Options of `hotspots hex`.
#[derive(Debug, Clone, Args)]
pub struct HexArgs {
    /// Write hexagons: .geojson, .csv or .gpkg (gdal feature).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The request's parameters (incidents, resolution, k rings), as the library's [`HexSpec`].
    #[command(flatten)]
    pub spec: SpecArgs<HexSpec>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
}

pub(super) fn run_hex(store: &Path, args: &HexArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    use crate::analysis::hex::{hex_boundary_lonlat, hex_centre_lonlat, hex_counts, hex_gistar};
    let spec = &args.spec.0;
    let l = load(store, &args.data, &spec.analysis)?;
    let weights = (spec.analysis.weight == WeightMode::Harm).then_some(l.harm_by_category.as_slice());
    let hex_err = |e: crate::analysis::hex::HexError| CliError::Usage(e.to_string());
    let counts = hex_counts(&l.ds, &l.prepared.selection, weights, spec.resolution).map_err(hex_err)?;
    header(&l, out)?;
    writeln!(
        out,
        "H3 resolution {}: {} incidents in {} hexagons{}",
        spec.resolution,
        counts.total_count(),
        counts.cells.len(),
        if counts.skipped > 0 { format!(" ({} could not be placed)", counts.skipped) } else { String::new() }
    )?;
    let opts = GiStarOptions { permutations: spec.permutations, seed: spec.seed, fdr: true };
    let gi = spec
        .k
        .map(|k| hex_gistar(&counts, k, spec.analysis.weight == WeightMode::Harm, opts))
        .transpose()
        .map_err(hex_err)?;
    if let Some(g) = &gi {
        write!(out, "k = {}: {}", g.k, out::gistar_text(&g.gistar))?;
    }
    if let Some(path) = &args.out {
        // Rows: every study cell when Gi* ran (zeros included), else the non-empty cells.
        let rows: Vec<(u64, u32, f64, Option<usize>)> = match &gi {
            Some(g) => g
                .cells
                .iter()
                .enumerate()
                .map(|(k, &c)| {
                    let found = counts.cells.binary_search_by_key(&c, |h| h.index).ok().map(|j| &counts.cells[j]);
                    (c, found.map_or(0, |h| h.count), found.map_or(0.0, |h| h.weight), Some(k))
                })
                .collect(),
            None => counts.cells.iter().map(|h| (h.index, h.count, h.weight, None)).collect(),
        };
        let hex_doc = || -> Result<serde_json::Value, CliError> {
            let mut features = Vec::with_capacity(rows.len());
            for &(cell, count, weight, k) in &rows {
                let mut ring: Vec<[f64; 2]> =
                    hex_boundary_lonlat(cell).map_err(hex_err)?.into_iter().map(|(x, y)| [x, y]).collect();
                if let Some(&first) = ring.first() {
                    ring.push(first);
                }
                let mut props = serde_json::json!({"h3": format!("{cell:x}"), "count": count, "weight": weight});
                if let (Some(k), Some(g), Some(obj)) = (k, &gi, props.as_object_mut()) {
                    obj.insert("z".into(), g.gistar.z[k].into());
                    obj.insert("p".into(), g.gistar.p[k].into());
                    obj.insert("bin".into(), g.gistar.bin[k].into());
                }
                features.push(serde_json::json!({"type": "Feature",
                            "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}));
            }
            Ok(serde_json::json!({"type": "FeatureCollection", "features": features,
                        "parameters": l.prepared.params, "resolution": spec.resolution, "k": spec.k}))
        };
        let hex_csv = || -> Result<Vec<u8>, CliError> {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["h3", "lon", "lat", "count", "weight", "z", "p", "bin"])?;
            for &(cell, count, weight, k) in &rows {
                let (lon, lat) = hex_centre_lonlat(cell).map_err(hex_err)?;
                let g = |f: &dyn Fn(&crate::analysis::gistar::GiStar, usize) -> String| {
                    k.zip(gi.as_ref()).map(|(k, g)| f(&g.gistar, k)).unwrap_or_default()
                };
                w.write_record([
                    format!("{cell:x}"),
                    lon.to_string(),
                    lat.to_string(),
                    count.to_string(),
                    weight.to_string(),
                    g(&|g, k| g.z[k].to_string()),
                    g(&|g, k| g.p[k].to_string()),
                    g(&|g, k| g.bin[k].to_string()),
                ])?;
            }
            Ok(crate::report::csv_bytes(w)?)
        };
        write_features("--out", path, "hexagons", JsonStyle::Compact, &hex_doc, Some(&hex_csv))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(super::EXIT_OK)
}
