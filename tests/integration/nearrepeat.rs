//! The Knox test against the NearRepeat R package's output on its own example data (observed pairs exactly,
//! Knox ratios and p within Monte Carlo error), and on Chicago 2017 burglary through the CLI: significant excess
//! at short distance and time, none when the dates are shuffled; police.uk months refused.

use crate::common::{bin, chicago_burglary_with_shuffled_dates, dorset_months, fixtures, ingest_chicago_csv};
use hotspots::analysis::nearrepeat::{DistanceMetric, KnoxParams, SpaceBands, TimeBands, knox};
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

/// `chicago_be_month1.csv` of the R package: X, Y (EPSG:26971, metres), date; as (x, y, t_s).
fn r_example() -> (Vec<f64>, Vec<f64>, Vec<i64>) {
    let text = std::fs::read_to_string(fixtures().join("nearrepeat").join("chicago_be_month1.csv")).unwrap();
    let (mut x, mut y, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        let f: Vec<&str> = line.split(',').collect();
        x.push(f[0].parse::<f64>().unwrap());
        y.push(f[1].parse::<f64>().unwrap());
        let d = chrono::NaiveDate::parse_from_str(f[2], "%Y-%m-%d").unwrap();
        t.push(d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp());
    }
    (x, y, t)
}

struct RCell {
    config: String,
    method: String,
    sds: Vec<f64>,
    tds: Vec<f64>,
    space: usize,
    time: usize,
    observed: u64,
    knox_ratio: f64,
    p: f64,
}

