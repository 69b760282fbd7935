//! A hand-worked backtest, and the choice's rules.

use super::*;
use crate::model::dataset::testing::{TestRow, dataset_of};
use crate::model::time::TimePrecision;

const M: f64 = 1.0 / 111_000.0; // about a metre of latitude, in degrees

/// Month-precision incidents: (metres east, metres north, month of 2024, category).
fn dataset(rows: &[(f64, f64, u32, &str)]) -> Dataset {
    let rows: Vec<TestRow> = rows
        .iter()
        .map(|&(e, n, month, c)| {
            (-1.9 + e * M / 0.632, 50.72 + n * M, month_start_s(2024, month).unwrap(), TimePrecision::Month, c)
        })
        .collect();
    dataset_of(&rows)
}

/// Corners of a 1 km square every month (they fix the hull), and three places A, B, C inside it.
fn rows() -> Vec<(f64, f64, u32, &'static str)> {
    let mut v = Vec::new();
    for month in 1..=3 {
        for (e, n) in [(0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0), (1000.0, 1000.0)] {
            v.push((e, n, month, "Drugs"));
        }
    }
    let (a, b, c) = ((300.0, 300.0), (600.0, 500.0), (500.0, 800.0));
    let mut put = |(e, n): (f64, f64), month: u32, k: usize, cat: &'static str| {
        for _ in 0..k {
            v.push((e, n, month, cat));
        }
    };
    // January: A 5, B 3, C 1. February: A 2, C 4 (one a robbery). March: B 6.
    put(a, 1, 5, "Drugs");
    put(b, 1, 3, "Drugs");
    put(c, 1, 1, "Drugs");
    put(a, 2, 2, "Drugs");
    put(c, 2, 3, "Drugs");
    put(c, 2, 1, "Robbery");
    put(b, 3, 6, "Drugs");
    v
}

#[test]
fn a_hand_worked_fold() {
    let ds = dataset(&rows());
    let counts1: PredictMethod = "counts:1".parse().unwrap();
    let mut p = BacktestParams::new(Weights { mode: WeightMode::Count, harm_by_category: vec![1.0, 10.0] });
    p.methods = vec![counts1];
    p.coverages_pct = vec![100.0];
    let all = backtest(&ds, &p).unwrap();
    let study = all.study_area.cells;
    assert!(study > 300 && study < 400, "{study}");
    // Two folds: March (fitted on February) and February (fitted on January); January has no month before it.
    let labels: Vec<&str> = all.folds.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(labels, vec!["2024-03", "2024-02"]);
    assert!(all.notes.iter().any(|n| n.contains("2024-01: not tested")), "{:?}", all.notes);
    assert_eq!(all.folds[1].incidents, 4 + 6);

    // A coverage of exactly two study cells.
    p.coverages_pct = vec![200.0 / study as f64];
    let bt = backtest(&ds, &p).unwrap();
    let c = &bt.methods[0].coverages[0];
    assert_eq!(c.cells_allowed, 2);
    assert!(c.reached);
    // February, fitted on January: A (5) and B (3) are the places (the corners lie on the hull's edge, outside the
    // study area). February's incidents: A 2, C 4, corners 4: 2 caught of 10. The best two cells held C 4 + A 2.
    let feb = &c.per_fold[1];
    assert_eq!((feb.cells, feb.hits), (2, 2));
    assert_eq!(feb.hit_rate, Some(0.2));
    assert!((feb.pai.unwrap() - 0.2 / (2.0 / study as f64)).abs() < 1e-9);
    assert!((feb.pei.unwrap() - 2.0 / 6.0).abs() < 1e-12);
    // Harm: the robbery weighs 10: caught 2 of 2 + 3 + 10 + 4 = 19.
    assert!((feb.harm_captured.unwrap() - 2.0 / 19.0).abs() < 1e-12);
    // March, fitted on February: C (4) then A (2); March's 6 incidents at B and 4 at corners: nothing caught.
    let mar = &c.per_fold[0];
    assert_eq!((mar.hits, mar.hit_rate, mar.pei), (0, Some(0.0), Some(0.0)));
    let hr = c.hit_rate.unwrap();
    assert!((hr.mean - 0.1).abs() < 1e-12 && hr.min == 0.0 && hr.max == 0.2);

    // counts:3 cannot be fitted before any fold: set aside, the others still compared.
    p.methods = vec![counts1, "counts:3".parse().unwrap()];
    let bt = backtest(&ds, &p).unwrap();
    assert!(bt.methods[1].set_aside.as_ref().unwrap().contains("only 0 of the 2 folds"));
    assert_eq!(bt.methods[0].coverages[0].per_fold.len(), 2);
}

#[test]
fn too_little_history_gives_the_default_with_its_record() {
    let ds = dataset(&rows());
    let end = month_start_s(2024, 4).unwrap();
    let c = choose_method(&ds, &[], &Weights::count(), end, 50.0).unwrap();
    assert_eq!(c.reason, choose::ChoiceReason::Default);
    assert_eq!(c.method, DEFAULT_METHOD);
    assert!(c.sentence.contains("too little history"), "{}", c.sentence);
    assert!(c.notes.iter().any(|n| n.contains("only 2 months")), "{:?}", c.notes);
    // No history at all before the instant.
    let c = choose_method(&ds, &[], &Weights::count(), month_start_s(2024, 1).unwrap(), 50.0).unwrap();
    assert_eq!(c.method, DEFAULT_METHOD);
    assert!(c.record.is_none());
}

#[test]
fn bad_parameters_are_refused() {
    let ds = dataset(&rows());
    let mut p = BacktestParams::new(Weights::count());
    p.coverages_pct = vec![0.0];
    assert!(matches!(backtest(&ds, &p), Err(PredictError::BadCoverage(_))));
    p.coverages_pct = vec![1.0];
    p.folds = 0;
    assert!(matches!(backtest(&ds, &p), Err(PredictError::BadFolds(0))));
    p.folds = 12;
    p.period = Some(Period::Days(7));
    let e = backtest(&ds, &p).unwrap_err();
    assert!(e.to_string().contains("known only to the month"), "{e}");
    p.period = None;
    p.categories = vec!["Arson".into()];
    assert!(backtest(&ds, &p).unwrap_err().to_string().contains("unknown category"));
}

#[test]
fn too_much_history_gives_the_default_and_says_so() {
    let ds = dataset(&rows());
    let end = month_start_s(2024, 4).unwrap();
    let enough = choose_method_within(&ds, &[], &Weights::count(), end, 50.0, usize::MAX).unwrap();
    assert_eq!(enough.reason, choose::ChoiceReason::Default, "too little history, not too much: {}", enough.sentence);
    // The limit is on the incidents the tested periods hold: one fewer than that refuses, exactly that runs.
    let mut p = choice_params(&[], &Weights::count(), end, 50.0);
    p.max_incidents = Some(0);
    let Err(PredictError::TooMuchHistory { incidents, limit: 0 }) = backtest(&ds, &p) else { panic!("not refused") };
    assert!(incidents > 0);
    p.max_incidents = Some(incidents);
    assert!(backtest(&ds, &p).is_ok());
    let c = choose_method_within(&ds, &[], &Weights::count(), end, 50.0, incidents - 1).unwrap();
    assert_eq!(c.reason, choose::ChoiceReason::TooMuchHistory);
    assert_eq!(c.method, DEFAULT_METHOD);
    assert!(c.record.is_none());
    assert!(c.sentence.contains("too much history") && c.sentence.contains(&format!("more than {}", incidents - 1)));
}
