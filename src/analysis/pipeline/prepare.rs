//! Preparing an analysis: select the window, categories and place, weight the points, set strays aside, choose the
//! bandwidth, then lay the grid over them (at the cell size asked, else the automatic one) and mark the study area.
//! The selection and bandwidth do not depend on the cell size, so a hotspot rule that tries the patrol-scale cells
//! first and falls back to the automatic ones selects once.

use super::{AnalysisError, Prepared, ResolvedParams};
use crate::analysis::backtest::stray_note;
use crate::analysis::kde::{BandwidthChoice, KdeError, auto_bandwidth};
use crate::analysis::points::{Points, WeightMode};
use crate::analysis::predict::{Strays, data_end_s, hull_mask};
use crate::analysis::spec::{AnalysisParams, HotspotRule, Method, PREDICT_CELL_M, PREDICT_MAX_CELLS};
use crate::analysis::study_boundary::StudyBoundary;
use crate::grid::{AUTO_CELL_RULE, BoxM, Grid, GridError, auto_cell_m};
use crate::model::{Dataset, Query, Selection};

/// Select, weight and resolve the grid and bandwidth. `harm_by_category[c]` weights category id `c` when weighting
/// by harm.
pub fn prepare(
    ds: &Dataset,
    params: &AnalysisParams,
    harm_by_category: &[f64],
    harm_label: &str,
) -> Result<Prepared, AnalysisError> {
    prepare_in(ds, params, harm_by_category, harm_label, None)
}

/// [`prepare`] within a study boundary: `boundary` is the layer `params.study_area` names, resolved by the caller
/// (the CLI from the store, the server from its layers); a `study_area` without its boundary is an error.
pub fn prepare_in(
    ds: &Dataset,
    params: &AnalysisParams,
    harm_by_category: &[f64],
    harm_label: &str,
    boundary: Option<&StudyBoundary>,
) -> Result<Prepared, AnalysisError> {
    let placed = Placed::select(ds, params, harm_by_category, boundary)?;
    let grids = Grids::over(ds, &placed, params)?;
    Ok(placed.on(ds, grids, params, harm_label))
}

/// The analysis parameters a hotspot rule works on: `predict` without a cell size takes [`PREDICT_CELL_M`] cells, the
/// scale of a patrol (the cells the backtest measured its choice on), and the map's county view is a zoom-out.
pub fn rule_params(params: &AnalysisParams, rule: &HotspotRule) -> AnalysisParams {
    match (rule.method, params.cell_m) {
        (Method::Predict, None) => AnalysisParams { cell_m: Some(PREDICT_CELL_M), ..params.clone() },
        _ => params.clone(),
    }
}

/// [`prepare`] for a hotspot rule, on [`rule_params`]; when the patrol-scale grid would exceed
/// [`PREDICT_MAX_CELLS`] (a region, not a patch), on the automatic cell size, with a note saying so. The incidents
/// are selected once for both.
pub fn prepare_for_rule(
    ds: &Dataset,
    params: &AnalysisParams,
    rule: &HotspotRule,
    harm_by_category: &[f64],
    harm_label: &str,
    boundary: Option<&StudyBoundary>,
) -> Result<Prepared, AnalysisError> {
    let patrol = rule_params(params, rule);
    if patrol.cell_m == params.cell_m {
        return prepare_in(ds, params, harm_by_category, harm_label, boundary);
    }
    let placed = Placed::select(ds, &patrol, harm_by_category, boundary)?;
    let too_large = match Grids::over(ds, &placed, &patrol) {
        Ok(g) if g.grid.n_cells() as f64 <= PREDICT_MAX_CELLS => return Ok(placed.on(ds, g, &patrol, harm_label)),
        Ok(g) => g.grid.n_cells(),
        Err(
            AnalysisError::Grid(GridError::TooLarge { cells, .. })
            | AnalysisError::Kde(KdeError::ReachTooLarge { source: GridError::TooLarge { cells, .. }, .. }),
        ) => cells,
        Err(e) => return Err(e),
    };
    let grids = Grids::over(ds, &placed, params)?;
    let mut auto = placed.on(ds, grids, params, harm_label);
    auto.warnings.push(format!(
        "{PREDICT_CELL_M} m cells would need {too_large} cells over this extent (more than {PREDICT_MAX_CELLS}): the \
         automatic cell size is used; give cell_m, or a box, for street-level places"
    ));
    Ok(auto)
}

/// What an analysis's grid is laid over: the selection (strays included), its weighted points with strays set
/// aside, and the bandwidth. Nothing here depends on the cell size.
struct Placed<'b> {
    selection: Selection,
    points: Points,
    strays: Strays,
    warnings: Vec<String>,
    boundary: Option<&'b StudyBoundary>,
    box_rows: Option<Vec<u32>>,
    bandwidth_m: f64,
    bandwidth_rule: Option<BandwidthChoice>,
    /// The points' extent.
    full: BoxM,
}

