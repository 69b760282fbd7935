//! Comparing two windows: the change in counts written as analysts read it, the Weighted Displacement Quotient,
//! the Weighted Displacement Difference test, and an exact per-cell test of change for change maps.
//!
//! Every figure is computed from raw counts, never from a supplied difference; cases where a ratio does not exist
//! (a zero count, no change in the target) come back as `None` with the reason, never as NaN or infinity.
//!
//! - **Change** ([`change`]): `after - before` and `(after - before) / before`, written `+10% (+24)`. Windows of
//!   unequal length are compared per day (rates), and the absolute change is expressed in the after window's length.
//! - **WDQ** (Bowers & Johnson 2003, "Measuring the geographical displacement and diffusion of benefit effects of
//!   crime prevention activity", J. Quantitative Criminology 19(3)): with target `R`, buffer `D` and control `C`,
//!   before `b` and after `a`: success measure `SM = Ra/Ca - Rb/Cb` (negative when the target improved relative to
//!   the control), buffer displacement measure `BDM = Da/Ca - Db/Cb`, `WDQ = BDM / SM`. Read only when `SM < 0`:
//!   `WDQ > 1` diffusion of benefit greater than the direct effect, `0 < WDQ <= 1` diffusion of benefit, `0` neither,
//!   `-1 <= WDQ < 0` some displacement but less than the benefit, `< -1` displacement greater than the benefit.
//! - **WDD** (Wheeler & Ratcliffe 2018, "A simple weighted displacement difference test to evaluate place based
//!   crime interventions", Crime Science 7:11): `WDD = dT - dCt + dD - dCd` with `d` the after minus before count
//!   in the treated (target), its control, the displacement area (buffer) and its control; under Poisson counts
//!   `Var = sum of all eight counts`, `z = WDD / sqrt(Var)`, 95% interval `WDD +- 1.96 sqrt(Var)`. Negative means
//!   fewer crimes. Windows of equal length use the raw counts, exactly as published. Unequal windows scale the
//!   before counts to the after window's length (`r = after length / before length`: `d = after - r before`, and
//!   `r^2 before` in the variance), the same units as every other change here. With no displacement control the
//!   `dCd` term is 0.
//! - **Cell change** ([`binomial_two_sided_p`]): given `n = before + after` incidents in a cell, under no change the
//!   after count is Binomial(`n`, `La / (La + Lb)`) for window lengths `La`, `Lb`; the exact two-sided p-value sums
//!   the probabilities of outcomes no more likely than the one observed (as R's `binom.test`).

use super::gistar::bh_threshold;
use serde::Serialize;

/// A change between two counts (or rates).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The before count (or rate), as counted in the before window (not scaled to the after window's length).
    pub before: f64,
    /// The after count (or rate).
    pub after: f64,
    /// After minus before (in the after window's terms when the windows differ in length); `None` when no change
    /// is given (a window the store does not fully cover).
    pub absolute: Option<f64>,
    /// (after - before) / before, as a fraction; `None` when before is 0, or when no change is given.
    pub relative: Option<f64>,
    /// `+10% (+24)`, `new (+5)`, `no change (0)`, `-100% (-3)`, or why no change is given.
    pub text: String,
}

impl Change {
    /// The counts with no change given, and why (`the store holds no data for Nov 2023`).
    pub fn not_given(before: f64, after: f64, why: &str) -> Change {
        Change { before, after, absolute: None, relative: None, text: format!("no change given: {why}") }
    }

    /// Whether a change is given.
    pub fn is_given(&self) -> bool {
        self.absolute.is_some()
    }
}

/// The change from `before` to `after` counts; `length_ratio` = after window length / before window length (1 when
/// equal): the before count is scaled to the after window's length first.
pub fn change(before: f64, after: f64, length_ratio: f64) -> Change {
    let expected = before * length_ratio;
    let absolute = after - expected;
    let relative = (expected > 0.0).then(|| absolute / expected);
    let abs_text = format_signed(absolute);
    let text = match relative {
        Some(r) => format!("{}% ({abs_text})", format_signed(100.0 * r)),
        None if after == 0.0 => "no change (0)".to_owned(),
        None => format!("new ({abs_text})"),
    };
    Change { before, after, absolute: Some(absolute), relative, text }
}

