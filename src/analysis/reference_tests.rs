//! KDE and Gi* against their brute-force references (test-only functions beside each kernel) on arbitrary inputs:
//! points in and around a small grid, many on a few shared spots (police.uk-like), some far out, zero and fractional
//! weights.

use super::gistar::{GiStarOptions, gistar_brute_force, gistar_grid};
use super::kde::{Kernel, kde, kde_brute_force};
use super::points::Points;
use crate::geo::CrsDef;
use crate::grid::Grid;
use proptest::prelude::*;

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
