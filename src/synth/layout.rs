//! The synthetic study area: the square frame in projected metres, the town centre, the planted hotspots, the
//! streets and the fixed map points that every incident snaps to (like police.uk's anonymised map points).
//!
//! Everything here is drawn once, serially, from the master random stream, so it depends only on the parameters.

use super::SynthError;
use super::names::{
    ARCHETYPES, STREET_VOCABULARY, area_code, named_place, named_places_total, road_number, street_name,
};
use crate::geo::Projector;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashSet;

/// Draws outside the frame are redrawn at most this many times, then clamped onto the frame's edge.
pub(super) const MAX_REDRAWS: usize = 64;

/// Planted hotspot sigmas are log-uniform on this range (metres), capped at a tenth of the extent.
const SIGMA_RANGE_M: (f64, f64) = (60.0, 400.0);

/// Shares of the map points by how they are placed (the rest are uniform over the square).
const POINTS_NEAR_HOTSPOTS: f64 = 0.10;
const POINTS_ON_STREETS: f64 = 0.35;
const POINTS_IN_TOWN: f64 = 0.25;

/// Side of the cells that give unnamed map points a street name, metres.
const NAME_CELL_M: f64 = 250.0;

/// Points per projection task when converting map points to lon/lat in parallel.
const PROJECT_BATCH: usize = 4096;

/// The square study area in projected metres.
#[derive(Debug, Clone, Copy)]
pub(super) struct Frame {
    pub min_xy_m: [f64; 2],
    pub max_xy_m: [f64; 2],
}

impl Frame {
    /// The square of side `extent_m` centred on `centre_xy_m`.
    pub(super) fn around(centre_xy_m: [f64; 2], extent_m: f64) -> Self {
        let h = extent_m / 2.0;
        Frame { min_xy_m: [centre_xy_m[0] - h, centre_xy_m[1] - h], max_xy_m: [centre_xy_m[0] + h, centre_xy_m[1] + h] }
    }

    pub(super) fn extent_m(&self) -> f64 {
        self.max_xy_m[0] - self.min_xy_m[0]
    }

    pub(super) fn centre_xy_m(&self) -> [f64; 2] {
        [(self.min_xy_m[0] + self.max_xy_m[0]) / 2.0, (self.min_xy_m[1] + self.max_xy_m[1]) / 2.0]
    }

    /// The same square shrunk by `margin_m` on every side (`margin_m` must be below half the extent).
    fn shrunk(&self, margin_m: f64) -> Self {
        Frame {
            min_xy_m: [self.min_xy_m[0] + margin_m, self.min_xy_m[1] + margin_m],
            max_xy_m: [self.max_xy_m[0] - margin_m, self.max_xy_m[1] - margin_m],
        }
    }

    pub(super) fn contains(&self, p: [f64; 2]) -> bool {
        (self.min_xy_m[0]..=self.max_xy_m[0]).contains(&p[0]) && (self.min_xy_m[1]..=self.max_xy_m[1]).contains(&p[1])
    }

    fn clamp(&self, p: [f64; 2]) -> [f64; 2] {
        [p[0].clamp(self.min_xy_m[0], self.max_xy_m[0]), p[1].clamp(self.min_xy_m[1], self.max_xy_m[1])]
    }

    pub(super) fn uniform(&self, rng: &mut ChaCha8Rng) -> [f64; 2] {
        [uniform(rng, self.min_xy_m[0], self.max_xy_m[0]), uniform(rng, self.min_xy_m[1], self.max_xy_m[1])]
    }

    /// Draws from `draw` until the point is inside the square (at most [`MAX_REDRAWS`] redraws, then clamps).
    pub(super) fn redraw_inside(
        &self,
        rng: &mut ChaCha8Rng,
        mut draw: impl FnMut(&mut ChaCha8Rng) -> [f64; 2],
    ) -> [f64; 2] {
        let mut p = draw(rng);
        for _ in 0..MAX_REDRAWS {
            if self.contains(p) {
                return p;
            }
            p = draw(rng);
        }
        self.clamp(p)
    }
}

