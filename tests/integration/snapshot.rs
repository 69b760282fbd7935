//! The columnar snapshot beside the store: the same dataset as the store's rows, bit for bit; appended to by every
//! import; never trusted when stale or damaged (rebuilt, with a note); and readers during an import see the data
//! before it or after it, never an error.

use crate::common::{TempStore, chicago, dorset_months};
use hotspots::geo::CrsDef;
use hotspots::ingest::IngestOptions;
use hotspots::model::Dataset;
use hotspots::store::Store;
use hotspots::store::snapshot::{read_header, snapshot_path};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Load through the snapshot: it must be used (mapped, no note).
fn from_snapshot(store: &Store) -> Dataset {
    let (ds, notes) = store.load_dataset_noted(None).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(ds.is_mapped() || ds.is_empty());
    ds
}

fn assert_same(a: &Dataset, b: &Dataset) {
    assert_eq!(a.len(), b.len());
    assert!(a.identical_to(b), "the datasets differ");
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().ino()
}

#[test]
fn the_snapshot_gives_the_same_dataset_as_the_rows_in_any_crs() {
    let mut t = TempStore::new();
    for m in &dorset_months()[..3] {
        t.ingest(m, &IngestOptions::default()).unwrap();
    }
    let snap = from_snapshot(&t.store);
    let rows = t.store.load_dataset_from_rows(None).unwrap();
    assert!(!rows.is_mapped());
    assert!(snap.len() > 15_000);
    assert_same(&snap, &rows);
    assert_eq!(snap.crs(), &t.store.auto_crs().unwrap());

    // Another CRS: the snapshot's lon/lat projected again, exactly as loading the rows into it.
    let bng = CrsDef::parse("EPSG:27700").unwrap();
    let (snap_bng, notes) = t.store.load_dataset_noted(Some(&bng)).unwrap();
    assert!(notes.is_empty());
    assert_same(&snap_bng, &t.store.load_dataset_from_rows(Some(&bng)).unwrap());

    // A second connection (another command) reads the same.
    let other = Store::open_existing(&t.path()).unwrap();
    assert_same(&from_snapshot(&other), &rows);
}

#[test]
fn every_import_appends_in_place_and_keeps_the_snapshot_valid() {
    let mut t = TempStore::new();
    let snap_path = snapshot_path(&t.path());
    let months = dorset_months();
    t.ingest(&months[0], &IngestOptions::default()).unwrap();
    let first = read_header(&t.path()).unwrap().unwrap();
    let ino = inode(&snap_path);
    for (k, m) in months[1..].iter().enumerate() {
        let s = t.ingest(m, &IngestOptions::default()).unwrap();
        assert!(s.notes.iter().all(|n| !n.contains("snapshot")), "{:?}", s.notes);
        let h = read_header(&t.path()).unwrap().unwrap();
        assert_eq!(inode(&snap_path), ino, "appended in place, not rewritten");
        assert_eq!(h.seq, first.seq + 1 + k as u64);
        assert_eq!(h.incidents_version, 2 + k as i64);
        assert_same(&from_snapshot(&t.store), &t.store.load_dataset_from_rows(None).unwrap());
    }
    // The same content again adds nothing and publishes nothing.
    let before = read_header(&t.path()).unwrap().unwrap();
    assert!(t.ingest(&months[2], &IngestOptions::default()).unwrap().already_imported);
    assert_eq!(read_header(&t.path()).unwrap().unwrap(), before);

    // Chicago: more rows than the file has room for (a new, larger file), and far from Dorset, so the store's
    // default CRS moves and every x/y is projected again.
    let crs_before = t.store.auto_crs().unwrap();
    let mix = IngestOptions { allow_far_away: true, ..Default::default() };
    let s = t.ingest(&chicago(), &mix).unwrap();
    assert!(s.notes.iter().all(|n| !n.contains("snapshot")), "{:?}", s.notes);
    assert_ne!(t.store.auto_crs().unwrap(), crs_before);
    let h = read_header(&t.path()).unwrap().unwrap();
    assert!(h.layout.cap_rows > before.layout.cap_rows);
    assert_ne!(inode(&snap_path), ino, "a larger file replaced the old one");
    assert_eq!(h.crs, t.store.auto_crs().unwrap());
    assert_same(&from_snapshot(&t.store), &t.store.load_dataset_from_rows(None).unwrap());
}

