//! A candidate's incidents split by the areas of a boundary layer (`tasking --by-area`).

use super::{AreaShare, TaskingError, TaskingList};
use crate::analysis::hotspots::{cell_owner, group_of};
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
        ..Default::default()
    }
    .select(ds)
    .map_err(AnalysisError::Query)?;
    let owner = cell_owner(list.grid.n_cells(), list.candidates.iter().map(|c| c.cell_indices.as_slice()));
    let (inside, groups): (Vec<u32>, Vec<usize>) =
        sel.indices.iter().filter_map(|&i| group_of(ds, &list.grid, &owner, i).map(|g| (i, g))).unzip();
    let areas = layer.assign(ds.lon(), ds.lat(), &inside);
    let mut counts: Vec<std::collections::BTreeMap<u32, u64>> = vec![Default::default(); list.candidates.len()];
    for (g, area) in groups.into_iter().zip(areas) {
        if let Some(a) = area {
            *counts[g].entry(a).or_insert(0) += 1;
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
