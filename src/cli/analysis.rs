//! The analysis commands: `density`, `find`, `gistar`. They share the selection and surface options.

use super::CliError;
use crate::analysis::gistar::GiStarOptions;
use crate::analysis::harm::HarmTable;
use crate::analysis::hotspots::{CellRule, RankBy};
use crate::analysis::kde::Kernel;
use crate::analysis::pipeline::{AnalysisParams, Prepared, prepare_within};
use crate::analysis::points::WeightMode;
use crate::geo::{CrsDef, Projector};
use crate::model::{Dataset, Query};
use crate::report::analysis as out;
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The window and categories of every command that selects incidents.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Start of the window (inclusive): YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 time.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the window (exclusive), same forms: `--to 2024-04` ends at the start of April.
    #[arg(long)]
    pub to: Option<String>,
    /// Only these categories (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
}

impl FilterArgs {
    /// The window `[from, to)` (either end open) and categories.
    pub fn window(from: Option<String>, to: Option<String>, categories: &[String]) -> FilterArgs {
        FilterArgs { from, to, categories: categories.to_vec() }
    }

    pub fn query(&self) -> Result<Query, CliError> {
        Ok(Query {
            from_s: self.from.as_deref().map(|v| parse_time("--from", v)).transpose()?,
            to_s: self.to.as_deref().map(|v| parse_time("--to", v)).transpose()?,
            categories: self.categories.clone(),
        })
    }
}

/// Options every analysis shares.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Grid cell size, metres (default: automatic, printed).
    #[arg(long)]
    pub cell_m: Option<f64>,
    /// Kernel bandwidth, metres (default: automatic, printed).
    #[arg(long)]
    pub bandwidth_m: Option<f64>,
    /// Kernel: quartic (default), epanechnikov, triangular, uniform, gaussian.
    #[arg(long, default_value = "quartic")]
    pub kernel: Kernel,
    /// Count incidents, or weight them by harm.
    #[arg(long, default_value = "count")]
    pub weight: WeightMode,
    /// Harm weights CSV (`category,weight`) instead of the built-in table.
    #[arg(long)]
    pub harm: Option<PathBuf>,
    /// Metric CRS for the grid (default: the UTM zone of the data's centre), e.g. EPSG:27700.
    #[arg(long)]
    pub crs: Option<String>,
    /// Only incidents inside this WGS84 box, W,S,E,N in degrees (a county or force area of a national store).
    #[arg(long, value_parser = parse_bbox)]
    pub bbox: Option<[f64; 4]>,
}

/// A `--bbox W,S,E,N` value: four finite numbers, W < E, S < N, within lon/lat ranges.
pub fn parse_bbox(v: &str) -> Result<[f64; 4], String> {
    let parts: Vec<f64> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| format!("'{}' in '{v}' is not a number", p.trim())))
        .collect::<Result<_, _>>()?;
    let &[w, s, e, n] = parts.as_slice() else {
        return Err(format!("'{v}' is not W,S,E,N (four numbers, WGS84 degrees)"));
    };
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    if !(lon.contains(&w) && lon.contains(&e) && lat.contains(&s) && lat.contains(&n) && w < e && s < n) {
        return Err(format!("'{v}' is not a box W,S,E,N with W < E and S < N in WGS84 degrees"));
    }
    Ok([w, s, e, n])
}

/// Parse a `--from`/`--to` value to seconds.
/// One instant of a flag (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or ISO 8601).
pub fn parse_time(flag: &str, value: &str) -> Result<i64, CliError> {
    crate::analysis::compare::Window::parse_instant(value).map_err(|e| CliError::Usage(format!("{flag} {e}")))
}

/// The loaded data and everything resolved for one analysis.
pub struct Loaded {
    pub ds: Dataset,
    pub harm_by_category: Vec<f64>,
    pub prepared: Prepared,
    pub projector: Projector,
    pub notes: Vec<String>,
}

impl AnalysisArgs {
    pub fn params(&self) -> Result<AnalysisParams, CliError> {
        let query = self.filter.query()?;
        Ok(AnalysisParams {
            query,
            cell_m: self.cell_m,
            bandwidth_m: self.bandwidth_m,
            kernel: self.kernel,
            weight: self.weight,
        })
    }

