//! `nearrepeat`: near-repeat zones (outlines of the neighbourhoods still at raised risk after recent incidents),
//! with `id`, `category`, `incidents`, `addresses` (distinct map points inside), `area_m2`, `expires` (UTC),
//! `days_left` (from "as of"), `name` and `candidate` (the tasking candidate holding it, when one does). Never in
//! public mode: a zone is drawn around recent victims' homes and points at their neighbours.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::nearrepeat::alert::NearRepeatAlert;
use crate::analysis::spec::NearRepeatSpec;
use crate::server::context::Context;
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer, tile_bounds_lonlat};
use serde_json::json;

/// The zones whose outline's box meets the tile.
fn zones_layer(alert: &NearRepeatAlert, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "nearrepeat");
    let [w, s, e, n] = tile_bounds_lonlat(t);
    for (c, z) in alert.zones() {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in z.outline_lonlat.iter().flatten().flatten() {
            x0 = x0.min(p[0]);
            y0 = y0.min(p[1]);
            x1 = x1.max(p[0]);
            y1 = y1.max(p[1]);
        }
        if x0 > e || x1 < w || y0 > n || y1 < s {
            continue;
        }
        let mut props = vec![
            ("id", PropValue::Text(z.id.clone())),
            ("category", PropValue::Text(c.category.clone())),
            ("incidents", PropValue::Uint(z.incidents as u64)),
            ("addresses", PropValue::Uint(z.addresses_worth as u64)),
            ("area_m2", PropValue::Double(z.area_m2)),
            ("expires", PropValue::Text(z.expires.clone())),
            ("days_left", PropValue::Double(z.days_left)),
            ("name", PropValue::Text(z.name.clone())),
        ];
        if let Some(rank) = z.candidate {
            props.push(("candidate", PropValue::Uint(rank as u64)));
        }
        layer.add_multipolygon(&z.outline_lonlat, &props);
    }
    layer
}

pub(super) struct NearRepeat;

impl LayerDef for NearRepeat {
    type Spec = NearRepeatSpec;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "nearrepeat".into(),
            title: "Near-repeat zones".into(),
            help: "Around the burglaries (or the chosen categories) of the last two weeks: where the neighbours are \
                   still at raised risk, and until when, measured on this data's own near-repeat pattern."
                .into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[
                ("id", "String"),
                ("category", "String"),
                ("incidents", "Number"),
                ("addresses", "Number"),
                ("area_m2", "Number"),
                ("expires", "String"),
                ("days_left", "Number"),
                ("name", "String"),
                ("candidate", "Number"),
            ]),
            params: Vec::new(),
            mode: "map",
            order: 75,
            default_on: false,
            // Coloured by the days of raised risk left (darker: longer), outlined; not an `outline` layer, which the
            // page takes for hotspots.
            style: json!({"kind": "sequential", "property": "days_left", "colours": ["#fde0dd", "#fcbba1", "#fc9272"],
                "line": "#cb181d", "unit": "days of raised risk left",
                "popup": [{"field": "name", "label": "Place"},
                          {"field": "category", "label": "Category"},
                          {"field": "incidents", "label": "Recent incidents", "format": "int"},
                          {"field": "addresses", "label": "Addresses-worth (map points)", "format": "int"},
                          {"field": "expires", "label": "Risk raised until"},
                          {"field": "days_left", "label": "Days left", "format": "number1"},
                          {"field": "area_m2", "label": "Area, m²", "format": "int", "analyst": true}]}),
        }
    }

    fn public(&self) -> bool {
        false
    }

    fn check(&self, ctx: &Context, spec: &NearRepeatSpec) -> Result<(), AppError> {
        ctx.near_repeat_for(spec).map(|_| ())
    }

    fn build(&self, ctx: &Context, spec: &NearRepeatSpec, t: TileId) -> Result<TileLayer, AppError> {
        let alert = ctx.near_repeat_for(spec)?;
        Ok(zones_layer(&alert, t))
    }
}
