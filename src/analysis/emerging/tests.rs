//! Tests of the space-time analysis on synthetic cubes.

use super::EmergingClass::*;
use super::*;
use crate::geo::CrsDef;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson};

const ROWS: usize = 40;
const COLS: usize = 40;
const STEPS: usize = 20;
const BAND_M: f64 = 150.0;
/// Background mean count per cell per step.
const BG: f64 = 4.0;

fn grid(rows: usize, cols: usize) -> Grid {
    Grid::new(0.0, 0.0, 100.0, rows, cols, &CrsDef::utm_for(-2.0, 50.7)).unwrap()
}

/// A planted 3 x 3 block of cells centred on `centre` (row, col), with mean count `rate(t)` per cell at step `t`
/// (`None`: the background rate).
struct Plant {
    centre: (usize, usize),
    class: EmergingClass,
    rate: fn(usize) -> Option<f64>,
}

/// One block per class on a 40 x 40 grid of 100 m cells, 20 steps (final step 19), background Poisson(4). Block
/// centres are 8 cells apart, so no cell is within the 150 m band (the 3 x 3 cells around it) of two blocks.
/// Blocks cold for a step have a mean count of 0 (or below 1) where the background has 4. The intensifying and
/// diminishing blocks mirror each other, so the spread of counts over the grid (Gi*'s denominator) stays about
/// the same from step to step.
fn plants() -> Vec<Plant> {
    vec![
        Plant { centre: (4, 4), class: NewHot, rate: |t| if t == 19 { Some(BG + 8.0) } else { None } },
        Plant { centre: (4, 12), class: ConsecutiveHot, rate: |t| if t >= 17 { Some(BG + 8.0) } else { None } },
        Plant { centre: (4, 20), class: PersistentHot, rate: |_| Some(BG + 6.0) },
        Plant { centre: (4, 28), class: IntensifyingHot, rate: |t| Some(BG + 6.0 + 0.45 * t as f64) },
        Plant { centre: (4, 36), class: DiminishingHot, rate: |t| Some(BG + 15.0 - 0.45 * t as f64) },
        // Hot for steps 0..=17 (18 of 20 = 90%), background for the last 2.
        Plant { centre: (12, 4), class: HistoricalHot, rate: |t| if t <= 17 { Some(BG + 7.0) } else { None } },
        Plant { centre: (12, 12), class: SporadicHot, rate: |t| if t % 2 == 1 { Some(BG + 8.0) } else { None } },
        Plant {
            centre: (12, 20),
            class: OscillatingHot,
            rate: |t| match t {
                0..=3 => Some(0.0),
                13 | 16 | 19 => Some(BG + 8.0),
                _ => None,
            },
        },
        Plant { centre: (12, 28), class: PersistentCold, rate: |_| Some(0.5) },
        Plant { centre: (12, 36), class: NewCold, rate: |t| if t == 19 { Some(0.0) } else { None } },
        Plant {
            centre: (20, 4),
            class: OscillatingCold,
            rate: |t| match t {
                2..=5 => Some(BG + 8.0),
                15 | 17 | 19 => Some(0.0),
                _ => None,
            },
        },
        Plant { centre: (20, 12), class: ConsecutiveCold, rate: |t| if t >= 16 { Some(0.0) } else { None } },
        Plant { centre: (20, 20), class: HistoricalCold, rate: |t| if t <= 17 { Some(0.3) } else { None } },
        // Cold for every step, the deficit growing (z falling) or shrinking (z rising).
        Plant { centre: (20, 28), class: IntensifyingCold, rate: |t| Some(1.2 - 0.06 * t as f64) },
        Plant { centre: (20, 36), class: DiminishingCold, rate: |t| Some(0.045 * t as f64) },
    ]
}

/// The cube `counts[t][cell]` with the plants, drawn with a seeded generator.
fn cube(seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plants = plants();
    let mut block_rate = vec![None; ROWS * COLS];
    (0..STEPS)
        .map(|t| {
            block_rate.iter_mut().for_each(|r| *r = None);
            for p in &plants {
                let (r0, c0) = p.centre;
                for r in r0 - 1..=r0 + 1 {
                    for c in c0 - 1..=c0 + 1 {
                        block_rate[r * COLS + c] = (p.rate)(t);
                    }
                }
            }
            block_rate
                .iter()
                .map(|rate| {
                    let mean = rate.unwrap_or(BG);
                    if mean <= 0.0 { 0.0 } else { Poisson::new(mean).map(|d| d.sample(&mut rng)).unwrap_or(0.0) }
                })
                .collect()
        })
        .collect()
}

