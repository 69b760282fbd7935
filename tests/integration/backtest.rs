//! The backtest and the choice of method on real data (the Dorset months and Chicago 2017 in `fixtures/`), checked
//! by an independent computation; on planted synthetic hotspots that stay, move, fade and appear; against
//! `accuracy` on the same split; and through the CLI.

use crate::common::{TempStore, bin, chicago, dorset_months};
use chrono::{DateTime, NaiveDate};
use geo::{ConvexHull, Intersects};
use hotspots::analysis::accuracy::accuracy;
use hotspots::analysis::backtest::choose::ChoiceReason;
use hotspots::analysis::backtest::{
    Backtest, BacktestParams, DEFAULT_METHOD, MethodRecord, backtest, choose_from, choose_method,
};
use hotspots::analysis::kde::Kernel;
use hotspots::analysis::pipeline::{AnalysisParams, prepare};
use hotspots::analysis::points::WeightMode;
use hotspots::analysis::predict::{Period, PredictMethod, Weights, ranked_cells_dense, score_cells, study_area};
use hotspots::geo::Projector;
use hotspots::grid::{BoxM, Grid};
use hotspots::ingest::IngestOptions;
use hotspots::model::time::month_start_s;
use hotspots::model::{Dataset, DatasetBuilder, IncidentRecord, Query, SourceFile};
use hotspots::synth::{SynthParams, Trend, generate};
use std::process::Command;

const CELL_M: f64 = 50.0;
const CHECKED_COVERAGES: [f64; 3] = [1.0, 2.0, 5.0];

fn dorset() -> (TempStore, Dataset) {
    let mut t = TempStore::new();
    for f in dorset_months() {
        t.ingest(&f, &IngestOptions::default()).unwrap();
    }
    let ds = t.store.load_dataset(None).unwrap();
    (t, ds)
}

fn chicago_2017() -> (TempStore, Dataset) {
    let opts = crate::common::chicago_options();
    let mut t = TempStore::new();
    t.ingest(&chicago(), &opts).unwrap();
    let ds = t.store.load_dataset(None).unwrap();
    (t, ds)
}

fn instant(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text).unwrap().timestamp()
}

fn month(y: i32, m: u32) -> i64 {
    month_start_s(y, m).unwrap()
}

/// The start of the lookback of `n` periods before `fit_end`, counted without the engine.
fn lookback_start(period: Period, fit_end: i64, n: u32) -> i64 {
    match period {
        Period::Days(d) => fit_end - i64::from(n) * i64::from(d) * 86_400,
        Period::Month => {
            let date = DateTime::from_timestamp(fit_end, 0).unwrap().date_naive();
            date.checked_sub_months(chrono::Months::new(n)).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
        }
    }
}

/// The independent study area: the cells whose four corners lie in the convex hull (geo) of the incidents of the
/// span, leaving out any incident more than 10 km from every other incident of the span.
fn independent_study(ds: &Dataset, from: i64, to: i64, cell_m: f64) -> (Grid, Vec<bool>) {
    let pts: Vec<(f64, f64)> =
        (0..ds.len()).filter(|&i| (from..to).contains(&ds.time_s()[i])).map(|i| (ds.x_m()[i], ds.y_m()[i])).collect();
    // Nearest neighbour through 10 km buckets.
    let key = |p: &(f64, f64)| ((p.0 / 10_000.0).floor() as i64, (p.1 / 10_000.0).floor() as i64);
    let mut buckets: std::collections::HashMap<(i64, i64), Vec<(f64, f64)>> = Default::default();
    for p in &pts {
        buckets.entry(key(p)).or_default().push(*p);
    }
    // Lonely: no incident but itself within 10 km (coincident incidents are not lonely: they count each other).
    let lonely = |p: &(f64, f64)| {
        let (kx, ky) = key(p);
        let mut near = 0;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for q in buckets.get(&(kx + dx, ky + dy)).map_or(&[][..], Vec::as_slice) {
                    if (q.0 - p.0).hypot(q.1 - p.1) <= 10_000.0 {
                        near += 1;
                        if near > 1 {
                            return false;
                        }
                    }
                }
            }
        }
        true
    };
    let kept: Vec<(f64, f64)> = pts.iter().copied().filter(|p| !lonely(p)).collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = kept.iter().copied().unzip();
    let grid = Grid::covering(&BoxM::of_points(&xs, &ys).unwrap(), 0.0, cell_m, ds.crs()).unwrap();
    let hull = geo::MultiPoint::from(kept).convex_hull();
    let corners: Vec<bool> = (0..=grid.rows)
        .flat_map(|r| (0..=grid.cols).map(move |c| (r, c)))
        .map(|(r, c)| {
            let p = geo::Point::new(grid.origin_x_m + c as f64 * cell_m, grid.origin_y_m + r as f64 * cell_m);
            hull.intersects(&p)
        })
        .collect();
    let at = |r: usize, c: usize| corners[r * (grid.cols + 1) + c];
    let study = (0..grid.n_cells())
        .map(|i| (i / grid.cols, i % grid.cols))
        .map(|(r, c)| at(r, c) && at(r + 1, c) && at(r, c + 1) && at(r + 1, c + 1))
        .collect();
    (grid, study)
}

