//! The Mann-Kendall trend test (Mann 1945; Kendall 1975), with the tie correction of the variance.
//!
//! For a series `x_1..x_n`:
//!
//! ```text
//! S      = sum_{i<j} sign(x_j - x_i)
//! var S  = [n(n-1)(2n+5) - sum_t t(t-1)(2t+5)] / 18      (t: the size of each group of tied values)
//! z      = (S - 1) / sqrt(var S)  if S > 0,   0 if S = 0,   (S + 1) / sqrt(var S)  if S < 0
//! tau    = S / (n(n-1)/2)                                (Kendall's tau-a against time)
//! ```
//!
//! and `p` is the two-sided normal p-value of `z` (the continuity-corrected normal approximation, as
//! pymannkendall's `original_test` and R's `Kendall::MannKendall`). Values are compared exactly: two values are
//! tied only when they are equal (`-0.0` ties with `0.0`).
//!
//! **Undefined.** With fewer than 3 values, or when `var S` is 0 (every value equal), `z`, `p` and `tau` are
//! `None`; `S` and `var S` are still reported. A series holding a non-finite value has no trend: `S = 0`,
//! `var S = 0` and every statistic `None`. Nothing is ever NaN.

use crate::analysis::gistar::two_sided_p;
use serde::Serialize;

/// The result of the Mann-Kendall test on one series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MannKendall {
    /// The Mann-Kendall statistic: concordant minus discordant pairs in time order.
    pub s: f64,
    /// Variance of `s` under no trend, corrected for ties.
    pub var_s: f64,
    /// Continuity-corrected normal score; `None` when undefined (see the module docs).
    pub z: Option<f64>,
    /// Two-sided p-value of `z`.
    pub p: Option<f64>,
    /// Kendall's tau-a between the values and time, `s / (n(n-1)/2)`.
    pub tau: Option<f64>,
}

impl MannKendall {
    /// `+1` for a trend up with `p < alpha`, `-1` for a trend down with `p < alpha`, `0` otherwise (including an
    /// undefined test).
    pub fn direction(&self, alpha: f64) -> i8 {
        match self.p {
            Some(p) if p < alpha && self.s > 0.0 => 1,
            Some(p) if p < alpha && self.s < 0.0 => -1,
            _ => 0,
        }
    }
}

/// The Mann-Kendall test of `series` (in time order); see the module docs. `O(n^2)`.
pub fn mann_kendall(series: &[f64]) -> MannKendall {
    let undefined = |s: f64, var_s: f64| MannKendall { s, var_s, z: None, p: None, tau: None };
    if series.iter().any(|v| !v.is_finite()) {
        return undefined(0.0, 0.0);
    }
    let n = series.len();
    let mut s: i64 = 0;
    for (i, &xi) in series.iter().enumerate() {
        for &xj in &series[i + 1..] {
            s += if xj > xi {
                1
            } else if xj < xi {
                -1
            } else {
                0
            };
        }
    }
    // Exact integer arithmetic for the variance terms (n^3 overflows f64's exact integers beyond n ~ 1.6e5).
    let term = |t: u128| t * t.saturating_sub(1) * (2 * t + 5);
    let mut sorted = series.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut ties: u128 = 0;
    let mut start = 0;
    for i in 1..=sorted.len() {
        // -0.0 and 0.0 sort next to each other and compare equal, so they form one group.
        if i == sorted.len() || sorted[i] != sorted[start] {
            ties += term((i - start) as u128);
            start = i;
        }
    }
    let var_s = (term(n as u128) - ties) as f64 / 18.0;
    let s = s as f64;
    if n < 3 || var_s <= 0.0 {
        return undefined(s, var_s);
    }
    let sd = var_s.sqrt();
    let z = if s > 0.0 {
        (s - 1.0) / sd
    } else if s < 0.0 {
        (s + 1.0) / sd
    } else {
        0.0
    };
    let pairs = (n * (n - 1)) as f64 / 2.0;
    MannKendall { s, var_s, z: Some(z), p: Some(two_sided_p(z)), tau: Some(s / pairs) }
}

