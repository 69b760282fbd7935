//! Near repeats: the Knox test for space-time clustering with Monte Carlo inference, at any size.
//!
//! After a burglary the same house and its neighbours are at raised risk for a few weeks. The Knox test counts
//! the pairs of incidents that are close in space **and** in time, and asks whether there are more such pairs
//! than if the times were unrelated to the places.
//!
//! **The table.** Every unordered pair of incidents `{i, j}` has a distance `d` (Euclidean or Manhattan, metres,
//! in the dataset's metric CRS) and a time difference `|t_i - t_j|` (seconds, compared with band edges given in
//! days times 86,400). A pair counts in the cell of the spatial band holding `d` and the temporal band holding
//! the time difference.
//!
//! **Interval edges, exactly.** Every band is closed on the left and open on the right, `[a, b)`, as the
//! NearRepeat R package (Steenbeek) with its defaults (`right = FALSE, include.lowest = FALSE`). With the
//! same-location band on (the default) distance 0 (two incidents at the same map point) is its own band `{0}` and
//! the first near band is `(0, e1)`. So `space_m = 0,100,200` gives the bands `{0}`, `(0,100)`, `[100,200)` m and
//! `time_d = 0,7,14` the bands `[0,7)`, `[7,14)` days: a pair exactly 100 m or 7 days apart is in the second
//! band, and a pair 200 m or 14 days apart or more is in no band. Without the same-location band the spatial
//! bands are `[0,100)`, `[100,200)`, as R's `sds = c(0, 100, 200)`. Edges start at 0, increase, and are finite.
//!
//! **Inference.** `iterations` times (999 by default), the times are shuffled over the fixed locations (R's
//! `sample(time)`) and the table recounted. Per cell: observed pairs, expected (the mean of the permuted counts),
//! the Knox ratio (observed / expected; undefined when expected is 0), the median of the permuted counts, the
//! one-sided p-value `(k + 1) / (iterations + 1)` with `k` the permutations counting at least the observed pairs
//! (as R's `NearRepeat`), and `significant` when `p <= alpha`. The exact mean of the permutation distribution is
//! given beside the Monte Carlo one: a pair's shuffled time difference is that of a uniformly random pair, so the
//! expected count of cell `(s, t)` is `S_s T_t / (n (n - 1) / 2)` with `S_s` the pairs in spatial band `s` and
//! `T_t` the pairs (among all) in temporal band `t`.
//!
//! **Any size.** Only pairs closer than the largest spatial edge are ever listed (a grid search, [`pairs`]), each
//! with its spatial band; a permutation re-reads that list with shuffled times and never searches space again.
//! The time window is not used to prune the list: a pair far apart in time can be close once the times are
//! shuffled. Permutations run in parallel, each on its own seeded random stream, and are reduced in order: the
//! result is the same at any thread count. Cost: `O(n log n + P)` for the search and `O(iterations (n + P))`
//! for the test, `P` the pairs within the largest spatial edge.
//!
//! References: Knox (1964), "The detection of space-time interactions", *Applied Statistics* 13; Johnson &
//! Bowers (2004) on near repeats of burglary; Steenbeek, NearRepeat R package 0.1.1 (the reference implementation
//! the tests reproduce).

pub mod alert;
pub mod bands;
pub mod knox;
pub mod pairs;
pub mod zones;

#[cfg(test)]
mod tests;

pub use bands::{DistanceMetric, SpaceBands, TimeBands};

use crate::model::{Dataset, Selection, TimePrecision};
use serde::Serialize;

