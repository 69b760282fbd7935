//! Ingest: read incident files (police.uk street-level CSV, any CSV with named columns, GeoJSON points;
//! gzip-compressed or not), validate every row, and write each file to the store as one transaction.
//!
//! Nothing is lost: every row read is either accepted or rejected with its line number and reason, rejected rows
//! are kept in the store and written to a rejects CSV, and `read = accepted + rejected` always holds. A file whose
//! content was imported before adds nothing.
//!
//! Parsing runs on its own thread and hands batches of rows to the store writer, so reading, decompressing and
//! validating overlap with SQLite's work.

pub mod columns;
mod csv_records;
mod csv_source;
mod geojson_source;
pub mod progress;
mod reject;
mod row;
pub(crate) mod source;
pub use crate::model::timeparse;

pub use columns::{ColumnOptions, ColumnUse, MissingColumn, Role};
pub use progress::{ImportProgress, NoProgress, TerminalProgress};
pub use reject::{RejectReason, RejectedRow, encode_csv_record, write_rejects_csv};
pub use row::{NewNames, ParsedIncident, UNSPECIFIED_CATEGORY};

use crate::geo::{CrsDef, CrsError, Projector};
use crate::store::{ImportEnd, ImportOutcome, ImportStart, Store, StoreError};
use chrono_tz::Tz;
use row::Validator;
use serde::Serialize;
use source::ContentStart;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use timeparse::{TimeFormat, TimeParser};

/// Rows handed from the parsing thread to the store writer at a time.
const BATCH_ROWS: usize = 4096;

/// One row's fate.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowOutcome {
    Accepted(ParsedIncident),
    Rejected(RejectedRow),
}

/// Errors that stop a file's import (the store is left as it was before the file).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(
        "{file} was not imported: its incidents lie {gap_km:.0} km from those the store holds (store: {earlier}; file: \
         {import}). Keep each place in its own store, or allow mixing them (allow_far_away)"
    )]
    /// The file's incidents lie more than [`FAR_AWAY_KM`] from the store's and mixing was not allowed; nothing was
    /// added.
    FarAway {
        /// The file as the user named it.
        file: String,
        /// Distance between the store's incidents and the file's, km.
        gap_km: f64,
        /// The store's incidents' lon/lat box, as text.
        earlier: String,
        /// The file's incidents' lon/lat box, as text.
        import: String,
    },
    /// The file cannot be opened or read.
    #[error("cannot read {file}: {source}")]
    Open {
        /// The file as the user named it.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no content at all (not even a header).
    #[error("{file} is empty: there is no header row and nothing to import")]
    Empty {
        /// The file as the user named it.
        file: String,
    },
    /// The file starts with a UTF-16 or UTF-32 byte-order mark; only UTF-8 (or a given 8-bit encoding) is read.
    #[error("{file} is encoded as {encoding}; save it as UTF-8 (or CSV UTF-8 in Excel) and import it again")]
    WideEncoding {
        /// The file as the user named it.
        file: String,
        /// The encoding its byte-order mark names.
        encoding: &'static str,
    },
    /// The header (or GeoJSON properties) lacks a column the import needs.
    #[error("{file}: {source}")]
    Header {
        /// The file as the user named it.
        file: String,
        /// Which column is missing, and what was found.
        #[source]
        source: MissingColumn,
    },
    /// The file cannot be read as CSV or decompressed, at a line if known.
    #[error("{file}{}: {detail}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Read {
        /// The file as the user named it.
        file: String,
        /// 1-based line where reading failed, when known.
        line: Option<u64>,
        /// What went wrong.
        detail: String,
    },
    /// The file is not a GeoJSON FeatureCollection the import can read.
    #[error("{file}: {detail}")]
    GeoJson {
        /// The file as the user named it.
        file: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The coordinates' CRS (given, or declared by the GeoJSON) cannot be used.
    #[error("{file}: {source}")]
    Crs {
        /// The file as the user named it.
        file: String,
        /// Why the CRS was refused.
        #[source]
        source: CrsError,
    },
    /// The import options contradict each other or name an unknown CRS, time zone or encoding (the message says which).
    #[error("{0}")]
    Options(String),
    /// The store refused the import.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug: an invariant of the import did not hold (the message says which).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Options for an ingest run: column choices and where rejected rows are written.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Which columns (or GeoJSON properties) hold what, and the coordinates' CRS, time format and time zone.
    pub columns: ColumnOptions,
    /// Text encoding for fields that are not UTF-8 (`windows-1252`, `latin1`, ...). Default: UTF-8 only.
    pub encoding: Option<String>,
    /// Directory for rejects CSVs. Default: `rejects/` beside the store.
    pub rejects_dir: Option<PathBuf>,
    /// Import even when the file's incidents lie more than [`FAR_AWAY_KM`] from those the store holds (a national
    /// store built force by force is fine without it: neighbours touch).
    pub allow_far_away: bool,
}

