//! The map server through its router (no socket): routes, status codes, caching headers, access modes, and tiles
//! decoded with mvt-reader.

use crate::common::{TempStore, dorset_months, tile_of};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, ServerConfig, app};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// A dataset of the three 2024 Dorset months, loaded once.
fn dataset() -> &'static hotspots::model::Dataset {
    static DS: OnceLock<hotspots::model::Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let mut t = TempStore::new();
        for m in &dorset_months()[5..] {
            t.ingest(m, &IngestOptions::default()).unwrap();
        }
        t.store.load_dataset(None).unwrap()
    })
}

fn state(public: bool, token: Option<&str>) -> Arc<AppState> {
    let ds = dataset().clone();
    let mut config =
        ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    config.public = public;
    config.token = token.map(str::to_owned);
    let areas = vec![
        hotspots::areas::AreaLayer::from_geojson_path(
            &crate::common::fixtures().join("boundaries").join("boundary_poole.geojson"),
        )
        .unwrap(),
    ];
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(hotspots::server::Context::new(ds, harm, "unit".into(), areas, config, "test".into())))
}

struct Got {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn get(state: &Arc<AppState>, uri: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app(state.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec();
    Got { status, headers, body }
}

const WINDOW: &str = "from=2024-01&to=2024-04&cell_m=100&bandwidth_m=300";

#[tokio::test]
async fn health_meta_summary_and_hotspots() {
    let s = state(false, None);
    let g = get(&s, "/health", &[]).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["incidents"], dataset().len());

    let m = get(&s, "/api/meta", &[]).await.json();
    assert_eq!(m["categories"].as_array().unwrap().len(), 14);
    assert_eq!(m["time"]["from"], "2024-01-01T00:00:00Z");
    assert!(m["layers"].as_array().unwrap().iter().any(|l| l["name"] == "incidents"));
    assert!(m["layers"].as_array().unwrap().iter().any(|l| l["name"] == "areas-boundary_poole"));

    let sum = get(&s, &format!("/api/summary?{WINDOW}"), &[]).await.json();
    assert_eq!(sum["incidents"], dataset().len());
    assert_eq!(sum["interval"], "month");
    let series: u64 = sum["series"].as_array().unwrap().iter().map(|p| p["count"].as_u64().unwrap()).sum();
    assert_eq!(series, dataset().len() as u64);

    let h = get(&s, &format!("/api/hotspots?{WINDOW}&top=3"), &[]).await.json();
    let f = h["features"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(f[0]["properties"]["rank"], 1);
    // No data before 2024 in this dataset: there is no earlier window to compare with (null, not 0).
    assert_eq!(f[0]["properties"]["previous_incidents"], Value::Null);
    // February to March has January before it.
    let h2 = get(&s, "/api/hotspots?from=2024-02&to=2024-03&cell_m=100&bandwidth_m=300&top=3", &[]).await.json();
    assert!(h2["features"][0]["properties"]["previous_incidents"].as_u64().is_some());
    assert!(f[0]["properties"]["top_locations"].as_array().is_some());
    assert_eq!(h["parameters"]["cell_m"], 100.0);

    // Same answer for the same query in another order (canonical cache key) and for the CLI's `find`.
    let again = get(&s, "/api/hotspots?top=3&bandwidth_m=300&cell_m=100&to=2024-04&from=2024-01", &[]).await.json();
    assert_eq!(again, h);
}

#[tokio::test]
async fn bad_requests_name_the_parameter() {
    let s = state(false, None);
    for (uri, param) in [
        ("/api/hotspots?from=2024-13", "from"),
        ("/api/hotspots?from=2024-03&to=2024-02", "from"),
        ("/api/hotspots?category=Arson", "category"),
        ("/api/summary?wat=1", "wat"),
        ("/tiles/density/25/0/0.mvt", "z"),
        ("/tiles/density/3/0/0.mvt", "z"),
        ("/tiles/hotspots/2/4/0.mvt", "x"),
        ("/tiles/hotspots/2/0/9.mvt", "y"),
        ("/tiles/hotspots/2/0/abc.mvt", "y"),
        ("/tiles/hotspots/2/0/0.png", "y"),
    ] {
        let g = get(&s, uri, &[]).await;
        assert_eq!(g.status, 400, "{uri}: {}", String::from_utf8_lossy(&g.body));
        assert_eq!(g.json()["parameter"], param, "{uri}");
    }
    let g = get(&s, "/api/hotspots?category=Arson", &[]).await;
    assert!(g.json()["error"].as_str().unwrap().contains("Burglary"), "the valid categories are listed");
    let g = get(&s, "/tiles/heat/1/0/0.mvt", &[]).await;
    assert_eq!(g.status, 404);
    assert!(g.json()["valid"].as_array().unwrap().iter().any(|v| v == "density"));
    assert_eq!(get(&s, "/tiles/heat.json", &[]).await.status, 404);
}

#[tokio::test]
async fn tiles_with_etags_gzip_and_empty_tiles() {
    let s = state(false, None);
    let tj = get(&s, &format!("/tiles/density.json?{WINDOW}"), &[("host", "localhost:9")]).await.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    let url = tj["tiles"][0].as_str().unwrap();
    assert!(url.starts_with("http://localhost:9/tiles/density/{z}/{x}/{y}.mvt?from=2024-01-01"), "{url}");
    assert_eq!(tj["vector_layers"][0]["id"], "density");
    assert_eq!(tj["minzoom"], 8);

    // Bournemouth at zoom 13.
    let (x, y) = tile_of(-1.8760, 50.7200, 13);
    let uri = format!("/tiles/density/13/{x}/{y}.mvt?{WINDOW}");
    let g = get(&s, &uri, &[]).await;
    assert_eq!(g.status, 200, "{}", String::from_utf8_lossy(&g.body));
    assert_eq!(g.headers[header::CONTENT_TYPE], "application/vnd.mapbox-vector-tile");
    assert!(g.headers[header::CACHE_CONTROL].to_str().unwrap().contains("max-age"));
    let etag = g.headers[header::ETAG].to_str().unwrap().to_owned();
    check_tile(&g.body, "density");

    let g304 = get(&s, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(g304.status, 304);
    assert!(g304.body.is_empty());
    let gz = get(&s, &uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.headers[header::CONTENT_ENCODING], "gzip");

    // The middle of the Atlantic: nothing there.
    let (x, y) = tile_of(-30.0, 40.0, 13);
    let empty = get(&s, &format!("/tiles/density/13/{x}/{y}.mvt?{WINDOW}"), &[]).await;
    assert_eq!(empty.status, 204);

    for (layer, lon, lat) in [
        ("hotspots", -1.8760, 50.7200),
        ("gistar", -1.8760, 50.7200),
        ("hex", -1.8760, 50.7200),
        ("incidents", -1.8760, 50.7200),
        ("areas-boundary_poole", -1.9800, 50.7200),
    ] {
        let (x, y) = tile_of(lon, lat, 13);
        let g = get(&s, &format!("/tiles/{layer}/13/{x}/{y}.mvt?{WINDOW}"), &[]).await;
        assert_eq!(g.status, 200, "{layer}: {}", String::from_utf8_lossy(&g.body));
        check_tile(&g.body, layer);
    }
}

/// Decode a tile and check MVT 2.1's invariants.
fn check_tile(bytes: &[u8], layer: &str) {
    let r = mvt_reader::Reader::new(bytes.to_vec()).unwrap();
    let meta = r.get_layer_metadata().unwrap();
    assert_eq!(meta.len(), 1);
    assert_eq!(meta[0].name, layer);
    assert_eq!(meta[0].extent, 4096);
    let feats = r.get_features(0).unwrap();
    assert!(!feats.is_empty(), "{layer}: no features");
    for f in feats {
        let polys = match f.geometry {
            geo_types::Geometry::Polygon(p) => vec![p],
            geo_types::Geometry::MultiPolygon(mp) => mp.0,
            _ => vec![],
        };
        for p in polys {
            let ext = &p.exterior().0;
            // Surveyor's area with y down: positive = clockwise on screen.
            let area: f64 = ext.windows(2).map(|w| f64::from(w[0].x * w[1].y - w[1].x * w[0].y)).sum();
            assert!(area > 0.0, "{layer}: exterior ring not clockwise on screen");
            for pair in ext.windows(2) {
                assert!(pair[0] != pair[1], "{layer}: repeated vertex");
            }
            for c in ext {
                assert!(c.x >= -64.0 && c.x <= 4160.0 && c.y >= -64.0 && c.y <= 4160.0, "{layer}: outside the buffer");
            }
        }
    }
}

#[tokio::test]
async fn incidents_are_conserved_across_the_tiles_of_a_zoom() {
    let s = state(false, None);
    let window = "from=2024-03&to=2024-04&cell_m=200&bandwidth_m=400";
    let expected = get(&s, &format!("/api/summary?{window}"), &[]).await.json()["incidents"].as_u64().unwrap();
    let ds = dataset();
    for z in [9u8, 12, 15] {
        let mut tiles: Vec<(u32, u32)> = (0..ds.len()).map(|i| tile_of(ds.lon()[i], ds.lat()[i], z)).collect();
        tiles.sort_unstable();
        tiles.dedup();
        let mut total = 0u64;
        for (x, y) in tiles {
            let g = get(&s, &format!("/tiles/incidents/{z}/{x}/{y}.mvt?{window}"), &[]).await;
            if g.status == 204 {
                continue;
            }
            assert_eq!(g.status, 200);
            assert!(g.body.len() < 500_000, "tile over 500 KB");
            let r = mvt_reader::Reader::new(g.body).unwrap();
            for f in r.get_features(0).unwrap() {
                if let Some(mvt_reader::feature::Value::UInt(n)) = f.properties.as_ref().and_then(|p| p.get("count")) {
                    total += n;
                }
            }
        }
        assert_eq!(total, expected, "zoom {z}: incidents in tiles vs in the window");
    }
}

#[tokio::test]
async fn public_mode_serves_aggregates_only() {
    let s = state(true, None);
    let m = get(&s, "/api/meta", &[]).await.json();
    assert!(!m["layers"].as_array().unwrap().iter().any(|l| l["name"] == "incidents"));
    assert_eq!(get(&s, "/tiles/incidents/13/4062/2752.mvt", &[]).await.status, 404);
    let h = get(&s, &format!("/api/hotspots?{WINDOW}&top=50"), &[]).await.json();
    for f in h["features"].as_array().unwrap() {
        assert!(f["properties"].get("top_locations").is_none());
        assert!(f["properties"]["incidents"].as_u64().unwrap() >= 5);
    }
    let (x, y) = tile_of(-1.8760, 50.7200, 13);
    let g = get(&s, &format!("/tiles/hex/13/{x}/{y}.mvt?{WINDOW}"), &[]).await;
    let r = mvt_reader::Reader::new(g.body).unwrap();
    for f in r.get_features(0).unwrap() {
        match f.properties.as_ref().and_then(|p| p.get("count")) {
            Some(mvt_reader::feature::Value::UInt(n)) => assert!(*n >= 5),
            other => panic!("{other:?}"),
        }
    }
    let g = get(&s, &format!("/tiles/hotspots/13/{x}/{y}.mvt?{WINDOW}"), &[]).await;
    let r = mvt_reader::Reader::new(g.body).unwrap();
    for f in r.get_features(0).unwrap() {
        assert!(f.properties.as_ref().unwrap().get("top_street").is_none(), "no location text in public mode");
    }
}

#[tokio::test]
async fn an_empty_window_is_an_empty_answer() {
    let s = state(false, None);
    let q = "from=2023-01&to=2023-02&cell_m=100&bandwidth_m=300";
    let h = get(&s, &format!("/api/hotspots?{q}"), &[]).await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["features"].as_array().unwrap().len(), 0);
    let (x, y) = tile_of(-1.8760, 50.7200, 13);
    assert_eq!(get(&s, &format!("/tiles/density/13/{x}/{y}.mvt?{q}"), &[]).await.status, 204);
    let (x, y) = tile_of(-1.98, 50.72, 13);
    let a = get(&s, &format!("/tiles/areas-boundary_poole/13/{x}/{y}.mvt?{q}"), &[]).await;
    assert_eq!(a.status, 200, "outlines still draw");
    let r = mvt_reader::Reader::new(a.body).unwrap();
    let f = r.get_features(0).unwrap();
    assert_eq!(f[0].properties.as_ref().unwrap().get("count"), Some(&mvt_reader::feature::Value::UInt(0)));
}

#[tokio::test]
async fn tilejson_carries_the_hotspot_rule() {
    let s = state(false, None);
    let tj = get(&s, "/tiles/hotspots.json?method=gistar&rank_by=harm&top_share=0.02", &[]).await.json();
    let url = tj["tiles"][0].as_str().unwrap();
    assert!(url.contains("method=gistar") && url.contains("rank_by=harm") && url.contains("top_share=0.02"), "{url}");
    let https = get(&s, "/tiles/density.json", &[("x-forwarded-proto", "https")]).await.json();
    assert!(https["tiles"][0].as_str().unwrap().starts_with("https://"));
}

#[tokio::test]
async fn a_token_guards_every_route() {
    let s = state(false, Some("s3cret"));
    assert_eq!(get(&s, "/health", &[]).await.status, 401);
    assert_eq!(get(&s, "/health", &[("authorization", "Bearer wrong")]).await.status, 401);
    assert_eq!(get(&s, "/health", &[("authorization", "Bearer s3cret")]).await.status, 200);
    // The token in the query string only when the server allows it (it lands in logs).
    assert_eq!(get(&s, "/api/meta?token=s3cret", &[]).await.status, 401);
    let mut config = s.config.clone();
    config.allow_query_token = true;
    let q = with_config(config);
    assert_eq!(get(&q, "/api/meta?token=s3cret", &[]).await.status, 200);
    assert_eq!(get(&q, "/api/meta?token=", &[]).await.status, 401);
    assert_eq!(get(&q, "/api/meta?token=s3cre", &[]).await.status, 401);
    let g = get(&s, "/health", &[("authorization", "Bearer s3cret")]).await;
    assert!(g.headers[header::CACHE_CONTROL].to_str().unwrap().starts_with("private"));
    assert_eq!(get(&s, "/tiles/density/13/4062/2752.mvt", &[]).await.status, 401);
    // The page's own files hold no data and load without the token (a browser cannot send it on <script>).
    assert_eq!(get(&s, "/index.html", &[]).await.status, 200);
}

/// A state over the same data with another configuration.
fn with_config(config: ServerConfig) -> Arc<AppState> {
    let ds = dataset().clone();
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(hotspots::server::Context::new(ds, harm, "unit".into(), vec![], config, "test".into())))
}

#[tokio::test]
async fn cors_is_off_unless_one_origin_is_allowed_and_the_host_is_checked() {
    let s = state(false, None);
    let origin = [("origin", "https://evil.example")];
    let g = get(&s, "/api/meta", &origin).await;
    assert_eq!(g.status, 200);
    assert!(!g.headers.contains_key("access-control-allow-origin"), "{:?}", g.headers);
    let mut config = s.config.clone();
    config.cors_origin = Some("https://analysts.example.org".into());
    let c = with_config(config);
    let g = get(&c, "/api/meta", &[("origin", "https://analysts.example.org")]).await;
    assert_eq!(g.headers["access-control-allow-origin"], "https://analysts.example.org");
    let g = get(&c, "/api/meta", &origin).await;
    assert!(g.headers.get("access-control-allow-origin").is_none_or(|v| v != "https://evil.example"));

    // DNS rebinding: a name of the attacker's pointing at 127.0.0.1 is refused, on data and page alike.
    for uri in ["/api/meta", "/tiles/density.json", "/index.html"] {
        let g = get(&s, uri, &[("host", "evil.example:8080")]).await;
        assert_eq!(g.status, 403, "{uri}");
        assert!(g.json()["error"].as_str().unwrap().contains("evil.example"));
    }
    let tj = get(&s, "/tiles/density.json", &[("host", "localhost:8080")]).await.json();
    assert!(tj["tiles"][0].as_str().unwrap().starts_with("http://localhost:8080/tiles/density/"), "{tj}");
    // Behind a proxy the public URL is accepted, and the tile URLs are built on it whatever the Host.
    let mut config = s.config.clone();
    config.public_url = Some("https://maps.example.org/hs".into());
    let p = with_config(config);
    let tj = get(&p, "/tiles/density.json", &[("host", "maps.example.org")]).await.json();
    assert!(tj["tiles"][0].as_str().unwrap().starts_with("https://maps.example.org/hs/tiles/density/"), "{tj}");
    assert_eq!(get(&p, "/api/meta", &[("host", "evil.example")]).await.status, 403);
}

const COMPARE: &str = "before=2024-01..2024-02&after=2024-03..2024-04&cell_m=100&bandwidth_m=300";

#[tokio::test]
async fn compare_totals_match_the_summaries_and_a_hotspot_is_a_target() {
    let s = state(false, None);
    let c = get(&s, &format!("/api/compare?{COMPARE}"), &[]).await;
    assert_eq!(c.status, 200, "{}", String::from_utf8_lossy(&c.body));
    let c = c.json();
    let b = get(&s, "/api/summary?from=2024-01&to=2024-02", &[]).await.json()["incidents"].as_f64().unwrap();
    let a = get(&s, "/api/summary?from=2024-03&to=2024-04", &[]).await.json()["incidents"].as_f64().unwrap();
    assert_eq!(c["total"]["before"].as_f64().unwrap(), b);
    assert_eq!(c["total"]["after"].as_f64().unwrap(), a);
    assert_eq!(c["length_ratio"], 1.0, "one whole month each");
    let text = c["total"]["text"].as_str().unwrap();
    assert!(text.ends_with(&format!("({:+})", a - b)) || text.contains(','), "{text}");
    let cats: f64 = c["categories"].as_array().unwrap().iter().map(|r| r["change"]["after"].as_f64().unwrap()).sum();
    assert_eq!(cats, a);
    let m = &c["change_map"];
    assert_eq!(m["cell_m"], 100.0);
    assert!(m["cells_with_incidents"].as_u64().unwrap() > 100, "{m}");
    assert!(c["areas"].is_null());

    // The top hotspot of January as the target: its January count is the target's before count.
    let h = get(&s, "/api/hotspots?from=2024-01&to=2024-02&cell_m=100&bandwidth_m=300", &[]).await.json();
    let top = &h["features"][0]["properties"];
    let id = top["id"].as_str().unwrap();
    let c = get(&s, &format!("/api/compare?{COMPARE}&hotspot={id}&buffer_m=300"), &[]).await;
    assert_eq!(c.status, 200, "{}", String::from_utf8_lossy(&c.body));
    let areas = &c.json()["areas"];
    assert_eq!(areas["target"]["before"], top["incidents"].as_f64().unwrap());
    assert_eq!(areas["buffer_m"], 300.0);
    for key in ["gross_effect", "wdq", "wdd"] {
        assert!(!areas[key].is_null(), "{key}: {areas}");
    }
    let bad = get(&s, &format!("/api/compare?{COMPARE}&hotspot=h0-nowhere"), &[]).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["parameter"], "hotspot");
}