/// A uniform draw in `[lo, hi)` that tolerates `lo == hi`.
pub(super) fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.random::<f64>()
}

/// `centre + sigma_m * N(0, I)`.
pub(super) fn gaussian(rng: &mut ChaCha8Rng, centre_xy_m: [f64; 2], sigma_m: f64) -> [f64; 2] {
    let dx: f64 = StandardNormal.sample(rng);
    let dy: f64 = StandardNormal.sample(rng);
    [centre_xy_m[0] + sigma_m * dx, centre_xy_m[1] + sigma_m * dy]
}

/// The broad Gaussian "town centre" that concentrates both map points and background incidents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Town {
    pub centre_xy_m: [f64; 2],
    pub sigma_m: f64,
}

/// A planted hotspot: an isotropic Gaussian of incidents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hotspot {
    pub centre_xy_m: [f64; 2],
    pub sigma_m: f64,
    /// Expected fraction of all incidents.
    pub share: f64,
    /// Index into [`ARCHETYPES`].
    pub archetype: usize,
}

/// A straight street segment with a name.
#[derive(Debug, Clone)]
pub(super) struct Street {
    pub a_xy_m: [f64; 2],
    pub b_xy_m: [f64; 2],
    pub name: String,
}

impl Street {
    /// A point along the street, jittered by `jitter_m` (Gaussian, each axis).
    pub(super) fn point(&self, rng: &mut ChaCha8Rng, jitter_m: f64) -> [f64; 2] {
        let t = rng.random::<f64>();
        let on = [
            self.a_xy_m[0] + t * (self.b_xy_m[0] - self.a_xy_m[0]),
            self.a_xy_m[1] + t * (self.b_xy_m[1] - self.a_xy_m[1]),
        ];
        gaussian(rng, on, jitter_m)
    }
}

/// The town centre: near the middle of the square, a broad Gaussian of sigma a seventh of the extent.
pub(super) fn draw_town(frame: &Frame, rng: &mut ChaCha8Rng) -> Town {
    let c = frame.centre_xy_m();
    let e = frame.extent_m();
    Town {
        centre_xy_m: [c[0] + uniform(rng, -e / 10.0, e / 10.0), c[1] + uniform(rng, -e / 10.0, e / 10.0)],
        sigma_m: e / 7.0,
    }
}

/// `k` planted hotspots whose shares sum to `hotspot_share`.
///
/// Sigma is log-uniform on 60-400 m (capped at extent / 10); weights are log-normal (sdlog 0.8), so shares are unequal;
/// archetypes cycle through [`ARCHETYPES`]. Centres come half from the town Gaussian, half uniform, at least
/// min(2 sigma, extent / 4) inside the square and, when 100 tries allow it, 2 (sigma_i + sigma_j) from earlier centres.
pub(super) fn draw_hotspots(
    k: usize,
    hotspot_share: f64,
    frame: &Frame,
    town: &Town,
    rng: &mut ChaCha8Rng,
) -> Vec<Hotspot> {
    let extent_m = frame.extent_m();
    let mut spots: Vec<Hotspot> = Vec::with_capacity(k);
    let mut weights = Vec::with_capacity(k);
    for i in 0..k {
        let sigma_m = uniform(rng, SIGMA_RANGE_M.0.ln(), SIGMA_RANGE_M.1.ln()).exp().min(extent_m / 10.0);
        let z: f64 = StandardNormal.sample(rng);
        weights.push((0.8 * z).exp());
        let inner = frame.shrunk((2.0 * sigma_m).min(extent_m / 4.0));
        let far_enough = |p: [f64; 2], spots: &[Hotspot]| {
            spots.iter().all(|s| dist_m(p, s.centre_xy_m) >= 2.0 * (s.sigma_m + sigma_m))
        };
        let mut centre = None;
        for _ in 0..100 {
            let p = if rng.random::<f64>() < 0.5 {
                gaussian(rng, town.centre_xy_m, town.sigma_m)
            } else {
                frame.uniform(rng)
            };
            if inner.contains(p) && far_enough(p, &spots) {
                centre = Some(p);
                break;
            }
        }
        let centre_xy_m = match centre {
            Some(p) => p,
            None => inner.uniform(rng),
        };
        spots.push(Hotspot { centre_xy_m, sigma_m, share: 0.0, archetype: i % ARCHETYPES.len() });
    }
    let total: f64 = weights.iter().sum();
    for (s, w) in spots.iter_mut().zip(&weights) {
        s.share = hotspot_share * w / total;
    }
    spots
}

