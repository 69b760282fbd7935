//! Analysis results as text, GeoJSON and CSV.

use super::table::{Align, Table, thousands};
use crate::analysis::gistar::GiStar;
use crate::analysis::hotspots::HotspotSet;
use crate::analysis::kde::DensitySurface;
use crate::analysis::pipeline::ResolvedParams;
use crate::geo::Projector;
use crate::grid::Grid;
use serde_json::{Value, json};

/// The parameters, one per line, so every result can be reproduced.
pub(crate) fn params_text(p: &ResolvedParams) -> String {
    let mut s = String::new();
    let window = match (&p.from, &p.to) {
        (None, None) => "all time".to_owned(),
        (f, t) => format!(
            "{} to {} (end exclusive)",
            f.as_deref().unwrap_or("the beginning"),
            t.as_deref().unwrap_or("the end")
        ),
    };
    s.push_str(&format!("window: {window}\n"));
    let cats = if p.categories.is_empty() { "all".to_owned() } else { p.categories.join(", ") };
    s.push_str(&format!("categories: {cats}\n"));
    if let Some([w, so, e, n]) = p.bbox {
        s.push_str(&format!("within: lon {w} to {e}, lat {so} to {n} (bbox)\n"));
    }
    match &p.harm_table {
        Some(t) => s.push_str(&format!("weight: harm ({t})\n")),
        None => s.push_str("weight: count\n"),
    }
    match &p.bandwidth_rule {
        Some(b) => s.push_str(&format!(
            "kernel: {}, bandwidth {:.1} m (automatic: {}; SD {:.1} m, Dm {:.1} m, n {})\n",
            p.kernel.name(),
            p.bandwidth_m,
            b.rule,
            b.standard_distance_m,
            b.median_distance_m,
            b.n
        )),
        None => s.push_str(&format!("kernel: {}, bandwidth {} m\n", p.kernel.name(), p.bandwidth_m)),
    }
    match p.cell_rule {
        Some(rule) => s.push_str(&format!("cell: {} m (automatic: {rule})\n", p.cell_m)),
        None => s.push_str(&format!("cell: {} m\n", p.cell_m)),
    }
    s.push_str(&format!(
        "grid: {} x {} cells from ({}, {}) in {}\n",
        p.grid_cols, p.grid_rows, p.grid_origin_m[0], p.grid_origin_m[1], p.crs
    ));
    s
}

/// A ranked table of hotspots.
pub(crate) fn hotspots_text(set: &HotspotSet, top: usize) -> String {
    let mut t = Table::new(&[
        ("rank", Align::Right),
        ("id", Align::Left),
        ("incidents", Align::Right),
        ("harm", Align::Right),
        ("hit rate", Align::Right),
        ("area m2", Align::Right),
        ("PAI", Align::Right),
        ("top category", Align::Left),
        ("streets", Align::Left),
    ]);
    for h in set.hotspots.iter().take(top) {
        let top_cat = h.categories.first().map(|c| format!("{} ({})", c.name, c.count)).unwrap_or_default();
        let streets: Vec<String> =
            h.top_locations.iter().take(3).map(|l| format!("{} ({})", l.name, l.count)).collect();
        t.row(vec![
            h.rank.to_string(),
            h.id.clone(),
            thousands(h.incidents),
            format!("{:.1}", h.harm),
            format!("{:.1}%", 100.0 * h.hit_rate),
            thousands(h.area_m2.round() as u64),
            format!("{:.1}", h.pai),
            top_cat,
            streets.join("; "),
        ]);
    }
    let mut s = format!(
        "{} hotspots ({} shown), rule {}, ranked by {}; {} incidents selected, study area {:.2} km2; hit rate and PAI \
         are of this window (in-sample)\n\n",
        set.hotspots.len(),
        set.hotspots.len().min(top),
        match set.rule {
            crate::analysis::hotspots::CellRule::TopShare(x) => format!("densest {}% of the study area", x * 100.0),
            crate::analysis::hotspots::CellRule::Cut(x) => format!("density >= {x} per km2"),
            crate::analysis::hotspots::CellRule::GiStarHot => "Gi* hot at 95% or more".to_owned(),
            crate::analysis::hotspots::CellRule::Predicted(x) =>
                format!("the {}% of the study area most likely to see incidents next", x * 100.0),
        },
        match set.rank_by {
            crate::analysis::hotspots::RankBy::Count => "incidents",
            crate::analysis::hotspots::RankBy::Harm => "harm",
        },
        thousands(set.selected_incidents),
        set.study_area_m2 / 1e6
    );
    s.push_str(&t.render(0));
    s
}

