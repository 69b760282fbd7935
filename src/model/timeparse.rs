//! Parsing incident times: automatic recognition of the common formats, or an explicit strftime format.
//!
//! Automatic recognition accepts, per value:
//! - `YYYY-MM` (police.uk's `Month`): month precision;
//! - `YYYY-MM-DD` or `YYYY/MM/DD`: day precision;
//! - ISO 8601 date-times `YYYY-MM-DDTHH:MM[:SS[.fff]]` (a space may replace `T`), optionally ending in `Z` or
//!   `±HH:MM`: minute or second precision;
//! - `MM/DD/YYYY hh:mm[:ss] AM|PM` (US, as in the Chicago data portal): minute or second precision.
//!
//! `NN/NN/YYYY` without AM/PM is refused as ambiguous (day-first in the UK, month-first in the US): pass
//! `--time-format %d/%m/%Y` or `%m/%d/%Y`. Explicit formats use chrono's strftime syntax; `epoch-s` and `epoch-ms`
//! read Unix timestamps.
//!
//! Times without an offset are read as UTC unless a time zone is given. A time zone applies to times known to the
//! hour or finer; dates and months are calendar labels and stay as written. In a zone, a wall-clock time that a
//! daylight-saving change skips is refused, and one that occurs twice takes the earlier instant.
//! Years outside 1900..2100 are refused as out of range.

use super::TimePrecision;
use chrono::format::{Parsed, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Why a time value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The value is empty.
    #[error("time is empty")]
    Empty,
    /// The value matches none of the formats auto-detection knows.
    #[error("'{0}' is not a recognised time (expected YYYY-MM, YYYY-MM-DD, ISO 8601 or MM/DD/YYYY hh:mm:ss AM)")]
    Unrecognised(String),
    /// Day and month cannot be told apart (e.g. `03/04/2024`); a time format must be given.
    #[error("'{0}' is ambiguous (day/month order): pass --time-format %d/%m/%Y or %m/%d/%Y")]
    Ambiguous(String),
    /// The value does not match the given strftime format.
    #[error("'{value}' does not match --time-format '{format}'")]
    FormatMismatch {
        /// The value as read.
        value: String,
        /// The format it was read with.
        format: String,
    },
    /// The value has the right shape but is not a real date or time (e.g. 31 February).
    #[error("'{value}' is not a real date or time: {why}")]
    Invalid {
        /// The value as read.
        value: String,
        /// What is wrong with it.
        why: String,
    },
    /// The year is outside 1900 to 2099.
    #[error("'{0}' is outside the accepted years 1900 to 2099")]
    OutOfRange(String),
    /// A local time that does not exist in the time zone (skipped by a daylight-saving change).
    #[error("'{value}' does not exist in time zone {tz} (skipped by a daylight-saving change)")]
    NonexistentLocal {
        /// The value as read.
        value: String,
        /// The IANA time zone name.
        tz: String,
    },
}

impl TimeError {
    /// The stable reason key counted in import summaries.
    pub fn reason_key(&self) -> &'static str {
        match self {
            TimeError::Empty => "missing_time",
            TimeError::OutOfRange(_) => "time_out_of_range",
            TimeError::NonexistentLocal { .. } => "nonexistent_local_time",
            TimeError::Ambiguous(_) => "ambiguous_time",
            _ => "unparseable_time",
        }
    }
}

/// The user's choice of time format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// Recognise `YYYY-MM`, `YYYY-MM-DD`, ISO 8601 and US `MM/DD/YYYY hh:mm:ss AM` values, refusing ambiguous ones.
    Auto,
    /// Whole seconds since the Unix epoch (an integer).
    EpochSeconds,
    /// Whole milliseconds since the Unix epoch (an integer; truncated to the second).
    EpochMillis,
    /// A chrono strftime format, with the precision its fields imply.
    Strftime {
        /// The strftime format.
        format: String,
        /// The precision of the finest field the format has.
        precision: TimePrecision,
    },
}

