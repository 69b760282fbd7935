//! Gi* against PySAL esda's `G_Local(star=True)` on real data (`fixtures/gistar/esda_reference.json`, made once by
//! `benches/peers/esda_reference.py`). KDE and Gi* against brute force on arbitrary inputs are property tests
//! inside the library (`src/analysis/reference_tests.rs`), where the brute-force references live, test-only.

use hotspots::analysis::gistar::{GiStarOptions, gistar_grid};
use hotspots::geo::CrsDef;
use hotspots::grid::Grid;

#[test]
fn gistar_matches_esda() {
    let path = crate::common::fixtures().join("gistar").join("esda_reference.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let num = |k: &str| doc[k].as_f64().unwrap();
    let grid = Grid::new(
        num("origin_x_m"),
        num("origin_y_m"),
        num("cell_m"),
        doc["rows"].as_u64().unwrap() as usize,
        doc["cols"].as_u64().unwrap() as usize,
        &CrsDef::parse(doc["crs"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        assert_eq!(case["band_inclusive"], true, "our band is inclusive, as libpysal's");
        let floats =
            |k: &str| -> Vec<f64> { case[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
        let (values, z_esda, p_esda) = (floats("values"), floats("z"), floats("p_norm"));
        let band = case["band_m"].as_f64().unwrap();
        let ours = gistar_grid(&values, &grid, band, GiStarOptions::default()).unwrap();
        let max_dz = ours.z.iter().zip(&z_esda).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(max_dz <= 1e-6, "{}: max |dz| = {max_dz}", case["name"]);
        // esda's p_norm is one-sided (the upper tail of |z|): ours is two-sided.
        let max_dp = ours.p.iter().zip(&p_esda).map(|(a, b)| (a - 2.0 * b).abs()).fold(0.0, f64::max);
        assert!(max_dp <= 1e-9, "{}: max |dp| = {max_dp}", case["name"]);
        assert!(ours.z.iter().any(|&z| z > 3.0), "the fixture has real hotspots");
    }
}
