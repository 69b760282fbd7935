//! Emerging hot spots and the tasking list on the server: `GET /api/emerging` (the classes and how many cells hold
//! each) and `GET /api/tasking` (the list as `tasking --format json`, its near-repeat zones from the context's
//! cache, shared with the `nearrepeat` tile layer; never in public mode). The `emerging` tile layer is
//! [`super::layers`]' `emerging`; emerging runs are cached per request in the context.

use super::error::AppError;
use super::layers::parse;
use super::state::AppState;
use crate::analysis::emerging::EmergingClass;
use crate::analysis::spec::{EmergingSpec, canonical};
use crate::analysis::tasking::{TaskingError, TaskingParams, tasking};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// Fewest time steps at which an emerging hot spot map means something.
pub const MIN_MEANINGFUL_STEPS: usize = 5;

/// `/api/emerging`: emerging hot spot classes per cell for a window and period, as JSON ([`EmergingSpec`]).
pub async fn emerging_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p: EmergingSpec = parse(q.as_deref())?;
    s.compute(move |state| {
        let Some(run) = state.emerging_for(&p)? else {
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
        // With fewer than 5 steps no Mann-Kendall trend can be significant (the module docs of
        // analysis::emerging): the classes that need a trend cannot occur, so the page leaves the layer off.
        let steps = run.steps.len();
        let reason = (steps < MIN_MEANINGFUL_STEPS).then(|| {
            format!(
                "needs at least {MIN_MEANINGFUL_STEPS} time steps to tell a trend from chance; this window has {steps} {}{}: choose a longer window",
                run.period.name(),
                if steps == 1 { "" } else { "s" }
            )
        });
        Ok(json!({
            "meaningful": reason.is_none(),
            "reason": reason,
            "period": run.period.name(),
            "steps": run.steps.iter().map(|w| w.text()).collect::<Vec<_>>(),
            "step_totals": run.step_totals,
            "cell_m": run.cell_m,
            "band_m": run.band_m,
            "classes": classes,
            "cells_analysed": run.result.locations.len() - run.result.not_analysed(),
            "cells_not_analysed": run.result.not_analysed(),
            "warnings": run.warnings,
            "settings": canonical(&p),
        }))
    })
    .await
    .map(Json)
}

/// `/api/tasking`: the tasking list with its near-repeat zones, as JSON ([`TaskingParams`]).
pub async fn tasking_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p: TaskingParams = parse(q.as_deref())?;
    s.compute(move |state| tasking_json(state, &p)).await.map(Json)
}

fn tasking_json(s: &AppState, params: &TaskingParams) -> Result<Value, AppError> {
    let mut list = match tasking(&s.ds, &s.harm_by_category, &s.harm_label, params) {
        Ok(l) => l,
        Err(e @ TaskingError::EmptyWindow { .. }) => {
            let (at, window) = crate::analysis::tasking::tasking_window(&s.ds, params)
                .map_err(|e| AppError::bad("at", e.to_string()))?;
            let previous = crate::analysis::tasking::previous_window(window);
            return Ok(json!({"at": crate::model::time::format_instant(at), "window": window,
                "window_text": params.window.text(), "previous_window": previous, "previous_note": null,
                "candidates": [], "selected_incidents": 0, "warnings": [e.to_string()]}));
        }
        Err(TaskingError::Analysis(a)) => return Err(AppError::from(a)),
        Err(TaskingError::BadWindow(w)) => {
            return Err(AppError::bad("at", format!("at: the window ending {w} is out of range")));
        }
        Err(e) => return Err(AppError::Internal(e.to_string())),
    };
    if !s.config.public
        && let Some(spec) = list.near_repeat_spec(params)
    {
        list.set_near_repeat((*s.near_repeat_for(&spec)?).clone());
    }
    list.name_areas(&s.area_names);
    let mut doc = serde_json::to_value(&list).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("settings".into(), json!(canonical(params)));
    }
    if s.config.public
        && let Some(cands) = doc.get_mut("candidates").and_then(Value::as_array_mut)
    {
        let min = u64::from(s.config.min_count);
        cands.retain(|c| c["incidents"].as_u64().is_some_and(|n| n >= min));
        for c in cands.iter_mut() {
            if let Some(obj) = c.as_object_mut() {
                obj.remove("streets");
                // No street in public mode: the area's name only.
                let code = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|id| list.candidates.iter().find(|k| k.id == id).and_then(|k| k.main_area.clone()));
                let area = code.as_deref().map(|c| s.area_names.name_or_code(c));
                obj.insert("name".into(), json!(crate::analysis::naming::place_name(area, None)));
            }
        }
    }
    Ok(doc)
}
