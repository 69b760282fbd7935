//! Near-repeat zones: where a recent incident's neighbourhood is still at raised risk, from the Knox test on the
//! history before an "as of" instant.
//!
//! **The risk neighbourhood.** From the Knox result, the cells with significantly more pairs than chance
//! (`p <= alpha` and Knox ratio above 1) that are connected (sharing a side) to such a cell in the first time band
//! and one of the first two spatial bands (the same location, or the nearest band). Their largest upper spatial
//! edge is the zone radius `R` (metres) and their largest upper time edge the risk duration `T` (days): "within
//! `R` m of an incident, further incidents are over-represented for `T` days". Isolated significant cells far
//! from the origin (which chance alone gives about `alpha` of the cells) do not widen the neighbourhood. With no
//! such cell there are no zones, and the result says why.
//!
//! **Zones.** The incidents of the categories in `[as_of - nr_days, as_of)` whose risk has not expired
//! (`t + T > as_of`) are the sources. Each source's zone is the disc of radius `R` around it (a 32-sided polygon
//! for the outline; membership is measured exactly, `d < R`, and `d = 0` when `R` is 0); sources whose discs
//! overlap (closer than `2R`) join one zone. A zone has its incidents, its last incident's time, its expiry (the
//! last incident's time + `T`), its area (of the union of its discs) and its "addresses-worth": the distinct map
//! points (exact coordinates of any incident in the dataset, of any category and time) inside it, a proxy for
//! the addresses at raised risk where no address list is loaded.
//!
//! **Validation** ([`validate_zones`]): of the incidents of the same categories in the `horizon_days` after
//! `as_of`, how many fell in the zones, against (a) the same zones moved as a whole onto randomly chosen history
//! incidents (seeded; the mean over `draws` placements, each zone keeping its shape and so its area), and (b)
//! discs of the same radius around as many of the oldest incidents of the history.

use super::KnoxResult;
use crate::geo::Projector;
use crate::model::{Dataset, Query, QueryError};
use geo::{Area, Centroid};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rand::{RngExt, SeedableRng};
use rstar::RTree;
use serde::Serialize;

/// Errors making zones.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    /// The window or categories are not valid.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// `nr_days` is not a positive number of days.
    #[error("nr_days: {0} must be a positive number of days")]
    NrDays(f64),
    /// `horizon_days` is not a positive number of days.
    #[error("horizon_days: {0} must be a positive number of days")]
    Horizon(f64),
}

/// The neighbourhood at raised risk after an incident.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Risk {
    /// Within this distance of an incident, metres (the zone radius `R`).
    pub radius_m: f64,
    /// For this many days after it (the risk duration `T`).
    pub days: f64,
}

/// The risk neighbourhood of a Knox result (see the module docs), or `None` without a significant excess near
/// the origin.
pub fn risk_from_knox(k: &KnoxResult) -> Option<Risk> {
    let (ns, nt) = (k.space_labels.len(), k.time_labels.len());
    let hot = |s: usize, t: usize| {
        let c = k.cell(s, t);
        c.significant && c.knox_ratio.is_some_and(|r| r > 1.0)
    };
    let mut seen = vec![false; ns * nt];
    let mut stack: Vec<(usize, usize)> = (0..ns.min(2)).filter(|&s| hot(s, 0)).map(|s| (s, 0)).collect();
    for &(s, t) in &stack {
        seen[s * nt + t] = true;
    }
    let mut risk: Option<Risk> = None;
    while let Some((s, t)) = stack.pop() {
        let (_, hi_m, _) = k.params.space.interval(s);
        let hi_d = k.params.time.edges_d[t + 1];
        let r = risk.get_or_insert(Risk { radius_m: hi_m, days: hi_d });
        r.radius_m = r.radius_m.max(hi_m);
        r.days = r.days.max(hi_d);
        let next = [(s.wrapping_sub(1), t), (s + 1, t), (s, t.wrapping_sub(1)), (s, t + 1)];
        for (a, b) in next {
            if a < ns && b < nt && !seen[a * nt + b] && hot(a, b) {
                seen[a * nt + b] = true;
                stack.push((a, b));
            }
        }
    }
    risk
}