/// The smallest p-value the test can give on `n` values (a strictly monotone series): a trend at `alpha` is
/// possible at all only when this is below `alpha`. 1 when `n < 3`.
pub fn smallest_p(n: usize) -> f64 {
    let series: Vec<f64> = (0..n).map(|i| i as f64).collect();
    mann_kendall(&series).p.unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64, tol: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= tol)
    }

    #[test]
    fn a_monotone_series_worked_by_hand() {
        // [1, 2, 3, 4, 5]: all 10 pairs increase, S = 10; no ties, var S = 5*4*15/18 = 16.667; sd = 4.0825;
        // z = (10 - 1)/4.0825 = 2.2045; p = 0.02749; tau = 10/10 = 1.
        // pymannkendall 1.4.3 original_test: s 10.0, var_s 16.666666666666668, z 2.2045407685048604,
        // p 0.0274863361115103, Tau 1.0.
        let r = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(r.s, 10.0);
        assert!((r.var_s - 50.0 / 3.0).abs() < 1e-12);
        assert!(close(r.z, 2.204_540_768_504_860_4, 1e-12), "{r:?}");
        assert!(close(r.p, 0.027_486_336_111_510_3, 1e-12), "{r:?}");
        assert_eq!(r.tau, Some(1.0));
        assert_eq!(r.direction(0.05), 1);
        assert_eq!(r.direction(0.01), 0);
        // Reversed: the mirror image.
        let d = mann_kendall(&[5.0, 4.0, 3.0, 2.0, 1.0]);
        assert_eq!(d.s, -10.0);
        assert!(close(d.z, -2.204_540_768_504_860_4, 1e-12));
        assert_eq!(d.direction(0.05), -1);
    }

    #[test]
    fn ties_reduce_the_variance() {
        // [1, 2, 2, 3, 3, 3, 4], n = 7. S: the 1 beats all 6 later values (+6); each 2 is below the four values
        // 3, 3, 3, 4 and tied with the other 2 (+4, +4); the three 3s: +1, +1, +1 (the 4), ties 0. S = 17.
        // var S = [7*6*19 - (2*1*9) - (3*2*11)] / 18 = (798 - 18 - 66)/18 = 714/18 = 39.667;
        // z = 16/sqrt(39.667) = 2.5404; tau = 17/21 = 0.80952.
        // pymannkendall: s 17.0, var_s 39.666666666666664, z 2.540429395319823, p 0.011071644553191984,
        // Tau 0.8095238095238095.
        let r = mann_kendall(&[1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0]);
        assert_eq!(r.s, 17.0);
        assert!((r.var_s - 714.0 / 18.0).abs() < 1e-12);
        assert!(close(r.z, 2.540_429_395_319_823, 1e-12), "{r:?}");
        assert!(close(r.p, 0.011_071_644_553_191_984, 1e-12), "{r:?}");
        assert!(close(r.tau, 17.0 / 21.0, 1e-15));

        // A decreasing series with two pairs of ties: [5, 3, 3, 1, 2, 2, 0, 1], n = 8.
        // var S = [8*7*21 - 3 * (2*1*9)] / 18 = (1176 - 54)/18 = 62.333 (ties: 3,3 / 2,2 / 1,1).
        // pymannkendall: s -19.0, var_s 62.333333333333336, z -2.279881786972045, p 0.022614700538547305,
        // Tau -0.6785714285714286.
        let r = mann_kendall(&[5.0, 3.0, 3.0, 1.0, 2.0, 2.0, 0.0, 1.0]);
        assert_eq!(r.s, -19.0);
        assert!((r.var_s - 1122.0 / 18.0).abs() < 1e-12);
        assert!(close(r.z, -2.279_881_786_972_045, 1e-12), "{r:?}");
        assert!(close(r.p, 0.022_614_700_538_547_305, 1e-12), "{r:?}");
        assert!(close(r.tau, -19.0 / 28.0, 1e-15));
    }

    #[test]
    fn matches_pymannkendall_on_longer_and_trendless_series() {
        // pymannkendall original_test([1,3,2,5,4,6,8,7,9,10,12,11]): s 58.0, var_s 212.66666666666666,
        // z 3.9086352435453273, p 9.281898133695066e-05, Tau 0.8787878787878788.
        let r = mann_kendall(&[1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 10.0, 12.0, 11.0]);
        assert_eq!(r.s, 58.0);
        assert!(close(r.z, 3.908_635_243_545_327_3, 1e-12));
        assert!(close(r.p, 9.281_898_133_695_066e-5, 1e-15));
        // original_test([1.0, -0.5, 2.0, -1.0, 0.5, 0.0]): s -3.0, var_s 28.333333333333332,
        // z -0.3757345746510897, p 0.7071142312899612, Tau -0.2: no trend.
        let r = mann_kendall(&[1.0, -0.5, 2.0, -1.0, 0.5, 0.0]);
        assert_eq!(r.s, -3.0);
        assert!(close(r.z, -0.375_734_574_651_089_7, 1e-12));
        assert!(close(r.p, 0.707_114_231_289_961_2, 1e-12));
        assert_eq!(r.direction(0.05), 0);
        // [2, 4, 1, 3]: pairs +1 -1 +1 -1 -1 +1, S = 0: z = 0, p = 1.
        let r = mann_kendall(&[2.0, 4.0, 1.0, 3.0]);
        assert_eq!((r.s, r.z, r.p, r.tau), (0.0, Some(0.0), Some(1.0), Some(0.0)));
        // [1, 3, 2]: pairs +1 +1 -1, S = 1: the continuity correction makes z = (1 - 1)/sd = 0.
        let r = mann_kendall(&[1.0, 3.0, 2.0]);
        assert_eq!((r.s, r.z, r.p), (1.0, Some(0.0), Some(1.0)));
    }

    #[test]
    fn undefined_cases_are_none_never_nan() {
        // All tied: var S = [3*2*11 - 3*2*11]/18 = 0 (pymannkendall reports z 0, p 1; we say undefined).
        let r = mann_kendall(&[2.0, 2.0, 2.0]);
        assert_eq!((r.s, r.var_s, r.z, r.p, r.tau), (0.0, 0.0, None, None, None));
        // Two values: var S = 2*1*9/18 = 1 but n < 3.
        let r = mann_kendall(&[1.0, 2.0]);
        assert_eq!((r.s, r.var_s, r.z), (1.0, 1.0, None));
        assert_eq!(r.direction(0.05), 0);
        for short in [&[][..], &[4.0][..]] {
            let r = mann_kendall(short);
            assert_eq!((r.s, r.var_s, r.z, r.p, r.tau), (0.0, 0.0, None, None, None));
        }
        let r = mann_kendall(&[1.0, f64::NAN, 3.0, 4.0]);
        assert_eq!((r.s, r.var_s, r.z), (0.0, 0.0, None));
        // -0.0 ties with 0.0.
        let r = mann_kendall(&[0.0, -0.0, 0.0]);
        assert_eq!((r.s, r.var_s, r.z), (0.0, 0.0, None));
    }

    #[test]
    fn the_smallest_reachable_p() {
        // n = 4: S = 6, var = 4*3*13/18 = 8.667, z = 5/2.944 = 1.698, p = 0.0894: never significant at 0.05.
        assert!((smallest_p(4) - 0.089_4).abs() < 1e-3, "{}", smallest_p(4));
        // n = 5: p = 0.0275 (the worked example above).
        assert!(smallest_p(5) < 0.05);
        assert_eq!(smallest_p(2), 1.0);
    }
}