fn dist_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// Streets: straight segments starting in the town (60 %) or anywhere (40 %), random direction, log-uniform length
/// on 150-2500 m (bounded by the extent), clipped to the square. A third of those longer than 1.2 km are numbered
/// roads (`A350`, `B3064`).
pub(super) fn draw_streets(count: usize, frame: &Frame, town: &Town, rng: &mut ChaCha8Rng) -> Vec<Street> {
    let extent_m = frame.extent_m();
    let lo = 150.0_f64.min(extent_m / 4.0);
    let hi = 2500.0_f64.min(extent_m / 2.0).max(lo);
    (0..count)
        .map(|_| {
            let a = if rng.random::<f64>() < 0.6 {
                frame.redraw_inside(rng, |r| gaussian(r, town.centre_xy_m, town.sigma_m))
            } else {
                frame.uniform(rng)
            };
            let len_m = uniform(rng, lo.ln(), hi.ln()).exp();
            let angle = uniform(rng, 0.0, std::f64::consts::PI);
            let d = [len_m * angle.cos(), len_m * angle.sin()];
            // Largest t in [0, 1] keeping a + t d inside the square (a is inside, the square is convex).
            let mut t = 1.0_f64;
            for axis in 0..2 {
                if d[axis] > 0.0 {
                    t = t.min((frame.max_xy_m[axis] - a[axis]) / d[axis]);
                } else if d[axis] < 0.0 {
                    t = t.min((frame.min_xy_m[axis] - a[axis]) / d[axis]);
                }
            }
            let b = frame.clamp([a[0] + t * d[0], a[1] + t * d[1]]);
            let name = if len_m > 1200.0 && rng.random::<f64>() < 1.0 / 3.0 {
                road_number(rng.random::<u64>())
            } else {
                street_name(rng.random_range(0..STREET_VOCABULARY))
            };
            Street { a_xy_m: a, b_xy_m: b, name }
        })
        .collect()
}

/// How a map point was placed; decides its name.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Hotspot(usize),
    Street(usize),
    Town,
    Uniform,
}

/// The fixed map points: metric position, the `lon,lat` text written to the CSV and the `location,area` text.
pub(super) struct MapPoints {
    pub xy_m: Vec<[f64; 2]>,
    pub lonlat_text: Vec<String>,
    pub place_text: Vec<String>,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl MapPoints {
    pub(super) fn len(&self) -> usize {
        self.xy_m.len()
    }

    /// Index of the map point nearest to `p` (ties resolved by the tree, deterministically); 0 if there are none.
    pub(super) fn nearest(&self, p: [f64; 2]) -> usize {
        self.tree.nearest_neighbor(&p).map_or(0, |g| g.data as usize)
    }
}

/// Everything [`draw_map_points`] needs about the area.
pub(super) struct Scene<'a> {
    pub frame: Frame,
    pub town: Town,
    pub hotspots: &'a [Hotspot],
    pub streets: &'a [Street],
    pub projector: &'a Projector,
    /// A national extent's towns: town points come from a town chosen by population, and "uniform" points from
    /// the rural surroundings of one (see [`super::national`]).
    pub towns: Option<&'a super::national::TownSet>,
}