/// `24`, `2.5`, `2,801.7`: the magnitude of `v` to one decimal, without it for whole numbers, thousands grouped.
pub fn format_grouped(v: f64) -> String {
    let r = (v.abs() * 10.0).round() / 10.0;
    let whole = r.trunc() as u64;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let tenths = ((r - r.trunc()) * 10.0).round() as u64;
    if tenths == 0 { grouped } else { format!("{grouped}.{}", tenths.min(9)) }
}

/// `+24`, `-3`, `0`, `+2.5`, `-2,801.7`: signed [`format_grouped`]. A value that rounds to zero keeps its sign
/// (`+0`), so a tiny change is not shown as none; only an exact 0 is `0`.
fn format_signed(v: f64) -> String {
    let body = format_grouped(v);
    if v > 0.0 {
        format!("+{body}")
    } else if v < 0.0 {
        format!("-{body}")
    } else {
        "0".to_owned()
    }
}

/// Counts before and after in one area.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Pair {
    /// Incidents (or harm) in the area in the before window.
    pub before: f64,
    /// Incidents (or harm) in the area in the after window.
    pub after: f64,
}

impl Pair {
    /// The pair of `before` and `after` counts.
    pub fn new(before: f64, after: f64) -> Self {
        Pair { before, after }
    }
}

/// The Weighted Displacement Quotient and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wdq {
    /// The success measure: target after/control after - target before/control before; `None` when the control is empty
    /// in either window.
    pub success_measure: Option<f64>,
    /// The buffer displacement measure: buffer after/control after - buffer before/control before; `None` when the
    /// control is empty in either window.
    pub buffer_displacement_measure: Option<f64>,
    /// The quotient: buffer displacement measure / success measure; `None` when the target did not improve relative to
    /// the control (success measure >= 0) or the control is empty.
    pub wdq: Option<f64>,
    /// The quotient in words (`diffusion of benefit`, `displacement greater than the benefit`...), or why it is
    /// undefined.
    pub reading: String,
}

/// WDQ of target, buffer and control (see the module docs).
pub fn wdq(target: Pair, buffer: Pair, control: Pair) -> Wdq {
    if control.before <= 0.0 || control.after <= 0.0 {
        return Wdq {
            success_measure: None,
            buffer_displacement_measure: None,
            wdq: None,
            reading: "undefined: the control area has no incidents in one of the windows".into(),
        };
    }
    let sm = target.after / control.after - target.before / control.before;
    let bdm = buffer.after / control.after - buffer.before / control.before;
    if sm >= 0.0 {
        return Wdq {
            success_measure: Some(sm),
            buffer_displacement_measure: Some(bdm),
            wdq: None,
            reading: if sm == 0.0 {
                "undefined: the target did not change relative to the control".into()
            } else {
                "undefined: the target did not improve relative to the control, so there is no benefit to displace"
                    .into()
            },
        };
    }
    let q = bdm / sm;
    let reading = if q > 1.0 {
        "diffusion of benefit greater than the direct effect"
    } else if q > 0.0 {
        "diffusion of benefit"
    } else if q == 0.0 {
        "neither displacement nor diffusion"
    } else if q >= -1.0 {
        "some displacement, less than the benefit"
    } else {
        "displacement greater than the benefit"
    };
    Wdq { success_measure: Some(sm), buffer_displacement_measure: Some(bdm), wdq: Some(q), reading: reading.into() }
}

impl Wdq {
    /// No quotient, and why.
    pub fn not_given(why: &str) -> Wdq {
        Wdq {
            success_measure: None,
            buffer_displacement_measure: None,
            wdq: None,
            reading: format!("not given: {why}"),
        }
    }
}

/// The Weighted Displacement Difference test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wdd {
    /// dT - dCt
    pub local: f64,
    /// dD - dCd
    pub displacement: f64,
    /// The total net effect: `local` + `displacement`, in incidents (positive = more incidents than the controls
    /// predict).
    pub total: f64,
    /// The standard error of `total` (Poisson variances of the eight counts), in incidents.
    pub se: f64,
    /// `None` when the variance is 0 (every count is 0).
    pub z: Option<f64>,
    /// Two-sided p-value of `z`; `None` when `z` is.
    pub p: Option<f64>,
    /// Lower end of the 95% confidence interval of `total` (total - 1.96 se).
    pub low95: f64,
    /// Upper end of the 95% confidence interval of `total` (total + 1.96 se).
    pub high95: f64,
}

