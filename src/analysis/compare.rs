//! Before and after: counts in two windows, overall, by category, and in a target area, its buffer and a control
//! area, with the measures of [`super::change`]. The CLI's `compare`, the server's `/api/compare` and the `change`
//! tiles call this.
//!
//! **Areas.** The target is a polygon (or a hotspot's outline); the buffer is the ring of ground within `buffer_m`
//! metres of the target, outside it (distances in the dataset's metric CRS); the control is a polygon given by the
//! user or, by default, everything outside the target and the buffer. Each incident falls in at most one of them,
//! the target first.

use super::change::{Change, Pair, Wdd, Wdq, change, format_grouped, wdd, wdq};
use crate::geo::Projector;
use crate::model::time::format_instant;
use crate::model::{Coverage, Dataset, Query, QueryError, Selection, Window, WindowCoverage};
use geo::{Distance, Euclidean, Intersects};
use geo_types::{MultiPolygon, Point};
use serde::Serialize;
use std::collections::BTreeMap;

/// Errors of a comparison.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A window's query failed (unknown category, bad window...).
    #[error("the {which} window: {source}")]
    Query {
        /// Which window: `before` or `after`.
        which: &'static str,
        /// Why the query failed.
        #[source]
        source: QueryError,
    },
    /// A point of the target, buffer control or control could not be projected to the dataset's CRS (its lon, lat).
    #[error("the target area cannot be placed in the dataset's CRS ({0})")]
    Projection(String),
    /// The hotspot asked for as the target is not among the hotspots of the before window.
    #[error(
        "hotspot={id}: no such hotspot over the before window with these settings ({settings}); the hotspots there are \
         {}", known.join(", ")
    )]
    UnknownHotspot {
        /// The hotspot id asked for (as [`super::hotspots::Hotspot::id`]).
        id: String,
        /// The settings the hotspots were found with, for people (`the defaults` when none was given).
        settings: String,
        /// The ids there are (at most the first 20).
        known: Vec<String>,
    },
    /// A change map needs both windows fully covered by the store.
    #[error("no change map: {reason}")]
    NotCovered {
        /// The window the store does not fully cover: `before` or `after`.
        which: &'static str,
        /// What is missing, for people (see [`not_covered_reason`]).
        reason: String,
    },
    /// The change-map cell size is not usable.
    #[error("cell_m: {0}")]
    Grid(#[from] crate::grid::GridError),
    /// The caller asked the comparison to stop (a cancelled request).
    #[error(transparent)]
    Stopped(crate::model::Stopped),
}

/// The target, buffer and control to compare.
#[derive(Debug, Clone)]
pub struct Areas {
    /// The target's outline in the dataset's metric CRS.
    pub target_xy_m: MultiPolygon<f64>,
    /// Width of the buffer ring around the target, in metres (0 = no buffer).
    pub buffer_m: f64,
    /// The control's outline in metres; `None` = everything outside the target and buffer.
    pub control_xy_m: Option<MultiPolygon<f64>>,
    /// A displacement control for the buffer (WDD); `None` = no displacement control (its change counts as 0).
    pub buffer_control_xy_m: Option<MultiPolygon<f64>>,
    /// How the areas were chosen, for people (`hotspot H1 (top 1%)`, `the polygon in target.geojson`).
    pub description: String,
}

/// The outline, in the grid's metres, of hotspot `id` of a set found on `grid`; the error lists the ids there are
/// (the first 20) and the settings that made them.
pub fn hotspot_outline(
    set: &super::hotspots::HotspotSet,
    grid: &crate::grid::Grid,
    id: &str,
    settings: &str,
) -> Result<MultiPolygon<f64>, CompareError> {
    let h = set.hotspots.iter().find(|h| h.id == id).ok_or_else(|| CompareError::UnknownHotspot {
        id: id.to_owned(),
        settings: if settings.is_empty() { "the defaults".to_owned() } else { settings.to_owned() },
        known: set.hotspots.iter().take(20).map(|h| h.id.clone()).collect(),
    })?;
    Ok(super::outline::trace_cells(grid, &h.cell_indices))
}

