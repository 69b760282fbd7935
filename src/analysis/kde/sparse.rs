//! The kernel density of some cells only: those it reaches ([`kde_sparse`], for the backtest's many fits), or those
//! asked for ([`kde_at_cells`], a predicted place's peak without a county's whole surface).

use super::{KdeError, Kernel, RowKernel, merged_within_cost};
use crate::analysis::points::Points;
use crate::grid::Grid;
use rayon::prelude::*;

/// [`kde`] as `(cell, density per km2)` for the cells with a positive density only, cells ascending: the same values
/// bit for bit, without a value for every cell of a large grid (the backtest scores hundreds of fits on a county's 50 m
/// cells, most of them far from any incident).
pub(crate) fn kde_sparse(
    points: &Points,
    grid: &Grid,
    kernel: Kernel,
    bandwidth_m: f64,
) -> Result<Vec<(u32, f64)>, KdeError> {
    let each = |acc: &mut Vec<(u32, f64)>, _row: usize, cells: &[(u32, f64)]| acc.extend_from_slice(cells);
    let join = |mut a: Vec<(u32, f64)>, mut b: Vec<(u32, f64)>| {
        a.append(&mut b);
        a
    };
    kde_rows_fold(points, grid, kernel, bandwidth_m, Vec::new, each, join)
}

/// A row's kernel sums and which 64-column blocks of it its points reached, kept by each thread between rows.
struct RowScratch {
    buf: Vec<f64>,
    reached: Vec<u64>,
    cells: Vec<(u32, f64)>,
}

/// The density's positive cells row by row, folded: `each(acc, row, cells)` is given every row of the grid, in
/// ascending order within an accumulator, with its cells of positive density as `(cell, density per km2)`, cells
/// ascending (the values of [`kde`], bit for bit; empty for a row nobody reaches); rows are folded in parallel into
/// accumulators made by `identity` and joined by `join(a, b)`, `a`'s rows before `b`'s. Nothing the size of the grid
/// is made: a row is read back only in the 64-column blocks its points reached.
pub(crate) fn kde_rows_fold<A: Send>(
    points: &Points,
    grid: &Grid,
    kernel: Kernel,
    bandwidth_m: f64,
    identity: impl Fn() -> A + Sync + Send,
    each: impl Fn(&mut A, usize, &[(u32, f64)]) + Sync + Send,
    join: impl Fn(A, A) -> A + Sync + Send,
) -> Result<A, KdeError> {
    const BLOCK: usize = 64;
    let merged = merged_within_cost(points, grid, kernel, bandwidth_m)?;
    let rows = RowKernel::new(&merged, grid, kernel, bandwidth_m);
    let cols = grid.cols;
    let scratch = || RowScratch {
        buf: vec![0.0f64; cols],
        reached: vec![0u64; cols.div_ceil(BLOCK).div_ceil(64)],
        cells: Vec::new(),
    };
    let fold = |(mut s, mut acc): (RowScratch, A), row: usize| {
        let RowScratch { buf, reached, cells } = &mut s;
        rows.add_spans(row, buf, |c0, c1| {
            for b in c0 / BLOCK..=c1 / BLOCK {
                reached[b / 64] |= 1 << (b % 64);
            }
        });
        cells.clear();
        for (w, word) in reached.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                let start = (w * 64 + bits.trailing_zeros() as usize) * BLOCK;
                bits &= bits - 1;
                for (c, v) in buf.iter_mut().enumerate().take((start + BLOCK).min(cols)).skip(start) {
                    let density = *v * rows.scale;
                    *v = 0.0;
                    if density > 0.0 {
                        cells.push(((row * cols + c) as u32, density));
                    }
                }
            }
        }
        each(&mut acc, row, cells);
        (s, acc)
    };
    // Runs of rows, not single rows, per accumulator: each is made, filled and joined once.
    let rows_per_task = grid.rows.div_ceil(4 * rayon::current_num_threads()).max(1);
    Ok((0..grid.rows)
        .into_par_iter()
        .with_min_len(rows_per_task)
        .fold(|| (scratch(), identity()), fold)
        .map(|(_, acc)| acc)
        .reduce(&identity, &join))
}

