//! `serve --public`: the public map, answered from the published products only ([`crate::publish`]), never from
//! incidents. The server holds the [`Published`] products (built once from the store at start) and nothing else:
//! every answer is one of the documents or tiles `hotspots publish` writes, so the two give the same numbers.
//!
//! Every request's query goes through [`PublicRequest::parse`] in one middleware before any handler runs: a
//! parameter that is not a published choice (a part of a month, a category, a cell size, a bandwidth, a share, harm
//! weights, anything else) is a 400 naming it and saying what is allowed.
//!
//! Routes: `/health`, `/api/meta` and `/index.json` (the index), `/api/summary` and `/api/hotspots` (`period=`,
//! `group=`), `/tiles/public.json` (TileJSON, bounds from the published cells) and `/tiles/public/{z}/{x}/{y}.mvt`
//! (every period and group in one tile, as in the archive), and the public page (`assets/public/`, with
//! `assets/vendor/`). The internal routes (`/api/compare`, `/api/emerging`, `/api/tasking`, other tile layers) are
//! 404s listing these.

use super::context::ServerConfig;
use super::error::AppError;
use crate::publish::index::{hotspots_geojson, index_json, latest, summary_json};
use crate::publish::lattice::{MAX_ZOOM, MIN_ZOOM, Period};
use crate::publish::tiles::{layer_names, tile};
use crate::publish::{PublicRequest, Published};
use crate::tiles::TileId;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tower_http::services::ServeDir;

/// The name of the one public tile layer.
pub const LAYER: &str = "public";

/// What a public server holds: the published products and its configuration.
pub struct PublicServer {
    /// The published products (the same ones `hotspots publish` writes).
    pub published: Published,
    /// Address, token and page directory (`public` is set).
    pub config: ServerConfig,
    tiles: Mutex<HashMap<TileId, Option<Bytes>>>,
}

impl PublicServer {
    /// A public server over published products; each tile is built on its first request and kept.
    pub fn new(published: Published, config: ServerConfig) -> Self {
        PublicServer { published, config, tiles: Mutex::new(HashMap::new()) }
    }
}

type St = State<Arc<PublicServer>>;

/// The routes a public server answers (listed in 404s).
const ROUTES: [&str; 7] = [
    "/health",
    "/api/meta",
    "/index.json",
    "/api/summary?period=&group=",
    "/api/hotspots?period=&group=",
    "/tiles/public.json",
    "/tiles/public/{z}/{x}/{y}.mvt",
];

/// The router of a public server.
pub fn public_app(state: Arc<PublicServer>) -> Router {
    let assets = &state.config.assets_dir;
    let api = Router::new()
        .route("/health", get(health))
        .route("/api/meta", get(meta))
        .route("/index.json", get(meta))
        .route("/api/summary", get(summary))
        .route("/api/hotspots", get(hotspots))
        .route("/api/{route}", get(not_public))
        .route("/tiles/{name}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{y}", get(public_tile))
        .nest_service("/vendor", ServeDir::new(assets.join("vendor")))
        .fallback_service(ServeDir::new(assets.join("public")).append_index_html_on_directories(true));
    api.layer(middleware::from_fn_with_state(state.clone(), check))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::cors::CorsLayer::new().allow_origin(tower_http::cors::Any))
        .with_state(state)
}

/// The one validation of every public request (and the token, when one is set).
async fn check(State(s): St, mut req: Request, next: Next) -> Response {
    let pairs: Vec<(String, String)> =
        req.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    if let Some(token) = s.config.token.as_deref() {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| constant_time_eq(t.as_bytes(), token.as_bytes()));
        let query = pairs.iter().any(|(k, v)| k == "token" && constant_time_eq(v.as_bytes(), token.as_bytes()));
        if !bearer && !query {
            return AppError::Unauthorized.into_response();
        }
    }
    match PublicRequest::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &s.published.periods) {
        Ok(r) => {
            req.extensions_mut().insert(r);
            next.run(req).await
        }
        Err(e) => AppError::bad(&e.parameter, e.to_string()).into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn request(req: &Request) -> PublicRequest {
    req.extensions().get::<PublicRequest>().copied().unwrap_or(PublicRequest { period: None, group: 0 })
}

/// The period asked for, or the latest published month.
fn period_of(s: &PublicServer, r: PublicRequest) -> Result<Period, AppError> {
    r.period.or_else(|| latest(&s.published)).ok_or_else(|| AppError::NotFound {
        error: "nothing is published: the store holds no complete calendar month".into(),
        valid: Vec::new(),
    })
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "public": true}))
}

