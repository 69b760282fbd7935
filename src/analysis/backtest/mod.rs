//! Rolling-origin backtest: how much of each next period the places chosen by each method caught.
//!
//! For each fold (one of the newest held periods; `folds.rs` says which), every method is fitted on the incidents before
//! the fold only ([`crate::analysis::predict`]) and its best cells are compared with the fold's incidents, at equal
//! area: at each coverage `c`% the places are the best `floor(c% x study cells)` cells of one fixed study area
//! ([`crate::analysis::predict::cut`], the same rule `accuracy` uses).
//!
//! Per method, coverage and fold:
//!
//! - **hit rate**: incidents of the fold in the places / all incidents of the fold;
//! - **PAI** (Chainey, Tompson & Uhlig 2008): hit rate / the places' share of the study area;
//! - **PEI** (Hunt 2016): hit rate / the best hit rate any choice of as many study cells could have had (the sum of
//!   the fold's top-`n` cell counts / all its incidents, `n` the number of cells taken);
//! - **harm captured**: harm of the fold's incidents in the places / all their harm;
//! - **area share**: cells taken / study cells (below the coverage when a method scores fewer cells).
//!
//! Each is reported as its mean, minimum and maximum over the folds. The run is deterministic: every (fold, method)
//! is computed independently (in parallel) and collected in order.

pub mod choose;
mod folds;

pub use choose::{
    CHOICE_MAX_INCIDENTS, DEFAULT_METHOD, MethodChoice, Record, choice_params, choose_from, choose_method,
    choose_method_within, default_methods,
};
pub use folds::MIN_FOLDS;

use crate::analysis::points::WeightMode;
use crate::analysis::predict::method::MAX_LOOKBACK_PERIODS;
use crate::analysis::predict::{
    Binned, Period, PredictError, PredictMethod, STUDY_AREA_RULE, Strays, StudyMask, Weights, cells_for_coverage,
    check_precision, data_end_s, half_lives, held_periods, score_top, select_categories,
};
use crate::grid::{BoxM, Grid};
use crate::model::Dataset;
use crate::model::time::{format_instant, interval_end_s, month_index, month_start_s};
use rayon::prelude::*;
use serde::Serialize;

/// The default coverages, percent of the study area.
pub const DEFAULT_COVERAGES_PCT: [f64; 4] = [0.5, 1.0, 2.0, 5.0];
/// The default cell size: a patrol's scale.
pub const DEFAULT_CELL_M: f64 = 50.0;
/// The default number of folds.
pub const DEFAULT_FOLDS: usize = 12;

/// What to backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestParams {
    /// Categories (all when empty).
    pub categories: Vec<String>,
    /// The prediction methods to compare, in the order reported.
    pub methods: Vec<PredictMethod>,
    /// The coverages to score each method at, percent of the study area (0.5 = the best 0.5% of its cells).
    pub coverages_pct: Vec<f64>,
    /// At most this many folds.
    pub folds: usize,
    /// `None`: months on month-precision data, else 28 days.
    pub period: Option<Period>,
    /// The end of the history evaluated (exclusive); `None`: the end of the data (a month start on month periods,
    /// midnight UTC on day periods).
    pub at_s: Option<i64>,
    /// The grid cell size, in metres.
    pub cell_m: f64,
    /// What each incident weighs (counts, or harm by category).
    pub weights: Weights,
    /// Refuse ([`PredictError::TooMuchHistory`]) rather than read more than this many incidents in the periods
    /// tested; `None`: no limit.
    pub max_incidents: Option<usize>,
}

impl BacktestParams {
    /// The defaults: every category, [`default_methods`], [`DEFAULT_COVERAGES_PCT`], [`DEFAULT_FOLDS`], natural
    /// periods, the end of the data, [`DEFAULT_CELL_M`], counts, no limit on the incidents read.
    pub fn new(weights: Weights) -> BacktestParams {
        BacktestParams {
            categories: Vec::new(),
            methods: default_methods(),
            coverages_pct: DEFAULT_COVERAGES_PCT.to_vec(),
            folds: DEFAULT_FOLDS,
            period: None,
            at_s: None,
            cell_m: DEFAULT_CELL_M,
            weights,
            max_incidents: None,
        }
    }
}

/// Mean, minimum and maximum over folds (`None` when no fold defines the measure).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Stat {
    /// The mean over the folds that define the measure.
    pub mean: f64,
    /// The smallest value over those folds.
    pub min: f64,
    /// The largest value over those folds.
    pub max: f64,
}

