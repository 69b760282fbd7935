//! Why a row was refused, and the rejects CSV that keeps every refused row with its line and reason.

use std::path::Path;

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
    MissingTime,
    UnparseableTime,
    AmbiguousTime,
    TimeOutOfRange,
    NonexistentLocalTime,
    /// The weight column is not a finite, non-negative number.
    InvalidWeight,
}

impl RejectReason {
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

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub(crate) fn from_time_error(e: &super::timeparse::TimeError) -> Self {
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

/// Write the rejects of one import as CSV: `line,reason,detail,` then the original row's fields under the file's
/// own header (CSV sources) or one `feature_json` column (GeoJSON). Written to a temporary name and renamed into
/// place, so a reader never sees half of it.
pub fn write_rejects_csv(
    path: &Path,
    line_label: &str,
    header: &[Vec<u8>],
    rows: &[RejectedRow],
) -> std::io::Result<()> {
    let dir = crate::files::dir_of(path);
    std::fs::create_dir_all(dir)?;
    let mut tmp = crate::files::temp_in(dir, ".rejects-")?;
    {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(tmp.as_file_mut());
        let mut head: Vec<&[u8]> = vec![line_label.as_bytes(), b"reason", b"detail"];
        head.extend(header.iter().map(Vec::as_slice));
        w.write_record(&head)?;
        for r in rows {
            let line = r.line.to_string();
            let mut rec: Vec<&[u8]> = vec![line.as_bytes(), r.reason.key().as_bytes(), r.detail.as_bytes()];
            rec.extend(r.fields.iter().map(Vec::as_slice));
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_keys_round_trip() {
        for r in RejectReason::ALL {
            assert_eq!(RejectReason::from_key(r.key()), Some(r));
        }
        assert_eq!(RejectReason::from_key("nope"), None);
    }

    #[test]
    fn records_are_quoted_where_needed() {
        let f: [&[u8]; 4] = [b"a", b"b,c", b"say \"hi\"", b"two\nlines"];
        assert_eq!(encode_csv_record(f), b"a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"".to_vec());
    }

    #[test]
    fn rejects_file_keeps_rows_and_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/r.csv");
        let rows = vec![RejectedRow {
            line: 7,
            reason: RejectReason::MissingCoordinates,
            detail: "Longitude is empty".into(),
            fields: vec![b"x,y".to_vec(), b"".to_vec()],
        }];
        write_rejects_csv(&path, "line", &[b"A".to_vec(), b"B".to_vec()], &rows).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "line,reason,detail,A,B\n7,missing_coordinates,Longitude is empty,\"x,y\",\n");
    }
}
