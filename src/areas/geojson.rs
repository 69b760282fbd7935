//! Reading a GeoJSON FeatureCollection of polygons and multipolygons (holes included) into areas in lon/lat.
//!
//! The `crs` member is honoured (CRS84 and EPSG:4326 as lon/lat, EPSG:27700 and any EPSG code in the built-in
//! table, as [`CrsDef::parse`] reads them); a CRS this build cannot convert is refused, never guessed. Every
//! feature is checked and an error names it by its number (1-based, in file order) and its key: a missing or empty
//! key, a duplicate key, a geometry that is not a polygon, a ring that is not closed, has fewer than 4 positions or
//! a coordinate that is not finite. Python writes NaN and Infinity as bare words, which are not JSON: they are read
//! so the error can name the feature rather than a byte offset.

use super::validate::{check_polygon_lonlat, check_ring, ring_label};
use super::{Area, AreaError};
use crate::geo::{CrsDef, Projector};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;
use std::collections::HashMap;

/// Property names tried, in order, when the key and name fields are guessed (`serve --areas`).
const KEY_FIELDS: &[&str] = &["lsoa11cd", "msoa11cd", "code", "id", "key"];
const NAME_FIELDS: &[&str] = &["lsoa11nm", "msoa11nm", "name", "NAME", "Name"];

/// Which properties hold each area's key and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChoice {
    /// `None`: per feature, the first of the usual names present, else the feature number.
    pub key: Option<String>,
    /// `None`: per feature, a usual name field if the key was guessed, else the key itself.
    pub name: Option<String>,
}

impl FieldChoice {
    /// Guess both fields (lenient: used for `serve --areas FILE`).
    pub fn guess() -> Self {
        FieldChoice { key: None, name: None }
    }

    /// The key field named by the user (required on every feature, unique), and optionally the name field.
    pub fn explicit(key: &str, name: Option<&str>) -> Self {
        FieldChoice { key: Some(key.to_owned()), name: name.map(str::to_owned) }
    }
}

/// A layer as read from a file, before it is stored.
#[derive(Debug, Clone)]
pub struct SourceLayer {
    /// The file's CRS as named (`EPSG:4326`, `EPSG:27700`, ...).
    pub crs: CrsDef,
    /// The property the keys were read from.
    pub key_field: String,
    /// The property the names were read from; `None` when the key is the name.
    pub name_field: Option<String>,
    /// The areas, in file order, with outlines converted to WGS84 lon/lat.
    pub areas: Vec<Area>,
}

/// Read and check a GeoJSON FeatureCollection of polygons. `origin` names the file in errors.
pub fn read_geojson(bytes: &[u8], origin: &str, fields: &FieldChoice) -> Result<SourceLayer, AreaError> {
    let invalid = |detail: String| AreaError::Invalid { path: origin.to_owned(), detail };
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(first) => {
            serde_json::from_slice(&quote_non_finite(bytes)).map_err(|_| invalid(format!("not valid JSON: {first}")))?
        }
    };
    if doc.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(invalid("not a GeoJSON FeatureCollection (its \"type\" must be \"FeatureCollection\")".into()));
    }
    let crs = crs_of(&doc, origin)?;
    let projector = Projector::new(&crs).map_err(|e| AreaError::UnknownCrs {
        path: origin.to_owned(),
        crs: crs.label.clone(),
        reason: e.to_string(),
    })?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("a FeatureCollection needs a \"features\" array".into()))?;
    if features.is_empty() {
        return Err(AreaError::Empty { path: origin.to_owned() });
    }
    let mut areas = Vec::with_capacity(features.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (k, f) in features.iter().enumerate() {
        let index = k + 1;
        let feature_err =
            |key: Option<String>, detail: String| AreaError::Feature { path: origin.to_owned(), index, key, detail };
        let key = match &fields.key {
            None => KEY_FIELDS.iter().find_map(|k| property(f, k)).unwrap_or_else(|| index.to_string()),
            Some(field) => property(f, field).ok_or_else(|| {
                feature_err(None, format!("has no value for the key field '{field}'{}", known_fields(f)))
            })?,
        };
        if let Some(&first) = seen.get(&key)
            && fields.key.is_some()
        {
            return Err(AreaError::DuplicateKey {
                path: origin.to_owned(),
                field: fields.key.clone().unwrap_or_default(),
                key,
                first,
                second: index,
            });
        }
        seen.entry(key.clone()).or_insert(index);
        let name = match &fields.name {
            None if fields.key.is_some() => key.clone(),
            None => NAME_FIELDS.iter().find_map(|k| property(f, k)).unwrap_or_else(|| key.clone()),
            Some(field) => property(f, field).ok_or_else(|| {
                feature_err(Some(key.clone()), format!("has no value for the name field '{field}'{}", known_fields(f)))
            })?,
        };
        let geom = f.get("geometry").filter(|g| !g.is_null()).ok_or_else(|| {
            feature_err(Some(key.clone()), "has no geometry (a null geometry cannot be an area)".into())
        })?;
        let outline = geometry(geom, &projector).map_err(|e| feature_err(Some(key.clone()), e))?;
        areas.push(Area { key, name, outline_lonlat: outline });
    }
    Ok(SourceLayer {
        crs,
        key_field: fields.key.clone().unwrap_or_else(|| "(guessed)".into()),
        name_field: fields.name.clone(),
        areas,
    })
}

