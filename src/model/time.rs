//! Incident times: a UTC instant (seconds since the Unix epoch) plus the precision it was recorded with.
//!
//! police.uk publishes months only, so a month-precision incident stands for its whole calendar month; other
//! sources give days, minutes or seconds. An instant is always the *start* of the interval the record covers, and
//! [`interval_end_s`] gives its exclusive end.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// How finely an incident's time is known. Ordered from finest to coarsest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum TimePrecision {
    /// Known to the second.
    Second = 0,
    /// Known to the minute.
    Minute = 1,
    /// Known to the hour.
    Hour = 2,
    /// Known to the day.
    Day = 3,
    /// Known to the calendar month (police.uk).
    Month = 4,
    /// Known to the year.
    Year = 5,
}

impl TimePrecision {
    /// All precisions, finest first.
    pub const ALL: [TimePrecision; 6] = [
        TimePrecision::Second,
        TimePrecision::Minute,
        TimePrecision::Hour,
        TimePrecision::Day,
        TimePrecision::Month,
        TimePrecision::Year,
    ];

    /// The stable small integer stored in the database.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The precision for a stored code, or `None` for a code this version does not know.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// Lower-case name (`"month"`), as used in JSON and messages.
    pub fn name(self) -> &'static str {
        match self {
            TimePrecision::Second => "second",
            TimePrecision::Minute => "minute",
            TimePrecision::Hour => "hour",
            TimePrecision::Day => "day",
            TimePrecision::Month => "month",
            TimePrecision::Year => "year",
        }
    }
}

impl std::fmt::Display for TimePrecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Seconds since the epoch of a naive date-time read as UTC.
pub fn naive_to_epoch_s(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

/// Seconds since the epoch of midnight UTC at the start of `date`.
pub fn date_to_epoch_s(date: NaiveDate) -> i64 {
    naive_to_epoch_s(date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Seconds since the epoch of the first instant of the given month (UTC), or `None` if out of range.
pub fn month_start_s(year: i32, month: u32) -> Option<i64> {
    NaiveDate::from_ymd_opt(year, month, 1).map(date_to_epoch_s)
}

/// The UTC date-time of an instant, or `None` when outside chrono's range.
pub fn epoch_to_utc(t_s: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(t_s, 0)
}

/// `t` rounded up to a midnight UTC (itself when it is one): where a window of whole days ending at or after `t`
/// ends.
pub fn ceil_day_s(t: i64) -> i64 {
    t.div_euclid(86_400) * 86_400 + if t.rem_euclid(86_400) == 0 { 0 } else { 86_400 }
}

/// The exclusive end of the interval an incident at `start_s` with `precision` covers: one second later for
/// second precision, the next month's start for month precision, and so on.
pub fn interval_end_s(start_s: i64, precision: TimePrecision) -> i64 {
    match precision {
        TimePrecision::Second => start_s + 1,
        TimePrecision::Minute => start_s + 60,
        TimePrecision::Hour => start_s + 3_600,
        TimePrecision::Day => start_s + 86_400,
        TimePrecision::Month | TimePrecision::Year => {
            let Some(t) = epoch_to_utc(start_s) else {
                return start_s;
            };
            let (y, m) = (t.year(), t.month());
            let next = if precision == TimePrecision::Year || m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)
            };
            next.map(date_to_epoch_s).unwrap_or(start_s)
        }
    }
}

/// Months since year 0 (`year * 12 + month - 1`) of the UTC month containing the instant. Integer arithmetic
/// only (Hinnant's days-to-civil), as it runs once per incident at import.
pub fn month_index(t_s: i64) -> i64 {
    let z = t_s.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    year * 12 + month - 1
}

/// `YYYY-MM` of a [`month_index`].
pub fn month_index_label(index: i64) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// `YYYY-MM` label of the month containing the instant (UTC).
pub fn month_label(t_s: i64) -> String {
    match epoch_to_utc(t_s) {
        Some(t) => format!("{:04}-{:02}", t.year(), t.month()),
        None => format!("(out of range: {t_s})"),
    }
}

/// RFC 3339 text of an instant (`2024-01-01T00:00:00Z`).
pub fn format_instant(t_s: i64) -> String {
    match epoch_to_utc(t_s) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => format!("(out of range: {t_s})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_day_is_the_first_midnight_at_or_after() {
        for t in [-86_401i64, -86_400, -1, 0, 1, 43_200, 86_399, 86_400, 86_401, 1_700_000_000] {
            let c = ceil_day_s(t);
            assert_eq!(c.rem_euclid(86_400), 0, "{t}");
            assert!(c >= t && c - t < 86_400, "{t} -> {c}");
        }
    }

    #[test]
    fn precision_codes_round_trip() {
        for p in TimePrecision::ALL {
            assert_eq!(TimePrecision::from_code(p.code()), Some(p));
        }
        assert_eq!(TimePrecision::from_code(99), None);
    }

    #[test]
    fn month_interval_ends_at_next_month() {
        let jan = month_start_s(2024, 1).unwrap();
        assert_eq!(interval_end_s(jan, TimePrecision::Month), month_start_s(2024, 2).unwrap());
        let dec = month_start_s(2018, 12).unwrap();
        assert_eq!(interval_end_s(dec, TimePrecision::Month), month_start_s(2019, 1).unwrap());
        assert_eq!(format_instant(dec), "2018-12-01T00:00:00Z");
        assert_eq!(month_label(dec + 86_400 * 30), "2018-12");
    }

    #[test]
    fn month_index_agrees_with_chrono() {
        for t in [-86_400 * 400, -1, 0, 951_782_400, 951_868_799, 1_709_251_199, 1_709_251_200, 4_102_444_799] {
            assert_eq!(month_index_label(month_index(t)), month_label(t), "{t}");
        }
        let mut t = month_start_s(1960, 1).unwrap();
        while t < month_start_s(2100, 1).unwrap() {
            assert_eq!(month_index_label(month_index(t)), month_label(t), "{t}");
            t += 86_400 * 7 + 3_607;
        }
    }

    #[test]
    fn leap_february_is_29_days() {
        let feb = month_start_s(2024, 2).unwrap();
        assert_eq!(interval_end_s(feb, TimePrecision::Month) - feb, 29 * 86_400);
    }
}