impl Stat {
    fn of(values: impl Iterator<Item = Option<f64>>) -> Option<Stat> {
        let v: Vec<f64> = values.flatten().collect();
        if v.is_empty() {
            return None;
        }
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Stat { mean, min, max })
    }
}

/// One fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fold {
    /// `2024-03`, or `2017-12-04..2018-01-01`.
    pub label: String,
    /// The fold's first instant (inclusive), as text.
    pub from: String,
    /// The fold's end (exclusive), as text.
    pub to: String,
    /// Incidents of the selected categories in the fold.
    pub incidents: u64,
    /// Harm of those incidents (their weights summed; equal to `incidents` when weighting by count).
    pub harm: f64,
}

/// One method, coverage and fold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldScore {
    /// Cells taken (at most the coverage's `cells_allowed`; fewer when the method scored fewer cells).
    pub cells: usize,
    /// Cells taken / study cells, a fraction.
    pub area_share: f64,
    /// Incidents of the fold in the cells taken.
    pub hits: u64,
    /// `hits` / the fold's incidents; `None` when the fold has none.
    pub hit_rate: Option<f64>,
    /// Prediction Accuracy Index: hit rate / area share; `None` when the hit rate is undefined or the area share is 0.
    pub pai: Option<f64>,
    /// Predictive Efficiency Index: hit rate / the best hit rate as many study cells could have had; `None` when
    /// undefined.
    pub pei: Option<f64>,
    /// Harm in the cells taken / the fold's harm; `None` when the fold has no harm.
    pub harm_captured: Option<f64>,
}

/// One method at one coverage, over the folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRecord {
    /// The coverage, percent of the study area.
    pub coverage_pct: f64,
    /// The cells the coverage allows.
    pub cells_allowed: usize,
    /// Whether the method scored enough cells to fill the coverage in every fold.
    pub reached: bool,
    /// Area share over the folds.
    pub area_share: Option<Stat>,
    /// Hit rate over the folds.
    pub hit_rate: Option<Stat>,
    /// PAI over the folds.
    pub pai: Option<Stat>,
    /// PEI over the folds.
    pub pei: Option<Stat>,
    /// Harm captured over the folds.
    pub harm_captured: Option<Stat>,
    /// In the order of [`Backtest::folds`].
    pub per_fold: Vec<FoldScore>,
}

/// One method's record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodRecord {
    /// The method and its parameters.
    pub method: PredictMethod,
    /// The text form (`counts:3`).
    pub text: String,
    /// What the method does, for people.
    pub description: String,
    /// Why it was not evaluated (`None` when it was).
    pub set_aside: Option<String>,
    /// Its lookback at each fold, periods.
    pub lookback_periods: Vec<usize>,
    /// Per coverage (empty when set aside).
    pub coverages: Vec<CoverageRecord>,
}

impl MethodRecord {
    /// The record at a coverage.
    pub fn at(&self, coverage_pct: f64) -> Option<&CoverageRecord> {
        self.coverages.iter().find(|c| c.coverage_pct == coverage_pct)
    }
}

/// The study area of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyArea {
    /// How the study area was drawn, for people ([`crate::analysis::predict::STUDY_AREA_RULE`]).
    pub rule: &'static str,
    /// Cells in the study area.
    pub cells: usize,
    /// The grid cell size, in metres.
    pub cell_m: f64,
    /// The study area, km2 (cells x cell area).
    pub km2: f64,
    /// The span of the incidents it was drawn around.
    pub from: String,
    /// The end of that span (exclusive), as text.
    pub to: String,
}

/// A backtest's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// The period length of the folds (months or days).
    pub period: Period,
    /// The end of the history evaluated (exclusive), as text.
    pub at: String,
    /// What each incident weighs.
    pub weight: WeightMode,
    /// The categories selected (empty = all).
    pub categories: Vec<String>,
    /// The coverages scored, percent of the study area.
    pub coverages_pct: Vec<f64>,
    /// The one study area every method and fold is scored in.
    pub study_area: StudyArea,
    /// Newest first.
    pub folds: Vec<Fold>,
    /// Every method asked for, in the order asked, including those set aside.
    pub methods: Vec<MethodRecord>,
    /// Periods skipped and why, and anything else to know.
    pub notes: Vec<String>,
}

impl Backtest {
    /// The records of the methods evaluated.
    pub fn evaluated(&self) -> impl Iterator<Item = &MethodRecord> {
        self.methods.iter().filter(|m| m.set_aside.is_none())
    }
}

fn month_start_of(index: i64) -> i64 {
    month_start_s(index.div_euclid(12) as i32, (index.rem_euclid(12) + 1) as u32).unwrap_or(i64::MIN / 4)
}

