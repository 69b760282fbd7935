//! What every route and tile layer computes from: the dataset, its harm weights and boundary layers, the server's
//! configuration, and the cached analyses (keyed by the canonical form of their request, so the same request in
//! any spelling is computed once).

use super::cache::ByteCache;
use super::error::AppError;
use crate::analysis::backtest::MethodChoice;
use crate::analysis::compare::{ChangeGrid, CompareError, change_grid};
use crate::analysis::emerging::cube::{CubeError, EmergingRun, run as run_cube};
use crate::analysis::gistar::GiStarOptions;
use crate::analysis::hex::HexCounts;
use crate::analysis::hotspots::HotspotSet;
use crate::analysis::kde::DensitySurface;
use crate::analysis::pipeline::{
    AnalysisError, AnalysisParams, GridGiStar, Prepared, prepare, prepare_for_rule, rule_params,
};
use crate::analysis::spec::{CompareSpec, EmergingSpec, HotspotRule, canonical};
use crate::areas::AreaLayer;
use crate::model::Dataset;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Aggregates only: no incidents layer, no location texts or ids, small counts suppressed.
    pub public: bool,
    /// Fewest incidents a cell, hexagon, hotspot or area may show in public mode.
    pub min_count: u32,
    pub token: Option<String>,
    /// A basemap style URL or raster tile template for the page.
    pub basemap: Option<String>,
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
            basemap: None,
            assets_dir,
            cache_bytes: 256 << 20,
            compute_permits: 2 * cores,
            queue_timeout: Duration::from_secs(10),
            compute_timeout: Duration::from_secs(60),
        }
    }
}

/// Everything an analysis window computes once and tiles reuse.
pub struct Analysis {
    pub prepared: Prepared,
    pub surface: DensitySurface,
    /// Per density cell, incidents within the kernel's support of its centre (public-mode suppression).
    pub support_counts: OnceLock<Vec<f64>>,
    /// Gi* by band (bits of the band in metres).
    pub gistar: Mutex<HashMap<u64, Arc<GridGiStar>>>,
    /// Hotspots by rule (its canonical form).
    pub hotspots: Mutex<HashMap<String, Arc<HotspotSet>>>,
    /// Selected incidents by zoom-10 tile, for the incidents layer.
    pub point_index: OnceLock<PointIndex>,
    /// Hexagon counts by resolution.
    pub hex: Mutex<HashMap<u8, Arc<HexCounts>>>,
    /// Incidents per area of each area layer.
    pub area_counts: Mutex<HashMap<String, Arc<Vec<u64>>>>,
}

impl Analysis {
    /// Approximate bytes held, for the cache.
    pub fn bytes(&self) -> usize {
        self.surface.density_per_km2.len() * 16 + self.prepared.points.len() * 28 + self.prepared.selection.len() * 4
    }

    /// Gi* for a band, cached here.
    pub fn gistar_for(&self, band_m: f64) -> Result<Arc<GridGiStar>, AppError> {
        let key = band_m.to_bits();
        if let Some(g) = self.gistar.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(g);
        }
        let g = Arc::new(self.prepared.gistar(band_m, GiStarOptions::default())?);
        if let Ok(mut m) = self.gistar.lock() {
            m.insert(key, g.clone());
        }
        Ok(g)
    }
}

/// Selected incidents by zoom-10 tile, for the incidents layer.
pub struct PointIndex {
    pub by_tile: rustc_hash::FxHashMap<(u32, u32), Vec<u32>>,
}

/// The data and caches every request reads.
pub struct Context {
    pub ds: Dataset,
    /// What stretch of time the data covers (changes are given only over covered windows).
    pub coverage: crate::model::Coverage,
    pub harm_by_category: Vec<f64>,
    pub harm_label: String,
    pub areas: Vec<AreaLayer>,
    pub config: ServerConfig,
    pub analyses: ByteCache<Analysis>,
    /// Change maps by their comparison's canonical form.
    pub changes: ByteCache<ChangeGrid>,
    /// Emerging hot spot runs by their request's canonical form.
    pub emerging: ByteCache<EmergingRun>,
    /// Identifies the data (changes when the store does), part of every ETag.
    pub data_version: String,
    /// The backtest's choice of prediction method, by categories, weight, instant and cell size (a few hundred bytes
    /// each; one per window the page asks for).
    pub choices: Mutex<HashMap<String, Arc<MethodChoice>>>,
}

impl Context {
    pub fn new(
        ds: Dataset,
        harm_by_category: Vec<f64>,
        harm_label: String,
        areas: Vec<AreaLayer>,
        config: ServerConfig,
        data_version: String,
    ) -> Self {
        Context {
            coverage: crate::model::Coverage::of(&ds),
            ds,
            harm_by_category,
            harm_label,
            areas,
            analyses: ByteCache::new(config.cache_bytes),
            changes: ByteCache::new(config.cache_bytes / 4),
            emerging: ByteCache::new(config.cache_bytes / 4),
            config,
            data_version,
            choices: Mutex::new(HashMap::new()),
        }
    }

