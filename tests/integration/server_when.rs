//! `GET /api/when` through the router: the week's table checked cell by cell against a brute-force count, the
//! sentence on a planted night-time pattern, the map's view and a hotspot of the list as filters, police.uk months
//! answered with a note and no table, parameters named in 400s, and no route in public mode.

use crate::common::{TempStore, dorset_months};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Datelike, Timelike};
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, ServerConfig, app};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

fn state_of(ds: hotspots::model::Dataset, public: bool) -> Arc<AppState> {
    let mut config =
        ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    config.public = public;
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(hotspots::server::Context::new(ds, harm, "unit".into(), vec![], config, "test".into())))
}

async fn get(state: &Arc<AppState>, uri: &str) -> (StatusCode, Value) {
    let resp = app(state.clone()).oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// 3,000 burglaries around Poole in 2017 at exact minutes: one in three at a uniform time, the rest on Friday and
/// Saturday nights (22:00 to 03:00), in a few busy streets so that hotspots form.
fn night_time_store() -> TempStore {
    let mut text = String::from("lon,lat,time,category\n");
    let mut state = 777u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let start = 1_483_228_800i64; // 2017-01-01, a Sunday
    for k in 0..3_000u64 {
        let t = if k % 3 == 0 {
            start + (next() % (365 * 86_400)) as i64
        } else {
            // A Friday (2017-01-06 + 7w) or Saturday, 22:00 plus up to five hours.
            let week = (next() % 50) as i64;
            let day = 5 + (k % 2) as i64;
            start + (week * 7 + day) * 86_400 + 22 * 3_600 + (next() % (5 * 3_600)) as i64
        };
        let iso = chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        let street = next() % 4;
        let lon = -1.99 + street as f64 * 0.01 + (next() % 100) as f64 * 2e-5;
        let lat = 50.71 + (next() % 100) as f64 * 2e-5;
        text.push_str(&format!("{lon},{lat},{iso},Burglary\n"));
    }
    let mut t = TempStore::new();
    t.ingest_bytes("night.csv", text.as_bytes(), &IngestOptions::default()).unwrap();
    t
}

/// The table by brute force: each selected incident's UTC weekday and hour (exact times land in one cell).
fn brute_force(ds: &hotspots::model::Dataset, keep: impl Fn(usize) -> bool) -> Vec<Vec<f64>> {
    let mut cells = vec![vec![0.0; 24]; 7];
    for (i, &t) in ds.time_s().iter().enumerate() {
        if keep(i) {
            let d = chrono::DateTime::from_timestamp(t, 0).unwrap();
            cells[d.weekday().num_days_from_monday() as usize][d.hour() as usize] += 1.0;
        }
    }
    cells
}

fn cells_of(v: &Value) -> Vec<Vec<f64>> {
    v["cells"]
        .as_array()
        .unwrap_or_else(|| panic!("no cells: {v}"))
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect())
        .collect()
}

#[tokio::test]
async fn the_week_everywhere_in_a_view_and_in_a_hotspot() {
    let t = night_time_store();
    let ds = t.store.load_dataset(None).unwrap();
    let s = state_of(ds.clone(), false);

    let (status, v) = get(&s, "/api/when?from=2017-01-01&to=2018-01-01").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["incidents"], 3_000);
    assert_eq!(cells_of(&v), brute_force(&ds, |_| true));
    let sentence = v["sentence"].as_str().unwrap_or_else(|| panic!("no sentence: {}", v["concentration"]));
    assert!(sentence.contains("Friday") && sentence.contains("Saturday"), "{sentence}");
    assert!(v["precision"].is_null(), "{v}");
    assert!(v["settings"].as_str().unwrap().starts_with("from=2017-01-01"), "{}", v["settings"]);

    // The map's view: the box's incidents only (edges included), checked against the dataset's lon/lat.
    let bbox = [-1.995, 50.705, -1.975, 50.72];
    let (status, v) = get(&s, &format!("/api/when?bbox={},{},{},{}", bbox[0], bbox[1], bbox[2], bbox[3])).await;
    assert_eq!(status, 200, "{v}");
    let inside = |i: usize| {
        let (lon, lat) = (ds.lon()[i], ds.lat()[i]);
        lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3]
    };
    let n = (0..ds.len()).filter(|&i| inside(i)).count();
    assert!(n > 100 && n < 3_000, "{n}");
    assert_eq!(v["incidents"], n);
    assert_eq!(cells_of(&v), brute_force(&ds, inside));
    assert_eq!(v["place"], "the map's view");

    // A hotspot of the list (same settings): its own incidents, as many as the list says it holds.
    let q = "from=2017-01-01&to=2018-01-01&cell_m=100&bandwidth_m=200&method=kde";
    let (status, list) = get(&s, &format!("/api/hotspots?{q}&top=3")).await;
    assert_eq!(status, 200, "{list}");
    let first = &list["features"][0]["properties"];
    let id = first["id"].as_str().unwrap();
    let (status, v) = get(&s, &format!("/api/when?{q}&hotspot={id}")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["incidents"], first["incidents"], "{v}");
    assert!(v["place"].as_str().unwrap().starts_with("hotspot 1"), "{}", v["place"]);
    let total: f64 = cells_of(&v).iter().flatten().sum();
    assert!((total - first["incidents"].as_f64().unwrap()).abs() < 1e-9);

    // Parameters named in the refusals.
    for (query, parameter) in [
        (format!("{q}&hotspot=nope"), "hotspot"),
        ("timezone=Mars/Olympus".to_owned(), "timezone"),
        ("draws=0".to_owned(), "draws"),
        ("alpha=1.5".to_owned(), "alpha"),
        ("bogus=1".to_owned(), "bogus"),
    ] {
        let (status, v) = get(&s, &format!("/api/when?{query}")).await;
        assert_eq!((status.as_u16(), v["parameter"].as_str()), (400, Some(parameter)), "{query}: {v}");
    }
    // Another clock: the same incidents, moved by the zone's offset (London is UTC in January, so the total holds).
    let (status, v) = get(&s, "/api/when?timezone=Europe/London").await;
    assert_eq!(status, 200);
    assert_eq!(v["timezone"], "Europe/London");
    assert_eq!(v["incidents"], 3_000);

    // Public mode: no hours of any place.
    let (status, _) = get(&state_of(ds, true), "/api/when").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn police_uk_months_get_a_note_and_no_table() {
    let mut t = TempStore::new();
    t.ingest(&dorset_months()[6], &IngestOptions::default()).unwrap();
    let ds = t.store.load_dataset(None).unwrap();
    let n = ds.len();
    let (status, v) = get(&state_of(ds, false), "/api/when").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["precision"], "month");
    assert!(v["cells"].is_null());
    assert_eq!(v["incidents"], n);
    assert_eq!(v["coarse"], n);
    let note = v["note"].as_str().unwrap();
    assert!(note.contains("known only to the month") && note.contains("hour"), "{note}");
}
