//! The Knox test's table as text, CSV, JSON and an HTML heat table; near-repeat zones as text and GeoJSON.

use super::table::{Align, Table, thousands};
use crate::analysis::nearrepeat::zones::{ZoneValidation, Zones};
use crate::analysis::nearrepeat::{KnoxCell, KnoxResult};
use crate::model::time::format_instant;
use serde::Serialize;

/// How the band edges are read, said with every output.
pub(crate) fn edges_text(r: &KnoxResult) -> String {
    format!(
        "bands are closed on the left and open on the right, [a,b): a pair exactly on an edge is in the band that \
         starts there; {}pairs at or beyond {} m or {} days are not counted",
        if r.params.space.same_location {
            "distance 0 (the same map point) is its own band and the first near band is (0,b); "
        } else {
            ""
        },
        super::super::analysis::nearrepeat::bands::num(r.params.space.max_m()),
        super::super::analysis::nearrepeat::bands::num(r.params.time.edges_d[r.params.time.edges_d.len() - 1]),
    )
}

/// What was tested, for the header of every format.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct KnoxContext {
    /// `[from, to)` of the selection, ISO 8601, or `None` for the data's whole span.
    pub from: Option<String>,
    pub to: Option<String>,
    pub categories: Vec<String>,
    pub warnings: Vec<String>,
}

fn ratio_text(c: &KnoxCell) -> String {
    match c.knox_ratio {
        Some(r) => format!("{r:.2}{}", if c.significant { "*" } else { "" }),
        None => "-".to_owned(),
    }
}

fn grid(r: &KnoxResult, title: &str, cell: &dyn Fn(&KnoxCell) -> String) -> String {
    let mut cols: Vec<(&str, Align)> = vec![("space (m) \\ time (days)", Align::Left)];
    cols.extend(r.time_labels.iter().map(|l| (l.as_str(), Align::Right)));
    let mut t = Table::new(&cols);
    for (s, label) in r.space_labels.iter().enumerate() {
        let mut row = vec![label.clone()];
        row.extend((0..r.time_labels.len()).map(|b| cell(r.cell(s, b))));
        t.row(row);
    }
    format!("{title}\n{}", t.render(0))
}

/// The tables for a terminal: Knox ratios (significant cells starred), observed, expected, p.
pub(crate) fn knox_text(r: &KnoxResult, ctx: &KnoxContext) -> String {
    let p = &r.params;
    let mut s = format!(
        "Knox test: {} incidents{}{}; {} distance; {} permutations (seed {}); significant when p <= {}\n",
        thousands(r.incidents as u64),
        if ctx.categories.is_empty() { String::new() } else { format!(" of {}", ctx.categories.join(", ")) },
        match (&ctx.from, &ctx.to) {
            (None, None) => String::new(),
            (f, t) => format!(
                ", {} to {} (end exclusive)",
                f.as_deref().unwrap_or("the start"),
                t.as_deref().unwrap_or("the end")
            ),
        },
        p.metric.name(),
        p.iterations,
        p.seed,
        p.alpha
    );
    s.push_str(&format!("{}\n", edges_text(r)));
    s.push_str(&format!(
        "pairs closer than {} m: {}; pairs in the table: {}\n",
        super::super::analysis::nearrepeat::bands::num(p.space.max_m()),
        thousands(r.pairs_within_space),
        thousands(r.pairs_in_table)
    ));
    for w in &ctx.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    for n in &r.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s.push('\n');
    s.push_str(&grid(r, "Knox ratio (observed / mean of the permutations; * significant)", &ratio_text));
    s.push('\n');
    s.push_str(&grid(r, "Observed pairs", &|c| thousands(c.observed)));
    s.push('\n');
    s.push_str(&grid(r, "Expected pairs (mean of the permutations)", &|c| format!("{:.1}", c.expected)));
    s.push('\n');
    s.push_str(&grid(r, "p (one-sided, (k+1)/(iterations+1))", &|c| format!("{:.3}", c.p)));
    let sig: Vec<String> = r
        .significant_cells()
        .filter(|c| c.knox_ratio.is_some_and(|k| k > 1.0))
        .map(|c| {
            let place = if r.params.space.same_location && c.space == 0 {
                "same location".to_owned()
            } else {
                format!("{} m", c.space_label)
            };
            format!("{place} x {} days (ratio {})", c.time_label, ratio_text(c))
        })
        .collect();
    s.push('\n');
    if sig.is_empty() {
        s.push_str("no cell has significantly more pairs than chance\n");
    } else {
        s.push_str(&format!("significantly more pairs than chance: {}\n", sig.join("; ")));
    }
    s
}

