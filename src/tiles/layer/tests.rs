//! Tests of [`TileLayer`]: every tile produced is decoded (by mvt-reader and by the strict reader of
//! `test_support`) and checked against the MVT 2.1 invariants.

use mvt_reader::feature::Value;

use super::*;
use crate::tiles::test_support::{
    Lcg, area2, assert_clean_ring, decode_features, raw_layer, reader_rings, strict_polygon_rings,
};
use crate::tiles::{tile_bounds_lonlat, tile_contains_lonlat, tile_px_to_lonlat, tiles_covering_lonlat};

/// A tile over Poole, Dorset.
const TILE: TileId = TileId { z: 14, x: 8101, y: 5495 };

/// A ring given in TILE's coordinates, as lon/lat.
fn lonlat(ring_px: &[[f64; 2]]) -> Vec<[f64; 2]> {
    ring_px
        .iter()
        .map(|&[px, py]| {
            let (lon, lat) = tile_px_to_lonlat(TILE, px, py);
            [lon, lat]
        })
        .collect()
}

/// An axis-aligned rectangle in tile coordinates, clockwise on screen (positive area with y down).
fn rect_px(x0: f64, y0: f64, x1: f64, y1: f64) -> Vec<[f64; 2]> {
    vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
}

/// Encodes a layer that must not be empty.
fn bytes_of(layer: TileLayer) -> Vec<u8> {
    match layer.encode() {
        Ok(Some(bytes)) => bytes,
        other => panic!("expected a tile, got {other:?}"),
    }
}

/// The polygon rings of the only feature of a tile, read strictly, after checking that mvt-reader reads the same
/// rings and that every ring is clean with the MVT 2.1 winding.
fn polygon_rings(bytes: &[u8]) -> Vec<Vec<[i32; 2]>> {
    let features = decode_features(bytes, "polys");
    assert_eq!(features.len(), 1);
    let raw = raw_layer(bytes);
    assert_eq!(raw.features[0].0, 3, "POLYGON type");
    let strict = strict_polygon_rings(&raw.features[0].2);
    let by_reader: Vec<Vec<[i32; 2]>> = reader_rings(&features[0]).into_iter().flatten().collect();
    assert_eq!(strict, by_reader, "mvt-reader and the strict reader agree");
    let mut exteriors = 0;
    for ring in &strict {
        assert_clean_ring(ring);
        if area2(ring) > 0 {
            exteriors += 1;
        } else {
            assert!(exteriors > 0, "a hole before any exterior: {strict:?}");
        }
    }
    strict
}

fn polygon_layer(rings_lonlat: &[Vec<[f64; 2]>]) -> (bool, TileLayer) {
    let mut layer = TileLayer::new(TILE, "polys");
    let kept = layer.add_polygon(rings_lonlat, &[]);
    (kept, layer)
}

#[test]
fn an_empty_layer_encodes_to_none() {
    let layer = TileLayer::new(TILE, "empty");
    assert!(layer.is_empty());
    assert_eq!(layer.len(), 0);
    assert_eq!(layer.encode(), Ok(None));
    let (kept, layer) = polygon_layer(&[lonlat(&rect_px(5000.0, 0.0, 5100.0, 100.0))]);
    assert!(!kept && layer.is_empty());
    assert_eq!(layer.encode(), Ok(None));
}

#[test]
fn points_are_rounded_and_carry_their_properties() {
    let mut layer = TileLayer::new(TILE, "points");
    let (lon, lat) = tile_px_to_lonlat(TILE, 100.4, 200.6);
    assert!(layer.add_point(lon, lat, true, &[("category", "Burglary".into()), ("count", 3u64.into())]));
    assert_eq!((layer.len(), layer.tile(), layer.name()), (1, TILE, "points"));
    let bytes = bytes_of(layer);
    let features = decode_features(&bytes, "points");
    let geo_types::Geometry::MultiPoint(points) = &features[0].geometry else { panic!("{features:?}") };
    assert_eq!(points.0.iter().map(|p| (p.x(), p.y())).collect::<Vec<_>>(), vec![(100, 201)]);
    let props = features[0].properties.clone().unwrap_or_default();
    assert_eq!(props.get("category"), Some(&Value::String("Burglary".into())));
    assert_eq!(props.get("count"), Some(&Value::UInt(3)));
}