/// The density per km2 of `points` at `cells` of `grid` (cell indices, ascending), one value each in that order: what
/// [`kde`] gives those cells, bit for bit, at a cost in proportion to the cells asked for (their rows' points), not the
/// grid. Coincident points are merged as [`kde`] merges them; an error for a bandwidth that is not positive. (An
/// index beyond the grid is read as a cell of the rows beyond its top edge.)
pub fn kde_at_cells(
    points: &Points,
    grid: &Grid,
    kernel: Kernel,
    bandwidth_m: f64,
    cells: &[u32],
) -> Result<Vec<f64>, KdeError> {
    if !(bandwidth_m.is_finite() && bandwidth_m > 0.0) {
        return Err(KdeError::BadBandwidth(bandwidth_m));
    }
    let merged = points.merged();
    let rows = RowKernel::new(&merged, grid, kernel, bandwidth_m);
    let cols = grid.cols;
    // The cells by row: runs of `cells` in one row, each run one task.
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, &cell) in cells.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if cells[run.start] as usize / cols == cell as usize / cols => run.end = k + 1,
            _ => runs.push(k..k + 1),
        }
    }
    let per_run: Vec<Vec<f64>> = runs
        .par_iter()
        .map(|run| {
            let row = cells[run.start] as usize / cols;
            let at: Vec<usize> = cells[run.clone()].iter().map(|&c| c as usize % cols).collect();
            let mut out = vec![0.0f64; at.len()];
            rows.add_at(row, &at, &mut out);
            for v in &mut out {
                *v *= rows.scale;
            }
            out
        })
        .collect();
    Ok(per_run.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::kde::kde;
    use crate::geo::CrsDef;
    use proptest::prelude::*;

    /// A 700 x 1000 m grid of `cell_m` cells and the weighted points `(x, y, w)`.
    fn grid_and_points(cell_m: f64, pts: &[(f64, f64, f64)]) -> (Grid, Points) {
        let g = Grid::new(
            0.0,
            0.0,
            cell_m,
            (700.0 / cell_m) as usize,
            (1000.0 / cell_m) as usize,
            &CrsDef::utm_for(-2.0, 50.7),
        )
        .unwrap();
        let points = Points {
            x_m: pts.iter().map(|p| p.0).collect(),
            y_m: pts.iter().map(|p| p.1).collect(),
            w: pts.iter().map(|p| p.2).collect(),
        };
        (g, points)
    }

    proptest! {
        /// The sparse cells are exactly the positive cells of the dense surface, with the same bits.
        #[test]
        fn sparse_is_the_dense_surface_positive_cells(
            pts in proptest::collection::vec((-200.0f64..1200.0, -200.0f64..900.0, 0.0f64..3.0), 0..60),
            bandwidth_m in 5.0f64..400.0,
            cell_m in prop_oneof![Just(10.0f64), Just(25.0), Just(50.0)],
            epanechnikov in any::<bool>(),
        ) {
            let (g, points) = grid_and_points(cell_m, &pts);
            let kernel = if epanechnikov { Kernel::Epanechnikov } else { Kernel::Quartic };
            let dense = kde(&points, &g, kernel, bandwidth_m).unwrap().density_per_km2;
            let want: Vec<(u32, u64)> =
                dense.iter().enumerate().filter(|&(_, &v)| v > 0.0).map(|(i, &v)| (i as u32, v.to_bits())).collect();
            let got: Vec<(u32, u64)> = kde_sparse(&points, &g, kernel, bandwidth_m)
                .unwrap()
                .into_iter()
                .map(|(c, v)| (c, v.to_bits()))
                .collect();
            prop_assert_eq!(got, want);
        }

        /// The density at chosen cells is the whole surface's at those cells, bit for bit, whatever cells are asked:
        /// a few in a row, or whole rows (more than `FEW_COLUMNS`, found another way).
        #[test]
        fn the_density_at_some_cells_is_the_surface_there(
            pts in proptest::collection::vec((-200.0f64..1200.0, -200.0f64..900.0, 0.0f64..3.0), 0..60),
            bandwidth_m in 5.0f64..400.0,
            cell_m in prop_oneof![Just(10.0f64), Just(25.0), Just(50.0)],
            kernel in prop_oneof![Just(Kernel::Quartic), Just(Kernel::Epanechnikov), Just(Kernel::Gaussian)],
            picks in proptest::collection::btree_set(0usize..7000, 0..200),
            whole_rows in proptest::bool::ANY,
        ) {
            let (g, points) = grid_and_points(cell_m, &pts);
            let cells: Vec<u32> = match whole_rows {
                false => picks.into_iter().filter(|&c| c < g.n_cells()).map(|c| c as u32).collect(),
                true => (0..g.n_cells() as u32).filter(|&c| picks.contains(&(c as usize / g.cols))).collect(),
            };
            let dense = kde(&points, &g, kernel, bandwidth_m).unwrap().density_per_km2;
            let want: Vec<u64> = cells.iter().map(|&c| dense[c as usize].to_bits()).collect();
            let got: Vec<u64> =
                kde_at_cells(&points, &g, kernel, bandwidth_m, &cells).unwrap().into_iter().map(f64::to_bits).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_bandwidth_that_is_not_positive_is_refused_at_cells_too() {
        let g = Grid::new(0.0, 0.0, 10.0, 4, 4, &CrsDef::utm_for(-2.0, 50.7)).unwrap();
        let p = Points { x_m: vec![5.0], y_m: vec![5.0], w: vec![1.0] };
        assert!(matches!(kde_at_cells(&p, &g, Kernel::Quartic, 0.0, &[0]), Err(KdeError::BadBandwidth(_))));
        assert_eq!(kde_at_cells(&p, &g, Kernel::Quartic, 30.0, &[]).unwrap(), Vec::<f64>::new());
    }
}
