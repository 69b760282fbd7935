//! The kernel density of the cells it reaches only ([`kde_sparse`]), for the backtest's many fits.

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
    let merged = merged_within_cost(points, grid, kernel, bandwidth_m)?;
    let rows = RowKernel::new(&merged, grid, kernel, bandwidth_m);
    let cols = grid.cols;
    let per_row: Vec<Vec<(u32, f64)>> = (0..grid.rows)
        .into_par_iter()
        .map_init(
            || vec![0.0f64; cols],
            |buf, row| {
                let Some((c0, c1)) = rows.add(row, buf) else { return Vec::new() };
                let mut out = Vec::new();
                for (c, v) in buf.iter_mut().enumerate().take(c1 + 1).skip(c0) {
                    let density = *v * rows.scale;
                    *v = 0.0;
                    if density > 0.0 {
                        out.push(((row * cols + c) as u32, density));
                    }
                }
                out
            },
        )
        .collect();
    Ok(per_row.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::kde::kde;
    use crate::geo::CrsDef;
    use proptest::prelude::*;

    proptest! {
        /// The sparse cells are exactly the positive cells of the dense surface, with the same bits.
        #[test]
        fn sparse_is_the_dense_surface_positive_cells(
            pts in proptest::collection::vec((-200.0f64..1200.0, -200.0f64..900.0, 0.0f64..3.0), 0..60),
            bandwidth_m in 5.0f64..400.0,
            cell_m in prop_oneof![Just(10.0f64), Just(25.0), Just(50.0)],
            epanechnikov in any::<bool>(),
        ) {
            let g = Grid::new(0.0, 0.0, cell_m, (700.0 / cell_m) as usize, (1000.0 / cell_m) as usize,
                &CrsDef::utm_for(-2.0, 50.7)).unwrap();
            let points = Points {
                x_m: pts.iter().map(|p| p.0).collect(),
                y_m: pts.iter().map(|p| p.1).collect(),
                w: pts.iter().map(|p| p.2).collect(),
            };
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
    }
}
