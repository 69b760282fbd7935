//! Which folds a backtest tests, and which methods can be fitted before each.
//!
//! Periods are counted back from the end ([`super::BacktestParams::at_s`]). A period is a **fold** when the data
//! hold it and the period before it (see [`crate::model::Coverage`]); the newest `folds` such periods are taken, walking back
//! over gaps. A method can be fitted for a fold when every period of its lookback is held: a fit never spans a gap.
//!
//! **One fold set for every method.** Means over different folds would compare different months, so every method
//! shown is evaluated on the same folds: those where all of them can be fitted. When fewer than three folds (or
//! fewer than the candidates, if there are fewer than three) would remain, the methods with the longest lookback
//! are set aside, with the reason, until enough remain.

use crate::analysis::predict::{Period, PredictMethod, lookback_periods};

/// The fewest folds worth comparing methods on (fewer when the data hold fewer candidates).
pub const MIN_FOLDS: usize = 3;

/// The folds chosen and the methods that can be evaluated on them.
#[derive(Debug, Clone)]
pub(crate) struct FoldPlan {
    /// Candidate test periods (indices into the periods, newest first).
    pub candidates: Vec<usize>,
    /// The folds every kept method is evaluated on (a subset of `candidates`, newest first).
    pub folds: Vec<usize>,
    /// Per method: its lookback (periods) at each fold of `folds`, or why it is set aside.
    pub lookbacks: Vec<Result<Vec<usize>, String>>,
    /// What was skipped and why, in words.
    pub notes: Vec<String>,
}

/// A skipped run of periods, for notes.
fn run_label(period: Period, bounds: &[i64], newest: usize, oldest: usize) -> String {
    let newest_label = period.label(bounds[newest + 1], bounds[newest]);
    if newest == oldest {
        newest_label
    } else {
        format!("{} to {}", period.label(bounds[oldest + 1], bounds[oldest]), newest_label)
    }
}

