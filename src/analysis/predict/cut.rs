//! The study area and the equal-area cut, shared by `backtest` and `accuracy` so both measure the same thing.
//!
//! **Study area** ([`STUDY_AREA_RULE`]): the grid cells lying entirely inside the convex hull of every incident
//! analysed, that is every window fitted on and tested on together (for `backtest`, every fold's lookback and test
//! period; for `accuracy`, the train and test windows), leaving out strays. It is fixed for all methods and
//! coverages of one run, and every coverage is a share of it.
//!
//! **Strays** are incidents far from the rest (police.uk lists crimes a force dealt with elsewhere: the shared
//! Dorset months hold one in Peterborough, one near Exeter, one near Bristol and one in the Cotswolds; a single one
//! stretched the hull from about 2,900 to 18,800 km2). The incidents of every category in the same windows are
//! binned into 5 km squares; squares that share an edge or a corner join into groups; groups holding less than 1%
//! of those incidents are strays, kept out of the hull (they still count in every total, uncaught) and reported.
//!
//! **Equal-area cut**: at a coverage of `c`% the places are the `floor(c / 100 x study cells)` study cells with the
//! highest positive scores, so no method ever gets more area than the coverage; ties in score are broken by cell
//! index (rows from the south, then columns from the west), never by taking both. A method with fewer positive
//! cells than that takes only those, and its area share says so.

use crate::analysis::points::Points;
use crate::grid::Grid;

/// The study-area rule, as printed with results.
pub const STUDY_AREA_RULE: &str = "the grid cells entirely inside the convex hull of every incident analysed (all \
                                   windows fitted on and tested on), strays far from the rest left out";

/// Side of the squares strays are found with, metres.
pub const STRAY_SQUARE_M: f64 = 5_000.0;
/// Groups of squares holding less than this share of the incidents are strays.
pub const STRAY_SHARE: f64 = 0.01;

/// Incidents far from the rest (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Strays {
    /// Per incident given: kept (not a stray).
    pub keep: Vec<bool>,
    /// Strays among the incidents given.
    pub incidents: usize,
    /// The stray groups' centres (metres) and incidents, largest first.
    pub groups: Vec<(f64, f64, usize)>,
}

impl Strays {
    /// The strays among the incidents at `xs`, `ys`, judged against every incident at `ref_xs`, `ref_ys` (the same
    /// windows, every category; `xs`, `ys` are counted with them).
    pub fn find(xs: &[f64], ys: &[f64], ref_xs: &[f64], ref_ys: &[f64]) -> Strays {
        use rustc_hash::FxHashMap;
        let key = |x: f64, y: f64| ((x / STRAY_SQUARE_M).floor() as i64, (y / STRAY_SQUARE_M).floor() as i64);
        // Squares in first-seen order with their incidents; union-find over squares.
        let mut index: FxHashMap<(i64, i64), usize> = FxHashMap::default();
        let mut squares: Vec<((i64, i64), usize)> = Vec::new();
        for (&x, &y) in ref_xs.iter().zip(ref_ys).chain(xs.iter().zip(ys)) {
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            let k = key(x, y);
            let n = squares.len();
            let i = *index.entry(k).or_insert(n);
            if i == n {
                squares.push((k, 0));
            }
            squares[i].1 += 1;
        }
        let mut parent: Vec<usize> = (0..squares.len()).collect();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for (i, &((kx, ky), _)) in squares.iter().enumerate() {
            for (dx, dy) in [(1, -1), (1, 0), (1, 1), (0, 1)] {
                if let Some(&j) = index.get(&(kx + dx, ky + dy)) {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
            }
        }
        let mut group_size = vec![0usize; squares.len()];
        for (i, &(_, n)) in squares.iter().enumerate() {
            let r = find(&mut parent, i);
            group_size[r] += n;
        }
        let total: usize = group_size.iter().sum();
        let largest = group_size.iter().copied().max().unwrap_or(0);
        let mut keep = Vec::with_capacity(xs.len());
        let mut strays: Vec<(usize, f64, f64, usize)> = Vec::new(); // (root, sum x, sum y, count)
        for (&x, &y) in xs.iter().zip(ys) {
            let Some(&i) = index.get(&key(x, y)) else {
                keep.push(false);
                continue;
            };
            let r = find(&mut parent, i);
            let stray = group_size[r] < largest && (group_size[r] as f64) < STRAY_SHARE * total as f64;
            keep.push(!stray);
            if stray {
                match strays.iter_mut().find(|s| s.0 == r) {
                    Some(s) => {
                        s.1 += x;
                        s.2 += y;
                        s.3 += 1;
                    }
                    None => strays.push((r, x, y, 1)),
                }
            }
        }
        let mut groups: Vec<(f64, f64, usize)> =
            strays.iter().map(|&(_, sx, sy, n)| (sx / n as f64, sy / n as f64, n)).collect();
        groups.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.total_cmp(&b.0)).then(a.1.total_cmp(&b.1)));
        Strays { keep, incidents: groups.iter().map(|g| g.2).sum(), groups }
    }

    /// The kept incidents' coordinates.
    pub fn kept(&self, xs: &[f64], ys: &[f64]) -> (Vec<f64>, Vec<f64>) {
        xs.iter().zip(ys).zip(&self.keep).filter(|&(_, &k)| k).map(|((&x, &y), _)| (x, y)).unzip()
    }
}

