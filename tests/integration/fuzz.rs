//! Fuzzing at scale with proptest: every parser (query strings of every request, time strings, GeoJSON points,
//! boundary files) on arbitrary and adversarial input never panics and answers with a value or an error naming
//! what is wrong; the server answers random parameter values on every route with no 500, in bounded time.

use crate::common::{TempStore, assert_conserved, dorset_months};
use axum::body::Body;
use axum::http::Request;
use hotspots::analysis::spec::{
    CompareSpec, EmergingSpec, GiStarSpec, HexSpec, HotspotSpec, Params, TaskingParams, all_docs, canonical, from_pairs,
};
use hotspots::ingest::{ColumnOptions, IngestOptions};
use hotspots::server::{AppState, Context, ServerConfig, app};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Values that break parsers: extremes, non-numbers, dates, separators, unicode, empties.
fn nasty_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("-inf".to_owned()),
        Just("1e-300".to_owned()),
        Just("1e308".to_owned()),
        Just("1e309".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("2024-02-30".to_owned()),
        Just("2024-01..2024-03".to_owned()),
        Just("2024-03..2024-01".to_owned()),
        Just("9999-12-31T23:59:59Z".to_owned()),
        Just("-1.5,50,-1,51".to_owned()),
        Just("auto".to_owned()),
        Just("gistar".to_owned()),
        Just("week".to_owned()),
        Just("0d".to_owned()),
        Just("\u{0}\u{ffff}é".to_owned()),
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        (1u32..200_000).prop_map(|v| v.to_string()),
        "[ -~]{0,24}",
        "\\PC{0,12}",
    ]
}

fn param_name() -> impl Strategy<Value = String> {
    let names: Vec<String> = all_docs().into_iter().map(|d| d.name.to_owned()).collect();
    prop_oneof![4 => proptest::sample::select(names), 1 => "[a-z_]{1,10}"]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((param_name(), nasty_value()), 0..6)
}

/// A request read from pairs either fails naming a parameter of its own or one given, or reads back the same
/// from its canonical form.
fn check_params<P: Params + std::fmt::Debug>(pairs: &[(String, String)]) {
    let given = |n: &str| pairs.iter().any(|(k, _)| k == n) || P::docs().iter().any(|d| d.name == n);
    match from_pairs::<P>(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), |_| false) {
        Ok(p) => {
            let c = canonical(&p);
            let back: P = from_pairs(
                form_urlencoded::parse(c.as_bytes()).collect::<Vec<_>>().iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
                |_| false,
            )
            .unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(canonical(&back), c);
        }
        Err(e) => {
            assert!(given(&e.parameter), "error names '{}', not a parameter given: {e}", e.parameter);
            assert!(e.to_string().len() > 10);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn query_strings_of_every_request(p in pairs()) {
        check_params::<HotspotSpec>(&p);
        check_params::<GiStarSpec>(&p);
        check_params::<HexSpec>(&p);
        check_params::<CompareSpec>(&p);
        check_params::<EmergingSpec>(&p);
        check_params::<TaskingParams>(&p);
    }

    #[test]
    fn crs_and_window_texts(s in prop_oneof!["\\PC{0,16}", "(UTM|EPSG:|utm )[0-9]{0,3}\\PC{0,2}", nasty_value()]) {
        let _ = hotspots::geo::CrsDef::parse(&s);
        let _ = s.parse::<hotspots::model::WindowLength>();
        let _ = s.parse::<hotspots::analysis::spec::Period>();
    }

    #[test]
    fn time_strings(s in prop_oneof!["\\PC{0,30}", "[0-9T:.Z+-]{0,30}", nasty_value()]) {
        if let Ok(t) = hotspots::model::Window::parse_instant(&s) {
            // An instant that parses prints as a date a human can read.
            let text = hotspots::model::time::format_instant(t);
            prop_assert!(text.len() >= 10);
        }
    }
}

fn geojson_number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-180.0f64..180.0).prop_map(|v| v.to_string()),
        Just("1e309".to_owned()),
        Just("-1e400".to_owned()),
        Just("NaN".to_owned()),
        Just("\"12\"".to_owned()),
        Just("null".to_owned()),
        any::<f64>().prop_map(|v| if v.is_finite() { format!("{v:e}") } else { "0".to_owned() }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn geojson_points_reject_rows_not_files(
        coords in proptest::collection::vec((geojson_number(), geojson_number(), geojson_number()), 1..8),
    ) {
        let features: Vec<String> = coords
            .iter()
            .map(|(x, y, w)| format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{x},{y}]}},"properties":{{"t":"2024-01","c":"A","w":{w}}}}}"#
            ))
            .collect();
        let doc = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","));
        let opts = IngestOptions {
            columns: ColumnOptions {
                time_col: Some("t".into()),
                category_col: Some("c".into()),
                weight_col: Some("w".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut t = TempStore::new();
        match t.ingest_bytes("f.geojson", doc.as_bytes(), &opts) {
            Ok(s) => {
                assert_conserved(&s);
                prop_assert_eq!(s.read as usize, coords.len());
            }
            // Bare NaN is not JSON: the whole document is refused, saying so.
            Err(e) => prop_assert!(doc.contains("NaN") && e.to_string().contains("JSON"), "{e}"),
        }
    }

    #[test]
    fn boundary_files_are_valid_or_refused_naming_the_feature(
        rings in proptest::collection::vec(proptest::collection::vec((-200.0f64..200.0, -100.0f64..100.0), 0..7), 1..4),
    ) {
        let features: Vec<String> = rings
            .iter()
            .enumerate()
            .map(|(k, ring)| {
                let mut pts: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
                if let Some(first) = pts.first().cloned() {
                    pts.push(first);
                }
                format!(
                    r#"{{"type":"Feature","properties":{{"code":"A{k}"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
                    pts.join(",")
                )
            })
            .collect();
        let doc = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","));
        match hotspots::areas::AreaLayer::from_geojson(doc.as_bytes(), "fuzz", "fuzz.geojson") {
            Ok(layer) => {
                use geo::{Area, Validation};
                for a in &layer.areas {
                    prop_assert!(a.outline_lonlat.is_valid() && a.outline_lonlat.unsigned_area() > 0.0);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("feature") || msg.contains("A0") || msg.contains("A1") || msg.contains("A2"), "{msg}");
            }
        }
    }
}

