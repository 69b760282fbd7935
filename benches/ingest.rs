//! Criterion benchmarks of the foundation: ingest end to end (parse, validate, store) and loading a store into
//! memory. Load is measured apart from ingest, as the map server pays it once at start-up.
//!
//! Data: Chicago 2017 from `fixtures/`, and 1M synthetic rows generated once into `target/bench-data`.
//! Run with `cargo bench --bench ingest`.

use criterion::{Criterion, criterion_group, criterion_main};
use hotspots::ingest::{IngestOptions, NoProgress, ingest_file};
use hotspots::store::Store;
use hotspots::synth::{SynthParams, generate};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn bench_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-data");
    std::fs::create_dir_all(&dir).expect("create target/bench-data");
    dir
}

/// 1M synthetic incidents (seed 1), generated on first use.
fn synthetic_1m() -> PathBuf {
    let path = bench_data().join("synth-1m-seed1.csv");
    if !path.exists() {
        let params = SynthParams { n: 1_000_000, seed: 1, ..SynthParams::default() };
        generate(&params, &path).expect("generate 1M synthetic rows");
    }
    path
}

fn ingest_once(file: &Path) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("b.db")).expect("store");
    let opts = IngestOptions { rejects_dir: Some(dir.path().join("rejects")), ..Default::default() };
    let s = ingest_file(&mut store, file, &opts, &NoProgress).expect("ingest");
    assert!(s.accepted > 0);
}

fn ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    let chicago = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chicago/chicago-2017.csv.gz");
    g.bench_function("chicago_2017_gz_268k_rows", |b| b.iter(|| ingest_once(&chicago)));
    let synth = synthetic_1m();
    g.bench_function("synthetic_csv_1m_rows", |b| b.iter(|| ingest_once(&synth)));
    g.finish();
}

fn load(c: &mut Criterion) {
    let store_path = bench_data().join("synth-1m-seed1.db");
    if !store_path.exists() {
        let mut store = Store::open(&store_path).expect("store");
        let opts = IngestOptions { rejects_dir: Some(bench_data().join("rejects")), ..Default::default() };
        ingest_file(&mut store, &synthetic_1m(), &opts, &NoProgress).expect("ingest");
    }
    let store = Store::open_existing(&store_path).expect("store");
    let mut g = c.benchmark_group("load");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("dataset_1m_incidents", |b| {
        b.iter(|| {
            let ds = store.load_dataset(None).expect("load");
            assert_eq!(ds.len(), 1_000_000);
            ds
        })
    });
    g.finish();
}

criterion_group!(benches, ingest, load);
criterion_main!(benches);
