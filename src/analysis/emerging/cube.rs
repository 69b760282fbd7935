//! The space-time cube of a dataset: time steps of a period (weeks, months or N days), counts per grid cell and
//! step, and the emerging hot spot analysis over it. The CLI's `emerging`, the server's `emerging` layer and
//! `tasking` call [`run`].
//!
//! **Steps.** Months are calendar months. Weeks and N-day periods are counted back from the end of the window, so
//! the final step always ends at the window's end (the most recent period is the one that matters); a shorter
//! remainder at the start is left out, with a warning. Without a window the data's own span is used: from its
//! first incident to the end of its last (for months, from the first month start to the end of the last month).
//!
//! **Time precision.** A period finer than the data's time precision is refused: police.uk's incidents are known
//! only to the month, so their weeks would be invented. Months need month precision or finer; weeks and N-day
//! periods need day precision or finer.
//!
//! **Grid.** Square cells of `cell_m` (default: four times the density grid's automatic cell, as for change maps:
//! each step holds only a fraction of the incidents), Gi\* with a distance band of `band_m` (default 1.5 cells, so
//! each cell's neighbourhood is itself and its eight neighbours) over the cells inside the convex hull of the
//! selected incidents.

use super::{Emerging, EmergingError, emerging_grid};
use crate::analysis::backtest::stray_note;
use crate::analysis::compare::CHANGE_CELL_FACTOR;
use crate::analysis::points::Points;
use crate::analysis::predict::{Strays, hull_mask};
pub use crate::analysis::spec::{EmergingSpec, Period};
use crate::grid::{BoxM, Grid, auto_cell_m};
use crate::model::Window;
use crate::model::time::{TimePrecision, format_instant, interval_end_s, month_index, month_start_s};
use crate::model::{Dataset, QueryError};
use serde::Serialize;

/// Most time steps accepted.
pub const MAX_STEPS: usize = 2_000;

/// Errors of a space-time run.
#[derive(Debug, thiserror::Error)]
pub enum CubeError {
    /// The window or categories could not be selected.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// No incident matches the window and categories.
    #[error("no incidents match the window and categories")]
    Empty,
    #[error(
        "{count} of the selected incidents are known only to the {precision}, so {period} steps would be invented; \
         use --period {suggest} (or narrow --category/--from/--to to data known more precisely)"
    )]
    /// Some incidents are known less precisely than the period, so steps would be invented.
    PeriodTooFine {
        /// The period asked for (`week`).
        period: String,
        /// The coarser precision those incidents have (`month`).
        precision: &'static str,
        /// How many selected incidents have it.
        count: usize,
        /// The period to use instead.
        suggest: &'static str,
    },
    #[error("the window holds {steps} whole {period} steps; emerging hot spot analysis needs at least 2")]
    /// The window holds fewer than two whole steps.
    TooFewSteps {
        /// Whole steps in the window.
        steps: usize,
        /// The period.
        period: String,
    },
    #[error("the window holds {steps} {period} steps, more than {max}; use a longer period or a shorter window")]
    /// The window holds more than [`MAX_STEPS`] steps.
    TooManySteps {
        /// Steps in the window.
        steps: usize,
        /// The period.
        period: String,
        /// The most accepted ([`MAX_STEPS`]).
        max: usize,
    },
    /// The cube's grid could not be built (why, for people).
    #[error("{0}")]
    Grid(String),
    #[error(
        "the store holds no data for {missing} of the window: no trend can be measured across it; choose a window \
         inside the data held (see `hotspots info`)"
    )]
    /// The store has no data for part of the window, so no trend can be measured across it.
    NotCovered {
        /// What is missing, for people (`Nov 2023`).
        missing: String,
    },
    /// The emerging classification failed.
    #[error(transparent)]
    Emerging(#[from] EmergingError),
    /// The run would cost more than the computation budget allows.
    #[error(transparent)]
    TooCostly(#[from] crate::model::TooCostly),
}

/// The cube and its analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmergingRun {
    /// The length of each time step.
    pub period: Period,
    /// The time steps, oldest first (each a whole period inside the window).
    pub steps: Vec<Window>,
    /// The grid the cube's cells are on.
    #[serde(skip)]
    pub grid: Grid,
    /// The grid cell size, in metres.
    pub cell_m: f64,
    /// Gi*'s neighbourhood distance band, in metres.
    pub band_m: f64,
    /// Which cells were analysed (inside the incidents' hull).
    #[serde(skip)]
    pub study: Vec<bool>,
    /// Incidents of each step (all cells).
    pub step_totals: Vec<u64>,
    /// Each study cell's Gi* per step and its trend class.
    pub result: Emerging,
    /// Warnings for people (incidents outside whole steps, strays...).
    pub warnings: Vec<String>,
}

