//! Writing one import as one transaction.

use super::snapshot::append::{Append, NameKind};
use super::{Store, StoreError};
use crate::model::record::{NewNames, ParsedIncident, RejectedRow, encode_csv_record};
use crate::model::time::{interval_end_s, month_index, month_index_label};
use rusqlite::{Connection, OptionalExtension, Statement, params};
use std::collections::{BTreeMap, HashMap};

/// What is known about an import before its rows are read.
#[derive(Debug, Clone)]
pub struct ImportStart {
    /// The file's path as the user named it.
    pub file: String,
    /// The file's last path component.
    pub file_name: String,
    /// Size of the file on disk, bytes (compressed size for gzip).
    pub size_bytes: u64,
    /// SHA-256 of the file's bytes as stored on disk, hex.
    pub file_sha256: String,
    /// The format recognised: `police-uk`, `csv` or `geojson`.
    pub format: String,
    /// The import options used (columns, CRS, time format and zone), as JSON.
    pub options_json: String,
    /// The header columns (or GeoJSON property names) found, as a JSON array.
    pub header_json: String,
}

/// What is known once every row has been read.
#[derive(Debug, Clone)]
pub struct ImportEnd {
    /// SHA-256 of the content after decompression, hex; an import whose content the store already holds adds nothing.
    pub content_sha256: String,
}

/// How an import ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Committed under this import id. `snapshot_note` says when the snapshot could not simply be appended to
    /// (it was rebuilt from the store's rows, or will be by the next command).
    Committed {
        /// The new import's id.
        import_id: i64,
        /// Why the snapshot was not simply appended to, if it was not.
        snapshot_note: Option<String>,
    },
    /// The same content was imported before (under `previous_import_id`); nothing was added.
    DuplicateContent {
        /// The import that holds the same content.
        previous_import_id: i64,
    },
}

/// Running totals of an import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportCounts {
    /// Rows accepted so far.
    pub accepted: u64,
    /// Rows refused so far, per reason key.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Westernmost accepted longitude, WGS84 degrees (+inf while none is accepted).
    pub min_lon: f64,
    /// Southernmost accepted latitude, WGS84 degrees (+inf while none is accepted).
    pub min_lat: f64,
    /// Easternmost accepted longitude, WGS84 degrees (-inf while none is accepted).
    pub max_lon: f64,
    /// Northernmost accepted latitude, WGS84 degrees (-inf while none is accepted).
    pub max_lat: f64,
    /// Earliest accepted incident start, seconds since the Unix epoch; `None` while none is accepted.
    pub time_from_s: Option<i64>,
    /// Latest accepted incident end (exclusive), seconds since the Unix epoch; `None` while none is accepted.
    pub time_to_s: Option<i64>,
    /// Accepted incidents by (category as the parser numbered it, month index, precision code).
    pub by_category_month: rustc_hash::FxHashMap<(u32, i64, u8), u64>,
}

impl ImportCounts {
    /// Rows refused so far, all reasons together.
    pub fn rejected(&self) -> u64 {
        self.rejected_by_reason.values().sum()
    }
}

/// An import in progress: every write goes into one transaction that [`ImportWriter::finish`] commits. Dropping
/// the writer without finishing rolls everything back.
pub struct ImportWriter<'s> {
    store: &'s Store,
    conn: &'s Connection,
    /// The import's rows appended to the snapshot (published after the commit).
    snapshot: Option<Append>,
    /// The file as given (the dataset's source name).
    file: String,
    /// Inserts [`ROWS_PER_INSERT`] incidents per statement: one multi-row insert costs far less than as many
    /// single-row ones.
    insert_many: Statement<'s>,
    insert_one: Statement<'s>,
    pending: Vec<ParsedIncident>,
    /// Set once the transaction has been committed or rolled back.
    closed: bool,
    path: std::path::PathBuf,
    import_id: i64,
    categories: HashMap<String, i64>,
    areas: HashMap<String, i64>,
    locations: HashMap<String, i64>,
    /// The parser's ids -> store ids, for this import.
    category_ids: Vec<i64>,
    area_ids: Vec<i64>,
    location_ids: Vec<i64>,
    counts: ImportCounts,
    /// The largest incident id before this import (0 in an empty store).
    earlier_max_id: i64,
}

