//! Before and after on synthetic data with a planted change of rate, on data with none, and hotspot accuracy on
//! persistent and on uniform data; and `compare` on the real Dorset months against `info`.

use crate::common::{TempStore, bin, dorset_months};
use chrono::NaiveDate;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use hotspots::analysis::accuracy::accuracy;
use hotspots::analysis::compare::{Areas, change_grid, compare};
use hotspots::analysis::kde::Kernel;
use hotspots::analysis::pipeline::{AnalysisParams, prepare};
use hotspots::analysis::points::WeightMode;
use hotspots::ingest::IngestOptions;
use hotspots::model::Query;
use hotspots::model::Window;
use hotspots::model::time::month_start_s;
use hotspots::synth::{Pattern, SynthParams, SynthTruth, Trend, generate};
use std::process::Command;

fn month(y: i32, m: u32) -> i64 {
    month_start_s(y, m).unwrap()
}

/// 2024-01..2024-07 and 2024-07..2025-01: six whole months each.
fn halves() -> (Window, Window) {
    (Window { from_s: month(2024, 1), to_s: month(2024, 7) }, Window { from_s: month(2024, 7), to_s: month(2025, 1) })
}

fn synthetic(p: &SynthParams) -> (TempStore, SynthTruth) {
    let mut t = TempStore::new();
    let out = t.dir.path().join("synth.csv");
    let truth = generate(p, &out).unwrap();
    t.ingest(&out, &IngestOptions::default()).unwrap();
    (t, truth)
}

/// A 64-sided polygon of radius `r_m` around `c`.
fn circle(c: (f64, f64), r_m: f64) -> MultiPolygon<f64> {
    let ring: Vec<Coord<f64>> = (0..=64)
        .map(|k| {
            let a = std::f64::consts::TAU * f64::from(k % 64) / 64.0;
            Coord { x: c.0 + r_m * a.cos(), y: c.1 + r_m * a.sin() }
        })
        .collect();
    MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])])
}

#[test]
fn a_planted_drop_shows_in_the_target_the_wdd_and_the_change_map() {
    let base = SynthParams { n: 20_000, seed: 11, hotspots: 10, days: 366, ..SynthParams::default() };
    // The hotspots do not depend on the trends: plant the drop in the largest one, at 20% of its rate from July.
    let (_, plain) = synthetic(&base);
    let k = plain.hotspots.iter().max_by(|a, b| a.share.total_cmp(&b.share)).unwrap().id;
    let trend = Trend { hotspot: k, from: NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(), factor: 0.2 };
    let (t, truth) = synthetic(&SynthParams { trends: vec![trend], ..base });
    let h = &truth.hotspots[k - 1];
    let planted = h.trend.as_ref().unwrap();
    // The truth's exact counts: the after/before ratio of daily rates is near the factor (182 and 184 days).
    let rate_ratio = (planted.count_after as f64 / 184.0) / (planted.count_before as f64 / 182.0);
    assert!((rate_ratio - 0.2).abs() < 0.05, "{planted:?}: ratio {rate_ratio}");

    let ds = t.store.load_dataset(None).unwrap();
    let harm = vec![1.0; ds.categories().len()];
    let (before, after) = halves();
    let target = circle(h.centre_xy_m, 2.0 * h.sigma_m);
    let areas = Areas {
        target_xy_m: target,
        buffer_m: 250.0,
        control_xy_m: None,
        buffer_control_xy_m: None,
        description: format!("planted hotspot {k}"),
    };
    let c = compare(&ds, before, after, &[], &harm, Some(&areas)).unwrap();
    assert_eq!(c.total.before + c.total.after, 20_000.0);
    let a = c.areas.as_ref().unwrap();
    // Most of the hotspot's incidents lie within 2 sigma (86%), plus background: the target drops by well over half.
    let gross = a.gross_effect.relative.unwrap();
    assert!(gross < -0.5, "gross effect {gross}: {a:?}");
    assert!(a.gross_effect.text.starts_with('-'), "{}", a.gross_effect.text);
    // The target falls, the control does not: the net effect is a fall, and the WDD test finds it.
    assert!(a.net_effect.as_ref().unwrap().relative.unwrap() < -0.5, "{a:?}");
    let wdd = a.wdd.as_ref().unwrap();
    let z = wdd.z.unwrap();
    assert!(z < -5.0 && wdd.high95 < 0.0 && wdd.p.unwrap() < 0.001, "WDD {wdd:?}");
    assert!(a.wdq.wdq.is_some(), "the target improved against the control, so WDQ is defined: {:?}", a.wdq);

    // The change map: falls near the planted centre, and at most a few significant cells anywhere else.
    let cg = change_grid(&ds, before, after, &[], Some(250.0), 0.05).unwrap().unwrap();
    let near = |i: usize| {
        let (x, y) = cg.grid.centre(i);
        (x - h.centre_xy_m.0).hypot(y - h.centre_xy_m.1) <= 2.0 * h.sigma_m + 250.0
    };
    let falls_near = (0..cg.map.cells.len()).filter(|&i| near(i) && cg.map.cells[i].significant < 0).count();
    let elsewhere = (0..cg.map.cells.len()).filter(|&i| !near(i) && cg.map.cells[i].significant != 0).count();
    eprintln!("gross {gross:.3}, WDD z {z:.1}, change map: {falls_near} falls near, {elsewhere} elsewhere");
    assert!(falls_near >= 1, "no significant fall near the planted drop");
    assert!(elsewhere <= 3, "{elsewhere} significant cells away from the planted drop");
}

