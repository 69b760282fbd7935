//! An import's rows appended to the snapshot as they are written to SQLite, published right after the import
//! commits: adding a month costs in proportion to the month.
//!
//! The appender never fails an import. Whatever stops it (no snapshot yet on a store that has data, a snapshot that
//! does not match the store, an I/O error) is kept as a reason, and once the import has committed the snapshot is
//! rebuilt whole from the store's rows instead (cost in proportion to the store, said in a note).

use super::format::{Col, Layout, NAME_AREA, NAME_CATEGORY, NAME_LOCATION, NAME_SOURCE, source_payload};
use super::write::{Stamp, Writer};
use super::{Expected, auto_crs_for, compare, expected, lock_file, read, snapshot_path};
use crate::geo::CrsDef;
use crate::model::NONE_ID;
use crate::model::record::ParsedIncident;
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// The appender of one import.
pub(crate) struct Append {
    store: PathBuf,
    /// Held from the start of the import until it is published (or abandoned).
    lock: Option<std::fs::File>,
    writer: Option<Writer>,
    /// Why the snapshot is not being appended to (then it is rebuilt after the commit).
    stopped: Option<String>,
    /// The x/y CRS of the rows already in the snapshot (`None` for a new, empty one).
    crs: Option<CrsDef>,
    before: Option<Expected>,
    /// This import's index among the dataset's sources.
    source: u16,
    /// Header ready to publish after the commit.
    ready: Option<super::format::Header>,
}