fn server() -> Arc<AppState> {
    static DS: OnceLock<hotspots::model::Dataset> = OnceLock::new();
    let ds = DS
        .get_or_init(|| {
            let mut t = TempStore::new();
            t.ingest(&dorset_months()[7], &IngestOptions::default()).unwrap();
            t.store.load_dataset(None).unwrap()
        })
        .clone();
    let mut config =
        ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    config.compute_timeout = Duration::from_secs(3);
    config.cache_bytes = 64 << 20;
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(Context::new(ds, harm, "unit".into(), vec![], config, "fuzz".into())))
}

fn route() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/api/summary".to_owned()),
        Just("/api/hotspots".to_owned()),
        Just("/api/compare".to_owned()),
        Just("/api/emerging".to_owned()),
        Just("/api/tasking".to_owned()),
        Just("/api/meta".to_owned()),
        proptest::sample::select(vec![
            "density",
            "hotspots",
            "gistar",
            "hex",
            "incidents",
            "change",
            "emerging",
            "cells",
            "nope"
        ])
        .prop_map(|l| format!("/tiles/{l}.json")),
        (
            proptest::sample::select(vec![
                "density",
                "hotspots",
                "gistar",
                "hex",
                "incidents",
                "change",
                "emerging",
                "cells"
            ]),
            prop_oneof![Just((10u32, 504u32, 340u32)), Just((13, 4062, 2752)), (0u32..30, 0u32..5000, 0u32..5000)],
        )
            .prop_map(|(l, (z, x, y))| format!("/tiles/{l}/{z}/{x}/{y}.mvt")),
    ]
}

#[test]
fn random_parameters_on_every_route_never_give_500() {
    let s = server();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 300, ..ProptestConfig::default() });
    let slowest = std::cell::Cell::new(Duration::ZERO);
    runner
        .run(&(route(), pairs()), |(route, pairs)| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                q.append_pair(k, v);
            }
            let uri = format!("{route}?{}", q.finish());
            let started = Instant::now();
            let (status, body) = rt.block_on(async {
                let resp =
                    app(s.clone()).oneshot(Request::builder().uri(&uri).body(Body::empty()).unwrap()).await.unwrap();
                let status = resp.status();
                let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
                (status, body)
            });
            // A 400 names a parameter of the request, or the tile's coordinates, or one of the route's own.
            if status == 400 {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let named = v["parameter"].as_str().unwrap_or("").to_owned();
                let known = pairs.iter().any(|(k, _)| *k == named)
                    || ["z", "x", "y"].contains(&named.as_str())
                    || all_docs().iter().any(|d| d.name == named);
                prop_assert!(known, "{uri}: 400 names '{named}': {v}");
            }
            let took = started.elapsed();
            slowest.set(slowest.get().max(took));
            prop_assert!(status.as_u16() < 500 || status.as_u16() == 503, "{uri}: {status}");
            prop_assert!(took < Duration::from_secs(20), "{uri}: {took:?}");
            Ok(())
        })
        .unwrap();
    eprintln!("slowest request: {:?}", slowest.get());
}
