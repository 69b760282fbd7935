//! Scores of every cell for one fit from [`Binned`] incidents: the fit ends at `bounds[first]` and reads the
//! periods `first .. first + lookback`. Results are sparse: `(cell, score)` for every cell with a positive score,
//! cells ascending.

use super::PredictError;
use super::bins::{Binned, OUTSIDE, decay_factor};
use super::cut::{TopCells, ranked_cells};
use super::method::PredictMethod;
use crate::analysis::kde::{Kernel, kde_rows_fold, kde_sparse};
use crate::analysis::points::Points;
use crate::grid::Grid;

const WEEK_S: i64 = 7 * 86_400;

/// Sparse positive scores, cells ascending.
pub(crate) type Sparse = Vec<(u32, f64)>;

/// Score every cell for a fit ending at `b.bounds[first]` over `lookback` periods (the caller has checked that
/// they exist).
pub(crate) fn score_sparse(
    b: &Binned,
    grid: &Grid,
    method: &PredictMethod,
    first: usize,
    lookback: usize,
) -> Result<Sparse, PredictError> {
    let fit_end = b.bounds[first];
    let periods = first..(first + lookback).min(b.n_periods());
    match *method {
        PredictMethod::Counts { .. } => Ok(sum_entries(b, periods, |e, _| b.entry_fit[e])),
        PredictMethod::Decay { .. } => {
            let (col, h) = decay_column(b, method)?;
            Ok(sum_entries(b, periods, |e, p| b.entry_decay[col][e] * decay_factor(fit_end - b.bounds[p], h)))
        }
        PredictMethod::Kde { .. } | PredictMethod::Blend { .. } => {
            let Some(fit) = KernelFit::of(b, grid, method, first, lookback)? else {
                return Err(PredictError::Internal(format!("{method} has no kernel")));
            };
            let density = kde_sparse(&fit.points, grid, Kernel::Quartic, fit.bandwidth_m)?;
            Ok(match &fit.blended {
                None => density,
                Some(Blended { counts, per_cell, count_share }) => blend(&density, *per_cell, counts, *count_share),
            })
        }
        PredictMethod::Prospective { band_m, time_band_days } => {
            Ok(prospective(b, grid, periods, fit_end, band_m, time_band_days))
        }
    }
}

/// The best `limit` cells of `study` for the fit [`score_sparse`] makes, best first: exactly
/// `ranked_cells(score_sparse(..), study, limit)`. The kernel methods rank each row's cells as the density makes them
/// and never hold a county's several hundred thousand scores at once (the backtest makes hundreds of fits).
pub(crate) fn score_top(
    b: &Binned,
    grid: &Grid,
    method: &PredictMethod,
    (first, lookback): (usize, usize),
    study: &[bool],
    limit: usize,
) -> Result<Vec<(u32, f64)>, PredictError> {
    let Some(KernelFit { points, bandwidth_m, blended }) = KernelFit::of(b, grid, method, first, lookback)? else {
        return Ok(ranked_cells(score_sparse(b, grid, method, first, lookback)?, study, limit));
    };
    let cols = grid.cols as u32;
    let each = |top: &mut TopCells<'_>, row: usize, cells: &[(u32, f64)]| match &blended {
        None => cells.iter().for_each(|&(cell, v)| top.offer(cell, v)),
        Some(Blended { counts, per_cell, count_share }) => {
            let row = row as u32;
            let lo = counts.partition_point(|&(c, _)| c < row * cols);
            let hi = counts.partition_point(|&(c, _)| c < (row + 1) * cols);
            blend_each(cells, *per_cell, &counts[lo..hi], *count_share, |cell, v| top.offer(cell, v));
        }
    };
    let new = || TopCells::new(study, limit);
    Ok(kde_rows_fold(&points, grid, Kernel::Quartic, bandwidth_m, new, each, TopCells::join)?.ranked())
}

/// What a kernel method's fit is made of: the lookback's incidents as weighted points and the bandwidth, and for a
/// blend its decayed counts per cell and the two terms' shares.
struct KernelFit {
    points: Points,
    bandwidth_m: f64,
    blended: Option<Blended>,
}

/// A blend's count term: `density x per_cell + counts x count_share` per cell.
struct Blended {
    counts: Sparse,
    per_cell: f64,
    count_share: f64,
}

