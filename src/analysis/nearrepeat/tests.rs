//! The Knox test against a brute-force O(n^2) reference replaying the same permutations, edge cases, and the
//! exact permutation mean.

use super::knox::permuted_times;
use super::*;
use proptest::prelude::*;

/// Every pair, every permutation, by brute force: (observed, permuted tables), row-major by spatial band.
fn brute(x: &[f64], y: &[f64], t: &[i64], p: &KnoxParams) -> (Vec<u64>, Vec<Vec<u64>>) {
    let (ns, nt) = (p.space.len(), p.time.len());
    let table = |times: &[i64]| {
        let mut c = vec![0u64; ns * nt];
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let d = p.metric.distance(x[j] - x[i], y[j] - y[i]);
                if let (Some(s), Some(b)) = (p.space.band(d), p.time.band((times[i] - times[j]).abs())) {
                    c[s * nt + b] += 1;
                }
            }
        }
        c
    };
    let observed = table(t);
    let permuted = (0..p.iterations).map(|k| table(&permuted_times(t, p.seed, k as u64))).collect();
    (observed, permuted)
}

fn check_against_brute(x: &[f64], y: &[f64], t: &[i64], p: &KnoxParams) {
    let r = knox(x, y, t, p).unwrap();
    let (observed, permuted) = brute(x, y, t, p);
    let n = x.len() as f64;
    let iters = p.iterations;
    for (c, cell) in r.cells.iter().enumerate() {
        assert_eq!(cell.observed, observed[c], "observed, cell {c}");
        let column: Vec<u64> = permuted.iter().map(|tb| tb[c]).collect();
        let sum: u64 = column.iter().sum();
        assert_eq!(cell.expected, sum as f64 / iters as f64, "expected, cell {c}");
        let k = column.iter().filter(|&&v| v >= observed[c]).count() as u64;
        assert_eq!(cell.at_least_observed, k, "k, cell {c}");
        assert_eq!(cell.p, (k + 1) as f64 / (iters + 1) as f64);
        assert_eq!(cell.significant, cell.p <= p.alpha);
        let mut sorted = column.clone();
        sorted.sort_unstable();
        let median = if iters % 2 == 1 {
            sorted[iters / 2] as f64
        } else {
            (sorted[iters / 2 - 1] + sorted[iters / 2]) as f64 / 2.0
        };
        assert_eq!(cell.median, median);
        // The exact permutation mean, from counts over all pairs.
        let (s, b) = (c / p.time.len(), c % p.time.len());
        let mut space_pairs = 0u64;
        let mut time_pairs = 0u64;
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                space_pairs += u64::from(p.space.band(p.metric.distance(x[j] - x[i], y[j] - y[i])) == Some(s));
                time_pairs += u64::from(p.time.band((t[i] - t[j]).abs()) == Some(b));
            }
        }
        let exact = if n > 1.0 { space_pairs as f64 * time_pairs as f64 / (n * (n - 1.0) / 2.0) } else { 0.0 };
        assert!((cell.expected_exact - exact).abs() <= 1e-9 * exact.max(1.0), "exact mean, cell {c}");
    }
}

