//! Kernel density estimation on a grid: exact, parallel, deterministic.
//!
//! For each cell centre `c`, the density is `f(c) = sum_i w_i K_h(|c - p_i|)`, with `K_h` a kernel that integrates
//! to 1 over the plane, so `f` is in weight per m^2 (reported per km^2); multiplied by the cell area it is the
//! expected number of incidents (or harm) in the cell. This is the textbook sum, not an approximation: every cell
//! equals the brute-force sum over all points (`kde_brute_force`, a test-only reference) to rounding (property-tested to 1e-9
//! relative).
//!
//! Kernels, with `u = d / h` for distance `d` and bandwidth `h` (metres), zero for `d >= R`:
//!
//! | kernel | shape | normalising constant | support `R` |
//! | --- | --- | --- | --- |
//! | quartic (biweight; ArcGIS and CrimeStat's default) | `(1 - u^2)^2` | `3 / (pi h^2)` | `h` |
//! | Epanechnikov | `1 - u^2` | `2 / (pi h^2)` | `h` |
//! | triangular (cone) | `1 - u` | `3 / (pi h^2)` | `h` |
//! | uniform (disc) | `1` | `1 / (pi h^2)` | `h` |
//! | Gaussian (`h` is the standard deviation) | `exp(-u^2 / 2)` | `1 / (2 pi h^2 (1 - e^-8))` | `4 h` |
//!
//! The Gaussian is truncated at four standard deviations (where it has fallen to e^-8 of its peak, keeping
//! 99.97% of its mass) and renormalised so that it still integrates to 1.
//!
//! **Method.** Points at exactly the same place are merged first (summing weights; police.uk snaps incidents to
//! shared map points), then sorted by y. Each output row is one rayon task: it finds by binary search the points
//! within `R` of its centre line and adds each one's kernel to the columns within `R`. Each point touches only
//! the cells within its support; each row sums its points in the same order whatever the thread count, so the
//! output is bit-identical at any `RAYON_NUM_THREADS`. Cost `O(m log m + m * (2R / cell)^2)` for `m` distinct
//! points.
//!
//! **Automatic bandwidth** ([`auto_bandwidth`]): ArcGIS Pro's rule,
//! `h = 0.9 * min(SD, sqrt(1 / ln 2) * Dm) * n^-0.2`, with `SD` the weighted standard distance, `Dm` the weighted
//! median distance from the weighted mean centre, and `n` the sum of the weights (the number of incidents when
//! counting).

mod sparse;

use super::points::Points;
use crate::grid::Grid;
use crate::model::Budget;
use crate::model::budget::{check_work, stencil_cells};
use rayon::prelude::*;
use serde::Serialize;
pub use sparse::kde_at_cells;
pub(crate) use sparse::{kde_rows_fold, kde_sparse};

/// A kernel shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// `(1 - u^2)^2` within the bandwidth (biweight; ArcGIS and CrimeStat's default).
    #[default]
    Quartic,
    /// `1 - u^2` within the bandwidth.
    Epanechnikov,
    /// `1 - u` within the bandwidth (cone).
    Triangular,
    /// Constant within the bandwidth (disc).
    Uniform,
    /// `exp(-u^2 / 2)` with the bandwidth as standard deviation, truncated at four of them.
    Gaussian,
}

impl std::str::FromStr for Kernel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "quartic" | "biweight" => Ok(Kernel::Quartic),
            "epanechnikov" => Ok(Kernel::Epanechnikov),
            "triangular" | "cone" => Ok(Kernel::Triangular),
            "uniform" | "disc" => Ok(Kernel::Uniform),
            "gaussian" | "normal" => Ok(Kernel::Gaussian),
            other => {
                Err(format!("kernel '{other}' is not one of quartic, epanechnikov, triangular, uniform, gaussian"))
            }
        }
    }
}

