//! What the store holds: totals, time range, categories, months, extent and the list of imports.

use super::{Store, StoreError};
use crate::model::time::format_instant;
use serde::Serialize;
use std::collections::BTreeMap;

/// One recorded import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRecord {
    /// The import's id.
    pub id: i64,
    /// The file's path as the user named it.
    pub file: String,
    /// The file's last path component.
    pub file_name: String,
    /// Size of the file on disk, bytes (compressed size for gzip).
    pub size_bytes: u64,
    /// SHA-256 of the file's bytes as stored on disk, hex.
    pub file_sha256: String,
    /// SHA-256 of the content after decompression, hex.
    pub content_sha256: String,
    /// The format recognised: `police-uk`, `csv` or `geojson`.
    pub format: String,
    /// Data rows read (CSV records after the header, or GeoJSON features).
    pub read: u64,
    /// Rows imported as incidents.
    pub accepted: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Refused rows per reason key.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// When the import was committed, RFC 3339 UTC.
    pub imported_at: String,
    /// Column choices, CRS, time format and zone used.
    pub options: serde_json::Value,
}

/// Incidents of one category (an entry of [`StoreInfo::categories_by_count`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// The category name.
    pub name: String,
    /// Incidents in the category.
    pub count: u64,
}

/// Incidents whose interval starts in one calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `YYYY-MM`
    pub month: String,
    /// Incidents in the month.
    pub count: u64,
}

/// The time span of the data: earliest incident start to latest incident end (exclusive), RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeSpan {
    /// Earliest incident start, RFC 3339 UTC.
    pub from: String,
    /// Latest incident end (exclusive), RFC 3339 UTC.
    pub to: String,
    /// `from` as seconds since the Unix epoch.
    pub from_s: i64,
    /// `to` as seconds since the Unix epoch.
    pub to_s: i64,
}

/// Extent of the incidents in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLatBox {
    /// West edge, degrees.
    pub min_lon: f64,
    /// South edge, degrees.
    pub min_lat: f64,
    /// East edge, degrees.
    pub max_lon: f64,
    /// North edge, degrees.
    pub max_lat: f64,
}

impl LonLatBox {
    /// The box's centre `(lon, lat)`, degrees (the midpoint of each range).
    pub fn centre(&self) -> (f64, f64) {
        ((self.min_lon + self.max_lon) / 2.0, (self.min_lat + self.max_lat) / 2.0)
    }
}

/// Everything `hotspots info` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreInfo {
    /// The store file's path.
    pub store: String,
    /// The store's schema version.
    pub schema_version: i64,
    /// Incidents held.
    pub incidents: u64,
    /// Earliest start and latest end of the incidents; `None` when the store is empty.
    pub time: Option<TimeSpan>,
    /// Extent of the incidents; `None` when the store is empty.
    pub bbox: Option<LonLatBox>,
    /// Category name -> incidents.
    pub categories: BTreeMap<String, u64>,
    /// `YYYY-MM` -> incidents (an incident counts in the month its interval starts).
    pub months: BTreeMap<String, u64>,
    /// Time precision name -> incidents.
    pub precision: BTreeMap<String, u64>,
    /// Every import, in id order.
    pub imports: Vec<ImportRecord>,
}

impl StoreInfo {
    /// Categories by descending count, then name.
    pub fn categories_by_count(&self) -> Vec<CategoryCount> {
        let mut v: Vec<_> =
            self.categories.iter().map(|(name, &count)| CategoryCount { name: name.clone(), count }).collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        v
    }
}

impl Store {
    /// Every import, oldest first.
    pub fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, file, file_name, size_bytes, file_sha256, content_sha256, format, read, accepted, \
                 rejected, rejected_by_reason_json, imported_at, options_json FROM imports ORDER BY id",
            )
            .map_err(self.sql_err("listing imports"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    ImportRecord {
                        id: r.get(0)?,
                        file: r.get(1)?,
                        file_name: r.get(2)?,
                        size_bytes: r.get::<_, i64>(3)? as u64,
                        file_sha256: r.get(4)?,
                        content_sha256: r.get(5)?,
                        format: r.get(6)?,
                        read: r.get::<_, i64>(7)? as u64,
                        accepted: r.get::<_, i64>(8)? as u64,
                        rejected: r.get::<_, i64>(9)? as u64,
                        rejected_by_reason: BTreeMap::new(),
                        imported_at: r.get(11)?,
                        options: serde_json::Value::Null,
                    },
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(12)?,
                ))
            })
            .map_err(self.sql_err("listing imports"))?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, reasons, options) = row.map_err(self.sql_err("reading an import"))?;
            rec.rejected_by_reason = serde_json::from_str(&reasons).map_err(|e| StoreError::Corrupt {
                path: self.path.clone(),
                what: format!("import {} rejected_by_reason_json: {e}", rec.id),
            })?;
            rec.options = serde_json::from_str(&options).unwrap_or(serde_json::Value::String(options));
            out.push(rec);
        }
        Ok(out)
    }

    /// Extent of all incidents, from the per-import extents.
    pub fn bbox(&self) -> Result<Option<LonLatBox>, StoreError> {
        self.conn
            .query_row(
                "SELECT min(min_lon), min(min_lat), max(max_lon), max(max_lat) FROM imports WHERE accepted > 0",
                [],
                |r| {
                    Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
                        (Some(min_lon), Some(min_lat), Some(max_lon), Some(max_lat)) => {
                            Some(LonLatBox { min_lon, min_lat, max_lon, max_lat })
                        }
                        _ => None,
                    })
                },
            )
            .map_err(self.sql_err("reading the extent"))
    }

    fn counts_by(&self, sql: &str, what: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql_err(what))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))
            .map_err(self.sql_err(what))?;
        rows.collect::<Result<_, _>>().map_err(self.sql_err(what))
    }

    /// Totals, time range, categories, months, extent and imports.
    pub fn info(&self) -> Result<StoreInfo, StoreError> {
        let incidents = self.incident_count()?;
        let span: (Option<i64>, Option<i64>) = self
            .conn
            .query_row("SELECT min(time_from_s), max(time_to_s) FROM imports WHERE accepted > 0", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(self.sql_err("reading the time range"))?;
        let time = match span {
            (Some(from_s), Some(to_s)) => {
                Some(TimeSpan { from: format_instant(from_s), to: format_instant(to_s), from_s, to_s })
            }
            _ => None,
        };
        let categories = self.counts_by(
            "SELECT c.name, sum(n.incidents) FROM import_counts n JOIN categories c ON c.id = n.category_id \
             GROUP BY c.name",
            "counting categories",
        )?;
        let months =
            self.counts_by("SELECT month, sum(incidents) FROM import_counts GROUP BY month", "counting months")?;
        let precision = self
            .counts_by(
                "SELECT CAST(precision AS TEXT), sum(incidents) FROM import_counts GROUP BY precision",
                "counting precisions",
            )?
            .into_iter()
            .map(|(code, n)| {
                let name = code
                    .parse::<u8>()
                    .ok()
                    .and_then(crate::model::TimePrecision::from_code)
                    .map_or(format!("unknown ({code})"), |p| p.name().to_owned());
                (name, n)
            })
            .collect();
        Ok(StoreInfo {
            store: self.path.display().to_string(),
            schema_version: self.schema_version()?,
            incidents,
            time,
            bbox: self.bbox()?,
            categories,
            months,
            precision,
            imports: self.imports()?,
        })
    }
}