async fn meta(State(s): St) -> Json<Value> {
    let mut doc = index_json(&s.published, json!({"url": format!("tiles/{LAYER}/{{z}}/{{x}}/{{y}}.mvt")}));
    if let Some(o) = doc.as_object_mut() {
        o.insert("public".into(), json!(true));
        o.insert("min_count".into(), json!(s.published.tables.base));
    }
    Json(doc)
}

async fn summary(State(s): St, req: Request) -> Result<Json<Value>, AppError> {
    let r = request(&req);
    let p = period_of(&s, r)?;
    summary_json(&s.published, p, r.group).map(Json).ok_or_else(|| AppError::Internal("no product".into()))
}

async fn hotspots(State(s): St, req: Request) -> Result<Json<Value>, AppError> {
    let r = request(&req);
    let p = period_of(&s, r)?;
    hotspots_geojson(&s.published, p, r.group).map(Json).ok_or_else(|| AppError::Internal("no product".into()))
}

async fn not_public(Path(route): Path<String>) -> AppError {
    AppError::NotFound {
        error: format!("/api/{route} is not published: a public map answers only its published products"),
        valid: ROUTES.iter().map(|r| (*r).to_owned()).collect(),
    }
}

async fn tilejson(State(s): St, Path(name): Path<String>) -> Result<Json<Value>, AppError> {
    if name != format!("{LAYER}.json") {
        return Err(AppError::NotFound {
            error: format!("no layer '{name}': a public map has one tile set, with every published layer"),
            valid: vec![format!("{LAYER}.json")],
        });
    }
    let p = &s.published;
    let layers: Vec<Value> = layer_names(p)
        .iter()
        .map(|l| json!({"id": l, "fields": {}, "minzoom": MIN_ZOOM, "maxzoom": MAX_ZOOM}))
        .collect();
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": "hotspots public map",
        "tiles": [format!("tiles/{LAYER}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        // The published cells' corners, never an incident.
        "bounds": p.bounds_lonlat,
        "vector_layers": layers,
    })))
}

async fn public_tile(
    State(s): St,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    if layer != LAYER {
        return Err(AppError::NotFound {
            error: format!("no layer '{layer}': a public map has one tile set, with every published layer"),
            valid: vec![LAYER.to_owned()],
        });
    }
    let y = y.strip_suffix(".mvt").ok_or_else(|| AppError::bad("y", format!("tile '{y}' must end in .mvt")))?;
    let num = |name: &str, v: &str| {
        v.parse::<u32>().map_err(|_| AppError::bad(name, format!("{name}={v} is not a whole number")))
    };
    let z = num("z", &z)?;
    let z = u8::try_from(z).map_err(|_| AppError::bad("z", format!("z={z} is outside {MIN_ZOOM}..={MAX_ZOOM}")))?;
    let t = TileId::new(z, num("x", &x)?, num("y", y)?, MIN_ZOOM, MAX_ZOOM)
        .map_err(|e| AppError::bad(e.parameter().unwrap_or("z"), e.to_string()))?;
    // Outside the published tile set: empty, with nothing computed or kept.
    let outside = s.published.tile_bounds_lonlat.is_none_or(|b| {
        let tb = crate::tiles::tile_bounds_lonlat(t);
        b[0] > tb[2] || b[2] < tb[0] || b[1] > tb[3] || b[3] < tb[1]
    });
    let cached = if outside { Some(None) } else { s.tiles.lock().ok().and_then(|m| m.get(&t).cloned()) };
    let bytes = match cached {
        Some(b) => b,
        None => {
            let st = s.clone();
            let b = tokio::task::spawn_blocking(move || tile(&st.published, t))
                .await
                .map_err(|e| AppError::Internal(format!("a tile failed: {e}")))?
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map(Bytes::from);
            if let Ok(mut m) = s.tiles.lock() {
                m.insert(t, b.clone());
            }
            b
        }
    };
    let mut resp = match bytes {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(b) => (StatusCode::OK, b).into_response(),
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(resp)
}