fn params(space: &[f64], same: bool, time: &[f64], metric: DistanceMetric, iterations: usize, seed: u64) -> KnoxParams {
    KnoxParams {
        space: SpaceBands::new(space.to_vec(), same).unwrap(),
        time: TimeBands::new(time.to_vec()).unwrap(),
        metric,
        iterations,
        seed,
        alpha: 0.05,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random small inputs on a coarse lattice (many ties, same locations, distances on the edges), random bands.
    #[test]
    fn equals_brute_force(
        pts in prop::collection::vec((0u8..12, 0u8..12, 0u16..60), 0..40),
        space_w in 1u8..4, space_n in 1usize..5, same in any::<bool>(),
        time_w in 1u8..10, time_n in 1usize..5,
        manhattan in any::<bool>(), seed in 0u64..1000, iterations in 2usize..12,
    ) {
        let x: Vec<f64> = pts.iter().map(|p| f64::from(p.0) * 25.0).collect();
        let y: Vec<f64> = pts.iter().map(|p| f64::from(p.1) * 25.0).collect();
        // Day-aligned times with some seconds mixed in.
        let t: Vec<i64> = pts.iter().map(|p| i64::from(p.2) * 43_200 + i64::from(p.0 % 3)).collect();
        let space: Vec<f64> = (0..=space_n).map(|k| k as f64 * f64::from(space_w) * 25.0).collect();
        let time: Vec<f64> = (0..=time_n).map(|k| k as f64 * f64::from(time_w) * 0.5).collect();
        let metric = if manhattan { DistanceMetric::Manhattan } else { DistanceMetric::Euclidean };
        let p = params(&space, same, &time, metric, iterations, seed);
        check_against_brute(&x, &y, &t, &p);
    }

    /// Real-valued coordinates and times; uneven bands (the binary-search path when the table would be too big).
    #[test]
    fn equals_brute_force_uneven(
        pts in prop::collection::vec((0.0f64..500.0, 0.0f64..500.0, 0i64..5_000_000), 2..30),
        seed in 0u64..1000,
    ) {
        let x: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let t: Vec<i64> = pts.iter().map(|p| p.2).collect();
        let p = params(&[0.0, 30.0, 250.0, 260.0], true, &[0.0, 1.0 / 86_400.0, 2.0, 40.0], DistanceMetric::Euclidean, 5, seed);
        check_against_brute(&x, &y, &t, &p);
    }
}

#[test]
fn same_seed_same_tables_at_any_thread_count() {
    let n = 400;
    let x: Vec<f64> = (0..n).map(|i| f64::from((i * 37) % 101) * 10.0).collect();
    let y: Vec<f64> = (0..n).map(|i| f64::from((i * 53) % 97) * 10.0).collect();
    let t: Vec<i64> = (0..n).map(|i| i64::from((i * 7919) % 365) * 86_400).collect();
    let p = params(&[0.0, 100.0, 200.0], true, &[0.0, 7.0, 14.0], DistanceMetric::Euclidean, 99, 42);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| knox(&x, &y, &t, &p)).unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(|| knox(&x, &y, &t, &p)).unwrap();
    assert_eq!(one, two);
    let other = knox(&x, &y, &t, &KnoxParams { seed: 43, ..p.clone() }).unwrap();
    assert_ne!(
        one.cells.iter().map(|c| c.expected).collect::<Vec<_>>(),
        other.cells.iter().map(|c| c.expected).collect::<Vec<_>>()
    );
}

#[test]
fn edge_cases() {
    let p = params(&[0.0, 100.0], true, &[0.0, 7.0], DistanceMetric::Euclidean, 9, 1);
    // Empty and one incident: a table of zeros, ratios undefined.
    for n in [0usize, 1] {
        let r = knox(&vec![0.0; n], &vec![0.0; n], &vec![0; n], &p).unwrap();
        assert_eq!(r.pairs_in_table, 0);
        assert!(r.cells.iter().all(|c| c.knox_ratio.is_none() && c.p == 1.0 && !c.significant));
    }
    // All identical: every pair at the same place and time, and every permutation the same.
    let r = knox(&[5.0; 6], &[5.0; 6], &[100; 6], &p).unwrap();
    assert_eq!(r.cell(0, 0).observed, 15);
    assert_eq!(r.cell(0, 0).knox_ratio, Some(1.0));
    assert_eq!(r.cell(0, 0).p, 1.0);
    assert_eq!(r.cell(0, 0).expected_exact, 15.0);
    assert!(knox(&[0.0], &[0.0], &[0], &KnoxParams { iterations: 1, ..p.clone() }).is_err());
    assert!(knox(&[0.0], &[0.0], &[0], &KnoxParams { alpha: 0.0, ..p.clone() }).is_err());
    let e = knox(&[0.0, 1.0], &[0.0, 1.0], &[0, i64::MAX], &p).unwrap_err();
    assert!(matches!(e, NearRepeatError::TimeSpan));
}