/// Whether a cell is at least 3 cells (Chebyshev) from every planted centre: untouched by any block's Gi*.
fn is_background(cell: usize) -> bool {
    let (r, c) = ((cell / COLS) as i64, (cell % COLS) as i64);
    plants().iter().all(|p| (r - p.centre.0 as i64).abs().max((c - p.centre.1 as i64).abs()) >= 3)
}

#[test]
fn every_planted_pattern_is_found_and_the_background_is_quiet() {
    // Over seeds 0..40, 34 classify every block as planted. The misses are the test's own statistics, not bugs:
    // a persistent block's trendless z series has a significant Mann-Kendall trend 5% of the time (so it reads
    // as intensifying or diminishing), and the weak end of the diminishing cold block is sometimes not
    // significant at the final step (historical cold) or its centre draws no incident at all (no pattern).
    let counts = cube(7);
    let g = grid(ROWS, COLS);
    let e = emerging_grid(&counts, &g, None, BAND_M, EmergingOptions::default()).unwrap();
    assert_eq!(e.steps, STEPS);
    assert_eq!(e.locations.len(), ROWS * COLS);
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    for p in plants() {
        let i = p.centre.0 * COLS + p.centre.1;
        let l = &e.locations[i];
        assert_eq!(l.class, p.class, "{:?}: bins {:?}, z {:?}, {l:?}", p.centre, e.bin_series(i), e.z_series(i));
    }
    // The intensifying and diminishing blocks have significant trends of the right sign; the persistent one not.
    let at = |r: usize, c: usize| &e.locations[r * COLS + c];
    assert!(at(4, 28).mk_z.unwrap() > 0.0 && at(4, 28).mk_p.unwrap() < 0.05);
    assert!(at(4, 36).mk_z.unwrap() < 0.0 && at(4, 36).mk_p.unwrap() < 0.05);
    assert!(at(4, 20).mk_p.unwrap() >= 0.05);
    assert_eq!((at(4, 20).hot_steps, at(4, 20).final_bin), (20, 3));
    assert_eq!(at(12, 4).hot_steps, 18);
    let background: Vec<&LocationTrend> =
        (0..ROWS * COLS).filter(|&i| is_background(i)).map(|i| &e.locations[i]).collect();
    let quiet = background.iter().filter(|l| l.class == NoPattern).count();
    assert!(background.len() > 600);
    assert!(quiet * 100 >= background.len() * 97, "{quiet} of {} background cells NoPattern", background.len());
    // Every number is finite.
    assert!(e.locations.iter().all(|l| [l.mk_z, l.mk_p, l.mk_tau].iter().flatten().all(|v| v.is_finite())));
    let counts_by_class = e.class_counts();
    assert_eq!(counts_by_class.len(), 17);
    assert_eq!(counts_by_class.iter().map(|(_, n)| n).sum::<usize>(), ROWS * COLS);
}

