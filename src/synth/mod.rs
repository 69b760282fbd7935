//! Realistic synthetic incidents with known planted hotspots, for tests and benchmarks.
//!
//! [`generate`] writes a CSV of `n` incidents (header `id,time,lon,lat,category,location,area`, gzip-compressed when
//! the output name ends in `.gz`) and its ground truth, a [`SynthTruth`] as JSON, to [`truth_path`]. The same
//! [`SynthParams`] give byte-identical files whatever the number of threads.
//!
//! # Model
//!
//! All geometry is in metres, in the UTM zone of `centre_lonlat` ([`CrsDef::utm_for`]); the study area is the square
//! of side `extent_m` centred there. From one master random stream (ChaCha8, stream 0 of `seed`):
//!
//! 1. **Town**: a broad Gaussian (sigma = extent / 7) centred within extent / 10 of the middle.
//! 2. **Planted hotspots** (`hotspots` of them): isotropic Gaussians, sigma log-uniform on 60-400 m (at most
//!    extent / 10), unequal shares (log-normal weights) summing to `hotspot_share`. Each has an archetype (night-time
//!    economy, retail centre, residential estate, park, transport hub, in turn) with its own category mix and
//!    time-of-day profile; see [`names`].
//! 3. **Streets**: `clamp(M / 30, 8, 4000)` straight named segments, 150-2500 m long, most starting in the town.
//! 4. **Map points** (`M`): 10 % around the hotspots, 35 % along streets, 25 % in the town Gaussian, 30 % uniform;
//!    each has a fixed 6-decimal lon/lat (distinct), a location (`On or near <street>`, or a police.uk named place
//!    such as `Shopping Area` for about 5 %) and a fake area code from a 1 km grid (`E0900....`).
//!    Automatic rule when `map_points` is `None`: `M = clamp(round(30 * n^0.6), 500, 100_000)`, which gives roughly
//!    police.uk's density: a month of Dorset (about 5,500 incidents) lands on about 2,700 distinct points, the
//!    busiest carrying about 30.
//! 5. **Counts**: the `n` incidents are split between the background (`1 - hotspot_share`) and the hotspots by one
//!    multinomial draw, then across chunks of 65,536 rows without replacement (clamped binomial draws), so every
//!    planted count in the truth is exact. With no hotspots, every incident is background and `hotspot_share` is
//!    ignored.
//!
//! Each chunk then draws its rows from its own stream (stream `chunk + 1` of `seed`), in parallel:
//! a background incident comes from the town Gaussian (50 %), near a random street (20 %, 15 m jitter) or uniform
//! (30 %); a hotspot incident from its Gaussian. Draws outside the square are redrawn (at most 64 times, then clamped
//! onto the edge, which is vanishingly rare), so `n` never changes. The point is then snapped to its nearest map point
//! (an R*-tree), so many incidents share exact coordinates, like police.uk. The category comes from the source's
//! mix, the day from `[start, start + days)` weighted by weekday (more on Fridays and Saturdays), the hour from the
//! source's hourly profile (evening peak, trough 04:00-07:00), minutes and seconds uniform. Times are UTC
//! `YYYY-MM-DDTHH:MM:SS`.
//!
//! # Parameters and returns
//!
//! See [`SynthParams`] for the parameters and their checks; [`generate`] returns the [`SynthTruth`] it wrote.
//! Both files are written to temporary files in the output's folder and renamed at the end, so a failed run leaves
//! neither. A `.gz` output is a series of gzip members (one per chunk, compressed in parallel), which every gzip reader
//! that handles multi-member files (gzip, zcat, `flate2::read::MultiGzDecoder`) reads as one stream.
//!
//! # Complexity
//!
//! `O(M log M)` to build the map points and their R*-tree, then `O(n log M)` for the rows, parallel over chunks;
//! memory `O(M + threads * 65,536)` rows, whatever `n`.