impl Scene<'_> {
    fn draw(&self, kind: Kind, rng: &mut ChaCha8Rng) -> [f64; 2] {
        match kind {
            Kind::Hotspot(k) => {
                let h = self.hotspots[k];
                self.frame.redraw_inside(rng, |r| gaussian(r, h.centre_xy_m, 1.5 * h.sigma_m))
            }
            Kind::Street(s) => self.frame.redraw_inside(rng, |r| self.streets[s].point(r, 4.0)),
            Kind::Town => match self.towns {
                Some(t) => self.frame.redraw_inside(rng, |r| t.town_point(r)),
                None => self.frame.redraw_inside(rng, |r| gaussian(r, self.town.centre_xy_m, self.town.sigma_m)),
            },
            Kind::Uniform => match self.towns {
                Some(t) => self.frame.redraw_inside(rng, |r| t.rural_point(r)),
                None => self.frame.uniform(rng),
            },
        }
    }

    /// `lon,lat` with 6 decimals, as police.uk prints them.
    fn lonlat_text(&self, p: [f64; 2]) -> Result<String, SynthError> {
        self.projector
            .to_lonlat(p[0], p[1])
            .map(|(lon, lat)| format!("{lon:.6},{lat:.6}"))
            .ok_or_else(|| SynthError::projection("a map point", p))
    }
}