fn month_start_of_index(m: i64) -> Option<i64> {
    month_start_s(m.div_euclid(12) as i32, (m.rem_euclid(12) + 1) as u32)
}

/// The steps of `period` in `[from, to)` (see the module docs) and a warning when a remainder is left out.
pub fn steps(period: Period, from_s: i64, to_s: i64) -> (Vec<Window>, Option<String>) {
    let mut out = Vec::new();
    match period.seconds() {
        Some(len) => {
            let mut end = to_s;
            while end - len >= from_s && out.len() <= MAX_STEPS {
                out.push(Window { from_s: end - len, to_s: end });
                end -= len;
            }
            out.reverse();
            let left = (end > from_s).then(|| {
                format!(
                    "{} to {} is shorter than a {} step and is left out (steps end at {})",
                    format_instant(from_s),
                    format_instant(end),
                    period.name(),
                    format_instant(to_s)
                )
            });
            (out, left)
        }
        None => {
            // Whole calendar months inside the window.
            let first = month_index(from_s) + i64::from(month_start_of_index(month_index(from_s)) != Some(from_s));
            let last = month_index(to_s); // the month containing `to` is not whole unless `to` starts it
            let mut m = first;
            while m < last && out.len() <= MAX_STEPS {
                if let (Some(a), Some(b)) = (month_start_of_index(m), month_start_of_index(m + 1)) {
                    out.push(Window { from_s: a, to_s: b });
                }
                m += 1;
            }
            let cut = out.first().is_none_or(|w| w.from_s != from_s) || out.last().is_none_or(|w| w.to_s != to_s);
            let warning = cut.then(|| {
                format!(
                    "only whole months are steps: the parts of {} to {} outside them are left out",
                    format_instant(from_s),
                    format_instant(to_s)
                )
            });
            (out, warning)
        }
    }
}

/// The selection, the steps and the warnings of a cube (precision and step checks done).
fn prepare_steps(
    ds: &Dataset,
    params: &EmergingSpec,
) -> Result<(crate::model::Selection, Vec<Window>, Vec<String>), CubeError> {
    // A window given at both ends fixes its steps before any incident is read: refuse too few or too many at once
    // (a map asking for one month's emerging tiles is answered in microseconds, not after a pass over the store).
    if let (Some(from), Some(to)) = (params.query.from_s, params.query.to_s)
        && from < to
    {
        check_step_count(steps(params.period, from, to).0.len(), params.period)?;
    }
    let sel = params.query.select(ds)?;
    if sel.is_empty() {
        return Err(CubeError::Empty);
    }
    let (times, precisions) = (ds.time_s(), ds.precision());
    let too_coarse =
        sel.indices.iter().filter(|&&i| precisions[i as usize] > params.period.coarsest_precision()).count();
    if too_coarse > 0 {
        let coarsest = sel.indices.iter().map(|&i| precisions[i as usize]).max().unwrap_or(TimePrecision::Year);
        return Err(CubeError::PeriodTooFine {
            period: params.period.name(),
            precision: coarsest.name(),
            count: too_coarse,
            suggest: if coarsest <= TimePrecision::Month { "month" } else { "a longer window (yearly data)" },
        });
    }
    let first = sel.indices.iter().map(|&i| times[i as usize]).min().unwrap_or(0);
    let last_end =
        sel.indices.iter().map(|&i| interval_end_s(times[i as usize], precisions[i as usize])).max().unwrap_or(0);
    let from = params.query.from_s.unwrap_or(match params.period {
        Period::Month => month_start_of_index(month_index(first)).unwrap_or(first),
        _ => first.div_euclid(86_400) * 86_400,
    });
    let to = params.query.to_s.unwrap_or(match params.period {
        Period::Month => month_start_of_index(month_index(last_end - 1) + 1).unwrap_or(last_end),
        _ => (last_end + 86_399).div_euclid(86_400) * 86_400,
    });
    let (mut steps, remainder) = steps(params.period, from, to);
    let mut warnings: Vec<String> = sel.warnings.clone();
    // A step the store does not fully cover would count as a step without crime: no trend is invented from it.
    let coverage = crate::model::Coverage::of(ds);
    let uncovered: Vec<usize> = (0..steps.len()).filter(|&k| !coverage.window(steps[k]).full).collect();
    if let Some(&last_gap) = uncovered.last() {
        let missing = coverage.window(Window { from_s: from, to_s: to }).missing_text;
        if params.query.from_s.is_some() || params.query.to_s.is_some() {
            return Err(CubeError::NotCovered { missing });
        }
        steps.drain(..=last_gap);
        if let (Some(a), Some(b)) = (steps.first(), steps.last()) {
            warnings.push(format!(
                "the store holds no data for {missing}: the analysis uses the latest unbroken stretch of data, {} to \
                 {} ({} {} steps)",
                format_instant(a.from_s).replace("T00:00:00Z", ""),
                format_instant(b.to_s).replace("T00:00:00Z", ""),
                steps.len(),
                params.period.name()
            ));
        }
    }
    check_step_count(steps.len(), params.period)?;
    warnings.extend(remainder);

    Ok((sel, steps, warnings))
}

