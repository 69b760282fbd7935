//! Hotspots: adjacent significant cells joined into places, with the facts to choose between them.
//!
//! **Which cells.** From a density surface, the cells at or above a threshold: by default the densest 1% of the
//! study area (`TopShare(0.01)`, ties at the cut included), or every cell above a density (`Cut`, per km^2). From
//! Gi*, the cells with bin >= 2 (hot at 95% confidence or more, after the false discovery rate correction when it
//! is on).
//!
//! **Study area.** The cells with positive density (the area within one kernel support of at least one selected
//! incident), or the study area the caller gives ([`CellInputs::study`]; an analysis's is the hull of its incidents,
//! cut to its study boundary). Every area share (and so PAI) is relative to it, the area [`HotspotSet`] reports.
//!
//! **Joining.** Cells sharing a side (4-connectivity) form one hotspot; its outline is the traced union of its
//! cells ([`super::outline`]), converted to lon/lat.
//!
//! **Facts per hotspot.** Incidents and harm inside (incidents whose point falls in one of its cells), the share of
//! all selected incidents (hit rate), PAI = hit rate / area share (Chainey, Tompson & Uhlig 2008), the peak density,
//! the centroid of its incidents (of its cells when it holds none), counts by category, the five most frequent
//! location texts, the area codes its incidents carry, and its cells. The id is stable for the same grid: `h`,
//! the cell size, and the south-west corner of the densest cell in CRS metres (`h50-571450-5618300`).
//!
//! **Ranking.** By incidents or by harm (descending); ties by peak density, then id.

use super::kde::DensitySurface;
use super::outline::trace_cells;
use crate::geo::Projector;
use crate::model::{Dataset, NONE_ID, Selection};
use geo_types::MultiPolygon;
use serde::Serialize;
use std::collections::BTreeMap;

/// How cells are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule", content = "value")]
pub enum CellRule {
    /// The densest share (0..1) of the study area's cells.
    TopShare(f64),
    /// Cells with density at or above this many per km^2.
    Cut(f64),
    /// Cells with Gi* bin >= 2.
    GiStarHot,
    /// The share (0..1) of the study area's cells with the highest predicted scores (ties broken by cell index, never
    /// more cells than the share).
    Predicted(f64),
}

/// What cells are chosen from besides the density surface.
#[derive(Debug, Clone, Copy, Default)]
pub struct CellInputs<'a> {
    /// The study area (one flag per cell of the surface's grid); `None`: the cells with any density.
    pub study: Option<&'a [bool]>,
    /// Predicted scores per cell, for [`CellRule::Predicted`].
    pub scores: Option<&'a [f64]>,
    /// Gi* bins on the surface's grid, for [`CellRule::GiStarHot`].
    pub gistar_bins: Option<&'a [i8]>,
}

/// The density a hotspot's peak is read from: the whole surface, or its values at some cells only (a predicted
/// place's cells; [`crate::analysis::kde::kde_at_cells`]).
#[derive(Debug, Clone, Copy)]
pub enum Densities<'a> {
    /// Density per km2, one value per cell of the grid.
    Surface(&'a [f64]),
    /// Density per km2 at some cells: the cells (ascending) and their values; every other cell reads 0.
    AtCells(&'a [u32], &'a [f64]),
}

impl Densities<'_> {
    /// The density of `cell`, per km2.
    pub fn at(&self, cell: usize) -> f64 {
        match *self {
            Densities::Surface(d) => d.get(cell).copied().unwrap_or(0.0),
            Densities::AtCells(cells, values) => {
                cells.binary_search(&(cell as u32)).ok().and_then(|k| values.get(k)).copied().unwrap_or(0.0)
            }
        }
    }
}

/// What the ranking sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RankBy {
    /// By incidents.
    #[default]
    Count,
    /// By harm (the harm weights summed).
    Harm,
}

/// Errors finding hotspots.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HotspotError {
    /// The share of the study area to take is not above 0 and at most 1 (the share given).
    #[error("top_share={0}: give a share above 0 and at most 1")]
    BadShare(f64),
    /// The density cut is NaN or infinite (the cut given).
    #[error("the density cut {0} is not a finite number")]
    BadCut(f64),
    #[error("the Gi* result has {got} cells but the grid has {want}")]
    /// The Gi* bins are not one per cell of the surface's grid.
    GiStarMismatch {
        /// Cells in the Gi* result.
        got: usize,
        /// Cells in the grid.
        want: usize,
    },
    #[error("the predicted scores have {got} cells but the grid has {want}")]
    /// The predicted scores are not one per cell of the surface's grid.
    ScoresMismatch {
        /// Scores given.
        got: usize,
        /// Cells in the grid.
        want: usize,
    },
}