/// Polygons in lon/lat to the dataset's metric CRS.
pub fn to_metric(mp: &MultiPolygon<f64>, projector: &Projector) -> Result<MultiPolygon<f64>, CompareError> {
    use geo::MapCoords;
    mp.try_map_coords(|c| {
        projector
            .from_lonlat(c.x, c.y)
            .map(|(x, y)| geo_types::Coord { x, y })
            .ok_or_else(|| CompareError::Projection(format!("{}, {}", c.x, c.y)))
    })
}

/// What the comparison found in the areas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaComparison {
    /// How the areas were chosen, for people (from [`Areas::description`]).
    pub description: String,
    /// Width of the buffer ring, in metres.
    pub buffer_m: f64,
    /// Incidents (or harm) in the target in each window.
    pub target: Pair,
    /// Incidents (or harm) in the buffer ring in each window.
    pub buffer: Pair,
    /// Incidents (or harm) in the control in each window.
    pub control: Pair,
    /// Incidents (or harm) in the buffer's displacement control; `None` when none was given.
    pub buffer_control: Option<Pair>,
    /// The target's own change.
    pub gross_effect: Change,
    /// The target's change relative to the control: (Ta/Tb)/(Ca/Cb) - 1, and in counts Ta - Tb Ca/Cb.
    pub net_effect: Option<Change>,
    /// Why the net effect is not given (`None` when it is).
    pub net_effect_reason: Option<String>,
    /// The Weighted Displacement Quotient of target, buffer and control.
    pub wdq: Wdq,
    /// `None` when no change is given (a window the store does not fully cover).
    pub wdd: Option<Wdd>,
}

/// One row of the category table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryChange {
    /// The category's name as stored.
    pub category: String,
    /// Its incidents before and after.
    pub change: Change,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The before window.
    pub before: Window,
    /// The after window.
    pub after: Window,
    /// The before window for people (`Jan 2024 - Mar 2024`).
    pub before_text: String,
    /// The after window for people.
    pub after_text: String,
    /// After window length / before window length.
    pub length_ratio: f64,
    /// Incidents in each window, all selected categories.
    pub total: Change,
    /// Harm (the harm weights summed) in each window.
    pub harm: Change,
    /// One row per category with incidents in either window, in the order of the category table.
    pub categories: Vec<CategoryChange>,
    /// Target, buffer and control, when areas were given.
    pub areas: Option<AreaComparison>,
    /// How much of each window the store holds: changes are given only when both are fully covered.
    pub before_coverage: WindowCoverage,
    /// How much of the after window the store holds.
    pub after_coverage: WindowCoverage,
    /// Warnings for people (a window cutting a month, a control dwarfing the target...).
    pub warnings: Vec<String>,
}

/// Where an incident falls: 0 target, 1 buffer, 2 control, 3 none (outside a given control).
fn zone(areas: &Areas, x: f64, y: f64) -> u8 {
    let p = Point::new(x, y);
    if areas.target_xy_m.intersects(&p) {
        0
    } else if Euclidean.distance(&p, &areas.target_xy_m) <= areas.buffer_m {
        1
    } else {
        match &areas.control_xy_m {
            None => 2,
            Some(c) if c.intersects(&p) => 2,
            Some(_) => 3,
        }
    }
}

fn pair_counts(before: &Selection, after: &Selection, f: impl Fn(usize) -> bool) -> Pair {
    let n = |s: &Selection| s.indices.iter().filter(|&&i| f(i as usize)).count() as f64;
    Pair::new(n(before), n(after))
}

