//! National synthetic data: many towns weighted by population instead of one town in a square.
//!
//! `--extent england-wales` lays out the 100 largest towns and cities of England and Wales (positions to about a
//! kilometre, populations of their built-up areas rounded to thousands, from public census summaries) plus 300
//! smaller towns drawn near them, over the two countries' bounding box; `--bbox W,S,E,N` takes the listed towns
//! inside the box plus 40 drawn small towns per listed one (or 50 anywhere in the box when it holds none). Each town is
//! a Gaussian whose sigma grows with the square root of its population (1.2 km per 100,000 people); a town is
//! chosen with probability proportional to its population. Background incidents come from a town (50%), a street
//! (20%) or the town's rural surroundings (30%, a Gaussian five times wider, at least 8 km); map points likewise
//! (25% in towns, 35% along streets, 30% rural, 10% around hotspots); hotspots sit in towns chosen by population;
//! streets start in towns chosen by population. Area codes are `E01` and six digits on a 2 km grid.

use super::layout::{Frame, Hotspot, Street, Town, gaussian, uniform};
use super::names::{ARCHETYPES, STREET_VOCABULARY, road_number, street_name};
use super::{SynthError, truth::CityTruth};
use crate::geo::Projector;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// England and Wales, WGS84 `[west, south, east, north]`.
pub const ENGLAND_WALES_BBOX: [f64; 4] = [-5.75, 49.95, 1.80, 55.82];

/// Sigma of a town of 100,000 people, metres.
const SIGMA_PER_100K_M: f64 = 1200.0;
/// Rural surroundings: this many town sigmas, at least [`RURAL_MIN_SIGMA_M`].
const RURAL_FACTOR: f64 = 5.0;
const RURAL_MIN_SIGMA_M: f64 = 8000.0;
/// Small towns drawn for England and Wales, and per listed town inside a bounding box.
const SMALL_TOWNS_NATIONAL: usize = 300;
const SMALL_TOWNS_PER_LISTED: usize = 40;
/// Small towns drawn anywhere in a box that holds no listed town.
const SMALL_TOWNS_EMPTY_BOX: usize = 50;
/// Side of the area-code grid cells, metres.
pub const AREA_CELL_M: f64 = 2000.0;

/// Where the synthetic incidents are.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Extent {
    /// A square of `extent_m` around `centre_lonlat` with one town (the default).
    #[default]
    Square,
    /// England and Wales.
    EnglandWales,
    /// Any WGS84 box `[west, south, east, north]`.
    Bbox([f64; 4]),
}

impl Extent {
    /// Whether this is the default square around one town (not a national or box extent).
    pub fn is_square(&self) -> bool {
        matches!(self, Extent::Square)
    }

    /// The WGS84 box of a national extent.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        match self {
            Extent::Square => None,
            Extent::EnglandWales => Some(ENGLAND_WALES_BBOX),
            Extent::Bbox(b) => Some(*b),
        }
    }
}

