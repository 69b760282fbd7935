//! On synthetic data with known planted hotspots: `find` recovers the planted centres, and on pure background Gi*
//! after FDR reports no hotspot in nearly every seed.

use crate::common::TempStore;
use hotspots::analysis::gistar::GiStarOptions;
use hotspots::analysis::hotspots::{CellRule, RankBy};
use hotspots::analysis::kde::Kernel;
use hotspots::analysis::pipeline::{AnalysisParams, prepare};
use hotspots::analysis::points::WeightMode;
use hotspots::ingest::IngestOptions;
use hotspots::synth::{Pattern, SynthParams, generate};

const BANDWIDTH_M: f64 = 300.0;

fn params() -> AnalysisParams {
    AnalysisParams {
        cell_m: Some(50.0),
        bandwidth_m: Some(BANDWIDTH_M),
        kernel: Kernel::Quartic,
        weight: WeightMode::Count,
        ..Default::default()
    }
}

/// Generate, ingest and load synthetic data; returns the store and the planted centres in metres.
fn synthetic(seed: u64, n: u64, hotspots: usize, pattern: Pattern) -> (TempStore, Vec<[f64; 2]>) {
    let mut t = TempStore::new();
    let out = t.dir.path().join("synth.csv");
    let p = SynthParams { n, seed, hotspots, pattern, ..SynthParams::default() };
    let truth = generate(&p, &out).unwrap();
    t.ingest(&out, &IngestOptions::default()).unwrap();
    let centres = truth.hotspots.iter().map(|h| [h.centre_xy_m.0, h.centre_xy_m.1]).collect();
    (t, centres)
}

/// (recovered, planted) for one seed: a planted centre is recovered when a reported hotspot has a cell centre
/// within one bandwidth of it.
fn recovery(seed: u64, share: f64) -> (usize, usize) {
    let (t, centres) = synthetic(seed, 20_000, 10, Pattern::Urban);
    let ds = t.store.load_dataset(None).unwrap();
    let harm = vec![1.0; ds.categories().len()];
    let prep = prepare(&ds, &params(), &harm, "unit").unwrap();
    let surface = prep.density().unwrap();
    let set = prep.hotspots(&ds, &surface, None, CellRule::TopShare(share), RankBy::Count, &harm).unwrap();
    let grid = &prep.grid;
    let recovered = centres
        .iter()
        .filter(|c| {
            set.hotspots.iter().flat_map(|h| &h.cell_indices).any(|&i| {
                let (x, y) = grid.centre(i);
                (x - c[0]).hypot(y - c[1]) <= BANDWIDTH_M
            })
        })
        .count();
    (recovered, centres.len())
}

#[test]
fn find_recovers_planted_hotspots() {
    let (mut got, mut planted) = (0, 0);
    for seed in 1..=4 {
        let (r, p) = recovery(seed, 0.01);
        got += r;
        planted += p;
    }
    assert!(got * 10 >= planted * 9, "recovered {got} of {planted} planted centres");
}

#[test]
#[ignore = "exploration of the top-share default over many seeds; run with --ignored --nocapture"]
fn explore_top_share() {
    for share in [0.005, 0.01, 0.02] {
        let (mut got, mut planted) = (0, 0);
        for seed in 1..=12 {
            let (r, p) = recovery(seed, share);
            got += r;
            planted += p;
        }
        println!("top share {share}: recovered {got} of {planted}");
    }
}

/// Whether Gi* with FDR finds any hot cell on background-only data.
fn null_has_hotspot(seed: u64, n: u64, cell_m: f64, band_m: f64) -> bool {
    let (t, _) = synthetic(seed, n, 0, Pattern::Uniform);
    let ds = t.store.load_dataset(None).unwrap();
    let harm = vec![1.0; ds.categories().len()];
    let mut p = params();
    p.cell_m = Some(cell_m);
    let prep = prepare(&ds, &p, &harm, "unit").unwrap();
    let g = prep.gistar(band_m, GiStarOptions::default()).unwrap();
    g.result.bin.iter().any(|&b| b >= 2)
}

#[test]
fn gistar_finds_nothing_on_complete_spatial_randomness() {
    // Homogeneous Poisson background, no planted hotspots: with the FDR correction at most 1 run in 20 may report a
    // hot cell. (Measured over 40 seeds: 1 of 40.)
    let hits = (1..=20).filter(|&s| null_has_hotspot(s, 50_000, 250.0, 500.0)).count();
    assert!(hits <= 1, "{hits} of 20 background-only runs reported a Gi* hotspot");
}

#[test]
#[ignore = "exploration of the null rate; run with --ignored --nocapture"]
fn explore_null() {
    for (n, cell, band) in [(20_000, 250.0, 500.0), (20_000, 500.0, 1000.0), (50_000, 250.0, 500.0)] {
        let hits = (1..=40).filter(|&s| null_has_hotspot(s, n, cell, band)).count();
        println!("uniform background n {n}, cell {cell}, band {band}: {hits} of 40 seeds report a Gi* hotspot");
    }
}
