//! `hotspots`: the outlines of the places a hotspot rule finds, with their rank and facts. Public mode leaves out
//! places with fewer than `min_count` incidents, and streets.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::spec::HotspotSpec;
use crate::server::context::Context;
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer, tile_bounds_lonlat};
use serde_json::json;

/// The hotspots layer: outlines with their facts (public: no streets, small ones left out).
fn hotspots(ctx: &Context, set: &crate::analysis::hotspots::HotspotSet, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "hotspots");
    let [w, s, e, n] = tile_bounds_lonlat(t);
    for h in &set.hotspots {
        if ctx.config.public && h.incidents < u64::from(ctx.config.min_count) {
            continue;
        }
        let inside =
            h.outline_lonlat.iter().flatten().flatten().any(|p| p[0] >= w && p[0] <= e && p[1] >= s && p[1] <= n);
        let bbox_overlap = {
            let pts = h.outline_lonlat.iter().flatten().flatten();
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in pts {
                x0 = x0.min(p[0]);
                y0 = y0.min(p[1]);
                x1 = x1.max(p[0]);
                y1 = y1.max(p[1]);
            }
            x0 <= e && x1 >= w && y0 <= n && y1 >= s
        };
        if !inside && !bbox_overlap {
            continue;
        }
        let top_category = h.categories.first().map(|c| c.name.clone()).unwrap_or_default();
        let mut props = vec![
            ("id", PropValue::Text(h.id.clone())),
            ("rank", PropValue::Uint(h.rank as u64)),
            ("incidents", PropValue::Uint(h.incidents)),
            ("harm", PropValue::Double(h.harm)),
            ("pai", PropValue::Double(h.pai)),
            ("hit_rate", PropValue::Double(h.hit_rate)),
            ("area_m2", PropValue::Double(h.area_m2)),
            ("top_category", PropValue::Text(top_category)),
        ];
        if !ctx.config.public
            && let Some(l) = h.top_locations.first()
        {
            props.push(("top_street", PropValue::Text(l.name.clone())));
        }
        layer.add_multipolygon(&h.outline_lonlat, &props);
    }
    layer
}

pub(super) struct Hotspots;

impl LayerDef for Hotspots {
    type Spec = HotspotSpec;

    fn info(&self, public: bool) -> LayerInfo {
        let mut f = vec![
            ("id", "String"),
            ("rank", "Number"),
            ("incidents", "Number"),
            ("harm", "Number"),
            ("pai", "Number"),
            ("hit_rate", "Number"),
            ("area_m2", "Number"),
            ("top_category", "String"),
        ];
        if !public {
            f.push(("top_street", "String"));
        }
        LayerInfo {
            name: "hotspots".into(),
            title: "Hotspot outlines".into(),
            help: "The small places where incidents concentrate most, numbered by rank.".into(),
            minzoom: 0,
            maxzoom: 20,
            fields: fields(&f),
            params: Vec::new(),
            mode: "map",
            order: 70,
            default_on: true,
            style: json!({"kind": "outline", "colours": ["#5b1a8c"], "selected": "#00a0e0", "label": "rank",
                "legend": "Hotspot (number = rank in the list)"}),
        }
    }

    fn build(&self, ctx: &Context, spec: &HotspotSpec, t: TileId) -> Result<TileLayer, AppError> {
        let Some(a) = ctx.rule_analysis(&spec.analysis, &spec.rule)? else { return Ok(TileLayer::new(t, "hotspots")) };
        let set = ctx.hotspots_for(&a, &spec.rule)?;
        Ok(hotspots(ctx, &set, t))
    }
}
