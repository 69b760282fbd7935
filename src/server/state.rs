//! The server's state: the dataset, the caches, and the limits on concurrent computation.

use super::cache::ByteCache;
use super::error::AppError;
use crate::analysis::hotspots::HotspotSet;
use crate::analysis::kde::DensitySurface;
use crate::analysis::pipeline::{AnalysisParams, GridGiStar, Prepared, prepare};
use crate::areas::AreaLayer;
use crate::model::Dataset;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Semaphore;

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
    /// Hotspots by rule (method, band, share, ranking).
    pub hotspots: Mutex<HashMap<String, Arc<HotspotSet>>>,
    /// Selected incidents by zoom-10 tile, for the incidents layer.
    pub point_index: OnceLock<super::layers::PointIndex>,
    /// Hexagon counts by resolution.
    pub hex: Mutex<HashMap<u8, Arc<crate::analysis::hex::HexCounts>>>,
    /// Incidents per area of each area layer.
    pub area_counts: Mutex<HashMap<String, Arc<Vec<u64>>>>,
}

impl Analysis {
    /// Approximate bytes held, for the cache.
    pub fn bytes(&self) -> usize {
        self.surface.density_per_km2.len() * 16 + self.prepared.points.len() * 28 + self.prepared.selection.len() * 4
    }
}

/// A tile's bytes, gzipped once, with its ETag.
pub struct TileBytes {
    /// `None` for an empty tile (204).
    pub raw: Option<axum::body::Bytes>,
    pub gzip: Option<axum::body::Bytes>,
    pub etag: String,
}

/// Shared by every request.
pub struct AppState {
    pub ds: Dataset,
    pub harm_by_category: Vec<f64>,
    pub harm_label: String,
    pub areas: Vec<AreaLayer>,
    pub config: ServerConfig,
    pub analyses: ByteCache<Analysis>,
    pub tiles: ByteCache<TileBytes>,
    /// Change maps by windows, categories, cell and FDR.
    pub changes: ByteCache<crate::analysis::compare::ChangeGrid>,
    /// Emerging hot spot runs by window, categories, period, cell and band.
    pub emerging: ByteCache<crate::analysis::emerging::cube::EmergingRun>,
    pub compute: Semaphore,
    /// Identifies the data (changes when the store does), part of every ETag.
    pub data_version: String,
}

impl AppState {
    pub fn new(
        ds: Dataset,
        harm_by_category: Vec<f64>,
        harm_label: String,
        areas: Vec<AreaLayer>,
        config: ServerConfig,
        data_version: String,
    ) -> Self {
        AppState {
            ds,
            harm_by_category,
            harm_label,
            areas,
            analyses: ByteCache::new(config.cache_bytes),
            tiles: ByteCache::new(config.cache_bytes),
            changes: ByteCache::new(config.cache_bytes / 4),
            emerging: ByteCache::new(config.cache_bytes / 4),
            compute: Semaphore::new(config.compute_permits.max(1)),
            config,
            data_version,
        }
    }

    /// The analysis for these parameters, from the cache or computed (call on a blocking thread); `None` when no
    /// incident matches (an empty window is an empty answer, not an error).
    pub fn analysis(&self, params: &AnalysisParams) -> Result<Option<Arc<Analysis>>, AppError> {
        let key = super::params::analysis_key(params);
        if let Some(a) = self.analyses.get(&key) {
            return Ok(Some(a));
        }
        let prepared = match prepare(&self.ds, params, &self.harm_by_category, &self.harm_label) {
            Err(crate::analysis::pipeline::AnalysisError::Empty) => return Ok(None),
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

    /// Run CPU work on a blocking thread, with a bounded queue and a time limit, so one heavy request cannot
    /// starve the rest.
    pub async fn compute<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(self.config.queue_timeout, self.compute.acquire())
            .await
            .map_err(|_| AppError::Busy("the server is busy: try again in a moment".into()))?
            .map_err(|_| AppError::Internal("the computation queue is closed".into()))?;
        let state = self.clone();
        let job = tokio::task::spawn_blocking(move || f(&state));
        let out = tokio::time::timeout(self.config.compute_timeout, job).await;
        drop(permit);
        match out {
            Err(_) => Err(AppError::Busy(format!(
                "the computation took longer than {} s; narrow the window or use a coarser cell",
                self.config.compute_timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(AppError::Internal(format!("a computation failed: {e}"))),
            Ok(Ok(r)) => r,
        }
    }
}
