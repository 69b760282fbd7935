//! Weighted points in metres: the input every spatial method takes.

use crate::model::{Dataset, Selection};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// How each incident counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WeightMode {
    /// Each incident counts its own weight (1 unless the file gave a weight column).
    #[default]
    Count,
    /// Each incident counts its weight times the harm weight of its category.
    Harm,
}

impl std::str::FromStr for WeightMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "count" => Ok(WeightMode::Count),
            "harm" => Ok(WeightMode::Harm),
            other => Err(format!("'{other}' is not count or harm")),
        }
    }
}

impl WeightMode {
    /// The mode's name as parsed and written in settings (`count`, `harm`).
    pub fn name(self) -> &'static str {
        match self {
            WeightMode::Count => "count",
            WeightMode::Harm => "harm",
        }
    }
}

/// Projected points with weights (struct of arrays).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    /// Easting of each point, in the dataset's metric CRS (metres).
    pub x_m: Vec<f64>,
    /// Northing of each point, in metres.
    pub y_m: Vec<f64>,
    /// Weight of each point (1 per incident when counting; its harm weight when weighting by harm).
    pub w: Vec<f64>,
}

impl Points {
    /// The selected incidents, each weighted by its weight column times `category_weight[category]` (all 1 for
    /// counting).
    pub fn from_selection(ds: &Dataset, sel: &Selection, category_weight: Option<&[f64]>) -> Points {
        let n = sel.len();
        let mut p = Points { x_m: Vec::with_capacity(n), y_m: Vec::with_capacity(n), w: Vec::with_capacity(n) };
        let (xs, ys, ws, cats) = (ds.x_m(), ds.y_m(), ds.weight(), ds.category_ids());
        for &i in &sel.indices {
            let i = i as usize;
            let cw = category_weight.and_then(|t| t.get(usize::from(cats[i])).copied()).unwrap_or(1.0);
            p.x_m.push(xs[i]);
            p.y_m.push(ys[i]);
            p.w.push(f64::from(ws[i]) * cw);
        }
        p
    }

    /// Points held.
    pub fn len(&self) -> usize {
        self.x_m.len()
    }
    /// Whether there is no point.
    pub fn is_empty(&self) -> bool {
        self.x_m.is_empty()
    }
    /// The points' weights summed (incidents when counting).
    pub fn total_weight(&self) -> f64 {
        self.w.iter().sum()
    }

    /// How many distinct finite places the points are at (the length of [`Points::merged`], without building it).
    pub fn distinct_places(&self) -> usize {
        let mut seen: rustc_hash::FxHashSet<(u64, u64)> = rustc_hash::FxHashSet::default();
        for (&x, &y) in self.x_m.iter().zip(&self.y_m) {
            if x.is_finite() && y.is_finite() {
                seen.insert(((x + 0.0).to_bits(), (y + 0.0).to_bits()));
            }
        }
        seen.len()
    }

    /// Merge points at exactly the same coordinates, summing their weights (in input order), and return the
    /// distinct points sorted by y, then x. police.uk snaps incidents to shared map points, so this often shrinks the
    /// work tenfold without changing any sum. Non-finite points are dropped (they cannot be placed). Hashing first
    /// and sorting only the distinct points keeps this linear in the number of incidents.
    pub fn merged(&self) -> Points {
        let mut slot: FxHashMap<(u64, u64), usize> = FxHashMap::default();
        let mut distinct = Points::default();
        for k in 0..self.len() {
            let (x, y) = (self.x_m[k], self.y_m[k]);
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            // -0.0 and 0.0 are the same place.
            let key = ((x + 0.0).to_bits(), (y + 0.0).to_bits());
            match slot.get(&key) {
                Some(&i) => distinct.w[i] += self.w[k],
                None => {
                    slot.insert(key, distinct.len());
                    distinct.x_m.push(x + 0.0);
                    distinct.y_m.push(y + 0.0);
                    distinct.w.push(self.w[k]);
                }
            }
        }
        // Sorted by value (no two points share both coordinates, so the order is the same however it is sorted).
        let mut rows: Vec<(f64, f64, f64)> =
            (0..distinct.len()).map(|i| (distinct.y_m[i], distinct.x_m[i], distinct.w[i])).collect();
        rows.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        Points {
            x_m: rows.iter().map(|r| r.1).collect(),
            y_m: rows.iter().map(|r| r.0).collect(),
            w: rows.iter().map(|r| r.2).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_sums_coincident_points_in_y_then_x_order() {
        let p = Points {
            x_m: vec![5.0, 1.0, 5.0, f64::NAN, 1.0],
            y_m: vec![2.0, 3.0, 2.0, 1.0, 1.0],
            w: vec![1.0, 2.0, 0.5, 9.0, 4.0],
        };
        let m = p.merged();
        assert_eq!(m.x_m, vec![1.0, 5.0, 1.0]);
        assert_eq!(m.y_m, vec![1.0, 2.0, 3.0]);
        assert_eq!(m.w, vec![4.0, 1.5, 2.0]);
        assert!(Points::default().merged().is_empty());
        assert_eq!(p.distinct_places(), m.len());
        assert_eq!(Points::default().distinct_places(), 0);
        assert_eq!("Harm".parse::<WeightMode>(), Ok(WeightMode::Harm));
        assert!("x".parse::<WeightMode>().is_err());
    }
}