/// Load once, expecting a rebuild whose note contains `why`; then the snapshot is used again.
fn assert_rebuilt(t: &TempStore, why: &str) {
    let (ds, notes) = t.store.load_dataset_noted(None).unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains(why) && notes[0].contains("rebuilt"), "{notes:?}");
    let rows = t.store.load_dataset_from_rows(None).unwrap();
    assert_same(&ds, &rows);
    assert_same(&from_snapshot(&t.store), &rows);
}

#[test]
fn a_damaged_snapshot_is_rebuilt_never_trusted() {
    let mut t = TempStore::new();
    for m in &dorset_months()[5..] {
        t.ingest(m, &IngestOptions::default()).unwrap();
    }
    let path = snapshot_path(&t.path());
    let h = read_header(&t.path()).unwrap().unwrap();
    let lat_at = h.layout.column_offset(hotspots::store::snapshot::format::Col::Lat) as usize;

    // One bit of one latitude.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[lat_at + 8 * 100] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    assert_rebuilt(&t, "checksum mismatch in lat");

    // Both header slots broken.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[100] ^= 1;
    bytes[4096 + 100] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    assert_rebuilt(&t, "neither header slot");

    // Cut short, then not a snapshot at all, then missing.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert_rebuilt(&t, "shorter than its layout");
    std::fs::write(&path, b"not a snapshot").unwrap();
    assert_rebuilt(&t, "shorter than its headers");
    std::fs::remove_file(&path).unwrap();
    assert_rebuilt(&t, "none yet");
}

#[test]
fn only_the_bytes_the_header_covers_are_read() {
    use hotspots::store::snapshot::format::Col;
    let mut t = TempStore::new();
    t.ingest(&dorset_months()[0], &IngestOptions::default()).unwrap();
    let path = snapshot_path(&t.path());
    let h = read_header(&t.path()).unwrap().unwrap();
    assert!(h.layout.cap_rows > h.rows, "the file has room to grow");
    let before = from_snapshot(&t.store);

    // Garbage in the room past the rows of every column and past the names: not covered, never read, no rebuild.
    let mut bytes = std::fs::read(&path).unwrap();
    for c in Col::ALL {
        let past = (h.layout.column_offset(c) + h.rows * c.size()) as usize;
        bytes[past..past + 64].fill(0xA5);
    }
    let names_end = (h.layout.names_offset() + h.names_bytes) as usize;
    bytes[names_end..names_end + 64].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
    assert_same(&from_snapshot(&t.store), &before);

    // The last covered byte of a column and of the names are read and checked.
    let last_time = (h.layout.column_offset(Col::Time) + h.rows * 8 - 1) as usize;
    bytes[last_time] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    assert_rebuilt(&t, "checksum mismatch in time_s");
    let h = read_header(&t.path()).unwrap().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[(h.layout.names_offset() + h.names_bytes - 1) as usize] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    assert_rebuilt(&t, "checksum mismatch in names");
}

#[test]
fn a_stale_snapshot_is_rebuilt_never_trusted() {
    let mut t = TempStore::new();
    let months = dorset_months();
    t.ingest(&months[0], &IngestOptions::default()).unwrap();
    let path = snapshot_path(&t.path());
    let old = std::fs::read(&path).unwrap();
    t.ingest(&months[1], &IngestOptions::default()).unwrap();
    // The file as it was before the second import: valid checksums, wrong version.
    std::fs::write(&path, &old).unwrap();
    assert_rebuilt(&t, "as of import 1, the store is now at 2");

    // A snapshot of another store with the same imports.
    let mut u = TempStore::new();
    u.ingest(&months[0], &IngestOptions::default()).unwrap();
    u.ingest(&months[1], &IngestOptions::default()).unwrap();
    std::fs::copy(snapshot_path(&u.path()), &path).unwrap();
    assert_rebuilt(&t, "another store");

    // The next import appends to the rebuilt snapshot again.
    let s = t.ingest(&months[2], &IngestOptions::default()).unwrap();
    assert!(s.notes.iter().all(|n| !n.contains("snapshot")), "{:?}", s.notes);
    assert_same(&from_snapshot(&t.store), &t.store.load_dataset_from_rows(None).unwrap());

    // An import into a store whose snapshot is missing rebuilds it, and says so.
    std::fs::remove_file(&path).unwrap();
    let s = t.ingest(&months[3], &IngestOptions::default()).unwrap();
    assert!(s.notes.iter().any(|n| n.contains("none yet") && n.contains("rebuilt")), "{:?}", s.notes);
    assert_same(&from_snapshot(&t.store), &t.store.load_dataset_from_rows(None).unwrap());
}

