//! No figure on partly missing data (issue 12, item 1), on the real Dorset months: the store holds October 2018 to
//! February 2019 and January to March 2024. The page's old default compared February to April 2024 with November
//! 2023 to January 2024, of which the store holds only January and February-March: every change there was
//! invented. Now every answer says what the store holds, and gives no change over a window it does not cover.

use crate::common::{TempStore, cli, cli_code, dorset_months};
use axum::body::Body;
use axum::http::Request;
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, Context, ServerConfig, app};
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

async fn api(state: &Arc<AppState>, uri: &str) -> (u16, Value) {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn changes_are_given_only_over_windows_the_store_covers() {
    let mut t = TempStore::new();
    for m in dorset_months() {
        t.ingest(&m, &IngestOptions::default()).unwrap();
    }
    let store = t.path();

    // What the store holds, in words, with its gap.
    let info = cli(&store, &["info"]);
    assert!(info.contains("data held: Oct 2018 to Feb 2019, Jan 2024 to Mar 2024 (one gap"), "{info}");
    let info: Value = serde_json::from_str(&cli(&store, &["info", "--json"])).unwrap();
    assert_eq!(info["held"]["text"], "Oct 2018 to Feb 2019, Jan 2024 to Mar 2024");
    assert_eq!(info["held"]["gaps"].as_array().unwrap().len(), 1);

    // The comparison of the old page default: counts, but no percentage, and the missing months named.
    let c: Value = serde_json::from_str(&cli(
        &store,
        &["compare", "--before", "2023-11..2024-02", "--after", "2024-02..2024-05", "--json"],
    ))
    .unwrap();
    assert!(c["total"]["before"].as_f64().unwrap() > 4_000.0, "January 2024 is counted");
    assert_eq!(c["total"]["relative"], Value::Null);
    assert_eq!(c["total"]["absolute"], Value::Null);
    let text = c["total"]["text"].as_str().unwrap();
    assert!(
        text.contains("Nov 2023 to Dec 2023 of the before window") && text.contains("Apr 2024 of the after"),
        "{text}"
    );
    for cat in c["categories"].as_array().unwrap() {
        assert_eq!(cat["change"]["relative"], Value::Null, "{cat}");
    }
    assert!(c["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().starts_with("no change is given")));
    assert_eq!(c["before_coverage"]["full"], false);
    assert_eq!(c["before_coverage"]["missing_text"], "Nov 2023 to Dec 2023");
    // A change map over it is refused, naming the window.
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("change.geojson").display().to_string();
    let e =
        cli_code(&store, &["compare", "--before", "2023-11..2024-02", "--after", "2024-02..2024-05", "--map", &map])
            .unwrap_err();
    assert!(e.contains("no change map") && e.contains("Nov 2023"), "{e}");
    // Covered windows still compare: March against February 2024.
    let c: Value = serde_json::from_str(&cli(
        &store,
        &["compare", "--before", "2024-02..2024-03", "--after", "2024-03..2024-04", "--json"],
    ))
    .unwrap();
    assert!(c["total"]["relative"].is_f64(), "{}", c["total"]);

    // The tasking list for April: no previous window (Oct-Dec 2023 is missing), so no change, and it says why.
    let list: Value = serde_json::from_str(&cli(
        &store,
        &["tasking", "--at", "2024-04-01", "--window", "3m", "--top", "5", "--format", "json"],
    ))
    .unwrap();
    assert!(list["previous_note"].as_str().unwrap().contains("Oct 2023 to Dec 2023"), "{}", list["previous_note"]);
    for cand in list["candidates"].as_array().unwrap() {
        assert_eq!(cand["change"], Value::Null);
        assert_eq!(cand["previous_incidents"], Value::Null);
    }

    // Emerging hot spots over the whole span use only the latest unbroken stretch, and say so; a window across the
    // gap is refused.
    let e = cli(&store, &["emerging", "--period", "month"]);
    assert!(e.contains("the latest unbroken stretch of data, 2024-01-01 to 2024-04-01 (3 month steps)"), "{e}");
    let err = cli_code(&store, &["emerging", "--from", "2018-10", "--to", "2024-04"]).unwrap_err();
    assert!(err.contains("Mar 2019 to Dec 2023"), "{err}");

    // The server: meta lists what is held, summary warns, hotspots give no trend, compare no percentage, the
    // change layer refuses.
    let ds = t.store.load_dataset(None).unwrap();
    let harm = vec![1.0; ds.categories().len()];
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    let s = Arc::new(AppState::new(Context::new(ds, harm, "unit".into(), vec![], config, "t".into())));
    let (_, meta) = api(&s, "/api/meta").await;
    assert_eq!(meta["coverage"]["held_text"], "Oct 2018 to Feb 2019, Jan 2024 to Mar 2024");
    let (_, sum) = api(&s, "/api/summary?from=2024-02&to=2024-05").await;
    assert!(sum["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("Apr 2024")), "{sum}");
    assert_eq!(sum["coverage"]["full"], false);
    let (_, hot) = api(&s, "/api/hotspots?from=2024-02&to=2024-05&cell_m=50&bandwidth_m=250").await;
    assert!(hot["previous_note"].as_str().unwrap().contains("Nov 2023"), "{}", hot["previous_note"]);
    for f in hot["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["previous_incidents"], Value::Null);
    }
    let (_, cmp) = api(&s, "/api/compare?before=2023-11..2024-02&after=2024-02..2024-05").await;
    assert_eq!(cmp["total"]["relative"], Value::Null);
    let (status, tj) = api(&s, "/tiles/change/12/2021/1375.mvt?before=2023-11..2024-02&after=2024-02..2024-05").await;
    assert_eq!(status, 400, "{tj}");
    assert_eq!(tj["parameter"], "before");
}
