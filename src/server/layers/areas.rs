//! `areas-{name}`: the outlines of a boundary layer (a `--areas` file or a layer imported into the store), with
//! `key`, `name` and the window's `count`. Public mode leaves out counts below `min_count`; the outline stays.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::pipeline::AnalysisParams;
use crate::server::context::{Analysis, Context};
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer};
use serde_json::json;
use std::sync::Arc;

/// Incidents per area of an area layer for the analysis window, cached in the analysis.
fn area_counts(ctx: &Context, a: &Analysis, layer_index: usize) -> Arc<Vec<u64>> {
    let al = &ctx.areas[layer_index];
    if let Some(c) = a.area_counts.lock().ok().and_then(|m| m.get(&al.name).cloned()) {
        return c;
    }
    let c = Arc::new(al.counts(ctx.ds.lon(), ctx.ds.lat(), &a.prepared.selection.indices));
    if let Ok(mut m) = a.area_counts.lock() {
        m.insert(al.name.clone(), c.clone());
    }
    c
}

/// An areas layer: outlines with `key`, `name` and `count` for the window (public: counts below the minimum are
/// left out, the outline stays).
fn areas(ctx: &Context, counts: &[u64], t: TileId, layer_index: usize) -> TileLayer {
    let al = &ctx.areas[layer_index];
    let name = format!("areas-{}", al.name);
    let mut layer = TileLayer::new(t, &name);
    for (k, area) in al.areas.iter().enumerate() {
        let polys: Vec<Vec<Vec<[f64; 2]>>> = area
            .outline_lonlat
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
        let mut props = vec![("key", PropValue::Text(area.key.clone())), ("name", PropValue::Text(area.name.clone()))];
        if !ctx.config.public || counts[k] >= u64::from(ctx.config.min_count) {
            props.push(("count", PropValue::Uint(counts[k])));
        }
        layer.add_multipolygon(&polys, &props);
    }
    layer
}

/// One boundary layer, by its index in the context's areas.
pub(super) struct Areas {
    pub index: usize,
    /// `areas-{name}`.
    pub name: String,
    pub title: String,
}

impl LayerDef for Areas {
    type Spec = AnalysisParams;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: self.name.clone(),
            title: format!("Boundaries: {}", self.title),
            help: "Boundary outlines; click inside one for its count in the window.".into(),
            minzoom: 0,
            maxzoom: 20,
            fields: fields(&[("key", "String"), ("name", "String"), ("count", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 60,
            default_on: true,
            style: json!({"kind": "areas", "property": "count", "colours": ["#3b3b3b"],
                "shade": ["#edf8fb", "#b3cde3", "#8c96c6", "#8856a7", "#810f7c"],
                "unit": "incidents per area in the window",
                "popup": [{"field": "name", "label": "Name"}, {"field": "key", "label": "Code", "analyst": true},
                          {"field": "count", "label": "Incidents in the window", "format": "int"}]}),
        }
    }

    fn build(&self, ctx: &Context, spec: &AnalysisParams, t: TileId) -> Result<TileLayer, AppError> {
        // No incident in the window: the outlines still draw, with zero counts.
        let counts = match ctx.analysis(spec)? {
            Some(a) => area_counts(ctx, &a, self.index),
            None => Arc::new(vec![0; ctx.areas[self.index].areas.len()]),
        };
        Ok(areas(ctx, &counts, t, self.index))
    }
}
