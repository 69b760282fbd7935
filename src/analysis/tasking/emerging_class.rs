//! The emerging class of each candidate: an emerging hot spot analysis over the steps with data that end at `at`.

use crate::analysis::emerging::cube::{EmergingRun, EmergingSpec, Period, run as run_cube, steps as period_steps};
use crate::analysis::emerging::{EmergingClass, EmergingOptions};
use crate::geo::Projector;
use crate::model::Window;
use crate::model::time::{TimePrecision, format_instant};
use crate::model::{Dataset, Query, Selection};

/// The emerging hot spot analysis over the unbroken run of at most 12 steps with data that ends at `at`.
pub(super) fn emerging_for(
    ds: &Dataset,
    sel: &Selection,
    at: i64,
    categories: &[String],
) -> (Option<EmergingRun>, Option<String>) {
    let monthly = sel.indices.iter().any(|&i| ds.precision()[i as usize] >= TimePrecision::Month);
    let period = if monthly { Period::Month } else { Period::Week };
    let span_s = if monthly { 13 * 31 * 86_400 } else { 13 * 7 * 86_400 };
    let (candidates, _) = period_steps(period, at - span_s, at);
    let mut kept: Vec<Window> = Vec::new();
    for w in candidates.iter().rev().take(12) {
        let q =
            Query { from_s: Some(w.from_s), to_s: Some(w.to_s), categories: categories.to_vec(), ..Default::default() };
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
    let params = EmergingSpec {
        query: Query {
            from_s: Some(first.from_s),
            to_s: Some(at),
            categories: categories.to_vec(),
            ..Default::default()
        },
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
pub(super) fn class_under(
    e: &EmergingRun,
    grid: &crate::grid::Grid,
    cells: &[usize],
    projector: &Projector,
    centroid: [f64; 2],
) -> EmergingClass {
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
    k.map_or(EmergingClass::NoPattern, |k| e.result.locations[k].class)
}

/// `2024-01-01` for a midnight, else the full instant.
fn day_text(t: i64) -> String {
    let s = format_instant(t);
    s.strip_suffix("T00:00:00Z").map(str::to_owned).unwrap_or(s)
}