/// The towns and cities of England and Wales: name, lon, lat, thousands of people (built-up area).
pub const TOWNS: [(&str, f64, f64, u32); 100] = [
    ("London", -0.128, 51.507, 9000),
    ("Manchester", -2.244, 53.483, 2550),
    ("Birmingham", -1.898, 52.486, 2400),
    ("Leeds", -1.549, 53.801, 800),
    ("Liverpool", -2.992, 53.408, 860),
    ("Newcastle upon Tyne", -1.618, 54.978, 780),
    ("Sheffield", -1.470, 53.381, 690),
    ("Nottingham", -1.150, 52.954, 730),
    ("Bristol", -2.588, 51.454, 620),
    ("Bradford", -1.752, 53.795, 540),
    ("Leicester", -1.133, 52.637, 510),
    ("Cardiff", -3.179, 51.481, 480),
    ("Bournemouth", -1.880, 50.720, 465),
    ("Middlesbrough", -1.235, 54.574, 375),
    ("Coventry", -1.512, 52.407, 370),
    ("Reading", -0.973, 51.454, 320),
    ("Preston", -2.703, 53.763, 315),
    ("Southend-on-Sea", 0.711, 51.538, 295),
    ("Brighton", -0.137, 50.822, 290),
    ("Hull", -0.336, 53.745, 285),
    ("Medway", 0.549, 51.389, 280),
    ("Stoke-on-Trent", -2.179, 53.002, 270),
    ("Plymouth", -4.143, 50.376, 265),
    ("Milton Keynes", -0.759, 52.041, 265),
    ("Derby", -1.476, 52.921, 260),
    ("Luton", -0.417, 51.879, 260),
    ("Southampton", -1.404, 50.909, 250),
    ("Swansea", -3.944, 51.621, 245),
    ("Portsmouth", -1.087, 50.819, 240),
    ("Blackpool", -3.036, 53.817, 240),
    ("Northampton", -0.893, 52.240, 225),
    ("Norwich", 1.297, 52.630, 215),
    ("Peterborough", -0.240, 52.573, 215),
    ("York", -1.082, 53.960, 210),
    ("Swindon", -1.781, 51.558, 185),
    ("Ipswich", 1.155, 52.059, 180),
    ("Sunderland", -1.383, 54.906, 175),
    ("Mansfield", -1.196, 53.143, 170),
    ("Warrington", -2.597, 53.390, 165),
    ("Slough", -0.595, 51.511, 165),
    ("Huddersfield", -1.784, 53.649, 160),
    ("Doncaster", -1.128, 53.523, 160),
    ("Oxford", -1.258, 51.752, 155),
    ("Newport", -2.998, 51.588, 150),
    ("Gloucester", -2.244, 51.864, 150),
    ("Blackburn", -2.483, 53.748, 150),
    ("Burnley", -2.248, 53.789, 150),
    ("Cambridge", 0.122, 52.205, 145),
    ("Telford", -2.448, 52.678, 145),
    ("High Wycombe", -0.748, 51.629, 135),
    ("Grimsby", -0.075, 53.567, 135),
    ("Exeter", -3.533, 50.718, 130),
    ("Colchester", 0.901, 51.889, 130),
    ("Watford", -0.396, 51.656, 130),
    ("Cheltenham", -2.078, 51.900, 117),
    ("Lincoln", -0.540, 53.234, 115),
    ("Maidstone", 0.522, 51.272, 115),
    ("Torquay", -3.526, 50.462, 115),
    ("Chelmsford", 0.479, 51.736, 110),
    ("Basingstoke", -1.087, 51.266, 110),
    ("Crawley", -0.187, 51.109, 110),
    ("Eastbourne", 0.284, 50.768, 110),
    ("Worthing", -0.372, 50.817, 110),
    ("Basildon", 0.459, 51.576, 110),
    ("Wigan", -2.631, 53.545, 105),
    ("Bedford", -0.469, 52.136, 105),
    ("Worcester", -2.220, 52.192, 100),
    ("Bath", -2.359, 51.381, 95),
    ("Darlington", -1.553, 54.524, 92),
    ("Hastings", 0.573, 50.855, 90),
    ("Chester", -2.892, 53.193, 90),
    ("Stevenage", -0.202, 51.902, 90),
    ("Chesterfield", -1.421, 53.235, 90),
    ("Guildford", -0.570, 51.236, 80),
    ("Shrewsbury", -2.752, 52.707, 76),
    ("Harrogate", -1.537, 53.992, 75),
    ("Carlisle", -2.935, 54.892, 75),
    ("Great Yarmouth", 1.728, 52.608, 70),
    ("Lowestoft", 1.750, 52.475, 70),
    ("Stafford", -2.117, 52.806, 70),
    ("Wrexham", -2.992, 53.046, 65),
    ("Taunton", -3.106, 51.015, 65),
    ("Hereford", -2.716, 52.056, 60),
    ("Scarborough", -0.405, 54.283, 60),
    ("Barrow-in-Furness", -3.227, 54.108, 57),
    ("Kidderminster", -2.249, 52.388, 57),
    ("Canterbury", 1.079, 51.280, 55),
    ("Weymouth", -2.457, 50.614, 55),
    ("Durham", -1.575, 54.776, 50),
    ("Lancaster", -2.801, 54.047, 50),
    ("Bridgend", -3.577, 51.504, 50),
    ("Folkestone", 1.180, 51.081, 50),
    ("Salisbury", -1.795, 51.069, 45),
    ("Merthyr Tydfil", -3.378, 51.749, 45),
    ("Winchester", -1.316, 51.063, 45),
    ("King's Lynn", 0.397, 52.754, 45),
    ("Yeovil", -2.633, 50.941, 45),
    ("Barnstaple", -4.058, 51.080, 30),
    ("Bangor", -4.130, 53.228, 18),
    ("Aberystwyth", -4.082, 52.415, 19),
];

