//! The analysis grid: square cells in a projected metric CRS, aligned to round coordinates.
//!
//! Row 0 is the **southernmost** row and column 0 the westernmost; cell `(row, col)` has index `row * cols + col`
//! and covers `[origin_x_m + col * cell_m, + cell_m) x [origin_y_m + row * cell_m, + cell_m)`. The origin is always
//! a multiple of the cell size, so two runs with the same cell size (over different windows or categories) share
//! cell boundaries and their cells can be compared one to one.
//!
//! **Automatic cell size** (when none is given): the shorter side of the data's extent divided by 250 (ArcGIS's
//! default for kernel density), rounded down to 1, 2, 2.5 or 5 times a power of ten, and at least 1 m. The rule
//! and its result are printed with every analysis.

use crate::geo::CrsDef;
use serde::Serialize;

/// The most cells a grid may have (keeps a mistaken `--cell-m 0.01` from exhausting memory).
pub const MAX_CELLS: usize = 50_000_000;

/// Errors building a grid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// The cell size, metres, is zero, negative or not finite.
    #[error("cell size {0} m is not a positive finite number")]
    BadCellSize(f64),
    /// The extent has a non-finite coordinate (the text shows it).
    #[error("the extent is not finite: {0}")]
    BadExtent(String),
    #[error(
        "a {cols} x {rows} grid ({cells} cells) at {cell_m} m is larger than the limit of {max} cells: use a larger \
         --cell-m or a smaller area"
    )]
    /// The grid would have more than [`MAX_CELLS`] cells.
    TooLarge {
        /// Columns the grid would have.
        cols: usize,
        /// Rows the grid would have.
        rows: usize,
        /// `cols x rows`.
        cells: usize,
        /// The cell size asked for, metres.
        cell_m: f64,
        /// The limit, [`MAX_CELLS`].
        max: usize,
    },
}

/// A regular grid of square cells.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    /// West edge of column 0, metres in `crs`.
    pub origin_x_m: f64,
    /// South edge of row 0, metres in `crs`.
    pub origin_y_m: f64,
    /// Side of each square cell, metres.
    pub cell_m: f64,
    /// Number of rows (south to north, row 0 at `origin_y_m`).
    pub rows: usize,
    /// Number of columns (west to east, column 0 at `origin_x_m`).
    pub cols: usize,
    /// The metric CRS of the grid's coordinates.
    pub crs: CrsDef,
}

/// A rectangle in projected metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoxM {
    /// West edge, metres.
    pub min_x_m: f64,
    /// South edge, metres.
    pub min_y_m: f64,
    /// East edge, metres.
    pub max_x_m: f64,
    /// North edge, metres.
    pub max_y_m: f64,
}

impl BoxM {
    /// The bounding box of points, or `None` when there are none (or none finite).
    pub fn of_points(xs: &[f64], ys: &[f64]) -> Option<BoxM> {
        let mut b = BoxM {
            min_x_m: f64::INFINITY,
            min_y_m: f64::INFINITY,
            max_x_m: f64::NEG_INFINITY,
            max_y_m: f64::NEG_INFINITY,
        };
        for (&x, &y) in xs.iter().zip(ys) {
            if x.is_finite() && y.is_finite() {
                b.min_x_m = b.min_x_m.min(x);
                b.min_y_m = b.min_y_m.min(y);
                b.max_x_m = b.max_x_m.max(x);
                b.max_y_m = b.max_y_m.max(y);
            }
        }
        b.min_x_m.is_finite().then_some(b)
    }

    /// East-west extent, metres (`max_x_m - min_x_m`).
    pub fn width_m(&self) -> f64 {
        self.max_x_m - self.min_x_m
    }
    /// North-south extent, metres (`max_y_m - min_y_m`).
    pub fn height_m(&self) -> f64 {
        self.max_y_m - self.min_y_m
    }
}

/// `x` rounded down to 1, 2, 2.5 or 5 times a power of ten.
pub fn round_down_nice(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    let m = x / p;
    let nice = if m >= 5.0 {
        5.0
    } else if m >= 2.5 {
        2.5
    } else if m >= 2.0 {
        2.0
    } else {
        1.0
    };
    nice * p
}

/// The automatic cell size for an extent: the shorter side / 250, rounded down to a nice number, at least 1 m.
pub fn auto_cell_m(extent: &BoxM) -> f64 {
    let side = extent.width_m().min(extent.height_m());
    let side = if side > 0.0 { side } else { extent.width_m().max(extent.height_m()) };
    round_down_nice(side / 250.0).max(1.0)
}

/// The rule behind [`auto_cell_m`], for printing with results.
pub const AUTO_CELL_RULE: &str = "shorter side of the data's extent / 250, rounded down to 1, 2, 2.5 or 5 x 10^k m";

