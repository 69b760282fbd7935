//! The ground truth written next to a synthetic CSV: what was planted where, and exact counts.

use super::layout::{Frame, Hotspot, Town};
use super::names::{ARCHETYPES, BACKGROUND_MIX, CATEGORIES, MixPerMille, N_CATEGORIES, TimeProfile};
use super::{SynthError, SynthParams};
use crate::geo::{CrsDef, Projector};
use chrono::Days;
use serde::{Deserialize, Serialize};

/// Value of [`SynthTruth::format`].
pub const TRUTH_FORMAT: &str = "hotspots-synth-truth/1";

/// The ground truth of one [`generate`](super::generate) run. Category count arrays are indexed like
/// [`SynthTruth::categories`] (police.uk's 14 types in alphabetical order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthTruth {
    /// [`TRUTH_FORMAT`].
    pub format: String,
    /// The parameters of the run, as given (with defaults filled in).
    pub params: SynthParams,
    /// Label of the metric CRS the model was drawn in (the UTM zone of the centre).
    pub crs_label: String,
    /// Its proj string.
    pub crs_proj4: String,
    /// The square study area (for a national extent, its bounding square).
    pub study_area: StudyArea,
    /// First instant covered, `YYYY-MM-DDT00:00:00` (UTC).
    pub time_from: String,
    /// End of the covered period (exclusive).
    pub time_to_exclusive: String,
    /// Incidents written (= `params.n` = background count + the planted counts).
    pub n: u64,
    /// The background incidents (not planted).
    pub background: BackgroundTruth,
    /// The planted hotspots, in id order.
    pub hotspots: Vec<HotspotTruth>,
    /// Map points the incidents could snap to.
    pub map_points: usize,
    /// Map points that received at least one incident (distinct coordinates in the CSV).
    pub map_points_used: usize,
    /// Incidents at the busiest map point.
    pub busiest_point_count: u64,
    /// The 14 categories and their background shares.
    pub categories: Vec<CategoryShare>,
    /// A national extent's towns (the background's `town_*` fields then describe the largest).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cities: Vec<CityTruth>,
}

/// One town of a national extent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CityTruth {
    /// The town's name.
    pub name: String,
    /// The town's centre, WGS84 `(lon, lat)` degrees.
    pub centre_lonlat: (f64, f64),
    /// The town's centre in the metric CRS, metres.
    pub centre_xy_m: (f64, f64),
    /// Standard deviation of the town's Gaussian, metres.
    pub sigma_m: f64,
    /// Population of its built-up area (rounded to thousands).
    pub population: u64,
    /// Chance that a town-drawn incident or map point comes from this town.
    pub share: f64,
}

/// The square study area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyArea {
    /// Centre of the square in the metric CRS, metres.
    pub centre_xy_m: (f64, f64),
    /// South-west corner in the metric CRS, metres.
    pub min_xy_m: (f64, f64),
    /// North-east corner in the metric CRS, metres.
    pub max_xy_m: (f64, f64),
    /// Side of the square, metres.
    pub extent_m: f64,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the square, padded by 1e-6 degrees for the 6-decimal rounding: every
    /// written coordinate is inside.
    pub bbox_lonlat: [f64; 4],
}

/// Background incidents (everything not planted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackgroundTruth {
    /// Exact number written.
    pub count: u64,
    /// Centre of the town Gaussian half the background comes from.
    pub town_centre_xy_m: (f64, f64),
    /// Centre of the town Gaussian, WGS84 `(lon, lat)` degrees.
    pub town_centre_lonlat: (f64, f64),
    /// Standard deviation of the town Gaussian, metres.
    pub town_sigma_m: f64,
    /// Name of the time-of-day profile the background's times were drawn from (`all-day`, `night`, `daytime`).
    pub time_profile: String,
    /// Exact counts per category.
    pub category_counts: Vec<u64>,
}

/// One planted hotspot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotspotTruth {
    /// 1-based.
    pub id: usize,
    /// Archetype, such as `night-time economy`.
    pub kind: String,
    /// Centre of the Gaussian, WGS84 `(lon, lat)` degrees.
    pub centre_lonlat: (f64, f64),
    /// Centre of the Gaussian in the metric CRS, metres.
    pub centre_xy_m: (f64, f64),
    /// Standard deviation of the isotropic Gaussian, metres (before snapping to map points).
    pub sigma_m: f64,
    /// Expected fraction of all incidents planted here.
    pub share: f64,
    /// Exact number of incidents written from this hotspot.
    pub planted_count: u64,
    /// Name of the time-of-day profile the hotspot's times were drawn from (`all-day`, `night`, `daytime`).
    pub time_profile: String,
    /// The category mix incidents were drawn from.
    pub category_mix: Vec<CategoryShare>,
    /// Exact counts per category.
    pub category_counts: Vec<u64>,
    /// The planted change of rate, if any, with exact counts either side of its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<TrendTruth>,
}

/// A planted change of rate ([`super::Trend`]) and what was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendTruth {
    /// First day at the new rate, `YYYY-MM-DD`.
    pub from: String,
    /// New daily rate over the earlier one, as planted.
    pub factor: f64,
    /// Incidents of this hotspot before `from`.
    pub count_before: u64,
    /// Incidents on or after `from`.
    pub count_after: u64,
}

/// A category and its share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryShare {
    /// A police.uk category name.
    pub category: String,
    /// Its share, in [0, 1].
    pub share: f64,
}

