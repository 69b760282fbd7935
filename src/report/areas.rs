//! Area layers and counts per area as text tables, CSV, JSON and GeoJSON.

use super::{Align, Table, thousands};
use crate::analysis::area_tally::{AreaRow, AreaTally};
use crate::areas::AreaLayer;
use crate::areas::geojson::multipolygon_to_json;
use crate::store::AreaLayerRecord;
use serde_json::{Map, Value, json};

/// The stored layers as a table; `*` marks the newest version of each name (what `--layer NAME` picks).
pub(crate) fn layers_text(layers: &[AreaLayerRecord]) -> String {
    if layers.is_empty() {
        return "no area layers: import one with `hotspots areas import FILE --layer NAME --key FIELD`\n".into();
    }
    let mut t = Table::new(&[
        ("id", Align::Right),
        ("layer", Align::Left),
        ("areas", Align::Right),
        ("key", Align::Left),
        ("name field", Align::Left),
        ("CRS", Align::Left),
        ("imported", Align::Left),
        ("file", Align::Left),
    ]);
    for r in layers {
        let newest = !layers.iter().any(|o| o.name == r.name && o.version > r.version);
        t.row(vec![
            r.id.to_string(),
            format!("{}{}", r.label(), if newest { " *" } else { "" }),
            thousands(r.features as u64),
            r.key_field.clone(),
            r.name_field.clone().unwrap_or_else(|| "-".into()),
            r.source_crs.clone(),
            r.imported_at.clone(),
            r.file_name.clone(),
        ]);
    }
    format!("{}* newest version: what --layer NAME means (NAME@N or the id picks another)\n", t.render(0))
}

pub(crate) fn layers_json(layers: &[AreaLayerRecord]) -> Value {
    json!({ "layers": layers })
}

fn fixed(v: Option<f64>, places: usize) -> String {
    v.map_or_else(String::new, |v| format!("{v:.places$}"))
}

fn top_category(t: &AreaTally, r: &AreaRow) -> String {
    let best =
        r.by_category.iter().enumerate().filter(|(_, n)| **n > 0).max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)));
    best.map_or_else(String::new, |(k, n)| format!("{} ({})", t.categories[k], thousands(*n)))
}

/// Areas in file order, then the row of incidents outside every area.
pub(crate) fn tally_text(t: &AreaTally) -> String {
    let mut table = Table::new(&[
        ("key", Align::Left),
        ("name", Align::Left),
        ("incidents", Align::Right),
        ("harm", Align::Right),
        ("km2", Align::Right),
        (if t.density_of == crate::analysis::points::WeightMode::Harm { "harm/km2" } else { "per km2" }, Align::Right),
        ("top category", Align::Left),
    ]);
    for r in t.rows.iter().chain(std::iter::once(&t.outside)) {
        table.row(vec![
            r.key.clone(),
            r.name.clone(),
            thousands(r.count),
            format!("{:.1}", r.harm),
            fixed(r.area_km2, 3),
            fixed(r.density_per_km2, 1),
            top_category(t, r),
        ]);
    }
    table.render(0)
}

/// One row per area (file order) and a last row for incidents outside every area (empty key); one count column
/// per category.
pub(crate) fn tally_csv(t: &AreaTally) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> =
        ["key", "name", "count", "harm", "area_km2", "density_per_km2"].iter().map(|s| (*s).to_owned()).collect();
    header.extend(t.categories.iter().cloned());
    w.write_record(&header)?;
    for r in t.rows.iter().chain(std::iter::once(&t.outside)) {
        let mut rec = vec![
            r.key.clone(),
            r.name.clone(),
            r.count.to_string(),
            r.harm.to_string(),
            r.area_km2.map_or_else(String::new, |v| v.to_string()),
            r.density_per_km2.map_or_else(String::new, |v| v.to_string()),
        ];
        rec.extend(r.by_category.iter().map(u64::to_string));
        w.write_record(&rec)?;
    }
    crate::report::csv_bytes(w)
}

fn row_props(t: &AreaTally, r: &AreaRow) -> Map<String, Value> {
    let cats: Map<String, Value> =
        t.categories.iter().zip(&r.by_category).map(|(c, n)| (c.clone(), Value::from(*n))).collect();
    let mut m = Map::new();
    m.insert("key".into(), r.key.clone().into());
    m.insert("name".into(), r.name.clone().into());
    m.insert("count".into(), r.count.into());
    m.insert("harm".into(), r.harm.into());
    m.insert("area_km2".into(), r.area_km2.into());
    m.insert("density_per_km2".into(), r.density_per_km2.into());
    m.insert("categories".into(), Value::Object(cats));
    m
}

/// `{"layer", "window", "categories", "density_of", "area_crs", "areas": [...], "outside": {...}, "total",
/// "warnings"}`.
pub(crate) fn tally_json(t: &AreaTally, layer: &AreaLayerRecord, window: Value, warnings: &[String]) -> Value {
    let outside = row_props(t, &t.outside);
    json!({
        "layer": layer,
        "window": window,
        "categories": t.categories,
        "density_of": t.density_of,
        "area_crs": t.area_crs,
        "areas": t.rows.iter().map(|r| Value::Object(row_props(t, r))).collect::<Vec<_>>(),
        "outside": {"count": outside["count"], "harm": outside["harm"], "categories": outside["categories"]},
        "total": t.total(),
        "warnings": warnings,
    })
}

/// The areas as a GeoJSON FeatureCollection (lon/lat) with their figures; incidents outside every area in the
/// collection's `outside` member.
pub(crate) fn tally_geojson(t: &AreaTally, layer: &AreaLayer, window: Value) -> Value {
    let features: Vec<Value> = t
        .rows
        .iter()
        .zip(&layer.areas)
        .map(|(r, a)| {
            json!({
                "type": "Feature",
                "properties": Value::Object(row_props(t, r)),
                "geometry": {"type": "MultiPolygon", "coordinates": multipolygon_to_json(&a.outline_lonlat)},
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "layer": t.layer,
        "window": window,
        "density_of": t.density_of,
        "area_crs": t.area_crs,
        "outside": {"count": t.outside.count, "harm": t.outside.harm},
        "features": features,
    })
}

/// `compare --by-area`: a table of each area's before, after and change, the outside row last.
pub(crate) fn area_changes_text(c: &crate::analysis::area_change::AreaComparison) -> String {
    let mut t = Table::new(&[
        ("key", Align::Left),
        ("name", Align::Left),
        ("before", Align::Right),
        ("after", Align::Right),
        ("change", Align::Left),
    ]);
    for r in c.areas.iter().chain(std::iter::once(&c.outside)) {
        t.row(vec![r.key.clone(), r.name.clone(), thousands(r.before), thousands(r.after), r.change.text.clone()]);
    }
    format!("\nby area of layer {}:\n{}", c.layer, t.render(0))
}

/// `compare --by-area --csv`: `key,name,before,after,absolute,relative,change`, the outside row last (empty key).
pub(crate) fn area_changes_csv(
    c: &crate::analysis::area_change::AreaComparison,
) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["key", "name", "before", "after", "absolute", "relative", "change"])?;
    for r in c.areas.iter().chain(std::iter::once(&c.outside)) {
        w.write_record([
            r.key.clone(),
            r.name.clone(),
            r.before.to_string(),
            r.after.to_string(),
            r.change.absolute.map(|v| v.to_string()).unwrap_or_default(),
            r.change.relative.map_or_else(String::new, |v| v.to_string()),
            r.change.text.clone(),
        ])?;
    }
    crate::report::csv_bytes(w)
}
