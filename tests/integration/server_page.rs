//! What the page steers by, through the router: hotspot names from the LSOA layer, `/api/search`, the `labels`
//! layer (never in public mode), density tiles banded and merged (small at any zoom), the incidents' types and
//! months at a map point, the emerging answer's `meaningful`, and a PMTiles basemap served with byte ranges.

use crate::common::{TempStore, dorset_months, fixtures, tile_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotspots::areas::AreaLayer;
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, ServerConfig, app};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

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

fn state(public: bool, basemap: Option<std::path::PathBuf>) -> Arc<AppState> {
    let ds = dataset().clone();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), fixtures().join("..").join("assets"));
    config.public = public;
    config.basemap_pmtiles = basemap;
    let areas = vec![AreaLayer::from_geojson_path(&fixtures().join("boundaries").join("lsoas_poole.geojson")).unwrap()];
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(hotspots::server::Context::new(ds, harm, "unit".into(), areas, config, "test".into())))
}

async fn get(s: &Arc<AppState>, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app(s.clone()).oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec())
}

async fn json(s: &Arc<AppState>, uri: &str) -> Value {
    let (status, _, body) = get(s, uri, &[]).await;
    assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn hotspots_are_named_by_lsoa_and_street_and_public_mode_names_the_area_only() {
    let s = state(false, None);
    let fc = json(&s, "/api/hotspots?from=2024-01&to=2024-04&cell_m=50&bandwidth_m=250&top=20").await;
    let names: Vec<&str> =
        fc["features"].as_array().unwrap().iter().map(|f| f["properties"]["name"].as_str().unwrap()).collect();
    assert!(names.iter().any(|n| n.starts_with("Poole ") && n.contains(", ")), "{names:?}");
    assert!(names.iter().all(|n| !n.contains("Parking Area") || n.ends_with("Parking Area")), "{names:?}");
    let p = state(true, None);
    let fc = json(&p, "/api/hotspots?from=2024-01&to=2024-04&cell_m=50&bandwidth_m=250&top=20").await;
    for f in fc["features"].as_array().unwrap() {
        let name = f["properties"]["name"].as_str().unwrap();
        assert!(!name.contains(", "), "public mode names no street: {name}");
    }
}

#[tokio::test]
async fn search_finds_streets_and_areas_ranked_and_public_mode_only_areas() {
    let s = state(false, None);
    let r = json(&s, "/api/search?q=poole%20015").await;
    let first = &r["results"][0];
    assert_eq!(first["kind"], "area", "{r}");
    assert!(first["name"].as_str().unwrap().starts_with("Poole 015"));
    let r = json(&s, "/api/search?q=high%20st&limit=50").await;
    let hits = r["results"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["kind"] == "street" || h["kind"] == "area"));
    let first = &hits[0];
    let bbox: Vec<f64> = first["bbox"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let (lon, lat) = (first["lon"].as_f64().unwrap(), first["lat"].as_f64().unwrap());
    assert!(bbox[0] <= lon && lon <= bbox[2] && bbox[1] <= lat && lat <= bbox[3], "{first}");
    assert!(bbox[2] - bbox[0] < 0.1, "one street in one town, not the county: {first}");
    for (q, param) in [("", "q"), ("q=a&limit=0", "limit"), ("q=a&colour=red", "colour")] {
        let (status, _, body) = get(&s, &format!("/api/search?{q}"), &[]).await;
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((status.as_u16(), v["parameter"].as_str()), (400, Some(param)), "{q}: {v}");
    }
    let p = state(true, None);
    let r = json(&p, "/api/search?q=road&limit=50").await;
    assert!(r["results"].as_array().unwrap().iter().all(|h| h["kind"] == "area"), "{r}");
}

#[tokio::test]
async fn labels_name_streets_at_their_map_points_and_are_not_public() {
    let s = state(false, None);
    let tj = json(&s, "/tiles/labels.json?from=2024-01&to=2024-02").await;
    assert!(!tj["tiles"][0].as_str().unwrap().contains('?'), "the labels read no parameter: {}", tj["tiles"][0]);
    let (x, y) = tile_of(-1.9830, 50.7150, 15);
    let (status, _, body) = get(&s, &format!("/tiles/labels/15/{x}/{y}.mvt"), &[]).await;
    assert_eq!(status, 200);
    let r = mvt_reader::Reader::new(body).unwrap();
    let feats = r.get_features(0).unwrap();
    assert!(!feats.is_empty());
    let mut names = Vec::new();
    for f in &feats {
        let props = f.properties.as_ref().unwrap();
        if let Some(mvt_reader::feature::Value::String(n)) = props.get("name") {
            assert!(!n.starts_with("On or near") && !hotspots::analysis::naming::is_generic(n), "{n}");
            names.push(n.clone());
        }
    }
    assert_eq!(names.len(), feats.len());
    let (status, _, _) = get(&state(true, None), &format!("/tiles/labels/15/{x}/{y}.mvt"), &[]).await;
    assert_eq!(status, 404, "no street names in public mode");
}

#[tokio::test]
async fn density_tiles_are_bands_merged_into_polygons_and_stay_small() {
    let s = state(false, None);
    let q = "from=2024-01&to=2024-04&cell_m=50&bandwidth_m=250&breaks=1,10,50,100,200";
    let mut biggest = 0;
    for (z, lon, lat) in [(10, -1.9, 50.72), (12, -1.9, 50.72), (13, -1.88, 50.72), (15, -1.876, 50.72)] {
        let (x, y) = tile_of(lon, lat, z);
        let (status, _, body) = get(&s, &format!("/tiles/density/{z}/{x}/{y}.mvt?{q}"), &[]).await;
        assert_eq!(status, 200, "z{z}");
        biggest = biggest.max(body.len());
        let r = mvt_reader::Reader::new(body).unwrap();
        let feats = r.get_features(0).unwrap();
        assert!(feats.len() <= 6, "one feature per band: {}", feats.len());
        let mut bands: Vec<u64> = feats
            .iter()
            .map(|f| match f.properties.as_ref().unwrap().get("band") {
                Some(mvt_reader::feature::Value::UInt(b)) => *b,
                other => panic!("band {other:?}"),
            })
            .collect();
        bands.sort_unstable();
        bands.dedup();
        assert_eq!(bands.len(), feats.len(), "z{z}: each band once");
    }
    assert!(biggest < 100 * 1024, "largest density tile {biggest} bytes");
    let (status, _, body) = get(&s, "/tiles/density.json?breaks=3,2", &[]).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn an_incident_point_lists_its_types_and_months_and_emerging_says_when_it_means_nothing() {
    let s = state(false, None);
    let (x, y) = tile_of(-1.8760, 50.7200, 16);
    let (status, _, body) = get(&s, &format!("/tiles/incidents/16/{x}/{y}.mvt?from=2024-01&to=2024-04"), &[]).await;
    assert_eq!(status, 200);
    let r = mvt_reader::Reader::new(body).unwrap();
    let f = r.get_features(0).unwrap().into_iter().next().unwrap();
    let props = f.properties.unwrap();
    for k in ["categories", "months", "points"] {
        assert!(props.contains_key(k), "{k}: {props:?}");
    }
    let e = json(&s, "/api/emerging?period=month&from=2024-01&to=2024-04").await;
    assert_eq!(e["meaningful"], false);
    assert!(e["reason"].as_str().unwrap().contains("at least 5"), "{e}");
}

#[tokio::test]
async fn a_pmtiles_basemap_is_served_with_byte_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("basemap.pmtiles");
    std::fs::write(&path, b"PMTiles\x03 test bytes of an archive").unwrap();
    let s = state(false, Some(path));
    assert_eq!(json(&s, "/api/meta").await["basemap"]["pmtiles"], "basemap.pmtiles");
    let (status, headers, body) = get(&s, "/basemap.pmtiles", &[("range", "bytes=0-6")]).await;
    assert_eq!(status, 206);
    assert_eq!(body, b"PMTiles");
    assert!(headers.get("content-range").is_some());
    let (status, _, _) = get(&state(false, None), "/basemap.pmtiles", &[]).await;
    assert_eq!(status, 404, "no basemap configured");
}

#[test]
fn every_kind_of_place_label_in_the_fixtures_is_in_the_generic_list() {
    // police.uk's generic labels are kinds of place; those written "Kind/Kind" must all be in the list, and every
    // label in the list but "Train Station" and "No Location" occurs in the eight Dorset months.
    let mut seen = std::collections::BTreeSet::new();
    for m in dorset_months() {
        let mut r = csv::Reader::from_path(&m).unwrap();
        let col = r.headers().unwrap().iter().position(|h| h == "Location").unwrap();
        for rec in r.records() {
            seen.insert(hotspots::analysis::naming::street_of(&rec.unwrap()[col]).to_owned());
        }
    }
    for s in seen.iter().filter(|s| s.contains('/')) {
        assert!(hotspots::analysis::naming::is_generic(s), "{s} is a kind of place missing from the list");
    }
    for g in hotspots::analysis::naming::GENERIC_LOCATIONS {
        assert!(seen.contains(*g) || ["Train Station", "No Location"].contains(g), "{g} is not in the fixtures");
    }
}