impl<'b> Placed<'b> {
    fn select(
        ds: &Dataset,
        params: &AnalysisParams,
        harm_by_category: &[f64],
        boundary: Option<&'b StudyBoundary>,
    ) -> Result<Placed<'b>, AnalysisError> {
        let boundary = match (&params.study_area, boundary) {
            (None, _) => None,
            (Some(name), Some(b)) if b.name == *name => Some(b),
            (Some(name), _) => return Err(AnalysisError::StudyArea(name.clone())),
        };
        // The query keeps only the incidents inside its box when it has one (a county of a national store); the grid
        // then covers those incidents only. The box's rows of every time and category are found once: the window is
        // selected among them, and they are the place's history ([`Prepared::history`]).
        let box_rows = params.query.bbox_lonlat.map(|b| crate::model::query::rows_in_lonlat_box(ds, b));
        let among = |q: &Query| match &box_rows {
            Some(rows) => q.select_among(ds, rows),
            None => q.select(ds),
        };
        let mut selection = among(&params.query)?;
        let mut outside = 0usize;
        let inside = |i: u32| boundary.is_none_or(|b| b.contains_m(ds.x_m()[i as usize], ds.y_m()[i as usize]));
        if boundary.is_some() {
            let before = selection.indices.len();
            selection.indices.retain(|&i| inside(i));
            outside = before - selection.indices.len();
        }
        if selection.is_empty() {
            return Err(AnalysisError::Empty);
        }
        let weights = (params.weight == WeightMode::Harm).then_some(harm_by_category);
        let mut points = Points::from_selection(ds, &selection, weights);
        let mut warnings = selection.warnings.clone();
        if let Some(b) = boundary
            && outside > 0
        {
            warnings.push(format!(
                "{outside} selected incident{} outside the study area '{}' {} left out of the analysis",
                if outside == 1 { "" } else { "s" },
                b.name,
                if outside == 1 { "is" } else { "are" }
            ));
        }
        // Strays are judged against every category's incidents of the window and place: the selection itself when
        // it has every category.
        let reference = match params.query.categories.is_empty() {
            true => None,
            false => Some(among(&Query { categories: Vec::new(), ..params.query.clone() })?),
        };
        let (ref_x, ref_y): (Vec<f64>, Vec<f64>) = reference
            .as_ref()
            .unwrap_or(&selection)
            .indices
            .iter()
            .filter(|&&i| inside(i))
            .map(|&i| (ds.x_m()[i as usize], ds.y_m()[i as usize]))
            .unzip();
        let strays = Strays::find(&points.x_m, &points.y_m, &ref_x, &ref_y);
        if strays.incidents > 0 {
            let keep =
                |v: &[f64]| v.iter().zip(&strays.keep).filter(|&(_, &k)| k).map(|(&x, _)| x).collect::<Vec<f64>>();
            points = Points { x_m: keep(&points.x_m), y_m: keep(&points.y_m), w: keep(&points.w) };
            warnings.push(stray_note(ds, &strays));
        }
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
        Ok(Placed { selection, points, strays, warnings, boundary, box_rows, bandwidth_m, bandwidth_rule, full })
    }

    /// The prepared analysis on `grids`; `params` are those the grids were laid by.
    fn on(self, ds: &Dataset, grids: Grids, params: &AnalysisParams, harm_label: &str) -> Prepared {
        let Grids { grid, gistar_grid, cell_m, cell_rule } = grids;
        let fmt = |t: Option<i64>| t.map(crate::model::time::format_instant);
        let resolved = ResolvedParams {
            from: fmt(params.query.from_s),
            to: fmt(params.query.to_s),
            categories: params.query.categories.clone(),
            weight: params.weight,
            harm_table: (params.weight == WeightMode::Harm).then(|| harm_label.to_owned()),
            kernel: params.kernel,
            bandwidth_m: self.bandwidth_m,
            bandwidth_rule: self.bandwidth_rule,
            cell_m,
            cell_rule,
            crs: ds.crs().label.clone(),
            bbox: params.query.bbox_lonlat,
            grid_cols: grid.cols,
            grid_rows: grid.rows,
            grid_origin_m: [grid.origin_x_m, grid.origin_y_m],
        };
        let mut study = hull_mask(&self.points, &grid);
        if let Some(b) = self.boundary {
            for (s, inside) in study.iter_mut().zip(b.cell_mask(&grid)) {
                *s = *s && inside;
            }
        }
        Prepared {
            selection: self.selection,
            points: self.points,
            strays: self.strays,
            study,
            fit_end_s: params.query.to_s.or_else(|| data_end_s(ds)),
            grid,
            gistar_grid,
            params: resolved,
            warnings: self.warnings,
            boundary: self.boundary.cloned(),
            box_rows: self.box_rows,
            history: std::sync::OnceLock::new(),
        }
    }
}

/// The grids laid over a [`Placed`] selection at one cell size, and how the size was chosen.
struct Grids {
    /// The density grid: the data's extent plus the kernel's support on every side.
    grid: Grid,
    /// The Gi* grid: the data's extent only.
    gistar_grid: Grid,
    cell_m: f64,
    cell_rule: Option<&'static str>,
}

impl Grids {
    /// The grids at `params.cell_m`, else the automatic cell size, within the KDE's cost limit.
    fn over(ds: &Dataset, placed: &Placed<'_>, params: &AnalysisParams) -> Result<Grids, AnalysisError> {
        let (full, bandwidth_m) = (&placed.full, placed.bandwidth_m);
        let (cell_m, cell_rule) = match params.cell_m {
            Some(c) => (c, None),
            None => (auto_cell_m(&robust_extent(&placed.points).unwrap_or(*full)), Some(AUTO_CELL_RULE)),
        };
        let support = params.kernel.support_m(bandwidth_m);
        // The data's own grid first, so a cell size that is too fine is blamed on cell_m; then the grid grown by the
        // kernel's reach, whose failure is the bandwidth's.
        let gistar_grid = Grid::covering(full, 0.0, cell_m, ds.crs())?;
        let grid = Grid::covering(full, support, cell_m, ds.crs())
            .map_err(|source| KdeError::ReachTooLarge { bandwidth_m, source })?;
        crate::analysis::kde::check_kde_cost_of(&placed.points, &grid, params.kernel, bandwidth_m)?;
        Ok(Grids { grid, gistar_grid, cell_m, cell_rule })
    }
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