/// Hotspots as a GeoJSON FeatureCollection (MultiPolygon outlines in lon/lat), with the parameters as a foreign
/// member `parameters`.
pub(crate) fn hotspots_geojson(set: &HotspotSet, params: &ResolvedParams, top: usize) -> Value {
    let features: Vec<Value> = set
        .hotspots
        .iter()
        .take(top)
        .map(|h| {
            json!({
                "type": "Feature",
                "id": h.id,
                "geometry": {"type": "MultiPolygon", "coordinates": h.outline_lonlat},
                "properties": {
                    "id": h.id, "rank": h.rank, "incidents": h.incidents, "harm": h.harm,
                    "hit_rate": h.hit_rate, "area_m2": h.area_m2, "area_share": h.area_share, "pai": h.pai,
                    "peak_density_per_km2": h.peak_density_per_km2, "centroid_lonlat": h.centroid_lonlat,
                    "cells": h.cells, "categories": h.categories, "top_locations": h.top_locations,
                    "area_codes": h.area_codes,
                }
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "features": features,
        "parameters": params,
        "rule": set.rule,
        "rank_by": set.rank_by,
        "density_threshold_per_km2": set.density_threshold_per_km2,
        "selected_incidents": set.selected_incidents,
        "selected_harm": set.selected_harm,
        "study_area_m2": set.study_area_m2,
    })
}

/// Hotspots as CSV: one row each, the lists joined with `; `.
pub(crate) fn hotspots_csv(set: &HotspotSet, top: usize) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank",
        "id",
        "incidents",
        "harm",
        "hit_rate",
        "area_m2",
        "area_share",
        "pai",
        "peak_density_per_km2",
        "centroid_lon",
        "centroid_lat",
        "categories",
        "top_locations",
        "area_codes",
    ])?;
    for h in set.hotspots.iter().take(top) {
        let join = |v: &[crate::analysis::hotspots::Named]| {
            v.iter().map(|n| format!("{} ({})", n.name, n.count)).collect::<Vec<_>>().join("; ")
        };
        w.write_record([
            h.rank.to_string(),
            h.id.clone(),
            h.incidents.to_string(),
            h.harm.to_string(),
            h.hit_rate.to_string(),
            h.area_m2.to_string(),
            h.area_share.to_string(),
            h.pai.to_string(),
            h.peak_density_per_km2.to_string(),
            h.centroid_lonlat[0].to_string(),
            h.centroid_lonlat[1].to_string(),
            join(&h.categories),
            join(&h.top_locations),
            h.area_codes.join("; "),
        ])?;
    }
    crate::report::csv_bytes(w)
}

/// A grid cell's outline in lon/lat, counter-clockwise and closed.
pub(crate) fn cell_ring_lonlat(grid: &Grid, i: usize, projector: &Projector) -> Vec<[f64; 2]> {
    let (r, c) = (i / grid.cols, i % grid.cols);
    let x0 = grid.origin_x_m + c as f64 * grid.cell_m;
    let y0 = grid.origin_y_m + r as f64 * grid.cell_m;
    let (x1, y1) = (x0 + grid.cell_m, y0 + grid.cell_m);
    [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        .iter()
        .map(|&(x, y)| projector.to_lonlat(x, y).map_or([f64::NAN, f64::NAN], |(lon, lat)| [lon, lat]))
        .collect()
}

/// Positive-density cells as GeoJSON polygons with `density_per_km2` and `expected`.
pub(crate) fn density_geojson(s: &DensitySurface, params: &ResolvedParams, projector: &Projector) -> Value {
    let features: Vec<Value> = (0..s.grid.n_cells())
        .filter(|&i| s.density_per_km2[i] > 0.0)
        .map(|i| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [cell_ring_lonlat(&s.grid, i, projector)]},
                "properties": {"row": i / s.grid.cols, "col": i % s.grid.cols,
                    "density_per_km2": s.density_per_km2[i], "expected": s.expected_in_cell(i)}
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "parameters": params})
}

