//! Reading incidents from a GeoJSON FeatureCollection of points, honouring its `crs` member.
//!
//! The document is parsed whole; each feature is then checked on its own, so one bad feature is a rejected row
//! (numbered by its 1-based position in `features`), not a failed file.

use super::columns::{ColumnOptions, ResolvedColumns, Role};
use super::reject::{RejectReason, RejectedRow};
use super::row::{Names, NewNames, ParsedIncident, Refusal, Validator, non_empty};
use super::{IngestError, RowOutcome};
use crate::geo::CrsDef;
use geojson::GeometryValue;
use serde_json::Value;
use std::collections::BTreeSet;

/// A parsed GeoJSON document, before its features are checked.
#[derive(Debug)]
pub(super) struct GeoJsonDoc {
    pub features: Vec<Value>,
    /// The CRS named by the document's `crs` member, if it has one.
    pub crs: Option<CrsDef>,
    /// Sorted union of the features' property names.
    pub property_names: Vec<String>,
}

/// Parse the document: a FeatureCollection (or a single Feature).
pub(super) fn parse_document(bytes: &[u8], file: &str) -> Result<GeoJsonDoc, IngestError> {
    let bad = |detail: String| IngestError::GeoJson { file: file.to_owned(), detail };
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut root: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        // A number too large for a double (1e309) is an error for the whole document; quoted, it is a bad value
        // of one feature, rejected as that row.
        Err(e) => match quote_overflowing_numbers(body) {
            Some(quoted) => serde_json::from_slice(&quoted).map_err(|_| bad(format!("not valid JSON: {e}")))?,
            None => return Err(bad(format!("not valid JSON: {e}"))),
        },
    };
    let kind = root.get("type").and_then(Value::as_str).unwrap_or("").to_owned();
    let crs = match root.get("crs") {
        None | Some(Value::Null) => None,
        Some(c) => Some(crs_member(c).map_err(bad)?),
    };
    let features = match kind.as_str() {
        "FeatureCollection" => match root.get_mut("features").map(Value::take) {
            Some(Value::Array(f)) => f,
            _ => return Err(bad("the FeatureCollection has no \"features\" array".into())),
        },
        "Feature" => vec![root],
        "" => {
            return Err(bad("the JSON has no \"type\": expected a GeoJSON FeatureCollection".into()));
        }
        other => {
            return Err(bad(format!("the GeoJSON is a {other}, expected a FeatureCollection of points")));
        }
    };
    let mut names = BTreeSet::new();
    for f in &features {
        if let Some(Value::Object(p)) = f.get("properties") {
            names.extend(p.keys().cloned());
        }
    }
    Ok(GeoJsonDoc { features, crs, property_names: names.into_iter().collect() })
}

