//! The columnar snapshot of the incidents, beside the store: `hotspots.db.snap` (format in [`format`](mod@format)).
//!
//! Loading 20 million incidents row by row from SQLite takes about 20 s of CPU; the snapshot holds the same columns ready
//! to use (x/y already projected into the store's default CRS) and is memory-mapped, so [`Store::load_dataset`] is
//! one map and a checksum pass. Every import appends its rows to it in the same breath as its SQLite transaction
//! (`append`), so adding a month costs in proportion to the month. The snapshot is stamped with the store's
//! identity and incidents version, its row count and newest import; a snapshot that does not match the store, or
//! whose checksums fail, is never used: it is rebuilt from the store's rows (and the caller gets a note saying so).
//!
//! Writers (an import, or a reader rebuilding) hold an exclusive lock on `hotspots.db.snap.lock`; readers take no
//! lock unless the snapshot needs rebuilding.

pub(super) mod append;
pub mod format;
mod read;
mod write;

use super::{Store, StoreError};
use crate::geo::CrsDef;
use crate::model::Dataset;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use write::Stamp;

/// The snapshot file of a store: `STORE.snap`.
pub fn snapshot_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".snap");
    PathBuf::from(name)
}

/// The lock file snapshot writers hold: `STORE.snap.lock`.
fn lock_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".snap.lock");
    PathBuf::from(name)
}

/// The lock file, opened (not yet locked).
fn lock_file(store: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_path(store))
}

/// The header in force of a store's snapshot (`Ok(None)`: no snapshot), without checking the columns.
pub fn read_header(store: &Path) -> Result<Option<format::Header>, String> {
    Ok(read::open_header(&snapshot_path(store))?.map(|m| m.header))
}

/// How long a reader waits for a writer holding the lock (an import publishing, another reader rebuilding) before
/// reading the store's rows itself.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// What the store holds, read in one transaction: what a snapshot must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) store_uid: String,
    pub(crate) incidents_version: i64,
    /// Incidents (the imports' accepted rows).
    pub(crate) rows: u64,
    pub(crate) imports: u64,
    pub(crate) last_import_id: i64,
}

impl Expected {
    pub(crate) fn stamp(&self) -> Stamp {
        Stamp {
            store_uid: self.store_uid.clone(),
            incidents_version: self.incidents_version,
            last_import_id: self.last_import_id,
        }
    }
}

/// Why a snapshot was not used.
#[derive(Debug, PartialEq, Eq)]
enum Miss {
    /// Written after the store was read (an import committed in between): read the store again.
    Newer,
    Stale(String),
}

/// `None` when the header matches the store.
fn compare(h: &format::Header, e: &Expected) -> Option<Miss> {
    if h.store_uid != e.store_uid {
        return Some(Miss::Stale(format!("it belongs to another store ({})", h.store_uid)));
    }
    if h.incidents_version > e.incidents_version {
        return Some(Miss::Newer);
    }
    if h.incidents_version < e.incidents_version {
        return Some(Miss::Stale(format!(
            "it holds the store as of import {}, the store is now at {}",
            h.incidents_version, e.incidents_version
        )));
    }
    if (h.rows, h.counts.sources, h.last_import_id) != (e.rows, e.imports, e.last_import_id) {
        return Some(Miss::Stale(format!(
            "it holds {} incidents from {} imports (newest {}), the store {} from {} (newest {})",
            h.rows, h.counts.sources, h.last_import_id, e.rows, e.imports, e.last_import_id
        )));
    }
    None
}

