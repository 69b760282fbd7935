//! Criterion benchmarks of the Knox test on Chicago 2017's acquisitive crime (THEFT, BURGLARY, MOTOR VEHICLE THEFT,
//! ROBBERY with coordinates: 99,772 incidents, read from `fixtures/chicago/chicago-2017.csv.gz`, projected to UTM
//! 16N, times as naive clock seconds — the data of `benches/peers/knox_peer.py` and of the whole-process timing in
//! BENCHMARKS.md). 10 x 100 m spatial bands (plus the same location) and 10 x 7 day temporal bands: the pair search
//! alone, and the whole test with 99 permutations (the 999 of the CLI default scale linearly).
//! Run with `cargo bench --bench nearrepeat`.

use criterion::{Criterion, criterion_group, criterion_main};
use hotspots::analysis::nearrepeat::pairs::find_pairs;
use hotspots::analysis::nearrepeat::{DistanceMetric, KnoxParams, SpaceBands, TimeBands, knox};
use hotspots::geo::{CrsDef, Projector};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

const CATEGORIES: [&str; 4] = ["THEFT", "BURGLARY", "MOTOR VEHICLE THEFT", "ROBBERY"];

fn chicago() -> (Vec<f64>, Vec<f64>, Vec<i64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("chicago").join("chicago-2017.csv.gz");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open fixture"))
        .read_to_end(&mut text)
        .expect("read fixture");
    let mut r = csv::Reader::from_reader(text.as_slice());
    let h = r.headers().expect("header").clone();
    let col = |n: &str| h.iter().position(|c| c == n).expect("column");
    let (date, kind, lat, lon) = (col("Date"), col("Primary Type"), col("Latitude"), col("Longitude"));
    let utm = Projector::new(&CrsDef::parse("EPSG:32616").expect("crs")).expect("projector");
    let (mut x, mut y, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for rec in r.records() {
        let rec = rec.expect("record");
        if !CATEGORIES.contains(&&rec[kind]) {
            continue;
        }
        let (Ok(la), Ok(lo)) = (rec[lat].parse::<f64>(), rec[lon].parse::<f64>()) else { continue };
        let when = chrono::NaiveDateTime::parse_from_str(&rec[date], "%m/%d/%Y %I:%M:%S %p").expect("date");
        let (px, py) = utm.from_lonlat(lo, la).expect("project");
        x.push(px);
        y.push(py);
        t.push(when.and_utc().timestamp());
    }
    (x, y, t)
}

fn params(iterations: usize) -> KnoxParams {
    KnoxParams {
        space: SpaceBands::uniform(100.0, 10, true).expect("space"),
        time: TimeBands::uniform(7.0, 10).expect("time"),
        metric: DistanceMetric::Euclidean,
        iterations,
        seed: 1,
        alpha: 0.05,
    }
}

fn nearrepeat_bench(c: &mut Criterion) {
    let (x, y, t) = chicago();
    let p = params(99);
    let mut g = c.benchmark_group("nearrepeat");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(format!("pairs_1000m_{}_incidents", x.len()), |b| {
        b.iter(|| find_pairs(&x, &y, &p.space, p.metric).expect("pairs"))
    });
    g.bench_function(format!("knox_11x10_bands_99_permutations_{}_incidents", x.len()), |b| {
        b.iter(|| knox(&x, &y, &t, &p).expect("knox"))
    });
    g.finish();
}

criterion_group!(benches, nearrepeat_bench);
criterion_main!(benches);
