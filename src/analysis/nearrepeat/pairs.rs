//! The spatial pair search: every pair of incidents closer than the largest spatial edge, with its spatial band.
//!
//! Points are bucketed in square cells as wide as the largest edge and sorted by cell (row, then column, then
//! input order); a pair closer than the edge lies in the same cell or in adjacent ones, so each cell looks at
//! itself, its right neighbour and the three cells above it. Cells are keyed by their row and column (never a
//! dense array), so a fine band over a wide area costs nothing. The result is a compressed list in that sorted
//! order: for each point `i`, its partners `j > i` grouped by spatial band, so the permutation kernel reads the
//! band from the position and never measures a distance again. Work is split by cell runs (rayon) and joined in
//! order, so the list is the same at any thread count. Cost: `O(n log n + pairs)`.

use super::NearRepeatError;
use super::bands::{DistanceMetric, SpaceBands};
use rayon::prelude::*;

/// Pairs within the largest spatial band, in the spatial sort order.
#[derive(Debug, Clone)]
pub struct PairList {
    /// Input index of each sorted position.
    pub order: Vec<u32>,
    /// `offsets[i * ns + s] .. offsets[i * ns + s + 1]`: the partners of sorted point `i` in band `s`.
    pub offsets: Vec<usize>,
    /// Partner positions (sorted order), each greater than its point's own position.
    pub partners: Vec<u32>,
    /// Spatial bands.
    pub bands: usize,
}

impl PairList {
    /// Number of pairs (within the largest spatial edge).
    pub fn len(&self) -> usize {
        self.partners.len()
    }
    /// Whether no pair lies within the largest spatial edge.
    pub fn is_empty(&self) -> bool {
        self.partners.is_empty()
    }
    /// Pairs per spatial band.
    pub fn band_counts(&self) -> Vec<u64> {
        let ns = self.bands;
        let mut c = vec![0u64; ns];
        for i in 0..self.order.len() {
            for (s, slot) in c.iter_mut().enumerate() {
                *slot += (self.offsets[i * ns + s + 1] - self.offsets[i * ns + s]) as u64;
            }
        }
        c
    }
    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.order.capacity() * 4 + self.offsets.capacity() * 8 + self.partners.capacity() * 4
    }
}