#[test]
fn own_only_keeps_only_the_tiles_own_points() {
    let mut layer = TileLayer::new(TILE, "points");
    let at = |px: f64, py: f64| tile_px_to_lonlat(TILE, px, py);
    let (lon, lat) = at(2000.0, 2000.0);
    assert!(layer.add_point(lon, lat, true, &[]), "inside: kept");
    let (lon, lat) = at(-30.0, 10.0);
    assert!(!layer.add_point(lon, lat, true, &[]), "in the buffer, own only: dropped");
    assert!(layer.add_point(lon, lat, false, &[]), "in the buffer: kept");
    let (lon, lat) = at(-100.0, 10.0);
    assert!(!layer.add_point(lon, lat, false, &[]), "beyond the buffer: dropped");
    // The east and south edges belong to the neighbours; the west and north ones to this tile.
    let [west, south, east, north] = tile_bounds_lonlat(TILE);
    assert_eq!(layer.add_point(west, north, true, &[]), tile_contains_lonlat(TILE, west, north));
    assert!(!layer.add_point(east, (south + north) / 2.0, true, &[]));
    assert!(!layer.add_point((west + east) / 2.0, south, true, &[]));
    assert!(!layer.add_point(f64::NAN, lat, false, &[]));
    assert!(!layer.add_point(lon, f64::INFINITY, false, &[]));
    let kept = layer.len();
    let features = decode_features(&bytes_of(layer), "points");
    assert_eq!(features.len(), kept);
}

#[test]
fn each_point_is_counted_once_over_the_covering_tiles() {
    let mut rng = Lcg::new(11);
    let bbox = [-2.0, 50.70, -1.95, 50.74];
    let z = 15;
    let tiles: Vec<TileId> = tiles_covering_lonlat(bbox, z).collect();
    assert!(tiles.len() >= 9, "{tiles:?}");
    let mut points: Vec<(f64, f64)> =
        (0..3_000).map(|_| (rng.uniform(bbox[0], bbox[2]), rng.uniform(bbox[1], bbox[3]))).collect();
    // Points exactly on the tile edges and corners inside the box.
    for &tile in &tiles {
        let [west, south, east, north] = tile_bounds_lonlat(tile);
        for (lon, lat) in
            [(west, north), (east, south), (west, rng.uniform(south, north)), (rng.uniform(west, east), north)]
        {
            if (bbox[0]..=bbox[2]).contains(&lon) && (bbox[1]..=bbox[3]).contains(&lat) {
                points.push((lon, lat));
            }
        }
    }
    let mut owners = vec![0usize; points.len()];
    let mut kept_total = 0;
    for &tile in &tiles {
        let mut layer = TileLayer::new(tile, "points");
        for (i, &(lon, lat)) in points.iter().enumerate() {
            if layer.add_point(lon, lat, true, &[("i", i.into())]) {
                owners[i] += 1;
            }
        }
        kept_total += layer.len();
        if let Ok(Some(bytes)) = layer.encode() {
            for feature in decode_features(&bytes, "points") {
                let geo_types::Geometry::MultiPoint(mp) = feature.geometry else { panic!("points") };
                assert!(mp.0.iter().all(|p| (0..=4096).contains(&p.x()) && (0..=4096).contains(&p.y())));
            }
        }
    }
    assert_eq!(kept_total, points.len());
    assert!(owners.iter().all(|&n| n == 1), "every point in exactly one tile");
}

#[test]
fn a_square_across_the_tile_edge_is_clipped_to_the_buffer() {
    let (kept, layer) = polygon_layer(&[lonlat(&rect_px(3900.0, 1000.0, 4400.0, 1200.0))]);
    assert!(kept);
    let rings = polygon_rings(&bytes_of(layer));
    assert_eq!(rings.len(), 1);
    let xs: Vec<i32> = rings[0].iter().map(|p| p[0]).collect();
    assert_eq!((xs.iter().min(), xs.iter().max()), (Some(&3900), Some(&4160)));
    assert_eq!(area2(&rings[0]), 2 * 260 * 200);
}

#[test]
fn a_polygon_covering_the_tile_becomes_the_buffered_square() {
    let (kept, layer) = polygon_layer(&[lonlat(&rect_px(-50_000.0, -50_000.0, 50_000.0, 50_000.0))]);
    assert!(kept);
    let rings = polygon_rings(&bytes_of(layer));
    let mut ring = rings[0].clone();
    ring.sort_unstable();
    assert_eq!(ring, vec![[-64, -64], [-64, 4160], [4160, -64], [4160, 4160]]);
}

