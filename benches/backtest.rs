//! Criterion benchmark of the backtest: 1,000,000 synthetic incidents over two years (`hotspots synth --n 1000000
//! --seed 1 --days 730`, 20 km square), 28-day periods, 12 folds x 8 methods x 4 coverages on 50 m cells; and the
//! same with the default methods; and `choose_method` (the default methods at 1%). Run with
//! `cargo bench --bench backtest`.

use criterion::{Criterion, criterion_group, criterion_main};
use hotspots::analysis::backtest::{BacktestParams, backtest, choose_method, default_methods};
use hotspots::analysis::predict::{PredictMethod, Weights};
use hotspots::geo::CrsDef;
use hotspots::model::time::TimePrecision;
use hotspots::model::{Dataset, DatasetBuilder, IncidentRecord, SourceFile};
use hotspots::synth::{SynthParams, generate};
use std::path::Path;
use std::time::Duration;

const N: u64 = 1_000_000;

/// The 8 methods of the speed goal: three count baselines, a decay, two KDEs, prospective and a blend.
pub const EIGHT: [&str; 8] = [
    "counts:1",
    "counts:3",
    "counts:12",
    "decay:60d:6",
    "kde:25:3",
    "kde:250:3",
    "prospective:400:8w",
    "blend:3650d:300:0.1:6",
];

fn dataset() -> Dataset {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-data");
    std::fs::create_dir_all(&dir).expect("bench-data");
    let csv = dir.join("synth-1m-730d.csv");
    if !csv.exists() {
        let p = SynthParams { n: N, seed: 1, days: 730, ..SynthParams::default() };
        generate(&p, &csv).expect("synth");
    }
    let mut r = csv::Reader::from_path(&csv).expect("read synth");
    let mut b = DatasetBuilder::new(&CrsDef::utm_for(-1.9, 50.73), N as usize).expect("builder");
    b.add_source(SourceFile { import_id: 1, file: "synth".into() }).expect("source");
    for (line, rec) in r.records().enumerate() {
        let rec = rec.expect("record");
        let t = chrono::NaiveDateTime::parse_from_str(&rec[1], "%Y-%m-%dT%H:%M:%S").expect("time");
        b.push(&IncidentRecord {
            lon: rec[2].parse().expect("lon"),
            lat: rec[3].parse().expect("lat"),
            time_s: t.and_utc().timestamp(),
            precision: TimePrecision::Second,
            category: &rec[4],
            weight: 1.0,
            area: None,
            location: None,
            source: 0,
            line: line as u32 + 2,
        })
        .expect("push");
    }
    b.finish().expect("dataset")
}

fn bench(c: &mut Criterion) {
    let ds = dataset();
    let mut g = c.benchmark_group("backtest_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(60));
    let mut p = BacktestParams::new(Weights::count());
    p.methods = EIGHT.iter().map(|t| t.parse::<PredictMethod>().expect("method")).collect();
    let bt = backtest(&ds, &p).expect("backtest");
    assert_eq!(bt.folds.len(), 12);
    assert!(bt.methods.iter().all(|m| m.set_aside.is_none()));
    g.bench_function("12_folds_8_methods_4_coverages", |b| b.iter(|| backtest(&ds, &p).expect("backtest")));
    p.methods = default_methods();
    let name = format!("12_folds_{}_default_methods_4_coverages", p.methods.len());
    g.bench_function(name, |b| b.iter(|| backtest(&ds, &p).expect("backtest")));
    let at = bt.folds[0].to.as_str();
    let at_s = chrono::DateTime::parse_from_rfc3339(at).expect("at").timestamp();
    g.bench_function("choose_method", |b| {
        b.iter(|| choose_method(&ds, &[], &Weights::count(), at_s, 50.0).expect("choose"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
