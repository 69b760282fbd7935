//! Chicago 2017 ingests with column flags alone: accepted = rows with both coordinates and a valid date, and
//! every accepted time lies in 2017.

use crate::common::{TempStore, assert_conserved, chicago};
use hotspots::ingest::{ColumnOptions, IngestOptions};
use std::io::Read;

/// Data rows, and rows with both coordinates and a date in the documented format, counted independently.
fn facts() -> (u64, u64) {
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(chicago()).unwrap()).read_to_end(&mut text).unwrap();
    let mut r = csv::Reader::from_reader(text.as_slice());
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (lon, lat, date) = (col("Longitude"), col("Latitude"), col("Date"));
    let (mut rows, mut valid) = (0, 0);
    for rec in r.records() {
        let rec = rec.unwrap();
        rows += 1;
        let num = |i: usize| rec[i].parse::<f64>().ok().filter(|v| v.is_finite());
        let located = matches!((num(lon), num(lat)), (Some(x), Some(y)) if !(x == 0.0 && y == 0.0));
        let dated = chrono::NaiveDateTime::parse_from_str(&rec[date], "%m/%d/%Y %I:%M:%S %p").is_ok();
        if located && dated {
            valid += 1;
        }
    }
    (rows, valid)
}

#[test]
fn chicago_2017_ingests_with_flags_alone() {
    let (rows, valid) = facts();
    assert_eq!(rows, 267_792);
    let opts = IngestOptions {
        columns: ColumnOptions {
            lon_col: Some("Longitude".into()),
            lat_col: Some("Latitude".into()),
            time_col: Some("Date".into()),
            category_col: Some("Primary Type".into()),
            id_col: Some("ID".into()),
            location_col: Some("Block".into()),
            area_col: Some("Beat".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut t = TempStore::new();
    let s = t.ingest(&chicago(), &opts).unwrap();
    assert_conserved(&s);
    assert_eq!(s.read, rows);
    assert_eq!(s.accepted, valid);
    assert_eq!(s.format.as_deref(), Some("csv"));

    let info = t.store.info().unwrap();
    let time = info.time.unwrap();
    assert!(time.from.starts_with("2017-01-01T"), "{}", time.from);
    assert!(time.to.as_str() <= "2018-01-01T00:00:00Z", "{}", time.to);
    assert_eq!(info.precision.keys().collect::<Vec<_>>(), vec!["second"]);
    assert!(info.months.keys().all(|m| m.starts_with("2017-")), "{:?}", info.months.keys());
    assert_eq!(info.months.len(), 12);
    assert!(info.categories.contains_key("THEFT"));

    let ds = t.store.load_dataset(None).unwrap();
    assert_eq!(ds.len() as u64, valid);
    assert_eq!(ds.crs().label, "UTM 16N (EPSG:32616)");
    let (start, end) = (1_483_228_800, 1_514_764_800); // 2017-01-01 and 2018-01-01, UTC
    assert!(ds.time_s().iter().all(|&t| (start..end).contains(&t)));

    // Importing again, by automatic column recognition this time, is recognised as the same file.
    let again = t.ingest(&chicago(), &IngestOptions::default()).unwrap();
    assert!(again.already_imported);
    assert_eq!((again.read, again.accepted), (0, 0));
    assert_eq!(t.store.info().unwrap().incidents, valid);
}

#[test]
fn chicago_state_plane_feet_agree_with_its_lon_lat() {
    // The same sample read through X/Y Coordinate in Illinois State Plane East (US feet) lands within a few
    // metres of the file's own latitude/longitude.
    let mut t = TempStore::new();
    let sample = crate::common::fixtures().join("chicago").join("chicago-2017-sample.csv");
    let by_xy = IngestOptions {
        columns: ColumnOptions {
            x_col: Some("X Coordinate".into()),
            y_col: Some("Y Coordinate".into()),
            crs: Some("EPSG:3435".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let s = t.ingest(&sample, &by_xy).unwrap();
    assert_conserved(&s);
    assert!(s.accepted > 900, "{s:?}");
    let ds = t.store.load_dataset(None).unwrap();
    // The sample has one record per line, so line n is the n-th line of the file.
    let text = std::fs::read_to_string(&sample).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for i in 0..ds.len() {
        let inc = ds.get(i).unwrap();
        let line = lines[inc.line as usize - 1];
        let rec = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes()).records().next();
        let rec = rec.unwrap().unwrap();
        let (Ok(lat), Ok(lon)) = (rec[18].parse::<f64>(), rec[19].parse::<f64>()) else { continue };
        let dy_m = (inc.lat - lat) * 111_320.0;
        let dx_m = (inc.lon - lon) * 111_320.0 * lat.to_radians().cos();
        assert!(dx_m.hypot(dy_m) < 5.0, "line {}: {dx_m} {dy_m}", inc.line);
        checked += 1;
    }
    assert!(checked > 900);
}