/// The end of the history: the given end (on month periods rounded down to a month start), or the end of the data
/// rounded up to a month start (month periods) or to midnight UTC (day periods).
fn resolve_at(ds: &Dataset, at_s: Option<i64>, period: Period, notes: &mut Vec<String>) -> Result<i64, PredictError> {
    let at = match at_s {
        Some(t) => t,
        None => {
            let end = data_end_s(ds).ok_or_else(|| PredictError::NoData("the store holds no incidents".into()))?;
            match period {
                Period::Days(_) => crate::model::time::ceil_day_s(end),
                // Up to the next month start (a month whose last incident is before its last second is still
                // whole when every day of it has data).
                Period::Month => {
                    let start = month_start_of(month_index(end));
                    if start == end { end } else { month_start_of(month_index(end) + 1) }
                }
            }
        }
    };
    if period == Period::Month {
        let start = month_start_of(month_index(at));
        if start != at {
            notes.push(format!(
                "the end {} is not a month start: months are tested up to {}",
                format_instant(at),
                format_instant(start)
            ));
        }
        return Ok(start);
    }
    Ok(at)
}

/// Run the backtest (see the module docs).
pub fn backtest(ds: &Dataset, params: &BacktestParams) -> Result<Backtest, PredictError> {
    if params.folds == 0 {
        return Err(PredictError::BadFolds(0));
    }
    for &c in &params.coverages_pct {
        if !(c.is_finite() && c > 0.0 && c <= 100.0) {
            return Err(PredictError::BadCoverage(c));
        }
    }
    for m in &params.methods {
        m.validate().map_err(|problem| PredictError::BadMethod { method: m.to_string(), problem })?;
    }
    if params.methods.is_empty() {
        return Err(PredictError::NoMethods);
    }
    let selected = select_categories(ds, &params.categories)?;
    if selected.is_empty() {
        return Err(PredictError::NoData("no incident of the selected categories".into()));
    }
    let period = params.period.unwrap_or_else(|| Period::natural(ds));
    check_precision(ds, &selected, period)?;
    let mut notes = Vec::new();
    let at = resolve_at(ds, params.at_s, period, &mut notes)?;
    let earliest = selected.par_iter().map(|&i| ds.time_s()[i as usize]).min().unwrap_or(at);
    // Back to the earliest incident, then far enough that every lookback can be counted (those periods hold
    // nothing, so no fit reaches them).
    let mut bounds = period.bounds_back(at, earliest);
    for _ in 0..MAX_LOOKBACK_PERIODS + 2 {
        let last = *bounds.last().unwrap_or(&at);
        bounds.push(period.step_back(last));
    }
    let held = held_periods(&crate::model::Coverage::of(ds), &bounds);
    let plan = folds::plan(period, &bounds, &held, &params.methods, params.folds);
    notes.extend(plan.notes.iter().cloned());
    if plan.folds.len() < plan.candidates.len() {
        notes.push(format!(
            "compared on {} of the {} {}s the data allow testing: the methods set aside need more history before the \
             others",
            plan.folds.len(),
            plan.candidates.len(),
            period.word()
        ));
    }
    if plan.folds.is_empty() {
        return Err(PredictError::NoData(format!(
            "no {} before {} is held with the {} before it, so nothing can be tested",
            period.word(),
            format_instant(at),
            period.word()
        )));
    }

    // The evaluation span: from the start of the deepest lookback to the end of the newest fold.
    let deepest = plan
        .lookbacks
        .iter()
        .filter_map(|l| l.as_ref().ok())
        .flat_map(|l| plan.folds.iter().zip(l).map(|(&j, &n)| j + n))
        .max()
        .unwrap_or(plan.folds[0] + 1);
    let (span_from, span_to) = (bounds[deepest + 1], bounds[plan.folds[0]]);
    let spanned = |&i: &u32| {
        let (s, p) = (ds.time_s()[i as usize], ds.precision()[i as usize]);
        s >= span_from && interval_end_s(s, p) <= span_to
    };
    // Counted before they are listed, so a history refused as too large is never copied.
    if let Some(limit) = params.max_incidents {
        let incidents = selected.par_iter().filter(|i| spanned(i)).count();
        if incidents > limit {
            return Err(PredictError::TooMuchHistory { incidents, limit });
        }
    }
    let in_span: Vec<u32> = selected.par_iter().copied().filter(spanned).collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = in_span.iter().map(|&i| (ds.x_m()[i as usize], ds.y_m()[i as usize])).unzip();
    // Strays are judged against every category's incidents in the span, and kept out of the grid and the study
    // area (they still count, uncaught, in every fold's total).
    let (ref_xs, ref_ys): (Vec<f64>, Vec<f64>) = (0..ds.len())
        .into_par_iter()
        .filter(|&i| {
            let (s, p) = (ds.time_s()[i], ds.precision()[i]);
            s >= span_from && interval_end_s(s, p) <= span_to
        })
        .map(|i| (ds.x_m()[i], ds.y_m()[i]))
        .unzip();
    let strays = Strays::find(&xs, &ys, &ref_xs, &ref_ys);
    let (kept_xs, kept_ys) = strays.kept(&xs, &ys);
    let extent =
        BoxM::of_points(&kept_xs, &kept_ys).ok_or_else(|| PredictError::NoData("no incident in the folds".into()))?;
    let grid = Grid::covering(&extent, 0.0, params.cell_m, ds.crs())?;
    let area = StudyMask::new(&xs, &ys, strays, &grid);
    if area.strays.incidents > 0 {
        notes.push(stray_note(ds, &area.strays));
    }
    let study_cells = area.cells;
    let study = area.mask;

    let binned =
        Binned::build(ds, &in_span, &grid, &bounds[..=deepest + 1], &params.weights, &half_lives(&params.methods));
    if binned.straddling > 0 {
        notes.push(format!(
            "{} incidents have times that cross a {} boundary and are in no {}",
            binned.straddling,
            period.word(),
            period.word()
        ));
    }

    let tests: Vec<TestPeriod> = plan.folds.iter().map(|&j| TestPeriod::of(&binned, j, &study)).collect();
    let mut coverages = params.coverages_pct.clone();
    coverages.sort_by(f64::total_cmp);
    coverages.dedup();
    let allowed: Vec<usize> = coverages.iter().map(|&c| cells_for_coverage(study_cells, c)).collect();
    let max_allowed = allowed.iter().copied().max().unwrap_or(0);

    // Every (method, fold) that can be evaluated, in order.
    let jobs: Vec<(usize, usize, usize)> = plan
        .lookbacks
        .iter()
        .enumerate()
        .filter_map(|(m, l)| l.as_ref().ok().map(|l| (m, l)))
        .flat_map(|(m, l)| l.iter().enumerate().map(move |(f, &n)| (m, f, n)))
        .collect();
    let scored: Vec<Result<Vec<FoldScore>, PredictError>> = jobs
        .par_iter()
        .map(|&(m, f, lookback)| {
            let j = plan.folds[f];
            let ranked = score_top(&binned, &grid, &params.methods[m], (j + 1, lookback), &study, max_allowed)?;
            Ok(tests[f].evaluate(&ranked, &allowed, study_cells))
        })
        .collect();
    let mut per_job = scored.into_iter();
    let mut methods = Vec::with_capacity(params.methods.len());
    for (m, lookback) in params.methods.iter().zip(&plan.lookbacks) {
        let text = m.to_string();
        let description = m.describe(&period.word());
        match lookback {
            Err(reason) => methods.push(MethodRecord {
                method: *m,
                text,
                description,
                set_aside: Some(reason.clone()),
                lookback_periods: Vec::new(),
                coverages: Vec::new(),
            }),
            Ok(l) => {
                let mut by_fold: Vec<Vec<FoldScore>> = Vec::with_capacity(l.len());
                for _ in l {
                    by_fold.push(per_job.next().ok_or_else(|| PredictError::Internal("missing fold".into()))??);
                }
                let coverages = coverages
                    .iter()
                    .enumerate()
                    .map(|(c, &pct)| {
                        let per_fold: Vec<FoldScore> = by_fold.iter().map(|f| f[c].clone()).collect();
                        CoverageRecord {
                            coverage_pct: pct,
                            cells_allowed: allowed[c],
                            reached: per_fold.iter().all(|s| s.cells == allowed[c]),
                            area_share: Stat::of(per_fold.iter().map(|s| Some(s.area_share))),
                            hit_rate: Stat::of(per_fold.iter().map(|s| s.hit_rate)),
                            pai: Stat::of(per_fold.iter().map(|s| s.pai)),
                            pei: Stat::of(per_fold.iter().map(|s| s.pei)),
                            harm_captured: Stat::of(per_fold.iter().map(|s| s.harm_captured)),
                            per_fold,
                        }
                    })
                    .collect();
                methods.push(MethodRecord {
                    method: *m,
                    text,
                    description,
                    set_aside: None,
                    lookback_periods: l.clone(),
                    coverages,
                });
            }
        }
    }
    let folds = plan
        .folds
        .iter()
        .zip(&tests)
        .map(|(&j, t)| Fold {
            label: period.label(bounds[j + 1], bounds[j]),
            from: format_instant(bounds[j + 1]),
            to: format_instant(bounds[j]),
            incidents: t.total_count as u64,
            harm: t.total_harm,
        })
        .collect();
    Ok(Backtest {
        period,
        at: format_instant(at),
        weight: params.weights.mode,
        categories: params.categories.clone(),
        coverages_pct: coverages,
        study_area: StudyArea {
            rule: STUDY_AREA_RULE,
            cells: study_cells,
            cell_m: params.cell_m,
            km2: study_cells as f64 * grid.cell_area_m2() / 1e6,
            from: format_instant(span_from),
            to: format_instant(span_to),
        },
        folds,
        methods,
        notes,
    })
}

