//! The store's data version: a cheap identity of what the store holds, for readers that poll for new imports
//! (a server) and for the snapshot, which is stamped with the version it was written at.
//!
//! Migration v3 adds `store_state`, three rows read by one query of a tiny table, never by scanning:
//!
//! - `store_uid`: 16 random hex digits fixed when the table is created, so a store deleted and made again does not
//!   match a snapshot or a cache of the old one;
//! - `incidents_version`: bumped inside every committed import's transaction (a rolled-back or duplicate import
//!   leaves it as it was);
//! - `layers_version`: bumped inside every committed area layer import.

use super::{Store, StoreError};
use serde::Serialize;

/// Migration v3: the data version.
pub(super) const MIGRATION_STORE_STATE: &str = r#"
    CREATE TABLE store_state (
        key TEXT PRIMARY KEY,
        value NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO store_state (key, value) VALUES ('store_uid', lower(hex(randomblob(8))));
    INSERT INTO store_state (key, value) VALUES ('incidents_version', (SELECT count(*) FROM imports));
    INSERT INTO store_state (key, value) VALUES ('layers_version', (SELECT count(*) FROM area_layers));
"#;

/// SQL run inside an import's transaction, just before it commits.
pub(super) const BUMP_INCIDENTS: &str = "UPDATE store_state SET value = value + 1 WHERE key = 'incidents_version'";
/// SQL run inside an area layer import's transaction.
pub(super) const BUMP_LAYERS: &str = "UPDATE store_state SET value = value + 1 WHERE key = 'layers_version'";

/// What the store holds, as of one read. Two reads give equal versions exactly when no import or area layer import
/// committed in between. Its text form (`Display`) is `uid-incidents-layers`, e.g. `3f2a9c01d4e5b677-36-2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DataVersion {
    /// Random identity of the store file.
    pub store_uid: String,
    /// Committed incident imports so far (changes whenever the incidents do).
    pub incidents: i64,
    /// Committed area layer imports so far.
    pub layers: i64,
}

impl std::fmt::Display for DataVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.store_uid, self.incidents, self.layers)
    }
}

impl Store {
    /// The data version: one indexed read of a three-row table, cheap enough to poll every second. Readers never
    /// wait for an import (the store runs in WAL mode): during one they see the version before it.
    pub fn data_version(&self) -> Result<DataVersion, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, value FROM store_state")
            .map_err(self.sql_err("reading the data version"))?;
        let mut rows = stmt.query([]).map_err(self.sql_err("reading the data version"))?;
        let (mut uid, mut incidents, mut layers) = (None, None, None);
        while let Some(r) = rows.next().map_err(self.sql_err("reading the data version"))? {
            let key: String = r.get(0).map_err(self.sql_err("reading the data version"))?;
            match key.as_str() {
                "store_uid" => uid = Some(r.get::<_, String>(1).map_err(self.sql_err("reading the store uid"))?),
                "incidents_version" => {
                    incidents = Some(r.get::<_, i64>(1).map_err(self.sql_err("reading the incidents version"))?)
                }
                "layers_version" => {
                    layers = Some(r.get::<_, i64>(1).map_err(self.sql_err("reading the layers version"))?)
                }
                _ => {}
            }
        }
        match (uid, incidents, layers) {
            (Some(store_uid), Some(incidents), Some(layers)) => Ok(DataVersion { store_uid, incidents, layers }),
            _ => Err(StoreError::Corrupt {
                path: self.path.clone(),
                what: "the store_state table lacks store_uid, incidents_version or layers_version".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_starts_at_zero_with_a_random_uid() {
        let dir = tempfile::tempdir().unwrap();
        let a = Store::open(&dir.path().join("a.db")).unwrap().data_version().unwrap();
        let b = Store::open(&dir.path().join("b.db")).unwrap().data_version().unwrap();
        assert_eq!((a.incidents, a.layers), (0, 0));
        assert_eq!(a.store_uid.len(), 16);
        assert_ne!(a.store_uid, b.store_uid);
        assert_eq!(a.to_string(), format!("{}-0-0", a.store_uid));
    }
}
