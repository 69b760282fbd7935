//! `labels`: street names at their map points, from the incidents' location texts (police.uk's "On or near " left
//! out, its generic labels such as "Parking Area" skipped), so a map with no basemap still has streets to steer by.
//! The same at any window (the tiles read no parameter). Never served in public mode: map points with their street
//! are where incidents were published.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::spec::{ParamDoc, Params, SpecError};
use crate::server::context::Context;
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer, tile_bounds_lonlat};
use rustc_hash::FxHashSet;
use serde_json::json;

/// A request with no parameters: the labels are the same for every window.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct NoParams;

impl Params for NoParams {
    fn docs() -> Vec<ParamDoc> {
        Vec::new()
    }
    fn set(&mut self, _name: &str, _value: &str) -> Result<bool, SpecError> {
        Ok(false)
    }
    fn pairs(&self, _all: bool, _out: &mut Vec<(&'static str, String)>) {}
}

/// Tiles are cut into bins of this many tile units a side; a street is labelled at most once per bin (its busiest
/// point there), so a long street is named a few times, not at every map point.
const BIN_PX: f64 = 1024.0;

/// The labels of one tile: per street and bin its busiest map point, with `name` and `incidents`.
fn labels(ctx: &Context, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "labels");
    let places = ctx.places();
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let (bw, bh) = ((e - w) * BIN_PX / 4096.0, (n - s) * BIN_PX / 4096.0);
    // Busiest point first, then by position, so the choice does not depend on the order of the points.
    let mut pts: Vec<_> = places.points_in([w, s, e, n]).collect();
    pts.sort_by(|a, b| b.incidents.cmp(&a.incidents).then(a.lon.total_cmp(&b.lon)).then(a.lat.total_cmp(&b.lat)));
    let mut taken: FxHashSet<(u32, i64, i64)> = FxHashSet::default();
    for p in pts {
        let bin = (p.place, ((p.lon - w) / bw).floor() as i64, ((p.lat - s) / bh).floor() as i64);
        if !taken.insert(bin) {
            continue;
        }
        let name = &places.places[p.place as usize].name;
        layer.add_point(
            p.lon,
            p.lat,
            true,
            &[("name", PropValue::Text(name.clone())), ("incidents", PropValue::Uint(u64::from(p.incidents)))],
        );
    }
    layer
}

pub(super) struct Labels;

impl LayerDef for Labels {
    type Spec = NoParams;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "labels".into(),
            title: "Street names".into(),
            help: "Street names at the points where incidents are published, when zoomed in to street level.".into(),
            minzoom: 14,
            maxzoom: 20,
            fields: fields(&[("name", "String"), ("incidents", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 90,
            default_on: true,
            style: json!({"kind": "labels", "property": "name", "rank": "incidents", "colours": ["#1d232b"],
                "halo": "#ffffff", "size": 12}),
        }
    }

    fn public(&self) -> bool {
        false
    }

    fn build(&self, ctx: &Context, _spec: &NoParams, t: TileId) -> Result<TileLayer, AppError> {
        Ok(labels(ctx, t))
    }
}