/// A count with its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// The name (a category or a location text), as stored.
    pub name: String,
    /// Its incidents.
    pub count: u64,
}

/// One hotspot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotspot {
    /// A stable id: `h{cell_m}-{x}-{y}`, the cell size and the south-west corner of its peak cell in the grid's
    /// metres (the same place keeps its id whatever the ranking).
    pub id: String,
    /// Its rank in the set, from 1 (the most incidents, or the most harm with [`RankBy::Harm`]; ties by peak density).
    pub rank: usize,
    /// Polygons in lon/lat: each a list of rings (exterior counter-clockwise first, then holes), rings closed.
    pub outline_lonlat: Vec<Vec<Vec<[f64; 2]>>>,
    /// Its area (cells x cell area), in m2.
    pub area_m2: f64,
    /// Grid cells it is made of.
    pub cells: usize,
    /// Selected incidents inside it.
    pub incidents: u64,
    /// Harm of those incidents (their weights summed).
    pub harm: f64,
    /// Share of all selected incidents inside.
    pub hit_rate: f64,
    /// Share of the study area.
    pub area_share: f64,
    /// Predictive accuracy index: hit rate / area share.
    pub pai: f64,
    /// The highest density of its cells, incidents per km2.
    pub peak_density_per_km2: f64,
    /// Its centroid `[lon, lat]`, in degrees.
    pub centroid_lonlat: [f64; 2],
    /// Its incidents per category, most first (ties by name).
    pub categories: Vec<Named>,
    /// The five location texts with most incidents, most first.
    pub top_locations: Vec<Named>,
    /// Codes of the areas its incidents fall in, sorted.
    pub area_codes: Vec<String>,
    /// A name to steer by: the name of the area holding most of its incidents (its code until
    /// [`HotspotSet::name_areas`] gives names) and its first specific street ([`super::naming`]).
    pub name: String,
    /// The area code holding most of its incidents (not serialised; `area_codes` lists them all).
    #[serde(skip)]
    pub main_area: Option<String>,
    /// Its first specific street (not serialised; part of `name`).
    #[serde(skip)]
    pub street: Option<String>,
    /// Grid indices of the hotspot's cells (not serialised; the outline carries the shape).
    #[serde(skip)]
    pub cell_indices: Vec<usize>,
}

/// The hotspots of one analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotspotSet {
    /// The hotspots, ranked (see [`Hotspot::rank`]).
    pub hotspots: Vec<Hotspot>,
    /// How the hot cells were chosen.
    pub rule: CellRule,
    /// What the ranking sorts by.
    pub rank_by: RankBy,
    /// The density threshold that the rule came to, per km^2 (for density rules).
    pub density_threshold_per_km2: Option<f64>,
    /// Incidents selected (the window and categories), inside and outside the hotspots.
    pub selected_incidents: u64,
    /// Harm of the selected incidents.
    pub selected_harm: f64,
    /// The study area the shares are of, in m2.
    pub study_area_m2: f64,
}

impl HotspotSet {
    /// Name each hotspot by its area's name (from `names`; the code where `names` has none) and its street.
    pub fn name_areas(&mut self, names: &super::naming::AreaNames) {
        for h in &mut self.hotspots {
            let area = h.main_area.as_deref().map(|c| names.name_or_code(c));
            h.name = super::naming::place_name(area, h.street.as_deref());
        }
    }
}

struct Acc {
    cells: Vec<usize>,
    incidents: u64,
    harm: f64,
    sum_x: f64,
    sum_y: f64,
    categories: BTreeMap<u16, u64>,
    locations: BTreeMap<u32, u64>,
    areas: BTreeMap<u32, u64>,
}