/// "4 incidents far from the rest are outside the study area: 1 near -0.2453, 52.5224; ...".
pub(crate) fn stray_note(ds: &Dataset, strays: &Strays) -> String {
    let projector = crate::geo::Projector::new(ds.crs()).ok();
    let places: Vec<String> = strays
        .groups
        .iter()
        .take(5)
        .map(|&(x, y, n)| match projector.as_ref().and_then(|p| p.to_lonlat(x, y)) {
            Some((lon, lat)) => format!("{n} near {lon:.4}, {lat:.4}"),
            None => format!("{n} near x {x:.0} m, y {y:.0} m"),
        })
        .collect();
    format!(
        "{} incident{} far from the rest {} outside the study area and never caught: {}{}",
        strays.incidents,
        if strays.incidents == 1 { "" } else { "s" },
        if strays.incidents == 1 { "is" } else { "are" },
        places.join("; "),
        if strays.groups.len() > 5 { "; ..." } else { "" }
    )
}

/// A fold's incidents by cell, and the best any choice of `n` study cells could catch.
struct TestPeriod {
    /// (cell, incidents, harm), cells ascending.
    cells: Vec<(u32, f64, f64)>,
    total_count: f64,
    total_harm: f64,
    /// `best[n]`: incidents in the `n` study cells with most incidents.
    best: Vec<f64>,
}