/// Errors of the near-repeat analysis.
#[derive(Debug, thiserror::Error)]
pub enum NearRepeatError {
    /// Band edges that are not increasing, not finite, or do not start at 0.
    #[error("{parameter}: {reason}")]
    Bands {
        /// `space_m` or `time_d` (or their bandwidth and count).
        parameter: &'static str,
        /// What is wrong with the edges.
        reason: String,
    },
    /// Fewer than 2 permutations.
    #[error("iterations: {0} permutations; give at least 2 (999 is usual)")]
    Iterations(usize),
    /// A significance level outside (0, 1).
    #[error("alpha: {0} must be between 0 and 1")]
    Alpha(f64),
    #[error("{incidents} incidents: at most 4,294,967,295 can be tested at once")]
    /// More incidents than 32-bit positions can number.
    TooMany {
        /// Incidents selected.
        incidents: usize,
    },
    #[error("incident {index} has no usable coordinates (x {x_m} m, y {y_m} m)")]
    /// An incident whose projected coordinates are not finite.
    BadCoordinate {
        /// Its position in the selection.
        index: usize,
        /// Easting, metres.
        x_m: f64,
        /// Northing, metres.
        y_m: f64,
    },
    /// Times more than 2^32 seconds apart.
    #[error("the times span more than 136 years; the Knox test measures differences in whole seconds up to that")]
    TimeSpan,
    #[error(
        "{count} of the selected incidents are known only to the {precision} (e.g. {example}): the Knox test needs \
         days or finer, because a {precision} cannot tell a pair 2 days apart from one 25 days apart. police.uk \
         data publish months only; use a source with dates or times"
    )]
    /// Incidents known only to the month or coarser (police.uk), which cannot measure days.
    CoarseTimes {
        /// How many selected incidents are that coarse.
        count: usize,
        /// The coarsest precision found.
        precision: TimePrecision,
        /// One such incident's time as stored.
        example: String,
    },
    #[error(
        "time_d: edge {edge_d} days is not a whole day, but {count} selected incidents are known only to the day; \
         give whole-day edges"
    )]
    /// A fractional-day edge over incidents known only to the day.
    SubDayBands {
        /// The first such edge, in days.
        edge_d: String,
        /// Day-precision incidents selected.
        count: usize,
    },
    #[error(
        "{pairs} pairs lie within {max_m} m: more than the {limit} this build keeps in memory; use a smaller largest \
         spatial band or fewer incidents"
    )]
    /// More pairs within the largest spatial edge than [`MAX_PAIRS`].
    TooManyPairs {
        /// Pairs found within `max_m`.
        pairs: usize,
        /// The largest spatial edge, metres.
        max_m: f64,
        /// [`MAX_PAIRS`].
        limit: usize,
    },
}

/// What to test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnoxParams {
    /// Spatial bands (metres), with "same location" as its own band when asked.
    pub space: SpaceBands,
    /// Temporal bands (days).
    pub time: TimeBands,
    /// Euclidean or Manhattan distance.
    pub metric: DistanceMetric,
    /// Monte Carlo permutations (999 by default).
    pub iterations: usize,
    /// Seed of the permutations (permutation `k` uses stream `k` of it).
    pub seed: u64,
    /// A cell is significant when `p <= alpha`.
    pub alpha: f64,
}

impl KnoxParams {
    /// The usual defaults around given bands: Euclidean, 999 permutations, seed 1, alpha 0.05.
    pub fn new(space: SpaceBands, time: TimeBands) -> KnoxParams {
        KnoxParams { space, time, metric: DistanceMetric::Euclidean, iterations: 999, seed: 1, alpha: 0.05 }
    }
}

/// One cell of the Knox table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnoxCell {
    /// Spatial band index (row of the table).
    pub space: usize,
    /// The spatial band in interval notation, metres: `0 (same location)`, `(0,100)`, `[100,200)`.
    pub space_label: String,
    /// Temporal band index (column of the table).
    pub time: usize,
    /// The temporal band in interval notation, days: `[0,7)`.
    pub time_label: String,
    /// Pairs of incidents in this band of distance and of time difference.
    pub observed: u64,
    /// Mean of the permuted counts.
    pub expected: f64,
    /// `observed / expected`; `None` when no permutation put a pair here.
    pub knox_ratio: Option<f64>,
    /// Median of the permuted counts, and the ratio to it (R's `knox_ratio_median`).
    pub median: f64,
    /// `observed / median`; `None` when the median is 0.
    pub knox_ratio_median: Option<f64>,
    /// The exact mean of the permutation distribution (see the module docs).
    pub expected_exact: f64,
    /// Permutations with at least the observed count.
    pub at_least_observed: u64,
    /// One-sided p: `(at_least_observed + 1) / (iterations + 1)`.
    pub p: f64,
    /// `p <= alpha`.
    pub significant: bool,
}

