//! Boundary layers in the store (`hotspots areas import`): a layer table with where each layer came from, and its
//! areas with their outlines in WGS84 lon/lat (OGC WKB, exact to the bit) and bounding boxes.
//!
//! **Versions.** A layer is named by the user. Importing a file whose content (the same file SHA-256, key field and
//! name field) is that of the name's newest version adds nothing; any other content under the name is a new version
//! of that layer (`version` 1, 2, ...), and the old ones stay. `NAME` means the newest version, `NAME@N`
//! version N, and a bare number a layer id. One transaction per import: a failure changes nothing.

use super::{Store, StoreError};
use crate::areas::wkb::{from_wkb, to_wkb};
use crate::areas::{Area, AreaLayer};
use geo::BoundingRect;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// Migration v2: the area layer tables.
pub(super) const MIGRATION_AREA_LAYERS: &str = r#"
    CREATE TABLE area_layers (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,                 -- as given with --layer
        version INTEGER NOT NULL,           -- 1, 2, ... per name, in import order
        imported_at TEXT NOT NULL,          -- RFC 3339, UTC
        file TEXT NOT NULL,                 -- path as given on the command line
        file_name TEXT NOT NULL,            -- last path component
        format TEXT NOT NULL,               -- geojson, or the OGR driver (gdal feature)
        key_field TEXT NOT NULL,
        name_field TEXT,                    -- NULL: the key is the name
        source_crs TEXT NOT NULL,           -- the file's CRS as named (EPSG:27700, ...)
        features INTEGER NOT NULL,
        file_sha256 TEXT NOT NULL,          -- SHA-256 of the file's bytes (and its sidecar files, for a Shapefile)
        UNIQUE (name, version)
    );
    CREATE TABLE areas (
        layer_id INTEGER NOT NULL REFERENCES area_layers(id),
        ord INTEGER NOT NULL,               -- 0-based position in the file: the edge rule takes the first area
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        geometry_wkb BLOB NOT NULL,         -- MultiPolygon, WGS84 lon/lat, little-endian WKB
        min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL,
        PRIMARY KEY (layer_id, ord),
        UNIQUE (layer_id, key)
    );
"#;

/// A stored layer's description (one version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaLayerRecord {
    /// Row id of this version in the store.
    pub id: i64,
    /// The layer's name as given at import (`--layer`).
    pub name: String,
    /// Version number, 1, 2, ... per name in import order.
    pub version: i64,
    /// When this version was imported, RFC 3339 UTC.
    pub imported_at: String,
    /// The file's path as given at import.
    pub file: String,
    /// The file's last path component.
    pub file_name: String,
    /// `geojson`, or the OGR driver name when read through GDAL.
    pub format: String,
    /// The property holding each area's key.
    pub key_field: String,
    /// The property holding each area's name; `None` when the key is the name.
    pub name_field: Option<String>,
    /// The file's CRS as named (`EPSG:27700`, ...); outlines are stored in WGS84.
    pub source_crs: String,
    /// Number of areas (features) in this version.
    pub features: i64,
    /// SHA-256 of the file's bytes (and its sidecar files, for a Shapefile), hex.
    pub file_sha256: String,
}

impl AreaLayerRecord {
    /// `NAME@VERSION`, which names this version exactly.
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// A layer to store.
#[derive(Debug, Clone)]
pub struct NewAreaLayer<'a> {
    /// The layer's name (see [`valid_layer_name`]).
    pub name: &'a str,
    /// The file's path as given by the user.
    pub file: &'a str,
    /// The file's last path component.
    pub file_name: &'a str,
    /// `geojson`, or the OGR driver name when read through GDAL.
    pub format: &'a str,
    /// The property holding each area's key.
    pub key_field: &'a str,
    /// The property holding each area's name; `None` when the key is the name.
    pub name_field: Option<&'a str>,
    /// The file's CRS as named; the areas' outlines are already in WGS84.
    pub source_crs: &'a str,
    /// SHA-256 of the file's bytes (and sidecar files), hex; the same content under the same name is not stored twice.
    pub file_sha256: &'a str,
    /// The areas, in file order (the edge rule gives a point on a shared edge to the first).
    pub areas: &'a [Area],
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AreaImportOutcome {
    /// Stored as a new version.
    Imported(AreaLayerRecord),
    /// The same content under the same name was already there: nothing added.
    AlreadyImported(AreaLayerRecord),
}

const COLUMNS: &str = "id, name, version, imported_at, file, file_name, format, key_field, name_field, source_crs, \
                       features, file_sha256";

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<AreaLayerRecord> {
    Ok(AreaLayerRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        imported_at: r.get(3)?,
        file: r.get(4)?,
        file_name: r.get(5)?,
        format: r.get(6)?,
        key_field: r.get(7)?,
        name_field: r.get(8)?,
        source_crs: r.get(9)?,
        features: r.get(10)?,
        file_sha256: r.get(11)?,
    })
}

