//! The embedded store: one SQLite file holding every import, incident and rejected row.
//!
//! Imports are append-only and atomic: each file is one transaction ([`ImportWriter`]), so a failed or killed
//! import leaves the store exactly as it was. The same content imported twice is detected by its SHA-256 and
//! adds nothing.

mod archive;
mod areas;
mod check;
pub mod derived;
mod import;
mod info;
mod load;
mod schema;
pub mod snapshot;
mod version;

pub use areas::{AreaImportOutcome, AreaLayerRecord, NewAreaLayer, valid_layer_name};
pub use check::{BackgroundCheck, CheckState, check_now};
pub use import::{FarAway, ImportCounts, ImportEnd, ImportOutcome, ImportStart, ImportWriter};
pub use info::{CategoryCount, ImportRecord, MonthCount, StoreInfo};
pub use schema::current_version;
pub use version::DataVersion;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The store file used when neither `--store` nor `HOTSPOTS_STORE` is given.
pub const DEFAULT_STORE_PATH: &str = "hotspots.db";

/// Errors from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no store at {path}: import data first with `hotspots ingest FILE --store {path}`, or pass --store")]
    /// No file at the path (commands other than `ingest` never create one).
    NotFound {
        /// The store's path.
        path: PathBuf,
    },
    #[error("cannot open the store {path}: {source}")]
    /// SQLite could not open the file.
    Open {
        /// The store's path.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the store {path} has schema version {found}, newer than this build of hotspots understands ({known}): \
         upgrade hotspots"
    )]
    /// Written by a later version of hotspots with a schema this build does not know.
    TooNew {
        /// The store's path.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest schema version this build reads.
        known: i64,
    },
    #[error("store {path}: {what}: {source}")]
    /// A statement failed.
    Sql {
        /// The store's path.
        path: PathBuf,
        /// What was being done, e.g. "checking the store".
        what: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    #[error("there is no import {import_id} in the store (see `hotspots info` for the imports)")]
    /// An import id that is not in the store.
    NoSuchImport {
        /// The id asked for.
        import_id: i64,
    },
    #[error("import {import_id} has no row starting at line {line}")]
    /// No row of an import starts at the line asked for.
    NoSuchRow {
        /// The import.
        import_id: i64,
        /// The 1-based line of its source file.
        line: u64,
    },
    #[error("there is no area layer '{spec}' in the store; the layers are: {known}")]
    /// No boundary layer by that name or id.
    NoSuchAreaLayer {
        /// The name or id asked for.
        spec: String,
        /// The stored layers' names, comma-separated.
        known: String,
    },
    #[error("store {path} holds a value this build cannot read: {what}")]
    /// A stored value that cannot be decoded (a bad blob, an out-of-range field).
    Corrupt {
        /// The store's path.
        path: PathBuf,
        /// Which value and why.
        what: String,
    },
    /// The file is not a usable store (empty, not SQLite, or failing SQLite's own check); it is left untouched.
    #[error("{path} is damaged and was left as it is: {what}; restore it from a backup or remove it and ingest again")]
    Damaged {
        /// The file's path.
        path: PathBuf,
        /// What SQLite or the header check found.
        what: String,
    },
    /// The stored incidents do not make a dataset (a CRS that cannot be used, a point that cannot be projected).
    #[error(transparent)]
    Dataset(#[from] crate::model::DatasetError),
}

/// An open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The page cache, KiB, of a connection running [`Store::quick_check`].
pub const CHECK_CACHE_KIB: i64 = 4_096;

impl Store {
    /// Open the store at `path`, creating it if absent, and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            refuse_empty(path)?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::setup(conn, path)
    }

    /// Open an existing store; an error if there is none at `path`.
    pub fn open_existing(path: &Path) -> Result<Self, StoreError> {
        if !path.exists() {
            return Err(StoreError::NotFound { path: path.to_owned() });
        }
        refuse_empty(path)?;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::setup(conn, path)
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Self, StoreError> {
        let sql = |what: &str| {
            let path = path.to_owned();
            let what = what.to_owned();
            move |source| StoreError::Sql { path, what, source }
        };
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql("setting the busy timeout"))?;
        // Write-ahead log: readers (commands, a running server) read while an import writes and never wait for
        // it, seeing the store as of its last commit. (A rollback journal writes new pages once instead of twice,
        // but an import whose pages overflow the cache must then lock readers out until it commits.) See
        // BENCHMARKS.md for the cost on an import. `journal_size_limit` truncates the log after checkpoints, so a
        // big import does not leave a log as large as itself behind. A killed import leaves uncommitted frames in
        // the log, which the next open ignores.
        let mode: String =
            conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(sql("setting the journal mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                what: format!("the store could not be put in WAL mode (journal mode is {mode})"),
            });
        }
        conn.pragma_update(None, "journal_size_limit", 64i64 << 20).map_err(sql("limiting the log size"))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql("setting synchronous"))?;
        // References are declared for readers of the schema; the import writer is the only code that inserts
        // incidents and resolves every reference itself, and checking them per row cost a fifth of the ingest
        // time. Tests run `PRAGMA foreign_key_check` on stores they fill.
        conn.pragma_update(None, "foreign_keys", "OFF").map_err(sql("setting foreign keys"))?;
        // A 64 MB page cache keeps a whole import's pages in memory until commit.
        conn.pragma_update(None, "cache_size", -65_536).map_err(sql("setting the cache size"))?;
        let version: i64 =
            conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql("reading the schema version"))?;
        let known = schema::current_version();
        if version > known {
            return Err(StoreError::TooNew { path: path.to_owned(), found: version, known });
        }
        if version < known {
            let tx = conn.transaction().map_err(sql("starting the migration"))?;
            for (i, migration) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.execute_batch(migration).map_err(sql(&format!("applying migration {}", i + 1)))?;
            }
            tx.pragma_update(None, "user_version", known).map_err(sql("recording the schema version"))?;
            tx.commit().map_err(sql("committing the migration"))?;
        }
        Ok(Store { conn, path: path.to_owned() })
    }

    /// The store file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(self.sql_err("reading the schema version"))
    }

    pub(crate) fn sql_err(&self, what: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + use<> {
        let path = self.path.clone();
        let what = what.to_owned();
        move |source| StoreError::Sql { path, what, source }
    }

    /// SQLite's `PRAGMA quick_check` (every page and index entry read: 0.6 s on a 2M store, several seconds on a
    /// 20M one): a [`StoreError::Damaged`] naming the first problems. `hotspots info --check` runs it, and `serve`
    /// in the background ([`BackgroundCheck`]). The check reads each page once, so the connection's page cache is
    /// cut to [`CHECK_CACHE_KIB`] for it (an import's 64 MB of cache would only fill with pages read once, in a
    /// server's resident memory).
    pub fn quick_check(&self) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "cache_size", -CHECK_CACHE_KIB)
            .map_err(self.sql_err("setting the check's cache size"))?;
        let mut stmt = self.conn.prepare("PRAGMA quick_check(5)").map_err(self.sql_err("checking the store"))?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|e| StoreError::Damaged {
                path: self.path.clone(),
                what: format!("SQLite's check failed: {e}"),
            })?;
        if lines.len() == 1 && lines[0] == "ok" {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.path.clone(),
            what: format!("SQLite's check found: {}", lines.join("; ")),
        })
    }

    /// The import whose file bytes have this SHA-256, if any.
    pub fn import_by_file_sha256(&self, sha: &str) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row("SELECT id FROM imports WHERE file_sha256 = ?1 LIMIT 1", [sha], |r| r.get(0))
            .optional()
            .map_err(self.sql_err("looking up the file hash"))
    }

    /// Number of incidents in the store.
    pub fn incident_count(&self) -> Result<u64, StoreError> {
        // The imports' own totals, written in the same transactions as their incidents: no scan of the incidents.
        self.conn
            .query_row("SELECT coalesce(sum(accepted), 0) FROM imports", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.sql_err("counting incidents"))
    }
}

