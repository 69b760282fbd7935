//! The attacks of issue 14, run against `serve --public` (its router, no socket) and against a published directory
//! (`hotspots publish`), on Chicago 2017 (exact times to the second): no answer is computed on anything but the
//! published lattice, every count any answer or tile holds is a multiple of the minimum count (so no sum or
//! difference of public answers is from 1 to min_count - 1), and every position is a published cell's corner or
//! centre. Also: the server and the directory give the same numbers, and the public density still looks like the
//! internal one (correlation above 0.95).

use crate::common::{TempStore, chicago};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotspots::geo::Projector;
use hotspots::ingest::{ColumnOptions, IngestOptions};
use hotspots::model::Dataset;
use hotspots::publish::Published;
use hotspots::publish::lattice::{BANDWIDTH_M, CELL_M, GROUPS, Period};
use hotspots::server::ServerConfig;
use hotspots::server::public::{PublicServer, public_app};
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

const BASE: u32 = 5;

fn dataset() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| {
        let opts = IngestOptions {
            columns: ColumnOptions {
                lon_col: Some("Longitude".into()),
                lat_col: Some("Latitude".into()),
                time_col: Some("Date".into()),
                category_col: Some("Primary Type".into()),
                id_col: Some("ID".into()),
                location_col: Some("Block".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut t = TempStore::new();
        t.ingest(&chicago(), &opts).unwrap();
        t.store.load_dataset(None).unwrap()
    })
}

fn server() -> &'static Arc<PublicServer> {
    static S: OnceLock<Arc<PublicServer>> = OnceLock::new();
    S.get_or_init(|| {
        let p = Published::build(dataset(), &[], &[7; 32], BASE).unwrap();
        let config =
            ServerConfig::new("127.0.0.1:0".parse().unwrap(), crate::common::fixtures().join("..").join("assets"));
        Arc::new(PublicServer::new(p, config))
    })
}

fn published() -> &'static Published {
    &server().published
}

struct Got {
    status: StatusCode,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn get(uri: &str) -> Got {
    let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
    let resp = public_app(server().clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), 64 << 20).await.unwrap().to_vec();
    Got { status, body }
}

/// A 400 naming `parameter`.
async fn refused(uri: &str, parameter: &str) {
    let g = get(uri).await;
    assert_eq!(g.status, StatusCode::BAD_REQUEST, "{uri}: {}", String::from_utf8_lossy(&g.body));
    let j = g.json();
    assert_eq!(j["parameter"], parameter, "{uri}: {j}");
    assert!(j["error"].as_str().unwrap().len() > 20, "says what is allowed: {j}");
}

/// Every count in a JSON answer (by key) is a multiple of the base.
fn counts_are_multiples(v: &Value, path: &str) {
    const COUNT_KEYS: [&str; 5] = ["incidents", "previous", "count", "total", "groups"];
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{path}.{k}");
                if COUNT_KEYS.contains(&k.as_str()) || path.ends_with(".summary") || path.contains(".summary.") {
                    all_numbers_multiples(x, &p);
                }
                counts_are_multiples(x, &p);
            }
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| counts_are_multiples(x, &format!("{path}[{i}]"))),
        _ => {}
    }
}

fn all_numbers_multiples(v: &Value, path: &str) {
    match v {
        Value::Number(n) => {
            let n = n.as_u64().unwrap_or_else(|| panic!("{path}: {n} is not a count"));
            assert_eq!(n % u64::from(BASE), 0, "{path}: {n}");
        }
        Value::Object(o) => o.iter().for_each(|(k, x)| all_numbers_multiples(x, &format!("{path}.{k}"))),
        Value::Array(a) => a.iter().for_each(|x| all_numbers_multiples(x, path)),
        _ => {}
    }
}

/// A lon/lat that must be a corner (`offset` 0) or centre (`offset` 0.5) of a published cell.
fn on_lattice(proj: &Projector, lonlat: [f64; 2], offset: f64, what: &str) {
    let (x, y) = proj.from_lonlat(lonlat[0], lonlat[1]).unwrap();
    for v in [x, y] {
        let k = v / CELL_M - offset;
        assert!((k - k.round()).abs() < 1e-5, "{what}: {lonlat:?} is {v} m, not on the 250 m lattice");
    }
}

fn months() -> Vec<String> {
    published().periods.iter().filter(|p| matches!(p, Period::Month(_))).map(|p| p.id()).collect()
}

