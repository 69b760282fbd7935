//! A time window `[from, to)` and the one parser of the instants users type (`--from`, `from=`, `FROM..TO`).

use super::time::{format_instant, month_index, month_start_s};
use super::timeparse::{TimeFormat, TimeParser};
use serde::{Deserialize, Serialize};

/// A window `[from, to)` in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    /// Inclusive start, seconds since the Unix epoch (UTC).
    pub from_s: i64,
    /// Exclusive end, seconds since the Unix epoch (UTC).
    pub to_s: i64,
}

impl Window {
    /// Parse one instant: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or ISO 8601 (the start of that year, month or day).
    pub fn parse_instant(text: &str) -> Result<i64, String> {
        let v = text.trim();
        let v = if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) { format!("{v}-01") } else { v.to_owned() };
        TimeParser::new(TimeFormat::Auto, None).parse(&v).map(|p| p.time_s).map_err(|e| format!("'{text}': {e}"))
    }

    /// Parse `FROM..TO`: each end `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or ISO 8601, `TO` exclusive (`2024-01..2024-04` is
    /// January to March). The error quotes the text and says what is wrong.
    pub fn parse(text: &str) -> Result<Window, String> {
        let (a, b) = text.split_once("..").ok_or_else(|| format!("'{text}' is not FROM..TO, e.g. 2024-01..2024-04"))?;
        let t = |v: &str| Window::parse_instant(v).map_err(|e| e.replacen(&format!("'{v}'"), &format!("'{text}'"), 1));
        let w = Window { from_s: t(a)?, to_s: t(b)? };
        if w.from_s >= w.to_s {
            return Err(format!("'{text}': the start must be before the end (the end is exclusive)"));
        }
        Ok(w)
    }

    /// `FROM..TO` as ISO 8601 instants (what [`Window::parse`] reads back).
    pub fn text(&self) -> String {
        format!("{}..{}", format_instant(self.from_s), format_instant(self.to_s))
    }

    /// Length in days (fractional when the window does not span whole days).
    pub fn days(&self) -> f64 {
        (self.to_s - self.from_s) as f64 / 86_400.0
    }

    /// The number of whole calendar months, when the window starts and ends at month starts.
    pub fn whole_months(&self) -> Option<i64> {
        let m = |t: i64| {
            let idx = super::time::month_index(t);
            (super::time::month_start_s((idx.div_euclid(12)) as i32, (idx.rem_euclid(12) + 1) as u32) == Some(t))
                .then_some(idx)
        };
        Some(m(self.to_s)? - m(self.from_s)?)
    }

    /// After length / before length, in days: months differ (February against March is 29 days against 31), so
    /// counts are compared per day whenever the lengths differ.
    pub fn length_ratio(before: Window, after: Window) -> f64 {
        after.days() / before.days()
    }
}

/// A length of time counted back from an instant: whole days or whole calendar months (`28d`, `4w`, `3m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WindowLength {
    /// A number of days (`28d`; weeks are written as days, `4w` = 28 days).
    Days(u32),
    /// A number of calendar months (`3m`).
    Months(u32),
}

impl std::str::FromStr for WindowLength {
    type Err = String;
    /// `28d`, `4w`, `3m`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("window '{s}' is not Nd, Nw or Nm (days, weeks, months), e.g. 28d or 3m");
        // The unit is the last character (which may be more than one byte in bad input).
        let cut = t.char_indices().last().map_or(0, |(i, _)| i);
        let (n, unit) = t.split_at(cut);
        let n: u32 = n.parse().map_err(|_| bad())?;
        match (unit, n) {
            (_, 0) => Err(bad()),
            ("d", 1..=3660) => Ok(WindowLength::Days(n)),
            ("w", 1..=520) => Ok(WindowLength::Days(7 * n)),
            ("m", 1..=120) => Ok(WindowLength::Months(n)),
            _ => Err(bad()),
        }
    }
}

impl WindowLength {
    /// The canonical text (`28d`, `3m`) that [`std::str::FromStr`] reads back.
    pub fn code(self) -> String {
        match self {
            WindowLength::Days(n) => format!("{n}d"),
            WindowLength::Months(n) => format!("{n}m"),
        }
    }

    /// In words: `4 weeks`, `3 months`.
    pub fn text(self) -> String {
        match self {
            WindowLength::Days(n) if n % 7 == 0 => format!("{} weeks", n / 7),
            WindowLength::Days(n) => format!("{n} days"),
            WindowLength::Months(1) => "1 month".into(),
            WindowLength::Months(n) => format!("{n} months"),
        }
    }

    /// The window of this length ending at `end_s` (for months, `end_s` rounded down to a month start first).
    pub fn ending_at(self, end_s: i64) -> Option<Window> {
        match self {
            WindowLength::Days(n) => Some(Window { from_s: end_s - i64::from(n) * 86_400, to_s: end_s }),
            WindowLength::Months(n) => {
                let m = month_index(end_s);
                let start = |k: i64| month_start_s(k.div_euclid(12) as i32, (k.rem_euclid(12) + 1) as u32);
                let to = if start(m) == Some(end_s) { end_s } else { start(m)? };
                Some(Window { from_s: start(month_index(to) - i64::from(n))?, to_s: to })
            }
        }
    }
}