/// Every cell as CSV: row, col, centre x/y (metres), centre lon/lat, density per km^2, expected incidents.
pub(crate) fn density_csv(s: &DensitySurface, projector: &Projector) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["row", "col", "x_m", "y_m", "lon", "lat", "density_per_km2", "expected"])?;
    for i in 0..s.grid.n_cells() {
        let (x, y) = s.grid.centre(i);
        let (lon, lat) = projector.to_lonlat(x, y).unwrap_or((f64::NAN, f64::NAN));
        w.write_record([
            (i / s.grid.cols).to_string(),
            (i % s.grid.cols).to_string(),
            x.to_string(),
            y.to_string(),
            lon.to_string(),
            lat.to_string(),
            s.density_per_km2[i].to_string(),
            s.expected_in_cell(i).to_string(),
        ])?;
    }
    crate::report::csv_bytes(w)
}

/// Gi* cells with a non-zero value or a non-zero bin, as GeoJSON polygons with value, z, p, (p_sim) and bin.
pub(crate) fn gistar_geojson(
    grid: &Grid,
    values: &[f64],
    g: &GiStar,
    params: &ResolvedParams,
    projector: &Projector,
) -> Value {
    let features: Vec<Value> = (0..grid.n_cells())
        .filter(|&i| values[i] != 0.0 || g.bin[i] != 0)
        .map(|i| {
            let mut props = json!({"row": i / grid.cols, "col": i % grid.cols, "value": values[i],
                "z": g.z[i], "p": g.p[i], "bin": g.bin[i], "neighbours": g.neighbours[i]});
            if let (Some(ps), Some(obj)) = (&g.p_sim, props.as_object_mut()) {
                obj.insert("p_sim".into(), json!(ps[i]));
            }
            json!({"type": "Feature", "geometry": {"type": "Polygon",
                "coordinates": [cell_ring_lonlat(grid, i, projector)]}, "properties": props})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "parameters": params, "gistar": {
        "options": g.options, "thresholds_90_95_99": g.thresholds, "warnings": g.warnings}})
}

/// Every Gi* cell as CSV.
pub(crate) fn gistar_csv(
    grid: &Grid,
    values: &[f64],
    g: &GiStar,
    projector: &Projector,
) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["row", "col", "x_m", "y_m", "lon", "lat", "value", "neighbours", "z", "p", "p_sim", "bin"])?;
    for i in 0..grid.n_cells() {
        let (x, y) = grid.centre(i);
        let (lon, lat) = projector.to_lonlat(x, y).unwrap_or((f64::NAN, f64::NAN));
        w.write_record([
            (i / grid.cols).to_string(),
            (i % grid.cols).to_string(),
            x.to_string(),
            y.to_string(),
            lon.to_string(),
            lat.to_string(),
            values[i].to_string(),
            g.neighbours[i].to_string(),
            g.z[i].to_string(),
            g.p[i].to_string(),
            g.p_sim.as_ref().map(|p| p[i].to_string()).unwrap_or_default(),
            g.bin[i].to_string(),
        ])?;
    }
    crate::report::csv_bytes(w)
}

/// A count summary of Gi* bins.
pub(crate) fn gistar_text(g: &GiStar) -> String {
    let count = |b: i8| g.bin.iter().filter(|&&x| x == b).count() as u64;
    let mut s = format!(
        "Gi* over {} cells{}, bins from the {} p-values: hot 99% {}, 95% {}, 90% {}; cold 99% {}, 95% {}, 90% {}; max \
         z {:.2}\n",
        thousands(g.cells_analysed as u64),
        if g.options.fdr { " (FDR corrected)" } else { "" },
        g.bins_from,
        thousands(count(3)),
        thousands(count(2)),
        thousands(count(1)),
        thousands(count(-3)),
        thousands(count(-2)),
        thousands(count(-1)),
        g.z.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    );
    for w in &g.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