#[test]
fn the_data_version_moves_with_every_committed_import_only() {
    let mut t = TempStore::new();
    let v0 = t.store.data_version().unwrap();
    let months = dorset_months();
    t.ingest(&months[0], &IngestOptions::default()).unwrap();
    let v1 = t.store.data_version().unwrap();
    assert_eq!((v1.incidents, v1.layers, &v1.store_uid), (v0.incidents + 1, v0.layers, &v0.store_uid));
    t.ingest(&months[0], &IngestOptions::default()).unwrap();
    assert_eq!(t.store.data_version().unwrap(), v1, "a duplicate changes nothing");
    let bad = t.ingest_bytes("bad.csv", b"", &IngestOptions::default());
    assert!(bad.is_err());
    assert_eq!(t.store.data_version().unwrap(), v1, "a failed import changes nothing");
    assert_eq!(read_header(&t.path()).unwrap().unwrap().incidents_version, v1.incidents);
}

/// While one thread imports file after file, another loads the dataset again and again: every load succeeds,
/// uses the snapshot, and holds exactly the incidents of the imports it lists (the data before an import or after
/// it, never a mixture).
#[test]
fn readers_during_imports_see_old_or_new_data_never_an_error() {
    let t = TempStore::new();
    let path = t.path();
    let months = dorset_months();
    let opts = IngestOptions { rejects_dir: Some(t.dir.path().join("rejects")), ..Default::default() };
    let done = std::sync::atomic::AtomicBool::new(false);
    let counts = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut store = Store::open_existing(&path).unwrap();
            let mut accepted = vec![0u64];
            for m in &months {
                let s = hotspots::ingest::ingest_file(&mut store, m, &opts, &hotspots::ingest::NoProgress).unwrap();
                accepted.push(accepted.last().unwrap() + s.accepted);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            accepted
        });
        let reader = scope.spawn(|| {
            let store = Store::open_existing(&path).unwrap();
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let (ds, notes) = store.load_dataset_noted(None).unwrap();
                assert!(notes.is_empty(), "{notes:?}");
                seen.push((ds.sources().len(), ds.len()));
                if finished {
                    return seen;
                }
            }
        });
        let accepted = writer.join().unwrap();
        let seen = reader.join().unwrap();
        (accepted, seen)
    });
    let (accepted, seen) = counts;
    for &(imports, len) in &seen {
        assert_eq!(len as u64, accepted[imports], "a load of {imports} imports holds exactly their incidents");
    }
    assert_eq!(seen.last().unwrap().0, months.len());
    let distinct: std::collections::BTreeSet<_> = seen.iter().map(|s| s.0).collect();
    assert!(distinct.len() >= 2, "the reader saw the store change: {distinct:?}");
}

/// `--bbox` keeps an analysis to a county of a bigger store: only the incidents inside the box count, and the box is
/// printed with the parameters.
#[test]
fn an_analysis_can_keep_to_a_box() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("d.db");
    let month = &dorset_months()[5];
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new(crate::common::bin()).args(args).arg("--store").arg(&store).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["ingest", month.to_str().unwrap()]);
    // Poole and Bournemouth, not the rest of Dorset.
    let (w, s, e, n) = (-2.05, 50.68, -1.75, 50.80);
    let text = std::fs::read_to_string(month).unwrap();
    let inside = text
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            match (f[4].parse::<f64>(), f[5].parse::<f64>()) {
                (Ok(lon), Ok(lat)) => (w..=e).contains(&lon) && (s..=n).contains(&lat),
                _ => false,
            }
        })
        .count();
    assert!(inside > 1000);
    let bbox = format!("--bbox={w},{s},{e},{n}");
    let out = run(&["density", &bbox, "--cell-m", "100", "--bandwidth-m", "300"]);
    assert!(out.contains(&format!("density: {inside} incidents")), "{out}");
    assert!(out.contains("within: lon -2.05 to -1.75, lat 50.68 to 50.8 (bbox)"), "{out}");
    let v: serde_json::Value =
        serde_json::from_str(&run(&["find", "--json", &bbox, "--cell-m", "100", "--bandwidth-m", "300"])).unwrap();
    assert_eq!(v["parameters"]["bbox"], serde_json::json!([w, s, e, n]));
    let total: u64 =
        v["features"].as_array().unwrap().iter().map(|f| f["properties"]["incidents"].as_u64().unwrap()).sum();
    assert!(total > 0 && total <= inside as u64);
    // A bad box is refused before anything is read.
    let bad = std::process::Command::new(crate::common::bin())
        .args(["find", "--bbox=-1,50,-2,51", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success() && err.contains("--bbox -1,50,-2,51: the box needs west < east"), "{err}");
}
