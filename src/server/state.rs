//! The server's state: the data and cached analyses ([`Context`]), the registry of tile layers, the tile cache, and
//! the limit on concurrent computation.

use super::cache::ByteCache;
use super::context::Context;
use super::error::AppError;
use super::layers::{LayerInfo, TileSource, registry};
use crate::model::Budget;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;

pub use super::context::ServerConfig;

/// A tile's bytes, gzipped once, with its ETag.
pub struct TileBytes {
    /// `None` for an empty tile (204).
    pub raw: Option<axum::body::Bytes>,
    /// The tile gzipped (served when the client accepts gzip); `None` for an empty tile.
    pub gzip: Option<axum::body::Bytes>,
    /// A strong ETag: a hash of the tile's bytes and the data version.
    pub etag: String,
    /// The same, ready for the `ETag` header.
    pub etag_header: Option<axum::http::HeaderValue>,
}

/// Most tile request forms remembered in [`AppState::canonical`] (emptied when full; a few MB at most, as only
/// queries up to [`CANONICAL_QUERY_MAX`] bytes are kept).
pub const CANONICAL_KEPT: usize = 1024;

/// Longest raw query whose canonical form is remembered.
pub const CANONICAL_QUERY_MAX: usize = 2048;

/// Shared by every request.
pub struct AppState {
    /// The data and analysis caches.
    pub ctx: Context,
    /// The tile layers this server offers (public mode leaves out those it must not serve).
    pub layers: Vec<Box<dyn TileSource>>,
    /// Their descriptions, made once (a tile request looks its layer up by name and reads its zoom range).
    pub infos: Vec<LayerInfo>,
    /// Encoded tiles by layer, canonical request and tile address (bounded by bytes).
    pub tiles: ByteCache<TileBytes>,
    /// The canonical form of tile requests by layer and raw query (reading a query is most of a cached tile's own
    /// work), at most [`CANONICAL_KEPT`] of them.
    pub canonical: std::sync::RwLock<std::collections::HashMap<String, String>>,
    /// Permits for CPU work: at most `compute_permits` computations run at once; the rest wait up to `queue_timeout`.
    pub compute: Arc<Semaphore>,
}

impl std::ops::Deref for AppState {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl AppState {
    /// The state of a context, with the registry's layers (those public mode may serve when `public`).
    pub fn new(ctx: Context) -> Self {
        let layers: Vec<Box<dyn TileSource>> =
            registry(&ctx).into_iter().filter(|l| !ctx.config.public || l.public()).collect();
        let infos = layers.iter().map(|l| l.info(ctx.config.public)).collect();
        AppState {
            infos,
            tiles: ByteCache::new(ctx.config.cache_bytes),
            canonical: std::sync::RwLock::new(std::collections::HashMap::new()),
            compute: Arc::new(Semaphore::new(ctx.config.compute_permits.max(1))),
            layers,
            ctx,
        }
    }

    /// The layer of this name, or a 404 listing the layers there are.
    pub fn layer(&self, name: &str) -> Result<&dyn TileSource, AppError> {
        self.layer_and_info(name).map(|(l, _)| l)
    }

    /// The layer of this name and its description, or a 404 listing the layers there are.
    pub fn layer_and_info(&self, name: &str) -> Result<(&dyn TileSource, &LayerInfo), AppError> {
        let found = self.infos.iter().position(|i| i.name == name);
        found.and_then(|k| Some((self.layers.get(k)?.as_ref(), self.infos.get(k)?))).ok_or_else(|| {
            let hidden = self.config.public && registry(&self.ctx).iter().any(|l| l.info(true).name == name);
            let extra = if hidden { " (not served in public mode)" } else { "" };
            AppError::NotFound { error: format!("no layer '{name}'{extra}"), valid: self.layer_names() }
        })
    }

    /// The names of the layers offered.
    pub fn layer_names(&self) -> Vec<String> {
        self.infos.iter().map(|i| i.name.clone()).collect()
    }

    /// Run CPU work on a blocking thread, with a bounded queue and a time limit, so one heavy request cannot
    /// starve the rest. The work runs under a [`Budget`] (the time limit, and a flag set when the request is
    /// dropped, e.g. its client went away): the analyses' long loops check it and stop. The slot is held until the
    /// work has really stopped, so abandoned work never piles up beyond the slots.
    pub async fn compute<T: Send + 'static>(
        self: &std::sync::Arc<Self>,
        f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(self.config.queue_timeout, self.compute.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy("the server is busy: try again in a moment".into()))?
            .map_err(|_| AppError::Internal("the computation queue is closed".into()))?;
        let mut budget = Budget::with_timeout(self.config.compute_timeout);
        // Set when this future is dropped (the client went away) or times out.
        let cancel = CancelOnDrop(budget.cancel_flag());
        let state = self.clone();
        let job = tokio::task::spawn_blocking(move || {
            let out = budget.scope(|| f(&state));
            drop(permit);
            out
        });
        // A little longer than the budget: the work notices its deadline at its next check.
        let grace = self.config.compute_timeout + std::time::Duration::from_secs(2);
        let out = tokio::time::timeout(grace, job).await;
        drop(cancel);
        match out {
            Err(_) | Ok(Ok(Err(AppError::Busy(_)))) => Err(AppError::Busy(format!(
                "the computation took longer than {} s and was stopped; narrow the window or use a coarser cell",
                self.config.compute_timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(AppError::Internal(format!("a computation failed: {e}"))),
            Ok(Ok(r)) => r,
        }
    }
}

/// Sets the flag when dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