/// How far an import's incidents lie from those the store held before it.
#[derive(Debug, Clone, PartialEq)]
pub struct FarAway {
    /// The gap between the two extents, km (0 when they overlap).
    pub gap_km: f64,
    /// `[west, south, east, north]` of the incidents held before (from a sample of up to 1,000).
    pub earlier_lonlat: [f64; 4],
    /// `[west, south, east, north]` of this import's incidents.
    pub import_lonlat: [f64; 4],
}

const INCIDENT_COLUMNS: &str =
    "import_id, line, lon, lat, time_s, precision, category_id, weight, area_id, location_id, source_id";
const PARAMS_PER_INCIDENT: usize = 11;
const ROWS_PER_INSERT: usize = 64;

fn insert_sql(rows: usize) -> String {
    let one = format!("({})", ["?"; PARAMS_PER_INCIDENT].join(","));
    format!("INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES {}", vec![one; rows].join(","))
}

/// Bytes of the archived file per `import_files` row.
const ARCHIVE_CHUNK_BYTES: usize = 8 * 1024 * 1024;

fn load_ids(tx: &Connection, sql: &str) -> rusqlite::Result<HashMap<String, i64>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(0)?)))?;
    rows.collect()
}

impl Store {
    /// Begin importing a file.
    pub fn begin_import(&mut self, start: &ImportStart) -> Result<ImportWriter<'_>, StoreError> {
        let path = self.path.clone();
        let err = |what: &'static str| {
            let path = path.clone();
            move |source| StoreError::Sql { path, what: what.into(), source }
        };
        let store = &*self;
        let tx = &store.conn;
        tx.execute_batch("BEGIN IMMEDIATE").map_err(err("starting the import"))?;
        // Until the writer exists, an early return drops this guard, which rolls back.
        let guard = RollbackGuard(tx);
        let snapshot = Append::begin(&path, tx, start.size_bytes);
        let pending = format!("pending:{}:{}", start.file_sha256, std::process::id());
        tx.execute(
            "INSERT INTO imports (file, file_name, size_bytes, file_sha256, content_sha256, format, options_json, \
             header_json, read, accepted, rejected, rejected_by_reason_json, imported_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, 0, '{}', ?9)",
            params![
                start.file,
                start.file_name,
                start.size_bytes as i64,
                start.file_sha256,
                pending,
                start.format,
                start.options_json,
                start.header_json,
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ],
        )
        .map_err(err("recording the import"))?;
        let import_id = tx.last_insert_rowid();
        let categories = load_ids(tx, "SELECT id, name FROM categories").map_err(err("reading categories"))?;
        let areas = load_ids(tx, "SELECT id, code FROM area_codes").map_err(err("reading area codes"))?;
        let locations = load_ids(tx, "SELECT id, text FROM locations").map_err(err("reading locations"))?;
        let insert_many = tx.prepare(&insert_sql(ROWS_PER_INSERT)).map_err(err("preparing the incident insert"))?;
        let insert_one = tx.prepare(&insert_sql(1)).map_err(err("preparing the incident insert"))?;
        let earlier_max_id: i64 = tx
            .query_row("SELECT coalesce(max(id), 0) FROM incidents", [], |r| r.get(0))
            .map_err(err("reading the incidents held"))?;
        std::mem::forget(guard);
        Ok(ImportWriter {
            store,
            conn: tx,
            snapshot: Some(snapshot),
            file: start.file.clone(),
            insert_many,
            insert_one,
            pending: Vec::with_capacity(ROWS_PER_INSERT),
            closed: false,
            path,
            import_id,
            categories,
            areas,
            locations,
            category_ids: Vec::new(),
            area_ids: Vec::new(),
            location_ids: Vec::new(),
            earlier_max_id,
            counts: ImportCounts {
                min_lon: f64::INFINITY,
                min_lat: f64::INFINITY,
                max_lon: f64::NEG_INFINITY,
                max_lat: f64::NEG_INFINITY,
                ..Default::default()
            },
        })
    }
}

/// Rolls back the open transaction when dropped (unless forgotten).
struct RollbackGuard<'c>(&'c Connection);

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

