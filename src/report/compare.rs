//! Comparisons, change maps and accuracy as text, CSV and GeoJSON.

use super::table::{Align, Table, thousands};
use crate::analysis::accuracy::AccuracyRow;
use crate::analysis::change::{Change, format_grouped};
use crate::analysis::compare::{ChangeGrid, Comparison};
use crate::geo::Projector;
use serde_json::{Value, json};

/// A count or harm total: grouped, one decimal when not whole (counts are never negative).
fn num(v: f64) -> String {
    let body = format_grouped(v);
    if v < 0.0 { format!("-{body}") } else { body }
}

/// The comparison as a readable report: windows, totals, categories, then the areas and their tests.
pub(crate) fn comparison_text(c: &Comparison) -> String {
    let mut s = format!(
        "before: {} ({:.0} days)\nafter:  {} ({:.0} days)\n",
        c.before_text,
        c.before.days(),
        c.after_text,
        c.after.days()
    );
    for w in &c.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    let mut t =
        Table::new(&[("", Align::Left), ("before", Align::Right), ("after", Align::Right), ("change", Align::Left)]);
    let row = |t: &mut Table, name: &str, ch: &Change| {
        t.row(vec![name.to_owned(), num(ch.before), num(ch.after), ch.text.clone()])
    };
    row(&mut t, "all incidents", &c.total);
    row(&mut t, "harm", &c.harm);
    for cat in &c.categories {
        row(&mut t, &cat.category, &cat.change);
    }
    s.push('\n');
    s.push_str(&t.render(0));
    if let Some(a) = &c.areas {
        s.push_str(&format!("\n{} with a {} m buffer:\n", a.description, a.buffer_m));
        let mut t = Table::new(&[
            ("area", Align::Left),
            ("before", Align::Right),
            ("after", Align::Right),
            ("change", Align::Left),
        ]);
        for (name, p) in [("target", a.target), ("buffer", a.buffer), ("control", a.control)] {
            t.row(vec![name.into(), num(p.before), num(p.after), area_change(c, p).text]);
        }
        if let Some(p) = a.buffer_control {
            t.row(vec!["buffer control".into(), num(p.before), num(p.after), area_change(c, p).text]);
        }
        s.push_str(&t.render(2));
        s.push_str(&format!("  gross effect (target): {}\n", a.gross_effect.text));
        match (&a.net_effect, &a.net_effect_reason) {
            (Some(n), _) => s.push_str(&format!(
                "  net effect (target against the control's trend): {} (expected {} after, from the control)\n",
                n.text,
                num(n.before)
            )),
            (None, Some(r)) => s.push_str(&format!("  net effect: {r}\n")),
            _ => {}
        }
        match a.wdq.wdq {
            Some(q) => s.push_str(&format!("  WDQ (Bowers & Johnson): {q:.3}: {}\n", a.wdq.reading)),
            None => s.push_str(&format!("  WDQ (Bowers & Johnson): {}\n", a.wdq.reading)),
        }
        match a.wdd.as_ref().map(|d| (d, d.z)) {
            Some((d, Some(z))) => s.push_str(&format!(
                "  WDD (Wheeler & Ratcliffe): {:+.1} incidents (local {:+.1}, displacement {:+.1}), z = {z:.2}, p = {:.4}, 95% \
                 interval {:.1} to {:.1}{}\n",
                d.total,
                d.local,
                d.displacement,
                d.p.unwrap_or(1.0),
                d.low95,
                d.high95,
                if d.high95 < 0.0 { ": a significant fall" } else if d.low95 > 0.0 { ": a significant rise" } else { ": not significant" }
            )),
            Some((_, None)) => s.push_str("  WDD: undefined: every count is 0\n"),
            None => s.push_str("  WDD: not given (see the warning)\n"),
        }
    }
    s
}

/// An area's change, given only when the comparison's windows are covered.
fn area_change(c: &Comparison, p: crate::analysis::change::Pair) -> Change {
    if c.total.is_given() {
        crate::analysis::change::change(p.before, p.after, c.length_ratio)
    } else {
        Change::not_given(p.before, p.after, "see the warning")
    }
}

