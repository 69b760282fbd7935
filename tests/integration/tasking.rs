//! The tasking list and emerging hot spots: planted rising hotspots rank first and are classed as emerging;
//! candidates keep their separation; on the real Dorset months the counts agree with `find` and `compare`, and the
//! missing previous window is said, not invented.

use crate::common::{bin, dorset_months};
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
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    let k = (a[1].to_radians()).cos();
    ((a[0] - b[0]) * 111_320.0 * k).hypot((a[1] - b[1]) * 110_574.0)
}

fn lonlat(v: &Value) -> [f64; 2] {
    [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]
}

#[test]
fn planted_rising_hotspots_top_the_list_as_emerging() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let csv = dir.path().join("rising.csv");
    let csv_s = csv.display().to_string();
    // Hotspots 3 and 6 at six times their rate over the last four weeks of 2024.
    let (ok, _, err) = run(
        &store,
        &[
            "synth",
            "--n",
            "30000",
            "--seed",
            "5",
            "--out",
            &csv_s,
            "--trend",
            "3:2024-12-04:6",
            "--trend",
            "6:2024-12-04:6",
        ],
    );
    assert!(ok, "{err}");
    let (ok, _, err) = run(&store, &["ingest", &csv_s]);
    assert!(ok, "{err}");
    let truth: Value = serde_json::from_slice(&std::fs::read(format!("{csv_s}.truth.json")).unwrap()).unwrap();
    let centre = |id: usize| lonlat(&truth["hotspots"][id - 1]["centre_lonlat"]);

    let list = json(&store, &["tasking", "--window", "28d", "--weight", "count", "--top", "6", "--format", "json"]);
    assert_eq!(list["emerging_period"], "week");
    let cands = list["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 6);
    let top2: Vec<[f64; 2]> = cands[..2].iter().map(|c| lonlat(&c["centroid_lonlat"])).collect();
    for planted in [3, 6] {
        let d = top2.iter().map(|&c| metres(c, centre(planted))).fold(f64::INFINITY, f64::min);
        assert!(d < 400.0, "planted rising hotspot {planted} is {d:.0} m from the top two candidates");
    }
    for c in &cands[..2] {
        let class = c["emerging_class"].as_str().unwrap();
        assert!(["intensifying_hot", "new_hot"].contains(&class), "{}: {class}", c["id"]);
    }
    // The default separation of 400 m holds between every pair.
    for (i, a) in cands.iter().enumerate() {
        for b in &cands[i + 1..] {
            let d = metres(lonlat(&a["centroid_lonlat"]), lonlat(&b["centroid_lonlat"]));
            assert!(d >= 400.0, "{} and {} are {d:.0} m apart", a["id"], b["id"]);
        }
    }
    // A wider separation merges candidates and still holds.
    let wide =
        json(&store, &["tasking", "--window", "28d", "--top", "10", "--min-separation-m", "2500", "--format", "json"]);
    let cands = wide["candidates"].as_array().unwrap();
    for (i, a) in cands.iter().enumerate() {
        for b in &cands[i + 1..] {
            let d = metres(lonlat(&a["centroid_lonlat"]), lonlat(&b["centroid_lonlat"]));
            assert!(d >= 2500.0, "{} and {} are {d:.0} m apart", a["id"], b["id"]);
        }
    }
    assert!(cands.iter().any(|c| !c["merged"].as_array().unwrap().is_empty()), "a 2.5 km separation merges something");
}

