//! Imports are all or nothing: the same content twice adds nothing, and a process killed mid-import (kill -9)
//! leaves the store exactly as it was before that file.

use crate::common::{TempStore, bin, dorset_months};
use hotspots::ingest::IngestOptions;
use std::io::Write;
use std::time::{Duration, Instant};

#[test]
fn the_same_content_twice_adds_nothing_even_compressed() {
    let mut t = TempStore::new();
    let path = &dorset_months()[1];
    let first = t.ingest(path, &IngestOptions::default()).unwrap();
    assert!(!first.already_imported);
    let again = t.ingest(path, &IngestOptions::default()).unwrap();
    assert!(again.already_imported);
    assert_eq!(again.import_id, first.import_id);
    assert_eq!((again.read, again.accepted, again.rejected), (0, 0, 0));

    // The same content gzip-compressed under another name: a different file, the same content.
    let gz = t.dir.path().join("copy.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    enc.write_all(&std::fs::read(path).unwrap()).unwrap();
    enc.finish().unwrap();
    let copy = t.ingest(&gz, &IngestOptions::default()).unwrap();
    assert!(copy.already_imported, "{copy:?}");
    assert_eq!(copy.import_id, first.import_id);
    assert_eq!(t.store.imports().unwrap().len(), 1);
    assert_eq!(t.store.info().unwrap().incidents, first.accepted);
}

/// Whether another process holds the store's write lock (an import transaction is open).
fn import_in_progress(path: &std::path::Path) -> bool {
    let c = rusqlite::Connection::open(path).unwrap();
    c.busy_timeout(Duration::ZERO).unwrap();
    match c.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => false,
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => true,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_killed_import_leaves_the_store_as_it_was() {
    let t = TempStore::new();
    let store = t.path();
    drop(t.store);
    let run = |file: &std::path::Path| {
        std::process::Command::new(bin())
            .args(["ingest", "--json", "--store"])
            .arg(&store)
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // A committed import first.
    let small = &dorset_months()[6];
    assert!(run(small).wait().unwrap().success());
    let committed = TempStoreView::counts(&store);

    // A big file, killed while its transaction is open.
    let big = t.dir.path().join("big.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    writeln!(w, "id,time,lon,lat,category").unwrap();
    for i in 0..400_000u32 {
        let (dx, dy) = (f64::from(i % 1000) * 1e-4, f64::from(i / 1000) * 1e-4);
        writeln!(w, "{i},2024-02-{:02}T{:02}:00:00,{:.6},{:.6},C{}", 1 + i % 28, i % 24, -2.0 + dx, 50.6 + dy, i % 7)
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let mut child = run(&big);
    let started = Instant::now();
    while !import_in_progress(&store) {
        assert!(child.try_wait().unwrap().is_none(), "the import finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(60), "the import never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(import_in_progress(&store), "still importing when killed");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let after = TempStoreView::counts(&store);
    assert_eq!(after, committed, "the killed import left nothing behind");
    let c = rusqlite::Connection::open(&store).unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    drop(c);
    // The snapshot: the killed import's rows were written past its valid rows and never published.
    let s = hotspots::store::Store::open_existing(&store).unwrap();
    let (ds, notes) = s.load_dataset_noted(None).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(ds.len() as i64, committed.0);
    assert!(ds.identical_to(&s.load_dataset_from_rows(None).unwrap()));
    drop(s);

    // Importing the big file again now succeeds in full.
    assert!(run(&big).wait().unwrap().success());
    let done = TempStoreView::counts(&store);
    assert_eq!(done.0, committed.0 + 400_000);
    assert_eq!(done.1, committed.1 + 1);
    let s = hotspots::store::Store::open_existing(&store).unwrap();
    let (ds, notes) = s.load_dataset_noted(None).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(ds.identical_to(&s.load_dataset_from_rows(None).unwrap()));
}

struct TempStoreView;

impl TempStoreView {
    /// (incidents, imports, rejects, import files)
    fn counts(path: &std::path::Path) -> (i64, i64, i64, i64) {
        let c = rusqlite::Connection::open(path).unwrap();
        let n = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        (
            n("SELECT count(*) FROM incidents"),
            n("SELECT count(*) FROM imports"),
            n("SELECT count(*) FROM rejects"),
            n("SELECT count(*) FROM import_files"),
        )
    }
}