#[tokio::test]
async fn every_choice_off_the_lattice_is_refused() {
    let march = "period=2017-03";
    // Time bisection and one-second windows, on every route and the tiles.
    for route in ["/api/summary", "/api/hotspots", "/tiles/public.json", "/tiles/public/12/1050/1522.mvt", "/"] {
        refused(&format!("{route}?from=2017-03-01T00:00:00Z&to=2017-03-01T00:00:01Z"), "from").await;
        refused(&format!("{route}?from=2017-03-01&to=2017-03-15"), "from").await;
        refused(&format!("{route}?from=2017-03-01"), "from").await;
        refused(&format!("{route}?period=2017-03-01"), "period").await;
        refused(&format!("{route}?period=2016-12"), "period").await;
    }
    // Single categories and their complements; cell offsets and sizes; tiny bandwidths; top share 1; harm; windows
    // before and after; daily steps; anything else.
    for (q, param) in [
        ("category=HOMICIDE", "category"),
        ("group=homicide", "group"),
        ("cell_m=10", "cell_m"),
        ("cell_m=250.5", "cell_m"),
        ("origin_x_m=125", "origin_x_m"),
        ("bbox=-87.7,41.8,-87.6,41.9", "bbox"),
        ("bandwidth_m=1", "bandwidth_m"),
        ("top_share=1", "top_share"),
        ("top=1000", "top"),
        ("weight=harm", "weight"),
        ("rank_by=harm", "rank_by"),
        ("harm=1", "harm"),
        ("before=2017-01..2017-02", "before"),
        ("after=2017-02..2017-03", "after"),
        ("previous=2017-02", "previous"),
        ("step=1d", "step"),
        ("resolution=15", "resolution"),
        ("method=gistar", "method"),
        ("band_m=50", "band_m"),
    ] {
        refused(&format!("/api/hotspots?{march}&{q}"), param).await;
        refused(&format!("/tiles/public/12/1050/1522.mvt?{q}"), param).await;
    }
    // Daily steps and the compared windows are refused before any route is chosen; the internal routes and layers
    // are not there at all.
    refused("/api/emerging?period=1d", "period").await;
    refused("/api/compare?before=2017-01..2017-02&after=2017-02..2017-03", "before").await;
    for uri in [
        "/api/emerging",
        "/api/compare",
        "/api/tasking",
        "/tiles/hex.json",
        "/tiles/incidents/13/2100/3045.mvt",
        "/tiles/gistar/12/1050/1522.mvt",
    ] {
        assert_eq!(get(uri).await.status, StatusCode::NOT_FOUND, "{uri}");
    }
    // The published choices are answered, in any spelling of the lattice's fixed values.
    for q in [
        march,
        "period=2017-03&cell_m=250&bandwidth_m=500.0&weight=count",
        "from=2017-03&to=2017-04",
        "period=2017-01_2017-03&group=violence",
    ] {
        assert_eq!(get(&format!("/api/hotspots?{q}")).await.status, StatusCode::OK, "{q}");
    }
}

