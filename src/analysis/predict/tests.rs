//! Every method against a brute-force reference written from its definition, and the no-leakage guarantee.

use super::*;
use crate::analysis::kde::{Kernel, kde_brute_force};
use crate::analysis::points::Points;
use crate::grid::BoxM;
use crate::model::dataset::testing::{TestRow, dataset_of};
use crate::model::time::{interval_end_s, month_start_s};
use proptest::prelude::*;

const DAY: i64 = 86_400;

/// (lon offset, lat offset, time, precision, category) rows around Bournemouth.
type Row = (f64, f64, i64, TimePrecision, u8);

fn dataset(rows: &[Row]) -> Dataset {
    let cats = ["Burglary", "Robbery", "Drugs"];
    let rows: Vec<TestRow> =
        rows.iter().map(|&(dx, dy, t, p, c)| (-1.9 + dx, 50.72 + dy, t, p, cats[usize::from(c) % 3])).collect();
    dataset_of(&rows)
}

fn grid_for(ds: &Dataset, cell_m: f64) -> Grid {
    let e = BoxM::of_points(ds.x_m(), ds.y_m()).unwrap();
    Grid::covering(&e, 60.0, cell_m, ds.crs()).unwrap()
}

/// The reference: every method's definition summed incident by incident.
fn brute(ds: &Dataset, grid: &Grid, method: &PredictMethod, fit_end: i64, w: &Weights, period: Period) -> Vec<f64> {
    let bounds = fit_bounds(method, period, fit_end);
    let from = *bounds.last().unwrap();
    let used: Vec<usize> = (0..ds.len())
        .filter(|&i| {
            let (s, e) = (ds.time_s()[i], interval_end_s(ds.time_s()[i], ds.precision()[i]));
            s >= from && e <= fit_end
        })
        .collect();
    let mid = |i: usize| {
        let s = ds.time_s()[i];
        s + (interval_end_s(s, ds.precision()[i]) - s) / 2
    };
    let decayed = |i: usize, h_days: u32| -> f64 {
        w.fit_weight(ds, i) * (-((fit_end - mid(i)) as f64) / (f64::from(h_days) * 86_400.0)).exp2()
    };
    let cell_sums = |value: &dyn Fn(usize) -> f64| {
        let mut v = vec![0.0; grid.n_cells()];
        for &i in &used {
            if let Some(c) = grid.cell_at(ds.x_m()[i], ds.y_m()[i]) {
                v[c] += value(i);
            }
        }
        v
    };
    let points = |value: &dyn Fn(usize) -> f64| Points {
        x_m: used.iter().map(|&i| ds.x_m()[i]).collect(),
        y_m: used.iter().map(|&i| ds.y_m()[i]).collect(),
        w: used.iter().map(|&i| value(i)).collect(),
    };
    match *method {
        PredictMethod::Counts { .. } => cell_sums(&|i| w.fit_weight(ds, i)),
        PredictMethod::Decay { half_life_days, .. } => cell_sums(&|i| decayed(i, half_life_days)),
        PredictMethod::Kde { bandwidth_m, .. } => {
            kde_brute_force(&points(&|i| w.fit_weight(ds, i)), grid, Kernel::Quartic, bandwidth_m)
        }
        PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, .. } => {
            let counts = cell_sums(&|i| decayed(i, half_life_days));
            let density = kde_brute_force(&points(&|i| decayed(i, half_life_days)), grid, Kernel::Quartic, bandwidth_m);
            let area_km2 = grid.cell_area_m2() / 1e6;
            counts.iter().zip(&density).map(|(c, d)| (1.0 - smoothing) * c + smoothing * d * area_km2).collect()
        }
        PredictMethod::Prospective { band_m, time_band_days } => {
            let mut v = vec![0.0; grid.n_cells()];
            for (cell, out) in v.iter_mut().enumerate() {
                let (r, c) = ((cell / grid.cols) as i64, (cell % grid.cols) as i64);
                for &i in &used {
                    let ri = ((ds.y_m()[i] - grid.origin_y_m) / grid.cell_m).floor() as i64;
                    let ci = ((ds.x_m()[i] - grid.origin_x_m) / grid.cell_m).floor() as i64;
                    let d = (r - ri).abs().max((c - ci).abs()) as f64;
                    let t = ((fit_end - mid(i)) as f64 / (7.0 * 86_400.0)).floor();
                    if d < band_m / grid.cell_m && t < f64::from(time_band_days) / 7.0 {
                        *out += w.fit_weight(ds, i) / ((1.0 + d) * (1.0 + t));
                    }
                }
            }
            v
        }
    }
}