#[tokio::test]
async fn compare_and_change_tiles_need_both_windows() {
    let s = state(false, None);
    for (uri, param) in [
        ("/api/compare?after=2024-03..2024-04", "before"),
        ("/api/compare?before=2024-01..2024-02", "after"),
        ("/api/compare?before=2024-02..2024-01&after=2024-03..2024-04", "before"),
        ("/api/compare?before=2024-01..2024-02&after=2024-03..2024-04&fdr_q=2", "fdr_q"),
        ("/tiles/change.json", "before"),
        ("/tiles/change/13/4062/2752.mvt?before=2024-01..2024-02", "after"),
    ] {
        let g = get(&s, uri, &[]).await;
        assert_eq!(g.status, 400, "{uri}: {}", String::from_utf8_lossy(&g.body));
        assert_eq!(g.json()["parameter"], param, "{uri}");
    }
    let tj = get(&s, &format!("/tiles/change.json?{COMPARE}"), &[]).await.json();
    let url = tj["tiles"][0].as_str().unwrap();
    assert!(url.contains("before=2024-01-01") && url.contains("after=2024-03-01"), "{url}");
    assert_eq!(tj["vector_layers"][0]["fields"]["significant"], "Number");

    let (x, y) = tile_of(-1.8760, 50.7200, 13);
    let g = get(&s, &format!("/tiles/change/13/{x}/{y}.mvt?{COMPARE}"), &[]).await;
    assert_eq!(g.status, 200, "{}", String::from_utf8_lossy(&g.body));
    check_tile(&g.body, "change");
    let r = mvt_reader::Reader::new(g.body).unwrap();
    let num = |f: &mvt_reader::feature::Feature, k: &str| match f.properties.as_ref().and_then(|p| p.get(k)) {
        Some(mvt_reader::feature::Value::Double(v)) => *v,
        Some(mvt_reader::feature::Value::Int(v)) | Some(mvt_reader::feature::Value::SInt(v)) => *v as f64,
        Some(mvt_reader::feature::Value::UInt(v)) => *v as f64,
        other => panic!("{k}: {other:?}"),
    };
    for f in r.get_features(0).unwrap() {
        let (b, a, d) = (num(&f, "before"), num(&f, "after"), num(&f, "difference"));
        assert!(b + a > 0.0);
        assert!((d - (a - b)).abs() < 1e-9, "one month each: difference = after - before");
        assert!((0.0..=1.0).contains(&num(&f, "p")));
        assert!([-1.0, 0.0, 1.0].contains(&num(&f, "significant")));
    }
    // A different window is a different tile (the cache key holds the windows).
    let other = get(
        &s,
        &format!("/tiles/change/13/{x}/{y}.mvt?{COMPARE}").replace("2024-01..2024-02", "2024-01..2024-03"),
        &[],
    )
    .await;
    assert_eq!(other.status, 200);
    assert_ne!(other.headers[header::ETAG], g.headers[header::ETAG]);

    // Public mode: no cell with fewer than 5 incidents in both windows together.
    let p = state(true, None);
    let g = get(&p, &format!("/tiles/change/13/{x}/{y}.mvt?{COMPARE}"), &[]).await;
    let r = mvt_reader::Reader::new(g.body).unwrap();
    for f in r.get_features(0).unwrap() {
        assert!(num(&f, "before") + num(&f, "after") >= 5.0);
    }
}

