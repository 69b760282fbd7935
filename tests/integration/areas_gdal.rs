//! GIS interop through GDAL (the `gdal` feature): boundary layers from OGR formats written by `ogr2ogr` in the test
//! give the same counts as the GeoJSON they came from; written GeoPackages and GeoTIFFs open in `ogrinfo` and
//! `gdalinfo` with the right CRS, feature count, size and geotransform.

use crate::common::{bin, dorset_months, shared_data};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn ok(store: &Path, args: &[&str]) -> String {
    let out = Command::new(bin()).args(args).arg("--store").arg(store).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn tool(name: &str, args: &[&str]) -> String {
    let out =
        Command::new(name).args(args).output().unwrap_or_else(|e| panic!("{name} (apt-get install gdal-bin): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn boundary(name: &str) -> String {
    shared_data().join("boundaries").join(name).display().to_string()
}

fn store_2024(dir: &Path) -> PathBuf {
    let store = dir.join("s.db");
    let mut args: Vec<String> = vec!["ingest".into()];
    args.extend(dorset_months()[5..].iter().map(|p| p.display().to_string()));
    ok(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    store
}

/// An area's count, harm, counts by category and area in km².
type Figures = (u64, f64, Value, f64);

/// Per area key, its figures from `areas counts --json`; and the outside count.
fn counts(store: &Path, layer: &str) -> (BTreeMap<String, Figures>, u64) {
    let v: Value = serde_json::from_str(&ok(store, &["areas", "counts", "--layer", layer, "--json"])).unwrap();
    let rows = v["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let figures = (
                a["count"].as_u64().unwrap(),
                a["harm"].as_f64().unwrap(),
                a["categories"].clone(),
                a["area_km2"].as_f64().unwrap(),
            );
            (a["key"].as_str().unwrap().to_owned(), figures)
        })
        .collect();
    (rows, v["outside"]["count"].as_u64().unwrap())
}

fn assert_same_counts(store: &Path, a: &str, b: &str) {
    let (x, x_out) = counts(store, a);
    let (y, y_out) = counts(store, b);
    assert_eq!(x.len(), y.len(), "{a} vs {b}");
    for ((kx, fx), (ky, fy)) in x.iter().zip(&y) {
        assert_eq!(kx, ky);
        assert_eq!((fx.0, fx.1, &fx.2), (fy.0, fy.1, &fy.2), "{kx}: {a} vs {b}");
        // Ring order or orientation may differ between formats, and KML holds lon/lat converted by GDAL: areas
        // agree to rounding.
        assert!((fx.3 - fy.3).abs() <= 1e-6 * fx.3, "{kx}: {} vs {} km2", fx.3, fy.3);
    }
    assert_eq!(x_out, y_out, "outside: {a} vs {b}");
}

#[test]
fn a_shapefile_written_by_ogr2ogr_gives_identical_counts() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_2024(dir.path());
    for (file, key, name) in
        [("lsoas_poole.geojson", "lsoa11cd", "lsoa11nm"), ("msoas_poole.geojson", "msoa11cd", "msoa11nm")]
    {
        let stem = file.trim_end_matches(".geojson");
        let shp = dir.path().join(format!("{stem}.shp"));
        tool("ogr2ogr", &["-f", "ESRI Shapefile", shp.to_str().unwrap(), &boundary(file)]);
        ok(&store, &["areas", "import", &boundary(file), "--layer", stem, "--key", key, "--name-field", name]);
        let shp_layer = format!("{stem}_shp");
        let out = ok(
            &store,
            &["areas", "import", shp.to_str().unwrap(), "--layer", &shp_layer, "--key", key, "--name-field", name],
        );
        assert!(out.contains("ESRI Shapefile"), "{out}");
        assert_same_counts(&store, stem, &shp_layer);
    }
    // The Shapefile's CRS came from its .prj: the MSOAs are in British National Grid.
    let list: Value = serde_json::from_str(&ok(&store, &["areas", "list", "--json"])).unwrap();
    let msoa_shp = list["layers"].as_array().unwrap().iter().find(|l| l["name"] == "msoas_poole_shp").unwrap();
    assert_eq!(msoa_shp["source_crs"], "EPSG:27700");
    assert_eq!(msoa_shp["format"], "ESRI Shapefile");
}

#[test]
fn other_ogr_formats_read_the_same_areas() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_2024(dir.path());
    let msoas = boundary("msoas_poole.geojson");
    ok(&store, &["areas", "import", &msoas, "--layer", "msoas", "--key", "msoa11cd"]);
    for (driver, ext) in [("GPKG", "gpkg"), ("FlatGeobuf", "fgb"), ("KML", "kml")] {
        let path = dir.path().join(format!("m.{ext}"));
        tool("ogr2ogr", &["-f", driver, path.to_str().unwrap(), &msoas]);
        ok(&store, &["areas", "import", path.to_str().unwrap(), "--layer", ext, "--key", "msoa11cd"]);
        assert_same_counts(&store, "msoas", ext);
    }
    let noprj = dir.path().join("noprj.shp");
    tool("ogr2ogr", &["-f", "ESRI Shapefile", noprj.to_str().unwrap(), &msoas]);
    std::fs::remove_file(noprj.with_extension("prj")).unwrap();
    let out = Command::new(bin())
        .args(["areas", "import", noprj.to_str().unwrap(), "--layer", "np", "--key", "msoa11cd", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("the layer has no CRS"), "{err}");
}

#[test]
fn a_written_geopackage_opens_in_ogrinfo_with_its_crs_and_features() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_2024(dir.path());
    ok(&store, &["areas", "import", &boundary("lsoas_poole.geojson"), "--layer", "lsoas", "--key", "lsoa11cd"]);
    let gpkg = dir.path().join("counts.gpkg");
    ok(&store, &["areas", "counts", "--layer", "lsoas", "--out", gpkg.to_str().unwrap()]);
    let info = tool("ogrinfo", &["-so", gpkg.to_str().unwrap(), "lsoas"]);
    assert!(info.contains("Feature Count: 114"), "{info}");
    assert!(info.contains("Geometry: Multi Polygon"), "{info}");
    assert!(info.contains("ID[\"EPSG\",4326]"), "{info}");
    assert!(info.contains("count: Integer64") && info.contains("density_per_km2: Real"), "{info}");
    // The counts in the GeoPackage are the JSON's.
    let (json, _) = counts(&store, "lsoas");
    let sql = "SELECT key, count FROM lsoas";
    let rows = tool("ogrinfo", &["-q", "-sql", sql, gpkg.to_str().unwrap()]);
    let mut seen = 0;
    let mut key = String::new();
    for line in rows.lines().map(str::trim) {
        if let Some(k) = line.strip_prefix("key (String) = ") {
            key = k.to_owned();
        } else if let Some(n) = line.strip_prefix("count (Integer64) = ") {
            assert_eq!(n.parse::<u64>().unwrap(), json[&key].0, "{key}");
            seen += 1;
        }
    }
    assert_eq!(seen, 114);
}