mod layout;
pub mod names;
pub mod national;
mod rows;
#[cfg(test)]
mod tests;
mod truth;

pub use national::Extent;
pub use truth::{
    BackgroundTruth, CategoryShare, CityTruth, HotspotTruth, StudyArea, SynthTruth, TRUTH_FORMAT, TrendTruth,
};

use crate::geo::{CrsDef, CrsError, Projector};
use chrono::{Datelike, Days, NaiveDate};
use flate2::Compression;
use flate2::write::GzEncoder;
use layout::{Frame, Scene};
use names::N_CATEGORIES;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use rows::{CHUNK_ROWS, ChunkOut, ChunkPlan, HEADER, RowSampler};
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Largest accepted `extent_m` (500 km; UTM distortion grows beyond).
pub const MAX_EXTENT_M: f64 = 500_000.0;
/// Largest accepted `days` (a century).
pub const MAX_DAYS: u32 = 36_600;
/// Largest accepted `hotspots`.
pub const MAX_HOTSPOTS: usize = 1_000;
/// Largest accepted explicit `map_points`.
pub const MAX_MAP_POINTS: usize = 2_000_000;
/// Cap of the automatic map-point rule.
pub const AUTO_MAP_POINTS_MAX: usize = 100_000;
/// Floor of the automatic map-point rule.
pub const AUTO_MAP_POINTS_MIN: usize = 500;

/// Parameters of [`generate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthParams {
    /// Incidents to write (0 gives a header-only CSV).
    pub n: u64,
    /// Random seed: the same parameters give the same bytes.
    pub seed: u64,
    /// Number of planted hotspots, at most [`MAX_HOTSPOTS`] (0 allowed).
    pub hotspots: usize,
    /// Centre of the study area, WGS84 degrees (lon in [-180, 180], lat in [-80, 84], the UTM range).
    pub centre_lonlat: (f64, f64),
    /// Side of the square study area, metres: finite, > 0 and at most [`MAX_EXTENT_M`].
    pub extent_m: f64,
    /// First day of the incidents (UTC).
    #[serde(with = "date_text")]
    pub start: NaiveDate,
    /// Days covered, 1 to [`MAX_DAYS`]: times fall in `[start, start + days)`.
    pub days: u32,
    /// Number of map points; `None` uses `clamp(round(30 * n^0.6), 500, 100_000)`. At most [`MAX_MAP_POINTS`].
    pub map_points: Option<usize>,
    /// Expected share of incidents in planted hotspots, in [0, 1] (ignored when `hotspots` is 0).
    pub hotspot_share: f64,
    /// The background and how points are placed (default: a town, streets, and police.uk-like snapping).
    #[serde(default)]
    pub pattern: Pattern,
    /// Planted changes of rate: at most one per hotspot (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trends: Vec<Trend>,
    /// Where: the square of `extent_m` around `centre_lonlat` with one town (default), or a national extent with
    /// many towns (then `centre_lonlat` and `extent_m` are not used); see [`national`].
    #[serde(default, skip_serializing_if = "Extent::is_square")]
    pub extent: Extent,
}

/// A planted change of rate: from `from` on, hotspot `hotspot` (1-based) produces incidents at `factor` times its
/// earlier daily rate (0.5 halves it, 2 doubles it). Its total (drawn like any hotspot's) is unchanged; the change
/// moves incidents between the days before and after `from`, so the after/before ratio of daily rates is `factor`
/// (up to the rounding of day weights to 1/1000 and the random draw). The truth records the exact counts either
/// side ([`TrendTruth`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The hotspot whose rate changes, 1-based (as in [`HotspotTruth::id`]).
    pub hotspot: usize,
    /// First day at the new rate.
    #[serde(with = "date_text")]
    pub from: NaiveDate,
    /// New daily rate over the earlier one (positive; 0.5 halves it, 2 doubles it).
    pub factor: f64,
}

