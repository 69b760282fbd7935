//! GeoJSON points, with and without a `crs` member.

use crate::common::{TempStore, assert_conserved};
use hotspots::ingest::{ColumnOptions, IngestOptions};

fn props(time: &str, category: &str) -> IngestOptions {
    IngestOptions {
        columns: ColumnOptions {
            time_col: Some(time.into()),
            category_col: Some(category.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn british_national_grid_crs_member_is_honoured() {
    let doc = r#"{"type":"FeatureCollection",
      "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},
      "features":[
        {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[401000,91000]},
         "properties":{"occurred":"2024-02-03","offence":"Robbery","street":"High St"}},
        {"type":"Feature","geometry":null,"properties":{"occurred":"2024-02-03","offence":"Robbery"}},
        {"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},
         "properties":{"occurred":"2024-02-03"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[402000,92000]},
         "properties":{"occurred":"not a date","offence":"Drugs"}}
      ]}"#;
    let mut t = TempStore::new();
    let s = t.ingest_bytes("p.geojson", doc.as_bytes(), &props("occurred", "offence")).unwrap();
    assert_conserved(&s);
    assert_eq!(s.format.as_deref(), Some("geojson"));
    assert_eq!(s.crs.as_deref(), Some("EPSG:27700"));
    assert_eq!((s.read, s.accepted, s.rejected), (4, 1, 3));
    for k in ["missing_coordinates", "not_a_point", "unparseable_time"] {
        assert_eq!(s.rejected_by_reason.get(k), Some(&1), "{k}");
    }
    let ds = t.store.load_dataset(None).unwrap();
    let inc = ds.get(0).unwrap();
    assert!((inc.lon + 1.986).abs() < 0.01 && (inc.lat - 50.715).abs() < 0.01, "{} {}", inc.lon, inc.lat);
    assert_eq!(inc.category, "Robbery");
    assert_eq!(inc.location, Some("High St"));
    let rejects = t.store.rejects(s.import_id.unwrap()).unwrap();
    assert_eq!(rejects.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert!(String::from_utf8_lossy(&rejects[1].fields[0]).contains("LineString"));
    // The rejects file carries the feature JSON.
    let text = std::fs::read_to_string(s.rejects_file.unwrap()).unwrap();
    assert!(text.starts_with("feature,reason,detail,feature_json\n"), "{text}");
    // The original feature is recoverable from the archive.
    let raw = t.store.raw_row(s.import_id.unwrap(), 1).unwrap();
    assert!(String::from_utf8(raw).unwrap().contains("High St"));
}

#[test]
fn default_crs_is_lon_lat_and_unknown_crs_is_refused() {
    let ok = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[-1.9,50.7]},"properties":{"t":"2024-01","c":1}}]}"#;
    let mut t = TempStore::new();
    let s = t.ingest_bytes("ok.geojson", ok.as_bytes(), &props("t", "c")).unwrap();
    assert_eq!((s.accepted, s.crs.as_deref()), (1, Some("EPSG:4326")));
    // A numeric category property becomes text.
    assert_eq!(t.store.load_dataset(None).unwrap().get(0).unwrap().category, "1");

    let bad = ok.replace(r#""features""#, r#""crs":{"type":"name","properties":{"name":"EPSG:99999"}},"features""#);
    let e = t.ingest_bytes("bad.geojson", bad.as_bytes(), &props("t", "c")).unwrap_err();
    assert!(e.to_string().contains("crs") && e.to_string().contains("--crs"), "{e}");

    let e = t.ingest_bytes("poly.geojson", br#"{"type":"Polygon","coordinates":[]}"#, &props("t", "c")).unwrap_err();
    assert!(e.to_string().contains("Polygon"), "{e}");
    let e = t.ingest_bytes("broken.geojson", b"{\"type\": \"FeatureCollection\", ", &props("t", "c")).unwrap_err();
    assert!(e.to_string().contains("not valid JSON"), "{e}");
    let e = t.ingest_bytes("noprop.geojson", format!("{ok}\n").as_bytes(), &props("when", "c")).unwrap_err();
    assert!(e.to_string().contains("property") && e.to_string().contains("'when'"), "{e}");
}

#[test]
fn an_overflowing_coordinate_or_weight_rejects_its_row_not_the_file() {
    let doc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[-1.9,50.7]},"properties":{"t":"2024-01","c":"A","w":2}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[1e309,50.7]},"properties":{"t":"2024-01","c":"A"}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[-1.9,50.7]},"properties":{"t":"2024-01","c":"A","w":1e308}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[-1.91,50.71]},"properties":{"t":"2024-01","c":"1e999"}}
      ]}"#;
    let mut opts = props("t", "c");
    opts.columns.weight_col = Some("w".into());
    let mut t = TempStore::new();
    let s = t.ingest_bytes("big.geojson", doc.as_bytes(), &opts).unwrap();
    assert_conserved(&s);
    assert_eq!((s.read, s.accepted, s.rejected), (4, 2, 2));
    assert_eq!(s.rejected_by_reason.get("invalid_weight"), Some(&1));
    let rejects = t.store.rejects(s.import_id.unwrap()).unwrap();
    assert_eq!(rejects.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
    let ds = t.store.load_dataset(None).unwrap();
    // A string property that looks like a huge number is kept as text.
    assert!(ds.categories().names().iter().any(|c| c == "1e999"));
}
