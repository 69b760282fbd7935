//! The tasking list's near-repeat zones as text and as a section of the HTML brief (a table and an outline map of
//! the zones beside the candidates, drawn as SVG by the engine).

use super::table::{Align, Table, thousands};
use super::tasking::date;
use crate::analysis::nearrepeat::alert::{CategoryAlert, NearRepeatAlert};
use crate::analysis::tasking::TaskingList;
use crate::geo::Projector;
use std::fmt::Write;

fn num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v}") }
}

/// The first line: what the zones are.
pub(crate) fn heading(a: &NearRepeatAlert) -> String {
    format!(
        "near-repeat zones as of {}: the incidents of the {} days before whose neighbours are still at raised risk \
         (Knox test per category on the {} days before, {} permutations, bands {} m x {} days)",
        date(&a.as_of),
        a.nr_days,
        a.history_days,
        a.iterations,
        a.space_m.iter().map(|v| num(*v)).collect::<Vec<_>>().join(","),
        a.time_d.iter().map(|v| num(*v)).collect::<Vec<_>>().join(",")
    )
}

/// `within 200 m for 14 days (Knox test on 6,123 incidents since 2016-07-01)`.
pub(crate) fn risk_text(c: &CategoryAlert) -> String {
    match (c.radius_m, c.risk_days) {
        (Some(r), Some(d)) => format!(
            "raised risk within {} m for {} days of an incident (Knox test on {} incidents since {})",
            num(r),
            num(d),
            thousands(c.history_incidents as u64),
            date(&c.history_from)
        ),
        _ => format!(
            "no near-repeat pattern (Knox test on {} incidents since {})",
            thousands(c.history_incidents as u64),
            date(&c.history_from)
        ),
    }
}

fn zone_table(c: &CategoryAlert) -> Table {
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("place", Align::Left),
        ("incidents", Align::Right),
        ("addresses", Align::Right),
        ("area m2", Align::Right),
        ("expires", Align::Left),
        ("days left", Align::Right),
        ("candidate", Align::Right),
    ]);
    for (k, z) in c.zones.iter().enumerate() {
        t.row(vec![
            (k + 1).to_string(),
            if z.name.is_empty() { "-".into() } else { z.name.clone() },
            z.incidents.to_string(),
            z.addresses_worth.to_string(),
            thousands(z.area_m2.round() as u64),
            z.expires.replace('T', " ").trim_end_matches('Z').to_owned(),
            format!("{:.1}", z.days_left),
            z.candidate.map_or("-".into(), |r| r.to_string()),
        ]);
    }
    t
}

/// The zones as text, after the candidates.
pub(crate) fn near_repeat_text(a: &NearRepeatAlert) -> String {
    let mut s = format!("\n{}\n", heading(a));
    if let Some(r) = &a.reason {
        let _ = writeln!(s, "no near-repeat zones: {r}");
        return s;
    }
    for c in &a.categories {
        let _ = writeln!(s, "\n{}: {}", c.category, risk_text(c));
        if let Some(r) = &c.reason {
            let _ = writeln!(s, "   no zones: {r}");
        } else {
            let _ = writeln!(
                s,
                "   {} zones, {:.2} km2 in all\n{}",
                c.zones.len(),
                c.total_area_m2 / 1e6,
                zone_table(c).render(3).trim_end()
            );
        }
        if let Some(v) = &c.validation {
            let _ = writeln!(s, "   record: {}", v.sentence);
        }
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Zones listed (and numbered on the map) per category in the brief, so its page stays one page.
const BRIEF_ZONES: usize = 8;

/// The brief's zones of a category: the [`BRIEF_ZONES`] with the most incidents (then the most recent), each with
/// its number in the full list (most recent first).
fn brief_zones(c: &CategoryAlert) -> Vec<(usize, &crate::analysis::nearrepeat::alert::AlertZone)> {
    let mut v: Vec<(usize, &crate::analysis::nearrepeat::alert::AlertZone)> = c.zones.iter().enumerate().collect();
    v.sort_by(|a, b| b.1.incidents.cmp(&a.1.incidents).then(a.0.cmp(&b.0)));
    v.truncate(BRIEF_ZONES);
    v
}

/// Side of the overview map, SVG units.
const MAP_PX: f64 = 600.0;

/// An outline map of every zone (red, numbered) and the candidates (purple), with a scale bar.
fn zones_svg(list: &TaskingList, a: &NearRepeatAlert, projector: &Projector) -> Option<String> {
    let xy = |p: &[f64; 2]| projector.from_lonlat(p[0], p[1]);
    let zone_pts: Vec<(f64, f64)> =
        a.zones().flat_map(|(_, z)| z.outline_lonlat.iter().flatten().flatten()).filter_map(xy).collect();
    let (x0, x1) = zone_pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |m, p| (m.0.min(p.0), m.1.max(p.0)));
    let (y0, y1) = zone_pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |m, p| (m.0.min(p.1), m.1.max(p.1)));
    if !(x0.is_finite() && y0.is_finite()) {
        return None;
    }
    let side = ((x1 - x0).max(y1 - y0) * 1.1).max(1_000.0);
    let (fx, fy) = ((x0 + x1 - side) / 2.0, (y0 + y1 - side) / 2.0);
    let k = MAP_PX / side;
    let path = |outline: &[Vec<Vec<[f64; 2]>>]| {
        let mut d = String::new();
        for ring in outline.iter().flatten() {
            for (i, p) in ring.iter().enumerate() {
                if let Some((x, y)) = xy(p) {
                    let _ =
                        write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, (x - fx) * k, MAP_PX - (y - fy) * k);
                }
            }
            d.push('Z');
        }
        d
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {MAP_PX} {MAP_PX}\" width=\"{MAP_PX}\" \
         height=\"{MAP_PX}\"><rect width=\"100%\" height=\"100%\" fill=\"#fbfaf7\"/>"
    );
    for c in &list.candidates {
        let _ = write!(
            svg,
            "<path d=\"{}\" fill=\"none\" stroke=\"#5b1a8c\" stroke-width=\"1.5\"/>",
            path(&c.outline_lonlat)
        );
    }
    for (_, z) in a.zones() {
        let _ = write!(
            svg,
            "<path d=\"{}\" fill=\"#d7301f\" fill-opacity=\"0.25\" stroke=\"#b30000\" stroke-width=\"1.2\"/>",
            path(&z.outline_lonlat)
        );
    }
    for c in &a.categories {
        for (n, z) in brief_zones(c) {
            if let Some((x, y)) = xy(&z.centre_lonlat) {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" font-family=\"sans-serif\" text-anchor=\"middle\" \
                     fill=\"#7f0000\">{}</text>",
                    (x - fx) * k,
                    MAP_PX - (y - fy) * k + 4.0,
                    n + 1
                );
            }
        }
    }
    // A scale bar of a round length near a fifth of the side.
    let target = side / 5.0;
    let bar_m = [100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0]
        .into_iter()
        .rfind(|&b| b <= target)
        .unwrap_or(100.0);
    let _ = write!(
        svg,
        "<rect x=\"16\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\" fill=\"#333\"/><text x=\"16\" y=\"{:.1}\" \
         font-size=\"12\" font-family=\"sans-serif\">{}</text></svg>",
        MAP_PX - 24.0,
        bar_m * k,
        MAP_PX - 30.0,
        if bar_m >= 1_000.0 { format!("{} km", bar_m / 1_000.0) } else { format!("{bar_m} m") }
    );
    Some(svg)
}

