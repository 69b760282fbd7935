//! Getis-Ord Gi* local statistics on a grid (fixed distance band) or on any neighbourhood list (H3 k-rings).
//!
//! For cell `i` with value `x_i`, binary weights `w_ij = 1` for the cells `j` within the band **including `i`
//! itself** (the "star"), `n` cells, mean `xbar` and `S = sqrt(sum x^2 / n - xbar^2)`:
//!
//! ```text
//! W_i = sum_j w_ij      L_i = sum_j w_ij x_j
//! z_i = (L_i - xbar W_i) / (S * sqrt((n W_i - W_i^2) / (n - 1)))
//! ```
//!
//! (Getis & Ord 1992; Ord & Getis 1995; the z-score that ArcGIS reports as `GiZScore` and PySAL esda's
//! `G_Local(star=True).Zs`, against which it is tested.) The p-value is two-sided under the normal approximation.
//!
//! **Study area.** On a grid, every cell of the grid is an observation, empty cells included (value 0); cells
//! outside the grid do not exist, so edge cells have fewer neighbours (`W_i` varies). Neighbours are the cells whose
//! centres are within `band_m` of the cell's centre, inclusive, measured from the exact offsets `(dc, dr) * cell_m`.
//!
//! **Permutation inference** (optional): conditional randomisation as in esda — `x_i` stays, and its `W_i - 1`
//! neighbours are replaced by a random draw without replacement from the other `n - 1` values. Each permutation
//! draws one random ordered sample of `K + 1` cells (`K` the largest neighbour count) shared by all cells (esda
//! shares its random draws the same way); for cell `i` the first `W_i - 1` sampled cells other than `i` are its
//! draw, which is an exact uniform sample. The pseudo p-value is two-sided, like the analytic one: twice the
//! smaller tail, `min(1, 2 (min(#{sim >= obs}, #{sim <= obs}) + 1) / (P + 1))`, so ties count against
//! significance: a cell whose whole neighbourhood is empty ties with every permutation and gets p = 1 (esda's
//! folded p-value gives such cells the smallest p there is). The smallest pseudo p that `P` permutations can give
//! is `2 / (P + 1)`. Seeded (ChaCha8), so the same seed gives the same p-values at any thread count.
//!
//! **Bins** as ArcGIS's Hot Spot Analysis reports them: `+-3` at 99% confidence, `+-2` at 95%, `+-1` at 90%, 0
//! otherwise, sign of `z`. With the False Discovery Rate correction (the default), a cell is significant at a level
//! only if its p-value passes the Benjamini-Hochberg threshold for that level over all cells. The bins use the
//! analytic p-values whenever the correction is on, with the pseudo p-values reported beside them: over `n` cells the
//! first Benjamini-Hochberg threshold at `q` is `q / n` (1 in 20 million at 95% over a county of 100 m cells), far
//! below the `2 / (P + 1)` any practical number of permutations can reach, so pseudo p-values would make every
//! cell "not significant" (a warning says how many permutations would be needed). Without the correction the bins
//! use the pseudo p-values when there are any, as esda's do.

use crate::grid::Grid;
use crate::model::Budget;
use crate::model::budget::{check_work, stencil_cells};
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// Errors of Gi*.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GiStarError {
    /// The distance band is not a positive finite number, in metres (the band given).
    #[error("distance band {0} m is not a positive finite number")]
    BadBand(f64),
    #[error("{values} values for {cells} cells")]
    /// The values are not one per cell.
    LengthMismatch {
        /// Values given.
        values: usize,
        /// Cells (of the grid, or neighbour lists).
        cells: usize,
    },
    /// A value is NaN or infinite (the first such cell's index).
    #[error("a value is not finite (cell {0}); Gi* needs finite values")]
    NotFinite(usize),
    /// The computation would cost more than the budget allows.
    #[error(transparent)]
    TooCostly(#[from] crate::model::TooCostly),
    /// The caller asked the computation to stop (a cancelled request, a spent budget).
    #[error(transparent)]
    Stopped(#[from] crate::model::Stopped),
}

/// Options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GiStarOptions {
    /// Number of permutations for pseudo p-values; 0 = analytic only.
    pub permutations: usize,
    /// The permutations' random seed (the same seed gives the same pseudo p-values at any thread count).
    pub seed: u64,
    /// Apply the Benjamini-Hochberg false discovery rate correction to the bins.
    pub fdr: bool,
}

