//! Emerging hot spot analysis: how each location's hot or cold spot status changes over a series of time steps
//! (new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating and historical hot and cold
//! spots), after ArcGIS Pro's Emerging Hot Spot Analysis.
//!
//! **Method.** The input is a space-time cube of counts, `counts_by_step[t][location]`, steps in time order.
//!
//! 1. **Gi\* in each time step.** Getis-Ord Gi\* ([`super::gistar`]) is computed separately in every step: on a
//!    grid with a fixed distance band ([`emerging_grid`]), or with explicit neighbourhoods such as H3 k-rings
//!    ([`emerging_neighbours`]). Neighbours are **spatial only**: a location's neighbourhood is the locations within
//!    the band *in the same step*, and the mean and spread Gi\* compares against are that step's own. ArcGIS can
//!    also count the same neighbours in preceding time steps (its "neighborhood time step"); we do not, so each
//!    step's z-scores say how clustered that step is on its own, and a city-wide rise or fall that every location
//!    shares is not a trend (Gi\* does not change when every value is multiplied by the same factor). The bins
//!    (`-3..3`) are Gi\*'s, with the false discovery rate correction applied within each step when
//!    `opts.gistar.fdr` is set (the default).
//! 2. **Trend.** For each location, the Mann-Kendall test ([`mann_kendall`]) of its Gi\* z-scores over the steps.
//! 3. **Class** ([`classify`]) from the location's bins and trend, by the rules below.
//!
//! A step where Gi\* is undefined (every location has the same value, e.g. a step with no incidents at all) is not
//! an error: its z-scores and bins are 0 and a warning names the step. A location whose value is 0 at every step
//! (no incident ever), or that is outside the study area, is [`EmergingClass::NoPattern`] with no trend, whatever
//! its bins (an empty location amid busy ones can be a significant cold spot; it is still not classified, as
//! ArcGIS analyses only locations with at least one incident). Its `hot_steps` and `cold_steps` are still
//! reported.
//!
//! **Significance.** A step is a *significant hot spot* for a location when its bin is `>= significant_bin`
//! (default 2: 95% confidence, i.e. p <= 0.05 or its FDR-corrected threshold), and a *significant cold spot* when
//! the bin is `<= -significant_bin`. The trend is *significant* when the Mann-Kendall p-value is `< trend_alpha`
//! (default 0.05); it is *increasing* when S > 0 and *decreasing* when S < 0. An undefined trend (fewer than 3
//! steps, or a constant z series) is never significant. "At least 90% of the steps" is the exact integer
//! comparison `10 * hot >= 9 * steps` over **all** steps, the final one included: 9 of 10, 11 of 12, 18 of 20,
//! 47 of 52, and every step when there are fewer than 10.
//!
//! **Rules**, with `n` steps, `H` the number of significant hot steps and "the final run" the uninterrupted run of
//! significant hot steps that ends at the final step:
//!
//! - **New hot spot**: the final step is hot and no earlier step is (`H = 1`).
//! - **Consecutive hot spot**: the final run has at least 2 steps, no step before it is hot (`H` = the run's
//!   length), and `H` is under 90% of `n`.
//! - **Intensifying hot spot**: the final step is hot, `H` >= 90% of `n`, and the z trend is significant and
//!   increasing.
//! - **Persistent hot spot**: the final step is hot, `H` >= 90% of `n`, and no significant trend.
//! - **Diminishing hot spot**: the final step is hot, `H` >= 90% of `n`, and the z trend is significant and
//!   decreasing.
//! - **Sporadic hot spot**: the final step is hot, `H` under 90% of `n`, not New or Consecutive, and no step is a
//!   significant cold spot.
//! - **Oscillating hot spot**: the final step is hot, `H` under 90% of `n`, not New or Consecutive, and some
//!   earlier step is a significant cold spot.
//! - **Historical hot spot**: the final step is not significant (neither hot nor cold), but `H` >= 90% of `n`.
//! - **No pattern detected**: none of the above, hot or cold.
//!
//! The cold classes mirror these with "cold" for "hot" and `C` (cold steps) for `H`; an **intensifying cold
//! spot** has a significant *decreasing* z trend (z growing more negative), a **diminishing cold spot** a
//! significant *increasing* one, and an oscillating cold spot has some earlier significant *hot* step.
//!
//! **Precedence.** The rules above overlap only in the cases below, which are settled in this order:
//!
//! 1. **The final step decides the side.** Hot at the final step: one of the first seven hot classes. Cold at the
//!    final step: one of the cold ones. Neither: Historical hot if `H` >= 90% of `n`, else Historical cold if
//!    `C` >= 90% of `n`, else no pattern (both cannot hold). So a location hot for 11 of 12 steps and cold at the
//!    last is a *New cold spot*, not a Historical hot spot.
//! 2. Within a side: **New**, then the three **90%** classes (by the trend: Intensifying, Diminishing, else
//!    Persistent), then **Consecutive**, then **Oscillating**, then **Sporadic**. New and the 90% classes overlap
//!    only when there is **one step**: a location hot at its only step is *New* (not Persistent). With two steps,
//!    hot at both is Persistent (100% hot; the trend is undefined). New and Consecutive also fit the wording of
//!    Oscillating when an earlier step was cold: see 4.
//! 3. **Persistent needs the final step hot.** A location hot for at least 90% of the steps but not at the final
//!    step is Historical, whatever its trend. (ArcGIS's Persistent rule does not mention the final step; R's sfdep
//!    checks Persistent first and so calls such a location Persistent when it has no trend. We read "historical"
//!    as "hot, but not any more".)
//! 4. **Cold steps only matter for Oscillating vs Sporadic.** New and Consecutive say nothing about the other
//!    side, so a location cold at step 1 and hot only at the final step is a New hot spot, and one cold early and
//!    hot for the final 3 steps (under 90%) is a Consecutive hot spot.
//! 5. A location hot at most steps but neither hot nor cold at the end and short of 90% (e.g. hot for the first
//!    10 of 12 steps) is **no pattern**: the classes describe the recent state, and such a location has ended
//!    without being hot for 90% of the time.
//!
//! With fewer than 10 steps the 90% rules mean every step, and with fewer than 5 no Mann-Kendall trend can reach
//! p < 0.05 (so nothing is Intensifying or Diminishing); both are reported as warnings. [`emerging_grid`] and
//! [`emerging_neighbours`] need at least 2 steps; [`classify`] accepts any number.
//!
//! Deterministic: the same input gives the same output at any thread count.

