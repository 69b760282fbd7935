//! The tasking list: ranked candidate places for the period after a date, with the facts a tasking meeting needs
//! to choose between them (see `hotspots tasking`).
//!
//! **Candidates.** `find`'s places for the period after `at` by the same rule: by default (`predict`) the share
//! `top_share` of the study area most likely to see incidents next, scored by the method the backtest chose on the
//! store's history before `at` (or `predictor`), in places of at most a patrol's area
//! ([`super::patrol_places`]); with `kde`, the densest cells of the window joined when they share a side. Ranked
//! by count or harm over the window `[at - window, at)`. Candidates whose centroids lie closer than
//! `min_separation_m` merge (their cells together, facts recomputed), repeatedly, until no two are closer (predicted
//! places only while the merged place stays within four patrol places); then the first `top` are kept. An unmerged
//! candidate is exactly `find`'s hotspot of the same id, window and parameters. The list states the chosen method's
//! out-of-sample record in words ([`crate::analysis::backtest::MethodChoice::sentence`]).
//!
//! **Previous window.** The equal window before (as many whole months earlier for a window of whole months, else the
//! same number of days). When the store holds no incident at all in it (before the data starts, or a gap in the
//! imports), the change is not given: no data is not zero crime.
//!
//! **Emerging class.** An emerging hot spot analysis ([`super::emerging::cube`]) over the steps that end at `at`:
//! months when any selected incident is known only to the month, else weeks; at most 12 steps, and only the
//! unbroken run of steps holding incidents (a gap in the data ends it). A candidate takes the class of the hot
//! emerging cell with the most incidents among those under its cells, else the class under its centroid.
//!
//! **Gi\* z.** The largest Gi\* z-score among the candidate's cells (band = the kernel bandwidth, on the window).

use super::backtest::MethodChoice;
use super::change::{Change, change};
use super::gistar::GiStarOptions;
use super::hotspots::{Hotspot, Named, RankBy, cell_owner, hotspots_of_cells, incidents_in_groups};
use super::kde::Kernel;
use super::pipeline::{AnalysisError, AnalysisParams, ResolvedParams, prepare};
use super::spec::{HotspotRule, Method};
use crate::geo::{CrsDef, Projector};
use crate::model::Window;
use crate::model::time::format_instant;
use crate::model::{Dataset, Query};
use serde::Serialize;

pub use super::spec::TaskingParams;

/// One candidate place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Its place in the list, 1 first.
    pub rank: usize,
    /// The id of the hotspot it comes from (as `find` and `/api/hotspots` number them).
    pub id: String,
    /// Ids of `find`'s hotspots merged into this one (empty when none was).
    pub merged: Vec<String>,
    /// Its centroid (as the hotspot's), lon/lat degrees.
    pub centroid_lonlat: [f64; 2],
    /// British National Grid easting and northing, metres, when the centroid is in Great Britain.
    pub centroid_bng_m: Option<[f64; 2]>,
    /// A name to steer by: its area's name and first specific street, as `find`'s hotspot ([`super::naming`]).
    pub name: String,
    /// The area code holding most of its incidents (not serialised).
    #[serde(skip)]
    pub main_area: Option<String>,
    /// Its first specific street (not serialised; part of `name`).
    #[serde(skip)]
    pub street: Option<String>,
    /// The three most frequent location texts.
    pub streets: Vec<Named>,
    /// Codes of the areas its incidents fall in (police.uk: LSOAs), sorted.
    pub area_codes: Vec<String>,
    /// Selected incidents in its cells in the window.
    pub incidents: u64,
    /// Their harm (the harm table's weights summed).
    pub harm: f64,
    /// Incidents in the same cells in the previous window; `None` when the store has no data for it.
    pub previous_incidents: Option<u64>,
    /// Their harm in the previous window; `None` as above.
    pub previous_harm: Option<f64>,
    /// The change from the previous window (scaled when the windows differ in length); `None` as above.
    pub change: Option<Change>,
    /// Every category with its count, most frequent first.
    pub categories: Vec<Named>,
    /// The emerging hot spot class (snake case), `None` when there were too few steps.
    pub emerging_class: Option<String>,
    /// The class in words.
    pub emerging_name: Option<String>,
    /// The highest Gi* z-score among its cells (the window's Gi* over the study area); `None` outside it.
    pub gistar_z: Option<f64>,
    /// Predictive accuracy index in the window: `hit_rate / area_share` (in-sample).
    pub pai: f64,
    /// Share of the window's selected incidents inside it.
    pub hit_rate: f64,
    /// Share of the study area it covers.
    pub area_share: f64,
    /// Its area, m^2.
    pub area_m2: f64,
    /// Its outline as GeoJSON MultiPolygon coordinates, lon/lat.
    pub outline_lonlat: Vec<Vec<Vec<[f64; 2]>>>,
    /// With an area layer ([`split_by_area`]): the candidate's incidents per area of that layer, most first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_area: Vec<AreaShare>,
    /// Its cells in [`TaskingList::grid`] (not serialised).
    #[serde(skip)]
    pub cell_indices: Vec<usize>,
}

