//! The observed and permuted Knox tables, counted from the pair list.
//!
//! A permutation shuffles the times over the fixed locations (the NearRepeat R package's `sample(time)`): the pair
//! list stays, only each pair's time difference changes. Permutation `k` draws from its own ChaCha8 stream
//! (`seed`, stream `k`), so its table does not depend on which thread ran it; the tables are kept in permutation
//! order and reduced sequentially in integers, so results are identical at any thread count.

use super::bands::{TimeBands, TimeLookup};
use super::pairs::PairList;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// Times as whole seconds after the earliest, in input order.
pub(crate) fn relative_times(t_s: &[i64]) -> Option<Vec<u32>> {
    let min = t_s.iter().copied().min().unwrap_or(0);
    t_s.iter().map(|&t| u32::try_from(t - min).ok()).collect()
}

/// The times of permutation `k` (input order): a Fisher-Yates shuffle of `times` driven by stream `k` of `seed`.
/// Public so that a reference implementation can replay exactly the same permutations.
pub fn permuted_times<T: Copy>(times: &[T], seed: u64, k: u64) -> Vec<T> {
    let mut v = times.to_vec();
    shuffle(&mut v, seed, k);
    v
}

fn shuffle<T>(v: &mut [T], seed: u64, k: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(k);
    for i in (1..v.len()).rev() {
        let j = rng.random_range(0..=i as u32) as usize;
        v.swap(i, j);
    }
}

/// One table: `counts[s * (nt + 1) + t]`, the last column holding pairs beyond the largest time edge.
fn count_table(pairs: &PairList, tp: &[u32], lookup: Option<&TimeLookup>, bands: &TimeBands, counts: &mut [u32]) {
    counts.fill(0);
    let ns = pairs.bands;
    let width = bands.len() + 1;
    let n = pairs.order.len();
    match lookup {
        Some(lookup) => {
            for i in 0..n {
                let ti = tp[i];
                for s in 0..ns {
                    let row = &mut counts[s * width..(s + 1) * width];
                    let (a, b) = (pairs.offsets[i * ns + s], pairs.offsets[i * ns + s + 1]);
                    for &j in &pairs.partners[a..b] {
                        row[lookup.band(ti.abs_diff(tp[j as usize]))] += 1;
                    }
                }
            }
        }
        None => {
            for i in 0..n {
                let ti = tp[i];
                for s in 0..ns {
                    let row = &mut counts[s * width..(s + 1) * width];
                    let (a, b) = (pairs.offsets[i * ns + s], pairs.offsets[i * ns + s + 1]);
                    for &j in &pairs.partners[a..b] {
                        let dt = i64::from(ti.abs_diff(tp[j as usize]));
                        row[bands.band(dt).unwrap_or(width - 1)] += 1;
                    }
                }
            }
        }
    }
}

/// Observed and permuted tables, each `ns x nt` (row-major by spatial band), without the beyond-the-edge column.
pub(crate) struct Tables {
    pub observed: Vec<u32>,
    /// One table per permutation, in permutation order.
    pub permuted: Vec<Vec<u32>>,
}

/// The observed table and `iterations` permuted ones. `times` are relative seconds in input order.
pub(crate) fn tables(pairs: &PairList, times: &[u32], bands: &TimeBands, iterations: usize, seed: u64) -> Tables {
    let lookup = TimeLookup::new(bands);
    let (ns, nt) = (pairs.bands, bands.len());
    let width = nt + 1;
    let strip = |full: &[u32]| -> Vec<u32> {
        (0..ns).flat_map(|s| full[s * width..s * width + nt].iter().copied()).collect::<Vec<u32>>()
    };
    let sorted = |input_order: &[u32], out: &mut Vec<u32>| {
        out.clear();
        out.extend(pairs.order.iter().map(|&i| input_order[i as usize]));
    };
    let mut full = vec![0u32; ns * width];
    let mut tp = Vec::with_capacity(times.len());
    sorted(times, &mut tp);
    count_table(pairs, &tp, lookup.as_ref(), bands, &mut full);
    let observed = strip(&full);
    let permuted = (0..iterations)
        .into_par_iter()
        .map_init(
            || (Vec::with_capacity(times.len()), Vec::with_capacity(times.len()), vec![0u32; ns * width]),
            |(shuffled, tp, full): &mut (Vec<u32>, Vec<u32>, Vec<u32>), k| {
                shuffled.clear();
                shuffled.extend_from_slice(times);
                shuffle(shuffled, seed, k as u64);
                sorted(shuffled, tp);
                count_table(pairs, tp, lookup.as_ref(), bands, full);
                strip(full)
            },
        )
        .collect();
    Tables { observed, permuted }
}

/// Pairs among all `n (n - 1) / 2` whose time difference falls in each band (sorting and two searches per
/// incident per band): with the spatial band counts, the exact mean of the permutation distribution.
pub(crate) fn time_band_counts(times: &[u32], bands: &TimeBands) -> Vec<u64> {
    let mut t: Vec<u32> = times.to_vec();
    t.par_sort_unstable();
    let nt = bands.len();
    let edges: Vec<u64> = bands.edges_s.iter().map(|&e| e as u64).collect();
    (0..t.len())
        .into_par_iter()
        .fold(
            || vec![0u64; nt],
            |mut acc, i| {
                let later = &t[i + 1..];
                let ti = u64::from(t[i]);
                let at = |e: u64| later.partition_point(|&x| u64::from(x) - ti < e) as u64;
                let mut prev = at(edges[0]);
                for (b, slot) in acc.iter_mut().enumerate() {
                    let next = at(edges[b + 1]);
                    *slot += next - prev;
                    prev = next;
                }
                acc
            },
        )
        .reduce(|| vec![0u64; nt], |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect())
}
