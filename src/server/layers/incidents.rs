//! `incidents`: the selected incidents, clustered below zoom 15 and one point per distinct location above, with
//! their count, most common category and location text. Never served in public mode.

use super::{LayerDef, LayerInfo, fields};
use crate::analysis::pipeline::AnalysisParams;
use crate::server::context::{Analysis, Context, PointIndex};
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer, cluster_points};
use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::json;

/// Below this zoom incidents are clustered.
pub const CLUSTER_BELOW_ZOOM: u8 = 15;
/// Cluster bin, tile units (of 4096).
const CLUSTER_BIN_PX: u32 = 64;
const INDEX_ZOOM: u8 = 10;

fn z10_of(lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << INDEX_ZOOM);
    let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, n - 1.0) as u32;
    let lat_r = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
        .floor()
        .clamp(0.0, n - 1.0) as u32;
    (x, y)
}

fn point_index(ctx: &Context, a: &Analysis) -> PointIndex {
    let (lon, lat) = (ctx.ds.lon(), ctx.ds.lat());
    let mut by_tile: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
    for &i in &a.prepared.selection.indices {
        by_tile.entry(z10_of(lon[i as usize], lat[i as usize])).or_default().push(i);
    }
    PointIndex { by_tile }
}

/// Dataset indices of the selected incidents that may lie in a tile.
fn incidents_near(ctx: &Context, a: &Analysis, t: TileId) -> Vec<u32> {
    let idx = a.point_index.get_or_init(|| point_index(ctx, a));
    let mut out = Vec::new();
    if t.z >= INDEX_ZOOM {
        let shift = t.z - INDEX_ZOOM;
        if let Some(v) = idx.by_tile.get(&(t.x >> shift, t.y >> shift)) {
            out.extend_from_slice(v);
        }
    } else {
        let shift = INDEX_ZOOM - t.z;
        let (x0, y0) = (t.x << shift, t.y << shift);
        let span = 1u32 << shift;
        let mut keys: Vec<&(u32, u32)> =
            idx.by_tile.keys().filter(|(x, y)| *x >= x0 && *x < x0 + span && *y >= y0 && *y < y0 + span).collect();
        keys.sort_unstable();
        for k in keys {
            out.extend_from_slice(&idx.by_tile[k]);
        }
    }
    out.sort_unstable();
    out
}

