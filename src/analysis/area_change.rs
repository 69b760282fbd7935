//! Before and after per area (`compare --by-area NAME`): each area's incidents in both windows and the change, with
//! the before count scaled to the after window's length as `compare` does everywhere (1 for like-for-like months).

use crate::analysis::change::{Change, change};
use crate::areas::AreaLayer;
use crate::model::{Dataset, Selection};
use serde::Serialize;

/// One area's counts in the two windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaChange {
    /// The area's code, as in its boundary file (empty for the row outside every area).
    pub key: String,
    /// The area's name (its code when it has none).
    pub name: String,
    /// Selected incidents in the area in the before window.
    pub before: u64,
    /// Selected incidents in the area in the after window.
    pub after: u64,
    /// The change between the windows, the before count scaled to the after window's length.
    pub change: Change,
}

/// Every area of a layer in file order, then the incidents outside every area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaComparison {
    /// The boundary layer's name.
    pub layer: String,
    /// After window length / before window length (1 when both are the same whole months).
    pub length_ratio: f64,
    /// One row per area, in file order.
    pub areas: Vec<AreaChange>,
    /// Incidents inside no area of the layer.
    pub outside: AreaChange,
}

fn counts(layer: &AreaLayer, ds: &Dataset, sel: &Selection) -> (Vec<u64>, u64) {
    let mut inside = vec![0u64; layer.areas.len()];
    let mut outside = 0;
    for a in layer.assign(ds.lon(), ds.lat(), &sel.indices) {
        match a {
            Some(a) => inside[a as usize] += 1,
            None => outside += 1,
        }
    }
    (inside, outside)
}

/// Compare two selections area by area. `not_covered` says why no change can be given (a window the store does
/// not fully cover; see `compare::not_covered_reason`): the counts are then given without changes.
pub fn compare_areas(
    layer: &AreaLayer,
    ds: &Dataset,
    before: &Selection,
    after: &Selection,
    length_ratio: f64,
    not_covered: Option<&str>,
) -> AreaComparison {
    let (b, b_out) = counts(layer, ds, before);
    let (a, a_out) = counts(layer, ds, after);
    let row = |key: &str, name: &str, before: u64, after: u64| AreaChange {
        key: key.to_owned(),
        name: name.to_owned(),
        before,
        after,
        change: match not_covered {
            None => change(before as f64, after as f64, length_ratio),
            Some(why) => Change::not_given(before as f64, after as f64, why),
        },
    };
    AreaComparison {
        layer: layer.name.clone(),
        length_ratio,
        areas: layer.areas.iter().enumerate().map(|(k, area)| row(&area.key, &area.name, b[k], a[k])).collect(),
        outside: row("", "(outside every area)", b_out, a_out),
    }
}
