//! Prediction: scoring grid cells from past incidents, for places that catch the *next* period's crime.
//!
//! A [`PredictMethod`] (counts over the last periods, exponentially decayed counts, exact KDE, prospective
//! hotspotting, a blend) scores every cell of a [`Grid`] from the incidents before an instant `fit_end_s`
//! ([`score_cells`]). The backtest ([`crate::analysis::backtest`]) fits every method on the history before each of
//! the last periods and measures what its best cells caught of that period.
//!
//! **No leakage.** A fit reads an incident only when its whole time interval lies before `fit_end_s` (a police.uk
//! incident of March is not read by a fit ending on 15 March) and starts within the method's lookback: the last `N`
//! periods before `fit_end_s` ([`periods`]). Nothing at or after `fit_end_s` can change a score: the binning drops
//! it before any sum is formed (tested by changing the future and comparing scores bit for bit).
//!
//! **Weights.** `count` fits on each incident's weight (1 unless the file gave a weight column); `harm` on that
//! times its category's harm weight ([`Weights`]).
//!
//! **Cost.** Incidents are binned once into (period, cell) sums (`bins.rs`); count and decay methods are then sums
//! over periods of sparse cell lists (exponential decay factors out of each period exactly:
//! `2^(-(fit_end - t) / h) = 2^(-(fit_end - period_end) / h) x 2^(-(period_end - t) / h)`), KDE runs the exact
//! kernel of [`crate::analysis::kde`] on the lookback's incidents, and prospective hotspotting spreads per-cell
//! sums over a stencil.

mod bins;
pub mod cut;
pub mod method;
pub mod periods;
mod score;

pub(crate) use cut::hull_mask;
pub use cut::{STUDY_AREA_RULE, Strays, StudyMask, cells_for_coverage, ranked_cells, ranked_cells_dense, study_area};
pub use method::{DEFAULT_LOOKBACK_PERIODS, MethodParseError, PredictMethod};
pub use periods::{Period, data_end_s, held_periods};

pub(crate) use bins::Binned;
pub(crate) use score::{score_sparse, score_top};

use super::kde::KdeError;
use super::points::WeightMode;
use crate::grid::Grid;
use crate::model::time::TimePrecision;
use crate::model::{Dataset, Query, QueryError};
use serde::Serialize;

/// How incidents weigh when fitting, and the harm weight of each category (for harm captured).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    /// What fitting weighs each incident by: its count, or its harm.
    pub mode: WeightMode,
    /// Harm weight per category id; a category beyond the end weighs 1.
    pub harm_by_category: Vec<f64>,
}

impl Weights {
    /// Counting, with every category's harm 1.
    pub fn count() -> Weights {
        Weights { mode: WeightMode::Count, harm_by_category: Vec::new() }
    }

    /// The weight incident `i` fits with.
    pub fn fit_weight(&self, ds: &Dataset, i: usize) -> f64 {
        match self.mode {
            WeightMode::Count => f64::from(ds.weight()[i]),
            WeightMode::Harm => self.harm_weight(ds, i),
        }
    }

    /// Its harm: its weight times its category's harm weight.
    pub fn harm_weight(&self, ds: &Dataset, i: usize) -> f64 {
        let cat = usize::from(ds.category_ids()[i]);
        f64::from(ds.weight()[i]) * self.harm_by_category.get(cat).copied().unwrap_or(1.0)
    }
}

/// Errors of prediction and its evaluation.
#[derive(Debug, thiserror::Error)]
pub enum PredictError {
    /// The window or categories could not be selected.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A KDE method's density could not be computed.
    #[error(transparent)]
    Kde(#[from] KdeError),
    /// The grid could not be built.
    #[error(transparent)]
    Grid(#[from] crate::grid::GridError),
    #[error("method {method}: {problem}")]
    /// A method's parameters are not usable.
    BadMethod {
        /// The method's text form (`decay:0d`).
        method: String,
        /// What is wrong, for people.
        problem: String,
    },
    #[error(
        "period {period} is finer than the data: {count} selected incidents are known only to the {precision}; use \
         period month"
    )]
    /// Some incidents are known less precisely than the period.
    PeriodTooFine {
        /// The period asked for.
        period: String,
        /// The coarser precision those incidents have.
        precision: TimePrecision,
        /// How many selected incidents have it.
        count: usize,
    },
    /// Nothing to evaluate (why, for people).
    #[error("no incidents to evaluate: {0}")]
    NoData(String),
    /// A coverage is not above 0 and at most 100 percent (the one given).
    #[error("coverage {0}% is not a share of the study area above 0 and at most 100")]
    BadCoverage(f64),
    /// No method was given.
    #[error("no method to test: give at least one method")]
    NoMethods,
    /// Fewer than one fold was asked for (the number given).
    #[error("folds must be at least 1 (got {0})")]
    BadFolds(usize),
    /// A backtest limited to `limit` incidents would have to read more (a choice of method inside a request).
    #[error(
        "the periods to test hold {incidents} incidents, more than the {limit} a method choice tests; narrow the \
         place or the categories, or name the method"
    )]
    TooMuchHistory {
        /// Incidents in the periods the backtest would read.
        incidents: usize,
        /// The limit ([`crate::analysis::backtest::BacktestParams::max_incidents`]).
        limit: usize,
    },
    /// A broken invariant of the evaluation (what), reported rather than a panic.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The dataset indices of the incidents in `categories` (all when empty), with unknown names refused.
