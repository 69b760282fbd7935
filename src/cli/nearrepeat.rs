//! `hotspots nearrepeat`: the Knox test, and near-repeat zones with `--zones-at`.

use super::analysis::{extension, write_file};
use super::params::SpecArgs;
use super::{CliError, EXIT_OK};
use crate::analysis::nearrepeat::zones::{near_repeat_zones, validate_zones};
use crate::analysis::nearrepeat::{DistanceMetric, KnoxParams, NearRepeatError, SpaceBands, TimeBands, knox_selection};
use crate::geo::{CrsDef, Projector};
use crate::model::time::format_instant;
use crate::report::nearrepeat as out;
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The options of `hotspots nearrepeat`.
#[derive(Debug, Clone, Args)]
pub struct NearRepeatArgs {
    /// Spatial band edges in metres, from 0: `0,100,200,300` gives 0 (same location), (0,100), [100,200),
    /// [200,300). Default: 0,100,200,300,400.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["space_bandwidth_m", "space_bands"])]
    pub space_m: Option<Vec<f64>>,
    /// Spatial bands as a width in metres...
    #[arg(long, requires = "space_bands")]
    pub space_bandwidth_m: Option<f64>,
    /// ...and a count.
    #[arg(long, requires = "space_bandwidth_m")]
    pub space_bands: Option<usize>,
    /// Do not make distance 0 (the same map point) a band of its own.
    #[arg(long)]
    pub no_same_location: bool,
    /// Temporal band edges in days, from 0: `0,7,14` gives [0,7), [7,14). Default: 0,7,14,21,28.
    #[arg(long, value_delimiter = ',', conflicts_with_all = ["time_bandwidth_d", "time_bands"])]
    pub time_d: Option<Vec<f64>>,
    /// Temporal bands as a width in days...
    #[arg(long, requires = "time_bands")]
    pub time_bandwidth_d: Option<f64>,
    /// ...and a count.
    #[arg(long, requires = "time_bandwidth_d")]
    pub time_bands: Option<usize>,
    /// euclidean (as the crow flies) or manhattan (|dx| + |dy|, the NearRepeat R package's default).
    #[arg(long, default_value = "euclidean")]
    pub distance: DistanceMetric,
    /// Monte Carlo permutations of the times.
    #[arg(long, default_value_t = 999)]
    pub iterations: usize,
    /// Seed of the permutations.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A cell is significant when p <= alpha.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// text, json, csv or html (the heat table); with --zones-at: text, json or geojson.
    #[arg(long)]
    pub format: Option<String>,
    /// Shorthand for --format json.
    #[arg(long)]
    pub json: bool,
    /// Shorthand for --format csv.
    #[arg(long)]
    pub csv: bool,
    /// Write to this file; the format follows its extension (.txt, .json, .csv, .html, .geojson) unless given.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Near-repeat zones as of this instant: the Knox test runs on the history before it (from --from), and the
    /// zones hold the incidents of the last --nr-days whose raised risk has not expired.
    #[arg(long)]
    pub zones_at: Option<String>,
    /// With --zones-at: how many days back to look for source incidents.
    #[arg(long, default_value_t = 14.0)]
    pub nr_days: f64,
    /// With --zones-at: also count the next N days' incidents in the zones, against the same area placed at
    /// random and around the oldest incidents (0 = skip).
    #[arg(long, default_value_t = 14.0)]
    pub validate_days: f64,
    /// Metric CRS for distances (default: the UTM zone of the data's centre), e.g. EPSG:27700.
    #[arg(long)]
    pub crs: Option<String>,
    /// The window (default: the data's whole span) and categories.
    #[command(flatten)]
    pub filter: SpecArgs<crate::model::Query>,
}

fn usage(e: NearRepeatError) -> CliError {
    CliError::Usage(e.to_string())
}

impl NearRepeatArgs {
    /// The Knox test's parameters from the flags (default bands 0,100,200,300,400 m by 0,7,14,21,28 days).
    pub fn params(&self) -> Result<KnoxParams, CliError> {
        let same = !self.no_same_location;
        let space = match (&self.space_m, self.space_bandwidth_m, self.space_bands) {
            (Some(edges), _, _) => SpaceBands::new(edges.clone(), same),
            (None, Some(w), Some(n)) => SpaceBands::uniform(w, n, same),
            _ => SpaceBands::new(vec![0.0, 100.0, 200.0, 300.0, 400.0], same),
        }
        .map_err(|e| CliError::Usage(format!("--space-m: {e}")))?;
        let time = match (&self.time_d, self.time_bandwidth_d, self.time_bands) {
            (Some(edges), _, _) => TimeBands::new(edges.clone()),
            (None, Some(w), Some(n)) => TimeBands::uniform(w, n),
            _ => TimeBands::new(vec![0.0, 7.0, 14.0, 21.0, 28.0]),
        }
        .map_err(|e| CliError::Usage(format!("--time-d: {e}")))?;
        Ok(KnoxParams {
            space,
            time,
            metric: self.distance,
            iterations: self.iterations,
            seed: self.seed,
            alpha: self.alpha,
        })
    }

