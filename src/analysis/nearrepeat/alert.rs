//! Near-repeat alerts for a tasking meeting: per category, the Knox test on the year before an "as of" instant, its
//! risk neighbourhood, and the zones of the last `nr_days`, with how well the same procedure did on the last
//! fortnight the store already holds.
//!
//! **Which categories.** Each category is tested on its own (a burglary raises the risk of burglary next door,
//! not of shoplifting in town): the categories asked for, or, when none is named, the store's categories named
//! like burglary (police.uk's "Burglary", Chicago's "BURGLARY"), the classic near-repeat crime.
//!
//! **Bounded cost.** The history is the [`HISTORY_DAYS`] before "as of" (a year: enough pairs for a stable test,
//! and the pattern of this year rather than of a decade), the bands are fixed ([`SPACE_EDGES_M`],
//! [`TIME_EDGES_D`]: the usual 100 m and 7 day steps up to 400 m and 4 weeks) and the test runs [`ITERATIONS`]
//! permutations: enough to reach p = 0.01, below the 0.05 the zones need, at a tenth of the cost of 999 (the zones
//! need to know whether the nearest cells are significant, not their p to three places). Chicago's 12,947
//! burglaries of 2017 take about a second.
//!
//! **When there are none.** Incidents known only to the month (police.uk) cannot measure days: the category gets
//! one line saying so, never an error. Too little history, or no significant excess near the origin, likewise.
//!
//! **Validation** ([`AlertValidation`]): the same procedure as of [`HORIZON_DAYS`] before "as of" (or as of "as
//! of" itself when the store already holds the fortnight after it), and [`super::zones::validate_zones`]: how many
//! of the next fortnight's incidents of the category fell in those zones, against the same zones moved onto random
//! earlier incidents and discs around the oldest incidents.

use super::zones::{ZoneValidation, Zones, near_repeat_zones, validate_zones};
use super::{KnoxParams, NearRepeatError, SpaceBands, TimeBands, check_precision, knox};
use crate::geo::Projector;
use crate::model::time::{ceil_day_s, format_instant, interval_end_s};
use crate::model::{Budget, Dataset, NONE_ID, Query, QueryError, Stopped};
use serde::Serialize;
use std::collections::BTreeMap;

/// Days of history the Knox test reads before "as of".
pub const HISTORY_DAYS: i64 = 365;
/// Permutations of the tasking Knox test.
pub const ITERATIONS: usize = 99;
/// Spatial band edges, metres (distance 0 is a band of its own).
pub const SPACE_EDGES_M: [f64; 5] = [0.0, 100.0, 200.0, 300.0, 400.0];
/// Temporal band edges, days.
pub const TIME_EDGES_D: [f64; 5] = [0.0, 7.0, 14.0, 21.0, 28.0];
/// Days after "as of" the validation counts.
pub const HORIZON_DAYS: f64 = 14.0;
/// Fewest history incidents worth a test.
pub const MIN_HISTORY: usize = 30;
/// Random placements in the validation.
pub const DRAWS: usize = 99;
const SEED: u64 = 1;
const DAY_S: i64 = 86_400;

/// Errors of [`near_repeat_alert`]: the request, not the data (data that cannot show near repeats gives a reason).
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The window or categories asked for are not valid.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The computation ran past its time limit or was cancelled.
    #[error(transparent)]
    Stopped(#[from] Stopped),
    /// The store holds no incidents.
    #[error("the store holds no incidents")]
    NoData,
    /// The data's metric CRS cannot be projected back to lon/lat.
    #[error("cannot place the zones on the map: {0}")]
    Projection(String),
}

