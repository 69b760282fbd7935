//! Periods: the steps folds and lookbacks are counted in, counted back from an end instant, and which of them the
//! data hold.
//!
//! **Months** are calendar months (UTC). **Day periods** (`28d`, `7d`) are counted back from the end instant in
//! whole multiples of their length. Period `0` is the one just before the end, period `1` the one before it, and so
//! on: period `j` is `[bounds[j + 1], bounds[j])`.
//!
//! **Held.** A period is held when the store covers all of it ([`Coverage`], the rule every command uses: each day
//! has an incident of any category, or lies in a month that has a month-precision incident). A period the data do
//! not hold is never tested on, and a method is never fitted across it (a fold needs its whole lookback held).

use crate::model::time::{TimePrecision, month_index, month_index_label, month_start_s};
use crate::model::{Coverage, Dataset, Window};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

const DAY_S: i64 = 86_400;

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Calendar months.
    Month,
    /// A fixed number of days.
    Days(u32),
}

impl FromStr for Period {
    type Err = String;
    /// `month`, `week`, `Nd`, `Nw`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("period '{s}' is not month, week, Nd or Nw (e.g. 28d, 4w)");
        match t.as_str() {
            "month" | "months" | "1m" => return Ok(Period::Month),
            "week" | "weeks" => return Ok(Period::Days(7)),
            _ => {}
        }
        let (n, mult) = match t.as_bytes().last() {
            Some(b'd') => (&t[..t.len() - 1], 1),
            Some(b'w') => (&t[..t.len() - 1], 7),
            _ => return Err(bad()),
        };
        let n: u32 = n.parse().map_err(|_| bad())?;
        match n.checked_mul(mult) {
            Some(d @ 1..=3660) => Ok(Period::Days(d)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month => f.write_str("month"),
            Period::Days(d) if d.is_multiple_of(7) => write!(f, "{}w", d / 7),
            Period::Days(d) => write!(f, "{d}d"),
        }
    }
}

impl Period {
    /// Months when any incident is known only to the month (or coarser), else 28 days.
    pub fn natural(ds: &Dataset) -> Period {
        if ds.precision().iter().any(|&p| p >= TimePrecision::Month) { Period::Month } else { Period::Days(28) }
    }

    /// The word for one period in sentences: `month`, `week`, `28-day period`.
    pub fn word(&self) -> String {
        match self {
            Period::Month => "month".into(),
            Period::Days(7) => "week".into(),
            Period::Days(d) => format!("{d}-day period"),
        }
    }

    /// The previous boundary before `t_s`: the previous month start (the start of `t_s`'s own month when `t_s` is
    /// not one), or `t_s` minus the length.
    pub fn step_back(&self, t_s: i64) -> i64 {
        match self {
            Period::Days(d) => t_s - i64::from(*d) * DAY_S,
            Period::Month => {
                let m = month_index(t_s);
                let start = month_start_of(m);
                if start < t_s { start } else { month_start_of(m - 1) }
            }
        }
    }

    /// Boundaries from `end_s` back: `bounds[0] = end_s`, each next one a period earlier, until one is at or before
    /// `earliest_s` (at least two boundaries: one period).
    pub fn bounds_back(&self, end_s: i64, earliest_s: i64) -> Vec<i64> {
        let mut b = vec![end_s];
        loop {
            let last = *b.last().unwrap_or(&end_s);
            let prev = self.step_back(last);
            b.push(prev);
            if prev <= earliest_s || b.len() > 100_000 {
                return b;
            }
        }
    }

    /// How many periods back from a fit ending at `bounds[first]` a time band of `band_s` reaches: the periods
    /// `first .. first + n` overlapping `[bounds[first] - band_s, bounds[first])`. `None` when the bounds end first.
    pub fn lookback_periods(bounds: &[i64], first: usize, band_s: i64) -> Option<u32> {
        let fit_end = *bounds.get(first)?;
        let from = fit_end - band_s;
        let mut n = 0u32;
        let mut j = first;
        loop {
            let start = *bounds.get(j + 1)?;
            n += 1;
            if start <= from {
                return Some(n);
            }
            j += 1;
        }
    }

    /// A label for period `[from_s, to_s)`: `2024-03` for a calendar month, else `2024-03-01..2024-03-29`.
    pub fn label(&self, from_s: i64, to_s: i64) -> String {
        let m = month_index(from_s);
        if month_start_of(m) == from_s && month_start_of(m + 1) == to_s {
            month_index_label(m)
        } else {
            let day = |t: i64| crate::model::time::format_instant(t).chars().take(10).collect::<String>();
            format!("{}..{}", day(from_s), day(to_s))
        }
    }
}

fn month_start_of(index: i64) -> i64 {
    month_start_s(index.div_euclid(12) as i32, (index.rem_euclid(12) + 1) as u32).unwrap_or(i64::MIN / 4)
}

