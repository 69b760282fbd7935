//! `hotspots when`: counts by hour of day x day of week, and whether most incidents happen at one time.

use super::analysis::{extension, write_file};
use super::params::{SpecArgs, flag};
use super::{CliError, EXIT_OK};
use crate::analysis::spec::WhenSpec;
use crate::analysis::when::concentration::concentration;
use crate::analysis::when::place::{PlaceError, area_spec, keep_in_area, keep_near, lonlat};
use crate::analysis::when::{selection_intervals, when_table};
use crate::geo::CrsDef;
use crate::model::time::format_instant;
use crate::report::when as out;
use crate::store::Store;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The options of `hotspots when`.
#[derive(Debug, Clone, Args)]
pub struct WhenArgs {
    /// Only incidents in one area of a stored boundary layer: LAYER:KEY (e.g. lsoas:E01015301).
    #[arg(long, conflicts_with = "near")]
    pub area: Option<String>,
    /// Only incidents within --radius-m of this point: LON,LAT.
    #[arg(long, requires = "radius_m", allow_hyphen_values = true)]
    pub near: Option<String>,
    /// With --near: the radius in metres.
    #[arg(long, requires = "near")]
    pub radius_m: Option<f64>,
    /// Time zone of the clock hours (IANA name, e.g. Europe/London). Default UTC, which is the data's own clock
    /// when it was ingested without --timezone.
    #[arg(long, default_value = WhenSpec::DEFAULT_TIMEZONE)]
    pub timezone: String,
    /// text, json, csv, svg or png.
    #[arg(long)]
    pub format: Option<String>,
    /// Shorthand for --format json.
    #[arg(long)]
    pub json: bool,
    /// Shorthand for --format csv.
    #[arg(long)]
    pub csv: bool,
    /// Write to this file; the format follows its extension (.txt, .json, .csv, .svg, .png) unless given.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Monte Carlo draws of the uniform null for the concentration sentence.
    #[arg(long, default_value_t = WhenSpec::DEFAULT_DRAWS)]
    pub draws: usize,
    /// Seed of the Monte Carlo draws.
    #[arg(long, default_value_t = WhenSpec::DEFAULT_SEED)]
    pub seed: u64,
    /// The sentence is given when p <= alpha.
    #[arg(long, default_value_t = WhenSpec::DEFAULT_ALPHA)]
    pub alpha: f64,
    /// Metric CRS for distances (default: the UTM zone of the data's centre), e.g. EPSG:27700.
    #[arg(long)]
    pub crs: Option<String>,
    /// The window (default: the data's whole span) and categories.
    #[command(flatten)]
    pub filter: SpecArgs<crate::model::Query>,
}

/// A place's error as a usage error, its parameter named as the flag.
fn place_error(e: PlaceError) -> CliError {
    let message = e.to_string();
    CliError::Usage(match e.parameter() {
        Some(p) if message.starts_with(p) => format!("{}{}", flag(p), &message[p.len()..]),
        _ => message,
    })
}

fn format_of(args: &WhenArgs) -> Result<String, CliError> {
    let f = match (&args.format, args.json, args.csv, &args.out) {
        (Some(f), false, false, _) => f.to_ascii_lowercase(),
        (None, true, false, _) => "json".into(),
        (None, false, true, _) => "csv".into(),
        (None, false, false, Some(p)) => match extension(p).as_str() {
            e @ ("json" | "csv" | "svg" | "png") => e.to_owned(),
            _ => "text".into(),
        },
        (None, false, false, None) => "text".into(),
        _ => return Err(CliError::Usage("give one of --format, --json and --csv".into())),
    };
    if !["text", "json", "csv", "svg", "png"].contains(&f.as_str()) {
        return Err(CliError::Usage(format!("--format {f}: use text, json, csv, svg or png")));
    }
    if f == "png" && args.out.is_none() {
        return Err(CliError::Usage("--format png: give --out FILE.png".into()));
    }
    Ok(f)
}

pub(super) fn run(store: &Path, args: &WhenArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let format = format_of(args)?;
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(CliError::Usage(format!("--alpha {}: give a number between 0 and 1", args.alpha)));
    }
    let tz: chrono_tz::Tz = args.timezone.parse().map_err(|e| {
        CliError::Usage(format!("--timezone {}: {e}; use an IANA name such as Europe/London", args.timezone))
    })?;
    let query = args.filter.0.clone();
    let st = Store::open_existing(store)?;
    let crs = args.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| CliError::Usage(format!("--crs: {e}")))?;
    let ds = st.load_dataset(crs.as_ref())?;
    let mut sel = query.select(&ds).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut place = None;
    if let Some(spec) = &args.area {
        let (layer, key) = area_spec(spec).map_err(place_error)?;
        let rec = st.resolve_area_layer(layer)?;
        let areas = st.load_area_layer(&rec)?;
        place = Some(keep_in_area(&ds, &mut sel, &areas, key).map_err(place_error)?);
    }
    if let (Some(near), Some(radius_m)) = (&args.near, args.radius_m) {
        let point = lonlat(near).map_err(place_error)?;
        place = Some(keep_near(&ds, &mut sel, point, radius_m).map_err(place_error)?);
    }
    let table = when_table(&ds, &sel, &tz, &args.timezone).map_err(|e| CliError::Usage(e.to_string()))?;
    let lengths: Vec<i64> = selection_intervals(&ds, &sel)
        .map_err(|e| CliError::Usage(e.to_string()))?
        .iter()
        .map(|(a, b)| b - a)
        .collect();
    let conc = concentration(&table, &lengths, args.draws, args.seed, args.alpha);
    let ctx = out::WhenContext {
        from: query.from_s.map(format_instant),
        to: query.to_s.map(format_instant),
        categories: query.categories.clone(),
        place,
        warnings: sel.warnings.clone(),
    };
    let bytes = match format.as_str() {
        "json" => {
            let mut b = serde_json::to_vec_pretty(&out::when_json(&table, conc.as_ref(), &ctx))
                .map_err(|e| CliError::Usage(format!("encoding JSON: {e}")))?;
            b.push(b'\n');
            b
        }
        "csv" => out::when_csv(&table).map_err(|e| CliError::Usage(format!("writing CSV: {e}")))?,
        "svg" => out::when_svg(&table, conc.as_ref(), &ctx).into_bytes(),
        "png" => out::when_png(&table, 20).map_err(|e| CliError::Usage(format!("writing PNG: {e}")))?,
        _ => out::when_text(&table, conc.as_ref(), &ctx).into_bytes(),
    };
    match &args.out {
        Some(path) => {
            write_file(path, &bytes)?;
            writeln!(w, "wrote the hour-of-week table ({} incidents) to {}", table.incidents, path.display())?;
            if let Some(s) = conc.as_ref().and_then(|c| c.sentence.as_ref()) {
                writeln!(w, "{s}")?;
            }
        }
        None => w.write_all(&bytes)?,
    }
    Ok(EXIT_OK)
}
