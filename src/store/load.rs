//! Loading the store's rows into an in-memory [`Dataset`] (the slow path the snapshot avoids, and how the snapshot
//! is rebuilt).

use super::snapshot::{Expected, auto_crs_for, expected};
use super::{Store, StoreError};
use crate::geo::CrsDef;
use crate::model::{Dataset, DatasetBuilder, IncidentRecord, NONE_ID, SourceFile, TimePrecision};
use std::collections::HashMap;

impl Store {
    /// The metric CRS used when none is asked for: the UTM zone of the centre of the data's extent (UTM 30N
    /// when the store is empty).
    pub fn auto_crs(&self) -> Result<CrsDef, StoreError> {
        Ok(auto_crs_for(self.bbox()?))
    }

    /// Load every incident from the store's rows (not the snapshot), projected into `crs` (default:
    /// [`Store::auto_crs`]), in one read transaction.
    pub fn load_dataset_from_rows(&self, crs: Option<&CrsDef>) -> Result<Dataset, StoreError> {
        Ok(self.load_rows_stamped(crs)?.0)
    }

    /// [`Store::load_dataset_from_rows`] and what the store held when it was read.
    pub(super) fn load_rows_stamped(&self, crs: Option<&CrsDef>) -> Result<(Dataset, Expected), StoreError> {
        let mut out = None;
        self.read_txn(|c| {
            let (expect, bbox) = expected(c)?;
            let crs = crs.cloned().unwrap_or_else(|| auto_crs_for(bbox));
            out = Some(self.rows_to_dataset(&crs, expect.rows as usize).map(|ds| (ds, expect)));
            Ok(())
        })
        .map_err(self.sql_err("reading the store"))?;
        out.unwrap_or_else(|| Err(self.sql_err("reading the store")(rusqlite::Error::InvalidQuery)))
    }

    fn rows_to_dataset(&self, crs: &CrsDef, n: usize) -> Result<Dataset, StoreError> {
        let mut b = DatasetBuilder::new(crs, n)?;

        // Store ids -> dataset ids, interning in store order so the dataset's ids are stable between loads.
        let mut sources = HashMap::new();
        for imp in self.imports()? {
            let idx = b.add_source(SourceFile { import_id: imp.id, file: imp.file })?;
            sources.insert(imp.id, idx);
        }
        let categories =
            self.id_map("SELECT id, name FROM categories ORDER BY id", |b, s| u32::from(b.intern_category(s)), &mut b)?;
        let areas = self.id_map("SELECT id, code FROM area_codes ORDER BY id", DatasetBuilder::intern_area, &mut b)?;
        let locations =
            self.id_map("SELECT id, text FROM locations ORDER BY id", DatasetBuilder::intern_location, &mut b)?;

        let corrupt = |what: String| StoreError::Corrupt { path: self.path.clone(), what };
        let lookup = |map: &[u32], id: Option<i64>, what: &str| -> Result<u32, StoreError> {
            match id {
                None => Ok(NONE_ID),
                Some(id) => map
                    .get(id as usize)
                    .copied()
                    .filter(|&v| v != NONE_ID)
                    .ok_or_else(|| corrupt(format!("incident refers to unknown {what} id {id}"))),
            }
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT import_id, line, lon, lat, time_s, precision, category_id, weight, area_id, location_id \
                 FROM incidents ORDER BY id",
            )
            .map_err(self.sql_err("loading incidents"))?;
        let mut rows = stmt.query([]).map_err(self.sql_err("loading incidents"))?;
        // Errors are built lazily (`|e| ...`): building one per row would allocate on the hot path.
        while let Some(r) = rows.next().map_err(|e| self.sql_err("loading incidents")(e))? {
            let import_id: i64 = r.get(0).map_err(|e| self.sql_err("reading an incident")(e))?;
            let fields = (|| -> rusqlite::Result<_> {
                Ok((
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, f64>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            })();
            let (line, lon, lat, time_s, precision, category_id, weight, area_id, location_id) =
                fields.map_err(|e| self.sql_err("reading an incident")(e))?;
            let source = *sources
                .get(&import_id)
                .ok_or_else(|| corrupt(format!("incident refers to unknown import {import_id}")))?;
            let precision = u8::try_from(precision)
                .ok()
                .and_then(TimePrecision::from_code)
                .ok_or_else(|| corrupt(format!("unknown time precision code {precision}")))?;
            let category = lookup(&categories, Some(category_id), "category")?;
            let rec = IncidentRecord {
                lon,
                lat,
                time_s,
                precision,
                category: "",
                weight: weight as f32,
                area: None,
                location: None,
                source,
                line: u32::try_from(line).unwrap_or(u32::MAX),
            };
            b.push_ids(
                &rec,
                u16::try_from(category).unwrap_or(u16::MAX),
                lookup(&areas, area_id, "area")?,
                lookup(&locations, location_id, "location")?,
            )?;
        }
        Ok(b.finish()?)
    }

    /// Read an (id, text) table and intern each text, returning store id -> dataset id.
    fn id_map(
        &self,
        sql: &str,
        intern: impl Fn(&mut DatasetBuilder, &str) -> u32,
        b: &mut DatasetBuilder,
    ) -> Result<Vec<u32>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(self.sql_err("loading names"))?;
        let mut rows = stmt.query([]).map_err(self.sql_err("loading names"))?;
        let mut map = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql_err("loading names")(e))? {
            let id: i64 = r.get(0).map_err(|e| self.sql_err("loading names")(e))?;
            let text: String = r.get(1).map_err(|e| self.sql_err("loading names")(e))?;
            let idx = usize::try_from(id).unwrap_or(0);
            if map.len() <= idx {
                map.resize(idx + 1, NONE_ID);
            }
            map[idx] = intern(b, &text);
        }
        Ok(map)
    }
}