    /// Converts between lon/lat and the dataset's metric CRS.
    pub fn projector(&self) -> Result<crate::geo::Projector, AppError> {
        crate::geo::Projector::new(self.ds.crs()).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The analysis for these parameters, from the cache or computed (call on a blocking thread); `None` when no
    /// incident matches (an empty window is an empty answer, not an error).
    pub fn analysis(&self, params: &AnalysisParams) -> Result<Option<Arc<Analysis>>, AppError> {
        self.analysis_keyed(canonical(params), || prepare(&self.ds, params, &self.harm_by_category, &self.harm_label))
    }

    /// The analysis a hotspot rule works on ([`rule_params`]: `predict` without a cell size on patrol-scale cells,
    /// [`prepare_for_rule`]), from the cache or computed; `None` when no incident matches.
    pub fn rule_analysis(
        &self,
        params: &AnalysisParams,
        rule: &HotspotRule,
    ) -> Result<Option<Arc<Analysis>>, AppError> {
        let key = canonical(&rule_params(params, rule));
        self.analysis_keyed(key, || prepare_for_rule(&self.ds, params, rule, &self.harm_by_category, &self.harm_label))
    }

    fn analysis_keyed(
        &self,
        key: String,
        prepare: impl FnOnce() -> Result<Prepared, AnalysisError>,
    ) -> Result<Option<Arc<Analysis>>, AppError> {
        if let Some(a) = self.analyses.get(&key) {
            return Ok(Some(a));
        }
        let prepared = match prepare() {
            Err(AnalysisError::Empty) => return Ok(None),
            other => other?,
        };
        let surface = prepared.density()?;
        let a = Arc::new(Analysis {
            prepared,
            surface,
            support_counts: OnceLock::new(),
            gistar: Mutex::new(HashMap::new()),
            hotspots: Mutex::new(HashMap::new()),
            point_index: OnceLock::new(),
            hex: Mutex::new(HashMap::new()),
            area_counts: Mutex::new(HashMap::new()),
        });
        self.analyses.insert(key, a.clone(), a.bytes());
        Ok(Some(a))
    }

    /// The hotspots of an analysis by a rule, cached in the analysis (Gi* through its per-band cache).
    pub fn hotspots_for(&self, a: &Analysis, rule: &HotspotRule) -> Result<Arc<HotspotSet>, AppError> {
        let key = canonical(rule);
        if let Some(h) = a.hotspots.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(h);
        }
        let gi = match rule.method {
            crate::analysis::spec::Method::GiStar => Some(a.gistar_for(rule.band_m(a.prepared.params.bandwidth_m))?),
            _ => None,
        };
        let choice = self.predictor_for(a, rule)?;
        let predictor = choice.as_ref().map(|c| &c.method);
        let set =
            a.prepared.rule_hotspots(&self.ds, &a.surface, rule, gi.as_deref(), &self.harm_by_category, predictor)?;
        let set = Arc::new(set);
        if let Ok(mut m) = a.hotspots.lock() {
            m.insert(key, set.clone());
        }
        Ok(set)
    }

    /// The prediction method `predict` uses on an analysis when the rule names none: the backtest's choice on the
    /// store's history before the analysis's window ends, cached per categories, weight, instant and cell size (the
    /// data version is the cache's: a new import makes a new context).
    pub fn predictor_for(&self, a: &Analysis, rule: &HotspotRule) -> Result<Option<Arc<MethodChoice>>, AppError> {
        if rule.method != crate::analysis::spec::Method::Predict || rule.predictor.is_some() {
            return Ok(None);
        }
        let p = &a.prepared;
        let key = format!("{:?}|{}|{:?}|{}", p.params.categories, p.params.weight.name(), p.fit_end_s, p.grid.cell_m);
        if let Some(c) = self.choices.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(Some(c));
        }
        let c = Arc::new(p.choose_predictor(&self.ds, &self.harm_by_category)?);
        if let Ok(mut m) = self.choices.lock() {
            m.insert(key, c.clone());
        }
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
        let cats = &spec.analysis.query.categories;
        let Some(cg) =
            change_grid(&self.ds, before, after, cats, spec.analysis.cell_m, spec.fdr_q).map_err(compare_error)?
        else {
            return Ok(None);
        };
        let cg = Arc::new(cg);
        self.changes.insert(key, cg.clone(), cg.map.cells.len() * 32 + 256);
        Ok(Some(cg))
    }

    /// The emerging run of a request, from the cache or computed; `None` when no incident matches.
    pub fn emerging_for(&self, spec: &EmergingSpec) -> Result<Option<Arc<EmergingRun>>, AppError> {
        let key = canonical(spec);
        if let Some(r) = self.emerging.get(&key) {
            return Ok(Some(r));
        }
        let run = match run_cube(&self.ds, spec) {
            Err(CubeError::Empty) => return Ok(None),
            other => Arc::new(other.map_err(cube_error)?),
        };
        let bytes = run.result.locations.len() * 48 + run.steps.len() * 16 + 256;
        self.emerging.insert(key, run.clone(), bytes);
        Ok(Some(run))
    }
}

/// A comparison's error as a response.
pub fn compare_error(e: CompareError) -> AppError {
    match e {
        CompareError::Query { which, source } => AppError::bad(which, format!("{which}: {source}")),
        CompareError::UnknownHotspot { .. } => AppError::bad("hotspot", e.to_string()),
        CompareError::NotCovered { which, .. } => AppError::bad(which, e.to_string()),
        CompareError::Grid(_) => AppError::bad("cell_m", e.to_string()),
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
        other => AppError::Internal(other.to_string()),
    }
}
