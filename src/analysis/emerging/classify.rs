//! The emerging hot spot classes and the classification of one location (the rules are documented in the parent
//! module).

use super::mann_kendall::MannKendall;
use serde::Serialize;

/// The smallest `|bin|` that counts as a significant hot or cold spot by default: 2, i.e. 95% confidence.
pub const DEFAULT_SIGNIFICANT_BIN: i8 = 2;
/// The default significance level of the Mann-Kendall trend.
pub const DEFAULT_TREND_ALPHA: f64 = 0.05;

/// The pattern of one location over time. Serialised as snake_case (`new_hot`, `no_pattern`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergingClass {
    /// No pattern detected: none of the classes below (also every location not analysed).
    NoPattern,
    /// The final step is hot and no earlier step is.
    NewHot,
    /// A run of at least 2 hot steps ends at the final step, no step before it is hot, under 90% of steps hot.
    ConsecutiveHot,
    /// Hot at the final step and in at least 90% of steps, with a significant increasing trend.
    IntensifyingHot,
    /// Hot at the final step and in at least 90% of steps, with no significant trend.
    PersistentHot,
    /// Hot at the final step and in at least 90% of steps, with a significant decreasing trend.
    DiminishingHot,
    /// Hot at the final step, under 90% of steps hot, not new or consecutive, never significantly cold.
    SporadicHot,
    /// Hot at the final step, under 90% of steps hot, not new or consecutive, and cold in some earlier step.
    OscillatingHot,
    /// Not significant at the final step, but hot in at least 90% of steps.
    HistoricalHot,
    /// The final step is cold and no earlier step is.
    NewCold,
    /// A run of at least 2 cold steps ends at the final step, no step before it is cold, under 90% of steps cold.
    ConsecutiveCold,
    /// Cold at the final step and in at least 90% of steps, with a significant decreasing trend (z more negative).
    IntensifyingCold,
    /// Cold at the final step and in at least 90% of steps, with no significant trend.
    PersistentCold,
    /// Cold at the final step and in at least 90% of steps, with a significant increasing trend.
    DiminishingCold,
    /// Cold at the final step, under 90% of steps cold, not new or consecutive, never significantly hot.
    SporadicCold,
    /// Cold at the final step, under 90% of steps cold, not new or consecutive, and hot in some earlier step.
    OscillatingCold,
    /// Not significant at the final step, but cold in at least 90% of steps (and not a historical hot spot).
    HistoricalCold,
}

impl EmergingClass {
    /// Every class, in the order of the enum (no pattern, the hot classes, the cold classes).
    pub const ALL: [EmergingClass; 17] = [
        EmergingClass::NoPattern,
        EmergingClass::NewHot,
        EmergingClass::ConsecutiveHot,
        EmergingClass::IntensifyingHot,
        EmergingClass::PersistentHot,
        EmergingClass::DiminishingHot,
        EmergingClass::SporadicHot,
        EmergingClass::OscillatingHot,
        EmergingClass::HistoricalHot,
        EmergingClass::NewCold,
        EmergingClass::ConsecutiveCold,
        EmergingClass::IntensifyingCold,
        EmergingClass::PersistentCold,
        EmergingClass::DiminishingCold,
        EmergingClass::SporadicCold,
        EmergingClass::OscillatingCold,
        EmergingClass::HistoricalCold,
    ];

    /// The snake-case code, as serialised (`intensifying_hot`).
    pub fn code(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    /// The class as people read it: `New hot spot`, `No pattern detected`.
    pub fn name(self) -> &'static str {
        use EmergingClass::*;
        match self {
            NoPattern => "No pattern detected",
            NewHot => "New hot spot",
            ConsecutiveHot => "Consecutive hot spot",
            IntensifyingHot => "Intensifying hot spot",
            PersistentHot => "Persistent hot spot",
            DiminishingHot => "Diminishing hot spot",
            SporadicHot => "Sporadic hot spot",
            OscillatingHot => "Oscillating hot spot",
            HistoricalHot => "Historical hot spot",
            NewCold => "New cold spot",
            ConsecutiveCold => "Consecutive cold spot",
            IntensifyingCold => "Intensifying cold spot",
            PersistentCold => "Persistent cold spot",
            DiminishingCold => "Diminishing cold spot",
            SporadicCold => "Sporadic cold spot",
            OscillatingCold => "Oscillating cold spot",
            HistoricalCold => "Historical cold spot",
        }
    }