/// At least 2 steps and at most [`MAX_STEPS`].
fn check_step_count(steps: usize, period: Period) -> Result<(), CubeError> {
    if steps > MAX_STEPS {
        return Err(CubeError::TooManySteps { steps, period: period.name(), max: MAX_STEPS });
    }
    if steps < 2 {
        return Err(CubeError::TooFewSteps { steps, period: period.name() });
    }
    Ok(())
}

/// The step of each selected incident (`None` outside every step).
fn step_of(ds: &Dataset, sel: &crate::model::Selection, steps: &[Window]) -> Vec<Option<usize>> {
    let starts: Vec<i64> = steps.iter().map(|w| w.from_s).collect();
    sel.indices
        .iter()
        .map(|&i| {
            let t = ds.time_s()[i as usize];
            let s = starts.partition_point(|&a| a <= t);
            (s > 0 && t < steps[s - 1].to_s).then(|| s - 1)
        })
        .collect()
}

/// The most values a cube may hold (cells x steps): each costs 17 bytes (count, z, bin) while it runs.
pub const MAX_CUBE_VALUES: f64 = 2e7;

/// Refuse a cube that cannot finish or fit: cells x steps beyond [`MAX_CUBE_VALUES`], or cells x steps x
/// neighbours beyond [`crate::model::budget::MAX_WORK`]; the parameter named is the one furthest from its usual
/// size (`band_m` against about 25 neighbours, `period` against 60 steps, `cell_m` against a million cells).
pub fn check_cube_cost(grid: &Grid, band_m: f64, steps: usize, params: &EmergingSpec) -> Result<(), CubeError> {
    use crate::model::budget::{MAX_WORK, check_work, stencil_cells};
    let cells = grid.n_cells() as f64;
    let neighbours = stencil_cells(band_m, grid.cell_m, grid.rows, grid.cols);
    let values = cells * steps as f64;
    let work = values * neighbours;
    if values <= MAX_CUBE_VALUES && work <= MAX_WORK {
        return Ok(());
    }
    let ratios = [("band_m", neighbours / 25.0), ("period", steps as f64 / 60.0), ("cell_m", cells / 1e6)];
    let (parameter, _) = ratios.iter().copied().fold(("cell_m", f64::MIN), |a, b| if b.1 > a.1 { b } else { a });
    let value = match parameter {
        "band_m" => band_m,
        "period" => steps as f64,
        _ => grid.cell_m,
    };
    let what = || {
        format!(
            "{} cells x {steps} {} steps x up to {neighbours:.0} neighbours; {:.1e} values held at once{}",
            grid.n_cells(),
            params.period.name(),
            values,
            if values > MAX_CUBE_VALUES { ", more than the 2e7 a cube may hold" } else { "" }
        )
    };
    let advice = "use a larger cell_m, a longer period, a shorter window or a smaller band_m";
    let limit = if values > MAX_CUBE_VALUES { f64::INFINITY } else { work };
    let mut e = check_work(limit, parameter, value, what, advice).err().map(CubeError::TooCostly);
    if let Some(CubeError::TooCostly(t)) = e.as_mut() {
        t.work = work;
        if parameter == "period" {
            t.value = params.period.name();
        }
    }
    e.map_or(Ok(()), Err)
}

