//! `hotspots synth`

use super::{CliError, EXIT_OK};
use crate::report::thousands;
use crate::synth::{Extent, SynthParams, generate, truth_path};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Options of `hotspots synth`.
#[derive(Debug, Clone, Args)]
pub struct SynthArgs {
    /// Number of incidents.
    #[arg(long)]
    pub n: u64,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output CSV (gzip-compressed if it ends in .gz). Ground truth goes to FILE.truth.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of planted hotspots.
    #[arg(long, default_value_t = 10)]
    pub hotspots: usize,
    /// Days covered, starting at --start.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// First day (YYYY-MM-DD).
    #[arg(long, default_value = "2024-01-01")]
    pub start: chrono::NaiveDate,
    /// Side of the square study area, metres.
    #[arg(long, default_value_t = 20_000.0)]
    pub extent_m: f64,
    /// urban (town, streets, police.uk-like snapping) or uniform (homogeneous background, no snapping).
    #[arg(long, default_value = "urban")]
    pub pattern: crate::synth::Pattern,
    /// Plant a change of rate: HOTSPOT:DATE:FACTOR, e.g. 3:2024-07-01:0.4 (hotspot 3 at 40% of its rate from
    /// 1 July). Repeatable, one per hotspot.
    #[arg(long = "trend")]
    pub trends: Vec<crate::synth::Trend>,
    /// A national extent with many towns weighted by population instead of one town: `england-wales`.
    #[arg(long, value_parser = parse_extent, conflicts_with = "bbox")]
    pub extent: Option<Extent>,
    /// A national extent over any WGS84 box W,S,E,N (the listed towns inside it and small towns around them).
    #[arg(long, value_parser = parse_bbox)]
    pub bbox: Option<Extent>,
    /// Number of distinct map points incidents snap to (default: automatic, see the synth module).
    #[arg(long)]
    pub map_points: Option<usize>,
}

fn parse_extent(v: &str) -> Result<Extent, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "england-wales" | "england-and-wales" => Ok(Extent::EnglandWales),
        other => Err(format!("'{other}' is not a known extent: use england-wales, or --bbox W,S,E,N")),
    }
}

fn parse_bbox(v: &str) -> Result<Extent, String> {
    let parts: Vec<f64> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| format!("'{p}' in '{v}' is not a number")))
        .collect::<Result<_, _>>()?;
    match parts.as_slice() {
        &[w, s, e, n] => Ok(Extent::Bbox([w, s, e, n])),
        _ => Err(format!("'{v}' is not W,S,E,N (four numbers, WGS84 degrees)")),
    }
}

pub(super) fn run(args: &SynthArgs, out: &mut dyn Write) -> Result<u8, CliError> {
    let params = SynthParams {
        n: args.n,
        seed: args.seed,
        hotspots: args.hotspots,
        start: args.start,
        days: args.days,
        extent_m: args.extent_m,
        pattern: args.pattern,
        trends: args.trends.clone(),
        extent: args.extent.or(args.bbox).unwrap_or_default(),
        map_points: args.map_points,
        ..SynthParams::default()
    };
    let started = std::time::Instant::now();
    let truth = generate(&params, &args.out)?;
    writeln!(
        out,
        "wrote {} incidents ({} planted hotspots) to {} and the ground truth to {} in {:.2} s",
        thousands(args.n),
        truth.hotspots.len(),
        args.out.display(),
        truth_path(&args.out).display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(EXIT_OK)
}