/// A study area: its cells, and the strays left out of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyMask {
    /// One flag per grid cell.
    pub mask: Vec<bool>,
    /// Cells in the study area (the `true` flags of `mask`).
    pub cells: usize,
    /// Incidents left out of the study area as far from the rest.
    pub strays: Strays,
}

impl StudyMask {
    /// Cells of `grid` entirely inside the convex hull of the incidents at `xs`, `ys` that `strays` keeps (every
    /// cell when that hull has no area).
    pub fn new(xs: &[f64], ys: &[f64], strays: Strays, grid: &Grid) -> StudyMask {
        let (kx, ky) = strays.kept(xs, ys);
        let points = Points { w: vec![1.0; kx.len()], x_m: kx, y_m: ky };
        let mask = hull_mask(&points, grid);
        let cells = mask.iter().filter(|&&m| m).count();
        StudyMask { mask, cells, strays }
    }
}

/// Cells lying entirely in the convex hull of the points (boundary included); every cell when the hull has no
/// area, or when no cell fits inside it.
pub(crate) fn hull_mask(points: &Points, grid: &Grid) -> Vec<bool> {
    use geo::{Area, ConvexHull};
    let merged = points.merged();
    let mp: geo_types::MultiPoint<f64> =
        merged.x_m.iter().zip(&merged.y_m).map(|(&x, &y)| geo_types::Point::new(x, y)).collect();
    let hull = mp.convex_hull();
    if hull.unsigned_area() <= 0.0 {
        return vec![true; grid.n_cells()];
    }
    let ring: Vec<(f64, f64)> = hull.exterior().0.iter().map(|c| (c.x, c.y)).collect();
    // The hull is convex, so a horizontal line meets it in one interval, and a cell is inside exactly when its
    // bottom and top edges both lie within their lines' intervals: one pass over the edges per row, not per cell.
    let span = |y: f64| -> Option<(f64, f64)> {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for w in ring.windows(2) {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            if (ay - y) * (by - y) > 0.0 {
                continue;
            }
            if ay == by {
                lo = lo.min(ax.min(bx));
                hi = hi.max(ax.max(bx));
            } else {
                let x = ax + (y - ay) * (bx - ax) / (by - ay);
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        (lo <= hi).then_some((lo, hi))
    };
    let mut mask = vec![false; grid.n_cells()];
    for r in 0..grid.rows {
        let y0 = grid.origin_y_m + r as f64 * grid.cell_m;
        let (Some(bottom), Some(top)) = (span(y0), span(y0 + grid.cell_m)) else { continue };
        let (lo, hi) = (bottom.0.max(top.0), bottom.1.min(top.1));
        for c in 0..grid.cols {
            let x0 = grid.origin_x_m + c as f64 * grid.cell_m;
            mask[r * grid.cols + c] = x0 >= lo && x0 + grid.cell_m <= hi;
        }
    }
    if mask.iter().any(|&m| m) { mask } else { vec![true; grid.n_cells()] }
}

/// The study area of `grid` (see the module docs): [`Strays::find`], then [`StudyMask::new`].
pub fn study_area(xs: &[f64], ys: &[f64], ref_xs: &[f64], ref_ys: &[f64], grid: &Grid) -> StudyMask {
    StudyMask::new(xs, ys, Strays::find(xs, ys, ref_xs, ref_ys), grid)
}

/// How many cells a coverage of `coverage_pct`% of `study_cells` allows (rounded down).
pub fn cells_for_coverage(study_cells: usize, coverage_pct: f64) -> usize {
    if !(coverage_pct.is_finite() && coverage_pct > 0.0) {
        return 0;
    }
    ((coverage_pct / 100.0 * study_cells as f64 + 1e-9).floor() as usize).min(study_cells)
}

/// Order by score (highest first), then cell index (lowest first).
fn better(a: &(u32, f64), b: &(u32, f64)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// The best `limit` study cells with a positive score, best first (see the module docs), from sparse scores (taken,
/// and cut down in place: a backtest ranks hundreds of fits of several hundred thousand cells each).
pub fn ranked_cells(mut scores: Vec<(u32, f64)>, study: &[bool], limit: usize) -> Vec<(u32, f64)> {
    if limit == 0 {
        return Vec::new();
    }
    scores.retain(|&(c, s)| s > 0.0 && study.get(c as usize).copied().unwrap_or(false));
    top(scores, limit)
}

/// The best `limit` of `v` (positive study cells), best first.
fn top(mut v: Vec<(u32, f64)>, limit: usize) -> Vec<(u32, f64)> {
    keep_best(&mut v, limit);
    v.sort_unstable_by(better);
    v
}

/// Cut `v` to its best `limit` (in no order) when it holds more; whether a selection was made (none for a limit of
/// 0, which empties it).
fn keep_best(v: &mut Vec<(u32, f64)>, limit: usize) -> bool {
    if limit == 0 {
        v.clear();
        return false;
    }
    if v.len() <= limit {
        return false;
    }
    v.select_nth_unstable_by(limit - 1, better);
    v.truncate(limit);
    true
}

/// [`ranked_cells`] kept as the scores come, without holding them all: the best `limit` study cells with a positive
/// score among those offered (each cell offered once). Offers gather in a buffer; when it holds twice the limit it is
/// cut to the best `limit` (a selection, linear), whose worst becomes the bar: a later offer not better than it cannot
/// be among the best, having `limit` better ones already. The answer depends only on the cells and scores offered,
/// never on their order or how they were split among threads ([`TopCells::join`]).
pub(crate) struct TopCells<'a> {
    study: &'a [bool],
    limit: usize,
    kept: Vec<(u32, f64)>,
    /// The worst of the best `limit` at the last cut.
    bar: Option<(u32, f64)>,
}

impl<'a> TopCells<'a> {
    /// Keeping the best `limit` cells of `study`.
    pub(crate) fn new(study: &'a [bool], limit: usize) -> TopCells<'a> {
        TopCells { study, limit, kept: Vec::new(), bar: None }
    }

    /// Offer a cell's score: kept when positive, in the study area and better than the bar.
    #[inline]
    pub(crate) fn offer(&mut self, cell: u32, score: f64) {
        if score > 0.0 && self.study.get(cell as usize).copied().unwrap_or(false) {
            self.keep((cell, score));
        }
    }

    #[inline]
    fn keep(&mut self, c: (u32, f64)) {
        if self.limit == 0 || self.bar.is_some_and(|bar| better(&c, &bar) != std::cmp::Ordering::Less) {
            return;
        }
        self.kept.push(c);
        if self.kept.len() >= 2 * self.limit.max(512) {
            self.cut();
        }
    }

    /// Down to the best `limit`, the worst of them the bar.
    fn cut(&mut self) {
        if keep_best(&mut self.kept, self.limit) {
            // After the selection the last is the worst kept.
            self.bar = self.kept.last().copied();
        }
    }

    /// The best of both (cells offered to one are not offered to the other).
    pub(crate) fn join(mut self, other: TopCells<'a>) -> TopCells<'a> {
        for c in other.kept {
            self.keep(c);
        }
        self
    }

    /// The cells kept, best first: [`ranked_cells`] of every cell offered.
    pub(crate) fn ranked(self) -> Vec<(u32, f64)> {
        top(self.kept, self.limit)
    }
}

/// [`ranked_cells`] of a dense score vector (one value per grid cell).
pub fn ranked_cells_dense(scores: &[f64], study: &[bool], limit: usize) -> Vec<(u32, f64)> {
    if limit == 0 {
        return Vec::new();
    }
    let in_study = |i: usize| study.get(i).copied().unwrap_or(false);
    let v: Vec<(u32, f64)> =
        scores.iter().enumerate().filter(|&(i, &s)| s > 0.0 && in_study(i)).map(|(i, &s)| (i as u32, s)).collect();
    top(v, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_mask_keeps_cells_entirely_inside() {
        // A triangle (0,0), (100,0), (0,100) over 10 m cells: cell (r, c) is inside when c + r + 2 <= 10.
        let g = Grid::new(0.0, 0.0, 10.0, 10, 10, &crate::geo::CrsDef::utm_for(0.0, 10.0)).unwrap();
        let p = Points { x_m: vec![0.0, 100.0, 0.0, 20.0], y_m: vec![0.0, 0.0, 100.0, 20.0], w: vec![1.0; 4] };
        let m = hull_mask(&p, &g);
        for r in 0..10 {
            for c in 0..10 {
                assert_eq!(m[r * 10 + c], c + r + 2 <= 10, "cell {r},{c}");
            }
        }
        // Collinear points have no hull area: every cell counts.
        let line = Points { x_m: vec![0.0, 50.0, 100.0], y_m: vec![0.0, 50.0, 100.0], w: vec![1.0; 3] };
        assert!(hull_mask(&line, &g).iter().all(|&b| b));
    }
    use proptest::prelude::*;

    #[test]
    fn coverage_rounds_down() {
        assert_eq!(cells_for_coverage(1000, 1.0), 10);
        assert_eq!(cells_for_coverage(1050, 1.0), 10);
        assert_eq!(cells_for_coverage(99, 1.0), 0);
        assert_eq!(cells_for_coverage(300, 1.0 / 3.0 * 3.0), 3);
        assert_eq!(cells_for_coverage(10, 500.0), 10);
        assert_eq!(cells_for_coverage(10, f64::NAN), 0);
    }

    #[test]
    fn ties_at_the_cut_go_to_the_lower_index_and_never_widen_it() {
        let scores = vec![(5, 2.0), (1, 2.0), (9, 3.0), (3, 2.0), (4, 0.0), (7, 1.0)];
        let study = vec![true; 10];
        assert_eq!(ranked_cells(scores.clone(), &study, 2), vec![(9, 3.0), (1, 2.0)]);
        assert_eq!(ranked_cells(scores.clone(), &study, 3), vec![(9, 3.0), (1, 2.0), (3, 2.0)]);
        // Zero scores never count; fewer positive cells than asked give fewer cells.
        assert_eq!(ranked_cells(scores.clone(), &study, 10).len(), 5);
        let mut outside = study.clone();
        outside[9] = false;
        assert_eq!(ranked_cells(scores.clone(), &outside, 1), vec![(1, 2.0)]);
        assert!(ranked_cells(scores.clone(), &study, 0).is_empty());
    }

    #[test]
    fn strays_stay_out_of_the_study_area() {
        use crate::geo::CrsDef;
        // A town of 200 incidents in a 2 km square, and one incident 60 km away.
        let mut xs: Vec<f64> = (0..200).map(|i| 100_000.0 + f64::from(i % 20) * 100.0).collect();
        let mut ys: Vec<f64> = (0..200).map(|i| 200_000.0 + f64::from(i / 20) * 200.0).collect();
        let grid = Grid::new(99_000.0, 199_000.0, 100.0, 40, 40, &CrsDef::utm_for(-2.0, 50.7)).unwrap();
        let town = study_area(&xs, &ys, &xs, &ys, &grid);
        xs.push(160_000.0);
        ys.push(200_000.0);
        let big = Grid::new(99_000.0, 199_000.0, 100.0, 40, 620, &CrsDef::utm_for(-2.0, 50.7)).unwrap();
        let with_stray = study_area(&xs, &ys, &xs, &ys, &big);
        assert_eq!(with_stray.cells, town.cells);
        assert_eq!(with_stray.strays.incidents, 1);
        assert_eq!(with_stray.strays.groups, vec![(160_000.0, 200_000.0, 1)]);
        // The stray counted against every category: other incidents around it make it a place, not a stray.
        let mut ref_xs = xs.clone();
        let mut ref_ys = ys.clone();
        for k in 0..10 {
            ref_xs.push(160_000.0 + f64::from(k) * 3_000.0);
            ref_ys.push(200_000.0);
        }
        for k in 0..20 {
            ref_xs.push(104_000.0 + f64::from(k) * 3_000.0);
            ref_ys.push(200_000.0);
        }
        let joined = study_area(&xs, &ys, &ref_xs, &ref_ys, &big);
        assert_eq!(joined.strays.incidents, 0);
        assert!(joined.cells > town.cells);
    }

    proptest! {
        /// Against a full sort: the same cells in the same order, whatever the limit.
        #[test]
        fn ranking_matches_a_full_sort(
            raw in proptest::collection::vec((0u32..200, 0u8..6), 0..150),
            mask in proptest::collection::vec(any::<bool>(), 200),
            limit in 0usize..60,
        ) {
            let mut seen = std::collections::BTreeMap::new();
            for (c, s) in raw {
                seen.insert(c, f64::from(s));
            }
            let scores: Vec<(u32, f64)> = seen.into_iter().collect();
            let mut want: Vec<(u32, f64)> =
                scores.iter().copied().filter(|&(c, s)| s > 0.0 && mask[c as usize]).collect();
            want.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
            want.truncate(limit);
            prop_assert_eq!(ranked_cells(scores.clone(), &mask, limit), want);
        }

        /// Kept as they come, in any order and split between two keepers joined after, the best cells are
        /// [`ranked_cells`]'s: many cells for few kept, so the keepers cut to their bar again and again.
        #[test]
        fn cells_kept_as_they_come_are_the_ranked_cells(
            scores in proptest::collection::vec(prop_oneof![Just(0.0f64), Just(1.0), Just(2.5), 0.0f64..10.0], 0..6000),
            limit in 0usize..60,
            split in 0.0f64..1.0,
            shift in 0usize..6000,
        ) {
            let n = scores.len();
            let mask: Vec<bool> = (0..n).map(|i| i % 11 != 4).collect();
            let sparse: Vec<(u32, f64)> = scores.iter().enumerate().map(|(i, &s)| (i as u32, s)).collect();
            let want = ranked_cells(sparse.clone(), &mask, limit);
            // Offered rotated (not in cell order), the first part to one keeper, the rest to another.
            let mut order = sparse;
            if n > 0 {
                order.rotate_left(shift % n);
            }
            let at = (split * n as f64) as usize;
            let (mut a, mut b) = (TopCells::new(&mask, limit), TopCells::new(&mask, limit));
            for &(c, s) in &order[..at] {
                a.offer(c, s);
            }
            for &(c, s) in &order[at..] {
                b.offer(c, s);
            }
            prop_assert_eq!(a.join(b).ranked(), want);
        }
    }
}
