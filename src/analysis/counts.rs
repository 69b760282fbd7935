//! Incidents (and weight) per grid cell.

use super::points::Points;
use crate::grid::Grid;
use serde::Serialize;

/// Counts and summed weights on a grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridCounts {
    /// The grid counted on.
    pub grid: Grid,
    /// Points per cell (row 0 south).
    pub count: Vec<u32>,
    /// Summed weight per cell (equal to `count` when every weight is 1).
    pub weight: Vec<f64>,
    /// Points outside the grid (or not finite), which no cell holds.
    pub outside: usize,
}

/// Count points per cell. Sequential: one pass over the points, so sums are in point order.
pub fn grid_counts(points: &Points, grid: &Grid) -> GridCounts {
    let mut count = vec![0u32; grid.n_cells()];
    let mut weight = vec![0.0f64; grid.n_cells()];
    let mut outside = 0;
    for k in 0..points.len() {
        match grid.cell_at(points.x_m[k], points.y_m[k]) {
            Some(i) => {
                count[i] = count[i].saturating_add(1);
                weight[i] += points.w[k];
            }
            None => outside += 1,
        }
    }
    GridCounts { grid: grid.clone(), count, weight, outside }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;

    #[test]
    fn counts_and_outside() {
        let g = Grid::new(0.0, 0.0, 10.0, 2, 2, &CrsDef::utm_for(0.0, 10.0)).unwrap();
        let p = Points {
            x_m: vec![1.0, 1.0, 15.0, 25.0, f64::NAN],
            y_m: vec![1.0, 1.0, 15.0, 5.0, 1.0],
            w: vec![1.0, 2.0, 0.5, 1.0, 1.0],
        };
        let c = grid_counts(&p, &g);
        assert_eq!(c.count, vec![2, 0, 0, 1]);
        assert_eq!(c.weight, vec![3.0, 0.0, 0.0, 0.5]);
        assert_eq!(c.outside, 2);
        assert_eq!(grid_counts(&Points::default(), &g).count, vec![0; 4]);
    }
}