/// Whether the store's names have ids `1..=count` (so dataset id = store id - 1, as loading in id order gives).
fn dense(conn: &Connection, table: &str, count: u64) -> rusqlite::Result<bool> {
    let (max, n): (i64, i64) =
        conn.query_row(&format!("SELECT coalesce(max(id), 0), count(*) FROM {table}"), [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(max == n && n as u64 == count)
}

impl Append {
    /// Start, inside the import's write transaction (before its `imports` row is added). `size_bytes` sizes a new
    /// file.
    pub(crate) fn begin(store: &Path, conn: &Connection, size_bytes: u64) -> Append {
        let mut a = Append {
            store: store.to_owned(),
            lock: None,
            writer: None,
            stopped: None,
            crs: None,
            before: None,
            source: 0,
            ready: None,
        };
        if let Err(why) = a.start(conn, size_bytes) {
            a.stop(why);
        }
        a
    }

    fn start(&mut self, conn: &Connection, size_bytes: u64) -> Result<(), String> {
        if cfg!(target_endian = "big") {
            return Err("this host is big-endian".into());
        }
        let lock = lock_file(&self.store).map_err(|e| format!("cannot open the snapshot lock: {e}"))?;
        lock.lock().map_err(|e| format!("cannot lock the snapshot: {e}"))?;
        self.lock = Some(lock);
        let (expect, _) = expected(conn).map_err(|e| format!("cannot read the store's version: {e}"))?;
        let live = snapshot_path(&self.store);
        let mapped = read::open_header(&live).map_err(|e| format!("damaged: {e}"))?;
        let writer = match mapped {
            Some(m) => {
                if let Some(miss) = compare(&m.header, &expect) {
                    return Err(match miss {
                        super::Miss::Stale(w) => w,
                        super::Miss::Newer => "it is newer than the store".into(),
                    });
                }
                let c = m.header.counts;
                for (table, count) in
                    [("categories", c.categories), ("area_codes", c.areas), ("locations", c.locations)]
                {
                    if !dense(conn, table, count).map_err(|e| format!("cannot count {table}: {e}"))? {
                        return Err(format!("the store's {table} do not match the snapshot's"));
                    }
                }
                self.crs = Some(m.header.crs.clone());
                Writer::in_place(&live, &m.header, m.slot).map_err(|e| format!("cannot open it: {e}"))?
            }
            None if expect.imports == 0 => {
                for table in ["categories", "area_codes", "locations"] {
                    if !dense(conn, table, 0).map_err(|e| format!("cannot count {table}: {e}"))? {
                        return Err(format!("the store has {table} but no imports"));
                    }
                }
                let rows = (size_bytes / 64).max(1);
                Writer::new_file(&live, Layout { cap_rows: rows.max(1 << 16), ..Layout::for_sizes(0, 0) })
                    .map_err(|e| format!("cannot create it: {e}"))?
            }
            None => return Err("there is none yet".into()),
        };
        self.source = u16::try_from(writer.counts.sources).map_err(|_| "it holds 65,535 imports already")?;
        self.before = Some(expect);
        self.writer = Some(writer);
        Ok(())
    }

    fn stop(&mut self, why: String) {
        if self.stopped.is_none() {
            self.stopped = Some(why);
        }
        self.writer = None;
    }

    /// Run `f` on the writer; an error stops appending.
    fn with(&mut self, f: impl FnOnce(&mut Writer) -> std::io::Result<()>) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = f(w)
        {
            self.stop(format!("writing it failed: {e}"));
        }
    }

    /// A name the import added to the store with id `store_id` (kinds: category, area, location).
    pub(crate) fn add_name(&mut self, kind: NameKind, store_id: i64, name: &str) {
        let Some(w) = self.writer.as_ref() else { return };
        let (code, count) = match kind {
            NameKind::Category => (NAME_CATEGORY, w.counts.categories),
            NameKind::Area => (NAME_AREA, w.counts.areas),
            NameKind::Location => (NAME_LOCATION, w.counts.locations),
        };
        if store_id != count as i64 + 1 {
            self.stop(format!("the store gave a new name id {store_id}, not {}", count + 1));
            return;
        }
        self.with(|w| w.push_name(code, name.as_bytes()));
    }

    /// One accepted incident, with its names' store ids.
    pub(crate) fn push(&mut self, inc: &ParsedIncident, category: i64, area: Option<i64>, location: Option<i64>) {
        let source = self.source;
        let id = |v: Option<i64>| v.map_or(NONE_ID, |v| u32::try_from(v - 1).unwrap_or(NONE_ID));
        let category = u16::try_from(category - 1).unwrap_or(u16::MAX);
        let line = u32::try_from(inc.line).unwrap_or(u32::MAX);
        self.with(|w| {
            w.push(Col::Lon, &inc.lon.to_le_bytes())?;
            w.push(Col::Lat, &inc.lat.to_le_bytes())?;
            w.push(Col::Time, &inc.time_s.to_le_bytes())?;
            w.push(Col::Weight, &(inc.weight as f32).to_le_bytes())?;
            w.push(Col::Area, &id(area).to_le_bytes())?;
            w.push(Col::Location, &id(location).to_le_bytes())?;
            w.push(Col::Line, &line.to_le_bytes())?;
            w.push(Col::Category, &category.to_le_bytes())?;
            w.push(Col::Source, &source.to_le_bytes())?;
            w.push(Col::Precision, &[inc.precision.code()])
        });
    }

    /// Before the commit: the source record, x/y in the store's default CRS as it will be after this import, and
    /// the header to publish. `conn` is in the import's transaction, its `imports` row complete.
    pub(crate) fn prepare(&mut self, conn: &Connection, import_id: i64, file: &str) {
        let Some(before) = self.before.clone() else { return };
        let bbox = match expected(conn) {
            Ok((_, bbox)) => bbox,
            Err(e) => return self.stop(format!("cannot read the store's extent: {e}")),
        };
        let crs = auto_crs_for(bbox);
        let reproject_all = self.crs.as_ref().is_some_and(|c| *c != crs);
        self.with(|w| w.push_name(NAME_SOURCE, &source_payload(import_id, file)));
        self.with(|w| w.project(&crs, reproject_all));
        let stamp = Stamp {
            store_uid: before.store_uid.clone(),
            incidents_version: before.incidents_version + 1,
            last_import_id: import_id,
        };
        if let Some(w) = self.writer.as_mut() {
            match w.header(&stamp, &crs) {
                Ok(h) => self.ready = Some(h),
                Err(e) => self.stop(format!("writing it failed: {e}")),
            }
        }
    }

    /// After the commit: publish, or rebuild the snapshot from the store's rows. Returns a note when the snapshot
    /// was rebuilt or could not be brought up to date.
    pub(crate) fn publish(mut self, store: &super::super::Store) -> Option<String> {
        if let (Some(w), Some(h)) = (self.writer.take(), self.ready.take()) {
            match w.publish(&h) {
                Ok(()) => return None,
                Err(e) => self.stopped = Some(format!("publishing it failed: {e}")),
            }
        }
        let why = self.stopped.take().unwrap_or_else(|| "it was not prepared".into());
        let live = snapshot_path(&self.store);
        let t = std::time::Instant::now();
        // Still under the lock taken at the start.
        let rebuilt = store.load_rows_stamped(None).map_err(|e| e.to_string()).and_then(|(ds, expect)| {
            super::write::write_dataset(&live, &ds, &expect.stamp()).map_err(|e| e.to_string())
        });
        Some(match rebuilt {
            Ok(_) => format!(
                "the snapshot {} was not appended to ({why}): rebuilt from the store's rows in {:.1} s",
                live.display(),
                t.elapsed().as_secs_f64()
            ),
            Err(e) => format!(
                "the snapshot {} was not appended to ({why}) and could not be rebuilt ({e}); the next command \
                 will rebuild it",
                live.display()
            ),
        })
    }

    /// Release the lock (dropping does too).
    pub(crate) fn abandon(self) {
        drop(self.lock);
    }
}

/// Which names table a new name went into.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NameKind {
    Category,
    Area,
    Location,
}
