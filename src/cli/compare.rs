//! `hotspots compare` and `hotspots accuracy`.

use super::CliError;
use super::analysis::{AnalysisArgs, FilterArgs, JsonStyle, write_file};
use crate::analysis::compare::{Areas, Comparison, Window, change_grid, compare, to_metric};
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::report::compare as out;
use clap::Args;
use geo_types::MultiPolygon;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parse `FROM..TO` for a flag (see [`Window::parse`]).
pub fn parse_window(flag: &str, text: &str) -> Result<Window, CliError> {
    Window::parse(text).map_err(|e| CliError::Usage(format!("{flag} {e}")))
}

fn polygons(path: &Path) -> Result<MultiPolygon<f64>, CliError> {
    let layer = AreaLayer::from_geojson_path(path).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(MultiPolygon::new(layer.areas.into_iter().flat_map(|a| a.outline_lonlat.0).collect()))
}

#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The window before: FROM..TO (TO exclusive), e.g. 2024-01..2024-02.
    #[arg(long)]
    pub before: String,
    /// The window after: FROM..TO.
    #[arg(long)]
    pub after: String,
    /// Only these categories (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// The target area (GeoJSON polygons; all features together).
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// The target is a hotspot from `find` (its id), found again with --cell-m/--bandwidth-m over the before window.
    #[arg(long)]
    pub hotspot: Option<String>,
    /// Width of the buffer around the target, metres.
    #[arg(long, default_value_t = 250.0)]
    pub buffer_m: f64,
    /// The control area (default: everything outside the target and the buffer).
    #[arg(long)]
    pub control: Option<PathBuf>,
    /// A control area for the buffer, for the WDD test (default: none).
    #[arg(long)]
    pub buffer_control: Option<PathBuf>,
    /// Grid cell for --hotspot and --map, metres (default: automatic).
    #[arg(long)]
    pub cell_m: Option<f64>,
    /// Kernel bandwidth for --hotspot, metres (default: automatic).
    #[arg(long)]
    pub bandwidth_m: Option<f64>,
    /// Write the change map (cells with before, after, difference, p, significant): .geojson, .csv or (gdal
    /// feature) .gpkg.
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// Write the comparison to a file: .json or .csv (as --json and --csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// False discovery rate for the change map.
    #[arg(long, default_value_t = 0.05)]
    pub fdr_q: f64,
    /// count or harm: the weight of the density surface that --hotspot ids come from (as `find --weight`). Totals
    /// and categories show both; the area measures and tests count incidents (their statistics are for counts).
    #[arg(long, default_value = "count")]
    pub weight: crate::analysis::points::WeightMode,
    /// Harm weights CSV instead of the built-in table.
    #[arg(long)]
    pub harm: Option<PathBuf>,
    /// Metric CRS (default: the UTM zone of the data's centre).
    #[arg(long)]
    pub crs: Option<String>,
    /// Also compare per area of a stored boundary layer (`hotspots areas import`): NAME, NAME@N or a layer id.
    #[arg(long)]
    pub by_area: Option<String>,
    #[arg(long)]
    pub json: bool,
    #[arg(long)]
    pub csv: bool,
}

/// Everything `compare` computes.
pub struct CompareRun {
    pub comparison: Comparison,
    pub change: Option<crate::analysis::compare::ChangeGrid>,
    pub projector: Projector,
}