    /// Open the store, load the dataset, resolve the harm table and prepare the analysis.
    pub fn load(&self, store_path: &Path) -> Result<Loaded, CliError> {
        let params = self.params()?;
        let store = Store::open_existing(store_path)?;
        let crs =
            self.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
        let ds = super::load_dataset(&store, crs.as_ref())?;
        let table = match &self.harm {
            Some(p) => HarmTable::from_csv_path(p).map_err(|e| CliError::Usage(e.to_string()))?,
            None => HarmTable::police_uk_default(),
        };
        let (harm_by_category, missing) = table.weights_for(ds.categories().names(), 1.0);
        let mut notes = Vec::new();
        if !missing.is_empty() {
            notes.push(format!(
                "harm table '{}' has no weight for {}: they weigh 1",
                table.label(),
                missing.join(", ")
            ));
        }
        let prepared = prepare_within(&ds, &params, self.bbox, &harm_by_category, table.label())?;
        let projector = Projector::new(ds.crs()).map_err(|e| CliError::Usage(e.to_string()))?;
        Ok(Loaded { ds, harm_by_category, prepared, projector, notes })
    }
}

/// Write bytes to a file atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    crate::files::write_atomic(path, bytes)
        .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))
}

/// Write a GeoJSON FeatureCollection as a GeoPackage layer (the `gdal` feature), or say what is needed.
pub fn write_gpkg(path: &Path, doc: &serde_json::Value, layer: &str) -> Result<(), CliError> {
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
pub enum JsonStyle {
    Compact,
    Pretty,
}

/// Features to `path` in the format its extension names: `.geojson` (or `.json`), `.csv` when the command has a CSV
/// form, or `.gpkg` (one layer named `layer`; the gdal feature). `flag` names the option in errors.
pub fn write_features(
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
        ("geojson" | "json", _) => write_file(path, &json_bytes(&geojson()?).unwrap_or_default()),
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

#[derive(Debug, Clone, Args)]
pub struct DensityArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Write the surface: .geojson (positive cells), .csv (every cell), .png (heatmap) or, with the gdal feature,
    /// .tif (GeoTIFF in the grid's CRS).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run_density(store: &Path, args: &DensityArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let l = args.analysis.load(store)?;
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
                &serde_json::to_vec(&out::density_geojson(&s, &l.prepared.params, &l.projector)).unwrap_or_default(),
            )?,
            "csv" => write_file(path, &out::density_csv(&s, &l.projector))?,
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

#[derive(Debug, Clone, Args)]
pub struct FindArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// How many hotspots to show.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// kde: the densest cells; gistar: cells hot at 95% or more.
    #[arg(long, default_value = "kde")]
    pub method: String,
    /// Share of the study area taken as hot by the kde method (0..1).
    #[arg(long, default_value_t = 0.01)]
    pub top_share: f64,
    /// Instead of --top-share: a density threshold per km2.
    #[arg(long)]
    pub density_cut: Option<f64>,
    /// Gi* distance band, metres (gistar method; default: the bandwidth).
    #[arg(long)]
    pub band_m: Option<f64>,
    /// Rank by incidents (count) or harm.
    #[arg(long, default_value = "count")]
    pub rank_by: String,
    #[arg(long)]
    pub json: bool,
    #[arg(long)]
    pub geojson: bool,
    #[arg(long)]
    pub csv: bool,
    /// Write to a file (.geojson, .json, .csv) instead of the terminal.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run_find(store: &Path, args: &FindArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let l = args.analysis.load(store)?;
    let rank_by = match args.rank_by.as_str() {
        "count" => RankBy::Count,
        "harm" => RankBy::Harm,
        other => return Err(CliError::Usage(format!("--rank-by '{other}' is not count or harm"))),
    };
    let s = l.prepared.density()?;
    let (rule, gistar) = match args.method.as_str() {
        "kde" => (args.density_cut.map_or(CellRule::TopShare(args.top_share), CellRule::Cut), None),
        "gistar" => {
            let band = args.band_m.unwrap_or(l.prepared.params.bandwidth_m);
            (CellRule::GiStarHot, Some(l.prepared.gistar(band, GiStarOptions::default())?))
        }
        other => return Err(CliError::Usage(format!("--method '{other}' is not kde or gistar"))),
    };
    let set = l.prepared.hotspots(&l.ds, &s, gistar.as_ref(), rule, rank_by, &l.harm_by_category)?;
    let geojson = || out::hotspots_geojson(&set, &l.prepared.params, args.top);
    let body: Option<Vec<u8>> = if args.json || args.geojson {
        Some(serde_json::to_vec_pretty(&geojson()).unwrap_or_default())
    } else if args.csv {
        Some(out::hotspots_csv(&set, args.top))
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
            Some(&|| Ok(out::hotspots_csv(&set, args.top))),
        )?;
    }
    match body {
        Some(b) => {
            out.write_all(&b)?;
            writeln!(out)?;
        }
        None => {
            header(&l, out)?;
            writeln!(out)?;
            write!(out, "{}", out::hotspots_text(&set, args.top))?;
        }
    }
    Ok(super::EXIT_OK)
}

