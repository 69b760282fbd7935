//! What an import produces, row by row: accepted incidents ready for the store, refused rows with their reason and
//! original content, and the names first seen in a batch. Shared by `ingest` (which makes them) and `store` (which
//! keeps them), so neither imports the other's internals.

use super::TimePrecision;

/// The category given to incidents whose category is empty or not given at all.
pub const UNSPECIFIED_CATEGORY: &str = "Unspecified";

/// An accepted row, ready for the store. Categories, area codes and location texts are ids into the import's
/// `ingest::Names`, interned on the parsing thread so the store writer only maps small integers.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedIncident {
    /// 1-based line in the file where the row starts (the feature number for GeoJSON).
    pub line: u64,
    /// Longitude, WGS84 degrees (converted from the file's CRS if it had one).
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Start of the incident's time interval, seconds since the Unix epoch (UTC).
    pub time_s: i64,
    /// How precisely the time is known.
    pub precision: TimePrecision,
    /// Category id, into the import's names ([`UNSPECIFIED_CATEGORY`] when the row had none).
    pub category: u32,
    /// Weight in weighted counts (1 unless the import named a weight column); finite and non-negative.
    pub weight: f64,
    /// Area-code id, if the row gave one.
    pub area: Option<u32>,
    /// Location-text id, if the row gave one.
    pub location: Option<u32>,
    /// The source's own incident id (e.g. a crime id), if the row gave one.
    pub source_id: Option<String>,
}

/// Names first seen in a batch, in id order (ids continue from the previous batch).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewNames {
    /// Category names, continuing the ids of earlier batches.
    pub categories: Vec<String>,
    /// Area codes, continuing the ids of earlier batches.
    pub areas: Vec<String>,
    /// Location texts, continuing the ids of earlier batches.
    pub locations: Vec<String>,
}

/// The reason a row was not imported. Each has a stable snake_case key used in summaries and rejects files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The row has a different number of fields from the header.
    WrongFieldCount,
    /// A field the import needs is not valid text in the file's encoding.
    InvalidText,
    /// Longitude/latitude (or x/y) empty, or the feature has no geometry.
    MissingCoordinates,
    /// A coordinate is not a finite number.
    NonNumericCoordinates,
    /// A coordinate lies outside the valid range, or cannot be converted from the file's CRS.
    OutOfRangeCoordinates,
    /// Both coordinates are exactly zero, the usual placeholder for "not geocoded".
    ZeroCoordinates,
    /// The geometry is not a single point.
    NotAPoint,
    /// The time field is empty or absent.
    MissingTime,
    /// The time is not in a recognised format, or does not match the given time format.
    UnparseableTime,
    /// The day/month order cannot be told (e.g. `03/04/2024`); a time format must be given.
    AmbiguousTime,
    /// The time is outside the accepted years 1900 to 2099.
    TimeOutOfRange,
    /// A local time skipped by a daylight-saving change in the given time zone.
    NonexistentLocalTime,
    /// The weight column is not a finite, non-negative number.
    InvalidWeight,
}

impl RejectReason {
    /// Every reason, in the order summaries list them.
    pub const ALL: [RejectReason; 13] = [
        RejectReason::WrongFieldCount,
        RejectReason::InvalidText,
        RejectReason::MissingCoordinates,
        RejectReason::NonNumericCoordinates,
        RejectReason::OutOfRangeCoordinates,
        RejectReason::ZeroCoordinates,
        RejectReason::NotAPoint,
        RejectReason::MissingTime,
        RejectReason::UnparseableTime,
        RejectReason::AmbiguousTime,
        RejectReason::TimeOutOfRange,
        RejectReason::NonexistentLocalTime,
        RejectReason::InvalidWeight,
    ];

    /// The stable snake_case key (`missing_time`, ...) used in summaries, rejects files and the store.
    pub fn key(self) -> &'static str {
        match self {
            RejectReason::WrongFieldCount => "wrong_field_count",
            RejectReason::InvalidText => "invalid_text",
            RejectReason::MissingCoordinates => "missing_coordinates",
            RejectReason::NonNumericCoordinates => "non_numeric_coordinates",
            RejectReason::OutOfRangeCoordinates => "out_of_range_coordinates",
            RejectReason::ZeroCoordinates => "zero_coordinates",
            RejectReason::NotAPoint => "not_a_point",
            RejectReason::MissingTime => "missing_time",
            RejectReason::UnparseableTime => "unparseable_time",
            RejectReason::AmbiguousTime => "ambiguous_time",
            RejectReason::TimeOutOfRange => "time_out_of_range",
            RejectReason::NonexistentLocalTime => "nonexistent_local_time",
            RejectReason::InvalidWeight => "invalid_weight",
        }
    }

    /// The reason whose [`RejectReason::key`] is `key`; `None` for an unknown key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    /// The reason for a time that could not be read.
    pub fn from_time_error(e: &super::timeparse::TimeError) -> Self {
        Self::from_key(e.reason_key()).unwrap_or(RejectReason::UnparseableTime)
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// One refused row: where it was, why, and its original content.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// 1-based line in the file where the row starts (the feature number for GeoJSON).
    pub line: u64,
    /// Why the row was refused.
    pub reason: RejectReason,
    /// Human-readable detail naming the column and value.
    pub detail: String,
    /// The row as it was in the file: its CSV fields, or one field holding the GeoJSON feature.
    pub fields: Vec<Vec<u8>>,
}

/// Encode fields as one CSV record (RFC 4180 quoting where needed, no line terminator): how raw rows are kept in
/// the store. Written out here rather than with `csv::Writer` because building a writer per row dominated the
/// ingest profile; `csv` reads these records back.
///
/// A record that would be an empty line (no fields, or one empty field) is written `""`, so that records joined
/// with newlines read back one for one.
pub fn encode_csv_record<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut count = 0;
    for (i, f) in fields.into_iter().enumerate() {
        count += 1;
        if i > 0 {
            out.push(b',');
        }
        if f.is_empty() && i == 0 {
            // Decided below once the field count is known.
        } else if f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            out.push(b'"');
            for &b in f {
                if b == b'"' {
                    out.push(b'"');
                }
                out.push(b);
            }
            out.push(b'"');
        } else {
            out.extend_from_slice(f);
        }
    }
    if count <= 1 && out.is_empty() {
        out.extend_from_slice(b"\"\"");
    }
    out
}