/// One zone.
#[derive(Debug, Clone, Serialize)]
pub struct Zone {
    /// Dataset indices of its source incidents, in time order.
    pub incidents: Vec<u32>,
    /// Its last source incident, seconds since 1970-01-01 UTC.
    pub last_s: i64,
    /// When the raised risk ends: the last incident's time + the risk duration.
    pub expires_s: i64,
    /// Distinct map points inside.
    pub addresses_worth: usize,
    /// Area of the union of its discs, m^2.
    pub area_m2: f64,
    /// The centroid of its outline, lon/lat degrees.
    pub centre_lonlat: [f64; 2],
    /// The outline as GeoJSON MultiPolygon coordinates, lon/lat.
    pub outline_lonlat: Vec<Vec<Vec<[f64; 2]>>>,
}

/// The zones as of an instant.
#[derive(Debug, Clone, Serialize)]
pub struct Zones {
    /// The instant the zones are for, seconds since 1970-01-01 UTC.
    pub as_of_s: i64,
    /// Days back from `as_of_s` whose incidents are sources.
    pub nr_days: f64,
    /// Start of the history the Knox test read, seconds since 1970-01-01 UTC.
    pub history_from_s: i64,
    /// The zone radius `R`, metres (see [`Risk`]).
    pub radius_m: f64,
    /// The risk duration `T`, days.
    pub risk_days: f64,
    /// The zones, the one with the most recent last incident first.
    pub zones: Vec<Zone>,
    /// Their total area, m^2.
    pub total_area_m2: f64,
    /// Things to know (e.g. incidents of the last days already past their raised risk).
    pub notes: Vec<String>,
    /// Source positions per zone, metres (for validation).
    #[serde(skip)]
    pub sources_xy: Vec<Vec<[f64; 2]>>,
    /// The categories whose incidents are sources (empty: all).
    #[serde(skip)]
    pub categories: Vec<String>,
}

const DISC_SIDES: usize = 32;

fn disc(x: f64, y: f64, r: f64) -> Polygon<f64> {
    let r = r.max(1.0);
    let ring: Vec<Coord<f64>> = (0..=DISC_SIDES)
        .map(|k| {
            let a = std::f64::consts::TAU * (k % DISC_SIDES) as f64 / DISC_SIDES as f64;
            Coord { x: x + r * a.cos(), y: y + r * a.sin() }
        })
        .collect();
    Polygon::new(LineString::new(ring), vec![])
}

fn inside(d2: f64, r: f64) -> bool {
    if r == 0.0 { d2 == 0.0 } else { d2 < r * r }
}