#[tokio::test]
async fn emerging_and_tasking_routes() {
    let s = state(false, None);
    let g = get(&s, "/api/emerging?period=week", &[]).await;
    assert_eq!(g.status, 400, "weeks on police.uk months are refused");
    assert_eq!(g.json()["parameter"], "period");
    let e = get(&s, "/api/emerging?period=month", &[]).await;
    assert_eq!(e.status, 200, "{}", String::from_utf8_lossy(&e.body));
    let e = e.json();
    assert_eq!(e["steps"].as_array().unwrap().len(), 3);
    assert!(!e["classes"].as_array().unwrap().is_empty(), "{e}");
    let g = get(&s, "/tiles/emerging.json?period=week", &[]).await;
    assert_eq!((g.status.as_u16(), g.json()["parameter"].as_str()), (400, Some("period")), "TileJSON refuses too");
    // A month is the default period: the canonical request, and so the tile URL, leaves it out.
    let tj = get(&s, "/tiles/emerging.json?period=month", &[]).await.json();
    let plain = get(&s, "/tiles/emerging.json", &[]).await.json();
    assert_eq!(tj["tiles"], plain["tiles"]);
    assert!(!tj["tiles"][0].as_str().unwrap().contains("period="));
    let (x, y) = tile_of(-1.8760, 50.7200, 12);
    let g = get(&s, &format!("/tiles/emerging/12/{x}/{y}.mvt?period=month"), &[]).await;
    assert_eq!(g.status, 200, "{}", String::from_utf8_lossy(&g.body));
    check_tile(&g.body, "emerging");

    let t = get(&s, "/api/tasking?at=2024-04-01&window=3m&top=5&weight=count", &[]).await;
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    let t = t.json();
    let cands = t["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 5);
    assert!(t["previous_note"].as_str().unwrap().contains("no data"), "{}", t["previous_note"]);
    assert!(cands[0]["streets"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(get(&s, "/api/tasking?window=3y", &[]).await.json()["parameter"], "window");
    // Counts by default, as every command and the page; harm when asked; an empty window still says which window
    // it was.
    let t = get(&s, "/api/tasking?at=2024-04-01&window=3m&top=3", &[]).await.json();
    assert_eq!(t["rank_by"], "count");
    let t = get(&s, "/api/tasking?at=2024-04-01&window=3m&top=3&weight=harm", &[]).await.json();
    assert_eq!(t["rank_by"], "harm");
    let e = get(&s, "/api/tasking?at=2023-06-01&window=28d", &[]).await.json();
    assert_eq!(e["candidates"].as_array().unwrap().len(), 0);
    assert_eq!(e["window"]["to_s"], hotspots::model::time::month_start_s(2023, 6).unwrap());
    let p = state(true, None);
    let t = get(&p, "/api/tasking?at=2024-04-01&window=3m&top=5", &[]).await.json();
    for c in t["candidates"].as_array().unwrap() {
        assert!(c.get("streets").is_none(), "no location text in public mode");
        assert!(c["incidents"].as_u64().unwrap() >= 5);
    }
}