impl TimeFormat {
    /// Parse the `--time-format` argument: `auto`, `epoch-s`, `epoch-ms` or a strftime format.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "auto" => Ok(TimeFormat::Auto),
            "epoch-s" | "epoch" => Ok(TimeFormat::EpochSeconds),
            "epoch-ms" => Ok(TimeFormat::EpochMillis),
            f => {
                let items: Vec<_> = StrftimeItems::new(f).collect();
                if items.iter().any(|i| matches!(i, chrono::format::Item::Error)) {
                    return Err(format!("--time-format '{f}' is not a valid strftime format"));
                }
                let has = |specs: &[&str]| specs.iter().any(|s| f.contains(s));
                let precision = if has(&["%S", "%T", "%s", "%+"]) {
                    TimePrecision::Second
                } else if has(&["%M", "%R"]) {
                    TimePrecision::Minute
                } else if has(&["%H", "%I", "%k", "%l"]) {
                    TimePrecision::Hour
                } else if has(&["%d", "%e", "%j", "%F", "%D", "%x"]) {
                    TimePrecision::Day
                } else if has(&["%m", "%b", "%B", "%h"]) {
                    TimePrecision::Month
                } else if has(&["%Y", "%y"]) {
                    TimePrecision::Year
                } else {
                    return Err(format!("--time-format '{f}' has no date fields (such as %Y, %m, %d)"));
                };
                Ok(TimeFormat::Strftime { format: f.to_owned(), precision })
            }
        }
    }
}

/// A parsed time: the start instant (UTC seconds) and its precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedTime {
    /// Start of the time interval, seconds since the Unix epoch (UTC).
    pub time_s: i64,
    /// How precisely the time is known; the interval is `[time_s, interval end)`.
    pub precision: TimePrecision,
}

/// Parses time values with one format and optional time zone.
#[derive(Debug, Clone)]
pub struct TimeParser {
    format: TimeFormat,
    tz: Option<Tz>,
}

/// A value recognised but not yet placed in a zone: either a naive local time or an instant with its offset.
struct Recognised {
    naive: NaiveDateTime,
    offset_s: Option<i32>,
    precision: TimePrecision,
}

impl TimeParser {
    /// A parser for `format`. Times without an offset, precise to the hour or finer, are local times in `tz` (UTC when
    /// `None`; an ambiguous local time takes the earlier instant); dates and months are taken as UTC.
    pub fn new(format: TimeFormat, tz: Option<Tz>) -> Self {
        TimeParser { format, tz }
    }

    /// The format this parser reads.
    pub fn format(&self) -> &TimeFormat {
        &self.format
    }

    /// Parse one value.
    pub fn parse(&self, value: &str) -> Result<ParsedTime, TimeError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(TimeError::Empty);
        }
        let rec = match &self.format {
            TimeFormat::Auto => recognise_auto(v)?,
            TimeFormat::EpochSeconds => epoch(v, 1)?,
            TimeFormat::EpochMillis => epoch(v, 1000)?,
            TimeFormat::Strftime { format, precision } => strftime(v, format, *precision)?,
        };
        let year = chrono::Datelike::year(&rec.naive);
        if !(1900..2100).contains(&year) {
            return Err(TimeError::OutOfRange(v.to_owned()));
        }
        let time_s = match (rec.offset_s, self.tz) {
            (Some(off), _) => rec.naive.and_utc().timestamp() - i64::from(off),
            (None, Some(tz)) if rec.precision <= TimePrecision::Hour => match tz.from_local_datetime(&rec.naive) {
                chrono::LocalResult::Single(t) => t.timestamp(),
                chrono::LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
                chrono::LocalResult::None => {
                    return Err(TimeError::NonexistentLocal { value: v.to_owned(), tz: tz.name().to_owned() });
                }
            },
            (None, _) => rec.naive.and_utc().timestamp(),
        };
        Ok(ParsedTime { time_s, precision: rec.precision })
    }
}

fn epoch(v: &str, per_second: i64) -> Result<Recognised, TimeError> {
    let n: i64 = v.parse().map_err(|_| TimeError::Unrecognised(v.to_owned()))?;
    let secs = n.div_euclid(per_second);
    let naive =
        chrono::DateTime::from_timestamp(secs, 0).ok_or_else(|| TimeError::OutOfRange(v.to_owned()))?.naive_utc();
    Ok(Recognised { naive, offset_s: Some(0), precision: TimePrecision::Second })
}

