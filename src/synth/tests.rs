//! Tests of the synthetic generator: determinism, edge cases, parameter checks, the format of every row, and that
//! the planted structure (coincident points, hotspots) is really there.

use super::names::CATEGORIES;
use super::rows::HEADER;
use super::*;
use crate::geo::{CrsDef, Projector};
use crate::synth::CityTruth;
use chrono::{NaiveDate, NaiveDateTime};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::io::Read;

fn params(n: u64, seed: u64) -> SynthParams {
    SynthParams { n, seed, ..SynthParams::default() }
}

/// Generates into `dir/name` and returns the truth and the CSV text.
fn run(p: &SynthParams, dir: &Path, name: &str) -> (SynthTruth, String) {
    let out = dir.join(name);
    let truth = match generate(p, &out) {
        Ok(t) => t,
        Err(e) => panic!("generate failed: {e}"),
    };
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    (truth, text)
}

fn tempdir() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("no temporary directory: {e}"),
    }
}

fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let dir = tempdir();
    let p = params(2_000, 7);
    let (ta, a) = run(&p, dir.path(), "a.csv");
    let (tb, b) = run(&p, dir.path(), "b.csv");
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(ta, tb);
    assert_eq!(bytes(&truth_path(&dir.path().join("a.csv"))), bytes(&truth_path(&dir.path().join("b.csv"))));
    let (_, c) = run(&params(2_000, 8), dir.path(), "c.csv");
    assert_ne!(a, c);
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let dir = tempdir();
    // Many small chunks (the real size is 65,536 rows), so the debug build stays fast.
    let p = SynthParams { n: 5_010, map_points: Some(800), ..params(0, 3) };
    let in_pool = |threads: usize, name: &str| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
        let pool = pool.unwrap_or_else(|e| panic!("no pool: {e}"));
        let out = dir.path().join(name);
        pool.install(|| generate_chunked(&p, &out, 500)).unwrap_or_else(|e| panic!("{e}"));
        bytes(&out)
    };
    let one = in_pool(1, "one.csv.gz");
    let four = in_pool(4, "four.csv.gz");
    assert!(one.len() > 1000);
    assert_eq!(one, four);
    // Multi-member gzip: one stream for MultiGzDecoder, with every row.
    let mut text = String::new();
    let mut dec = flate2::read::MultiGzDecoder::new(&one[..]);
    dec.read_to_string(&mut text).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.starts_with(HEADER));
    assert_eq!(text.lines().count() as u64, p.n + 1);
    let plain = dir.path().join("plain.csv");
    generate_chunked(&p, &plain, 500).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text.as_bytes(), bytes(&plain));
}

#[test]
fn zero_one_and_no_hotspots() {
    let dir = tempdir();
    let (t0, csv0) = run(&params(0, 1), dir.path(), "zero.csv");
    assert_eq!(csv0, HEADER);
    assert_eq!(t0.n, 0);
    assert_eq!(t0.background.count, 0);
    assert!(t0.hotspots.iter().all(|h| h.planted_count == 0));
    let json = std::fs::read_to_string(truth_path(&dir.path().join("zero.csv"))).unwrap_or_default();
    let back: SynthTruth = serde_json::from_str(&json).unwrap_or_else(|e| panic!("truth does not parse: {e}"));
    // serde_json's float parsing may differ in the last bit, so compare the exact fields.
    assert_eq!((back.n, back.background.count, back.hotspots.len()), (0, 0, t0.hotspots.len()));
    assert_eq!(back.params.start, t0.params.start);
    assert_eq!(back.format, TRUTH_FORMAT);

    let (t1, csv1) = run(&params(1, 1), dir.path(), "one.csv");
    assert_eq!(csv1.lines().count(), 2);
    assert_eq!(t1.background.count + t1.hotspots.iter().map(|h| h.planted_count).sum::<u64>(), 1);

    let p = SynthParams { hotspots: 0, ..params(500, 2) };
    let (t, csv) = run(&p, dir.path(), "flat.csv");
    assert!(t.hotspots.is_empty());
    assert_eq!(t.background.count, 500);
    assert_eq!(csv.lines().count(), 501);
}