impl KernelFit {
    /// The kernel fit of `method` ending at `b.bounds[first]` over `lookback` periods; `None` for a method without a
    /// kernel (counts, decay, prospective).
    fn of(
        b: &Binned,
        grid: &Grid,
        method: &PredictMethod,
        first: usize,
        lookback: usize,
    ) -> Result<Option<KernelFit>, PredictError> {
        let fit_end = b.bounds[first];
        let periods = first..(first + lookback).min(b.n_periods());
        Ok(match *method {
            PredictMethod::Kde { bandwidth_m, .. } => {
                Some(KernelFit { points: incident_points(b, periods, |k| b.inc_fit[k]), bandwidth_m, blended: None })
            }
            PredictMethod::Blend { bandwidth_m, smoothing, .. } => {
                let (col, h) = decay_column(b, method)?;
                let counts = sum_entries(b, periods.clone(), |e, p| {
                    b.entry_decay[col][e] * decay_factor(fit_end - b.bounds[p], h)
                });
                let points = incident_points(b, periods, |k| b.inc_fit[k] * decay_factor(fit_end - b.inc_mid_s[k], h));
                let per_cell = smoothing * grid.cell_area_m2() / 1e6;
                Some(KernelFit {
                    points,
                    bandwidth_m,
                    blended: Some(Blended { counts, per_cell, count_share: 1.0 - smoothing }),
                })
            }
            _ => None,
        })
    }
}

fn decay_column(b: &Binned, method: &PredictMethod) -> Result<(usize, f64), PredictError> {
    let h = method.half_life_s().ok_or_else(|| PredictError::Internal(format!("{method} has no half-life")))?;
    let col =
        b.decay_column(h).ok_or_else(|| PredictError::Internal(format!("no decay column binned for {method}")))?;
    Ok((col, h))
}

/// Sum `value(entry, period)` per cell over the periods' entries. Entries are gathered in period order and sorted
/// stably by cell, so each cell sums its periods in order.
fn sum_entries(b: &Binned, periods: std::ops::Range<usize>, value: impl Fn(usize, usize) -> f64) -> Sparse {
    let mut all: Vec<(u32, f64)> = Vec::new();
    for p in periods {
        for e in b.entry_ranges[p].clone() {
            all.push((b.entry_cell[e], value(e, p)));
        }
    }
    all.sort_by_key(|&(cell, _)| cell);
    let mut out: Sparse = Vec::with_capacity(all.len());
    for (cell, v) in all {
        match out.last_mut() {
            Some(last) if last.0 == cell => last.1 += v,
            _ => out.push((cell, v)),
        }
    }
    out.retain(|&(_, v)| v > 0.0);
    out
}

/// The periods' incidents as weighted points (outside the grid too: they reach cells within the bandwidth).
fn incident_points(b: &Binned, periods: std::ops::Range<usize>, weight: impl Fn(usize) -> f64) -> Points {
    let mut p = Points::default();
    for j in periods {
        for k in b.inc_ranges[j].clone() {
            p.x_m.push(b.inc_x[k]);
            p.y_m.push(b.inc_y[k]);
            p.w.push(weight(k));
        }
    }
    p
}

fn positive(dense: &[f64]) -> Sparse {
    dense.iter().enumerate().filter(|&(_, &v)| v > 0.0).map(|(i, &v)| (i as u32, v)).collect()
}

/// `density x per_cell + counts x count_share` per cell, positive cells only, cells ascending (a cell missing from a
/// list is 0 there, added in the same order as on a dense grid: the density term first).
fn blend(density: &[(u32, f64)], per_cell: f64, counts: &[(u32, f64)], count_share: f64) -> Sparse {
    let mut out: Sparse = Vec::with_capacity(density.len().max(counts.len()));
    blend_each(density, per_cell, counts, count_share, |cell, v| out.push((cell, v)));
    out
}

/// [`blend`]'s positive cells, each given to `f` in ascending order.
#[inline(always)]
fn blend_each(
    density: &[(u32, f64)],
    per_cell: f64,
    counts: &[(u32, f64)],
    count_share: f64,
    mut f: impl FnMut(u32, f64),
) {
    let (mut d, mut c) = (density.iter().peekable(), counts.iter().peekable());
    loop {
        let (cell, v) = match (d.peek(), c.peek()) {
            (None, None) => break,
            (Some(&&(dc, dv)), Some(&&(cc, cv))) if dc == cc => {
                d.next();
                c.next();
                (dc, dv * per_cell + count_share * cv)
            }
            (Some(&&(dc, dv)), Some(&&(cc, _))) if dc < cc => {
                d.next();
                (dc, dv * per_cell)
            }
            (Some(&&(dc, dv)), None) => {
                d.next();
                (dc, dv * per_cell)
            }
            (_, Some(&&(cc, cv))) => {
                c.next();
                (cc, 0.0 + count_share * cv)
            }
        };
        if v > 0.0 {
            f(cell, v);
        }
    }
}