/// An import whose incidents lie further than this from the store's, km, is refused unless allowed: Chicago rows in
/// a Dorset store turn every grid continental.
pub const FAR_AWAY_KM: f64 = 200.0;

/// The options checked and parsed once for a run.
#[derive(Debug, Clone)]
struct Prepared {
    coordinate_crs: Option<CrsDef>,
    time_format: TimeFormat,
    timezone: Option<Tz>,
    encoding: Option<&'static encoding_rs::Encoding>,
}

fn prepare(opts: &IngestOptions) -> Result<Prepared, IngestError> {
    let c = &opts.columns;
    let coordinate_crs =
        c.crs.as_deref().map(CrsDef::parse).transpose().map_err(|e| IngestError::Options(format!("--crs: {e}")))?;
    if (c.x_col.is_some() || c.y_col.is_some()) && (c.x_col.is_none() || c.y_col.is_none()) {
        return Err(IngestError::Options("--x-col and --y-col go together: give both".into()));
    }
    if (c.lon_col.is_some() || c.lat_col.is_some()) && c.x_col.is_some() {
        return Err(IngestError::Options("give either --lon-col/--lat-col or --x-col/--y-col, not both".into()));
    }
    if c.x_col.is_some() && coordinate_crs.is_none() {
        return Err(IngestError::Options(
            "--x-col/--y-col need --crs to say which CRS the coordinates are in (e.g. --crs EPSG:27700)".into(),
        ));
    }
    let time_format = TimeFormat::parse(c.time_format.as_deref().unwrap_or("auto")).map_err(IngestError::Options)?;
    let timezone = c
        .timezone
        .as_deref()
        .map(|t| {
            t.parse::<Tz>().map_err(|_| {
                IngestError::Options(format!("--timezone '{t}' is not an IANA time zone such as Europe/London"))
            })
        })
        .transpose()?;
    let encoding = opts
        .encoding
        .as_deref()
        .map(|e| {
            encoding_rs::Encoding::for_label(e.as_bytes())
                .ok_or_else(|| IngestError::Options(format!("--encoding '{e}' is not a known encoding label")))
        })
        .transpose()?;
    Ok(Prepared { coordinate_crs, time_format, timezone, encoding })
}

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileSummary {
    /// The file as the user named it.
    pub file: String,
    /// Data rows read (CSV records after the header, or GeoJSON features) by this run.
    pub read: u64,
    /// Rows imported as incidents.
    pub accepted: u64,
    /// Rows refused (see `rejected_by_reason` and the rejects file).
    pub rejected: u64,
    /// Refused rows per reason key ([`RejectReason::key`]).
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// The same content was imported before; this run added nothing and read nothing.
    pub already_imported: bool,
    /// The import this file is stored as (the earlier one when already imported).
    pub import_id: Option<i64>,
    /// The format recognised: `police-uk`, `csv` or `geojson`; `None` when nothing was read.
    pub format: Option<String>,
    /// Which column or property was read for each role, and how it was chosen.
    pub columns: Vec<ColumnUse>,
    /// Label of the coordinates' CRS; `None` when nothing was read.
    pub crs: Option<String>,
    /// Path of the CSV of refused rows, when there were any.
    pub rejects_file: Option<String>,
    /// Things the user should know about this file (in words).
    pub notes: Vec<String>,
    /// Wall-clock time the import took, seconds.
    pub seconds: f64,
}