impl Kernel {
    /// The kernel's name in lower case, as parsed and serialised (`quartic`).
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Quartic => "quartic",
            Kernel::Epanechnikov => "epanechnikov",
            Kernel::Triangular => "triangular",
            Kernel::Uniform => "uniform",
            Kernel::Gaussian => "gaussian",
        }
    }

    /// Radius beyond which the kernel is zero, metres.
    pub fn support_m(self, bandwidth_m: f64) -> f64 {
        match self {
            Kernel::Gaussian => 4.0 * bandwidth_m,
            _ => bandwidth_m,
        }
    }

    /// The constant that makes the kernel integrate to 1 over the plane, per m^2.
    pub fn norm_per_m2(self, bandwidth_m: f64) -> f64 {
        let h2 = bandwidth_m * bandwidth_m;
        let pi = std::f64::consts::PI;
        match self {
            Kernel::Quartic | Kernel::Triangular => 3.0 / (pi * h2),
            Kernel::Epanechnikov => 2.0 / (pi * h2),
            Kernel::Uniform => 1.0 / (pi * h2),
            Kernel::Gaussian => 1.0 / (2.0 * pi * h2 * (1.0 - (-8.0f64).exp())),
        }
    }

    /// The kernel's value per m^2 at squared distance `d2_m2` (zero at and beyond the support).
    pub fn value_per_m2(self, d2_m2: f64, bandwidth_m: f64) -> f64 {
        let r = self.support_m(bandwidth_m);
        let s = Shape::new(self, bandwidth_m);
        if d2_m2 < r * r { self.norm_per_m2(bandwidth_m) * s.eval(d2_m2) } else { 0.0 }
    }
}

/// The unnormalised kernel shape with its constants precomputed.
#[derive(Debug, Clone, Copy)]
struct Shape {
    kernel: Kernel,
    inv_h2: f64,
    r2: f64,
}

impl Shape {
    fn new(kernel: Kernel, h: f64) -> Self {
        let r = kernel.support_m(h);
        Shape { kernel, inv_h2: 1.0 / (h * h), r2: r * r }
    }

    /// Shape at squared distance `d2` (inside the support; callers test `d2 < r2`).
    #[inline(always)]
    fn eval(&self, d2: f64) -> f64 {
        match self.kernel {
            Kernel::Quartic => {
                let t = 1.0 - d2 * self.inv_h2;
                t * t
            }
            Kernel::Epanechnikov => 1.0 - d2 * self.inv_h2,
            Kernel::Triangular => 1.0 - (d2 * self.inv_h2).sqrt(),
            Kernel::Uniform => 1.0,
            Kernel::Gaussian => (-0.5 * d2 * self.inv_h2).exp(),
        }
    }
}

/// Errors of the density estimate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KdeError {
    /// The bandwidth is not a positive finite number, in metres (the one given).
    #[error("bandwidth {0} m is not a positive finite number")]
    BadBandwidth(f64),
    /// No automatic bandwidth can be chosen (why: no incidents, or all at one point).
    #[error(
        "cannot choose a bandwidth automatically: {0}; pass --bandwidth-m (for example 200 to 400 m for street-level \
         hotspots)"
    )]
    NoAutoBandwidth(String),
    /// The kernel's reach makes the grid (the data's extent grown by it) too large.
    #[error(
        "bandwidth_m={bandwidth_m}: the grid grown by the kernel's reach is too large ({source}); use a smaller bandwidth"
    )]
    ReachTooLarge {
        /// The bandwidth given, in metres.
        bandwidth_m: f64,
        /// Why the grid cannot be built.
        #[source]
        source: crate::grid::GridError,
    },
    /// The estimate would cost more than the computation budget allows.
    #[error(transparent)]
    TooCostly(#[from] crate::model::TooCostly),
    /// The caller asked the computation to stop (a cancelled request, a spent budget).
    #[error(transparent)]
    Stopped(#[from] crate::model::Stopped),
}

/// The automatic bandwidth and the quantities behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BandwidthChoice {
    /// The bandwidth chosen, in metres.
    pub bandwidth_m: f64,
    /// Weighted standard distance from the mean centre, m.
    pub standard_distance_m: f64,
    /// Weighted median distance from the mean centre, m.
    pub median_distance_m: f64,
    /// Sum of weights.
    pub n: f64,
    /// The rule's formula ([`AUTO_BANDWIDTH_RULE`]).
    pub rule: &'static str,
}

/// The rule of [`auto_bandwidth`], for printing.
pub const AUTO_BANDWIDTH_RULE: &str = "ArcGIS: 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^-0.2";

