//! Gi* against PySAL esda's `G_Local(star=True)` on real data (`fixtures/gistar/esda_reference.json`, made once by
//! `benches/peers/esda_reference.py`), and KDE and Gi* against brute force on arbitrary inputs.

use hotspots::analysis::gistar::{GiStarOptions, gistar_brute_force, gistar_grid};
use hotspots::analysis::kde::{Kernel, kde, kde_brute_force};
use hotspots::analysis::points::Points;
use hotspots::geo::CrsDef;
use hotspots::grid::Grid;
use proptest::prelude::*;

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

fn grid(rows: usize, cols: usize, cell: f64) -> Grid {
    Grid::new(-100.0, 50.0, cell, rows, cols, &CrsDef::utm_for(-2.0, 50.7)).unwrap()
}

fn kernel() -> impl Strategy<Value = Kernel> {
    prop_oneof![
        Just(Kernel::Quartic),
        Just(Kernel::Epanechnikov),
        Just(Kernel::Triangular),
        Just(Kernel::Uniform),
        Just(Kernel::Gaussian)
    ]
}

/// Points in and around a 12 x 10 grid of 20 m cells, many on a few shared spots (police.uk-like), some far out.
fn points() -> impl Strategy<Value = Points> {
    let spot = prop_oneof![
        3 => (-150.0f64..200.0, 0.0f64..300.0),
        2 => prop::sample::select(vec![(0.0, 100.0), (40.0, 150.0), (-100.0, 50.0), (110.0, 250.0)]),
        1 => (-5000.0f64..5000.0, -5000.0f64..5000.0),
    ];
    prop::collection::vec((spot, prop_oneof![Just(1.0f64), 0.0f64..50.0]), 0..60).prop_map(|v| Points {
        x_m: v.iter().map(|((x, _), _)| *x).collect(),
        y_m: v.iter().map(|((_, y), _)| *y).collect(),
        w: v.iter().map(|(_, w)| *w).collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn kde_equals_the_brute_force_sum(p in points(), k in kernel(), bandwidth in 5.0f64..120.0) {
        let g = grid(10, 12, 20.0);
        let fast = kde(&p, &g, k, bandwidth).unwrap();
        let slow = kde_brute_force(&p, &g, k, bandwidth);
        for (i, (a, b)) in fast.density_per_km2.iter().zip(&slow).enumerate() {
            let tol = 1e-9 * a.abs().max(b.abs()).max(1e-300);
            prop_assert!((a - b).abs() <= tol, "cell {}: {} vs {}", i, a, b);
        }
    }

    #[test]
    fn gistar_equals_the_definition(
        values in prop::collection::vec(prop_oneof![Just(0.0f64), 0.0f64..20.0, (0u32..5).prop_map(f64::from)], 48),
        band in 10.0f64..90.0,
    ) {
        let g = grid(6, 8, 20.0);
        let fast = gistar_grid(&values, &g, band, GiStarOptions::default()).unwrap();
        let slow = gistar_brute_force(&values, &g, band);
        for (a, b) in fast.z.iter().zip(&slow) {
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{} vs {}", a, b);
        }
        prop_assert!(fast.z.iter().all(|z| z.is_finite()));
    }
}