/// The CRS named by the `crs` member (lon/lat when absent).
fn crs_of(doc: &Value, origin: &str) -> Result<CrsDef, AreaError> {
    let c = match doc.get("crs") {
        None | Some(Value::Null) => return Ok(CrsDef::wgs84()),
        Some(c) => c,
    };
    let Some(text) = c.get("properties").and_then(|p| p.get("name")).and_then(Value::as_str) else {
        return Err(AreaError::UnknownCrs {
            path: origin.to_owned(),
            crs: c.to_string(),
            reason: "only a named CRS ({\"type\":\"name\",\"properties\":{\"name\":...}}) is understood".into(),
        });
    };
    CrsDef::parse(text).map_err(|e| AreaError::UnknownCrs {
        path: origin.to_owned(),
        crs: text.to_owned(),
        reason: e.to_string(),
    })
}

/// A property as text: strings as they are, numbers as written (integers without a decimal point); `None` when
/// absent, null or empty.
fn property(f: &Value, field: &str) -> Option<String> {
    match f.get("properties")?.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn known_fields(f: &Value) -> String {
    match f.get("properties").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => {
            format!(" (its properties: {})", p.keys().map(String::as_str).collect::<Vec<_>>().join(", "))
        }
        _ => " (it has no properties)".into(),
    }
}

/// A position's x and y: numbers, or the non-finite words quoted by [`quote_non_finite`].
fn position(p: &Value) -> Result<[f64; 2], String> {
    let num = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s == "NaN" => Some(f64::NAN),
        Some(Value::String(s)) if s == "Infinity" => Some(f64::INFINITY),
        Some(Value::String(s)) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    };
    match (num(p.get(0)), num(p.get(1))) {
        (Some(x), Some(y)) => Ok([x, y]),
        _ => Err(format!("the position {p} is not two numbers")),
    }
}

fn polygon(rings_v: &Value, which: usize, polygons: usize, projector: &Projector) -> Result<Polygon<f64>, String> {
    let rings = rings_v.as_array().ok_or("polygon coordinates are not an array of rings")?;
    let mut positions = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let label = ring_label(which, r, polygons);
        positions.push(
            ring.as_array()
                .ok_or_else(|| format!("{label} is not an array of positions"))?
                .iter()
                .map(position)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{label}: {e}"))?,
        );
    }
    polygon_from_rings(&positions, which, polygons, projector)
}

