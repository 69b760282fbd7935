//! Results derived from the store's data, kept beside it for the next command: `STORE.derived.json`.
//!
//! Some results cost far more than the command that needs them and change only when the data do: the backtest that
//! chooses `predict`'s method compares 16 methods over 12 folds (about two seconds on a county of a national store),
//! for a `find` whose own analysis takes a fraction of that. A command keeps such a result here under a key naming
//! everything it depends on besides the data (the caller writes it), and the file names the data it was derived
//! from: the store's [`DataVersion`]. A file of another version (an import since, or another store's file) is
//! never read from, and the first write replaces it.
//!
//! The file is a cache, never the only copy of anything: a missing, unreadable or damaged file is an empty one (the
//! result is computed again), and it is written whole to a temporary file renamed over it, so a reader never sees
//! half of it. Two commands writing at once each write a whole file; the entry of the one renamed first is lost and
//! computed again later. At most [`MAX_ENTRIES`] are kept, the oldest written dropped first.

use super::DataVersion;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The most entries kept (the oldest written are dropped beyond it).
pub const MAX_ENTRIES: usize = 256;

/// Errors keeping a derived result.
#[derive(Debug, thiserror::Error)]
pub enum DerivedError {
    /// The file could not be written (where, and why).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's contents could not be encoded.
    #[error("cannot encode {path}: {source}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
}

/// `STORE.derived.json` for the store at `store`.
pub fn derived_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(".derived.json");
    PathBuf::from(name)
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct File {
    /// The data version the entries were derived from ([`DataVersion`]'s text form).
    version: String,
    /// Entries, oldest written first.
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    key: String,
    value: serde_json::Value,
}

/// The derived results kept for one data version of one store.
#[derive(Debug, Clone)]
pub struct DerivedCache {
    path: PathBuf,
    version: String,
    file: File,
}

impl DerivedCache {
    /// The results kept beside `store` for `version` (none when the file is missing, unreadable, damaged or of
    /// another version).
    pub fn open(store: &Path, version: &DataVersion) -> DerivedCache {
        let path = derived_path(store);
        let version = version.to_string();
        let file = read(&path).filter(|f| f.version == version).unwrap_or_default();
        DerivedCache { path, version, file }
    }

    /// The file this cache reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value kept under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.file.entries.iter().rev().find(|e| e.key == key).map(|e| &e.value)
    }

    /// Keep `value` under `key`: the file is read again (entries another command wrote since [`DerivedCache::open`]
    /// are kept when they are of this version), the entry added or replaced, and the whole file written atomically.
    pub fn put(&mut self, key: &str, value: serde_json::Value) -> Result<(), DerivedError> {
        let mut file = read(&self.path)
            .filter(|f| f.version == self.version)
            .unwrap_or_else(|| File { version: self.version.clone(), entries: Vec::new() });
        file.entries.retain(|e| e.key != key);
        file.entries.push(Entry { key: key.to_owned(), value });
        let excess = file.entries.len().saturating_sub(MAX_ENTRIES);
        file.entries.drain(..excess);
        let bytes =
            serde_json::to_vec(&file).map_err(|source| DerivedError::Encode { path: self.path.clone(), source })?;
        crate::files::write_atomic(&self.path, &bytes)
            .map_err(|source| DerivedError::Write { path: self.path.clone(), source })?;
        self.file = file;
        Ok(())
    }
}

/// The file at `path`, or `None` when it is missing or cannot be read as one.
fn read(path: &Path) -> Option<File> {
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(incidents: i64) -> DataVersion {
        DataVersion { store_uid: "u1".into(), incidents, layers: 0 }
    }

    #[test]
    fn values_are_kept_for_their_data_version_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let mut c = DerivedCache::open(&store, &version(1));
        assert!(c.get("a").is_none());
        c.put("a", serde_json::json!({"x": 1})).unwrap();
        c.put("b", serde_json::json!(2)).unwrap();
        c.put("a", serde_json::json!(3)).unwrap();
        let again = DerivedCache::open(&store, &version(1));
        assert_eq!(again.get("a"), Some(&serde_json::json!(3)));
        assert_eq!(again.get("b"), Some(&serde_json::json!(2)));
        // An import since: nothing is read, and the first write replaces the file.
        let mut newer = DerivedCache::open(&store, &version(2));
        assert!(newer.get("a").is_none());
        newer.put("c", serde_json::json!(4)).unwrap();
        assert!(DerivedCache::open(&store, &version(1)).get("a").is_none());
        assert_eq!(DerivedCache::open(&store, &version(2)).get("c"), Some(&serde_json::json!(4)));
    }

    #[test]
    fn two_writers_keep_each_others_entries_and_old_ones_go_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        let (mut a, mut b) = (DerivedCache::open(&store, &version(1)), DerivedCache::open(&store, &version(1)));
        a.put("from a", serde_json::json!(1)).unwrap();
        b.put("from b", serde_json::json!(2)).unwrap();
        let both = DerivedCache::open(&store, &version(1));
        assert!(both.get("from a").is_some() && both.get("from b").is_some());
        for k in 0..MAX_ENTRIES {
            a.put(&format!("k{k}"), serde_json::json!(k)).unwrap();
        }
        let full = DerivedCache::open(&store, &version(1));
        assert!(full.get("from a").is_none() && full.get("from b").is_none(), "the oldest are dropped");
        assert_eq!(full.get(&format!("k{}", MAX_ENTRIES - 1)), Some(&serde_json::json!(MAX_ENTRIES - 1)));
    }

    #[test]
    fn a_damaged_file_is_an_empty_cache_and_an_unwritable_one_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s.db");
        std::fs::write(derived_path(&store), b"{ not json").unwrap();
        let mut c = DerivedCache::open(&store, &version(1));
        assert!(c.get("a").is_none());
        c.put("a", serde_json::json!(1)).unwrap();
        assert_eq!(DerivedCache::open(&store, &version(1)).get("a"), Some(&serde_json::json!(1)));
        let mut nowhere = DerivedCache::open(&dir.path().join("missing-dir").join("s.db"), &version(1));
        let err = nowhere.put("a", serde_json::json!(1)).unwrap_err().to_string();
        assert!(err.contains("missing-dir") && err.contains("s.db.derived.json"), "{err}");
    }
}
