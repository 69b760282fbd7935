//! What every route and tile layer computes from: the dataset, its harm weights and boundary layers, the server's
//! configuration, and the cached analyses (keyed by the canonical form of their request, so the same request in
//! any spelling is computed once).

use super::cache::ByteCache;
use super::error::AppError;
use super::flight::SingleFlight;
use crate::analysis::backtest::MethodChoice;
use crate::analysis::compare::{ChangeGrid, CompareError, change_grid};
use crate::analysis::emerging::EmergingError;
use crate::analysis::emerging::cube::{CubeError, EmergingRun, run as run_cube};
use crate::analysis::gistar::{GiStarError, GiStarOptions};
use crate::analysis::hex::HexCounts;
use crate::analysis::hotspots::HotspotSet;
use crate::analysis::kde::DensitySurface;
use crate::analysis::nearrepeat::alert::{AlertError, NearRepeatAlert, near_repeat_alert, resolve_as_of};
use crate::analysis::pipeline::{
    AnalysisError, AnalysisParams, GridGiStar, Prepared, prepare_for_rule, prepare_in, rule_params,
};
use crate::analysis::spec::{CompareSpec, EmergingSpec, HotspotRule, NearRepeatSpec, canonical};
use crate::analysis::study_boundary::StudyBoundary;
use crate::areas::AreaLayer;
use crate::model::{Budget, Dataset};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// Aggregates only: no incidents layer, no location texts or ids, small counts suppressed.
    pub public: bool,
    /// Fewest incidents a cell, hexagon, hotspot or area may show in public mode.
    pub min_count: u32,
    /// The bearer token every data request must carry; `None`: no token (loopback only, checked by the CLI).
    pub token: Option<String>,
    /// Accept the token as `?token=` too (it then ends up in logs); by default only the `Authorization` header.
    pub allow_query_token: bool,
    /// The one origin whose pages may read the answers across sites (CORS); none by default.
    pub cors_origin: Option<String>,
    /// The server's public address behind a proxy (`https://maps.example.org`): its host is accepted in `Host`
    /// and tile URLs in TileJSON are built on it.
    pub public_url: Option<String>,
    /// A basemap style URL or raster tile template for the page.
    pub basemap: Option<String>,
    /// A local PMTiles basemap, served at `/basemap.pmtiles` (see [`super::basemap`]).
    pub basemap_pmtiles: Option<PathBuf>,
    /// The web page's directory.
    pub assets_dir: PathBuf,
    /// Bytes of analysis results and of tiles kept in memory (each).
    pub cache_bytes: usize,
    /// Computations allowed at once.
    pub compute_permits: usize,
    /// Longest a request may wait for a computation slot.
    pub queue_timeout: Duration,
    /// Longest a computation may run before the request gets 503.
    pub compute_timeout: Duration,
    /// SQLite's check of the store, run in the background by `serve` (shared by every state the server swaps in):
    /// `/health` reports it, and answers 503 once it has found damage.
    pub store_check: crate::store::BackgroundCheck,
}

impl ServerConfig {
    /// Defaults for `addr`: loopback rules, 256 MB caches, two computations per core.
    pub fn new(addr: SocketAddr, assets_dir: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerConfig {
            addr,
            public: false,
            min_count: 5,
            token: None,
            allow_query_token: false,
            cors_origin: None,
            public_url: None,
            basemap: None,
            basemap_pmtiles: None,
            assets_dir,
            cache_bytes: 256 << 20,
            compute_permits: 2 * cores,
            queue_timeout: Duration::from_secs(10),
            compute_timeout: Duration::from_secs(60),
            store_check: crate::store::BackgroundCheck::not_run(),
        }
    }
}

