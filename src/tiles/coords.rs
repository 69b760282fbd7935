//! Web Mercator (EPSG:3857) and tile coordinate maths.
//!
//! Formulas: the spherical Mercator of EPSG:3857 (`x = R·λ`, `y = R·asinh(tan φ)`, `R` the WGS84 semi-major axis)
//! and the XYZ tile scheme (the world square split into `2^z × 2^z` tiles, rows counted from the north), as in
//! the OpenStreetMap wiki page "Slippy map tilenames" and maplibre/martin's `tile_utils`. Tile coordinates follow
//! MVT 2.1 section 4.3: `0..EXTENT` across the tile, y down.
//!
//! Everything here is a pure function of its arguments and never panics: non-finite input gives non-finite output
//! (or no tile), and latitudes are clamped to the Mercator limit [`MAX_LAT`].

use std::f64::consts::PI;

use super::{EXTENT, MAX_ZOOM, TileId};

/// The sphere radius of EPSG:3857, the WGS84 semi-major axis, in metres.
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// Half the width of the Mercator world square, `π·R` (about 20,037,508.34 m): the world spans
/// `[-ORIGIN_SHIFT_M, ORIGIN_SHIFT_M]` in x and y.
pub const ORIGIN_SHIFT_M: f64 = PI * EARTH_RADIUS_M;

/// The latitude, in degrees, at which the Mercator world becomes square (`atan(sinh π)`); latitudes beyond
/// `±MAX_LAT` are clamped to it.
pub const MAX_LAT: f64 = 85.051_128_78;

/// WGS84 lon/lat (degrees) to EPSG:3857 metres, `(x_m, y_m)`. The latitude is clamped to `±`[`MAX_LAT`]; the
/// longitude is not wrapped.
///
/// ```
/// let (x_m, y_m) = hotspots::tiles::lonlat_to_mercator(180.0, 0.0);
/// assert!((x_m - hotspots::tiles::ORIGIN_SHIFT_M).abs() < 1e-6 && y_m == 0.0);
/// ```
#[must_use]
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    (EARTH_RADIUS_M * lon.to_radians(), EARTH_RADIUS_M * lat.to_radians().tan().asinh())
}

/// EPSG:3857 metres to WGS84 lon/lat in degrees, the inverse of [`lonlat_to_mercator`].
#[must_use]
pub fn mercator_to_lonlat(x_m: f64, y_m: f64) -> (f64, f64) {
    ((x_m / EARTH_RADIUS_M).to_degrees(), (y_m / EARTH_RADIUS_M).sinh().atan().to_degrees())
}

/// The position of a lon/lat as a fraction of the world square, `(0, 0)` at the north-west corner and `(1, 1)`
/// at the south-east one. The latitude is clamped (so y is within `[0, 1]`); the longitude is not.
fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    let world_y = 0.5 - lat.to_radians().tan().asinh() / (2.0 * PI);
    ((lon + 180.0) / 360.0, world_y.clamp(0.0, 1.0))
}

/// The latitude in degrees of a position `world_y` (a fraction of the world square from the north).
fn world_y_to_lat(world_y: f64) -> f64 {
    (PI * (1.0 - 2.0 * world_y)).sinh().atan().to_degrees()
}

/// The tile index containing world position `a` (in tiles), for a world `n` tiles wide: `floor(a)`, with the far
/// edge `a == n` (and anything beyond) in the last tile and anything before 0 in the first.
fn tile_index(a: f64, n: f64) -> u32 {
    // n <= 2^22 here, so the cast is exact; NaN casts to 0.
    a.floor().clamp(0.0, n - 1.0) as u32
}

/// The tile's bounds in EPSG:3857 metres, `[min_x, min_y, max_x, max_y]`.
///
/// ```
/// use hotspots::tiles::{ORIGIN_SHIFT_M, TileId, tile_bounds_mercator};
/// let world = tile_bounds_mercator(TileId { z: 0, x: 0, y: 0 });
/// assert_eq!(world, [-ORIGIN_SHIFT_M, -ORIGIN_SHIFT_M, ORIGIN_SHIFT_M, ORIGIN_SHIFT_M]);
/// ```
#[must_use]
pub fn tile_bounds_mercator(tile: TileId) -> [f64; 4] {
    let size_m = 2.0 * ORIGIN_SHIFT_M / tile.tiles_per_side();
    let (x, y) = (f64::from(tile.x), f64::from(tile.y));
    [
        -ORIGIN_SHIFT_M + x * size_m,
        ORIGIN_SHIFT_M - (y + 1.0) * size_m,
        -ORIGIN_SHIFT_M + (x + 1.0) * size_m,
        ORIGIN_SHIFT_M - y * size_m,
    ]
}

