//! Near-repeat zones in the tasking list (issue 19 item 3) on Chicago 2017 burglary: zones with their facts and a
//! validation; the same rows with shuffled dates give no significant neighbourhood and so no zones; a police.uk
//! (month-precision) store gets the one-line reason, never a failure.

use crate::common::{bin, chicago_burglary_with_shuffled_dates, dorset_months, fixtures, ingest_chicago_csv};
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::Command;

fn run(store: &Path, args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).arg("--store").arg(store).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn chicago_rows() -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut text = Vec::new();
    let path = fixtures().join("chicago").join("chicago-2017-burglary.csv.gz");
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut text).unwrap();
    let mut r = csv::Reader::from_reader(text.as_slice());
    let header = r.headers().unwrap().clone();
    (header, r.records().map(|x| x.unwrap()).collect())
}

fn tasking_json(store: &Path, at: &str) -> Value {
    let out = run(store, &["tasking", "--category", "BURGLARY", "--at", at, "--top", "5", "--format", "json"]);
    serde_json::from_str(&out).unwrap()
}

#[test]
fn chicago_burglary_tasking_lists_near_repeat_zones() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    ingest_chicago_csv(&store, &fixtures().join("chicago").join("chicago-2017-burglary.csv.gz"));
    let list = tasking_json(&store, "2017-07-01");
    let nr = &list["near_repeat"];
    assert_eq!(nr["as_of"], "2017-07-01T00:00:00Z");
    assert_eq!(nr["nr_days"], 14);
    let c = &nr["categories"][0];
    assert_eq!(c["category"], "BURGLARY");
    assert!(c["reason"].is_null(), "{c}");
    let (radius, days) = (c["radius_m"].as_f64().unwrap(), c["risk_days"].as_f64().unwrap());
    assert!(radius >= 100.0 && days >= 7.0, "{radius} m, {days} days");
    let zones = c["zones"].as_array().unwrap();
    assert!(zones.len() > 20, "{}", zones.len());
    let at = chrono::DateTime::parse_from_rfc3339("2017-07-01T00:00:00Z").unwrap().timestamp();
    for z in zones {
        let expires = chrono::DateTime::parse_from_rfc3339(z["expires"].as_str().unwrap()).unwrap().timestamp();
        let last = chrono::DateTime::parse_from_rfc3339(z["last"].as_str().unwrap()).unwrap().timestamp();
        assert_eq!(expires, last + (days * 86_400.0) as i64, "{z}");
        assert!(expires > at && last < at, "{z}");
        assert!((z["days_left"].as_f64().unwrap() - (expires - at) as f64 / 86_400.0).abs() < 1e-9);
        assert!(z["addresses_worth"].as_u64().unwrap() >= 1 && z["area_m2"].as_f64().unwrap() > 0.0, "{z}");
        assert!(!z["name"].as_str().unwrap().is_empty(), "{z}");
    }
    // Every burglary with coordinates in the last 14 days whose risk has not expired is in exactly one zone:
    // counted here from the file itself.
    let (header, rows) = chicago_rows();
    let col = |n: &str| header.iter().position(|c| c == n).unwrap();
    let (date, lat) = (col("Date"), col("Latitude"));
    let expected = rows
        .iter()
        .filter(|r| !r[lat].is_empty())
        .map(|r| chrono::NaiveDateTime::parse_from_str(&r[date], "%m/%d/%Y %I:%M:%S %p").unwrap().and_utc().timestamp())
        .filter(|&t| t < at && t + (days * 86_400.0) as i64 > at && t >= at - 14 * 86_400)
        .count();
    let in_zones: u64 = zones.iter().map(|z| z["incidents"].as_u64().unwrap()).sum();
    assert_eq!(in_zones as usize, expected);
    // The record: the zones caught more of the next fortnight than the same zones placed at random.
    let v = &c["validation"];
    assert_eq!(v["as_of"], "2017-07-01T00:00:00Z");
    assert!(v["total"].as_u64().unwrap() > 300, "{v}");
    assert!(v["hits"].as_f64().unwrap() > 1.1 * v["random_mean_hits"].as_f64().unwrap(), "{v}");
    // At the end of the data the next fortnight is unknown: the record is of the fortnight before.
    let end = tasking_json(&store, "2018-01-01");
    assert_eq!(end["near_repeat"]["categories"][0]["validation"]["as_of"], "2017-12-18T00:00:00Z");
    // Text and the brief show them; nr_days 0 leaves them out.
    let text = run(&store, &["tasking", "--category", "BURGLARY", "--at", "2017-07-01", "--top", "3"]);
    assert!(text.contains("near-repeat zones as of 2017-07-01"), "{text}");
    assert!(text.contains(&format!("BURGLARY: raised risk within {radius} m for {days} days")), "{text}");
    assert!(text.contains("record: as of 2017-07-01"), "{text}");
    let brief = dir.path().join("brief.html");
    let b = brief.display().to_string();
    run(
        &store,
        &["tasking", "--category", "BURGLARY", "--at", "2017-07-01", "--top", "3", "--format", "html", "--out", &b],
    );
    let html = std::fs::read_to_string(&brief).unwrap();
    assert!(html.contains("<h2>Near-repeat zones</h2>") && html.contains("alt=\"map of the near-repeat zones\""));
    let off =
        run(&store, &["tasking", "--category", "BURGLARY", "--at", "2017-07-01", "--nr-days", "0", "--format", "json"]);
    assert!(serde_json::from_str::<Value>(&off).unwrap().get("near_repeat").is_none());
}

#[test]
fn shuffled_dates_give_no_zones() {
    let dir = tempfile::tempdir().unwrap();
    let shuffled = dir.path().join("shuffled.csv");
    chicago_burglary_with_shuffled_dates(&shuffled, 0x2545_f491_4f6c_dd1d);
    let store = dir.path().join("s.db");
    ingest_chicago_csv(&store, &shuffled);
    for at in ["2017-07-01", "2017-10-01"] {
        let c = &tasking_json(&store, at)["near_repeat"]["categories"][0];
        assert!(c["zones"].as_array().unwrap().is_empty(), "{at}: {c}");
        assert!(c["radius_m"].is_null(), "{at}: {c}");
        assert!(c["reason"].as_str().unwrap().contains("no significant excess"), "{at}: {c}");
    }
}

#[test]
fn police_uk_months_give_the_reason_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    for month in &dorset_months()[..3] {
        run(&store, &["ingest", &month.display().to_string()]);
    }
    let text = run(&store, &["tasking", "--window", "1m", "--top", "3"]);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("no near-repeat zones")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("known only to the month") && lines[0].contains("police.uk"), "{text}");
    let v: Value = serde_json::from_str(&run(&store, &["tasking", "--window", "1m", "--format", "json"])).unwrap();
    let nr = &v["near_repeat"];
    assert!(nr["reason"].as_str().unwrap().contains("known only to the month"), "{nr}");
    assert!(v["candidates"].as_array().unwrap().len() > 1);
}