/// ArcGIS Pro's default search radius for kernel density (see the module docs).
pub fn auto_bandwidth(points: &Points) -> Result<BandwidthChoice, KdeError> {
    let n: f64 = points.w.iter().sum();
    if points.is_empty() || n.is_nan() || n <= 0.0 {
        return Err(KdeError::NoAutoBandwidth("there are no incidents (or no weight) in the selection".into()));
    }
    let mx = points.x_m.iter().zip(&points.w).map(|(x, w)| x * w).sum::<f64>() / n;
    let my = points.y_m.iter().zip(&points.w).map(|(y, w)| y * w).sum::<f64>() / n;
    let mut d: Vec<(f64, f64)> =
        points.x_m.iter().zip(&points.y_m).zip(&points.w).map(|((x, y), &w)| ((x - mx).hypot(y - my), w)).collect();
    let sd = (d.iter().map(|(di, w)| di * di * w).sum::<f64>() / n).sqrt();
    d.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = n / 2.0;
    let mut acc = 0.0;
    let mut dm = 0.0;
    for (di, w) in &d {
        acc += w;
        if acc >= half {
            dm = *di;
            break;
        }
    }
    let h = 0.9 * sd.min((1.0 / std::f64::consts::LN_2).sqrt() * dm) * n.powf(-0.2);
    if !(h.is_finite() && h > 0.0) {
        return Err(KdeError::NoAutoBandwidth("the incidents all lie at one point".into()));
    }
    Ok(BandwidthChoice { bandwidth_m: h, standard_distance_m: sd, median_distance_m: dm, n, rule: AUTO_BANDWIDTH_RULE })
}

/// A density surface on a grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DensitySurface {
    /// The grid the density is on.
    pub grid: Grid,
    /// The kernel used.
    pub kernel: Kernel,
    /// The bandwidth used, in metres.
    pub bandwidth_m: f64,
    /// Density per km^2, one value per cell (row 0 south).
    pub density_per_km2: Vec<f64>,
    /// Sum of the weights of the points used.
    pub total_weight: f64,
    /// Distinct point locations after merging coincident incidents.
    pub distinct_points: usize,
}

impl DensitySurface {
    /// Expected incidents (or harm) in cell `i`: density times cell area.
    pub fn expected_in_cell(&self, i: usize) -> f64 {
        self.density_per_km2.get(i).copied().unwrap_or(0.0) * self.grid.cell_area_m2() / 1e6
    }

    /// The highest density of any cell, per km2 (0 for an empty surface).
    pub fn peak_per_km2(&self) -> f64 {
        self.density_per_km2.iter().copied().fold(0.0, f64::max)
    }
}

/// The exact density of `points` on `grid` (see the module docs).
pub fn kde(points: &Points, grid: &Grid, kernel: Kernel, bandwidth_m: f64) -> Result<DensitySurface, KdeError> {
    kde_within(points, grid, kernel, bandwidth_m, &Budget::unlimited())
}

/// The work [`kde`] would do (points x stencil cells), refused beyond [`crate::model::budget::MAX_WORK`] naming
/// `bandwidth_m`.
pub fn check_kde_cost(n_points: usize, grid: &Grid, kernel: Kernel, bandwidth_m: f64) -> Result<(), KdeError> {
    let r = kernel.support_m(bandwidth_m);
    let work = n_points as f64 * stencil_cells(r, grid.cell_m, grid.rows, grid.cols);
    check_work(
        work,
        "bandwidth_m",
        bandwidth_m,
        || format!("{n_points} points x the kernel's cells on {} m cells", grid.cell_m),
        "use a smaller bandwidth_m, a larger cell_m or a shorter window",
    )?;
    Ok(())
}

/// [`check_kde_cost`] of `points` as [`kde`] works on them: coincident points are merged first (police.uk's map
/// points, a national store's 1.6 million places for 20 million incidents), so beyond the limit the distinct places
/// are counted and judged instead.
pub fn check_kde_cost_of(points: &Points, grid: &Grid, kernel: Kernel, bandwidth_m: f64) -> Result<(), KdeError> {
    match check_kde_cost(points.len(), grid, kernel, bandwidth_m) {
        Ok(()) => Ok(()),
        Err(_) => check_kde_cost(points.distinct_places(), grid, kernel, bandwidth_m),
    }
}

