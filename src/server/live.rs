//! Live data: the server follows its store. A poller reads the store's data version every `poll` interval (one
//! indexed read, never waiting for an import: the store runs in WAL mode); when it changes, the new state (data,
//! caches empty) is built in the background by the caller's loader and swapped in as one pointer. Each request
//! takes the state current when it arrives and keeps it to its end, so no request mixes old and new data; ETags and
//! cache keys carry the data version, and the caches belong to the state, so nothing cached before the swap is
//! served after it.

use super::state::AppState;
use crate::store::{DataVersion, Store};
use axum::Router;
use axum::extract::Request;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower::ServiceExt;

/// Builds the server state from the store (the data as of its current version).
pub type Loader = Box<dyn Fn(&Store) -> Result<AppState, String> + Send + Sync>;

/// The current state and its router, swapped whole.
pub struct Live {
    current: RwLock<(Arc<AppState>, Router)>,
    swaps: AtomicU64,
    stop: AtomicBool,
}

impl Live {
    /// A live server starting on `state` (its router built once, swapped whole with each new data version).
    pub fn new(state: Arc<AppState>) -> Arc<Live> {
        let router = super::app(state.clone());
        Arc::new(Live { current: RwLock::new((state, router)), swaps: AtomicU64::new(0), stop: AtomicBool::new(false) })
    }

    /// The state requests now get.
    pub fn state(&self) -> Arc<AppState> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// Swap in a new state: requests already running finish on the old one.
    pub fn swap(&self, state: Arc<AppState>) {
        let router = super::app(state.clone());
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (state, router);
        self.swaps.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times the data was swapped.
    pub fn swaps(&self) -> u64 {
        self.swaps.load(Ordering::SeqCst)
    }

    /// Stop the poller (at its next poll).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// A router that sends every request to the state current when it arrives.
    pub fn router(self: &Arc<Self>) -> Router {
        let live = self.clone();
        Router::new().fallback_service(tower::service_fn(move |req: Request| {
            let router = live.current.read().unwrap_or_else(|p| p.into_inner()).1.clone();
            async move { Ok::<_, Infallible>(router.oneshot(req).await.unwrap_or_else(|e| match e {})) }
        }))
    }

    /// Poll the store at `path` every `every`; on a data version other than `loaded` (the one the current state
    /// was built from), build the state with `load` and swap it in. Runs on its own thread until [`Live::stop`]; a
    /// failed poll or load is logged and the old data kept.
    pub fn follow(
        self: &Arc<Self>,
        path: PathBuf,
        loaded: Option<DataVersion>,
        every: Duration,
        load: Loader,
    ) -> std::thread::JoinHandle<()> {
        let live = self.clone();
        std::thread::spawn(move || {
            let mut seen: Option<DataVersion> = loaded;
            let mut store: Option<Store> = None;
            while !live.stop.load(Ordering::SeqCst) {
                if store.is_none() {
                    store = Store::open_existing(&path)
                        .map_err(|e| eprintln!("hotspots serve: cannot poll the store: {e}"))
                        .ok();
                }
                if let Some(s) = &store {
                    match s.data_version() {
                        Ok(v) if seen.is_none() => seen = Some(v),
                        Ok(v) if seen.as_ref() != Some(&v) => match load(s) {
                            Ok(state) => {
                                eprintln!("hotspots serve: the store changed (data version {v}); now serving it");
                                live.swap(Arc::new(state));
                                seen = Some(v);
                            }
                            Err(e) => eprintln!("hotspots serve: the store changed but could not be loaded: {e}"),
                        },
                        Ok(_) => {}
                        Err(e) => {
                            eprintln!("hotspots serve: cannot read the data version: {e}");
                            store = None;
                        }
                    }
                }
                std::thread::sleep(every);
            }
        })
    }
}
