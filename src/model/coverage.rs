//! What stretch of time the store holds data for, and how much of a window it covers.
//!
//! **Rule.** A day is held when the store has an incident known to the day or finer on it, or an incident known
//! only to its month (police.uk publishes months: a month is held when any of its incidents is) or year. An import of any
//! category counts: coverage says whether the store was fed for that time, not whether anything happened. A window
//! is covered when every day it touches is held. A change, trend or previous count is given only when both its
//! windows are covered; otherwise the answer names the months missing, because no data is not zero crime.

use super::dataset::Dataset;
use super::time::{TimePrecision, month_index, month_index_label, month_start_s};
use super::window::Window;
use serde::Serialize;
use std::collections::BTreeSet;

const DAY_S: i64 = 86_400;

/// The days and months the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Months (index = year * 12 + month - 1) held by an incident known only to the month.
    months: BTreeSet<i64>,
    /// Days (since 1970-01-01) held by an incident known to the day or finer.
    days: BTreeSet<i64>,
}

/// How much of a window the store covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowCoverage {
    /// Every day of the window is held.
    pub full: bool,
    /// Days of the window held, of all its days.
    pub days_held: i64,
    /// UTC calendar days the window touches (a partly covered first or last day counts as one).
    pub days: i64,
    /// The stretches of the window the store has no data for.
    pub missing: Vec<Window>,
    /// The missing stretches in words: `Nov 2023, Dec 2023` for whole months, `3 to 9 Mar 2024` for days.
    pub missing_text: String,
}

fn month_of_day(day: i64) -> i64 {
    month_index(day * DAY_S)
}

/// The distinct values of `values` (a cloneable iterator, read twice): marked in a bit set over their span when it is
/// at most [`BITSET_SPAN`] wide, else inserted one by one.
fn distinct<I: Iterator<Item = i64> + Clone>(values: I) -> BTreeSet<i64> {
    let Some((lo, hi)) =
        values.clone().fold(None, |b: Option<(i64, i64)>, v| Some(b.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))))
    else {
        return BTreeSet::new();
    };
    match hi.checked_sub(lo).filter(|&span| span < BITSET_SPAN) {
        Some(span) => {
            let mut bits = vec![0u64; span as usize / 64 + 1];
            for v in values {
                let k = (v - lo) as usize;
                bits[k / 64] |= 1 << (k % 64);
            }
            let set = bits.iter().enumerate().flat_map(|(w, &word)| {
                (0..64).filter(move |b| word & (1 << b) != 0).map(move |b| lo + (w * 64 + b) as i64)
            });
            set.collect()
        }
        None => values.collect(),
    }
}

/// The widest span of days or months [`distinct`] marks in a bit set (512 KB), about 11,000 years of days.
const BITSET_SPAN: i64 = 1 << 22;

fn month_start_of(index: i64) -> Option<i64> {
    month_start_s(index.div_euclid(12) as i32, (index.rem_euclid(12) + 1) as u32)
}

impl Coverage {
    /// The coverage of a dataset's incidents.
    pub fn of(ds: &Dataset) -> Coverage {
        use rayon::prelude::*;
        // Blocks of rows in parallel, each marking its days and months in a bit set over the block's own span (rows
        // come in any order: a synthetic store's times are shuffled), then merged: a 20M store in a fraction of the
        // time of one tree insert per row.
        const BLOCK_ROWS: usize = 1 << 16;
        let precisions = ds.precision();
        ds.time_s()
            .par_chunks(BLOCK_ROWS)
            .enumerate()
            .map(|(k, block)| {
                let rows = || block.iter().zip(&precisions[k * BLOCK_ROWS..]);
                let days = rows().filter(|(_, p)| **p < TimePrecision::Month).map(|(&t, _)| t.div_euclid(DAY_S));
                let months = rows().flat_map(|(&t, &p)| {
                    let n = match p {
                        TimePrecision::Month => 1,
                        TimePrecision::Year => 12,
                        _ => 0,
                    };
                    (0..n).map(move |k| month_index(t) + k)
                });
                Coverage { months: distinct(months), days: distinct(days) }
            })
            .reduce(Coverage::default, |mut a, b| {
                a.months.extend(b.months);
                a.days.extend(b.days);
                a
            })
    }

    /// The coverage of whole months (labels `YYYY-MM`), as the store's per-import counts know them: exact for data
    /// published by month, month by month for finer data. Labels that are not `YYYY-MM` are passed over.
    pub fn from_month_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Coverage {
        let mut c = Coverage::default();
        for l in labels {
            let parsed = l.split_once('-').and_then(|(y, m)| Some((y.parse::<i64>().ok()?, m.parse::<i64>().ok()?)));
            if let Some((y, m)) = parsed.filter(|(_, m)| (1..=12).contains(m)) {
                c.months.insert(y * 12 + m - 1);
            }
        }
        c
    }