#[derive(Debug, Clone, Args)]
pub struct GiStarArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Distance band, metres (default: the bandwidth).
    #[arg(long)]
    pub band_m: Option<f64>,
    /// Permutations for pseudo p-values (0: analytic only).
    #[arg(long, default_value_t = 0)]
    pub permutations: usize,
    /// Seed for the permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bins without the false discovery rate correction.
    #[arg(long)]
    pub no_fdr: bool,
    /// Write cells: .geojson (non-empty or significant cells) or .csv (every cell).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run_gistar(store: &Path, args: &GiStarArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let l = args.analysis.load(store)?;
    let band = args.band_m.unwrap_or(l.prepared.params.bandwidth_m);
    let opts = GiStarOptions { permutations: args.permutations, seed: args.seed, fdr: !args.no_fdr };
    let gg = l.prepared.gistar(band, opts)?;
    let g = &gg.result;
    header(&l, out)?;
    writeln!(out, "band: {band} m; Gi* grid {} x {} cells over the data's extent", gg.grid.cols, gg.grid.rows)?;
    write!(out, "{}", out::gistar_text(g))?;
    if let Some(path) = &args.out {
        let geojson = || Ok(out::gistar_geojson(&gg.grid, &gg.values, g, &l.prepared.params, &l.projector));
        let csv = || Ok(out::gistar_csv(&gg.grid, &gg.values, g, &l.projector));
        write_features("--out", path, "gistar", JsonStyle::Compact, &geojson, Some(&csv))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(super::EXIT_OK)
}

#[derive(Debug, Clone, Args)]
pub struct HexArgs {
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// H3 resolution, 0 (coarsest) to 15; 8 to 10 suit street-level crime.
    #[arg(long, default_value_t = 9)]
    pub resolution: u8,
    /// Also compute Gi* with neighbourhoods of k rings.
    #[arg(long)]
    pub k: Option<u32>,
    /// Permutations for Gi* pseudo p-values.
    #[arg(long, default_value_t = 0)]
    pub permutations: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write hexagons: .geojson or .csv.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run_hex(store: &Path, args: &HexArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    use crate::analysis::hex::{hex_boundary_lonlat, hex_centre_lonlat, hex_counts, hex_gistar};
    let l = args.analysis.load(store)?;
    let weights = (args.analysis.weight == WeightMode::Harm).then_some(l.harm_by_category.as_slice());
    let hex_err = |e: crate::analysis::hex::HexError| CliError::Usage(e.to_string());
    let counts = hex_counts(&l.ds, &l.prepared.selection, weights, args.resolution).map_err(hex_err)?;
    header(&l, out)?;
    writeln!(
        out,
        "H3 resolution {}: {} incidents in {} hexagons{}",
        args.resolution,
        counts.total_count(),
        counts.cells.len(),
        if counts.skipped > 0 { format!(" ({} could not be placed)", counts.skipped) } else { String::new() }
    )?;
    let opts = GiStarOptions { permutations: args.permutations, seed: args.seed, fdr: true };
    let gi = args
        .k
        .map(|k| hex_gistar(&counts, k, args.analysis.weight == WeightMode::Harm, opts))
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
                        "parameters": l.prepared.params, "resolution": args.resolution, "k": args.k}))
        };
        let hex_csv = || -> Result<Vec<u8>, CliError> {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(["h3", "lon", "lat", "count", "weight", "z", "p", "bin"]);
            for &(cell, count, weight, k) in &rows {
                let (lon, lat) = hex_centre_lonlat(cell).map_err(hex_err)?;
                let g = |f: &dyn Fn(&crate::analysis::gistar::GiStar, usize) -> String| {
                    k.zip(gi.as_ref()).map(|(k, g)| f(&g.gistar, k)).unwrap_or_default()
                };
                let _ = w.write_record([
                    format!("{cell:x}"),
                    lon.to_string(),
                    lat.to_string(),
                    count.to_string(),
                    weight.to_string(),
                    g(&|g, k| g.z[k].to_string()),
                    g(&|g, k| g.p[k].to_string()),
                    g(&|g, k| g.bin[k].to_string()),
                ]);
            }
            Ok(w.into_inner().unwrap_or_default())
        };
        write_features("--out", path, "hexagons", JsonStyle::Compact, &hex_doc, Some(&hex_csv))?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(super::EXIT_OK)
}
