//! The JSON a public map reads: the index (periods, groups, layers, the lattice, the disclosure control, totals
//! and hotspot lists), the summary of one period and group, and its hotspots as GeoJSON. `hotspots publish` writes
//! the index as `index.json`; `serve --public` answers the same documents.

use super::lattice::{
    BANDWIDTH_M, CELL_M, GROUPS, H3_RESOLUTION, HOT_SHARE, HOTSPOT_RULE, MAX_HOTSPOTS, MAX_ZOOM, MIN_ZOOM, Period,
};
use super::products::{Product, PublicHotspot, Published};
use super::tiles::layer_names;
use crate::model::time::format_instant;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The disclosure-control method in words.
pub const METHOD: &str = "fixed random rounding to base b with cell keys: each incident has a secret 32-bit record \
    key; a count's cell key is the sum of its incidents' record keys (mod 2^32), as in the ONS 2021 Census cell-key \
    method; a count n = qb + r is published as (q+1)b when cell_key / 2^32 < r/b, else qb (unbiased; the same \
    incidents always round the same way)";

/// What the method guarantees, in words.
pub const GUARANTEES: [&str; 5] = [
    "every published count is a multiple of the base, so no sum or difference of published answers is between 1 \
     and base - 1",
    "a true count from 1 to base - 1 is published as 0 or the base",
    "the same incidents always give the same published value: asking again or another way draws no fresh noise to \
     average away",
    "every public number (densities, hexagons, hotspots, totals, quarters) is computed from the rounded counts of \
     whole months, 250 m cells, boundary areas and published groups only; positions and bounds come from published \
     cells or outlines, never from incidents",
    "harm is not published",
];

fn period_json(p: Period) -> Value {
    let w = p.window();
    json!({"id": p.id(), "kind": p.kind(), "label": p.label(),
        "from": w.map(|w| format_instant(w.from_s)), "to": w.map(|w| format_instant(w.to_s))})
}