/// Every pair of points closer than `bands.max_m()` under `metric`.
pub fn find_pairs(
    x_m: &[f64],
    y_m: &[f64],
    bands: &SpaceBands,
    metric: DistanceMetric,
) -> Result<PairList, NearRepeatError> {
    let n = x_m.len();
    let ns = bands.len();
    if n > u32::MAX as usize {
        return Err(NearRepeatError::TooMany { incidents: n });
    }
    if let Some(i) = (0..n).find(|&i| !(x_m[i].is_finite() && y_m[i].is_finite())) {
        return Err(NearRepeatError::BadCoordinate { index: i, x_m: x_m[i], y_m: y_m[i] });
    }
    if n == 0 {
        return Ok(PairList { order: Vec::new(), offsets: vec![0], partners: Vec::new(), bands: ns });
    }
    let cell = bands.max_m();
    let min_x = x_m.iter().copied().fold(f64::INFINITY, f64::min);
    let min_y = y_m.iter().copied().fold(f64::INFINITY, f64::min);
    let key_of = |i: usize| -> Result<(u32, u32), NearRepeatError> {
        let cx = ((x_m[i] - min_x) / cell).floor();
        let cy = ((y_m[i] - min_y) / cell).floor();
        if cx >= u32::MAX as f64 - 2.0 || cy >= u32::MAX as f64 - 2.0 {
            return Err(NearRepeatError::Bands {
                parameter: "space_m",
                reason: format!("the largest band ({cell} m) is too small for the extent of the data"),
            });
        }
        Ok((cy as u32, cx as u32))
    };
    let mut keyed: Vec<(u64, u32)> = Vec::with_capacity(n);
    for i in 0..n {
        let (cy, cx) = key_of(i)?;
        keyed.push(((u64::from(cy) << 32) | u64::from(cx), i as u32));
    }
    keyed.par_sort_unstable();
    let keys: Vec<u64> = keyed.iter().map(|k| k.0).collect();
    let order: Vec<u32> = keyed.iter().map(|k| k.1).collect();
    drop(keyed);
    let xs: Vec<f64> = order.iter().map(|&i| x_m[i as usize]).collect();
    let ys: Vec<f64> = order.iter().map(|&i| y_m[i as usize]).collect();

    // Runs of equal keys: the occupied cells.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut a = 0;
    for b in 1..=n {
        if b == n || keys[b] != keys[a] {
            runs.push((a, b));
            a = b;
        }
    }
    let range_of = |lo: u64, hi: u64| -> (usize, usize) {
        (keys.partition_point(|&k| k < lo), keys.partition_point(|&k| k <= hi))
    };

    // Each chunk of cells gives (per point: pairs per band, then partners in band order).
    const CELLS_PER_TASK: usize = 256;
    let chunks: Vec<(Vec<u32>, Vec<u32>)> = runs
        .par_chunks(CELLS_PER_TASK)
        .map(|cells| {
            let mut counts: Vec<u32> = Vec::new();
            let mut partners: Vec<u32> = Vec::new();
            let mut found: Vec<(u8, u32)> = Vec::new();
            let mut per_band = vec![0u32; ns];
            let mut next = vec![0usize; ns];
            for &(a, b) in cells {
                let key = keys[a];
                let (cy, cx) = (key >> 32, key & 0xffff_ffff);
                // This cell's later points, the cell to the right, and the three cells of the next row.
                let right = range_of(key + 1, key + 1);
                let above = range_of(((cy + 1) << 32) | cx.saturating_sub(1), ((cy + 1) << 32) | (cx + 1));
                for i in a..b {
                    found.clear();
                    let (xi, yi) = (xs[i], ys[i]);
                    for j in (i + 1..b).chain(right.0..right.1).chain(above.0..above.1) {
                        let d = metric.distance(xs[j] - xi, ys[j] - yi);
                        if let Some(s) = bands.band(d) {
                            found.push((s as u8, j as u32));
                        }
                    }
                    // Group by band (a counting sort: partners keep their scan order within a band).
                    per_band.iter_mut().for_each(|c| *c = 0);
                    for &(s, _) in &found {
                        per_band[usize::from(s)] += 1;
                    }
                    let base = partners.len();
                    let mut at = base;
                    for (slot, &c) in next.iter_mut().zip(&per_band) {
                        *slot = at;
                        at += c as usize;
                    }
                    partners.resize(at, 0);
                    for &(s, j) in &found {
                        let slot = &mut next[usize::from(s)];
                        partners[*slot] = j;
                        *slot += 1;
                    }
                    counts.extend_from_slice(&per_band);
                }
            }
            (counts, partners)
        })
        .collect();

    let total: usize = chunks.iter().map(|c| c.1.len()).sum();
    let mut offsets = Vec::with_capacity(n * ns + 1);
    let mut partners = Vec::with_capacity(total);
    offsets.push(0usize);
    for (counts, p) in chunks {
        for c in counts {
            let last = offsets[offsets.len() - 1];
            offsets.push(last + c as usize);
        }
        partners.extend_from_slice(&p);
    }
    Ok(PairList { order, offsets, partners, bands: ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All pairs by brute force, as (input i, input j, band) with i < j.
    fn brute(x: &[f64], y: &[f64], bands: &SpaceBands, metric: DistanceMetric) -> Vec<(u32, u32, usize)> {
        let mut v = Vec::new();
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                if let Some(s) = bands.band(metric.distance(x[j] - x[i], y[j] - y[i])) {
                    v.push((i as u32, j as u32, s));
                }
            }
        }
        v
    }

    fn listed(p: &PairList) -> Vec<(u32, u32, usize)> {
        let mut v = Vec::new();
        for i in 0..p.order.len() {
            for s in 0..p.bands {
                for &j in &p.partners[p.offsets[i * p.bands + s]..p.offsets[i * p.bands + s + 1]] {
                    assert!(j as usize > i);
                    let (a, b) = (p.order[i], p.order[j as usize]);
                    v.push((a.min(b), a.max(b), s));
                }
            }
        }
        v.sort_unstable();
        v
    }

    #[test]
    fn matches_brute_force_with_ties_and_edges() {
        // A lattice with many exact distances on the edges, duplicated points, and far points.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for k in 0..60 {
            x.push(f64::from(k % 8) * 50.0);
            y.push(f64::from(k / 8) * 50.0 - 1_000.0);
        }
        x.extend([0.0, 0.0, 5_000.0]);
        y.extend([-1_000.0, -1_000.0, 5_000.0]);
        for metric in [DistanceMetric::Euclidean, DistanceMetric::Manhattan] {
            for same in [true, false] {
                let bands = SpaceBands::new(vec![0.0, 50.0, 100.0, 150.0], same).unwrap();
                let p = find_pairs(&x, &y, &bands, metric).unwrap();
                assert_eq!(listed(&p), brute(&x, &y, &bands, metric), "{metric:?} same {same}");
                assert_eq!(p.band_counts().iter().sum::<u64>() as usize, p.len());
            }
        }
    }

    #[test]
    fn edge_cases() {
        let bands = SpaceBands::new(vec![0.0, 10.0], true).unwrap();
        let p = find_pairs(&[], &[], &bands, DistanceMetric::Euclidean).unwrap();
        assert!(p.is_empty());
        let p = find_pairs(&[1.0], &[1.0], &bands, DistanceMetric::Euclidean).unwrap();
        assert!(p.is_empty());
        let p = find_pairs(&[3.0; 5], &[4.0; 5], &bands, DistanceMetric::Euclidean).unwrap();
        assert_eq!(p.band_counts(), vec![10, 0]);
        let e = find_pairs(&[0.0, f64::NAN], &[0.0, 0.0], &bands, DistanceMetric::Euclidean).unwrap_err();
        assert!(e.to_string().contains("incident 1"), "{e}");
    }
}
