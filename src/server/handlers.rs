//! Route handlers: parse, validate, compute off the async runtime, answer.

use super::error::AppError;
use super::layers;
use super::params::{self, RequestParams};
use super::state::{AppState, TileBytes};
use crate::analysis::hotspots::{RankBy, cell_owner, incidents_in_groups};
use crate::analysis::tasking::previous_with_data;
use crate::geo::Projector;
use crate::model::Query;
use crate::model::time::{format_instant, month_label};
use crate::tiles::TileId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

type St = State<Arc<AppState>>;

pub async fn health(State(s): St) -> Json<Value> {
    Json(json!({"status": "ok", "incidents": s.ds.len()}))
}

/// Layers this server offers (no incidents in public mode).
fn layer_names(s: &AppState) -> Vec<String> {
    layers::LAYERS
        .iter()
        .filter(|l| !(s.config.public && **l == "incidents"))
        .map(|l| (*l).to_owned())
        .chain(s.areas.iter().map(|a| format!("areas-{}", a.name)))
        .collect()
}

fn time_span(s: &AppState) -> (Option<i64>, Option<i64>) {
    let t = s.ds.time_s();
    let p = s.ds.precision();
    let from = t.iter().copied().min();
    let to = t.iter().zip(p).map(|(&t, &p)| crate::model::time::interval_end_s(t, p)).max();
    (from, to)
}

pub async fn meta(State(s): St) -> Json<Value> {
    let (from, to) = time_span(&s);
    let mut cats: Vec<&String> = s.ds.categories().names().iter().collect();
    cats.sort();
    let (lon, lat) = (s.ds.lon(), s.ds.lat());
    let bbox = if s.ds.is_empty() {
        Value::Null
    } else {
        let f = |v: &[f64], min: bool| {
            v.iter().copied().fold(if min { f64::MAX } else { f64::MIN }, if min { f64::min } else { f64::max })
        };
        json!([f(lon, true), f(lat, true), f(lon, false), f(lat, false)])
    };
    Json(json!({
        "categories": cats,
        "time": {"from": from.map(format_instant), "to": to.map(format_instant)},
        "bbox": bbox,
        "layers": layer_names(&s),
        "areas": s.areas.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "public": s.config.public,
        "min_count": s.config.min_count,
        "basemap": s.config.basemap,
        "defaults": {"cell_m": Value::Null, "bandwidth_m": Value::Null},
        "incidents": s.ds.len(),
    }))
}

pub async fn summary(State(s): St, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p = params::parse(q.as_deref())?;
    s.compute(move |state| summary_json(state, &p)).await.map(Json)
}

fn summary_json(s: &AppState, p: &RequestParams) -> Result<Value, AppError> {
    let sel = p
        .analysis
        .query
        .select(&s.ds)
        .map_err(|e| AppError::from(crate::analysis::pipeline::AnalysisError::Query(e)))?;
    let (cats, times, ws) = (s.ds.category_ids(), s.ds.time_s(), s.ds.weight());
    let mut by_cat: BTreeMap<String, u64> = BTreeMap::new();
    let (mut harm, mut fine) = (0.0, true);
    for &i in &sel.indices {
        let i = i as usize;
        let c = usize::from(cats[i]);
        *by_cat.entry(s.ds.categories().name(c as u32).unwrap_or("").to_owned()).or_insert(0) += 1;
        harm += f64::from(ws[i]) * s.harm_by_category.get(c).copied().unwrap_or(1.0);
        fine &= s.ds.precision()[i] < crate::model::TimePrecision::Day;
    }
    // Weeks when every incident is known to the hour or better and the window is at most half a year; else months.
    let span = match (p.analysis.query.from_s, p.analysis.query.to_s) {
        (Some(f), Some(t)) => t - f,
        _ => i64::MAX,
    };
    let weekly = fine && !sel.is_empty() && span <= 183 * 86_400;
    let mut series: BTreeMap<String, u64> = BTreeMap::new();
    for &i in &sel.indices {
        let t = times[i as usize];
        let label = if weekly {
            // Monday of the ISO week (1970-01-01 was a Thursday).
            let days = t.div_euclid(86_400);
            format_instant((days - (days + 3).rem_euclid(7)) * 86_400)[..10].to_owned()
        } else {
            month_label(t)
        };
        *series.entry(label).or_insert(0) += 1;
    }
    let mut out = json!({
        "incidents": sel.len(),
        "harm": harm,
        "categories": by_cat,
        "interval": if weekly { "week" } else { "month" },
        "series": series.into_iter().map(|(period, count)| json!({"period": period, "count": count})).collect::<Vec<_>>(),
        "warnings": sel.warnings,
        "parameters": {"from": p.analysis.query.from_s.map(format_instant), "to": p.analysis.query.to_s.map(format_instant),
            "categories": p.analysis.query.categories, "harm_table": s.harm_label},
    });
    if s.config.public
        && let Some(obj) = out.get_mut("categories").and_then(Value::as_object_mut)
    {
        let min = u64::from(s.config.min_count);
        obj.retain(|_, v| v.as_u64().is_some_and(|n| n >= min));
    }
    Ok(out)
}

