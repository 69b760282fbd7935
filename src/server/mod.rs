//! The map server: vector tiles, TileJSON, summaries and hotspots as JSON, and the web page, over axum.
//!
//! `app(state)` builds the router, so tests call it without a socket. Handlers parse and validate, then hand CPU
//! work to [`AppState::compute`] (a bounded queue of blocking tasks with a time limit); results are cached by
//! canonical query (analyses) and by tile, tiles carry an ETag (`If-None-Match` gives 304) and are gzipped once.

pub mod access;
pub mod basemap;
pub mod cache;
pub mod compare;
pub mod context;
pub mod error;
pub mod flight;
mod handlers;
pub mod layers;
pub mod live;
pub mod public;
mod search;
pub mod state;
pub mod tasking;
mod tiles;
pub mod when;

pub use context::{Context, ServerConfig};
pub use error::AppError;
pub use state::AppState;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::routing::get;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::services::ServeDir;

/// The router for a state.
pub fn app(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/health", get(handlers::health))
        .route("/api/meta", get(handlers::meta))
        .route("/api/summary", get(handlers::summary))
        .route("/api/hotspots", get(handlers::hotspots))
        .route("/api/compare", get(compare::compare_route))
        .route("/api/emerging", get(tasking::emerging_route))
        .route("/api/tasking", get(tasking::tasking_route))
        .route("/api/when", get(when::when_route))
        .route("/api/search", get(search::search_route))
        .route("/tiles/{name}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        // The token guards the data routes; the page's own files hold no data, and a browser cannot put a header
        // on the <script> and <link> requests of a page opened as /?token=...
        .route_layer(middleware::from_fn_with_state(state.clone(), access::auth));
    let api = basemap::add(api, &state)
        .fallback_service(ServeDir::new(&state.config.assets_dir).append_index_html_on_directories(true));
    let mut router = api.layer(CompressionLayer::new());
    // Cross-site reads only from the one origin allowed (`--cors`); by default a page elsewhere cannot read answers.
    if let Some(origin) = state.config.cors_origin.as_deref().and_then(|o| HeaderValue::from_str(o).ok()) {
        router = router.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET])
                .allow_headers([header::AUTHORIZATION, header::IF_NONE_MATCH]),
        );
    }
    router.layer(middleware::from_fn_with_state(state.clone(), access::check_host)).with_state(state)
}

/// Serve until interrupted (Ctrl-C).
pub async fn run(state: Arc<AppState>) -> std::io::Result<()> {
    let addr = state.config.addr;
    serve_router(addr, app(state)).await
}

/// Serve a live server (data swapped as the store changes, [`live::Live`]) until interrupted.
pub async fn run_live(live: Arc<live::Live>) -> std::io::Result<()> {
    let addr = live.state().config.addr;
    serve_router(addr, live.router()).await
}

async fn serve_router(addr: std::net::SocketAddr, router: Router) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
