//! Every real Dorset month ingests with read = the file's data rows and rejected = exactly the rows with empty
//! coordinates, both computed from the file here rather than taken from constants.

use crate::common::{TempStore, assert_conserved, dorset_months};
use hotspots::ingest::IngestOptions;
use std::collections::BTreeMap;

/// Data rows, the 1-based lines of rows with an empty Longitude or Latitude, and located rows per category,
/// read line by line (police.uk rows have no line breaks inside fields; checked here).
fn facts(path: &std::path::Path) -> (u64, Vec<u64>, BTreeMap<String, u64>) {
    let text = std::fs::read_to_string(path).unwrap();
    let parse = |line: &str| -> Vec<String> {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(recs.len(), 1, "one record per line: {line}");
        recs[0].iter().map(str::to_owned).collect()
    };
    let mut lines = text.lines();
    let h = parse(lines.next().unwrap());
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (lon, lat, cat) = (col("Longitude"), col("Latitude"), col("Crime type"));
    let mut rows = 0;
    let mut empty = Vec::new();
    let mut cats = BTreeMap::new();
    for (i, line) in lines.enumerate() {
        let rec = parse(line);
        assert_eq!(rec.len(), h.len());
        rows += 1;
        if rec[lon].is_empty() || rec[lat].is_empty() {
            empty.push(i as u64 + 2);
        } else {
            *cats.entry(rec[cat].clone()).or_insert(0) += 1;
        }
    }
    (rows, empty, cats)
}

#[test]
fn every_dorset_month_is_read_whole_and_rejects_exactly_the_unlocated_rows() {
    let mut t = TempStore::new();
    let mut total_accepted = 0;
    for path in dorset_months() {
        let (rows, empty_lines, cats) = facts(&path);
        let s = t.ingest(&path, &IngestOptions::default()).unwrap();
        assert_conserved(&s);
        let name = path.display();
        assert_eq!(s.format.as_deref(), Some("police-uk"), "{name}");
        assert_eq!(s.read, rows, "{name}: read");
        assert_eq!(s.rejected, empty_lines.len() as u64, "{name}: rejected");
        assert!(!empty_lines.is_empty(), "{name}: every month has some unlocated rows");
        assert_eq!(s.rejected_by_reason.keys().collect::<Vec<_>>(), vec!["missing_coordinates"], "{name}");
        assert!(!s.already_imported);
        total_accepted += s.accepted;

        // The rejects file lists exactly those lines, with the original row under the file's own header.
        let rejects = s.rejects_file.as_ref().expect("a rejects file");
        let mut rr = csv::Reader::from_path(rejects).unwrap();
        let header: Vec<String> = rr.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(&header[..3], ["line", "reason", "detail"]);
        assert_eq!(header[3], "Crime ID");
        let lines: Vec<u64> = rr.records().map(|r| r.unwrap()[0].parse().unwrap()).collect();
        assert_eq!(lines, empty_lines, "{name}: reject lines");

        // The store holds the located rows with their categories and month.
        let import_id = s.import_id.unwrap();
        let in_store = t.scalar(&format!("SELECT count(*) FROM incidents WHERE import_id = {import_id}"));
        assert_eq!(in_store as u64, s.accepted);
        let month = &path.file_name().unwrap().to_string_lossy()[..7];
        let info = t.store.info().unwrap();
        assert_eq!(info.months.get(month).copied(), Some(s.accepted), "{name}: month count");
        let store_cats = t.count_categories(import_id);
        assert_eq!(store_cats, cats, "{name}: categories");
    }
    let info = t.store.info().unwrap();
    assert_eq!(info.incidents, total_accepted);
    let time = info.time.unwrap();
    assert_eq!(time.from, "2018-10-01T00:00:00Z");
    assert_eq!(time.to, "2024-04-01T00:00:00Z");
    assert_eq!(info.precision.keys().collect::<Vec<_>>(), vec!["month"]);
    assert_eq!(info.categories.len(), 14);
    assert_eq!(t.scalar("SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

impl TempStore {
    fn count_categories(&self, import_id: i64) -> BTreeMap<String, u64> {
        let c = rusqlite::Connection::open(self.path()).unwrap();
        let mut st = c
            .prepare(
                "SELECT c.name, count(*) FROM incidents i JOIN categories c ON c.id = i.category_id \
                 WHERE i.import_id = ?1 GROUP BY c.name",
            )
            .unwrap();
        st.query_map([import_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

#[test]
fn police_uk_fields_land_in_the_dataset() {
    let mut t = TempStore::new();
    let path = &dorset_months()[5]; // 2024-01
    t.ingest(path, &IngestOptions::default()).unwrap();
    let ds = t.store.load_dataset(None).unwrap();
    assert_eq!(ds.crs().label, "UTM 30N (EPSG:32630)");
    // The first data row of 2024-01, read independently.
    let mut r = csv::Reader::from_path(path).unwrap();
    let first = r.records().next().unwrap().unwrap();
    let inc = ds.get(0).unwrap();
    assert_eq!(inc.lon, first[4].parse::<f64>().unwrap());
    assert_eq!(inc.lat, first[5].parse::<f64>().unwrap());
    assert_eq!(inc.location, Some(&first[6]));
    assert_eq!(inc.area, Some(&first[7]));
    assert_eq!(inc.category, &first[9]);
    assert_eq!(inc.line, 2);
    assert_eq!(hotspots::model::time::format_instant(inc.time_s), "2024-01-01T00:00:00Z");
    assert_eq!(inc.precision, hotspots::model::TimePrecision::Month);
    // Under the 64-byte budget per incident.
    assert!(ds.column_bytes() <= 64 * ds.len(), "{} bytes for {}", ds.column_bytes(), ds.len());
    // Many incidents share one map point.
    let mut points: Vec<(u64, u64)> = ds.lon().iter().zip(ds.lat()).map(|(a, b)| (a.to_bits(), b.to_bits())).collect();
    points.sort_unstable();
    points.dedup();
    assert!(points.len() * 3 / 2 < ds.len(), "{} points for {} incidents", points.len(), ds.len());
}

#[test]
fn an_archived_row_is_recoverable_by_line() {
    let mut t = TempStore::new();
    let path = &dorset_months()[0];
    let s = t.ingest(path, &IngestOptions::default()).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let line_10 = text.lines().nth(9).unwrap();
    let raw = t.store.raw_row(s.import_id.unwrap(), 10).unwrap();
    assert_eq!(String::from_utf8(raw).unwrap(), line_10);
    assert!(t.store.raw_row(s.import_id.unwrap(), 1_000_000).is_err());
}
