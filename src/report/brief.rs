//! The printable tasking brief: an HTML document for A4 with a cover page (the list and the parameters) and one
//! page per candidate with its facts and a small static map drawn by the engine (SVG, embedded as an image, so the
//! brief needs no internet and prints sharp).
//!
//! Each map is a square of at least 800 m around the candidate: the window's incidents as dots (sized by how many
//! share a point; dark red inside the candidate, grey outside), the candidate's outline, the outlines of any loaded
//! area layers with their names, the street names at their map points (generic map-point labels such as "Parking
//! Area" left out; each street once, at its busiest point, none overlapping another), a scale bar and a north arrow.

use super::table::thousands;
use super::tasking::{change_text, date, mix_text, parameters_text, streets_text, where_text};
use crate::analysis::change::format_grouped;
use crate::analysis::tasking::{Candidate, TaskingList};
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::model::{Dataset, Query};
use base64::Engine;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Side of the map image, SVG units (pixels at 96 dpi).
const MAP_PX: f64 = 600.0;
/// Smallest side of the mapped square, metres.
const MIN_SIDE_M: f64 = 800.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The metric square mapped for a candidate: (min x, min y, side), metres.
fn frame(c: &Candidate, projector: &Projector) -> Option<(f64, f64, f64)> {
    let pts: Vec<(f64, f64)> =
        c.outline_lonlat.iter().flatten().flatten().filter_map(|p| projector.from_lonlat(p[0], p[1])).collect();
    let (x0, x1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (y0, y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    if !(x0.is_finite() && y0.is_finite()) {
        return None;
    }
    let side = ((x1 - x0).max(y1 - y0) * 1.5).max(MIN_SIDE_M);
    Some(((x0 + x1) / 2.0 - side / 2.0, (y0 + y1) / 2.0 - side / 2.0, side))
}

/// The map of one candidate as SVG text.
pub(crate) fn candidate_svg(
    list: &TaskingList,
    c: &Candidate,
    ds: &Dataset,
    projector: &Projector,
    areas: &[AreaLayer],
) -> Option<String> {
    let (fx, fy, side) = frame(c, projector)?;
    let k = MAP_PX / side;
    let to_px = |x: f64, y: f64| ((x - fx) * k, MAP_PX - (y - fy) * k);
    let ring_path = |ring: &[[f64; 2]]| -> String {
        let mut d = String::new();
        for (i, p) in ring.iter().enumerate() {
            if let Some((x, y)) = projector.from_lonlat(p[0], p[1]) {
                let (px, py) = to_px(x, y);
                let _ = write!(d, "{}{px:.1},{py:.1}", if i == 0 { "M" } else { "L" });
            }
        }
        d.push('Z');
        d
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {MAP_PX} {MAP_PX}\" width=\"{MAP_PX}\" \
         height=\"{MAP_PX}\" font-family=\"sans-serif\"><rect width=\"100%\" height=\"100%\" fill=\"#f4f2ee\"/>"
    );
    // Area outlines (only those near the frame).
    for layer in areas {
        for a in &layer.areas {
            let mut d = String::new();
            let mut near = false;
            for poly in &a.outline_lonlat.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    let pts: Vec<[f64; 2]> = ring.0.iter().map(|p| [p.x, p.y]).collect();
                    near |= pts.iter().any(|p| {
                        projector.from_lonlat(p[0], p[1]).is_some_and(|(x, y)| {
                            x > fx - side && x < fx + 2.0 * side && y > fy - side && y < fy + 2.0 * side
                        })
                    });
                    d.push_str(&ring_path(&pts));
                }
            }
            if near {
                let _ = write!(
                    svg,
                    "<path d=\"{d}\" fill=\"none\" stroke=\"#8a8a8a\" stroke-width=\"1.2\" stroke-dasharray=\"5 3\"/>"
                );
            }
        }
    }
    // Incidents of the window in the frame, by point.
    let q = Query {
        from_s: Some(list.window.from_s),
        to_s: Some(list.window.to_s),
        categories: list.params.categories.clone(),
        ..Default::default()
    };
    let mut at_point: BTreeMap<(i64, i64), (u32, bool)> = BTreeMap::new();
    // Street name -> (incidents at its busiest point in the frame, that point).
    let mut streets: BTreeMap<u32, BTreeMap<(i64, i64), u32>> = BTreeMap::new();
    if let Ok(sel) = q.select(ds) {
        let inside: std::collections::HashSet<usize> = c.cell_indices.iter().copied().collect();
        let grid = Some(&list.grid);
        for &i in &sel.indices {
            let (x, y) = (ds.x_m()[i as usize], ds.y_m()[i as usize]);
            if x < fx || x > fx + side || y < fy || y > fy + side {
                continue;
            }
            let is_in = grid.as_ref().and_then(|g| g.cell_at(x, y)).is_some_and(|cell| inside.contains(&cell));
            let key = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
            let e = at_point.entry(key).or_insert((0, is_in));
            e.0 += 1;
            let loc = ds.location_ids()[i as usize];
            if loc != crate::model::NONE_ID {
                *streets.entry(loc).or_default().entry(key).or_insert(0) += 1;
            }
        }
    }
    for (&(x10, y10), &(n, is_in)) in &at_point {
        let (px, py) = to_px(x10 as f64 / 10.0, y10 as f64 / 10.0);
        let r = 2.0 + 1.6 * f64::from(n).sqrt();
        let fill = if is_in { "#b2182b" } else { "#5b6770" };
        let _ =
            write!(svg, "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{r:.1}\" fill=\"{fill}\" fill-opacity=\"0.55\"/>");
    }
    // The candidate.
    let d: String = c.outline_lonlat.iter().flatten().map(|ring| ring_path(ring)).collect();
    let _ = write!(
        svg,
        "<path d=\"{d}\" fill=\"#b2182b\" fill-opacity=\"0.08\" stroke=\"#67001f\" stroke-width=\"3\" fill-rule=\"evenodd\"/>"
    );
    // Names to steer by: the areas', then the streets' (busiest first), never overlapping one another.
    let mut labels = Labels::default();
    for layer in areas {
        for a in &layer.areas {
            if let Some((x, y)) = area_label_point(a, projector, (fx, fy, side)) {
                let (px, py) = to_px(x, y);
                labels.place(&mut svg, px, py, &a.name, 13.0, "#4a4a4a", true);
            }
        }
    }
    let mut named: Vec<(u32, &str, (i64, i64))> = streets
        .iter()
        .filter_map(|(&loc, points)| {
            let text = ds.locations().name(loc)?;
            if crate::analysis::naming::is_generic(text) {
                return None;
            }
            let (&p, &n) = points.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
            Some((n, crate::analysis::naming::street_of(text), p))
        })
        .collect();
    named.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut seen = std::collections::HashSet::new();
    for (_, name, (x10, y10)) in named.into_iter().filter(|(_, n, _)| seen.insert(*n)).take(40) {
        let (px, py) = to_px(x10 as f64 / 10.0, y10 as f64 / 10.0);
        labels.place(&mut svg, px, py - 7.0, name, 11.0, "#1b1b1b", false);
    }
    // Scale bar: a round length near a quarter of the side.
    let bar_m = crate::grid::round_down_nice(side / 4.0);
    let bar_px = bar_m * k;
    let label = if bar_m >= 1000.0 { format!("{} km", bar_m / 1000.0) } else { format!("{bar_m} m") };
    let _ = write!(
        svg,
        "<g transform=\"translate(20,{})\"><rect x=\"-6\" y=\"-22\" width=\"{}\" height=\"34\" fill=\"white\" \
         fill-opacity=\"0.8\"/><path d=\"M0,0 L{bar_px:.1},0 M0,-6 L0,6 M{bar_px:.1},-6 L{bar_px:.1},6\" stroke=\"black\" \
         stroke-width=\"2.5\"/><text x=\"{:.1}\" y=\"-8\" font-size=\"14\" text-anchor=\"middle\">{label}</text></g>",
        MAP_PX - 24.0,
        bar_px + 12.0,
        bar_px / 2.0
    );
    let _ = write!(
        svg,
        "<g transform=\"translate({},34)\"><path d=\"M0,-22 L8,0 L0,-5 L-8,0 Z\" fill=\"black\"/><text y=\"16\" \
         font-size=\"14\" text-anchor=\"middle\">N</text></g>",
        MAP_PX - 28.0
    );
    svg.push_str("</svg>");
    Some(svg)
}

