//! Helpers shared by the integration tests.

#![allow(dead_code)]

use hotspots::ingest::{FileSummary, IngestError, IngestOptions, NoProgress, ingest_file};
use hotspots::store::Store;
use std::path::{Path, PathBuf};

/// The real data shipped in the repository (`fixtures/`): the eight Dorset months, Chicago 2017 and the boundary
/// files, copied byte for byte from the project's shared data (attribution in README.md).
pub fn shared_data() -> PathBuf {
    fixtures()
}

pub fn dorset_months() -> Vec<PathBuf> {
    let dir = shared_data().join("police-uk");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    v.sort();
    assert_eq!(v.len(), 8, "expected the 8 Dorset months in {}", dir.display());
    v
}

pub fn chicago() -> PathBuf {
    shared_data().join("chicago").join("chicago-2017.csv.gz")
}

/// Import options for Chicago 2017's columns (`Longitude`, `Latitude`, `Date`, `Primary Type`).
pub fn chicago_options() -> hotspots::ingest::IngestOptions {
    hotspots::ingest::IngestOptions {
        columns: hotspots::ingest::ColumnOptions {
            lon_col: Some("Longitude".into()),
            lat_col: Some("Latitude".into()),
            time_col: Some("Date".into()),
            category_col: Some("Primary Type".into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fresh store in its own temporary directory.
pub struct TempStore {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl TempStore {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        TempStore { dir, store }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("t.db")
    }

    pub fn ingest(&mut self, file: &Path, opts: &IngestOptions) -> Result<FileSummary, IngestError> {
        let mut opts = opts.clone();
        opts.rejects_dir.get_or_insert_with(|| self.dir.path().join("rejects"));
        ingest_file(&mut self.store, file, &opts, &NoProgress)
    }

    /// Write `content` to a file in the store's directory and ingest it.
    pub fn ingest_bytes(
        &mut self,
        name: &str,
        content: &[u8],
        opts: &IngestOptions,
    ) -> Result<FileSummary, IngestError> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        self.ingest(&path, opts)
    }

    /// Run a query returning one integer on a separate connection.
    pub fn scalar(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open(self.path()).unwrap();
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// Checks every summary must pass.
pub fn assert_conserved(s: &FileSummary) {
    assert_eq!(s.read, s.accepted + s.rejected, "read = accepted + rejected: {s:?}");
    assert_eq!(s.rejected, s.rejected_by_reason.values().sum::<u64>(), "reasons add up: {s:?}");
}

/// The path of the `hotspots` binary built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_hotspots"))
}

/// Run a command in-process (`hotspots --store STORE ARGS...`) and return what it printed; panics unless it exits 0.
pub fn cli(store: &Path, args: &[&str]) -> String {
    let (code, out) = cli_code(store, args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert_eq!(code, 0, "{args:?}");
    out
}

/// Run a command in-process: its exit code and output, or its error.
pub fn cli_code(store: &Path, args: &[&str]) -> Result<(u8, String), String> {
    use clap::Parser;
    let store = store.display().to_string();
    let argv = ["hotspots", "--store", store.as_str()].into_iter().chain(args.iter().copied());
    let parsed = hotspots::cli::Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let code = hotspots::cli::run(parsed, &mut out).map_err(|e| hotspots::cli::error_chain(&e))?;
    Ok((code, String::from_utf8(out).unwrap()))
}

/// The Chicago 2017 burglaries (`fixtures/chicago/chicago-2017-burglary.csv.gz`) written to `out` as CSV with the
/// Date column shuffled among the rows by a seeded Fisher-Yates of the tests' own: the same places and the same
/// times, every pairing of a place with its time broken (the null of the near-repeat tests).
pub fn chicago_burglary_with_shuffled_dates(out: &Path, seed: u64) {
    use std::io::Read;
    let mut text = Vec::new();
    let path = fixtures().join("chicago").join("chicago-2017-burglary.csv.gz");
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut text).unwrap();
    let mut r = csv::Reader::from_reader(text.as_slice());
    let header = r.headers().unwrap().clone();
    let date = header.iter().position(|c| c == "Date").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let mut dates: Vec<String> = rows.iter().map(|r| r[date].to_owned()).collect();
    let mut state = seed;
    for i in (1..dates.len()).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        dates.swap(i, ((state >> 33) % (i as u64 + 1)) as usize);
    }
    let mut w = csv::Writer::from_path(out).unwrap();
    w.write_record(&header).unwrap();
    for (row, d) in rows.iter().zip(&dates) {
        let fields: Vec<&str> = row.iter().enumerate().map(|(k, f)| if k == date { d.as_str() } else { f }).collect();
        w.write_record(&fields).unwrap();
    }
    w.flush().unwrap();
}

/// The slippy-map tile `(x, y)` at zoom `z` holding a point (Web Mercator, written here from the formula rather than
/// taken from the library, so the tests locate tiles independently of the code they test).
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lr = lat.to_radians();
    let y = ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

/// `hotspots ingest` (the binary, as a user runs it) of a Chicago-format CSV (the fixtures' columns, `Block` as the
/// location) into `store`; panics with its error output unless it succeeds.
pub fn ingest_chicago_csv(store: &Path, csv: &Path) {
    ingest_in_process_of_its_own(
        store,
        csv,
        &[
            "--lon-col",
            "Longitude",
            "--lat-col",
            "Latitude",
            "--time-col",
            "Date",
            "--category-col",
            "Primary Type",
            "--location-col",
            "Block",
        ],
    );
}

/// Import `file` into `store` by running the binary (`hotspots ingest FILE ARGS... --store STORE`), as another
/// process would while a server or a command reads; panics with its stderr unless it exits 0.
pub fn ingest_in_process_of_its_own(store: &Path, file: &Path, args: &[&str]) {
    let out = std::process::Command::new(bin())
        .arg("ingest")
        .arg(file)
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
        .unwrap();
    assert!(out.status.success(), "ingest {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
}
