//! The map server: vector tiles, TileJSON, summaries and hotspots as JSON, and the web page, over axum.
//!
//! `app(state)` builds the router, so tests call it without a socket. Handlers parse and validate, then hand CPU
//! work to [`AppState::compute`] (a bounded queue of blocking tasks with a time limit); results are cached by
//! canonical query (analyses) and by tile, tiles carry an ETag (`If-None-Match` gives 304) and are gzipped once.

pub mod basemap;
pub mod cache;
pub mod compare;
pub mod context;
pub mod error;
mod handlers;
pub mod layers;
pub mod public;
mod search;
pub mod state;
pub mod tasking;
mod tiles;

pub use context::{Context, ServerConfig};
pub use error::AppError;
pub use state::AppState;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
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
        .route("/api/search", get(search::search_route))
        .route("/tiles/{name}", get(tiles::tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(tiles::tile))
        // The token guards the data routes; the page's own files hold no data, and a browser cannot put a header
        // on the <script> and <link> requests of a page opened as /?token=...
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    let api = basemap::add(api, &state)
        .fallback_service(ServeDir::new(&state.config.assets_dir).append_index_html_on_directories(true));
    api.layer(CompressionLayer::new())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET])
                .allow_headers([header::AUTHORIZATION, header::IF_NONE_MATCH]),
        )
        .with_state(state)
}

/// With a token set, every data request must carry it (`Authorization: Bearer`, or `?token=`).
async fn auth(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Some(token) = state.config.token.as_deref() else { return next.run(req).await };
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
    let query = req.uri().query().is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes())
            .any(|(k, v)| k == "token" && constant_time_eq(v.as_bytes(), token.as_bytes()))
    });
    if bearer || query {
        let mut resp = next.run(req).await;
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300"));
        resp
    } else {
        AppError::Unauthorized.into_response()
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serve until interrupted (Ctrl-C).
pub async fn run(state: Arc<AppState>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(state.config.addr).await?;
    let router = app(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