impl std::str::FromStr for Trend {
    type Err = String;
    /// `K:YYYY-MM-DD:FACTOR`, e.g. `3:2024-07-01:0.4`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let [k, date, factor] = parts.as_slice() else {
            return Err(format!("trend '{s}' is not HOTSPOT:DATE:FACTOR, e.g. 3:2024-07-01:0.4"));
        };
        let hotspot = k.parse().map_err(|_| format!("trend '{s}': hotspot '{k}' is not a number (1-based)"))?;
        let from = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| format!("trend '{s}': date '{date}' is not YYYY-MM-DD"))?;
        let factor = factor.parse().map_err(|_| format!("trend '{s}': factor '{factor}' is not a number"))?;
        Ok(Trend { hotspot, from, factor })
    }
}

/// The spatial pattern of the generated incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pattern {
    /// Background from the town Gaussian, streets and uniform, every incident snapped to its nearest map point.
    #[default]
    Urban,
    /// Complete spatial randomness: a homogeneous Poisson background over the square, planted hotspots as usual,
    /// and no snapping (each incident at its own drawn point, printed to 6 decimals). The null model for tests of
    /// clustering statistics.
    Uniform,
}

impl std::str::FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "urban" => Ok(Pattern::Urban),
            "uniform" | "csr" => Ok(Pattern::Uniform),
            other => Err(format!("pattern '{other}' is not urban or uniform")),
        }
    }
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            n: 10_000,
            seed: 1,
            hotspots: 10,
            centre_lonlat: (-1.90, 50.73),
            extent_m: 20_000.0,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            days: 365,
            map_points: None,
            hotspot_share: 0.35,
            pattern: Pattern::Urban,
            trends: Vec::new(),
            extent: Extent::Square,
        }
    }
}

impl SynthParams {
    /// The number of map points used: `map_points`, or the automatic rule `clamp(round(30 * n^0.6), 500,
    /// 100_000)`; for a national extent `clamp(round(0.08 n), 500, 2,000,000)` (1.6 million at 20 million
    /// incidents, about police.uk's count for England and Wales).
    pub fn map_point_count(&self) -> usize {
        self.map_points.unwrap_or_else(|| {
            if self.extent.is_square() {
                ((30.0 * (self.n as f64).powf(0.6)).round() as usize).clamp(AUTO_MAP_POINTS_MIN, AUTO_MAP_POINTS_MAX)
            } else {
                ((0.08 * self.n as f64).round() as usize).clamp(AUTO_MAP_POINTS_MIN, MAX_MAP_POINTS)
            }
        })
    }

