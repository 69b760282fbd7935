//! Web Mercator tile maths and Mapbox Vector Tile (MVT) encoding.
//!
//! This module knows nothing of HTTP or SQLite: the server asks it for the bounds of a tile, adds the features it
//! found there to a [`TileLayer`] and gets back the bytes of a tile (or `None` for an empty one, answered with 204).
//! It follows the layering of maplibre/martin: pure tile maths ([`TileId`] and the functions of this module), then
//! per-tile processing (project, clip, snap to the tile grid, orient: [`TileLayer`]), then encoding (the `mvt`
//! crate).
//!
//! # Coordinate spaces
//!
//! - `lonlat`: WGS84 degrees, `[lon, lat]`.
//! - `mercator_m`: EPSG:3857 metres, x east and y north, the world spanning `±`[`ORIGIN_SHIFT_M`].
//! - `tile_px`: the integer grid of one tile, `0..`[`EXTENT`] in x (east) and in y (**down**, south), as the MVT
//!   2.1 specification defines it (section 4.3, "Geometry Encoding"). Features may reach [`BUFFER`] units beyond
//!   the tile on every side, so that lines and polygon edges do not show seams where tiles meet.
//!
//! # Which tile owns a point
//!
//! Tile ranges are half-open: a point belongs to tile `x` when its world position `a = (lon + 180) / 360 · 2^z`
//! satisfies `x <= a < x + 1`, and likewise in y (counted from the north). A point on the edge between two tiles
//! belongs to the east or south one. The world's own east and south edges (`lon = 180`, and latitudes at or below
//! the Mercator limit) belong to the last column and row, so every point with `-180 <= lon <= 180` has exactly one
//! tile at each zoom. [`TileLayer::add_point`] with `own_only` and [`cluster_points`] apply this rule, so that
//! summing a point layer over the tiles covering an area ([`tiles_covering_lonlat`]) counts every point once.
//!
//! # MVT 2.1 rules this module enforces
//!
//! Polygons are clipped to the tile plus [`BUFFER`], rounded to integers, cleaned of repeated and degenerate
//! vertices and given the winding the specification requires (section 4.3.4.4, "Polygon Geometry Type"): exterior
//! rings clockwise on screen, that is positive area by the surveyor's formula in tile coordinates with y down, and
//! interior rings counter-clockwise; no ring repeats its first vertex before `ClosePath`. Keys and values are
//! deduplicated per layer (section 4.4, "Feature Attributes").

mod clip;
mod cluster;
mod coords;
mod layer;
mod ring;
#[cfg(test)]
mod test_support;
mod tile_id;

pub use cluster::{Cluster, cluster_points};
pub use coords::{
    EARTH_RADIUS_M, MAX_LAT, ORIGIN_SHIFT_M, lonlat_to_mercator, lonlat_to_tile_px, mercator_to_lonlat,
    tile_bounds_lonlat, tile_bounds_mercator, tile_contains_lonlat, tile_for_lonlat, tile_px_to_lonlat,
    tiles_covering_lonlat,
};
pub use layer::{PropValue, TileLayer};
pub use tile_id::{TileError, TileId};

/// The size of a tile in tile units: coordinates run over `0..EXTENT` in x and y (MVT 2.1, section 4.3).
pub const EXTENT: u32 = 4096;

/// How far, in tile units, polygons reach beyond the tile on each side: they are clipped to
/// `[-BUFFER, EXTENT + BUFFER]²`, so that their edges do not show at tile seams.
pub const BUFFER: u32 = 64;

/// The deepest zoom level a [`TileId`] may have.
pub const MAX_ZOOM: u8 = 22;
