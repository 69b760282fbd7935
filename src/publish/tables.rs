//! The protected tables: the only things computed from the incidents themselves. Every public number is a
//! published count of one of these tables, or computed from them alone (sums, a kernel density, hexagons of whole
//! cells, hotspots of the density), so nothing public says more about the incidents than these tables do.
//!
//! For each published month and group: the count in each 250 m cell, in each area of each boundary layer, and in
//! all, each rounded by [`super::perturb`] with its own cell key.

use super::lattice::{CELL_M, GROUPS, group_of, month_of};
use super::perturb::{KeyedCount, RecordKeyer, Secret};
use crate::areas::AreaLayer;
use crate::geo::CrsDef;
use crate::model::{Coverage, Dataset, TimePrecision, Window};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A published cell: (column, row) = (floor(x / 250 m), floor(y / 250 m)) in the store's metric CRS.
pub type CellId = (i64, i64);

/// Published counts of one month and group by cell (cells with a published 0 are left out).
pub type CellCounts = BTreeMap<CellId, u32>;

/// One boundary layer's published counts.
#[derive(Debug, Clone)]
pub struct AreaTable {
    /// The layer's name (`areas-{name}` in tiles).
    pub name: String,
    /// `[month][group][area]`, areas in the layer's order.
    pub counts: Vec<Vec<Vec<u32>>>,
}

/// Incidents in no published month, by reason (counted, never silently dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LeftOut {
    /// Known only to the year: no month can hold them.
    pub year_only: u64,
    /// In a month the store does not hold completely (a public month is never a part of one).
    pub month_not_held: u64,
}

/// The protected tables of a dataset.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The rounding base (the minimum count).
    pub base: u32,
    /// The metric CRS of the cells.
    pub crs: CrsDef,
    /// Published months (`year * 12 + month - 1`), sorted.
    pub months: Vec<i64>,
    /// `[month][group]`.
    pub cells: Vec<Vec<CellCounts>>,
    /// `[month][group]`: every incident of the month and group.
    pub totals: Vec<Vec<u32>>,
    /// Published counts per boundary layer.
    pub areas: Vec<AreaTable>,
    /// Incidents left out of every published month, by reason.
    pub left_out: LeftOut,
}

/// The months the store holds completely (every day of the month held, by [`Coverage`]'s rule).
pub fn held_months(ds: &Dataset, coverage: &Coverage) -> Vec<i64> {
    let mut months: Vec<i64> = ds
        .time_s()
        .iter()
        .zip(ds.precision())
        .filter(|(_, p)| **p != TimePrecision::Year)
        .map(|(&t, _)| month_of(t))
        .collect();
    months.sort_unstable();
    months.dedup();
    months.retain(|&m| super::lattice::Period::Month(m).window().is_some_and(|w: Window| coverage.window(w).full));
    months
}

/// Where one incident goes: its month's position, its group, its record key and its cell.
struct Placed {
    month: usize,
    group: usize,
    key: u32,
    cell: CellId,
}

impl Tables {
    /// Build the tables of `ds` with rounding base `base`, the record keys drawn with `secret`.
    pub fn build(ds: &Dataset, areas: &[AreaLayer], secret: &Secret, base: u32) -> Tables {
        let coverage = Coverage::of(ds);
        let months = held_months(ds, &coverage);
        let keyer = RecordKeyer::new(secret);
        let group_of_cat: Vec<usize> = ds.categories().names().iter().map(|n| group_of(n)).collect();
        let (times, precision, cats, xs, ys) = (ds.time_s(), ds.precision(), ds.category_ids(), ds.x_m(), ds.y_m());
        let (lons, lats, sources, lines) = (ds.lon(), ds.lat(), ds.source_ids(), ds.lines());
        let placed: Vec<Result<Placed, bool>> = (0..ds.len())
            .into_par_iter()
            .map(|i| {
                if precision[i] == TimePrecision::Year {
                    return Err(true);
                }
                let Ok(month) = months.binary_search(&month_of(times[i])) else { return Err(false) };
                let cat = usize::from(cats[i]);
                let source = ds.sources().get(usize::from(sources[i])).map_or("", |s| s.file.as_str());
                let category = ds.categories().name(u32::from(cats[i])).unwrap_or("");
                let key = keyer.key(&[
                    source.as_bytes(),
                    &lines[i].to_le_bytes(),
                    &times[i].to_le_bytes(),
                    category.as_bytes(),
                    &lons[i].to_bits().to_le_bytes(),
                    &lats[i].to_bits().to_le_bytes(),
                ]);
                let cell = ((xs[i] / CELL_M).floor() as i64, (ys[i] / CELL_M).floor() as i64);
                Ok(Placed { month, group: group_of_cat.get(cat).copied().unwrap_or(GROUPS.len() - 1), key, cell })
            })
            .collect();
        let (nm, ng) = (months.len(), GROUPS.len());
        let mut cells: Vec<Vec<FxHashMap<CellId, KeyedCount>>> = vec![vec![FxHashMap::default(); ng]; nm];
        let mut totals = vec![vec![KeyedCount::default(); ng]; nm];
        let mut left_out = LeftOut::default();
        let mut in_month: Vec<u32> = Vec::new();
        for (i, p) in placed.iter().enumerate() {
            match p {
                Err(true) => left_out.year_only += 1,
                Err(false) => left_out.month_not_held += 1,
                Ok(p) => {
                    in_month.push(i as u32);
                    for g in [0, p.group] {
                        cells[p.month][g].entry(p.cell).or_default().add(p.key);
                        totals[p.month][g].add(p.key);
                    }
                }
            }
        }
        let cells = cells
            .into_iter()
            .map(|by_group| {
                by_group
                    .into_iter()
                    .map(|m| {
                        m.into_iter()
                            .map(|(c, k)| (c, k.published(base)))
                            .filter(|&(_, n)| n > 0)
                            .collect::<CellCounts>()
                    })
                    .collect()
            })
            .collect();
        let totals = totals.into_iter().map(|v| v.into_iter().map(|k| k.published(base)).collect()).collect();
        let areas = areas
            .iter()
            .map(|layer| {
                let assigned = layer.assign(lons, lats, &in_month);
                let mut counts = vec![vec![vec![KeyedCount::default(); layer.areas.len()]; ng]; nm];
                for (&i, a) in in_month.iter().zip(assigned) {
                    let (Some(a), Ok(p)) = (a, &placed[i as usize]) else { continue };
                    for g in [0, p.group] {
                        counts[p.month][g][a as usize].add(p.key);
                    }
                }
                let counts = counts
                    .into_iter()
                    .map(|by_group| {
                        by_group.into_iter().map(|v| v.into_iter().map(|k| k.published(base)).collect()).collect()
                    })
                    .collect();
                AreaTable { name: layer.name.clone(), counts }
            })
            .collect();
        Tables { base, crs: ds.crs().clone(), months, cells, totals, areas, left_out }
    }

