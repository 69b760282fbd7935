//! Before and after on the server: `GET /api/compare` (the comparison, with a hotspot as the target when asked)
//! and the `change` tile layer (the change map's cells). Both take `before=FROM..TO` and `after=FROM..TO` with the
//! shared filters; the change map is computed once per query and cached.

use super::error::AppError;
use super::layers::{Lattice, best_cell, block_cells, block_starts, cells_in_tile};
use super::params::{self, RequestParams};
use super::state::AppState;
use crate::analysis::compare::{Areas, ChangeGrid, CompareError, Window, change_grid, compare};
use crate::analysis::hotspots::RankBy;
use crate::analysis::pipeline::AnalysisParams;
use crate::geo::Projector;
use crate::model::Query;
use crate::tiles::{PropValue, TileId, TileLayer};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// The change map's default false discovery rate.
pub const DEFAULT_FDR_Q: f64 = 0.05;

fn compare_error(e: CompareError) -> AppError {
    match e {
        CompareError::Query { which, source } => AppError::bad(which, format!("{which}: {source}")),
        CompareError::Projection(m) => AppError::Internal(m),
    }
}

/// The change map for the request's windows, categories and cell, from the cache or computed.
pub fn change_for(s: &AppState, p: &RequestParams) -> Result<Option<Arc<ChangeGrid>>, AppError> {
    let (before, after) = p.windows()?;
    let q = p.fdr_q.unwrap_or(DEFAULT_FDR_Q);
    let cats = &p.analysis.query.categories;
    let key = format!(
        "{}|{}|{}|{:?}|{}",
        before.text(),
        after.text(),
        cats.join("\u{1f}"),
        p.analysis.cell_m.map(f64::to_bits),
        q.to_bits()
    );
    if let Some(c) = s.changes.get(&key) {
        return Ok(Some(c));
    }
    let Some(cg) = change_grid(&s.ds, before, after, cats, p.analysis.cell_m, q).map_err(compare_error)? else {
        return Ok(None);
    };
    let cg = Arc::new(cg);
    s.changes.insert(key, cg.clone(), cg.map.cells.len() * 32 + 256);
    Ok(Some(cg))
}

/// The target of a comparison: hotspot `id` over the before window, found with the request's analysis parameters
/// (cell, bandwidth, categories, weight, method, share, ranking), in the dataset's metric CRS.
fn hotspot_target(s: &AppState, p: &RequestParams, id: &str, before: Window) -> Result<Areas, AppError> {
    let analysis = AnalysisParams {
        query: Query {
            from_s: Some(before.from_s),
            to_s: Some(before.to_s),
            categories: p.analysis.query.categories.clone(),
        },
        ..p.analysis.clone()
    };
    let Some(a) = s.analysis(&analysis)? else {
        return Err(AppError::bad("hotspot", format!("hotspot={id}: the before window has no incidents")));
    };
    let band = p.band_m.unwrap_or(a.prepared.params.bandwidth_m);
    let rank = if p.rank_by.as_deref() == Some("harm") { RankBy::Harm } else { RankBy::Count };
    let set = super::layers::hotspots_for(
        s,
        &a,
        p.method.as_deref().unwrap_or("kde"),
        band,
        p.top_share.unwrap_or(0.01),
        rank,
    )?;
    let h = set.hotspots.iter().find(|h| h.id == id).ok_or_else(|| {
        let ids: Vec<&str> = set.hotspots.iter().take(20).map(|h| h.id.as_str()).collect();
        AppError::bad(
            "hotspot",
            format!("no hotspot '{id}' over the before window with these parameters; there are {}", ids.join(", ")),
        )
    })?;
    Ok(Areas {
        target_xy_m: crate::analysis::outline::trace_cells(&a.prepared.grid, &h.cell_indices),
        buffer_m: p.buffer_m.unwrap_or(250.0),
        control_xy_m: None,
        buffer_control_xy_m: None,
        description: format!("hotspot {id}"),
    })
}

pub async fn compare_route(State(s): State<Arc<AppState>>, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p = params::parse(q.as_deref())?;
    p.windows()?;
    s.compute(move |state| compare_json(state, &p)).await.map(Json)
}

fn compare_json(s: &AppState, p: &RequestParams) -> Result<Value, AppError> {
    let (before, after) = p.windows()?;
    let areas = p.hotspot.as_deref().map(|id| hotspot_target(s, p, id, before)).transpose()?;
    let cats = &p.analysis.query.categories;
    let c = compare(&s.ds, before, after, cats, &s.harm_by_category, areas.as_ref()).map_err(compare_error)?;
    let cg = change_for(s, p)?;
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

/// The change layer: cells with any incident in either window, with `before`, `after`, `difference` (after minus
/// before scaled to the after window), `p` and `significant` (+1 rose, -1 fell, 0 neither, after the FDR
/// correction). Below the zoom where a cell spans 32 tile units, blocks of cells are merged: counts and differences
/// add up, and the block's `p` and `significant` are those of its most significant cell. Public mode leaves out
/// cells with fewer than `min_count` incidents in both windows together.
pub fn change_layer(state: &AppState, cg: &ChangeGrid, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "change");
    let grid = &cg.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = u64::from(state.config.min_count);
    let cells = &cg.map.cells;
    for (r, c) in block_starts(range) {
        let tested = || block_cells(grid, r, c, block).filter(|&i| cells[i].before + cells[i].after > 0);
        let Some(b) = best_cell(tested(), |i, b| cells[i].p < cells[b].p) else { continue };
        let before: u64 = tested().map(|i| u64::from(cells[i].before)).sum();
        let after: u64 = tested().map(|i| u64::from(cells[i].after)).sum();
        let diff: f64 = tested().map(|i| cells[i].difference).sum();
        if state.config.public && before + after < min {
            continue;
        }
        if let Some(ring) = lattice.ring(r, c) {
            layer.add_polygon(
                &[ring],
                &[
                    ("before", PropValue::Double(before as f64)),
                    ("after", PropValue::Double(after as f64)),
                    ("difference", PropValue::Double(diff)),
                    ("p", PropValue::Double(cells[b].p)),
                    ("significant", PropValue::Int(i64::from(cells[b].significant))),
                ],
            );
        }
    }
    layer
}