impl Grid {
    /// The aligned grid covering `extent` grown by `margin_m` on every side, with cells of `cell_m`.
    pub fn covering(extent: &BoxM, margin_m: f64, cell_m: f64, crs: &CrsDef) -> Result<Grid, GridError> {
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(GridError::BadCellSize(cell_m));
        }
        let margin = if margin_m.is_finite() { margin_m.max(0.0) } else { 0.0 };
        let (x0, y0) = (extent.min_x_m - margin, extent.min_y_m - margin);
        let (x1, y1) = (extent.max_x_m + margin, extent.max_y_m + margin);
        if ![x0, y0, x1, y1].iter().all(|v| v.is_finite()) {
            return Err(GridError::BadExtent(format!("{extent:?}")));
        }
        let origin_x_m = (x0 / cell_m).floor() * cell_m;
        let origin_y_m = (y0 / cell_m).floor() * cell_m;
        // At least one cell; the far edge rounds up so the extent is covered. Counted in floating point first: a
        // tiny cell (1e-300 m) must be "too many cells", not a count that wraps round to one.
        let (cols_f, rows_f) = (((x1 - origin_x_m) / cell_m).floor() + 1.0, ((y1 - origin_y_m) / cell_m).floor() + 1.0);
        let cells_f = cols_f * rows_f;
        let fits =
            origin_x_m.is_finite() && origin_y_m.is_finite() && cells_f.is_finite() && cells_f <= MAX_CELLS as f64;
        if !fits {
            let count = |v: f64| if v.is_finite() && v < usize::MAX as f64 { v as usize } else { usize::MAX };
            let (cols, rows) = (count(cols_f), count(rows_f));
            return Err(GridError::TooLarge { cols, rows, cells: cols.saturating_mul(rows), cell_m, max: MAX_CELLS });
        }
        let (cols, rows) = ((cols_f as usize).max(1), (rows_f as usize).max(1));
        Grid::new(origin_x_m, origin_y_m, cell_m, rows, cols, crs)
    }

    /// A grid with explicit origin and size.
    pub fn new(
        origin_x_m: f64,
        origin_y_m: f64,
        cell_m: f64,
        rows: usize,
        cols: usize,
        crs: &CrsDef,
    ) -> Result<Grid, GridError> {
        if !(cell_m.is_finite() && cell_m > 0.0) {
            return Err(GridError::BadCellSize(cell_m));
        }
        if !(origin_x_m.is_finite() && origin_y_m.is_finite()) {
            return Err(GridError::BadExtent(format!("origin {origin_x_m}, {origin_y_m}")));
        }
        let cells = rows.saturating_mul(cols);
        if cells > MAX_CELLS || rows == 0 || cols == 0 {
            return Err(GridError::TooLarge { cols, rows, cells, cell_m, max: MAX_CELLS });
        }
        Ok(Grid { origin_x_m, origin_y_m, cell_m, rows, cols, crs: crs.clone() })
    }

    /// Number of cells, `rows * cols`.
    pub fn n_cells(&self) -> usize {
        self.rows * self.cols
    }

    /// Area of one cell, m^2.
    pub fn cell_area_m2(&self) -> f64 {
        self.cell_m * self.cell_m
    }

    /// Total area of the grid, m^2.
    pub fn area_m2(&self) -> f64 {
        self.cell_area_m2() * self.n_cells() as f64
    }

    /// Centre of column `col`, metres.
    pub fn col_centre_x(&self, col: usize) -> f64 {
        self.origin_x_m + (col as f64 + 0.5) * self.cell_m
    }

    /// Centre of row `row`, metres.
    pub fn row_centre_y(&self, row: usize) -> f64 {
        self.origin_y_m + (row as f64 + 0.5) * self.cell_m
    }

    /// Centre of cell `index` (row-major from the south-west), metres.
    pub fn centre(&self, index: usize) -> (f64, f64) {
        (self.col_centre_x(index % self.cols), self.row_centre_y(index / self.cols))
    }

    /// The cell containing a point (west and south edges inclusive), or `None` outside the grid.
    pub fn cell_at(&self, x_m: f64, y_m: f64) -> Option<usize> {
        let c = ((x_m - self.origin_x_m) / self.cell_m).floor();
        let r = ((y_m - self.origin_y_m) / self.cell_m).floor();
        if c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows {
            Some(r as usize * self.cols + c as usize)
        } else {
            None
        }
    }

    /// The cells sharing a side with cell `index` (north, south, west, east; fewer at the grid's edge).
    pub fn side_neighbours(&self, index: usize) -> impl Iterator<Item = usize> + use<> {
        let (r, c, cols) = (index / self.cols, index % self.cols, self.cols);
        let north = (r > 0).then(|| index - cols);
        let south = (r + 1 < self.rows).then(|| index + cols);
        let west = (c > 0).then(|| index - 1);
        let east = (c + 1 < cols).then(|| index + 1);
        [north, south, west, east].into_iter().flatten()
    }

    /// The grid's rectangle.
    pub fn bounds(&self) -> BoxM {
        BoxM {
            min_x_m: self.origin_x_m,
            min_y_m: self.origin_y_m,
            max_x_m: self.origin_x_m + self.cols as f64 * self.cell_m,
            max_y_m: self.origin_y_m + self.rows as f64 * self.cell_m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_cell_is_too_many_cells_not_one() {
        let b = BoxM { min_x_m: 0.0, min_y_m: 0.0, max_x_m: 1000.0, max_y_m: 1000.0 };
        let crs = CrsDef::utm_for(0.0, 50.0);
        for cell_m in [1e-300, 1e-3, 0.01] {
            assert!(matches!(Grid::covering(&b, 0.0, cell_m, &crs), Err(GridError::TooLarge { .. })), "{cell_m}");
        }
        assert!(matches!(Grid::covering(&b, 1e300, 1.0, &crs), Err(GridError::TooLarge { .. })));
        assert_eq!(Grid::covering(&b, 0.0, 100.0, &crs).unwrap().n_cells(), 121);
    }

    fn utm() -> CrsDef {
        CrsDef::utm_for(-2.0, 50.7)
    }

    #[test]
    fn nice_rounding() {
        assert_eq!(round_down_nice(73.0), 50.0);
        assert_eq!(round_down_nice(30.0), 25.0);
        assert_eq!(round_down_nice(21.0), 20.0);
        assert_eq!(round_down_nice(1.7), 1.0);
        assert_eq!(round_down_nice(0.3), 0.25);
        assert_eq!(round_down_nice(f64::NAN), 1.0);
    }

    #[test]
    fn grids_are_aligned_and_cover_the_extent() {
        let e = BoxM { min_x_m: 1234.5, min_y_m: -77.0, max_x_m: 5678.9, max_y_m: 3000.0 };
        let g = Grid::covering(&e, 400.0, 50.0, &utm()).unwrap();
        assert_eq!(g.origin_x_m, 800.0);
        assert_eq!(g.origin_y_m, -500.0);
        let b = g.bounds();
        assert!(b.max_x_m >= 5678.9 + 400.0 && b.max_y_m >= 3400.0);
        // A different window with the same cell size shares boundaries.
        let g2 = Grid::covering(&BoxM { min_x_m: 2000.0, ..e }, 0.0, 50.0, &utm()).unwrap();
        assert_eq!((g2.origin_x_m / 50.0).fract(), 0.0);
        assert_eq!(auto_cell_m(&e), 10.0);
    }

    #[test]
    fn cell_lookup_edges() {
        let g = Grid::new(0.0, 0.0, 10.0, 2, 3, &utm()).unwrap();
        assert_eq!(g.cell_at(0.0, 0.0), Some(0));
        assert_eq!(g.cell_at(29.999, 19.999), Some(5));
        assert_eq!(g.cell_at(30.0, 5.0), None);
        assert_eq!(g.cell_at(-0.001, 5.0), None);
        assert_eq!(g.cell_at(f64::NAN, 5.0), None);
        assert_eq!(g.centre(4), (15.0, 15.0));
    }

    #[test]
    fn side_neighbours_match_a_distance_check() {
        let g = Grid::new(0.0, 0.0, 10.0, 3, 4, &utm()).unwrap();
        for i in 0..g.n_cells() {
            let (x, y) = g.centre(i);
            let mut brute: Vec<usize> = (0..g.n_cells())
                .filter(|&j| {
                    let (xj, yj) = g.centre(j);
                    ((x - xj).abs() + (y - yj).abs() - 10.0).abs() < 1e-9
                })
                .collect();
            let mut got: Vec<usize> = g.side_neighbours(i).collect();
            brute.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, brute, "cell {i}");
        }
    }

    #[test]
    fn refuses_bad_and_huge_grids() {
        assert!(matches!(Grid::new(0.0, 0.0, 0.0, 1, 1, &utm()), Err(GridError::BadCellSize(_))));
        assert!(matches!(Grid::new(0.0, 0.0, 1.0, 100_000, 100_000, &utm()), Err(GridError::TooLarge { .. })));
        let e = BoxM { min_x_m: 0.0, min_y_m: 0.0, max_x_m: 1e9, max_y_m: 1e9 };
        let err = Grid::covering(&e, 0.0, 1.0, &utm()).unwrap_err();
        assert!(err.to_string().contains("--cell-m"));
        // A single point still gets a grid.
        let p = BoxM { min_x_m: 5.0, min_y_m: 5.0, max_x_m: 5.0, max_y_m: 5.0 };
        assert_eq!(Grid::covering(&p, 0.0, 10.0, &utm()).unwrap().n_cells(), 1);
    }
}