/// Bowers, Johnson & Pease (2004) on the grid (see [`PredictMethod`]'s docs): each incident adds
/// `1 / (1 + t)` (`t` whole weeks old at the fit's end) to its cell's source weight, then every cell within the
/// band (Chebyshev distance `d` in cells, `d < band / cell`) receives `source / (1 + d)`. Incidents outside the grid
/// have cells beyond its edge and still reach cells inside it.
fn prospective(
    b: &Binned,
    grid: &Grid,
    periods: std::ops::Range<usize>,
    fit_end: i64,
    band_m: f64,
    time_band_days: u32,
) -> Sparse {
    let weeks_limit = f64::from(time_band_days) / 7.0;
    let mut sources: Vec<((i64, i64), f64)> = Vec::new();
    for j in periods {
        for k in b.inc_ranges[j].clone() {
            let t = (fit_end - b.inc_mid_s[k]).div_euclid(WEEK_S);
            if t < 0 || (t as f64) >= weeks_limit {
                continue;
            }
            let (row, col) = if b.inc_cell[k] != OUTSIDE {
                let c = b.inc_cell[k] as usize;
                ((c / grid.cols) as i64, (c % grid.cols) as i64)
            } else {
                (
                    ((b.inc_y[k] - grid.origin_y_m) / grid.cell_m).floor() as i64,
                    ((b.inc_x[k] - grid.origin_x_m) / grid.cell_m).floor() as i64,
                )
            };
            sources.push(((row, col), b.inc_fit[k] / (1.0 + t as f64)));
        }
    }
    sources.sort_by_key(|&(rc, _)| rc);
    let mut merged: Vec<((i64, i64), f64)> = Vec::with_capacity(sources.len());
    for (rc, v) in sources {
        match merged.last_mut() {
            Some(last) if last.0 == rc => last.1 += v,
            _ => merged.push((rc, v)),
        }
    }
    let band_cells = band_m / grid.cell_m;
    // Largest d with d < band_cells.
    let reach = (band_cells.ceil() as i64 - 1).max(0);
    let (rows, cols) = (grid.rows as i64, grid.cols as i64);
    let mut dense = vec![0.0f64; grid.n_cells()];
    for ((r0, c0), a) in merged {
        if a <= 0.0 || r0 + reach < 0 || r0 - reach >= rows || c0 + reach < 0 || c0 - reach >= cols {
            continue;
        }
        for r in (r0 - reach).max(0)..=(r0 + reach).min(rows - 1) {
            let row = &mut dense[(r * cols) as usize..((r + 1) * cols) as usize];
            for c in (c0 - reach).max(0)..=(c0 + reach).min(cols - 1) {
                let d = (r - r0).abs().max((c - c0).abs());
                row[c as usize] += a / (1.0 + d as f64);
            }
        }
    }
    positive(&dense)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The sparse blend is the dense one (density x per_cell, then + count_share x counts, positive cells), bit for
        /// bit.
        #[test]
        fn blend_is_the_dense_blend(
            density in proptest::collection::btree_map(0u32..200, 0.0f64..50.0, 0..80),
            counts in proptest::collection::btree_map(0u32..200, 0.0f64..9.0, 0..80),
            per_cell in 0.0f64..1.0,
            share in 0.0f64..1.0,
        ) {
            let (d, c): (Sparse, Sparse) = (density.into_iter().collect(), counts.into_iter().collect());
            let mut dense = vec![0.0f64; 200];
            for &(cell, v) in &d {
                dense[cell as usize] = v;
            }
            for v in &mut dense {
                *v *= per_cell;
            }
            for &(cell, v) in &c {
                dense[cell as usize] += share * v;
            }
            let want: Vec<(u32, u64)> = positive(&dense).into_iter().map(|(i, v)| (i, v.to_bits())).collect();
            let got: Vec<(u32, u64)> = blend(&d, per_cell, &c, share).into_iter().map(|(i, v)| (i, v.to_bits())).collect();
            prop_assert_eq!(got, want);
        }
    }
}