/// [`kde`] stopping when `budget` runs out (checked at every row).
pub fn kde_within(
    points: &Points,
    grid: &Grid,
    kernel: Kernel,
    bandwidth_m: f64,
    budget: &Budget,
) -> Result<DensitySurface, KdeError> {
    let merged = merged_within_cost(points, grid, kernel, bandwidth_m)?;
    let rows = RowKernel::new(&merged, grid, kernel, bandwidth_m);
    let mut density = vec![0.0f64; grid.n_cells()];
    density.par_chunks_mut(grid.cols).enumerate().for_each(|(row, out)| {
        if budget.stopped() {
            return;
        }
        if let Some((c0, c1)) = rows.add(row, out) {
            for v in &mut out[c0..=c1] {
                *v *= rows.scale;
            }
        }
    });
    budget.check()?;
    Ok(DensitySurface {
        grid: grid.clone(),
        kernel,
        bandwidth_m,
        density_per_km2: density,
        total_weight: points.total_weight(),
        distinct_points: merged.len(),
    })
}

/// The points merged as every kernel density lays them (coincident ones summed, sorted by y), once the bandwidth is
/// usable and the work ([`check_kde_cost`] of the merged points) within the limit.
fn merged_within_cost(points: &Points, grid: &Grid, kernel: Kernel, bandwidth_m: f64) -> Result<Points, KdeError> {
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Err(KdeError::BadBandwidth(bandwidth_m));
    }
    let merged = points.merged();
    check_kde_cost(merged.len(), grid, kernel, bandwidth_m)?;
    Ok(merged)
}

/// One row of the density at a time: every merged point within the kernel's reach of the row adds its kernel to the
/// row's cells in point order (so a cell's sum is the same whoever computes the row).
struct RowKernel<'a> {
    merged: &'a Points,
    grid: &'a Grid,
    shape: Shape,
    r: f64,
    /// Multiplies the sums into incidents (or weight) per km2.
    scale: f64,
    col_x: Vec<f64>,
    /// `1 / cell_m`.
    inv_cell_m: f64,
}

