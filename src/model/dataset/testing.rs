//! Datasets for unit tests: rows of (lon, lat, time, precision, category), each of weight 1 and with no area or
//! location, from one source file, on the UTM zone of Dorset (30N).

use super::{Dataset, DatasetBuilder, IncidentRecord, SourceFile};
use crate::geo::CrsDef;
use crate::model::TimePrecision;

/// One test incident: lon, lat (degrees), time (seconds), precision, category.
pub(crate) type TestRow<'a> = (f64, f64, i64, TimePrecision, &'a str);

/// The dataset of `rows`, in order (line `k + 2` of the source file for row `k`).
pub(crate) fn dataset_of(rows: &[TestRow<'_>]) -> Dataset {
    let mut b = DatasetBuilder::new(&CrsDef::utm_for(-1.9, 50.7), rows.len()).unwrap();
    b.add_source(SourceFile { import_id: 1, file: "t".into() }).unwrap();
    for (k, &(lon, lat, time_s, precision, category)) in rows.iter().enumerate() {
        let line = k as u32 + 2;
        let rec = IncidentRecord {
            lon,
            lat,
            time_s,
            precision,
            category,
            weight: 1.0,
            area: None,
            location: None,
            source: 0,
            line,
        };
        b.push(&rec).unwrap();
    }
    b.finish().unwrap()
}