#[test]
fn exteriors_come_out_clockwise_and_holes_counter_clockwise_whatever_the_input() {
    let exterior = rect_px(100.0, 100.0, 1100.0, 1100.0);
    let hole = rect_px(400.0, 400.0, 600.0, 600.0);
    let reversed = |r: &Vec<[f64; 2]>| r.iter().rev().copied().collect::<Vec<_>>();
    let closed = |r: &Vec<[f64; 2]>| r.iter().chain(r.first()).copied().collect::<Vec<_>>();
    let mut all_bytes = Vec::new();
    for ext in [exterior.clone(), reversed(&exterior), closed(&exterior), closed(&reversed(&exterior))] {
        for h in [hole.clone(), reversed(&hole), closed(&hole)] {
            let (kept, layer) = polygon_layer(&[lonlat(&ext), lonlat(&h)]);
            assert!(kept);
            let bytes = bytes_of(layer);
            let rings = polygon_rings(&bytes);
            assert_eq!(rings.len(), 2);
            assert_eq!(area2(&rings[0]), 2 * 1000 * 1000, "exterior clockwise on screen");
            assert_eq!(area2(&rings[1]), -2 * 200 * 200, "hole counter-clockwise on screen");
            all_bytes.push(bytes);
        }
    }
    // Open or closed, either winding: the same tile, apart from where the reversed rings start.
    assert!(all_bytes.iter().all(|b| b.len() == all_bytes[0].len()));
}

#[test]
fn h3o_cells_counter_clockwise_in_lonlat_come_out_clockwise_on_screen() {
    let Ok(centre) = h3o::LatLng::new(50.72, -1.98) else { panic!("valid") };
    let cell = centre.to_cell(h3o::Resolution::Nine);
    let ring: Vec<[f64; 2]> = cell.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
    // h3o gives boundaries counter-clockwise in lon/lat (positive area with lat up): the RFC 7946 exterior
    // orientation, which is counter-clockwise on a north-up screen, hence negative in tile coordinates.
    let lonlat_area2: f64 = (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    assert!(lonlat_area2 > 0.0);
    let Some(tile) = crate::tiles::tile_for_lonlat(-1.98, 50.72, 12) else { panic!("on the map") };
    assert!(ring.iter().all(|&[lon, lat]| tile_contains_lonlat(tile, lon, lat)), "the cell is not clipped");
    for input in [ring.clone(), ring.iter().rev().copied().collect()] {
        let mut layer = TileLayer::new(tile, "polys");
        assert!(layer.add_polygon(&[input], &[("count", 4u64.into())]));
        let rings = polygon_rings(&bytes_of(layer));
        assert_eq!(rings.len(), 1);
        assert_eq!(rings[0].len(), ring.len(), "every vertex kept: {ring:?}");
        assert!(area2(&rings[0]) > 0);
    }
}

#[test]
fn polygons_with_nothing_left_are_dropped() {
    // Rounds to a single point.
    let (kept, layer) = polygon_layer(&[lonlat(&rect_px(10.1, 10.1, 10.3, 10.4))]);
    assert!(!kept);
    assert_eq!(layer.encode(), Ok(None));
    // Entirely beyond the buffer.
    assert!(!polygon_layer(&[lonlat(&rect_px(4200.0, 0.0, 4300.0, 100.0))]).0);
    // An L around the tile's north-east corner: its box overlaps the tile, its area does not.
    let l_shape =
        [[-500.0, -200.0], [4300.0, -200.0], [4300.0, 4500.0], [4200.0, 4500.0], [4200.0, -100.0], [-500.0, -100.0]];
    assert!(!polygon_layer(&[lonlat(&l_shape)]).0);
    // No rings, a degenerate ring, non-finite coordinates.
    assert!(!polygon_layer(&[]).0);
    assert!(!polygon_layer(&[lonlat(&[[0.0, 0.0], [100.0, 100.0]])]).0);
    assert!(!polygon_layer(&[vec![[f64::NAN, 50.7], [-1.9, 50.7], [-1.9, 50.8]]]).0);
    let mut layer = TileLayer::new(TILE, "polys");
    assert!(!layer.add_multipolygon(&[vec![lonlat(&rect_px(10.1, 10.1, 10.3, 10.4))], vec![]], &[]));
    assert!(layer.is_empty());
}

#[test]
fn holes_with_nothing_left_are_dropped_and_the_exterior_kept() {
    let exterior = rect_px(-1000.0, -1000.0, 5000.0, 5000.0);
    let outside_hole = rect_px(4500.0, 100.0, 4800.0, 300.0);
    let tiny_hole = rect_px(500.2, 500.2, 500.4, 500.4);
    let non_finite_hole = vec![[f64::NAN, 0.0], [1.0, 1.0], [2.0, 0.0]];
    let (kept, layer) = polygon_layer(&[lonlat(&exterior), lonlat(&outside_hole), lonlat(&tiny_hole), non_finite_hole]);
    assert!(kept);
    assert_eq!(polygon_rings(&bytes_of(layer)).len(), 1);
}

#[test]
fn rings_starting_where_the_previous_one_ended_keep_their_move_to() {
    // mvt 0.15 drops the MoveTo of a ring whose first point equals the previous ring's last: two squares sharing
    // a corner, the second starting on the first's last vertex.
    let a = vec![[100.0, 100.0], [200.0, 100.0], [200.0, 200.0], [100.0, 200.0]];
    let b = vec![[100.0, 200.0], [100.0, 300.0], [0.0, 300.0], [0.0, 200.0]];
    let as_int = |r: &Vec<[f64; 2]>| r.iter().map(|p| [p[0] as i32, p[1] as i32]).collect::<Vec<_>>();
    assert!(area2(&as_int(&a)) > 0 && area2(&as_int(&b)) > 0, "both already oriented, so not reversed");
    let mut layer = TileLayer::new(TILE, "polys");
    assert!(layer.add_multipolygon(&[vec![lonlat(&a)], vec![lonlat(&b)]], &[]));
    let rings = polygon_rings(&bytes_of(layer));
    assert_eq!(rings.len(), 2);
    assert_eq!(rings[0], as_int(&a));
    let mut second = rings[1].clone();
    let mut expected = as_int(&b);
    second.sort_unstable();
    expected.sort_unstable();
    assert_eq!(second, expected, "the second ring keeps all four vertices");
    // The same with a hole starting on the exterior's last vertex.
    let outer = vec![[0.0, 0.0], [400.0, 0.0], [400.0, 400.0], [0.0, 400.0]];
    let hole = vec![[0.0, 400.0], [200.0, 200.0], [100.0, 100.0]];
    let (kept, layer) = polygon_layer(&[lonlat(&outer), lonlat(&hole)]);
    assert!(kept);
    let rings = polygon_rings(&bytes_of(layer));
    assert_eq!(rings.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 3]);
}