    /// Whether the store holds data for this day (days since 1970-01-01).
    pub fn holds_day(&self, day: i64) -> bool {
        self.days.contains(&day) || self.months.contains(&month_of_day(day))
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.months.is_empty() && self.days.is_empty()
    }

    /// How much of `w` is held.
    pub fn window(&self, w: Window) -> WindowCoverage {
        let (first, last) = (w.from_s.div_euclid(DAY_S), (w.to_s - 1).div_euclid(DAY_S));
        let mut missing: Vec<(i64, i64)> = Vec::new();
        let mut held = 0;
        for day in first..=last {
            if self.holds_day(day) {
                held += 1;
            } else if let Some(run) = missing.last_mut().filter(|r| r.1 + 1 == day) {
                run.1 = day;
            } else {
                missing.push((day, day));
            }
        }
        let days = last - first + 1;
        let missing_windows: Vec<Window> = missing
            .iter()
            .map(|&(a, b)| Window { from_s: (a * DAY_S).max(w.from_s), to_s: ((b + 1) * DAY_S).min(w.to_s) })
            .collect();
        WindowCoverage {
            full: missing.is_empty(),
            days_held: held,
            days,
            missing_text: runs_text(&missing),
            missing: missing_windows,
        }
    }

    /// The stretches held, in order, as windows (runs of consecutive held days).
    pub fn held(&self) -> Vec<Window> {
        let mut days: BTreeSet<i64> = self.days.clone();
        for &m in &self.months {
            if let (Some(a), Some(b)) = (month_start_of(m), month_start_of(m + 1)) {
                days.extend(a.div_euclid(DAY_S)..b.div_euclid(DAY_S));
            }
        }
        let mut runs: Vec<(i64, i64)> = Vec::new();
        for d in days {
            match runs.last_mut() {
                Some(r) if r.1 + 1 == d => r.1 = d,
                _ => runs.push((d, d)),
            }
        }
        runs.into_iter().map(|(a, b)| Window { from_s: a * DAY_S, to_s: (b + 1) * DAY_S }).collect()
    }

    /// The stretches held in words: `Oct 2018 to Feb 2019, Jan 2024 to Mar 2024`.
    pub fn held_text(&self) -> String {
        let runs: Vec<(i64, i64)> =
            self.held().iter().map(|w| (w.from_s.div_euclid(DAY_S), (w.to_s - 1).div_euclid(DAY_S))).collect();
        if runs.is_empty() { "nothing".to_owned() } else { runs_text(&runs) }
    }

    /// The gaps between the stretches held.
    pub fn gaps(&self) -> Vec<Window> {
        self.held().windows(2).map(|p| Window { from_s: p[0].to_s, to_s: p[1].from_s }).collect()
    }
}

/// Runs of days (inclusive) in words: whole months as `Nov 2023` or `Nov 2023 to Jan 2024`, other runs as
/// `3 to 9 Mar 2024` (or `3 Mar 2024` for one day).
fn runs_text(runs: &[(i64, i64)]) -> String {
    let day_text = |d: i64| {
        let label = month_index_label(month_of_day(d));
        let start = month_start_of(month_of_day(d)).unwrap_or(d * DAY_S).div_euclid(DAY_S);
        format!("{} {}", d - start + 1, month_label_words(&label))
    };
    let mut parts = Vec::new();
    for &(a, b) in runs {
        let (ma, mb) = (month_of_day(a), month_of_day(b));
        let starts_month = month_start_of(ma).is_some_and(|s| s.div_euclid(DAY_S) == a);
        let ends_month = month_start_of(mb + 1).is_some_and(|s| s.div_euclid(DAY_S) == b + 1);
        let month_words = |m: i64| month_label_words(&month_index_label(m));
        parts.push(if starts_month && ends_month {
            if ma == mb { month_words(ma) } else { format!("{} to {}", month_words(ma), month_words(mb)) }
        } else if a == b {
            day_text(a)
        } else if ma == mb {
            let first = day_text(a);
            format!("{} to {}", first.split(' ').next().unwrap_or(&first), day_text(b))
        } else {
            format!("{} to {}", day_text(a), day_text(b))
        });
    }
    parts.join(", ")
}