mod classify;
pub mod cube;
mod mann_kendall;

pub use classify::{
    DEFAULT_SIGNIFICANT_BIN, DEFAULT_TREND_ALPHA, EmergingClass, at_least_90_percent, classify, classify_with,
};
pub use mann_kendall::{MannKendall, mann_kendall, smallest_p};

use super::gistar::{GiStar, GiStarError, GiStarOptions, Neighbours, gistar_grid_within, gistar_neighbours};
use crate::grid::Grid;
use rayon::prelude::*;
use serde::Serialize;

/// Errors of the emerging hot spot analysis.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmergingError {
    /// No time step was given.
    #[error("no time steps: emerging hot spot analysis needs at least 2")]
    NoSteps,
    /// Only one time step was given (the number given).
    #[error("only {0} time step: emerging hot spot analysis needs at least 2 (use Gi* for a single period)")]
    TooFewSteps(usize),
    #[error("time step {step} has {len} values, expected {expected} (one per location)")]
    /// A time step does not have one value per location.
    StepLength {
        /// The step, from 0 (oldest).
        step: usize,
        /// Values it has.
        len: usize,
        /// Locations (the first step's length).
        expected: usize,
    },
    #[error("the study area mask has {mask} values for {cells} cells")]
    /// The study-area mask does not have one value per location.
    StudyLength {
        /// Values in the mask.
        mask: usize,
        /// Locations.
        cells: usize,
    },
    /// The distance band is not a positive finite number, in metres (the band given).
    #[error("distance band {0} m is not a positive finite number")]
    BadBand(f64),
    /// The significant bin is not 1, 2 or 3 (the bin given).
    #[error("significant bin {0} is not 1 (90%), 2 (95%) or 3 (99%)")]
    BadSignificantBin(i8),
    /// The trend significance level is not strictly between 0 and 1 (the level given).
    #[error("trend significance level {0} is not between 0 and 1")]
    BadTrendAlpha(f64),
    /// Gi* failed in one time step.
    #[error("Gi* in time step {step}: {source}")]
    GiStar {
        /// The step, from 0 (oldest).
        step: usize,
        /// Why Gi* failed.
        #[source]
        source: GiStarError,
    },
}

/// Options.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct EmergingOptions {
    /// Gi\* options for every step (FDR correction on by default; permutations make the bins use pseudo
    /// p-values, seeded identically in every step).
    pub gistar: GiStarOptions,
    /// The smallest `|bin|` that counts as a significant hot or cold spot: 1 (90%), 2 (95%, the default) or 3 (99%).
    pub significant_bin: i8,
    /// The Mann-Kendall trend is significant when its p-value is below this (default 0.05).
    pub trend_alpha: f64,
}

