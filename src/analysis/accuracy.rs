//! How well hotspots chosen on one window predict another: hit rate, PAI and the Recapture Rate Index.
//!
//! The study area and the equal-area cut are the ones `backtest` uses ([`crate::analysis::predict::cut`]): the
//! study area is the grid cells entirely inside the convex hull of the train and test incidents together, strays far
//! from the rest left out (judged against every category in the two windows); at a coverage `c`% the hotspots are
//! the densest `floor(c% x study cells)` study cells of the train window's density surface (only cells with positive
//! density; ties broken by cell index), so no row gets more area than its coverage. The study area does not depend
//! on the bandwidth, so PAI compares bandwidths on one footing. A row whose surface has fewer positive cells than the
//! coverage allows takes only those: its area share says so and it is marked as not reaching the coverage. On the
//! test window: hit rate = share of test incidents in those cells; PAI = hit rate / area share (Chainey, Tompson &
//! Uhlig 2008); RRI = (test incidents in the cells / train incidents in the cells) / (all test incidents / all
//! train incidents) (Levine 2008): above 1 the hotspots recapture more than their share, and for persistent
//! hotspots it sits near 1.

use super::pipeline::{AnalysisError, Prepared};
use super::predict::{cells_for_coverage, ranked_cells_dense, study_area};
use crate::model::{Dataset, Selection};
use serde::Serialize;

/// One bandwidth and coverage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccuracyRow {
    /// The train window's KDE bandwidth, in metres.
    pub bandwidth_m: f64,
    /// The grid cell size, in metres.
    pub cell_m: f64,
    /// The coverage, percent of the study area.
    pub coverage_pct: f64,
    /// Hotspot cells taken (at most the coverage allows).
    pub cells: usize,
    /// The hotspot cells' share of the study area (at most the coverage).
    pub area_share: f64,
    /// Whether the surface had enough positive cells to fill the coverage.
    pub reached: bool,
    /// Study cells, and incidents left out of the study area as strays.
    pub study_cells: usize,
    /// Incidents of the two windows left out of the study area as strays.
    pub strays: usize,
    /// Incidents selected in the train window.
    pub train_total: u64,
    /// Train incidents in the hotspot cells.
    pub train_in: u64,
    /// Incidents selected in the test window.
    pub test_total: u64,
    /// Test incidents in the hotspot cells.
    pub test_in: u64,
    /// Test incidents in the hotspot cells / all test incidents.
    pub hit_rate: Option<f64>,
    /// Prediction Accuracy Index: hit rate / area share; `None` when the hit rate is undefined or the area share is 0.
    pub pai: Option<f64>,
    /// Recapture Rate Index (see the module docs); `None` when the hotspot cells hold no train incident or a window is
    /// empty.
    pub rri: Option<f64>,
}

/// Accuracy of the train window's densest cells at each coverage (see the module docs). `reference` is every
/// incident (all categories) of the train and test windows, against which strays are judged.
pub fn accuracy(
    ds: &Dataset,
    train: &Prepared,
    test: &Selection,
    reference: &Selection,
    coverages_pct: &[f64],
) -> Result<Vec<AccuracyRow>, AnalysisError> {
    let surface = train.density()?;
    let grid = &surface.grid;
    let xy = |sel: &Selection| -> (Vec<f64>, Vec<f64>) {
        sel.indices.iter().map(|&i| (ds.x_m()[i as usize], ds.y_m()[i as usize])).unzip()
    };
    let (mut xs, mut ys) = xy(&train.selection);
    let (tx, ty) = xy(test);
    xs.extend(tx);
    ys.extend(ty);
    let (rx, ry) = xy(reference);
    let area = study_area(&xs, &ys, &rx, &ry, grid);
    let study = area.cells;
    let most = coverages_pct.iter().map(|&c| cells_for_coverage(study, c)).max().unwrap_or(0);
    let ranked = ranked_cells_dense(&surface.density_per_km2, &area.mask, most);
    let cell_of = |sel: &Selection| -> Vec<Option<usize>> {
        sel.indices.iter().map(|&i| grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize])).collect()
    };
    let (train_cells, test_cells) = (cell_of(&train.selection), cell_of(test));
    let mut rank = vec![usize::MAX; grid.n_cells()];
    for (r, &(c, _)) in ranked.iter().enumerate() {
        rank[c as usize] = r;
    }
    let in_top =
        |cells: &[Option<usize>], k: usize| cells.iter().filter(|c| c.is_some_and(|c| rank[c] < k)).count() as u64;
    Ok(coverages_pct
        .iter()
        .map(|&pct| {
            let allowed = cells_for_coverage(study, pct);
            let k = allowed.min(ranked.len());
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
                reached: k == allowed,
                study_cells: study,
                strays: area.strays.incidents,
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
struct Counts {
    train_in: u64,
    train_total: u64,
    test_in: u64,
    test_total: u64,
    cells: usize,
    study_cells: usize,
}

/// Area share, hit rate, PAI and RRI (see the module docs); `None` where a denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Measures {
    area_share: f64,
    hit_rate: Option<f64>,
    pai: Option<f64>,
    rri: Option<f64>,
}

fn measures(c: Counts) -> Measures {
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