impl Drop for ImportWriter<'_> {
    fn drop(&mut self) {
        if !self.closed {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// The store id of `value`, inserting it if new; `true` when it was inserted.
fn intern(
    tx: &Connection,
    cache: &mut HashMap<String, i64>,
    insert_sql: &str,
    value: &str,
) -> rusqlite::Result<(i64, bool)> {
    if let Some(&id) = cache.get(value) {
        return Ok((id, false));
    }
    tx.prepare_cached(insert_sql)?.execute([value])?;
    let id = tx.last_insert_rowid();
    cache.insert(value.to_owned(), id);
    Ok((id, true))
}

impl ImportWriter<'_> {
    fn err(&self, what: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + use<> {
        let path = self.path.clone();
        let what = what.to_owned();
        move |source| StoreError::Sql { path, what, source }
    }

    /// The id the import will have once committed.
    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// Totals of the rows written so far.
    pub fn counts(&self) -> &ImportCounts {
        &self.counts
    }

    /// How far this import's incidents lie from those the store held before it: `None` when the store held none or
    /// the import has none. The earlier extent comes from up to 1,000 incidents spread evenly over the earlier ids
    /// (each a primary-key lookup, so a 20-million-row store costs milliseconds).
    pub fn distance_from_earlier(&self) -> Result<Option<FarAway>, StoreError> {
        let c = &self.counts;
        if self.earlier_max_id == 0 || !(c.min_lon.is_finite() && c.max_lat.is_finite()) {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT lon, lat FROM incidents WHERE id >= ?1 ORDER BY id LIMIT 1")
            .map_err(self.err("sampling the incidents held"))?;
        let (mut w, mut s, mut e, mut n) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        let samples = self.earlier_max_id.min(1000);
        for k in 0..samples {
            let id = 1 + k * (self.earlier_max_id - 1) / (samples - 1).max(1);
            let row: Option<(f64, f64)> = stmt
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })
                .map_err(self.err("sampling the incidents held"))?;
            if let Some((lon, lat)) = row {
                (w, s, e, n) = (w.min(lon), s.min(lat), e.max(lon), n.max(lat));
            }
        }
        if !w.is_finite() {
            return Ok(None);
        }
        let (dx, dy) = ((w - c.max_lon).max(c.min_lon - e).max(0.0), (s - c.max_lat).max(c.min_lat - n).max(0.0));
        let mid_lat = ((s + n) / 2.0 + (c.min_lat + c.max_lat) / 2.0) / 2.0;
        let gap_km = (dx * 111.32 * mid_lat.to_radians().cos()).hypot(dy * 110.57);
        Ok(Some(FarAway {
            gap_km,
            earlier_lonlat: [w, s, e, n],
            import_lonlat: [c.min_lon, c.min_lat, c.max_lon, c.max_lat],
        }))
    }

    /// Register the names a batch introduces (ids continue from the previous batch).
    pub fn add_names(&mut self, names: &NewNames) -> Result<(), StoreError> {
        let err = |name: &str| {
            let path = self.path.clone();
            let what = format!("adding the name '{name}'");
            move |source| StoreError::Sql { path, what, source }
        };
        let snap = &mut self.snapshot;
        let mut added = |kind: NameKind, (id, new): (i64, bool), name: &str| {
            if new && let Some(s) = snap.as_mut() {
                s.add_name(kind, id, name);
            }
            id
        };
        for name in &names.categories {
            let id = intern(self.conn, &mut self.categories, "INSERT INTO categories (name) VALUES (?1)", name)
                .map_err(err(name))?;
            self.category_ids.push(added(NameKind::Category, id, name));
        }
        for name in &names.areas {
            let id = intern(self.conn, &mut self.areas, "INSERT INTO area_codes (code) VALUES (?1)", name)
                .map_err(err(name))?;
            self.area_ids.push(added(NameKind::Area, id, name));
        }
        for name in &names.locations {
            let id = intern(self.conn, &mut self.locations, "INSERT INTO locations (text) VALUES (?1)", name)
                .map_err(err(name))?;
            self.location_ids.push(added(NameKind::Location, id, name));
        }
        Ok(())
    }

    /// Add one accepted incident. Its name ids must have been registered with [`ImportWriter::add_names`].
    pub fn add_incident(&mut self, inc: ParsedIncident) -> Result<(), StoreError> {
        let c = &mut self.counts;
        c.accepted += 1;
        c.min_lon = c.min_lon.min(inc.lon);
        c.min_lat = c.min_lat.min(inc.lat);
        c.max_lon = c.max_lon.max(inc.lon);
        c.max_lat = c.max_lat.max(inc.lat);
        let end = interval_end_s(inc.time_s, inc.precision);
        c.time_from_s = Some(c.time_from_s.map_or(inc.time_s, |t| t.min(inc.time_s)));
        c.time_to_s = Some(c.time_to_s.map_or(end, |t| t.max(end)));
        *c.by_category_month.entry((inc.category, month_index(inc.time_s), inc.precision.code())).or_insert(0) += 1;
        self.pending.push(inc);
        if self.pending.len() == ROWS_PER_INSERT {
            self.flush()?;
        }
        Ok(())
    }

    /// Write the pending incidents: a full multi-row insert, or one at a time for the remainder.
    fn flush(&mut self) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.pending);
        let full = pending.len() == ROWS_PER_INSERT;
        for (k, inc) in pending.iter().enumerate() {
            let stmt = if full { &mut self.insert_many } else { &mut self.insert_one };
            let base = if full { k * PARAMS_PER_INCIDENT } else { 0 };
            let unknown = |what: &str, id: u32| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("incident at line {} refers to unregistered {what} {id}", inc.line),
            };
            let map = |ids: &[i64], id: u32, what: &str| ids.get(id as usize).copied().ok_or_else(|| unknown(what, id));
            let category = map(&self.category_ids, inc.category, "category")?;
            let area = inc.area.map(|a| map(&self.area_ids, a, "area")).transpose()?;
            let location = inc.location.map(|l| map(&self.location_ids, l, "location")).transpose()?;
            if let Some(s) = self.snapshot.as_mut() {
                s.push(inc, category, area, location);
            }
            let bind = (|| -> rusqlite::Result<()> {
                stmt.raw_bind_parameter(base + 1, self.import_id)?;
                stmt.raw_bind_parameter(base + 2, inc.line as i64)?;
                stmt.raw_bind_parameter(base + 3, inc.lon)?;
                stmt.raw_bind_parameter(base + 4, inc.lat)?;
                stmt.raw_bind_parameter(base + 5, inc.time_s)?;
                stmt.raw_bind_parameter(base + 6, inc.precision.code())?;
                stmt.raw_bind_parameter(base + 7, category)?;
                stmt.raw_bind_parameter(base + 8, inc.weight)?;
                stmt.raw_bind_parameter(base + 9, area)?;
                stmt.raw_bind_parameter(base + 10, location)?;
                stmt.raw_bind_parameter(base + 11, inc.source_id.as_deref())?;
                if !full {
                    stmt.raw_execute()?;
                }
                Ok(())
            })();
            // Lazily: building the error eagerly would allocate for every row.
            bind.map_err(|e| self.err("adding an incident")(e))?;
        }
        if full {
            self.insert_many.raw_execute().map_err(|e| self.err("adding incidents")(e))?;
        }
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    /// Keep the imported file itself, byte for byte, so every original row can be recovered.
    pub fn archive_file(&mut self, path: &std::path::Path) -> Result<(), StoreError> {
        use std::io::Read;
        let io_err = |e: std::io::Error| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("cannot read {} to archive it: {e}", path.display()),
        };
        let mut f = std::fs::File::open(path).map_err(io_err)?;
        let mut stmt = self
            .conn
            .prepare("INSERT INTO import_files (import_id, chunk, bytes) VALUES (?1, ?2, ?3)")
            .map_err(self.err("archiving the file"))?;
        let mut buf = vec![0u8; ARCHIVE_CHUNK_BYTES];
        for chunk in 0i64.. {
            let mut filled = 0;
            while filled < buf.len() {
                let n = f.read(&mut buf[filled..]).map_err(io_err)?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 && chunk > 0 {
                break;
            }
            stmt.execute(params![self.import_id, chunk, &buf[..filled]]).map_err(self.err("archiving the file"))?;
            if filled < buf.len() {
                break;
            }
        }
        Ok(())
    }

    /// Keep one refused row.
    pub fn add_reject(&mut self, row: &RejectedRow) -> Result<(), StoreError> {
        let raw = encode_csv_record(row.fields.iter().map(Vec::as_slice));
        self.conn
            .prepare_cached("INSERT INTO rejects (import_id, line, reason, detail, raw) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![self.import_id, row.line as i64, row.reason.key(), row.detail, raw]))
            .map_err(self.err("keeping a rejected row"))?;
        *self.counts.rejected_by_reason.entry(row.reason.key().to_owned()).or_insert(0) += 1;
        Ok(())
    }

    /// Record the totals and commit, unless the same content was imported before: then roll back and say so.
    pub fn finish(mut self, end: &ImportEnd) -> Result<ImportOutcome, StoreError> {
        self.flush()?;
        let previous: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM imports WHERE content_sha256 = ?1 AND id <> ?2",
                params![end.content_sha256, self.import_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("checking for an earlier import of the same content"))?;
        if let Some(previous_import_id) = previous {
            self.closed = true;
            if let Some(s) = self.snapshot.take() {
                s.abandon();
            }
            self.conn.execute_batch("ROLLBACK").map_err(self.err("rolling back a duplicate import"))?;
            return Ok(ImportOutcome::DuplicateContent { previous_import_id });
        }
        let mut counts_stmt = self
            .conn
            .prepare(
                "INSERT INTO import_counts (import_id, category_id, month, precision, incidents) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(self.err("recording counts"))?;
        for (&(category, month, precision), &n) in &self.counts.by_category_month {
            let category_id = self.category_ids.get(category as usize).copied().ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("count for unregistered category {category}"),
            })?;
            counts_stmt
                .execute(params![self.import_id, category_id, month_index_label(month), precision, n as i64])
                .map_err(self.err("recording counts"))?;
        }
        drop(counts_stmt);
        let c = &self.counts;
        let finite = |v: f64| v.is_finite().then_some(v);
        let by_reason = serde_json::to_string(&c.rejected_by_reason).unwrap_or_else(|_| "{}".into());
        self.conn
            .execute(
                "UPDATE imports SET content_sha256 = ?1, read = ?2, accepted = ?3, rejected = ?4, \
                 rejected_by_reason_json = ?5, min_lon = ?6, min_lat = ?7, max_lon = ?8, max_lat = ?9, \
                 time_from_s = ?10, time_to_s = ?11 WHERE id = ?12",
                params![
                    end.content_sha256,
                    (c.accepted + c.rejected()) as i64,
                    c.accepted as i64,
                    c.rejected() as i64,
                    by_reason,
                    finite(c.min_lon),
                    finite(c.min_lat),
                    finite(c.max_lon),
                    finite(c.max_lat),
                    c.time_from_s,
                    c.time_to_s,
                    self.import_id,
                ],
            )
            .map_err(self.err("recording the import totals"))?;
        self.conn.execute(super::version::BUMP_INCIDENTS, []).map_err(self.err("bumping the data version"))?;
        if let Some(s) = self.snapshot.as_mut() {
            s.prepare(self.conn, self.import_id, &self.file);
        }
        self.conn.execute_batch("COMMIT").map_err(self.err("committing the import"))?;
        self.closed = true;
        let snapshot_note = self.snapshot.take().and_then(|s| s.publish(self.store));
        Ok(ImportOutcome::Committed { import_id: self.import_id, snapshot_note })
    }
}

