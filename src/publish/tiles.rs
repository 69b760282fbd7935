//! The public vector tiles: every published period and group in one tile set, so one archive serves the whole map.
//!
//! A tile holds the layers `density`, `hex`, `hotspots` and `areas-{name}` (one MVT layer each; the tile is their
//! encodings one after the other, which protobuf reads as one `Tile` message with several layers). A feature
//! carries one property per period and group where its value is not zero: `d:{period}:{group}` (density per km² of
//! the density layer's cells) and `n:{period}:{group}` (published incidents of a hexagon or area). A hotspot is one
//! feature per period and group, with `period`, `group`, `id`, `rank`, `incidents` and `previous`. Below the zoom
//! where a 250 m cell spans 32 tile units, blocks of cells show their mean density.

use super::lattice::{CELL_M, GROUPS, MAX_ZOOM, MIN_ZOOM};
use super::products::{Published, cell_centre};
use super::tables::CellId;
use crate::analysis::hex::{hex_boundary_lonlat, hex_centre_lonlat};
use crate::tiles::{PropValue, TileError, TileId, TileLayer, tile_bounds_lonlat};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// The layer names of a published tile set, in drawing order.
pub fn layer_names(p: &Published) -> Vec<String> {
    let mut v = vec!["density".to_owned(), "hex".to_owned()];
    v.extend(p.areas.iter().map(|a| format!("areas-{}", a.name)));
    v.push("hotspots".to_owned());
    v
}

/// The property key of a period and group: `{prefix}:{period}:{group}`.
pub fn key(prefix: char, period: &str, group: usize) -> String {
    format!("{prefix}:{period}:{}", GROUPS[group].id)
}

/// One public tile, or `None` when nothing public lies in it; zooms outside [`MIN_ZOOM`]..=[`MAX_ZOOM`] are
/// `None` too.
pub fn tile(p: &Published, t: TileId) -> Result<Option<Vec<u8>>, TileError> {
    if t.z < MIN_ZOOM || t.z > MAX_ZOOM {
        return Ok(None);
    }
    let mut out = Vec::new();
    for layer in [density(p, t), hex(p, t)].into_iter().chain(areas(p, t)).chain([hotspots(p, t)]) {
        if let Some(bytes) = layer.encode()? {
            out.extend_from_slice(&bytes);
        }
    }
    Ok((!out.is_empty()).then_some(out))
}

fn keys(p: &Published, prefix: char) -> Vec<String> {
    p.products.iter().map(|q| key(prefix, &q.period.id(), q.group)).collect()
}

fn inside(b: [f64; 4], tile: [f64; 4]) -> bool {
    b[0] <= tile[2] && b[2] >= tile[0] && b[1] <= tile[3] && b[3] >= tile[1]
}

/// Cells whose mean density shows in the tile, in blocks.
fn density(p: &Published, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "density");
    if p.grid.is_none() {
        return layer;
    }
    let bounds = tile_bounds_lonlat(t);
    // The tile's box in metres, from its corners and edge midpoints.
    let [w, s, e, n] = bounds;
    let pts = [
        (w, s),
        (e, s),
        (w, n),
        (e, n),
        ((w + e) / 2.0, s),
        ((w + e) / 2.0, n),
        (w, (s + n) / 2.0),
        (e, (s + n) / 2.0),
    ];
    let xy: Vec<(f64, f64)> = pts.iter().filter_map(|&(lon, lat)| p.projector.from_lonlat(lon, lat)).collect();
    if xy.len() != pts.len() {
        return layer;
    }
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| xy.iter().map(pick).fold(init, f);
    let (x0, x1) = (fold(f64::min, f64::INFINITY, |v| v.0), fold(f64::max, f64::NEG_INFINITY, |v| v.0));
    let (y0, y1) = (fold(f64::min, f64::INFINITY, |v| v.1), fold(f64::max, f64::NEG_INFINITY, |v| v.1));
    let cell_px = CELL_M / (x1 - x0) * 4096.0;
    let block: i64 = if cell_px >= 32.0 { 1 } else { (32.0 / cell_px).ceil() as i64 };
    let span = CELL_M * block as f64;
    let (c0, c1) = (((x0 - span) / CELL_M).floor() as i64, ((x1 + span) / CELL_M).ceil() as i64);
    let (r0, r1) = (((y0 - span) / CELL_M).floor() as i64, ((y1 + span) / CELL_M).ceil() as i64);
    // Blocks (aligned to multiples of `block` so neighbouring tiles agree) holding any density, in order.
    let mut blocks: BTreeSet<CellId> = BTreeSet::new();
    for q in &p.products {
        for &(c, r) in q.density.keys() {
            if c >= c0 && c < c1 && r >= r0 && r < r1 {
                blocks.insert((c.div_euclid(block), r.div_euclid(block)));
            }
        }
    }
    let keys = keys(p, 'd');
    let cells_per_block = (block * block) as f64;
    for &(bc, br) in &blocks {
        let mut props: Vec<(&str, PropValue)> = Vec::new();
        for (q, k) in p.products.iter().zip(&keys) {
            let mut sum = 0.0;
            for r in br * block..(br + 1) * block {
                for c in bc * block..(bc + 1) * block {
                    sum += q.density.get(&(c, r)).copied().unwrap_or(0.0);
                }
            }
            let mean = super::products::three_figures(sum / cells_per_block);
            if mean > 0.0 {
                props.push((k.as_str(), PropValue::Double(mean)));
            }
        }
        if props.is_empty() {
            continue;
        }
        let (xa, ya) = (bc as f64 * span, br as f64 * span);
        let ring: Option<Vec<[f64; 2]>> = [(xa, ya), (xa + span, ya), (xa + span, ya + span), (xa, ya + span)]
            .iter()
            .map(|&(x, y)| p.projector.to_lonlat(x, y).map(|(a, b)| [a, b]))
            .collect();
        if let Some(ring) = ring {
            layer.add_polygon(&[ring], &props);
        }
    }
    layer
}

