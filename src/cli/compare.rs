//! `hotspots compare` and `hotspots accuracy`.

use super::CliError;
use super::analysis::{DataArgs, JsonStyle, write_file};
use super::params::{SpecArgs, flag_error};
use crate::analysis::compare::{Areas, Comparison, change_grid, compare, hotspot_outline, to_metric};
use crate::analysis::pipeline::AnalysisParams;
use crate::analysis::spec::{CompareSpec, Params};
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::model::Window;
use crate::report::compare as out;
use clap::Args;
use geo_types::MultiPolygon;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parse `FROM..TO` for a flag (see [`Window::parse`]).
pub(super) fn parse_window(flag: &str, text: &str) -> Result<Window, CliError> {
    Window::parse(text).map_err(|e| CliError::Usage(format!("{flag} {e}")))
}

fn polygons(path: &Path) -> Result<MultiPolygon<f64>, CliError> {
    let layer = AreaLayer::from_geojson_path(path).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(MultiPolygon::new(layer.areas.into_iter().flat_map(|a| a.outline_lonlat.0).collect()))
}

/// Options of `hotspots compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// The target area (GeoJSON polygons; all features together). Or --hotspot ID.
    #[arg(long)]
    pub target: Option<PathBuf>,
    /// The control area (default: everything outside the target and the buffer).
    #[arg(long)]
    pub control: Option<PathBuf>,
    /// A control area for the buffer, for the WDD test (default: none).
    #[arg(long)]
    pub buffer_control: Option<PathBuf>,
    /// Write the change map (cells with before, after, difference, p, significant): .geojson, .csv or (gdal
    /// feature) .gpkg.
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// Also compare per area of a stored boundary layer (`hotspots areas import`): NAME, NAME@N or a layer id.
    #[arg(long)]
    pub by_area: Option<String>,
    /// Write the comparison to a file: .json or .csv (as --json and --csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print the comparison as CSV, one row per figure.
    #[arg(long)]
    pub csv: bool,
    /// The comparison's parameters (windows, categories, target hotspot, buffer, change map), as the library's
    /// [`CompareSpec`].
    #[command(flatten)]
    pub spec: SpecArgs<CompareSpec>,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Everything `compare` computes.
pub(super) struct CompareRun {
    pub comparison: Comparison,
    pub change: Option<crate::analysis::compare::ChangeGrid>,
    pub projector: Projector,
    pub ds: crate::model::Dataset,
}

pub(super) fn compute(store: &Path, args: &CompareArgs) -> Result<CompareRun, CliError> {
    let spec = &args.spec.0;
    let (before, after) = spec.windows().map_err(|e| CliError::Usage(flag_error(&e)))?;
    let l = super::analysis::load_for_rule(store, &args.data, &spec.before_analysis(before), &spec.rule)?;
    let choice = super::analysis::predictor_choice(store, &l, &spec.rule)?;
    let projector = l.projector;
    let usage = |e: crate::analysis::compare::CompareError| CliError::Usage(e.to_string());
    let metric =
        |p: &Path| -> Result<MultiPolygon<f64>, CliError> { to_metric(&polygons(p)?, &projector).map_err(usage) };
    let target = match (&args.target, &spec.hotspot) {
        (Some(_), Some(_)) => return Err(CliError::Usage("give --target or --hotspot, not both".into())),
        (Some(p), None) => Some((metric(p)?, format!("target {}", p.display()))),
        (None, Some(id)) => {
            let predictor = choice.as_ref().map(|c| &c.method);
            let set = l.prepared.rule_hotspots(&l.ds, None, &spec.rule, None, &l.harm_by_category, predictor)?;
            let settings = hotspot_settings(spec);
            let outline = hotspot_outline(&set, &l.prepared.grid, id, &settings).map_err(usage)?;
            Some((outline, format!("hotspot {id}")))
        }
        (None, None) => None,
    };
    let areas = match target {
        Some((target_xy_m, description)) => Some(Areas {
            target_xy_m,
            buffer_m: spec.buffer_m,
            control_xy_m: args.control.as_deref().map(metric).transpose()?,
            buffer_control_xy_m: args.buffer_control.as_deref().map(metric).transpose()?,
            description,
        }),
        None if args.control.is_some() || args.buffer_control.is_some() => {
            return Err(CliError::Usage("--control needs a target: --target FILE or --hotspot ID".into()));
        }
        None => None,
    };
    let cats = &spec.analysis.query.categories;
    let comparison = compare(&l.ds, before, after, cats, &l.harm_by_category, areas.as_ref()).map_err(usage)?;
    let change = match &args.map {
        Some(_) => change_grid(&l.ds, before, after, cats, spec.analysis.cell_m, spec.fdr_q).map_err(usage)?,
        None => None,
    };
    Ok(CompareRun { comparison, change, projector, ds: l.ds })
}

