//! The archived copy of each imported file, and original rows recovered from it by line.

use super::{Store, StoreError};
use crate::model::record::encode_csv_record;
use std::io::Read;

impl Store {
    /// The imported file's bytes exactly as they were (compressed, if it was).
    pub fn archived_file(&self, import_id: i64) -> Result<Vec<u8>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT bytes FROM import_files WHERE import_id = ?1 ORDER BY chunk")
            .map_err(self.sql_err("reading an archived file"))?;
        let chunks = stmt
            .query_map([import_id], |r| r.get::<_, Vec<u8>>(0))
            .map_err(self.sql_err("reading an archived file"))?;
        let mut bytes = Vec::new();
        let mut any = false;
        for c in chunks {
            bytes.extend(c.map_err(self.sql_err("reading an archived file"))?);
            any = true;
        }
        if !any {
            return Err(StoreError::NoSuchImport { import_id });
        }
        Ok(bytes)
    }

    /// The original row that started at `line` of an import's file (the feature with that 1-based number for
    /// GeoJSON), re-encoded as one CSV record (identical to the file's line unless it had quoting) or as JSON.
    pub fn raw_row(&self, import_id: i64, line: u64) -> Result<Vec<u8>, StoreError> {
        let format: String = self
            .conn
            .query_row("SELECT format FROM imports WHERE id = ?1", [import_id], |r| r.get(0))
            .map_err(|_| StoreError::NoSuchImport { import_id })?;
        let stored = self.archived_file(import_id)?;
        let content = if stored.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(stored.as_slice()).read_to_end(&mut out).map_err(|e| {
                StoreError::Corrupt {
                    path: self.path.clone(),
                    what: format!("archived file of import {import_id}: {e}"),
                }
            })?;
            out
        } else {
            stored
        };
        let missing = || StoreError::NoSuchRow { import_id, line };
        if format == "geojson" {
            let doc: serde_json::Value =
                serde_json::from_slice(content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&content)).map_err(|e| {
                    StoreError::Corrupt {
                        path: self.path.clone(),
                        what: format!("archived GeoJSON of import {import_id}: {e}"),
                    }
                })?;
            let feature = match doc.get("type").and_then(serde_json::Value::as_str) {
                Some("Feature") if line == 1 => Some(&doc),
                _ => doc.get("features").and_then(|f| f.get(usize::try_from(line).ok()?.checked_sub(1)?)),
            };
            return feature.map(|f| serde_json::to_vec(f).unwrap_or_default()).ok_or_else(missing);
        }
        let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(content.as_slice());
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            what: format!("archived CSV of import {import_id}: {e}"),
        })? {
            let at = rec.position().map_or(0, |p| p.line());
            if at == line {
                return Ok(encode_csv_record(rec.iter()));
            }
            if at > line {
                break;
            }
        }
        Err(missing())
    }
}