/// One zone as the meeting reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertZone {
    /// `{category}-{n}`, 1 for the most recent last incident.
    pub id: String,
    /// Source incidents (of the last `nr_days`, risk not expired).
    pub incidents: usize,
    /// Distinct map points inside: a proxy for the addresses at raised risk.
    pub addresses_worth: usize,
    /// Area of the zone (the union of its discs), m^2.
    pub area_m2: f64,
    /// The last incident's time (ISO 8601).
    pub last: String,
    /// When the raised risk ends (ISO 8601).
    pub expires: String,
    /// The same, seconds since 1970-01-01 UTC.
    pub expires_s: i64,
    /// Days from "as of" to the expiry.
    pub days_left: f64,
    /// Its area's name and first specific street, as a hotspot's.
    pub name: String,
    /// The tasking candidate whose outline holds its centre (rank), when the list names one.
    pub candidate: Option<usize>,
    /// The zone's area code (its most common among its incidents), for naming.
    #[serde(skip)]
    pub main_area: Option<String>,
    /// The first specific street of its incidents' location texts, for naming.
    #[serde(skip)]
    pub street: Option<String>,
    /// The centroid of its outline, lon/lat degrees.
    pub centre_lonlat: [f64; 2],
    /// GeoJSON MultiPolygon coordinates, lon/lat.
    pub outline_lonlat: Vec<Vec<Vec<[f64; 2]>>>,
}

/// How the same procedure did on a fortnight the store holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertValidation {
    /// The "as of" of the zones validated.
    pub as_of: String,
    /// Zones as of that date.
    pub zones: usize,
    /// Their total area, m^2.
    pub area_m2: f64,
    /// Days after that date that were counted.
    pub horizon_days: f64,
    /// Incidents of the category in the horizon, and those in the zones.
    pub total: usize,
    /// Incidents of the horizon inside the zones.
    pub hits: usize,
    /// Mean hits of the same zones moved onto random earlier incidents, and how many draws did at least as well.
    pub random_mean_hits: f64,
    /// Random draws with at least as many hits as the zones.
    pub random_at_least: usize,
    /// Random draws made.
    pub random_draws: usize,
    /// Hits of discs around as many of the oldest history incidents.
    pub oldest_hits: usize,
    /// In words.
    pub sentence: String,
}

/// One category's zones, or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryAlert {
    /// The category tested.
    pub category: String,
    /// Start of the history the test read (ISO 8601): "as of" minus the history days.
    pub history_from: String,
    /// Incidents of the category in that history.
    pub history_incidents: usize,
    /// The risk neighbourhood: within `radius_m` of an incident for `risk_days` (`None`: no significant excess).
    pub radius_m: Option<f64>,
    /// Days the raised risk lasts (`None`: no significant excess).
    pub risk_days: Option<f64>,
    /// The zones, the most recent last incident first.
    pub zones: Vec<AlertZone>,
    /// Their total area, m^2 (overlaps counted once within a zone).
    pub total_area_m2: f64,
    /// Why there are no zones, in one line.
    pub reason: Option<String>,
    /// Things to know, e.g. too few pairs for a stable test.
    pub notes: Vec<String>,
    /// How the same procedure did on a fortnight the store holds; `None` when it holds none.
    pub validation: Option<AlertValidation>,
}

/// Near-repeat zones as of an instant, per category (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRepeatAlert {
    /// The instant the zones are for (ISO 8601): the tasking date.
    pub as_of: String,
    /// The same, seconds since 1970-01-01 UTC.
    pub as_of_s: i64,
    /// Days back from "as of" whose incidents make zones.
    pub nr_days: usize,
    /// Days of history the Knox test read ([`HISTORY_DAYS`]).
    pub history_days: i64,
    /// Permutations of the Knox test ([`ITERATIONS`]).
    pub iterations: usize,
    /// Spatial band edges of the test, metres ([`SPACE_EDGES_M`]).
    pub space_m: Vec<f64>,
    /// Temporal band edges of the test, days ([`TIME_EDGES_D`]).
    pub time_d: Vec<f64>,
    /// Per category tested.
    pub categories: Vec<CategoryAlert>,
    /// Why no category could be tested, in one line.
    pub reason: Option<String>,
}

impl NearRepeatAlert {
    /// Every zone of every category.
    pub fn zones(&self) -> impl Iterator<Item = (&CategoryAlert, &AlertZone)> {
        self.categories.iter().flat_map(|c| c.zones.iter().map(move |z| (c, z)))
    }