impl Default for GiStarOptions {
    fn default() -> Self {
        GiStarOptions { permutations: 0, seed: 1, fdr: true }
    }
}

/// Gi* for every cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiStar {
    /// Gi* z-score of each cell (0 for cells outside the study area).
    pub z: Vec<f64>,
    /// Two-sided p-value of `z` under the normal approximation.
    pub p: Vec<f64>,
    /// Pseudo p-values from permutations, when asked for.
    pub p_sim: Option<Vec<f64>>,
    /// -3..3: hot (positive) or cold (negative) at 99/95/90% confidence.
    pub bin: Vec<i8>,
    /// Neighbours of each cell including itself (`W_i`).
    pub neighbours: Vec<u32>,
    /// The options it ran with.
    pub options: GiStarOptions,
    /// The p-value thresholds used for 90, 95 and 99% (the FDR thresholds when corrected).
    pub thresholds: [f64; 3],
    /// Which p-values the bins come from: `analytic` or `permutation`.
    pub bins_from: &'static str,
    /// Cells analysed (the study area's; the grid's cells outside it are not observations).
    pub cells_analysed: usize,
    /// Warnings for people (Gi* undefined when every value is equal...).
    pub warnings: Vec<String>,
}

/// Neighbourhoods as compressed rows: cell `i`'s neighbours (itself included) are `ids[offsets[i]..offsets[i+1]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbours {
    /// Row starts into `ids`: `len() + 1` entries, the first 0, non-decreasing.
    pub offsets: Vec<usize>,
    /// The neighbours' cell indices, row after row.
    pub ids: Vec<u32>,
}

impl Neighbours {
    /// Cell `i`'s neighbours, itself included; panics when `i >= len()`.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.ids[self.offsets[i]..self.offsets[i + 1]]
    }
    /// Cells (rows).
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    /// Whether there is no cell.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// For each row offset `dr` (from `-k` to `k`), the largest column offset within the band (inclusive), or `None`
/// when no cell of that row is within the band.
#[cfg(test)]
fn stencil(cell_m: f64, band_m: f64) -> Vec<(i64, i64)> {
    stencil_clipped(cell_m, band_m, i64::MAX, i64::MAX)
}

/// [`stencil`] with offsets beyond `max_dr` rows and `max_dc` columns left out (a grid has no cells there): the
/// same sums, in time bounded by the grid rather than the band.
fn stencil_clipped(cell_m: f64, band_m: f64, max_dr: i64, max_dc: i64) -> Vec<(i64, i64)> {
    let k = (((band_m / cell_m).floor() as i64).saturating_add(1)).min(max_dr);
    let within = |dr: i64, dc: i64| {
        let (dx, dy) = (dc as f64 * cell_m, dr as f64 * cell_m);
        (dx * dx + dy * dy).sqrt() <= band_m
    };
    (-k..=k)
        .filter_map(|dr| {
            if !within(dr, 0) {
                return None;
            }
            let mut hw = 0;
            while hw < max_dc && within(dr, hw + 1) {
                hw += 1;
            }
            Some((dr, hw))
        })
        .collect()
}

