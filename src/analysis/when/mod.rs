//! When crime happens: counts by hour of day x day of week, with aoristic spreading of incidents known only to a
//! time range.
//!
//! **The table.** 7 x 24 cells, Monday first, hour 0 = 00:00-00:59, in a chosen time zone (UTC by default; data
//! ingested without `--timezone` keep their local clock time labelled as UTC, so UTC shows their own clock).
//!
//! **Aoristic spreading** (Ratcliffe 2002, "Aoristic signatures and the spatio-temporal analysis of high volume
//! crime patterns", *Journal of Quantitative Criminology* 18): an incident that happened at an unknown moment in
//! `[from, to)` adds to each hour cell the share of the interval that falls in it, `overlap / (to - from)`, so
//! each incident weighs 1 in all, and one known to the day spreads evenly over that day's 24 hours. Hour cells
//! follow the local clock: an hour repeated or skipped at a daylight-saving change is split where it falls.
//! An interval with `to <= from` is an instant at `from`. Intervals longer than [`MAX_SPREAD_DAYS`] days are
//! refused (they say nothing about the hour); in the dataset, each incident's interval is its time precision
//! (a minute, an hour, a day), and incidents known only to the month or year are refused.
//!
//! **Concentration** ([`concentration`]): whether most incidents fall in a small block of the week, tested against
//! a uniform null.

pub mod concentration;
pub mod place;

use crate::model::time::interval_end_s;
use crate::model::{Dataset, Selection, TimePrecision};
use chrono::{Datelike, TimeZone, Timelike};
use serde::Serialize;

/// The longest interval spread over the week's hours, in days.
pub const MAX_SPREAD_DAYS: i64 = 31;

/// Day names by index, 0 = Monday (ISO 8601 order).
pub const DAY_NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Errors of the time-of-day analysis.
#[derive(Debug, thiserror::Error)]
pub enum WhenError {
    #[error(
        "{count} of the selected incidents are known only to the {precision} (e.g. {example}): a {precision} says \
         nothing about the hour or the day of the week. police.uk data publish months only; use a source with dates \
         or times"
    )]
    /// Incidents known only to the month or coarser, which say nothing of the hour or weekday.
    CoarseTimes {
        /// How many selected incidents are that coarse.
        count: usize,
        /// The coarsest precision found.
        precision: TimePrecision,
        /// One such incident's time as stored.
        example: String,
    },
    #[error("interval {index}: from {from_s} to {to_s} is longer than {MAX_SPREAD_DAYS} days")]
    /// An aoristic interval longer than [`MAX_SPREAD_DAYS`].
    TooLong {
        /// Its position in the input.
        index: usize,
        /// Start, seconds since 1970-01-01 UTC.
        from_s: i64,
        /// End, seconds since 1970-01-01 UTC.
        to_s: i64,
    },
    /// An instant (seconds since 1970) that no calendar date represents.
    #[error("instant {0} is outside the calendar")]
    OutOfRange(i64),
}

/// Weights by day of week (0 = Monday) and hour of day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekHours {
    /// `cells[day * 24 + hour]`.
    pub cells: Vec<f64>,
    /// Incidents counted (each weighs 1 in all).
    pub incidents: usize,
    /// Of them, spread over more than one hour.
    pub spread: usize,
    /// The IANA time zone of the clock hours (`UTC`: the times as recorded).
    pub timezone: String,
}

impl WeekHours {
    /// All 168 cells at zero.
    pub fn empty(timezone: &str) -> WeekHours {
        WeekHours { cells: vec![0.0; 168], incidents: 0, spread: 0, timezone: timezone.to_owned() }
    }
    /// The weight of `day` (0 = Monday) at clock hour `hour` (0-23); panics outside those ranges.
    pub fn get(&self, day: usize, hour: usize) -> f64 {
        self.cells[day * 24 + hour]
    }
    /// The weight of the whole week (the incidents counted, up to rounding).
    pub fn total(&self) -> f64 {
        self.cells.iter().sum()
    }
    /// Weight per day of week, Monday first.
    pub fn day_totals(&self) -> Vec<f64> {
        (0..7).map(|d| self.cells[d * 24..d * 24 + 24].iter().sum()).collect()
    }
    /// Weight per clock hour, 0 first, over all days.
    pub fn hour_totals(&self) -> Vec<f64> {
        (0..24).map(|h| (0..7).map(|d| self.cells[d * 24 + h]).sum()).collect()
    }
}

/// The week-hour cell of an instant in `tz`, and the seconds until the next local hour starts.
fn cell_of<Tz: TimeZone>(t_s: i64, tz: &Tz) -> Result<(usize, i64), WhenError> {
    let utc = chrono::DateTime::from_timestamp(t_s, 0).ok_or(WhenError::OutOfRange(t_s))?;
    let local = utc.with_timezone(tz);
    let day = local.weekday().num_days_from_monday() as usize;
    let into_hour = i64::from(local.minute()) * 60 + i64::from(local.second());
    Ok((day * 24 + local.hour() as usize, 3_600 - into_hour))
}