/// An existing file of 0 bytes (or that is not a regular file) is not a store: SQLite would write a fresh schema
/// over it, hiding whatever emptied it.
fn refuse_empty(path: &Path) -> Result<(), StoreError> {
    let damaged = |what: &str| StoreError::Damaged { path: path.to_owned(), what: what.to_owned() };
    let meta = std::fs::metadata(path).map_err(|e| damaged(&format!("cannot read its metadata: {e}")))?;
    if !meta.is_file() {
        return Err(damaged("it is not a regular file"));
    }
    if meta.len() == 0 {
        return Err(damaged("the file is empty (0 bytes)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_and_reopens_at_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        assert!(matches!(Store::open_existing(&path), Err(StoreError::NotFound { .. })));
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), current_version());
        drop(s);
        let s = Store::open_existing(&path).unwrap();
        assert_eq!(s.incident_count().unwrap(), 0);
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        drop(Store::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("upgrade hotspots"));
    }

    #[test]
    fn an_empty_file_is_refused_and_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        std::fs::write(&path, b"").unwrap();
        for err in [Store::open_existing(&path).unwrap_err(), Store::open(&path).unwrap_err()] {
            assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
            assert!(err.to_string().contains("empty (0 bytes)"), "{err}");
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(matches!(Store::open(dir.path()).unwrap_err(), StoreError::Damaged { .. }));
    }

    #[test]
    fn quick_check_finds_a_zeroed_page() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let s = Store::open(&path).unwrap();
            s.conn.execute_batch("CREATE TABLE filler (x BLOB); CREATE INDEX filler_x ON filler (x);").unwrap();
            for i in 0..400 {
                s.conn.execute("INSERT INTO filler VALUES (?1)", [format!("{i:0>300}")]).unwrap();
            }
            s.quick_check().unwrap();
            s.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        let end = (mid + 16384).min(bytes.len());
        bytes[mid..end].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open_existing(&path).and_then(|s| s.quick_check()).unwrap_err();
        assert!(matches!(err, StoreError::Damaged { .. } | StoreError::Sql { .. }), "{err}");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        std::fs::write(&path, b"this is not a database, just text that is long enough to fill a header....").unwrap();
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("s.db"), "{err}");
    }
}