#[test]
fn planted_near_repeats_are_found_and_shuffled_ones_are_not() {
    // Background: random points and days over a year; then 60 "repeats": a second incident 0-40 m and 0-3 days
    // after a background one.
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut x, mut y, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..800 {
        x.push(rng.random_range(0.0..5_000.0));
        y.push(rng.random_range(0.0..5_000.0));
        t.push(rng.random_range(0..365i64) * 86_400);
    }
    for k in 0..60 {
        x.push(x[k] + rng.random_range(-20.0..20.0));
        y.push(y[k] + rng.random_range(-20.0..20.0));
        t.push(t[k] + rng.random_range(0..3i64) * 86_400);
    }
    let p = params(&[0.0, 50.0, 200.0, 400.0], true, &[0.0, 7.0, 14.0, 28.0], DistanceMetric::Euclidean, 199, 3);
    let r = knox(&x, &y, &t, &p).unwrap();
    let near = r.cell(1, 0);
    assert!(near.significant && near.knox_ratio.unwrap() > 5.0, "{near:?}");
    // The Monte Carlo mean is close to the exact mean of the permutation distribution.
    for c in &r.cells {
        let sd = c.expected_exact.max(1.0).sqrt();
        assert!((c.expected - c.expected_exact).abs() < 4.0 * sd / (199f64).sqrt() + 1e-9, "{c:?}");
    }
    let shuffled = permuted_times(&t, 99, 0);
    let r = knox(&x, &y, &shuffled, &p).unwrap();
    assert!(!r.cell(1, 0).significant, "{:?}", r.cell(1, 0));
}

#[test]
fn many_time_bands_take_the_per_permutation_path() {
    // 40 temporal bands: more than the lane kernel takes; still the brute force's tables.
    let n = 60;
    let x: Vec<f64> = (0..n).map(|i| f64::from((i * 37) % 11) * 30.0).collect();
    let y: Vec<f64> = (0..n).map(|i| f64::from((i * 53) % 7) * 30.0).collect();
    let t: Vec<i64> = (0..n).map(|i| i64::from((i * 7919) % 90) * 86_400).collect();
    let time: Vec<f64> = (0..=40).map(f64::from).collect();
    let p = params(&[0.0, 50.0, 120.0], true, &time, DistanceMetric::Manhattan, 7, 5);
    check_against_brute(&x, &y, &t, &p);
}

#[test]
fn the_dataset_precision_is_checked() {
    use crate::geo::CrsDef;
    use crate::model::{DatasetBuilder, IncidentRecord, Query, SourceFile, TimePrecision};
    let make = |precision: TimePrecision| {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-87.6, 41.8), 3).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "f.csv".into() }).unwrap();
        for k in 0..3u32 {
            b.push(&IncidentRecord {
                lon: -87.6 + f64::from(k) * 1e-4,
                lat: 41.8,
                time_s: 1_483_228_800 + i64::from(k) * 86_400,
                precision,
                category: "BURGLARY",
                weight: 1.0,
                area: None,
                location: None,
                source: 0,
                line: k + 2,
            })
            .unwrap();
        }
        b.finish().unwrap()
    };
    let p = params(&[0.0, 100.0], true, &[0.0, 0.5, 1.0], DistanceMetric::Euclidean, 9, 1);
    let ds = make(TimePrecision::Day);
    let sel = Query::default().select(&ds).unwrap();
    let e = knox_selection(&ds, &sel, &p).unwrap_err();
    assert!(matches!(e, NearRepeatError::SubDayBands { count: 3, .. }), "{e}");
    let whole = params(&[0.0, 100.0], true, &[0.0, 1.0, 2.0], DistanceMetric::Euclidean, 9, 1);
    assert_eq!(knox_selection(&ds, &sel, &whole).unwrap().cell(1, 1).observed, 2);
    let ds = make(TimePrecision::Month);
    let e = knox_selection(&ds, &sel, &whole).unwrap_err().to_string();
    assert!(e.contains("3 of the selected incidents are known only to the month (e.g. 2017-01)"), "{e}");
    let ds = make(TimePrecision::Minute);
    assert!(knox_selection(&ds, &sel, &p).is_ok());
}