impl Store {
    /// The rejected rows of one import, in file order, with their original fields.
    pub fn rejects(&self, import_id: i64) -> Result<Vec<RejectedRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT line, reason, detail, raw FROM rejects WHERE import_id = ?1 ORDER BY id")
            .map_err(self.sql_err("reading rejected rows"))?;
        let rows = stmt
            .query_map([import_id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?))
            })
            .map_err(self.sql_err("reading rejected rows"))?;
        let mut out = Vec::new();
        let mut raws = Vec::new();
        for row in rows {
            let (line, reason, detail, raw) = row.map_err(self.sql_err("reading a rejected row"))?;
            let reason = crate::model::record::RejectReason::from_key(&reason).ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("unknown reject reason '{reason}'"),
            })?;
            out.push(RejectedRow { line: line as u64, reason, detail, fields: Vec::new() });
            raws.push(raw);
        }
        for (row, fields) in out.iter_mut().zip(decode_csv_records(&raws)) {
            row.fields = fields;
        }
        Ok(out)
    }
}

/// The fields of CSV records written by [`encode_csv_record`], read with one reader (building a reader per
/// record is slow). A record that does not parse is returned whole as one field.
fn decode_csv_records(raws: &[Vec<u8>]) -> Vec<Vec<Vec<u8>>> {
    let joined = raws.join(&b'\n');
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(joined.as_slice());
    let mut rec = csv::ByteRecord::new();
    let mut out = Vec::with_capacity(raws.len());
    for raw in raws {
        match r.read_byte_record(&mut rec) {
            Ok(true) => out.push(rec.iter().map(<[u8]>::to_vec).collect()),
            _ => out.push(vec![raw.clone()]),
        }
    }
    out
}
