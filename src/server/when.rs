//! `GET /api/when`: incidents by hour of day x day of week for a window and categories, everywhere, in the map's
//! view (`bbox`) or in one hotspot of the list (`hotspot`, found with the same surface and rule), with aoristic
//! spreading and the concentration sentence tested against a uniform week (`hotspots when --json`'s document).
//! Data known only to the month (police.uk) have no hour: the answer says so (`precision`, `note`) and has no
//! table, rather than a table the data cannot support. Not served by `serve --public` (a table of one hotspot's
//! hours is finer than the public lattice).

use super::error::AppError;
use super::layers::parse;
use super::state::AppState;
use crate::analysis::spec::{WhenSpec, canonical};
use crate::analysis::when::concentration::concentration;
use crate::analysis::when::{WhenError, aoristic_table, selection_intervals};
use crate::model::Budget;
use crate::model::budget::check_work;
use crate::model::time::format_instant;
use crate::report::when::{WhenContext, when_json};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// `GET /api/when`: parse the request ([`WhenSpec`]), then count off the runtime under the compute queue's limits.
pub async fn when_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    if s.config.public {
        return Err(AppError::NotFound {
            error: "/api/when is not served in public mode: the hours of one place are finer than public maps publish"
                .into(),
            valid: vec![],
        });
    }
    let spec: WhenSpec = parse(q.as_deref())?;
    s.compute(move |state| when_doc(state, &spec)).await.map(Json)
}

/// The incidents a request counts, where they are in words, and the selection's warnings.
struct Picked {
    indices: Vec<u32>,
    place: Option<String>,
    warnings: Vec<String>,
}

/// The incidents of the request: the window, categories and box, then only those in the hotspot's cells.
fn selected(s: &AppState, spec: &WhenSpec) -> Result<Picked, AppError> {
    let q = &spec.analysis.query;
    let sel = q.select(&s.ds).map_err(|e| AppError::from(crate::analysis::pipeline::AnalysisError::Query(e)))?;
    let Some(id) = &spec.hotspot else {
        let place = q.bbox_lonlat.map(|_| "the map's view".to_owned());
        return Ok(Picked { indices: sel.indices, place, warnings: sel.warnings });
    };
    let Some(a) = s.rule_analysis(&spec.analysis, &spec.rule)? else {
        return Err(AppError::bad("hotspot", format!("hotspot={id}: no incidents match the window and categories")));
    };
    let set = s.hotspots_for(&a, &spec.rule)?;
    let Some(h) = set.hotspots.iter().find(|h| h.id == *id) else {
        let known: Vec<&str> = set.hotspots.iter().take(20).map(|h| h.id.as_str()).collect();
        return Err(AppError::bad(
            "hotspot",
            format!("hotspot={id}: not a hotspot of these settings; the first are {}", known.join(", ")),
        ));
    };
    let grid = &a.surface.grid;
    let mut inside = vec![false; grid.n_cells()];
    for &c in &h.cell_indices {
        if let Some(v) = inside.get_mut(c) {
            *v = true;
        }
    }
    let (x, y) = (s.ds.x_m(), s.ds.y_m());
    let indices = sel
        .indices
        .into_iter()
        .filter(|&i| {
            grid.cell_at(x[i as usize], y[i as usize]).is_some_and(|c| inside.get(c).copied().unwrap_or(false))
        })
        .collect();
    let name =
        if h.name.is_empty() { format!("hotspot {}", h.rank) } else { format!("hotspot {}, {}", h.rank, h.name) };
    Ok(Picked { indices, place: Some(name), warnings: sel.warnings })
}

fn when_doc(s: &AppState, spec: &WhenSpec) -> Result<Value, AppError> {
    let tz = spec.tz()?;
    let Picked { indices, place, warnings } = selected(s, spec)?;
    let q = &spec.analysis.query;
    let ctx = WhenContext {
        from: q.from_s.map(format_instant),
        to: q.to_s.map(format_instant),
        categories: q.categories.clone(),
        place,
        warnings,
    };
    let sel = crate::model::Selection { indices, warnings: Vec::new() };
    let intervals = match selection_intervals(&s.ds, &sel) {
        Ok(iv) => iv,
        Err(WhenError::CoarseTimes { count, precision, example }) => {
            let note = WhenError::CoarseTimes { count, precision, example }.to_string();
            // No table: a month spread over the week's hours would show a flat week the data never measured.
            return Ok(json!({
                "window": {"from": ctx.from, "to": ctx.to},
                "categories": ctx.categories,
                "place": ctx.place,
                "incidents": sel.indices.len(),
                "coarse": count,
                "precision": precision,
                "cells": null,
                "note": note,
                "warnings": ctx.warnings,
                "settings": canonical(spec),
            }));
        }
        Err(e) => return Err(AppError::bad("from", e.to_string())),
    };
    // Each draw spreads every incident over the hours it covers, then scans the week for its smallest half.
    let hours: f64 = intervals.iter().map(|(a, b)| 1.0 + ((b - a).max(0) as f64 / 3_600.0).ceil()).sum();
    let work = spec.draws as f64 * (hours + 2e5);
    check_work(
        work,
        "draws",
        spec.draws as f64,
        || format!("{} draws of {} incidents", spec.draws, intervals.len()),
        "use fewer draws, a shorter window or fewer categories",
    )?;
    let table = aoristic_table(&intervals, &tz, &spec.timezone).map_err(|e| AppError::bad("from", e.to_string()))?;
    Budget::current().check()?;
    let lengths: Vec<i64> = intervals.iter().map(|(a, b)| b - a).collect();
    let conc = concentration(&table, &lengths, spec.draws, spec.seed, spec.alpha);
    Budget::current().check()?;
    let mut doc = when_json(&table, conc.as_ref(), &ctx);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("precision".into(), json!(null));
        obj.insert("settings".into(), json!(canonical(spec)));
    }
    Ok(doc)
}