/// Which of the periods of `bounds` (period `j` is `[bounds[j + 1], bounds[j])`) the store covers entirely.
pub fn held_periods(coverage: &Coverage, bounds: &[i64]) -> Vec<bool> {
    bounds.windows(2).map(|w| w[1] < w[0] && coverage.window(Window { from_s: w[1], to_s: w[0] }).full).collect()
}

/// The end of the data: the latest end of any incident's time interval.
pub fn data_end_s(ds: &Dataset) -> Option<i64> {
    ds.end_s()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::dataset::testing::{TestRow, dataset_of};

    fn m(y: i32, mo: u32) -> i64 {
        month_start_s(y, mo).unwrap()
    }

    fn ds(times: &[(i64, TimePrecision)]) -> Dataset {
        let rows: Vec<TestRow> = times.iter().map(|&(t, p)| (-1.9, 50.7, t, p, "x")).collect();
        dataset_of(&rows)
    }

    #[test]
    fn periods_parse_and_print() {
        assert_eq!("month".parse::<Period>(), Ok(Period::Month));
        assert_eq!("4w".parse::<Period>(), Ok(Period::Days(28)));
        assert_eq!("week".parse::<Period>(), Ok(Period::Days(7)));
        assert_eq!("10d".parse::<Period>(), Ok(Period::Days(10)));
        for bad in ["", "0d", "3y", "d", "-2w"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert_eq!(Period::Days(28).to_string(), "4w");
        assert_eq!(Period::Days(10).to_string(), "10d");
        assert_eq!(Period::Month.word(), "month");
    }

    #[test]
    fn bounds_count_back_in_months_and_days() {
        let b = Period::Month.bounds_back(m(2024, 4), m(2024, 1));
        assert_eq!(b, vec![m(2024, 4), m(2024, 3), m(2024, 2), m(2024, 1)]);
        // Mid-month end: the first period is the part of the month before it.
        let mid = m(2024, 4) + 10 * DAY_S;
        assert_eq!(Period::Month.bounds_back(mid, m(2024, 3)), vec![mid, m(2024, 4), m(2024, 3)]);
        let b = Period::Days(28).bounds_back(m(2024, 4), m(2024, 3));
        assert_eq!(b[1], m(2024, 4) - 28 * DAY_S);
        assert_eq!(b.len(), 3);
        assert_eq!(Period::Month.label(m(2024, 2), m(2024, 3)), "2024-02");
        assert_eq!(Period::Days(28).label(b[1], b[0]), "2024-03-04..2024-04-01");
        // A time band of 8 weeks before 1 March reaches into January: two months.
        let b = Period::Month.bounds_back(m(2024, 3), m(2023, 1));
        assert_eq!(Period::lookback_periods(&b, 0, 56 * DAY_S), Some(2));
        assert_eq!(Period::lookback_periods(&b, 0, 29 * DAY_S), Some(1));
        assert_eq!(Period::lookback_periods(&b, 0, 30 * DAY_S), Some(2));
        assert_eq!(Period::lookback_periods(&b[..2], 0, 56 * DAY_S), None);
    }

    #[test]
    fn held_periods_see_gaps_in_months_and_days() {
        let d = ds(&[
            (m(2018, 10), TimePrecision::Month),
            (m(2018, 11), TimePrecision::Month),
            (m(2024, 1), TimePrecision::Month),
        ]);
        let c = Coverage::of(&d);
        let holds = |a: i64, b: i64| held_periods(&c, &[b, a])[0];
        assert!(holds(m(2018, 10), m(2018, 12)));
        assert!(!holds(m(2018, 11), m(2019, 1)));
        assert!(holds(m(2024, 1), m(2024, 2)));
        assert!(!holds(m(2023, 12), m(2024, 2)));
        assert_eq!(Period::natural(&d), Period::Month);

        // Second precision: every day of the period needs an incident.
        let t0 = m(2017, 1);
        let mut times: Vec<(i64, TimePrecision)> =
            (0..60).filter(|&k| k != 40).map(|k| (t0 + k * DAY_S + 3_600, TimePrecision::Second)).collect();
        times.push((t0 + 5 * DAY_S, TimePrecision::Second));
        let d = ds(&times);
        let c = Coverage::of(&d);
        assert_eq!(held_periods(&c, &[t0 + 56 * DAY_S, t0 + 28 * DAY_S, t0]), vec![false, true], "day 40 is empty");
        assert_eq!(held_periods(&c, &[t0 + DAY_S, t0 - DAY_S]), vec![false]);
        assert_eq!(Period::natural(&d), Period::Days(28));
        assert_eq!(data_end_s(&d), Some(t0 + 59 * DAY_S + 3_601));
    }
}