#[tokio::test]
async fn no_count_below_the_minimum_is_recoverable() {
    let meta = get("/api/meta").await.json();
    counts_are_multiples(&meta["summary"], "summary");
    counts_are_multiples(&meta["hotspots"], "hotspots");
    assert_eq!(meta["months"].as_array().unwrap().len(), 12, "every 2017 month is whole");
    let groups: Vec<&str> = GROUPS.iter().map(|g| g.id).collect();
    let mut periods: Vec<String> = published().periods.iter().map(|p| p.id()).collect();
    periods.truncate(16);
    for period in &periods {
        for g in &groups {
            let s = get(&format!("/api/summary?period={period}&group={g}")).await.json();
            counts_are_multiples(&s, "summary");
            let h = get(&format!("/api/hotspots?period={period}&group={g}")).await.json();
            for f in h["features"].as_array().unwrap() {
                counts_are_multiples(&f["properties"], "hotspot");
            }
        }
    }
    // Category complements: every group against all, every month against its quarter: differences of multiples.
    let p = published();
    for q in &p.products {
        assert_eq!(q.total % BASE, 0);
        assert!(q.cells.values().all(|n| n % BASE == 0));
        assert!(q.hex.values().all(|n| n % BASE == 0));
    }
    // Groups with true counts from 1 to 4 in a month exist (homicides are in `violence`, but small categories in
    // `other` are the test): the published answers still never show them.
    let ds = dataset();
    let small: Vec<&String> = ds
        .categories()
        .names()
        .iter()
        .enumerate()
        .filter(|(k, _)| {
            let n = ds.category_ids().iter().filter(|&&c| usize::from(c) == *k).count();
            (1..BASE as usize).contains(&n)
        })
        .map(|(_, n)| n)
        .collect();
    assert!(!small.is_empty(), "Chicago 2017 has categories with fewer than {BASE} incidents in the year");

    // Every tile, every zoom: every count property is a multiple of the base.
    let dir = tempfile::tempdir().unwrap();
    hotspots::publish::archive::write(p, dir.path(), &crate::common::fixtures().join("..").join("assets")).unwrap();
    let bytes = std::fs::read(dir.path().join("hotspots.pmtiles")).unwrap();
    let archive = hotspots::publish::archive::read(&bytes).unwrap();
    assert!(!archive.tiles.is_empty());
    let mut checked = 0u64;
    for tile in archive.tiles.values() {
        let r = mvt_reader::Reader::new(tile.clone()).unwrap();
        for layer in r.get_layer_names().unwrap().iter().enumerate() {
            for f in r.get_features(layer.0).unwrap() {
                for (k, v) in f.properties.iter().flatten() {
                    if k.starts_with("n:") || k == "incidents" || k == "previous" {
                        let n = match v {
                            mvt_reader::feature::Value::UInt(n) => *n,
                            other => panic!("{k}: {other:?}"),
                        };
                        assert_eq!(n % u64::from(BASE), 0, "{}: {k}={n}", layer.1);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "{checked} counts checked in the tiles");
    // The published directory answers the same index.
    let index: Value = serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    for key in ["periods", "groups", "summary", "hotspots", "bounds", "disclosure_control", "lattice"] {
        assert_eq!(index[key], meta[key], "{key}: the directory and the server agree");
    }
}

#[tokio::test]
async fn positions_are_published_cells_never_incidents() {
    let p = published();
    let proj = &p.projector;
    let meta = get("/api/meta").await.json();
    let tj = get("/tiles/public.json").await.json();
    assert_eq!(tj["bounds"], meta["bounds"]);
    let b: Vec<f64> = meta["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    // The bounds are the lon/lat box of the published cells' corners: each edge passes through a cell corner.
    let ds = dataset();
    let (lon, lat) = (ds.lon(), ds.lat());
    for v in [b[0], b[2]] {
        assert!(!lon.contains(&v), "bounds {v} is an incident's longitude");
    }
    for v in [b[1], b[3]] {
        assert!(!lat.contains(&v), "bounds {v} is an incident's latitude");
    }
    // Each edge of the bounds passes through a corner of the box of the published cells.
    let cells: Vec<_> = p.products.iter().flat_map(|q| q.cells.keys().copied()).collect();
    let (c0, c1) = (cells.iter().map(|c| c.0).min().unwrap(), cells.iter().map(|c| c.0).max().unwrap() + 1);
    let (r0, r1) = (cells.iter().map(|c| c.1).min().unwrap(), cells.iter().map(|c| c.1).max().unwrap() + 1);
    let corners: Vec<(f64, f64)> = [(c0, r0), (c1, r0), (c0, r1), (c1, r1)]
        .iter()
        .map(|&(c, r)| proj.to_lonlat(c as f64 * CELL_M, r as f64 * CELL_M).unwrap())
        .collect();
    for (k, v) in b.iter().enumerate() {
        let hit = corners.iter().any(|&(lon, lat)| ((if k % 2 == 0 { lon } else { lat }) - v).abs() < 1e-9);
        assert!(hit, "bounds[{k}] = {v} is not a published cell corner: {corners:?}");
    }
    for month in months() {
        for g in GROUPS.iter().map(|g| g.id) {
            let h = get(&format!("/api/hotspots?period={month}&group={g}")).await.json();
            for f in h["features"].as_array().unwrap() {
                let c = &f["properties"]["centre_lonlat"];
                on_lattice(proj, [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()], 0.5, "hotspot centre");
                for v in
                    f["geometry"]["coordinates"].as_array().unwrap().iter().flat_map(|poly| {
                        poly.as_array().unwrap().iter().flat_map(|ring| ring.as_array().unwrap().iter())
                    })
                {
                    on_lattice(proj, [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()], 0.0, "hotspot outline");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_server_serves_the_archive_tiles() {
    let p = published();
    let dir = tempfile::tempdir().unwrap();
    hotspots::publish::archive::write(p, dir.path(), &crate::common::fixtures().join("..").join("assets")).unwrap();
    let archive =
        hotspots::publish::archive::read(&std::fs::read(dir.path().join("hotspots.pmtiles")).unwrap()).unwrap();
    for f in ["index.html", "public.js", "vendor/pmtiles/pmtiles.js", "vendor/maplibre-gl/maplibre-gl.js"] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    assert_eq!(archive.bounds_lonlat.map(|v| (v * 1e6).round()), p.bounds_lonlat.unwrap().map(|v| (v * 1e6).round()));
    let mut compared = 0;
    for (&(z, x, y), bytes) in archive.tiles.iter().step_by(7) {
        let g = get(&format!("/tiles/public/{z}/{x}/{y}.mvt")).await;
        assert_eq!(g.status, StatusCode::OK, "{z}/{x}/{y}");
        assert_eq!(&g.body, bytes, "{z}/{x}/{y}: the server and the archive give the same tile");
        compared += 1;
    }
    assert!(compared > 10, "{compared}");
}

/// Pearson correlation.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn public_density_looks_like_the_internal_one() {
    use hotspots::analysis::kde::{Kernel, kde};
    use hotspots::analysis::points::Points;
    let p = published();
    let ds = dataset();
    let grid = p.grid.as_ref().unwrap();
    for &period in p.periods.iter().filter(|q| matches!(q, Period::Month(_))) {
        let w = period.window().unwrap();
        let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..ds.len() {
            if ds.time_s()[i] >= w.from_s && ds.time_s()[i] < w.to_s {
                xs.push(ds.x_m()[i]);
                ys.push(ds.y_m()[i]);
                ws.push(1.0);
            }
        }
        let internal = kde(&Points { x_m: xs, y_m: ys, w: ws }, grid, Kernel::Quartic, BANDWIDTH_M).unwrap();
        let public = p.product(period, 0).unwrap();
        let pub_values: Vec<f64> = (0..grid.n_cells())
            .map(|i| public.density.get(&Published::cell_of_index(grid, i)).copied().unwrap_or(0.0))
            .collect();
        let r = correlation(&internal.density_per_km2, &pub_values);
        eprintln!("{}: correlation of the public and internal density {r:.4}", period.id());
        assert!(r > 0.95, "{}: correlation {r}", period.id());
    }
}

/// Areas against all but one, on Dorset with the Poole LSOAs, through `hotspots publish`: LSOA counts of 1 to 4
/// exist in the data, and every published area count (and so every difference of them) is a multiple of the base.
#[test]
fn area_counts_through_publish_are_multiples_of_the_base() {
    let mut t = TempStore::new();
    for m in &crate::common::dorset_months()[5..] {
        t.ingest(m, &IngestOptions::default()).unwrap();
    }
    let lsoas = crate::common::fixtures().join("boundaries").join("lsoas_poole.geojson");
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("map");
    let text =
        crate::common::cli(&t.path(), &["publish", "--out", dir.to_str().unwrap(), "--areas", lsoas.to_str().unwrap()]);
    assert!(text.contains("4 published periods (3 months)"), "{text}");
    assert!(dir.join("index.html").exists() && dir.join("vendor/pmtiles/LICENSE.txt").exists());
    assert!(t.path().with_extension("db.publish-key").exists(), "the key is kept beside the store");

    // Small true counts exist: LSOAs with 1 to 4 incidents of a group in a month.
    let ds = t.store.load_dataset(None).unwrap();
    let layer = hotspots::areas::AreaLayer::from_geojson_path(&lsoas).unwrap();
    let all: Vec<u32> = (0..ds.len() as u32).collect();
    let assigned = layer.assign(ds.lon(), ds.lat(), &all);
    let mut true_counts: std::collections::HashMap<(i64, usize, u32), u32> = Default::default();
    for (i, a) in assigned.iter().enumerate() {
        if let Some(a) = a {
            let cat = ds.categories().name(u32::from(ds.category_ids()[i])).unwrap();
            let g = hotspots::publish::lattice::group_of(cat);
            *true_counts.entry((hotspots::publish::lattice::month_of(ds.time_s()[i]), g, *a)).or_default() += 1;
        }
    }
    let small = true_counts.values().filter(|&&n| (1..BASE).contains(&n)).count();
    assert!(small > 50, "{small} LSOA-month-group counts from 1 to 4");

    let archive = hotspots::publish::archive::read(&std::fs::read(dir.join("hotspots.pmtiles")).unwrap()).unwrap();
    let mut checked = 0;
    for tile in archive.tiles.values() {
        let r = mvt_reader::Reader::new(tile.clone()).unwrap();
        let names = r.get_layer_names().unwrap();
        let Some(k) = names.iter().position(|n| n == "areas-lsoas_poole") else { continue };
        for f in r.get_features(k).unwrap() {
            for (key, v) in f.properties.iter().flatten() {
                if let (true, mvt_reader::feature::Value::UInt(n)) = (key.starts_with("n:"), v) {
                    assert_eq!(n % u64::from(BASE), 0, "{key}={n}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "{checked} area counts checked");
}

/// The same store gives byte-identical tiles and index at one and two threads.
#[test]
fn publishing_is_deterministic_at_any_thread_count() {
    let mut t = TempStore::new();
    for m in &crate::common::dorset_months()[5..] {
        t.ingest(m, &IngestOptions::default()).unwrap();
    }
    let ds = t.store.load_dataset(None).unwrap();
    let build = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let p = Published::build(&ds, &[], &[3; 32], BASE).unwrap();
            let index = hotspots::publish::index::index_json(&p, serde_json::json!({})).to_string();
            (hotspots::publish::archive::all_tiles(&p).unwrap(), index)
        })
    };
    let (a, b) = (build(1), build(2));
    assert!(!a.0.is_empty());
    assert!(a == b, "tiles or index differ between one and two threads");
}