/// Read [`Expected`] on `conn` (in the caller's transaction, if any).
pub(super) fn expected(conn: &rusqlite::Connection) -> rusqlite::Result<(Expected, Option<super::info::LonLatBox>)> {
    let (uid, version): (String, i64) = conn.query_row(
        "SELECT (SELECT value FROM store_state WHERE key = 'store_uid'), \
                (SELECT value FROM store_state WHERE key = 'incidents_version')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let e = conn.query_row(
        "SELECT count(*), coalesce(sum(accepted), 0), coalesce(max(id), 0), \
                min(CASE WHEN accepted > 0 THEN min_lon END), min(CASE WHEN accepted > 0 THEN min_lat END), \
                max(CASE WHEN accepted > 0 THEN max_lon END), max(CASE WHEN accepted > 0 THEN max_lat END) \
         FROM imports",
        [],
        |r| {
            let bbox = match (r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?) {
                (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => {
                    Some(super::info::LonLatBox { min_lon, min_lat, max_lon, max_lat })
                }
                _ => None,
            };
            Ok((
                Expected {
                    store_uid: uid,
                    incidents_version: version,
                    rows: r.get::<_, i64>(1)? as u64,
                    imports: r.get::<_, i64>(0)? as u64,
                    last_import_id: r.get(2)?,
                },
                bbox,
            ))
        },
    )?;
    Ok(e)
}

/// The default CRS for an extent (see [`Store::auto_crs`]).
pub(super) fn auto_crs_for(bbox: Option<super::info::LonLatBox>) -> CrsDef {
    let (lon, lat) = bbox.map_or((-3.0, 51.0), |b| b.centre());
    CrsDef::utm_for(lon, lat)
}

/// Seconds, for notes.
fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

impl Store {
    /// Load every incident, projected into `crs` (default: [`Store::auto_crs`]), from the snapshot when it
    /// matches the store, else from the store's rows (rebuilding the snapshot). The notes say when the snapshot
    /// was not used and why.
    pub fn load_dataset_noted(&self, crs: Option<&CrsDef>) -> Result<(Dataset, Vec<String>), StoreError> {
        let snap = snapshot_path(&self.path);
        let started = Instant::now();
        let mut notes = Vec::new();
        let mut rereads = 0;
        loop {
            let (expect, bbox) = self.read_txn(expected).map_err(self.sql_err("reading the store's version"))?;
            let auto = auto_crs_for(bbox);
            if expect.imports == 0 && !snap.exists() {
                // Nothing imported yet: nothing to snapshot.
                return Ok((crate::model::DatasetBuilder::new(crs.unwrap_or(&auto), 0)?.finish()?, notes));
            }
            let why = match self.try_snapshot(&snap, &expect) {
                Ok(ds) => return Ok((finish(ds, crs.unwrap_or(&auto))?, notes)),
                Err(Miss::Newer) if rereads < 100 => {
                    rereads += 1;
                    continue;
                }
                Err(Miss::Newer) => "it kept changing while being read".to_owned(),
                Err(Miss::Stale(w)) => w,
            };
            if cfg!(target_endian = "big") {
                // The snapshot is little-endian; a big-endian host reads the rows.
                return Ok((self.load_dataset_from_rows(crs)?, notes));
            }
            let lock = match lock_file(&self.path) {
                Ok(f) => f,
                Err(e) => {
                    notes.push(format!(
                        "the snapshot {} was not used ({why}) and cannot be rebuilt (cannot open its lock file: {e}); \
                         loaded from the store's rows",
                        snap.display()
                    ));
                    return Ok((self.load_dataset_from_rows(crs)?, notes));
                }
            };
            match lock.try_lock() {
                Ok(()) => {
                    // Another process may have rebuilt it while we looked.
                    let (expect, bbox) =
                        self.read_txn(expected).map_err(self.sql_err("reading the store's version"))?;
                    if let Ok(ds) = self.try_snapshot(&snap, &expect) {
                        return Ok((finish(ds, crs.unwrap_or(&auto_crs_for(bbox)))?, notes));
                    }
                    let t = Instant::now();
                    let (ds, expect) = self.load_rows_stamped(None)?;
                    match write::write_dataset(&snap, &ds, &expect.stamp()) {
                        Ok(_) => notes.push(format!(
                            "the snapshot {} was not used ({why}): rebuilt from the store's rows in {}",
                            snap.display(),
                            secs(t.elapsed())
                        )),
                        Err(e) => notes.push(format!(
                            "the snapshot {} was not used ({why}) and could not be rewritten ({e}); loaded from the \
                             store's rows",
                            snap.display()
                        )),
                    }
                    drop(lock);
                    let crs = crs.cloned().unwrap_or_else(|| ds.crs().clone());
                    return Ok((finish(ds, &crs)?, notes));
                }
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                    // An import is publishing, or another reader rebuilding: look again shortly.
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    notes.push(format!(
                        "the snapshot {} was not used ({why}; its writer lock is busy: {e}); loaded from the store's \
                         rows",
                        snap.display()
                    ));
                    return Ok((self.load_dataset_from_rows(crs)?, notes));
                }
            }
        }
    }

    /// Load every incident (see [`Store::load_dataset_noted`], whose notes this drops).
    pub fn load_dataset(&self, crs: Option<&CrsDef>) -> Result<Dataset, StoreError> {
        Ok(self.load_dataset_noted(crs)?.0)
    }

    /// The snapshot's dataset if it matches `expect` and its checksums hold.
    fn try_snapshot(&self, snap: &Path, expect: &Expected) -> Result<Dataset, Miss> {
        let opened = match read::open_header(snap) {
            Ok(Some(m)) => m,
            Ok(None) => return Err(Miss::Stale("there is none yet".into())),
            Err(e) => return Err(Miss::Stale(format!("damaged: {e}"))),
        };
        if let Some(miss) = compare(&opened.header, expect) {
            return Err(miss);
        }
        let mapped = opened.regions().map_err(|e| Miss::Stale(format!("damaged: {e}")))?;
        mapped.verify().map_err(|e| Miss::Stale(format!("damaged: {e}")))?;
        mapped.dataset().map_err(|e| Miss::Stale(format!("damaged: {e}")))
    }

    /// Rewrite the snapshot from the store's rows (for tools and tests); returns the rows written.
    pub fn rebuild_snapshot(&self) -> Result<u64, StoreError> {
        let lock = lock_file(&self.path).map_err(|e| self.snapshot_err(&e))?;
        lock.lock().map_err(|e| self.snapshot_err(&e))?;
        let (ds, expect) = self.load_rows_stamped(None)?;
        write::write_dataset(&snapshot_path(&self.path), &ds, &expect.stamp()).map_err(|e| self.snapshot_err(&e))?;
        Ok(ds.len() as u64)
    }

    fn snapshot_err(&self, e: &std::io::Error) -> StoreError {
        StoreError::Corrupt { path: snapshot_path(&self.path), what: format!("cannot write the snapshot: {e}") }
    }

    /// Run `f` in one read transaction (unless one is open already), so everything it reads is one state of the
    /// store even while an import commits.
    pub(super) fn read_txn<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        if !self.conn.is_autocommit() {
            return f(&self.conn);
        }
        self.conn.execute_batch("BEGIN")?;
        let out = f(&self.conn);
        let end = self.conn.execute_batch(if out.is_ok() { "COMMIT" } else { "ROLLBACK" });
        let out = out?;
        end?;
        Ok(out)
    }
}

/// `ds` in `crs`: as it is, or reprojected.
fn finish(ds: Dataset, crs: &CrsDef) -> Result<Dataset, StoreError> {
    if ds.crs() == crs { Ok(ds) } else { Ok(ds.reprojected(crs)?) }
}
