//! Part of a dataset as a dataset of its own ([`Dataset::subset`]): what an analysis of one county of a national
//! store measures its history on.

use super::{Dataset, NONE_ID};
use crate::model::{Column, Interner};

impl Dataset {
    /// The incidents at `indices`, in that order, as a dataset of their own: the same CRS, categories (same ids) and
    /// sources; area codes and location texts only as far as these incidents use them, renumbered in order of first
    /// use (so a county of a national store does not carry the nation's million map points).
    ///
    /// Cost: one pass over `indices` per column, O(indices + distinct area codes and locations); the columns are
    /// gathered in parallel (in order: the same dataset at any thread count) while the names are renumbered.
    ///
    /// # Panics
    /// When an index is not below [`Dataset::len`].
    pub fn subset(&self, indices: &[u32]) -> Dataset {
        use rayon::prelude::*;
        fn gather<T: bytemuck::Pod + Send + Sync>(column: &[T], indices: &[u32]) -> Column<T> {
            indices.par_iter().map(|&i| column[i as usize]).collect::<Vec<T>>().into()
        }
        let names = || {
            rayon::join(
                || compact(&self.area, &self.areas, indices),
                || compact(&self.location, &self.locations, indices),
            )
        };
        let columns = || {
            (
                [
                    gather(&self.x_m, indices),
                    gather(&self.y_m, indices),
                    gather(&self.lon, indices),
                    gather(&self.lat, indices),
                ],
                gather(&self.time_s, indices),
                indices.par_iter().map(|&i| self.precision[i as usize]).collect(),
                gather(&self.category, indices),
                gather(&self.weight, indices),
                gather(&self.source, indices),
                gather(&self.line, indices),
            )
        };
        let (((area, areas), (location, locations)), columns) = rayon::join(names, columns);
        let ([x_m, y_m, lon, lat], time_s, precision, category, weight, source, line) = columns;
        Dataset {
            crs: self.crs.clone(),
            x_m,
            y_m,
            lon,
            lat,
            time_s,
            precision,
            category,
            weight,
            area,
            location,
            source,
            line,
            categories: self.categories.clone(),
            areas,
            locations,
            sources: self.sources.clone(),
        }
    }
}

/// The ids of `indices` renumbered into a table of only the names they use, in order of first use.
fn compact(ids: &[u32], names: &Interner, indices: &[u32]) -> (Column<u32>, Interner) {
    let mut renumbered = vec![NONE_ID; names.len()];
    let mut kept = Interner::new();
    let column: Vec<u32> = indices
        .iter()
        .map(|&i| {
            let id = ids[i as usize];
            match (renumbered.get_mut(id as usize), names.name(id)) {
                (Some(slot), Some(name)) => {
                    if *slot == NONE_ID {
                        *slot = kept.intern(name);
                    }
                    *slot
                }
                _ => NONE_ID,
            }
        })
        .collect();
    (column.into(), kept)
}

#[cfg(test)]
mod tests {
    use crate::geo::CrsDef;
    use crate::model::{Dataset, DatasetBuilder, IncidentRecord, SourceFile, TimePrecision};

    fn sample() -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 4).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "a.csv".into() }).unwrap();
        let rows = [
            (-1.90, 50.72, "Burglary", Some("E01"), Some("On or near A Street")),
            (-1.91, 50.73, "Robbery", None, Some("On or near B Road")),
            (-1.92, 50.74, "Burglary", Some("E02"), None),
            (-1.93, 50.75, "Robbery", Some("E01"), Some("On or near A Street")),
        ];
        for (k, (lon, lat, category, area, location)) in rows.into_iter().enumerate() {
            b.push(&IncidentRecord {
                lon,
                lat,
                time_s: 1_700_000_000 + k as i64 * 3600,
                precision: TimePrecision::Second,
                category,
                weight: 1.0 + k as f32,
                area,
                location,
                source: 0,
                line: k as u32 + 2,
            })
            .unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn a_subset_keeps_each_incident_whole_and_only_the_names_it_uses() {
        let ds = sample();
        let sub = ds.subset(&[3, 1]);
        assert_eq!(sub.len(), 2);
        assert_eq!(sub.crs(), ds.crs());
        for (k, i) in [3usize, 1].into_iter().enumerate() {
            assert_eq!(sub.get(k).unwrap(), ds.get(i).unwrap(), "incident {i} whole");
        }
        assert_eq!(sub.categories().names(), ds.categories().names(), "category ids unchanged");
        assert_eq!(sub.category_ids(), &[1, 1]);
        assert_eq!(sub.areas().names(), ["E01"]);
        assert_eq!(sub.area_ids(), &[0, crate::model::NONE_ID]);
        assert_eq!(sub.locations().names(), ["On or near A Street", "On or near B Road"]);
        assert!(ds.subset(&[]).is_empty());
        // Every incident in order: the same dataset, bit for bit (names were already in order of first use).
        assert!(ds.subset(&[0, 1, 2, 3]).identical_to(&ds));
    }
}
