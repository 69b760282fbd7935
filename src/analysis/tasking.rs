//! The tasking list: ranked candidate places for the period after a date, with the facts a tasking meeting needs
//! to choose between them (see `hotspots tasking`).
//!
//! **Candidates.** The hotspots of the window `[at - window, at)` (the densest `top_share` of the study area, joined
//! when cells share a side, as `find`), ranked by count or harm. Candidates whose centroids lie closer than
//! `min_separation_m` merge (their cells together, facts recomputed), repeatedly, until no two are closer; then the
//! first `top` are kept. An unmerged candidate is exactly `find`'s hotspot of the same id, window and parameters.
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

use super::change::{Change, change};
use super::compare::Window;
use super::emerging::EmergingOptions;
use super::emerging::cube::{CubeParams, EmergingRun, Period, run as run_cube, steps as period_steps};
use super::gistar::GiStarOptions;
use super::hotspots::{CellRule, Hotspot, Named, RankBy, hotspots_of_cells};
use super::kde::Kernel;
use super::pipeline::{AnalysisError, AnalysisParams, ResolvedParams, prepare};
use super::points::WeightMode;
use crate::geo::{CrsDef, Projector};
use crate::model::time::{TimePrecision, format_instant, month_index, month_start_s};
use crate::model::{Dataset, Query};
use serde::Serialize;

/// The length of the tasking window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindowLength {
    Days(u32),
    Months(u32),
}

impl std::str::FromStr for WindowLength {
    type Err = String;
    /// `28d`, `4w`, `3m`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("window '{s}' is not Nd, Nw or Nm (days, weeks, months), e.g. 28d or 3m");
        let (n, unit) = t.split_at(t.len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| bad())?;
        match (unit, n) {
            (_, 0) => Err(bad()),
            ("d", 1..=3660) => Ok(WindowLength::Days(n)),
            ("w", 1..=520) => Ok(WindowLength::Days(7 * n)),
            ("m", 1..=120) => Ok(WindowLength::Months(n)),
            _ => Err(bad()),
        }
    }
}

impl WindowLength {
    pub fn text(self) -> String {
        match self {
            WindowLength::Days(n) if n % 7 == 0 => format!("{} weeks", n / 7),
            WindowLength::Days(n) => format!("{n} days"),
            WindowLength::Months(1) => "1 month".into(),
            WindowLength::Months(n) => format!("{n} months"),
        }
    }

    /// The window of this length ending at `end_s` (for months, `end_s` rounded down to a month start first).
    pub fn ending_at(self, end_s: i64) -> Option<Window> {
        match self {
            WindowLength::Days(n) => Some(Window { from_s: end_s - i64::from(n) * 86_400, to_s: end_s }),
            WindowLength::Months(n) => {
                let m = month_index(end_s);
                let start = |k: i64| month_start_s(k.div_euclid(12) as i32, (k.rem_euclid(12) + 1) as u32);
                let to = if start(m) == Some(end_s) { end_s } else { start(m)? };
                Some(Window { from_s: start(month_index(to) - i64::from(n))?, to_s: to })
            }
        }
    }
}

/// Parameters of [`tasking`].
#[derive(Debug, Clone, PartialEq)]
pub struct TaskingParams {
    /// The end of the window (the start of the period being planned); `None` = the end of the data (rounded up to
    /// midnight UTC).
    pub at_s: Option<i64>,
    pub window: WindowLength,
    pub top: usize,
    pub min_separation_m: f64,
    pub rank_by: RankBy,
    pub weight: WeightMode,
    pub categories: Vec<String>,
    pub cell_m: Option<f64>,
    pub bandwidth_m: Option<f64>,
    /// Share of the study area taken as hot cells.
    pub top_share: f64,
}