    /// The position of a month in [`Tables::months`].
    pub fn month_pos(&self, month: i64) -> Option<usize> {
        self.months.binary_search(&month).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::month_start_s;
    use crate::model::{DatasetBuilder, IncidentRecord, SourceFile};
    use proptest::prelude::*;
    use std::collections::HashMap;

    const CATS: [&str; 4] = ["Burglary", "Robbery", "Drugs", "Anti-social behaviour"];

    /// Month-precision rows (so each month present is held whole) around Bournemouth: (dx, dy, month, category).
    fn dataset(rows: &[(f64, f64, u32, usize)]) -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-1.9, 50.72), rows.len()).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "t.csv".into() }).unwrap();
        for (k, &(dx, dy, m, c)) in rows.iter().enumerate() {
            b.push(&IncidentRecord {
                lon: -1.9 + dx,
                lat: 50.72 + dy,
                time_s: month_start_s(2024, m).unwrap(),
                precision: TimePrecision::Month,
                category: CATS[c],
                weight: 1.0,
                area: None,
                location: None,
                source: 0,
                line: k as u32 + 2,
            })
            .unwrap();
        }
        b.finish().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Every published cell count and total against a brute-force count of the rows and their keys.
        #[test]
        fn tables_match_brute_force(rows in prop::collection::vec((-0.01f64..0.01, -0.01f64..0.01, 1u32..4, 0usize..4), 1..200)) {
            let ds = dataset(&rows);
            let secret = [9u8; 32];
            let t = Tables::build(&ds, &[], &secret, 5);
            let keyer = RecordKeyer::new(&secret);
            // (month, group, cell) -> (n, key sum), from the definition.
            let mut want: HashMap<(i64, usize, CellId), (u32, u32)> = HashMap::new();
            let mut totals: HashMap<(i64, usize), (u32, u32)> = HashMap::new();
            for i in 0..ds.len() {
                let cat = ds.categories().name(u32::from(ds.category_ids()[i])).unwrap();
                let key = keyer.key(&[
                    b"t.csv",
                    &ds.lines()[i].to_le_bytes(),
                    &ds.time_s()[i].to_le_bytes(),
                    cat.as_bytes(),
                    &ds.lon()[i].to_bits().to_le_bytes(),
                    &ds.lat()[i].to_bits().to_le_bytes(),
                ]);
                let cell = ((ds.x_m()[i] / CELL_M).floor() as i64, (ds.y_m()[i] / CELL_M).floor() as i64);
                let m = month_of(ds.time_s()[i]);
                for g in [0, group_of(cat)] {
                    let e = want.entry((m, g, cell)).or_default();
                    *e = (e.0 + 1, e.1.wrapping_add(key));
                    let e = totals.entry((m, g)).or_default();
                    *e = (e.0 + 1, e.1.wrapping_add(key));
                }
            }
            for (mi, &m) in t.months.iter().enumerate() {
                for g in 0..GROUPS.len() {
                    let (n, k) = totals.get(&(m, g)).copied().unwrap_or((0, 0));
                    prop_assert_eq!(t.totals[mi][g], super::super::perturb::round(n, k, 5));
                    for (&(wm, wg, cell), &(n, k)) in &want {
                        if wm == m && wg == g {
                            let published = super::super::perturb::round(n, k, 5);
                            prop_assert_eq!(t.cells[mi][g].get(&cell).copied().unwrap_or(0), published);
                        }
                    }
                    prop_assert!(t.cells[mi][g].values().all(|&v| v > 0 && v % 5 == 0));
                }
            }
            let months_present: std::collections::BTreeSet<i64> = want.keys().map(|k| k.0).collect();
            prop_assert_eq!(t.months.clone(), months_present.into_iter().collect::<Vec<_>>());
        }
    }
}