    /// Whether the class is one of the eight hot classes.
    pub fn is_hot(self) -> bool {
        use EmergingClass::*;
        matches!(
            self,
            NewHot
                | ConsecutiveHot
                | IntensifyingHot
                | PersistentHot
                | DiminishingHot
                | SporadicHot
                | OscillatingHot
                | HistoricalHot
        )
    }

    /// Whether the class is one of the eight cold classes.
    pub fn is_cold(self) -> bool {
        self != EmergingClass::NoPattern && !self.is_hot()
    }
}

/// A pattern without its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

fn with_side(pattern: Pattern, hot: bool) -> EmergingClass {
    use EmergingClass::*;
    match (pattern, hot) {
        (Pattern::New, true) => NewHot,
        (Pattern::Consecutive, true) => ConsecutiveHot,
        (Pattern::Intensifying, true) => IntensifyingHot,
        (Pattern::Persistent, true) => PersistentHot,
        (Pattern::Diminishing, true) => DiminishingHot,
        (Pattern::Sporadic, true) => SporadicHot,
        (Pattern::Oscillating, true) => OscillatingHot,
        (Pattern::Historical, true) => HistoricalHot,
        (Pattern::New, false) => NewCold,
        (Pattern::Consecutive, false) => ConsecutiveCold,
        (Pattern::Intensifying, false) => IntensifyingCold,
        (Pattern::Persistent, false) => PersistentCold,
        (Pattern::Diminishing, false) => DiminishingCold,
        (Pattern::Sporadic, false) => SporadicCold,
        (Pattern::Oscillating, false) => OscillatingCold,
        (Pattern::Historical, false) => HistoricalCold,
    }
}

/// `count` of `n` steps is at least 90% (exact integer comparison: 11 of 12, 18 of 20, every step when n < 10).
pub fn at_least_90_percent(count: usize, n: usize) -> bool {
    n > 0 && 10 * count >= 9 * n
}

/// The class of a location from its Gi* bins in time order and the Mann-Kendall test of its Gi* z-scores, with
/// the defaults: significant at `|bin| >= 2` (95%), trend significant at `p < 0.05`.
pub fn classify(bins: &[i8], mk: &MannKendall) -> EmergingClass {
    classify_with(bins, mk, DEFAULT_SIGNIFICANT_BIN, DEFAULT_TREND_ALPHA)
}

/// [`classify`] with an explicit significance: a step is a significant hot spot when `bin >= significant_bin`
/// and a cold spot when `bin <= -significant_bin` (`significant_bin` is clamped to 1..=3); the trend is
/// significant when its p-value is below `trend_alpha`.
pub fn classify_with(bins: &[i8], mk: &MannKendall, significant_bin: i8, trend_alpha: f64) -> EmergingClass {
    let level = significant_bin.clamp(1, 3);
    let hot = |b: i8| b >= level;
    let cold = |b: i8| b <= -level;
    let Some(&last) = bins.last() else { return EmergingClass::NoPattern };
    let trend = mk.direction(trend_alpha);
    if hot(last) {
        with_side(pattern_ending_in(bins, hot, cold, trend), true)
    } else if cold(last) {
        // For a cold spot, "intensifying" is z falling (more negative).
        with_side(pattern_ending_in(bins, cold, hot, -trend), false)
    } else if at_least_90_percent(bins.iter().filter(|&&b| hot(b)).count(), bins.len()) {
        with_side(Pattern::Historical, true)
    } else if at_least_90_percent(bins.iter().filter(|&&b| cold(b)).count(), bins.len()) {
        with_side(Pattern::Historical, false)
    } else {
        EmergingClass::NoPattern
    }
}

/// The pattern of a location whose final step is significant on this side (`this`); `other` is the opposite
/// side and `trend` is +1 when the trend is significantly towards this side (stronger), -1 away from it.
fn pattern_ending_in(bins: &[i8], this: impl Fn(i8) -> bool, other: impl Fn(i8) -> bool, trend: i8) -> Pattern {
    let n = bins.len();
    let count = bins.iter().filter(|&&b| this(b)).count();
    let final_run = bins.iter().rev().take_while(|&&b| this(b)).count();
    if count == 1 {
        Pattern::New
    } else if at_least_90_percent(count, n) {
        match trend {
            1 => Pattern::Intensifying,
            -1 => Pattern::Diminishing,
            _ => Pattern::Persistent,
        }
    } else if final_run == count {
        Pattern::Consecutive
    } else if bins[..n - 1].iter().any(|&b| other(b)) {
        Pattern::Oscillating
    } else {
        Pattern::Sporadic
    }
}

