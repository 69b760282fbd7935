//! The store's schema, as an ordered list of migrations. The schema version is SQLite's `user_version`; opening a
//! store applies every migration above its version in one transaction. Never edit a released migration: add one.

/// Migrations in order; migration `i` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // v1: imports, interned strings, incidents, rejects, archived files.
    r#"
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        file TEXT NOT NULL,                 -- path as given on the command line
        file_name TEXT NOT NULL,            -- last path component
        size_bytes INTEGER NOT NULL,        -- bytes of the file as stored (compressed, if it is)
        file_sha256 TEXT NOT NULL,          -- SHA-256 of the file's bytes
        content_sha256 TEXT NOT NULL UNIQUE, -- SHA-256 of the decompressed content: the identity of an import
        format TEXT NOT NULL,               -- police-uk | csv | geojson
        options_json TEXT NOT NULL,         -- column choices, CRS, time format and zone used
        header_json TEXT NOT NULL,          -- the file's header (CSV) or property names (GeoJSON)
        read INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        rejected_by_reason_json TEXT NOT NULL,
        min_lon REAL, min_lat REAL, max_lon REAL, max_lat REAL,
        time_from_s INTEGER,                -- earliest incident start
        time_to_s INTEGER,                  -- latest incident interval end (exclusive)
        imported_at TEXT NOT NULL           -- RFC 3339, UTC
    );
    CREATE INDEX imports_file_sha256 ON imports(file_sha256);

    CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE area_codes (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
    CREATE TABLE locations (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);

    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        line INTEGER NOT NULL,              -- 1-based line where the row starts (feature number for GeoJSON)
        lon REAL NOT NULL,                  -- WGS84 degrees
        lat REAL NOT NULL,
        time_s INTEGER NOT NULL,            -- start of the incident's time interval, seconds since 1970 UTC
        precision INTEGER NOT NULL,         -- 0 second, 1 minute, 2 hour, 3 day, 4 month, 5 year
        category_id INTEGER NOT NULL REFERENCES categories(id),
        weight REAL NOT NULL,
        area_id INTEGER REFERENCES area_codes(id),
        location_id INTEGER REFERENCES locations(id),
        source_id TEXT                      -- the file's own id (not unique: police.uk repeats Crime IDs)
    );

    -- The imported file itself, byte for byte (compressed if it was), in chunks: every original row stays
    -- retrievable by (import, line) without storing each row twice.
    CREATE TABLE import_files (
        import_id INTEGER NOT NULL REFERENCES imports(id),
        chunk INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (import_id, chunk)
    );

    -- Incidents per import, category, month and time precision, written with the import so `info` need not
    -- scan the incidents.
    CREATE TABLE import_counts (
        import_id INTEGER NOT NULL REFERENCES imports(id),
        category_id INTEGER NOT NULL REFERENCES categories(id),
        month TEXT NOT NULL,                -- YYYY-MM (UTC) of the incident's start
        precision INTEGER NOT NULL,
        incidents INTEGER NOT NULL,
        PRIMARY KEY (import_id, category_id, month, precision)
    ) WITHOUT ROWID;

    CREATE TABLE rejects (
        id INTEGER PRIMARY KEY,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        line INTEGER NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        raw BLOB NOT NULL
    );
    CREATE INDEX rejects_import ON rejects(import_id);
    "#,
    // v2: boundary layers (`hotspots areas import`), see store/areas.rs.
    super::areas::MIGRATION_AREA_LAYERS,
    // v3: the data version (`store_state`), see store/version.rs.
    super::version::MIGRATION_STORE_STATE,
];

/// The schema version this build writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}