/// The tile's bounds in WGS84 degrees, `[west, south, east, north]`.
#[must_use]
pub fn tile_bounds_lonlat(tile: TileId) -> [f64; 4] {
    let n = tile.tiles_per_side();
    let (x, y) = (f64::from(tile.x), f64::from(tile.y));
    [x / n * 360.0 - 180.0, world_y_to_lat((y + 1.0) / n), (x + 1.0) / n * 360.0 - 180.0, world_y_to_lat(y / n)]
}

/// A lon/lat in the tile's coordinates: `(0, 0)` at its north-west corner, `(EXTENT, EXTENT)` at its south-east
/// one, y growing downwards (MVT 2.1, section 4.3.1). Not rounded, and not limited to the tile: points beyond it
/// get coordinates beyond `0..EXTENT`.
///
/// ```
/// use hotspots::tiles::{TileId, lonlat_to_tile_px};
/// assert_eq!(lonlat_to_tile_px(TileId { z: 1, x: 1, y: 1 }, 0.0, 0.0), (0.0, 0.0));
/// ```
#[must_use]
pub fn lonlat_to_tile_px(tile: TileId, lon: f64, lat: f64) -> (f64, f64) {
    let n = tile.tiles_per_side();
    let (world_x, world_y) = lonlat_to_world(lon, lat);
    let extent = f64::from(EXTENT);
    // world·n − x is exact near the tile (Sterbenz), so the half-open ownership tests below agree between
    // neighbouring tiles to the last bit.
    ((world_x * n - f64::from(tile.x)) * extent, (world_y * n - f64::from(tile.y)) * extent)
}

/// Tile coordinates (y down) back to lon/lat, the inverse of [`lonlat_to_tile_px`].
#[must_use]
pub fn tile_px_to_lonlat(tile: TileId, px: f64, py: f64) -> (f64, f64) {
    let n = tile.tiles_per_side();
    let extent = f64::from(EXTENT);
    let world_x = (f64::from(tile.x) + px / extent) / n;
    let world_y = (f64::from(tile.y) + py / extent) / n;
    (world_x * 360.0 - 180.0, world_y_to_lat(world_y))
}

/// Whether the tile owns this point under the half-open rule of the module documentation: its tile coordinates are
/// in `[0, EXTENT)` in x and y, or up to `EXTENT` inclusive in the world's last column or row. Equivalent to
/// `tile_for_lonlat(lon, lat, tile.z) == Some(tile)` for a valid tile.
#[must_use]
pub fn tile_contains_lonlat(tile: TileId, lon: f64, lat: f64) -> bool {
    let (px, py) = lonlat_to_tile_px(tile, lon, lat);
    owns_tile_px(tile, px, py)
}

/// The ownership rule of [`tile_contains_lonlat`] on tile coordinates from [`lonlat_to_tile_px`]: `[0, EXTENT)`,
/// closed at the world's east and south edges. False for NaN.
pub(crate) fn owns_tile_px(tile: TileId, px: f64, py: f64) -> bool {
    let last = tile.tiles_per_side() - 1.0;
    let extent = f64::from(EXTENT);
    let inside = |v: f64, index: u32| v >= 0.0 && (v < extent || (v <= extent && f64::from(index) == last));
    inside(px, tile.x) && inside(py, tile.y)
}

/// The one tile at zoom `z` that owns the point (see [`tile_contains_lonlat`]), or `None` when the point has no
/// tile: `z` beyond [`MAX_ZOOM`], a coordinate not finite, or a longitude outside `[-180, 180]`. Latitudes beyond
/// the Mercator limit fall in the first or last row.
#[must_use]
pub fn tile_for_lonlat(lon: f64, lat: f64, z: u8) -> Option<TileId> {
    if z > MAX_ZOOM || !lon.is_finite() || !lat.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return None;
    }
    let n = 2f64.powi(i32::from(z));
    let (world_x, world_y) = lonlat_to_world(lon, lat);
    Some(TileId { z, x: tile_index(world_x * n, n), y: tile_index(world_y * n, n) })
}