/// Add one incident over `[from_s, to_s)` to `cells` (see the module docs). Returns whether it touched more
/// than one hour cell.
pub fn spread<Tz: TimeZone>(from_s: i64, to_s: i64, tz: &Tz, cells: &mut [f64]) -> Result<bool, WhenError> {
    if to_s <= from_s {
        let (c, _) = cell_of(from_s, tz)?;
        cells[c] += 1.0;
        return Ok(false);
    }
    let len = (to_s - from_s) as f64;
    let mut t = from_s;
    let mut touched = 0usize;
    while t < to_s {
        let (c, left) = cell_of(t, tz)?;
        let step = left.min(to_s - t);
        cells[c] += step as f64 / len;
        t += step;
        touched += 1;
    }
    Ok(touched > 1)
}

/// The table of explicit `(from, to)` intervals (seconds, `to` exclusive) in `tz`.
pub fn aoristic_table<Tz: TimeZone>(intervals: &[(i64, i64)], tz: &Tz, tz_name: &str) -> Result<WeekHours, WhenError> {
    let mut w = WeekHours::empty(tz_name);
    for (index, &(from_s, to_s)) in intervals.iter().enumerate() {
        if to_s - from_s > MAX_SPREAD_DAYS * 86_400 {
            return Err(WhenError::TooLong { index, from_s, to_s });
        }
        w.spread += usize::from(spread(from_s, to_s, tz, &mut w.cells)?);
        w.incidents += 1;
    }
    Ok(w)
}

/// The intervals of a selection: each incident's time precision. Month and year precision are refused.
pub fn selection_intervals(ds: &Dataset, sel: &Selection) -> Result<Vec<(i64, i64)>, WhenError> {
    let (t, p) = (ds.time_s(), ds.precision());
    let coarse: Vec<u32> = sel.indices.iter().copied().filter(|&i| p[i as usize] >= TimePrecision::Month).collect();
    if let Some(&first) = coarse.first() {
        let precision = p[first as usize];
        return Err(WhenError::CoarseTimes {
            count: coarse.len(),
            precision,
            example: crate::model::time::month_label(t[first as usize]),
        });
    }
    Ok(sel
        .indices
        .iter()
        .map(|&i| {
            let (ti, pi) = (t[i as usize], p[i as usize]);
            (ti, interval_end_s(ti, pi))
        })
        .collect())
}

/// Hour-of-week counts of a selection in `tz`.
pub fn when_table<Tz: TimeZone>(ds: &Dataset, sel: &Selection, tz: &Tz, tz_name: &str) -> Result<WeekHours, WhenError> {
    aoristic_table(&selection_intervals(ds, sel)?, tz, tz_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap().and_utc().timestamp()
    }

    #[test]
    fn exact_times_land_in_one_cell() {
        // 2024-03-01 was a Friday.
        let w = aoristic_table(&[(at(2024, 3, 1, 22, 30), at(2024, 3, 1, 22, 31))], &chrono::Utc, "UTC").unwrap();
        assert_eq!(w.get(4, 22), 1.0);
        assert_eq!(w.total(), 1.0);
        assert_eq!(w.spread, 0);
    }

    #[test]
    fn ratcliffe_spreading_by_overlap() {
        // Friday 22:30 to Saturday 01:30: 0.5 h, 1 h, 1 h, 0.5 h of 3 h.
        let w = aoristic_table(&[(at(2024, 3, 1, 22, 30), at(2024, 3, 2, 1, 30))], &chrono::Utc, "UTC").unwrap();
        let expect = [(4, 22, 1.0 / 6.0), (4, 23, 1.0 / 3.0), (5, 0, 1.0 / 3.0), (5, 1, 1.0 / 6.0)];
        for (d, h, v) in expect {
            assert!((w.get(d, h) - v).abs() < 1e-12, "{d} {h}: {}", w.get(d, h));
        }
        assert!((w.total() - 1.0).abs() < 1e-12);
        assert_eq!(w.spread, 1);
        // A day spreads 1/24 per hour; an instant (to <= from) is one cell.
        let w = aoristic_table(&[(at(2024, 3, 4, 0, 0), at(2024, 3, 5, 0, 0))], &chrono::Utc, "UTC").unwrap();
        assert!((0..24).all(|h| (w.get(0, h) - 1.0 / 24.0).abs() < 1e-12));
        let w = aoristic_table(&[(at(2024, 3, 4, 5, 0), at(2024, 3, 4, 5, 0))], &chrono::Utc, "UTC").unwrap();
        assert_eq!(w.get(0, 5), 1.0);
        assert!(aoristic_table(&[(0, 40 * 86_400)], &chrono::Utc, "UTC").is_err());
    }

    #[test]
    fn local_clock_and_daylight_saving() {
        let chicago: Tz = "America/Chicago".parse().unwrap();
        // 2017-07-01 03:00 UTC is Friday 2017-06-30 22:00 in Chicago (CDT, UTC-5).
        let t = at(2017, 7, 1, 3, 0);
        let w = aoristic_table(&[(t, t + 60)], &chicago, "America/Chicago").unwrap();
        assert_eq!(w.get(4, 22), 1.0);
        // The spring-forward day (2017-03-12, a Sunday) has 23 local hours: 02:00 never happens.
        let day = chicago.with_ymd_and_hms(2017, 3, 12, 0, 0, 0).unwrap().timestamp();
        let next = chicago.with_ymd_and_hms(2017, 3, 13, 0, 0, 0).unwrap().timestamp();
        let w = aoristic_table(&[(day, next)], &chicago, "America/Chicago").unwrap();
        assert_eq!(w.get(6, 2), 0.0);
        assert!((w.get(6, 3) - 1.0 / 23.0).abs() < 1e-12);
        assert!((w.total() - 1.0).abs() < 1e-12);
    }
}
