//! A local basemap: `serve --basemap FILE.pmtiles` serves the archive itself at `GET /basemap.pmtiles`, with byte
//! ranges (`Range: bytes=a-b` gives 206), and the page reads it with the `pmtiles` package's MapLibre protocol
//! (vendored in `assets/vendor/pmtiles/`) and draws it with the protomaps style (`assets/vendor/protomaps-basemaps/`).
//! No tile is fetched from anywhere else. The route is open like the page's own files: a basemap holds no incident.

use super::state::AppState;
use axum::Router;
use std::sync::Arc;
use tower_http::services::ServeFile;

/// Where the page finds the archive.
pub const PATH: &str = "/basemap.pmtiles";

/// The router with the basemap route when a PMTiles file is configured.
pub fn add(router: Router<Arc<AppState>>, state: &AppState) -> Router<Arc<AppState>> {
    match &state.config.basemap_pmtiles {
        Some(file) => router.route_service(PATH, ServeFile::new(file)),
        None => router,
    }
}