pub fn compute(store: &Path, args: &CompareArgs) -> Result<CompareRun, CliError> {
    let before = parse_window("--before", &args.before)?;
    let after = parse_window("--after", &args.after)?;
    let analysis = AnalysisArgs {
        filter: FilterArgs::window(
            Some(crate::model::time::format_instant(before.from_s)),
            Some(crate::model::time::format_instant(before.to_s)),
            &args.categories,
        ),
        cell_m: args.cell_m,
        bandwidth_m: args.bandwidth_m,
        kernel: crate::analysis::kde::Kernel::Quartic,
        weight: args.weight,
        harm: args.harm.clone(),
        crs: args.crs.clone(),
    };
    let l = analysis.load(store)?;
    let projector = l.projector;
    let usage = |e: crate::analysis::compare::CompareError| CliError::Usage(e.to_string());
    let metric =
        |p: &Path| -> Result<MultiPolygon<f64>, CliError> { to_metric(&polygons(p)?, &projector).map_err(usage) };
    let target = match (&args.target, &args.hotspot) {
        (Some(_), Some(_)) => return Err(CliError::Usage("give --target or --hotspot, not both".into())),
        (Some(p), None) => Some((metric(p)?, format!("target {}", p.display()))),
        (None, Some(id)) => {
            let s = l.prepared.density()?;
            let set = l.prepared.hotspots(
                &l.ds,
                &s,
                None,
                crate::analysis::hotspots::CellRule::TopShare(0.01),
                match args.weight {
                    crate::analysis::points::WeightMode::Harm => crate::analysis::hotspots::RankBy::Harm,
                    crate::analysis::points::WeightMode::Count => crate::analysis::hotspots::RankBy::Count,
                },
                &l.harm_by_category,
            )?;
            let h = set.hotspots.iter().find(|h| &h.id == id).ok_or_else(|| {
                let ids: Vec<&str> = set.hotspots.iter().take(20).map(|h| h.id.as_str()).collect();
                CliError::Usage(format!(
                    "no hotspot '{id}' over the before window with these --cell-m/--bandwidth-m; the hotspots there are \
                     {}",
                    ids.join(", ")
                ))
            })?;
            let outline = crate::analysis::outline::trace_cells(&l.prepared.grid, &h.cell_indices);
            Some((outline, format!("hotspot {id}")))
        }
        (None, None) => None,
    };
    let areas = match target {
        Some((target_xy_m, description)) => Some(Areas {
            target_xy_m,
            buffer_m: args.buffer_m,
            control_xy_m: args.control.as_deref().map(metric).transpose()?,
            buffer_control_xy_m: args.buffer_control.as_deref().map(metric).transpose()?,
            description,
        }),
        None if args.control.is_some() || args.buffer_control.is_some() => {
            return Err(CliError::Usage("--control needs a target: --target FILE or --hotspot ID".into()));
        }
        None => None,
    };
    let comparison =
        compare(&l.ds, before, after, &args.categories, &l.harm_by_category, areas.as_ref()).map_err(usage)?;
    let change = match &args.map {
        Some(_) => change_grid(&l.ds, before, after, &args.categories, args.cell_m, args.fdr_q).map_err(usage)?,
        None => None,
    };
    Ok(CompareRun { comparison, change, projector })
}

pub fn run_compare(store: &Path, args: &CompareArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let r = compute(store, args)?;
    if let (Some(path), Some(cg)) = (&args.map, &r.change) {
        let geojson = || Ok(out::change_geojson(cg, &r.projector));
        let csv = || Ok(out::change_csv(cg, &r.projector));
        super::analysis::write_features("--map", path, "change", JsonStyle::Compact, &geojson, Some(&csv))?;
    }
    let by_area = match &args.by_area {
        Some(layer) => Some(super::areas::compare_by_area(
            store,
            layer,
            r.comparison.before,
            r.comparison.after,
            &args.categories,
            args.crs.as_deref(),
        )?),
        None => None,
    };
    // What --json and --csv print, and --out FILE.json|.csv writes.
    let json = || {
        let mut v = serde_json::to_value(&r.comparison).unwrap_or_default();
        if let (Some(b), Some(obj)) = (&by_area, v.as_object_mut()) {
            obj.insert("by_area".into(), serde_json::to_value(b).unwrap_or_default());
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    };
    let csv = || match &by_area {
        Some(b) => crate::report::areas::area_changes_csv(b),
        None => out::comparison_csv(&r.comparison),
    };
    if let Some(path) = &args.out {
        match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).as_deref() {
            Some("json") => write_file(path, json().as_bytes())?,
            Some("csv") => write_file(path, &csv())?,
            _ => {
                return Err(CliError::Usage(format!(
                    "--out {}: use .json or .csv (the change map's cells go to --map FILE.geojson|.csv|.gpkg)",
                    path.display()
                )));
            }
        }
    }
    if args.json {
        writeln!(w, "{}", json())?;
    } else if args.csv {
        w.write_all(&csv())?;
    } else {
        write!(w, "{}", out::comparison_text(&r.comparison))?;
        if let Some(b) = &by_area {
            write!(w, "{}", crate::report::areas::area_changes_text(b))?;
        }
        if let (Some(path), Some(cg)) = (&args.map, &r.change) {
            let up = cg.map.cells.iter().filter(|c| c.significant > 0).count();
            let down = cg.map.cells.iter().filter(|c| c.significant < 0).count();
            writeln!(
                w,
                "\nchange map ({} m cells, FDR q = {}): {down} cells fell and {up} rose significantly; written to {}",
                cg.grid.cell_m,
                cg.map.q,
                path.display()
            )?;
        }
    }
    Ok(super::EXIT_OK)
}

