//! A candidate's incidents split by the areas of a boundary layer (`tasking --by-area`).

use super::{AreaShare, TaskingError, TaskingList};
use crate::analysis::pipeline::AnalysisError;
use crate::model::{Dataset, Query};

/// Split each candidate's incidents of the window by the areas of `layer` (by its edge rule), so the list says
/// which beats, wards or neighbourhoods a place falls in; incidents in no area are left out of the split.
pub fn split_by_area(
    list: &mut TaskingList,
    ds: &Dataset,
    layer: &crate::areas::AreaLayer,
) -> Result<(), TaskingError> {
    let sel = Query {
        from_s: Some(list.window.from_s),
        to_s: Some(list.window.to_s),
        categories: list.params.categories.clone(),
    }
    .select(ds)
    .map_err(AnalysisError::Query)?;
    let mut owner = vec![u32::MAX; list.grid.n_cells()];
    for (k, c) in list.candidates.iter().enumerate() {
        for &cell in &c.cell_indices {
            owner[cell] = k as u32;
        }
    }
    let inside: Vec<u32> = sel
        .indices
        .iter()
        .copied()
        .filter(|&i| {
            list.grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize]).is_some_and(|c| owner[c] != u32::MAX)
        })
        .collect();
    let areas = layer.assign(ds.lon(), ds.lat(), &inside);
    let mut counts: Vec<std::collections::BTreeMap<u32, u64>> = vec![Default::default(); list.candidates.len()];
    for (&i, area) in inside.iter().zip(areas) {
        if let (Some(a), Some(cell)) = (area, list.grid.cell_at(ds.x_m()[i as usize], ds.y_m()[i as usize])) {
            *counts[owner[cell] as usize].entry(a).or_insert(0) += 1;
        }
    }
    for (c, per) in list.candidates.iter_mut().zip(counts) {
        let mut v: Vec<AreaShare> = per
            .into_iter()
            .map(|(a, n)| {
                let area = &layer.areas[a as usize];
                AreaShare { key: area.key.clone(), name: area.name.clone(), incidents: n }
            })
            .collect();
        v.sort_by(|x, y| y.incidents.cmp(&x.incidents).then_with(|| x.key.cmp(&y.key)));
        c.by_area = v;
    }
    Ok(())
}