/// One row per cell.
pub(crate) fn knox_csv(r: &KnoxResult) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "space_band",
        "space_label",
        "space_from_m",
        "space_to_m",
        "time_band",
        "time_label",
        "time_from_d",
        "time_to_d",
        "observed",
        "expected",
        "expected_exact",
        "knox_ratio",
        "median",
        "knox_ratio_median",
        "p",
        "significant",
    ])?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for c in &r.cells {
        let (lo, hi, _) = r.params.space.interval(c.space);
        w.write_record([
            c.space.to_string(),
            c.space_label.clone(),
            lo.to_string(),
            hi.to_string(),
            c.time.to_string(),
            c.time_label.clone(),
            r.params.time.edges_d[c.time].to_string(),
            r.params.time.edges_d[c.time + 1].to_string(),
            c.observed.to_string(),
            c.expected.to_string(),
            c.expected_exact.to_string(),
            opt(c.knox_ratio),
            c.median.to_string(),
            opt(c.knox_ratio_median),
            c.p.to_string(),
            c.significant.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The JSON document: context, the edge rule, and the result.
pub(crate) fn knox_json(r: &KnoxResult, ctx: &KnoxContext) -> serde_json::Value {
    serde_json::json!({
        "window": {"from": ctx.from, "to": ctx.to},
        "categories": ctx.categories,
        "edges": edges_text(r),
        "warnings": ctx.warnings,
        "result": r,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A standalone HTML page: the heat table of Knox ratios (significant cells shaded by their ratio), with the
/// observed pairs and p in each cell, and the parameters and edge rule.
pub(crate) fn knox_html(r: &KnoxResult, ctx: &KnoxContext) -> String {
    let text = knox_text(r, ctx);
    let header: String = text.lines().take_while(|l| !l.is_empty()).map(|l| format!("<p>{}</p>\n", esc(l))).collect();
    let max_ratio = r.significant_cells().filter_map(|c| c.knox_ratio).fold(1.0f64, f64::max);
    let mut rows = String::new();
    for (s, label) in r.space_labels.iter().enumerate() {
        rows.push_str(&format!("<tr><th>{}</th>", esc(label)));
        for b in 0..r.time_labels.len() {
            let c = r.cell(s, b);
            let style = match c.knox_ratio {
                Some(k) if c.significant && k > 1.0 => {
                    // From pale orange at 1 to deep red at the largest significant ratio.
                    let f = if max_ratio > 1.0 { ((k - 1.0) / (max_ratio - 1.0)).clamp(0.0, 1.0) } else { 1.0 };
                    let (g, bl) = (200.0 - 170.0 * f, 120.0 - 100.0 * f);
                    format!(" style=\"background:rgb(240,{g:.0},{bl:.0})\" class=\"sig\"")
                }
                _ => String::new(),
            };
            rows.push_str(&format!(
                "<td{style} title=\"expected {:.1}, p {:.3}\"><b>{}</b><br><small>{} pairs, p {:.3}</small></td>",
                c.expected,
                c.p,
                esc(&ratio_text(c)),
                thousands(c.observed),
                c.p
            ));
        }
        rows.push_str("</tr>\n");
    }
    let head: String = r.time_labels.iter().map(|l| format!("<th>{}</th>", esc(l))).collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Knox test</title>\n<style>\
         body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse}} \
         td,th{{border:1px solid #999;padding:4px 8px;text-align:center}} th{{background:#eee}} \
         td small{{color:#444}} .sig b{{color:#000}}</style></head>\n<body>\n<h1>Near repeats: Knox test</h1>\n\
         {header}<table>\n<tr><th>space (m) \\ time (days)</th>{head}</tr>\n{rows}</table>\n\
         <p>Each cell: the Knox ratio (observed pairs / mean of the permuted counts; * significant at p &lt;= {}), \
         the observed pairs and the one-sided p. Shaded: significantly more pairs than chance.</p>\n</body></html>\n",
        r.params.alpha
    )
}

/// Near-repeat zones for a terminal.
pub(crate) fn zones_text(z: &Zones, validation: Option<&ZoneValidation>) -> String {
    let mut s = format!(
        "near-repeat zones as of {}: incidents of the last {} days within {} m and {} days of raised risk \
         (significant Knox cells on the history {} to {})\n",
        format_instant(z.as_of_s),
        super::super::analysis::nearrepeat::bands::num(z.nr_days),
        super::super::analysis::nearrepeat::bands::num(z.radius_m),
        super::super::analysis::nearrepeat::bands::num(z.risk_days),
        format_instant(z.history_from_s),
        format_instant(z.as_of_s),
    );
    for n in &z.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    let mut t = Table::new(&[
        ("zone", Align::Right),
        ("incidents", Align::Right),
        ("last incident", Align::Left),
        ("expires", Align::Left),
        ("addresses-worth", Align::Right),
        ("area km2", Align::Right),
        ("centre lat, lon", Align::Left),
    ]);
    for (k, zone) in z.zones.iter().enumerate() {
        t.row(vec![
            (k + 1).to_string(),
            zone.incidents.len().to_string(),
            format_instant(zone.last_s),
            format_instant(zone.expires_s),
            zone.addresses_worth.to_string(),
            format!("{:.4}", zone.area_m2 / 1e6),
            format!("{:.5}, {:.5}", zone.centre_lonlat[1], zone.centre_lonlat[0]),
        ]);
    }
    s.push_str(&format!("{} zones, {:.3} km2 in all\n", z.zones.len(), z.total_area_m2 / 1e6));
    if !z.zones.is_empty() {
        s.push_str(&t.render(0));
    }
    if let Some(v) = validation {
        s.push_str(&format!(
            "next {} days: {} of {} incidents fell in the zones ({:.1}%); the same area placed at random (mean of {} \
             draws): {:.1}; around the {} oldest incidents of the history: {}\n",
            super::super::analysis::nearrepeat::bands::num(v.horizon_days),
            v.hits,
            v.total,
            if v.total > 0 { 100.0 * v.hits as f64 / v.total as f64 } else { 0.0 },
            v.random_draws,
            v.random_mean_hits,
            v.oldest_count,
            v.oldest_hits
        ));
    }
    s
}

/// Near-repeat zones as a GeoJSON FeatureCollection (outlines in lon/lat).
pub(crate) fn zones_geojson(z: &Zones) -> serde_json::Value {
    let features: Vec<serde_json::Value> = z
        .zones
        .iter()
        .enumerate()
        .map(|(k, zone)| {
            serde_json::json!({"type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": zone.outline_lonlat},
                "properties": {"zone": k + 1, "incidents": zone.incidents.len(), "last": format_instant(zone.last_s),
                    "expires": format_instant(zone.expires_s), "addresses_worth": zone.addresses_worth,
                    "area_m2": zone.area_m2}})
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features, "as_of": format_instant(z.as_of_s),
        "nr_days": z.nr_days, "radius_m": z.radius_m, "risk_days": z.risk_days})
}
