//! One analysis run from a dataset and the user's parameters: select, weight, choose the grid and bandwidth
//! (automatically when not given, saying how), then density, Gi* and hotspots as asked. The CLI and the server call
//! this, so both resolve parameters the same way.

use super::counts::{GridCounts, grid_counts};
use super::gistar::{GiStar, GiStarError, GiStarOptions, gistar_grid_within};
use super::hotspots::{CellRule, HotspotError, HotspotSet, RankBy, find_hotspots};
use super::kde::{BandwidthChoice, DensitySurface, KdeError, Kernel, auto_bandwidth, kde_within};
use super::points::{Points, WeightMode};
pub use super::spec::AnalysisParams;
use super::spec::{HotspotRule, Method};
use crate::geo::{CrsError, Projector};
use crate::grid::{AUTO_CELL_RULE, BoxM, Grid, GridError, auto_cell_m};
use crate::model::{Budget, Dataset, QueryError, Selection};
use serde::Serialize;

/// Errors of an analysis run.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Grid(#[from] GridError),
    #[error(transparent)]
    Kde(#[from] KdeError),
    #[error(transparent)]
    GiStar(#[from] GiStarError),
    #[error(transparent)]
    Hotspot(#[from] HotspotError),
    #[error(transparent)]
    Crs(#[from] CrsError),
    #[error("no incidents match the query (window and categories); widen the window or drop a --category")]
    Empty,
}

/// The parameters as resolved, printed with every result so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub categories: Vec<String>,
    pub weight: WeightMode,
    /// The harm table's label when weighting by harm.
    pub harm_table: Option<String>,
    pub kernel: Kernel,
    pub bandwidth_m: f64,
    /// How the bandwidth was chosen, when automatic.
    pub bandwidth_rule: Option<BandwidthChoice>,
    pub cell_m: f64,
    pub cell_rule: Option<&'static str>,
    pub crs: String,
    /// The WGS84 box `[west, south, east, north]` incidents were kept in, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    pub grid_cols: usize,
    pub grid_rows: usize,
    pub grid_origin_m: [f64; 2],
}

/// Gi* on its grid, with the values it was computed from.
///
/// The study area is the cells of the data's extent (no margin) that lie entirely inside the convex hull of the
/// selected incidents: empty or partly empty cells beyond the data (a margin, the corners of a rectangle around a
/// coast, cells cut by the edge of the data) would lower the mean and push every z inside upwards; on complete
/// spatial randomness over a square, keeping cells cut by the edge raised the rate of false hot spots from about
/// 5% to 10% of runs. With fewer than three distinct points (no hull), every cell of the extent.
#[derive(Debug, Clone)]
pub struct GridGiStar {
    pub grid: Grid,
    pub values: Vec<f64>,
    /// Which cells are observations.
    pub study: Vec<bool>,
    pub result: GiStar,
}

impl GridGiStar {
    /// The bins placed on another grid with the same cell size and alignment (0 where Gi* has no cell).
    pub fn bins_on(&self, target: &Grid) -> Vec<i8> {
        let mut out = vec![0i8; target.n_cells()];
        let dc = ((self.grid.origin_x_m - target.origin_x_m) / target.cell_m).round() as i64;
        let dr = ((self.grid.origin_y_m - target.origin_y_m) / target.cell_m).round() as i64;
        for (i, &b) in self.result.bin.iter().enumerate() {
            let (r, c) = ((i / self.grid.cols) as i64 + dr, (i % self.grid.cols) as i64 + dc);
            if r >= 0 && c >= 0 && (r as usize) < target.rows && (c as usize) < target.cols {
                out[r as usize * target.cols + c as usize] = b;
            }
        }
        out
    }
}

/// Selected incidents and everything resolved about the grid.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub selection: Selection,
    /// Points weighted as asked (count or harm).
    pub points: Points,
    /// The density grid: the data's extent plus the kernel's support on every side.
    pub grid: Grid,
    /// The Gi* grid: the data's extent only, aligned with `grid`.
    pub gistar_grid: Grid,
    pub params: ResolvedParams,
    pub warnings: Vec<String>,
}

/// Cells lying entirely in the convex hull of the points (boundary included); every cell when the hull has no
/// area, or when no cell fits inside it.
pub(crate) fn hull_mask(points: &Points, grid: &Grid) -> Vec<bool> {
    use geo::{Area, ConvexHull};
    let merged = points.merged();
    let mp: geo_types::MultiPoint<f64> =
        merged.x_m.iter().zip(&merged.y_m).map(|(&x, &y)| geo_types::Point::new(x, y)).collect();
    let hull = mp.convex_hull();
    if hull.unsigned_area() <= 0.0 {
        return vec![true; grid.n_cells()];
    }
    let ring: Vec<(f64, f64)> = hull.exterior().0.iter().map(|c| (c.x, c.y)).collect();
    // The hull is convex, so a horizontal line meets it in one interval, and a cell is inside exactly when its
    // bottom and top edges both lie within their lines' intervals: one pass over the edges per row, not per cell.
    let span = |y: f64| -> Option<(f64, f64)> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for w in ring.windows(2) {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            if (ay - y) * (by - y) > 0.0 {
                continue;
            }
            if ay == by {
                lo = lo.min(ax.min(bx));
                hi = hi.max(ax.max(bx));
            } else {
                let x = ax + (y - ay) * (bx - ax) / (by - ay);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        (lo <= hi).then_some((lo, hi))
    };
    let mut mask = vec![false; grid.n_cells()];
    for r in 0..grid.rows {
        let y0 = grid.origin_y_m + r as f64 * grid.cell_m;
        let (Some(bottom), Some(top)) = (span(y0), span(y0 + grid.cell_m)) else { continue };
        let (lo, hi) = (bottom.0.max(top.0), bottom.1.min(top.1));
        for c in 0..grid.cols {
            let x0 = grid.origin_x_m + c as f64 * grid.cell_m;
            mask[r * grid.cols + c] = x0 >= lo && x0 + grid.cell_m <= hi;
        }
    }
    if mask.iter().any(|&m| m) { mask } else { vec![true; grid.n_cells()] }
}

/// The extent of the central 98% of points (1st to 99th percentile on each axis), so a few stray points (police.uk
/// records crimes its force dealt with far away) do not coarsen the automatic cell size.
fn robust_extent(p: &Points) -> Option<BoxM> {
    let q = |v: &[f64]| {
        let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        s.sort_by(f64::total_cmp);
        let at = |f: f64| s[((s.len() - 1) as f64 * f) as usize];
        (!s.is_empty()).then(|| (at(0.01), at(0.99)))
    };
    let ((x0, x1), (y0, y1)) = (q(&p.x_m)?, q(&p.y_m)?);
    Some(BoxM { min_x_m: x0, min_y_m: y0, max_x_m: x1, max_y_m: y1 })
}

/// Select, weight and resolve the grid and bandwidth. `harm_by_category[c]` weights category id `c` when weighting
/// by harm.
pub fn prepare(
    ds: &Dataset,
    params: &AnalysisParams,
    harm_by_category: &[f64],
    harm_label: &str,
) -> Result<Prepared, AnalysisError> {
    // The query keeps only the incidents inside its box when it has one (a county of a national store); the grid
    // then covers those incidents only.
    let selection = params.query.select(ds)?;
    if selection.is_empty() {
        return Err(AnalysisError::Empty);
    }
    let weights = (params.weight == WeightMode::Harm).then_some(harm_by_category);
    let points = Points::from_selection(ds, &selection, weights);
    let (bandwidth_m, bandwidth_rule) = match params.bandwidth_m {
        Some(b) => (b, None),
        None => {
            let choice = auto_bandwidth(&points)?;
            (choice.bandwidth_m, Some(choice))
        }
    };
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Err(KdeError::BadBandwidth(bandwidth_m).into());
    }
    let full = BoxM::of_points(&points.x_m, &points.y_m).ok_or(AnalysisError::Empty)?;
    let (cell_m, cell_rule) = match params.cell_m {
        Some(c) => (c, None),
        None => (auto_cell_m(&robust_extent(&points).unwrap_or(full)), Some(AUTO_CELL_RULE)),
    };
    let support = params.kernel.support_m(bandwidth_m);
    // The data's own grid first, so a cell size that is too fine is blamed on cell_m; then the grid grown by the
    // kernel's reach, whose failure is the bandwidth's.
    let gistar_grid = Grid::covering(&full, 0.0, cell_m, ds.crs())?;
    let grid = Grid::covering(&full, support, cell_m, ds.crs())
        .map_err(|source| KdeError::ReachTooLarge { bandwidth_m, source })?;
    crate::analysis::kde::check_kde_cost(points.len(), &grid, params.kernel, bandwidth_m)?;
    let fmt = |t: Option<i64>| t.map(crate::model::time::format_instant);
    let resolved = ResolvedParams {
        from: fmt(params.query.from_s),
        to: fmt(params.query.to_s),
        categories: params.query.categories.clone(),
        weight: params.weight,
        harm_table: (params.weight == WeightMode::Harm).then(|| harm_label.to_owned()),
        kernel: params.kernel,
        bandwidth_m,
        bandwidth_rule,
        cell_m,
        cell_rule,
        crs: ds.crs().label.clone(),
        bbox: params.query.bbox_lonlat,
        grid_cols: grid.cols,
        grid_rows: grid.rows,
        grid_origin_m: [grid.origin_x_m, grid.origin_y_m],
    };
    let warnings = selection.warnings.clone();
    Ok(Prepared { selection, points, grid, gistar_grid, params: resolved, warnings })
}

impl Prepared {
    pub fn density(&self) -> Result<DensitySurface, AnalysisError> {
        // The thread's budget ([`Budget::scope`]; unlimited but for a server's computations).
        Ok(kde_within(&self.points, &self.grid, self.params.kernel, self.params.bandwidth_m, &Budget::current())?)
    }

    pub fn counts(&self) -> GridCounts {
        grid_counts(&self.points, &self.grid)
    }

    /// Gi* of the weighted counts per cell with a distance band, on the data's extent.
    pub fn gistar(&self, band_m: f64, opts: GiStarOptions) -> Result<GridGiStar, AnalysisError> {
        let grid = &self.gistar_grid;
        let values = grid_counts(&self.points, grid).weight;
        let study = hull_mask(&self.points, grid);
        let result = gistar_grid_within(&values, Some(&study), grid, band_m, opts, &Budget::current())?;
        Ok(GridGiStar { grid: grid.clone(), values, study, result })
    }

    /// Hotspots by a request's rule: Gi* for the rule's band is computed here when the rule needs it and `gistar`
    /// (a cached run for that band) is not given.
    pub fn rule_hotspots(
        &self,
        ds: &Dataset,
        surface: &DensitySurface,
        rule: &HotspotRule,
        gistar: Option<&GridGiStar>,
        harm_by_category: &[f64],
    ) -> Result<HotspotSet, AnalysisError> {
        let own;
        let gi = match (rule.method, gistar) {
            (Method::GiStar, Some(g)) => Some(g),
            (Method::GiStar, None) => {
                own = self.gistar(rule.band_m(self.params.bandwidth_m), GiStarOptions::default())?;
                Some(&own)
            }
            (Method::Kde, _) => None,
        };
        self.hotspots(ds, surface, gi, rule.cell_rule(), rule.rank_by(self.params.weight), harm_by_category)
    }

    /// Hotspots from the density surface (and Gi* when the rule asks for it).
    pub fn hotspots(
        &self,
        ds: &Dataset,
        surface: &DensitySurface,
        gistar: Option<&GridGiStar>,
        rule: CellRule,
        rank_by: RankBy,
        harm_by_category: &[f64],
    ) -> Result<HotspotSet, AnalysisError> {
        let projector = Projector::new(ds.crs())?;
        let bins = gistar.map(|g| g.bins_on(&surface.grid));
        Ok(find_hotspots(ds, &self.selection, surface, bins.as_deref(), (rule, rank_by), harm_by_category, &projector)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;

    #[test]
    fn hull_mask_keeps_cells_entirely_inside() {
        // A triangle (0,0), (100,0), (0,100) over 10 m cells: cell (r, c) is inside when c + r + 2 <= 10.
        let g = Grid::new(0.0, 0.0, 10.0, 10, 10, &CrsDef::utm_for(0.0, 10.0)).unwrap();
        let p = Points { x_m: vec![0.0, 100.0, 0.0, 20.0], y_m: vec![0.0, 0.0, 100.0, 20.0], w: vec![1.0; 4] };
        let m = hull_mask(&p, &g);
        for r in 0..10 {
            for c in 0..10 {
                assert_eq!(m[r * 10 + c], c + r + 2 <= 10, "cell {r},{c}");
            }
        }
        // Collinear points have no hull area: every cell counts.
        let line = Points { x_m: vec![0.0, 50.0, 100.0], y_m: vec![0.0, 50.0, 100.0], w: vec![1.0; 3] };
        assert!(hull_mask(&line, &g).iter().all(|&b| b));
    }
}