/// One candidate place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub rank: usize,
    pub id: String,
    /// Ids of `find`'s hotspots merged into this one (empty when none was).
    pub merged: Vec<String>,
    pub centroid_lonlat: [f64; 2],
    /// British National Grid easting and northing, metres, when the centroid is in Great Britain.
    pub centroid_bng_m: Option<[f64; 2]>,
    /// The three most frequent location texts.
    pub streets: Vec<Named>,
    pub area_codes: Vec<String>,
    pub incidents: u64,
    pub harm: f64,
    /// Incidents in the same cells in the previous window; `None` when the store has no data for it.
    pub previous_incidents: Option<u64>,
    pub previous_harm: Option<f64>,
    pub change: Option<Change>,
    /// Every category with its count, most frequent first.
    pub categories: Vec<Named>,
    /// The emerging hot spot class (snake case), `None` when there were too few steps.
    pub emerging_class: Option<String>,
    pub emerging_name: Option<String>,
    pub gistar_z: Option<f64>,
    pub pai: f64,
    pub hit_rate: f64,
    pub area_share: f64,
    pub area_m2: f64,
    pub outline_lonlat: Vec<Vec<Vec<[f64; 2]>>>,
    /// With an area layer ([`split_by_area`]): the candidate's incidents per area of that layer, most first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_area: Vec<AreaShare>,
    #[serde(skip)]
    pub cell_indices: Vec<usize>,
}

/// A candidate's incidents in one area of a boundary layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaShare {
    pub key: String,
    pub name: String,
    pub incidents: u64,
}

/// The tasking list and how it was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskingList {
    pub at: String,
    pub window: Window,
    pub window_text: String,
    pub previous_window: Window,
    /// Why the previous window gives no change, when it does not.
    pub previous_note: Option<String>,
    pub params: ResolvedParams,
    pub rank_by: RankBy,
    pub top: usize,
    pub top_share: f64,
    pub min_separation_m: f64,
    pub emerging_period: Option<String>,
    pub emerging_steps: Vec<Window>,
    pub emerging_note: Option<String>,
    pub selected_incidents: u64,
    pub candidates: Vec<Candidate>,
    pub warnings: Vec<String>,
    /// The grid of the candidates' cells.
    #[serde(skip)]
    pub grid: crate::grid::Grid,
}

/// Errors of [`tasking`].
#[derive(Debug, thiserror::Error)]
pub enum TaskingError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error("the store holds no incidents")]
    NoData,
    #[error("the window {0} is outside the representable dates")]
    BadWindow(String),
    #[error("--min-separation-m {0} is not a distance in metres")]
    BadSeparation(f64),
    #[error("--top {0}: give at least 1")]
    BadTop(usize),
    #[error("cannot place the candidates on the map: {0}")]
    Projection(String),
}

/// The end of the data: the latest incident interval end.
pub fn data_end_s(ds: &Dataset) -> Option<i64> {
    ds.time_s().iter().zip(ds.precision()).map(|(&t, &p)| crate::model::time::interval_end_s(t, p)).max()
}

/// The window of equal length before `w`: as many whole months earlier for whole months, else as many days.
pub fn previous_window(w: Window) -> Window {
    match w.whole_months() {
        Some(n) if n > 0 => {
            let m = month_index(w.from_s) - n;
            let from = month_start_s(m.div_euclid(12) as i32, (m.rem_euclid(12) + 1) as u32);
            Window { from_s: from.unwrap_or(w.from_s - (w.to_s - w.from_s)), to_s: w.from_s }
        }
        _ => Window { from_s: w.from_s - (w.to_s - w.from_s), to_s: w.from_s },
    }
}