/// Everything an analysis window computes once and tiles reuse.
pub struct Analysis {
    /// Its key in the analysis cache (the canonical form of its parameters).
    pub key: String,
    /// The window's incidents, grid, bandwidth and study area.
    pub prepared: Prepared,
    /// The density surface of the window (incidents per km^2 per cell).
    pub surface: DensitySurface,
    /// Per density cell, incidents within the kernel's support of its centre (public-mode suppression).
    pub support_counts: OnceLock<Vec<f64>>,
    /// Gi* by band (bits of the band in metres), the [`GISTAR_BANDS_KEPT`] most recent.
    pub gistar: Mutex<HashMap<u64, Arc<GridGiStar>>>,
    /// Hotspots by rule (its canonical form), the [`RULES_KEPT`] most recent.
    pub hotspots: Mutex<HashMap<String, Arc<HotspotSet>>>,
    /// Selected incidents by zoom-10 tile, for the incidents layer.
    pub point_index: OnceLock<PointIndex>,
    /// Hexagon counts by resolution.
    pub hex: Mutex<HashMap<u8, Arc<HexCounts>>>,
    /// Incidents per area of each area layer.
    pub area_counts: Mutex<HashMap<String, Arc<Vec<u64>>>>,
    /// Identical Gi* bands or rules asked at once are computed once.
    flights: SingleFlight,
}

/// Gi* runs kept per analysis (each is a few dozen bytes a cell); older bands are dropped.
pub const GISTAR_BANDS_KEPT: usize = 4;
/// Hotspot sets kept per analysis.
pub const RULES_KEPT: usize = 16;

/// Keep at most `n` entries: drop arbitrary others to make room for one more.
fn make_room<K: Eq + std::hash::Hash + Clone, V>(m: &mut HashMap<K, V>, n: usize) {
    while m.len() >= n {
        let Some(k) = m.keys().next().cloned() else { break };
        m.remove(&k);
    }
}

impl Analysis {
    /// Approximate bytes held, inner caches included (counted again on every use, so what they gain is charged
    /// to the cache).
    pub fn bytes(&self) -> usize {
        let cells = self.surface.density_per_km2.len();
        let mut n = cells * 16 + self.prepared.points.len() * 28 + self.prepared.selection.len() * 4 + 1024;
        n += self.support_counts.get().map_or(0, |v| v.len() * 8);
        n += self.prepared.history_bytes();
        if let Ok(m) = self.gistar.lock() {
            n += m.values().map(|g| g.values.len() * 38 + 256).sum::<usize>();
        }
        if let Ok(m) = self.hotspots.lock() {
            n += m.values().map(|h| hotspot_set_bytes(h)).sum::<usize>();
        }
        if let Some(p) = self.point_index.get() {
            n += p.by_tile.values().map(|v| v.len() * 4 + 48).sum::<usize>();
        }
        if let Ok(m) = self.hex.lock() {
            n += m
                .values()
                .map(|h| h.cells.len() * std::mem::size_of::<crate::analysis::hex::HexCell>() + 64)
                .sum::<usize>();
        }
        if let Ok(m) = self.area_counts.lock() {
            n += m.values().map(|v| v.len() * 8 + 64).sum::<usize>();
        }
        n
    }

    /// Gi* for a band, cached here.
    pub fn gistar_for(&self, band_m: f64) -> Result<Arc<GridGiStar>, AppError> {
        let key = band_m.to_bits();
        self.flights.run(&format!("gistar {key}"), || {
            if let Some(g) = self.gistar.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return Ok(g);
            }
            Budget::current().check()?;
            let g = Arc::new(self.prepared.gistar(band_m, GiStarOptions::default())?);
            if let Ok(mut m) = self.gistar.lock() {
                make_room(&mut m, GISTAR_BANDS_KEPT);
                m.insert(key, g.clone());
            }
            Ok(g)
        })
    }
}

fn hotspot_set_bytes(h: &HotspotSet) -> usize {
    h.hotspots
        .iter()
        .map(|s| {
            let ring_points: usize = s.outline_lonlat.iter().flatten().map(Vec::len).sum();
            512 + ring_points * 16
                + s.cell_indices.len() * 8
                + (s.categories.len() + s.top_locations.len() + s.area_codes.len()) * 48
        })
        .sum::<usize>()
        + 256
}

