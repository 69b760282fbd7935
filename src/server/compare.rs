//! `GET /api/compare`: two windows compared (totals, categories, a hotspot of the before window as the target with
//! its buffer and control, WDQ and WDD) with the change map's summary. The `change` tile layer is
//! [`super::layers`]' `change`.

use super::context::compare_error;
use super::error::AppError;
use super::layers::parse;
use super::state::AppState;
use crate::analysis::compare::{Areas, compare, hotspot_outline};
use crate::analysis::spec::{CompareSpec, Params, canonical};
use crate::model::Window;
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// The target of a comparison: hotspot `id` over the before window, found exactly as `find` (and `compare
/// --hotspot`) finds it with the request's grid, weight and rule.
fn hotspot_target(s: &AppState, spec: &CompareSpec, id: &str, before: Window) -> Result<Areas, AppError> {
    let Some(a) = s.rule_analysis(&spec.before_analysis(before), &spec.rule)? else {
        return Err(AppError::bad("hotspot", format!("hotspot={id}: the before window has no incidents")));
    };
    let set = s.hotspots_for(&a, &spec.rule)?;
    let mut pairs = Vec::new();
    spec.analysis.pairs(false, &mut pairs);
    spec.rule.pairs(false, &mut pairs);
    let settings: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| !matches!(*k, "from" | "to" | "category"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let target_xy_m = hotspot_outline(&set, &a.prepared.grid, id, &settings.join("&")).map_err(compare_error)?;
    Ok(Areas {
        target_xy_m,
        buffer_m: spec.buffer_m,
        control_xy_m: None,
        buffer_control_xy_m: None,
        description: format!("hotspot {id}"),
    })
}

/// `/api/compare`: two windows (or a target against a control) compared, as JSON; parameters as [`CompareSpec`].
pub async fn compare_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let spec: CompareSpec = parse(q.as_deref())?;
    s.compute(move |state| compare_json(state, &spec)).await.map(Json)
}

fn compare_json(s: &AppState, spec: &CompareSpec) -> Result<Value, AppError> {
    let (before, after) = spec.windows()?;
    let areas = spec.hotspot.as_deref().map(|id| hotspot_target(s, spec, id, before)).transpose()?;
    let cats = &spec.analysis.query.categories;
    let c = compare(&s.ds, before, after, cats, &s.harm_by_category, areas.as_ref()).map_err(compare_error)?;
    let cg = s.change_for(spec)?;
    let mut doc = serde_json::to_value(&c).map_err(|e| AppError::Internal(e.to_string()))?;
    let change_map = match &cg {
        Some(cg) => {
            let cells = &cg.map.cells;
            json!({
                "cell_m": cg.grid.cell_m,
                "fdr_q": cg.map.q,
                "p_threshold": cg.map.threshold,
                "cells_with_incidents": cells.iter().filter(|c| c.before + c.after > 0).count(),
                "cells_fell": cells.iter().filter(|c| c.significant < 0).count(),
                "cells_rose": cells.iter().filter(|c| c.significant > 0).count(),
            })
        }
        None => Value::Null,
    };
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("change_map".into(), change_map);
        obj.insert("before_window".into(), json!(before.text()));
        obj.insert("after_window".into(), json!(after.text()));
        obj.insert("settings".into(), json!(canonical(spec)));
        if s.config.public {
            let min = f64::from(s.config.min_count);
            if let Some(rows) = obj.get_mut("categories").and_then(Value::as_array_mut) {
                rows.retain(|r| {
                    let n = |k: &str| r["change"][k].as_f64().unwrap_or(0.0);
                    n("before").max(n("after")) >= min
                });
            }
        }
    }
    Ok(doc)
}