/// Find hotspots. `gistar_bins` are Gi* bins on the surface's grid (for [`CellRule::GiStarHot`]);
/// `harm_by_category[c]` is the harm weight of category id `c` (used for the harm figures and for ranking by harm).
/// The study area is the cells with any density.
pub fn find_hotspots(
    ds: &Dataset,
    sel: &Selection,
    surface: &DensitySurface,
    gistar_bins: Option<&[i8]>,
    rules: (CellRule, RankBy),
    harm_by_category: &[f64],
    projector: &Projector,
) -> Result<HotspotSet, HotspotError> {
    let inputs = CellInputs { gistar_bins, ..CellInputs::default() };
    find_hotspots_in(ds, sel, surface, inputs, rules, harm_by_category, projector)
}

/// [`find_hotspots`] with a study area and predicted scores: a share is a share of the study area's cells (rounded
/// down, at least one), and only its cells can be hot.
pub fn find_hotspots_in(
    ds: &Dataset,
    sel: &Selection,
    surface: &DensitySurface,
    inputs: CellInputs<'_>,
    rules: (CellRule, RankBy),
    harm_by_category: &[f64],
    projector: &Projector,
) -> Result<HotspotSet, HotspotError> {
    let (rule, rank_by) = rules;
    let grid = &surface.grid;
    let density = &surface.density_per_km2;
    let in_study = |i: usize| inputs.study.map_or(density[i] > 0.0, |m| m.get(i).copied().unwrap_or(false));
    let study_cells = (0..grid.n_cells()).filter(|&i| in_study(i)).count();
    let study_area_m2 = study_cells as f64 * grid.cell_area_m2();
    let share_cells = |share: f64, available: usize| -> Result<usize, HotspotError> {
        match inputs.study {
            Some(_) => cells_of_share(share, study_cells),
            None if share > 0.0 && share <= 1.0 => {
                Ok(((share * available as f64).ceil() as usize).clamp(1, available.max(1)))
            }
            None => Err(HotspotError::BadShare(share)),
        }
    };
    let (flag, threshold): (Vec<bool>, Option<f64>) = match rule {
        CellRule::TopShare(share) => {
            let mut positive: Vec<f64> =
                (0..grid.n_cells()).filter(|&i| in_study(i) && density[i] > 0.0).map(|i| density[i]).collect();
            positive.sort_by(|a, b| b.total_cmp(a));
            let k = share_cells(share, positive.len())?.min(positive.len().max(1));
            let t = positive.get(k - 1).copied().unwrap_or(f64::INFINITY);
            ((0..grid.n_cells()).map(|i| in_study(i) && density[i] > 0.0 && density[i] >= t).collect(), Some(t))
        }
        CellRule::Cut(t) => {
            if !t.is_finite() {
                return Err(HotspotError::BadCut(t));
            }
            ((0..grid.n_cells()).map(|i| in_study(i) && density[i] > 0.0 && density[i] >= t).collect(), Some(t))
        }
        CellRule::GiStarHot => {
            let bins = inputs.gistar_bins.ok_or(HotspotError::GiStarMismatch { got: 0, want: grid.n_cells() })?;
            if bins.len() != grid.n_cells() {
                return Err(HotspotError::GiStarMismatch { got: bins.len(), want: grid.n_cells() });
            }
            (bins.iter().map(|&b| b >= 2).collect(), None)
        }
        CellRule::Predicted(share) => {
            let scores = inputs.scores.ok_or(HotspotError::ScoresMismatch { got: 0, want: grid.n_cells() })?;
            let all;
            let study = match inputs.study {
                Some(s) => s,
                None => {
                    all = vec![true; grid.n_cells()];
                    &all
                }
            };
            let chosen = predicted_cells(scores, study, share_cells(share, study_cells)?, grid)?;
            let facts = PlaceFacts { ds, sel, grid, study_area_m2, harm_by_category, projector };
            return Ok(predicted_places(&facts, &chosen, scores, Densities::Surface(density), rank_by, share));
        }
    };
    // 4-connected components, numbered in order of their smallest cell.
    let mut component = vec![u32::MAX; grid.n_cells()];
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for start in 0..grid.n_cells() {
        if !flag[start] || component[start] != u32::MAX {
            continue;
        }
        let id = comps.len() as u32;
        let mut stack = vec![start];
        component[start] = id;
        let mut cells = Vec::new();
        while let Some(i) = stack.pop() {
            cells.push(i);
            for j in grid.side_neighbours(i) {
                if flag[j] && component[j] == u32::MAX {
                    component[j] = id;
                    stack.push(j);
                }
            }
        }
        cells.sort_unstable();
        comps.push(cells);
    }

    let facts = PlaceFacts { ds, sel, grid, study_area_m2, harm_by_category, projector };
    let (hotspots, selected_harm) = hotspots_and_harm(&facts, Densities::Surface(density), comps, rank_by);
    Ok(HotspotSet {
        hotspots,
        rule,
        rank_by,
        density_threshold_per_km2: threshold,
        selected_incidents: sel.len() as u64,
        selected_harm,
        study_area_m2,
    })
}