#[test]
fn invalid_parameters_are_refused_and_nothing_is_written() {
    let dir = tempdir();
    let base = params(10, 1);
    let cases: Vec<(&str, SynthParams)> = vec![
        ("extent_m", SynthParams { extent_m: 0.0, ..base.clone() }),
        ("extent_m", SynthParams { extent_m: -5.0, ..base.clone() }),
        ("extent_m", SynthParams { extent_m: f64::NAN, ..base.clone() }),
        ("extent_m", SynthParams { extent_m: f64::INFINITY, ..base.clone() }),
        ("days", SynthParams { days: 0, ..base.clone() }),
        ("hotspot_share", SynthParams { hotspot_share: 1.5, ..base.clone() }),
        ("hotspot_share", SynthParams { hotspot_share: -0.1, ..base.clone() }),
        ("hotspot_share", SynthParams { hotspot_share: f64::NAN, ..base.clone() }),
        ("centre_lonlat", SynthParams { centre_lonlat: (200.0, 50.0), ..base.clone() }),
        ("centre_lonlat", SynthParams { centre_lonlat: (0.0, f64::NAN), ..base.clone() }),
        ("centre_lonlat", SynthParams { centre_lonlat: (179.99, -79.9), ..base.clone() }),
        ("map_points", SynthParams { map_points: Some(0), ..base.clone() }),
        ("hotspots", SynthParams { hotspots: MAX_HOTSPOTS + 1, ..base.clone() }),
    ];
    for (param, p) in cases {
        let out = dir.path().join("bad.csv");
        match generate(&p, &out) {
            Err(e @ SynthError::InvalidParam { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(param) && msg.contains("expected"), "{msg}");
            }
            other => panic!("{param}: expected InvalidParam, got {other:?}"),
        }
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "files left behind: {left:?}");
    // An unwritable destination is an I/O error naming the path, and leaves nothing.
    let missing = dir.path().join("no-such-dir").join("x.csv");
    match generate(&base, &missing) {
        Err(e @ SynthError::Io { .. }) => assert!(e.to_string().contains("no-such-dir"), "{e}"),
        other => panic!("expected Io, got {other:?}"),
    }
}

/// Checks every row of `csv` against `truth` and returns the rows' `(lon, lat)` texts.
fn check_rows(csv: &str, truth: &SynthTruth) -> Vec<(String, String)> {
    let start = NaiveDateTime::parse_from_str(&truth.time_from, "%Y-%m-%dT%H:%M:%S").unwrap_or_default();
    let end = NaiveDateTime::parse_from_str(&truth.time_to_exclusive, "%Y-%m-%dT%H:%M:%S").unwrap_or_default();
    let [min_lon, min_lat, max_lon, max_lat] = truth.study_area.bbox_lonlat;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(HEADER.trim_end()));
    let mut ids = HashSet::new();
    let mut coords = Vec::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 7, "{line}");
        assert!(f[0].starts_with('S') && ids.insert(f[0].to_owned()), "{line}");
        let t = NaiveDateTime::parse_from_str(f[1], "%Y-%m-%dT%H:%M:%S").unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(start <= t && t < end, "{line}");
        for (text, lo, hi) in [(f[2], min_lon, max_lon), (f[3], min_lat, max_lat)] {
            assert_eq!(text.split_once('.').map(|(_, d)| d.len()), Some(6), "{line}");
            let v: f64 = text.parse().unwrap_or(f64::NAN);
            assert!(lo <= v && v <= hi, "{line}: outside the study area");
        }
        assert!(CATEGORIES.contains(&f[4]), "{line}");
        assert!(f[5].starts_with("On or near ") && f[5].len() > 11, "{line}");
        let prefix = if truth.params.extent.is_square() { "E0900" } else { "E01" };
        assert!(
            f[6].len() == 9 && f[6].starts_with(prefix) && f[6][prefix.len()..].bytes().all(|b| b.is_ascii_digit()),
            "{line}"
        );
        coords.push((f[2].to_owned(), f[3].to_owned()));
    }
    assert_eq!(coords.len() as u64, truth.n);
    coords
}

