//! Whole-process timing of the analysis kernels on the peers' workload, for BENCHMARKS.md (peak memory with
//! `/usr/bin/time -v`). Usage: `cargo run --release --example kde_workload -- kde|gistar|gistar99 N [REPEATS]`.
//! Prints the best and median seconds of the kernel alone, excluding loading the points (and, for Gi*, counting
//! them into cells, which the peers also do beforehand).

#[path = "../benches/workload.rs"]
mod workload;

use hotspots::analysis::counts::grid_counts;
use hotspots::analysis::gistar::{GiStarOptions, gistar_grid};
use hotspots::analysis::kde::{Kernel, kde};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map_or("kde", String::as_str).to_owned();
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let repeats: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5);
    let p = workload::points(n);
    // Gi* starts from the counts per cell, as the peers' do.
    let gi_grid = workload::gistar_grid(&p);
    let values = grid_counts(&p, &gi_grid).weight;
    let mut times = Vec::new();
    let mut check = 0.0;
    for _ in 0..repeats {
        let t = Instant::now();
        match what.as_str() {
            "kde" => {
                let s = kde(&p, &workload::kde_grid(&p), Kernel::Quartic, workload::BANDWIDTH_M).expect("kde");
                check = s.peak_per_km2();
            }
            "gistar" | "gistar99" => {
                let perms = if what == "gistar99" { 99 } else { 0 };
                let opts = GiStarOptions { permutations: perms, seed: 1, fdr: true };
                let g = gistar_grid(&values, &gi_grid, workload::GI_BAND_M, opts).expect("gistar");
                check = g.z.iter().copied().fold(f64::MIN, f64::max);
            }
            "check" => {
                // Agreement with the peers' exact numpy stencil (per m^2; ours is per km^2).
                let name =
                    if n == 1_000_000 { "kde-exact-1m.npy".to_owned() } else { format!("kde-exact-{}k.npy", n / 1000) };
                let bytes = std::fs::read(workload::data_dir().join(&name))
                    .expect("run benches/peers/kde_gistar_peers.py first");
                let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
                let data = &bytes[10 + header_len..];
                let exact: Vec<f64> =
                    data.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")) * 1e6).collect();
                let s = kde(&p, &workload::kde_grid(&p), Kernel::Quartic, workload::BANDWIDTH_M).expect("kde");
                let mut worst: f64 = 0.0;
                for (a, b) in s.density_per_km2.iter().zip(&exact) {
                    if a.abs().max(b.abs()) > 0.0 {
                        worst = worst.max((a - b).abs() / a.abs().max(b.abs()));
                    }
                }
                println!("max relative difference from the numpy exact stencil ({name}): {worst:.3e}");
                return;
            }
            other => panic!("unknown workload {other}: use kde, gistar, gistar99 or check"),
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{what} n={n}: best {:.4} s, median {:.4} s over {repeats} runs (check value {check:.3})",
        times[0],
        times[times.len() / 2]
    );
}
