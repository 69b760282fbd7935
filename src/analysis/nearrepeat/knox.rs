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

/// Permutations counted together in one pass over the pair list (the lanes of [`count_lanes`]).
const LANES: usize = 8;
/// The most temporal bands of the lane kernel; more fall back to one pass per permutation.
const MAX_LANE_BANDS: usize = 32;

/// `LANES` permutations in one pass: `tp[p * LANES + l]` is the time of sorted point `p` in lane `l`. For each pair
/// and lane, the time difference is compared with every edge, counting `cum[s * nt + k][l]` = pairs of spatial
/// band `s` closer in time than edge `k + 1`; band counts are differences of these. Branch-free and the same for
/// every pair, so the lanes and the `NT` running counts stay in vector registers (the count is a const generic for
/// that); one pass over the pair list serves eight permutations, which divides the memory traffic by eight.
#[inline(always)]
fn lanes_kernel<const NT: usize>(pairs: &PairList, tp: &[u32], edges: &[u32], cum: &mut [[u32; LANES]]) {
    let ns = pairs.bands;
    let mut e = [0u32; NT];
    e.copy_from_slice(&edges[..NT]);
    let lanes = |p: usize| -> [u32; LANES] {
        let mut v = [0u32; LANES];
        v.copy_from_slice(&tp[p * LANES..(p + 1) * LANES]);
        v
    };
    for i in 0..pairs.order.len() {
        let ti = lanes(i);
        for s in 0..ns {
            let (a, b) = (pairs.offsets[i * ns + s], pairs.offsets[i * ns + s + 1]);
            if a == b {
                continue;
            }
            let mut acc = [[0u32; LANES]; NT];
            for &j in &pairs.partners[a..b] {
                let tj = lanes(j as usize);
                let mut dt = [0u32; LANES];
                for l in 0..LANES {
                    dt[l] = ti[l].abs_diff(tj[l]);
                }
                for k in 0..NT {
                    for l in 0..LANES {
                        acc[k][l] += u32::from(dt[l] < e[k]);
                    }
                }
            }
            for k in 0..NT {
                for l in 0..LANES {
                    cum[s * NT + k][l] += acc[k][l];
                }
            }
        }
    }
}

macro_rules! lane_kernels {
    ($($nt:literal)*) => {
        /// The kernel for `edges.len()` temporal bands (1 to [`MAX_LANE_BANDS`]).
        #[inline(always)]
        fn count_lanes_body(pairs: &PairList, tp: &[u32], edges: &[u32], cum: &mut [[u32; LANES]]) {
            cum.iter_mut().for_each(|c| *c = [0; LANES]);
            match edges.len() {
                $($nt => lanes_kernel::<$nt>(pairs, tp, edges, cum),)*
                _ => {}
            }
        }
    };
}
lane_kernels!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32);

/// Count eight permutations' lanes at once over the pair list (see [`count_lanes_body`]). The kernel is plain
/// code the compiler vectorises; `arch` ([`pulp::Arch`], detected once per run) compiles it a second time with the
/// wider vector instructions of the CPU it runs on (AVX2 where present, the baseline otherwise) and picks
/// one at run time, without `unsafe` in this crate. Integer counts, so every variant gives the same tables.
fn count_lanes(arch: pulp::Arch, pairs: &PairList, tp: &[u32], edges: &[u32], cum: &mut [[u32; LANES]]) {
    arch.dispatch(LaneCount { pairs, tp, edges, cum });
}

/// The lane kernel's arguments, as [`pulp::WithSimd`] wants them: its `with_simd` is always inlined into pulp's
/// function for the detected instruction set, and so is the whole kernel (a closure is not: too large to inline,
/// it would be called and run with the baseline instructions).
struct LaneCount<'a> {
    pairs: &'a PairList,
    tp: &'a [u32],
    edges: &'a [u32],
    cum: &'a mut [[u32; LANES]],
}

impl pulp::WithSimd for LaneCount<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        count_lanes_body(self.pairs, self.tp, self.edges, self.cum);
    }
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
    // Edges 1..=nt as u32 (each below 2^32 by TimeBands' check).
    let edges: Vec<u32> = bands.edges_s[1..].iter().map(|&e| e as u32).collect();
    let permuted = if nt <= MAX_LANE_BANDS {
        let arch = pulp::Arch::new();
        let blocks = iterations.div_ceil(LANES);
        let per_block: Vec<Vec<Vec<u32>>> = (0..blocks)
            .into_par_iter()
            .map_init(
                || (Vec::with_capacity(times.len()), vec![0u32; times.len() * LANES], vec![[0u32; LANES]; ns * nt]),
                |(shuffled, tp, cum): &mut (Vec<u32>, Vec<u32>, Vec<[u32; LANES]>), block| {
                    let first = block * LANES;
                    let lanes = LANES.min(iterations - first);
                    for l in 0..LANES {
                        shuffled.clear();
                        shuffled.extend_from_slice(times);
                        if l < lanes {
                            shuffle(shuffled, seed, (first + l) as u64);
                        }
                        for (p, &i) in pairs.order.iter().enumerate() {
                            tp[p * LANES + l] = shuffled[i as usize];
                        }
                    }
                    count_lanes(arch, pairs, tp, &edges, cum);
                    (0..lanes)
                        .map(|l| {
                            let mut table = vec![0u32; ns * nt];
                            for s in 0..ns {
                                let mut below = 0u32;
                                for k in 0..nt {
                                    let c = cum[s * nt + k][l];
                                    table[s * nt + k] = c - below;
                                    below = c;
                                }
                            }
                            table
                        })
                        .collect()
                },
            )
            .collect();
        per_block.into_iter().flatten().collect()
    } else {
        (0..iterations)
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
            .collect()
    };
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