fn close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len());
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        // Zero in the engine where the reference is zero or negligibly above (a KDE tail of rounding).
        let tol = 1e-9 * a.abs().max(b.abs()).max(1e-12);
        assert!((a - b).abs() <= tol, "{what}: cell {k}: {a} vs {b}");
    }
}

fn methods() -> Vec<PredictMethod> {
    ["counts:1", "counts:3", "decay:20d:2", "kde:40:2", "kde:150:3", "prospective:200:3w", "blend:30d:90:0.3:2"]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect()
}

fn rows_strategy() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(
        (
            // A few shared map points (police.uk-like coincidence) and scattered ones.
            prop_oneof![Just((0.001, 0.001)), Just((0.004, -0.002)), (-0.01f64..0.01, -0.006f64..0.006)],
            0i64..(120 * DAY),
            prop_oneof![Just(TimePrecision::Second), Just(TimePrecision::Day), Just(TimePrecision::Minute)],
            0u8..3,
        )
            .prop_map(|((dx, dy), t, p, c)| {
                let t0 = month_start_s(2024, 1).unwrap() + t;
                let t = match p {
                    TimePrecision::Day => t0.div_euclid(DAY) * DAY,
                    TimePrecision::Minute => t0.div_euclid(60) * 60,
                    _ => t0,
                };
                (dx, dy, t, p, c)
            }),
        1..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Every method equals its definition summed incident by incident, in counts and in harm.
    #[test]
    fn methods_match_brute_force(rows in rows_strategy(), end_day in 30i64..130, harm in any::<bool>()) {
        let ds = dataset(&rows);
        let grid = grid_for(&ds, 50.0);
        let w = if harm {
            Weights { mode: WeightMode::Harm, harm_by_category: vec![2.5, 7.0, 1.0] }
        } else {
            Weights::count()
        };
        let fit_end = month_start_s(2024, 1).unwrap() + end_day * DAY;
        for m in methods() {
            let period = Period::Days(14);
            let got = score_cells_in(&ds, &[], &grid, &m, fit_end, &w, period).unwrap();
            close(&got, &brute(&ds, &grid, &m, fit_end, &w, period), &m.to_string());
        }
    }

    /// The backtest's ranking of a fit made row by row (`score_top`) is the ranking of the whole fit's scores, cell for
    /// cell and bit for bit, whatever the study area and the number of cells kept; a blend whose kernel is narrower
    /// than a cell has cells with counts and no density, which are ranked too.
    #[test]
    fn ranking_a_fit_as_it_is_made_is_ranking_its_scores(
        rows in rows_strategy(),
        end_day in 30i64..130,
        mask_step in 1u64..7,
        limit in 0usize..40,
    ) {
        let ds = dataset(&rows);
        let grid = grid_for(&ds, 50.0);
        let fit_end = month_start_s(2024, 1).unwrap() + end_day * DAY;
        let study: Vec<bool> = (0..grid.n_cells() as u64).map(|i| (i * mask_step) % 7 != 3).collect();
        let mut all = methods();
        all.push("blend:30d:10:0.3:2".parse().unwrap());
        for m in all {
            let period = Period::Days(14);
            let selected = select_categories(&ds, &[]).unwrap();
            let bounds = fit_bounds(&m, period, fit_end);
            let w = Weights::count();
            let binned = Binned::build(&ds, &selected, &grid, &bounds, &w, &half_lives(std::slice::from_ref(&m)));
            let lookback = lookback_periods(&m, &bounds, 0).unwrap_or(binned.n_periods());
            let bits = |v: Vec<(u32, f64)>| v.into_iter().map(|(c, s)| (c, s.to_bits())).collect::<Vec<_>>();
            let want = ranked_cells(score_sparse(&binned, &grid, &m, 0, lookback).unwrap(), &study, limit);
            let got = score_top(&binned, &grid, &m, (0, lookback), &study, limit).unwrap();
            prop_assert_eq!(bits(got), bits(want), "{}", m);
        }
    }

    /// Changing, adding or removing anything at or after the fit's end never changes a score.
    #[test]
    fn the_future_never_leaks(rows in rows_strategy(), future in rows_strategy(), end_day in 20i64..110) {
        let fit_end = month_start_s(2024, 1).unwrap() + end_day * DAY;
        let past: Vec<Row> = rows.iter().copied().filter(|r| r.2 + DAY <= fit_end).collect();
        prop_assume!(!past.is_empty());
        // The same past, with other incidents at or after the end (anywhere, any category).
        let shifted: Vec<Row> = future.iter().map(|&(dx, dy, t, p, c)| (dx * 3.0, dy, fit_end + t % (40 * DAY), p, c)).collect();
        let mut with_future = past.clone();
        with_future.extend(&shifted);
        let (a, b) = (dataset(&past), dataset(&with_future));
        let grid = grid_for(&b, 50.0);
        for m in methods() {
            for w in [Weights::count(), Weights { mode: WeightMode::Harm, harm_by_category: vec![3.0, 1.0, 9.0] }] {
                let sa = score_cells_in(&a, &[], &grid, &m, fit_end, &w, Period::Days(14)).unwrap();
                let sb = score_cells_in(&b, &[], &grid, &m, fit_end, &w, Period::Days(14)).unwrap();
                prop_assert!(sa.iter().zip(&sb).all(|(x, y)| x.to_bits() == y.to_bits()), "{}", m);
            }
        }
    }
}