fn rank_by(p: &RequestParams) -> RankBy {
    match p.rank_by.as_deref() {
        Some("harm") => RankBy::Harm,
        _ => RankBy::Count,
    }
}

pub async fn hotspots(State(s): St, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p = params::parse(q.as_deref())?;
    s.compute(move |state| hotspots_json(state, &p)).await.map(Json)
}

fn hotspots_json(s: &AppState, p: &RequestParams) -> Result<Value, AppError> {
    let Some(a) = s.analysis(&p.analysis)? else {
        let q = &p.analysis.query;
        return Ok(json!({"type": "FeatureCollection", "features": [],
            "parameters": {"from": q.from_s.map(format_instant), "to": q.to_s.map(format_instant), "categories": q.categories},
            "warnings": ["no incidents match the window and categories"]}));
    };
    let band = p.band_m.unwrap_or(a.prepared.params.bandwidth_m);
    let method = p.method.as_deref().unwrap_or("kde");
    let set = layers::hotspots_for(s, &a, method, band, p.top_share.unwrap_or(0.01), rank_by(p))?;
    let top = p.top.unwrap_or(10);
    let mut doc = crate::report::analysis::hotspots_geojson(&set, &a.prepared.params, usize::MAX);
    // Incidents in the same cells over the equal window before, for the trend.
    let previous = previous_counts(s, p, &a, &set);
    let min = u64::from(s.config.min_count);
    if let Some(features) = doc.get_mut("features").and_then(Value::as_array_mut) {
        for (k, f) in features.iter_mut().enumerate() {
            if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
                props.insert("previous_incidents".into(), previous.as_ref().map_or(Value::Null, |v| json!(v[k])));
                if s.config.public {
                    props.remove("top_locations");
                }
            }
        }
        if s.config.public {
            features.retain(|f| f["properties"]["incidents"].as_u64().is_some_and(|n| n >= min));
        }
        features.truncate(top);
    }
    Ok(doc)
}

/// For each hotspot, incidents in its cells in the window of equal length just before (as many whole months earlier
/// for whole months); `None` without a window, or when the store has no data for that window
/// ([`previous_with_data`]: a change would be invented).
fn previous_counts(
    s: &AppState,
    p: &RequestParams,
    a: &super::state::Analysis,
    set: &crate::analysis::hotspots::HotspotSet,
) -> Option<Vec<u64>> {
    let window = crate::analysis::compare::Window { from_s: p.analysis.query.from_s?, to_s: p.analysis.query.to_s? };
    let previous = previous_with_data(&s.ds, window)?;
    let q = Query {
        from_s: Some(previous.from_s),
        to_s: Some(previous.to_s),
        categories: p.analysis.query.categories.clone(),
    };
    let sel = q.select(&s.ds).ok()?;
    let grid = &a.surface.grid;
    let owner = cell_owner(grid.n_cells(), set.hotspots.iter().map(|h| h.cell_indices.as_slice()));
    let counts = incidents_in_groups(&s.ds, &sel.indices, grid, &owner, set.hotspots.len(), &s.harm_by_category);
    Some(counts.into_iter().map(|(n, _)| n).collect())
}

