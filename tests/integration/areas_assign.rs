//! Point-in-polygon assignment against the real Poole boundaries: police.uk's own LSOA codes (CRS84 file) and the
//! nesting of LSOAs in MSOAs (EPSG:27700 file), through a store round trip.

use crate::common::{TempStore, dorset_months, shared_data};
use geo::{Distance, Euclidean};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use hotspots::areas::file::read_layer_file;
use hotspots::areas::{AreaLayer, FieldChoice};
use hotspots::geo::{CrsDef, Projector};
use hotspots::store::{AreaImportOutcome, NewAreaLayer};
use std::collections::HashMap;

/// Import a boundary file into a store and load it back (what `areas import` then `areas counts` do).
fn stored_layer(ts: &mut TempStore, file: &str, layer: &str, key: &str, name: &str) -> AreaLayer {
    let path = shared_data().join("boundaries").join(file);
    let f = read_layer_file(&path, &FieldChoice::explicit(key, Some(name))).unwrap();
    let outcome = ts
        .store
        .import_area_layer(&NewAreaLayer {
            name: layer,
            file: &path.display().to_string(),
            file_name: file,
            format: &f.format,
            key_field: key,
            name_field: Some(name),
            source_crs: &f.layer.crs.label,
            file_sha256: &f.sha256,
            areas: &f.layer.areas,
        })
        .unwrap();
    let AreaImportOutcome::Imported(rec) = outcome else { panic!("{layer} was already there") };
    let loaded = ts.store.load_area_layer(&rec).unwrap();
    assert_eq!(loaded.areas, f.layer.areas, "the store keeps outlines exactly");
    loaded
}

fn bng() -> Projector {
    Projector::new(&CrsDef::parse("EPSG:27700").unwrap()).unwrap()
}

fn to_bng(m: &MultiPolygon<f64>, p: &Projector) -> MultiPolygon<f64> {
    let ring = |r: &LineString<f64>| {
        LineString::new(
            r.0.iter()
                .map(|c| {
                    let (x, y) = p.from_lonlat(c.x, c.y).unwrap();
                    Coord { x, y }
                })
                .collect(),
        )
    };
    MultiPolygon::new(
        m.0.iter().map(|q| Polygon::new(ring(q.exterior()), q.interiors().iter().map(ring).collect())).collect(),
    )
}

fn edges(m: &MultiPolygon<f64>) -> MultiLineString<f64> {
    MultiLineString::new(
        m.0.iter().flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().to_vec())).collect(),
    )
}

/// (lon, lat, LSOA code) of every located row of a police.uk month.
fn located_rows(path: &std::path::Path) -> Vec<(f64, f64, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (lon, lat, code) = (col("Longitude"), col("Latitude"), col("LSOA code"));
    r.records()
        .filter_map(|rec| {
            let rec = rec.unwrap();
            Some((rec[lon].parse().ok()?, rec[lat].parse().ok()?, rec[code].to_owned()))
        })
        .collect()
}

#[test]
fn point_in_polygon_lsoas_agree_with_police_uk_codes_in_every_month() {
    let mut ts = TempStore::new();
    let layer = stored_layer(&mut ts, "lsoas_poole.geojson", "lsoas", "lsoa11cd", "lsoa11nm");
    assert_eq!(layer.areas.len(), 114);
    // The 93 Poole LSOAs: the others cover only parts of their districts, and their codes differ in 2018/19.
    let poole: HashMap<&str, usize> = layer
        .areas
        .iter()
        .enumerate()
        .filter(|(_, a)| a.name.starts_with("Poole "))
        .map(|(k, a)| (a.key.as_str(), k))
        .collect();
    assert_eq!(poole.len(), 93);
    let p = bng();
    let outlines_m: Vec<MultiPolygon<f64>> = layer.areas.iter().map(|a| to_bng(&a.outline_lonlat, &p)).collect();
    for month in dorset_months() {
        let rows = located_rows(&month);
        let (mut checked, mut agree, mut worst_m) = (0usize, 0usize, 0.0f64);
        for (lon, lat, code) in &rows {
            let Some(&named) = poole.get(code.as_str()) else { continue };
            checked += 1;
            if layer.locate(*lon, *lat) == Some(named) {
                agree += 1;
                continue;
            }
            let (x, y) = p.from_lonlat(*lon, *lat).unwrap();
            let d = Euclidean.distance(&Point::new(x, y), &outlines_m[named]);
            assert!(d <= 5.0, "{}: ({lon}, {lat}) coded {code} lies {d:.2} m from it", month.display());
            worst_m = worst_m.max(d);
        }
        let share = agree as f64 / checked as f64;
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        println!(
            "LSOA agreement {name}: {agree} of {checked} = {:.2}%; disagreements at most {worst_m:.2} m away",
            100.0 * share
        );
        assert!(checked > 500, "{name}: only {checked} Poole incidents");
        assert!(share >= 0.95, "{name}: {agree} of {checked} agree");
    }
}

#[test]
fn lsoas_nest_in_their_msoas_across_crss() {
    let mut ts = TempStore::new();
    let lsoas = stored_layer(&mut ts, "lsoas_poole.geojson", "lsoas", "lsoa11cd", "lsoa11nm");
    let msoas = stored_layer(&mut ts, "msoas_poole.geojson", "msoas", "msoa11cd", "msoa11nm");
    assert_eq!(msoas.areas.len(), 29);
    let msoa_by_name: HashMap<&str, usize> =
        msoas.areas.iter().enumerate().map(|(k, a)| (a.name.as_str(), k)).collect();
    let p = bng();
    let msoa_edges_m: Vec<MultiLineString<f64>> =
        msoas.areas.iter().map(|a| edges(&to_bng(&a.outline_lonlat, &p))).collect();
    let (mut checked, mut agree, mut worst_m) = (0usize, 0usize, 0.0f64);
    for month in dorset_months() {
        let (month_checked, month_agree) = (checked, agree);
        for (lon, lat, _) in located_rows(&month) {
            let Some(l) = lsoas.locate(lon, lat) else { continue };
            let lsoa_name = &lsoas.areas[l].name;
            // An LSOA's MSOA is its name less the last letter: Poole 001A lies in Poole 001.
            let want = msoa_by_name[&lsoa_name[..lsoa_name.len() - 1]];
            checked += 1;
            if msoas.locate(lon, lat) == Some(want) {
                agree += 1;
                continue;
            }
            let (x, y) = p.from_lonlat(lon, lat).unwrap();
            let d = Euclidean.distance(&Point::new(x, y), &msoa_edges_m[want]);
            assert!(d <= 5.0, "({lon}, {lat}) in {lsoa_name} lies {d:.2} m from the edge of its MSOA");
            worst_m = worst_m.max(d);
        }
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        println!("MSOA nesting {name}: {} of {}", agree - month_agree, checked - month_checked);
    }
    let share = agree as f64 / checked as f64;
    println!(
        "MSOA nesting, all months: {agree} of {checked} = {:.3}%; exceptions at most {worst_m:.2} m from an MSOA edge",
        100.0 * share
    );
    assert!(checked > 5_000, "only {checked} incidents in the LSOAs");
    assert!(share >= 0.995, "{agree} of {checked}");
}
