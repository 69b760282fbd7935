//! The KDE and Gi* benchmark workload, shared by `benches/analysis.rs` and `examples/kde_workload.rs`: synthetic
//! points on a 60 x 40 km box, the same points the Python peers use (`benches/peers/kde_gistar_peers.py` writes
//! them to `target/bench-data/kde-points-N.csv`; when that file is missing they are made here the same way: `hotspots
//! synth --n N --seed 1 --extent-m 40000`, lon/lat projected to UTM 30N).

#![allow(dead_code)]

use hotspots::analysis::points::Points;
use hotspots::geo::{CrsDef, Projector};
use hotspots::grid::Grid;
use hotspots::synth::{SynthParams, generate};
use std::path::{Path, PathBuf};

pub const KDE_CELL_M: f64 = 50.0;
pub const KDE_COLS: usize = 1200;
pub const KDE_ROWS: usize = 800;
pub const BANDWIDTH_M: f64 = 400.0;
pub const GI_CELL_M: f64 = 100.0;
pub const GI_COLS: usize = 600;
pub const GI_ROWS: usize = 400;
pub const GI_BAND_M: f64 = 300.0;

pub fn data_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-data");
    std::fs::create_dir_all(&d).expect("create target/bench-data");
    d
}

/// The workload's points for `n` (100,000 or 1,000,000).
pub fn points(n: u64) -> Points {
    let csv = data_dir().join(format!("kde-points-{n}.csv"));
    if !csv.exists() {
        let synth = data_dir().join(format!("synth-{n}.csv"));
        if !synth.exists() {
            let p = SynthParams { n, seed: 1, extent_m: 40_000.0, ..SynthParams::default() };
            generate(&p, &synth).expect("synth");
        }
        let utm = Projector::new(&CrsDef::parse("EPSG:32630").expect("crs")).expect("projector");
        let mut r = csv::Reader::from_path(&synth).expect("read synth");
        let mut out = String::from("x_m,y_m\n");
        for rec in r.records() {
            let rec = rec.expect("record");
            let (lon, lat) = (rec[2].parse::<f64>().expect("lon"), rec[3].parse::<f64>().expect("lat"));
            let (x, y) = utm.from_lonlat(lon, lat).expect("project");
            out.push_str(&format!("{x:?},{y:?}\n"));
        }
        std::fs::write(&csv, out).expect("write points");
    }
    let mut r = csv::Reader::from_path(&csv).expect("read points");
    let mut p = Points::default();
    for rec in r.records() {
        let rec = rec.expect("record");
        p.x_m.push(rec[0].parse().expect("x"));
        p.y_m.push(rec[1].parse().expect("y"));
        p.w.push(1.0);
    }
    p
}

/// The box around the points: centred on their extent, origin floored to a multiple of 50 m.
fn origin(p: &Points) -> (f64, f64) {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (&x, &y) in p.x_m.iter().zip(&p.y_m) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let w = KDE_COLS as f64 * KDE_CELL_M;
    let h = KDE_ROWS as f64 * KDE_CELL_M;
    (((cx - w / 2.0) / KDE_CELL_M).floor() * KDE_CELL_M, ((cy - h / 2.0) / KDE_CELL_M).floor() * KDE_CELL_M)
}

pub fn kde_grid(p: &Points) -> Grid {
    let (ox, oy) = origin(p);
    Grid::new(ox, oy, KDE_CELL_M, KDE_ROWS, KDE_COLS, &CrsDef::parse("EPSG:32630").expect("crs")).expect("grid")
}

pub fn gistar_grid(p: &Points) -> Grid {
    let (ox, oy) = origin(p);
    Grid::new(ox, oy, GI_CELL_M, GI_ROWS, GI_COLS, &CrsDef::parse("EPSG:32630").expect("crs")).expect("grid")
}