fn mix_shares(mix: &MixPerMille) -> Vec<CategoryShare> {
    CATEGORIES
        .iter()
        .zip(mix)
        .map(|(c, &w)| CategoryShare { category: (*c).to_owned(), share: f64::from(w) / 1000.0 })
        .collect()
}

/// The study area with its lon/lat bounding box (the square's edges sampled every 1/32 of a side).
pub(crate) fn study_area(frame: &Frame, projector: &Projector) -> Result<StudyArea, SynthError> {
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let [x0, y0] = frame.min_xy_m;
    let [x1, y1] = frame.max_xy_m;
    for i in 0..=32 {
        let t = f64::from(i) / 32.0;
        let (x, y) = (x0 + t * (x1 - x0), y0 + t * (y1 - y0));
        for (px, py) in [(x, y0), (x, y1), (x0, y), (x1, y)] {
            let (lon, lat) = projector
                .to_lonlat(px, py)
                .ok_or_else(|| SynthError::projection("the edge of the study area", [px, py]))?;
            bbox = [bbox[0].min(lon), bbox[1].min(lat), bbox[2].max(lon), bbox[3].max(lat)];
        }
    }
    if bbox[2] - bbox[0] > 180.0 {
        // Longitudes wrapped: the square crosses the antimeridian, which a lon/lat bounding box cannot describe.
        return Err(SynthError::InvalidParam {
            param: "centre_lonlat",
            value: format!("a study area spanning lon {:.4} to {:.4}", bbox[0], bbox[2]),
            expected: "a centre whose square study area does not cross the antimeridian (lon +-180); move the centre \
                       or reduce extent_m"
                .into(),
        });
    }
    let c = frame.centre_xy_m();
    Ok(StudyArea {
        centre_xy_m: (c[0], c[1]),
        min_xy_m: (x0, y0),
        max_xy_m: (x1, y1),
        extent_m: frame.extent_m(),
        bbox_lonlat: [bbox[0] - 1e-6, bbox[1] - 1e-6, bbox[2] + 1e-6, bbox[3] + 1e-6],
    })
}

/// What [`SynthTruth::new`] is built from.
pub(crate) struct TruthInputs<'a> {
    pub params: &'a SynthParams,
    pub crs: &'a CrsDef,
    pub projector: &'a Projector,
    pub study_area: StudyArea,
    pub town: &'a Town,
    pub hotspots: &'a [Hotspot],
    /// Background first, then the hotspots.
    pub source_totals: &'a [u64],
    /// Like `source_totals`.
    pub category_counts: &'a [[u64; N_CATEGORIES]],
    pub map_points: usize,
    pub map_points_used: usize,
    pub busiest_point_count: u64,
    /// Per source: rows on or after its trend's date.
    pub after_trend_counts: &'a [u64],
    pub cities: Vec<CityTruth>,
}

impl SynthTruth {
    pub(crate) fn new(t: TruthInputs) -> Result<Self, SynthError> {
        let lonlat =
            |p: [f64; 2], what: &str| t.projector.to_lonlat(p[0], p[1]).ok_or_else(|| SynthError::projection(what, p));
        let total = |s: usize| t.source_totals.get(s).copied().unwrap_or(0);
        let counts = |s: usize| t.category_counts.get(s).map_or_else(|| vec![0; N_CATEGORIES], |c| c.to_vec());
        let hotspots = t
            .hotspots
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let a = &ARCHETYPES[h.archetype];
                Ok(HotspotTruth {
                    id: i + 1,
                    kind: a.kind.to_owned(),
                    centre_lonlat: lonlat(h.centre_xy_m, "a hotspot centre")?,
                    centre_xy_m: (h.centre_xy_m[0], h.centre_xy_m[1]),
                    sigma_m: h.sigma_m,
                    share: h.share,
                    planted_count: total(i + 1),
                    time_profile: a.profile.name().to_owned(),
                    category_mix: mix_shares(&a.mix),
                    category_counts: counts(i + 1),
                    trend: t.params.trends.iter().find(|tr| tr.hotspot == i + 1).map(|tr| {
                        let after = t.after_trend_counts.get(i + 1).copied().unwrap_or(0);
                        TrendTruth {
                            from: tr.from.format("%Y-%m-%d").to_string(),
                            factor: tr.factor,
                            count_before: total(i + 1) - after,
                            count_after: after,
                        }
                    }),
                })
            })
            .collect::<Result<Vec<_>, SynthError>>()?;
        let p = t.params;
        let end = p.start.checked_add_days(Days::new(u64::from(p.days))).unwrap_or(p.start);
        Ok(SynthTruth {
            format: TRUTH_FORMAT.to_owned(),
            params: p.clone(),
            crs_label: t.crs.label.clone(),
            crs_proj4: t.crs.proj4.clone(),
            study_area: t.study_area,
            time_from: format!("{}T00:00:00", p.start.format("%Y-%m-%d")),
            time_to_exclusive: format!("{}T00:00:00", end.format("%Y-%m-%d")),
            n: p.n,
            background: BackgroundTruth {
                count: total(0),
                town_centre_xy_m: (t.town.centre_xy_m[0], t.town.centre_xy_m[1]),
                town_centre_lonlat: lonlat(t.town.centre_xy_m, "the town centre")?,
                town_sigma_m: t.town.sigma_m,
                time_profile: TimeProfile::AllDay.name().to_owned(),
                category_counts: counts(0),
            },
            hotspots,
            map_points: t.map_points,
            map_points_used: t.map_points_used,
            busiest_point_count: t.busiest_point_count,
            categories: mix_shares(&BACKGROUND_MIX),
            cities: t.cities,
        })
    }
}