#[derive(Debug, Clone, Args)]
pub struct AccuracyArgs {
    /// The window hotspots are chosen on: FROM..TO.
    #[arg(long)]
    pub train: String,
    /// The window they are tested on: FROM..TO.
    #[arg(long)]
    pub test: String,
    /// Shares of the study area to take as hotspots, percent (comma-separated).
    #[arg(long, default_value = "1,2,5", value_delimiter = ',')]
    pub coverage: Vec<f64>,
    /// Bandwidths to try, metres (comma-separated; default: automatic).
    #[arg(long, value_delimiter = ',')]
    pub bandwidth_m: Vec<f64>,
    /// Grid cell, metres (default: automatic).
    #[arg(long)]
    pub cell_m: Option<f64>,
    /// Only these categories (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    #[arg(long)]
    pub crs: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run_accuracy(store: &Path, args: &AccuracyArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let train = parse_window("--train", &args.train)?;
    let test = parse_window("--test", &args.test)?;
    let bandwidths: Vec<Option<f64>> =
        if args.bandwidth_m.is_empty() { vec![None] } else { args.bandwidth_m.iter().map(|&b| Some(b)).collect() };
    let mut rows = Vec::new();
    for bw in bandwidths {
        let analysis = AnalysisArgs {
            filter: FilterArgs::window(
                Some(crate::model::time::format_instant(train.from_s)),
                Some(crate::model::time::format_instant(train.to_s)),
                &args.categories,
            ),
            cell_m: args.cell_m,
            bandwidth_m: bw,
            kernel: crate::analysis::kde::Kernel::Quartic,
            weight: crate::analysis::points::WeightMode::Count,
            harm: None,
            crs: args.crs.clone(),
        };
        let l = analysis.load(store)?;
        let test_query = crate::model::Query {
            from_s: Some(test.from_s),
            to_s: Some(test.to_s),
            categories: args.categories.clone(),
        };
        let test_sel = test_query.select(&l.ds).map_err(|e| CliError::Usage(format!("--test: {e}")))?;
        // Every category in both windows: the incidents strays are judged against.
        let mut reference = crate::model::Query { categories: Vec::new(), ..test_query.clone() }
            .select(&l.ds)
            .map_err(|e| CliError::Usage(format!("--test: {e}")))?;
        let train_all =
            crate::model::Query { from_s: Some(train.from_s), to_s: Some(train.to_s), categories: Vec::new() }
                .select(&l.ds)
                .map_err(|e| CliError::Usage(format!("--train: {e}")))?;
        reference.indices.extend(train_all.indices);
        let acc = crate::analysis::accuracy::accuracy(&l.ds, &l.prepared, &test_sel, &reference, &args.coverage)?;
        rows.extend(acc);
    }
    if args.json {
        writeln!(w, "{}", serde_json::to_string_pretty(&rows).unwrap_or_default())?;
    } else {
        write!(w, "{}", out::accuracy_text(&rows))?;
    }
    Ok(super::EXIT_OK)
}