#[test]
fn keys_and_values_are_deduplicated() {
    let mut layer = TileLayer::new(TILE, "points");
    let (lon, lat) = tile_px_to_lonlat(TILE, 10.0, 10.0);
    assert!(layer.add_point(lon, lat, true, &[("count", PropValue::Uint(3))]));
    assert!(layer.add_point(lon, lat, true, &[("count", PropValue::Uint(3))]));
    let raw = raw_layer(&bytes_of(layer));
    assert_eq!(raw.keys, vec!["count".to_owned()]);
    assert_eq!(raw.value_count, 1);
    assert_eq!(raw.features.iter().map(|f| f.1.clone()).collect::<Vec<_>>(), vec![vec![0, 0], vec![0, 0]]);

    // Keys in first-use order; a repeated key in one feature keeps its first value; Int(3) and Uint(3) differ.
    let mut layer = TileLayer::new(TILE, "points");
    let props = [("b", PropValue::Int(3)), ("a", PropValue::Uint(3)), ("b", PropValue::Int(4))];
    assert!(layer.add_point(lon, lat, true, &props));
    let raw = raw_layer(&bytes_of(layer));
    assert_eq!(raw.keys, vec!["b".to_owned(), "a".to_owned()]);
    assert_eq!(raw.value_count, 2);
    assert_eq!(raw.features[0].1, vec![0, 0, 1, 1]);
}

#[test]
fn property_types_survive_decoding() {
    let mut layer = TileLayer::new(TILE, "points");
    let (lon, lat) = tile_px_to_lonlat(TILE, 10.0, 10.0);
    let props = [
        ("int", PropValue::from(-5i64)),
        ("uint", PropValue::from(7u32)),
        ("double", PropValue::from(1.5)),
        ("text", PropValue::from(String::from("Poole"))),
        ("bool", PropValue::from(true)),
    ];
    assert!(layer.add_point(lon, lat, true, &props));
    let features = decode_features(&bytes_of(layer), "points");
    let decoded = features[0].properties.clone().unwrap_or_default();
    assert_eq!(decoded.get("int"), Some(&Value::SInt(-5)));
    assert_eq!(decoded.get("uint"), Some(&Value::UInt(7)));
    assert_eq!(decoded.get("double"), Some(&Value::Double(1.5)));
    assert_eq!(decoded.get("text"), Some(&Value::String("Poole".into())));
    assert_eq!(decoded.get("bool"), Some(&Value::Bool(true)));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let build = || {
        let mut layer = TileLayer::new(TILE, "polys");
        let mut rng = Lcg::new(5);
        for i in 0..200u64 {
            let (x, y) = (rng.uniform(-200.0, 4300.0), rng.uniform(-200.0, 4300.0));
            let props = [("id", PropValue::Uint(i)), ("kind", PropValue::from(if i % 3 == 0 { "a" } else { "b" }))];
            layer.add_polygon(&[lonlat(&rect_px(x, y, x + 50.0, y + 30.0))], &props);
        }
        bytes_of(layer)
    };
    assert_eq!(build(), build());
}

