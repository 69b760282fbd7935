//! Emerging hot spots and the tasking list on the server: `GET /api/emerging` (the classes and how many cells hold
//! each), the `emerging` tile layer (cells with their class), and `GET /api/tasking` (the list as `tasking
//! --format json`). Emerging runs are cached per query.

use super::error::AppError;
use super::layers::{Lattice, best_cell, block_cells, block_starts, cells_in_tile};
use super::params::{self, RequestParams};
use super::state::AppState;
use crate::analysis::emerging::cube::{CubeError, CubeParams, EmergingRun, Period, run as run_cube};
use crate::analysis::emerging::{EmergingClass, EmergingOptions};
use crate::analysis::hotspots::RankBy;
use crate::analysis::points::WeightMode;
use crate::analysis::tasking::{TaskingError, TaskingParams, WindowLength, tasking};
use crate::geo::Projector;
use crate::tiles::{PropValue, TileId, TileLayer};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

fn cube_error(e: CubeError) -> AppError {
    match e {
        CubeError::PeriodTooFine { .. } | CubeError::TooFewSteps { .. } | CubeError::TooManySteps { .. } => {
            AppError::bad("period", e.to_string())
        }
        CubeError::Query(q) => AppError::from(crate::analysis::pipeline::AnalysisError::Query(q)),
        other => AppError::Internal(other.to_string()),
    }
}

/// The emerging run for a request (period default month), from the cache or computed; `None` when no incident
/// matches.
pub fn emerging_for(s: &AppState, p: &RequestParams) -> Result<Option<Arc<EmergingRun>>, AppError> {
    let period = p.period.unwrap_or(Period::Month);
    let key = format!(
        "{}|{}|{:?}|{:?}",
        params::analysis_key(&p.analysis),
        period.name(),
        p.analysis.cell_m.map(f64::to_bits),
        p.band_m.map(f64::to_bits)
    );
    if let Some(r) = s.emerging.get(&key) {
        return Ok(Some(r));
    }
    let cube = CubeParams {
        query: p.analysis.query.clone(),
        period,
        cell_m: p.analysis.cell_m,
        band_m: p.band_m,
        options: EmergingOptions::default(),
    };
    let run = match run_cube(&s.ds, &cube) {
        Err(CubeError::Empty) => return Ok(None),
        other => Arc::new(other.map_err(cube_error)?),
    };
    let bytes = run.result.locations.len() * 48 + run.steps.len() * 16 + 256;
    s.emerging.insert(key, run.clone(), bytes);
    Ok(Some(run))
}

pub async fn emerging_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p = params::parse(q.as_deref())?;
    s.compute(move |state| {
        let Some(run) = emerging_for(state, &p)? else {
            return Ok(
                json!({"classes": [], "steps": [], "warnings": ["no incidents match the window and categories"]}),
            );
        };
        let classes: Vec<Value> = run
            .result
            .class_counts()
            .into_iter()
            .filter(|(c, n)| *n > 0 && *c != EmergingClass::NoPattern)
            .map(|(c, n)| json!({"class": c, "name": c.name(), "cells": n}))
            .collect();
        Ok(json!({
            "period": run.period.name(),
            "steps": run.steps.iter().map(|w| w.text()).collect::<Vec<_>>(),
            "step_totals": run.step_totals,
            "cell_m": run.cell_m,
            "band_m": run.band_m,
            "classes": classes,
            "warnings": run.warnings,
        }))
    })
    .await
    .map(Json)
}