    /// Name each zone by its area's name (from `names`) and its street.
    pub fn name_areas(&mut self, names: &crate::analysis::naming::AreaNames) {
        for z in self.categories.iter_mut().flat_map(|c| c.zones.iter_mut()) {
            let area = z.main_area.as_deref().map(|a| names.name_or_code(a));
            z.name = crate::analysis::naming::place_name(area, z.street.as_deref());
        }
    }

    /// Link each zone to the candidate (by rank) whose outline (lon/lat) holds its centre.
    pub fn link_candidates<'a>(&mut self, outlines: impl IntoIterator<Item = (usize, &'a [Vec<Vec<[f64; 2]>>])>) {
        use geo::Contains;
        let polys: Vec<(usize, geo_types::MultiPolygon<f64>)> =
            outlines.into_iter().map(|(rank, o)| (rank, lonlat_multipolygon(o))).collect();
        for z in self.categories.iter_mut().flat_map(|c| c.zones.iter_mut()) {
            let p = geo_types::Point::new(z.centre_lonlat[0], z.centre_lonlat[1]);
            z.candidate = polys.iter().find(|(_, m)| m.contains(&p)).map(|(rank, _)| *rank);
        }
    }
}

fn lonlat_multipolygon(o: &[Vec<Vec<[f64; 2]>>]) -> geo_types::MultiPolygon<f64> {
    let ring = |r: &Vec<[f64; 2]>| geo_types::LineString::from(r.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
    geo_types::MultiPolygon(
        o.iter()
            .filter(|p| !p.is_empty())
            .map(|p| geo_types::Polygon::new(ring(&p[0]), p[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// An instant as a date when it is a midnight.
fn day_text(t: i64) -> String {
    let s = format_instant(t);
    s.strip_suffix("T00:00:00Z").map_or(s.clone(), str::to_owned)
}

/// "As of": `at_s`, or the end of the data rounded up to midnight UTC (as the tasking window).
pub fn resolve_as_of(ds: &Dataset, at_s: Option<i64>) -> Result<i64, AlertError> {
    if let Some(t) = at_s {
        return Ok(t);
    }
    ds.end_s().map(ceil_day_s).ok_or(AlertError::NoData)
}

/// The categories tested: those given, else the store's categories named like burglary.
pub fn alert_categories(ds: &Dataset, categories: &[String]) -> Vec<String> {
    if !categories.is_empty() {
        return categories.to_vec();
    }
    let mut v: Vec<String> =
        ds.categories().names().iter().filter(|n| n.to_lowercase().contains("burglary")).cloned().collect();
    v.sort();
    v
}

fn knox_params() -> KnoxParams {
    let space = SpaceBands::new(SPACE_EDGES_M.to_vec(), true);
    let time = TimeBands::new(TIME_EDGES_D.to_vec());
    // The edges are constants known to be valid.
    let (Ok(space), Ok(time)) = (space, time) else { unreachable!("near-repeat alert bands are valid") };
    KnoxParams { iterations: ITERATIONS, seed: SEED, ..KnoxParams::new(space, time) }
}

/// The Knox test and zones of one category as of `as_of_s`, or the one-line reason there are none.
fn zones_of(
    ds: &Dataset,
    category: &str,
    as_of_s: i64,
    nr_days: usize,
    projector: &Projector,
) -> Result<(usize, i64, Result<Zones, String>), AlertError> {
    let from_s = as_of_s - HISTORY_DAYS * DAY_S;
    let cats = vec![category.to_owned()];
    let sel = Query { from_s: Some(from_s), to_s: Some(as_of_s), categories: cats.clone(), ..Default::default() }
        .select(ds)?;
    let n = sel.indices.len();
    let params = knox_params();
    if let Err(e) = check_precision(ds, &sel, &params.time) {
        let reason = match e {
            NearRepeatError::CoarseTimes { precision, .. } => format!(
                "its incidents are known only to the {precision} (police.uk publishes months): near repeats need \
                 dates, so there are no near-repeat zones"
            ),
            other => other.to_string(),
        };
        return Ok((n, from_s, Err(reason)));
    }
    if n < MIN_HISTORY {
        let reason = format!(
            "{n} incidents in the {HISTORY_DAYS} days before {}: too few for the Knox test (at least {MIN_HISTORY})",
            day_text(as_of_s)
        );
        return Ok((n, from_s, Err(reason)));
    }
    Budget::current().check()?;
    let idx = |col: &[f64]| sel.indices.iter().map(|&i| col[i as usize]).collect::<Vec<f64>>();
    let t: Vec<i64> = sel.indices.iter().map(|&i| ds.time_s()[i as usize]).collect();
    let result = match knox(&idx(ds.x_m()), &idx(ds.y_m()), &t, &params) {
        Ok(r) => r,
        Err(e) => return Ok((n, from_s, Err(e.to_string()))),
    };
    Budget::current().check()?;
    let zones =
        near_repeat_zones(ds, &cats, as_of_s, nr_days as f64, &result, from_s, projector).map_err(|e| match e {
            super::zones::ZoneError::Query(q) => AlertError::Query(q),
            other => AlertError::Projection(other.to_string()),
        })?;
    Ok((n, from_s, Ok(zones)))
}

/// Near-repeat zones as of `at_s` (default: the end of the data) for `categories` (see the module docs).
pub fn near_repeat_alert(
    ds: &Dataset,
    categories: &[String],
    at_s: Option<i64>,
    nr_days: usize,
) -> Result<NearRepeatAlert, AlertError> {
    let as_of_s = resolve_as_of(ds, at_s)?;
    let projector = Projector::new(ds.crs()).map_err(|e| AlertError::Projection(e.to_string()))?;
    let cats = alert_categories(ds, categories);
    let mut alert = NearRepeatAlert {
        as_of: format_instant(as_of_s),
        as_of_s,
        nr_days,
        history_days: HISTORY_DAYS,
        iterations: ITERATIONS,
        space_m: SPACE_EDGES_M.to_vec(),
        time_d: TIME_EDGES_D.to_vec(),
        categories: Vec::new(),
        reason: None,
    };
    if cats.is_empty() {
        alert.reason = Some(
            "no category is named like burglary, the classic near-repeat crime: name the categories to look for \
             near repeats in (category)"
                .into(),
        );
        return Ok(alert);
    }
    let data_end = ds.time_s().iter().zip(ds.precision()).map(|(&t, &p)| interval_end_s(t, p)).max().unwrap_or(0);
    let horizon_s = (HORIZON_DAYS * DAY_S as f64) as i64;
    for category in cats {
        let (history_incidents, history_from_s, zones) = zones_of(ds, &category, as_of_s, nr_days, &projector)?;
        let mut c = CategoryAlert {
            category: category.clone(),
            history_from: format_instant(history_from_s),
            history_incidents,
            radius_m: None,
            risk_days: None,
            zones: Vec::new(),
            total_area_m2: 0.0,
            reason: None,
            notes: Vec::new(),
            validation: None,
        };
        match zones {
            Err(reason) => c.reason = Some(reason),
            Ok(z) => {
                fill(&mut c, ds, &z, as_of_s);
                // Validate where the next fortnight is known: as of "as of" itself when the store holds it,
                // else the last fortnight before "as of".
                let v_at = if data_end >= as_of_s + horizon_s { as_of_s } else { as_of_s - horizon_s };
                c.validation = validation(ds, &category, v_at, nr_days, &projector, &z, as_of_s)?;
            }
        }
        alert.categories.push(c);
    }
    if alert.categories.iter().all(|c| c.reason.is_some()) {
        let mut reasons: Vec<&str> = alert.categories.iter().filter_map(|c| c.reason.as_deref()).collect();
        reasons.dedup();
        if reasons.len() == 1 {
            alert.reason = Some(reasons[0].to_owned());
        }
    }
    Ok(alert)
}

/// The zones of `z` into `c`: names from their incidents' location texts and area codes.
fn fill(c: &mut CategoryAlert, ds: &Dataset, z: &Zones, as_of_s: i64) {
    if z.risk_days > 0.0 {
        c.radius_m = Some(z.radius_m);
        c.risk_days = Some(z.risk_days);
    }
    c.total_area_m2 = z.total_area_m2;
    c.notes = z.notes.clone();
    if z.zones.is_empty() {
        c.reason = Some(z.notes.first().cloned().unwrap_or_else(|| {
            format!("no incident of the last {} days is still within its raised risk", super::bands::num(z.nr_days))
        }));
    }
    for (k, zone) in z.zones.iter().enumerate() {
        let mut locations: BTreeMap<u32, usize> = BTreeMap::new();
        let mut areas: BTreeMap<u32, usize> = BTreeMap::new();
        for &i in &zone.incidents {
            let (l, a) = (ds.location_ids()[i as usize], ds.area_ids()[i as usize]);
            if l != NONE_ID {
                *locations.entry(l).or_default() += 1;
            }
            if a != NONE_ID {
                *areas.entry(a).or_default() += 1;
            }
        }
        let mut by_count: Vec<(u32, usize)> = locations.into_iter().collect();
        by_count.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        let street =
            crate::analysis::naming::first_street(by_count.iter().filter_map(|(id, _)| ds.locations().name(*id)))
                .map(str::to_owned);
        let main_area = areas
            .iter()
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
            .and_then(|(&id, _)| ds.areas().name(id).map(str::to_owned));
        c.zones.push(AlertZone {
            id: format!("{}-{}", c.category, k + 1),
            incidents: zone.incidents.len(),
            addresses_worth: zone.addresses_worth,
            area_m2: zone.area_m2,
            last: format_instant(zone.last_s),
            expires: format_instant(zone.expires_s),
            expires_s: zone.expires_s,
            days_left: (zone.expires_s - as_of_s) as f64 / DAY_S as f64,
            name: crate::analysis::naming::place_name(main_area.as_deref(), street.as_deref()),
            candidate: None,
            main_area,
            street,
            centre_lonlat: zone.centre_lonlat,
            outline_lonlat: zone.outline_lonlat.clone(),
        });
    }
}

/// The validation of the procedure as of `v_at` (reusing `shown`, the zones as of `as_of_s`, when they coincide).
fn validation(
    ds: &Dataset,
    category: &str,
    v_at: i64,
    nr_days: usize,
    projector: &Projector,
    shown: &Zones,
    as_of_s: i64,
) -> Result<Option<AlertValidation>, AlertError> {
    let computed;
    let zones = if v_at == as_of_s {
        shown
    } else {
        match zones_of(ds, category, v_at, nr_days, projector)? {
            (_, _, Ok(z)) => {
                computed = z;
                &computed
            }
            (_, _, Err(_)) => return Ok(None),
        }
    };
    if zones.zones.is_empty() {
        return Ok(None);
    }
    let v: ZoneValidation = validate_zones(ds, zones, HORIZON_DAYS, DRAWS, SEED).map_err(|e| match e {
        super::zones::ZoneError::Query(q) => AlertError::Query(q),
        other => AlertError::Projection(other.to_string()),
    })?;
    let pct = |h: f64| if v.total > 0 { 100.0 * h / v.total as f64 } else { 0.0 };
    let sentence = format!(
        "as of {}, {} zones ({:.2} km2) caught {} of the next {} days' {} {} incidents ({:.1}%); the same zones placed \
         at random caught {:.1} on average ({:.1}%), and around the oldest incidents {}",
        day_text(v_at),
        zones.zones.len(),
        zones.total_area_m2 / 1e6,
        v.hits,
        super::bands::num(HORIZON_DAYS),
        v.total,
        category,
        pct(v.hits as f64),
        v.random_mean_hits,
        pct(v.random_mean_hits),
        v.oldest_hits
    );
    Ok(Some(AlertValidation {
        as_of: format_instant(v_at),
        zones: zones.zones.len(),
        area_m2: zones.total_area_m2,
        horizon_days: HORIZON_DAYS,
        total: v.total,
        hits: v.hits,
        random_mean_hits: v.random_mean_hits,
        random_at_least: v.random_at_least,
        random_draws: v.random_draws,
        oldest_hits: v.oldest_hits,
        sentence,
    }))
}