#[test]
fn month_data_fits_on_whole_months_only() {
    let m = |mo: u32| month_start_s(2024, mo).unwrap();
    let rows: Vec<Row> = vec![
        (0.0, 0.0, m(1), TimePrecision::Month, 0),
        (0.0, 0.0, m(2), TimePrecision::Month, 0),
        (0.0, 0.0, m(2), TimePrecision::Month, 1),
        (0.0, 0.0, m(3), TimePrecision::Month, 0),
    ];
    let ds = dataset(&rows);
    let grid = grid_for(&ds, 50.0);
    let c = grid.cell_at(ds.x_m()[0], ds.y_m()[0]).unwrap();
    let counts1: PredictMethod = "counts:1".parse().unwrap();
    let counts2: PredictMethod = "counts:2".parse().unwrap();
    let w = Weights::count();
    assert_eq!(score_cells(&ds, &[], &grid, &counts1, m(3), &w).unwrap()[c], 2.0);
    assert_eq!(score_cells(&ds, &[], &grid, &counts2, m(3), &w).unwrap()[c], 3.0);
    // Ending mid-March: March's incidents may lie after the end, so they are not read; February is the last
    // whole month and lies outside a one-period lookback (the first period is 1-15 March).
    let mid = m(3) + 14 * DAY;
    assert_eq!(score_cells(&ds, &[], &grid, &counts1, mid, &w).unwrap()[c], 0.0);
    assert_eq!(score_cells(&ds, &[], &grid, &counts2, mid, &w).unwrap()[c], 2.0);
    // Categories filter; unknown ones are refused; weeks on month data are refused.
    assert_eq!(score_cells(&ds, &["Robbery".into()], &grid, &counts1, m(3), &w).unwrap()[c], 1.0);
    assert!(score_cells(&ds, &["Arson".into()], &grid, &counts1, m(3), &w).is_err());
    let e = score_cells_in(&ds, &[], &grid, &counts1, m(3), &w, Period::Days(7)).unwrap_err();
    assert!(e.to_string().contains("known only to the month"), "{e}");
}

#[test]
fn prospective_weights_follow_the_paper() {
    // One incident 10 days (one whole week) before the end, in one cell: its own cell gets 1 / (1 x 2), a
    // neighbour (diagonal too) 1 / (2 x 2), 7 cells away 1 / (8 x 2), 8 cells away nothing (400 m / 50 m = 8).
    let end = month_start_s(2024, 3).unwrap();
    let ds = dataset(&[(0.0, 0.0, end - 10 * DAY, TimePrecision::Second, 0)]);
    let e = BoxM::of_points(ds.x_m(), ds.y_m()).unwrap();
    let grid = Grid::covering(&e, 500.0, 50.0, ds.crs()).unwrap();
    let m: PredictMethod = "prospective:400:8w".parse().unwrap();
    let s = score_cells(&ds, &[], &grid, &m, end, &Weights::count()).unwrap();
    let c = grid.cell_at(ds.x_m()[0], ds.y_m()[0]).unwrap();
    let cols = grid.cols;
    assert_eq!(s[c], 0.5);
    assert_eq!(s[c + cols + 1], 0.25);
    assert_eq!(s[c + 7], 1.0 / 16.0);
    assert_eq!(s[c + 8], 0.0);
    assert_eq!(s[c - 7 * cols - 7], 1.0 / 16.0);
    // Eight weeks old or more: no weight.
    let old = dataset(&[(0.0, 0.0, end - 56 * DAY, TimePrecision::Second, 0)]);
    assert!(score_cells(&old, &[], &grid, &m, end, &Weights::count()).unwrap().iter().all(|&v| v == 0.0));
}