impl<'a> RowKernel<'a> {
    /// For `merged` points (sorted by y, as [`Points::merged`] gives them).
    fn new(merged: &'a Points, grid: &'a Grid, kernel: Kernel, bandwidth_m: f64) -> RowKernel<'a> {
        RowKernel {
            merged,
            grid,
            shape: Shape::new(kernel, bandwidth_m),
            r: kernel.support_m(bandwidth_m),
            scale: kernel.norm_per_m2(bandwidth_m) * 1e6,
            col_x: (0..grid.cols).map(|c| grid.col_centre_x(c)).collect(),
            inv_cell_m: 1.0 / grid.cell_m,
        }
    }

    /// Add the unscaled kernel sums of `row` into `out` (one value per column); the columns touched, if any.
    fn add(&self, row: usize, out: &mut [f64]) -> Option<(usize, usize)> {
        let mut touched: Option<(usize, usize)> = None;
        self.add_spans(row, out, |c0, c1| touched = Some(touched.map_or((c0, c1), |(a, b)| (a.min(c0), b.max(c1)))));
        touched
    }

    /// [`RowKernel::add`], telling `on_span` the columns `c0..=c1` each point was added to (only those cells can
    /// have changed).
    #[inline(always)]
    fn add_spans(&self, row: usize, out: &mut [f64], mut on_span: impl FnMut(usize, usize)) {
        for Reach { xp, w, dy2, c0, c1 } in self.reaching(row) {
            add_row(&mut out[c0..=c1], &self.col_x[c0..=c1], xp, dy2, w, &self.shape);
            on_span(c0, c1);
        }
    }

    /// The points whose kernel reaches `row`, in point order, each with the columns it may reach.
    #[inline(always)]
    fn reaching(&self, row: usize) -> impl Iterator<Item = Reach> + '_ {
        self.in_band(row).filter_map(move |(xp, w, dy2)| {
            let (c0, c1) = self.span(xp, dy2)?;
            Some(Reach { xp, w, dy2, c0, c1 })
        })
    }

    /// The points within the kernel's support of `row`'s centre line, in point order: x, weight and squared
    /// distance from the line.
    #[inline(always)]
    fn in_band(&self, row: usize) -> impl Iterator<Item = (f64, f64, f64)> + '_ {
        let (merged, r2) = (self.merged, self.shape.r2);
        let yc = self.grid.row_centre_y(row);
        let lo = merged.y_m.partition_point(|&y| y <= yc - self.r);
        let hi = merged.y_m.partition_point(|&y| y < yc + self.r);
        (lo..hi).filter_map(move |k| {
            let dy = yc - merged.y_m[k];
            let dy2 = dy * dy;
            (dy2 < r2).then(|| (merged.x_m[k], merged.w[k], dy2))
        })
    }

    /// The columns of the grid a point at `xp` reaches on a row `sqrt(dy2)` from it: those whose centres may lie
    /// within the kernel's support, one spare on each side (the `d2` test of each cell decides exactly); `None`
    /// when none is on the grid.
    ///
    /// Column `c` is within `half` of `xp` when `c` lies strictly between `a = (xp - half - x0) / cell - 0.5` and
    /// `b = (xp + half - x0) / cell - 0.5`; the span is `trunc(a) - 1 ..= trunc(b) + 1`, never narrower than
    /// `ceil(a) - 1 ..= floor(b) + 1` (truncation rounds toward zero), with a multiplication for the division and
    /// integer conversion for `ceil` and `floor` (library calls on the baseline x86-64): a few ulps of rounding move
    /// `a` and `b` by far less than the spare column.
    #[inline(always)]
    fn span(&self, xp: f64, dy2: f64) -> Option<(usize, usize)> {
        let (grid, cols) = (self.grid, self.grid.cols as i64);
        let half = (self.shape.r2 - dy2).sqrt();
        let a = (xp - half - grid.origin_x_m) * self.inv_cell_m - 0.5;
        let b = (xp + half - grid.origin_x_m) * self.inv_cell_m - 0.5;
        // `as` saturates (and takes NaN to 0): a point beyond any grid gives a span off the grid.
        let (first, last) = ((a as i64).saturating_sub(1), (b as i64).saturating_add(1));
        if last < 0 || first >= cols {
            return None;
        }
        Some((first.max(0) as usize, last.min(cols - 1) as usize))
    }

    /// [`RowKernel::add`] at some columns of `row` only (`cols` ascending; `out[j]` is column `cols[j]`): every
    /// cell's sum takes the same points in the same order with the same arithmetic as a whole row's, so it has the
    /// same bits. With few cells, each point is tested at every one of them (a cell outside the point's
    /// [`RowKernel::span`] fails the same `d2` test there), and points further than the support and a cell from all
    /// of them are passed over at once.
    fn add_at(&self, row: usize, cols: &[usize], out: &mut [f64]) {
        let (Some(&first), Some(&last)) = (cols.first(), cols.last()) else { return };
        let shape = &self.shape;
        let add = |o: &mut f64, c: usize, xp: f64, w: f64, dy2: f64| {
            let dx = self.col_x[c] - xp;
            let d2 = dx * dx + dy2;
            if d2 < shape.r2 {
                *o += w * shape.eval(d2);
            }
        };
        if cols.len() > FEW_COLUMNS {
            // Many cells: each point's own columns, found by bisection.
            for Reach { xp, w, dy2, c0, c1 } in self.reaching(row) {
                let (a, b) = (cols.partition_point(|&c| c < c0), cols.partition_point(|&c| c <= c1));
                for (o, &c) in out[a..b].iter_mut().zip(&cols[a..b]) {
                    add(o, c, xp, w, dy2);
                }
            }
            return;
        }
        let margin = self.r + self.grid.cell_m;
        let (x_lo, x_hi) = (self.col_x[first] - margin, self.col_x[last] + margin);
        for (xp, w, dy2) in self.in_band(row) {
            if xp < x_lo || xp > x_hi {
                continue;
            }
            for (o, &c) in out.iter_mut().zip(cols) {
                add(o, c, xp, w, dy2);
            }
        }
    }
}