/// The Knox test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnoxResult {
    /// The bands, metric, permutations and alpha used.
    pub params: KnoxParams,
    /// Incidents tested.
    pub incidents: usize,
    /// Pairs closer than the largest spatial edge (whatever their time difference).
    pub pairs_within_space: u64,
    /// Pairs counted in the table (within both largest edges).
    pub pairs_in_table: u64,
    /// Labels of the spatial bands (rows).
    pub space_labels: Vec<String>,
    /// Labels of the temporal bands (columns).
    pub time_labels: Vec<String>,
    /// Row-major by spatial band: `cells[s * time_labels.len() + t]`.
    pub cells: Vec<KnoxCell>,
    /// Things to know: e.g. how many significant cells chance alone would give.
    pub notes: Vec<String>,
}

impl KnoxResult {
    /// The cell of spatial band `space` and temporal band `time` (panics outside the table).
    pub fn cell(&self, space: usize, time: usize) -> &KnoxCell {
        &self.cells[space * self.time_labels.len() + time]
    }
    /// The cells with `p <= alpha`, row by row.
    pub fn significant_cells(&self) -> impl Iterator<Item = &KnoxCell> {
        self.cells.iter().filter(|c| c.significant)
    }
}

/// Pairs kept in memory at most (4 bytes each).
pub const MAX_PAIRS: usize = 2_000_000_000;

/// The Knox test on points: `x_m`, `y_m` in metres, `t_s` in seconds (any origin), all the same length.
pub fn knox(x_m: &[f64], y_m: &[f64], t_s: &[i64], params: &KnoxParams) -> Result<KnoxResult, NearRepeatError> {
    if params.iterations < 2 {
        return Err(NearRepeatError::Iterations(params.iterations));
    }
    if !(params.alpha > 0.0 && params.alpha < 1.0) {
        return Err(NearRepeatError::Alpha(params.alpha));
    }
    let n = x_m.len();
    assert!(y_m.len() == n && t_s.len() == n, "knox: x, y and t must have the same length");
    let times = knox::relative_times(t_s).ok_or(NearRepeatError::TimeSpan)?;
    let pairs = pairs::find_pairs(x_m, y_m, &params.space, params.metric)?;
    if pairs.len() > MAX_PAIRS {
        return Err(NearRepeatError::TooManyPairs {
            pairs: pairs.len(),
            max_m: params.space.max_m(),
            limit: MAX_PAIRS,
        });
    }
    let tables = knox::tables(&pairs, &times, &params.time, params.iterations, params.seed);
    let space_counts = pairs.band_counts();
    let time_counts = knox::time_band_counts(&times, &params.time);
    Ok(assemble(params, n, pairs.len() as u64, &tables, &space_counts, &time_counts))
}