/// A town with its population.
#[derive(Debug, Clone)]
pub(crate) struct NamedTown {
    pub(crate) name: String,
    pub(crate) town: Town,
    pub(crate) population: f64,
}

/// The towns of a national extent, chosen with probability proportional to population.
#[derive(Debug, Clone)]
pub(crate) struct TownSet {
    pub(crate) towns: Vec<NamedTown>,
    cumulative: Vec<f64>,
}

impl TownSet {
    fn new(towns: Vec<NamedTown>) -> Self {
        let mut acc = 0.0;
        let cumulative = towns
            .iter()
            .map(|t| {
                acc += t.population;
                acc
            })
            .collect();
        TownSet { towns, cumulative }
    }

    /// A town, chosen with probability proportional to its population.
    pub(crate) fn pick(&self, rng: &mut ChaCha8Rng) -> &Town {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= u).min(self.towns.len().saturating_sub(1));
        // `draw_towns` never makes an empty set; a town at the origin stands in rather than a panic.
        const NO_TOWN: Town = Town { centre_xy_m: [0.0, 0.0], sigma_m: 1.0 };
        self.towns.get(i).map_or(&NO_TOWN, |t| &t.town)
    }

    /// A point in a town chosen by population.
    pub(crate) fn town_point(&self, rng: &mut ChaCha8Rng) -> [f64; 2] {
        let t = *self.pick(rng);
        gaussian(rng, t.centre_xy_m, t.sigma_m)
    }

    /// A point in the rural surroundings of a town chosen by population.
    pub(crate) fn rural_point(&self, rng: &mut ChaCha8Rng) -> [f64; 2] {
        let t = *self.pick(rng);
        gaussian(rng, t.centre_xy_m, (RURAL_FACTOR * t.sigma_m).max(RURAL_MIN_SIGMA_M))
    }

    /// The largest town (the truth's "town").
    pub(crate) fn largest(&self) -> Town {
        self.towns
            .iter()
            .max_by(|a, b| a.population.total_cmp(&b.population))
            .map_or(Town { centre_xy_m: [0.0, 0.0], sigma_m: 1.0 }, |t| t.town)
    }

    /// The towns as written in the truth.
    pub(crate) fn truth(&self, projector: &Projector) -> Result<Vec<CityTruth>, SynthError> {
        let total: f64 = self.towns.iter().map(|t| t.population).sum();
        self.towns
            .iter()
            .map(|t| {
                let c = t.town.centre_xy_m;
                let lonlat = projector.to_lonlat(c[0], c[1]).ok_or_else(|| SynthError::projection("a town", c))?;
                Ok(CityTruth {
                    name: t.name.clone(),
                    centre_lonlat: lonlat,
                    centre_xy_m: (c[0], c[1]),
                    sigma_m: t.town.sigma_m,
                    population: t.population.round() as u64,
                    share: if total > 0.0 { t.population / total } else { 0.0 },
                })
            })
            .collect()
    }
}

fn sigma_for(population: f64) -> f64 {
    SIGMA_PER_100K_M * (population / 100_000.0).sqrt()
}