impl TestPeriod {
    fn of(b: &Binned, j: usize, study: &[bool]) -> TestPeriod {
        let r = b.entry_ranges[j].clone();
        let cells: Vec<(u32, f64, f64)> =
            r.clone().map(|e| (b.entry_cell[e], b.entry_count[e], b.entry_harm[e])).collect();
        let total_count = b.incidents_in(j) as f64;
        let total_harm = cells.iter().map(|c| c.2).sum::<f64>() + b.outside_harm[j];
        let mut counts: Vec<f64> = cells.iter().filter(|c| study[c.0 as usize]).map(|c| c.1).collect();
        counts.sort_by(|a, b| b.total_cmp(a));
        let mut best = Vec::with_capacity(counts.len() + 1);
        best.push(0.0);
        for c in counts {
            best.push(best.last().copied().unwrap_or(0.0) + c);
        }
        TestPeriod { cells, total_count, total_harm, best }
    }

    /// Scores at each allowed number of cells of the ranked places (best first).
    fn evaluate(&self, ranked: &[(u32, f64)], allowed: &[usize], study_cells: usize) -> Vec<FoldScore> {
        // Cumulative incidents and harm along the ranking.
        let mut cum = Vec::with_capacity(ranked.len() + 1);
        cum.push((0.0, 0.0));
        for &(cell, _) in ranked {
            let (c, h) = match self.cells.binary_search_by_key(&cell, |t| t.0) {
                Ok(i) => (self.cells[i].1, self.cells[i].2),
                Err(_) => (0.0, 0.0),
            };
            let last = cum.last().copied().unwrap_or((0.0, 0.0));
            cum.push((last.0 + c, last.1 + h));
        }
        allowed
            .iter()
            .map(|&k| {
                let n = k.min(ranked.len());
                let (hits, harm) = cum[n];
                let area_share = if study_cells > 0 { n as f64 / study_cells as f64 } else { 0.0 };
                let hit_rate = (self.total_count > 0.0).then(|| hits / self.total_count);
                let best = self.best[n.min(self.best.len() - 1)];
                FoldScore {
                    cells: n,
                    area_share,
                    hits: hits as u64,
                    hit_rate,
                    pai: hit_rate.filter(|_| area_share > 0.0).map(|h| h / area_share),
                    pei: (best > 0.0).then(|| hits / best),
                    harm_captured: (self.total_harm > 0.0).then(|| harm / self.total_harm),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