/// Summary statistics of the values, or a warning when Gi* is undefined.
fn moments(values: &[f64]) -> Result<(f64, f64), String> {
    let n = values.len() as f64;
    if values.len() < 2 {
        return Err("Gi* needs at least two cells".into());
    }
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|x| x * x).sum::<f64>() / n - mean * mean;
    // Rounding leaves a constant field's variance at about 1e-16 mean^2, not 0.
    if var.is_nan() || var <= 1e-12 * (mean * mean) {
        return Err("every cell has the same value, so Gi* is undefined (all z = 0)".into());
    }
    Ok((mean, var.sqrt()))
}

/// Two-sided normal p-value of a z-score.
pub fn two_sided_p(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2).min(1.0)
}

/// The z-score from a cell's lag sum and neighbour count.
#[inline]
fn z_score(lag: f64, w: f64, n: f64, mean: f64, sd: f64) -> f64 {
    let var_term = (n * w - w * w) / (n - 1.0);
    if var_term <= 0.0 { 0.0 } else { (lag - mean * w) / (sd * var_term.sqrt()) }
}

/// Gi* on a grid with a fixed distance band (see the module docs); every cell is an observation.
pub fn gistar_grid(values: &[f64], grid: &Grid, band_m: f64, opts: GiStarOptions) -> Result<GiStar, GiStarError> {
    gistar_grid_in(values, None, grid, band_m, opts)
}

/// Gi* on the cells of a grid where `study[i]` is true (all cells when `None`): the other cells are not
/// observations (they are left out of `n`, the mean, the variance and every neighbourhood) and get z = 0, p = 1,
/// bin 0 and 0 neighbours.
pub fn gistar_grid_in(
    values: &[f64],
    study: Option<&[bool]>,
    grid: &Grid,
    band_m: f64,
    opts: GiStarOptions,
) -> Result<GiStar, GiStarError> {
    gistar_grid_within(values, study, grid, band_m, opts, &Budget::unlimited())
}

/// The work of Gi* on a grid (cells x neighbours, and again per permutation), refused beyond
/// [`crate::model::budget::MAX_WORK`] naming `band_m`.
pub fn check_gistar_cost(grid: &Grid, band_m: f64, opts: GiStarOptions) -> Result<(), GiStarError> {
    let neighbours = stencil_cells(band_m, grid.cell_m, grid.rows, grid.cols);
    let work = grid.n_cells() as f64 * neighbours * (1 + opts.permutations) as f64;
    check_work(
        work,
        "band_m",
        band_m,
        || format!("{} cells x up to {neighbours:.0} neighbours on {} m cells", grid.n_cells(), grid.cell_m),
        "use a smaller band_m or a larger cell_m",
    )?;
    Ok(())
}

