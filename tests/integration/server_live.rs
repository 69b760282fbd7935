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

/// A GET over a plain socket: (status, body).
fn http_get(port: u16, path: &str, host: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Some((status, body))
}

fn incidents(port: u16) -> Option<u64> {
    let (status, body) = http_get(port, "/health", &format!("127.0.0.1:{port}"))?;
    // The body may be chunked: take the JSON object in it.
    let json = &body[body.find('{')?..=body.rfind('}')?];
    (status == 200).then(|| serde_json::from_str::<Value>(json).ok()?["incidents"].as_u64())?
}

/// Kills the server processes this test started, also when it fails.
struct Servers(Vec<std::process::Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Issue 18 item 6: two `serve` processes over one store (read-only replicas behind any load balancer) both follow
/// an import, and refuse a foreign Host.
#[test]
fn two_servers_over_one_store_both_follow_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let months = dorset_months();
    let ingest = |m: &std::path::Path| crate::common::ingest_in_process_of_its_own(&store, m, &[]);
    ingest(&months[6]);
    let ports: Vec<u16> =
        (0..2).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()).collect();
    let mut servers = Servers(Vec::new());
    for p in &ports {
        servers.0.push(
            std::process::Command::new(crate::common::bin())
                .args(["serve", "--poll-s", "0.5", "--addr", &format!("127.0.0.1:{p}"), "--store"])
                .arg(&store)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    let wait_for = |what: &dyn Fn(u16) -> bool| {
        let end = Instant::now() + Duration::from_secs(90);
        while Instant::now() < end {
            if ports.iter().all(|&p| what(p)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    };
    assert!(wait_for(&|p| incidents(p).is_some()), "the servers did not start");
    let before = incidents(ports[0]).unwrap();
    assert_eq!(incidents(ports[1]), Some(before));
    assert_eq!(http_get(ports[0], "/api/meta", "rebind.example:80").map(|r| r.0), Some(403));
    ingest(&months[7]);
    assert!(wait_for(&|p| incidents(p).is_some_and(|n| n > before)), "the servers did not follow the import");
    assert_eq!(incidents(ports[0]), incidents(ports[1]));
}

/// The whole body of `/health`: (status, JSON).
fn health(port: u16) -> Option<(u16, Value)> {
    let (status, body) = http_get(port, "/health", &format!("127.0.0.1:{port}"))?;
    let json = &body[body.find('{')?..=body.rfind('}')?];
    Some((status, serde_json::from_str(json).ok()?))
}

/// `serve` answers without waiting for SQLite's check of the store (it runs in the background; `/health` says
/// `running` until it ends), then `passed`; on a store with a page of zeros the server still serves the data it loaded, and
/// `/health` answers 503 `damaged` naming the problem.
#[test]
fn the_store_check_runs_in_the_background_and_health_reports_damage() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    for m in &dorset_months()[5..] {
        crate::common::ingest_in_process_of_its_own(&store, m, &[]);
    }
    let serve = |servers: &mut Servers| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        servers.0.push(
            std::process::Command::new(crate::common::bin())
                .args(["serve", "--poll-s", "0", "--addr", &format!("127.0.0.1:{port}"), "--store"])
                .arg(&store)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        port
    };
    let settled = |port: u16| {
        let end = Instant::now() + Duration::from_secs(90);
        while Instant::now() < end {
            if let Some((status, h)) = health(port)
                && h["store_check"]["state"] != "running"
            {
                return (status, h);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the store check did not finish");
    };
    let mut servers = Servers(Vec::new());
    let port = serve(&mut servers);
    let (status, h) = settled(port);
    assert_eq!((status, h["status"].as_str(), h["store_check"]["state"].as_str()), (200, Some("ok"), Some("passed")));
    assert!(h["store_check"]["seconds"].as_f64().is_some_and(|s| s >= 0.0), "{h}");
    let total = h["incidents"].as_u64().unwrap();
    drop(servers);

    let mut bytes = std::fs::read(&store).unwrap();
    let mid = (bytes.len() / 2) & !4095;
    let end = (mid + 65536).min(bytes.len());
    bytes[mid..end].fill(0);
    std::fs::write(&store, &bytes).unwrap();
    let mut servers = Servers(Vec::new());
    let port = serve(&mut servers);
    let (status, h) = settled(port);
    assert_eq!(
        (status, h["status"].as_str(), h["store_check"]["state"].as_str()),
        (503, Some("damaged"), Some("failed"))
    );
    let problem = h["store_check"]["problem"].as_str().unwrap();
    assert!(problem.contains("s.db") && (problem.contains("damaged") || problem.contains("malformed")), "{problem}");
    assert_eq!(h["incidents"].as_u64(), Some(total), "the data loaded at start is still served");
    let (status, _) = http_get(port, "/api/summary?from=2024-01&to=2024-04", &format!("127.0.0.1:{port}")).unwrap();
    assert_eq!(status, 200);
}