/// The document with every number outside strings that overflows a double quoted as a string; `None` when there
/// is none.
fn quote_overflowing_numbers(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    let (mut in_string, mut escaped, mut changed) = (false, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            out.push(b);
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
        } else if b == b'-' || b.is_ascii_digit() {
            let end = bytes[i..]
                .iter()
                .position(|c| !(c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E')))
                .map_or(bytes.len(), |k| i + k);
            let token = &bytes[i..end];
            let overflows =
                std::str::from_utf8(token).ok().and_then(|t| t.parse::<f64>().ok()).is_some_and(|v| v.is_infinite());
            if overflows {
                out.push(b'"');
                out.extend_from_slice(token);
                out.push(b'"');
                changed = true;
            } else {
                out.extend_from_slice(token);
            }
            i = end;
            continue;
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// The CRS of a GeoJSON `crs` member (`{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}}`, or
/// the older `{"type":"EPSG","properties":{"code":27700}}`).
fn crs_member(c: &Value) -> Result<CrsDef, String> {
    let props = c.get("properties");
    let text = match c.get("type").and_then(Value::as_str) {
        Some("name") => props.and_then(|p| p.get("name")).and_then(Value::as_str).map(str::to_owned),
        Some("EPSG") => props.and_then(|p| p.get("code")).and_then(Value::as_i64).map(|c| format!("EPSG:{c}")),
        _ => None,
    };
    let text = text.ok_or_else(|| format!("the \"crs\" member {c} is not understood; pass --crs to say the CRS"))?;
    CrsDef::parse(&text).map_err(|e| format!("the \"crs\" member names {text}: {e}; pass --crs to override"))
}

/// Property names used for each role.
#[derive(Debug, Clone)]
struct PropertyNames {
    time: String,
    category: Option<String>,
    id: Option<String>,
    area: Option<String>,
    location: Option<String>,
    weight: Option<String>,
}

/// The features of a document, checked one by one.
pub(super) struct GeoJsonRows {
    features: std::vec::IntoIter<Value>,
    next_number: u64,
    names: PropertyNames,
    validator: Validator,
    names_seen: Names,
}

impl GeoJsonRows {
    pub(super) fn new(doc: GeoJsonDoc, cols: &ResolvedColumns, validator: Validator) -> Result<Self, IngestError> {
        let name = |r: Role| cols.name(r).map(str::to_owned);
        let names = PropertyNames {
            time: name(Role::Time).ok_or_else(|| IngestError::Internal("time property not resolved".into()))?,
            category: name(Role::Category),
            id: name(Role::Id),
            area: name(Role::Area),
            location: name(Role::Location),
            weight: name(Role::Weight),
        };
        Ok(GeoJsonRows {
            features: doc.features.into_iter(),
            next_number: 1,
            names,
            validator,
            names_seen: Names::default(),
        })
    }

    /// The categories, areas and locations first seen since the last call.
    pub(super) fn take_new_names(&mut self) -> NewNames {
        self.names_seen.take_new()
    }

    /// Check up to `max` features into `out`. Returns `false` when all have been read.
    pub(super) fn next_batch(&mut self, out: &mut Vec<RowOutcome>, max: usize) -> bool {
        for _ in 0..max {
            let Some(feature) = self.features.next() else {
                return false;
            };
            let number = self.next_number;
            self.next_number += 1;
            out.push(match self.parse(&feature, number) {
                Ok(inc) => RowOutcome::Accepted(inc),
                Err((reason, detail)) => RowOutcome::Rejected(RejectedRow {
                    line: number,
                    reason,
                    detail,
                    fields: vec![serde_json::to_vec(&feature).unwrap_or_default()],
                }),
            });
        }
        true
    }

    fn parse(&mut self, feature: &Value, number: u64) -> Result<ParsedIncident, Refusal> {
        let v = &self.validator;
        let feature = <geojson::Feature as serde::Deserialize>::deserialize(feature)
            .map_err(|e| (RejectReason::NotAPoint, format!("not a valid GeoJSON feature: {e}")))?;
        let (x, y) = match feature.geometry.as_ref().map(|g| &g.value) {
            None => {
                return Err((RejectReason::MissingCoordinates, "the feature has no geometry".into()));
            }
            Some(GeometryValue::Point { coordinates }) => point_xy(coordinates.as_slice())?,
            Some(GeometryValue::MultiPoint { coordinates }) if coordinates.len() == 1 => {
                point_xy(coordinates[0].as_slice())?
            }
            Some(other) => {
                return Err((RejectReason::NotAPoint, format!("the geometry is a {}, not a point", other.type_name())));
            }
        };
        let (lon, lat) = v.coords(x, y, ("x", "y"))?;
        let prop = |name: &Option<String>| -> Option<String> {
            let key = name.as_deref()?;
            feature.properties.as_ref()?.get(key).and_then(property_text)
        };
        let time_text = prop(&Some(self.names.time.clone())).unwrap_or_default();
        let t = v.time(&time_text, &self.names.time)?;
        let weight = match (&self.names.weight, prop(&self.names.weight)) {
            (Some(n), Some(w)) => v.weight(&w, n)?,
            _ => 1.0,
        };
        let source_id =
            prop(&self.names.id).or_else(|| feature.id.as_ref().map(feature_id_text)).and_then(|s| non_empty(&s));
        let (category, area, location) =
            (prop(&self.names.category), prop(&self.names.area), prop(&self.names.location));
        let names = &mut self.names_seen;
        Ok(ParsedIncident {
            line: number,
            lon,
            lat,
            time_s: t.time_s,
            precision: t.precision,
            category: names.category(category.as_deref()),
            weight,
            area: names.area(area.as_deref()),
            location: names.location(location.as_deref()),
            source_id,
        })
    }
}

fn point_xy(c: &[f64]) -> Result<(f64, f64), Refusal> {
    match c {
        [x, y, ..] => Ok((*x, *y)),
        _ => Err((RejectReason::MissingCoordinates, format!("the point has {} coordinates", c.len()))),
    }
}

fn feature_id_text(id: &geojson::feature::Id) -> String {
    match id {
        geojson::feature::Id::String(s) => s.clone(),
        geojson::feature::Id::Number(n) => n.to_string(),
    }
}

/// A property value as text: strings as they are, numbers and booleans printed, null as absent.
fn property_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// The CRS of the coordinates: `--crs` if given, else the document's `crs` member, else CRS84 (RFC 7946).
pub(super) fn coordinate_crs(opts: &ColumnOptions, doc: &GeoJsonDoc) -> Result<Option<CrsDef>, crate::geo::CrsError> {
    match &opts.crs {
        Some(text) => CrsDef::parse(text).map(Some),
        None => Ok(doc.crs.clone()),
    }
}