/// [`gistar_grid_in`] stopping when `budget` runs out (checked at every row).
pub fn gistar_grid_within(
    values: &[f64],
    study: Option<&[bool]>,
    grid: &Grid,
    band_m: f64,
    opts: GiStarOptions,
    budget: &Budget,
) -> Result<GiStar, GiStarError> {
    if !(band_m.is_finite() && band_m > 0.0) {
        return Err(GiStarError::BadBand(band_m));
    }
    check_gistar_cost(grid, band_m, opts)?;
    if values.len() != grid.n_cells() || study.is_some_and(|m| m.len() != grid.n_cells()) {
        return Err(GiStarError::LengthMismatch { values: values.len(), cells: grid.n_cells() });
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(GiStarError::NotFinite(i));
    }
    let inside = |i: usize| study.is_none_or(|m| m[i]);
    let masked: Vec<f64> = values.iter().enumerate().map(|(i, &v)| if inside(i) { v } else { 0.0 }).collect();
    let ones: Vec<u32> = (0..values.len()).map(|i| u32::from(inside(i))).collect();
    let (rows, cols) = (grid.rows as i64, grid.cols as i64);
    let st = stencil_clipped(grid.cell_m, band_m, rows, cols);
    let mut lag = vec![0.0f64; values.len()];
    let mut w = vec![0u32; values.len()];
    lag.par_chunks_mut(grid.cols).zip(w.par_chunks_mut(grid.cols)).enumerate().for_each(|(r, (lag_row, w_row))| {
        if budget.stopped() {
            return;
        }
        let r = r as i64;
        for &(dr, hw) in &st {
            let rr = r + dr;
            if rr < 0 || rr >= rows {
                continue;
            }
            let row = (rr * cols) as usize..((rr + 1) * cols) as usize;
            let (src, cnt) = (&masked[row.clone()], &ones[row]);
            for c in 0..cols {
                let (c0, c1) = ((c - hw).max(0) as usize, (c + hw).min(cols - 1) as usize);
                lag_row[c as usize] += src[c0..=c1].iter().sum::<f64>();
                w_row[c as usize] += cnt[c0..=c1].iter().sum::<u32>();
            }
        }
    });
    budget.check()?;
    if study.is_none() {
        return Ok(finish(values, lag, w, opts));
    }
    // Compute on the study cells alone, then place the results back on the grid.
    let idx: Vec<usize> = (0..values.len()).filter(|&i| inside(i)).collect();
    let pick = |v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let g = finish(&pick(values), pick(&lag), idx.iter().map(|&i| w[i]).collect(), opts);
    let n = values.len();
    let mut out = GiStar {
        z: vec![0.0; n],
        p: vec![1.0; n],
        p_sim: g.p_sim.as_ref().map(|_| vec![1.0; n]),
        bin: vec![0; n],
        neighbours: vec![0; n],
        options: g.options,
        thresholds: g.thresholds,
        bins_from: g.bins_from,
        cells_analysed: g.cells_analysed,
        warnings: g.warnings.clone(),
    };
    for (k, &i) in idx.iter().enumerate() {
        out.z[i] = g.z[k];
        out.p[i] = g.p[k];
        out.bin[i] = g.bin[k];
        out.neighbours[i] = g.neighbours[k];
        if let (Some(dst), Some(src)) = (out.p_sim.as_mut(), g.p_sim.as_ref()) {
            dst[i] = src[k];
        }
    }
    Ok(out)
}

/// Gi* with explicit neighbourhoods (each including the cell itself).
pub fn gistar_neighbours(values: &[f64], nb: &Neighbours, opts: GiStarOptions) -> Result<GiStar, GiStarError> {
    if values.len() != nb.len() {
        return Err(GiStarError::LengthMismatch { values: values.len(), cells: nb.len() });
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(GiStarError::NotFinite(i));
    }
    let lag: Vec<f64> = (0..nb.len()).map(|i| nb.of(i).iter().map(|&j| values[j as usize]).sum()).collect();
    let w: Vec<u32> = (0..nb.len()).map(|i| nb.of(i).len() as u32).collect();
    Ok(finish(values, lag, w, opts))
}