    /// Checks every parameter; the error names the parameter, its value and the accepted range.
    pub fn validate(&self) -> Result<(), SynthError> {
        let bad = |param: &'static str, value: String, expected: &str| {
            Err(SynthError::InvalidParam { param, value, expected: expected.to_owned() })
        };
        let (lon, lat) = self.centre_lonlat;
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon) && lat.is_finite() && (-80.0..=84.0).contains(&lat)) {
            return bad(
                "centre_lonlat",
                format!("({lon}, {lat})"),
                "WGS84 degrees (lon, lat) with lon in [-180, 180] and lat in [-80, 84]",
            );
        }
        if let Extent::Bbox([w, s, e, n]) = self.extent {
            let ok = [w, s, e, n].iter().all(|v| v.is_finite())
                && (-180.0..=180.0).contains(&w)
                && (-180.0..=180.0).contains(&e)
                && (-80.0..=84.0).contains(&s)
                && (-80.0..=84.0).contains(&n)
                && w < e
                && s < n
                && e - w <= 12.0
                && n - s <= 12.0;
            if !ok {
                return bad(
                    "extent",
                    format!("bbox {w},{s},{e},{n}"),
                    "a WGS84 box W,S,E,N with W < E and S < N, lat within [-80, 84], at most 12 degrees each way",
                );
            }
        }
        if !(self.extent_m.is_finite() && self.extent_m > 0.0 && self.extent_m <= MAX_EXTENT_M) {
            return bad("extent_m", self.extent_m.to_string(), "a finite side length in metres, > 0 and <= 500000");
        }
        if !(1..=MAX_DAYS).contains(&self.days) {
            return bad("days", self.days.to_string(), "at least 1 and at most 36600 (a century)");
        }
        let end = self.start.checked_add_days(Days::new(u64::from(self.days)));
        if self.start.year() < 1 || end.is_none_or(|e| e.year() > 9999) {
            return bad("start", format!("{} (+ {} days)", self.start, self.days), "dates within years 1 to 9999");
        }
        if !(self.hotspot_share.is_finite() && (0.0..=1.0).contains(&self.hotspot_share)) {
            return bad("hotspot_share", self.hotspot_share.to_string(), "a fraction in [0, 1]");
        }
        if self.hotspots > MAX_HOTSPOTS {
            return bad("hotspots", self.hotspots.to_string(), "at most 1000");
        }
        if let Some(m) = self.map_points
            && !(1..=MAX_MAP_POINTS).contains(&m)
        {
            return bad("map_points", m.to_string(), "at least 1 and at most 2000000 (or automatic)");
        }
        for (i, t) in self.trends.iter().enumerate() {
            let text = format!("{}:{}:{}", t.hotspot, t.from.format("%Y-%m-%d"), t.factor);
            if !(1..=self.hotspots).contains(&t.hotspot) {
                return bad("trends", text, &format!("a hotspot from 1 to {} (the number planted)", self.hotspots));
            }
            if self.trends[..i].iter().any(|o| o.hotspot == t.hotspot) {
                return bad("trends", text, "at most one trend per hotspot");
            }
            if !(t.factor.is_finite() && (0.0..=1000.0).contains(&t.factor)) {
                return bad("trends", text, "a factor from 0 to 1000");
            }
            let last = self.start.checked_add_days(Days::new(u64::from(self.days) - 1));
            if t.from <= self.start || last.is_none_or(|l| t.from > l) {
                return bad("trends", text, "a date after the first day and not after the last day");
            }
        }
        Ok(())
    }
}

/// `NaiveDate` as `YYYY-MM-DD` in the truth JSON (chrono's serde feature is not enabled).
mod date_text {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = String::deserialize(d)?;
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

/// Errors of [`generate`].
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A parameter is outside its accepted range.
    #[error("invalid synth parameter {param} = {value}: expected {expected}")]
    InvalidParam {
        /// The parameter's name (`n`, `extent_m`, ...).
        param: &'static str,
        /// The value given.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// The UTM projection for the study area's centre cannot be set up.
    #[error("cannot set up the projection for the study area centred on lon/lat ({lon}, {lat}): {source}")]
    Crs {
        /// Longitude of the centre, WGS84 degrees.
        lon: f64,
        /// Latitude of the centre, WGS84 degrees.
        lat: f64,
        /// Why the CRS was refused.
        #[source]
        source: CrsError,
    },
    /// A point could not be converted between WGS84 and the study area's UTM zone.
    #[error("cannot convert {what} at {at} between WGS84 lon/lat and UTM metres; try a smaller extent_m")]
    Projection {
        /// What was being converted (`a map point`, `a town`, ...).
        what: String,
        /// The projected point, as text (metres).
        at: String,
    },
    /// Writing an output file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase (`create a temporary file in`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The ground truth could not be encoded as JSON.
    #[error("cannot encode the ground truth for {}: {source}", path.display())]
    Json {
        /// The truth file.
        path: PathBuf,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A bug: a random draw had invalid weights (the reason says which).
    #[error("internal error while drawing {what}: {reason}")]
    Draw {
        /// What was being drawn.
        what: &'static str,
        /// Why the draw failed.
        reason: String,
    },
}

impl SynthError {
    /// A failed conversion of the projected point `p` (metres).
    fn projection(what: &str, p: [f64; 2]) -> Self {
        SynthError::Projection { what: what.to_owned(), at: format!("x = {:.1} m, y = {:.1} m", p[0], p[1]) }
    }
}

/// The ground-truth file of an output: `<out>.truth.json` (e.g. `synth.csv` -> `synth.csv.truth.json`).
pub fn truth_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".truth.json");
    PathBuf::from(name)
}

