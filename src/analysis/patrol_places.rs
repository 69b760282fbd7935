//! Places at the scale of a patrol. The cells `predict` chooses (the 1% of a county most likely to see incidents
//! next) join into town-centre blobs of several km2 when joined by shared sides alone; nobody can patrol that. Here a
//! group of chosen cells joined by sides that is larger than [`PLACE_MAX_M2`] is cut into places: from its highest
//! scoring cell, a place grows by always taking the highest scoring chosen cell beside it, until it reaches the
//! limit; the next place starts at the highest cell left, and so on. Groups within the limit stay whole. Every chosen
//! cell is in exactly one place, every place is joined by sides and at most [`PLACE_MAX_M2`], and the result depends
//! only on the scores (ties to the lower cell index), never on threads.

use crate::grid::Grid;

/// The largest place, square metres: 0.16 km2, a square of 400 m, what a foot patrol covers in a visit.
pub const PLACE_MAX_M2: f64 = 160_000.0;

/// How many cells of `grid` a place may hold (at least one).
pub fn max_place_cells(grid: &Grid) -> usize {
    ((PLACE_MAX_M2 / grid.cell_area_m2()).floor() as usize).max(1)
}

/// The chosen cells (`chosen[i]`) grouped into places of at most `max_cells` cells (see the module docs). Each
/// place's cells are sorted; places are in order of their group's smallest cell, then of their peak.
pub fn capped_places(chosen: &[bool], scores: &[f64], grid: &Grid, max_cells: usize) -> Vec<Vec<usize>> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = grid.n_cells();
    let is_chosen = |i: usize| chosen.get(i).copied().unwrap_or(false);
    let score = |i: usize| scores.get(i).copied().unwrap_or(0.0);
    // Highest score first, ties to the lower index: a max-heap key.
    let key = |i: usize| (OrderedScore(score(i)), Reverse(i));
    let mut taken = vec![false; n];
    let mut places: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        if !is_chosen(start) || taken[start] {
            continue;
        }
        // The group joined by sides, in order of score.
        let mut group = vec![start];
        let mut seen = std::collections::HashSet::from([start]);
        let mut at = 0;
        while at < group.len() {
            for j in grid.side_neighbours(group[at]) {
                if is_chosen(j) && seen.insert(j) {
                    group.push(j);
                }
            }
            at += 1;
        }
        if group.len() <= max_cells {
            for &i in &group {
                taken[i] = true;
            }
            group.sort_unstable();
            places.push(group);
            continue;
        }
        group.sort_by_key(|&i| Reverse(key(i)));
        for &seed in &group {
            if taken[seed] {
                continue;
            }
            let mut place = Vec::new();
            let mut frontier = BinaryHeap::from([key(seed)]);
            let mut queued = std::collections::HashSet::from([seed]);
            while let Some((_, Reverse(i))) = frontier.pop() {
                taken[i] = true;
                place.push(i);
                if place.len() == max_cells {
                    break;
                }
                for j in grid.side_neighbours(i) {
                    if is_chosen(j) && !taken[j] && queued.insert(j) {
                        frontier.push(key(j));
                    }
                }
            }
            place.sort_unstable();
            places.push(place);
        }
    }
    places
}

/// A score ordered by `f64::total_cmp`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedScore(f64);

impl Eq for OrderedScore {}

impl PartialOrd for OrderedScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use proptest::prelude::*;

    fn grid(cols: usize, rows: usize) -> Grid {
        Grid::new(0.0, 0.0, 50.0, cols, rows, &CrsDef::utm_for(0.0, 50.0)).unwrap()
    }

    /// Whether the cells are connected by shared sides (a flood fill from the first).
    fn connected(cells: &[usize], g: &Grid) -> bool {
        let set: std::collections::HashSet<usize> = cells.iter().copied().collect();
        let mut seen = std::collections::HashSet::from([cells[0]]);
        let mut stack = vec![cells[0]];
        while let Some(i) = stack.pop() {
            let (r, c) = (i / g.cols, i % g.cols);
            let mut nb = vec![];
            if r > 0 {
                nb.push(i - g.cols);
            }
            if r + 1 < g.rows {
                nb.push(i + g.cols);
            }
            if c > 0 {
                nb.push(i - 1);
            }
            if c + 1 < g.cols {
                nb.push(i + 1);
            }
            for j in nb {
                if set.contains(&j) && seen.insert(j) {
                    stack.push(j);
                }
            }
        }
        seen.len() == cells.len()
    }

    #[test]
    fn a_patrol_place_is_0_16_km2() {
        assert_eq!(max_place_cells(&grid(1, 1)), 64);
        let coarse = Grid::new(0.0, 0.0, 1000.0, 1, 1, &CrsDef::utm_for(0.0, 50.0)).unwrap();
        assert_eq!(max_place_cells(&coarse), 1);
    }

    #[test]
    fn a_group_within_the_limit_stays_whole_whatever_its_peaks() {
        let g = grid(10, 1);
        let chosen = vec![true; 10];
        let scores = [5.0, 1.0, 4.0, 1.0, 6.0, 0.5, 3.0, 1.0, 2.0, 1.0];
        assert_eq!(capped_places(&chosen, &scores, &g, 10), vec![(0..10).collect::<Vec<_>>()]);
        // Over the limit: the first place grows from the peak (cell 4) by the best cell beside it each time (3, then 2, then 1).
        let places = capped_places(&chosen, &scores, &g, 4);
        assert_eq!(places[0], vec![1, 2, 3, 4]);
        assert_eq!(places.iter().map(Vec::len).sum::<usize>(), 10);
    }

    #[test]
    fn a_block_splits_into_capped_places_from_its_peak() {
        let g = grid(10, 10);
        let chosen = vec![true; 100];
        // One peak in the south-west corner, falling away.
        let scores: Vec<f64> = (0..100).map(|i| 100.0 - ((i / 10) + (i % 10)) as f64).collect();
        let places = capped_places(&chosen, &scores, &g, 16);
        assert!(places[0].contains(&0), "the first place holds the peak");
        assert!(places.iter().all(|p| p.len() <= 16 && connected(p, &g)));
        let mut all: Vec<usize> = places.concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    proptest! {
        /// Against the definition: a partition of the chosen cells into side-connected places of at most the cap.
        #[test]
        fn places_partition_the_chosen_cells(
            cols in 1usize..12,
            rows in 1usize..12,
            bits in proptest::collection::vec(any::<bool>(), 144),
            raw in proptest::collection::vec(0u8..5, 144),
            cap in 1usize..10,
        ) {
            let g = grid(cols, rows);
            let n = cols * rows;
            let chosen: Vec<bool> = bits[..n].to_vec();
            let scores: Vec<f64> = raw[..n].iter().map(|&s| f64::from(s)).collect();
            let places = capped_places(&chosen, &scores, &g, cap);
            let mut all: Vec<usize> = places.concat();
            all.sort_unstable();
            let want: Vec<usize> = (0..n).filter(|&i| chosen[i]).collect();
            prop_assert_eq!(all, want);
            for p in &places {
                prop_assert!(!p.is_empty() && p.len() <= cap && connected(p, &g));
            }
            prop_assert_eq!(capped_places(&chosen, &scores, &g, cap), places);
        }
    }
}
