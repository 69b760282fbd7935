//! Incidents binned once into (period, cell): the sums every count and decay method needs, and the incidents
//! themselves, sorted by period, for the methods that need positions (KDE, prospective).
//!
//! An incident is placed in period `j` (`[bounds[j + 1], bounds[j])`) when its whole time interval lies inside it;
//! one whose interval crosses a boundary (a month-precision incident cut by a day period, or by a fit ending
//! mid-month) is in no period and counted in `Binned::straddling`. Sums run in dataset order within each
//! (period, cell), so they are the same at any thread count.

use super::Weights;
use crate::grid::Grid;
use crate::model::Dataset;
use crate::model::time::interval_end_s;
use rayon::prelude::*;
use std::ops::Range;

/// Cell index of an incident outside the grid.
pub(crate) const OUTSIDE: u32 = u32::MAX;

/// The binned incidents (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Binned {
    /// Period boundaries, newest first.
    pub bounds: Vec<i64>,
    /// Per period: its (period, cell) entries, cells ascending.
    pub entry_ranges: Vec<Range<usize>>,
    pub entry_cell: Vec<u32>,
    /// Summed fitting weight (count or harm, as [`Weights`] says).
    pub entry_fit: Vec<f64>,
    /// Incidents.
    pub entry_count: Vec<f64>,
    /// Summed harm.
    pub entry_harm: Vec<f64>,
    /// Per half-life `h` of `half_lives_s`: the sum of `fit x 2^(-(period end - middle) / h)`.
    pub entry_decay: Vec<Vec<f64>>,
    pub half_lives_s: Vec<f64>,
    /// Per period: its incidents (sorted by cell, then dataset order; outside the grid last).
    pub inc_ranges: Vec<Range<usize>>,
    pub inc_cell: Vec<u32>,
    pub inc_x: Vec<f64>,
    pub inc_y: Vec<f64>,
    /// Middle of the incident's time interval, seconds.
    pub inc_mid_s: Vec<i64>,
    pub inc_fit: Vec<f64>,
    /// Per period: selected incidents placed in it that lie outside the grid.
    pub outside_grid: Vec<usize>,
    /// Per period: their harm.
    pub outside_harm: Vec<f64>,
    /// Selected incidents between the first and last boundary whose interval crosses a boundary.
    pub straddling: usize,
}

impl Binned {
    /// Bin the incidents `selected` (dataset indices) that fall in the periods of `bounds`.
    pub(crate) fn build(
        ds: &Dataset,
        selected: &[u32],
        grid: &Grid,
        bounds: &[i64],
        weights: &Weights,
        half_lives_s: &[f64],
    ) -> Binned {
        let n_periods = bounds.len().saturating_sub(1);
        let (first, last) = (bounds.last().copied().unwrap_or(0), bounds.first().copied().unwrap_or(0));
        let (times, precisions, xs, ys) = (ds.time_s(), ds.precision(), ds.x_m(), ds.y_m());
        // (period, cell, dataset index) of every placed incident, found in parallel blocks of the selection; the
        // keys are distinct (one per incident), so their sorted order is the same at any thread count.
        let place = |block: &[u32]| {
            let mut keys: Vec<(u32, u32, u32)> = Vec::new();
            let mut straddling = 0usize;
            for &i in block {
                let k = i as usize;
                let s = times[k];
                if s >= last {
                    continue;
                }
                let e = interval_end_s(s, precisions[k]);
                if e <= first {
                    continue;
                }
                // The period whose start is the last boundary at or before s.
                let idx = bounds.partition_point(|&b| b > s);
                if idx == 0 || idx > n_periods || e > bounds[idx - 1] {
                    straddling += 1;
                    continue;
                }
                let cell = grid.cell_at(xs[k], ys[k]).map_or(OUTSIDE, |c| c as u32);
                keys.push(((idx - 1) as u32, cell, i));
            }
            (keys, straddling)
        };
        let blocks: Vec<_> = selected.par_chunks(1 << 16).map(place).collect();
        let straddling = blocks.iter().map(|b| b.1).sum();
        let mut keys: Vec<(u32, u32, u32)> = Vec::with_capacity(blocks.iter().map(|b| b.0.len()).sum());
        for (found, _) in blocks {
            keys.extend(found);
        }
        keys.par_sort_unstable();

        let mut b = Binned {
            bounds: bounds.to_vec(),
            entry_ranges: vec![0..0; n_periods],
            entry_cell: Vec::new(),
            entry_fit: Vec::new(),
            entry_count: Vec::new(),
            entry_harm: Vec::new(),
            entry_decay: vec![Vec::new(); half_lives_s.len()],
            half_lives_s: half_lives_s.to_vec(),
            inc_ranges: vec![0..0; n_periods],
            inc_cell: Vec::with_capacity(keys.len()),
            inc_x: Vec::with_capacity(keys.len()),
            inc_y: Vec::with_capacity(keys.len()),
            inc_mid_s: Vec::with_capacity(keys.len()),
            inc_fit: Vec::with_capacity(keys.len()),
            outside_grid: vec![0; n_periods],
            outside_harm: vec![0.0; n_periods],
            straddling,
        };
        let mut start = 0;
        while start < keys.len() {
            let j = keys[start].0 as usize;
            let end = start + keys[start..].partition_point(|key| key.0 as usize == j);
            b.inc_ranges[j] = start..end;
            let entries_from = b.entry_cell.len();
            let period_end = bounds[j];
            let mut e = start;
            while e < end {
                let cell = keys[e].1;
                let run_end = e + keys[e..end].partition_point(|key| key.1 == cell);
                let (mut fit, mut count, mut harm) = (0.0, 0.0, 0.0);
                let mut decay = vec![0.0; half_lives_s.len()];
                for &(_, _, i) in &keys[e..run_end] {
                    let k = i as usize;
                    let (w_fit, w_harm) = (weights.fit_weight(ds, k), weights.harm_weight(ds, k));
                    let mid = middle_s(times[k], interval_end_s(times[k], precisions[k]));
                    b.inc_cell.push(cell);
                    b.inc_x.push(xs[k]);
                    b.inc_y.push(ys[k]);
                    b.inc_mid_s.push(mid);
                    b.inc_fit.push(w_fit);
                    if cell == OUTSIDE {
                        b.outside_harm[j] += w_harm;
                    } else {
                        fit += w_fit;
                        count += 1.0;
                        harm += w_harm;
                        for (acc, &h) in decay.iter_mut().zip(half_lives_s) {
                            *acc += w_fit * decay_factor(period_end - mid, h);
                        }
                    }
                }
                if cell == OUTSIDE {
                    b.outside_grid[j] += run_end - e;
                } else {
                    b.entry_cell.push(cell);
                    b.entry_fit.push(fit);
                    b.entry_count.push(count);
                    b.entry_harm.push(harm);
                    for (col, v) in b.entry_decay.iter_mut().zip(decay) {
                        col.push(v);
                    }
                }
                e = run_end;
            }
            b.entry_ranges[j] = entries_from..b.entry_cell.len();
            start = end;
        }
        b
    }

