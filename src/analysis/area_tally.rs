//! Incidents per area: count, harm, count per category, area in km² and density per km², plus the incidents in no
//! area of the layer.
//!
//! Areas are measured in a metric CRS (the dataset's: the UTM zone of the data's centre, or `--crs`), by projecting
//! each outline vertex and taking the planar area; within a UTM zone this is within 0.1% of the area on the
//! ellipsoid. Density is the count (or, with `--weight harm`, the harm) divided by the area.

use crate::analysis::points::WeightMode;
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::model::{Dataset, Selection};
use geo::Area as _;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use serde::Serialize;

/// One area's figures for a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaRow {
    /// The area's code, as in its boundary file (empty for the row outside every area).
    pub key: String,
    /// The area's name (its code when it has none).
    pub name: String,
    /// Selected incidents in the area.
    pub count: u64,
    /// Their harm (weights summed; equal to the count when weighting by count).
    pub harm: f64,
    /// Incidents per category, in the order of [`AreaTally::categories`].
    pub by_category: Vec<u64>,
    /// `None` for the row of incidents outside every area.
    pub area_km2: Option<f64>,
    /// Count (or harm, with `--weight harm`) per km².
    pub density_per_km2: Option<f64>,
}

/// Figures for every area of a layer, in file order, and for the incidents in none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaTally {
    /// The boundary layer's name.
    pub layer: String,
    /// Categories with at least one selected incident, sorted.
    pub categories: Vec<String>,
    /// What density counts: `count` or `harm`.
    pub density_of: WeightMode,
    /// The metric CRS areas were measured in.
    pub area_crs: String,
    /// One row per area, in file order.
    pub rows: Vec<AreaRow>,
    /// Incidents inside no area of the layer.
    pub outside: AreaRow,
}

impl AreaTally {
    /// Incidents counted, inside and outside the areas.
    pub fn total(&self) -> u64 {
        self.rows.iter().map(|r| r.count).sum::<u64>() + self.outside.count
    }
}

/// The area of a lon/lat outline in km², measured in a metric CRS; `None` if a vertex cannot be projected.
pub fn area_km2(outline_lonlat: &MultiPolygon<f64>, metric: &Projector) -> Option<f64> {
    let ring = |r: &LineString<f64>| -> Option<LineString<f64>> {
        r.0.iter()
            .map(|c| metric.from_lonlat(c.x, c.y).map(|(x, y)| Coord { x, y }))
            .collect::<Option<Vec<_>>>()
            .map(LineString::new)
    };
    let projected = outline_lonlat
        .0
        .iter()
        .map(|p| Some(Polygon::new(ring(p.exterior())?, p.interiors().iter().map(ring).collect::<Option<_>>()?)))
        .collect::<Option<Vec<_>>>()?;
    Some(MultiPolygon::new(projected).unsigned_area() / 1e6)
}

/// Count the selected incidents per area. `harm_by_category` weights each category (times the incident's own
/// weight) for the harm figures; `metric` is the metric CRS areas are measured in.
pub fn tally(
    layer: &AreaLayer,
    ds: &Dataset,
    sel: &Selection,
    harm_by_category: &[f64],
    metric: &Projector,
    density_of: WeightMode,
) -> AreaTally {
    let cats = ds.category_ids();
    let mut present: Vec<u16> = sel.indices.iter().map(|&i| cats[i as usize]).collect();
    present.sort_unstable();
    present.dedup();
    let names = ds.categories().names();
    let mut order: Vec<u16> = present;
    order.sort_by(|a, b| names[usize::from(*a)].cmp(&names[usize::from(*b)]));
    let mut column = vec![usize::MAX; names.len()];
    for (k, &c) in order.iter().enumerate() {
        column[usize::from(c)] = k;
    }
    let blank = |key: &str, name: &str| AreaRow {
        key: key.to_owned(),
        name: name.to_owned(),
        count: 0,
        harm: 0.0,
        by_category: vec![0; order.len()],
        area_km2: None,
        density_per_km2: None,
    };
    let mut rows: Vec<AreaRow> = layer.areas.iter().map(|a| blank(&a.key, &a.name)).collect();
    let mut outside = blank("", "(outside every area)");
    let assigned = layer.assign(ds.lon(), ds.lat(), &sel.indices);
    let weights = ds.weight();
    // Sequential, in dataset order, so the sums of harm are the same floats at any thread count.
    for (&i, a) in sel.indices.iter().zip(&assigned) {
        let i = i as usize;
        let row = match a {
            Some(a) => &mut rows[*a as usize],
            None => &mut outside,
        };
        let c = usize::from(cats[i]);
        row.count += 1;
        row.harm += f64::from(weights[i]) * harm_by_category.get(c).copied().unwrap_or(1.0);
        row.by_category[column[c]] += 1;
    }
    for (row, area) in rows.iter_mut().zip(&layer.areas) {
        row.area_km2 = area_km2(&area.outline_lonlat, metric);
        let value = match density_of {
            WeightMode::Count => row.count as f64,
            WeightMode::Harm => row.harm,
        };
        row.density_per_km2 = row.area_km2.filter(|&a| a > 0.0).map(|a| value / a);
    }
    AreaTally {
        layer: layer.name.clone(),
        categories: order.iter().map(|&c| names[usize::from(c)].clone()).collect(),
        density_of,
        area_crs: metric.def().label.clone(),
        rows,
        outside,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use geo::GeodesicArea;

    #[test]
    fn a_kilometre_square_in_bng_measures_one_km2() {
        let bng = Projector::new(&CrsDef::parse("EPSG:27700").unwrap()).unwrap();
        let corners = [(400_000.0, 90_000.0), (401_000.0, 90_000.0), (401_000.0, 91_000.0), (400_000.0, 91_000.0)];
        let mut ring: Vec<Coord<f64>> =
            corners.iter().map(|&(x, y)| bng.to_lonlat(x, y).map(|(x, y)| Coord { x, y }).unwrap()).collect();
        ring.push(ring[0]);
        let m = MultiPolygon::new(vec![Polygon::new(LineString::new(ring), vec![])]);
        assert!((area_km2(&m, &bng).unwrap() - 1.0).abs() < 1e-6);
        let utm = Projector::new(&CrsDef::utm_for(-2.0, 50.7)).unwrap();
        let in_utm = area_km2(&m, &utm).unwrap();
        let geodesic = m.geodesic_area_unsigned() / 1e6;
        assert!((in_utm / geodesic - 1.0).abs() < 1e-3, "UTM {in_utm} vs ellipsoid {geodesic}");
        // BNG's scale factor near Poole is about 0.9996 squared below the ellipsoid.
        assert!((1.0 / geodesic - 1.0).abs() < 2e-3, "BNG 1 vs ellipsoid {geodesic}");
    }
}
