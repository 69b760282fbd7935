//! [`TileLayer`]: builds one named layer of one tile from lon/lat features and encodes it as MVT 2.1.
//!
//! Encoding goes through the `mvt` crate (0.15), whose `GeomEncoder` writes the command integers and whose `Layer`
//! deduplicates keys and values (keeping them in first-use order, so the bytes are deterministic). The crate does
//! not fix winding, encodes a repeated closing vertex as an extra `LineTo`, and, when a ring starts on the very
//! point where the previous ring ended, silently drops that ring's `MoveTo` (it takes the point for a redundant
//! one), which corrupts the geometry. This module therefore hands it clean, open, oriented rings with integer
//! coordinates, and starts each ring on a vertex different from the previous ring's last one.

use mvt::{GeomData, GeomEncoder, GeomType};

use super::clip::{ClipBox, Overlap, bbox_of, clip_ring};
use super::coords::{lonlat_to_tile_px, owns_tile_px};
use super::ring::{orient, snap_ring};
use super::{BUFFER, EXTENT, TileError, TileId};

/// A feature property value, as MVT 2.1 section 4.4 allows them. Integers go out as `sint_value` (zigzag, compact
/// for negative numbers), unsigned as `uint_value`, floats as `double_value`.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (counts).
    Uint(u64),
    /// A 64-bit float.
    Double(f64),
    /// A string.
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl From<i64> for PropValue {
    fn from(v: i64) -> Self {
        PropValue::Int(v)
    }
}
impl From<i32> for PropValue {
    fn from(v: i32) -> Self {
        PropValue::Int(i64::from(v))
    }
}
impl From<u64> for PropValue {
    fn from(v: u64) -> Self {
        PropValue::Uint(v)
    }
}
impl From<u32> for PropValue {
    fn from(v: u32) -> Self {
        PropValue::Uint(u64::from(v))
    }
}
impl From<usize> for PropValue {
    fn from(v: usize) -> Self {
        PropValue::Uint(v as u64)
    }
}
impl From<f64> for PropValue {
    fn from(v: f64) -> Self {
        PropValue::Double(v)
    }
}
impl From<&str> for PropValue {
    fn from(v: &str) -> Self {
        PropValue::Text(v.to_owned())
    }
}
impl From<String> for PropValue {
    fn from(v: String) -> Self {
        PropValue::Text(v)
    }
}
impl From<bool> for PropValue {
    fn from(v: bool) -> Self {
        PropValue::Bool(v)
    }
}

/// The clip rectangle: the tile plus [`BUFFER`] on each side, in tile coordinates.
const CLIP: ClipBox = ClipBox { min: -(BUFFER as f64), max: (EXTENT + BUFFER) as f64 };

/// A polygon in tile coordinates, ready to encode: exterior ring first (positive area), then holes (negative).
type TilePolygon = Vec<Vec<[i32; 2]>>;

/// A builder for one named layer of one tile (MVT 2.1: one `Layer` message, `extent` 4096, version 2).
///
/// Features are given in lon/lat, projected to the tile's coordinates, clipped and snapped; each `add_*` says
/// whether anything of the feature was kept. [`TileLayer::encode`] gives the bytes of a one-layer tile, or `None`
/// when nothing was kept (the server answers 204). Features are written in the order they were added, and keys and
/// values in the order of first use: the same calls give the same bytes.
///
/// # Example
///
/// ```
/// use hotspots::tiles::{PropValue, TileLayer, tile_for_lonlat};
/// let Some(tile) = tile_for_lonlat(-1.98, 50.72, 14) else { unreachable!() };
/// let mut layer = TileLayer::new(tile, "incidents");
/// assert!(layer.add_point(-1.98, 50.72, true, &[("category", PropValue::from("Burglary"))]));
/// let bytes = layer.encode()?.expect("one feature");
/// assert!(!bytes.is_empty());
/// # Ok::<(), hotspots::tiles::TileError>(())
/// ```
pub struct TileLayer {
    tile: TileId,
    name: String,
    layer: mvt::Layer,
    len: usize,
    /// The first encoding error met, returned by `encode` (never expected: see [`TileError::Encode`]).
    error: Option<TileError>,
}

impl TileLayer {
    /// An empty layer called `name` in `tile`.
    #[must_use]
    pub fn new(tile: TileId, name: &str) -> Self {
        TileLayer { tile, name: name.to_owned(), layer: mvt::Tile::new(EXTENT).create_layer(name), len: 0, error: None }
    }

    /// The tile this layer belongs to.
    #[must_use]
    pub fn tile(&self) -> TileId {
        self.tile
    }