/// Compare two windows (see the module docs). `harm_by_category` weights categories for the harm figures.
pub fn compare(
    ds: &Dataset,
    before: Window,
    after: Window,
    categories: &[String],
    harm_by_category: &[f64],
    areas: Option<&Areas>,
) -> Result<Comparison, CompareError> {
    let q = |w: Window| Query {
        from_s: Some(w.from_s),
        to_s: Some(w.to_s),
        categories: categories.to_vec(),
        ..Default::default()
    };
    let sb = q(before).select(ds).map_err(|source| CompareError::Query { which: "before", source })?;
    let sa = q(after).select(ds).map_err(|source| CompareError::Query { which: "after", source })?;
    let ratio = Window::length_ratio(before, after);
    let mut warnings: Vec<String> = Vec::new();
    let coverage = Coverage::of(ds);
    let (cov_b, cov_a) = (coverage.window(before), coverage.window(after));
    let not_covered = not_covered_reason(&cov_b, &cov_a);
    if let Some(why) = &not_covered {
        warnings.push(format!("no change is given: {why}"));
    }
    let change = |b: f64, a: f64, r: f64| match &not_covered {
        None => change(b, a, r),
        Some(why) => Change::not_given(b, a, why),
    };
    if (ratio - 1.0).abs() > 1e-9 {
        warnings.push(format!(
            "the windows differ in length ({} days before, {} after): counts are compared per day, and changes are \
             given in the after window's length (the before count scaled by {:.4})",
            format_grouped(before.days()),
            format_grouped(after.days()),
            ratio
        ));
    }
    for (name, sel, w) in [("before", &sb, before), ("after", &sa, after)] {
        if sel.is_empty() {
            warnings.push(format!(
                "the {name} window ({}) holds no incidents{}: if the store has no data for it, the changes below are \
                 not real",
                w.text(),
                if categories.is_empty() { "" } else { " of these categories" }
            ));
        }
    }
    warnings.extend(sb.warnings.iter().map(|w| format!("before: {w}")));
    warnings.extend(sa.warnings.iter().map(|w| format!("after: {w}")));

    let cats = ds.category_ids();
    let harm = |s: &Selection| {
        s.indices
            .iter()
            .map(|&i| {
                f64::from(ds.weight()[i as usize])
                    * harm_by_category.get(usize::from(cats[i as usize])).copied().unwrap_or(1.0)
            })
            .sum::<f64>()
    };
    let mut by_cat: BTreeMap<u16, (f64, f64)> = BTreeMap::new();
    for &i in &sb.indices {
        by_cat.entry(cats[i as usize]).or_default().0 += 1.0;
    }
    for &i in &sa.indices {
        by_cat.entry(cats[i as usize]).or_default().1 += 1.0;
    }
    let mut categories_out: Vec<CategoryChange> = by_cat
        .into_iter()
        .map(|(c, (b, a))| CategoryChange {
            category: ds.categories().name(u32::from(c)).unwrap_or("").to_owned(),
            change: change(b, a, ratio),
        })
        .collect();
    categories_out.sort_by(|x, y| {
        (y.change.before + y.change.after)
            .total_cmp(&(x.change.before + x.change.after))
            .then(x.category.cmp(&y.category))
    });

    let area_cmp = areas.map(|areas| {
        let (xs, ys) = (ds.x_m(), ds.y_m());
        let zones_of = |s: &Selection| -> Vec<(u32, u8)> {
            s.indices.iter().map(|&i| (i, zone(areas, xs[i as usize], ys[i as usize]))).collect()
        };
        let (zb, za) = (zones_of(&sb), zones_of(&sa));
        let count = |z: &[(u32, u8)], k: u8| z.iter().filter(|(_, zz)| *zz == k).count() as f64;
        let pair = |k: u8| Pair::new(count(&zb, k), count(&za, k));
        let (target, buffer, control) = (pair(0), pair(1), pair(2));
        let buffer_control = areas
            .buffer_control_xy_m
            .as_ref()
            .map(|bc| pair_counts(&sb, &sa, |i| bc.intersects(&Point::new(xs[i], ys[i]))));
        let (net, reason) = if not_covered.is_some() {
            (None, not_covered.clone())
        } else if control.before > 0.0 && control.after > 0.0 && target.before > 0.0 {
            let expected = target.before * control.after / control.before;
            (Some(change(expected, target.after, 1.0)), None)
        } else {
            (None, Some("undefined: the control, or the target before, has no incidents".to_owned()))
        };
        AreaComparison {
            description: areas.description.clone(),
            buffer_m: areas.buffer_m,
            target,
            buffer,
            control,
            buffer_control,
            gross_effect: change(target.before, target.after, ratio),
            net_effect: net,
            net_effect_reason: reason,
            wdq: match &not_covered {
                None => wdq(target, buffer, control),
                Some(why) => Wdq::not_given(why),
            },
            wdd: not_covered.is_none().then(|| wdd(control, target, buffer_control.unwrap_or_default(), buffer, ratio)),
        }
    });
    if let Some(a) = &area_cmp
        && a.wdd.is_some()
    {
        let (t, c) = (a.target.before + a.target.after, a.control.before + a.control.after);
        if t > 0.0 && c > CONTROL_DWARFS * t {
            warnings.push(format!(
                "the control holds {}x the target's incidents ({} against {}): WDD then mostly measures the \
                 control's own change; give a control area of comparable size (a polygon file as the control)",
                format_grouped(c / t),
                format_grouped(c),
                format_grouped(t)
            ));
        }
    }

    let fmt = |w: Window| format!("{} to {}", format_instant(w.from_s), format_instant(w.to_s));
    Ok(Comparison {
        before,
        after,
        before_text: fmt(before),
        after_text: fmt(after),
        length_ratio: ratio,
        total: change(sb.len() as f64, sa.len() as f64, ratio),
        harm: change(harm(&sb), harm(&sa), ratio),
        categories: categories_out,
        areas: area_cmp,
        before_coverage: cov_b,
        after_coverage: cov_a,
        warnings,
    })
}