fn strftime(v: &str, format: &str, precision: TimePrecision) -> Result<Recognised, TimeError> {
    let mismatch = || TimeError::FormatMismatch { value: v.to_owned(), format: format.to_owned() };
    let mut p = Parsed::new();
    chrono::format::parse(&mut p, v, StrftimeItems::new(format)).map_err(|_| mismatch())?;
    let invalid = |why: &str| TimeError::Invalid { value: v.to_owned(), why: why.to_owned() };
    if p.month().is_none() && p.day().is_none() && p.year().is_some() {
        p.set_month(1).map_err(|_| mismatch())?;
    }
    if p.day().is_none() && p.month().is_some() {
        p.set_day(1).map_err(|_| mismatch())?;
    }
    let date = p.to_naive_date().map_err(|e| invalid(&e.to_string()))?;
    let time = if p.hour_div_12().is_some() || p.minute().is_some() {
        if p.minute().is_none() {
            p.set_minute(0).map_err(|_| mismatch())?;
        }
        p.to_naive_time().map_err(|e| invalid(&e.to_string()))?
    } else {
        NaiveTime::MIN
    };
    Ok(Recognised { naive: date.and_time(time), offset_s: p.offset(), precision })
}

/// Digits at `s[range]` as a number, or `None` if any byte is not an ASCII digit.
fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0')))
}

fn make_date(v: &str, y: u32, m: u32, d: u32) -> Result<NaiveDate, TimeError> {
    NaiveDate::from_ymd_opt(y as i32, m, d)
        .ok_or_else(|| TimeError::Invalid { value: v.to_owned(), why: format!("no day {d} in month {m} of {y}") })
}

fn make_time(v: &str, h: u32, mi: u32, s: u32, nanos: u32) -> Result<NaiveTime, TimeError> {
    NaiveTime::from_hms_nano_opt(h, mi, s, nanos).ok_or_else(|| TimeError::Invalid {
        value: v.to_owned(),
        why: format!("{h:02}:{mi:02}:{s:02} is not a time of day"),
    })
}

fn recognise_auto(v: &str) -> Result<Recognised, TimeError> {
    let b = v.as_bytes();
    let unrecognised = || TimeError::Unrecognised(v.to_owned());
    // YYYY-MM and YYYY-MM-DD / YYYY/MM/DD, then ISO date-times.
    if b.len() >= 7 && b[4] == b'-' || b.len() >= 10 && b[4] == b'/' && b[7] == b'/' {
        let y = digits(&b[0..4]).ok_or_else(unrecognised)?;
        let m = digits(&b[5..7]).ok_or_else(unrecognised)?;
        if b.len() == 7 {
            let date = make_date(v, y, m, 1)?;
            return Ok(Recognised {
                naive: date.and_time(NaiveTime::MIN),
                offset_s: None,
                precision: TimePrecision::Month,
            });
        }
        if b.len() < 10 || b[7] != b[4] {
            return Err(unrecognised());
        }
        let d = digits(&b[8..10]).ok_or_else(unrecognised)?;
        let date = make_date(v, y, m, d)?;
        if b.len() == 10 {
            return Ok(Recognised {
                naive: date.and_time(NaiveTime::MIN),
                offset_s: None,
                precision: TimePrecision::Day,
            });
        }
        if b[4] != b'-' || !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
            return Err(unrecognised());
        }
        return iso_time_part(v, &v[11..], date);
    }
    // MM/DD/YYYY hh:mm[:ss] AM|PM, with one- or two-digit month, day and hour.
    let mut parts = v.split_whitespace();
    let date_part = parts.next().ok_or_else(unrecognised)?;
    let mut dmy = date_part.split('/');
    let (Some(a), Some(c), Some(y), None) = (dmy.next(), dmy.next(), dmy.next(), dmy.next()) else {
        return Err(unrecognised());
    };
    let (Some(a), Some(c), Some(y)) = (digits(a.as_bytes()), digits(c.as_bytes()), digits(y.as_bytes())) else {
        return Err(unrecognised());
    };
    if y < 1000 {
        return Err(unrecognised());
    }
    let time_part = parts.next();
    let ampm = parts.next();
    if parts.next().is_some() {
        return Err(unrecognised());
    }
    let pm = match ampm.map(str::to_ascii_uppercase).as_deref() {
        Some("AM") => false,
        Some("PM") => true,
        Some(_) => return Err(unrecognised()),
        None => return Err(TimeError::Ambiguous(v.to_owned())),
    };
    let time_part = time_part.ok_or_else(unrecognised)?;
    let mut hms = time_part.split(':');
    let h = hms.next().and_then(|s| digits(s.as_bytes())).ok_or_else(unrecognised)?;
    let mi = hms.next().and_then(|s| digits(s.as_bytes())).ok_or_else(unrecognised)?;
    let sec = hms.next().map(|s| digits(s.as_bytes()).ok_or_else(unrecognised)).transpose()?;
    if hms.next().is_some() || !(1..=12).contains(&h) {
        return Err(TimeError::Invalid { value: v.to_owned(), why: "a 12-hour clock runs from 1 to 12".into() });
    }
    let h24 = (h % 12) + if pm { 12 } else { 0 };
    let date = make_date(v, y, a, c)?;
    let time = make_time(v, h24, mi, sec.unwrap_or(0), 0)?;
    Ok(Recognised {
        naive: date.and_time(time),
        offset_s: None,
        precision: if sec.is_some() { TimePrecision::Second } else { TimePrecision::Minute },
    })
}