/// A polygon from its rings' positions in the projector's CRS (exterior first): each ring checked
/// ([`check_ring`]), then converted to lon/lat. `which` of `polygons` names it in errors. Shared by every reader.
pub fn polygon_from_rings(
    rings: &[Vec<[f64; 2]>],
    which: usize,
    polygons: usize,
    projector: &Projector,
) -> Result<Polygon<f64>, String> {
    if rings.is_empty() {
        return Err(format!("polygon {} has no rings", which + 1));
    }
    let mut out = Vec::with_capacity(rings.len());
    for (r, positions) in rings.iter().enumerate() {
        let label = ring_label(which, r, polygons);
        check_ring(positions, &label)?;
        let coords = positions
            .iter()
            .map(|&[x, y]| {
                projector.to_lonlat(x, y).map(|(x, y)| Coord { x, y }).ok_or_else(|| {
                    format!("{label}: position ({x}, {y}) cannot be converted from {} to lon/lat", projector.def())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(LineString::new(coords));
    }
    let exterior = out.remove(0);
    let poly = Polygon::new(exterior, out);
    let label = if polygons > 1 { format!("polygon {}", which + 1) } else { "the polygon".to_owned() };
    check_polygon_lonlat(&poly, &label)?;
    Ok(poly)
}

/// A Polygon or MultiPolygon geometry in the projector's CRS, as a lon/lat multipolygon.
fn geometry(geom: &Value, projector: &Projector) -> Result<MultiPolygon<f64>, String> {
    let kind = geom.get("type").and_then(Value::as_str);
    let coords = || geom.get("coordinates").ok_or("the geometry has no coordinates");
    match kind {
        Some("Polygon") => Ok(MultiPolygon::new(vec![polygon(coords()?, 0, 1, projector)?])),
        Some("MultiPolygon") => {
            let polys = coords()?.as_array().ok_or("multipolygon coordinates are not an array")?;
            if polys.is_empty() {
                return Err("the multipolygon is empty".into());
            }
            let n = polys.len();
            Ok(MultiPolygon::new(
                polys.iter().enumerate().map(|(k, p)| polygon(p, k, n, projector)).collect::<Result<_, _>>()?,
            ))
        }
        Some(other) => Err(format!("the geometry is a {other}, not a Polygon or MultiPolygon")),
        None => Err("the geometry has no \"type\"".into()),
    }
}

/// A lon/lat multipolygon as GeoJSON coordinates.
pub fn multipolygon_to_json(m: &MultiPolygon<f64>) -> Value {
    let ring = |r: &LineString<f64>| Value::Array(r.0.iter().map(|c| serde_json::json!([c.x, c.y])).collect());
    Value::Array(
        m.0.iter()
            .map(|p| Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect()))
            .collect(),
    )
}

/// The document with bare `NaN`, `Infinity` and `-Infinity` (outside strings) quoted, so it parses as JSON and
/// the coordinate check can name the feature.
fn quote_non_finite(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            out.push(b);
            i += 1;
            continue;
        }
        let word = [&b"-Infinity"[..], b"Infinity", b"NaN"].into_iter().find(|w| bytes[i..].starts_with(w));
        match word {
            Some(w) => {
                out.push(b'"');
                out.extend_from_slice(w);
                out.push(b'"');
                i += w.len();
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fc(features: &str) -> Vec<u8> {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#).into_bytes()
    }

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;

    fn err(doc: &[u8], key: &str) -> String {
        read_geojson(doc, "t.geojson", &FieldChoice::explicit(key, None)).unwrap_err().to_string()
    }

    #[test]
    fn explicit_fields_are_required_and_unique() {
        let doc = fc(&format!(
            r#"{{"type":"Feature","properties":{{"c":"A","n":"Alpha"}},"geometry":{SQUARE}}},
               {{"type":"Feature","properties":{{"c":7,"n":"Beta"}},"geometry":{SQUARE}}}"#
        ));
        let l = read_geojson(&doc, "t", &FieldChoice::explicit("c", Some("n"))).unwrap();
        assert_eq!(
            l.areas.iter().map(|a| (a.key.as_str(), a.name.as_str())).collect::<Vec<_>>(),
            [("A", "Alpha"), ("7", "Beta")]
        );
        let e = err(&doc, "code");
        assert!(e.contains("feature 1 (no key)") && e.contains("'code'") && e.contains("its properties: c, n"), "{e}");
        let dup = fc(&format!(
            r#"{{"type":"Feature","properties":{{"c":"A"}},"geometry":{SQUARE}}},
               {{"type":"Feature","properties":{{"c":"A"}},"geometry":{SQUARE}}}"#
        ));
        let e = err(&dup, "c");
        assert!(e.contains("features 1 and 2 both have the key 'A'"), "{e}");
    }

    #[test]
    fn bad_geometries_name_the_feature() {
        let one = |geom: &str| fc(&format!(r#"{{"type":"Feature","properties":{{"c":"K9"}},"geometry":{geom}}}"#));
        let cases = [
            (r#"{"type":"Point","coordinates":[0,0]}"#, "a Point, not a Polygon"),
            ("null", "has no geometry"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#, "the exterior ring is not closed"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#, "3 positions"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,NaN],[0,0]]]}"#, "position 3 is (1, NaN)"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,-Infinity],[0,0]]]}"#, "not a finite coordinate"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,"x"],[1,1],[0,0]]]}"#, "not two numbers"),
            (
                r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,0]],[[0,0],[1,0],[0,0]]]]}"#,
                "hole 1 of polygon 2 has 3 positions",
            ),
        ];
        for (geom, want) in cases {
            let e = err(&one(geom), "c");
            assert!(e.contains("t.geojson: feature 1 (K9)") && e.contains(want), "{geom}: {e}");
        }
    }

    #[test]
    fn crs_members() {
        let with_crs = |name: &str| {
            format!(
                r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"{name}"}}}},"features":[
                {{"type":"Feature","properties":{{"c":"A"}},"geometry":{{"type":"Polygon","coordinates":[[[400000,90000],[401000,90000],[401000,91000],[400000,90000]]]}}}}]}}"#
            )
            .into_bytes()
        };
        let l = read_geojson(&with_crs("urn:ogc:def:crs:EPSG::27700"), "t", &FieldChoice::explicit("c", None)).unwrap();
        assert_eq!(l.crs.label, "EPSG:27700");
        let c = l.areas[0].outline_lonlat.0[0].exterior().0[0];
        assert!((c.x + 2.0).abs() < 0.1 && (c.y - 50.7).abs() < 0.1, "{c:?}");
        let e = err(&with_crs("urn:ogc:def:crs:EPSG::999999"), "c");
        assert!(e.contains("'urn:ogc:def:crs:EPSG::999999'") && e.contains("nothing was imported"), "{e}");
        let e = err(&with_crs("EPSG:notanumber"), "c");
        assert!(e.contains("not one this build can convert"), "{e}");
    }

    #[test]
    fn not_a_collection_or_empty() {
        assert!(err(b"[1,2]", "c").contains("not a GeoJSON FeatureCollection"));
        assert!(err(b"{", "c").contains("not valid JSON"));
        assert!(err(&fc(""), "c").contains("no features"));
    }

    #[test]
    fn quoting_leaves_strings_alone() {
        let q = quote_non_finite(br#"{"a":"NaN \" Infinity","b":[NaN,-Infinity,1]}"#);
        assert_eq!(q, br#"{"a":"NaN \" Infinity","b":["NaN","-Infinity",1]}"#);
    }
}