/// Generates `params.n` incidents into `out` (CSV, gzip if it ends in `.gz`) and their ground truth into
/// [`truth_path`]`(out)`. See the [module documentation](self) for the model.
///
/// # Errors
/// [`SynthError::InvalidParam`] for parameters out of range (nothing is written), projection failures, and I/O
/// failures with the path and the action (nothing is left behind).
pub fn generate(params: &SynthParams, out: &Path) -> Result<SynthTruth, SynthError> {
    generate_chunked(params, out, CHUNK_ROWS)
}

/// [`generate`] with `chunk_rows` rows per chunk (the output depends on it; tests use small chunks).
fn generate_chunked(params: &SynthParams, out: &Path, chunk_rows: u64) -> Result<SynthTruth, SynthError> {
    params.validate()?;
    let bbox = params.extent.bbox();
    let (lon, lat) = match bbox {
        Some([w, s, e, n]) => ((w + e) / 2.0, (s + n) / 2.0),
        None => params.centre_lonlat,
    };
    let crs = CrsDef::utm_for(lon, lat);
    let projector = Projector::new(&crs).map_err(|source| SynthError::Crs { lon, lat, source })?;
    let frame = match bbox {
        Some(b) => national::frame_of(b, &projector)?,
        None => {
            let centre_xy_m = projector.from_lonlat(lon, lat).ok_or_else(|| SynthError::Projection {
                what: "the study area centre".into(),
                at: format!("lon/lat ({lon}, {lat})"),
            })?;
            Frame::around([centre_xy_m.0, centre_xy_m.1], params.extent_m)
        }
    };
    let study_area = truth::study_area(&frame, &projector)?;

    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let hotspot_share = if params.hotspots > 0 { params.hotspot_share } else { 0.0 };
    let m = params.map_point_count();
    let (town, towns, hotspots, streets) = match bbox {
        None => {
            let town = layout::draw_town(&frame, &mut rng);
            let hotspots = layout::draw_hotspots(params.hotspots, hotspot_share, &frame, &town, &mut rng);
            let streets = layout::draw_streets((m / 30).clamp(8, 4000), &frame, &town, &mut rng);
            (town, None, hotspots, streets)
        }
        Some(b) => {
            let national = params.extent == Extent::EnglandWales;
            let towns = national::draw_towns(b, national, &frame, &projector, &mut rng)?;
            let hotspots = national::draw_hotspots(params.hotspots, hotspot_share, &frame, &towns, &mut rng);
            let streets = national::draw_streets((m / 30).clamp(8, 100_000), &frame, &towns, &mut rng);
            (towns.largest(), Some(towns), hotspots, streets)
        }
    };
    let scene =
        Scene { frame, town, hotspots: &hotspots, streets: &streets, projector: &projector, towns: towns.as_ref() };
    let points = layout::draw_map_points(m, &scene, &mut rng)?;

    let mut split_rng = ChaCha8Rng::seed_from_u64(params.seed);
    split_rng.set_stream(u64::MAX);
    let probabilities: Vec<f64> =
        std::iter::once(1.0 - hotspot_share).chain(hotspots.iter().map(|h| h.share)).collect();
    let source_totals = multinomial(params.n, &probabilities, &mut split_rng)?;

    let sampler =
        RowSampler::new(params.seed, params.n, params.start, params.days, frame, town, &hotspots, &streets, &points)
            .with_pattern(params.pattern, &projector)
            .with_trends(&params.trends)
            .with_towns(towns.as_ref());
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let gzip = out.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let csv_tmp = temp_in(&dir)?;
    let stats =
        write_rows(&csv_tmp, gzip, chunk_rows.max(1), &sampler, source_totals.clone(), &mut split_rng, points.len())?;

    let truth = SynthTruth::new(truth::TruthInputs {
        params,
        crs: &crs,
        projector: &projector,
        study_area,
        town: &town,
        hotspots: &hotspots,
        source_totals: &source_totals,
        category_counts: &stats.category_counts,
        map_points: points.len(),
        map_points_used: stats.points_used,
        busiest_point_count: stats.busiest_point,
        after_trend_counts: &stats.after_trend,
        cities: towns.as_ref().map(|t| t.truth(&projector)).transpose()?.unwrap_or_default(),
    })?;
    let truth_out = truth_path(out);
    let truth_tmp = temp_in(&dir)?;
    {
        let io = |action, source| SynthError::Io { action, path: truth_out.clone(), source };
        let mut w = BufWriter::new(truth_tmp.as_file());
        serde_json::to_writer_pretty(&mut w, &truth)
            .map_err(|source| SynthError::Json { path: truth_out.clone(), source })?;
        w.write_all(b"\n").map_err(|e| io("write the ground truth to a temporary file for", e))?;
        w.flush().map_err(|e| io("write the ground truth to a temporary file for", e))?;
    }
    csv_tmp.persist(out).map_err(|e| SynthError::Io {
        action: "rename the finished CSV to",
        path: out.into(),
        source: e.error,
    })?;
    if let Err(e) = truth_tmp.persist(&truth_out) {
        // Best effort: do not leave a CSV without its truth.
        let _ = std::fs::remove_file(out);
        return Err(SynthError::Io { action: "rename the finished ground truth to", path: truth_out, source: e.error });
    }
    Ok(truth)
}