/// Hexagons whose centre lies in the tile (with a margin), with their published incidents.
fn hex(p: &Published, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "hex");
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let (mw, mh) = ((e - w) * 0.1, (n - s) * 0.1);
    let keys = keys(p, 'n');
    let mut by_hex: BTreeMap<u64, Vec<(usize, u32)>> = BTreeMap::new();
    for (k, q) in p.products.iter().enumerate() {
        for (&h, &c) in &q.hex {
            if c > 0 {
                by_hex.entry(h).or_default().push((k, c));
            }
        }
    }
    for (h, values) in by_hex {
        let Ok((lon, lat)) = hex_centre_lonlat(h) else { continue };
        if lon < w - mw || lon > e + mw || lat < s - mh || lat > n + mh {
            continue;
        }
        let Ok(ring) = hex_boundary_lonlat(h) else { continue };
        let ring: Vec<[f64; 2]> = ring.into_iter().map(|(x, y)| [x, y]).collect();
        let h3 = format!("{h:x}");
        let mut props: Vec<(&str, PropValue)> = vec![("h3", PropValue::Text(h3))];
        props.extend(values.iter().map(|&(k, c)| (keys[k].as_str(), PropValue::Uint(u64::from(c)))));
        layer.add_polygon(&[ring], &props);
    }
    layer
}

/// The boundary layers: outlines with `key`, `name` and their published incidents.
fn areas(p: &Published, t: TileId) -> Vec<TileLayer> {
    let tb = tile_bounds_lonlat(t);
    let keys = keys(p, 'n');
    p.areas
        .iter()
        .enumerate()
        .map(|(l, a)| {
            let mut layer = TileLayer::new(t, &format!("areas-{}", a.name));
            for (k, outline) in a.outlines.iter().enumerate() {
                if !inside(a.bboxes[k], tb) {
                    continue;
                }
                let mut props: Vec<(&str, PropValue)> =
                    vec![("key", PropValue::Text(a.keys[k].clone())), ("name", PropValue::Text(a.names[k].clone()))];
                for (q, key) in p.products.iter().zip(&keys) {
                    let n = q.areas.get(l).and_then(|v| v.get(k)).copied().unwrap_or(0);
                    if n > 0 {
                        props.push((key.as_str(), PropValue::Uint(u64::from(n))));
                    }
                }
                layer.add_multipolygon(outline, &props);
            }
            layer
        })
        .collect()
}

/// Every product's hotspots that reach the tile.
fn hotspots(p: &Published, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "hotspots");
    let tb = tile_bounds_lonlat(t);
    let mut bbox_cache: FxHashMap<(usize, usize), [f64; 4]> = FxHashMap::default();
    for (k, q) in p.products.iter().enumerate() {
        let period = q.period.id();
        for (j, h) in q.hotspots.iter().enumerate() {
            let b = *bbox_cache.entry((k, j)).or_insert_with(|| {
                let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                for v in h.outline_lonlat.iter().flatten().flatten() {
                    b = [b[0].min(v[0]), b[1].min(v[1]), b[2].max(v[0]), b[3].max(v[1])];
                }
                b
            });
            if !inside(b, tb) {
                continue;
            }
            let mut props = vec![
                ("period", PropValue::Text(period.clone())),
                ("group", PropValue::Text(GROUPS[q.group].id.to_owned())),
                ("id", PropValue::Text(h.id.clone())),
                ("rank", PropValue::Uint(h.rank as u64)),
                ("incidents", PropValue::Uint(u64::from(h.incidents))),
            ];
            if let Some(prev) = h.previous {
                props.push(("previous", PropValue::Uint(u64::from(prev))));
            }
            layer.add_multipolygon(&h.outline_lonlat, &props);
        }
    }
    layer
}

/// The tiles of the published tile set: every tile from [`MIN_ZOOM`] to [`MAX_ZOOM`] meeting the published bounds
/// (grown by the bandwidth) or a boundary layer.
pub fn tile_ids(p: &Published) -> Vec<TileId> {
    let Some(b) = p.tile_bounds_lonlat else { return Vec::new() };
    (MIN_ZOOM..=MAX_ZOOM).flat_map(|z| crate::tiles::tiles_covering_lonlat(b, z)).collect()
}

/// The centre of a cell in lon/lat (for tests and answers).
pub fn cell_centre_lonlat(p: &Published, c: CellId) -> Option<[f64; 2]> {
    let (x, y) = cell_centre(c);
    p.projector.to_lonlat(x, y).map(|(a, b)| [a, b])
}