pub(crate) fn select_categories(ds: &Dataset, categories: &[String]) -> Result<Vec<u32>, PredictError> {
    Ok(Query { categories: categories.to_vec(), ..Query::default() }.select(ds)?.indices)
}

/// The dataset indices of the incidents in `categories` (all when empty) whose time interval overlaps
/// `[from_s, to_s)`, with unknown names refused.
pub(crate) fn select_overlapping(
    ds: &Dataset,
    categories: &[String],
    from_s: i64,
    to_s: i64,
) -> Result<Vec<u32>, PredictError> {
    if from_s >= to_s {
        // Nothing to read; the categories are still checked.
        return select_categories(ds, categories).map(|_| Vec::new());
    }
    let query = Query { from_s: Some(from_s), to_s: Some(to_s), categories: categories.to_vec(), ..Query::default() };
    Ok(query.select_overlapping(ds)?.indices)
}

/// Refuse a day period on data known only to the month (or a month period on data known only to the year).
pub(crate) fn check_precision(ds: &Dataset, selected: &[u32], period: Period) -> Result<(), PredictError> {
    let limit = match period {
        Period::Month => TimePrecision::Year,
        Period::Days(_) => TimePrecision::Month,
    };
    use rayon::prelude::*;
    let precisions = ds.precision();
    let (count, coarsest) = selected
        .par_iter()
        .map(|&i| precisions[i as usize])
        .filter(|&p| p >= limit)
        .fold(|| (0usize, None), |(n, most), p| (n + 1, most.max(Some(p))))
        .reduce(|| (0, None), |(n, a), (m, b)| (n + m, a.max(b)));
    match coarsest {
        Some(precision) => Err(PredictError::PeriodTooFine { period: period.to_string(), precision, count }),
        None => Ok(()),
    }
}

/// How many periods back from `bounds[first]` the method reads, or `None` when the bounds run out first.
pub fn lookback_periods(method: &PredictMethod, bounds: &[i64], first: usize) -> Option<usize> {
    let n = match method.fixed_lookback_periods() {
        Some(n) => n as usize,
        None => match *method {
            PredictMethod::Prospective { time_band_days, .. } => {
                Period::lookback_periods(bounds, first, i64::from(time_band_days) * 86_400)? as usize
            }
            _ => return None,
        },
    };
    (first + n < bounds.len()).then_some(n)
}

/// The boundaries a fit ending at `fit_end_s` needs: `fit_end_s` and one per period back through the lookback.
pub(crate) fn fit_bounds(method: &PredictMethod, period: Period, fit_end_s: i64) -> Vec<i64> {
    match method.fixed_lookback_periods() {
        Some(n) => {
            let mut b = vec![fit_end_s];
            for _ in 0..n {
                let last = *b.last().unwrap_or(&fit_end_s);
                b.push(period.step_back(last));
            }
            b
        }
        None => {
            let band_s = match *method {
                PredictMethod::Prospective { time_band_days, .. } => i64::from(time_band_days) * 86_400,
                _ => 0,
            };
            period.bounds_back(fit_end_s, fit_end_s - band_s)
        }
    }
}

/// The half-lives (seconds) the methods decay with, once each.
pub(crate) fn half_lives(methods: &[PredictMethod]) -> Vec<f64> {
    let mut h: Vec<f64> = Vec::new();
    for m in methods {
        if let Some(v) = m.half_life_s()
            && !h.contains(&v)
        {
            h.push(v);
        }
    }
    h
}

/// Score every cell of `grid` (one value per cell, row 0 south) with `method`, from the incidents of `categories`
/// (all when empty) that lie wholly before `fit_end_s` and within the method's lookback, in the data's natural
/// periods ([`Period::natural`]: months on month-precision data, else 28 days). Higher is more likely to see
/// incidents next. Nothing at or after `fit_end_s` is read (see the module docs).
pub fn score_cells(
    ds: &Dataset,
    categories: &[String],
    grid: &Grid,
    method: &PredictMethod,
    fit_end_s: i64,
    weights: &Weights,
) -> Result<Vec<f64>, PredictError> {
    score_cells_in(ds, categories, grid, method, fit_end_s, weights, Period::natural(ds))
}

/// [`score_cells`] with explicit periods. A period finer than the precision of an incident whose time overlaps the
/// lookback is refused ([`PredictError::PeriodTooFine`]).
pub fn score_cells_in(
    ds: &Dataset,
    categories: &[String],
    grid: &Grid,
    method: &PredictMethod,
    fit_end_s: i64,
    weights: &Weights,
    period: Period,
) -> Result<Vec<f64>, PredictError> {
    method.validate().map_err(|problem| PredictError::BadMethod { method: method.to_string(), problem })?;
    let bounds = fit_bounds(method, period, fit_end_s);
    // Only incidents whose time overlaps the fit's periods can be placed in one (Binned::build), or cross one of
    // its boundaries (and refuse too fine a period), so only they are read.
    let (from_s, to_s) = (bounds.last().copied().unwrap_or(fit_end_s), fit_end_s);
    let selected = select_overlapping(ds, categories, from_s, to_s)?;
    check_precision(ds, &selected, period)?;
    let binned = Binned::build(ds, &selected, grid, &bounds, weights, &half_lives(std::slice::from_ref(method)));
    let lookback = lookback_periods(method, &bounds, 0).unwrap_or(binned.n_periods());
    let sparse = score_sparse(&binned, grid, method, 0, lookback)?;
    let mut dense = vec![0.0; grid.n_cells()];
    for (cell, v) in sparse {
        dense[cell as usize] = v;
    }
    Ok(dense)
}

#[cfg(test)]
mod tests;