/// Field types of each layer, for TileJSON.
fn fields(layer: &str, public: bool) -> Value {
    match layer {
        "incidents" => json!({"count": "Number", "top_category": "String", "location": "String"}),
        "density" => json!({"density_per_km2": "Number", "expected": "Number"}),
        "gistar" => json!({"z": "Number", "p": "Number", "bin": "Number", "count": "Number"}),
        "emerging" => json!({"class": "String", "name": "String", "hot_steps": "Number", "cold_steps": "Number",
            "mk_z": "Number", "incidents": "Number"}),
        "change" => json!({"before": "Number", "after": "Number", "difference": "Number", "p": "Number",
            "significant": "Number"}),
        "hex" => json!({"h3": "String", "count": "Number", "weight": "Number"}),
        "hotspots" if public => json!({"id": "String", "rank": "Number", "incidents": "Number", "harm": "Number",
            "pai": "Number", "hit_rate": "Number", "area_m2": "Number", "top_category": "String"}),
        "hotspots" => json!({"id": "String", "rank": "Number", "incidents": "Number", "harm": "Number",
            "pai": "Number", "hit_rate": "Number", "area_m2": "Number", "top_category": "String", "top_street": "String"}),
        _ => json!({"key": "String", "name": "String", "count": "Number"}),
    }
}

fn check_layer(s: &AppState, layer: &str) -> Result<(), AppError> {
    let known = if let Some(area) = layer.strip_prefix("areas-") {
        s.areas.iter().any(|a| a.name == area)
    } else {
        layers::LAYERS.contains(&layer) && !(s.config.public && layer == "incidents")
    };
    if known {
        Ok(())
    } else {
        let names = layer_names(s);
        let extra = if s.config.public && layer == "incidents" { " (not served in public mode)" } else { "" };
        Err(AppError::NotFound { error: format!("no layer '{layer}'{extra}"), valid: names })
    }
}

fn zoom_range(layer: &str) -> (u8, u8) {
    if layer.starts_with("areas-") { (0, 20) } else { layers::zoom_range(layer) }
}

pub async fn tilejson(
    State(s): St,
    Path(name): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, AppError> {
    let layer = name.strip_suffix(".json").ok_or_else(|| AppError::NotFound {
        error: format!("no resource '/tiles/{name}': TileJSON is at /tiles/{{layer}}.json"),
        valid: layer_names(&s).iter().map(|l| format!("{l}.json")).collect(),
    })?;
    check_layer(&s, layer)?;
    let p = params::parse(q.as_deref())?;
    if layer == "change" {
        p.windows()?;
    }
    if layer == "emerging" {
        // A period finer than the data's precision fails here, once, rather than in every tile.
        let check = p.clone();
        s.compute(move |state| super::tasking::emerging_for(state, &check).map(|_| ())).await?;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let query = params::tile_query(&p);
    // Behind an HTTPS proxy the tiles must be https too.
    let scheme =
        headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|p| *p == "https").unwrap_or("http");
    let mut url = format!("{scheme}://{host}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt");
    if !query.is_empty() {
        url = format!("{url}?{query}");
    }
    let (minzoom, maxzoom) = zoom_range(layer);
    let lon = s.ds.lon();
    let lat = s.ds.lat();
    let f = |v: &[f64], min: bool| {
        v.iter().copied().fold(if min { 180.0f64 } else { -180.0 }, if min { f64::min } else { f64::max })
    };
    let bounds = if s.ds.is_empty() {
        json!([-180.0, -85.0, 180.0, 85.0])
    } else {
        json!([f(lon, true), f(lat, true), f(lon, false), f(lat, false)])
    };
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": layer,
        "tiles": [url],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": bounds,
        "vector_layers": [{"id": layer, "fields": fields(layer, s.config.public), "minzoom": minzoom, "maxzoom": maxzoom}],
    })))
}

fn parse_coord(name: &str, v: &str) -> Result<u32, AppError> {
    v.parse::<u32>().map_err(|_| AppError::bad(name, format!("{name}={v} is not a whole number")))
}

pub async fn tile(
    State(s): St,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    check_layer(&s, &layer)?;
    let y = y.strip_suffix(".mvt").ok_or_else(|| AppError::bad("y", format!("tile '{y}' must end in .mvt")))?;
    let z = parse_coord("z", &z)?;
    let (minz, maxz) = zoom_range(&layer);
    let z = u8::try_from(z).map_err(|_| AppError::bad("z", format!("z={z} is outside {minz}..={maxz}")))?;
    let t = TileId::new(z, parse_coord("x", &x)?, parse_coord("y", y)?, minz, maxz).map_err(tile_error)?;
    let p = params::parse(q.as_deref())?;
    if layer == "change" {
        p.windows()?;
    }
    let key = format!(
        "{layer}/{}/{}/{}?{}&band={:?}&rule={:?}/{:?}/{:?}&cmp={:?}/{:?}/{:?}&period={:?}&v={}",
        t.z,
        t.x,
        t.y,
        params::analysis_key(&p.analysis),
        p.band_m.map(f64::to_bits),
        p.method,
        p.top_share.map(f64::to_bits),
        p.rank_by,
        p.before.map(|w| w.text()),
        p.after.map(|w| w.text()),
        p.fdr_q.map(f64::to_bits),
        p.period.map(|x| x.name()),
        s.data_version
    );
    let bytes = match s.tiles.get(&key) {
        Some(b) => b,
        None => {
            let (st, k) = (s.clone(), key.clone());
            let built = s.compute(move |state| build_tile(state, &layer, t, &p)).await?;
            let b = Arc::new(built);
            let size = b.raw.as_ref().map_or(64, |r| r.len()) + b.gzip.as_ref().map_or(0, |g| g.len());
            st.tiles.insert(k, b.clone(), size);
            b
        }
    };
    Ok(tile_response(&bytes, &headers, s.config.token.is_some()))
}

