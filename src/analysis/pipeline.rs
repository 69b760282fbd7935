//! One analysis run from a dataset and the user's parameters: select, weight, choose the grid and bandwidth
//! (automatically when not given, saying how), then density, Gi* and hotspots as asked. The CLI and the server call
//! this, so both resolve parameters the same way.

use super::backtest::{DEFAULT_METHOD, MethodChoice, choose_method};
use super::counts::{GridCounts, grid_counts};
use super::gistar::{GiStar, GiStarError, GiStarOptions, gistar_grid_within};
use super::hotspots::{CellInputs, CellRule, HotspotError, HotspotSet, RankBy, find_hotspots_in};
use super::kde::{BandwidthChoice, DensitySurface, KdeError, Kernel, kde_within};
use super::points::{Points, WeightMode};
use super::predict::{PredictError, PredictMethod, Strays, Weights, hull_mask};
pub use super::spec::AnalysisParams;
use super::spec::{HotspotRule, Method};
use super::study_boundary::StudyBoundary;
use crate::geo::{CrsError, Projector};
use crate::grid::{Grid, GridError};
use crate::model::{Budget, Dataset, QueryError, Selection};
pub use prepare::{prepare, prepare_for_rule, prepare_in, rule_params};
use serde::Serialize;
use std::sync::Arc;

mod prepare;