/// The `HH:MM[:SS[.fff]][Z|±HH[:]MM]` part of an ISO 8601 date-time.
fn iso_time_part(v: &str, t: &str, date: NaiveDate) -> Result<Recognised, TimeError> {
    let unrecognised = || TimeError::Unrecognised(v.to_owned());
    let (clock, offset_s) = if let Some(c) = t.strip_suffix(['Z', 'z']) {
        (c, Some(0))
    } else if let Some(pos) = t.rfind(['+', '-']).filter(|&p| p >= 5) {
        let off = t[pos + 1..].replace(':', "");
        let ob = off.as_bytes();
        if ob.len() != 4 && ob.len() != 2 {
            return Err(unrecognised());
        }
        let oh = digits(&ob[0..2]).ok_or_else(unrecognised)?;
        let om = if ob.len() == 4 { digits(&ob[2..4]).ok_or_else(unrecognised)? } else { 0 };
        if oh > 23 || om > 59 {
            return Err(unrecognised());
        }
        let sign = if t.as_bytes()[pos] == b'-' { -1 } else { 1 };
        (&t[..pos], Some(sign * (oh * 3600 + om * 60) as i32))
    } else {
        (t, None)
    };
    let cb = clock.as_bytes();
    if cb.len() < 5 || cb[2] != b':' {
        return Err(unrecognised());
    }
    let h = digits(&cb[0..2]).ok_or_else(unrecognised)?;
    let mi = digits(&cb[3..5]).ok_or_else(unrecognised)?;
    let (sec, nanos, precision) = if cb.len() == 5 {
        (0, 0, TimePrecision::Minute)
    } else {
        if cb.len() < 8 || cb[5] != b':' {
            return Err(unrecognised());
        }
        let s = digits(&cb[6..8]).ok_or_else(unrecognised)?;
        let nanos = if cb.len() > 8 {
            if cb[8] != b'.' && cb[8] != b',' {
                return Err(unrecognised());
            }
            let frac = &cb[9..];
            if frac.is_empty() || frac.len() > 9 {
                return Err(unrecognised());
            }
            digits(frac).ok_or_else(unrecognised)? * 10u32.pow(9 - frac.len() as u32)
        } else {
            0
        };
        (s, nanos, TimePrecision::Second)
    };
    let time = make_time(v, h, mi, sec, nanos)?;
    Ok(Recognised { naive: date.and_time(time), offset_s, precision })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::format_instant;

    fn auto(v: &str) -> Result<(String, TimePrecision), TimeError> {
        TimeParser::new(TimeFormat::Auto, None).parse(v).map(|p| (format_instant(p.time_s), p.precision))
    }

    #[test]
    fn recognises_the_documented_formats() {
        use TimePrecision::*;
        assert_eq!(auto("2018-10"), Ok(("2018-10-01T00:00:00Z".into(), Month)));
        assert_eq!(auto(" 2024-02-29 "), Ok(("2024-02-29T00:00:00Z".into(), Day)));
        assert_eq!(auto("2024/02/29"), Ok(("2024-02-29T00:00:00Z".into(), Day)));
        assert_eq!(auto("2017-03-04T05:06"), Ok(("2017-03-04T05:06:00Z".into(), Minute)));
        assert_eq!(auto("2017-03-04 05:06:07"), Ok(("2017-03-04T05:06:07Z".into(), Second)));
        assert_eq!(auto("2017-03-04T05:06:07.250Z"), Ok(("2017-03-04T05:06:07Z".into(), Second)));
        assert_eq!(auto("2017-03-04T05:06:07+01:00"), Ok(("2017-03-04T04:06:07Z".into(), Second)));
        assert_eq!(auto("2017-03-04T05:06:07-0530"), Ok(("2017-03-04T10:36:07Z".into(), Second)));
        assert_eq!(auto("12/31/2017 11:55:00 PM"), Ok(("2017-12-31T23:55:00Z".into(), Second)));
        assert_eq!(auto("01/01/2017 12:00:00 AM"), Ok(("2017-01-01T00:00:00Z".into(), Second)));
        assert_eq!(auto("1/2/2017 12:30 pm"), Ok(("2017-01-02T12:30:00Z".into(), Minute)));
    }

    #[test]
    fn refuses_nonsense_and_ambiguity() {
        for bad in ["2018-13", "2019-02-29", "2017-03-04T25:00", "hello", "2017-1-5", "13/01/2017 1:00:00 PM"] {
            let e = auto(bad).unwrap_err();
            assert_eq!(e.reason_key(), "unparseable_time", "{bad}: {e}");
        }
        assert!(matches!(auto("03/04/2017"), Err(TimeError::Ambiguous(_))));
        assert!(matches!(auto("0001-01"), Err(TimeError::OutOfRange(_))));
        assert!(matches!(auto("2100-01-01"), Err(TimeError::OutOfRange(_))));
        assert_eq!(auto("   "), Err(TimeError::Empty));
        assert!(auto("01/01/2017 13:00:00 PM").is_err());
    }

    #[test]
    fn explicit_formats() {
        let p = |f: &str, v: &str| {
            TimeParser::new(TimeFormat::parse(f).unwrap(), None)
                .parse(v)
                .map(|p| (format_instant(p.time_s), p.precision))
        };
        assert_eq!(p("%d/%m/%Y", "03/04/2017"), Ok(("2017-04-03T00:00:00Z".into(), TimePrecision::Day)));
        assert_eq!(p("%Y%m", "201810"), Ok(("2018-10-01T00:00:00Z".into(), TimePrecision::Month)));
        assert_eq!(p("%d.%m.%Y %H:%M", "03.04.2017 22:15"), Ok(("2017-04-03T22:15:00Z".into(), TimePrecision::Minute)));
        assert!(matches!(p("%d/%m/%Y", "2017-04-03"), Err(TimeError::FormatMismatch { .. })));
        assert!(matches!(p("%d/%m/%Y", "31/02/2017"), Err(TimeError::Invalid { .. })));
        assert_eq!(p("epoch-ms", "1500000000123"), Ok(("2017-07-14T02:40:00Z".into(), TimePrecision::Second)));
        assert!(TimeFormat::parse("%Q").is_err());
        assert!(TimeFormat::parse("hello").is_err());
    }

    #[test]
    fn time_zones_apply_to_clock_times_only() {
        let chicago: Tz = "America/Chicago".parse().unwrap();
        let p = TimeParser::new(TimeFormat::Auto, Some(chicago));
        // CST is UTC-6 in January.
        assert_eq!(format_instant(p.parse("01/15/2017 06:00:00 PM").unwrap().time_s), "2017-01-16T00:00:00Z");
        // Months stay calendar months.
        assert_eq!(format_instant(p.parse("2017-03").unwrap().time_s), "2017-03-01T00:00:00Z");
        // 2:30 AM on 12 March 2017 was skipped by the change to CDT.
        assert!(matches!(p.parse("03/12/2017 02:30:00 AM"), Err(TimeError::NonexistentLocal { .. })));
        // 1:30 AM on 5 November 2017 happened twice: the earlier (CDT, UTC-5) is taken.
        assert_eq!(format_instant(p.parse("11/05/2017 01:30:00 AM").unwrap().time_s), "2017-11-05T06:30:00Z");
        // An explicit offset wins over the zone.
        assert_eq!(format_instant(p.parse("2017-01-15T18:00:00Z").unwrap().time_s), "2017-01-15T18:00:00Z");
    }
}
