//! Boundary layers (beats, wards, LSOAs, council areas): polygons read from GeoJSON (honouring its `crs` member)
//! or, with the `gdal` feature, any vector format OGR reads; each incident assigned to an area by point-in-polygon
//! over an R-tree of the areas' bounding boxes; counts, harm and density per area.
//!
//! - [`geojson`] reads and validates a GeoJSON FeatureCollection of polygons ([`read_geojson`]).
//! - [`validate`] checks rings (closed, at least 4 positions, finite coordinates) with the feature named.
//! - counting incidents per area is `analysis::area_tally`, before and after per area `analysis::area_change`.
//! - [`file`](mod@file) reads a boundary file of any supported format; [`wkb`] is how the store keeps outlines.
//!
//! **Edge rule.** An incident is assigned to the **first area in file order whose polygon contains it or has it on
//! its boundary** (a point on a hole's edge is on the boundary, so it belongs to the area with the hole). A point on
//! an edge shared by two areas is therefore counted once, in the earlier of the two, and a point inside no area is
//! counted as outside the layer. Layers kept in the store keep their file order, so the rule gives the same answer
//! after a round trip through the store.

pub mod file;
pub mod geojson;
#[cfg(feature = "gdal")]
pub mod ogr;
pub mod validate;
pub mod wkb;

pub use geojson::{FieldChoice, SourceLayer, read_geojson};

use geo::{BoundingRect, Intersects};
use geo_types::{MultiPolygon, Point};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};
use std::path::Path;

/// Errors reading or checking a boundary layer.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file as the user named it.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a FeatureCollection of polygons the reader accepts (the detail says why).
    #[error("{path}: {detail}")]
    Invalid {
        /// The file as the user named it.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
    #[error(
        "{path}: the CRS '{crs}' is not one this build can convert ({reason}); nothing was imported. Re-project \
         the file to lon/lat (for example `ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson`) or to a CRS named by \
         an EPSG code such as EPSG:27700"
    )]
    /// The layer's CRS cannot be converted to WGS84 by this build; nothing was imported.
    UnknownCrs {
        /// The file as the user named it.
        path: String,
        /// The CRS the file declares.
        crs: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// One feature is unusable (no polygon geometry, an open or short ring, a non-finite coordinate, ...).
    #[error("{path}: feature {index} ({}): {detail}", key.as_deref().unwrap_or("no key"))]
    Feature {
        /// The file as the user named it.
        path: String,
        /// 1-based number of the feature in the file.
        index: usize,
        /// The feature's key, when it could be read.
        key: Option<String>,
        /// What is wrong with it.
        detail: String,
    },
    #[error(
        "{path}: features {first} and {second} both have the key '{key}' in field '{field}': keys must be unique \
         in a layer (choose another --key, or fix the file)"
    )]
    /// Two features share a key; keys must be unique in a layer.
    DuplicateKey {
        /// The file as the user named it.
        path: String,
        /// The property the keys were read from.
        field: String,
        /// The repeated key.
        key: String,
        /// 1-based number of the first feature with the key.
        first: usize,
        /// 1-based number of the second feature with the key.
        second: usize,
    },
    /// The layer has no features.
    #[error("{path}: the layer has no features")]
    Empty {
        /// The file as the user named it.
        path: String,
    },
    /// GDAL/OGR could not read the file, or this build has no GDAL for a format other than GeoJSON.
    #[error("{path}: {detail}")]
    Gis {
        /// The file as the user named it.
        path: String,
        /// GDAL's error, or what this build cannot do.
        detail: String,
    },
}

/// One area: its key, a display name, its outline in WGS84 lon/lat.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// The area's key (e.g. an LSOA code), unique in its layer; what incidents are assigned by.
    pub key: String,
    /// The name shown to people (the key when the layer has no name field).
    pub name: String,
    /// The area's outline, WGS84 lon/lat degrees.
    pub outline_lonlat: MultiPolygon<f64>,
}

struct Indexed {
    index: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// A layer of areas with an R-tree of their bounding boxes.
pub struct AreaLayer {
    /// The layer's name (as stored, or derived from the file name).
    pub name: String,
    /// The areas, in file order (a point on a shared edge goes to the first).
    pub areas: Vec<Area>,
    tree: RTree<Indexed>,
}

impl std::fmt::Debug for AreaLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AreaLayer").field("name", &self.name).field("areas", &self.areas.len()).finish()
    }
}

impl AreaLayer {
    /// A layer from areas in file order (the order decides edges: see the module docs).
    pub fn new(name: &str, areas: Vec<Area>) -> AreaLayer {
        let tree = RTree::bulk_load(
            areas
                .iter()
                .enumerate()
                .filter_map(|(index, a)| {
                    a.outline_lonlat.bounding_rect().map(|r| Indexed {
                        index,
                        envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    })
                })
                .collect(),
        );
        AreaLayer { name: name.to_owned(), areas, tree }
    }