/// Build the cube for `params` and run the emerging hot spot analysis (see the module docs).
pub fn run(ds: &Dataset, params: &EmergingSpec) -> Result<EmergingRun, CubeError> {
    let (sel, steps, mut warnings) = prepare_steps(ds, params)?;
    let points = Points::from_selection(ds, &sel, None);
    // Strays (police.uk lists crimes dealt with far away) would stretch the grid over half a country: they stay out
    // of the grid and the study area, as in every analysis, and a warning names them.
    let strays = Strays::find(&points.x_m, &points.y_m, &[], &[]);
    if strays.incidents > 0 {
        warnings.push(stray_note(ds, &strays));
    }
    let (kept_x, kept_y) = strays.kept(&points.x_m, &points.y_m);
    let kept = Points { w: vec![1.0; kept_x.len()], x_m: kept_x, y_m: kept_y };
    let extent = BoxM::of_points(&kept.x_m, &kept.y_m).ok_or(CubeError::Empty)?;
    let cell_m = params.cell_m.unwrap_or_else(|| CHANGE_CELL_FACTOR * auto_cell_m(&extent));
    let band_m = params.band_m.unwrap_or(1.5 * cell_m);
    let grid = Grid::covering(&extent, 0.0, cell_m, ds.crs()).map_err(|e| CubeError::Grid(e.to_string()))?;
    check_cube_cost(&grid, band_m, steps.len(), params)?;
    let study = hull_mask(&kept, &grid);
    let mut counts = vec![vec![0.0f64; grid.n_cells()]; steps.len()];
    let mut step_totals = vec![0u64; steps.len()];
    for (k, step) in step_of(ds, &sel, &steps).into_iter().enumerate() {
        let Some(s) = step else { continue };
        step_totals[s] += 1;
        if !strays.keep[k] {
            continue;
        }
        if let Some(c) = grid.cell_at(points.x_m[k], points.y_m[k]) {
            counts[s][c] += 1.0;
        }
    }
    let result = emerging_grid(&counts, &grid, Some(&study), band_m, params.options)?;
    warnings.extend(result.warnings.iter().cloned());
    Ok(EmergingRun { period: params.period, steps, grid, cell_m, band_m, study, step_totals, result, warnings })
}

/// The cube on H3 cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexEmergingRun {
    /// The length of each time step.
    pub period: Period,
    /// The time steps, oldest first.
    pub steps: Vec<Window>,
    /// The H3 resolution (0 coarsest to 15 finest).
    pub resolution: u8,
    /// Gi\* neighbourhood: cells within `k` rings.
    pub k: u32,
    /// The H3 cells analysed (every cell within `k` rings of a cell with an incident), ascending; the locations of
    /// `result`, in this order.
    pub cells: Vec<u64>,
    /// Incidents of each step (all cells).
    pub step_totals: Vec<u64>,
    /// Each cell's Gi* per step and its trend class.
    pub result: Emerging,
    /// Warnings for people.
    pub warnings: Vec<String>,
}