fn tile_error(e: crate::tiles::TileError) -> AppError {
    match e.parameter() {
        Some(name) => AppError::bad(name, e.to_string()),
        None => AppError::Internal(e.to_string()),
    }
}

fn build_tile(s: &AppState, layer: &str, t: TileId, p: &RequestParams) -> Result<TileBytes, AppError> {
    if layer == "emerging" {
        let built = match super::tasking::emerging_for(s, p)? {
            Some(run) => {
                let projector = Projector::new(s.ds.crs()).map_err(|e| AppError::Internal(e.to_string()))?;
                super::tasking::emerging_layer(s, &run, t, &projector)
            }
            None => crate::tiles::TileLayer::new(t, layer),
        };
        return encode_tile(s, built);
    }
    if layer == "change" {
        let built = match super::compare::change_for(s, p)? {
            Some(cg) => {
                let projector = Projector::new(s.ds.crs()).map_err(|e| AppError::Internal(e.to_string()))?;
                super::compare::change_layer(s, &cg, t, &projector)
            }
            None => crate::tiles::TileLayer::new(t, layer),
        };
        return encode_tile(s, built);
    }
    let analysis = s.analysis(&p.analysis)?;
    let Some(a) = analysis else {
        // No incident in the window: area outlines still draw (with zero counts); every other layer is empty.
        let built = match layer.strip_prefix("areas-").and_then(|n| s.areas.iter().position(|a| a.name == n)) {
            Some(k) => layers::areas(s, &zeros(s.areas[k].areas.len()), t, k),
            None => crate::tiles::TileLayer::new(t, layer),
        };
        return encode_tile(s, built);
    };
    let projector = Projector::new(s.ds.crs()).map_err(|e| AppError::Internal(e.to_string()))?;
    let band = p.band_m.unwrap_or(a.prepared.params.bandwidth_m);
    let built = match layer {
        "incidents" => layers::incidents(s, &a, t),
        "density" => layers::density(s, &a, t, &projector),
        "gistar" => layers::gistar(s, &a, t, &projector, band)?,
        "hex" => layers::hex(s, &a, t)?,
        "hotspots" => {
            let set = layers::hotspots_for(
                s,
                &a,
                p.method.as_deref().unwrap_or("kde"),
                band,
                p.top_share.unwrap_or(0.01),
                rank_by(p),
            )?;
            layers::hotspots(s, &set, t)
        }
        other => {
            let name = other.strip_prefix("areas-").unwrap_or(other);
            let k = s
                .areas
                .iter()
                .position(|a| a.name == name)
                .ok_or_else(|| AppError::NotFound { error: format!("no layer '{other}'"), valid: layer_names(s) })?;
            layers::areas(s, &layers::area_counts(s, &a, k), t, k)
        }
    };
    encode_tile(s, built)
}

fn zeros(n: usize) -> Vec<u64> {
    vec![0; n]
}

fn encode_tile(s: &AppState, built: crate::tiles::TileLayer) -> Result<TileBytes, AppError> {
    let raw = built.encode().map_err(|e| AppError::Internal(e.to_string()))?;
    let gzip = raw.as_ref().and_then(|r| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(r).ok()?;
        enc.finish().ok()
    });
    let (raw, gzip) = (raw.map(Bytes::from), gzip.map(Bytes::from));
    use sha2::Digest;
    let digest = sha2::Sha256::digest(raw.as_deref().unwrap_or(b"empty"));
    let etag = format!("\"{}-{}\"", &crate::ingest::source::hex(&digest)[..20], &s.data_version);
    Ok(TileBytes { raw, gzip, etag })
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
    if let Ok(v) = HeaderValue::from_str(&b.etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp
}
