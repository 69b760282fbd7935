//! Incidents binned once into (period, cell): the sums every count and decay method needs, and the incidents
//! themselves, sorted by period, for the methods that need positions (KDE, prospective).
//!
//! An incident is placed in period `j` (`[bounds[j + 1], bounds[j])`) when its whole time interval lies inside it;
//! one whose interval crosses a boundary (a month-precision incident cut by a day period, or by a fit ending
//! mid-month) is in no period and counted in `Binned::straddling`. Sums run in the selection's order (dataset order:
//! callers pass ascending indices) within each (period, cell), so they are the same at any thread count.

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
        let n_h = half_lives_s.len();
        // Every placed incident's facts, gathered in parallel blocks of the selection (reading the dataset's columns
        // in order, not in the cells' order), with its key (period, cell, position in the selection's order).
        let place = |block: &[u32]| {
            let mut found = Placed::default();
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
                    found.straddling += 1;
                    continue;
                }
                let cell = grid.cell_at(xs[k], ys[k]).map_or(OUTSIDE, |c| c as u32);
                let (fit, mid) = (weights.fit_weight(ds, k), middle_s(s, e));
                found.period_cell.push(((idx - 1) as u32, cell));
                found.facts.push(Facts { x_m: xs[k], y_m: ys[k], mid_s: mid, fit, harm: weights.harm_weight(ds, k) });
                let period_end = bounds[idx - 1];
                found.decay.extend(half_lives_s.iter().map(|&h| fit * decay_factor(period_end - mid, h)));
            }
            found
        };
        let blocks: Vec<Placed> = selected.par_chunks(1 << 16).map(place).collect();
        let straddling = blocks.iter().map(|b| b.straddling).sum();
        let placed = blocks.iter().map(|b| b.facts.len()).sum();
        let (mut facts, mut decay) = (Vec::with_capacity(placed), Vec::with_capacity(placed * n_h));
        // Positions in the selection's order, so sums within a (period, cell) run in that order.
        let mut keys: Vec<(u32, u32, u32)> = Vec::with_capacity(placed);
        for block in blocks {
            for (period, cell) in block.period_cell {
                keys.push((period, cell, keys.len() as u32));
            }
            facts.extend(block.facts);
            decay.extend(block.decay);
        }
        keys.par_sort_unstable();

        // Each period's keys, filled in parallel, then joined in period order.
        let mut runs: Vec<(usize, Range<usize>)> = Vec::new();
        let mut start = 0;
        while start < keys.len() {
            let j = keys[start].0 as usize;
            let end = start + keys[start..].partition_point(|key| key.0 as usize == j);
            runs.push((j, start..end));
            start = end;
        }
        let filled: Vec<PeriodBins> =
            runs.par_iter().map(|(_, r)| PeriodBins::fill(&keys[r.clone()], &facts, &decay, n_h)).collect();

        let mut b = Binned {
            bounds: bounds.to_vec(),
            entry_ranges: vec![0..0; n_periods],
            entry_cell: Vec::new(),
            entry_fit: Vec::new(),
            entry_count: Vec::new(),
            entry_harm: Vec::new(),
            entry_decay: vec![Vec::new(); n_h],
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
        for ((j, r), p) in runs.into_iter().zip(filled) {
            b.inc_ranges[j] = r;
            let entries_from = b.entry_cell.len();
            b.inc_cell.extend(p.inc_cell);
            b.inc_x.extend(p.inc_x);
            b.inc_y.extend(p.inc_y);
            b.inc_mid_s.extend(p.inc_mid_s);
            b.inc_fit.extend(p.inc_fit);
            b.entry_cell.extend(p.entry_cell);
            b.entry_fit.extend(p.entry_fit);
            b.entry_count.extend(p.entry_count);
            b.entry_harm.extend(p.entry_harm);
            for (col, part) in b.entry_decay.iter_mut().zip(p.entry_decay) {
                col.extend(part);
            }
            b.entry_ranges[j] = entries_from..b.entry_cell.len();
            (b.outside_grid[j], b.outside_harm[j]) = (p.outside_grid, p.outside_harm);
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

/// One placed incident's facts, as a fit reads them.
#[derive(Debug, Clone, Copy)]
struct Facts {
    x_m: f64,
    y_m: f64,
    mid_s: i64,
    fit: f64,
    harm: f64,
}

/// What one block of the selection placed: each incident's (period, cell) and facts, in the block's order, its
/// fitting weight decayed to its period's end by each half-life (`half_lives_s.len()` values an incident), and the
/// incidents that straddle a boundary.
#[derive(Debug, Default)]
struct Placed {
    period_cell: Vec<(u32, u32)>,
    facts: Vec<Facts>,
    decay: Vec<f64>,
    straddling: usize,
}

/// One period's share of [`Binned`]: its incidents and (cell) entries, and those outside the grid.
#[derive(Debug, Default)]
struct PeriodBins {
    inc_cell: Vec<u32>,
    inc_x: Vec<f64>,
    inc_y: Vec<f64>,
    inc_mid_s: Vec<i64>,
    inc_fit: Vec<f64>,
    entry_cell: Vec<u32>,
    entry_fit: Vec<f64>,
    entry_count: Vec<f64>,
    entry_harm: Vec<f64>,
    entry_decay: Vec<Vec<f64>>,
    outside_grid: usize,
    outside_harm: f64,
}

impl PeriodBins {
    /// From one period's keys (period, cell, position), sorted: each cell's incidents summed in position order.
    fn fill(keys: &[(u32, u32, u32)], facts: &[Facts], decay: &[f64], n_h: usize) -> PeriodBins {
        let mut p = PeriodBins { entry_decay: vec![Vec::new(); n_h], ..PeriodBins::default() };
        let n = keys.len();
        (p.inc_cell, p.inc_x, p.inc_y) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        (p.inc_mid_s, p.inc_fit) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut sums = vec![0.0; n_h];
        let mut e = 0;
        while e < n {
            let cell = keys[e].1;
            let run_end = e + keys[e..].partition_point(|key| key.1 == cell);
            let (mut fit, mut count, mut harm) = (0.0, 0.0, 0.0);
            sums.iter_mut().for_each(|v| *v = 0.0);
            for &(_, _, pos) in &keys[e..run_end] {
                let f = &facts[pos as usize];
                p.inc_cell.push(cell);
                p.inc_x.push(f.x_m);
                p.inc_y.push(f.y_m);
                p.inc_mid_s.push(f.mid_s);
                p.inc_fit.push(f.fit);
                if cell == OUTSIDE {
                    p.outside_harm += f.harm;
                } else {
                    fit += f.fit;
                    count += 1.0;
                    harm += f.harm;
                    let at = pos as usize * n_h;
                    for (acc, &v) in sums.iter_mut().zip(&decay[at..at + n_h]) {
                        *acc += v;
                    }
                }
            }
            if cell == OUTSIDE {
                p.outside_grid += run_end - e;
            } else {
                p.entry_cell.push(cell);
                p.entry_fit.push(fit);
                p.entry_count.push(count);
                p.entry_harm.push(harm);
                for (col, &v) in p.entry_decay.iter_mut().zip(&sums) {
                    col.push(v);
                }
            }
            e = run_end;
        }
        p
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