/// A temporary file in `dir` (removed on drop unless persisted), readable like an ordinary new file on Unix.
fn temp_in(dir: &Path) -> Result<tempfile::NamedTempFile, SynthError> {
    crate::files::temp_in(dir, ".hotspots-synth-").map_err(|source| SynthError::Io {
        action: "create a temporary file in",
        path: dir.to_path_buf(),
        source,
    })
}

/// A multinomial split of `n` over `probabilities` (which sum to 1) by successive binomial draws.
fn multinomial(n: u64, probabilities: &[f64], rng: &mut ChaCha8Rng) -> Result<Vec<u64>, SynthError> {
    let mut left = n;
    let mut mass: f64 = probabilities.iter().sum();
    let mut counts = Vec::with_capacity(probabilities.len());
    for (i, &p) in probabilities.iter().enumerate() {
        let c = if i + 1 == probabilities.len() {
            left
        } else if left == 0 || mass <= 0.0 {
            0
        } else {
            let q = (p / mass).clamp(0.0, 1.0);
            let binomial = Binomial::new(left, q)
                .map_err(|e| SynthError::Draw { what: "the hotspot counts", reason: e.to_string() })?;
            binomial.sample(rng).min(left)
        };
        counts.push(c);
        left -= c;
        mass -= p;
    }
    Ok(counts)
}

/// How many of the `rows` rows of one chunk come from each source, taken from `remaining` (which is updated).
///
/// Successive binomial draws `Binomial(left, remaining_j / population)`, clamped to what stays feasible (at most
/// `remaining_j`, and enough that the later sources can fill the chunk): close to a multivariate hypergeometric draw
/// (rand_distr's `Hypergeometric` fails on some large populations), and always exact in total.
fn split_chunk(remaining: &mut [u64], rows: u64, rng: &mut ChaCha8Rng) -> Result<Vec<u64>, SynthError> {
    let mut population: u64 = remaining.iter().sum();
    let mut left = rows.min(population);
    let mut counts = Vec::with_capacity(remaining.len());
    for r in remaining.iter_mut() {
        let rest = population - *r;
        let lo = left.saturating_sub(rest);
        let hi = left.min(*r);
        let c = if lo >= hi {
            lo
        } else {
            let p = (*r as f64 / population as f64).clamp(0.0, 1.0);
            let binomial = Binomial::new(left, p)
                .map_err(|e| SynthError::Draw { what: "the chunk split", reason: e.to_string() })?;
            binomial.sample(rng).clamp(lo, hi)
        };
        population = rest;
        *r -= c;
        left -= c;
        counts.push(c);
    }
    Ok(counts)
}

