//! Hour of day x day of week: a terminal heat table, CSV, JSON, SVG and PNG.

use super::png::{HeatmapStyle, PngError, Scale, heatmap_png};
use super::table::thousands;
use crate::analysis::when::concentration::Concentration;
use crate::analysis::when::{DAY_NAMES, WeekHours};
use serde::Serialize;

/// What was counted, for every format's header.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WhenContext {
    pub from: Option<String>,
    pub to: Option<String>,
    pub categories: Vec<String>,
    /// `lsoas:E01015301 (Poole 001A)`, `within 250 m of 50.71, -1.98`, or `None` for everywhere.
    pub place: Option<String>,
    pub warnings: Vec<String>,
}

fn value_text(v: f64, whole: bool) -> String {
    if whole { format!("{}", v.round() as i64) } else { format!("{v:.1}") }
}

/// Whether every cell is a whole number (no spreading), so counts print without decimals.
fn whole(w: &WeekHours) -> bool {
    w.cells.iter().all(|v| (v - v.round()).abs() < 1e-9)
}

fn header(w: &WeekHours, ctx: &WhenContext) -> String {
    let mut s = format!(
        "{} incidents{}{}{}; hours in {}\n",
        thousands(w.incidents as u64),
        if ctx.categories.is_empty() { String::new() } else { format!(" of {}", ctx.categories.join(", ")) },
        ctx.place.as_deref().map(|p| format!(" in {p}")).unwrap_or_default(),
        match (&ctx.from, &ctx.to) {
            (None, None) => String::new(),
            (f, t) => format!(
                ", {} to {} (end exclusive)",
                f.as_deref().unwrap_or("the start"),
                t.as_deref().unwrap_or("the end")
            ),
        },
        w.timezone
    );
    if w.spread > 0 {
        s.push_str(&format!(
            "{} incidents known only to a time range are spread over it (aoristic, Ratcliffe 2002)\n",
            thousands(w.spread as u64)
        ));
    }
    for warn in &ctx.warnings {
        s.push_str(&format!("warning: {warn}\n"));
    }
    s
}

fn concentration_text(c: Option<&Concentration>) -> String {
    match c {
        Some(c) => match &c.sentence {
            Some(sentence) => format!(
                "{sentence}: {:.0}% of incidents in {:.0}% of the week's hours (uniform null: p = {:.3}, {} draws)\n",
                100.0 * c.block.share,
                100.0 * c.time_share,
                c.p,
                c.draws
            ),
            None => format!(
                "no concentration beyond chance: the smallest block holding half of the incidents ({}, {:.0}% of the \
                 week) is not unusual for times spread uniformly (p = {:.3}, {} draws)\n",
                c.block.text(),
                100.0 * c.time_share,
                c.p,
                c.draws
            ),
        },
        None => "no incidents\n".to_owned(),
    }
}

/// Terminal output: a shaded week (one character per hour), then the numbers.
pub(crate) fn when_text(w: &WeekHours, c: Option<&Concentration>, ctx: &WhenContext) -> String {
    let mut s = header(w, ctx);
    s.push_str(&concentration_text(c));
    let max = w.cells.iter().copied().fold(0.0f64, f64::max);
    let shades = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];
    s.push_str(&format!("\n{:12}{:<6}{:<6}{:<6}{}\n", "", "0", "6", "12", "18"));
    for (d, name) in DAY_NAMES.iter().enumerate() {
        let row: String = (0..24)
            .map(|h| {
                let v = w.get(d, h);
                if max <= 0.0 || v <= 0.0 {
                    ' '
                } else {
                    shades[1 + ((v / max) * (shades.len() - 2) as f64).round() as usize]
                }
            })
            .collect();
        s.push_str(&format!("{:<10} |{row}|\n", &name[..3]));
    }
    let whole = whole(w);
    s.push_str("\nday       ");
    for h in 0..24 {
        s.push_str(&format!("{h:>5}"));
    }
    s.push_str("  total\n");
    let totals = w.day_totals();
    for (d, name) in DAY_NAMES.iter().enumerate() {
        s.push_str(&format!("{:<10}", &name[..3]));
        for h in 0..24 {
            s.push_str(&format!("{:>5}", value_text(w.get(d, h), whole)));
        }
        s.push_str(&format!("{:>7}\n", value_text(totals[d], whole)));
    }
    s.push_str(&format!("{:<10}", "total"));
    for v in w.hour_totals() {
        s.push_str(&format!("{:>5}", value_text(v, whole)));
    }
    s.push_str(&format!("{:>7}\n", value_text(w.total(), whole)));
    s
}

