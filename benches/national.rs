//! Criterion benchmarks on a national store (20 million synthetic incidents over England and Wales), made by
//! `benches/national.sh`: loading the dataset from the snapshot, and a county-month `find` and `density` (Dorset,
//! March 2024) as the CLI runs them, the store already loaded: `find` by default (predicted places with the method
//! choice already kept beside the store, as from its second run), the method choice itself (its first run), `find
//! --method kde`, and `density`. Needs `HOTSPOTS_NATIONAL_STORE=PATH`; without it nothing runs.
//! `cargo bench --bench national`.

use criterion::{Criterion, criterion_group, criterion_main};
use hotspots::analysis::harm::HarmTable;
use hotspots::analysis::hotspots::{CellRule, RankBy};
use hotspots::analysis::kde::Kernel;
use hotspots::analysis::pipeline::{AnalysisParams, prepare, prepare_for_rule};
use hotspots::analysis::points::WeightMode;
use hotspots::analysis::spec::HotspotRule;
use hotspots::model::{Dataset, Query};
use hotspots::store::Store;
use std::path::PathBuf;
use std::time::Duration;

/// Dorset (the pre-2019 county and Bournemouth and Poole), WGS84.
const DORSET: [f64; 4] = [-2.96, 50.51, -1.68, 51.08];

fn store() -> Option<PathBuf> {
    std::env::var_os("HOTSPOTS_NATIONAL_STORE").map(PathBuf::from)
}

fn county_month() -> AnalysisParams {
    AnalysisParams {
        query: Query {
            from_s: hotspots::model::time::month_start_s(2024, 3),
            to_s: hotspots::model::time::month_start_s(2024, 4),
            categories: Vec::new(),
            bbox_lonlat: Some(DORSET),
        },
        cell_m: None,
        bandwidth_m: None,
        kernel: Kernel::Quartic,
        weight: WeightMode::Count,
        study_area: None,
    }
}

fn national(c: &mut Criterion) {
    let Some(path) = store() else {
        eprintln!("national: set HOTSPOTS_NATIONAL_STORE to a store made by benches/national.sh");
        return;
    };
    let mut g = c.benchmark_group("national");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("open_and_load_snapshot", |b| {
        b.iter(|| Store::open_existing(&path).expect("store").load_dataset(None).expect("load").len())
    });
    let ds: Dataset = Store::open_existing(&path).expect("store").load_dataset(None).expect("load");
    let (harm, _) = HarmTable::police_uk_default().weights_for(ds.categories().names(), 1.0);
    let params = county_month();
    g.bench_function("select_month_all_england_wales", |b| b.iter(|| params.query.select(&ds).expect("select").len()));
    g.bench_function("county_month_density", |b| {
        b.iter(|| {
            let p = prepare(&ds, &params, &harm, "default").expect("prepare");
            p.density().expect("density").density_per_km2.len()
        })
    });
    g.bench_function("county_month_find_kde", |b| {
        b.iter(|| {
            let p = prepare(&ds, &params, &harm, "default").expect("prepare");
            let s = p.density().expect("density");
            p.hotspots(&ds, &s, None, CellRule::TopShare(0.01), RankBy::Count, &harm).expect("hotspots").hotspots.len()
        })
    });
    // `find` by default: the patrol-scale grid, the places the kept method choice predicts (made once here).
    let rule = HotspotRule::default();
    let first = prepare_for_rule(&ds, &params, &rule, &harm, "default", None).expect("prepare");
    let choice = first.choose_predictor(&ds, &harm).expect("choice");
    g.bench_function("county_month_find", |b| {
        b.iter(|| {
            let p = prepare_for_rule(&ds, &params, &rule, &harm, "default", None).expect("prepare");
            let set = p.rule_hotspots(&ds, None, &rule, None, &harm, Some(&choice.method)).expect("hotspots");
            set.hotspots.len()
        })
    });
    g.bench_function("county_month_method_choice", |b| {
        b.iter(|| {
            let p = prepare_for_rule(&ds, &params, &rule, &harm, "default", None).expect("prepare");
            p.choose_predictor(&ds, &harm).expect("choice").method
        })
    });
    g.finish();
}

criterion_group!(benches, national);
criterion_main!(benches);
