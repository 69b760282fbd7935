//! Grid layers in tiles: which cells of a grid may meet a tile, blocks of cells merged where cells are too small to
//! see, the best cell of a block, and block outlines converted to lon/lat once per corner.

use crate::geo::Projector;
use crate::grid::Grid;
use crate::tiles::{TileId, tile_bounds_lonlat};

/// From [`DETAIL_ZOOM`] on, grid cells smaller than this many tile units are merged into blocks, so a tile holds at
/// most (4096/32)^2 cells.
pub(crate) const MIN_CELL_PX: f64 = 32.0;

/// From this zoom on, blocks are merged only where cells are under [`MIN_CELL_PX`] tile units; below it, where a
/// tile spans a county or more, blocks are at least [`COARSE_BLOCK_PX`] units wide.
pub(crate) const DETAIL_ZOOM: u8 = 11;

/// The smallest block of cells, in tile units, drawn below [`DETAIL_ZOOM`]: a tile holds at most about
/// (4096 / 64)^2 = 4,100 blocks rather than 16,000 (a national month's 1 km cells, about 43 units at z8 over
/// England, were drawn one by one, some 9,000 a tile, and are now merged 2 x 2). 64 units are 4 screen pixels of a
/// 256-pixel tile. Every grid layer says what a block shows (density: its mean; Gi*: its cell of largest |z|;
/// change: its sums and most significant cell; emerging: its busiest classed cell).
pub(crate) const COARSE_BLOCK_PX: f64 = 64.0;

/// The smallest block of cells, in tile units, at zoom `z`.
pub(crate) fn min_block_px(z: u8) -> f64 {
    if z >= DETAIL_ZOOM { MIN_CELL_PX } else { COARSE_BLOCK_PX }
}

/// A tile's cells: rows `r0..r1`, columns `c0..c1`, in blocks of `block` x `block` cells.
pub type CellRange = (usize, usize, usize, usize, usize);

/// Grid cells (row, col ranges) that may intersect a tile, with a block size merging cells too small to see at
/// the tile's zoom ([`min_block_px`]).
pub fn cells_in_tile(grid: &Grid, projector: &Projector, t: TileId) -> Option<CellRange> {
    cells_in_tile_min_px(grid, projector, t, min_block_px(t.z))
}

/// As [`cells_in_tile`], with blocks at least `min_cell_px` tile units wide (the smallest number of whole cells
/// that is), so a tile holds at most about `(4096 / min_cell_px)^2` blocks.
pub fn cells_in_tile_min_px(grid: &Grid, projector: &Projector, t: TileId, min_cell_px: f64) -> Option<CellRange> {
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let mut xs = Vec::with_capacity(8);
    let mut ys = Vec::with_capacity(8);
    for (lon, lat) in
        [(w, s), (e, s), (w, n), (e, n), ((w + e) / 2.0, s), ((w + e) / 2.0, n), (w, (s + n) / 2.0), (e, (s + n) / 2.0)]
    {
        let (x, y) = projector.from_lonlat(lon, lat)?;
        xs.push(x);
        ys.push(y);
    }
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
    let (x0, x1) = (fold(&xs, f64::min, f64::INFINITY), fold(&xs, f64::max, f64::NEG_INFINITY));
    let (y0, y1) = (fold(&ys, f64::min, f64::INFINITY), fold(&ys, f64::max, f64::NEG_INFINITY));
    let tile_m = x1 - x0;
    let cell_px = grid.cell_m / tile_m * 4096.0;
    let block = if cell_px >= min_cell_px { 1 } else { (min_cell_px / cell_px).ceil() as usize };
    let pad = grid.cell_m * block as f64;
    let c0 = (((x0 - pad - grid.origin_x_m) / grid.cell_m).floor().max(0.0)) as usize;
    let r0 = (((y0 - pad - grid.origin_y_m) / grid.cell_m).floor().max(0.0)) as usize;
    let c1 = (((x1 + pad - grid.origin_x_m) / grid.cell_m).ceil().max(0.0) as usize).min(grid.cols);
    let r1 = (((y1 + pad - grid.origin_y_m) / grid.cell_m).ceil().max(0.0) as usize).min(grid.rows);
    if c0 >= c1 || r0 >= r1 {
        return None;
    }
    // Align blocks to the grid so neighbouring tiles agree.
    Some(((r0 / block) * block, r1, (c0 / block) * block, c1, block))
}

/// The first cell (row, column) of each block of a tile's range (from [`cells_in_tile`]), row by row.
pub fn block_starts(range: CellRange) -> impl Iterator<Item = (usize, usize)> {
    let (r0, r1, c0, c1, block) = range;
    (r0..r1).step_by(block).flat_map(move |r| (c0..c1).step_by(block).map(move |c| (r, c)))
}

/// The grid indices of the cells of the block starting at (`r`, `c`), row by row.
pub fn block_cells(grid: &Grid, r: usize, c: usize, block: usize) -> impl Iterator<Item = usize> + use<> {
    let (rows, cols) = (grid.rows, grid.cols);
    (r..(r + block).min(rows)).flat_map(move |rr| (c..(c + block).min(cols)).map(move |cc| rr * cols + cc))
}

/// The first cell for which no later cell is `better`: `better(i, b)` says whether cell `i` should replace the best
/// so far, `b`.
pub fn best_cell(cells: impl Iterator<Item = usize>, better: impl Fn(usize, usize) -> bool) -> Option<usize> {
    cells.fold(None, |best, i| match best {
        Some(b) if !better(i, b) => Some(b),
        _ => Some(i),
    })
}

/// Corners of the blocks of cells in a tile, converted to lon/lat once each and shared by the up to four blocks
/// that meet there (the inverse projection is most of a grid tile's cost).
pub struct Lattice<'a> {
    grid: &'a Grid,
    projector: &'a Projector,
    r0: usize,
    c0: usize,
    block: usize,
    width: usize,
    corners: Vec<Option<Option<[f64; 2]>>>,
}

impl<'a> Lattice<'a> {
    /// The lattice of block corners over rows `r0..r1` and columns `c0..c1`, `block` cells a side; corners projected on first use.
    pub fn new(grid: &'a Grid, projector: &'a Projector, (r0, r1, c0, c1, block): CellRange) -> Self {
        let width = (c1 - c0).div_ceil(block) + 1;
        let height = (r1 - r0).div_ceil(block) + 1;
        Lattice { grid, projector, r0, c0, block, width, corners: vec![None; width * height] }
    }

    fn corner(&mut self, lr: usize, lc: usize) -> Option<[f64; 2]> {
        let k = lr * self.width + lc;
        if let Some(v) = self.corners.get(k).copied().flatten() {
            return v;
        }
        let g = self.grid;
        let x = g.origin_x_m + (self.c0 + lc * self.block) as f64 * g.cell_m;
        let y = g.origin_y_m + (self.r0 + lr * self.block) as f64 * g.cell_m;
        let v = self.projector.to_lonlat(x, y).map(|(lon, lat)| [lon, lat]);
        if let Some(slot) = self.corners.get_mut(k) {
            *slot = Some(v);
        }
        v
    }

    /// The outline of the block starting at cell (r, c), counter-clockwise in lon/lat.
    pub fn ring(&mut self, r: usize, c: usize) -> Option<Vec<[f64; 2]>> {
        let (lr, lc) = ((r - self.r0) / self.block, (c - self.c0) / self.block);
        Some(vec![
            self.corner(lr, lc)?,
            self.corner(lr, lc + 1)?,
            self.corner(lr + 1, lc + 1)?,
            self.corner(lr + 1, lc)?,
        ])
    }
}
