//! Places at the scale of a patrol. The cells `predict` chooses (the 1% of a county most likely to see incidents
//! next) join into town-centre blobs of several km2 when joined by shared sides alone; nobody can patrol that. Here
//! the chosen cells are taken from the highest score down: a cell joins the place of a side neighbour already taken
//! (the earliest such place, that is the one with the higher peak) while that place is below [`PLACE_MAX_M2`], else
//! starts a place of its own. Every chosen cell is in exactly one place, every place is connected by sides and at most
//! [`PLACE_MAX_M2`], and the result depends only on the scores (ties by cell index), never on threads.

use crate::grid::Grid;

/// The largest place, square metres: 0.16 km2, a square of 400 m, what a foot patrol covers in a visit.
pub const PLACE_MAX_M2: f64 = 160_000.0;

/// How many cells of `grid` a place may hold (at least one).
pub fn max_place_cells(grid: &Grid) -> usize {
    ((PLACE_MAX_M2 / grid.cell_area_m2()).floor() as usize).max(1)
}

/// The chosen cells (`chosen[i]`) grouped into places of at most `max_cells` cells, grown from the highest
/// `scores` down (see the module docs). Each place's cells are sorted; places are in order of their peak.
pub fn capped_places(chosen: &[bool], scores: &[f64], grid: &Grid, max_cells: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..grid.n_cells()).filter(|&i| chosen.get(i).copied().unwrap_or(false)).collect();
    let score = |i: usize| scores.get(i).copied().unwrap_or(0.0);
    order.sort_by(|&a, &b| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
    let mut owner = vec![u32::MAX; grid.n_cells()];
    let mut places: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let (r, c) = (i / grid.cols, i % grid.cols);
        let mut best: Option<u32> = None;
        let mut consider = |j: usize| {
            let p = owner[j];
            if p != u32::MAX && places[p as usize].len() < max_cells && best.is_none_or(|b| p < b) {
                best = Some(p);
            }
        };
        if r > 0 {
            consider(i - grid.cols);
        }
        if r + 1 < grid.rows {
            consider(i + grid.cols);
        }
        if c > 0 {
            consider(i - 1);
        }
        if c + 1 < grid.cols {
            consider(i + 1);
        }
        let p = match best {
            Some(p) => p,
            None => {
                places.push(Vec::new());
                (places.len() - 1) as u32
            }
        };
        owner[i] = p;
        places[p as usize].push(i);
    }
    for p in &mut places {
        p.sort_unstable();
    }
    places
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