fn any_incident(ds: &Dataset, w: Window) -> bool {
    let q = Query { from_s: Some(w.from_s), to_s: Some(w.to_s), categories: Vec::new() };
    q.select(ds).is_ok_and(|s| !s.is_empty())
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
    // The end of the data, rounded up to a midnight (UTC), so windows are whole days.
    let at = p
        .at_s
        .or_else(|| data_end_s(ds).map(|t| t.div_euclid(86_400) * 86_400 + if t % 86_400 == 0 { 0 } else { 86_400 }))
        .ok_or(TaskingError::NoData)?;
    let window = p.window.ending_at(at).ok_or_else(|| TaskingError::BadWindow(format_instant(at)))?;
    let query = Query { from_s: Some(window.from_s), to_s: Some(window.to_s), categories: p.categories.clone() };
    let params = AnalysisParams {
        query: query.clone(),
        cell_m: p.cell_m,
        bandwidth_m: p.bandwidth_m,
        kernel: Kernel::Quartic,
        weight: p.weight,
    };
    let prepared = prepare(ds, &params, harm_by_category, harm_label)?;
    let mut warnings = prepared.warnings.clone();
    let surface = prepared.density()?;
    let set = prepared.hotspots(ds, &surface, None, CellRule::TopShare(p.top_share), p.rank_by, harm_by_category)?;
    let projector = Projector::new(ds.crs()).map_err(|e| TaskingError::Projection(e.to_string()))?;

    // Merge candidates closer than the separation, until none are.
    let pool = set.hotspots.len().min(3 * p.top + 20);
    let mut groups: Vec<(Vec<usize>, Vec<String>)> =
        set.hotspots.iter().take(pool).map(|h| (h.cell_indices.clone(), vec![h.id.clone()])).collect();
    let mut hotspots: Vec<Hotspot>;
    loop {
        hotspots = hotspots_of_cells(
            ds,
            &prepared.selection,
            &surface,
            groups.iter().map(|g| g.0.clone()).collect(),
            p.rank_by,
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
                (Some(a), Some(b)) if (a.0 - b.0).hypot(a.1 - b.1) < p.min_separation_m => Some((i, j)),
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

    // The previous window.
    let previous = previous_window(window);
    let first = ds.time_s().iter().copied().min().unwrap_or(i64::MAX);
    let previous_note = if previous.from_s < first || !any_incident(ds, previous) {
        Some(format!(
            "the store has no data for the previous window ({}), so no change is given",
            previous.text().replace("T00:00:00Z", "")
        ))
    } else {
        None
    };
    let prev_sel = Query { from_s: Some(previous.from_s), to_s: Some(previous.to_s), categories: p.categories.clone() }
        .select(ds)
        .map_err(AnalysisError::Query)?;
    let grid = &prepared.grid;
    let mut owner = vec![u32::MAX; grid.n_cells()];
    for (k, h) in hotspots.iter().enumerate() {
        for &c in &h.cell_indices {
            owner[c] = k as u32;
        }
    }
    let mut prev = vec![(0u64, 0.0f64); hotspots.len()];
    let (xs, ys, ws, cats) = (ds.x_m(), ds.y_m(), ds.weight(), ds.category_ids());
    for &i in &prev_sel.indices {
        let i = i as usize;
        if let Some(c) = grid.cell_at(xs[i], ys[i])
            && owner[c] != u32::MAX
        {
            let e = &mut prev[owner[c] as usize];
            e.0 += 1;
            e.1 += f64::from(ws[i]) * harm_by_category.get(usize::from(cats[i])).copied().unwrap_or(1.0);
        }
    }

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
    Ok(TaskingList {
        at: format_instant(at),
        window,
        window_text: p.window.text(),
        previous_window: previous,
        previous_note,
        params: prepared.params.clone(),
        rank_by: p.rank_by,
        top: p.top,
        top_share: p.top_share,
        min_separation_m: p.min_separation_m,
        emerging_period: emerging.as_ref().map(|e| e.period.name()),
        emerging_steps: emerging.as_ref().map(|e| e.steps.clone()).unwrap_or_default(),
        emerging_note,
        selected_incidents: set.selected_incidents,
        candidates,
        warnings,
        grid: prepared.grid.clone(),
    })
}

/// Split each candidate's incidents of the window by the areas of `layer` (by its edge rule), so the list says
/// which beats, wards or neighbourhoods a place falls in; incidents in no area are left out of the split.
pub fn split_by_area(
    list: &mut TaskingList,
    ds: &Dataset,
    layer: &crate::areas::AreaLayer,
) -> Result<(), TaskingError> {
    let sel = Query {
        from_s: Some(list.window.from_s),
        to_s: Some(list.window.to_s),
        categories: list.params.categories.clone(),
    }
    .select(ds)
    .map_err(AnalysisError::Query)?;
    let mut owner = vec![u32::MAX; list.grid.n_cells()];
    for (k, c) in list.candidates.iter().enumerate() {
        for &cell in &c.cell_indices {
            owner[cell] = k as u32;
        }
    }
    let inside: Vec<u32> = sel
        .indices
        .iter()
        .copied()
        .filter(|&i| {
            list.grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize]).is_some_and(|c| owner[c] != u32::MAX)
        })
        .collect();
    let areas = layer.assign(ds.lon(), ds.lat(), &inside);
    let mut counts: Vec<std::collections::BTreeMap<u32, u64>> = vec![Default::default(); list.candidates.len()];
    for (&i, area) in inside.iter().zip(areas) {
        if let (Some(a), Some(cell)) = (area, list.grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize])) {
            *counts[owner[cell] as usize].entry(a).or_insert(0) += 1;
        }
    }
    for (c, per) in list.candidates.iter_mut().zip(counts) {
        let mut v: Vec<AreaShare> = per
            .into_iter()
            .map(|(a, n)| {
                let area = &layer.areas[a as usize];
                AreaShare { key: area.key.clone(), name: area.name.clone(), incidents: n }
            })
            .collect();
        v.sort_by(|x, y| y.incidents.cmp(&x.incidents).then_with(|| x.key.cmp(&y.key)));
        c.by_area = v;
    }
    Ok(())
}