/// The emerging hot spot analysis on H3 cells of `resolution`, Gi\* over `k` rings in each step.
pub fn run_hex(ds: &Dataset, params: &EmergingSpec, resolution: u8, k: u32) -> Result<HexEmergingRun, CubeError> {
    use crate::analysis::hex::{hex_counts, hex_neighbourhoods};
    let (sel, steps, mut warnings) = prepare_steps(ds, params)?;
    let hex = |e: crate::analysis::hex::HexError| CubeError::Grid(e.to_string());
    let all = hex_counts(ds, &sel, None, resolution).map_err(hex)?;
    let (cells, nb) = hex_neighbourhoods(&all, k).map_err(hex)?;
    let mut counts = vec![vec![0.0f64; cells.len()]; steps.len()];
    let mut step_totals = vec![0u64; steps.len()];
    let step = step_of(ds, &sel, &steps);
    for s in 0..steps.len() {
        let part = crate::model::Selection {
            indices: sel.indices.iter().zip(&step).filter(|(_, st)| **st == Some(s)).map(|(&i, _)| i).collect(),
            warnings: Vec::new(),
        };
        step_totals[s] = part.len() as u64;
        for c in hex_counts(ds, &part, None, resolution).map_err(hex)?.cells {
            if let Ok(pos) = cells.binary_search(&c.index) {
                counts[s][pos] = f64::from(c.count);
            }
        }
    }
    let result = super::emerging_neighbours(&counts, &nb, params.options)?;
    warnings.extend(result.warnings.iter().cloned());
    Ok(HexEmergingRun { period: params.period, steps, resolution, k, cells, step_totals, result, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(y: i32, m: u32) -> i64 {
        month_start_s(y, m).unwrap_or_default()
    }

    #[test]
    fn periods_parse() {
        assert_eq!("week".parse::<Period>(), Ok(Period::Week));
        assert_eq!("Month".parse::<Period>(), Ok(Period::Month));
        assert_eq!("14d".parse::<Period>(), Ok(Period::Days(14)));
        for bad in ["0d", "fortnight", "d", "-3d", "400d"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn week_steps_end_at_the_window_end() {
        // 2024-01-01 (Monday) to 2024-01-31: four whole weeks counted back from the 31st, 2 days left at the start.
        let (s, warn) = steps(Period::Week, month(2024, 1), month(2024, 1) + 30 * 86_400);
        assert_eq!(s.len(), 4);
        assert_eq!(s[3].to_s, month(2024, 1) + 30 * 86_400);
        assert_eq!(s[0].from_s, month(2024, 1) + 2 * 86_400);
        assert!(warn.is_some_and(|w| w.contains("left out")));
        let (s, warn) = steps(Period::Days(10), month(2024, 1), month(2024, 1) + 30 * 86_400);
        assert_eq!((s.len(), warn), (3, None));
    }

    #[test]
    fn month_steps_are_whole_calendar_months() {
        let (s, warn) = steps(Period::Month, month(2024, 1), month(2024, 4));
        assert_eq!(
            s.iter().map(|w| w.from_s).collect::<Vec<_>>(),
            vec![month(2024, 1), month(2024, 2), month(2024, 3)]
        );
        assert_eq!(warn, None);
        // Mid-January to mid-April: February and March only.
        let (s, warn) = steps(Period::Month, month(2024, 1) + 14 * 86_400, month(2024, 4) + 14 * 86_400);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].from_s, month(2024, 2));
        assert!(warn.is_some());
    }

    /// A window given at both ends with too few or too many steps is refused before any incident is read: even on a
    /// store with no incident of it (which would otherwise answer "nothing to show").
    #[test]
    fn a_window_of_one_step_is_refused_before_reading_the_store() {
        let empty = crate::model::DatasetBuilder::new(&crate::geo::CrsDef::utm_for(-2.0, 50.7), 0)
            .and_then(|b| b.finish())
            .unwrap();
        let spec = |from: i64, to: i64, period: Period| EmergingSpec {
            query: crate::model::Query { from_s: Some(from), to_s: Some(to), ..Default::default() },
            period,
            ..Default::default()
        };
        let one = spec(month(2024, 3), month(2024, 4), Period::Month);
        assert!(matches!(prepare_steps(&empty, &one), Err(CubeError::TooFewSteps { steps: 1, .. })));
        let many = spec(month(2000, 1), month(2024, 1), Period::Days(1));
        assert!(matches!(prepare_steps(&empty, &many), Err(CubeError::TooManySteps { .. })));
        // Two steps, no incident: nothing to show, not an error.
        let two = spec(month(2024, 2), month(2024, 4), Period::Month);
        assert!(matches!(prepare_steps(&empty, &two), Err(CubeError::Empty)));
    }
}