/// `day,day_name,hour,weight`: 168 rows, Monday 00:00 first.
pub(crate) fn when_csv(w: &WeekHours) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["day", "day_name", "hour", "weight"])?;
    for (d, name) in DAY_NAMES.iter().enumerate() {
        for h in 0..24 {
            out.write_record([d.to_string(), (*name).to_owned(), h.to_string(), w.get(d, h).to_string()])?;
        }
    }
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The JSON document.
pub(crate) fn when_json(w: &WeekHours, c: Option<&Concentration>, ctx: &WhenContext) -> serde_json::Value {
    let rows: Vec<Vec<f64>> = (0..7).map(|d| w.cells[d * 24..d * 24 + 24].to_vec()).collect();
    serde_json::json!({
        "window": {"from": ctx.from, "to": ctx.to},
        "categories": ctx.categories,
        "place": ctx.place,
        "timezone": w.timezone,
        "incidents": w.incidents,
        "spread": w.spread,
        "days": DAY_NAMES,
        "cells": rows,
        "day_totals": w.day_totals(),
        "hour_totals": w.hour_totals(),
        "concentration": c,
        "sentence": c.and_then(|c| c.sentence.clone()),
        "warnings": ctx.warnings,
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// An SVG heat table: days down, hours across, cells shaded from white to dark red by their weight.
pub(crate) fn when_svg(w: &WeekHours, c: Option<&Concentration>, ctx: &WhenContext) -> String {
    let (cell, left, top) = (28.0, 90.0, 70.0);
    let width = left + 24.0 * cell + 20.0;
    let height = top + 7.0 * cell + 60.0;
    let max = w.cells.iter().copied().fold(0.0f64, f64::max);
    let whole = whole(w);
    let title = header(w, ctx).lines().next().unwrap_or_default().to_owned();
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} \
         {height}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"13\">{}</text>\n",
        esc(&title)
    );
    for h in 0..24 {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{h:02}</text>\n",
            left + (h as f64 + 0.5) * cell,
            top - 8.0
        ));
    }
    for (d, name) in DAY_NAMES.iter().enumerate() {
        let y = top + d as f64 * cell;
        s.push_str(&format!("<text x=\"10\" y=\"{:.1}\">{name}</text>\n", y + cell * 0.65));
        for h in 0..24 {
            let v = w.get(d, h);
            let t = if max > 0.0 { v / max } else { 0.0 };
            let (g, b) = (255.0 - 225.0 * t, 255.0 - 235.0 * t);
            s.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb(255,{g:.0},{b:.0})\" \
                 stroke=\"#ccc\"><title>{name} {h:02}:00: {}</title></rect>\n",
                left + h as f64 * cell,
                value_text(v, whole)
            ));
        }
    }
    let note = c.and_then(|c| c.sentence.clone()).unwrap_or_else(|| "no concentration beyond chance".to_owned());
    s.push_str(&format!(
        "<text x=\"10\" y=\"{:.1}\">{}</text>\n<text x=\"10\" y=\"{:.1}\" fill=\"#555\">hours in {}; darkest cell = {}</text>\n</svg>\n",
        top + 7.0 * cell + 25.0,
        esc(&note),
        top + 7.0 * cell + 45.0,
        esc(&w.timezone),
        value_text(max, whole)
    ));
    s
}

/// A PNG quick look (no labels): 24 x 7 cells of `px` pixels, Monday at the top, 00:00 at the left.
pub(crate) fn when_png(w: &WeekHours, px: usize) -> Result<Vec<u8>, PngError> {
    let (cols, rows) = (24 * px, 7 * px);
    let mut values = vec![0.0f64; cols * rows];
    // heatmap_png draws row 0 at the bottom: put Sunday first.
    for r in 0..rows {
        let day = 6 - r / px;
        for c in 0..cols {
            values[r * cols + c] = w.get(day, c / px);
        }
    }
    let mut buf = Vec::new();
    let max = w.cells.iter().copied().fold(0.0f64, f64::max);
    let style = HeatmapStyle { scale: Scale::Linear, max_value: (max > 0.0).then_some(max) };
    heatmap_png(&values, rows, cols, &style, &mut buf)?;
    Ok(buf)
}
