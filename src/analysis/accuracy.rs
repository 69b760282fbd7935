//! How well hotspots chosen on one window predict another: hit rate, PAI and the Recapture Rate Index.
//!
//! For each coverage `c` (percent of the study area), the hotspots are the densest `ceil(c% x study cells)` cells of
//! the train window's density surface (ties broken by cell order; only cells with positive density), the study area
//! being the grid cells entirely inside the convex hull of the train and test incidents together. The study area
//! does not depend on the bandwidth, so PAI compares bandwidths on one footing (a study area of cells with positive
//! density would grow with the bandwidth and flatter small ones). On the test window: hit rate = share of test incidents in those cells; PAI = hit rate / area share
//! (Chainey, Tompson & Uhlig 2008); RRI = (test incidents in the cells / train incidents in the cells) / (all test
//! incidents / all train incidents) (Levine 2008): above 1 the hotspots recapture more than their share, and for
//! persistent hotspots it sits near 1.

use super::pipeline::{AnalysisError, Prepared};
use super::points::Points;
use crate::model::{Dataset, Selection};
use serde::Serialize;

/// One bandwidth and coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccuracyRow {
    pub bandwidth_m: f64,
    pub cell_m: f64,
    pub coverage_pct: f64,
    pub cells: usize,
    /// The hotspot cells' share of the study area (close to the coverage).
    pub area_share: f64,
    pub train_total: u64,
    pub train_in: u64,
    pub test_total: u64,
    pub test_in: u64,
    /// Test incidents in the hotspot cells / all test incidents.
    pub hit_rate: Option<f64>,
    pub pai: Option<f64>,
    pub rri: Option<f64>,
}

/// Accuracy of the train window's densest cells at each coverage (see the module docs).
pub fn accuracy(
    ds: &Dataset,
    train: &Prepared,
    test: &Selection,
    coverages_pct: &[f64],
) -> Result<Vec<AccuracyRow>, AnalysisError> {
    let surface = train.density()?;
    let grid = &surface.grid;
    let both =
        Selection { indices: train.selection.indices.iter().chain(&test.indices).copied().collect(), ..test.clone() };
    let study_mask = super::pipeline::hull_mask(&Points::from_selection(ds, &both, None), grid);
    let study = study_mask.iter().filter(|&&b| b).count();
    let mut order: Vec<usize> =
        (0..grid.n_cells()).filter(|&i| study_mask[i] && surface.density_per_km2[i] > 0.0).collect();
    order.sort_by(|&a, &b| surface.density_per_km2[b].total_cmp(&surface.density_per_km2[a]).then(a.cmp(&b)));
    let cell_of = |sel: &Selection| -> Vec<Option<usize>> {
        sel.indices.iter().map(|&i| grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize])).collect()
    };
    let (train_cells, test_cells) = (cell_of(&train.selection), cell_of(test));
    let mut rank = vec![usize::MAX; grid.n_cells()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    let in_top =
        |cells: &[Option<usize>], k: usize| cells.iter().filter(|c| c.is_some_and(|c| rank[c] < k)).count() as u64;
    Ok(coverages_pct
        .iter()
        .map(|&pct| {
            let k = ((pct / 100.0 * study as f64).ceil() as usize).min(order.len());
            let (train_in, test_in) = (in_top(&train_cells, k), in_top(&test_cells, k));
            let (train_total, test_total) = (train.selection.len() as u64, test.len() as u64);
            let m = measures(Counts { train_in, train_total, test_in, test_total, cells: k, study_cells: study });
            let (area_share, hit_rate, pai, rri) = (m.area_share, m.hit_rate, m.pai, m.rri);
            AccuracyRow {
                bandwidth_m: train.params.bandwidth_m,
                cell_m: train.params.cell_m,
                coverage_pct: pct,
                cells: k,
                area_share,
                train_total,
                train_in,
                test_total,
                test_in,
                hit_rate,
                pai,
                rri,
            }
        })
        .collect())
}

/// What [`measures`] needs: incidents in the hotspot cells and in all, in each window, and the cell counts.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub train_in: u64,
    pub train_total: u64,
    pub test_in: u64,
    pub test_total: u64,
    pub cells: usize,
    pub study_cells: usize,
}

/// Area share, hit rate, PAI and RRI (see the module docs); `None` where a denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measures {
    pub area_share: f64,
    pub hit_rate: Option<f64>,
    pub pai: Option<f64>,
    pub rri: Option<f64>,
}

pub fn measures(c: Counts) -> Measures {
    let area_share = if c.study_cells > 0 { c.cells as f64 / c.study_cells as f64 } else { 0.0 };
    let hit_rate = (c.test_total > 0).then(|| c.test_in as f64 / c.test_total as f64);
    let pai = hit_rate.filter(|_| area_share > 0.0).map(|h| h / area_share);
    let rri = (c.train_in > 0 && c.test_total > 0 && c.train_total > 0)
        .then(|| (c.test_in as f64 / c.train_in as f64) / (c.test_total as f64 / c.train_total as f64));
    Measures { area_share, hit_rate, pai, rri }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        // 20 of 400 study cells (5%) held 300 of 1,000 train incidents and hold 240 of 1,200 test incidents.
        // Hit rate = 240 / 1200 = 0.2; PAI = 0.2 / 0.05 = 4; RRI = (240 / 300) / (1200 / 1000) = 0.8 / 1.2 = 0.667.
        let m = measures(Counts {
            train_in: 300,
            train_total: 1000,
            test_in: 240,
            test_total: 1200,
            cells: 20,
            study_cells: 400,
        });
        assert_eq!(m.area_share, 0.05);
        assert_eq!(m.hit_rate, Some(0.2));
        assert!((m.pai.unwrap_or_default() - 4.0).abs() < 1e-12);
        assert!((m.rri.unwrap_or_default() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn empty_windows_are_undefined() {
        let none = Counts { train_in: 0, train_total: 0, test_in: 0, test_total: 0, cells: 0, study_cells: 0 };
        assert_eq!(measures(none), Measures { area_share: 0.0, hit_rate: None, pai: None, rri: None });
        // Test incidents but none in the train window's hotspots: hit rate and PAI 0, RRI undefined.
        let m =
            measures(Counts { train_in: 0, train_total: 10, test_in: 0, test_total: 10, cells: 1, study_cells: 10 });
        assert_eq!((m.hit_rate, m.pai, m.rri), (Some(0.0), Some(0.0), None));
    }
}