/// The settings that make a comparison's hotspot ids, in the command line's words (for the unknown-id error).
fn hotspot_settings(spec: &CompareSpec) -> String {
    let mut pairs = Vec::new();
    spec.analysis.pairs(false, &mut pairs);
    spec.rule.pairs(false, &mut pairs);
    pairs
        .iter()
        .filter(|(k, _)| *k != "from" && *k != "to" && *k != "category")
        .map(|(k, v)| format!("{} {v}", super::params::flag(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn run_compare(store: &Path, args: &CompareArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let r = compute(store, args)?;
    if let (Some(path), Some(cg)) = (&args.map, &r.change) {
        let geojson = || Ok(out::change_geojson(cg, &r.projector));
        let csv = || Ok(out::change_csv(cg, &r.projector)?);
        super::analysis::write_features("--map", path, "change", JsonStyle::Compact, &geojson, Some(&csv))?;
    }
    let by_area = match &args.by_area {
        Some(layer) => Some(super::areas::compare_by_area(
            store,
            layer,
            &r.ds,
            &r.comparison,
            &args.spec.analysis.query.categories,
        )?),
        None => None,
    };
    // What --json and --csv print, and --out FILE.json|.csv writes.
    let json = || -> Result<String, CliError> {
        let mut v = serde_json::to_value(&r.comparison).map_err(crate::report::ReportError::from)?;
        if let (Some(b), Some(obj)) = (&by_area, v.as_object_mut()) {
            obj.insert("by_area".into(), serde_json::to_value(b).map_err(crate::report::ReportError::from)?);
        }
        Ok(serde_json::to_string_pretty(&v).map_err(crate::report::ReportError::from)?)
    };
    let csv = || -> Result<Vec<u8>, CliError> {
        Ok(match &by_area {
            Some(b) => crate::report::areas::area_changes_csv(b)?,
            None => out::comparison_csv(&r.comparison)?,
        })
    };
    if let Some(path) = &args.out {
        match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).as_deref() {
            Some("json") => write_file(path, json()?.as_bytes())?,
            Some("csv") => write_file(path, &csv()?)?,
            _ => {
                return Err(CliError::Usage(format!(
                    "--out {}: use .json or .csv (the change map's cells go to --map FILE.geojson|.csv|.gpkg)",
                    path.display()
                )));
            }
        }
    }
    if args.json {
        writeln!(w, "{}", json()?)?;
    } else if args.csv {
        w.write_all(&csv()?)?;
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

/// Options of `hotspots accuracy`.
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
    /// Metric CRS for grids and distances (default: the UTM zone of the data's centre), e.g. EPSG:27700.
    #[arg(long)]
    pub crs: Option<String>,
    /// Print the rows as JSON.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run_accuracy(store: &Path, args: &AccuracyArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let train = parse_window("--train", &args.train)?;
    let test = parse_window("--test", &args.test)?;
    let bandwidths: Vec<Option<f64>> =
        if args.bandwidth_m.is_empty() { vec![None] } else { args.bandwidth_m.iter().map(|&b| Some(b)).collect() };
    let mut rows = Vec::new();
    let data = DataArgs { harm: None, crs: args.crs.clone() }.load(store)?;
    let test_query = crate::model::Query {
        from_s: Some(test.from_s),
        to_s: Some(test.to_s),
        categories: args.categories.clone(),
        ..Default::default()
    };
    let test_sel = test_query.select(&data.ds).map_err(|e| CliError::Usage(format!("--test: {e}")))?;
    // Every category in both windows: the incidents strays are judged against.
    let mut reference = crate::model::Query { categories: Vec::new(), ..test_query.clone() }
        .select(&data.ds)
        .map_err(|e| CliError::Usage(format!("--test: {e}")))?;
    let train_all = crate::model::Query {
        from_s: Some(train.from_s),
        to_s: Some(train.to_s),
        categories: Vec::new(),
        ..test_query.clone()
    }
    .select(&data.ds)
    .map_err(|e| CliError::Usage(format!("--train: {e}")))?;
    reference.indices.extend(train_all.indices);
    for bw in bandwidths {
        let params = AnalysisParams {
            query: crate::model::Query {
                from_s: Some(train.from_s),
                to_s: Some(train.to_s),
                categories: args.categories.clone(),
                ..Default::default()
            },
            cell_m: args.cell_m,
            bandwidth_m: bw,
            ..Default::default()
        };
        let prepared = crate::analysis::pipeline::prepare(&data.ds, &params, &data.harm_by_category, &data.harm_label)?;
        let acc = crate::analysis::accuracy::accuracy(&data.ds, &prepared, &test_sel, &reference, &args.coverage)?;
        rows.extend(acc);
    }
    if args.json {
        writeln!(w, "{}", serde_json::to_string_pretty(&rows).map_err(crate::report::ReportError::from)?)?;
    } else {
        write!(w, "{}", out::accuracy_text(&rows))?;
    }
    Ok(super::EXIT_OK)
}