/// How many of a study area's `study_cells` cells a `share` (0..1] of it is: rounded down, at least one.
pub fn cells_of_share(share: f64, study_cells: usize) -> Result<usize, HotspotError> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(HotspotError::BadShare(share));
    }
    Ok(((share * study_cells as f64).floor() as usize).max(1))
}

/// The cells `predict` chooses: the `k` cells of the study area (`study`, one flag per cell of `grid`) with the
/// highest positive scores (one per cell), ties to the lower index, never more than `k`; ascending.
pub fn predicted_cells(
    scores: &[f64],
    study: &[bool],
    k: usize,
    grid: &crate::grid::Grid,
) -> Result<Vec<u32>, HotspotError> {
    if scores.len() != grid.n_cells() {
        return Err(HotspotError::ScoresMismatch { got: scores.len(), want: grid.n_cells() });
    }
    let mut cells: Vec<u32> =
        crate::analysis::predict::ranked_cells_dense(scores, study, k).into_iter().map(|(c, _)| c).collect();
    cells.sort_unstable();
    Ok(cells)
}

/// What a hotspot's facts are read from besides its cells: the incidents, the grid, the study area its shares are
/// of, the harm weights and the projection to lon/lat.
pub struct PlaceFacts<'a> {
    /// The dataset the selection indexes.
    pub ds: &'a Dataset,
    /// The selected incidents (the window and categories).
    pub sel: &'a Selection,
    /// The grid the cells are of.
    pub grid: &'a crate::grid::Grid,
    /// The study area the shares are of, m2.
    pub study_area_m2: f64,
    /// Harm weight per category id (1 beyond the end).
    pub harm_by_category: &'a [f64],
    /// The grid's CRS to lon/lat.
    pub projector: &'a Projector,
}

/// The [`CellRule::Predicted`] hotspots of `chosen` cells (ascending, from [`predicted_cells`]): places at the scale
/// of a patrol grown from the highest `scores` ([`crate::analysis::patrol_places`]), each with its facts and its
/// peak density from `densities` (which must hold every chosen cell).
pub fn predicted_places(
    facts: &PlaceFacts<'_>,
    chosen: &[u32],
    scores: &[f64],
    densities: Densities<'_>,
    rank_by: RankBy,
    share: f64,
) -> HotspotSet {
    let grid = facts.grid;
    let mut flag = vec![false; grid.n_cells()];
    for &c in chosen {
        if let Some(f) = flag.get_mut(c as usize) {
            *f = true;
        }
    }
    let max_cells = crate::analysis::patrol_places::max_place_cells(grid);
    let places = crate::analysis::patrol_places::capped_places(&flag, scores, grid, max_cells);
    let (hotspots, selected_harm) = hotspots_and_harm(facts, densities, places, rank_by);
    HotspotSet {
        hotspots,
        rule: CellRule::Predicted(share),
        rank_by,
        density_threshold_per_km2: None,
        selected_incidents: facts.sel.len() as u64,
        selected_harm,
        study_area_m2: facts.study_area_m2,
    }
}

/// The hotspots made of the given groups of cells (each group one hotspot, cells sorted), with their facts, ranked
/// by `rank_by`, their shares of `study_area_m2`. [`find_hotspots`] passes 4-connected groups; tasking passes merged
/// groups.
#[allow(clippy::too_many_arguments)]
pub fn hotspots_of_cells(
    ds: &Dataset,
    sel: &Selection,
    surface: &DensitySurface,
    study_area_m2: f64,
    groups: Vec<Vec<usize>>,
    rank_by: RankBy,
    harm_by_category: &[f64],
    projector: &Projector,
) -> Vec<Hotspot> {
    let facts = PlaceFacts { ds, sel, grid: &surface.grid, study_area_m2, harm_by_category, projector };
    hotspots_and_harm(&facts, Densities::Surface(&surface.density_per_km2), groups, rank_by).0
}