/// Selected incidents by zoom-10 tile, for the incidents layer.
pub struct PointIndex {
    /// Indices of the selected incidents (into the dataset) by zoom-10 tile `(x, y)`.
    pub by_tile: rustc_hash::FxHashMap<(u32, u32), Vec<u32>>,
}

/// The data and caches every request reads.
pub struct Context {
    /// The incidents (all of the store's, loaded once).
    pub ds: Dataset,
    /// What stretch of time the data covers (changes are given only over covered windows).
    pub coverage: crate::model::Coverage,
    /// Harm weight of each category (index = category id), from the harm table the server was started with.
    pub harm_by_category: Vec<f64>,
    /// The harm table's name, for "settings used".
    pub harm_label: String,
    /// Boundary layers loaded for area summaries and names.
    pub areas: Vec<AreaLayer>,
    /// How the server runs.
    pub config: ServerConfig,
    /// Analyses by their request's canonical form (bounded by bytes).
    pub analyses: ByteCache<Analysis>,
    /// Change maps by their comparison's canonical form.
    pub changes: ByteCache<ChangeGrid>,
    /// Emerging hot spot runs by their request's canonical form.
    pub emerging: ByteCache<EmergingRun>,
    /// Identifies the data (changes when the store does), part of every ETag.
    pub data_version: String,
    /// Names of the incidents' area codes, from the boundary layer that matches them (hotspot names).
    pub area_names: crate::analysis::naming::AreaNames,
    /// Streets at their map points and named areas (the `labels` layer, `/api/search`), built at first use.
    pub places: OnceLock<crate::analysis::places::Places>,
    /// Identical computations in flight run once.
    pub flights: SingleFlight,
    /// Analyses computed (not found in the cache) so far.
    pub analyses_computed: std::sync::atomic::AtomicU64,
    /// The backtest's choice of prediction method, by categories, weight, instant and cell size (a few kilobytes
    /// each; one per window and place the page asks for), bounded by bytes.
    pub choices: ByteCache<MethodChoice>,
    /// Near-repeat zones by their request's canonical form, "as of" resolved (a few kilobytes each on a county, some
    /// megabytes on a national store), bounded by bytes.
    pub near_repeats: ByteCache<NearRepeatAlert>,
}