#[test]
fn identical_at_any_thread_count() {
    let counts = cube(11);
    let g = grid(ROWS, COLS);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| emerging_grid(&counts, &g, None, BAND_M, EmergingOptions::default()).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

#[test]
fn neighbour_lists_give_the_same_answer_as_the_grid() {
    // With the 150 m band on 100 m cells each cell's neighbourhood is the 3 x 3 block around it: written out as
    // explicit neighbour lists (as H3 k-rings would be), the analysis must agree exactly.
    let (rows, cols) = (ROWS as i64, COLS as i64);
    let mut nb = Neighbours { offsets: vec![0], ids: Vec::new() };
    for r in 0..rows {
        for c in 0..cols {
            for dr in -1..=1 {
                for dc in -1..=1 {
                    let (rr, cc) = (r + dr, c + dc);
                    if (0..rows).contains(&rr) && (0..cols).contains(&cc) {
                        nb.ids.push((rr * cols + cc) as u32);
                    }
                }
            }
            nb.offsets.push(nb.ids.len());
        }
    }
    let counts = cube(7);
    let a = emerging_grid(&counts, &grid(ROWS, COLS), None, BAND_M, EmergingOptions::default()).unwrap();
    let b = emerging_neighbours(&counts, &nb, EmergingOptions::default()).unwrap();
    assert_eq!(a.locations, b.locations);
    assert_eq!(a.bin_by_step, b.bin_by_step);
}

#[test]
fn outside_the_study_area_or_never_an_incident_is_no_pattern() {
    let mut counts = cube(7);
    // Cell (30, 30) never has an incident.
    let empty = 30 * COLS + 30;
    for row in &mut counts {
        row[empty] = 0.0;
    }
    // Leave out the columns from 24 on (the intensifying and diminishing blocks among them).
    let study: Vec<bool> = (0..ROWS * COLS).map(|i| i % COLS < 24).collect();
    let e = emerging_grid(&counts, &grid(ROWS, COLS), Some(&study), BAND_M, EmergingOptions::default()).unwrap();
    for (i, l) in e.locations.iter().enumerate() {
        if !study[i] {
            assert_eq!((l.class, l.mk_z, l.hot_steps, l.final_bin), (NoPattern, None, 0, 0));
        }
    }
    assert_eq!((e.locations[empty].class, e.locations[empty].mk_p), (NoPattern, None));
    assert_eq!(e.locations[4 * COLS + 20].class, PersistentHot);
    assert_eq!(e.locations[4 * COLS + 4].class, NewHot);
}

#[test]
fn an_empty_step_is_a_warning_not_an_error() {
    // 5 x 5 grid, 6 steps; step 2 has no incidents. A 3 x 3 block is busy from step 3 on.
    let g = grid(5, 5);
    let counts: Vec<Vec<f64>> = (0..6)
        .map(|t| {
            (0..25)
                .map(|i| {
                    let (r, c) = (i / 5, i % 5);
                    match t {
                        2 => 0.0,
                        _ if t >= 3 && (1..=2).contains(&r) && (1..=2).contains(&c) => 20.0,
                        _ => ((i * 7 + t) % 3) as f64,
                    }
                })
                .collect()
        })
        .collect();
    let e = emerging_grid(&counts, &g, None, 150.0, EmergingOptions::default()).unwrap();
    assert!(e.warnings.iter().any(|w| w.starts_with("time step 2: ") && w.contains("same value")), "{:?}", e.warnings);
    assert!(e.warnings.iter().any(|w| w.contains("only 6 time steps")));
    assert_eq!(e.z_by_step[2], vec![0.0; 25]);
    assert_eq!(e.bin_by_step[2], vec![0; 25]);
    assert!(e.z_by_step.iter().flatten().all(|z| z.is_finite()));
    assert!(e.locations.iter().all(|l| l.mk_z.is_none_or(f64::is_finite)));
    // Four steps or fewer: no trend can be significant at 0.05, and a warning says so.
    let e = emerging_grid(&counts[..4], &g, None, 150.0, EmergingOptions::default()).unwrap();
    assert!(e.warnings.iter().any(|w| w.contains("no Mann-Kendall trend can reach")), "{:?}", e.warnings);
    // Serialised with the classes in snake_case and without the per-step arrays.
    let json = serde_json::to_string(&e).unwrap();
    assert!(json.contains("\"class\":\"no_pattern\"") && !json.contains("z_by_step"), "{json}");
}

#[test]
fn bad_input_is_an_error() {
    let g = grid(2, 2);
    let o = EmergingOptions::default();
    let step = vec![1.0, 2.0, 0.0, 3.0];
    assert_eq!(emerging_grid(&[], &g, None, 150.0, o), Err(EmergingError::NoSteps));
    assert_eq!(emerging_grid(std::slice::from_ref(&step), &g, None, 150.0, o), Err(EmergingError::TooFewSteps(1)));
    assert_eq!(
        emerging_grid(&[step.clone(), vec![1.0; 3]], &g, None, 150.0, o),
        Err(EmergingError::StepLength { step: 1, len: 3, expected: 4 })
    );
    let two = [step.clone(), step.clone()];
    assert_eq!(
        emerging_grid(&two, &g, Some(&[true; 3]), 150.0, o),
        Err(EmergingError::StudyLength { mask: 3, cells: 4 })
    );
    assert_eq!(emerging_grid(&two, &g, None, 0.0, o), Err(EmergingError::BadBand(0.0)));
    let bad_bin = EmergingOptions { significant_bin: 0, ..o };
    assert_eq!(emerging_grid(&two, &g, None, 150.0, bad_bin), Err(EmergingError::BadSignificantBin(0)));
    let bad_alpha = EmergingOptions { trend_alpha: f64::NAN, ..o };
    assert!(matches!(emerging_grid(&two, &g, None, 150.0, bad_alpha), Err(EmergingError::BadTrendAlpha(_))));
    let nan = [step.clone(), vec![1.0, f64::NAN, 0.0, 0.0]];
    let err = emerging_grid(&nan, &g, None, 150.0, o).unwrap_err();
    assert_eq!(err, EmergingError::GiStar { step: 1, source: GiStarError::NotFinite(1) });
    assert!(err.to_string().starts_with("Gi* in time step 1: "), "{err}");
    let nb = Neighbours { offsets: vec![0, 1], ids: vec![0] };
    assert_eq!(
        emerging_neighbours(&[vec![1.0], vec![1.0, 2.0]], &nb, o),
        Err(EmergingError::StepLength { step: 1, len: 2, expected: 1 })
    );
}