/// A candidate's incidents in one area of a boundary layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaShare {
    /// The area's code in its boundary layer.
    pub key: String,
    /// The area's name (its code when it has none).
    pub name: String,
    /// The candidate's incidents in it.
    pub incidents: u64,
}

/// The tasking list and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskingList {
    /// The tasking date (ISO 8601): the window ends here.
    pub at: String,
    /// The window before the date, `[from, to)`.
    pub window: Window,
    /// The window in words.
    pub window_text: String,
    /// The equal window before it, for the change.
    pub previous_window: Window,
    /// Why the previous window gives no change, when it does not.
    pub previous_note: Option<String>,
    /// The analysis settings as used (grid, bandwidth, weight, categories).
    pub params: ResolvedParams,
    /// How candidates are ranked (incidents or harm).
    pub rank_by: RankBy,
    /// Candidates asked for at most.
    pub top: usize,
    /// Share of the study area the places may cover.
    pub top_share: f64,
    /// Candidates closer than this (centroids, metres) are merged.
    pub min_separation_m: f64,
    /// The emerging analysis's step (e.g. `week`), `None` when it was not run.
    pub emerging_period: Option<String>,
    /// Its steps.
    pub emerging_steps: Vec<Window>,
    /// Why there are no emerging classes, when there are none.
    pub emerging_note: Option<String>,
    /// Incidents selected in the window.
    pub selected_incidents: u64,
    /// The candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Things the meeting should know (coverage, strays, settings adjusted).
    pub warnings: Vec<String>,
    /// How the places were chosen, in words: the prediction method, or the densest cells of the window.
    pub places_rule: String,
    /// The backtest's choice of prediction method with its out-of-sample record (when `predict` chose it).
    pub method_choice: Option<MethodChoice>,
    /// Near-repeat zones ([`add_near_repeat`]); `None` until added, or when `nr_days` is 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub near_repeat: Option<crate::analysis::nearrepeat::alert::NearRepeatAlert>,
    /// The grid of the candidates' cells.
    #[serde(skip)]
    pub grid: crate::grid::Grid,
}

impl TaskingList {
    /// Name each candidate (and near-repeat zone) by its area's name (from `names`; the code where `names` has none)
    /// and its street.
    pub fn name_areas(&mut self, names: &super::naming::AreaNames) {
        for c in &mut self.candidates {
            let area = c.main_area.as_deref().map(|a| names.name_or_code(a));
            c.name = super::naming::place_name(area, c.street.as_deref());
        }
        if let Some(nr) = &mut self.near_repeat {
            nr.name_areas(names);
        }
    }
}

/// Errors of [`tasking`].
#[derive(Debug, thiserror::Error)]
pub enum TaskingError {
    /// The window's analysis failed.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// The store holds no incidents.
    #[error("the store holds no incidents")]
    NoData,
    /// The window cannot be represented (a date out of range).
    #[error("the window {0} is outside the representable dates")]
    BadWindow(String),
    /// No incident of the categories in the window.
    #[error("no incidents in the window {window}: {hint}")]
    EmptyWindow {
        /// The window in words.
        window: String,
        /// What to try instead (another date, a longer window).
        hint: &'static str,
    },
    /// `min_separation_m` is not a finite, non-negative distance.
    #[error("min_separation_m={0}: not a distance in metres")]
    BadSeparation(f64),
    /// `top` is 0.
    #[error("top={0}: give at least 1")]
    BadTop(usize),
    /// The candidates' outlines cannot be projected back to lon/lat.
    #[error("cannot place the candidates on the map: {0}")]
    Projection(String),
}

