//! Writes a small PMTiles basemap in the protomaps schema (layers `earth`, `roads`, `places`) around Poole, for the
//! browser test of `serve --basemap FILE.pmtiles`: land, the streets of the police.uk map points in
//! `fixtures/police-uk/` as roads (each street's points joined in order along it; names as published, "On or near "
//! left out), and a few towns by name. Test data, not a map to trust: real basemaps come from a PMTiles extract.
//!
//! `cargo run --example make_basemap -- OUT.pmtiles`

use hotspots::analysis::naming::{is_generic, street_of};
use hotspots::tiles::{PropValue, TileId, TileLayer, tile_bounds_lonlat, tiles_covering_lonlat};
use pmtiles::{PmTilesWriter, TileCoord, TileType};
use std::collections::BTreeMap;
use std::io::Write;

/// The area mapped: Poole and Bournemouth, `[west, south, east, north]`.
const BBOX: [f64; 4] = [-2.06, 50.68, -1.82, 50.78];
const MIN_ZOOM: u8 = 10;
const MAX_ZOOM: u8 = 14;
/// Towns (name, lon, lat): their centres.
const TOWNS: &[(&str, f64, f64)] = &[
    ("Poole", -1.9836, 50.7151),
    ("Bournemouth", -1.8795, 50.7192),
    ("Parkstone", -1.9480, 50.7240),
    ("Hamworthy", -2.0110, 50.7170),
    ("Broadstone", -1.9950, 50.7580),
    ("Canford Heath", -1.9650, 50.7500),
    ("Westbourne", -1.9070, 50.7220),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: make_basemap OUT.pmtiles")?;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("police-uk");
    // Street -> its distinct map points.
    let mut streets: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "csv")) {
        let mut r = csv::Reader::from_path(f)?;
        let h = r.headers()?.clone();
        let col = |n: &str| h.iter().position(|c| c == n).ok_or(format!("{}: no {n} column", f.display()));
        let (lon_c, lat_c, loc_c) = (col("Longitude")?, col("Latitude")?, col("Location")?);
        for rec in r.records() {
            let rec = rec?;
            let (Ok(lon), Ok(lat)) = (rec[lon_c].parse::<f64>(), rec[lat_c].parse::<f64>()) else { continue };
            if !(BBOX[0]..=BBOX[2]).contains(&lon) || !(BBOX[1]..=BBOX[3]).contains(&lat) || is_generic(&rec[loc_c]) {
                continue;
            }
            let pts = streets.entry(street_of(&rec[loc_c]).to_owned()).or_default();
            if !pts.contains(&(lon, lat)) {
                pts.push((lon, lat));
            }
        }
    }
    // Each street's points in order along its longer extent.
    let lines: Vec<(String, Vec<[f64; 2]>)> = streets
        .into_iter()
        .filter(|(_, p)| p.len() >= 2)
        .map(|(name, mut p)| {
            let span = |f: fn(&(f64, f64)) -> f64| {
                p.iter().map(f).fold(f64::MIN, f64::max) - p.iter().map(f).fold(f64::MAX, f64::min)
            };
            if span(|q| q.0) >= span(|q| q.1) * 1.6 {
                p.sort_by(|a, b| a.0.total_cmp(&b.0));
            } else {
                p.sort_by(|a, b| a.1.total_cmp(&b.1));
            }
            (name, p.into_iter().map(|(x, y)| [x, y]).collect())
        })
        .collect();
    let file = std::fs::File::create(&out)?;
    let metadata = r#"{"name":"hotspots test basemap","vector_layers":[{"id":"earth","fields":{}},{"id":"roads","fields":{"kind":"String","name":"String","min_zoom":"Number"}},{"id":"places","fields":{"kind":"String","name":"String","min_zoom":"Number","population_rank":"Number"}}],"attribution":"street names: police.uk map points (OGL v3)"}"#;
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(MIN_ZOOM)
        .max_zoom(MAX_ZOOM)
        .bounds(BBOX[0], BBOX[1], BBOX[2], BBOX[3])
        .center(-1.95, 50.72)
        .center_zoom(12)
        .metadata(metadata)
        .create(file)?;
    let mut n = 0;
    for z in MIN_ZOOM..=MAX_ZOOM {
        for t in tiles_covering_lonlat(BBOX, z) {
            let tile = encode(t, &lines)?;
            w.add_tile(TileCoord::new(t.z, t.x, t.y)?, &tile)?;
            n += 1;
        }
    }
    w.finalize()?;
    writeln!(std::io::stdout(), "wrote {n} tiles (zoom {MIN_ZOOM}-{MAX_ZOOM}) to {out}")?;
    Ok(())
}

/// One tile: the land, the roads crossing it, the towns in it. Layers are concatenated messages of one tile.
fn encode(t: TileId, lines: &[(String, Vec<[f64; 2]>)]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let mut earth = TileLayer::new(t, "earth");
    earth.add_polygon(
        &[vec![[w - 1.0, s - 1.0], [e + 1.0, s - 1.0], [e + 1.0, n + 1.0], [w - 1.0, n + 1.0]]],
        &[("kind", PropValue::Text("earth".into()))],
    );
    let mut roads = TileLayer::new(t, "roads");
    for (name, pts) in lines {
        let major = name.starts_with('A') && name[1..].chars().all(|c| c.is_ascii_digit());
        roads.add_line(
            pts,
            &[
                ("kind", PropValue::Text(if major { "major_road" } else { "minor_road" }.into())),
                ("name", PropValue::Text(name.clone())),
                ("min_zoom", PropValue::Uint(if major { 10 } else { 13 })),
            ],
        );
    }
    let mut places = TileLayer::new(t, "places");
    for (k, &(name, lon, lat)) in TOWNS.iter().enumerate() {
        places.add_point(
            lon,
            lat,
            true,
            &[
                ("kind", PropValue::Text("locality".into())),
                ("name", PropValue::Text(name.into())),
                ("min_zoom", PropValue::Uint(if k < 2 { 8 } else { 11 })),
                ("population_rank", PropValue::Uint(if k < 2 { 12 } else { 9 })),
            ],
        );
    }
    let mut bytes = Vec::new();
    for layer in [earth, roads, places] {
        if let Some(b) = layer.encode()? {
            bytes.extend(b);
        }
    }
    Ok(bytes)
}