/// `--at` (default: the end of the data rounded up to midnight UTC, so windows are whole days) and the window
/// ending there.
pub fn tasking_window(ds: &Dataset, p: &TaskingParams) -> Result<(i64, Window), TaskingError> {
    let ceil_day = |t: i64| t.div_euclid(86_400) * 86_400 + if t.rem_euclid(86_400) == 0 { 0 } else { 86_400 };
    let at = p.at_s.or_else(|| data_end_s(ds).map(ceil_day)).ok_or(TaskingError::NoData)?;
    let window = p.window.ending_at(at).ok_or_else(|| TaskingError::BadWindow(format_instant(at)))?;
    Ok((at, window))
}

/// `2024-01-01` for a midnight, else the full instant.
fn day_text(t: i64) -> String {
    let s = format_instant(t);
    s.strip_suffix("T00:00:00Z").map(str::to_owned).unwrap_or(s)
}

fn groups_ids(groups: &[(Vec<usize>, Vec<String>)], cells: &[usize]) -> Vec<String> {
    groups.iter().find(|g| g.0 == cells).map(|g| g.1.clone()).unwrap_or_default()
}

/// The emerging hot spot analysis over the unbroken run of at most 12 steps with data that ends at `at`.
fn emerging_for(
    ds: &Dataset,
    sel: &crate::model::Selection,
    at: i64,
    categories: &[String],
) -> (Option<EmergingRun>, Option<String>) {
    let monthly = sel.indices.iter().any(|&i| ds.precision()[i as usize] >= TimePrecision::Month);
    let period = if monthly { Period::Month } else { Period::Week };
    let span_s = if monthly { 13 * 31 * 86_400 } else { 13 * 7 * 86_400 };
    let (candidates, _) = period_steps(period, at - span_s, at);
    let mut kept: Vec<Window> = Vec::new();
    for w in candidates.iter().rev().take(12) {
        let q = Query { from_s: Some(w.from_s), to_s: Some(w.to_s), categories: categories.to_vec() };
        if !q.select(ds).is_ok_and(|s| !s.is_empty()) {
            break;
        }
        kept.push(*w);
    }
    let Some(first) = kept.last().copied() else {
        return (None, Some(format!("no {} step with data ends at {}", period.name(), day_text(at))));
    };
    if kept.len() < 2 {
        return (
            None,
            Some(format!(
                "only {} {} step with data ends at {}: emerging classes need at least 2",
                kept.len(),
                period.name(),
                day_text(at)
            )),
        );
    }
    let params = CubeParams {
        query: Query { from_s: Some(first.from_s), to_s: Some(at), categories: categories.to_vec() },
        period,
        cell_m: None,
        band_m: None,
        options: EmergingOptions::default(),
    };
    match run_cube(ds, &params) {
        Ok(run) => {
            let note = (kept.len() < 12).then(|| {
                format!(
                    "emerging classes over {} {} steps ({} to {}): the steps before have no data",
                    kept.len(),
                    period.name(),
                    day_text(first.from_s),
                    day_text(at)
                )
            });
            (Some(run), note)
        }
        Err(e) => (None, Some(format!("no emerging classes: {e}"))),
    }
}

