//! `GET /tiles/{layer}.json` (TileJSON 3.0) and `GET /tiles/{layer}/{z}/{x}/{y}.mvt` for every layer of the
//! registry. A tile is cached by layer, tile and the canonical form of the layer's request, gzipped once, and
//! carries an ETag (data version and content): `If-None-Match` gives 304, an empty tile 204.

use super::error::AppError;
use super::state::{AppState, TileBytes};
use crate::tiles::TileId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Arc;

type St = State<Arc<AppState>>;

pub(super) async fn tilejson(
    State(s): St,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, AppError> {
    let layer_name = name.strip_suffix(".json").ok_or_else(|| AppError::NotFound {
        error: format!("no resource '/tiles/{name}': TileJSON is at /tiles/{{layer}}.json"),
        valid: s.layer_names().iter().map(|l| format!("{l}.json")).collect(),
    })?;
    let layer = s.layer(layer_name)?;
    let query = layer.canonical(q.as_deref())?;
    let (name, check) = (layer_name.to_owned(), query.clone());
    s.compute(move |state| state.layer(&name)?.check(&state.ctx, &check)).await?;
    let info = layer.info(s.config.public);
    let base = match &s.config.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => {
            // The Host passed the check (access::check_host), so it is this server's own name.
            let bound = s.config.addr.to_string();
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or(&bound);
            // Behind an HTTPS proxy the tiles must be https too.
            let scheme = headers
                .get("x-forwarded-proto")
                .and_then(|h| h.to_str().ok())
                .filter(|p| *p == "https")
                .unwrap_or("http");
            format!("{scheme}://{host}")
        }
    };
    let mut url = format!("{base}/tiles/{layer_name}/{{z}}/{{x}}/{{y}}.mvt");
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let bounds = data_bounds(&s);
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": info.name,
        "description": info.help,
        "tiles": [url],
        "minzoom": info.minzoom,
        "maxzoom": info.maxzoom,
        "bounds": bounds,
        "vector_layers": [{"id": info.name, "fields": info.fields, "minzoom": info.minzoom, "maxzoom": info.maxzoom}],
    })))
}

/// The extent of the data, lon/lat `[west, south, east, north]`.
fn data_bounds(s: &AppState) -> Value {
    if s.ds.is_empty() {
        return json!([-180.0, -85.0, 180.0, 85.0]);
    }
    let f = |v: &[f64], min: bool| {
        v.iter().copied().fold(if min { 180.0f64 } else { -180.0 }, if min { f64::min } else { f64::max })
    };
    let (lon, lat) = (s.ds.lon(), s.ds.lat());
    json!([f(lon, true), f(lat, true), f(lon, false), f(lat, false)])
}

fn parse_coord(name: &str, v: &str) -> Result<u32, AppError> {
    v.parse::<u32>().map_err(|_| AppError::bad(name, format!("{name}={v} is not a whole number")))
}

pub(super) async fn tile(
    State(s): St,
    Path((layer_name, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let (layer, info) = s.layer_and_info(&layer_name)?;
    let y = y.strip_suffix(".mvt").ok_or_else(|| AppError::bad("y", format!("tile '{y}' must end in .mvt")))?;
    let z = parse_coord("z", &z)?;
    let (minz, maxz) = (info.minzoom, info.maxzoom);
    let z = u8::try_from(z).map_err(|_| AppError::bad("z", format!("z={z} is outside {minz}..={maxz}")))?;
    let t = TileId::new(z, parse_coord("x", &x)?, parse_coord("y", y)?, minz, maxz).map_err(tile_error)?;
    let query = canonical_query(&s, &layer_name, layer, q.as_deref())?;
    let key = format!("{layer_name}/{}/{}/{}?{query}&v={}", t.z, t.x, t.y, s.data_version);
    let bytes = match s.tiles.get(&key) {
        Some(b) => b,
        None => {
            let k = key.clone();
            s.compute(move |state| {
                // The same tile asked by many clients at once is built once.
                state.flights.run(&format!("tile {k}"), || {
                    if let Some(b) = state.tiles.get(&k) {
                        return Ok(b);
                    }
                    let layer = state.layer(&layer_name)?;
                    let b = Arc::new(encode_tile(state, layer.build(&state.ctx, &query, t)?)?);
                    let size = b.raw.as_ref().map_or(64, |r| r.len()) + b.gzip.as_ref().map_or(0, |g| g.len());
                    state.tiles.insert(k.clone(), b.clone(), size + k.len() + 64);
                    Ok(b)
                })
            })
            .await?
        }
    };
    Ok(tile_response(&bytes, &headers, s.config.token.is_some()))
}

/// The canonical form of a layer's request (the tile cache key), remembered by raw query: the same URLs come back
/// again and again, and reading one (dates, numbers, every parameter checked) is most of a cached tile's own work.
fn canonical_query(
    s: &AppState,
    layer_name: &str,
    layer: &dyn super::layers::TileSource,
    raw: Option<&str>,
) -> Result<String, AppError> {
    use super::state::{CANONICAL_KEPT, CANONICAL_QUERY_MAX};
    let raw_key = format!("{layer_name}?{}", raw.unwrap_or(""));
    if let Some(c) = s.canonical.read().ok().and_then(|m| m.get(&raw_key).cloned()) {
        return Ok(c);
    }
    let canonical = layer.canonical(raw)?;
    if raw_key.len() <= CANONICAL_QUERY_MAX
        && let Ok(mut m) = s.canonical.write()
    {
        if m.len() >= CANONICAL_KEPT {
            m.clear();
        }
        m.insert(raw_key, canonical.clone());
    }
    Ok(canonical)
}

fn tile_error(e: crate::tiles::TileError) -> AppError {
    match e.parameter() {
        Some(name) => AppError::bad(name, e.to_string()),
        None => AppError::Internal(e.to_string()),
    }
}

fn encode_tile(s: &AppState, built: crate::tiles::TileLayer) -> Result<TileBytes, AppError> {
    let raw = built.encode().map_err(|e| AppError::Internal(e.to_string()))?;
    let gzip = match &raw {
        Some(r) => {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(r).map_err(|e| AppError::Internal(format!("gzip: {e}")))?;
            Some(enc.finish().map_err(|e| AppError::Internal(format!("gzip: {e}")))?)
        }
        None => None,
    };
    let (raw, gzip) = (raw.map(Bytes::from), gzip.map(Bytes::from));
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw.as_deref().unwrap_or(b"empty"));
    let etag = format!("\"{}-{}\"", &crate::files::hex(&digest)[..20], &s.data_version);
    let etag_header = HeaderValue::from_str(&etag).ok();
    Ok(TileBytes { raw, gzip, etag, etag_header })
}

fn tile_response(b: &TileBytes, headers: &HeaderMap, private: bool) -> Response {
    let cache = if private { "private, max-age=300" } else { "public, max-age=300" };
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == b.etag || t.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match (&b.raw, &b.gzip) {
            (None, _) => StatusCode::NO_CONTENT.into_response(),
            (Some(raw), gz) => {
                let wants_gzip = headers
                    .get(header::ACCEPT_ENCODING)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
                match gz.as_ref().filter(|_| wants_gzip) {
                    Some(g) => {
                        let mut r = (StatusCode::OK, g.clone()).into_response();
                        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                        r
                    }
                    None => (StatusCode::OK, raw.clone()).into_response(),
                }
            }
        }
    };
    let h = resp.headers_mut();
    if b.raw.is_some() && !matches {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"));
    }
    if let Some(v) = &b.etag_header {
        h.insert(header::ETAG, v.clone());
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp
}
