//! Is there a time when most incidents happen? The smallest block of the week holding at least half of them,
//! tested against incidents spread uniformly over the week.
//!
//! **Blocks.** A block is a run of consecutive days (1 to 7, wrapping from Sunday to Monday) times a run of
//! consecutive clock hours (1 to 24) starting at the same hour each of those days; hours past midnight belong to
//! the day the run started on, so "Friday and Saturday 22:00-03:00" is Friday 22:00 to Saturday 03:00 and
//! Saturday 22:00 to Sunday 03:00 (10 hours). The statistic is `H`, the fewest hours of a block holding at
//! least half of the incidents' weight (ties: the larger weight, then the earlier start, Monday 00:00 first).
//!
//! **Test.** A Monte Carlo scan test, so the search over blocks is part of the null: each of `draws` times
//! (seeded, stream `k` per draw), every incident keeps the length of its interval but is moved to a uniformly
//! random moment of the week and spread as before; `p = (1 + #{H_null <= H}) / (draws + 1)`. The sentence "most
//! incidents here happen ..." is given only when `p <= alpha` **and** the block's rate is at least
//! [`MIN_LIFT`] times the uniform rate (it holds half of the incidents in at most a third of the week's hours):
//! with tens of thousands of incidents a block of 80 hours is "significant" yet says nothing a patrol plan can use.

use super::{DAY_NAMES, WeekHours, spread};
use crate::model::Budget;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// The least ratio of a block's share of incidents to its share of the week's hours for the sentence.
pub const MIN_LIFT: f64 = 1.5;

/// A block of the week.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Block {
    /// First day (0 = Monday) and number of days.
    pub day: usize,
    /// Number of consecutive days (wrapping from Sunday to Monday).
    pub days: usize,
    /// First clock hour and number of hours each day.
    pub hour: usize,
    /// Number of consecutive clock hours each day.
    pub hours: usize,
    /// Weight inside, and its share of the total.
    pub weight: f64,
    /// `weight` over the week's total weight.
    pub share: f64,
}

impl Block {
    /// Hours of the week the block covers, `days * hours`.
    pub fn total_hours(&self) -> usize {
        self.days * self.hours
    }

    /// `Friday and Saturday 22:00-03:00`, `every day 09:00-17:00`, `Monday to Friday, all day`.
    pub fn text(&self) -> String {
        let days = match self.days {
            7 => "every day".to_owned(),
            1 => DAY_NAMES[self.day].to_owned(),
            2 => format!("{} and {}", DAY_NAMES[self.day], DAY_NAMES[(self.day + 1) % 7]),
            n => format!("{} to {}", DAY_NAMES[self.day], DAY_NAMES[(self.day + n - 1) % 7]),
        };
        if self.hours == 24 {
            return if self.days == 7 { "at any time".to_owned() } else { format!("{days}, all day") };
        }
        format!("{days} {:02}:00-{:02}:00", self.hour, (self.hour + self.hours) % 24)
    }
}

/// The smallest block holding at least half of the weight (see the module docs); `None` without weight.
pub fn smallest_half_block(cells: &[f64]) -> Option<Block> {
    let total: f64 = cells.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut prefix = vec![0.0f64; 337];
    for i in 0..336 {
        prefix[i + 1] = prefix[i] + cells[i % 168];
    }
    let row = |start: usize, n: usize| prefix[start + n] - prefix[start];
    let mut best: Option<Block> = None;
    for hours in 1..=24usize {
        for days in 1..=7usize {
            let size = days * hours;
            if best.is_some_and(|b| b.total_hours() < size) {
                continue;
            }
            // All seven days: one start day will do. Whole days: they start at midnight.
            for day in 0..if days == 7 { 1 } else { 7 } {
                for hour in 0..if hours == 24 { 1 } else { 24 } {
                    let weight: f64 = (0..days).map(|k| row(((day + k) % 7) * 24 + hour, hours)).sum();
                    if 2.0 * weight < total * (1.0 - 1e-12) {
                        continue;
                    }
                    let better = match best {
                        None => true,
                        Some(b) => size < b.total_hours() || (size == b.total_hours() && weight > b.weight),
                    };
                    if better {
                        best = Some(Block { day, days, hour, hours, weight, share: weight / total });
                    }
                }
            }
        }
    }
    best
}