/// Draws `count` map points: 10 % around the hotspots (Gaussian, 1.5 sigma, split evenly), 35 % along the streets
/// (4 m jitter), 25 % in the town Gaussian, the rest uniform. Points whose printed lon/lat repeats an earlier one are
/// redrawn (up to 20 times, then dropped, which only happens when the square is too small to hold `count` distinct
/// 6-decimal coordinates), so the result may hold fewer than `count` points, never more.
pub(super) fn draw_map_points(count: usize, scene: &Scene, rng: &mut ChaCha8Rng) -> Result<MapPoints, SynthError> {
    let kinds = point_kinds(count, scene.hotspots.len(), scene.streets.len());
    let candidates: Vec<[f64; 2]> = kinds.iter().map(|&k| scene.draw(k, rng)).collect();
    let texts: Vec<String> = candidates
        .par_chunks(PROJECT_BATCH)
        .map(|batch| batch.iter().map(|&p| scene.lonlat_text(p)).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();

    let mut seen: HashSet<String> = HashSet::with_capacity(count);
    let mut kept: Vec<(Kind, [f64; 2], String)> = Vec::with_capacity(count);
    for ((kind, p), text) in kinds.into_iter().zip(candidates).zip(texts) {
        let mut found = (!seen.contains(&text)).then_some((p, text));
        for _ in 0..20 {
            if found.is_some() {
                break;
            }
            let q = scene.draw(kind, rng);
            let t = scene.lonlat_text(q)?;
            found = (!seen.contains(&t)).then_some((q, t));
        }
        if let Some((q, t)) = found {
            seen.insert(t.clone());
            kept.push((kind, q, t));
        }
    }

    let salt: u64 = rng.random();
    let areas = if scene.towns.is_some() { AreaGrid::national(&scene.frame) } else { AreaGrid::new(&scene.frame) };
    let places_total = named_places_total();
    let mut points = MapPoints {
        xy_m: Vec::with_capacity(kept.len()),
        lonlat_text: Vec::with_capacity(kept.len()),
        place_text: Vec::with_capacity(kept.len()),
        tree: RTree::new(),
    };
    for (kind, p, text) in kept {
        let name = match kind {
            Kind::Street(s) => scene.streets[s].name.clone(),
            Kind::Hotspot(k) if rng.random::<f64>() < 0.25 => {
                let places = ARCHETYPES[scene.hotspots[k].archetype].places;
                places[rng.random_range(0..places.len())].to_owned()
            }
            Kind::Town | Kind::Uniform if rng.random::<f64>() < 0.05 => {
                named_place(rng.random_range(0..places_total)).to_owned()
            }
            _ => cell_street_name(&scene.frame, p, salt),
        };
        points.place_text.push(format!("On or near {name},{}", areas.code(p)));
        points.xy_m.push(p);
        points.lonlat_text.push(text);
    }
    let items = points.xy_m.iter().enumerate().map(|(i, &p)| GeomWithData::new(p, i as u32)).collect();
    points.tree = RTree::bulk_load(items);
    Ok(points)
}

/// The kind of each map point slot, in a fixed order.
fn point_kinds(count: usize, n_hotspots: usize, n_streets: usize) -> Vec<Kind> {
    let share = |f: f64| (f * count as f64).round() as usize;
    let near_hotspots = if n_hotspots > 0 { share(POINTS_NEAR_HOTSPOTS) } else { 0 };
    let on_streets = if n_streets > 0 { share(POINTS_ON_STREETS) } else { 0 };
    let in_town = share(POINTS_IN_TOWN);
    let mut kinds = Vec::with_capacity(count);
    kinds.extend((0..near_hotspots).map(|i| Kind::Hotspot(i % n_hotspots)));
    kinds.extend((0..on_streets).map(|i| Kind::Street(i % n_streets)));
    kinds.extend((0..in_town).map(|_| Kind::Town));
    kinds.truncate(count);
    kinds.resize(count, Kind::Uniform);
    kinds
}

/// A street name that depends only on the 250 m cell of `p` (and the run's salt), so that neighbouring unnamed map
/// points share a street.
fn cell_street_name(frame: &Frame, p: [f64; 2], salt: u64) -> String {
    let cx = ((p[0] - frame.min_xy_m[0]) / NAME_CELL_M).floor() as i64 as u64;
    let cy = ((p[1] - frame.min_xy_m[1]) / NAME_CELL_M).floor() as i64 as u64;
    let h = splitmix64(salt ^ splitmix64(cx.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ cy));
    street_name(h % STREET_VOCABULARY)
}

/// SplitMix64's finaliser: a fast, well-mixed hash of a `u64`.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The coarse grid of fake area codes: 1 km cells, or extent / 100 for areas over 100 km, so at most 10,000 codes;
/// national extents use 2 km cells over the whole frame with `E01` codes.
struct AreaGrid {
    min_xy_m: [f64; 2],
    cell_m: f64,
    cols: u32,
    rows: u32,
    national: bool,
}

impl AreaGrid {
    fn new(frame: &Frame) -> Self {
        let cell_m = (frame.extent_m() / 100.0).max(1000.0);
        let cols = ((frame.extent_m() / cell_m).ceil() as u32).clamp(1, 100);
        AreaGrid { min_xy_m: frame.min_xy_m, cell_m, cols, rows: cols, national: false }
    }

    fn national(frame: &Frame) -> Self {
        let cell_m = super::national::AREA_CELL_M;
        let n = |axis: usize| (((frame.max_xy_m[axis] - frame.min_xy_m[axis]) / cell_m).ceil() as u32).clamp(1, 999);
        AreaGrid { min_xy_m: frame.min_xy_m, cell_m, cols: n(0), rows: n(1), national: true }
    }

    fn code(&self, p: [f64; 2]) -> String {
        let col = (((p[0] - self.min_xy_m[0]) / self.cell_m).floor() as i64).clamp(0, i64::from(self.cols) - 1) as u32;
        let row = (((p[1] - self.min_xy_m[1]) / self.cell_m).floor() as i64).clamp(0, i64::from(self.rows) - 1) as u32;
        if self.national {
            super::national::area_code(u64::from(row) * u64::from(self.cols) + u64::from(col))
        } else {
            area_code(row * self.cols + col)
        }
    }
}
