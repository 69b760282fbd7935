//! The rejects CSV that keeps every refused row with its line and reason.

pub use crate::model::record::{RejectReason, RejectedRow, encode_csv_record};
use std::path::Path;

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