/// WDD of (before, after) counts for the control, the treated area, the displacement control and the
/// displacement (buffer) area; `length_ratio` = after length / before length scales the before counts to the
/// after window (1 when the windows are equal: the published test on raw counts).
pub fn wdd(control: Pair, treated: Pair, disp_control: Pair, disp_treated: Pair, length_ratio: f64) -> Wdd {
    let r = length_ratio;
    let d = |p: Pair| p.after - r * p.before;
    let var_of = |p: Pair| r * r * p.before + p.after;
    let local = d(treated) - d(control);
    let displacement = d(disp_treated) - d(disp_control);
    let total = local + displacement;
    let var = var_of(control) + var_of(treated) + var_of(disp_control) + var_of(disp_treated);
    let se = var.sqrt();
    let z = (se > 0.0).then(|| total / se);
    Wdd {
        local,
        displacement,
        total,
        se,
        z,
        p: z.map(super::gistar::two_sided_p),
        low95: total - 1.959_963_984_540_054 * se,
        high95: total + 1.959_963_984_540_054 * se,
    }
}

fn ln_binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (k, n) = (k as f64, n as f64);
    let ln_choose = libm::lgamma(n + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(n - k + 1.0);
    let term = |c: f64, q: f64| if c == 0.0 { 0.0 } else { c * q.ln() };
    ln_choose + term(k, p) + term(n - k, 1.0 - p)
}

/// Exact two-sided binomial p-value of `k` successes in `n` trials with probability `p0`: the total probability of
/// outcomes no more likely than `k` (with a relative tolerance of 1e-7 for ties, as R's `binom.test`).
pub fn binomial_two_sided_p(k: u64, n: u64, p0: f64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    if p0 <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p0 >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let observed = ln_binom_pmf(k, n, p0);
    let cut = observed + (1.0f64 + 1e-7).ln();
    let total: f64 = (0..=n).map(|j| ln_binom_pmf(j, n, p0)).filter(|&l| l <= cut).map(f64::exp).sum();
    total.min(1.0)
}

/// One cell of a change map.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellChange {
    /// Incidents in the cell in the before window.
    pub before: u32,
    /// Incidents in the cell in the after window.
    pub after: u32,
    /// After minus the before count scaled to the after window's length.
    pub difference: f64,
    /// Exact two-sided binomial p-value of the split between the windows (1 for a cell with no incident).
    pub p: f64,
    /// +1 significant increase, -1 significant decrease (after the FDR correction), 0 otherwise.
    pub significant: i8,
}

/// A change map's cells, and the FDR threshold used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeMap {
    /// One entry per grid cell, in the grid's cell order.
    pub cells: Vec<CellChange>,
    /// p-values at or below this are significant (Benjamini-Hochberg over the cells with any incident).
    pub threshold: f64,
    /// The false discovery rate the threshold was chosen for (Benjamini-Hochberg's q, a fraction).
    pub q: f64,
}