/// The emerging layer: cells with a class other than "no pattern", with `class` (snake case), `name`, `hot_steps`,
/// `cold_steps`, `mk_z` and `incidents`. Blocks of cells at low zoom take the class of their busiest classed cell.
/// Public mode leaves out cells with fewer than `min_count` incidents.
pub fn emerging_layer(state: &AppState, run: &EmergingRun, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "emerging");
    let grid = &run.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = f64::from(state.config.min_count);
    let locs = &run.result.locations;
    for (r, c) in block_starts(range) {
        let classed = block_cells(grid, r, c, block).filter(|&i| locs[i].class != EmergingClass::NoPattern);
        let Some(i) = best_cell(classed, |i, b| locs[i].total > locs[b].total) else { continue };
        let l = &run.result.locations[i];
        if state.config.public && l.total < min {
            continue;
        }
        let code = l.class.code();
        if let Some(ring) = lattice.ring(r, c) {
            let mut props = vec![
                ("class", PropValue::Text(code)),
                ("name", PropValue::Text(l.class.name().to_owned())),
                ("hot_steps", PropValue::Int(i64::from(l.hot_steps))),
                ("cold_steps", PropValue::Int(i64::from(l.cold_steps))),
                ("incidents", PropValue::Double(l.total)),
            ];
            // No mk_z when the trend is undefined (too few steps, or a constant series): not the same as 0.
            if let Some(z) = l.mk_z {
                props.push(("mk_z", PropValue::Double(z)));
            }
            layer.add_polygon(&[ring], &props);
        }
    }
    layer
}

pub async fn tasking_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p = params::parse(q.as_deref())?;
    s.compute(move |state| tasking_json(state, &p)).await.map(Json)
}

fn tasking_json(s: &AppState, p: &RequestParams) -> Result<Value, AppError> {
    let rank_by = match p.rank_by.as_deref() {
        Some("count") => RankBy::Count,
        Some(_) => RankBy::Harm,
        None if p.weight_given && p.analysis.weight == WeightMode::Count => RankBy::Count,
        None => RankBy::Harm,
    };
    let params = TaskingParams {
        at_s: p.at_s,
        window: p.window.unwrap_or(WindowLength::Days(28)),
        top: p.top.unwrap_or(10),
        min_separation_m: p.min_separation_m.unwrap_or(400.0),
        rank_by,
        weight: if rank_by == RankBy::Harm { WeightMode::Harm } else { WeightMode::Count },
        categories: p.analysis.query.categories.clone(),
        cell_m: Some(p.analysis.cell_m.unwrap_or(50.0)),
        bandwidth_m: Some(p.analysis.bandwidth_m.unwrap_or(250.0)),
        top_share: p.top_share.unwrap_or(0.01),
    };
    let list = match tasking(&s.ds, &s.harm_by_category, &s.harm_label, &params) {
        Ok(l) => l,
        Err(TaskingError::Analysis(crate::analysis::pipeline::AnalysisError::Empty)) => {
            let (at, window) = crate::analysis::tasking::tasking_window(&s.ds, &params)
                .map_err(|e| AppError::bad("at", e.to_string()))?;
            let previous = crate::analysis::tasking::previous_window(window);
            return Ok(json!({"at": crate::model::time::format_instant(at), "window": window,
                "window_text": params.window.text(), "previous_window": previous, "previous_note": null,
                "candidates": [], "selected_incidents": 0,
                "warnings": [format!("no incidents in the window {}: for data known only to the month, a window of \
                    whole months (e.g. 3m) fits it", window.text())]}));
        }
        Err(TaskingError::Analysis(a)) => return Err(AppError::from(a)),
        Err(TaskingError::BadWindow(w)) => {
            return Err(AppError::bad("at", format!("at: the window ending {w} is out of range")));
        }
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    let mut doc = serde_json::to_value(&list).map_err(|e| AppError::Internal(e.to_string()))?;
    if s.config.public
        && let Some(cands) = doc.get_mut("candidates").and_then(Value::as_array_mut)
    {
        let min = u64::from(s.config.min_count);
        cands.retain(|c| c["incidents"].as_u64().is_some_and(|n| n >= min));
        for c in cands.iter_mut() {
            if let Some(obj) = c.as_object_mut() {
                obj.remove("streets");
            }
        }
    }
    Ok(doc)
}
