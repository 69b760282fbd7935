//! Outlines of groups of grid cells: the union of a set of cells traced into polygons with holes.
//!
//! Every cell side whose neighbour across it is not in the set is a boundary edge, directed so the set lies on its
//! left (y up). Linked end to start, the edges close into rings: exterior rings run counter-clockwise and holes
//! clockwise, as RFC 7946 GeoJSON wants. Where two cells of the set touch only at a corner the tracing turns left,
//! so the rings touch at that point instead of crossing. Collinear vertices are removed.

use crate::grid::Grid;
use geo::{Area, Contains};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rustc_hash::{FxHashMap, FxHashSet};

/// Vertex of the grid's corner lattice: (column edge 0..=cols, row edge 0..=rows).
type Corner = (i64, i64);

/// Trace the union of `cells` (grid indices) into polygons in grid metres.
pub fn trace_cells(grid: &Grid, cells: &[usize]) -> MultiPolygon<f64> {
    let set: FxHashSet<usize> = cells.iter().copied().collect();
    let cols = grid.cols as i64;
    let inside = |r: i64, c: i64| {
        r >= 0 && c >= 0 && c < cols && (r as usize) < grid.rows && set.contains(&((r * cols + c) as usize))
    };
    // Outgoing boundary edges by start corner, in a fixed order.
    let mut out: FxHashMap<Corner, Vec<Corner>> = FxHashMap::default();
    let mut sorted: Vec<usize> = set.iter().copied().collect();
    sorted.sort_unstable();
    for &i in &sorted {
        let (r, c) = ((i as i64) / cols, (i as i64) % cols);
        if !inside(r - 1, c) {
            out.entry((c, r)).or_default().push((c + 1, r));
        }
        if !inside(r, c + 1) {
            out.entry((c + 1, r)).or_default().push((c + 1, r + 1));
        }
        if !inside(r + 1, c) {
            out.entry((c + 1, r + 1)).or_default().push((c, r + 1));
        }
        if !inside(r, c - 1) {
            out.entry((c, r + 1)).or_default().push((c, r));
        }
    }
    let mut starts: Vec<Corner> = out.keys().copied().collect();
    starts.sort_unstable();
    let mut rings: Vec<Vec<Corner>> = Vec::new();
    for s in starts {
        while let Some(first) = out.get_mut(&s).and_then(Vec::pop) {
            let mut ring = vec![s];
            let (mut prev, mut cur) = (s, first);
            while cur != s {
                ring.push(cur);
                let next = match out.get_mut(&cur) {
                    Some(cands) if cands.len() > 1 => {
                        // A pinch point: take the leftmost turn.
                        let heading = (cur.0 - prev.0, cur.1 - prev.1);
                        let left = (-heading.1, heading.0);
                        let k = cands.iter().position(|n| (n.0 - cur.0, n.1 - cur.1) == left).unwrap_or(0);
                        Some(cands.swap_remove(k))
                    }
                    Some(cands) => cands.pop(),
                    None => None,
                };
                match next {
                    Some(n) => {
                        prev = cur;
                        cur = n;
                    }
                    None => break,
                }
            }
            rings.push(simplify(ring));
        }
    }
    assemble(grid, rings)
}

/// Drop vertices in the middle of straight runs.
fn simplify(ring: Vec<Corner>) -> Vec<Corner> {
    let n = ring.len();
    if n < 4 {
        return ring;
    }
    (0..n)
        .filter(|&i| {
            let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0) != 0
        })
        .map(|i| ring[i])
        .collect()
}

/// Rings in metres: counter-clockwise ones are exteriors, clockwise ones holes of the exterior containing them.
fn assemble(grid: &Grid, rings: Vec<Vec<Corner>>) -> MultiPolygon<f64> {
    let to_line = |ring: &[Corner]| {
        let mut pts: Vec<Coord<f64>> = ring
            .iter()
            .map(|&(c, r)| Coord {
                x: grid.origin_x_m + c as f64 * grid.cell_m,
                y: grid.origin_y_m + r as f64 * grid.cell_m,
            })
            .collect();
        if let Some(&f) = pts.first() {
            pts.push(f);
        }
        LineString::new(pts)
    };
    let mut exteriors: Vec<(LineString<f64>, Vec<LineString<f64>>)> = Vec::new();
    let mut holes = Vec::new();
    for ring in &rings {
        let line = to_line(ring);
        if Polygon::new(line.clone(), vec![]).signed_area() > 0.0 {
            exteriors.push((line, Vec::new()));
        } else {
            holes.push(line);
        }
    }
    for hole in holes {
        // The midpoint of the hole's first edge lies on no other ring (edges are never shared).
        let probe = match (hole.0.first(), hole.0.get(1)) {
            (Some(a), Some(b)) => Coord { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 },
            _ => continue,
        };
        if let Some((_, hs)) =
            exteriors.iter_mut().find(|(ext, _)| Polygon::new(ext.clone(), vec![]).contains(&geo_types::Point(probe)))
        {
            hs.push(hole);
        }
    }
    MultiPolygon::new(exteriors.into_iter().map(|(e, h)| Polygon::new(e, h)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;

    fn grid() -> Grid {
        Grid::new(0.0, 0.0, 10.0, 5, 5, &CrsDef::utm_for(0.0, 10.0)).unwrap()
    }

    #[test]
    fn one_cell_is_a_ccw_square() {
        let mp = trace_cells(&grid(), &[6]);
        assert_eq!(mp.0.len(), 1);
        let ext = &mp.0[0].exterior().0;
        assert_eq!(ext.len(), 5);
        assert!(mp.unsigned_area() == 100.0 && mp.0[0].signed_area() > 0.0);
    }

    #[test]
    fn a_ring_of_cells_has_a_hole() {
        // 3x3 block around the centre cell 12, without the centre.
        let cells = [6, 7, 8, 11, 13, 16, 17, 18];
        let mp = trace_cells(&grid(), &cells);
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.0[0].interiors().len(), 1);
        assert_eq!(mp.unsigned_area(), 800.0);
        assert_eq!(mp.0[0].exterior().0.len(), 5, "collinear vertices removed");
    }

    #[test]
    fn diagonal_touch_gives_two_squares() {
        let mp = trace_cells(&grid(), &[0, 6]);
        assert_eq!(mp.0.len(), 2);
        assert_eq!(mp.unsigned_area(), 200.0);
        assert!(trace_cells(&grid(), &[]).0.is_empty());
    }

    #[test]
    fn l_shape_area_and_orientation() {
        let mp = trace_cells(&grid(), &[0, 1, 2, 5]);
        assert_eq!(mp.0.len(), 1);
        assert_eq!(mp.unsigned_area(), 400.0);
        assert_eq!(mp.0[0].exterior().0.len(), 7);
    }
}