fn assemble(
    params: &KnoxParams,
    n: usize,
    pairs_within_space: u64,
    tables: &knox::Tables,
    space_counts: &[u64],
    time_counts: &[u64],
) -> KnoxResult {
    let (ns, nt) = (params.space.len(), params.time.len());
    let space_labels: Vec<String> = (0..ns).map(|s| params.space.label(s)).collect();
    let time_labels: Vec<String> = (0..nt).map(|t| params.time.label(t)).collect();
    let all_pairs = (n as f64) * (n as f64 - 1.0) / 2.0;
    let iters = tables.permuted.len();
    let mut cells = Vec::with_capacity(ns * nt);
    let mut column = vec![0u32; iters];
    for s in 0..ns {
        for t in 0..nt {
            let c = s * nt + t;
            let observed = u64::from(tables.observed[c]);
            for (slot, table) in column.iter_mut().zip(&tables.permuted) {
                *slot = table[c];
            }
            let sum: u64 = column.iter().map(|&v| u64::from(v)).sum();
            let at_least = column.iter().filter(|&&v| u64::from(v) >= observed).count() as u64;
            column.sort_unstable();
            let median = if iters % 2 == 1 {
                f64::from(column[iters / 2])
            } else {
                (f64::from(column[iters / 2 - 1]) + f64::from(column[iters / 2])) / 2.0
            };
            let expected = sum as f64 / iters as f64;
            let ratio = |den: f64| (den > 0.0).then(|| observed as f64 / den);
            let p = (at_least + 1) as f64 / (iters + 1) as f64;
            cells.push(KnoxCell {
                space: s,
                space_label: space_labels[s].clone(),
                time: t,
                time_label: time_labels[t].clone(),
                observed,
                expected,
                knox_ratio: ratio(expected),
                median,
                knox_ratio_median: ratio(median),
                expected_exact: if all_pairs > 0.0 {
                    space_counts[s] as f64 * time_counts[t] as f64 / all_pairs
                } else {
                    0.0
                },
                at_least_observed: at_least,
                p,
                significant: p <= params.alpha,
            });
        }
    }
    let mut notes = Vec::new();
    let chance = params.alpha * (ns * nt) as f64;
    notes.push(format!(
        "each cell is tested on its own: with {} cells at alpha {}, about {:.1} would be significant by chance alone",
        ns * nt,
        params.alpha,
        chance
    ));
    let smallest_p = 1.0 / (iters + 1) as f64;
    if smallest_p > params.alpha {
        notes.push(format!(
            "{iters} permutations cannot give a p-value below {smallest_p:.3}, above alpha {}: no cell can be significant",
            params.alpha
        ));
    }
    KnoxResult {
        params: params.clone(),
        incidents: n,
        pairs_within_space,
        pairs_in_table: tables.observed.iter().map(|&v| u64::from(v)).sum(),
        space_labels,
        time_labels,
        cells,
        notes,
    }
}

/// The Knox test on a selection of a dataset. Refuses incidents known only to the month or year, and sub-day
/// band edges on day-precision incidents.
pub fn knox_selection(ds: &Dataset, sel: &Selection, params: &KnoxParams) -> Result<KnoxResult, NearRepeatError> {
    check_precision(ds, sel, &params.time)?;
    let idx = |col: &[f64]| sel.indices.iter().map(|&i| col[i as usize]).collect::<Vec<f64>>();
    let t: Vec<i64> = sel.indices.iter().map(|&i| ds.time_s()[i as usize]).collect();
    knox(&idx(ds.x_m()), &idx(ds.y_m()), &t, params)
}

/// Refuse what the times cannot measure: month or year precision at all, sub-day edges on day precision.
pub fn check_precision(ds: &Dataset, sel: &Selection, time: &TimeBands) -> Result<(), NearRepeatError> {
    let prec = ds.precision();
    let coarse: Vec<u32> = sel.indices.iter().copied().filter(|&i| prec[i as usize] >= TimePrecision::Month).collect();
    if let Some(&first) = coarse.first() {
        let p = prec[first as usize];
        return Err(NearRepeatError::CoarseTimes {
            count: coarse.len(),
            precision: p,
            example: if p == TimePrecision::Month {
                crate::model::time::month_label(ds.time_s()[first as usize])
            } else {
                crate::model::time::format_instant(ds.time_s()[first as usize])[..4].to_owned()
            },
        });
    }
    let days = sel.indices.iter().filter(|&&i| prec[i as usize] == TimePrecision::Day).count();
    if days > 0
        && let Some(&e) = time.edges_s.iter().find(|&&e| e % 86_400 != 0)
    {
        return Err(NearRepeatError::SubDayBands { edge_d: bands::num(e as f64 / 86_400.0), count: days });
    }
    Ok(())
}