/// Zones as of `as_of_s` from the incidents of `categories` (all when empty) in the last `nr_days`, with the risk
/// neighbourhood of `knox` (the Knox test on the history `[history_from_s, as_of_s)`).
pub fn near_repeat_zones(
    ds: &Dataset,
    categories: &[String],
    as_of_s: i64,
    nr_days: f64,
    knox: &KnoxResult,
    history_from_s: i64,
    projector: &Projector,
) -> Result<Zones, ZoneError> {
    if !(nr_days.is_finite() && nr_days > 0.0) {
        return Err(ZoneError::NrDays(nr_days));
    }
    let mut z = Zones {
        as_of_s,
        nr_days,
        history_from_s,
        radius_m: 0.0,
        risk_days: 0.0,
        zones: Vec::new(),
        total_area_m2: 0.0,
        notes: Vec::new(),
        sources_xy: Vec::new(),
        categories: categories.to_vec(),
    };
    let Some(risk) = risk_from_knox(knox) else {
        z.notes.push(
            "the Knox test on the history found no significant excess of pairs near the origin (the same place or \
             the nearest band, in the first time band): no near-repeat zones"
                .into(),
        );
        return Ok(z);
    };
    z.radius_m = risk.radius_m;
    z.risk_days = risk.days;
    if risk.radius_m == 0.0 {
        z.notes.push("only the same location is at raised risk: each zone is its map point".into());
    }
    let risk_s = (risk.days * 86_400.0).round() as i64;
    let from_s = as_of_s - (nr_days * 86_400.0).round() as i64;
    let sel =
        Query { from_s: Some(from_s), to_s: Some(as_of_s), categories: categories.to_vec(), ..Default::default() }
            .select(ds)?;
    let (xs, ys, ts) = (ds.x_m(), ds.y_m(), ds.time_s());
    let mut sources: Vec<u32> = sel.indices.iter().copied().filter(|&i| ts[i as usize] + risk_s > as_of_s).collect();
    sources.sort_by_key(|&i| (ts[i as usize], i));
    if sources.len() < sel.indices.len() {
        z.notes.push(format!(
            "{} incidents of the last {} days are past their {} days of raised risk",
            sel.indices.len() - sources.len(),
            super::bands::num(nr_days),
            super::bands::num(risk.days)
        ));
    }

    // Join sources whose discs overlap (union-find over pairs closer than 2R).
    let m = sources.len();
    let mut parent: Vec<usize> = (0..m).collect();
    fn root(p: &mut [usize], mut a: usize) -> usize {
        while p[a] != a {
            p[a] = p[p[a]];
            a = p[a];
        }
        a
    }
    let tree = RTree::bulk_load(
        sources
            .iter()
            .enumerate()
            .map(|(k, &i)| rstar::primitives::GeomWithData::new([xs[i as usize], ys[i as usize]], k))
            .collect(),
    );
    for (k, &i) in sources.iter().enumerate() {
        let p = [xs[i as usize], ys[i as usize]];
        for other in tree.locate_within_distance(p, (2.0 * risk.radius_m).powi(2)) {
            let (a, b) = (root(&mut parent, k), root(&mut parent, other.data));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        if risk.radius_m == 0.0 {
            for other in tree.locate_all_at_point(&p) {
                let (a, b) = (root(&mut parent, k), root(&mut parent, other.data));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for k in 0..m {
        let r = root(&mut parent, k);
        groups.entry(r).or_default().push(k);
    }

    // Distinct map points of the whole dataset, for addresses-worth.
    let mut points: Vec<[f64; 2]> = (0..ds.len()).map(|i| [xs[i], ys[i]]).collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    points.dedup();
    let map_points = RTree::bulk_load(points);

    let mut order: Vec<Vec<usize>> = groups.into_values().collect();
    // Zones in order of their last incident, most recent first.
    order.sort_by_key(|g| std::cmp::Reverse(g.iter().map(|&k| (ts[sources[k] as usize], sources[k])).max()));
    for g in order {
        let incidents: Vec<u32> = g.iter().map(|&k| sources[k]).collect();
        let xy: Vec<[f64; 2]> = incidents.iter().map(|&i| [xs[i as usize], ys[i as usize]]).collect();
        let discs: Vec<Polygon<f64>> = xy.iter().map(|p| disc(p[0], p[1], risk.radius_m)).collect();
        let outline: MultiPolygon<f64> =
            if discs.len() == 1 { MultiPolygon::new(discs.clone()) } else { geo::unary_union(discs.iter()) };
        let area_m2 = if risk.radius_m == 0.0 { 0.0 } else { outline.unsigned_area() };
        let mut inside_points = std::collections::BTreeSet::new();
        for p in &xy {
            for q in map_points.locate_within_distance(*p, risk.radius_m.powi(2)) {
                inside_points.insert((q[0].to_bits(), q[1].to_bits()));
            }
            inside_points.insert((p[0].to_bits(), p[1].to_bits()));
        }
        let last_s = incidents.iter().map(|&i| ts[i as usize]).max().unwrap_or(as_of_s);
        let c = outline.centroid().map(|c| (c.x(), c.y())).unwrap_or((xy[0][0], xy[0][1]));
        let centre = projector.to_lonlat(c.0, c.1).unwrap_or((f64::NAN, f64::NAN));
        let outline_lonlat = outline
            .0
            .iter()
            .map(|poly| {
                std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .map(|ring| {
                        ring.0
                            .iter()
                            .map(|c| {
                                let (lon, lat) = projector.to_lonlat(c.x, c.y).unwrap_or((f64::NAN, f64::NAN));
                                [lon, lat]
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        z.total_area_m2 += area_m2;
        z.sources_xy.push(xy);
        z.zones.push(Zone {
            incidents,
            last_s,
            expires_s: last_s + risk_s,
            addresses_worth: inside_points.len(),
            area_m2,
            centre_lonlat: [centre.0, centre.1],
            outline_lonlat,
        });
    }
    Ok(z)
}

/// How well the zones caught the next incidents, beside the same area placed elsewhere.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneValidation {
    /// Days after "as of" counted.
    pub horizon_days: f64,
    /// Incidents of the categories in `[as_of, as_of + horizon)`.
    pub total: usize,
    /// Of them, inside a zone.
    pub hits: usize,
    /// Random placements made.
    pub random_draws: usize,
    /// Seed of the placements.
    pub random_seed: u64,
    /// Mean hits of the zones moved onto random history incidents.
    pub random_mean_hits: f64,
    /// Draws catching at least as many as the zones.
    pub random_at_least: usize,
    /// Discs around this many of the oldest history incidents (as many as the zones' sources)...
    pub oldest_count: usize,
    /// ...and the incidents they caught.
    pub oldest_hits: usize,
}

/// Count the incidents of `future` inside any disc of radius `r` around `centres`.
fn hits(future: &[[f64; 2]], centres: &[[f64; 2]], r: f64) -> usize {
    if centres.is_empty() {
        return 0;
    }
    let tree = RTree::bulk_load(centres.to_vec());
    future
        .iter()
        .filter(|p| tree.nearest_neighbor(*p).is_some_and(|c| inside((c[0] - p[0]).powi(2) + (c[1] - p[1]).powi(2), r)))
        .count()
}

/// Validate zones on the `horizon_days` after their "as of" instant (see the module docs).
pub fn validate_zones(
    ds: &Dataset,
    zones: &Zones,
    horizon_days: f64,
    draws: usize,
    seed: u64,
) -> Result<ZoneValidation, ZoneError> {
    if !(horizon_days.is_finite() && horizon_days > 0.0) {
        return Err(ZoneError::Horizon(horizon_days));
    }
    let (xs, ys, ts) = (ds.x_m(), ds.y_m(), ds.time_s());
    let cats = zones.categories.clone();
    let to_s = zones.as_of_s + (horizon_days * 86_400.0).round() as i64;
    let future_sel =
        Query { from_s: Some(zones.as_of_s), to_s: Some(to_s), categories: cats.clone(), ..Default::default() }
            .select(ds)?;
    let future: Vec<[f64; 2]> = future_sel.indices.iter().map(|&i| [xs[i as usize], ys[i as usize]]).collect();
    let all_sources: Vec<[f64; 2]> = zones.sources_xy.iter().flatten().copied().collect();
    let r = zones.radius_m;
    let zone_hits = hits(&future, &all_sources, r);

    let hist =
        Query { from_s: Some(zones.history_from_s), to_s: Some(zones.as_of_s), categories: cats, ..Default::default() }
            .select(ds)?;
    let mut hist_idx = hist.indices.clone();
    hist_idx.sort_by_key(|&i| (ts[i as usize], i));
    let (mut total, mut at_least) = (0usize, 0usize);
    if !hist_idx.is_empty() && !zones.sources_xy.is_empty() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..draws {
            let mut moved = Vec::with_capacity(all_sources.len());
            for zone in &zones.sources_xy {
                let anchor = hist_idx[rng.random_range(0..hist_idx.len())] as usize;
                let (dx, dy) = (xs[anchor] - zone[0][0], ys[anchor] - zone[0][1]);
                moved.extend(zone.iter().map(|p| [p[0] + dx, p[1] + dy]));
            }
            let h = hits(&future, &moved, r);
            total += h;
            at_least += usize::from(h >= zone_hits);
        }
    }
    let oldest: Vec<[f64; 2]> =
        hist_idx.iter().take(all_sources.len()).map(|&i| [xs[i as usize], ys[i as usize]]).collect();
    Ok(ZoneValidation {
        horizon_days,
        total: future.len(),
        hits: zone_hits,
        random_draws: draws,
        random_seed: seed,
        random_mean_hits: if draws > 0 { total as f64 / draws as f64 } else { 0.0 },
        random_at_least: at_least,
        oldest_count: oldest.len(),
        oldest_hits: hits(&future, &oldest, r),
    })
}