impl Default for EmergingOptions {
    fn default() -> Self {
        EmergingOptions {
            gistar: GiStarOptions::default(),
            significant_bin: DEFAULT_SIGNIFICANT_BIN,
            trend_alpha: DEFAULT_TREND_ALPHA,
        }
    }
}

/// The result for one location.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LocationTrend {
    /// The location's emerging class (see the module docs for the rules).
    pub class: EmergingClass,
    /// Mann-Kendall z of the location's Gi\* z-scores over the steps; `None` when undefined or not analysed.
    pub mk_z: Option<f64>,
    /// Two-sided p-value of `mk_z`; `None` when it is.
    pub mk_p: Option<f64>,
    /// Kendall's tau of the Gi\* z-scores against time.
    pub mk_tau: Option<f64>,
    /// Steps where the location is a significant hot spot (`bin >= significant_bin`).
    pub hot_steps: u32,
    /// Steps where it is a significant cold spot (`bin <= -significant_bin`).
    pub cold_steps: u32,
    /// The Gi\* bin at the final step.
    pub final_bin: i8,
    /// The location's total over all steps.
    pub total: f64,
    /// Whether the location was analysed: inside the study area with at least one incident in some step. A location
    /// not analysed is "no pattern" by default and is reported apart.
    pub analysed: bool,
}

/// The emerging hot spot analysis of every location.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Emerging {
    /// Time steps analysed.
    pub steps: usize,
    /// One per location (grid cell or neighbourhood row), in input order.
    pub locations: Vec<LocationTrend>,
    /// Gi\* z-score of every location at every step, `z_by_step[t][location]` (not serialised: steps x locations).
    #[serde(skip_serializing)]
    pub z_by_step: Vec<Vec<f64>>,
    /// Gi\* bin of every location at every step, `bin_by_step[t][location]` (not serialised).
    #[serde(skip_serializing)]
    pub bin_by_step: Vec<Vec<i8>>,
    /// The options the analysis ran with.
    pub options: EmergingOptions,
    /// Warnings for people (a step where Gi* is undefined...).
    pub warnings: Vec<String>,
}

impl Emerging {
    /// How many analysed locations fall in each class, for every class in [`EmergingClass::ALL`] order (zeros
    /// included); locations not analysed are counted by [`Emerging::not_analysed`].
    pub fn class_counts(&self) -> Vec<(EmergingClass, usize)> {
        let mut counts = [0usize; EmergingClass::ALL.len()];
        for l in self.locations.iter().filter(|l| l.analysed) {
            if let Some(k) = EmergingClass::ALL.iter().position(|&c| c == l.class) {
                counts[k] += 1;
            }
        }
        EmergingClass::ALL.iter().copied().zip(counts).collect()
    }

    /// Locations not analysed: outside the study area, or without an incident in any step.
    pub fn not_analysed(&self) -> usize {
        self.locations.iter().filter(|l| !l.analysed).count()
    }

    /// The Gi\* z-scores of one location in time order (empty when `location` is out of range).
    pub fn z_series(&self, location: usize) -> Vec<f64> {
        self.z_by_step.iter().filter_map(|z| z.get(location).copied()).collect()
    }

    /// The Gi\* bins of one location in time order (empty when `location` is out of range).
    pub fn bin_series(&self, location: usize) -> Vec<i8> {
        self.bin_by_step.iter().filter_map(|b| b.get(location).copied()).collect()
    }
}

/// Emerging hot spot analysis on a grid: Gi\* with a fixed distance band of `band_m` in every step (on the cells
/// where `study` is true; all cells when `None`), then the trend and class of every cell (see the module docs).
/// `counts_by_step[t][cell]`, one row per step in time order, each with one value per grid cell.
pub fn emerging_grid(
    counts_by_step: &[Vec<f64>],
    grid: &Grid,
    study: Option<&[bool]>,
    band_m: f64,
    opts: EmergingOptions,
) -> Result<Emerging, EmergingError> {
    check(counts_by_step, grid.n_cells(), opts)?;
    if !(band_m.is_finite() && band_m > 0.0) {
        return Err(EmergingError::BadBand(band_m));
    }
    if let Some(mask) = study.filter(|m| m.len() != grid.n_cells()) {
        return Err(EmergingError::StudyLength { mask: mask.len(), cells: grid.n_cells() });
    }
    // The thread's budget (a server's computation; unlimited otherwise), checked in every step's Gi* rows.
    let budget = crate::model::Budget::current();
    analyse(counts_by_step, study, opts, |values| {
        budget.check().map_err(GiStarError::from)?;
        gistar_grid_within(values, study, grid, band_m, opts.gistar, &budget)
    })
}