/// What the CSV writer learnt about the rows.
struct RowStats {
    /// Per source (background first), per category.
    category_counts: Vec<[u64; N_CATEGORIES]>,
    points_used: usize,
    busiest_point: u64,
    /// Per source: rows on or after its trend's date (0 without a trend).
    after_trend: Vec<u64>,
}

/// Writes the header and all chunks, in order, generating batches of chunks in parallel.
fn write_rows(
    file: &tempfile::NamedTempFile,
    gzip: bool,
    chunk_rows: u64,
    sampler: &RowSampler,
    mut remaining: Vec<u64>,
    rng: &mut ChaCha8Rng,
    n_points: usize,
) -> Result<RowStats, SynthError> {
    let path = file.path().to_path_buf();
    let io = |source| SynthError::Io { action: "write the CSV to the temporary file", path: path.clone(), source };
    let mut w = BufWriter::with_capacity(1 << 20, file.as_file());
    let header = if gzip { gzip_member(HEADER.as_bytes()).map_err(io)? } else { HEADER.as_bytes().to_vec() };
    w.write_all(&header).map_err(io)?;

    let mut stats = RowStats {
        category_counts: vec![[0; N_CATEGORIES]; remaining.len()],
        points_used: 0,
        busiest_point: 0,
        after_trend: vec![0; remaining.len()],
    };
    let mut hits = vec![0u64; n_points];
    let total: u64 = remaining.iter().sum();
    let batch = (rayon::current_num_threads() * 2).max(2) as u64;
    let mut next_row = 0u64;
    let mut chunk_index = 0u64;
    while next_row < total {
        let mut plans = Vec::new();
        while next_row < total && (plans.len() as u64) < batch {
            let rows = chunk_rows.min(total - next_row);
            plans.push(ChunkPlan {
                index: chunk_index,
                first_row: next_row,
                source_counts: split_chunk(&mut remaining, rows, rng)?,
            });
            next_row += rows;
            chunk_index += 1;
        }
        let outs: Vec<(ChunkOut, Vec<u8>)> = plans
            .par_iter()
            .map(|plan| {
                let mut chunk = sampler.chunk(plan);
                let bytes = if gzip { gzip_member(&chunk.bytes)? } else { std::mem::take(&mut chunk.bytes) };
                Ok((chunk, bytes))
            })
            .collect::<Result<_, std::io::Error>>()
            .map_err(io)?;
        for (chunk, bytes) in outs {
            w.write_all(&bytes).map_err(io)?;
            for (acc, add) in stats.category_counts.iter_mut().zip(&chunk.category_counts) {
                for (a, b) in acc.iter_mut().zip(add) {
                    *a += b;
                }
            }
            for (acc, add) in stats.after_trend.iter_mut().zip(&chunk.after_trend) {
                *acc += add;
            }
            for &p in &chunk.point_of_row {
                if let Some(h) = hits.get_mut(p as usize) {
                    *h += 1;
                }
            }
        }
    }
    w.flush().map_err(io)?;
    stats.points_used = hits.iter().filter(|&&h| h > 0).count();
    stats.busiest_point = hits.iter().copied().max().unwrap_or(0);
    Ok(stats)
}

/// `bytes` as one complete gzip member (fast compression; deterministic header with no name and no time).
fn gzip_member(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 4 + 64), Compression::fast());
    enc.write_all(bytes)?;
    enc.finish()
}