    fn format(&self, zones: bool) -> Result<String, CliError> {
        let f = match (&self.format, self.json, self.csv, &self.out) {
            (Some(f), false, false, _) => f.to_ascii_lowercase(),
            (None, true, false, _) => "json".into(),
            (None, false, true, _) => "csv".into(),
            (None, false, false, Some(p)) => match extension(p).as_str() {
                "json" => "json".into(),
                "csv" => "csv".into(),
                "html" | "htm" => "html".into(),
                "geojson" => "geojson".into(),
                _ => "text".into(),
            },
            (None, false, false, None) => "text".into(),
            _ => return Err(CliError::Usage("give one of --format, --json and --csv".into())),
        };
        let valid: &[&str] = if zones { &["text", "json", "geojson"] } else { &["text", "json", "csv", "html"] };
        if !valid.contains(&f.as_str()) {
            return Err(CliError::Usage(format!(
                "--format {f}: use {}{}",
                valid.join(", "),
                if zones { " with --zones-at" } else { "" }
            )));
        }
        Ok(f)
    }
}

fn emit(args: &NearRepeatArgs, bytes: Vec<u8>, what: &str, w: &mut dyn Write) -> Result<u8, CliError> {
    match &args.out {
        Some(path) => {
            write_file(path, &bytes)?;
            writeln!(w, "wrote {what} to {}", path.display())?;
        }
        None => w.write_all(&bytes)?,
    }
    Ok(EXIT_OK)
}

fn json_bytes(v: &serde_json::Value) -> Result<Vec<u8>, CliError> {
    let mut b = serde_json::to_vec_pretty(v).map_err(|e| CliError::Usage(format!("encoding JSON: {e}")))?;
    b.push(b'\n');
    Ok(b)
}

pub(super) fn run(store: &Path, args: &NearRepeatArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let params = args.params()?;
    let zones_at = args
        .zones_at
        .as_deref()
        .map(|v| crate::model::Window::parse_instant(v).map_err(|e| CliError::Usage(format!("--zones-at {e}"))))
        .transpose()?;
    let format = args.format(zones_at.is_some())?;
    let mut query = args.filter.0.clone();
    if let Some(at) = zones_at {
        if query.to_s.is_some_and(|t| t != at) {
            return Err(CliError::Usage(
                "--to and --zones-at: the Knox test for zones runs on the history before --zones-at; give one".into(),
            ));
        }
        query.to_s = Some(at);
    }
    let st = Store::open_existing(store)?;
    let crs = args.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let ds = st.load_dataset(crs.as_ref())?;
    let sel = query.select(&ds).map_err(|e| CliError::Usage(e.to_string()))?;
    let result = knox_selection(&ds, &sel, &params).map_err(usage)?;
    let ctx = out::KnoxContext {
        from: query.from_s.map(format_instant),
        to: query.to_s.map(format_instant),
        categories: query.categories.clone(),
        warnings: sel.warnings.clone(),
    };
    let Some(at) = zones_at else {
        let bytes = match format.as_str() {
            "json" => json_bytes(&out::knox_json(&result, &ctx))?,
            "csv" => out::knox_csv(&result).map_err(|e| CliError::Usage(format!("writing CSV: {e}")))?,
            "html" => out::knox_html(&result, &ctx).into_bytes(),
            _ => out::knox_text(&result, &ctx).into_bytes(),
        };
        return emit(args, bytes, "the Knox table", w);
    };
    let projector = Projector::new(ds.crs()).map_err(|e| CliError::Usage(e.to_string()))?;
    let history_from =
        query.from_s.or_else(|| sel.indices.iter().map(|&i| ds.time_s()[i as usize]).min()).unwrap_or(at);
    let zones = near_repeat_zones(&ds, &query.categories, at, args.nr_days, &result, history_from, &projector)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let validation = if args.validate_days > 0.0 {
        Some(
            validate_zones(&ds, &zones, args.validate_days, 99, args.seed)
                .map_err(|e| CliError::Usage(e.to_string()))?,
        )
    } else {
        None
    };
    let bytes = match format.as_str() {
        "geojson" => json_bytes(&out::zones_geojson(&zones))?,
        "json" => json_bytes(&serde_json::json!({"zones": zones, "validation": validation,
            "knox": out::knox_json(&result, &ctx)}))?,
        _ => {
            let mut s = out::knox_text(&result, &ctx);
            s.push('\n');
            s.push_str(&out::zones_text(&zones, validation.as_ref()));
            s.into_bytes()
        }
    };
    emit(args, bytes, &format!("{} near-repeat zones", zones.zones.len()), w)
}