/// The projected frame of a WGS84 box: the box's edges sampled every 1/32 and projected, then their extent.
pub(super) fn frame_of(bbox: [f64; 4], projector: &Projector) -> Result<Frame, SynthError> {
    let [w, s, e, n] = bbox;
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for i in 0..=32 {
        let t = f64::from(i) / 32.0;
        let (lon, lat) = (w + t * (e - w), s + t * (n - s));
        for (lo, la) in [(lon, s), (lon, n), (w, lat), (e, lat)] {
            let (x, y) = projector.from_lonlat(lo, la).ok_or_else(|| SynthError::Projection {
                what: "the edge of the bounding box".into(),
                at: format!("lon/lat ({lo}, {la})"),
            })?;
            min = [min[0].min(x), min[1].min(y)];
            max = [max[0].max(x), max[1].max(y)];
        }
    }
    Ok(Frame { min_xy_m: min, max_xy_m: max })
}

/// The towns of `bbox`: the listed ones inside it and small towns drawn near them (from `rng`).
pub(super) fn draw_towns(
    bbox: [f64; 4],
    national: bool,
    frame: &Frame,
    projector: &Projector,
    rng: &mut ChaCha8Rng,
) -> Result<TownSet, SynthError> {
    let mut towns = Vec::new();
    for &(name, lon, lat, thousands) in &TOWNS {
        if crate::model::query::in_lonlat_box(bbox, lon, lat) {
            let (x, y) = projector.from_lonlat(lon, lat).ok_or_else(|| SynthError::Projection {
                what: format!("the town {name}"),
                at: format!("lon/lat ({lon}, {lat})"),
            })?;
            let population = f64::from(thousands) * 1000.0;
            towns.push(NamedTown {
                name: name.to_owned(),
                town: Town { centre_xy_m: [x, y], sigma_m: sigma_for(population) },
                population,
            });
        }
    }
    let listed = TownSet::new(towns.clone());
    let small = if national {
        SMALL_TOWNS_NATIONAL
    } else if towns.is_empty() {
        SMALL_TOWNS_EMPTY_BOX
    } else {
        SMALL_TOWNS_PER_LISTED * towns.len()
    };
    for k in 0..small {
        let centre = if listed.towns.is_empty() {
            frame.uniform(rng)
        } else {
            frame.redraw_inside(rng, |r| {
                let t = *listed.pick(r);
                gaussian(r, t.centre_xy_m, (4.0 * t.sigma_m).max(25_000.0))
            })
        };
        let population = uniform(rng, 10_000f64.ln(), 60_000f64.ln()).exp().round();
        towns.push(NamedTown {
            name: format!("Town {}", k + 1),
            town: Town { centre_xy_m: centre, sigma_m: sigma_for(population) },
            population,
        });
    }
    Ok(TownSet::new(towns))
}

/// `k` hotspots in towns chosen by population (see [`super::layout::draw_hotspots`] for sigmas and shares).
pub(super) fn draw_hotspots(
    k: usize,
    hotspot_share: f64,
    frame: &Frame,
    towns: &TownSet,
    rng: &mut ChaCha8Rng,
) -> Vec<Hotspot> {
    let mut spots: Vec<Hotspot> = Vec::with_capacity(k);
    let mut weights = Vec::with_capacity(k);
    for i in 0..k {
        let sigma_m = uniform(rng, 60f64.ln(), 400f64.ln()).exp();
        let z: f64 = StandardNormal.sample(rng);
        weights.push((0.8 * z).exp());
        let mut centre = None;
        for _ in 0..100 {
            let p = towns.town_point(rng);
            let apart = spots
                .iter()
                .all(|s| (p[0] - s.centre_xy_m[0]).hypot(p[1] - s.centre_xy_m[1]) >= 2.0 * (s.sigma_m + sigma_m));
            if frame.contains(p) && apart {
                centre = Some(p);
                break;
            }
        }
        let centre_xy_m = match centre {
            Some(p) => p,
            None => frame.redraw_inside(rng, |r| towns.town_point(r)),
        };
        spots.push(Hotspot { centre_xy_m, sigma_m, share: 0.0, archetype: i % ARCHETYPES.len() });
    }
    let total: f64 = weights.iter().sum();
    for (s, w) in spots.iter_mut().zip(&weights) {
        s.share = hotspot_share * w / total;
    }
    spots
}