    /// Read a GeoJSON FeatureCollection of polygons for `serve --areas`: the layer is named after the file
    /// (`lsoas_poole`), and the key and name fields are guessed ([`FieldChoice::guess`]).
    pub fn from_geojson_path(path: &Path) -> Result<AreaLayer, AreaError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| AreaError::Io { path: p.clone(), source })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".geojson").trim_end_matches(".json").to_owned())
            .unwrap_or_else(|| "areas".into());
        Self::from_geojson(&bytes, &name, &p)
    }

    /// A layer from GeoJSON bytes with guessed key and name fields.
    pub fn from_geojson(bytes: &[u8], name: &str, origin: &str) -> Result<AreaLayer, AreaError> {
        let src = read_geojson(bytes, origin, &FieldChoice::guess())?;
        Ok(AreaLayer::new(name, src.areas))
    }

    /// The area containing a lon/lat point, by the edge rule of the module docs.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        let p = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|c| c.index)
            .filter(|&i| self.areas[i].outline_lonlat.intersects(&p))
            .min()
    }

    /// The area of each selected incident (`indices` into `lon`/`lat`), in parallel; the answer is per point, so it
    /// does not depend on the thread count.
    pub fn assign(&self, lon: &[f64], lat: &[f64], indices: &[u32]) -> Vec<Option<u32>> {
        indices.par_iter().map(|&i| self.locate(lon[i as usize], lat[i as usize]).map(|a| a as u32)).collect()
    }

    /// Incidents per area for the given lon/lat points (incidents in no area are not counted).
    pub fn counts(&self, lon: &[f64], lat: &[f64], indices: &[u32]) -> Vec<u64> {
        let mut out = vec![0u64; self.areas.len()];
        for a in self.assign(lon, lat, indices).into_iter().flatten() {
            out[a as usize] += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_count_points_once_on_shared_edges() {
        let doc = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"A","name":"West"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
            {"type":"Feature","properties":{"code":"B"},"geometry":{"type":"MultiPolygon","coordinates":[[[[1,0],[2,0],[2,1],[1,1],[1,0]]]]}}]}"#;
        let l = AreaLayer::from_geojson(doc, "t", "t.geojson").unwrap();
        assert_eq!(l.areas[0].name, "West");
        assert_eq!(l.areas[1].name, "B");
        let lon = [0.5, 1.0, 1.5, 3.0];
        let lat = [0.5, 0.5, 0.5, 0.5];
        assert_eq!(l.counts(&lon, &lat, &[0, 1, 2, 3]), vec![2, 1]);
        assert_eq!(l.assign(&lon, &lat, &[0, 1, 2, 3]), vec![Some(0), Some(0), Some(1), None]);
        // The corner shared by both squares, and a point on the outer edge of the second.
        assert_eq!(l.locate(1.0, 1.0), Some(0));
        assert_eq!(l.locate(2.0, 0.5), Some(1));
        assert_eq!(l.locate(f64::NAN, 0.5), None);
    }

    #[test]
    fn a_point_in_a_hole_is_outside_and_on_the_hole_edge_is_inside() {
        let doc = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"ring"},"geometry":{"type":"Polygon","coordinates":[
              [[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[3,1],[3,3],[1,3],[1,1]]]}},
            {"type":"Feature","properties":{"code":"island"},"geometry":{"type":"Polygon","coordinates":[
              [[1.5,1.5],[2.5,1.5],[2.5,2.5],[1.5,2.5],[1.5,1.5]]]}}]}"#;
        let l = AreaLayer::from_geojson(doc, "t", "t.geojson").unwrap();
        assert_eq!(l.locate(0.5, 0.5), Some(0));
        assert_eq!(l.locate(1.2, 1.2), None, "in the hole, not on the island");
        assert_eq!(l.locate(2.0, 2.0), Some(1));
        assert_eq!(l.locate(1.0, 2.0), Some(0), "on the hole's edge");
    }

    #[test]
    fn honours_the_crs_member_and_reports_bad_features() {
        let doc = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[
            {"type":"Feature","properties":{"code":"P"},"geometry":{"type":"Polygon","coordinates":[[[400000,90000],[402000,90000],[402000,92000],[400000,92000],[400000,90000]]]}}]}"#;
        let l = AreaLayer::from_geojson(doc, "t", "t.geojson").unwrap();
        assert!(l.locate(-1.986, 50.715).is_some());
        let bad = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"X"},"geometry":{"type":"Point","coordinates":[0,0]}}]}"#;
        let e = AreaLayer::from_geojson(bad, "t", "t.geojson").unwrap_err().to_string();
        assert!(e.contains("feature 1 (X)") && e.contains("Point"), "{e}");
    }
}