/// Up to this many chosen cells in a row, [`RowKernel::add_at`] tests every point at each of them rather than
/// finding each point's columns.
const FEW_COLUMNS: usize = 16;

/// A point reaching a row: its x, weight and squared distance from the row's centre line, and the columns it may
/// reach ([`RowKernel::span`]).
struct Reach {
    xp: f64,
    w: f64,
    dy2: f64,
    c0: usize,
    c1: usize,
}

/// Add one point's kernel along part of a row. The polynomial kernels add `0.0` outside the support instead of
/// branching (the same bits: a sum that starts at `+0.0` is unchanged by adding `+0.0`), so the loop runs on vector
/// lanes; the others test each cell.
#[inline(always)]
fn add_row(out: &mut [f64], col_x: &[f64], xp: f64, dy2: f64, w: f64, shape: &Shape) {
    let (r2, inv_h2) = (shape.r2, shape.inv_h2);
    match shape.kernel {
        Kernel::Quartic => {
            for (o, &x) in out.iter_mut().zip(col_x) {
                let dx = x - xp;
                let d2 = dx * dx + dy2;
                let t = 1.0 - d2 * inv_h2;
                *o += if d2 < r2 { w * (t * t) } else { 0.0 };
            }
        }
        Kernel::Epanechnikov => {
            for (o, &x) in out.iter_mut().zip(col_x) {
                let dx = x - xp;
                let d2 = dx * dx + dy2;
                *o += if d2 < r2 { w * (1.0 - d2 * inv_h2) } else { 0.0 };
            }
        }
        _ => {
            for (o, &x) in out.iter_mut().zip(col_x) {
                let dx = x - xp;
                let d2 = dx * dx + dy2;
                if d2 < r2 {
                    *o += w * shape.eval(d2);
                }
            }
        }
    }
}

