//! The server under requests meant to exhaust it: costs refused before starting, work stopped at its deadline or
//! when its client goes away, identical requests computed once, and memory held to `--cache-mb`.

use crate::common::{TempStore, dorset_months};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotspots::ingest::IngestOptions;
use hotspots::server::{AppState, Context, ServerConfig, app};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
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

fn state_with(f: impl FnOnce(&mut ServerConfig)) -> Arc<AppState> {
    let ds = dataset().clone();
    let mut config =
        ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    f(&mut config);
    let harm = vec![1.0; ds.categories().len()];
    Arc::new(AppState::new(Context::new(ds, harm, "unit".into(), vec![], config, "test".into())))
}

async fn get(s: &Arc<AppState>, uri: &str) -> (StatusCode, Value) {
    let resp = app(s.clone()).oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

const WINDOW: &str = "from=2024-01&to=2024-04";

#[tokio::test]
async fn impossible_requests_are_refused_before_starting_naming_the_parameter() {
    let s = state_with(|_| {});
    let started = Instant::now();
    for (uri, parameter) in [
        (format!("/api/hotspots?{WINDOW}&method=gistar&band_m=50000&cell_m=100"), "band_m"),
        (format!("/api/hotspots?{WINDOW}&bandwidth_m=100000&cell_m=25"), "bandwidth_m"),
        (format!("/api/hotspots?{WINDOW}&cell_m=1e-300"), "cell_m"),
        (format!("/api/hotspots?{WINDOW}&bandwidth_m=1e308"), "bandwidth_m"),
        (format!("/api/emerging?{WINDOW}&cell_m=1e-300"), "cell_m"),
        (format!("/api/emerging?{WINDOW}&cell_m=1"), "cell_m"),
        (format!("/api/emerging?{WINDOW}&band_m=50000&cell_m=100"), "band_m"),
        ("/api/compare?before=2024-01..2024-02&after=2024-02..2024-03&cell_m=0.001".to_owned(), "cell_m"),
        ("/api/compare?before=2024-01..2024-02&after=2024-02..2024-03&category=Nonsense".to_owned(), "category"),
        ("/api/compare?before=2024-01..2024-02&after=2024-02..2024-03&cell_m=20".to_owned(), "cell_m"),
        (format!("/tiles/hex/14/8100/5500.mvt?{WINDOW}&cell_m=1e-300"), "cell_m"),
        (format!("/tiles/gistar/10/504/340.mvt?{WINDOW}&band_m=50000&cell_m=100"), "band_m"),
        (format!("/tiles/emerging/10/504/340.mvt?{WINDOW}&cell_m=0.001"), "cell_m"),
        (format!("/api/tasking?{WINDOW}&bandwidth_m=1e308"), "bandwidth_m"),
    ] {
        let (status, body) = get(&s, &uri).await;
        assert_eq!(status, 400, "{uri}: {body}");
        assert_eq!(body["parameter"], parameter, "{uri}: {body}");
    }
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
}

/// Wait until every computation slot is free again (the work has really stopped).
async fn slots_free(s: &Arc<AppState>, within: Duration) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if s.compute.available_permits() == s.config.compute_permits.max(1) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_stops_at_its_deadline_and_when_its_client_goes_away() {
    // A deadline already past: 503, and the slot comes back (the work stopped rather than running on).
    let s = state_with(|c| c.compute_timeout = Duration::from_millis(1));
    let (status, body) = get(&s, &format!("/api/hotspots?{WINDOW}&cell_m=25&bandwidth_m=2000")).await;
    assert_eq!(status, 503, "{body}");
    assert!(slots_free(&s, Duration::from_secs(10)).await);
    assert_eq!(s.analyses.len(), 0);

    // A client that goes away: its request future is dropped mid-computation, and the work stops.
    let s = state_with(|_| {});
    let uri = format!("/api/hotspots?{WINDOW}&cell_m=25&bandwidth_m=6000");
    let req = app(s.clone()).oneshot(Request::builder().uri(&uri).body(Body::empty()).unwrap());
    let started = Instant::now();
    assert!(tokio::time::timeout(Duration::from_millis(300), req).await.is_err(), "finished too fast to test");
    assert!(slots_free(&s, Duration::from_secs(10)).await, "the work ran on after its client left");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(s.analyses.len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_requests_in_flight_are_computed_once() {
    let s = state_with(|c| c.compute_permits = 8);
    let uri = format!("/api/hotspots?{WINDOW}&cell_m=50&bandwidth_m=400&method=gistar");
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (s, uri) = (s.clone(), uri.clone());
            tokio::spawn(async move { get(&s, &uri).await })
        })
        .collect();
    let mut bodies = Vec::new();
    for c in calls {
        let (status, body) = c.await.unwrap();
        assert_eq!(status, 200, "{body}");
        bodies.push(body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(s.analyses_computed.load(Ordering::Relaxed), 1);
    assert!(s.flights.is_empty());
}

/// Resident memory of this process, bytes.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_parameter_sets_stay_within_the_cache_budget() {
    let cache_mb = 32usize;
    let s = state_with(|c| c.cache_bytes = cache_mb << 20);
    // Warm up: the allocator's own pools, the first analysis.
    let (status, _) = get(&s, &format!("/api/hotspots?{WINDOW}&cell_m=100&bandwidth_m=300")).await;
    assert_eq!(status, 200);
    let before = resident_bytes();
    let mut peak = before;
    for k in 0..100 {
        // Distinct Gi* bands on one analysis (the inner per-band cache), distinct analyses, distinct tiles.
        let band = 30 + k;
        let uris = [
            format!("/tiles/gistar/10/504/340.mvt?{WINDOW}&cell_m=100&bandwidth_m=300&band_m={band}"),
            format!("/api/hotspots?{WINDOW}&cell_m=100&bandwidth_m={}&method=gistar&band_m={band}", 200 + k),
        ];
        for uri in &uris {
            let (status, body) = get(&s, uri).await;
            assert!(status == 200 || status == 204, "{uri}: {status} {body}");
        }
        let cap = cache_mb << 20;
        assert!(s.analyses.bytes() <= cap, "analyses hold {} bytes", s.analyses.bytes());
        assert!(s.tiles.bytes() <= cap, "tiles hold {} bytes", s.tiles.bytes());
        peak = peak.max(resident_bytes());
    }
    // Two caches of 32 MB, the change and emerging caches, one analysis being built, and the allocator's slack.
    let grown_mb = (peak.saturating_sub(before)) as f64 / 1048576.0;
    eprintln!("resident memory grew by {grown_mb:.0} MB over 100 parameter sets ({cache_mb} MB caches)");
    assert!(grown_mb < 400.0, "resident memory grew by {grown_mb:.0} MB");
}

/// The method choices and near-repeat zones are held to their share of the cache by bytes, like every other server
/// cache: with room they are kept (the same answer object comes back), without it they are computed again and never
/// held, and the answers are the same either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn choices_and_near_repeat_zones_are_held_to_their_bytes() {
    use hotspots::analysis::spec::NearRepeatSpec;
    let roomy = state_with(|_| {});
    let tight = state_with(|c| c.cache_bytes = 1 << 10);
    let spec = NearRepeatSpec::default();
    let (a, b) = (roomy.near_repeat_for(&spec).unwrap(), roomy.near_repeat_for(&spec).unwrap());
    assert!(Arc::ptr_eq(&a, &b), "kept when there is room");
    assert!(roomy.near_repeats.bytes() > 0 && roomy.near_repeats.bytes() <= roomy.near_repeats.capacity_bytes());
    let (c, d) = (tight.near_repeat_for(&spec).unwrap(), tight.near_repeat_for(&spec).unwrap());
    assert!(!Arc::ptr_eq(&c, &d), "an alert larger than its share is computed again, not kept");
    assert_eq!((*a).clone(), (*c).clone());
    assert!(tight.near_repeats.is_empty());

    // Three windows' choices (the default rule is predict): each kept with room, none over the share without it.
    for to in ["2024-02", "2024-03", "2024-04"] {
        for s in [&roomy, &tight] {
            let (status, body) = get(s, &format!("/api/hotspots?from=2023-12&to={to}")).await;
            assert_eq!(status, 200, "{body}");
            assert!(body["method_choice"].is_object(), "{body}");
        }
    }
    assert_eq!(roomy.choices.len(), 3);
    assert!(roomy.choices.bytes() <= roomy.choices.capacity_bytes());
    assert!(tight.choices.is_empty(), "a choice larger than its share is not kept");
}