/// The class of the hot emerging cell with the most incidents under the candidate's cells, else the class under its
/// centroid.
fn class_under(
    e: &EmergingRun,
    grid: &crate::grid::Grid,
    cells: &[usize],
    projector: &Projector,
    centroid: [f64; 2],
) -> super::emerging::EmergingClass {
    let mut best: Option<usize> = None;
    for &c in cells {
        let (x, y) = grid.centre(c);
        if let Some(k) = e.grid.cell_at(x, y)
            && e.result.locations[k].class.is_hot()
            && best.is_none_or(|b| e.result.locations[k].total > e.result.locations[b].total)
        {
            best = Some(k);
        }
    }
    let k = best.or_else(|| projector.from_lonlat(centroid[0], centroid[1]).and_then(|(x, y)| e.grid.cell_at(x, y)));
    k.map_or(super::emerging::EmergingClass::NoPattern, |k| e.result.locations[k].class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(y: i32, m: u32) -> i64 {
        month_start_s(y, m).unwrap_or_default()
    }

    #[test]
    fn windows_parse_and_end_at_the_date() {
        assert_eq!("28d".parse::<WindowLength>(), Ok(WindowLength::Days(28)));
        assert_eq!("4w".parse::<WindowLength>(), Ok(WindowLength::Days(28)));
        assert_eq!("3m".parse::<WindowLength>(), Ok(WindowLength::Months(3)));
        for bad in ["0d", "3y", "m", "", "-2w", "12"] {
            assert!(bad.parse::<WindowLength>().is_err(), "{bad}");
        }
        // Three months ending at 2024-04-01: January to March.
        let w = WindowLength::Months(3).ending_at(month(2024, 4));
        assert_eq!(w, Some(Window { from_s: month(2024, 1), to_s: month(2024, 4) }));
        // Mid-month: the months end at the start of that month.
        let w = WindowLength::Months(1).ending_at(month(2024, 4) + 86_400 * 10);
        assert_eq!(w, Some(Window { from_s: month(2024, 3), to_s: month(2024, 4) }));
        let w = WindowLength::Days(28).ending_at(month(2024, 4));
        assert_eq!(w.map(|w| w.to_s - w.from_s), Some(28 * 86_400));
    }

    #[test]
    fn previous_windows_are_equal_and_month_aware() {
        let q1 = Window { from_s: month(2024, 1), to_s: month(2024, 4) };
        assert_eq!(previous_window(q1), Window { from_s: month(2023, 10), to_s: month(2024, 1) });
        let days = Window { from_s: month(2024, 3), to_s: month(2024, 3) + 28 * 86_400 };
        assert_eq!(previous_window(days), Window { from_s: month(2024, 3) - 28 * 86_400, to_s: month(2024, 3) });
    }
}