    /// The layer's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a point given in lon/lat, rounded to the nearest tile unit.
    ///
    /// With `own_only` the point is kept only if this tile owns it (inside the tile proper, by the half-open rule
    /// of [`super::tile_contains_lonlat`]), so that summing a point layer over the tiles covering an area counts
    /// every point once. Without it, points in the [`BUFFER`] around the tile are kept too (for symbols that
    /// straddle tile edges). Returns whether the point was kept; a non-finite coordinate is never kept.
    pub fn add_point(&mut self, lon: f64, lat: f64, own_only: bool, props: &[(&str, PropValue)]) -> bool {
        let (px, py) = lonlat_to_tile_px(self.tile, lon, lat);
        let keep = if own_only {
            owns_tile_px(self.tile, px, py)
        } else {
            (CLIP.min..=CLIP.max).contains(&px) && (CLIP.min..=CLIP.max).contains(&py)
        };
        if !keep {
            return false;
        }
        // Within the buffered tile, so the casts are exact.
        let geometry = GeomEncoder::<i32>::new(GeomType::Point).point(px.round() as i32, py.round() as i32);
        self.push_feature(geometry.and_then(GeomEncoder::encode), props)
    }

    /// Adds a polygon given as lon/lat rings: the first is the exterior, the rest are holes; each may be closed or
    /// open, with any winding.
    ///
    /// Each ring is projected to tile coordinates, clipped to the tile plus [`BUFFER`] (Sutherland–Hodgman, in
    /// floating point, skipped for rings entirely inside; a concave ring leaving and re-entering the box may keep
    /// zero-width edges along the box border, in the buffer, which MVT renderers accept), rounded to integers,
    /// cleaned of repeated, collinear and spike vertices, left open (no repeated closing vertex) and oriented for
    /// MVT 2.1: exterior clockwise on screen (positive surveyor's area with y down), holes counter-clockwise.
    /// Holes that vanish are dropped; if the exterior vanishes (or has a non-finite coordinate) the whole polygon
    /// is dropped. Returns whether anything was kept.
    pub fn add_polygon(&mut self, rings_lonlat: &[Vec<[f64; 2]>], props: &[(&str, PropValue)]) -> bool {
        let Some(polygon) = self.polygon_to_tile(rings_lonlat) else { return false };
        self.push_feature(polygons_geometry(&[polygon]), props)
    }

    /// Adds a multipolygon as one feature: each polygon as in [`TileLayer::add_polygon`]; polygons with nothing
    /// left are dropped. Returns whether any polygon was kept.
    pub fn add_multipolygon(&mut self, polys_lonlat: &[Vec<Vec<[f64; 2]>>], props: &[(&str, PropValue)]) -> bool {
        let polygons: Vec<TilePolygon> = polys_lonlat.iter().filter_map(|rings| self.polygon_to_tile(rings)).collect();
        if polygons.is_empty() {
            return false;
        }
        self.push_feature(polygons_geometry(&polygons), props)
    }

    /// Adds a line given as lon/lat points, as one feature: the points are rounded to tile units, repeated ones
    /// dropped, and the line is cut into pieces where it leaves the tile plus one tile's width around it (the
    /// renderer clips the rest); pieces of fewer than two points are dropped. Returns whether anything was kept.
    pub fn add_line(&mut self, points_lonlat: &[[f64; 2]], props: &[(&str, PropValue)]) -> bool {
        let far = f64::from(EXTENT);
        let mut pieces: Vec<Vec<[i32; 2]>> = vec![Vec::new()];
        for p in points_lonlat {
            let (px, py) = lonlat_to_tile_px(self.tile, p[0], p[1]);
            let inside = px.is_finite()
                && py.is_finite()
                && (-far..=2.0 * far).contains(&px)
                && (-far..=2.0 * far).contains(&py);
            let cur = pieces.last_mut().filter(|_| inside);
            match cur {
                Some(piece) => {
                    let q = [px.round() as i32, py.round() as i32];
                    if piece.last() != Some(&q) {
                        piece.push(q);
                    }
                }
                None => pieces.push(Vec::new()),
            }
        }
        pieces.retain(|p| p.len() >= 2);
        if pieces.is_empty() {
            return false;
        }
        let geometry = (|| {
            let mut encoder = GeomEncoder::<i32>::new(GeomType::Linestring);
            for piece in &pieces {
                for &[x, y] in piece {
                    encoder.add_point(x, y)?;
                }
                encoder.complete_geom()?;
            }
            encoder.encode()
        })();
        self.push_feature(geometry, props)
    }