impl Context {
    /// The context of a dataset: caches empty, area names resolved from `areas`, the coverage computed.
    pub fn new(
        ds: Dataset,
        harm_by_category: Vec<f64>,
        harm_label: String,
        areas: Vec<AreaLayer>,
        config: ServerConfig,
        data_version: String,
    ) -> Self {
        let area_names = crate::analysis::naming::AreaNames::from_layers(&areas, ds.areas());
        Context {
            area_names,
            places: OnceLock::new(),
            coverage: crate::model::Coverage::of(&ds),
            ds,
            harm_by_category,
            harm_label,
            areas,
            analyses: ByteCache::new(config.cache_bytes),
            changes: ByteCache::new(config.cache_bytes / 4),
            emerging: ByteCache::new(config.cache_bytes / 4),
            choices: ByteCache::new(config.cache_bytes / 16),
            near_repeats: ByteCache::new(config.cache_bytes / 8),
            config,
            data_version,
            flights: SingleFlight::new(),
            analyses_computed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The density level the heat map's bands are fractions of: the hotspot level (density cut, per km²) of the
    /// `kde` rule with `rule`'s share, as `predict` places have none.
    pub fn density_level(&self, a: &Analysis, rule: &HotspotRule) -> Result<Option<f64>, AppError> {
        let kde = HotspotRule { method: crate::analysis::spec::Method::Kde, ..*rule };
        Ok(self.hotspots_for(a, &kde)?.density_threshold_per_km2)
    }

    /// Streets (never in public mode) and named areas, built at first use.
    pub fn places(&self) -> &crate::analysis::places::Places {
        self.places.get_or_init(|| {
            crate::analysis::places::Places::build(&self.ds, &self.areas, &self.area_names, !self.config.public)
        })
    }

    /// Converts between lon/lat and the dataset's metric CRS.
    pub fn projector(&self) -> Result<crate::geo::Projector, AppError> {
        crate::geo::Projector::new(self.ds.crs()).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The analysis for these parameters, from the cache or computed (call on a blocking thread); `None` when no
    /// incident matches (an empty window is an empty answer, not an error). Identical requests in flight compute
    /// it once.
    pub fn analysis(&self, params: &AnalysisParams) -> Result<Option<Arc<Analysis>>, AppError> {
        let boundary = self.study_boundary(params)?;
        self.analysis_keyed(canonical(params), || {
            prepare_in(&self.ds, params, &self.harm_by_category, &self.harm_label, boundary.as_ref())
        })
    }

    /// The boundary layer `study_area` names, among the served layers (`--areas` files and the store's).
    pub fn study_boundary(&self, params: &AnalysisParams) -> Result<Option<StudyBoundary>, AppError> {
        let Some(name) = &params.study_area else { return Ok(None) };
        let layer = self.areas.iter().find(|l| l.name == *name).ok_or_else(|| {
            let known: Vec<&str> = self.areas.iter().map(|l| l.name.as_str()).collect();
            AppError::bad(
                "study_area",
                format!(
                    "study_area={name}: no boundary layer of that name; the layers served are: {}",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ),
            )
        })?;
        StudyBoundary::from_layer(layer, &self.projector()?)
            .map(Some)
            .map_err(|e| AppError::bad("study_area", e.to_string()))
    }

    /// The analysis a hotspot rule works on ([`rule_params`]: `predict` without a cell size on patrol-scale cells,
    /// [`prepare_for_rule`]), from the cache or computed; `None` when no incident matches.
    pub fn rule_analysis(
        &self,
        params: &AnalysisParams,
        rule: &HotspotRule,
    ) -> Result<Option<Arc<Analysis>>, AppError> {
        let key = canonical(&rule_params(params, rule));
        let boundary = self.study_boundary(params)?;
        self.analysis_keyed(key, || {
            prepare_for_rule(&self.ds, params, rule, &self.harm_by_category, &self.harm_label, boundary.as_ref())
        })
    }

    fn analysis_keyed(
        &self,
        key: String,
        prepare: impl FnOnce() -> Result<Prepared, AnalysisError>,
    ) -> Result<Option<Arc<Analysis>>, AppError> {
        if let Some(a) = self.cached_analysis(&key) {
            return Ok(Some(a));
        }
        self.flights.run(&format!("analysis {key}"), || {
            if let Some(a) = self.cached_analysis(&key) {
                return Ok(Some(a));
            }
            Budget::current().check()?;
            self.analyses_computed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let prepared = match prepare() {
                Err(AnalysisError::Empty) => return Ok(None),
                other => other?,
            };
            let surface = prepared.density()?;
            let a = Arc::new(Analysis {
                key: key.clone(),
                prepared,
                surface,
                support_counts: OnceLock::new(),
                gistar: Mutex::new(HashMap::new()),
                hotspots: Mutex::new(HashMap::new()),
                point_index: OnceLock::new(),
                hex: Mutex::new(HashMap::new()),
                area_counts: Mutex::new(HashMap::new()),
                flights: SingleFlight::new(),
            });
            self.analyses.insert(key.clone(), a.clone(), a.bytes());
            Ok(Some(a))
        })
    }

    /// A cached analysis, its bytes counted again (what its inner caches gained since is charged to the cache).
    fn cached_analysis(&self, key: &str) -> Option<Arc<Analysis>> {
        let a = self.analyses.get(key)?;
        self.analyses.resize(key, a.bytes());
        Some(a)
    }

    /// The hotspots of an analysis by a rule, cached in the analysis (Gi* through its per-band cache).
    pub fn hotspots_for(&self, a: &Analysis, rule: &HotspotRule) -> Result<Arc<HotspotSet>, AppError> {
        let key = canonical(rule);
        let set = a.flights.run(&format!("rule {key}"), || {
            if let Some(h) = a.hotspots.lock().ok().and_then(|m| m.get(&key).cloned()) {
                return Ok(h);
            }
            let gi = match rule.method {
                crate::analysis::spec::Method::GiStar => {
                    Some(a.gistar_for(rule.band_m(a.prepared.params.bandwidth_m))?)
                }
                _ => None,
            };
            let choice = self.predictor_for(a, rule)?;
            let predictor = choice.as_ref().map(|c| &c.method);
            Budget::current().check()?;
            let mut set = a.prepared.rule_hotspots(
                &self.ds,
                Some(&a.surface),
                rule,
                gi.as_deref(),
                &self.harm_by_category,
                predictor,
            )?;
            set.name_areas(&self.area_names);
            let set = Arc::new(set);
            if let Ok(mut m) = a.hotspots.lock() {
                make_room(&mut m, RULES_KEPT);
                m.insert(key.clone(), set.clone());
            }
            Ok::<_, AppError>(set)
        })?;
        self.analyses.resize(&a.key, a.bytes());
        Ok(set)
    }

    /// The prediction method `predict` uses on an analysis when the rule names none: the backtest's choice on the
    /// store's history of the analysis's place (its box and study boundary) before its window ends, cached under
    /// [`crate::analysis::pipeline::Prepared::choice_key`] (the data version is the cache's: a new import makes a new
    /// context).
    pub fn predictor_for(&self, a: &Analysis, rule: &HotspotRule) -> Result<Option<Arc<MethodChoice>>, AppError> {
        if rule.method != crate::analysis::spec::Method::Predict || rule.predictor.is_some() {
            return Ok(None);
        }
        let p = &a.prepared;
        let key = p.choice_key(&self.harm_by_category);
        if let Some(c) = self.choices.get(&key) {
            return Ok(Some(c));
        }
        let c = Arc::new(p.choose_predictor(&self.ds, &self.harm_by_category)?);
        self.choices.insert(key, c.clone(), json_bytes(c.as_ref()));
        Ok(Some(c))
    }

    /// The change map of a comparison, from the cache or computed; `None` when neither window has an incident.
    pub fn change_for(&self, spec: &CompareSpec) -> Result<Option<Arc<ChangeGrid>>, AppError> {
        let (before, after) = spec.windows()?;
        let mut keyed = spec.clone();
        // The target does not change the map.
        keyed.hotspot = None;
        keyed.buffer_m = CompareSpec::default().buffer_m;
        let key = canonical(&keyed);
        if let Some(c) = self.changes.get(&key) {
            return Ok(Some(c));
        }
        self.flights.run(&format!("change {key}"), || {
            if let Some(c) = self.changes.get(&key) {
                return Ok(Some(c));
            }
            Budget::current().check()?;
            let cats = &spec.analysis.query.categories;
            let Some(cg) =
                change_grid(&self.ds, before, after, cats, spec.analysis.cell_m, spec.fdr_q).map_err(compare_error)?
            else {
                return Ok(None);
            };
            let cg = Arc::new(cg);
            self.changes.insert(key.clone(), cg.clone(), cg.map.cells.len() * 32 + 256);
            Ok(Some(cg))
        })
    }

    /// The emerging run of a request, from the cache or computed; `None` when no incident matches.
    pub fn emerging_for(&self, spec: &EmergingSpec) -> Result<Option<Arc<EmergingRun>>, AppError> {
        let key = canonical(spec);
        if let Some(r) = self.emerging.get(&key) {
            return Ok(Some(r));
        }
        self.flights.run(&format!("emerging {key}"), || {
            if let Some(r) = self.emerging.get(&key) {
                return Ok(Some(r));
            }
            Budget::current().check()?;
            let run = match run_cube(&self.ds, spec) {
                Err(CubeError::Empty) => return Ok(None),
                other => Arc::new(other.map_err(cube_error)?),
            };
            let cells = run.grid.n_cells();
            // Per location its trend and its z and bin at every step; per cell the study mask.
            let bytes = run.result.locations.len() * (48 + run.steps.len() * 9) + run.steps.len() * 24 + cells + 256;
            self.emerging.insert(key.clone(), run.clone(), bytes);
            Ok(Some(run))
        })
    }
}

impl Context {
    /// The near-repeat zones of a request (named by the areas), from the cache or computed: the Knox test runs once
    /// per categories, "as of" and `nr_days` whichever route or layer asks.
    pub fn near_repeat_for(&self, spec: &NearRepeatSpec) -> Result<Arc<NearRepeatAlert>, AppError> {
        let resolved =
            NearRepeatSpec { at_s: Some(resolve_as_of(&self.ds, spec.at_s).map_err(alert_error)?), ..spec.clone() };
        let key = canonical(&resolved);
        let cached = || self.near_repeats.get(&key);
        if let Some(a) = cached() {
            return Ok(a);
        }
        self.flights.run(&format!("nearrepeat {key}"), || {
            if let Some(a) = cached() {
                return Ok(a);
            }
            Budget::current().check()?;
            let mut alert = near_repeat_alert(&self.ds, &resolved.categories, resolved.at_s, resolved.nr_days)
                .map_err(alert_error)?;
            alert.name_areas(&self.area_names);
            let alert = Arc::new(alert);
            self.near_repeats.insert(key.clone(), alert.clone(), json_bytes(alert.as_ref()));
            Ok(alert)
        })
    }
}

/// What a cached value is charged: the length of its JSON, a proxy for its heap (its strings and numbers are most
/// of both), plus a fixed overhead; a value that cannot be written is charged as if it filled the cache, so it is not
/// kept.
fn json_bytes<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len() + 256)
}

/// A near-repeat request's error as a response.
pub fn alert_error(e: AlertError) -> AppError {
    match e {
        AlertError::Query(q) => AppError::from(AnalysisError::Query(q)),
        AlertError::Stopped(s) => AppError::from(s),
        AlertError::NoData => AppError::bad("at", e.to_string()),
        AlertError::Projection(m) => AppError::Internal(m),
    }
}

/// A comparison's error as a response.
pub fn compare_error(e: CompareError) -> AppError {
    match e {
        CompareError::Query { source: source @ crate::model::QueryError::UnknownCategory { .. }, .. } => {
            AppError::bad("category", source.to_string())
        }
        CompareError::Query { which, source } => AppError::bad(which, format!("{which}: {source}")),
        CompareError::UnknownHotspot { .. } => AppError::bad("hotspot", e.to_string()),
        CompareError::NotCovered { which, .. } => AppError::bad(which, e.to_string()),
        CompareError::Grid(_) => AppError::bad("cell_m", e.to_string()),
        CompareError::Stopped(s) => AppError::from(s),
        CompareError::Projection(m) => AppError::Internal(m),
    }
}

/// An emerging analysis's error as a response.
pub fn cube_error(e: CubeError) -> AppError {
    match e {
        CubeError::PeriodTooFine { .. } | CubeError::TooFewSteps { .. } | CubeError::TooManySteps { .. } => {
            AppError::bad("period", e.to_string())
        }
        CubeError::Query(q) => AppError::from(AnalysisError::Query(q)),
        CubeError::NotCovered { .. } => AppError::bad("from", e.to_string()),
        CubeError::Grid(_) => AppError::bad("cell_m", e.to_string()),
        CubeError::TooCostly(t) => AppError::from(t),
        CubeError::Emerging(EmergingError::GiStar { source: GiStarError::Stopped(s), .. }) => AppError::from(s),
        CubeError::Emerging(EmergingError::GiStar { source: GiStarError::TooCostly(t), .. }) => AppError::from(t),
        CubeError::Emerging(EmergingError::BadBand(_)) => AppError::bad("band_m", e.to_string()),
        other => AppError::Internal(other.to_string()),
    }
}