#[test]
fn random_polygons_always_decode_to_clean_oriented_rings() {
    // Star-shaped rings (either winding) of every size around random centres in and around the tile, with a
    // hole, at every scale from sub-pixel to many tiles: whatever survives must satisfy every invariant.
    let mut rng = Lcg::new(9);
    let mut layer = TileLayer::new(TILE, "polys");
    let mut expected = 0;
    for _ in 0..500 {
        let (cx, cy) = (rng.uniform(-3000.0, 7000.0), rng.uniform(-3000.0, 7000.0));
        let scale = 10f64.powf(rng.uniform(-1.0, 4.0));
        let n = 3 + (rng.next_u64() % 12) as usize;
        let star = |rng: &mut Lcg, r: f64| -> Vec<[f64; 2]> {
            (0..n)
                .map(|k| {
                    let angle = std::f64::consts::TAU * k as f64 / n as f64;
                    let radius = r * rng.uniform(0.5, 1.0);
                    [cx + radius * angle.cos(), cy + radius * angle.sin()]
                })
                .collect()
        };
        let mut outer = star(&mut rng, scale);
        if rng.next_u64().is_multiple_of(2) {
            outer.reverse();
        }
        let inner = star(&mut rng, scale * 0.3);
        if layer.add_polygon(&[lonlat(&outer), lonlat(&inner)], &[]) {
            expected += 1;
        }
    }
    assert!(expected > 50, "enough polygons kept to mean something: {expected}");
    let bytes = bytes_of(layer);
    let features = decode_features(&bytes, "polys");
    assert_eq!(features.len(), expected);
    for (feature, raw) in features.iter().zip(raw_layer(&bytes).features) {
        let rings = strict_polygon_rings(&raw.2);
        assert_eq!(rings, reader_rings(feature).into_iter().flatten().collect::<Vec<_>>());
        assert!(area2(&rings[0]) > 0, "first ring is an exterior");
        for ring in &rings {
            assert_clean_ring(ring);
        }
        assert!(rings[1..].iter().all(|r| area2(r) < 0), "then holes: {rings:?}");
    }
}

#[test]
fn mvt_0_15_quirks_that_this_module_works_around() {
    // If an upgrade of the `mvt` crate changes these, the workarounds in `layer.rs` may be revisited.
    let geometry = |rings: &[&[[i32; 2]]]| {
        let mut encoder = GeomEncoder::<i32>::new(GeomType::Polygon);
        for ring in rings {
            for &[x, y] in *ring {
                encoder.add_point(x, y).map_err(|e| e.to_string())?;
            }
            encoder.complete_geom().map_err(|e| e.to_string())?;
        }
        let geometry = encoder.encode().map_err(|e| e.to_string())?;
        let layer = mvt::Tile::new(EXTENT).create_layer("q").into_feature(geometry).into_layer();
        let mut tile = mvt::Tile::new(EXTENT);
        tile.add_layer(layer).map_err(|e| e.to_string())?;
        let bytes = tile.to_bytes().map_err(|e| e.to_string())?;
        Ok::<Vec<u32>, String>(raw_layer(&bytes).features[0].2.clone())
    };
    // 1. A closed ring keeps its repeated closing vertex as an extra LineTo (MoveTo 1, LineTo 4, ClosePath).
    let closed = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
    assert_eq!(geometry(&[&closed]).map(|g| g[3]), Ok((4 << 3) | 2));
    // 2. Winding is written as given: a counter-clockwise exterior stays counter-clockwise.
    let ccw = [[0, 0], [0, 10], [10, 10], [10, 0]];
    assert_eq!(geometry(&[&ccw]).map(|g| area2(&strict_polygon_rings(&g)[0]) < 0), Ok(true));
    // 3. A ring starting where the previous ended loses its MoveTo: the geometry is invalid.
    let first = [[0, 0], [10, 0], [10, 10]];
    let second = [[10, 10], [20, 10], [20, 20]];
    let Ok(g) = geometry(&[&first, &second]) else { panic!("mvt encodes it") };
    assert_eq!(g[g.len() - 7], (1 << 3) | 7, "ClosePath of the first ring");
    assert_eq!(g[g.len() - 6], (2 << 3) | 2, "then LineTo(2) with no MoveTo");
}