#[cfg(test)]
mod tests {
    use super::EmergingClass::*;
    use super::*;
    use crate::analysis::gistar::two_sided_p;

    /// A Mann-Kendall result with the given z (the sign of S follows z).
    fn trend(z: f64) -> MannKendall {
        MannKendall { s: z.signum() * 10.0, var_s: 10.0, z: Some(z), p: Some(two_sided_p(z)), tau: Some(z / 10.0) }
    }
    fn no_trend() -> MannKendall {
        trend(0.5)
    }
    fn undefined() -> MannKendall {
        MannKendall { s: 0.0, var_s: 0.0, z: None, p: None, tau: None }
    }
    fn rep(b: i8, k: usize) -> Vec<i8> {
        vec![b; k]
    }
    fn cat(parts: &[Vec<i8>]) -> Vec<i8> {
        parts.concat()
    }

    #[test]
    fn every_hot_class_planted_is_found() {
        // 12 steps: 90% means 11 of 12.
        assert_eq!(classify(&cat(&[rep(0, 11), vec![2]]), &no_trend()), NewHot);
        assert_eq!(classify(&cat(&[rep(0, 9), rep(3, 3)]), &trend(3.0)), ConsecutiveHot);
        assert_eq!(classify(&rep(3, 12), &trend(3.0)), IntensifyingHot);
        assert_eq!(classify(&cat(&[vec![0], rep(2, 11)]), &trend(2.5)), IntensifyingHot);
        assert_eq!(classify(&rep(3, 12), &no_trend()), PersistentHot);
        assert_eq!(classify(&rep(3, 12), &trend(-3.0)), DiminishingHot);
        assert_eq!(classify(&[0, 3, 0, 3, 1, 3, 0, 0, 2, 0, 0, 3], &no_trend()), SporadicHot);
        assert_eq!(classify(&[-2, -3, 0, 0, 3, 3, 0, 0, 0, 2, 0, 3], &no_trend()), OscillatingHot);
        assert_eq!(classify(&cat(&[rep(3, 11), vec![0]]), &trend(-3.0)), HistoricalHot);
        assert_eq!(classify(&cat(&[rep(3, 11), vec![1]]), &no_trend()), HistoricalHot);
    }

    #[test]
    fn every_cold_class_planted_is_found() {
        assert_eq!(classify(&cat(&[rep(0, 11), vec![-2]]), &no_trend()), NewCold);
        assert_eq!(classify(&cat(&[rep(0, 9), rep(-3, 3)]), &trend(-3.0)), ConsecutiveCold);
        // Intensifying cold: z falling (more negative) significantly.
        assert_eq!(classify(&rep(-3, 12), &trend(-3.0)), IntensifyingCold);
        assert_eq!(classify(&rep(-3, 12), &no_trend()), PersistentCold);
        assert_eq!(classify(&rep(-3, 12), &trend(3.0)), DiminishingCold);
        assert_eq!(classify(&[0, -3, 0, -3, -1, -3, 0, 0, -2, 0, 0, -3], &no_trend()), SporadicCold);
        assert_eq!(classify(&[2, 3, 0, 0, -3, -3, 0, 0, 0, -2, 0, -3], &no_trend()), OscillatingCold);
        assert_eq!(classify(&cat(&[rep(-3, 11), vec![0]]), &trend(3.0)), HistoricalCold);
    }

    #[test]
    fn no_pattern() {
        assert_eq!(classify(&[], &undefined()), NoPattern);
        assert_eq!(classify(&rep(0, 12), &undefined()), NoPattern);
        // 90% bins are not significant at the default 95%.
        assert_eq!(classify(&rep(1, 12), &trend(4.0)), NoPattern);
        // Hot for 10 of 12 steps and not at the end: short of 90%, and not hot now.
        assert_eq!(classify(&cat(&[rep(3, 10), rep(0, 2)]), &no_trend()), NoPattern);
        // A significant trend alone is no pattern.
        assert_eq!(classify(&[0, 0, 1, 1, 1, 1], &trend(3.0)), NoPattern);
    }