/// The tiles at zoom `z` that cover a lon/lat box `[west, south, east, north]`, row by row from the north-west:
/// exactly the tiles that own (by [`tile_for_lonlat`]) some point of the box. Longitudes are clamped to
/// `[-180, 180]`. Empty when `z` exceeds [`MAX_ZOOM`], a bound is NaN, or `west > east` or `south > north` (boxes
/// across the antimeridian are not supported).
///
/// ```
/// use hotspots::tiles::tiles_covering_lonlat;
/// assert_eq!(tiles_covering_lonlat([-180.0, -90.0, 180.0, 90.0], 1).count(), 4);
/// ```
pub fn tiles_covering_lonlat(bbox_lonlat: [f64; 4], z: u8) -> impl Iterator<Item = TileId> {
    let [west, south, east, north] = bbox_lonlat;
    let valid = z <= MAX_ZOOM && !bbox_lonlat.iter().any(|v| v.is_nan()) && west <= east && south <= north;
    let (mut x_first, mut x_last, mut y_first, mut y_last) = (1, 0, 1, 0);
    if valid {
        let n = 2f64.powi(i32::from(z));
        let (west_x, north_y) = lonlat_to_world(west.clamp(-180.0, 180.0), north);
        let (east_x, south_y) = lonlat_to_world(east.clamp(-180.0, 180.0), south);
        (x_first, x_last) = (tile_index(west_x * n, n), tile_index(east_x * n, n));
        (y_first, y_last) = (tile_index(north_y * n, n), tile_index(south_y * n, n));
    }
    (y_first..=y_last).flat_map(move |y| (x_first..=x_last).map(move |x| TileId { z, x, y }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::test_support::Lcg;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn mercator_round_trips() {
        let mut rng = Lcg::new(1);
        for _ in 0..10_000 {
            let (lon, lat) = (rng.uniform(-180.0, 180.0), rng.uniform(-MAX_LAT, MAX_LAT));
            let (x_m, y_m) = lonlat_to_mercator(lon, lat);
            let (lon2, lat2) = mercator_to_lonlat(x_m, y_m);
            assert!(close(lon, lon2, 1e-9) && close(lat, lat2, 1e-9), "{lon},{lat} -> {lon2},{lat2}");
        }
        // Known values (EPSG:3857): Greenwich, the equator, and the world's corners.
        assert_eq!(lonlat_to_mercator(0.0, 0.0), (0.0, 0.0));
        let (x_m, y_m) = lonlat_to_mercator(-180.0, MAX_LAT);
        assert!(close(x_m, -ORIGIN_SHIFT_M, 1e-6) && close(y_m, ORIGIN_SHIFT_M, 0.01), "{x_m} {y_m}");
        // Beyond the Mercator limit the latitude is clamped, not infinite.
        assert_eq!(lonlat_to_mercator(10.0, 90.0), lonlat_to_mercator(10.0, MAX_LAT));
        assert_eq!(lonlat_to_mercator(10.0, -95.0), lonlat_to_mercator(10.0, -MAX_LAT));
    }

    #[test]
    fn mercator_matches_proj4rs() {
        // The reference implementation: proj4rs's EPSG:3857, through the crate's own projector.
        use crate::geo::{CrsDef, Projector};
        let Ok(Ok(reference)) = CrsDef::parse("EPSG:3857").map(|def| Projector::new_metric(&def)) else {
            panic!("EPSG:3857 is in the built-in table")
        };
        let mut rng = Lcg::new(4);
        for _ in 0..1_000 {
            let (lon, lat) = (rng.uniform(-180.0, 180.0), rng.uniform(-85.0, 85.0));
            let Some((x_ref, y_ref)) = reference.from_lonlat(lon, lat) else { panic!("proj4rs refused {lon},{lat}") };
            let (x_m, y_m) = lonlat_to_mercator(lon, lat);
            assert!(close(x_m, x_ref, 1e-6) && close(y_m, y_ref, 1e-6), "{lon},{lat}: {x_m},{y_m} vs {x_ref},{y_ref}");
        }
    }

    #[test]
    fn tile_and_lonlat_round_trip() {
        let mut rng = Lcg::new(2);
        for _ in 0..2_000 {
            let z = (rng.next_u64() % 23) as u8;
            let (lon, lat) = (rng.uniform(-180.0, 180.0), rng.uniform(-85.0, 85.0));
            let Some(tile) = tile_for_lonlat(lon, lat, z) else { panic!("{lon},{lat} has no tile at z{z}") };
            let (px, py) = lonlat_to_tile_px(tile, lon, lat);
            assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py), "{px} {py}");
            let (lon2, lat2) = tile_px_to_lonlat(tile, px, py);
            assert!(close(lon, lon2, 1e-9) && close(lat, lat2, 1e-9));
        }
    }

    #[test]
    fn zoom_zero_is_the_whole_world() {
        let world = TileId { z: 0, x: 0, y: 0 };
        assert_eq!(tile_bounds_mercator(world), [-ORIGIN_SHIFT_M, -ORIGIN_SHIFT_M, ORIGIN_SHIFT_M, ORIGIN_SHIFT_M]);
        let [west, south, east, north] = tile_bounds_lonlat(world);
        assert_eq!((west, east), (-180.0, 180.0));
        assert!(close(south, -MAX_LAT, 1e-8) && close(north, MAX_LAT, 1e-8), "{south} {north}");
    }

    #[test]
    fn tile_bounds_agree_in_both_spaces_and_tile_the_world() {
        let tile = TileId { z: 13, x: 4062, y: 2752 };
        let [min_x, min_y, max_x, max_y] = tile_bounds_mercator(tile);
        let [west, south, east, north] = tile_bounds_lonlat(tile);
        let (w_m, s_m) = lonlat_to_mercator(west, south);
        let (e_m, n_m) = lonlat_to_mercator(east, north);
        for (a, b) in [(min_x, w_m), (min_y, s_m), (max_x, e_m), (max_y, n_m)] {
            assert!(close(a, b, 1e-6), "{a} {b}");
        }
        assert!(close(max_x - min_x, 2.0 * ORIGIN_SHIFT_M / 8192.0, 1e-6));
        // Neighbours share edges exactly.
        let east_tile = tile_bounds_mercator(TileId { x: 4063, ..tile });
        let south_tile = tile_bounds_mercator(TileId { y: 2753, ..tile });
        assert_eq!(east_tile[0], max_x);
        assert_eq!(south_tile[3], min_y);
        assert!(north > south && east > west);
    }

    #[test]
    fn corners_map_to_0_and_extent_with_y_down() {
        for tile in [TileId { z: 0, x: 0, y: 0 }, TileId { z: 13, x: 4062, y: 2752 }, TileId { z: 22, x: 5, y: 9 }] {
            let [west, south, east, north] = tile_bounds_lonlat(tile);
            let (px, py) = lonlat_to_tile_px(tile, west, north);
            // Within 1e-4 tile units: 0.2 µm at zoom 22 (the lat round trip near the poles costs a few ulps).
            assert!(close(px, 0.0, 1e-4) && close(py, 0.0, 1e-4), "{tile}: NW at {px},{py}");
            let (px, py) = lonlat_to_tile_px(tile, east, south);
            assert!(close(px, 4096.0, 1e-4) && close(py, 4096.0, 1e-4), "{tile}: SE at {px},{py}");
            // y grows downwards: further south is further down.
            let mid_lon = (west + east) / 2.0;
            let (_, py_north) = lonlat_to_tile_px(tile, mid_lon, north - (north - south) * 0.25);
            let (_, py_south) = lonlat_to_tile_px(tile, mid_lon, north - (north - south) * 0.75);
            assert!(py_north < py_south);
        }
    }

    #[test]
    fn edges_belong_to_the_east_and_south_tile() {
        // (0, 0) is the corner of the four tiles of zoom 1: it belongs to the south-east one, (1, 1).
        assert_eq!(tile_for_lonlat(0.0, 0.0, 1), Some(TileId { z: 1, x: 1, y: 1 }));
        let owners: Vec<TileId> = tiles_covering_lonlat([-180.0, -90.0, 180.0, 90.0], 1)
            .filter(|&t| tile_contains_lonlat(t, 0.0, 0.0))
            .collect();
        assert_eq!(owners, vec![TileId { z: 1, x: 1, y: 1 }]);
        // The world's east and south edges belong to the last column and row.
        assert_eq!(tile_for_lonlat(180.0, -90.0, 2), Some(TileId { z: 2, x: 3, y: 3 }));
        assert!(tile_contains_lonlat(TileId { z: 2, x: 3, y: 3 }, 180.0, -90.0));
        assert_eq!(tile_for_lonlat(-180.0, 90.0, 2), Some(TileId { z: 2, x: 0, y: 0 }));
        // No tile for what is not on the map.
        assert_eq!(tile_for_lonlat(180.5, 0.0, 2), None);
        assert_eq!(tile_for_lonlat(f64::NAN, 0.0, 2), None);
        assert_eq!(tile_for_lonlat(0.0, 0.0, 23), None);
        assert!(!tile_contains_lonlat(TileId { z: 0, x: 0, y: 0 }, f64::NAN, 0.0));
    }

    #[test]
    fn ownership_agrees_with_tile_for_lonlat_on_and_off_edges() {
        let mut rng = Lcg::new(3);
        let z = 14;
        let base = tile_for_lonlat(-1.9, 50.7, z).unwrap_or(TileId { z, x: 0, y: 0 });
        for _ in 0..5_000 {
            // Half the points exactly on tile edges or corners, as computed by tile_bounds_lonlat.
            let dx = (rng.next_u64() % 3) as u32;
            let dy = (rng.next_u64() % 3) as u32;
            let [west, south, east, north] = tile_bounds_lonlat(TileId { z, x: base.x + dx, y: base.y + dy });
            let (lon, lat) = match rng.next_u64() % 4 {
                0 => (west, north),
                1 => (rng.uniform(west, east), south),
                2 => (east, rng.uniform(south, north)),
                _ => (rng.uniform(west, east), rng.uniform(south, north)),
            };
            let owner = tile_for_lonlat(lon, lat, z);
            let owners: Vec<TileId> = tiles_covering_lonlat([west - 1.0, south - 1.0, east + 1.0, north + 1.0], z)
                .filter(|&t| tile_contains_lonlat(t, lon, lat))
                .collect();
            assert_eq!(owners.len(), 1, "{lon},{lat} owned by {owners:?}");
            assert_eq!(Some(owners[0]), owner);
        }
    }

    #[test]
    fn covering_tiles_are_the_owners_of_the_box() {
        let bbox = [-2.05, 50.68, -1.85, 50.78];
        let tiles: Vec<TileId> = tiles_covering_lonlat(bbox, 12).collect();
        // By hand: x = (lon + 180) / 360 · 4096 gives 2024.67 and 2026.95; y = (0.5 − asinh(tan φ) / 2π) · 4096
        // gives 1375.4 for 50.78° and 1377.6 for 50.68°.
        let expected: Vec<TileId> =
            (1375..=1377).flat_map(|y| (2024..=2026).map(move |x| TileId { z: 12, x, y })).collect();
        assert_eq!(tiles, expected, "row by row from the north-west");
        for (lon, lat) in [(bbox[0], bbox[1]), (bbox[2], bbox[3]), (bbox[0], bbox[3]), (-1.95, 50.73)] {
            let Some(owner) = tile_for_lonlat(lon, lat, 12) else { panic!("no tile") };
            assert!(tiles.contains(&owner));
        }
        assert_eq!(tiles_covering_lonlat([-180.0, -90.0, 180.0, 90.0], 0).count(), 1);
        assert_eq!(tiles_covering_lonlat([-200.0, -90.0, 200.0, 90.0], 3).count(), 64);
        assert_eq!(tiles_covering_lonlat([1.0, 0.0, 0.0, 1.0], 3).count(), 0, "west > east");
        assert_eq!(tiles_covering_lonlat([0.0, 1.0, 1.0, 0.0], 3).count(), 0, "south > north");
        assert_eq!(tiles_covering_lonlat([f64::NAN, 0.0, 1.0, 1.0], 3).count(), 0);
        assert_eq!(tiles_covering_lonlat([0.0, 0.0, 1.0, 1.0], 23).count(), 0);
        // A point box has exactly its owner.
        let owner = tile_for_lonlat(-1.9, 50.7, 16);
        assert_eq!(tiles_covering_lonlat([-1.9, 50.7, -1.9, 50.7], 16).collect::<Vec<_>>(), Vec::from_iter(owner));
    }

    #[test]
    fn maths_never_panics_on_odd_tiles() {
        let odd = TileId { z: 255, x: u32::MAX, y: u32::MAX };
        let _ = tile_bounds_mercator(odd);
        let _ = tile_bounds_lonlat(odd);
        let _ = lonlat_to_tile_px(odd, 0.0, 0.0);
        let _ = tile_px_to_lonlat(odd, 1.0, 1.0);
        assert!(!tile_contains_lonlat(odd, 0.0, 0.0));
        let _ = lonlat_to_mercator(f64::NAN, f64::INFINITY);
    }
}
