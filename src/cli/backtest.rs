//! `hotspots backtest`: the rolling-origin evaluation of prediction methods on the store's own history.

use super::analysis::{DataArgs, write_file};
use super::{CliError, EXIT_OK};
use crate::analysis::backtest::{
    BacktestParams, DEFAULT_CELL_M, DEFAULT_FOLDS, backtest, choose::CHOICE_COVERAGE_PCT, choose_from, default_methods,
};
use crate::analysis::points::WeightMode;
use crate::analysis::predict::{Period, PredictMethod, Weights};
use crate::report::backtest as out;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `hotspots backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// Methods to compare, comma-separated: counts:N, decay:H, kde:B, prospective:B:T, blend:H:B:A, with an optional
    /// lookback :N after decay, kde and blend (default: counts over 1, 2, 3, 6, 12 periods, two decays, three KDEs,
    /// prospective, and a blend over 1, 2, 3, 6, 12 periods).
    #[arg(long, value_delimiter = ',')]
    pub methods: Vec<PredictMethod>,
    /// Coverages, percent of the study area (comma-separated).
    #[arg(long, default_value = "0.5,1,2,5", value_delimiter = ',')]
    pub coverage: Vec<f64>,
    /// At most this many folds (the newest held periods).
    #[arg(long, default_value_t = DEFAULT_FOLDS)]
    pub folds: usize,
    /// Period: month, week, Nd or Nw (default: month on month-precision data, else 28d).
    #[arg(long)]
    pub period: Option<Period>,
    /// End of the history tested (exclusive; default: the end of the data).
    #[arg(long)]
    pub at: Option<String>,
    /// Grid cell, metres.
    #[arg(long, default_value_t = DEFAULT_CELL_M)]
    pub cell_m: f64,
    /// Only these categories (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// Fit on counts, or on harm (harm-weighted variants of every method; the choice then ranks by harm captured).
    #[arg(long, default_value = "count")]
    pub weight: WeightMode,
    /// Where the data's weights and metric grid come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// Write a chart of hit rate against coverage, one line per method (SVG).
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// Print the backtest as JSON (every fold).
    #[arg(long)]
    pub json: bool,
    /// Print the backtest as CSV, one row per method, coverage and fold.
    #[arg(long)]
    pub csv: bool,
}

pub(super) fn run(store: &Path, args: &BacktestArgs, w: &mut dyn Write) -> Result<u8, CliError> {
    let data = args.data.load(store)?;
    let ds = &data.ds;
    let mut params =
        BacktestParams::new(Weights { mode: args.weight, harm_by_category: data.harm_by_category.clone() });
    params.categories = args.categories.clone();
    params.methods = if args.methods.is_empty() { default_methods() } else { args.methods.clone() };
    params.coverages_pct = args.coverage.clone();
    params.folds = args.folds;
    params.period = args.period;
    params.at_s = args
        .at
        .as_deref()
        .map(|a| crate::model::Window::parse_instant(a).map_err(|e| CliError::Usage(format!("--at {e}"))))
        .transpose()?;
    params.cell_m = args.cell_m;
    let mut bt = backtest(ds, &params).map_err(|e| CliError::Usage(e.to_string()))?;
    bt.notes.extend(data.notes.iter().cloned());
    let choice = bt.coverages_pct.contains(&CHOICE_COVERAGE_PCT).then(|| choose_from(&bt));
    if let Some(path) = &args.chart {
        write_file(path, out::chart_svg(&bt).as_bytes())?;
    }
    if args.json {
        let v = serde_json::json!({ "backtest": bt, "choice": choice });
        let text = serde_json::to_string_pretty(&v).map_err(|e| CliError::Usage(format!("JSON output: {e}")))?;
        writeln!(w, "{text}")?;
    } else if args.csv {
        w.write_all(&out::backtest_csv(&bt)?)?;
    } else {
        write!(w, "{}", out::backtest_text(&bt, choice.as_ref()))?;
        if let Some(path) = &args.chart {
            writeln!(w, "chart written to {}", path.display())?;
        }
    }
    Ok(EXIT_OK)
}