/// [`hotspots_of_cells`], and the harm of the whole selection (summed in the same pass). The facts of each hotspot
/// are made in parallel, in order.
fn hotspots_and_harm(
    facts: &PlaceFacts<'_>,
    density: Densities<'_>,
    groups: Vec<Vec<usize>>,
    rank_by: RankBy,
) -> (Vec<Hotspot>, f64) {
    use rayon::prelude::*;
    let PlaceFacts { ds, sel, grid, study_area_m2, harm_by_category, projector } = *facts;
    let component = cell_owner(grid.n_cells(), groups.iter().map(Vec::as_slice));
    let mut comps: Vec<Acc> = Vec::with_capacity(groups.len());
    for cells in groups {
        comps.push(Acc {
            cells,
            incidents: 0,
            harm: 0.0,
            sum_x: 0.0,
            sum_y: 0.0,
            categories: BTreeMap::new(),
            locations: BTreeMap::new(),
            areas: BTreeMap::new(),
        });
    }

    let (xs, ys, cats, locs, areas, ws) =
        (ds.x_m(), ds.y_m(), ds.category_ids(), ds.location_ids(), ds.area_ids(), ds.weight());
    let mut selected_harm = 0.0;
    for &i in &sel.indices {
        let i = i as usize;
        let harm = f64::from(ws[i]) * harm_by_category.get(usize::from(cats[i])).copied().unwrap_or(1.0);
        selected_harm += harm;
        let Some(cell) = grid.cell_at(xs[i], ys[i]) else { continue };
        let comp = component[cell];
        if comp == u32::MAX {
            continue;
        }
        let a = &mut comps[comp as usize];
        a.incidents += 1;
        a.harm += harm;
        a.sum_x += xs[i];
        a.sum_y += ys[i];
        *a.categories.entry(cats[i]).or_insert(0) += 1;
        if locs[i] != NONE_ID {
            *a.locations.entry(locs[i]).or_insert(0) += 1;
        }
        if areas[i] != NONE_ID {
            *a.areas.entry(areas[i]).or_insert(0) += 1;
        }
    }

    let total = sel.len() as f64;
    let mut hotspots: Vec<Hotspot> = comps
        .into_par_iter()
        .map(|a| {
            let peak_cell = a
                .cells
                .iter()
                .copied()
                .max_by(|&p, &q| density.at(p).total_cmp(&density.at(q)).then(q.cmp(&p)))
                .unwrap_or(0);
            let (pr, pc) = (peak_cell / grid.cols, peak_cell % grid.cols);
            let id = format!(
                "h{}-{}-{}",
                grid.cell_m,
                (grid.origin_x_m + pc as f64 * grid.cell_m).round() as i64,
                (grid.origin_y_m + pr as f64 * grid.cell_m).round() as i64
            );
            let outline = trace_cells(grid, &a.cells);
            let area_m2 = a.cells.len() as f64 * grid.cell_area_m2();
            let (cx, cy) = if a.incidents > 0 {
                (a.sum_x / a.incidents as f64, a.sum_y / a.incidents as f64)
            } else {
                let n = a.cells.len() as f64;
                let sx: f64 = a.cells.iter().map(|&c| grid.centre(c).0).sum();
                let sy: f64 = a.cells.iter().map(|&c| grid.centre(c).1).sum();
                (sx / n, sy / n)
            };
            let centroid = projector.to_lonlat(cx, cy).map_or([f64::NAN, f64::NAN], |(lon, lat)| [lon, lat]);
            let hit_rate = if total > 0.0 { a.incidents as f64 / total } else { 0.0 };
            let area_share = if study_area_m2 > 0.0 { area_m2 / study_area_m2 } else { 0.0 };
            let named = |m: &BTreeMap<u32, u64>, names: &crate::model::Interner, top: usize| {
                let mut v: Vec<Named> = m
                    .iter()
                    .map(|(&id, &count)| Named { name: names.name(id).unwrap_or("").to_owned(), count })
                    .collect();
                v.sort_by(|x, y| y.count.cmp(&x.count).then_with(|| x.name.cmp(&y.name)));
                v.truncate(top);
                v
            };
            let cats32: BTreeMap<u32, u64> = a.categories.iter().map(|(&k, &v)| (u32::from(k), v)).collect();
            let mut area_codes: Vec<String> =
                a.areas.keys().filter_map(|&id| ds.areas().name(id).map(str::to_owned)).collect();
            area_codes.sort();
            let main_area = a
                .areas
                .iter()
                .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                .and_then(|(&id, _)| ds.areas().name(id).map(str::to_owned));
            let by_count = named(&a.locations, ds.locations(), usize::MAX);
            let street = super::naming::first_street(by_count.iter().map(|l| l.name.as_str())).map(str::to_owned);
            Hotspot {
                id,
                rank: 0,
                outline_lonlat: outline_lonlat(&outline, projector),
                area_m2,
                cells: a.cells.len(),
                incidents: a.incidents,
                harm: a.harm,
                hit_rate,
                area_share,
                pai: if area_share > 0.0 { hit_rate / area_share } else { 0.0 },
                peak_density_per_km2: density.at(peak_cell),
                centroid_lonlat: centroid,
                categories: named(&cats32, ds.categories(), usize::MAX),
                top_locations: named(&a.locations, ds.locations(), 5),
                area_codes,
                name: super::naming::place_name(main_area.as_deref(), street.as_deref()),
                main_area,
                street,
                cell_indices: a.cells,
            }
        })
        .collect();
    hotspots.sort_by(|a, b| {
        let key = |h: &Hotspot| match rank_by {
            RankBy::Count => h.incidents as f64,
            RankBy::Harm => h.harm,
        };
        key(b)
            .total_cmp(&key(a))
            .then(b.peak_density_per_km2.total_cmp(&a.peak_density_per_km2))
            .then_with(|| a.id.cmp(&b.id))
    });
    for (k, h) in hotspots.iter_mut().enumerate() {
        h.rank = k + 1;
    }
    (hotspots, selected_harm)
}