#[test]
fn with_no_planted_change_few_seeds_flag_any_cell() {
    let (before, after) = halves();
    let seeds = 20;
    let flagged: Vec<u64> = (1..=seeds)
        .filter(|&seed| {
            let (t, _) = synthetic(&SynthParams { n: 20_000, seed, hotspots: 10, days: 366, ..SynthParams::default() });
            let ds = t.store.load_dataset(None).unwrap();
            let cg = change_grid(&ds, before, after, &[], Some(250.0), 0.05).unwrap().unwrap();
            cg.map.cells.iter().any(|c| c.significant != 0)
        })
        .collect();
    eprintln!("seeds flagging a cell with no planted change: {flagged:?} of {seeds}");
    // At most 5% of seeds (1 of 20) may flag a cell: BH at q = 0.05 bounds the chance of any false discovery when
    // nothing changed, and the exact test is conservative.
    assert!(flagged.len() as u64 * 20 <= seeds, "seeds flagging a cell with no planted change: {flagged:?}");
}

/// PAI at 1, 2 and 5% coverage: hotspots chosen on the first half year, tested on the second.
fn pai(pattern: Pattern, hotspots: usize, seed: u64) -> Vec<f64> {
    let (t, _) = synthetic(&SynthParams { n: 20_000, seed, hotspots, pattern, ..SynthParams::default() });
    let ds = t.store.load_dataset(None).unwrap();
    let harm = vec![1.0; ds.categories().len()];
    let (train, test) = halves();
    let params = AnalysisParams {
        query: Query { from_s: Some(train.from_s), to_s: Some(train.to_s), categories: vec![], ..Default::default() },
        cell_m: Some(100.0),
        bandwidth_m: Some(300.0),
        kernel: Kernel::Quartic,
        weight: WeightMode::Count,
        study_area: None,
    };
    let prepared = prepare(&ds, &params, &harm, "unit").unwrap();
    let test_sel = Query { from_s: Some(test.from_s), to_s: Some(test.to_s), categories: vec![], ..Default::default() }
        .select(&ds)
        .unwrap();
    let every = Query { from_s: Some(train.from_s), to_s: Some(test.to_s), categories: vec![], ..Default::default() }
        .select(&ds)
        .unwrap();
    let rows = accuracy(&ds, &prepared, &test_sel, &every, &[1.0, 2.0, 5.0]).unwrap();
    for r in &rows {
        assert_eq!(r.train_total + r.test_total, 20_000);
        assert!(r.test_in <= r.test_total && r.train_in <= r.train_total);
    }
    rows.iter().map(|r| r.pai.unwrap()).collect()
}

#[test]
fn pai_is_high_on_persistent_hotspots_and_near_one_on_uniform_data() {
    for seed in [1, 2] {
        let persistent = pai(Pattern::Urban, 10, seed);
        assert!(persistent[2] > 4.0, "seed {seed}: PAI at 5% on planted hotspots {persistent:?}");
        assert!(persistent[0] >= persistent[2], "seed {seed}: smaller coverage concentrates more: {persistent:?}");
        let uniform = pai(Pattern::Uniform, 0, seed);
        eprintln!("seed {seed}: PAI at 1/2/5% on planted hotspots {persistent:.2?}, on uniform data {uniform:.2?}");
        assert!((0.6..1.5).contains(&uniform[2]), "seed {seed}: PAI at 5% on uniform data {uniform:?}");
    }
}

#[test]
fn compare_on_dorset_equals_the_info_month_totals() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let run = |args: &[&str]| {
        let out = Command::new(bin()).args(args).arg("--store").arg(&store).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let mut ingest = vec!["ingest".to_owned(), "--json".to_owned()];
    ingest.extend(dorset_months().iter().map(|p| p.display().to_string()));
    run(&ingest.iter().map(String::as_str).collect::<Vec<_>>());
    let info = run(&["info", "--json"]);
    let months = info["months"].as_object().unwrap_or_else(|| panic!("info has no months: {info}"));
    let sum = |from: &str, to: &str| -> f64 {
        months
            .iter()
            .filter(|(m, _)| m.as_str() >= from && m.as_str() < to)
            .map(|(_, v)| v.as_f64().unwrap_or_else(|| v["incidents"].as_f64().unwrap()))
            .sum()
    };
    let c = run(&["compare", "--before", "2018-10..2019-01", "--after", "2024-01..2024-04", "--json"]);
    // --out FILE.json writes what --json prints.
    let file = dir.path().join("c.json");
    let out = Command::new(bin())
        .args(["compare", "--before", "2018-10..2019-01", "--after", "2024-01..2024-04", "--out"])
        .arg(&file)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&file).unwrap()).unwrap(), c);
    let (b, a) = (sum("2018-10", "2019-01"), sum("2024-01", "2024-04"));
    assert!(b > 10_000.0 && a > 10_000.0, "{b} {a}");
    assert_eq!(c["total"]["before"].as_f64().unwrap(), b);
    assert_eq!(c["total"]["after"].as_f64().unwrap(), a);
    // 92 days against 91: compared per day, with a warning that says so.
    assert_eq!(c["length_ratio"].as_f64().unwrap(), 91.0 / 92.0);
    assert!(c["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("92 days before, 91 after")));
    assert_eq!(c["total"]["text"], "-16.3% (-2,801.7)");
    let cats: f64 = c["categories"].as_array().unwrap().iter().map(|r| r["change"]["before"].as_f64().unwrap()).sum();
    assert_eq!(cats, b);
}
