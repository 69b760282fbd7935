//! Choosing incidents: a time window `[from, to)` and categories, giving a [`Selection`] of dataset indices.
//!
//! An incident is in the window when the **start** of its time interval lies in `[from, to)`. A window that cuts
//! a coarser interval in two (for example a window starting on 15 January over police.uk's month-precision data)
//! does not guess: the incident counts where its interval starts, and the selection carries a warning naming the
//! months (or days) that were cut.

use super::dataset::Dataset;
use super::time::{TimePrecision, format_instant, interval_end_s, month_label};
use serde::Serialize;
use std::collections::BTreeSet;

/// Errors in a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The window's start is not before its end (both given as text).
    #[error("the window is empty: from {from} is not before to {to}")]
    EmptyWindow {
        /// The window's start as text.
        from: String,
        /// The window's (exclusive) end as text.
        to: String,
    },
    /// A category name that is not in the data.
    #[error("unknown category '{name}'; the categories in the data are: {}", valid.join(", "))]
    UnknownCategory {
        /// The name asked for.
        name: String,
        /// Every category name in the data.
        valid: Vec<String>,
    },
}

/// What to select.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Query {
    /// Inclusive start, seconds since the epoch (UTC); `None` = from the beginning.
    pub from_s: Option<i64>,
    /// Exclusive end; `None` = to the end.
    pub to_s: Option<i64>,
    /// Category names; empty = all.
    pub categories: Vec<String>,
    /// Only incidents inside this WGS84 box `[west, south, east, north]` (edges included), e.g. a county of a
    /// national store; `None` = everywhere.
    pub bbox_lonlat: Option<[f64; 4]>,
}

/// The incidents a query selected, in dataset order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Indices of the selected incidents into the dataset, ascending.
    pub indices: Vec<u32>,
    /// Things the user should know, such as a window cutting a month of month-precision data.
    pub warnings: Vec<String>,
}

/// Whether `lon`, `lat` lie in the WGS84 box `[west, south, east, north]` (edges included): what a query's box keeps.
pub fn in_lonlat_box(bbox: [f64; 4], lon: f64, lat: f64) -> bool {
    let [w, s, e, n] = bbox;
    (w..=e).contains(&lon) && (s..=n).contains(&lat)
}

impl Selection {
    /// Keep only the incidents whose lon/lat lie in the WGS84 box `[west, south, east, north]` ([`in_lonlat_box`]).
    pub fn within_lonlat(mut self, ds: &Dataset, bbox: [f64; 4]) -> Selection {
        let (lon, lat) = (ds.lon(), ds.lat());
        self.indices.retain(|&i| in_lonlat_box(bbox, lon[i as usize], lat[i as usize]));
        self
    }

    /// Number of incidents selected.
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    /// Whether no incident was selected.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// Rows per block of the parallel scans here (each block scanned by one thread, the blocks joined in row order).
const BLOCK_ROWS: usize = 1 << 18;

/// The rows of `ds` whose lon/lat lie in the WGS84 box `[west, south, east, north]` ([`in_lonlat_box`]), of any time
/// and category, ascending: a county's whole record in a national store, in one pass over the coordinates.
pub fn rows_in_lonlat_box(ds: &Dataset, bbox: [f64; 4]) -> Vec<u32> {
    use rayon::prelude::*;
    let (lon, lat) = (ds.lon(), ds.lat());
    let blocks: Vec<Vec<u32>> = (0..ds.len().div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|k| {
            (k * BLOCK_ROWS..((k + 1) * BLOCK_ROWS).min(ds.len()))
                .filter(|&i| in_lonlat_box(bbox, lon[i], lat[i]))
                .map(|i| i as u32)
                .collect()
        })
        .collect();
    blocks.concat()
}

/// Which incidents a window keeps.
#[derive(Debug, Clone, Copy)]
enum InWindow {
    /// Those whose time starts in it.
    Starts,
    /// Those whose time interval overlaps it.
    Overlaps,
}

impl Query {
    /// Select from a dataset.
    pub fn select(&self, ds: &Dataset) -> Result<Selection, QueryError> {
        self.select_where(ds, InWindow::Starts)
    }

    /// [`Query::select`], but keeping every incident whose time interval overlaps the window (one known only to the
    /// month of February overlaps a window from 20 February), not only those that start in it: what a fit over the
    /// window may read or must refuse.
    pub fn select_overlapping(&self, ds: &Dataset) -> Result<Selection, QueryError> {
        self.select_where(ds, InWindow::Overlaps)
    }

    fn select_where(&self, ds: &Dataset, window: InWindow) -> Result<Selection, QueryError> {
        let blocks = ds.len().div_ceil(BLOCK_ROWS);
        let selection = self.scan(ds, blocks, |k| k * BLOCK_ROWS..((k + 1) * BLOCK_ROWS).min(ds.len()), window)?;
        Ok(match self.bbox_lonlat {
            Some(b) => selection.within_lonlat(ds, b),
            None => selection,
        })
    }