/// `2023-11` as `Nov 2023`.
fn month_label_words(label: &str) -> String {
    const NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, m) = label.split_once('-').unwrap_or((label, "1"));
    let m: usize = m.parse().unwrap_or(1);
    format!("{} {y}", NAMES[(m.clamp(1, 12)) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(y: i32, m: u32) -> i64 {
        month_start_s(y, m).unwrap()
    }

    fn months(list: &[(i32, u32)]) -> Coverage {
        let mut c = Coverage::default();
        for &(y, m) in list {
            c.months.insert(month_index(month(y, m)));
        }
        c
    }

    #[test]
    fn distinct_values_by_bit_set_or_one_by_one() {
        let narrow = [40, -3, 40, 7, -3, 0, 63, 64];
        assert_eq!(distinct(narrow.iter().copied()), narrow.iter().copied().collect::<BTreeSet<i64>>());
        // Wider than a bit set: inserted one by one, extremes included.
        let wide = [i64::MIN, 5, i64::MAX, 5, 1 << 40];
        assert_eq!(distinct(wide.iter().copied()), wide.iter().copied().collect::<BTreeSet<i64>>());
        assert!(distinct(std::iter::empty()).is_empty());
    }

    /// Over many blocks of rows, in no order, the parallel scan holds exactly the days and months of a plain one.
    #[test]
    fn the_scan_in_blocks_is_the_plain_scan() {
        use crate::geo::CrsDef;
        use crate::model::{DatasetBuilder, IncidentRecord, SourceFile};
        let n = 200_000u32;
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), n as usize).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "f".into() }).unwrap();
        let mut rows = Vec::new();
        for k in 0..n {
            // A scattered day of 2017-2019 (every 7th row known only to its month, every 5,000th to its year).
            let day = i64::from(k.wrapping_mul(2_654_435_761) % 1_000);
            let t = month(2017, 1) + day * DAY_S + 3_600;
            let p = match k {
                k if k % 5_000 == 0 => TimePrecision::Year,
                k if k % 7 == 0 => TimePrecision::Month,
                _ => TimePrecision::Second,
            };
            let t = match p {
                TimePrecision::Month => month_start_s(2017 + (day / 365) as i32, 1 + (day % 12) as u32).unwrap(),
                TimePrecision::Year => month(2015, 1),
                _ => t,
            };
            rows.push((t, p));
            let rec = IncidentRecord {
                lon: -1.9,
                lat: 50.7,
                time_s: t,
                precision: p,
                category: "x",
                weight: 1.0,
                area: None,
                location: None,
                source: 0,
                line: k + 2,
            };
            b.push(&rec).unwrap();
        }
        let ds = b.finish().unwrap();
        let mut want = Coverage::default();
        for (t, p) in rows {
            match p {
                TimePrecision::Month => {
                    want.months.insert(month_index(t));
                }
                TimePrecision::Year => want.months.extend((0..12).map(|k| month_index(t) + k)),
                _ => {
                    want.days.insert(t.div_euclid(DAY_S));
                }
            }
        }
        let got = Coverage::of(&ds);
        assert_eq!((got.months, got.days), (want.months, want.days));
    }

    #[test]
    fn months_held_and_missing() {
        let c = months(&[(2018, 10), (2018, 11), (2018, 12), (2019, 1), (2019, 2), (2024, 1), (2024, 2), (2024, 3)]);
        assert_eq!(c.held_text(), "Oct 2018 to Feb 2019, Jan 2024 to Mar 2024");
        assert_eq!(c.gaps(), vec![Window { from_s: month(2019, 3), to_s: month(2024, 1) }]);
        let q1 = c.window(Window { from_s: month(2024, 1), to_s: month(2024, 4) });
        assert!(q1.full);
        assert_eq!((q1.days_held, q1.days), (91, 91));
        // The page's old default: November 2023 to January 2024, of which only January is held.
        let before = c.window(Window { from_s: month(2023, 11), to_s: month(2024, 2) });
        assert!(!before.full);
        assert_eq!(before.missing_text, "Nov 2023 to Dec 2023");
        assert_eq!(before.missing, vec![Window { from_s: month(2023, 11), to_s: month(2024, 1) }]);
        let after = c.window(Window { from_s: month(2024, 2), to_s: month(2024, 5) });
        assert_eq!(after.missing_text, "Apr 2024");
    }

    #[test]
    fn months_from_labels() {
        let c = Coverage::from_month_labels(["2018-10", "2018-11", "2024-01", "bad", "2024-13"]);
        assert_eq!(c.held_text(), "Oct 2018 to Nov 2018, Jan 2024");
    }

    #[test]
    fn days_held_and_partial_months() {
        let mut c = Coverage::default();
        let d0 = month(2017, 1).div_euclid(DAY_S);
        c.days.extend(d0..d0 + 31);
        c.days.extend(d0 + 40..d0 + 59);
        assert_eq!(c.held_text(), "Jan 2017, 10 to 28 Feb 2017");
        let w = c.window(Window { from_s: month(2017, 1), to_s: month(2017, 3) });
        assert_eq!(w.missing_text, "1 to 9 Feb 2017");
        assert_eq!((w.days_held, w.days), (50, 59));
        // A window cutting a day counts the day it touches.
        let half = c.window(Window { from_s: month(2017, 1) + 3600, to_s: month(2017, 1) + 7200 });
        assert!(half.full);
        assert!(Coverage::default().window(Window { from_s: 0, to_s: DAY_S }).missing_text == "1 Jan 1970");
    }
}
