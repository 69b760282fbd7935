//! Boundary layers (beats, wards, LSOAs, council areas): polygons read from GeoJSON, honouring its `crs` member, and
//! incidents counted per area by point-in-polygon over an R-tree of the areas' bounding boxes.
//!
//! **Edges.** An incident exactly on a boundary shared by two areas is counted once, in the first area (in file
//! order) whose polygon contains it or has it on its boundary.

use crate::geo::{CrsDef, Projector};
use geo::{BoundingRect, Intersects};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::{AABB, RTree, RTreeObject};
use serde_json::Value;
use std::path::Path;

/// Errors reading a boundary file.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Invalid { path: String, detail: String },
}

/// One area: its key, a display name, its outline in lon/lat.
#[derive(Debug, Clone)]
pub struct Area {
    pub key: String,
    pub name: String,
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

/// A layer of areas.
pub struct AreaLayer {
    pub name: String,
    pub areas: Vec<Area>,
    tree: RTree<Indexed>,
}

impl std::fmt::Debug for AreaLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AreaLayer").field("name", &self.name).field("areas", &self.areas.len()).finish()
    }
}

/// Property names tried, in order, for an area's key and display name.
const KEY_FIELDS: &[&str] = &["lsoa11cd", "msoa11cd", "code", "id", "key"];
const NAME_FIELDS: &[&str] = &["lsoa11nm", "msoa11nm", "name", "NAME", "Name"];

impl AreaLayer {
    /// Read a GeoJSON FeatureCollection of polygons. The layer is named after the file (`lsoas_poole`).
    pub fn from_geojson_path(path: &Path) -> Result<AreaLayer, AreaError> {
        let p = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| AreaError::Io { path: p.clone(), source })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().trim_end_matches(".geojson").trim_end_matches(".json").to_owned())
            .unwrap_or_else(|| "areas".into());
        Self::from_geojson(&bytes, &name, &p)
    }

    pub fn from_geojson(bytes: &[u8], name: &str, origin: &str) -> Result<AreaLayer, AreaError> {
        let bad = |detail: String| AreaError::Invalid { path: origin.to_owned(), detail };
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let crs = match doc.get("crs") {
            None | Some(Value::Null) => CrsDef::wgs84(),
            Some(c) => {
                let text = c
                    .get("properties")
                    .and_then(|p| p.get("name"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(format!("the \"crs\" member {c} is not understood")))?;
                CrsDef::parse(text).map_err(|e| bad(e.to_string()))?
            }
        };
        let projector = Projector::new(&crs).map_err(|e| bad(e.to_string()))?;
        let features = doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("not a GeoJSON FeatureCollection".into()))?;
        let mut areas = Vec::new();
        for (k, f) in features.iter().enumerate() {
            let props = f.get("properties").cloned().unwrap_or(Value::Null);
            let text =
                |fields: &[&str]| fields.iter().find_map(|n| props.get(*n).and_then(|v| v.as_str().map(str::to_owned)));
            let key = text(KEY_FIELDS).unwrap_or_else(|| format!("{}", k + 1));
            let display = text(NAME_FIELDS).unwrap_or_else(|| key.clone());
            let geom = f.get("geometry").ok_or_else(|| bad(format!("feature {} ({key}) has no geometry", k + 1)))?;
            let outline = multipolygon(geom, &projector).map_err(|e| bad(format!("feature {} ({key}): {e}", k + 1)))?;
            areas.push(Area { key, name: display, outline_lonlat: outline });
        }
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
        Ok(AreaLayer { name: name.to_owned(), areas, tree })
    }

    /// The area containing a point (see the module docs for edges).
    pub fn locate(&self, lon: f64, lat: f64) -> Option<usize> {
        let p = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|c| c.index)
            .filter(|&i| self.areas[i].outline_lonlat.intersects(&p))
            .min()
    }

    /// Incidents per area for the given lon/lat points.
    pub fn counts(&self, lon: &[f64], lat: &[f64], indices: &[u32]) -> Vec<u64> {
        let mut out = vec![0u64; self.areas.len()];
        for &i in indices {
            if let Some(a) = self.locate(lon[i as usize], lat[i as usize]) {
                out[a] += 1;
            }
        }
        out
    }
}

fn ring(v: &Value, projector: &Projector) -> Result<LineString<f64>, String> {
    let pts = v.as_array().ok_or("a ring is not an array")?;
    let mut coords = Vec::with_capacity(pts.len());
    for p in pts {
        let (Some(x), Some(y)) = (p.get(0).and_then(Value::as_f64), p.get(1).and_then(Value::as_f64)) else {
            return Err("a position is not two numbers".into());
        };
        let (lon, lat) = projector.to_lonlat(x, y).ok_or_else(|| format!("position ({x}, {y}) cannot be converted"))?;
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.len() < 4 {
        return Err(format!("a ring has {} positions; a closed ring needs at least 4", coords.len()));
    }
    Ok(LineString::new(coords))
}

fn polygon(v: &Value, projector: &Projector) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array")?;
    let mut it = rings.iter().map(|r| ring(r, projector));
    let exterior = it.next().ok_or("a polygon with no rings")??;
    Ok(Polygon::new(exterior, it.collect::<Result<_, _>>()?))
}

fn multipolygon(geom: &Value, projector: &Projector) -> Result<MultiPolygon<f64>, String> {
    let coords = geom.get("coordinates").ok_or("the geometry has no coordinates")?;
    match geom.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(MultiPolygon::new(vec![polygon(coords, projector)?])),
        Some("MultiPolygon") => Ok(MultiPolygon::new(
            coords
                .as_array()
                .ok_or("coordinates are not an array")?
                .iter()
                .map(|p| polygon(p, projector))
                .collect::<Result<_, _>>()?,
        )),
        other => Err(format!("the geometry is a {}, not a polygon", other.unwrap_or("missing type"))),
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