    /// [`Query::select`] among `rows` (ascending dataset indices) only, which the caller has already cut to the
    /// query's box (say by [`rows_in_lonlat_box`]): the box is not tested again. The window's warnings are those of
    /// these rows.
    pub fn select_among(&self, ds: &Dataset, rows: &[u32]) -> Result<Selection, QueryError> {
        let blocks = rows.len().div_ceil(BLOCK_ROWS);
        let block = |k: usize| rows[k * BLOCK_ROWS..((k + 1) * BLOCK_ROWS).min(rows.len())].iter().map(|&i| i as usize);
        self.scan(ds, blocks, block, InWindow::Starts)
    }

    /// The window and categories over `blocks` blocks of rows (`rows_of(k)` the rows of block `k`, ascending, the
    /// blocks in order), scanned in parallel and joined in order: the same indices and warnings at any thread count.
    fn scan<I: Iterator<Item = usize>>(
        &self,
        ds: &Dataset,
        blocks: usize,
        rows_of: impl Fn(usize) -> I + Sync,
        window: InWindow,
    ) -> Result<Selection, QueryError> {
        if let (Some(f), Some(t)) = (self.from_s, self.to_s)
            && f >= t
        {
            return Err(QueryError::EmptyWindow { from: format_instant(f), to: format_instant(t) });
        }
        let mut wanted = vec![self.categories.is_empty(); ds.categories().len()];
        for name in &self.categories {
            let id = ds
                .categories()
                .get(name)
                .or_else(|| {
                    ds.categories().names().iter().position(|n| n.eq_ignore_ascii_case(name.trim())).map(|i| i as u32)
                })
                .ok_or_else(|| QueryError::UnknownCategory {
                    name: name.clone(),
                    valid: ds.categories().names().to_vec(),
                })?;
            wanted[id as usize] = true;
        }
        let (from, to) = (self.from_s.unwrap_or(i64::MIN), self.to_s.unwrap_or(i64::MAX));
        let (times, precisions, cats) = (ds.time_s(), ds.precision(), ds.category_ids());
        let block = |rows: I| {
            let mut cut = BTreeSet::new();
            let mut indices = Vec::new();
            for i in rows {
                if !wanted[usize::from(cats[i])] {
                    continue;
                }
                let (t, p) = (times[i], precisions[i]);
                if p >= TimePrecision::Day {
                    let end = interval_end_s(t, p);
                    let cuts = |edge: i64| t < edge && edge < end;
                    if (self.from_s.is_some() && cuts(from)) || (self.to_s.is_some() && cuts(to)) {
                        cut.insert((p, t));
                    }
                }
                let kept = match window {
                    InWindow::Starts => (from..to).contains(&t),
                    InWindow::Overlaps => t < to && interval_end_s(t, p) > from,
                };
                if kept {
                    indices.push(i as u32);
                }
            }
            (indices, cut)
        };
        let blocks: Vec<_> = {
            use rayon::prelude::*;
            (0..blocks).into_par_iter().map(|k| block(rows_of(k))).collect()
        };
        let mut indices = Vec::with_capacity(blocks.iter().map(|b| b.0.len()).sum());
        let mut cut = BTreeSet::new();
        for (found, cuts) in blocks {
            indices.extend(found);
            cut.extend(cuts);
        }
        let warnings = cut
            .into_iter()
            .map(|(p, t)| {
                let label = if p >= TimePrecision::Month { month_label(t) } else { format_instant(t)[..10].to_owned() };
                format!(
                    "the window cuts {label} in two, but its incidents are known only to the {p}: they count where \
                     the {p} starts ({})",
                    if (from..to).contains(&t) { "inside the window" } else { "outside the window" }
                )
            })
            .collect();
        Ok(Selection { indices, warnings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::model::dataset::{DatasetBuilder, IncidentRecord, SourceFile};
    use crate::model::time::month_start_s;

    fn ds() -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 4).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "f".into() }).unwrap();
        for (m, c) in [(1, "Drugs"), (2, "Burglary"), (3, "Drugs")] {
            b.push(&IncidentRecord {
                lon: -1.9,
                lat: 50.7,
                time_s: month_start_s(2024, m).unwrap(),
                precision: TimePrecision::Month,
                category: c,
                weight: 1.0,
                area: None,
                location: None,
                source: 0,
                line: m + 1,
            })
            .unwrap();
        }
        b.finish().unwrap()
    }

