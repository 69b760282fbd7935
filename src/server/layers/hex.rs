//! `hex`: incidents per H3 hexagon at the resolution for the zoom, with `count` and `weight`. Public mode leaves
//! out hexagons with fewer than `min_count` incidents.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::hex::{HexCounts, hex_boundary_lonlat, hex_centre_lonlat, hex_counts, resolution_for_zoom};
use crate::analysis::pipeline::AnalysisParams;
use crate::server::context::{Analysis, Context};
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer, tile_bounds_lonlat};
use serde_json::json;
use std::sync::Arc;

/// Hexagon counts at a resolution, cached in the analysis.
fn hex_for(ctx: &Context, a: &Analysis, resolution: u8) -> Result<Arc<HexCounts>, AppError> {
    if let Some(h) = a.hex.lock().ok().and_then(|m| m.get(&resolution).cloned()) {
        return Ok(h);
    }
    let weights = (a.prepared.params.weight == crate::analysis::points::WeightMode::Harm)
        .then_some(ctx.harm_by_category.as_slice());
    let h = Arc::new(
        hex_counts(&ctx.ds, &a.prepared.selection, weights, resolution)
            .map_err(|e| AppError::Internal(e.to_string()))?,
    );
    if let Ok(mut m) = a.hex.lock() {
        m.insert(resolution, h.clone());
    }
    Ok(h)
}

/// The hex layer: H3 cells at the resolution for the zoom, with `count` and `weight`.
fn hex(ctx: &Context, a: &Analysis, t: TileId) -> Result<TileLayer, AppError> {
    let mut layer = TileLayer::new(t, "hex");
    let res = resolution_for_zoom(t.z);
    let counts = hex_for(ctx, a, res)?;
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let (mw, mh) = ((e - w) * 0.1, (n - s) * 0.1);
    for h in &counts.cells {
        if ctx.config.public && h.count < ctx.config.min_count {
            continue;
        }
        let Ok((lon, lat)) = hex_centre_lonlat(h.index) else { continue };
        if lon < w - mw || lon > e + mw || lat < s - mh || lat > n + mh {
            continue;
        }
        let Ok(ring) = hex_boundary_lonlat(h.index) else { continue };
        let ring: Vec<[f64; 2]> = ring.into_iter().map(|(x, y)| [x, y]).collect();
        layer.add_polygon(
            &[ring],
            &[
                ("h3", PropValue::Text(format!("{:x}", h.index))),
                ("count", PropValue::Uint(u64::from(h.count))),
                ("weight", PropValue::Double(h.weight)),
            ],
        );
    }
    Ok(layer)
}

pub(super) struct Hex;

impl LayerDef for Hex {
    type Spec = AnalysisParams;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "hex".into(),
            title: "Counts in hexagons".into(),
            help: "How many incidents fall in each hexagon; hexagons get smaller as you zoom in.".into(),
            minzoom: 5,
            maxzoom: 20,
            fields: fields(&[("h3", "String"), ("count", "Number"), ("weight", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 30,
            default_on: false,
            style: json!({"kind": "sequential", "property": "count",
                "colours": ["#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8"],
                "unit": "incidents per hexagon at this zoom", "line": "#ffffff",
                "popup": [{"field": "count", "label": "Incidents", "format": "int"},
                          {"field": "h3", "label": "H3 cell", "analyst": true}]}),
        }
    }

    fn build(&self, ctx: &Context, spec: &AnalysisParams, t: TileId) -> Result<TileLayer, AppError> {
        Ok(match ctx.analysis(spec)? {
            Some(a) => hex(ctx, &a, t)?,
            None => TileLayer::new(t, "hex"),
        })
    }
}
