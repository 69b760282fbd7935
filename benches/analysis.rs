//! Criterion benchmarks of the analysis kernels on the peers' workload (see `benches/workload.rs`): exact quartic
//! KDE of 100k and 1M points on 960,000 cells with a 400 m bandwidth, and Gi* on 240,000 cells with a 300 m band,
//! analytic and with 99 permutations; the change map's tests on the same cells. Run with `cargo bench --bench analysis`.

#[path = "workload.rs"]
mod workload;

use criterion::{Criterion, criterion_group, criterion_main};
use hotspots::analysis::counts::grid_counts;
use hotspots::analysis::gistar::{GiStarOptions, gistar_grid};
use hotspots::analysis::kde::{Kernel, kde};
use std::time::Duration;

fn kde_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("kde");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    for n in [100_000u64, 1_000_000] {
        let p = workload::points(n);
        let grid = workload::kde_grid(&p);
        g.bench_function(format!("quartic_400m_960k_cells_{n}_points"), |b| {
            b.iter(|| kde(&p, &grid, Kernel::Quartic, workload::BANDWIDTH_M).expect("kde"))
        });
    }
    g.finish();
}

fn gistar_bench(c: &mut Criterion) {
    let p = workload::points(1_000_000);
    let grid = workload::gistar_grid(&p);
    let values = grid_counts(&p, &grid).weight;
    let mut g = c.benchmark_group("gistar");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    let analytic = GiStarOptions { permutations: 0, seed: 1, fdr: true };
    g.bench_function("analytic_300m_240k_cells", |b| {
        b.iter(|| gistar_grid(&values, &grid, workload::GI_BAND_M, analytic).expect("gistar"))
    });
    let perm = GiStarOptions { permutations: 99, seed: 1, fdr: true };
    g.bench_function("perm99_300m_240k_cells", |b| {
        b.iter(|| gistar_grid(&values, &grid, workload::GI_BAND_M, perm).expect("gistar"))
    });
    g.finish();
}

/// The change map's exact binomial tests and BH over 240,000 cells: 1M points split into two windows of 500k.
fn change_bench(c: &mut Criterion) {
    use hotspots::analysis::change::change_map;
    let p = workload::points(1_000_000);
    let grid = workload::gistar_grid(&p);
    let half = |parity: usize| {
        let mut counts = vec![0u32; grid.n_cells()];
        for i in (parity..p.len()).step_by(2) {
            if let Some(k) = grid.cell_at(p.x_m[i], p.y_m[i]) {
                counts[k] += 1;
            }
        }
        counts
    };
    let (before, after) = (half(0), half(1));
    let mut g = c.benchmark_group("change");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("binomial_bh_240k_cells_1m_points", |b| b.iter(|| change_map(&before, &after, 1.0, 0.05)));
    g.finish();
}

criterion_group!(benches, kde_bench, gistar_bench, change_bench);
criterion_main!(benches);