/// Labels placed on a map without overlapping: each a box of its estimated text extent.
#[derive(Default)]
struct Labels {
    boxes: Vec<[f64; 4]>,
}

impl Labels {
    /// Write `text` centred at (`x`, `y`) with a white halo, unless it would overlap a label already placed or leave
    /// the map (the scale bar and north arrow corners stay clear).
    #[allow(clippy::too_many_arguments)]
    fn place(&mut self, svg: &mut String, x: f64, y: f64, text: &str, size: f64, fill: &str, italic: bool) -> bool {
        let w = text.chars().count() as f64 * size * 0.56;
        let b = [x - w / 2.0 - 2.0, y - size, x + w / 2.0 + 2.0, y + size * 0.3];
        let on_scale_bar = b[3] > MAP_PX - 60.0 && b[0] < 200.0;
        let on_north_arrow = b[1] < 70.0 && b[2] > MAP_PX - 60.0;
        let clear_of_furniture = !on_scale_bar && !on_north_arrow;
        if b[0] < 2.0 || b[2] > MAP_PX - 2.0 || b[1] < 2.0 || b[3] > MAP_PX - 2.0 || !clear_of_furniture {
            return false;
        }
        if self.boxes.iter().any(|o| b[0] < o[2] && b[2] > o[0] && b[1] < o[3] && b[3] > o[1]) {
            return false;
        }
        self.boxes.push(b);
        let style = if italic { " font-style=\"italic\" letter-spacing=\"0.5\"" } else { "" };
        let _ = write!(
            svg,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" text-anchor=\"middle\" fill=\"{fill}\"{style} \
             stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\" stroke-linejoin=\"round\">{}</text>",
            esc(text)
        );
        true
    }
}

