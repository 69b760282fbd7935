//! The tasking window: its length (`28d`, `4w`, `3m`), where it ends, and the equal window before it.

use super::{TaskingError, TaskingParams};
use crate::model::Window;
use crate::model::time::{ceil_day_s, format_instant, month_index, month_start_s};
use crate::model::{Coverage, Dataset};

pub use crate::model::window::WindowLength;

/// The window of equal length before `w`: as many whole months earlier for whole months, else as many days.
pub fn previous_window(w: Window) -> Window {
    match w.whole_months() {
        Some(n) if n > 0 => {
            let m = month_index(w.from_s) - n;
            let from = month_start_s(m.div_euclid(12) as i32, (m.rem_euclid(12) + 1) as u32);
            Window { from_s: from.unwrap_or(w.from_s - (w.to_s - w.from_s)), to_s: w.from_s }
        }
        _ => Window { from_s: w.from_s - (w.to_s - w.from_s), to_s: w.from_s },
    }
}

/// [`previous_window`] of `w` when the store fully covers it ([`crate::model::Coverage`]); `None` when any of it is
/// missing (before the data starts, or a gap in the imports): no earlier data is not zero crime, and a change
/// against it would be invented.
pub fn previous_with_data(coverage: &Coverage, w: Window) -> Option<Window> {
    let previous = previous_window(w);
    coverage.window(previous).full.then_some(previous)
}

/// `--at` (default: the end of the data rounded up to midnight UTC, so windows are whole days) and the window
/// ending there.
pub fn tasking_window(ds: &Dataset, p: &TaskingParams) -> Result<(i64, Window), TaskingError> {
    let at = p.at_s.or_else(|| ds.end_s().map(ceil_day_s)).ok_or(TaskingError::NoData)?;
    let window = p.window.ending_at(at).ok_or_else(|| TaskingError::BadWindow(format_instant(at)))?;
    Ok((at, window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(y: i32, m: u32) -> i64 {
        month_start_s(y, m).unwrap_or_default()
    }

    #[test]
    fn windows_parse_and_end_at_the_date() {
        assert_eq!("28d".parse::<WindowLength>(), Ok(WindowLength::Days(28)));
        assert_eq!("4w".parse::<WindowLength>(), Ok(WindowLength::Days(28)));
        assert_eq!("3m".parse::<WindowLength>(), Ok(WindowLength::Months(3)));
        for bad in ["0d", "3y", "m", "", "-2w", "12"] {
            assert!(bad.parse::<WindowLength>().is_err(), "{bad}");
        }
        // Three months ending at 2024-04-01: January to March.
        let w = WindowLength::Months(3).ending_at(month(2024, 4));
        assert_eq!(w, Some(Window { from_s: month(2024, 1), to_s: month(2024, 4) }));
        // Mid-month: the months end at the start of that month.
        let w = WindowLength::Months(1).ending_at(month(2024, 4) + 86_400 * 10);
        assert_eq!(w, Some(Window { from_s: month(2024, 3), to_s: month(2024, 4) }));
        let w = WindowLength::Days(28).ending_at(month(2024, 4));
        assert_eq!(w.map(|w| w.to_s - w.from_s), Some(28 * 86_400));
    }

    #[test]
    fn previous_windows_are_equal_and_month_aware() {
        let q1 = Window { from_s: month(2024, 1), to_s: month(2024, 4) };
        assert_eq!(previous_window(q1), Window { from_s: month(2023, 10), to_s: month(2024, 1) });
        let days = Window { from_s: month(2024, 3), to_s: month(2024, 3) + 28 * 86_400 };
        assert_eq!(previous_window(days), Window { from_s: month(2024, 3) - 28 * 86_400, to_s: month(2024, 3) });
    }
}
