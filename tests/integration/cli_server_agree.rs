//! The command line and the server read one description of each request, so the same settings give the same
//! answer: the same hotspots from `find` and `/api/hotspots`, and the same target from `compare --hotspot` and
//! `/api/compare?hotspot=`.

use crate::common::{TempStore, cli, dorset_months};
use axum::body::Body;
use axum::http::Request;
use hotspots::analysis::harm::HarmTable;
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, Context, ServerConfig, app};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

async fn api(state: &Arc<AppState>, uri: &str) -> Value {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200, "{uri}");
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

/// (id, incidents, rank) of each hotspot of a GeoJSON answer.
fn places(doc: &Value) -> Vec<(String, u64, u64)> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (p["id"].as_str().unwrap().to_owned(), p["incidents"].as_u64().unwrap(), p["rank"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn the_command_line_and_the_server_agree() {
    let mut t = TempStore::new();
    for m in &dorset_months()[5..] {
        t.ingest(m, &IngestOptions::default()).unwrap();
    }
    let ds = t.store.load_dataset(None).unwrap();
    let table = HarmTable::police_uk_default();
    let (harm, _) = table.weights_for(ds.categories().names(), 1.0);
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    let state = Arc::new(AppState::new(Context::new(ds, harm, table.label().into(), vec![], config, "t".into())));
    let store = t.path();

    // Rules other than the defaults, so each parameter has to reach both.
    for settings in [
        "from=2024-01&to=2024-04&cell_m=100&bandwidth_m=300&top_share=0.02&top=15",
        "from=2024-02&to=2024-04&cell_m=50&bandwidth_m=250&weight=harm&top=8",
        "from=2024-01&to=2024-03&cell_m=100&bandwidth_m=400&method=gistar&band_m=300&rank_by=harm&top=12",
    ] {
        let mut args = vec!["find".to_owned(), "--json".to_owned()];
        for (k, v) in form_urlencoded::parse(settings.as_bytes()) {
            args.push(format!("--{}", k.replace('_', "-")));
            args.push(v.into_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let from_cli: Value = serde_json::from_str(&cli(&store, &args)).unwrap();
        let from_api = api(&state, &format!("/api/hotspots?{settings}")).await;
        let (a, b) = (places(&from_cli), places(&from_api));
        assert!(!a.is_empty(), "{settings}");
        assert_eq!(a, b, "{settings}");
        assert_eq!(from_cli["parameters"], from_api["parameters"], "{settings}");
    }

    // A hotspot as the target of a comparison: found by the same rule on both sides.
    let rule = "cell_m=100&bandwidth_m=300&top_share=0.02&weight=harm";
    let found = api(&state, &format!("/api/hotspots?from=2024-01&to=2024-02&{rule}")).await;
    let (id, ..) = places(&found)[1].clone();
    let compare_cli: Value = serde_json::from_str(&cli(
        &store,
        &[
            "compare",
            "--json",
            "--before",
            "2024-01..2024-02",
            "--after",
            "2024-02..2024-03",
            "--hotspot",
            &id,
            "--cell-m",
            "100",
            "--bandwidth-m",
            "300",
            "--top-share",
            "0.02",
            "--weight",
            "harm",
        ],
    ))
    .unwrap();
    let compare_api =
        api(&state, &format!("/api/compare?before=2024-01..2024-02&after=2024-02..2024-03&hotspot={id}&{rule}")).await;
    assert_eq!(compare_cli["areas"]["target"], compare_api["areas"]["target"]);
    assert_eq!(compare_cli["areas"]["buffer"], compare_api["areas"]["buffer"]);
    assert!(compare_cli["areas"]["target"]["before"].as_f64().unwrap() > 0.0);
}