    #[test]
    fn precedence_and_edge_cases() {
        // One step only: hot at the final (only) step and never before is New, not Persistent.
        assert_eq!(classify(&[3], &undefined()), NewHot);
        assert_eq!(classify(&[-2], &undefined()), NewCold);
        assert_eq!(classify(&[1], &undefined()), NoPattern);
        // Two steps both hot: 100% hot, and the trend is undefined: Persistent.
        assert_eq!(classify(&[2, 2], &undefined()), PersistentHot);
        // The final step decides the side: hot for 11 of 12 steps, then cold at the end, is a New cold spot (never
        // cold before), not Historical hot.
        assert_eq!(classify(&cat(&[rep(3, 11), vec![-3]]), &trend(-4.0)), NewCold);
        // Final step not significant and >= 90% hot: Historical even without any trend (sfdep calls this
        // Persistent; we keep Persistent for locations that are still hot).
        assert_eq!(classify(&cat(&[rep(2, 11), vec![0]]), &no_trend()), HistoricalHot);
        // Earlier cold steps do not stop New or Consecutive, which say nothing about cold.
        assert_eq!(classify(&[-3, 0, 0, 0, 3], &no_trend()), NewHot);
        assert_eq!(classify(&[-3, 0, 0, 3, 3], &no_trend()), ConsecutiveHot);
        // Two runs ending at the final step: not Consecutive (hot before the final run): Sporadic.
        assert_eq!(classify(&[3, 3, 0, 0, 0, 0, 0, 3, 3, 3], &no_trend()), SporadicHot);
        // A final run covering >= 90% of the steps is one of the 90% classes, not Consecutive.
        assert_eq!(classify(&cat(&[vec![0], rep(3, 11)]), &no_trend()), PersistentHot);
        // The 90% boundary: 18 of 20 is enough, 17 of 20 is not.
        assert_eq!(classify(&cat(&[vec![0, 0], rep(3, 18)]), &no_trend()), PersistentHot);
        assert_eq!(classify(&cat(&[vec![0, 0, 0], rep(3, 17)]), &no_trend()), ConsecutiveHot);
        assert_eq!(classify(&cat(&[vec![0, 3, 0, 0], rep(3, 16)]), &no_trend()), SporadicHot);
        // Below 10 steps, 90% means every step.
        assert_eq!(classify(&cat(&[vec![0], rep(3, 8)]), &trend(3.0)), ConsecutiveHot);
        // A significant trend needs >= 90% hot; without it the other rules apply.
        assert_eq!(classify(&[0, 0, 0, 0, 0, 0, 2, 0, 2, 3], &trend(3.0)), SporadicHot);
        // An undefined trend is no trend.
        assert_eq!(classify(&rep(3, 12), &undefined()), PersistentHot);
    }

    #[test]
    fn explicit_significance() {
        // At 99% only bins of +-3 count.
        assert_eq!(classify_with(&rep(2, 12), &no_trend(), 3, 0.05), NoPattern);
        assert_eq!(classify_with(&cat(&[rep(2, 11), vec![3]]), &no_trend(), 3, 0.05), NewHot);
        // At 90% bins of +-1 count.
        assert_eq!(classify_with(&rep(1, 12), &no_trend(), 1, 0.05), PersistentHot);
        // A trend at p = 0.0455 (z = 2) is significant at 0.05 but not at 0.01.
        assert_eq!(classify_with(&rep(3, 12), &trend(2.0), 2, 0.05), IntensifyingHot);
        assert_eq!(classify_with(&rep(3, 12), &trend(2.0), 2, 0.01), PersistentHot);
    }

    #[test]
    fn names_and_serialisation() {
        assert_eq!(NewHot.name(), "New hot spot");
        assert_eq!(NoPattern.name(), "No pattern detected");
        assert_eq!(serde_json::to_string(&IntensifyingCold).ok().as_deref(), Some("\"intensifying_cold\""));
        assert_eq!(serde_json::to_string(&NoPattern).ok().as_deref(), Some("\"no_pattern\""));
        assert_eq!(EmergingClass::ALL.iter().filter(|c| c.is_hot()).count(), 8);
        assert_eq!(EmergingClass::ALL.iter().filter(|c| c.is_cold()).count(), 8);
        let mut names: Vec<&str> = EmergingClass::ALL.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 17);
    }
}