fn r_reference() -> Vec<RCell> {
    let mut r = csv::Reader::from_path(fixtures().join("nearrepeat").join("r_reference.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let nums = |s: &str| s.split(' ').map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            RCell {
                config: rec[col("config")].to_owned(),
                method: rec[col("method")].to_owned(),
                sds: nums(&rec[col("sds")]),
                tds: nums(&rec[col("tds")]),
                space: rec[col("space")].parse().unwrap(),
                time: rec[col("time")].parse().unwrap(),
                observed: rec[col("observed")].parse().unwrap(),
                knox_ratio: rec[col("knox_ratio")].parse().unwrap_or(f64::NAN),
                p: rec[col("p")].parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn reproduces_the_nearrepeat_r_package() {
    let (x, y, t) = r_example();
    assert_eq!(x.len(), 970);
    let reference = r_reference();
    let mut configs: Vec<String> = reference.iter().map(|c| c.config.clone()).collect();
    configs.dedup();
    assert_eq!(configs, vec!["vignette", "euclidean"]);
    for config in configs {
        let cells: Vec<&RCell> = reference.iter().filter(|c| c.config == config).collect();
        let first = cells[0];
        let params = KnoxParams {
            space: SpaceBands::new(first.sds.clone(), false).unwrap(),
            time: TimeBands::new(first.tds.clone()).unwrap(),
            metric: first.method.parse::<DistanceMetric>().unwrap(),
            iterations: 999,
            seed: 11,
            alpha: 0.05,
        };
        let ours = knox(&x, &y, &t, &params).unwrap();
        assert_eq!(ours.cells.len(), cells.len());
        for rc in cells {
            let c = ours.cell(rc.space, rc.time);
            // Observed pairs: deterministic, so exactly R's.
            assert_eq!(c.observed, rc.observed, "{config} cell {} {}", rc.space, rc.time);
            // Knox ratios: R's permutation mean (observed / ratio) and ours are both Monte Carlo estimates of the
            // exact mean; the permuted counts are roughly Poisson, so each mean's standard error is about
            // sqrt(mean / 999). Allow 5 standard errors of the difference of the two.
            let exact = c.expected_exact;
            let se = (2.0 * exact / 999.0).sqrt();
            if rc.observed > 0 {
                let r_mean = rc.observed as f64 / rc.knox_ratio;
                assert!(
                    (r_mean - c.expected).abs() <= 5.0 * se + 1e-9,
                    "{config} cell {} {}: R mean {r_mean}, ours {} (exact {exact})",
                    rc.space,
                    rc.time,
                    c.expected
                );
                assert!((r_mean - exact).abs() <= 5.0 * (exact / 999.0).sqrt() + 1e-9, "R mean against exact");
            }
            // p: each a Monte Carlo estimate with standard error at most 0.5 / sqrt(999) = 0.016.
            assert!(
                (c.p - rc.p).abs() <= 0.08,
                "{config} cell {} {}: p {} against R's {}",
                rc.space,
                rc.time,
                c.p,
                rc.p
            );
            // Clear verdicts agree: R's smallest p (0.001) is significant here too, R's p >= 0.1 is not.
            if rc.p <= 0.001 {
                assert!(c.p <= 0.01, "{config} cell {} {}: p {} vs R's {}", rc.space, rc.time, c.p, rc.p);
            }
            if rc.p >= 0.1 {
                assert!(c.p > 0.05, "{config} cell {} {}: p {} vs R's {}", rc.space, rc.time, c.p, rc.p);
            }
        }
    }
    // The same-location band {0} holds exactly R's [0, 0.1) pairs: no two distinct points are closer than 0.1 m.
    let params = KnoxParams {
        space: SpaceBands::new(vec![0.0, 200.0, 400.0, 600.0], true).unwrap(),
        time: TimeBands::new(vec![0.0, 7.0, 14.0, 21.0]).unwrap(),
        metric: DistanceMetric::Manhattan,
        iterations: 9,
        seed: 1,
        alpha: 0.05,
    };
    let ours = knox(&x, &y, &t, &params).unwrap();
    let row: Vec<u64> = (0..3).map(|b| ours.cell(0, b).observed).collect();
    assert_eq!(row, vec![28, 5, 5]);
    let row: Vec<u64> = (0..3).map(|b| ours.cell(1, b).observed).collect();
    assert_eq!(row, vec![141, 69, 27]);
}

/// The NRC comparison vignette's observed table (its second table, bands chosen to mimic the Near Repeat
/// Calculator's labels), published in the package's `doc/NRC.html`; the open last bands are given a finite edge
/// beyond every pair.
#[test]
fn reproduces_the_published_nrc_comparison_table() {
    let (x, y, t) = r_example();
    let params = KnoxParams {
        space: SpaceBands::new(vec![0.0, 1.0, 101.0, 201.0, 301.0, 1e9], false).unwrap(),
        time: TimeBands::new(vec![0.0, 8.0, 15.0, 22.0, 10_000.0]).unwrap(),
        metric: DistanceMetric::Manhattan,
        iterations: 2,
        seed: 1,
        alpha: 0.05,
    };
    let ours = knox(&x, &y, &t, &params).unwrap();
    let published: [[u64; 4]; 5] =
        [[29, 4, 5, 2], [45, 15, 7, 2], [106, 48, 21, 13], [88, 64, 46, 15], [206_611, 138_108, 88_321, 36_415]];
    for (s, row) in published.iter().enumerate() {
        let got: Vec<u64> = (0..4).map(|b| ours.cell(s, b).observed).collect();
        assert_eq!(got, row.to_vec(), "row {s}");
    }
    assert_eq!(ours.pairs_in_table, 970 * 969 / 2);
}

fn knox_json(store: &Path) -> Value {
    let args = [
        "nearrepeat",
        "--category",
        "BURGLARY",
        "--space-m",
        "0,100,200,400",
        "--time-d",
        "0,7,14,28",
        "--iterations",
        "199",
        "--seed",
        "5",
        "--json",
    ];
    let (ok, out, err) = run(store, &args);
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn cell(v: &Value, s: usize, t: usize) -> &Value {
    let nt = v["result"]["time_labels"].as_array().unwrap().len();
    &v["result"]["cells"][s * nt + t]
}

#[test]
fn chicago_burglary_near_repeats_and_none_when_dates_are_shuffled() {
    let dir = tempfile::tempdir().unwrap();
    let real = fixtures().join("chicago").join("chicago-2017-burglary.csv.gz");
    let store = dir.path().join("real.db");
    ingest_chicago_csv(&store, &real);
    let v = knox_json(&store);
    assert_eq!(v["result"]["incidents"], 12_947);
    assert!(v["edges"].as_str().unwrap().contains("closed on the left"));
    // Same location and within 100 m, within a week: significantly more pairs than chance.
    for s in [0, 1] {
        let c = cell(&v, s, 0);
        assert_eq!(c["significant"], true, "{c}");
        assert!(c["knox_ratio"].as_f64().unwrap() > 1.2, "{c}");
    }

    // The same rows with the Date column shuffled.
    let shuffled = dir.path().join("shuffled.csv");
    chicago_burglary_with_shuffled_dates(&shuffled, 0x9e37_79b9_7f4a_7c15);
    let store2 = dir.path().join("shuffled.db");
    ingest_chicago_csv(&store2, &shuffled);
    let v = knox_json(&store2);
    assert_eq!(v["result"]["incidents"], 12_947);
    for s in 0..4 {
        for t in 0..3 {
            let c = cell(&v, s, t);
            let ratio = c["knox_ratio"].as_f64().unwrap();
            assert!((0.8..1.25).contains(&ratio), "shuffled: {c}");
        }
    }
    for s in [0, 1] {
        assert_eq!(cell(&v, s, 0)["significant"], false, "shuffled: {}", cell(&v, s, 0));
    }
}

#[test]
fn outputs_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest_chicago_csv(&store, &fixtures().join("chicago").join("chicago-2017-burglary.csv.gz"));
    let base = ["nearrepeat", "--category", "BURGLARY", "--from", "2017-06", "--to", "2017-09", "--iterations", "49"];
    let with = |extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let args = with(&["--space-bandwidth-m", "150", "--space-bands", "3", "--distance", "manhattan"]);
    let (ok, text, err) = run(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert!(text.contains("0 (same location)") && text.contains("(0,150)") && text.contains("[150,300)"), "{text}");
    assert!(text.contains("closed on the left and open on the right"), "{text}");
    assert!(text.contains("manhattan distance"), "{text}");
    let (ok, csv_text, err) = run(&store, &with(&["--csv"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    assert_eq!(csv_text.lines().count(), 1 + 5 * 4, "{csv_text}");
    assert!(csv_text.starts_with("space_band,space_label,space_from_m"));
    let html = dir.path().join("k.html");
    let html_s = html.display().to_string();
    let (ok, _, err) = run(&store, &with(&["--out", &html_s]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("<table>") && page.contains("[0,7)") && page.contains("closed on the left"), "{page}");
    // Byte-identical at one and two threads.
    let json_args = with(&["--json"]);
    let json_args: Vec<&str> = json_args.iter().map(String::as_str).collect();
    let threads = |n: &str| {
        let out = Command::new(bin())
            .args(&json_args)
            .arg("--store")
            .arg(&store)
            .env("RAYON_NUM_THREADS", n)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(threads("1"), threads("2"));
    // Refusals name the parameter.
    for (extra, needle) in [
        (&["--space-m", "0,100,inf"][..], "not finite"),
        (&["--space-m", "10,100"][..], "must be 0"),
        (&["--time-d", "0,7,7"][..], "must increase"),
        (&["--iterations", "1"][..], "iterations"),
        (&["--format", "png"][..], "--format png"),
    ] {
        let (ok, _, err) = run(&store, &with(extra).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(!ok && err.contains(needle), "{extra:?}: {err}");
    }
}

#[test]
fn police_uk_months_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let month = &dorset_months()[5];
    let (ok, _, err) = run(&store, &["ingest", &month.display().to_string()]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&store, &["nearrepeat", "--category", "Burglary"]);
    assert!(!ok);
    assert!(err.contains("known only to the month") && err.contains("police.uk"), "{err}");
}

#[test]
fn chicago_burglary_zones_beat_the_same_area_at_random() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest_chicago_csv(&store, &fixtures().join("chicago").join("chicago-2017-burglary.csv.gz"));
    let (mut hits, mut random) = (0.0, 0.0);
    for at in ["2017-04-01", "2017-07-01", "2017-10-01"] {
        let args = [
            "nearrepeat",
            "--category",
            "BURGLARY",
            "--zones-at",
            at,
            "--nr-days",
            "14",
            "--space-m",
            "0,100,200,400",
            "--time-d",
            "0,7,14,28",
            "--iterations",
            "99",
            "--json",
        ];
        let (ok, out, err) = run(&store, &args);
        assert!(ok, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let z = &v["zones"];
        let (radius, days) = (z["radius_m"].as_f64().unwrap(), z["risk_days"].as_f64().unwrap());
        assert!(radius > 0.0 && days >= 7.0, "{at}: {radius} m, {days} days");
        let zones = z["zones"].as_array().unwrap();
        assert!(!zones.is_empty(), "{at}");
        for zone in zones {
            let last = chrono::DateTime::parse_from_rfc3339(&hotspots::model::time::format_instant(
                zone["last_s"].as_i64().unwrap(),
            ))
            .unwrap()
            .timestamp();
            assert_eq!(zone["expires_s"].as_i64().unwrap(), last + (days * 86_400.0) as i64);
            assert!(zone["addresses_worth"].as_u64().unwrap() >= 1);
            assert!(zone["area_m2"].as_f64().unwrap() > 0.0);
        }
        let val = &v["validation"];
        assert_eq!(val["horizon_days"], 14.0);
        assert!(val["total"].as_u64().unwrap() > 300, "{val}");
        hits += val["hits"].as_f64().unwrap();
        random += val["random_mean_hits"].as_f64().unwrap();
    }
    // Over the three dates the zones catch more of the next fortnight's burglaries than the same zones moved onto
    // random earlier burglaries.
    assert!(hits > 1.1 * random, "zones {hits} against random {random}");
    // GeoJSON of the zones.
    let out_path = dir.path().join("z.geojson");
    let args = [
        "nearrepeat",
        "--category",
        "BURGLARY",
        "--zones-at",
        "2017-07-01",
        "--iterations",
        "49",
        "--out",
        &out_path.display().to_string(),
    ];
    let (ok, _, err) = run(&store, &args);
    assert!(ok, "{err}");
    let g: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    let f = &g["features"][0];
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    let lon = f["geometry"]["coordinates"][0][0][0][0].as_f64().unwrap();
    assert!((-88.0..-87.5).contains(&lon), "{lon}");
}