/// One CSV row per figure. Changes fill before, after, absolute, relative and text; the WDQ and WDD rows fill
/// value (the quotient; the WDD total), and the WDD row also se, z, p, low95 and high95. Empty = not applicable or
/// undefined (the text says why).
pub(crate) fn comparison_csv(c: &Comparison) -> Result<Vec<u8>, crate::report::ReportError> {
    let header = [
        "scope", "name", "before", "after", "absolute", "relative", "text", "value", "se", "z", "p", "low95", "high95",
    ];
    let mut rows: Vec<[String; 13]> = Vec::new();
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut change_row = |scope: &str, name: &str, ch: &Change| {
        let mut r: [String; 13] = Default::default();
        r[0] = scope.to_owned();
        r[1] = name.to_owned();
        r[2] = ch.before.to_string();
        r[3] = ch.after.to_string();
        r[4] = opt(ch.absolute);
        r[5] = opt(ch.relative);
        r[6] = ch.text.clone();
        rows.push(r);
    };
    change_row("total", "all incidents", &c.total);
    change_row("total", "harm", &c.harm);
    for cat in &c.categories {
        change_row("category", &cat.category, &cat.change);
    }
    if let Some(a) = &c.areas {
        for (name, p) in [("target", a.target), ("buffer", a.buffer), ("control", a.control)] {
            change_row("area", name, &area_change(c, p));
        }
        if let Some(p) = a.buffer_control {
            change_row("area", "buffer control", &area_change(c, p));
        }
        change_row("effect", "gross", &a.gross_effect);
        if let Some(n) = &a.net_effect {
            change_row("effect", "net", n);
        }
        let mut r: [String; 13] = Default::default();
        r[0] = "test".into();
        r[1] = "wdq".into();
        r[6] = a.wdq.reading.clone();
        r[7] = opt(a.wdq.wdq);
        rows.push(r);
        let mut r: [String; 13] = Default::default();
        r[0] = "test".into();
        r[1] = "wdd".into();
        match &a.wdd {
            Some(d) => {
                r[6] = match d.z {
                    Some(_) if d.high95 < 0.0 => "a significant fall".into(),
                    Some(_) if d.low95 > 0.0 => "a significant rise".into(),
                    Some(_) => "not significant".into(),
                    None => "undefined: every count is 0".into(),
                };
                r[7] = d.total.to_string();
                r[8] = d.se.to_string();
                r[9] = opt(d.z);
                r[10] = opt(d.p);
                if d.z.is_some() {
                    r[11] = d.low95.to_string();
                    r[12] = d.high95.to_string();
                }
            }
            None => r[6] = "not given: a window the store does not fully cover".into(),
        }
        rows.push(r);
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in &rows {
        w.write_record(r)?;
    }
    crate::report::csv_bytes(w)
}

/// Change-map cells with any incident, as GeoJSON polygons.
pub(crate) fn change_geojson(cg: &ChangeGrid, projector: &Projector) -> Value {
    let features: Vec<Value> = cg
        .map
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| c.before + c.after > 0)
        .map(|(i, c)| {
            json!({"type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [super::analysis::cell_ring_lonlat(&cg.grid, i, projector)]},
                "properties": {"before": c.before, "after": c.after, "difference": c.difference, "p": c.p,
                    "significant": c.significant}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features, "cell_m": cg.grid.cell_m, "fdr_q": cg.map.q,
        "p_threshold": cg.map.threshold})
}

/// Change-map cells with any incident, as CSV.
pub(crate) fn change_csv(cg: &ChangeGrid, projector: &Projector) -> Result<Vec<u8>, crate::report::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["row", "col", "lon", "lat", "before", "after", "difference", "p", "significant"])?;
    for (i, c) in cg.map.cells.iter().enumerate().filter(|(_, c)| c.before + c.after > 0) {
        let (x, y) = cg.grid.centre(i);
        let (lon, lat) = projector.to_lonlat(x, y).unwrap_or((f64::NAN, f64::NAN));
        w.write_record([
            (i / cg.grid.cols).to_string(),
            (i % cg.grid.cols).to_string(),
            lon.to_string(),
            lat.to_string(),
            c.before.to_string(),
            c.after.to_string(),
            c.difference.to_string(),
            c.p.to_string(),
            c.significant.to_string(),
        ])?;
    }
    crate::report::csv_bytes(w)
}

/// Accuracy rows as a table.
pub(crate) fn accuracy_text(rows: &[AccuracyRow]) -> String {
    let mut t = Table::new(&[
        ("bandwidth m", Align::Right),
        ("cell m", Align::Right),
        ("coverage", Align::Right),
        ("cells", Align::Right),
        ("area", Align::Right),
        ("train in", Align::Right),
        ("test in", Align::Right),
        ("hit rate", Align::Right),
        ("PAI", Align::Right),
        ("RRI", Align::Right),
    ]);
    let opt = |v: Option<f64>, pct: bool| match v {
        Some(x) if pct => format!("{:.1}%", 100.0 * x),
        Some(x) => format!("{x:.2}"),
        None => "undefined".into(),
    };
    for r in rows {
        t.row(vec![
            format!("{:.0}", r.bandwidth_m),
            format!("{}", r.cell_m),
            format!("{}%", r.coverage_pct),
            thousands(r.cells as u64),
            format!("{:.2}%{}", 100.0 * r.area_share, if r.reached { "" } else { "*" }),
            format!("{} of {}", thousands(r.train_in), thousands(r.train_total)),
            format!("{} of {}", thousands(r.test_in), thousands(r.test_total)),
            opt(r.hit_rate, true),
            opt(r.pai, false),
            opt(r.rri, false),
        ]);
    }
    let mut out = t.render(0);
    // With several bandwidths, which one predicted the test window best at each coverage.
    let mut coverages: Vec<f64> = rows.iter().map(|r| r.coverage_pct).collect();
    coverages.dedup();
    coverages.sort_by(f64::total_cmp);
    coverages.dedup();
    let several = rows.iter().any(|r| r.bandwidth_m != rows[0].bandwidth_m);
    for c in coverages.iter().filter(|_| several) {
        // Only rows whose cells filled the coverage: fewer cells on less area inflate PAI.
        let best = rows.iter().filter(|r| r.coverage_pct == *c && r.reached && r.pai.is_some()).max_by(|a, b| {
            a.pai.unwrap_or(0.0).total_cmp(&b.pai.unwrap_or(0.0)).then(b.bandwidth_m.total_cmp(&a.bandwidth_m))
        });
        if let Some(b) = best {
            out.push_str(&format!(
                "at {c}% of the area: the highest PAI is {} with a {:.0} m bandwidth\n",
                opt(b.pai, false),
                b.bandwidth_m
            ));
        }
    }
    if let Some(r) = rows.first() {
        out.push_str(&format!(
            "study area: {} cells, {}{}\nhotspots: the densest cells of the train window up to each coverage (rounded \
             down; ties by cell index); area = their share of the study area, * when the surface had fewer positive \
             cells than the coverage allows (such rows are not ranked)\n",
            thousands(r.study_cells as u64),
            crate::analysis::predict::STUDY_AREA_RULE,
            if r.strays > 0 { format!(" ({} strays left out)", r.strays) } else { String::new() }
        ));
    }
    out
}