#[test]
fn tasking_on_dorset_agrees_with_find_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let months: Vec<String> = dorset_months().iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["ingest"];
    args.extend(months.iter().map(String::as_str));
    let (ok, _, err) = run(&store, &args);
    assert!(ok, "{err}");

    let list = json(
        &store,
        &["tasking", "--at", "2024-04-01", "--window", "3m", "--top", "10", "--weight", "count", "--format", "json"],
    );
    assert!(
        list["previous_note"].as_str().unwrap().contains("no data for Oct 2023 to Dec 2023 of the previous window"),
        "{}",
        list["previous_note"]
    );
    let cands = list["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 10);
    for c in cands {
        assert!(c["change"].is_null() && c["previous_incidents"].is_null(), "no change may be invented: {c}");
        assert!(c["centroid_bng_m"].is_array(), "Dorset is in Great Britain");
    }
    let found = json(
        &store,
        &[
            "find",
            "--from",
            "2024-01",
            "--to",
            "2024-04",
            "--cell-m",
            "50",
            "--bandwidth-m",
            "250",
            "--top",
            "1000",
            "--json",
        ],
    );
    let hotspots = found["hotspots"].as_array().or_else(|| found["features"].as_array()).unwrap();
    let mut checked = 0;
    for c in cands.iter().filter(|c| c["merged"].as_array().unwrap().is_empty()).take(4) {
        let id = c["id"].as_str().unwrap();
        let f = hotspots
            .iter()
            .find(|h| h["id"] == id || h["properties"]["id"] == id)
            .unwrap_or_else(|| panic!("candidate {id} is not a hotspot of find"));
        let n = f.get("incidents").or_else(|| f["properties"].get("incidents")).unwrap();
        assert_eq!(n, &c["incidents"], "{id}: find and tasking");
        let cmp = json(
            &store,
            &[
                "compare",
                "--before",
                "2024-01..2024-04",
                "--after",
                "2024-04..2024-07",
                "--hotspot",
                id,
                "--cell-m",
                "50",
                "--bandwidth-m",
                "250",
                "--json",
            ],
        );
        assert_eq!(
            cmp["areas"]["target"]["before"].as_f64().unwrap(),
            c["incidents"].as_f64().unwrap(),
            "{id}: compare"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} unmerged candidates");

    // Split by a stored boundary layer: the split never exceeds the candidate, and Poole's candidates have one.
    let lsoas = crate::common::shared_data().join("boundaries").join("lsoas_poole.geojson").display().to_string();
    let (ok, _, err) =
        run(&store, &["areas", "import", &lsoas, "--layer", "lsoas", "--key", "lsoa11cd", "--name-field", "lsoa11nm"]);
    assert!(ok, "{err}");
    let split = json(
        &store,
        &["tasking", "--at", "2024-04-01", "--window", "3m", "--top", "10", "--format", "json", "--by-area", "lsoas"],
    );
    let mut with_split = 0;
    for c in split["candidates"].as_array().unwrap() {
        let parts: u64 =
            c["by_area"].as_array().map_or(0, |a| a.iter().map(|x| x["incidents"].as_u64().unwrap()).sum());
        assert!(parts <= c["incidents"].as_u64().unwrap(), "{c}");
        if parts > 0 {
            with_split += 1;
            assert!(c["by_area"][0]["name"].as_str().unwrap().starts_with("Poole"), "{}", c["by_area"]);
        }
    }
    assert!(with_split >= 1, "no candidate lies in a Poole LSOA");

    // The text and the brief say why there is no change.
    let (ok, text, err) = run(&store, &["tasking", "--at", "2024-04-01", "--window", "3m", "--top", "10"]);
    assert!(ok, "{err}");
    assert!(
        text.contains("no data for Oct 2023 to Dec 2023 of the previous window (2023-10-01..2024-01-01)"),
        "{text}"
    );
    let html = dir.path().join("brief.html");
    let (ok, _, err) = run(
        &store,
        &[
            "tasking",
            "--at",
            "2024-04-01",
            "--window",
            "3m",
            "--top",
            "3",
            "--format",
            "html",
            "--out",
            &html.display().to_string(),
        ],
    );
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(page.matches("<section class=\"page candidate\">").count(), 3);
    assert_eq!(page.matches("data:image/svg+xml;base64,").count(), 3);
    assert!(page.contains("no data for Oct 2023 to Dec 2023 of the previous window"));
}

#[test]
fn emerging_refuses_weeks_on_monthly_data_and_runs_on_months() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let months: Vec<String> = dorset_months()[5..].iter().map(|p| p.display().to_string()).collect();
    let mut args = vec!["ingest"];
    args.extend(months.iter().map(String::as_str));
    assert!(run(&store, &args).0);
    let (ok, _, err) = run(&store, &["emerging", "--period", "week"]);
    assert!(!ok);
    assert!(err.contains("known only to the month") && err.contains("--period month"), "{err}");
    let (ok, _, err) = run(&store, &["emerging", "--period", "14d"]);
    assert!(!ok && err.contains("month"), "{err}");
    let out = dir.path().join("e.geojson");
    let (ok, text, err) = run(&store, &["emerging", "--period", "month", "--out", &out.display().to_string()]);
    assert!(ok, "{err}");
    assert!(text.contains("3 month steps"), "{text}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["steps"].as_array().unwrap().len(), 3);
    assert!(!doc["features"].as_array().unwrap().is_empty(), "some cell has a class");
    // On H3 cells too.
    let (ok, text, err) = run(&store, &["emerging", "--period", "month", "--hex", "8", "--k", "1"]);
    assert!(ok, "{err}");
    assert!(text.contains("H3 resolution 8") && text.contains("hot spot"), "{text}");
    let hex_out = dir.path().join("e.geojson");
    assert!(run(&store, &["emerging", "--hex", "8", "--out", &hex_out.display().to_string()]).0);
    let doc: Value = serde_json::from_slice(&std::fs::read(&hex_out).unwrap()).unwrap();
    assert!(doc["features"][0]["properties"]["h3"].is_string(), "{}", doc["features"][0]);
    let (ok, _, err) =
        run(&store, &["emerging", "--hex", "8", "--out", &dir.path().join("e.txt").display().to_string()]);
    assert!(!ok && err.contains("use .geojson or .gpkg"), "{err}");
}