/// Build the tasking list (see the module docs).
pub fn tasking(
    ds: &Dataset,
    harm_by_category: &[f64],
    harm_label: &str,
    p: &TaskingParams,
) -> Result<TaskingList, TaskingError> {
    if !(p.min_separation_m.is_finite() && p.min_separation_m >= 0.0) {
        return Err(TaskingError::BadSeparation(p.min_separation_m));
    }
    if p.top == 0 {
        return Err(TaskingError::BadTop(p.top));
    }
    let (at, window) = tasking_window(ds, p)?;
    let query = Query {
        from_s: Some(window.from_s),
        to_s: Some(window.to_s),
        categories: p.categories.clone(),
        ..Default::default()
    };
    let params = AnalysisParams {
        query: query.clone(),
        cell_m: p.cell_m,
        bandwidth_m: p.bandwidth_m,
        kernel: Kernel::Quartic,
        weight: p.weight,
        study_area: None,
    };
    let prepared = match prepare(ds, &params, harm_by_category, harm_label) {
        Err(AnalysisError::Empty) => {
            let monthly = ds.precision().iter().any(|&p| p >= crate::model::time::TimePrecision::Month);
            let hint = if monthly && !matches!(p.window, crate::model::window::WindowLength::Months(_)) {
                "the data is known only to the month: a window of whole months fits it (window 3m)"
            } else {
                "widen the window (window), move it (at), or drop a category"
            };
            return Err(TaskingError::EmptyWindow { window: window.text().replace("T00:00:00Z", ""), hint });
        }
        other => other?,
    };
    let mut warnings = prepared.warnings.clone();
    let surface = prepared.density()?;
    let rank_by = p.rank_by();
    let rule = HotspotRule {
        method: p.method,
        predictor: p.predictor,
        top_share: p.top_share,
        density_cut: None,
        band_m: None,
        rank_by: Some(rank_by),
    };
    let method_choice = match (p.method, p.predictor) {
        (Method::Predict, None) => Some(prepared.choose_predictor(ds, harm_by_category)?),
        _ => None,
    };
    let predictor = method_choice.as_ref().map(|c| &c.method);
    let set = prepared.rule_hotspots(ds, Some(&surface), &rule, None, harm_by_category, predictor)?;
    let projector = Projector::new(ds.crs()).map_err(|e| TaskingError::Projection(e.to_string()))?;

    // Merge candidates closer than the separation, until none are; predicted places only while the merged place
    // stays within four patrol places (0.64 km2), so a busy town centre stays a list of places a patrol can cover.
    let merge_cap = match p.method {
        Method::Predict => 4 * super::patrol_places::max_place_cells(&prepared.grid),
        _ => usize::MAX,
    };
    let pool = set.hotspots.len().min(3 * p.top + 20);
    let mut groups: Vec<(Vec<usize>, Vec<String>)> =
        set.hotspots.iter().take(pool).map(|h| (h.cell_indices.clone(), vec![h.id.clone()])).collect();
    let mut hotspots: Vec<Hotspot>;
    loop {
        hotspots = hotspots_of_cells(
            ds,
            &prepared.selection,
            &surface,
            set.study_area_m2,
            groups.iter().map(|g| g.0.clone()).collect(),
            rank_by,
            harm_by_category,
            &projector,
        );
        // hotspots_of_cells ranks; carry the merged ids along by cell set.
        let mut ranked_groups: Vec<(Vec<usize>, Vec<String>)> = hotspots
            .iter()
            .map(|h| {
                let ids = groups.iter().find(|g| g.0 == h.cell_indices).map(|g| g.1.clone()).unwrap_or_default();
                (h.cell_indices.clone(), ids)
            })
            .collect();
        let xy: Vec<Option<(f64, f64)>> =
            hotspots.iter().map(|h| projector.from_lonlat(h.centroid_lonlat[0], h.centroid_lonlat[1])).collect();
        let close = (0..hotspots.len()).find_map(|i| {
            ((i + 1)..hotspots.len()).find_map(|j| match (xy[i], xy[j]) {
                (Some(a), Some(b))
                    if (a.0 - b.0).hypot(a.1 - b.1) < p.min_separation_m
                        && hotspots[i].cells + hotspots[j].cells <= merge_cap =>
                {
                    Some((i, j))
                }
                _ => None,
            })
        });
        let Some((i, j)) = close else { break };
        let (cells, ids) = ranked_groups.remove(j);
        ranked_groups[i].0.extend(cells);
        ranked_groups[i].0.sort_unstable();
        ranked_groups[i].0.dedup();
        ranked_groups[i].1.extend(ids);
        groups = ranked_groups;
    }
    hotspots.truncate(p.top);

    // The previous window, when the store has data for it.
    let previous = previous_window(window);
    let coverage = crate::model::Coverage::of(ds);
    let previous_cov = coverage.window(previous);
    let previous_note = (!previous_cov.full).then(|| {
        format!(
            "the store holds no data for {} of the previous window ({}), so no change is given",
            previous_cov.missing_text,
            previous.text().replace("T00:00:00Z", "")
        )
    });
    let window_cov = coverage.window(window);
    if !window_cov.full {
        warnings.push(format!(
            "the store holds no data for {} of the window {}: the places are chosen on the part it holds",
            window_cov.missing_text,
            window.text().replace("T00:00:00Z", "")
        ));
    }
    let prev_sel = Query {
        from_s: Some(previous.from_s),
        to_s: Some(previous.to_s),
        categories: p.categories.clone(),
        ..Default::default()
    }
    .select(ds)
    .map_err(AnalysisError::Query)?;
    let grid = &prepared.grid;
    let owner = cell_owner(grid.n_cells(), hotspots.iter().map(|h| h.cell_indices.as_slice()));
    let prev = incidents_in_groups(ds, &prev_sel.indices, grid, &owner, hotspots.len(), harm_by_category);

    // Emerging classes and Gi*.
    let (emerging, emerging_note) = emerging_for(ds, &prepared.selection, at, &p.categories);
    let gi = prepared.gistar(prepared.params.bandwidth_m, GiStarOptions::default())?;
    let bng = CrsDef::parse("EPSG:27700").ok().and_then(|d| Projector::new(&d).ok());

    let candidates = hotspots
        .into_iter()
        .enumerate()
        .map(|(k, h)| {
            let [lon, lat] = h.centroid_lonlat;
            let in_gb = (-9.0..=2.5).contains(&lon) && (49.5..=61.0).contains(&lat);
            let centroid_bng_m =
                bng.as_ref().filter(|_| in_gb).and_then(|b| b.from_lonlat(lon, lat)).map(|(e, n)| [e, n]);
            let (previous_incidents, previous_harm, change_) = match previous_note {
                Some(_) => (None, None, None),
                None => {
                    let (n, harm) = prev[k];
                    let ratio = Window::length_ratio(previous, window);
                    (Some(n), Some(harm), Some(change(n as f64, h.incidents as f64, ratio)))
                }
            };
            let gistar_z = h
                .cell_indices
                .iter()
                .filter_map(|&c| {
                    let (x, y) = grid.centre(c);
                    gi.grid.cell_at(x, y).filter(|&g| gi.study[g]).map(|g| gi.result.z[g])
                })
                .max_by(f64::total_cmp);
            let class = emerging.as_ref().map(|e| class_under(e, grid, &h.cell_indices, &projector, [lon, lat]));
            let merged = groups_ids(&groups, &h.cell_indices).into_iter().filter(|id| *id != h.id).collect();
            Candidate {
                rank: k + 1,
                id: h.id,
                merged,
                centroid_lonlat: h.centroid_lonlat,
                centroid_bng_m,
                name: h.name,
                main_area: h.main_area,
                street: h.street,
                streets: h.top_locations.into_iter().take(3).collect(),
                area_codes: h.area_codes,
                incidents: h.incidents,
                harm: h.harm,
                previous_incidents,
                previous_harm,
                change: change_,
                categories: h.categories,
                emerging_class: class.map(super::emerging::EmergingClass::code),
                emerging_name: class.map(|c| c.name().to_owned()),
                gistar_z,
                pai: h.pai,
                hit_rate: h.hit_rate,
                area_share: h.area_share,
                area_m2: h.area_m2,
                outline_lonlat: h.outline_lonlat,
                by_area: Vec::new(),
                cell_indices: h.cell_indices,
            }
        })
        .collect();
    warnings.extend(emerging.as_ref().map(|e| e.warnings.clone()).unwrap_or_default());
    // The window's analysis and the emerging steps can say the same thing (a stray, a cut month): once is enough.
    let mut seen = std::collections::HashSet::new();
    warnings.retain(|w| seen.insert(w.clone()));
    let pct = format!("{}%", (p.top_share * 1e4).round() / 100.0);
    let places_rule = match (p.method, method_choice.as_ref().map(|c| &c.method).or(p.predictor.as_ref())) {
        (Method::Predict, Some(m)) => format!(
            "the {pct} of the study area most likely to see incidents next, scored by {m} ({})",
            m.describe(&crate::analysis::predict::Period::natural(ds).word())
        ),
        _ => format!("the densest {pct} of the study area over the window"),
    };
    Ok(TaskingList {
        at: format_instant(at),
        window,
        window_text: p.window.text(),
        previous_window: previous,
        previous_note,
        params: prepared.params.clone(),
        rank_by,
        top: p.top,
        top_share: p.top_share,
        min_separation_m: p.min_separation_m,
        emerging_period: emerging.as_ref().map(|e| e.period.name()),
        emerging_steps: emerging.as_ref().map(|e| e.steps.clone()).unwrap_or_default(),
        emerging_note,
        selected_incidents: set.selected_incidents,
        candidates,
        warnings,
        places_rule,
        method_choice,
        near_repeat: None,
        grid: prepared.grid.clone(),
    })
}

fn groups_ids(groups: &[(Vec<usize>, Vec<String>)], cells: &[usize]) -> Vec<String> {
    groups.iter().find(|g| g.0 == cells).map(|g| g.1.clone()).unwrap_or_default()
}

mod by_area;
mod emerging_class;
mod near_repeat;
mod window;

pub use by_area::split_by_area;
use emerging_class::{class_under, emerging_for};
pub use near_repeat::add_near_repeat;
pub use window::{WindowLength, previous_window, previous_with_data, tasking_window};