/// Where to write an area's name on a map framed by (min x, min y, side) metres: a point inside the part of the area
/// within the frame (its largest part), in metres; `None` when the area is not in the frame.
fn area_label_point(
    a: &crate::areas::Area,
    projector: &Projector,
    (fx, fy, side): (f64, f64, f64),
) -> Option<(f64, f64)> {
    use geo::{Area as _, BooleanOps, InteriorPoint};
    let to_m =
        |c: &geo_types::Coord<f64>| projector.from_lonlat(c.x, c.y).map(|(x, y)| geo_types::coord! { x: x, y: y });
    let ring_m = |r: &geo_types::LineString<f64>| -> Option<geo_types::LineString<f64>> {
        r.0.iter().map(to_m).collect::<Option<Vec<_>>>().map(geo_types::LineString)
    };
    let polys: Vec<geo_types::Polygon<f64>> = a
        .outline_lonlat
        .0
        .iter()
        .filter_map(|p| {
            Some(geo_types::Polygon::new(ring_m(p.exterior())?, p.interiors().iter().filter_map(ring_m).collect()))
        })
        .collect();
    let m = side * 0.06;
    let frame = geo_types::Rect::new(
        geo_types::coord! { x: fx + m, y: fy + m },
        geo_types::coord! { x: fx + side - m, y: fy + side - m },
    )
    .to_polygon();
    let inside = geo_types::MultiPolygon(polys).intersection(&frame);
    let biggest = inside.0.into_iter().max_by(|p, q| p.unsigned_area().total_cmp(&q.unsigned_area()))?;
    if biggest.unsigned_area() < (side * 0.1).powi(2) {
        return None;
    }
    biggest.interior_point().map(|p| (p.x(), p.y()))
}