#[test]
fn every_row_parses_and_lies_in_the_study_area() {
    let dir = tempdir();
    for seed in 1..=4 {
        let p = SynthParams {
            days: 30 + seed as u32,
            hotspots: seed as usize,
            map_points: Some(1_000),
            ..params(1_500, seed)
        };
        let (truth, csv) = run(&p, dir.path(), "rows.csv");
        check_rows(&csv, &truth);
    }
}

#[test]
fn heavy_coincidence_exact_counts_and_concentrated_hotspots() {
    let dir = tempdir();
    let p = SynthParams { hotspots: 5, ..params(20_000, 11) };
    let (truth, csv) = run(&p, dir.path(), "big.csv");
    let coords = check_rows(&csv, &truth);

    // Coincidence: far fewer distinct points than incidents, as with police.uk.
    let mut per_point: HashMap<&(String, String), u64> = HashMap::new();
    for c in &coords {
        *per_point.entry(c).or_default() += 1;
    }
    assert_eq!(per_point.len(), truth.map_points_used);
    assert!(per_point.len() < 20_000 / 2, "{} distinct points", per_point.len());
    assert_eq!(per_point.values().copied().max(), Some(truth.busiest_point_count));

    // Exact counts.
    let planted: u64 = truth.hotspots.iter().map(|h| h.planted_count).sum();
    assert_eq!(truth.background.count + planted, 20_000);
    let mut by_category = vec![0u64; CATEGORIES.len()];
    for line in csv.lines().skip(1) {
        let cat = line.split(',').nth(4).unwrap_or_default();
        if let Some(i) = CATEGORIES.iter().position(|c| *c == cat) {
            by_category[i] += 1;
        }
    }
    let mut from_truth = truth.background.category_counts.clone();
    for h in &truth.hotspots {
        assert_eq!(h.category_counts.iter().sum::<u64>(), h.planted_count);
        from_truth.iter_mut().zip(&h.category_counts).for_each(|(a, b)| *a += b);
    }
    assert_eq!(by_category, from_truth);

    // Concentration: near each centre, incidents are much denser than on average, and most planted ones are there.
    let crs = CrsDef { label: truth.crs_label.clone(), proj4: truth.crs_proj4.clone() };
    let projector = Projector::new(&crs).unwrap_or_else(|e| panic!("{e}"));
    // Distinct points with their incident counts (projecting each distinct point once).
    let xy: Vec<((f64, f64), u64)> = per_point
        .iter()
        .filter_map(|((lon, lat), &count)| Some((projector.from_lonlat(lon.parse().ok()?, lat.parse().ok()?)?, count)))
        .collect();
    let mean_density = 20_000.0 / (p.extent_m * p.extent_m);
    for h in truth.hotspots.iter().filter(|h| h.planted_count >= 200) {
        let r = 2.0 * h.sigma_m + 50.0;
        let (cx, cy) = h.centre_xy_m;
        let near = xy.iter().filter(|((x, y), _)| (x - cx).hypot(y - cy) <= r).map(|(_, c)| c).sum::<u64>() as f64;
        let density = near / (std::f64::consts::PI * r * r);
        assert!(near >= 0.5 * h.planted_count as f64, "hotspot {}: {near} near, {} planted", h.id, h.planted_count);
        assert!(density >= 3.0 * mean_density, "hotspot {}: density {density} vs mean {mean_density}", h.id);
    }
}

#[test]
fn truth_path_appends_suffix() {
    assert_eq!(truth_path(Path::new("synth.csv")), PathBuf::from("synth.csv.truth.json"));
    assert_eq!(truth_path(Path::new("/tmp/x.csv.gz")), PathBuf::from("/tmp/x.csv.gz.truth.json"));
}

#[test]
fn automatic_map_point_rule() {
    assert_eq!(params(0, 1).map_point_count(), AUTO_MAP_POINTS_MIN);
    let month = params(5_500, 1).map_point_count();
    assert!((3_000..6_000).contains(&month), "{month}");
    assert_eq!(params(100_000_000, 1).map_point_count(), AUTO_MAP_POINTS_MAX);
    assert_eq!(SynthParams { map_points: Some(42), ..params(1, 1) }.map_point_count(), 42);
}