impl FileSummary {
    fn already(file: String, import_id: i64, started: Instant) -> Self {
        FileSummary {
            file,
            read: 0,
            accepted: 0,
            rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            already_imported: true,
            import_id: Some(import_id),
            format: None,
            columns: Vec::new(),
            crs: None,
            rejects_file: None,
            notes: vec![format!("the same content was imported before (import {import_id}); nothing was added")],
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// The rows of one file, from whichever format it is in. One value exists per import, so the variants' sizes do
/// not matter.
#[allow(clippy::large_enum_variant)]
enum Rows {
    Csv(csv_source::CsvRows<BufReader<source::PrefetchReader>>),
    GeoJson(geojson_source::GeoJsonRows, source::PrefetchReader),
}

/// A batch handed from the parser to the writer: names first seen in it, then its rows.
type Batch = (NewNames, Vec<RowOutcome>);

impl Rows {
    fn take_new_names(&mut self) -> NewNames {
        match self {
            Rows::Csv(r) => r.take_new_names(),
            Rows::GeoJson(r, _) => r.take_new_names(),
        }
    }

    fn next_batch(&mut self, out: &mut Vec<RowOutcome>) -> Result<bool, IngestError> {
        match self {
            Rows::Csv(r) => r.next_batch(out, BATCH_ROWS),
            Rows::GeoJson(r, _) => Ok(r.next_batch(out, BATCH_ROWS)),
        }
    }

    /// The decompressed content's SHA-256, read to the end.
    fn finish(self, file: &str) -> Result<String, IngestError> {
        let reader = match self {
            Rows::Csv(r) => r.into_inner().into_inner(),
            Rows::GeoJson(_, r) => r,
        };
        reader.finish().map(|(sha, _)| sha).map_err(|e| IngestError::Read {
            file: file.to_owned(),
            line: None,
            detail: e.to_string(),
        })
    }
}

/// A file opened, its header resolved, ready to stream rows.
struct Opened {
    rows: Rows,
    format: &'static str,
    header: Vec<Vec<u8>>,
    line_label: &'static str,
    columns: Vec<ColumnUse>,
    crs: CrsDef,
    notes: Vec<String>,
}

fn open_file(
    info: &source::SourceFileInfo,
    display: &str,
    opts: &IngestOptions,
    prep: &Prepared,
    raw_bytes: Arc<AtomicU64>,
) -> Result<Opened, IngestError> {
    let open_err = |source| IngestError::Open { file: display.to_owned(), source };
    let mut content = source::open_content(info, raw_bytes).map_err(open_err)?;
    let start = source::peek_start(&mut content).map_err(|e| IngestError::Read {
        file: display.to_owned(),
        line: None,
        detail: e.to_string(),
    })?;
    let validator = |crs: &CrsDef| -> Result<Validator, IngestError> {
        let projector = Projector::new(crs).map_err(|source| IngestError::Crs { file: display.to_owned(), source })?;
        Ok(Validator::new(projector, TimeParser::new(prep.time_format.clone(), prep.timezone), prep.encoding))
    };
    match start {
        ContentStart::Empty => Err(IngestError::Empty { file: display.to_owned() }),
        ContentStart::WideBom(encoding) => Err(IngestError::WideEncoding { file: display.to_owned(), encoding }),
        ContentStart::Json => {
            let mut bytes = Vec::new();
            content.read_to_end(&mut bytes).map_err(|e| IngestError::Read {
                file: display.to_owned(),
                line: None,
                detail: e.to_string(),
            })?;
            // At the end of the content the buffer is empty, so nothing is lost by unwrapping it.
            let inner = content.into_inner();
            let doc = geojson_source::parse_document(&bytes, display)?;
            let mut notes = Vec::new();
            let crs = geojson_source::coordinate_crs(&opts.columns, &doc)
                .map_err(|source| IngestError::Crs { file: display.to_owned(), source })?
                .unwrap_or_else(CrsDef::wgs84);
            if let (Some(flag), Some(member)) = (&prep.coordinate_crs, &doc.crs)
                && flag != member
            {
                notes.push(format!("--crs {flag} overrides the file's crs member ({member})"));
            }
            let resolved = columns::resolve(&doc.property_names, &opts.columns, true)
                .map_err(|source| IngestError::Header { file: display.to_owned(), source })?;
            let v = validator(&crs)?;
            let header = vec![b"feature_json".to_vec()];
            let columns = resolved.used.clone();
            let rows = geojson_source::GeoJsonRows::new(doc, &resolved, v)?;
            Ok(Opened {
                rows: Rows::GeoJson(rows, inner),
                format: "geojson",
                header,
                line_label: "feature",
                columns,
                crs,
                notes,
            })
        }
        ContentStart::Text => {
            let mut reader = csv_records::RecordReader::new(content);
            let mut header = csv_records::RawRecord::default();
            let found = reader.read(&mut header).map_err(|e| IngestError::Read {
                file: display.to_owned(),
                line: Some(1),
                detail: e.to_string(),
            })?;
            if !found || header.iter().all(<[u8]>::is_empty) {
                return Err(IngestError::Empty { file: display.to_owned() });
            }
            let names: Vec<String> = header
                .iter()
                .map(|f| String::from_utf8_lossy(f.strip_prefix(b"\xef\xbb\xbf").unwrap_or(f)).into_owned())
                .collect();
            let resolved = columns::resolve(&names, &opts.columns, false)
                .map_err(|source| IngestError::Header { file: display.to_owned(), source })?;
            let crs = prep.coordinate_crs.clone().unwrap_or_else(CrsDef::wgs84);
            let v = validator(&crs)?;
            let columns = resolved.used.clone();
            let format = if resolved.police_uk { "police-uk" } else { "csv" };
            let header_fields = header.iter().map(<[u8]>::to_vec).collect();
            let rows = csv_source::CsvRows::new(reader, display.to_owned(), names, &resolved, v)?;
            Ok(Opened {
                rows: Rows::Csv(rows),
                format,
                header: header_fields,
                line_label: "line",
                columns,
                crs,
                notes: Vec::new(),
            })
        }
    }
}

/// Import one file into the store.
pub fn ingest_file(
    store: &mut Store,
    path: &Path,
    opts: &IngestOptions,
    progress: &dyn ImportProgress,
) -> Result<FileSummary, IngestError> {
    let started = Instant::now();
    let prep = prepare(opts)?;
    let display = path.display().to_string();
    let info = source::inspect(path).map_err(|source| IngestError::Open { file: display.clone(), source })?;
    if let Some(prev) = store.import_by_file_sha256(&info.file_sha256)? {
        return Ok(FileSummary::already(display, prev, started));
    }
    let raw_bytes = Arc::new(AtomicU64::new(0));
    let opened = open_file(&info, &display, opts, &prep, raw_bytes.clone())?;
    let options_json = serde_json::json!({
        "columns": opened.columns,
        "crs": opened.crs.label,
        "time_format": opts.columns.time_format.clone().unwrap_or_else(|| "auto".into()),
        "timezone": opts.columns.timezone.clone().unwrap_or_else(|| "UTC".into()),
        "encoding": opts.encoding.clone().unwrap_or_else(|| "utf-8".into()),
    });
    let header_json: Vec<String> = opened.header.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    let start = ImportStart {
        file: display.clone(),
        file_name: path.file_name().map_or(display.clone(), |n| n.to_string_lossy().into_owned()),
        size_bytes: info.size_bytes,
        file_sha256: info.file_sha256.clone(),
        format: opened.format.to_owned(),
        options_json: options_json.to_string(),
        header_json: serde_json::to_string(&header_json).unwrap_or_else(|_| "[]".into()),
    };
    let Opened { rows, format, header, line_label, columns, crs, mut notes } = opened;

    progress.begin(&display, info.size_bytes);
    let target = Target { display: &display, allow_far_away: opts.allow_far_away };
    let result = write_rows(store, &start, &info.path, rows, target, &raw_bytes, progress);
    progress.end();
    let (outcome, counts) = result?;

    let import_id = match outcome {
        ImportOutcome::DuplicateContent { previous_import_id } => {
            return Ok(FileSummary::already(display, previous_import_id, started));
        }
        ImportOutcome::Committed { import_id, snapshot_note } => {
            notes.extend(snapshot_note);
            import_id
        }
    };
    let rejected = counts.rejected();
    if counts.accepted + rejected == 0 {
        notes.push("the file has a header but no data rows".into());
    }
    if counts.rejected_by_reason.contains_key(RejectReason::InvalidText.key()) && opts.encoding.is_none() {
        notes.push("some rows are not UTF-8: if the file was saved by Excel, try --encoding windows-1252".into());
    }
    let mut rejects_file = None;
    if rejected > 0 {
        let dir = opts.rejects_dir.clone().unwrap_or_else(|| default_rejects_dir(store.path()));
        let stem = [".gz", ".csv", ".geojson", ".json"]
            .iter()
            .fold(start.file_name.as_str(), |s, ext| s.strip_suffix(ext).unwrap_or(s));
        let target = dir.join(format!("import-{import_id}-{stem}.rejects.csv"));
        match store
            .rejects(import_id)
            .map_err(|e| std::io::Error::other(e.to_string()))
            .and_then(|rows| write_rejects_csv(&target, line_label, &header, &rows))
        {
            Ok(()) => rejects_file = Some(target.display().to_string()),
            Err(e) => notes.push(format!(
                "could not write the rejects file {}: {e} (the rejected rows are kept in the store)",
                target.display()
            )),
        }
    }
    Ok(FileSummary {
        file: display,
        read: counts.accepted + rejected,
        accepted: counts.accepted,
        rejected,
        rejected_by_reason: counts.rejected_by_reason,
        already_imported: false,
        import_id: Some(import_id),
        format: Some(format.to_owned()),
        columns,
        crs: Some(crs.label),
        rejects_file,
        notes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `rejects/` beside the store file.
pub fn default_rejects_dir(store_path: &Path) -> PathBuf {
    store_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).join("rejects")
}

/// The file as shown, and whether it may lie far from the store's incidents.
#[derive(Clone, Copy)]
struct Target<'a> {
    display: &'a str,
    allow_far_away: bool,
}

/// Parse on a worker thread, write on this one; one transaction for the whole file.
fn write_rows(
    store: &mut Store,
    start: &ImportStart,
    path: &Path,
    mut rows: Rows,
    target: Target<'_>,
    raw_bytes: &AtomicU64,
    progress: &dyn ImportProgress,
) -> Result<(ImportOutcome, crate::store::ImportCounts), IngestError> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let parser = scope.spawn(move || -> Result<String, IngestError> {
            loop {
                let mut batch = Vec::with_capacity(BATCH_ROWS);
                let more = rows.next_batch(&mut batch)?;
                if !batch.is_empty() && tx.send((rows.take_new_names(), batch)).is_err() {
                    // The writer stopped (and will report why); stop reading.
                    return Err(IngestError::Internal("import cancelled".into()));
                }
                if !more {
                    break;
                }
            }
            rows.finish(target.display)
        });
        let written = write_batches(store, start, &rx, raw_bytes, progress);
        // Unblock the parser if the writer stopped early.
        drop(rx);
        let parsed = parser.join().map_err(|_| IngestError::Internal("the parsing thread panicked".into()))?;
        let mut writer = written?;
        let content_sha256 = parsed?;
        if !target.allow_far_away
            && let Some(far) = writer.distance_from_earlier()?
            && far.gap_km > FAR_AWAY_KM
        {
            let text = |b: [f64; 4]| format!("{:.2}, {:.2} to {:.2}, {:.2}", b[0], b[1], b[2], b[3]);
            // Dropping the writer rolls the import back: the store is as it was.
            return Err(IngestError::FarAway {
                file: target.display.to_owned(),
                gap_km: far.gap_km,
                earlier: text(far.earlier_lonlat),
                import: text(far.import_lonlat),
            });
        }
        writer.archive_file(path)?;
        let counts = writer.counts().clone();
        let outcome = writer.finish(&ImportEnd { content_sha256 })?;
        Ok((outcome, counts))
    })
}

fn write_batches<'s>(
    store: &'s mut Store,
    start: &ImportStart,
    rx: &std::sync::mpsc::Receiver<Batch>,
    raw_bytes: &AtomicU64,
    progress: &dyn ImportProgress,
) -> Result<crate::store::ImportWriter<'s>, IngestError> {
    let mut writer = store.begin_import(start)?;
    let mut n = 0u64;
    for (names, batch) in rx.iter() {
        writer.add_names(&names)?;
        n += batch.len() as u64;
        for row in batch {
            match row {
                RowOutcome::Accepted(inc) => writer.add_incident(inc)?,
                RowOutcome::Rejected(r) => writer.add_reject(&r)?,
            }
        }
        progress.advance(raw_bytes.load(Ordering::Relaxed), n);
    }
    Ok(writer)
}
