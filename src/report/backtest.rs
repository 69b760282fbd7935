//! The backtest as a table, CSV, and an SVG chart of hit rate against coverage.

use super::{Align, Table, thousands};
use crate::analysis::backtest::{Backtest, MethodChoice, Stat};

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn range(s: Option<Stat>) -> String {
    s.map_or_else(|| "-".into(), |s| format!("{}..{}", pct(s.min), pct(s.max)))
}

fn mean_pct(s: Option<Stat>) -> String {
    s.map_or_else(|| "undefined".into(), |s| pct(s.mean))
}

fn mean_num(s: Option<Stat>) -> String {
    s.map_or_else(|| "undefined".into(), |s| format!("{:.2}", s.mean))
}

/// The parameters, the methods with theirs, the table, the notes and the choice.
pub(crate) fn backtest_text(bt: &Backtest, choice: Option<&MethodChoice>) -> String {
    let mut s = String::new();
    let word = bt.period.word();
    let labels: Vec<&str> = bt.folds.iter().map(|f| f.label.as_str()).collect();
    s.push_str(&format!(
        "backtest: {} fold{} of one {word} each, newest first: {}",
        bt.folds.len(),
        if bt.folds.len() == 1 { "" } else { "s" },
        labels.join(", ")
    ));
    s.push('\n');
    s.push_str(&format!(
        "each method fitted on the data before its fold only; weight: {}; history up to {}{}",
        match bt.weight {
            crate::analysis::points::WeightMode::Count => "count",
            crate::analysis::points::WeightMode::Harm => "harm",
        },
        bt.at,
        if bt.categories.is_empty() { String::new() } else { format!("; categories: {}", bt.categories.join(", ")) }
    ));
    s.push('\n');
    let a = &bt.study_area;
    s.push_str(&format!(
        "study area: {} cells of {} m ({:.1} km2), {} ({} to {})",
        thousands(a.cells as u64),
        a.cell_m,
        a.km2,
        a.rule,
        a.from,
        a.to
    ));
    s.push('\n');
    s.push_str(
        "places: the best-scored study cells up to each coverage (rounded down; ties by cell index); area = the share \
         of the study area they covered, * when a method scored fewer cells than the coverage allows",
    );
    s.push('\n');
    s.push_str("\nmethods:");
    s.push('\n');
    for m in &bt.methods {
        s.push_str(&format!("  {:<24} {}", m.text, m.description));
        s.push('\n');
    }
    let mut t = Table::new(&[
        ("method", Align::Left),
        ("coverage", Align::Right),
        ("area", Align::Right),
        ("hit rate", Align::Right),
        ("range", Align::Right),
        ("PAI", Align::Right),
        ("PEI", Align::Right),
        ("harm captured", Align::Right),
    ]);
    for m in bt.evaluated() {
        for c in &m.coverages {
            t.row(vec![
                m.text.clone(),
                format!("{}%", c.coverage_pct),
                format!("{}{}", mean_pct(c.area_share), if c.reached { "" } else { "*" }),
                mean_pct(c.hit_rate),
                range(c.hit_rate),
                mean_num(c.pai),
                mean_num(c.pei),
                mean_pct(c.harm_captured),
            ]);
        }
    }
    s.push_str("\nmean over the folds (range: lowest..highest fold):");
    s.push('\n');
    s.push_str(&t.render(0));
    for m in bt.methods.iter().filter(|m| m.set_aside.is_some()) {
        s.push_str(&format!("{}: {}", m.text, m.set_aside.as_deref().unwrap_or("")));
        s.push('\n');
    }
    let mut f = Table::new(&[("fold", Align::Left), ("incidents", Align::Right), ("harm", Align::Right)]);
    for fold in &bt.folds {
        f.row(vec![fold.label.clone(), thousands(fold.incidents), format!("{:.1}", fold.harm)]);
    }
    s.push('\n');
    s.push_str(&f.render(0));
    for n in &bt.notes {
        s.push_str(&format!("note: {n}"));
        s.push('\n');
    }
    if let Some(c) = choice {
        s.push_str(&format!("\nchoice at {}% of the area: {} ({})", c.coverage_pct, c.text, c.description));
        s.push('\n');
        s.push_str(&c.sentence);
        s.push('\n');
    }
    s
}