/// Timing: `cargo test --release --lib synth::tests::timing -- --ignored --nocapture` (SYNTH_N rows, default 1M).
#[test]
#[ignore]
fn timing() {
    let n = std::env::var("SYNTH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let out =
        std::env::var("SYNTH_OUT").map(PathBuf::from).unwrap_or_else(|_| std::env::temp_dir().join("synth-timing.csv"));
    let started = std::time::Instant::now();
    let truth = generate(&params(n, 1), &out).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{n} rows to {} in {:.2} s ({} threads): {} map points, {} used, busiest {}",
        out.display(),
        started.elapsed().as_secs_f64(),
        rayon::current_num_threads(),
        truth.map_points,
        truth.map_points_used,
        truth.busiest_point_count
    );
}

#[test]
fn chunk_splits_are_exact_and_multinomial_sums_to_n() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for n in [0u64, 1, 7, 66_000, 1_000_003] {
        let totals = multinomial(n, &[0.65, 0.2, 0.1, 0.05, 0.0], &mut rng).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(totals.iter().sum::<u64>(), n);
        assert_eq!(totals[4], 0);
        let mut remaining = totals.clone();
        let mut summed = vec![0u64; totals.len()];
        let mut left = n;
        while left > 0 {
            let rows = left.min(65_536);
            let split = split_chunk(&mut remaining, rows, &mut rng).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(split.iter().sum::<u64>(), rows);
            summed.iter_mut().zip(&split).for_each(|(a, b)| *a += b);
            left -= rows;
        }
        assert_eq!(summed, totals);
        assert!(remaining.iter().all(|&r| r == 0));
    }
}

#[test]
fn extreme_but_valid_parameters_work() {
    let dir = tempdir();
    let small = |n, seed| SynthParams { map_points: Some(200), ..params(n, seed) };
    let cases = [
        SynthParams { extent_m: 1.0, ..small(300, 1) },
        SynthParams { extent_m: MAX_EXTENT_M, hotspots: 3, ..small(300, 2) },
        SynthParams { centre_lonlat: (179.0, -79.9), days: 1, ..small(300, 3) },
        SynthParams { centre_lonlat: (-170.0, 84.0), hotspot_share: 1.0, map_points: Some(1), ..params(300, 4) },
        SynthParams {
            hotspot_share: 0.0,
            start: NaiveDate::from_ymd_opt(1999, 12, 31).unwrap_or_default(),
            ..small(300, 5)
        },
    ];
    for (i, p) in cases.iter().enumerate() {
        let (truth, csv) = run(p, dir.path(), &format!("edge{i}.csv"));
        check_rows(&csv, &truth);
        assert!(truth.map_points >= 1 && truth.map_points <= p.map_point_count(), "case {i}");
        if i == 0 {
            // A 1 m square holds few distinct 6-decimal coordinates: fewer map points, but still every row.
            assert!(truth.map_points < 200, "{}", truth.map_points);
        }
    }
}

/// Generates `p` with `chunk_rows` rows per chunk in a pool of `threads`; returns the CSV and truth bytes.
fn in_pool(p: &SynthParams, dir: &Path, threads: usize, name: &str, chunk_rows: u64) -> (Vec<u8>, Vec<u8>) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join(name);
    pool.install(|| generate_chunked(p, &out, chunk_rows)).unwrap_or_else(|e| panic!("{e}"));
    (bytes(&out), bytes(&truth_path(&out)))
}