/// Plan the folds (see the module docs). `held[j]` says whether period `j` is held.
pub(crate) fn plan(
    period: Period,
    bounds: &[i64],
    held: &[bool],
    methods: &[PredictMethod],
    max_folds: usize,
) -> FoldPlan {
    let n = held.len();
    let mut notes = Vec::new();
    let mut candidates = Vec::new();
    let mut unheld_run: Option<(usize, usize)> = None;
    let flush = |run: &mut Option<(usize, usize)>, notes: &mut Vec<String>| {
        if let Some((a, b)) = run.take() {
            notes.push(format!("{}: no data held, not tested", run_label(period, bounds, a, b)));
        }
    };
    for j in 0..n {
        if candidates.len() >= max_folds {
            break;
        }
        if !held[j] {
            unheld_run = Some(unheld_run.map_or((j, j), |(a, _)| (a, j)));
            continue;
        }
        flush(&mut unheld_run, &mut notes);
        if j + 1 < n && held[j + 1] {
            candidates.push(j);
        } else {
            notes.push(format!(
                "{}: not tested, the {} before it is not held",
                period.label(bounds[j + 1], bounds[j]),
                period.word()
            ));
        }
    }
    // Gaps beyond the oldest candidate are of no interest.
    let lookback_at = |m: &PredictMethod, j: usize| -> Option<usize> {
        let l = lookback_periods(m, bounds, j + 1)?;
        (held.get(j + 1..=j + l)?.iter().all(|&h| h)).then_some(l)
    };
    let target = MIN_FOLDS.min(candidates.len());
    let mut kept: Vec<bool> = vec![true; methods.len()];
    let mut set_aside: Vec<Option<String>> = vec![None; methods.len()];
    // The longest lookback of each method over the candidates (unknown lookback counts as longest).
    let longest: Vec<usize> = methods
        .iter()
        .map(|m| {
            candidates.iter().map(|&j| lookback_periods(m, bounds, j + 1).unwrap_or(usize::MAX)).max().unwrap_or(0)
        })
        .collect();
    let folds = loop {
        let folds: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&j| methods.iter().zip(&kept).all(|(m, &k)| !k || lookback_at(m, j).is_some()))
            .collect();
        let worst = methods.iter().enumerate().filter(|&(i, _)| kept[i]).map(|(i, _)| longest[i]).max();
        match worst {
            Some(w) if folds.len() < target && kept.iter().filter(|&&k| k).count() > 1 => {
                let shortest = (0..methods.len()).filter(|&i| kept[i]).map(|i| longest[i]).min().unwrap_or(0);
                if w == shortest {
                    break folds;
                }
                for i in 0..methods.len() {
                    if kept[i] && longest[i] == w {
                        kept[i] = false;
                        let possible = candidates.iter().filter(|&&j| lookback_at(&methods[i], j).is_some()).count();
                        set_aside[i] = Some(format!(
                            "set aside: its lookback of {w} {} is held before only {possible} of the {} folds",
                            if w == 1 { period.word() } else { format!("{}s", period.word()) },
                            candidates.len()
                        ));
                    }
                }
            }
            _ => break folds,
        }
    };
    let lookbacks = methods
        .iter()
        .zip(set_aside)
        .map(|(m, aside)| match aside {
            Some(reason) => Err(reason),
            None => folds
                .iter()
                .map(|&j| lookback_at(m, j).ok_or_else(|| "its lookback is not held before every fold".to_owned()))
                .collect(),
        })
        .collect();
    FoldPlan { candidates, folds, lookbacks, notes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::month_start_s;

    fn months_back(from: (i32, u32), n: usize) -> Vec<i64> {
        let end = month_start_s(from.0, from.1).unwrap();
        Period::Month.bounds_back(end, end - (n as i64) * 31 * 86_400).into_iter().take(n + 1).collect()
    }

    fn parse(list: &[&str]) -> Vec<PredictMethod> {
        list.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn dorset_months_never_span_the_gap() {
        // Periods newest first from 2024-04: Mar, Feb, Jan 2024 held, then a gap, then Feb 2019 back to Oct 2018.
        let bounds = months_back((2024, 4), 200);
        let held: Vec<bool> = (0..200).map(|j| j < 3 || (61..66).contains(&j)).collect();
        assert_eq!(Period::Month.label(bounds[62], bounds[61]), "2019-02");
        let methods = parse(&["counts:1", "counts:2", "counts:3", "counts:6", "prospective:400:8w"]);
        let p = plan(Period::Month, &bounds, &held, &methods, 12);
        // Mar, Feb 2024; Feb, Jan 2019, Dec, Nov 2018 (Jan 2024 and Oct 2018 have no month before them).
        assert_eq!(p.candidates, vec![0, 1, 61, 62, 63, 64]);
        assert!(p.notes.iter().any(|n| n.contains("2024-01: not tested")), "{:?}", p.notes);
        assert!(p.notes.iter().any(|n| n.contains("2019-03 to 2023-12: no data held")), "{:?}", p.notes);
        assert!(p.notes.iter().any(|n| n.contains("2018-10: not tested")), "{:?}", p.notes);
        // counts:6 (no fold) and counts:3 (two folds) are set aside; two-month lookbacks leave four folds.
        assert!(
            p.lookbacks[3].as_ref().unwrap_err().contains("lookback of 6 months is held before only 0 of the 6 folds")
        );
        assert!(p.lookbacks[2].as_ref().unwrap_err().contains("only 2 of the 6 folds"));
        assert_eq!(p.folds, vec![0, 61, 62, 63]);
        assert_eq!(p.lookbacks[0], Ok(vec![1; 4]));
        assert_eq!(p.lookbacks[4], Ok(vec![2; 4]));
        // At most two folds asked for: the newest two candidates.
        let p = plan(Period::Month, &bounds, &held, &methods[..1], 2);
        assert_eq!(p.folds, vec![0, 1]);
    }
}