    proptest::proptest! {
        /// A box's rows, then the window and categories among them, select what the whole scan selects; the window's
        /// warnings are those of the box's rows only.
        #[test]
        fn selecting_among_a_box_rows_is_selecting_with_the_box(
            rows in proptest::collection::vec((-2.5f64..-1.5, 50.5f64..51.0, 0i64..90, 0usize..3, proptest::bool::ANY), 1..300),
            bbox in (-2.5f64..-1.5, 50.5f64..51.0, 0.0f64..0.6, 0.0f64..0.4),
            from_day in 0i64..60,
            days in 1i64..40,
            category in proptest::option::of(0usize..300),
        ) {
            let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), rows.len()).unwrap();
            b.add_source(SourceFile { import_id: 1, file: "f".into() }).unwrap();
            let names = ["Drugs", "Burglary", "Shoplifting"];
            let start = month_start_s(2024, 1).unwrap();
            for (k, &(lon, lat, day, c, monthly)) in rows.iter().enumerate() {
                let (time_s, precision) = if monthly {
                    (month_start_s(2024, 1 + (day / 30) as u32).unwrap(), TimePrecision::Month)
                } else {
                    (start + day * 86_400 + 3_600, TimePrecision::Second)
                };
                b.push(&IncidentRecord {
                    lon, lat, time_s, precision, category: names[c], weight: 1.0, area: None, location: None,
                    source: 0, line: k as u32 + 2,
                }).unwrap();
            }
            let d = b.finish().unwrap();
            let (w, s, dw, dh) = bbox;
            let bbox = [w, s, w + dw, s + dh];
            let q = Query {
                from_s: Some(start + from_day * 86_400),
                to_s: Some(start + (from_day + days) * 86_400),
                // A category the data hold (an unknown one is refused, tested above).
                categories: category.map(|k| vec![names[rows[k % rows.len()].3].to_owned()]).unwrap_or_default(),
                bbox_lonlat: Some(bbox),
            };
            let whole = q.select(&d).unwrap();
            let inside = rows_in_lonlat_box(&d, bbox);
            let want: Vec<u32> = (0..d.len() as u32)
                .filter(|&i| in_lonlat_box(bbox, d.lon()[i as usize], d.lat()[i as usize]))
                .collect();
            proptest::prop_assert_eq!(&inside, &want);
            let among = q.select_among(&d, &inside).unwrap();
            proptest::prop_assert_eq!(&among.indices, &whole.indices);
            for warning in &among.warnings {
                proptest::prop_assert!(whole.warnings.contains(warning));
            }
        }
    }

    #[test]
    fn windows_and_categories() {
        let d = ds();
        let all = Query::default().select(&d).unwrap();
        assert_eq!(all.indices, vec![0, 1, 2]);
        assert!(all.warnings.is_empty());
        let q = Query {
            from_s: month_start_s(2024, 2),
            to_s: month_start_s(2024, 4),
            categories: vec!["drugs".into()],
            ..Default::default()
        };
        assert_eq!(q.select(&d).unwrap().indices, vec![2]);
        let e = Query { categories: vec!["Arson".into()], ..Default::default() }.select(&d).unwrap_err();
        assert!(e.to_string().contains("Burglary, Drugs") || e.to_string().contains("Drugs, Burglary"), "{e}");
        let e = Query { from_s: Some(5), to_s: Some(5), ..Default::default() }.select(&d).unwrap_err();
        assert!(matches!(e, QueryError::EmptyWindow { .. }));
    }

    #[test]
    fn overlapping_keeps_what_a_window_cuts_into() {
        // The months of January, February (Burglary) and March, each known only to the month.
        let d = ds();
        let day = 86_400;
        let feb = month_start_s(2024, 2).unwrap();
        let mar = month_start_s(2024, 3).unwrap();
        let q = |from_s: i64, to_s: i64, categories: &[&str]| Query {
            from_s: Some(from_s),
            to_s: Some(to_s),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            ..Default::default()
        };
        // From 20 February: February starts before the window but overlaps it; March starts in it.
        let late_feb = q(feb + 19 * day, mar + day, &[]);
        assert_eq!(late_feb.select(&d).unwrap().indices, vec![2]);
        assert_eq!(late_feb.select_overlapping(&d).unwrap().indices, vec![1, 2]);
        // A window ending where March starts does not reach March; one starting where February ends misses it.
        assert_eq!(q(feb + 19 * day, mar, &[]).select_overlapping(&d).unwrap().indices, vec![1]);
        assert_eq!(q(mar, mar + day, &[]).select_overlapping(&d).unwrap().indices, vec![2]);
        // Categories still filter, and an unknown one is refused.
        assert_eq!(q(feb + 19 * day, mar + day, &["Drugs"]).select_overlapping(&d).unwrap().indices, vec![2]);
        assert!(q(feb, mar, &["Arson"]).select_overlapping(&d).is_err());
    }

    #[test]
    fn a_box_keeps_the_incidents_inside_it() {
        let d = ds();
        let all = Query::default().select(&d).unwrap();
        assert_eq!(all.clone().within_lonlat(&d, [-2.0, 50.0, -1.9, 50.7]).indices, vec![0, 1, 2], "edges count");
        assert!(all.within_lonlat(&d, [-1.8, 50.0, -1.0, 51.0]).is_empty());
    }

    #[test]
    fn cutting_a_month_warns() {
        let d = ds();
        let mid_feb = month_start_s(2024, 2).unwrap() + 14 * 86_400;
        let s = Query { from_s: Some(mid_feb), ..Default::default() }.select(&d).unwrap();
        assert_eq!(s.indices, vec![2]);
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("2024-02") && s.warnings[0].contains("outside"), "{}", s.warnings[0]);
    }
}