/// z, p, pseudo p and bins from the lag sums and neighbour counts.
fn finish(values: &[f64], lag: Vec<f64>, w: Vec<u32>, opts: GiStarOptions) -> GiStar {
    let n = values.len();
    let mut warnings = Vec::new();
    let (z, p) = match moments(values) {
        Ok((mean, sd)) => {
            let z: Vec<f64> =
                lag.par_iter().zip(&w).map(|(&l, &wi)| z_score(l, f64::from(wi), n as f64, mean, sd)).collect();
            let p = z.par_iter().map(|&z| two_sided_p(z)).collect();
            (z, p)
        }
        Err(why) => {
            warnings.push(why);
            (vec![0.0; n], vec![1.0; n])
        }
    };
    let p_sim = (opts.permutations > 0 && warnings.is_empty())
        .then(|| permutation_p(values, &lag, &w, opts.permutations, opts.seed));
    let (used, bins_from) = match (&p_sim, opts.fdr) {
        (Some(ps), false) => (ps, "permutation"),
        _ => (&p, "analytic"),
    };
    if p_sim.is_some() && opts.fdr {
        let smallest = 2.0 / (opts.permutations + 1) as f64;
        let first = 0.05 / n as f64;
        let needed = (2.0 / first).ceil() - 1.0;
        warnings.push(format!(
            "{} permutations give pseudo p-values no smaller than {smallest:.2e}; the false discovery rate correction \
             over {n} cells needs p <= {first:.2e} for the first cell at 95% (about {needed:.0} permutations): the \
             bins use the analytic p-values, corrected, and the pseudo p-values are reported beside them",
            opts.permutations,
        ));
    }
    let thresholds = if opts.fdr {
        let sorted = sorted_finite(used);
        [bh_threshold_sorted(&sorted, 0.10), bh_threshold_sorted(&sorted, 0.05), bh_threshold_sorted(&sorted, 0.01)]
    } else {
        [0.10, 0.05, 0.01]
    };
    let bin = z
        .iter()
        .zip(used)
        .map(|(&z, &p)| {
            let level = thresholds.iter().filter(|&&t| p <= t && t > 0.0).count() as i8;
            if z > 0.0 {
                level
            } else if z < 0.0 {
                -level
            } else {
                0
            }
        })
        .collect();
    GiStar { z, p, p_sim, bin, neighbours: w, options: opts, thresholds, bins_from, cells_analysed: n, warnings }
}

/// The Benjamini-Hochberg threshold: the largest p-value `p_(k)` with `p_(k) <= k q / m`, or 0 when none passes.
pub fn bh_threshold(p: &[f64], q: f64) -> f64 {
    bh_threshold_sorted(&sorted_finite(p), q)
}

fn sorted_finite(p: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = p.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.par_sort_unstable_by(f64::total_cmp);
    sorted
}

/// [`bh_threshold`] on p-values already sorted ascending.
fn bh_threshold_sorted(sorted: &[f64], q: f64) -> f64 {
    let m = sorted.len() as f64;
    let mut t = 0.0;
    for (k, &pk) in sorted.iter().enumerate() {
        if pk <= (k + 1) as f64 * q / m {
            t = pk;
        }
    }
    t
}

/// Folded pseudo p-values by conditional randomisation (see the module docs).
fn permutation_p(values: &[f64], lag: &[f64], w: &[u32], permutations: usize, seed: u64) -> Vec<f64> {
    let n = values.len();
    let k_max = w.iter().copied().max().unwrap_or(1).saturating_sub(1) as usize;
    let sample_len = (k_max + 1).min(n);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // prefix[p][m] = sum of the first m sampled values of permutation p.
    let mut prefix: Vec<Vec<f64>> = Vec::with_capacity(permutations);
    // Where each cell appears in the samples: cell -> [(permutation, position)].
    let mut hits: FxHashMap<u32, Vec<(u32, u32)>> = FxHashMap::default();
    for perm in 0..permutations {
        let mut seen = FxHashSet::default();
        let mut pre = Vec::with_capacity(sample_len + 1);
        pre.push(0.0);
        while seen.len() < sample_len {
            let j = rng.random_range(0..n as u32);
            if seen.insert(j) {
                hits.entry(j).or_default().push((perm as u32, (seen.len() - 1) as u32));
                pre.push(pre[pre.len() - 1] + values[j as usize]);
            }
        }
        prefix.push(pre);
    }
    (0..n)
        .into_par_iter()
        .map(|i| {
            let k = w[i].saturating_sub(1) as usize;
            let obs = lag[i];
            let mine = hits.get(&(i as u32));
            // Ties count on both sides: a cell whose whole neighbourhood is zero ties with every permutation and
            // must get p = 1, not the smallest p there is.
            let (mut at_least, mut at_most) = (0usize, 0usize);
            for (perm, pre) in prefix.iter().enumerate() {
                let pos = mine.and_then(|h| h.iter().find(|(p, _)| *p as usize == perm)).map(|&(_, pos)| pos as usize);
                let others = match pos {
                    Some(pos) if pos < k && k + 1 < pre.len() => pre[k + 1] - values[i],
                    _ => pre[k.min(pre.len() - 1)],
                };
                let sim = values[i] + others;
                at_least += usize::from(sim >= obs);
                at_most += usize::from(sim <= obs);
            }
            (2.0 * (at_least.min(at_most) + 1) as f64 / (permutations + 1) as f64).min(1.0)
        })
        .collect()
}