    /// The number of features kept so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no feature was kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Encodes the layer as the bytes of a one-layer tile (extent 4096, keys and values deduplicated), or `None`
    /// if the layer has no feature (the server answers 204 No Content).
    ///
    /// # Errors
    ///
    /// [`TileError::Encode`] if the `mvt` crate refused a feature or the tile.
    pub fn encode(self) -> Result<Option<Vec<u8>>, TileError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.len == 0 {
            return Ok(None);
        }
        let encode_error =
            |e: mvt::Error| TileError::Encode { tile: self.tile, layer: self.name.clone(), message: e.to_string() };
        let mut tile = mvt::Tile::new(EXTENT);
        tile.add_layer(self.layer).map_err(encode_error)?;
        tile.to_bytes().map(Some).map_err(encode_error)
    }

    /// One lon/lat polygon in tile coordinates, or `None` if nothing of it is left in the buffered tile.
    fn polygon_to_tile(&self, rings_lonlat: &[Vec<[f64; 2]>]) -> Option<TilePolygon> {
        let (exterior, holes) = rings_lonlat.split_first()?;
        let mut polygon = vec![self.ring_to_tile(exterior, true)?];
        polygon.extend(holes.iter().filter_map(|hole| self.ring_to_tile(hole, false)));
        Some(polygon)
    }

    /// One ring: project, clip if needed, snap, clean, orient. `None` if it vanishes or is not finite.
    fn ring_to_tile(&self, ring_lonlat: &[[f64; 2]], exterior: bool) -> Option<Vec<[i32; 2]>> {
        let open = match ring_lonlat {
            [first, .., last] if first == last => &ring_lonlat[..ring_lonlat.len() - 1],
            _ => ring_lonlat,
        };
        let ring_px: Vec<[f64; 2]> = open
            .iter()
            .map(|&[lon, lat]| {
                let (px, py) = lonlat_to_tile_px(self.tile, lon, lat);
                [px, py]
            })
            .collect();
        if ring_px.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        let mut ring = match CLIP.overlap(bbox_of(&ring_px)) {
            Overlap::Outside => return None,
            Overlap::Inside => snap_ring(&ring_px),
            Overlap::Partial => snap_ring(&clip_ring(&ring_px, CLIP)),
        }?;
        orient(&mut ring, exterior);
        Some(ring)
    }

    /// Appends a feature with its properties (a repeated key keeps its first value: MVT 2.1 section 4.4 forbids
    /// two tags with the same key in one feature).
    fn push_feature(&mut self, geometry: Result<GeomData, mvt::Error>, props: &[(&str, PropValue)]) -> bool {
        let geometry = match geometry {
            Ok(geometry) => geometry,
            Err(e) => {
                let error = TileError::Encode { tile: self.tile, layer: self.name.clone(), message: e.to_string() };
                self.error.get_or_insert(error);
                return false;
            }
        };
        let mut feature = std::mem::take(&mut self.layer).into_feature(geometry);
        for (i, (key, value)) in props.iter().enumerate() {
            if props[..i].iter().any(|(k, _)| k == key) {
                continue;
            }
            match value {
                PropValue::Int(v) => feature.add_tag_sint(key, *v),
                PropValue::Uint(v) => feature.add_tag_uint(key, *v),
                PropValue::Double(v) => feature.add_tag_double(key, *v),
                PropValue::Text(v) => feature.add_tag_string(key, v),
                PropValue::Bool(v) => feature.add_tag_bool(key, *v),
            }
        }
        self.layer = feature.into_layer();
        self.len += 1;
        true
    }
}

/// The MVT geometry of some polygons (clean, open, oriented integer rings, exterior first in each).
///
/// Works around `mvt` 0.15's `GeomEncoder`: it skips a point equal to the previous one, and when that point is the
/// first of a ring (equal to the previous ring's last) it drops the ring's `MoveTo` too. Each ring is therefore
/// started (rotated, which keeps its orientation) at a vertex different from where the previous ring ended.
fn polygons_geometry(polygons: &[TilePolygon]) -> Result<GeomData, mvt::Error> {
    let mut encoder = GeomEncoder::<i32>::new(GeomType::Polygon);
    let mut cursor: Option<[i32; 2]> = None;
    for ring in polygons.iter().flatten() {
        let n = ring.len();
        let start = cursor.and_then(|c| ring.iter().position(|&p| p != c)).unwrap_or(0);
        for k in 0..n {
            let [x, y] = ring[(start + k) % n];
            encoder.add_point(x, y)?;
        }
        encoder.complete_geom()?;
        cursor = Some(ring[(start + n - 1) % n]);
    }
    encoder.encode()
}

#[cfg(test)]
mod tests;