/// A control holding more than this many times the target's incidents makes WDD a measure of the control.
pub const CONTROL_DWARFS: f64 = 5.0;

/// Why no change can be given between two windows (`None` when both are fully covered).
pub fn not_covered_reason(before: &WindowCoverage, after: &WindowCoverage) -> Option<String> {
    let part = |name: &str, c: &WindowCoverage| {
        (!c.full).then(|| format!("the store holds no data for {} of the {name} window", c.missing_text))
    };
    let parts: Vec<String> = [part("before", before), part("after", after)].into_iter().flatten().collect();
    (!parts.is_empty()).then(|| parts.join(", and "))
}

/// The automatic change-map cell, in density-grid automatic cells.
pub const CHANGE_CELL_FACTOR: f64 = 4.0;

/// The change map of two windows on one grid covering both (see [`super::change::change_map`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeGrid {
    /// The grid covering both windows' incidents.
    pub grid: crate::grid::Grid,
    /// Each cell's change between the windows.
    pub map: super::change::ChangeMap,
}

/// The most cells a change map may have.
pub const MAX_CHANGE_CELLS: usize = 5_000_000;

/// Count both windows on a grid of `cell_m` covering both, and test each cell's change with the Benjamini-Hochberg
/// correction at `q`. The automatic cell (`None`) is four times the density grid's automatic cell (the data's
/// extent / 62.5, rounded down to 1, 2, 2.5 or 5 x 10^k m): a change needs a few incidents per cell to be testable
/// at all, so the density grid's cell would leave nearly every cell with too few.
pub fn change_grid(
    ds: &Dataset,
    before: Window,
    after: Window,
    categories: &[String],
    cell_m: Option<f64>,
    q: f64,
) -> Result<Option<ChangeGrid>, CompareError> {
    use crate::grid::{BoxM, Grid, auto_cell_m};
    let sel = |w: Window, which| {
        Query { from_s: Some(w.from_s), to_s: Some(w.to_s), categories: categories.to_vec(), ..Default::default() }
            .select(ds)
            .map_err(|source| CompareError::Query { which, source })
    };
    let coverage = Coverage::of(ds);
    let (cov_b, cov_a) = (coverage.window(before), coverage.window(after));
    if let Some(reason) = not_covered_reason(&cov_b, &cov_a) {
        return Err(CompareError::NotCovered { which: if cov_b.full { "after" } else { "before" }, reason });
    }
    let (sb, sa) = (sel(before, "before")?, sel(after, "after")?);
    let (xs, ys) = (ds.x_m(), ds.y_m());
    let all: Vec<u32> = sb.indices.iter().chain(&sa.indices).copied().collect();
    let px: Vec<f64> = all.iter().map(|&i| xs[i as usize]).collect();
    let py: Vec<f64> = all.iter().map(|&i| ys[i as usize]).collect();
    let Some(extent) = BoxM::of_points(&px, &py) else { return Ok(None) };
    let cell = cell_m.unwrap_or_else(|| CHANGE_CELL_FACTOR * auto_cell_m(&extent));
    let grid = Grid::covering(&extent, 0.0, cell, ds.crs())?;
    // Each cell of a change map holds its counts and test (a few dozen bytes): a finer map than this cannot be
    // read anyway, and would hold gigabytes.
    if grid.n_cells() > MAX_CHANGE_CELLS {
        let (cols, rows) = (grid.cols, grid.rows);
        let cells = grid.n_cells();
        return Err(crate::grid::GridError::TooLarge { cols, rows, cells, cell_m: cell, max: MAX_CHANGE_CELLS }.into());
    }
    crate::model::Budget::current().check().map_err(CompareError::Stopped)?;
    let count = |s: &Selection| {
        let mut c = vec![0u32; grid.n_cells()];
        for &i in &s.indices {
            if let Some(k) = grid.cell_at(xs[i as usize], ys[i as usize]) {
                c[k] += 1;
            }
        }
        c
    };
    let map = super::change::change_map(&count(&sb), &count(&sa), Window::length_ratio(before, after), q);
    Ok(Some(ChangeGrid { grid, map }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::model::time::{TimePrecision, month_start_s};
    use crate::model::{DatasetBuilder, IncidentRecord, SourceFile};
    use geo_types::{LineString, Polygon};

    fn month(y: i32, m: u32) -> i64 {
        month_start_s(y, m).unwrap_or_default()
    }

    /// Target point A, a buffer point B about 99 m east of it and a control point C about 5.6 km east.
    /// A (Burglary): 10 in January 2024, 4 in March. B (Drugs): 5 then 6. C (Drugs): 100 then 120.
    fn dataset() -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 250).unwrap_or_else(|e| panic!("{e}"));
        b.add_source(SourceFile { import_id: 1, file: "t.csv".into() }).unwrap_or_else(|e| panic!("{e}"));
        let mut push = |lon: f64, category: &str, jan: usize, feb: usize| {
            for (n, m) in [(jan, 1), (feb, 3)] {
                for _ in 0..n {
                    let rec = IncidentRecord {
                        lon,
                        lat: 50.72,
                        time_s: month(2024, m),
                        precision: TimePrecision::Month,
                        category,
                        weight: 1.0,
                        area: None,
                        location: None,
                        source: 0,
                        line: 2,
                    };
                    b.push(&rec).unwrap_or_else(|e| panic!("{e}"));
                }
            }
        };
        push(-1.98, "Burglary", 10, 4);
        push(-1.9786, "Drugs", 5, 6);
        push(-1.90, "Drugs", 100, 120);
        b.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn worked_example_of_target_buffer_and_control() {
        let ds = dataset();
        let (ax, ay) = (ds.x_m()[0], ds.y_m()[0]);
        let square = |r: f64| {
            let ring = vec![(ax - r, ay - r), (ax + r, ay - r), (ax + r, ay + r), (ax - r, ay + r), (ax - r, ay - r)];
            MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])])
        };
        let areas = Areas {
            target_xy_m: square(20.0),
            buffer_m: 250.0,
            control_xy_m: None,
            buffer_control_xy_m: None,
            description: "A".into(),
        };
        let (jan, mar) = (
            Window { from_s: month(2024, 1), to_s: month(2024, 2) },
            Window { from_s: month(2024, 3), to_s: month(2024, 4) },
        );
        let c = compare(&ds, jan, mar, &[], &[1.0, 1.0], Some(&areas)).unwrap_or_else(|e| panic!("{e}"));
        // January and March have 31 days each: compared like for like. The default control (everything else)
        // holds 15.7 times the target's incidents, which WDD would mostly measure: the one warning says so.
        assert_eq!(c.length_ratio, 1.0);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].starts_with("the control holds 15.7x the target's incidents (220 against 14)"));
        // 115 -> 130: +15, +13.0%.
        assert_eq!(c.total.text, "+13% (+15)");
        assert_eq!(c.categories[0].category, "Drugs");
        // Drugs 105 -> 126: +21, +20%; Burglary 10 -> 4: -6, -60%.
        assert_eq!(c.categories[0].change.text, "+20% (+21)");
        assert_eq!(c.categories[1].change.text, "-60% (-6)");
        let a = c.areas.unwrap_or_else(|| panic!("areas"));
        assert_eq!(
            (a.target, a.buffer, a.control),
            (Pair::new(10.0, 4.0), Pair::new(5.0, 6.0), Pair::new(100.0, 120.0))
        );
        assert_eq!(a.gross_effect.text, "-60% (-6)");
        // Net: the control rose by 120/100, so 10 x 1.2 = 12 were expected; 4 is -8, -66.7%.
        let net = a.net_effect.unwrap_or_else(|| panic!("net"));
        assert_eq!(net.text, "-66.7% (-8)");
        // WDQ: SM = 4/120 - 10/100 = -0.0667; BDM = 6/120 - 5/100 = 0: neither displacement nor diffusion.
        assert_eq!(a.wdq.wdq, Some(0.0));
        assert_eq!(a.wdq.reading, "neither displacement nor diffusion");
        // WDD: local = (4 - 10) - (120 - 100) = -26; displacement = (6 - 5) - 0 = +1; total -25;
        // var = 10 + 4 + 100 + 120 + 5 + 6 = 245; z = -25 / 15.65 = -1.597: not significant.
        assert_eq!(
            (a.wdd.as_ref().unwrap().local, a.wdd.as_ref().unwrap().displacement, a.wdd.as_ref().unwrap().total),
            (-26.0, 1.0, -25.0)
        );
        assert!((a.wdd.as_ref().unwrap().z.unwrap_or_default() + 25.0 / 245f64.sqrt()).abs() < 1e-12);
        assert!(a.wdd.as_ref().unwrap().low95 < 0.0 && a.wdd.as_ref().unwrap().high95 > 0.0);
    }

    #[test]
    fn unequal_windows_compare_per_day_and_cut_months_warn() {
        let ds = dataset();
        // All of January against the first half of March (14 days of 31): month-precision data cut.
        let jan = Window { from_s: month(2024, 1), to_s: month(2024, 2) };
        let half = Window { from_s: month(2024, 3), to_s: month(2024, 3) + 14 * 86_400 };
        assert_eq!(Window::length_ratio(jan, half), 14.0 / 31.0);
        let c = compare(&ds, jan, half, &[], &[1.0, 1.0], None).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.warnings.iter().any(|w| w.contains("differ in length")), "{:?}", c.warnings);
        assert!(c.warnings.iter().any(|w| w.starts_with("after:") && w.contains("2024-03")), "{:?}", c.warnings);
        // Whole months of different lengths compare by days too: February 2024 (29 days) against January (31).
        let feb = Window { from_s: month(2024, 2), to_s: month(2024, 3) };
        assert_eq!(Window::length_ratio(jan, feb), 29.0 / 31.0);
        let c = compare(&ds, jan, feb, &[], &[1.0, 1.0], None).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.warnings.iter().any(|w| w.contains("31 days before, 29 after")), "{:?}", c.warnings);
    }

    #[test]
    fn windows_parse_and_print_back() {
        let w = Window::parse("2024-01..2024-04").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w, Window { from_s: month(2024, 1), to_s: month(2024, 4) });
        assert_eq!(w.whole_months(), Some(3));
        assert_eq!(Window::parse(&w.text()), Ok(w));
        assert_eq!(Window::parse("2018..2019").map(|w| w.whole_months()), Ok(Some(12)));
        for bad in ["2024-01", "2024-04..2024-01", "2024-01..2024-01", "2024-13..2025", "x..y", ""] {
            assert!(Window::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_windows_and_no_control_are_undefined_not_nan() {
        let ds = dataset();
        let w = |y| Window { from_s: month(y, 1), to_s: month(y, 2) };
        let c = compare(&ds, w(2020), w(2021), &[], &[1.0, 1.0], None).unwrap_or_else(|e| panic!("{e}"));
        // The store holds nothing for either window: no change is given, and the answer says which months.
        assert_eq!(
            c.total.text,
            "no change given: the store holds no data for Jan 2020 of the before window, and the store holds no \
             data for Jan 2021 of the after window"
        );
        assert!(c.warnings.iter().any(|w| w.starts_with("no change is given: ")), "{:?}", c.warnings);
        assert_eq!(c.warnings.iter().filter(|w| w.contains("holds no incidents")).count(), 2, "{:?}", c.warnings);
        assert_eq!((c.total.relative, c.total.absolute), (None, None));
        let json = serde_json::to_string(&c).unwrap_or_default();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }
}