const STYLE: &str = "@page { size: A4; margin: 14mm; }
body { font-family: sans-serif; color: #1b1b1b; margin: 0; font-size: 10.5pt; }
.page { break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 18pt; margin: 0 0 4mm; } h2 { font-size: 14pt; margin: 0 0 3mm; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 1.2mm 2mm; vertical-align: top; }
tr { border-bottom: 0.3mm solid #ccc; } th { background: #eee; }
.num { text-align: right; } pre { white-space: pre-wrap; font-size: 8.5pt; background: #f6f6f6; padding: 2mm; }
.map { width: 120mm; height: 120mm; display: block; margin: 3mm 0; border: 0.3mm solid #999; }
.key { font-size: 9pt; color: #444; } .facts th { width: 38mm; background: none; }";

/// The whole brief (see the module docs).
pub(crate) fn brief_html(list: &TaskingList, ds: &Dataset, projector: &Projector, areas: &[AreaLayer]) -> String {
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tasking brief: {}</title><style>{STYLE}\
         </style></head><body>",
        esc(date(&list.at))
    );
    // Cover.
    let _ = write!(
        h,
        "<section class=\"page cover\"><h1>Tasking brief: the period after {}</h1><table><tr><th>#</th><th>place</th>\
         <th>streets</th><th class=\"num\">incidents</th><th>change</th><th>emerging</th></tr>",
        esc(date(&list.at))
    );
    for c in &list.candidates {
        let change = c.change.as_ref().map_or("no earlier data".to_owned(), |ch| ch.text.clone());
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            c.rank,
            esc(&c.name),
            esc(&streets_text(&c.streets)),
            thousands(c.incidents),
            esc(&change),
            esc(c.emerging_name.as_deref().unwrap_or("-"))
        );
    }
    let record = match &list.method_choice {
        Some(c) => format!("<p class=\"record\"><b>How well this works here:</b> {}.</p>", esc(&c.sentence)),
        None => format!("<p class=\"record\">Places: {}.</p>", esc(&list.places_rule)),
    };
    h.push_str("</table>");
    h.push_str(&record);
    let nr_line = list.near_repeat.as_ref().and_then(super::tasking_nearrepeat::near_repeat_cover_line);
    h.push_str(nr_line.as_deref().unwrap_or(""));
    let _ =
        write!(h, "<h2 style=\"margin-top:6mm\">Parameters</h2><pre>{}</pre></section>", esc(&parameters_text(list)));
    if let Some(nr) = list.near_repeat.as_ref().filter(|_| nr_line.is_none()) {
        h.push_str(&super::tasking_nearrepeat::near_repeat_html(list, nr, projector));
    }
    // One page per candidate.
    for c in &list.candidates {
        let img = candidate_svg(list, c, ds, projector, areas)
            .map(|svg| base64::engine::general_purpose::STANDARD.encode(svg.as_bytes()))
            .map_or(String::new(), |b| {
                format!("<img class=\"map\" alt=\"map of candidate {}\" src=\"data:image/svg+xml;base64,{b}\">", c.rank)
            });
        let _ = write!(
            h,
            "<section class=\"page candidate\"><h2>{}. {}{}</h2>{img}<p class=\"key\">Dots: incidents {} to {} (dark red \
             inside the candidate; larger = more at one point). Thick line: the candidate. Dashed: area boundaries, \
             their names in italics; street names at their map points.</p>\
             <table class=\"facts\">",
            c.rank,
            esc(if c.name.is_empty() { &c.id } else { &c.name }),
            esc(&c.emerging_name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()),
            esc(date(&crate::model::time::format_instant(list.window.from_s))),
            esc(date(&crate::model::time::format_instant(list.window.to_s)))
        );
        let rows = [
            (
                "id",
                c.id.clone()
                    + &if c.merged.is_empty() {
                        String::new()
                    } else {
                        format!(" (merged with {})", c.merged.join(", "))
                    },
            ),
            ("where (lat, lon)", where_text(c)),
            ("streets", streets_text(&c.streets)),
            (
                "areas",
                if !c.by_area.is_empty() {
                    super::tasking::by_area_text(c)
                } else if c.area_codes.is_empty() {
                    "-".into()
                } else {
                    c.area_codes.join(", ")
                },
            ),
            ("incidents", format!("{} (harm {})", thousands(c.incidents), format_grouped(c.harm))),
            ("previous window", change_text(list, c)),
            ("crime mix", mix_text(&c.categories, 5)),
            ("emerging class", c.emerging_name.clone().unwrap_or_else(|| "-".into())),
            ("Gi* z", c.gistar_z.map_or("undefined".into(), |z| format!("{z:.2}"))),
            (
                "concentration",
                format!(
                    "PAI {:.1}: {:.1}% of incidents on {:.2}% of the area",
                    c.pai,
                    100.0 * c.hit_rate,
                    100.0 * c.area_share
                ),
            ),
        ];
        for (k, v) in rows {
            let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
        }
        h.push_str("</table></section>");
    }
    h.push_str("</body></html>\n");
    h
}