fn hotspot_json(h: &PublicHotspot) -> Value {
    json!({
        "id": h.id,
        "rank": h.rank,
        "incidents": h.incidents,
        "previous": h.previous,
        "groups": h.groups.iter().map(|(g, n)| (g.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "peak_per_km2": h.peak_per_km2,
        "centre_lonlat": h.centre_lonlat,
        "area_m2": h.area_m2,
        "cells": h.cells.len(),
    })
}

/// The latest published month (the default period).
pub fn latest(p: &Published) -> Option<Period> {
    p.periods.iter().copied().filter(|q| matches!(q, Period::Month(_))).max()
}

/// The index of a published map. `tiles` says where its tiles are: `{"pmtiles": "hotspots.pmtiles"}` for an
/// archive, `{"url": "/tiles/public/{z}/{x}/{y}.mvt"}` for a server.
pub fn index_json(p: &Published, tiles: Value) -> Value {
    let groups: Vec<Value> = GROUPS
        .iter()
        .map(|g| {
            let cats: Value = match g.id {
                "all" => json!("every category"),
                "other" => json!(["Drugs", "Other crime", "every category not listed in another group"]),
                _ => json!(g.categories),
            };
            json!({"id": g.id, "label": g.label, "categories": cats})
        })
        .collect();
    let mut summary: BTreeMap<String, BTreeMap<&str, u32>> = BTreeMap::new();
    let mut hotspots: BTreeMap<String, BTreeMap<&str, Vec<Value>>> = BTreeMap::new();
    for q in &p.products {
        summary.entry(q.period.id()).or_default().insert(GROUPS[q.group].id, q.total);
        hotspots
            .entry(q.period.id())
            .or_default()
            .insert(GROUPS[q.group].id, q.hotspots.iter().map(hotspot_json).collect());
    }
    let mut layers = vec![
        json!({"id": "density", "property": "d:{period}:{group}", "unit": "incidents per km² in the period",
            "help": "Where incidents concentrate: a kernel density (quartic, 500 m) of the published 250 m cell counts"}),
        json!({"id": "hex", "property": "n:{period}:{group}", "unit": "incidents",
            "help": "Published incidents per H3 hexagon (resolution 8), each hexagon the 250 m cells whose centre it holds"}),
    ];
    for a in &p.areas {
        layers.push(json!({"id": format!("areas-{}", a.name), "property": "n:{period}:{group}", "unit": "incidents",
            "help": format!("Published incidents per area of {}", a.name)}));
    }
    layers.push(json!({"id": "hotspots", "filter": ["period", "group"], "unit": "incidents",
        "help": HOTSPOT_RULE}));
    debug_assert_eq!(layers.len(), layer_names(p).len());
    let centre = p.bounds_lonlat.map(|b| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]);
    json!({
        "format": "hotspots-public/1",
        "periods": p.periods.iter().map(|&q| period_json(q)).collect::<Vec<_>>(),
        "months": p.periods.iter().filter(|q| matches!(q, Period::Month(_))).map(|q| q.id()).collect::<Vec<_>>(),
        "quarters": p.periods.iter().filter(|q| matches!(q, Period::Quarter(_))).map(|q| q.id()).collect::<Vec<_>>(),
        "latest": latest(p).map(|q| q.id()),
        "groups": groups,
        "layers": layers,
        "lattice": {
            "periods": "calendar months (UTC) the store holds completely, and rolling quarters of three such months",
            "cell_m": CELL_M,
            "crs": p.tables.crs.to_string(),
            "bandwidth_m": BANDWIDTH_M,
            "kernel": "quartic",
            "h3_resolution": H3_RESOLUTION,
            "hot_share": HOT_SHARE,
            "max_hotspots": MAX_HOTSPOTS,
            "hotspot_rule": HOTSPOT_RULE,
        },
        "disclosure_control": {
            "method": METHOD,
            "base": p.tables.base,
            "guarantees": GUARANTEES,
            // Rounded up to the base like every public count (the exact figures are the publisher's).
            "left_out": {
                "year_only": p.tables.left_out.year_only.div_ceil(u64::from(p.tables.base)) * u64::from(p.tables.base),
                "month_not_held": p.tables.left_out.month_not_held.div_ceil(u64::from(p.tables.base)) * u64::from(p.tables.base),
                "rounding": "up to a multiple of the base",
            },
        },
        "bounds": p.bounds_lonlat,
        "center": centre,
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        "summary": summary,
        "hotspots": hotspots,
        "tiles": tiles,
    })
}

/// The summary of a period and group: its published total, the other groups' totals, the monthly series of the
/// group, and the period before when it is published.
pub fn summary_json(p: &Published, period: Period, group: usize) -> Option<Value> {
    let q = p.product(period, group)?;
    let series: Vec<Value> = p
        .periods
        .iter()
        .filter(|x| matches!(x, Period::Month(_)))
        .filter_map(|&m| p.product(m, group).map(|x| json!({"period": m.id(), "count": x.total})))
        .collect();
    let groups: serde_json::Map<String, Value> = (0..GROUPS.len())
        .filter_map(|g| p.product(period, g).map(|x| (GROUPS[g].id.to_owned(), json!(x.total))))
        .collect();
    Some(json!({
        "period": period_json(period),
        "group": GROUPS[group].id,
        "incidents": q.total,
        "previous": p.product(period.previous(), group).map(|x| x.total),
        "groups": groups,
        "series": series,
        "base": p.tables.base,
    }))
}

/// The hotspots of a period and group as a GeoJSON FeatureCollection (outlines and facts).
pub fn hotspots_geojson(p: &Published, period: Period, group: usize) -> Option<Value> {
    let q: &Product = p.product(period, group)?;
    let features: Vec<Value> = q
        .hotspots
        .iter()
        .map(|h| {
            json!({"type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": h.outline_lonlat},
                "properties": hotspot_json(h)})
        })
        .collect();
    Some(json!({"type": "FeatureCollection", "features": features, "period": period.id(), "group": GROUPS[group].id,
        "rule": HOTSPOT_RULE}))
}