#[test]
fn england_and_wales_is_deterministic_at_any_thread_count_with_exact_truth() {
    let dir = tempdir();
    let p = SynthParams { hotspots: 12, extent: Extent::EnglandWales, ..params(8_000, 5) };
    let one = in_pool(&p, dir.path(), 1, "one.csv", 700);
    let three = in_pool(&p, dir.path(), 3, "three.csv", 700);
    assert_eq!(one, three, "the same bytes with 1 and 3 threads");
    let other_seed = in_pool(&SynthParams { seed: 6, ..p.clone() }, dir.path(), 2, "six.csv", 700);
    assert_ne!(one.0, other_seed.0);

    let truth: SynthTruth = serde_json::from_slice(&one.1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(truth.params.extent, Extent::EnglandWales);
    let csv = String::from_utf8(one.0).unwrap_or_default();
    let coords = check_rows(&csv, &truth);
    // Exact counts, as for a square.
    let planted: u64 = truth.hotspots.iter().map(|h| h.planted_count).sum();
    assert_eq!(truth.background.count + planted, p.n);
    // The towns: the 100 listed and 300 small ones, shares summing to one, London the largest.
    assert_eq!(truth.cities.len(), 400);
    assert!((truth.cities.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-9);
    assert_eq!(truth.background.town_centre_lonlat, truth.cities[0].centre_lonlat);
    assert_eq!(truth.cities[0].name, "London");
    // Spread over the country: incidents within 15 km of most listed towns, and many distinct points.
    let crs = CrsDef { label: truth.crs_label.clone(), proj4: truth.crs_proj4.clone() };
    let projector = Projector::new(&crs).unwrap_or_else(|e| panic!("{e}"));
    let xy: Vec<(f64, f64)> =
        coords.iter().filter_map(|(lon, lat)| projector.from_lonlat(lon.parse().ok()?, lat.parse().ok()?)).collect();
    let near = |c: &CityTruth| xy.iter().any(|&(x, y)| (x - c.centre_xy_m.0).hypot(y - c.centre_xy_m.1) < 15_000.0);
    let served = truth.cities[..100].iter().filter(|c| near(c)).count();
    assert!(served >= 80, "incidents near only {served} of the 100 listed towns");
    let distinct: HashSet<_> = coords.iter().collect();
    assert_eq!(distinct.len(), truth.map_points_used);
    assert_eq!(truth.map_points, p.map_point_count());
    assert!(distinct.len() as f64 > 0.8 * truth.map_points as f64, "{} distinct points", distinct.len());
    // London, an eighth of the listed population, gets its share of the town-drawn incidents.
    let london = &truth.cities[0];
    let in_london = xy.iter().filter(|&&(x, y)| (x - london.centre_xy_m.0).hypot(y - london.centre_xy_m.1) < 30_000.0);
    assert!(in_london.count() as f64 > 0.5 * london.share * p.n as f64 * 0.5);
}

#[test]
fn a_bounding_box_takes_its_listed_towns_and_bad_boxes_are_refused() {
    let dir = tempdir();
    let p = SynthParams { hotspots: 3, extent: Extent::Bbox([-2.9, 50.5, -1.6, 51.1]), ..params(3_000, 2) };
    let (truth, csv) = run(&p, dir.path(), "dorset.csv");
    check_rows(&csv, &truth);
    let listed: Vec<&str> = truth.cities.iter().map(|c| c.name.as_str()).filter(|n| !n.starts_with("Town ")).collect();
    assert_eq!(listed, ["Bournemouth", "Weymouth", "Salisbury", "Yeovil"]);
    let [w, s, e, n] = truth.study_area.bbox_lonlat;
    assert!(w <= -2.9 && s <= 50.5 && e >= -1.6 && n >= 51.1);
    // A box with no listed town still has towns.
    let sea = SynthParams { extent: Extent::Bbox([-9.0, 48.0, -8.0, 48.5]), ..params(200, 1) };
    assert_eq!(run(&sea, dir.path(), "sea.csv").0.cities.len(), 50);
    for b in [[1.0, 50.0, 0.0, 51.0], [-2.0, 50.0, -1.0, 50.0], [-20.0, 40.0, 0.0, 60.0], [f64::NAN, 50.0, 1.0, 51.0]] {
        let bad = SynthParams { extent: Extent::Bbox(b), ..params(10, 1) };
        match generate(&bad, &dir.path().join("bad.csv")) {
            Err(e @ SynthError::InvalidParam { param: "extent", .. }) => assert!(e.to_string().contains("W,S,E,N")),
            other => panic!("{b:?}: {other:?}"),
        }
    }
    // The national rule for map points: 8% of incidents, within 500 and 2,000,000.
    let national = |n| SynthParams { extent: Extent::EnglandWales, ..params(n, 1) }.map_point_count();
    assert_eq!(
        (national(1_000), national(1_000_000), national(20_000_000), national(100_000_000)),
        (500, 80_000, 1_600_000, 2_000_000)
    );
}
