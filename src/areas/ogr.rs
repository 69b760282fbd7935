//! Boundary layers from any vector format OGR reads.

use super::geojson::polygon_from_rings;
use super::{Area, AreaError, FieldChoice, SourceLayer};
use crate::geo::{CrsDef, Projector};
use gdal::Dataset;
use gdal::spatial_ref::SpatialRef;
use gdal::vector::{FieldValue, Geometry, LayerAccess, OGRwkbGeometryType, geometry_type_flatten};
use geo_types::MultiPolygon;
use std::collections::HashMap;
use std::path::Path;

/// The CRS of an OGR layer: its EPSG code (identified if the file does not say it, as for a Shapefile's .prj), or
/// OGC CRS84; anything else is refused.
fn layer_crs(srs: Option<SpatialRef>, origin: &str) -> Result<CrsDef, AreaError> {
    let unknown =
        |crs: String, reason: &str| AreaError::UnknownCrs { path: origin.to_owned(), crs, reason: reason.to_owned() };
    let Some(mut srs) = srs else {
        return Err(unknown("none".into(), "the layer has no CRS (a Shapefile without its .prj?)"));
    };
    let name = srs.name().unwrap_or_else(|| "unnamed".into());
    if srs.auth_name().as_deref() == Some("OGC") && srs.authority().is_ok_and(|a| a.ends_with("CRS84")) {
        return Ok(CrsDef::wgs84());
    }
    let code = match (srs.auth_name().as_deref(), srs.auth_code()) {
        (Some("EPSG"), Ok(code)) => Some(code),
        _ => srs.auto_identify_epsg().ok().and_then(|()| srs.auth_code().ok()),
    };
    let code = code.ok_or_else(|| unknown(name.clone(), "OGR cannot identify its EPSG code"))?;
    CrsDef::parse(&format!("EPSG:{code}")).map_err(|e| unknown(format!("{name} (EPSG:{code})"), &e.to_string()))
}

fn text(v: FieldValue) -> Option<String> {
    let s = match v {
        FieldValue::StringValue(s) => s,
        FieldValue::IntegerValue(n) => n.to_string(),
        FieldValue::Integer64Value(n) => n.to_string(),
        FieldValue::RealValue(x) => x.to_string(),
        other => format!("{other:?}"),
    };
    (!s.trim().is_empty()).then_some(s)
}

/// The rings of an OGR polygon as `[x, y]` positions.
fn rings_of(poly: &Geometry) -> Vec<Vec<[f64; 2]>> {
    (0..poly.geometry_count())
        .map(|r| {
            let mut pts = Vec::new();
            poly.get_geometry(r).get_points(&mut pts);
            pts.into_iter().map(|(x, y, _)| [x, y]).collect()
        })
        .collect()
}

fn outline(g: &Geometry, projector: &Projector) -> Result<MultiPolygon<f64>, String> {
    let kind = geometry_type_flatten(g.geometry_type());
    if kind == OGRwkbGeometryType::wkbPolygon {
        return Ok(MultiPolygon::new(vec![polygon_from_rings(&rings_of(g), 0, 1, projector)?]));
    }
    if kind == OGRwkbGeometryType::wkbMultiPolygon {
        let n = g.geometry_count();
        if n == 0 {
            return Err("the multipolygon is empty".into());
        }
        let polys = (0..n)
            .map(|k| polygon_from_rings(&rings_of(&g.get_geometry(k)), k, n, projector))
            .collect::<Result<_, _>>()?;
        return Ok(MultiPolygon::new(polys));
    }
    Err(format!("the geometry is a {}, not a Polygon or MultiPolygon", g.geometry_name()))
}

/// Read the first layer of an OGR dataset; returns the layer and the OGR driver's name.
pub fn read_layer(path: &Path, fields: &FieldChoice) -> Result<(SourceLayer, String), AreaError> {
    let origin = path.display().to_string();
    let gis = |detail: String| AreaError::Gis { path: origin.clone(), detail };
    let ds = Dataset::open(path).map_err(|e| gis(format!("OGR cannot open it: {e}")))?;
    let driver = ds.driver().short_name();
    let mut layer = ds.layer(0).map_err(|e| gis(format!("it holds no vector layer ({driver}): {e}")))?;
    let crs = layer_crs(layer.spatial_ref(), &origin)?;
    let projector = Projector::new(&crs).map_err(|e| AreaError::UnknownCrs {
        path: origin.clone(),
        crs: crs.label.clone(),
        reason: e.to_string(),
    })?;
    let names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let index_of = |field: &str| {
        names.iter().position(|n| n == field).ok_or_else(|| {
            gis(format!("the layer '{}' has no field '{field}' (its fields: {})", layer.name(), names.join(", ")))
        })
    };
    let key_field = fields.key.clone().ok_or_else(|| gis("a key field is needed (--key)".into()))?;
    let key_index = index_of(&key_field)?;
    let name_index = fields.name.as_deref().map(index_of).transpose()?;
    let mut areas = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (k, f) in layer.features().enumerate() {
        let index = k + 1;
        let feature_err =
            |key: Option<String>, detail: String| AreaError::Feature { path: origin.clone(), index, key, detail };
        let key = f.field(key_index).ok().flatten().and_then(text).ok_or_else(|| {
            feature_err(
                None,
                format!("has no value for the key field '{key_field}' (its fields: {})", names.join(", ")),
            )
        })?;
        if let Some(&first) = seen.get(&key) {
            return Err(AreaError::DuplicateKey { path: origin, field: key_field, key, first, second: index });
        }
        seen.insert(key.clone(), index);
        let name = match name_index {
            None => key.clone(),
            Some(i) => f.field(i).ok().flatten().and_then(text).ok_or_else(|| {
                feature_err(Some(key.clone()), format!("has no value for the name field '{}'", names[i]))
            })?,
        };
        let g = f.geometry().ok_or_else(|| feature_err(Some(key.clone()), "has no geometry".into()))?;
        let outline_lonlat = outline(g, &projector).map_err(|e| feature_err(Some(key.clone()), e))?;
        areas.push(Area { key, name, outline_lonlat });
    }
    if areas.is_empty() {
        return Err(AreaError::Empty { path: origin });
    }
    Ok((SourceLayer { crs, key_field, name_field: fields.name.clone(), areas }, driver))
}