/// Test every cell's change (see the module docs). `length_ratio` = after window length / before window length.
pub fn change_map(before: &[u32], after: &[u32], length_ratio: f64, q: f64) -> ChangeMap {
    let p0 = length_ratio / (1.0 + length_ratio);
    use rayon::prelude::*;
    let mut cells: Vec<CellChange> = before
        .par_iter()
        .zip(after)
        .with_min_len(4096)
        .map(|(&b, &a)| {
            let n = u64::from(a) + u64::from(b);
            CellChange {
                before: b,
                after: a,
                difference: f64::from(a) - f64::from(b) * length_ratio,
                p: binomial_two_sided_p(u64::from(a), n, p0),
                significant: 0,
            }
        })
        .collect();
    let tested: Vec<f64> = cells.iter().filter(|c| c.before + c.after > 0).map(|c| c.p).collect();
    let threshold = bh_threshold(&tested, q);
    for c in &mut cells {
        if c.before + c.after > 0 && threshold > 0.0 && c.p <= threshold {
            c.significant = if c.difference > 0.0 {
                1
            } else if c.difference < 0.0 {
                -1
            } else {
                0
            };
        }
    }
    ChangeMap { cells, threshold, q }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_written_count_first() {
        // 240 -> 264: +24, +10%.
        assert_eq!(change(240.0, 264.0, 1.0).text, "+10% (+24)");
        // 50 -> 40: -10, -20%.
        assert_eq!(change(50.0, 40.0, 1.0).text, "-20% (-10)");
        assert_eq!(change(7.0, 7.0, 1.0).text, "0% (0)");
        assert_eq!(change(0.0, 5.0, 1.0).text, "new (+5)");
        assert_eq!(change(0.0, 0.0, 1.0).text, "no change (0)");
        assert_eq!(change(3.0, 0.0, 1.0).text, "-100% (-3)");
        // 3 -> 4 is +33.3%.
        assert_eq!(change(3.0, 4.0, 1.0).text, "+33.3% (+1)");
        assert_eq!(change(17_419.0, 14_428.0, 1.0).text, "-17.2% (-2,991)");
        assert_eq!(change(10.0, 12.5, 1.0).text, "+25% (+2.5)");
        // Unequal windows: 30 in 30 days before, 14 in 7 days after. Per 7 days: 7 before, 14 after: +100% (+7).
        let c = change(30.0, 14.0, 7.0 / 30.0);
        assert_eq!(c.text, "+100% (+7)");
        assert_eq!(c.relative, Some(1.0));
        // 90,107 -> 90,147: +40 is +0.044%, shown as +0% rather than no change.
        assert_eq!(change(90_107.0, 90_147.0, 1.0).text, "+0% (+40)");
        assert_eq!(change(90_147.0, 90_107.0, 1.0).text, "-0% (-40)");
        // 1,234,567 -> 0: -100% and the count grouped.
        assert_eq!(change(1_234_567.0, 0.0, 1.0).text, "-100% (-1,234,567)");
    }

    #[test]
    fn numbers_are_grouped_and_rounded_to_tenths() {
        assert_eq!(format_grouped(2801.74), "2,801.7");
        assert_eq!(format_grouped(-2801.75), "2,801.8");
        // 9.96 rounds up to a whole 10, and 0.04 to 0.
        assert_eq!(format_grouped(9.96), "10");
        assert_eq!(format_grouped(0.04), "0");
        assert_eq!(format_grouped(999_999.0), "999,999");
        assert_eq!(format_grouped(1_000_000.5), "1,000,000.5");
        assert_eq!(format_signed(0.0), "0");
        assert_eq!(format_signed(-0.04), "-0");
    }

    #[test]
    fn wdq_worked_example() {
        // Target 100 -> 60, buffer 50 -> 45, control 1000 -> 1000.
        // SM = 60/1000 - 100/1000 = -0.04; BDM = 45/1000 - 50/1000 = -0.005; WDQ = 0.125: diffusion of benefit.
        let w = wdq(Pair::new(100.0, 60.0), Pair::new(50.0, 45.0), Pair::new(1000.0, 1000.0));
        assert!((w.success_measure.unwrap() + 0.04).abs() < 1e-15);
        assert!((w.wdq.unwrap() - 0.125).abs() < 1e-12);
        assert_eq!(w.reading, "diffusion of benefit");
        // Buffer 50 -> 70: BDM = +0.02, WDQ = -0.5: some displacement.
        let w = wdq(Pair::new(100.0, 60.0), Pair::new(50.0, 70.0), Pair::new(1000.0, 1000.0));
        assert!((w.wdq.unwrap() + 0.5).abs() < 1e-12);
        assert_eq!(w.reading, "some displacement, less than the benefit");
        // Buffer 50 -> 100: WDQ = -1.25: displacement greater than the benefit.
        assert_eq!(
            wdq(Pair::new(100.0, 60.0), Pair::new(50.0, 100.0), Pair::new(1000.0, 1000.0)).reading,
            "displacement greater than the benefit"
        );
        // No improvement, or an empty control: undefined, never NaN.
        let up = wdq(Pair::new(100.0, 120.0), Pair::new(50.0, 45.0), Pair::new(1000.0, 1000.0));
        assert!(up.wdq.is_none() && up.reading.starts_with("undefined"));
        let flat = wdq(Pair::new(100.0, 100.0), Pair::new(50.0, 45.0), Pair::new(1000.0, 1000.0));
        assert!(flat.wdq.is_none() && flat.reading.contains("did not change"));
        let empty = wdq(Pair::new(100.0, 60.0), Pair::new(50.0, 45.0), Pair::new(0.0, 10.0));
        assert!(empty.wdq.is_none() && empty.success_measure.is_none());
    }

    #[test]
    fn wdd_matches_wheeler_and_ratcliffe() {
        // The paper's example (and ptools' test): control 308 -> 318, treated 207 -> 110, displacement control
        // 150 -> 140, displacement 178 -> 157. WDD = -97 - 10 + (-21) - (-10) = -118; Var = 1568; z = -2.98;
        // 95% interval -196 to -40.
        let w = wdd(
            Pair::new(308.0, 318.0),
            Pair::new(207.0, 110.0),
            Pair::new(150.0, 140.0),
            Pair::new(178.0, 157.0),
            1.0,
        );
        assert_eq!((w.local, w.displacement, w.total), (-107.0, -11.0, -118.0));
        assert_eq!(w.se, 1568f64.sqrt());
        assert_eq!((w.z.unwrap() * 100.0).round() / 100.0, -2.98);
        assert_eq!((w.low95.round(), w.high95.round()), (-196.0, -40.0));
        // ptools: local -10.
        assert_eq!(
            wdd(Pair::new(20.0, 20.0), Pair::new(20.0, 10.0), Pair::default(), Pair::default(), 1.0).local,
            -10.0
        );
        // Nothing anywhere: no z.
        assert_eq!(wdd(Pair::default(), Pair::default(), Pair::default(), Pair::default(), 1.0).z, None);
    }

    #[test]
    fn wdd_on_unequal_windows_scales_the_before_counts() {
        // March (31 days) to April (30 days): r = 30/31. Target 310 -> 200, control 3100 -> 2900, no displacement
        // areas. d(target) = 200 - 300 = -100; d(control) = 2900 - 3000 = -100; WDD = 0.
        // Var = r^2 (310 + 3100) + 200 + 2900.
        let r = 30.0 / 31.0;
        let w = wdd(Pair::new(3100.0, 2900.0), Pair::new(310.0, 200.0), Pair::default(), Pair::default(), r);
        assert!(w.total.abs() < 1e-9 && w.local.abs() < 1e-9, "{w:?}");
        let var = r * r * 3410.0 + 3100.0;
        assert!((w.se - var.sqrt()).abs() < 1e-9);
        // Equal windows are the raw counts: d = after - before.
        let raw = wdd(Pair::new(3100.0, 2900.0), Pair::new(310.0, 200.0), Pair::default(), Pair::default(), 1.0);
        assert_eq!(raw.local, -110.0 + 200.0);
    }

    #[test]
    fn a_change_not_given_says_why() {
        let c = Change::not_given(12.0, 40.0, "the store holds no data for Nov 2023 to Dec 2023");
        assert!(!c.is_given() && c.relative.is_none());
        assert_eq!(c.text, "no change given: the store holds no data for Nov 2023 to Dec 2023");
        assert!(change(1.0, 2.0, 1.0).is_given());
    }

    #[test]
    fn exact_binomial_matches_r() {
        // binom.test(3, 20, 0.5)$p.value = 0.002576828
        assert!((binomial_two_sided_p(3, 20, 0.5) - 0.002_576_828).abs() < 1e-8);
        // binom.test(7, 10, 0.3)$p.value = 0.01059208
        assert!((binomial_two_sided_p(7, 10, 0.3) - 0.010_592_08).abs() < 1e-7);
        assert_eq!(binomial_two_sided_p(5, 10, 0.5), 1.0);
        assert_eq!(binomial_two_sided_p(0, 0, 0.5), 1.0);
        assert_eq!(binomial_two_sided_p(2, 2, 1.0), 1.0);
    }

    #[test]
    fn change_map_flags_a_clear_drop_only() {
        let mut before = vec![3u32; 50];
        let mut after = vec![3u32; 50];
        before[7] = 40;
        after[7] = 2;
        let m = change_map(&before, &after, 1.0, 0.05);
        assert_eq!(m.cells[7].significant, -1);
        assert_eq!(m.cells.iter().filter(|c| c.significant != 0).count(), 1);
        assert_eq!(change_map(&[0, 0], &[0, 0], 1.0, 0.05).cells[0].p, 1.0);
    }
}