/// One row per method, coverage and fold, then the mean, min and max rows (`fold` = `mean`, `min`, `max`).
pub(crate) fn backtest_csv(bt: &Backtest) -> Result<Vec<u8>, super::ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "method",
        "description",
        "coverage_pct",
        "fold",
        "cells",
        "area_share",
        "hits",
        "hit_rate",
        "pai",
        "pei",
        "harm_captured",
    ])?;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for m in bt.evaluated() {
        for c in &m.coverages {
            for (fold, f) in bt.folds.iter().zip(&c.per_fold) {
                w.write_record([
                    m.text.clone(),
                    m.description.clone(),
                    c.coverage_pct.to_string(),
                    fold.label.clone(),
                    f.cells.to_string(),
                    f.area_share.to_string(),
                    f.hits.to_string(),
                    opt(f.hit_rate),
                    opt(f.pai),
                    opt(f.pei),
                    opt(f.harm_captured),
                ])?;
            }
            for (label, pick) in [("mean", 0), ("min", 1), ("max", 2)] {
                let get = |s: Option<Stat>| opt(s.map(|s| [s.mean, s.min, s.max][pick]));
                w.write_record([
                    m.text.clone(),
                    m.description.clone(),
                    c.coverage_pct.to_string(),
                    label.to_owned(),
                    c.cells_allowed.to_string(),
                    get(c.area_share),
                    String::new(),
                    get(c.hit_rate),
                    get(c.pai),
                    get(c.pei),
                    get(c.harm_captured),
                ])?;
            }
        }
    }
    super::csv_bytes(w)
}

/// Colours of the lines, in turn.
const PALETTE: [&str; 12] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666", "#1f78b4", "#b2df8a",
    "#fb9a99", "#000000",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Mean hit rate against coverage, one line per evaluated method, with axes and a legend. Small and
/// self-contained (no script, no fonts beyond the default sans-serif).
pub(crate) fn chart_svg(bt: &Backtest) -> String {
    let (w, h) = (760.0, 420.0);
    let (left, right, top, bottom) = (60.0, 230.0, 30.0, 50.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let max_x = bt.coverages_pct.iter().copied().fold(0.0, f64::max).max(1e-9);
    let max_rate =
        bt.evaluated().flat_map(|m| m.coverages.iter().filter_map(|c| c.hit_rate.map(|s| s.mean))).fold(0.0, f64::max);
    // The y axis up to the next 10% above the highest line.
    let max_y = ((max_rate * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
    let x = |v: f64| left + v / max_x * pw;
    let y = |v: f64| top + ph - v / max_y * ph;
    let mut s = String::new();
    s.push_str(&format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#));
    s.push_str(&format!(r#"<rect width="{w}" height="{h}" fill="white"/>"#));
    s.push_str(&format!(
        r#"<text x="{left}" y="18" font-size="14">Hit rate against coverage: {} fold{} of one {}</text>"#,
        bt.folds.len(),
        if bt.folds.len() == 1 { "" } else { "s" },
        esc(&bt.period.word())
    ));
    // Grid lines and ticks.
    for k in 0..=10 {
        let v = max_y * f64::from(k) / 10.0;
        let yy = y(v);
        s.push_str(&format!(r##"<line x1="{left}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            left + pw,
            left - 6.0,
            yy + 4.0,
            v * 100.0));
    }
    for &c in &bt.coverages_pct {
        let xx = x(c);
        s.push_str(&format!(r##"<line x1="{xx:.1}" y1="{top}" x2="{xx:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{c}%</text>"##,
            top + ph,
            top + ph + 16.0));
    }
    s.push_str(&format!(r##"<line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/><line x1="{left}" y1="{top}" x2="{left}" y2="{:.1}" stroke="#333"/>"##,
        top + ph,
        left + pw,
        top + ph,
        top + ph));
    s.push_str(&format!(
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">coverage (% of the study area)</text>"#,
        left + pw / 2.0,
        h - 12.0
    ));
    s.push_str(&format!(
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">mean hit rate of the next {}</text>"#,
        top + ph / 2.0,
        esc(&bt.period.word())
    ));
    for (i, m) in bt.evaluated().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = if i >= PALETTE.len() { r#" stroke-dasharray="6 3""# } else { "" };
        let pts: Vec<String> = std::iter::once((0.0, 0.0))
            .chain(m.coverages.iter().filter_map(|c| c.hit_rate.map(|r| (c.coverage_pct, r.mean))))
            .map(|(c, r)| format!("{:.1},{:.1}", x(c), y(r)))
            .collect();
        s.push_str(&format!(r#"<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(&m.text)));
        let ly = top + 14.0 + i as f64 * 18.0;
        let lx = left + pw + 16.0;
        s.push_str(&format!(r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            esc(&m.text)));
    }
    s.push_str("</svg>\n");
    s
}