/// When no category has a zone: the cover's one line saying why (the brief then has no near-repeat page).
pub(crate) fn near_repeat_cover_line(a: &NearRepeatAlert) -> Option<String> {
    if a.zones().next().is_some() {
        return None;
    }
    let why = match &a.reason {
        Some(r) => r.clone(),
        None => a
            .categories
            .iter()
            .map(|c| format!("{}: {}", c.category, c.reason.as_deref().unwrap_or("no zones")))
            .collect::<Vec<_>>()
            .join("; "),
    };
    Some(format!(
        "<p class=\"record\"><b>Near-repeat zones:</b> none as of {}: {}.</p>",
        esc(date(&a.as_of)),
        esc(&why)
    ))
}

/// The brief's near-repeat section: the heading, per category the risk, a table of zones and the record, and an
/// outline map of the zones.
pub(crate) fn near_repeat_html(list: &TaskingList, a: &NearRepeatAlert, projector: &Projector) -> String {
    use base64::Engine;
    let mut h = format!("<section class=\"page nearrepeat\"><h2>Near-repeat zones</h2><p>{}.</p>", esc(&heading(a)));
    if let Some(r) = &a.reason {
        let _ = write!(h, "<p><b>None:</b> {}.</p></section>", esc(r));
        return h;
    }
    if let Some(svg) = zones_svg(list, a, projector) {
        let b = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
        let _ = write!(
            h,
            "<img class=\"map\" style=\"width:70mm;height:70mm\" alt=\"map of the near-repeat zones\" src=\"data:image/svg+xml;base64,{b}\">\
             <p class=\"key\">Red: near-repeat zones (the numbered ones are in the tables). Purple: the candidates.</p>"
        );
    }
    for c in &a.categories {
        let _ = write!(h, "<h3>{}</h3><p>{}.</p>", esc(&c.category), esc(&risk_text(c)));
        if let Some(r) = &c.reason {
            let _ = write!(h, "<p><b>No zones:</b> {}.</p>", esc(r));
        } else {
            h.push_str(
                "<table><tr><th>#</th><th>place</th><th class=\"num\">incidents</th><th class=\"num\">addresses</th>\
                 <th class=\"num\">area m2</th><th>expires</th><th class=\"num\">days left</th><th>candidate</th></tr>",
            );
            for (k, z) in brief_zones(c) {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td>{}</td><td class=\"num\">{:.1}</td><td>{}</td></tr>",
                    k + 1,
                    esc(if z.name.is_empty() { "-" } else { &z.name }),
                    z.incidents,
                    z.addresses_worth,
                    thousands(z.area_m2.round() as u64),
                    esc(z.expires.get(..16).unwrap_or(&z.expires).replace('T', " ").as_str()),
                    z.days_left,
                    z.candidate.map_or("-".into(), |r| r.to_string())
                );
            }
            h.push_str("</table>");
            let more = c.zones.len().saturating_sub(BRIEF_ZONES);
            if more > 0 {
                let _ = write!(
                    h,
                    "<p class=\"key\">And {more} more zones with fewer incidents (all of them in the text and JSON \
                     outputs and on the page's map).</p>"
                );
            }
        }
        if let Some(v) = &c.validation {
            let _ = write!(h, "<p class=\"record\"><b>How well this works here:</b> {}.</p>", esc(&v.sentence));
        }
    }
    h.push_str("</section>");
    h
}