/// Which group each of `n_cells` grid cells belongs to (`u32::MAX` for none), from each group's cell indices (a
/// cell in two groups belongs to the later one).
pub fn cell_owner<'a>(n_cells: usize, groups: impl IntoIterator<Item = &'a [usize]>) -> Vec<u32> {
    let mut owner = vec![u32::MAX; n_cells];
    for (k, cells) in groups.into_iter().enumerate() {
        for &c in cells {
            if let Some(slot) = owner.get_mut(c) {
                *slot = k as u32;
            }
        }
    }
    owner
}

/// The group (under `owner`, from [`cell_owner`]) whose cells hold incident `i`, if any.
pub fn group_of(ds: &Dataset, grid: &crate::grid::Grid, owner: &[u32], i: u32) -> Option<usize> {
    let cell = grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize])?;
    owner.get(cell).filter(|&&g| g != u32::MAX).map(|&g| g as usize)
}

/// Incidents and harm of each of `n_groups` groups among the incidents `indices` (e.g. the hotspots' cells in an
/// earlier window).
pub fn incidents_in_groups(
    ds: &Dataset,
    indices: &[u32],
    grid: &crate::grid::Grid,
    owner: &[u32],
    n_groups: usize,
    harm_by_category: &[f64],
) -> Vec<(u64, f64)> {
    let mut out = vec![(0u64, 0.0f64); n_groups];
    let (ws, cats) = (ds.weight(), ds.category_ids());
    for &i in indices {
        if let Some(e) = group_of(ds, grid, owner, i).and_then(|g| out.get_mut(g)) {
            e.0 += 1;
            e.1 +=
                f64::from(ws[i as usize]) * harm_by_category.get(usize::from(cats[i as usize])).copied().unwrap_or(1.0);
        }
    }
    out
}

/// Polygons in grid metres to lon/lat rings (closed).
fn outline_lonlat(mp: &MultiPolygon<f64>, projector: &Projector) -> Vec<Vec<Vec<[f64; 2]>>> {
    let ring = |ls: &geo_types::LineString<f64>| -> Vec<[f64; 2]> {
        ls.0.iter()
            .map(|c| projector.to_lonlat(c.x, c.y).map_or([f64::NAN, f64::NAN], |(lon, lat)| [lon, lat]))
            .collect()
    };
    mp.0.iter().map(|p| std::iter::once(ring(p.exterior())).chain(p.interiors().iter().map(ring)).collect()).collect()
}
