//! One analysis run from a dataset and the user's parameters: select, weight, choose the grid and bandwidth
//! (automatically when not given, saying how), then density, Gi* and hotspots as asked. The CLI and the server call
//! this, so both resolve parameters the same way.

use super::counts::{GridCounts, grid_counts};
use super::gistar::{GiStar, GiStarError, GiStarOptions, gistar_grid};
use super::hotspots::{CellRule, HotspotError, HotspotSet, RankBy, find_hotspots};
use super::kde::{BandwidthChoice, DensitySurface, KdeError, Kernel, auto_bandwidth, kde};
use super::points::{Points, WeightMode};
use crate::geo::{CrsError, Projector};
use crate::grid::{AUTO_CELL_RULE, BoxM, Grid, GridError, auto_cell_m};
use crate::model::{Dataset, Query, QueryError, Selection};
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

/// What the user asked for (`None` = choose automatically).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AnalysisParams {
    pub query: Query,
    pub cell_m: Option<f64>,
    pub bandwidth_m: Option<f64>,
    pub kernel: Kernel,
    pub weight: WeightMode,
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
    pub grid_cols: usize,
    pub grid_rows: usize,
    pub grid_origin_m: [f64; 2],
}

/// Selected incidents and everything resolved about the grid.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub selection: Selection,
    /// Points weighted as asked (count or harm).
    pub points: Points,
    pub grid: Grid,
    pub params: ResolvedParams,
    pub warnings: Vec<String>,
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
    let grid = Grid::covering(&full, support, cell_m, ds.crs())?;
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
        grid_cols: grid.cols,
        grid_rows: grid.rows,
        grid_origin_m: [grid.origin_x_m, grid.origin_y_m],
    };
    let warnings = selection.warnings.clone();
    Ok(Prepared { selection, points, grid, params: resolved, warnings })
}

impl Prepared {
    pub fn density(&self) -> Result<DensitySurface, AnalysisError> {
        Ok(kde(&self.points, &self.grid, self.params.kernel, self.params.bandwidth_m)?)
    }

    pub fn counts(&self) -> GridCounts {
        grid_counts(&self.points, &self.grid)
    }

    /// Gi* of the weighted counts per cell with a distance band.
    pub fn gistar(&self, band_m: f64, opts: GiStarOptions) -> Result<GiStar, AnalysisError> {
        let counts = self.counts();
        Ok(gistar_grid(&counts.weight, &self.grid, band_m, opts)?)
    }

    /// Hotspots from the density surface (and Gi* when the rule asks for it).
    pub fn hotspots(
        &self,
        ds: &Dataset,
        surface: &DensitySurface,
        gistar: Option<&GiStar>,
        rule: CellRule,
        rank_by: RankBy,
        harm_by_category: &[f64],
    ) -> Result<HotspotSet, AnalysisError> {
        let projector = Projector::new(ds.crs())?;
        Ok(find_hotspots(ds, &self.selection, surface, gistar, (rule, rank_by), harm_by_category, &projector)?)
    }
}
