//! Near-repeat zones on the server: `/api/tasking` carries them, the `nearrepeat` tile layer draws the same zones
//! (valid MVT, with their facts), and public mode serves neither.

use crate::common::{TempStore, fixtures, tile_of};
use axum::body::Body;
use axum::http::Request;
use hotspots::server::{AppState, ServerConfig, app};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use tower::ServiceExt;

fn state(public: bool) -> Arc<AppState> {
    let mut t = TempStore::new();
    let mut opts = crate::common::chicago_options();
    opts.columns.location_col = Some("Block".into());
    t.ingest(&fixtures().join("chicago").join("chicago-2017-burglary.csv.gz"), &opts).unwrap();
    let ds = t.store.load_dataset(None).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), fixtures().join("..").join("assets"));
    config.public = public;
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(hotspots::server::Context::new(ds, harm, "unit".into(), Vec::new(), config, "t".into())))
}

async fn get(s: &Arc<AppState>, uri: &str) -> (u16, Vec<u8>) {
    let resp = app(s.clone()).oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    (status, axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec())
}

#[tokio::test]
async fn tasking_and_the_layer_show_the_same_zones_and_public_mode_neither() {
    let s = state(false);
    let (status, body) = get(&s, "/api/tasking?at=2017-07-01&category=BURGLARY&top=3").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let list: Value = serde_json::from_slice(&body).unwrap();
    let zones = list["near_repeat"]["categories"][0]["zones"].as_array().unwrap().clone();
    assert!(!zones.is_empty());
    let meta: Value = serde_json::from_slice(&get(&s, "/api/meta").await.1).unwrap();
    let info = meta["layers"].as_array().unwrap().iter().find(|l| l["name"] == "nearrepeat").unwrap().clone();
    assert_eq!(info["default_on"], false);
    let (status, _) = get(&s, "/tiles/nearrepeat.json?at=2017-07-01&category=BURGLARY").await;
    assert_eq!(status, 200);
    // The tile holding the first zone's centre, at zoom 12, has it with its facts.
    let z0 = &zones[0];
    let (lon, lat) = (z0["centre_lonlat"][0].as_f64().unwrap(), z0["centre_lonlat"][1].as_f64().unwrap());
    let (x, y) = tile_of(lon, lat, 12);
    let (status, body) = get(&s, &format!("/tiles/nearrepeat/12/{x}/{y}.mvt?at=2017-07-01&category=BURGLARY")).await;
    assert_eq!(status, 200);
    let r = mvt_reader::Reader::new(body).unwrap();
    assert_eq!(r.get_layer_metadata().unwrap()[0].name, "nearrepeat");
    let mut ids = BTreeSet::new();
    for f in r.get_features(0).unwrap() {
        let p = f.properties.unwrap();
        let text = |k: &str| match p.get(k) {
            Some(mvt_reader::feature::Value::String(s)) => s.clone(),
            other => panic!("{k}: {other:?}"),
        };
        let id = text("id");
        let zone = zones.iter().find(|z| z["id"] == id.as_str()).unwrap_or_else(|| panic!("{id} not in the list"));
        assert_eq!(text("expires"), zone["expires"].as_str().unwrap());
        assert!(p.contains_key("days_left") && p.contains_key("addresses") && p.contains_key("incidents"));
        for poly in match f.geometry {
            geo_types::Geometry::Polygon(p) => vec![p],
            geo_types::Geometry::MultiPolygon(mp) => mp.0,
            g => panic!("{g:?}"),
        } {
            let ext = &poly.exterior().0;
            let area: f64 = ext.windows(2).map(|w| f64::from(w[0].x * w[1].y - w[1].x * w[0].y)).sum();
            assert!(area > 0.0, "exterior ring not clockwise on screen");
        }
        ids.insert(id);
    }
    assert!(ids.contains(z0["id"].as_str().unwrap()), "{ids:?}");

    // Public mode: no such layer, no zones.
    let p = state(true);
    let meta: Value = serde_json::from_slice(&get(&p, "/api/meta").await.1).unwrap();
    assert!(!meta["layers"].as_array().unwrap().iter().any(|l| l["name"] == "nearrepeat"));
    let (status, _) = get(&p, &format!("/tiles/nearrepeat/12/{x}/{y}.mvt?at=2017-07-01")).await;
    assert_eq!(status, 404);
}