/// Streets starting in towns chosen by population (70%) or their rural surroundings.
pub(super) fn draw_streets(count: usize, frame: &Frame, towns: &TownSet, rng: &mut ChaCha8Rng) -> Vec<Street> {
    (0..count)
        .map(|_| {
            let a = if rng.random::<f64>() < 0.7 {
                frame.redraw_inside(rng, |r| towns.town_point(r))
            } else {
                frame.redraw_inside(rng, |r| towns.rural_point(r))
            };
            let len_m = uniform(rng, 150f64.ln(), 2500f64.ln()).exp();
            let angle = uniform(rng, 0.0, std::f64::consts::PI);
            let d = [len_m * angle.cos(), len_m * angle.sin()];
            let mut t = 1.0_f64;
            for axis in 0..2 {
                if d[axis] > 0.0 {
                    t = t.min((frame.max_xy_m[axis] - a[axis]) / d[axis]);
                } else if d[axis] < 0.0 {
                    t = t.min((frame.min_xy_m[axis] - a[axis]) / d[axis]);
                }
            }
            let b = [a[0] + t * d[0], a[1] + t * d[1]];
            let name = if len_m > 1200.0 && rng.random::<f64>() < 1.0 / 3.0 {
                road_number(rng.random::<u64>())
            } else {
                street_name(rng.random_range(0..STREET_VOCABULARY))
            };
            Street { a_xy_m: a, b_xy_m: b, name }
        })
        .collect()
}

/// A national area code (`E01` and six digits) for a 2 km grid cell.
pub(super) fn area_code(cell: u64) -> String {
    format!("E01{:06}", cell % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use rand::SeedableRng;

    #[test]
    fn the_town_table_lies_in_england_and_wales_and_names_need_no_quoting() {
        let [w, s, e, n] = ENGLAND_WALES_BBOX;
        for (name, lon, lat, k) in TOWNS {
            assert!((w..=e).contains(&lon) && (s..=n).contains(&lat), "{name}");
            assert!(k >= 10 && !name.contains([',', '"']), "{name}");
        }
        let mut names: Vec<_> = TOWNS.iter().map(|t| t.0).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), TOWNS.len());
    }

    #[test]
    fn towns_are_picked_in_proportion_to_population() {
        let projector = Projector::new(&CrsDef::utm_for(-2.0, 52.9)).unwrap();
        let frame = frame_of(ENGLAND_WALES_BBOX, &projector).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let towns = draw_towns(ENGLAND_WALES_BBOX, true, &frame, &projector, &mut rng).unwrap();
        assert_eq!(towns.towns.len(), TOWNS.len() + SMALL_TOWNS_NATIONAL);
        let total: f64 = towns.towns.iter().map(|t| t.population).sum();
        let london = towns.towns[0].town.centre_xy_m;
        let draws = 20_000;
        let hits = (0..draws).filter(|_| towns.pick(&mut rng).centre_xy_m == london).count();
        let expected = 9_000_000.0 / total * f64::from(draws);
        assert!((hits as f64 - expected).abs() < 5.0 * expected.sqrt(), "{hits} vs {expected}");
        // A box around Dorset holds four listed towns, and 40 small towns for each.
        let dorset = [-2.9, 50.5, -1.6, 51.1];
        let t = draw_towns(dorset, false, &frame_of(dorset, &projector).unwrap(), &projector, &mut rng).unwrap();
        let listed: Vec<_> = t.towns.iter().filter(|t| !t.name.starts_with("Town ")).map(|t| t.name.as_str()).collect();
        assert_eq!(listed, ["Bournemouth", "Weymouth", "Salisbury", "Yeovil"]);
        assert_eq!(t.towns.len(), 4 + 4 * SMALL_TOWNS_PER_LISTED);
        assert_eq!(area_code(7), "E01000007");
    }
}