/// The reference: Gi* z by the definition, with neighbours found by comparing every pair of cell centres.
/// `O(n^2)`; for tests only.
#[cfg(test)]
pub(crate) fn gistar_brute_force(values: &[f64], grid: &Grid, band_m: f64) -> Vec<f64> {
    let n = values.len();
    let Ok((mean, sd)) = moments(values) else { return vec![0.0; n] };
    (0..n)
        .map(|i| {
            let (ri, ci) = ((i / grid.cols) as f64, (i % grid.cols) as f64);
            let (mut l, mut wsum) = (0.0, 0.0);
            for (j, &x) in values.iter().enumerate() {
                let (dr, dc) = ((j / grid.cols) as f64 - ri, (j % grid.cols) as f64 - ci);
                let (dx, dy) = (dc * grid.cell_m, dr * grid.cell_m);
                if (dx * dx + dy * dy).sqrt() <= band_m {
                    l += x;
                    wsum += 1.0;
                }
            }
            z_score(l, wsum, n as f64, mean, sd)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;

    #[test]
    fn a_study_mask_equals_gistar_on_the_masked_cells_alone() {
        // Masking out the last column of a 3 x 4 grid gives the same z as a 3 x 3 grid of the same values.
        let g4 = grid(3, 4);
        let g3 = grid(3, 3);
        let v3: Vec<f64> = vec![1.0, 0.0, 2.0, 0.0, 5.0, 1.0, 0.0, 0.0, 3.0];
        let mut v4 = Vec::new();
        let mut mask = Vec::new();
        for r in 0..3 {
            v4.extend_from_slice(&v3[r * 3..r * 3 + 3]);
            v4.push(9.0);
            mask.extend_from_slice(&[true, true, true, false]);
        }
        let a = gistar_grid(&v3, &g3, 150.0, GiStarOptions::default()).unwrap();
        let b = gistar_grid_in(&v4, Some(&mask), &g4, 150.0, GiStarOptions::default()).unwrap();
        for r in 0..3 {
            for c in 0..3 {
                assert!((a.z[r * 3 + c] - b.z[r * 4 + c]).abs() < 1e-12);
            }
            assert_eq!((b.z[r * 4 + 3], b.bin[r * 4 + 3], b.neighbours[r * 4 + 3]), (0.0, 0, 0));
        }
    }

    fn grid(rows: usize, cols: usize) -> Grid {
        Grid::new(0.0, 0.0, 100.0, rows, cols, &CrsDef::utm_for(-2.0, 50.7)).unwrap()
    }

    #[test]
    fn stencil_shape() {
        // 300 m band on 100 m cells: rows -3..3 with half-widths 0,2,2,3,2,2,0 -> 29 cells.
        let s = stencil(100.0, 300.0);
        assert_eq!(s, vec![(-3, 0), (-2, 2), (-1, 2), (0, 3), (1, 2), (2, 2), (3, 0)]);
        assert_eq!(s.iter().map(|(_, h)| 2 * h + 1).sum::<i64>(), 29);
        assert_eq!(stencil(100.0, 50.0), vec![(0, 0)]);
    }

    #[test]
    fn matches_brute_force_and_a_hand_worked_example() {
        // 1 x 3 grid, values 0, 0, 3, band 100 m: neighbourhoods {0,1}, {0,1,2}, {1,2}.
        // n = 3, mean = 1, S = sqrt(9/3 - 1) = sqrt(2).
        // cell 2: L = 3, W = 2, z = (3 - 2) / (sqrt2 * sqrt((6 - 4) / 2)) = 1 / sqrt(2).
        let g = grid(1, 3);
        let r = gistar_grid(&[0.0, 0.0, 3.0], &g, 100.0, GiStarOptions::default()).unwrap();
        assert!((r.z[2] - 1.0 / 2f64.sqrt()).abs() < 1e-12, "{:?}", r.z);
        // cell 1: W = 3 = n, so the variance term is 0: z defined as 0.
        assert_eq!(r.z[1], 0.0);
        assert_eq!(r.neighbours, vec![2, 3, 2]);

        let g = grid(9, 11);
        let values: Vec<f64> =
            (0..99).map(|i| ((i * 37) % 11) as f64 * 0.5 + if i == 50 { 20.0 } else { 0.0 }).collect();
        for band in [100.0, 150.0, 250.0, 300.0, 420.0] {
            let r = gistar_grid(&values, &g, band, GiStarOptions::default()).unwrap();
            let b = gistar_brute_force(&values, &g, band);
            for (a, b) in r.z.iter().zip(&b) {
                assert!((a - b).abs() < 1e-10, "band {band}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn degenerate_inputs() {
        let g = grid(2, 2);
        let r = gistar_grid(&[1.0; 4], &g, 150.0, GiStarOptions::default()).unwrap();
        assert_eq!(r.z, vec![0.0; 4]);
        assert_eq!(r.bin, vec![0; 4]);
        assert!(r.warnings[0].contains("same value"));
        assert!(gistar_grid(&[1.0; 3], &g, 150.0, GiStarOptions::default()).is_err());
        assert!(gistar_grid(&[1.0, f64::NAN, 0.0, 0.0], &g, 150.0, GiStarOptions::default()).is_err());
        assert!(gistar_grid(&[1.0; 4], &g, -1.0, GiStarOptions::default()).is_err());
        let one = grid(1, 1);
        assert!(gistar_grid(&[5.0], &one, 150.0, GiStarOptions::default()).unwrap().warnings[0].contains("two"));
    }

    #[test]
    fn bh_thresholds() {
        // m = 4, q = 0.05: k/m q = .0125, .025, .0375, .05 -> p_(2) = .02 passes, p_(3) = .04 fails, p_(4) = .05
        // passes: the threshold is the largest passing, .05.
        assert_eq!(bh_threshold(&[0.01, 0.02, 0.04, 0.05], 0.05), 0.05);
        assert_eq!(bh_threshold(&[0.2, 0.3], 0.05), 0.0);
        assert_eq!(bh_threshold(&[], 0.05), 0.0);
        assert!((two_sided_p(1.959_963_984_540_054) - 0.05).abs() < 1e-12);
        assert_eq!(two_sided_p(0.0), 1.0);
    }

    #[test]
    fn permutations_are_deterministic_and_sensible() {
        let g = grid(12, 12);
        let mut values = vec![0.0; 144];
        for &i in &[65usize, 66, 77, 78] {
            values[i] = 10.0;
        }
        values[3] = 1.0;
        let opts = GiStarOptions { permutations: 199, seed: 9, fdr: false };
        let a = gistar_grid(&values, &g, 150.0, opts).unwrap();
        let b = gistar_grid(&values, &g, 150.0, opts).unwrap();
        assert_eq!(a.p_sim, b.p_sim);
        let p = a.p_sim.unwrap();
        assert!(p[66] <= 0.01, "{}", p[66]);
        assert!(p.iter().all(|&v| v > 0.0 && v <= 1.0));
        assert_eq!(a.bin[66], 3);
        // A corner cell whose neighbourhood is all zeros ties with most permutations: far from significant (esda's
        // folded p-value would give it 0.005).
        assert!(p[143] > 0.5, "{}", p[143]);
        assert_eq!(a.bin[143], 0);
    }
}