#[test]
fn a_written_geotiff_opens_in_gdalinfo_with_its_size_geotransform_and_crs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_2024(dir.path());
    let tif = dir.path().join("d.tif");
    let csv = dir.path().join("d.csv");
    let common = [
        "density",
        "--from",
        "2024-01",
        "--to",
        "2024-02",
        "--cell-m",
        "250",
        "--bandwidth-m",
        "400",
        "--crs",
        "EPSG:27700",
    ];
    let out = ok(&store, &[&common[..], &["--out", tif.to_str().unwrap()]].concat());
    ok(&store, &[&common[..], &["--out", csv.to_str().unwrap()]].concat());
    // "grid: COLS x ROWS cells from (X0, Y0) in CRS"
    let grid = out.lines().find(|l| l.starts_with("grid: ")).unwrap();
    let words: Vec<&str> = grid.split_whitespace().collect();
    let (cols, rows): (usize, usize) = (words[1].parse().unwrap(), words[3].parse().unwrap());
    let x0: f64 = words[6].trim_matches(|c| c == '(' || c == ',').parse().unwrap();
    let y0: f64 = words[7].trim_matches(|c| c == ')' || c == ',').parse().unwrap();
    let info: Value = serde_json::from_str(&tool("gdalinfo", &["-json", "-stats", tif.to_str().unwrap()])).unwrap();
    assert_eq!(info["size"], serde_json::json!([cols, rows]));
    let gt: Vec<f64> = info["geoTransform"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(gt, vec![x0, 250.0, 0.0, y0 + rows as f64 * 250.0, 0.0, -250.0]);
    let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
    assert!(wkt.contains("British National Grid") && wkt.contains("ID[\"EPSG\",27700]"), "{wkt}");
    // The peak matches the CSV's, and sits where the CSV puts it (the first raster row is the northern one).
    let mut r = csv::Reader::from_path(&csv).unwrap();
    let (mut peak, mut at) = (0.0f64, (0.0, 0.0));
    for rec in r.records() {
        let rec = rec.unwrap();
        let d: f64 = rec[6].parse().unwrap();
        if d > peak {
            peak = d;
            at = (rec[2].parse::<f64>().unwrap(), rec[3].parse::<f64>().unwrap());
        }
    }
    // gdalinfo prints statistics to 3 decimals.
    let max = info["bands"][0]["maximum"].as_f64().unwrap();
    assert!((max - peak).abs() <= 1e-3, "{max} vs {peak}");
    let value =
        tool("gdallocationinfo", &["-valonly", "-geoloc", tif.to_str().unwrap(), &at.0.to_string(), &at.1.to_string()]);
    let value: f64 = value.trim().parse().unwrap();
    assert!((value - peak).abs() <= 1e-9 * peak, "{value} at {at:?} vs {peak}");
}

#[test]
fn every_feature_output_writes_a_geopackage_with_the_geojson_features() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_2024(dir.path());
    let grid = ["--from", "2024-01", "--to", "2024-04", "--cell-m", "100", "--bandwidth-m", "300"];
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("find", [&["find"][..], &grid[..], &["--top", "20"]].concat(), "hotspots"),
        ("gistar", [&["gistar"][..], &grid[..], &["--band-m", "300"]].concat(), "gistar"),
        ("hex", vec!["hex", "--from", "2024-01", "--to", "2024-04", "--resolution", "8"], "hexagons"),
        ("compare", vec!["compare", "--before", "2024-01..2024-02", "--after", "2024-03..2024-04"], "change"),
        ("emerging", vec!["emerging", "--period", "month"], "emerging"),
    ];
    for (name, args, layer) in cases {
        let (geojson, gpkg) = (dir.path().join(format!("{name}.geojson")), dir.path().join(format!("{name}.gpkg")));
        let flag = if name == "compare" { "--map" } else { "--out" };
        for path in [&geojson, &gpkg] {
            let mut a = args.clone();
            a.extend([flag, path.to_str().unwrap()]);
            ok(&store, &a);
        }
        let doc: Value = serde_json::from_slice(&std::fs::read(&geojson).unwrap()).unwrap();
        let n = doc["features"].as_array().unwrap().len();
        assert!(n > 0, "{name}: no features");
        let info = tool("ogrinfo", &["-so", gpkg.to_str().unwrap(), layer]);
        assert!(info.contains(&format!("Feature Count: {n}")), "{name}: {n} GeoJSON features; {info}");
        assert!(info.contains("ID[\"EPSG\",4326]"), "{name}: {info}");
    }
}
