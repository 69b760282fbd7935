//! `hotspots when`: Chicago's night-time weapons violations get the sentence, uniformly spread synthetic times do
//! not; a circle and the outputs; police.uk months refused for hours.

use crate::common::{bin, chicago, dorset_months};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(store: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(bin()).args(args).arg("--store").arg(store).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(store: &Path, args: &[&str]) -> Value {
    let (ok, out, err) = run(store, args);
    assert!(ok, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn chicago_night_time_pattern_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let c = chicago().display().to_string();
    let (ok, _, err) = run(
        &store,
        &[
            "ingest",
            &c,
            "--lon-col",
            "Longitude",
            "--lat-col",
            "Latitude",
            "--time-col",
            "Date",
            "--category-col",
            "Primary Type",
        ],
    );
    assert!(ok, "{err}");
    // Chicago's times were ingested as clock times without a zone: UTC is their own clock.
    let v = json(&store, &["when", "--category", "WEAPONS VIOLATION", "--json"]);
    let sentence = v["sentence"].as_str().unwrap_or_else(|| panic!("no sentence: {}", v["concentration"]));
    assert!(sentence.starts_with("most incidents here happen "), "{sentence}");
    let block = &v["concentration"]["block"];
    let (from, hours) = (block["hour"].as_u64().unwrap(), block["hours"].as_u64().unwrap());
    // The block runs through the late evening into the night: it covers 23:00.
    assert!((0..hours).any(|k| (from + k) % 24 == 23), "{block}");
    assert!(v["concentration"]["p"].as_f64().unwrap() <= 0.05);
    let cells = v["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 7);
    let total: f64 = cells.iter().flat_map(|r| r.as_array().unwrap()).map(|x| x.as_f64().unwrap()).sum();
    assert_eq!(total.round() as u64, v["incidents"].as_u64().unwrap());

    // A circle around the Loop, in a zone, as CSV, SVG and PNG.
    let v = json(&store, &["when", "--near", "-87.6278,41.8819", "--radius-m", "500", "--category", "THEFT", "--json"]);
    let n = v["incidents"].as_u64().unwrap();
    assert!(n > 100, "{n}");
    assert!(v["place"].as_str().unwrap().contains("within 500 m"));
    let (ok, csv_text, err) = run(&store, &["when", "--category", "THEFT", "--csv", "--timezone", "America/Chicago"]);
    assert!(ok, "{err}");
    assert_eq!(csv_text.lines().count(), 169);
    let svg = dir.path().join("w.svg");
    let (ok, _, err) = run(&store, &["when", "--category", "THEFT", "--out", &svg.display().to_string()]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("Friday") && text.matches("<rect").count() == 169);
    let png = dir.path().join("w.png");
    let (ok, _, err) = run(&store, &["when", "--category", "THEFT", "--out", &png.display().to_string()]);
    assert!(ok, "{err}");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    let (ok, _, err) = run(&store, &["when", "--timezone", "Mars/Olympus"]);
    assert!(!ok && err.contains("--timezone"), "{err}");
}

#[test]
fn uniform_synthetic_times_get_no_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let csv = dir.path().join("uniform.csv");
    let mut text = String::from("lon,lat,time,category\n");
    let mut state = 12_345u64;
    let start = 1_483_228_800i64; // 2017-01-01
    for _ in 0..3_000 {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let t = start + ((state >> 33) % (365 * 86_400)) as i64;
        let iso = chrono::DateTime::from_timestamp(t, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        // Around Poole, so that a stored LSOA layer holds some of them.
        let lon = -2.0 + ((state >> 8) % 1000) as f64 / 1000.0 * 0.1;
        let lat = 50.70 + ((state >> 18) % 1000) as f64 / 1000.0 * 0.05;
        text.push_str(&format!("{lon},{lat},{iso},Burglary\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let (ok, _, err) = run(&store, &["ingest", &csv.display().to_string()]);
    assert!(ok, "{err}");
    let v = json(&store, &["when", "--json"]);
    assert_eq!(v["incidents"], 3_000);
    assert!(v["sentence"].is_null(), "{}", v["concentration"]);
    let (ok, out, _) = run(&store, &["when"]);
    assert!(ok && out.contains("no concentration beyond chance"), "{out}");

    // --area LAYER:KEY counts the incidents `areas counts` puts in that area.
    let lsoas = crate::common::fixtures().join("boundaries").join("lsoas_poole.geojson");
    let (ok, _, err) = run(
        &store,
        &[
            "areas",
            "import",
            &lsoas.display().to_string(),
            "--layer",
            "lsoas",
            "--key",
            "lsoa11cd",
            "--name-field",
            "lsoa11nm",
        ],
    );
    assert!(ok, "{err}");
    let counts = json(&store, &["areas", "counts", "--layer", "lsoas", "--json"]);
    let busiest =
        counts["areas"].as_array().unwrap().iter().max_by_key(|a| a["count"].as_u64().unwrap()).unwrap().clone();
    let key = busiest["key"].as_str().unwrap();
    assert!(busiest["count"].as_u64().unwrap() > 0);
    let v = json(&store, &["when", "--area", &format!("lsoas:{key}"), "--json"]);
    assert_eq!(v["incidents"], busiest["count"]);
    assert!(v["place"].as_str().unwrap().starts_with(&format!("lsoas:{key}")));
    let (ok, _, err) = run(&store, &["when", "--area", "lsoas:NOPE"]);
    assert!(!ok && err.contains("no area with key 'NOPE'"), "{err}");
}

#[test]
fn police_uk_months_are_refused_for_hours() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let (ok, _, err) = run(&store, &["ingest", &dorset_months()[6].display().to_string()]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&store, &["when"]);
    assert!(!ok && err.contains("known only to the month") && err.contains("hour"), "{err}");
}