/// The reference: for every cell, the sum over every point of `w K(d)`, in point order. `O(cells * points)`; for
/// tests only.
#[cfg(test)]
pub(crate) fn kde_brute_force(points: &Points, grid: &Grid, kernel: Kernel, bandwidth_m: f64) -> Vec<f64> {
    (0..grid.n_cells())
        .map(|i| {
            let (cx, cy) = grid.centre(i);
            let mut s = 0.0;
            for k in 0..points.len() {
                let (dx, dy) = (cx - points.x_m[k], cy - points.y_m[k]);
                s += points.w[k] * kernel.value_per_m2(dx * dx + dy * dy, bandwidth_m);
            }
            s * 1e6
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;

    fn grid(rows: usize, cols: usize, cell: f64) -> Grid {
        Grid::new(0.0, 0.0, cell, rows, cols, &CrsDef::utm_for(-2.0, 50.7)).unwrap()
    }

    fn pts(v: &[(f64, f64, f64)]) -> Points {
        Points {
            x_m: v.iter().map(|p| p.0).collect(),
            y_m: v.iter().map(|p| p.1).collect(),
            w: v.iter().map(|p| p.2).collect(),
        }
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            let tol = 1e-9 * x.abs().max(y.abs()).max(1e-300);
            assert!((x - y).abs() <= tol, "cell {i}: {x} vs {y}");
        }
    }

    const ALL: [Kernel; 5] =
        [Kernel::Quartic, Kernel::Epanechnikov, Kernel::Triangular, Kernel::Uniform, Kernel::Gaussian];

    #[test]
    fn kernels_integrate_to_one() {
        // Midpoint rule on a fine grid around one point.
        for k in ALL {
            let h = 100.0;
            let r = k.support_m(h);
            let step = r / 400.0;
            let mut s = 0.0;
            let n = (2.0 * r / step) as i64;
            for i in 0..n {
                for j in 0..n {
                    let x = -r + (i as f64 + 0.5) * step;
                    let y = -r + (j as f64 + 0.5) * step;
                    s += k.value_per_m2(x * x + y * y, h) * step * step;
                }
            }
            assert!((s - 1.0).abs() < 2e-3, "{k:?}: {s}");
        }
    }

    #[test]
    fn edge_ladder_matches_brute_force() {
        let g = grid(7, 9, 25.0);
        let cases: Vec<Points> = vec![
            pts(&[]),
            pts(&[(110.0, 80.0, 1.0)]),
            pts(&[(110.0, 80.0, 1.0), (110.0, 80.0, 1.0), (110.0, 80.0, 2.5)]),
            // Outside the grid but within reach, and far outside.
            pts(&[(-30.0, 50.0, 1.0), (260.0, 190.0, 3.0), (5000.0, 5000.0, 1.0)]),
            // Exactly on cell centres and edges.
            pts(&[(12.5, 12.5, 1.0), (25.0, 25.0, 1.0), (0.0, 0.0, 0.5)]),
        ];
        for k in ALL {
            for p in &cases {
                let fast = kde(p, &g, k, 60.0).unwrap();
                close(&fast.density_per_km2, &kde_brute_force(p, &g, k, 60.0));
            }
        }
    }

    #[test]
    fn expected_incidents_sum_to_the_total_inside_a_large_grid() {
        let g = grid(200, 200, 5.0);
        let p = pts(&[(500.0, 500.0, 1.0), (480.0, 530.0, 2.0)]);
        let s = kde(&p, &g, Kernel::Quartic, 60.0).unwrap();
        let total: f64 = (0..g.n_cells()).map(|i| s.expected_in_cell(i)).sum();
        assert!((total - 3.0).abs() < 0.01, "{total}");
        assert_eq!(s.distinct_points, 2);
    }

    #[test]
    fn bad_bandwidths_and_auto_rule() {
        let g = grid(2, 2, 10.0);
        assert!(kde(&Points::default(), &g, Kernel::Quartic, 0.0).is_err());
        assert!(kde(&Points::default(), &g, Kernel::Quartic, f64::NAN).is_err());
        assert!(auto_bandwidth(&Points::default()).is_err());
        assert!(auto_bandwidth(&pts(&[(1.0, 1.0, 1.0), (1.0, 1.0, 1.0)])).is_err());
        // Four points on a square of side 200 around the origin: SD = Dm = 141.42; n = 4.
        let p = pts(&[(100.0, 100.0, 1.0), (-100.0, 100.0, 1.0), (100.0, -100.0, 1.0), (-100.0, -100.0, 1.0)]);
        let b = auto_bandwidth(&p).unwrap();
        let sd = 200f64.sqrt() * 10.0;
        assert!((b.standard_distance_m - sd).abs() < 1e-9);
        assert!((b.bandwidth_m - 0.9 * sd * 4f64.powf(-0.2)).abs() < 1e-9, "{}", b.bandwidth_m);
    }

    #[test]
    fn nan_points_are_ignored() {
        let g = grid(3, 3, 10.0);
        let p = pts(&[(f64::NAN, 5.0, 1.0), (15.0, 15.0, 1.0)]);
        let s = kde(&p, &g, Kernel::Quartic, 20.0).unwrap();
        assert!(s.density_per_km2.iter().all(|v| v.is_finite()));
        assert_eq!(s.distinct_points, 1);
    }

    /// The cost is of the distinct places the kernel is laid at: a million incidents at two map points are two
    /// stencils, a million at a million places are refused, naming the bandwidth.
    #[test]
    fn the_cost_counts_distinct_places() {
        let g = grid(1000, 1000, 10.0);
        let n = 1_000_000;
        let stacked = Points {
            x_m: (0..n).map(|i| if i % 2 == 0 { 2_000.0 } else { 7_000.0 }).collect(),
            y_m: vec![5_000.0; n],
            w: vec![1.0; n],
        };
        assert!(check_kde_cost(stacked.len(), &g, Kernel::Quartic, 1000.0).is_err());
        check_kde_cost_of(&stacked, &g, Kernel::Quartic, 1000.0).unwrap();
        let spread = Points {
            x_m: (0..n).map(|i| (i % 1000) as f64 * 10.0).collect(),
            y_m: (0..n).map(|i| (i / 1000) as f64 * 10.0).collect(),
            w: vec![1.0; n],
        };
        let e = check_kde_cost_of(&spread, &g, Kernel::Quartic, 1000.0).unwrap_err().to_string();
        assert!(e.starts_with("bandwidth_m=1000 would cost") && e.contains("1000000 points"), "{e}");
    }
}