/// The concentration test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concentration {
    /// The smallest block holding at least half of the weight.
    pub block: Block,
    /// The block's share of the week's hours.
    pub time_share: f64,
    /// Monte Carlo draws of the uniform null (incidents placed at random hours of the week).
    pub draws: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// Draws whose smallest half-block was no larger.
    pub null_at_most: usize,
    /// `(null_at_most + 1) / (draws + 1)`.
    pub p: f64,
    /// The sentence needs `p <= alpha` (and a lift of at least [`MIN_LIFT`]).
    pub alpha: f64,
    /// "most incidents here happen ..." when the concentration is significant and strong enough, else `None`.
    pub sentence: Option<String>,
}

/// Test the concentration of `table`, whose incidents had intervals of the given lengths in seconds.
///
/// The draws stop early (counting as not at most) once the thread's [`Budget`] has run out: a caller under a
/// budget (the server) checks it afterwards and discards the answer.
pub fn concentration(
    table: &WeekHours,
    lengths_s: &[i64],
    draws: usize,
    seed: u64,
    alpha: f64,
) -> Option<Concentration> {
    let block = smallest_half_block(&table.cells)?;
    // A Monday 00:00 UTC (1970-01-05) as the week's origin for the null.
    const MONDAY: i64 = 4 * 86_400;
    let h = block.total_hours();
    let budget = Budget::current();
    let null_at_most: usize = (0..draws)
        .into_par_iter()
        .map(|k| {
            if budget.stopped() {
                return 0;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(k as u64);
            let mut cells = vec![0.0f64; 168];
            for &len in lengths_s {
                let start = MONDAY + rng.random_range(0..604_800i64);
                // UTC arithmetic cannot fail for these instants.
                let _touched = spread(start, start + len.max(0), &chrono::Utc, &mut cells).unwrap_or(false);
            }
            usize::from(smallest_half_block(&cells).is_some_and(|b| b.total_hours() <= h))
        })
        .sum();
    let p = (1 + null_at_most) as f64 / (draws + 1) as f64;
    let time_share = h as f64 / 168.0;
    let real = p <= alpha && block.share >= MIN_LIFT * time_share;
    Some(Concentration {
        block,
        time_share,
        draws,
        seed,
        null_at_most,
        p,
        alpha,
        sentence: real.then(|| format!("most incidents here happen {}", block.text())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_times_give_no_sentence_and_a_planted_night_does() {
        use rand::{RngExt, SeedableRng};
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let monday = 4 * 86_400i64;
        let mut uniform = WeekHours::empty("UTC");
        let mut night = WeekHours::empty("UTC");
        for k in 0..3_000 {
            let t = monday + rng.random_range(0..604_800i64);
            spread(t, t + 60, &chrono::Utc, &mut uniform.cells).unwrap();
            // Two thirds of the planted set on Friday and Saturday nights, 22:00-03:00.
            let t = if k % 3 == 0 {
                t
            } else {
                monday + (4 + (k % 2) as i64) * 86_400 + 22 * 3_600 + rng.random_range(0..5 * 3_600i64)
            };
            spread(t, t + 60, &chrono::Utc, &mut night.cells).unwrap();
        }
        let lengths = vec![60i64; 3_000];
        let c = concentration(&uniform, &lengths, 99, 1, 0.05).unwrap();
        assert!(c.sentence.is_none(), "{c:?}");
        let c = concentration(&night, &lengths, 99, 1, 0.05).unwrap();
        // Half of the incidents need only part of the planted block (23:00-03:00 here).
        let sentence = c.sentence.clone().unwrap();
        assert!(sentence.starts_with("most incidents here happen Friday and Saturday "), "{c:?}");
        assert!((22..=23).contains(&c.block.hour) && (c.block.hour + c.block.hours) % 24 == 3, "{c:?}");
        assert!(c.p <= 0.01);
    }

    #[test]
    fn block_text_and_search() {
        let mut cells = vec![0.0; 168];
        // Friday and Saturday 22:00-03:00: 10 hours holding 60 of 100.
        for d in [4usize, 5] {
            for k in 0..5 {
                cells[(d * 24 + 22 + k) % 168] += 6.0;
            }
        }
        for c in cells.iter_mut() {
            *c += 40.0 / 168.0;
        }
        let b = smallest_half_block(&cells).unwrap();
        assert_eq!((b.day, b.days, b.hour, b.hours), (4, 2, 22, 5), "{b:?}");
        assert_eq!(b.text(), "Friday and Saturday 22:00-03:00");
        let uniform = vec![1.0; 168];
        let b = smallest_half_block(&uniform).unwrap();
        assert_eq!(b.total_hours(), 84);
        assert!(smallest_half_block(&[0.0; 168]).is_none());
        assert_eq!(
            Block { day: 0, days: 5, hour: 0, hours: 24, weight: 0.0, share: 0.0 }.text(),
            "Monday to Friday, all day"
        );
    }
}