    pub(crate) fn n_periods(&self) -> usize {
        self.entry_ranges.len()
    }

    /// Incidents placed in period `j` (inside the grid or not).
    pub(crate) fn incidents_in(&self, j: usize) -> usize {
        self.inc_ranges.get(j).map_or(0, ExactSizeIterator::len)
    }

    /// The column of `entry_decay` for a half-life.
    pub(crate) fn decay_column(&self, half_life_s: f64) -> Option<usize> {
        self.half_lives_s.iter().position(|&h| h == half_life_s)
    }
}

/// The middle of `[start, end)`, seconds (rounded down).
pub(crate) fn middle_s(start: i64, end: i64) -> i64 {
    start + (end - start) / 2
}

/// `2^(-age / half_life)`.
pub(crate) fn decay_factor(age_s: i64, half_life_s: f64) -> f64 {
    (-(age_s as f64) / half_life_s).exp2()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::points::WeightMode;
    use crate::geo::CrsDef;
    use crate::model::time::{TimePrecision, month_start_s};
    use crate::model::{DatasetBuilder, IncidentRecord, SourceFile};

    #[test]
    fn incidents_land_in_their_period_and_cell() {
        let crs = CrsDef::utm_for(-2.0, 50.7);
        let mut b = DatasetBuilder::new(&crs, 8).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "f".into() }).unwrap();
        let m = |mo: u32| month_start_s(2024, mo).unwrap();
        let rows = [
            (m(1), TimePrecision::Month, "a"),
            (m(2), TimePrecision::Month, "b"),
            (m(2), TimePrecision::Month, "a"),
            (m(2) + 86_400, TimePrecision::Day, "a"),
            (m(3), TimePrecision::Month, "a"),      // at the end: not placed
            (m(1) - 1, TimePrecision::Second, "a"), // before the first boundary
        ];
        for (k, &(t, p, c)) in rows.iter().enumerate() {
            b.push(&IncidentRecord {
                lon: -1.9,
                lat: 50.7,
                time_s: t,
                precision: p,
                category: c,
                weight: 1.0,
                area: None,
                location: None,
                source: 0,
                line: k as u32,
            })
            .unwrap();
        }
        let ds = b.finish().unwrap();
        let (x, y) = (ds.x_m()[0], ds.y_m()[0]);
        let grid =
            Grid::covering(&crate::grid::BoxM { min_x_m: x, min_y_m: y, max_x_m: x, max_y_m: y }, 100.0, 50.0, &crs)
                .unwrap();
        let w = Weights { mode: WeightMode::Harm, harm_by_category: vec![2.0, 10.0] };
        let all: Vec<u32> = (0..ds.len() as u32).collect();
        let bounds = [m(3), m(2), m(1)];
        let bin = Binned::build(&ds, &all, &grid, &bounds, &w, &[30.0 * 86_400.0]);
        assert_eq!(bin.n_periods(), 2);
        assert_eq!((bin.incidents_in(0), bin.incidents_in(1)), (3, 1));
        assert_eq!(bin.straddling, 0);
        let e = bin.entry_ranges[0].start;
        assert_eq!(bin.entry_count[e], 3.0);
        assert_eq!(bin.entry_fit[e], 10.0 + 2.0 + 2.0);
        assert_eq!(bin.entry_harm[e], 14.0);
        // Decay to the period's end from each middle: mid-February (month) and 2 Feb 12:00 (day).
        let feb_mid = middle_s(m(2), m(3));
        let want = 12.0 * decay_factor(m(3) - feb_mid, 30.0 * 86_400.0)
            + 2.0 * decay_factor(m(3) - (m(2) + 86_400 + 43_200), 30.0 * 86_400.0);
        assert!((bin.entry_decay[0][e] - want).abs() < 1e-12);
        // A day period cutting February: the month-precision incidents straddle it.
        let bounds = [m(3), m(2) + 14 * 86_400, m(2)];
        let bin = Binned::build(&ds, &all, &grid, &bounds, &w, &[]);
        assert_eq!(bin.straddling, 2);
        assert_eq!(bin.incidents_in(1), 1);
    }
}