/// The incidents layer: clusters below [`CLUSTER_BELOW_ZOOM`], else one point per distinct location with `count`.
fn incidents(ctx: &Context, a: &Analysis, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "incidents");
    let near = incidents_near(ctx, a, t);
    let (lon, lat, cats, locs) = (ctx.ds.lon(), ctx.ds.lat(), ctx.ds.category_ids(), ctx.ds.location_ids());
    // "Burglary (3); Drugs (1)": the types of the members, most first (at most `max`).
    let times = ctx.ds.time_s();
    let types = |members: &[u32], max: usize| {
        let mut counts: FxHashMap<u16, u64> = FxHashMap::default();
        for &i in members {
            *counts.entry(cats[i as usize]).or_insert(0) += 1;
        }
        let mut v: Vec<(u16, u64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.iter()
            .take(max)
            .map(|&(c, n)| format!("{} ({n})", ctx.ds.categories().name(u32::from(c)).unwrap_or("")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    // "2024-01 (2); 2024-03 (1)": the months of the members, in time order.
    let months = |members: &[u32]| {
        let mut m: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
        for &i in members {
            *m.entry(crate::model::time::month_label(times[i as usize])).or_insert(0) += 1;
        }
        m.into_iter().map(|(k, n)| format!("{k} ({n})")).collect::<Vec<_>>().join("; ")
    };
    let top_category = |members: &[u32]| {
        let mut counts: FxHashMap<u16, u64> = FxHashMap::default();
        for &i in members {
            *counts.entry(cats[i as usize]).or_insert(0) += 1;
        }
        let best = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(c, _)| c);
        best.and_then(|c| ctx.ds.categories().name(u32::from(c))).unwrap_or("").to_owned()
    };
    if t.z < CLUSTER_BELOW_ZOOM {
        let pts: Vec<(f64, f64)> = near.iter().map(|&i| (lon[i as usize], lat[i as usize])).collect();
        for c in cluster_points(t, &pts, CLUSTER_BIN_PX) {
            let members: Vec<u32> = c.members.iter().map(|&m| near[m]).collect();
            let points: FxHashSet<(u64, u64)> =
                members.iter().map(|&i| (lon[i as usize].to_bits(), lat[i as usize].to_bits())).collect();
            // Clusters are built from the tile's own points; their mean may sit a hair across the edge once
            // converted back to lon/lat, so they are not re-tested for ownership.
            layer.add_point(
                c.lon,
                c.lat,
                false,
                &[
                    ("count", PropValue::Uint(members.len() as u64)),
                    ("top_category", PropValue::Text(top_category(&members))),
                    ("points", PropValue::Uint(points.len() as u64)),
                    ("categories", PropValue::Text(types(&members, 5))),
                ],
            );
        }
    } else {
        // One point per distinct location, in dataset order of first appearance.
        let mut groups: Vec<(u64, u64, Vec<u32>)> = Vec::new();
        let mut slot: FxHashMap<(u64, u64), usize> = FxHashMap::default();
        for &i in &near {
            let key = (lon[i as usize].to_bits(), lat[i as usize].to_bits());
            let g = *slot.entry(key).or_insert_with(|| {
                groups.push((key.0, key.1, Vec::new()));
                groups.len() - 1
            });
            groups[g].2.push(i);
        }
        for (x, y, members) in groups {
            let first = members[0] as usize;
            let mut props = vec![
                ("count", PropValue::Uint(members.len() as u64)),
                ("top_category", PropValue::Text(top_category(&members))),
                ("points", PropValue::Uint(1)),
                ("categories", PropValue::Text(types(&members, usize::MAX))),
                ("months", PropValue::Text(months(&members))),
            ];
            if let Some(text) = ctx.ds.locations().name(locs[first]).filter(|_| locs[first] != crate::model::NONE_ID) {
                props.push(("location", PropValue::Text(text.to_owned())));
            }
            layer.add_point(f64::from_bits(x), f64::from_bits(y), true, &props);
        }
    }
    layer
}

pub(super) struct Incidents;

impl LayerDef for Incidents {
    type Spec = AnalysisParams;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "incidents".into(),
            title: "Individual incidents".into(),
            help: "Each incident at its published map point; circles group nearby incidents when zoomed out.".into(),
            minzoom: 0,
            maxzoom: 20,
            fields: fields(&[
                ("count", "Number"),
                ("top_category", "String"),
                ("location", "String"),
                ("points", "Number"),
                ("categories", "String"),
                ("months", "String"),
            ]),
            params: Vec::new(),
            mode: "map",
            order: 80,
            default_on: false,
            style: json!({"kind": "points", "property": "count", "colours": ["#23395d"],
                "popup": [{"field": "location", "label": "Where", "format": "street"},
                          {"field": "count", "label": "Incidents", "format": "int"},
                          {"field": "categories", "label": "Types", "format": "list"},
                          {"field": "months", "label": "Months", "format": "months"}],
                "note": {"field": "points", "one": "All at one published map point: police.uk shows them there, so they cannot be told apart by zooming in.", "many": "Zoom in to see them at their map points."}}),
        }
    }

    fn public(&self) -> bool {
        false
    }

    fn build(&self, ctx: &Context, spec: &AnalysisParams, t: TileId) -> Result<TileLayer, AppError> {
        Ok(match ctx.analysis(spec)? {
            Some(a) => incidents(ctx, &a, t),
            None => TileLayer::new(t, "incidents"),
        })
    }
}