/// Whether a layer name is usable (it appears in tile URLs as `areas-NAME` and in `NAME@N`).
pub fn valid_layer_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.bytes().all(|b| b.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl Store {
    /// Store a layer in one transaction (see the module docs for versions and duplicates).
    pub fn import_area_layer(&mut self, layer: &NewAreaLayer<'_>) -> Result<AreaImportOutcome, StoreError> {
        // Only the newest version counts: re-importing an older content makes it the newest again.
        let newest = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM area_layers WHERE name = ?1 ORDER BY version DESC LIMIT 1"),
                [layer.name],
                record,
            )
            .optional()
            .map_err(self.sql_err("looking for the layer"))?;
        if let Some(r) = newest.filter(|r| {
            r.file_sha256 == layer.file_sha256
                && r.key_field == layer.key_field
                && r.name_field.as_deref() == layer.name_field
        }) {
            return Ok(AreaImportOutcome::AlreadyImported(r));
        }
        let err = self.sql_err("importing the area layer");
        let start_err = self.sql_err("starting the area import");
        let bump_err = self.sql_err("bumping the data version");
        let tx = self.conn.transaction().map_err(start_err)?;
        let id = {
            let version: i64 = tx
                .query_row("SELECT coalesce(max(version), 0) + 1 FROM area_layers WHERE name = ?1", [layer.name], |r| {
                    r.get(0)
                })
                .map_err(|e| StoreError::Sql {
                    path: self.path.clone(),
                    what: "numbering the layer version".into(),
                    source: e,
                })?;
            let sql =
                |source| StoreError::Sql { path: self.path.clone(), what: "writing the area layer".into(), source };
            tx.execute(
                "INSERT INTO area_layers (name, version, imported_at, file, file_name, format, key_field, name_field, \
                 source_crs, features, file_sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    layer.name,
                    version,
                    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    layer.file,
                    layer.file_name,
                    layer.format,
                    layer.key_field,
                    layer.name_field,
                    layer.source_crs,
                    layer.areas.len() as i64,
                    layer.file_sha256,
                ],
            )
            .map_err(sql)?;
            let id = tx.last_insert_rowid();
            let mut insert = tx
                .prepare(
                    "INSERT INTO areas (layer_id, ord, key, name, geometry_wkb, min_lon, min_lat, max_lon, max_lat) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(sql)?;
            for (ord, a) in layer.areas.iter().enumerate() {
                let r = a.outline_lonlat.bounding_rect().ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    what: format!("area '{}' has an empty outline", a.key),
                })?;
                let geometry = to_wkb(&a.outline_lonlat);
                insert
                    .execute(params![
                        id,
                        ord as i64,
                        a.key,
                        a.name,
                        geometry,
                        r.min().x,
                        r.min().y,
                        r.max().x,
                        r.max().y
                    ])
                    .map_err(|source| StoreError::Sql {
                        path: self.path.clone(),
                        what: format!("writing area '{}'", a.key),
                        source,
                    })?;
            }
            id
        };
        tx.execute(super::version::BUMP_LAYERS, []).map_err(bump_err)?;
        tx.commit().map_err(err)?;
        let rec = self
            .conn
            .query_row(&format!("SELECT {COLUMNS} FROM area_layers WHERE id = ?1"), [id], record)
            .map_err(self.sql_err("reading the new layer"))?;
        Ok(AreaImportOutcome::Imported(rec))
    }

    /// Every stored layer version, by name then version.
    pub fn area_layers(&self) -> Result<Vec<AreaLayerRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM area_layers ORDER BY name, version"))
            .map_err(self.sql_err("listing area layers"))?;
        let rows = st.query_map([], record).map_err(self.sql_err("listing area layers"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.sql_err("listing area layers"))
    }

    /// The newest version of each layer, by name.
    pub fn newest_area_layers(&self) -> Result<Vec<AreaLayerRecord>, StoreError> {
        let mut all = self.area_layers()?;
        all.reverse();
        let mut seen = std::collections::HashSet::new();
        all.retain(|r| seen.insert(r.name.clone()));
        all.reverse();
        Ok(all)
    }

    /// A layer by `NAME` (the newest version), `NAME@N` (version N) or its id.
    pub fn resolve_area_layer(&self, spec: &str) -> Result<AreaLayerRecord, StoreError> {
        let all = self.area_layers()?;
        let spec = spec.trim();
        let found = if let Ok(id) = spec.parse::<i64>() {
            all.iter().find(|r| r.id == id)
        } else if let Some((name, v)) = spec.rsplit_once('@') {
            let v: Option<i64> = v.parse().ok();
            all.iter().find(|r| r.name == name && Some(r.version) == v)
        } else {
            all.iter().filter(|r| r.name == spec).max_by_key(|r| r.version)
        };
        found.cloned().ok_or_else(|| StoreError::NoSuchAreaLayer {
            spec: spec.to_owned(),
            known: if all.is_empty() {
                "none yet: import one with `hotspots areas import FILE --layer NAME --key FIELD`".into()
            } else {
                all.iter().map(|r| format!("{} (id {})", r.label(), r.id)).collect::<Vec<_>>().join(", ")
            },
        })
    }

    /// Load a stored layer's areas, in file order. The layer is named by its name (not its version).
    pub fn load_area_layer(&self, rec: &AreaLayerRecord) -> Result<AreaLayer, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT key, name, geometry_wkb FROM areas WHERE layer_id = ?1 ORDER BY ord")
            .map_err(self.sql_err("loading areas"))?;
        let rows = st
            .query_map([rec.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))
            .map_err(self.sql_err("loading areas"))?;
        let mut areas = Vec::new();
        for row in rows {
            let (key, name, geometry) = row.map_err(self.sql_err("loading areas"))?;
            let corrupt = |what: String| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("area '{key}' of layer {}: {what}", rec.label()),
            };
            let outline_lonlat = from_wkb(&geometry).map_err(corrupt)?;
            areas.push(Area { key, name, outline_lonlat });
        }
        Ok(AreaLayer::new(&rec.name, areas))
    }
}
