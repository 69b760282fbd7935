//! `hotspots areas import | list | counts` end to end: versions, duplicates, outputs that add up, malformed files
//! that name the feature and change nothing, a failed import rolled back, and `serve` offering stored layers.

use crate::common::{TempStore, bin, dorset_months, shared_data};
use hotspots::areas::{FieldChoice, read_geojson};
use hotspots::store::{NewAreaLayer, Store};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(store: &Path, args: &[&str]) -> Output {
    Command::new(bin()).args(args).arg("--store").arg(store).output().unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let out = run(store, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn boundary(name: &str) -> String {
    shared_data().join("boundaries").join(name).display().to_string()
}

/// A store with the 2024 Dorset months.
fn store_2024() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let mut args: Vec<String> = vec!["ingest".into()];
    args.extend(dorset_months()[5..].iter().map(|p| p.display().to_string()));
    ok(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    (dir, store)
}

#[test]
fn import_list_versions_and_already_imported() {
    let (_dir, store) = store_2024();
    let lsoas = boundary("lsoas_poole.geojson");
    let first =
        ok(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    assert!(first.contains("imported layer lsoas@1") && first.contains("114 areas"), "{first}");
    let again =
        ok(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    assert!(again.contains("already imported as layer lsoas@1"), "{again}");
    // Another content under the same name is a new version; the old one stays and can still be named.
    let msoas = boundary("msoas_poole.geojson");
    let v2 = ok(&store, &["areas", "import", &msoas, "--layer", "lsoas", "--key", "msoa11cd", "--json"]);
    let v2: Value = serde_json::from_str(&v2).unwrap();
    assert_eq!(v2["layer"]["version"], 2);
    assert_eq!(v2["layer"]["source_crs"], "EPSG:27700");
    assert_eq!(v2["already_imported"], false);
    let list: Value = serde_json::from_str(&ok(&store, &["areas", "list", "--json"])).unwrap();
    let layers = list["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0]["features"], 114);
    assert_eq!(layers[0]["file_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(layers[1]["features"], 29);
    let text = ok(&store, &["areas", "list"]);
    assert!(text.contains("lsoas@1 ") && text.contains("lsoas@2 *"), "{text}");
    // Only the newest version decides "already imported": the first content again becomes version 3.
    let v3 =
        ok(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    assert!(v3.contains("imported layer lsoas@3"), "{v3}");
    let again =
        ok(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    assert!(again.contains("already imported as layer lsoas@3"), "{again}");

    let count_rows = |layer: &str| -> usize {
        let v: Value = serde_json::from_str(&ok(&store, &["areas", "counts", "--layer", layer, "--json"])).unwrap();
        v["areas"].as_array().unwrap().len()
    };
    assert_eq!(count_rows("lsoas"), 114, "the newest version");
    assert_eq!(count_rows("lsoas@2"), 29);
    assert_eq!(count_rows("lsoas@1"), 114);
    assert_eq!(count_rows(&layers[0]["id"].to_string()), 114);
    let missing = run(&store, &["areas", "counts", "--layer", "wards"]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(!missing.status.success() && err.contains("no area layer 'wards'") && err.contains("lsoas@3"), "{err}");
    let bad_name = run(&store, &["areas", "import", &lsoas, "--layer", "a/b", "--key", "lsoa11cd"]);
    assert!(String::from_utf8_lossy(&bad_name.stderr).contains("--layer 'a/b'"));
}

#[test]
fn counts_add_up_in_every_format() {
    let (dir, store) = store_2024();
    let lsoas = boundary("lsoas_poole.geojson");
    ok(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    let window = ["--from", "2024-01", "--to", "2024-03"];
    let csv_path = dir.path().join("c.csv");
    let geojson_path = dir.path().join("c.geojson");
    let mut args = vec!["areas", "counts", "--layer", "lsoas", "--json", "--out"];
    args.push(csv_path.to_str().unwrap());
    args.extend(window);
    let v: Value = serde_json::from_str(&ok(&store, &args)).unwrap();
    // Every incident of the window is counted once: in an area or outside them all.
    let expected: usize = dorset_months()[5..7]
        .iter()
        .map(|m| csv::Reader::from_path(m).unwrap().records().filter(|r| !r.as_ref().unwrap()[4].is_empty()).count())
        .sum();
    assert_eq!(v["total"], expected as u64);
    let areas = v["areas"].as_array().unwrap();
    let inside: u64 = areas.iter().map(|a| a["count"].as_u64().unwrap()).sum();
    assert_eq!(inside + v["outside"]["count"].as_u64().unwrap(), expected as u64);
    assert!(inside > 1500, "{inside}");
    // The file's own areas (st_areasha, square metres in British National Grid) against ours, measured in UTM.
    let file: Value = serde_json::from_slice(&std::fs::read(&lsoas).unwrap()).unwrap();
    for (a, f) in areas.iter().zip(file["features"].as_array().unwrap()) {
        assert_eq!(a["key"], f["properties"]["lsoa11cd"]);
        let cats: u64 = a["categories"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(cats, a["count"].as_u64().unwrap());
        let km2 = a["area_km2"].as_f64().unwrap();
        // The file's other LSOAs are clipped to slivers of their own st_areasha.
        if a["name"].as_str().unwrap().starts_with("Poole ") {
            let file_km2 = f["properties"]["st_areasha"].as_f64().unwrap() / 1e6;
            assert!((km2 / file_km2 - 1.0).abs() < 0.005, "{}: {km2} vs {file_km2}", a["key"]);
        }
        let density = a["density_per_km2"].as_f64().unwrap();
        assert!((density - a["count"].as_f64().unwrap() / km2).abs() < 1e-9);
    }
    // The CSV written beside it holds the same rows, then the row outside every area.
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), areas.len() + 1);
    for (row, a) in rows.iter().zip(areas) {
        assert_eq!(&row[0], a["key"].as_str().unwrap());
        assert_eq!(row[2].parse::<u64>().unwrap(), a["count"].as_u64().unwrap());
    }
    assert_eq!(rows[areas.len()][2].parse::<u64>().unwrap(), v["outside"]["count"].as_u64().unwrap());
    // GeoJSON: the same counts on the outlines.
    let mut args = vec!["areas", "counts", "--layer", "lsoas", "--out", geojson_path.to_str().unwrap()];
    args.extend(window);
    let text = ok(&store, &args);
    assert!(text.contains("E01015302") && text.contains("outside every area"), "{text}");
    let g: Value = serde_json::from_slice(&std::fs::read(&geojson_path).unwrap()).unwrap();
    let features = g["features"].as_array().unwrap();
    assert_eq!(features.len(), 114);
    for (f, a) in features.iter().zip(areas) {
        assert_eq!(f["properties"]["count"], a["count"]);
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
    }
    // Filters: one category, and harm as the density.
    let mut args = vec!["areas", "counts", "--layer", "lsoas", "--csv", "--category", "Burglary", "--weight", "harm"];
    args.extend(window);
    let burglary = ok(&store, &args);
    let header = burglary.lines().next().unwrap();
    assert_eq!(header, "key,name,count,harm,area_km2,density_per_km2,Burglary");
    let bad = run(&store, &["areas", "counts", "--layer", "lsoas", "--out", "x.kml"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown format 'kml'"));
}

/// A FeatureCollection of one good square (key G) then `feature`.
fn doc_with(feature: &str) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[
        {{"type":"Feature","properties":{{"code":"G"}},"geometry":{{"type":"Polygon","coordinates":[[[-2,50.7],[-1.9,50.7],[-1.9,50.8],[-2,50.7]]]}}}},
        {feature}]}}"#
    )
}

#[test]
fn malformed_files_name_the_feature_and_leave_the_store_unchanged() {
    let (dir, store) = store_2024();
    ok(&store, &["areas", "import", &boundary("msoas_poole.geojson"), "--layer", "msoas", "--key", "msoa11cd"]);
    let before = std::fs::read(&store).unwrap();
    let polygon = |coords: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"B7"}},"geometry":{{"type":"Polygon","coordinates":{coords}}}}}"#
        )
    };
    let cases = [
        ("unclosed", polygon("[[[-2,50],[-1,50],[-1,51],[-2,51]]]"), "feature 2 (B7): the exterior ring is not closed"),
        ("nan", polygon("[[[-2,50],[-1,50],[-1,NaN],[-2,50]]]"), "feature 2 (B7): the exterior ring: position 3 is (-1, NaN)"),
        ("short", polygon("[[[-2,50],[-1,50],[-2,50]]]"), "feature 2 (B7): the exterior ring has 3 positions"),
        (
            "nokey",
            r#"{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[-2,50],[-1,50],[-1,51],[-2,50]]]}}"#.into(),
            "feature 2 (no key): has no value for the key field 'code' (its properties: name)",
        ),
        (
            "point",
            r#"{"type":"Feature","properties":{"code":"P1"},"geometry":{"type":"Point","coordinates":[-2,50]}}"#.into(),
            "feature 2 (P1): the geometry is a Point, not a Polygon or MultiPolygon",
        ),
        (
            "duplicate",
            r#"{"type":"Feature","properties":{"code":"G"},"geometry":{"type":"Polygon","coordinates":[[[-2,50],[-1,50],[-1,51],[-2,50]]]}}"#.into(),
            "features 1 and 2 both have the key 'G'",
        ),
    ];
    for (name, feature, want) in cases {
        let path = dir.path().join(format!("{name}.geojson"));
        std::fs::write(&path, doc_with(&feature)).unwrap();
        let out = run(&store, &["areas", "import", path.to_str().unwrap(), "--layer", name, "--key", "code"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(err.contains(&format!("{name}.geojson")), "{name}: the file is named: {err}");
        assert_eq!(std::fs::read(&store).unwrap(), before, "{name}: the store changed");
    }
    let crs = dir.path().join("crs.geojson");
    let doc = doc_with(&polygon("[[[-2,50],[-1,50],[-1,51],[-2,50]]]")).replace(
        r#"{"type":"FeatureCollection","#,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::999999"}},"#,
    );
    std::fs::write(&crs, doc).unwrap();
    let out = run(&store, &["areas", "import", crs.to_str().unwrap(), "--layer", "crs", "--key", "code"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("'urn:ogc:def:crs:EPSG::999999'") && err.contains("nothing was imported"), "{err}");
    assert_eq!(std::fs::read(&store).unwrap(), before);
}

#[test]
fn a_failed_import_rolls_back_whole() {
    let mut ts = TempStore::new();
    let doc = doc_with(
        r#"{"type":"Feature","properties":{"code":"H"},"geometry":{"type":"Polygon","coordinates":[[[-2,50],[-1,50],[-1,51],[-2,50]]]}}"#,
    );
    let good = read_geojson(doc.as_bytes(), "t", &FieldChoice::explicit("code", None)).unwrap();
    ts.store
        .import_area_layer(&NewAreaLayer {
            name: "kept",
            file: "k.geojson",
            file_name: "k.geojson",
            format: "geojson",
            key_field: "code",
            name_field: None,
            source_crs: "EPSG:4326",
            file_sha256: "1",
            areas: &good.areas,
        })
        .unwrap();
    let counts =
        |ts: &TempStore| (ts.scalar("SELECT count(*) FROM area_layers"), ts.scalar("SELECT count(*) FROM areas"));
    let before = counts(&ts);
    assert_eq!(before, (1, 2));
    // The second area repeats the first's key: the store refuses it part way through the areas.
    let mut dup = good.areas.clone();
    dup[1].key = dup[0].key.clone();
    let err = ts
        .store
        .import_area_layer(&NewAreaLayer {
            name: "broken",
            file: "b.geojson",
            file_name: "b.geojson",
            format: "geojson",
            key_field: "code",
            name_field: None,
            source_crs: "EPSG:4326",
            file_sha256: "2",
            areas: &dup,
        })
        .unwrap_err();
    assert!(err.to_string().contains("writing area 'G'"), "{err}");
    assert_eq!(counts(&ts), before, "nothing of the failed layer is left");
    let path = ts.path();
    drop(ts.store);
    let reopened = Store::open_existing(&path).unwrap();
    assert_eq!(reopened.area_layers().unwrap().len(), 1);
}

#[test]
fn serve_offers_the_stored_layers() {
    use std::io::{Read, Write};
    let (dir, store) = store_2024();
    ok(&store, &["areas", "import", &boundary("lsoas_poole.geojson"), "--layer", "lsoas", "--key", "lsoa11cd"]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(bin())
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--store"])
        .arg(&store)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").ok()?;
        let mut body = Vec::new();
        s.read_to_end(&mut body).ok()?;
        Some(String::from_utf8_lossy(&body).into_owned())
    };
    let mut meta = None;
    for _ in 0..240 {
        if let Some(m) = get("/api/meta").filter(|m| m.starts_with("HTTP/1.1 200")) {
            meta = Some(m);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    // Poole (-1.98, 50.72) at zoom 13.
    let n = 8192.0f64;
    let x = ((-1.98f64 + 180.0) / 360.0 * n) as u32;
    let lat = 50.72f64.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    let tile = get(&format!("/tiles/areas-lsoas/13/{x}/{y}.mvt?from=2024-01&to=2024-04"));
    let _ = child.kill();
    let _ = child.wait();
    let meta = meta.expect("the server answered /api/meta");
    assert!(meta.contains("\"areas-lsoas\""), "{meta}");
    let tile = tile.unwrap();
    assert!(tile.starts_with("HTTP/1.1 200"), "{}", &tile[..tile.len().min(300)]);
}

#[test]
fn compare_by_area_splits_the_totals_by_area() {
    let (_dir, store) = store_2024();
    ok(
        &store,
        &[
            "areas",
            "import",
            &boundary("msoas_poole.geojson"),
            "--layer",
            "msoas",
            "--key",
            "msoa11cd",
            "--name-field",
            "msoa11nm",
        ],
    );
    let windows = ["compare", "--before", "2024-01..2024-02", "--after", "2024-02..2024-03", "--by-area", "msoas"];
    let v: Value = serde_json::from_str(&ok(&store, &[&windows[..], &["--json"]].concat())).unwrap();
    let b = &v["by_area"];
    assert_eq!(b["layer"], "msoas");
    let rows = b["areas"].as_array().unwrap();
    assert_eq!(rows.len(), 29);
    for (side, window) in
        [("before", ["--from", "2024-01", "--to", "2024-02"]), ("after", ["--from", "2024-02", "--to", "2024-03"])]
    {
        let sum: u64 =
            rows.iter().map(|r| r[side].as_u64().unwrap()).sum::<u64>() + b["outside"][side].as_u64().unwrap();
        assert_eq!(sum as f64, v["total"][side].as_f64().unwrap(), "{side}");
        // The same counts as `areas counts` over that window.
        let c: Value = serde_json::from_str(&ok(
            &store,
            &[&["areas", "counts", "--layer", "msoas", "--json"][..], &window].concat(),
        ))
        .unwrap();
        for (r, a) in rows.iter().zip(c["areas"].as_array().unwrap()) {
            assert_eq!(r["key"], a["key"]);
            assert_eq!(r[side], a["count"], "{side} {}", r["key"]);
        }
    }
    let text = ok(&store, &windows);
    assert!(text.contains("by area of layer msoas") && text.contains("Poole 001"), "{text}");
    let csv = ok(&store, &[&windows[..], &["--csv"]].concat());
    assert!(csv.starts_with("key,name,before,after,absolute,relative,change\n"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 29 + 1);
}