/// Emerging hot spot analysis with explicit neighbourhoods (each including the location itself), e.g. H3 cells
/// and their k-rings: `counts_by_step[t][i]` is location `i`'s value at step `t`, and location `i`'s neighbours
/// are `nb.of(i)` in every step.
pub fn emerging_neighbours(
    counts_by_step: &[Vec<f64>],
    nb: &Neighbours,
    opts: EmergingOptions,
) -> Result<Emerging, EmergingError> {
    check(counts_by_step, nb.len(), opts)?;
    let budget = crate::model::Budget::current();
    analyse(counts_by_step, None, opts, |values| {
        budget.check().map_err(GiStarError::from)?;
        gistar_neighbours(values, nb, opts.gistar)
    })
}

/// The shape of the cube and the options.
fn check(counts_by_step: &[Vec<f64>], locations: usize, opts: EmergingOptions) -> Result<(), EmergingError> {
    match counts_by_step.len() {
        0 => return Err(EmergingError::NoSteps),
        1 => return Err(EmergingError::TooFewSteps(1)),
        _ => {}
    }
    if let Some((step, row)) = counts_by_step.iter().enumerate().find(|(_, row)| row.len() != locations) {
        return Err(EmergingError::StepLength { step, len: row.len(), expected: locations });
    }
    if !(1..=3).contains(&opts.significant_bin) {
        return Err(EmergingError::BadSignificantBin(opts.significant_bin));
    }
    if !(opts.trend_alpha > 0.0 && opts.trend_alpha < 1.0) {
        return Err(EmergingError::BadTrendAlpha(opts.trend_alpha));
    }
    Ok(())
}

/// Gi\* per step with `gistar`, then the trend and class per location.
fn analyse(
    counts_by_step: &[Vec<f64>],
    study: Option<&[bool]>,
    opts: EmergingOptions,
    gistar: impl Fn(&[f64]) -> Result<GiStar, GiStarError>,
) -> Result<Emerging, EmergingError> {
    let steps = counts_by_step.len();
    let mut warnings = Vec::new();
    if steps < 10 {
        warnings.push(format!(
            "only {steps} time steps: with fewer than 10, \"at least 90% of the steps\" means every step"
        ));
    }
    let floor_p = smallest_p(steps);
    if floor_p >= opts.trend_alpha {
        warnings.push(format!(
            "only {steps} time steps: no Mann-Kendall trend can reach p < {} (the smallest possible p is \
             {floor_p:.3}), so no location can be intensifying or diminishing",
            opts.trend_alpha
        ));
    }
    let mut z_by_step = Vec::with_capacity(steps);
    let mut bin_by_step = Vec::with_capacity(steps);
    for (step, values) in counts_by_step.iter().enumerate() {
        let g = gistar(values).map_err(|source| EmergingError::GiStar { step, source })?;
        warnings.extend(g.warnings.iter().map(|w| format!("time step {step}: {w}")));
        z_by_step.push(g.z);
        bin_by_step.push(g.bin);
    }
    let level = opts.significant_bin;
    let locations = (0..counts_by_step[0].len())
        .into_par_iter()
        .map(|i| {
            let bins: Vec<i8> = bin_by_step.iter().map(|b| b[i]).collect();
            let hot_steps = bins.iter().filter(|&&b| b >= level).count() as u32;
            let cold_steps = bins.iter().filter(|&&b| b <= -level).count() as u32;
            let total: f64 = counts_by_step.iter().map(|row| row[i]).sum();
            let analysed = study.is_none_or(|m| m[i]) && counts_by_step.iter().any(|row| row[i] != 0.0);
            let final_bin = bins.last().copied().unwrap_or(0);
            let mut out = LocationTrend {
                class: EmergingClass::NoPattern,
                mk_z: None,
                mk_p: None,
                mk_tau: None,
                hot_steps,
                cold_steps,
                final_bin,
                total,
                analysed,
            };
            if analysed {
                let z: Vec<f64> = z_by_step.iter().map(|z| z[i]).collect();
                let mk = mann_kendall(&z);
                out.class = classify_with(&bins, &mk, level, opts.trend_alpha);
                (out.mk_z, out.mk_p, out.mk_tau) = (mk.z, mk.p, mk.tau);
            }
            out
        })
        .collect();
    Ok(Emerging { steps, locations, z_by_step, bin_by_step, options: opts, warnings })
}

#[cfg(test)]
mod tests;