/// Errors of an analysis run.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The window or categories could not be selected.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The grid could not be built (bad or too many cells).
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The density could not be computed.
    #[error(transparent)]
    Kde(#[from] KdeError),
    /// Gi* could not be computed.
    #[error(transparent)]
    GiStar(#[from] GiStarError),
    /// Hotspots could not be chosen.
    #[error(transparent)]
    Hotspot(#[from] HotspotError),
    /// The dataset's CRS could not be used.
    #[error(transparent)]
    Crs(#[from] CrsError),
    /// A prediction method failed.
    #[error(transparent)]
    Predict(#[from] PredictError),
    /// No incident matches the window and categories.
    #[error("no incidents match the query (window and categories); widen the window or drop a --category")]
    Empty,
    /// The study-area boundary layer named is not loaded (its name).
    #[error("study_area={0}: no boundary layer of that name is loaded (import it with areas import)")]
    StudyArea(String),
}

/// The parameters as resolved, printed with every result so it can be reproduced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedParams {
    /// The window's start (inclusive), as text; `None` = from the first incident.
    pub from: Option<String>,
    /// The window's end (exclusive), as text; `None` = to the last incident.
    pub to: Option<String>,
    /// The categories selected (empty = all).
    pub categories: Vec<String>,
    /// What each incident weighs (count or harm).
    pub weight: WeightMode,
    /// The harm table's label when weighting by harm.
    pub harm_table: Option<String>,
    /// The KDE kernel.
    pub kernel: Kernel,
    /// The KDE bandwidth, in metres (given or automatic).
    pub bandwidth_m: f64,
    /// How the bandwidth was chosen, when automatic.
    pub bandwidth_rule: Option<BandwidthChoice>,
    /// The grid cell size, in metres (given or automatic).
    pub cell_m: f64,
    /// The rule that chose the cell size when automatic (`None` when given).
    pub cell_rule: Option<&'static str>,
    /// The dataset's metric CRS, as its label (`EPSG:27700`).
    pub crs: String,
    /// The WGS84 box `[west, south, east, north]` incidents were kept in, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// Columns of the density grid.
    pub grid_cols: usize,
    /// Rows of the density grid.
    pub grid_rows: usize,
    /// The density grid's south-west corner `[x, y]`, in the CRS's metres.
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
    /// The Gi* grid: the data's extent, aligned with the density grid.
    pub grid: Grid,
    /// The weighted count of each cell of `grid` (count or harm), in the grid's cell order.
    pub values: Vec<f64>,
    /// Which cells are observations.
    pub study: Vec<bool>,
    /// The z-scores, p-values and bins, one per cell of `grid`.
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
    /// The incidents selected by the window and categories (strays included).
    pub selection: Selection,
    /// Points weighted as asked (count or harm), strays left out.
    pub points: Points,
    /// Selected incidents far from all others (police.uk lists crimes a force dealt with elsewhere), judged against
    /// every category's incidents in the window ([`Strays::find`]): kept out of the grid, the KDE, Gi* and the study
    /// area, still counted in every total, and named in a warning.
    pub strays: Strays,
    /// The study area on `grid`: the cells entirely inside the convex hull of the points (strays left out), the
    /// same rule `backtest` and `accuracy` measure with ([`crate::analysis::predict::STUDY_AREA_RULE`]). Shares
    /// (`top_share`), area shares and PAI are of this area.
    pub study: Vec<bool>,
    /// The instant predictions are made for: the window's end, else the end of the data.
    pub fit_end_s: Option<i64>,
    /// The density grid: the data's extent plus the kernel's support on every side.
    pub grid: Grid,
    /// The Gi* grid: the data's extent only, aligned with `grid`.
    pub gistar_grid: Grid,
    /// The parameters as resolved, to print with the result.
    pub params: ResolvedParams,
    /// Warnings for people (a cut month, strays left out, an automatic cell size chosen instead...).
    pub warnings: Vec<String>,
    /// The study boundary the selection was cut to, if any (the history behind [`Prepared::choose_predictor`] is
    /// cut to it too).
    pub boundary: Option<StudyBoundary>,
    /// The rows of the dataset inside the query's box, of any time and category (when it has a box).
    box_rows: Option<Vec<u32>>,
    /// [`Prepared::history`], made on first use.
    history: std::sync::OnceLock<Option<Arc<Dataset>>>,
}

impl Prepared {
    /// The kernel density of `points` on the density grid, within the thread's computation budget; an error when the
    /// surface would be too large or the budget runs out.
    pub fn density(&self) -> Result<DensitySurface, AnalysisError> {
        // The thread's budget ([`Budget::scope`]; unlimited but for a server's computations).
        Ok(kde_within(&self.points, &self.grid, self.params.kernel, self.params.bandwidth_m, &Budget::current())?)
    }

    /// Incidents and weights per cell of the density grid.
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

    /// The scores of `method` on the density grid for the period after [`Prepared::fit_end_s`], fitted on the
    /// selected categories' history of this analysis's place before it ([`Prepared::history`]; the method's own
    /// lookback, not the window's start).
    pub fn predicted_scores(
        &self,
        ds: &Dataset,
        method: &PredictMethod,
        harm_by_category: &[f64],
    ) -> Result<Vec<f64>, AnalysisError> {
        let fit_end_s = self.fit_end_s.ok_or(AnalysisError::Empty)?;
        let weights = Weights { mode: self.params.weight, harm_by_category: harm_by_category.to_vec() };
        let history = self.history(ds);
        let ds = history.as_deref().unwrap_or(ds);
        Ok(super::predict::score_cells(ds, &self.params.categories, &self.grid, method, fit_end_s, &weights)?)
    }

    /// The prediction method a backtest on the history of this analysis's place before [`Prepared::fit_end_s`]
    /// chooses, on this grid's cells, for this weight and these categories ([`choose_method`], with its evidence and
    /// sentence). The place is the query's box and study boundary ([`Prepared::history`]): a county of a national
    /// store is judged on the county's record, not the nation's.
    pub fn choose_predictor(&self, ds: &Dataset, harm_by_category: &[f64]) -> Result<MethodChoice, AnalysisError> {
        let at_s = self.fit_end_s.ok_or(AnalysisError::Empty)?;
        let weights = Weights { mode: self.params.weight, harm_by_category: harm_by_category.to_vec() };
        let history = self.history(ds);
        Ok(choose_method(history.as_deref().unwrap_or(ds), &self.params.categories, &weights, at_s, self.grid.cell_m)?)
    }

    /// Everything [`Prepared::choose_predictor`]'s answer depends on besides the data, as text: a key to keep the
    /// choice under for the same data (the server's cache, the store's derived results). It names the place (box and
    /// study boundary), categories, weight (and the harm weights when weighting by harm), the instant, the cell size,
    /// and the rule itself (the methods compared, folds, coverage and limit, and this program's version), so a
    /// changed rule never reads a choice made by another.
    pub fn choice_key(&self, harm_by_category: &[f64]) -> String {
        use super::backtest::{CHOICE_MAX_INCIDENTS, DEFAULT_FOLDS, choose::CHOICE_COVERAGE_PCT, default_methods};
        let methods: Vec<String> = default_methods().iter().map(ToString::to_string).collect();
        let harm = match self.params.weight {
            WeightMode::Harm => format!("{harm_by_category:?}"),
            WeightMode::Count => String::new(),
        };
        format!(
            "choice|v{}|{}|{DEFAULT_FOLDS}|{CHOICE_COVERAGE_PCT}|{CHOICE_MAX_INCIDENTS}|{:?}|{}{harm}|{:?}|{}|{:?}|{:?}",
            env!("CARGO_PKG_VERSION"),
            methods.join(","),
            self.params.categories,
            self.params.weight.name(),
            self.fit_end_s,
            self.grid.cell_m,
            self.params.bbox,
            self.boundary.as_ref().map(|b| &b.name)
        )
    }

    /// Every incident of `ds` (the dataset this analysis was prepared on), of any time and category, inside the
    /// query's box and the study boundary, as a dataset of its own, made once; `None` when the analysis has neither
    /// (its place is the whole dataset).
    pub fn history(&self, ds: &Dataset) -> Option<Arc<Dataset>> {
        self.history.get_or_init(|| self.cut_history(ds)).clone()
    }

    /// Bytes held by [`Prepared::history`] once made (0 before, or when the place is the whole dataset), and by the
    /// box's row list it is cut from.
    pub fn history_bytes(&self) -> usize {
        let rows = self.box_rows.as_ref().map_or(0, |r| r.len() * std::mem::size_of::<u32>());
        rows + self.history.get().and_then(Option::as_ref).map_or(0, |h| h.column_bytes() + h.interned_bytes())
    }

    fn cut_history(&self, ds: &Dataset) -> Option<Arc<Dataset>> {
        if self.params.bbox.is_none() && self.boundary.is_none() {
            return None;
        }
        let (x, y) = (ds.x_m(), ds.y_m());
        let in_boundary = |i: usize| self.boundary.as_ref().is_none_or(|b| b.contains_m(x[i], y[i]));
        use rayon::prelude::*;
        let keep: Vec<u32> = match &self.box_rows {
            Some(rows) => rows.par_iter().copied().filter(|&i| in_boundary(i as usize)).collect(),
            None => (0..ds.len()).into_par_iter().filter(|&i| in_boundary(i)).map(|i| i as u32).collect(),
        };
        Some(Arc::new(ds.subset(&keep)))
    }

    /// Hotspots by a request's rule: Gi* for the rule's band is computed here when the rule needs it and `gistar`
    /// (a cached run for that band) is not given; `predict` scores with the rule's predictor, else `predictor` (the
    /// caller's choice, e.g. [`crate::analysis::backtest::choose_method`]'s), else
    /// [`crate::analysis::backtest::DEFAULT_METHOD`]. Without `surface` (this analysis's [`Prepared::density`]) the
    /// density is computed here: the whole surface for the density and Gi* rules, and for `predict` only at the
    /// cells it chooses (each place's peak), with the same values as the surface's.
    pub fn rule_hotspots(
        &self,
        ds: &Dataset,
        surface: Option<&DensitySurface>,
        rule: &HotspotRule,
        gistar: Option<&GridGiStar>,
        harm_by_category: &[f64],
        predictor: Option<&PredictMethod>,
    ) -> Result<HotspotSet, AnalysisError> {
        let projector = Projector::new(ds.crs())?;
        let rules = (rule.cell_rule(), rule.rank_by(self.params.weight));
        let predicted = match rule.method {
            Method::Predict => {
                let method = rule.predictor.as_ref().or(predictor).unwrap_or(&DEFAULT_METHOD);
                Some(self.predicted_scores(ds, method, harm_by_category)?)
            }
            _ => None,
        };
        if let (Some(scores), None) = (&predicted, surface) {
            return self.predicted_places(ds, scores, rule.top_share, rules.1, harm_by_category, &projector);
        }
        let own_surface;
        let surface = match surface {
            Some(s) => s,
            None => {
                own_surface = self.density()?;
                &own_surface
            }
        };
        let own;
        let gi = match (rule.method, gistar) {
            (Method::GiStar, Some(g)) => Some(g),
            (Method::GiStar, None) => {
                own = self.gistar(rule.band_m(self.params.bandwidth_m), GiStarOptions::default())?;
                Some(&own)
            }
            _ => None,
        };
        let bins = gi.map(|g| g.bins_on(&surface.grid));
        let inputs =
            CellInputs { study: Some(&self.study), scores: predicted.as_deref(), gistar_bins: bins.as_deref() };
        Ok(find_hotspots_in(ds, &self.selection, surface, inputs, rules, harm_by_category, &projector)?)
    }

    /// `predict`'s places from `scores` (one per cell of the grid) without the whole density surface: the chosen
    /// cells' densities only, for each place's peak and id.
    fn predicted_places(
        &self,
        ds: &Dataset,
        scores: &[f64],
        share: f64,
        rank_by: RankBy,
        harm_by_category: &[f64],
        projector: &Projector,
    ) -> Result<HotspotSet, AnalysisError> {
        use crate::analysis::hotspots::{Densities, PlaceFacts, cells_of_share, predicted_cells, predicted_places};
        let grid = &self.grid;
        let study_cells = self.study.iter().filter(|&&s| s).count();
        let chosen = predicted_cells(scores, &self.study, cells_of_share(share, study_cells)?, grid)?;
        let (kernel, bandwidth_m) = (self.params.kernel, self.params.bandwidth_m);
        let densities = crate::analysis::kde::kde_at_cells(&self.points, grid, kernel, bandwidth_m, &chosen)?;
        let study_area_m2 = study_cells as f64 * grid.cell_area_m2();
        let facts = PlaceFacts { ds, sel: &self.selection, grid, study_area_m2, harm_by_category, projector };
        Ok(predicted_places(&facts, &chosen, scores, Densities::AtCells(&chosen, &densities), rank_by, share))
    }

    /// Hotspots from the density surface (and Gi* when the rule asks for it), the share of [`Prepared::study`].
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
        let inputs = CellInputs { study: Some(&self.study), scores: None, gistar_bins: bins.as_deref() };
        Ok(find_hotspots_in(ds, &self.selection, surface, inputs, (rule, rank_by), harm_by_category, &projector)?)
    }
}
