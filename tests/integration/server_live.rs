//! Live data: an import while the server answers a stream of requests. Every request succeeds, each answer comes
//! whole from the old data or whole from the new, none waits for the import, and the new data is served within a
//! few polls of its commit.

use crate::common::{TempStore, dorset_months};
use axum::body::Body;
use axum::http::Request;
use hotspots::ingest::IngestOptions;
use hotspots::server::live::{Live, Loader};
use hotspots::server::{AppState, Context, ServerConfig};
use hotspots::store::Store;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tower::ServiceExt;

fn load(store: &Store) -> Result<AppState, String> {
    let ds = store.load_dataset(None).map_err(|e| e.to_string())?;
    let version = store.data_version().map_err(|e| e.to_string())?.to_string();
    let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
    let harm = vec![1.0; ds.categories().len()];
    Ok(AppState::new(Context::new(ds, harm, "unit".into(), vec![], config, version)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_while_requests_run_is_served_whole_and_without_waiting() {
    let months = dorset_months();
    let mut t = TempStore::new();
    t.ingest(&months[6], &IngestOptions::default()).unwrap();
    let path = t.path();
    let live = Live::new(Arc::new(load(&t.store).unwrap()));
    let old_total = live.state().ds.len() as u64;
    let loader: Loader = Box::new(load);
    let poller = live.follow(path.clone(), t.store.data_version().ok(), Duration::from_millis(200), loader);

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|k| {
            let (router, stop) = (live.router(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let uri = if k == 0 { "/health".to_owned() } else { "/api/summary".to_owned() };
                    let started = Instant::now();
                    let resp = router
                        .clone()
                        .oneshot(Request::builder().uri(&uri).body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    let status = resp.status();
                    let body = axum::body::to_bytes(resp.into_body(), 16 << 20).await.unwrap();
                    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    seen.push((status.as_u16(), v["incidents"].as_u64(), started.elapsed()));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                seen
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(300)).await;
    let month = months[7].clone();
    let import = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let s = t.ingest(&month, &IngestOptions::default()).unwrap();
        (started.elapsed(), s.accepted, t)
    });
    let (import_took, added, _t) = import.await.unwrap();
    let new_total = old_total + added;
    // The swap comes within a few polls and a load.
    let deadline = Instant::now() + Duration::from_secs(60);
    while live.swaps() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(live.swaps(), 1, "the import was not picked up");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    live.stop();
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await.unwrap());
    }
    poller.join().unwrap();
    assert!(all.len() > 20, "only {} requests ran", all.len());
    for (status, incidents, _) in &all {
        assert_eq!(*status, 200);
        // Whole from the old data or whole from the new.
        assert!(incidents.is_some_and(|n| n == old_total || n == new_total), "{incidents:?}");
    }
    assert!(all.iter().any(|(_, n, _)| *n == Some(new_total)), "the new data was never served");
    let slowest = all.iter().map(|r| r.2).max().unwrap();
    assert!(slowest < import_took, "a request took {slowest:?}, the import {import_took:?}");
    assert_eq!(live.state().ds.len() as u64, new_total);
    assert_ne!(live.state().data_version, "");
}