/// Hit rates of the best `k` study cells by `score` (ties to the lower cell index) on `[from, to)`, counted by
/// binning the incidents directly.
fn independent_hits(
    ds: &Dataset,
    grid: &Grid,
    study: &[bool],
    score: &[f64],
    from: i64,
    to: i64,
    ks: &[usize],
) -> Vec<f64> {
    let mut count = vec![0u32; grid.n_cells()];
    let mut total = 0u32;
    for i in 0..ds.len() {
        if (from..to).contains(&ds.time_s()[i]) {
            total += 1;
            if let Some(c) = grid.cell_at(ds.x_m()[i], ds.y_m()[i]) {
                count[c] += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..grid.n_cells()).filter(|&c| study[c] && score[c] > 0.0).collect();
    order.sort_by(|&a, &b| score[b].partial_cmp(&score[a]).unwrap().then(a.cmp(&b)));
    ks.iter().map(|&k| order.iter().take(k).map(|&c| f64::from(count[c])).sum::<f64>() / f64::from(total)).collect()
}

/// Counts per cell over `[from, to)`, without the engine.
fn independent_counts(ds: &Dataset, grid: &Grid, from: i64, to: i64) -> Vec<f64> {
    let mut v = vec![0.0; grid.n_cells()];
    for i in 0..ds.len() {
        if (from..to).contains(&ds.time_s()[i])
            && let Some(c) = grid.cell_at(ds.x_m()[i], ds.y_m()[i])
        {
            v[c] += 1.0;
        }
    }
    v
}

/// The mean hit rate at each checked coverage of `method` over the backtest's folds, computed independently:
/// counts from the incidents directly, other methods scored by `score_cells` (the prediction, not the evaluation).
/// Also checks that the independent study area and hit rates equal the backtest's.
fn independent_means(ds: &Dataset, bt: &Backtest, record: &MethodRecord) -> Vec<f64> {
    let span_from = instant(&bt.study_area.from);
    let span_to = instant(&bt.study_area.to);
    let (grid, study) = independent_study(ds, span_from, span_to, bt.study_area.cell_m);
    let study_cells = study.iter().filter(|&&s| s).count();
    assert_eq!(study_cells, bt.study_area.cells, "the study area, counted independently");
    let ks: Vec<usize> = CHECKED_COVERAGES.iter().map(|c| record.at(*c).unwrap().cells_allowed).collect();
    for (&c, &k) in CHECKED_COVERAGES.iter().zip(&ks) {
        assert_eq!(k, (c / 100.0 * study_cells as f64).floor() as usize);
    }
    let mut sums = vec![0.0; ks.len()];
    for (f, fold) in bt.folds.iter().enumerate() {
        let (from, to) = (instant(&fold.from), instant(&fold.to));
        let score = match record.method {
            PredictMethod::Counts { periods } => {
                independent_counts(ds, &grid, lookback_start(bt.period, from, periods), from)
            }
            m => score_cells(ds, &[], &grid, &m, from, &Weights::count()).unwrap(),
        };
        let hits = independent_hits(ds, &grid, &study, &score, from, to, &ks);
        for (c, h) in CHECKED_COVERAGES.iter().zip(&hits) {
            let engine = record.at(*c).unwrap().per_fold[f].hit_rate.unwrap();
            assert!(
                (engine - h).abs() < 1e-12,
                "{} at {c}% in {}: engine {engine}, independent {h}",
                record.text,
                fold.label
            );
        }
        for (s, h) in sums.iter_mut().zip(hits) {
            *s += h;
        }
    }
    sums.iter().map(|s| s / bt.folds.len() as f64).collect()
}

/// The method `choose_method` picks catches at least as much as the best count baseline at 1, 2 and 5%, in the
/// backtest and independently; and the documented default does too, against every count baseline it can be
/// compared with.
fn check_choice(ds: &Dataset, at: i64, name: &str) {
    let choice = choose_method(ds, &[], &Weights::count(), at, CELL_M).unwrap();
    assert_eq!(choice.reason, ChoiceReason::Backtest, "{name}: {}", choice.sentence);
    let mut p = BacktestParams::new(Weights::count());
    p.at_s = Some(at);
    let bt = backtest(ds, &p).unwrap();
    assert_eq!(choose_from(&bt).method, choice.method, "{name}: the choice at every coverage is the choice at 1%");
    let chosen = bt.evaluated().find(|m| m.method == choice.method).unwrap();
    let counts: Vec<&MethodRecord> = bt.evaluated().filter(|m| m.method.is_counts()).collect();
    assert!(!counts.is_empty());
    let mean = |m: &MethodRecord, c: f64| m.at(c).unwrap().hit_rate.unwrap().mean;
    for c in CHECKED_COVERAGES {
        let best = counts.iter().map(|m| mean(m, c)).fold(0.0, f64::max);
        assert!(mean(chosen, c) >= best, "{name}: {} at {c}%: {} < counts {best}", chosen.text, mean(chosen, c));
    }
    let own = independent_means(ds, &bt, chosen);
    for m in &counts {
        let theirs = independent_means(ds, &bt, m);
        for ((c, a), b) in CHECKED_COVERAGES.iter().zip(&own).zip(&theirs) {
            assert!(a >= b, "{name}: independently, {} at {c}%: {a} < {} {b}", chosen.text, m.text);
        }
    }
    eprintln!("{name}: {}", choice.sentence);
}

/// The default (3-period lookback) against counts over 1 and 3 periods on the folds where it can be fitted.
fn check_default(ds: &Dataset, at: i64, folds: usize, name: &str) {
    let mut p = BacktestParams::new(Weights::count());
    p.at_s = Some(at);
    p.folds = folds;
    p.methods = vec![DEFAULT_METHOD, "counts:1".parse().unwrap(), "counts:3".parse().unwrap()];
    let bt = backtest(ds, &p).unwrap();
    assert!(bt.methods.iter().all(|m| m.set_aside.is_none()), "{name}");
    for c in [0.5, 1.0, 2.0, 5.0] {
        let rate = |m: &MethodRecord| m.at(c).unwrap().hit_rate.unwrap().mean;
        let default = rate(&bt.methods[0]);
        assert!(default >= rate(&bt.methods[1]) && default >= rate(&bt.methods[2]), "{name} at {c}%");
    }
}

#[test]
fn dorset_the_choice_and_the_default_beat_counts() {
    let (_t, ds) = dorset();
    check_choice(&ds, month(2024, 4), "Dorset");
    // The 3-month default can be fitted before January and February 2019 only.
    check_default(&ds, month(2019, 3), 2, "Dorset 2019");
}

#[test]
fn chicago_the_choice_and_the_default_beat_counts() {
    let (_t, ds) = chicago_2017();
    let at = instant("2018-01-01T00:00:00Z");
    check_choice(&ds, at, "Chicago");
    check_default(&ds, at, 12, "Chicago");
}

/// Incidents of `ds` kept by `keep`, others added: a new dataset (the same CRS).
fn rebuild(ds: &Dataset, keep: impl Fn(usize) -> bool, extra: &[(f64, f64, i64)]) -> Dataset {
    let mut b = DatasetBuilder::new(ds.crs(), ds.len()).unwrap();
    b.add_source(SourceFile { import_id: 1, file: "x".into() }).unwrap();
    // Categories interned in the original order, so ids (and harm weights) match.
    for name in ds.categories().names() {
        b.intern_category(name);
    }
    for i in (0..ds.len()).filter(|&i| keep(i)) {
        let r = ds.get(i).unwrap();
        b.push(&IncidentRecord {
            lon: r.lon,
            lat: r.lat,
            time_s: r.time_s,
            precision: r.precision,
            category: r.category,
            weight: r.weight,
            area: None,
            location: None,
            source: 0,
            line: r.line,
        })
        .unwrap();
    }
    let category = ds.categories().names()[0].clone();
    for &(lon, lat, t) in extra {
        b.push(&IncidentRecord {
            lon,
            lat,
            time_s: t,
            precision: hotspots::model::TimePrecision::Second,
            category: &category,
            weight: 1.0,
            area: None,
            location: None,
            source: 0,
            line: 0,
        })
        .unwrap();
    }
    b.finish().unwrap()
}

#[test]
fn planted_hotspots_that_stay_move_fade_and_appear() {
    // Five planted hotspots over 2024: 1 stays; 2 fades out in July; 3 appears in July; 4 moves to 5's place in
    // July (4 fades, 5 appears the same day).
    let july = NaiveDate::from_ymd_opt(2024, 7, 1).unwrap();
    let trend = |hotspot, factor| Trend { hotspot, from: july, factor };
    let p = SynthParams {
        n: 60_000,
        seed: 5,
        hotspots: 5,
        hotspot_share: 0.6,
        trends: vec![trend(2, 0.0), trend(3, 1000.0), trend(4, 0.0), trend(5, 1000.0)],
        ..SynthParams::default()
    };
    let mut t = TempStore::new();
    let out = t.dir.path().join("planted.csv");
    let truth = generate(&p, &out).unwrap();
    t.ingest(&out, &IngestOptions::default()).unwrap();
    let ds = t.store.load_dataset(None).unwrap();
    let at = instant("2025-01-01T00:00:00Z");
    let choice = choose_method(&ds, &[], &Weights::count(), at, CELL_M).unwrap();
    assert_eq!(choice.reason, ChoiceReason::Backtest);
    eprintln!("planted: {} ({})", choice.text, choice.sentence);

    // The places for the next 28 days: the best 1% of the study area of the last year.
    let (xs, ys) = (ds.x_m().to_vec(), ds.y_m().to_vec());
    let grid = Grid::covering(&BoxM::of_points(&xs, &ys).unwrap(), 0.0, CELL_M, ds.crs()).unwrap();
    let area = study_area(&xs, &ys, &xs, &ys, &grid);
    let k = area.cells / 100;
    let places = |m: &PredictMethod| -> Vec<u32> {
        let s = score_cells(&ds, &[], &grid, m, at, &Weights::count()).unwrap();
        ranked_cells_dense(&s, &area.mask, k).into_iter().map(|(c, _)| c).collect()
    };
    let projector = Projector::new(ds.crs()).unwrap();
    let near = |cells: &[u32], h: usize| -> bool {
        let (lon, lat) = truth.hotspots[h - 1].centre_lonlat;
        let (x, y) = projector.from_lonlat(lon, lat).unwrap();
        cells.iter().any(|&c| {
            let (cx, cy) = grid.centre(c as usize);
            (cx - x).hypot(cy - y) <= 100.0
        })
    };
    let chosen = places(&choice.method);
    for (h, what) in [(1, "stays"), (3, "appears"), (5, "moved here")] {
        assert!(near(&chosen, h), "hotspot {h} ({what}) is not among the places of {}", choice.text);
    }
    for (h, what) in [(2, "faded"), (4, "moved away")] {
        assert!(!near(&chosen, h), "hotspot {h} ({what}) is still among the places of {}", choice.text);
    }
    // A year of counts remembers the old places: the check can tell.
    let stale = places(&"counts:13".parse().unwrap());
    assert!(near(&stale, 2) && near(&stale, 4), "a year of counts should still hold the faded places");

    // No leakage: the places for the last fold do not change when its incidents do (removed, or others added).
    let fit_end = at - 28 * 86_400;
    let (lon, lat) = truth.hotspots[1].centre_lonlat;
    let changed = rebuild(&ds, |i| ds.time_s()[i] < fit_end, &[(lon, lat, fit_end), (lon, lat, fit_end + 86_400)]);
    for m in [choice.method, DEFAULT_METHOD, "prospective:400:8w".parse().unwrap(), "kde:100:3".parse().unwrap()] {
        let a = score_cells(&ds, &[], &grid, &m, fit_end, &Weights::count()).unwrap();
        let b = score_cells(&changed, &[], &grid, &m, fit_end, &Weights::count()).unwrap();
        assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{m}: the future changed the scores");
        assert_eq!(ranked_cells_dense(&a, &area.mask, k), ranked_cells_dense(&b, &area.mask, k));
    }
}

#[test]
fn accuracy_and_backtest_agree_on_the_same_split() {
    let mut t = TempStore::new();
    for f in dorset_months().iter().filter(|f| f.to_string_lossy().contains("2024-")) {
        t.ingest(f, &IngestOptions::default()).unwrap();
    }
    let ds = t.store.load_dataset(None).unwrap();
    let coverages = [0.5, 1.0, 2.0, 5.0];
    for bandwidth_m in [25.0, 100.0, 250.0] {
        // Fitted on January and February 2024, tested on March.
        let mut p = BacktestParams::new(Weights::count());
        p.methods = vec![PredictMethod::Kde { bandwidth_m, periods: 2 }];
        p.coverages_pct = coverages.to_vec();
        p.folds = 1;
        let bt = backtest(&ds, &p).unwrap();
        assert_eq!(bt.folds[0].label, "2024-03");
        let params = AnalysisParams {
            query: Query {
                from_s: Some(month(2024, 1)),
                to_s: Some(month(2024, 3)),
                categories: vec![],
                ..Default::default()
            },
            cell_m: Some(CELL_M),
            bandwidth_m: Some(bandwidth_m),
            kernel: Kernel::Quartic,
            weight: WeightMode::Count,
            study_area: None,
        };
        let prepared = prepare(&ds, &params, &vec![1.0; ds.categories().len()], "unit").unwrap();
        let test = Query {
            from_s: Some(month(2024, 3)),
            to_s: Some(month(2024, 4)),
            categories: vec![],
            ..Default::default()
        }
        .select(&ds)
        .unwrap();
        let every = Query {
            from_s: Some(month(2024, 1)),
            to_s: Some(month(2024, 4)),
            categories: vec![],
            ..Default::default()
        }
        .select(&ds)
        .unwrap();
        let rows = accuracy(&ds, &prepared, &test, &every, &coverages).unwrap();
        for (row, c) in rows.iter().zip(&bt.methods[0].coverages) {
            assert_eq!(row.study_cells, bt.study_area.cells, "{bandwidth_m} m");
            let f = &c.per_fold[0];
            assert_eq!(
                (row.cells, row.test_in, row.reached),
                (f.cells, f.hits, c.reached),
                "{bandwidth_m} m at {}%",
                c.coverage_pct
            );
            assert_eq!(row.hit_rate, f.hit_rate);
            assert_eq!(row.area_share, f.area_share);
            assert!(row.area_share * 100.0 <= c.coverage_pct + 1e-12);
        }
    }
}

#[test]
fn cli_backtest_prints_writes_and_charts() {
    let mut t = TempStore::new();
    for f in dorset_months().iter().filter(|f| f.to_string_lossy().contains("2024-")) {
        t.ingest(f, &IngestOptions::default()).unwrap();
    }
    let store = t.path();
    let chart = t.dir.path().join("chart.svg");
    let run = |extra: &[&str]| {
        let out = Command::new(bin())
            .arg("--store")
            .arg(&store)
            .args(["backtest", "--methods", "counts:1,kde:100:1,blend:3650d:300:0.1:1"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = run(&["--chart", chart.to_str().unwrap()]);
    for want in [
        "2 folds of one month each",
        "study area:",
        "convex hull",
        "counts:1",
        "incidents per cell over the last month",
        "PEI",
        "harm captured",
        "choice at 1% of the area",
        "2024-01: not tested",
    ] {
        assert!(text.contains(want), "missing '{want}' in:\n{text}");
    }
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 3);
    let json: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    assert_eq!(json["backtest"]["methods"][0]["method"]["method"], "counts");
    assert_eq!(json["backtest"]["folds"].as_array().unwrap().len(), 2);
    assert!(json["choice"]["sentence"].as_str().unwrap().contains("too little history"));
    let csv = run(&["--csv"]);
    assert!(csv.starts_with("method,description,coverage_pct,fold,"));
    // 3 methods x 4 coverages x (2 folds + mean, min, max) rows, and the header.
    assert_eq!(csv.lines().count(), 1 + 3 * 4 * 5);
    // The same bytes at any thread count.
    let threads = |n: &str| {
        let out = Command::new(bin())
            .arg("--store")
            .arg(&store)
            .args(["backtest", "--json"])
            .env("RAYON_NUM_THREADS", n)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(threads("1"), threads("2"));
    // Bad input is a clear error.
    let out =
        Command::new(bin()).arg("--store").arg(&store).args(["backtest", "--methods", "count:3"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown kind 'count'"));
    let out = Command::new(bin()).arg("--store").arg(&store).args(["backtest", "--period", "week"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("known only to the month"));
}
