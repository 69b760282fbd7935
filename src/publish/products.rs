//! The public products of each published period and group, computed from the protected tables alone: cell counts
//! (a quarter adds its months), the density of those counts, hexagons of whole cells, area counts, the total, and
//! the hotspots of the density.

use super::PublishError;
use super::lattice::{BANDWIDTH_M, CELL_M, GROUPS, H3_RESOLUTION, HOT_SHARE, MAX_HOTSPOTS, Period, periods_of};
use super::perturb::Secret;
use super::tables::{CellCounts, CellId, Tables};
use crate::analysis::kde::{Kernel, kde};
use crate::analysis::outline::trace_cells;
use crate::analysis::points::Points;
use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::grid::{BoxM, Grid};
use crate::model::Dataset;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, VecDeque};

/// Polygons in lon/lat: each a list of rings, exterior first.
pub type PolygonsLonLat = Vec<Vec<Vec<[f64; 2]>>>;

/// A published hotspot.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicHotspot {
    /// `c{column}_{row}` of its densest cell: the same place keeps its id from period to period.
    pub id: String,
    /// 1-based rank in its period and group (by published incidents, most first).
    pub rank: usize,
    /// Its cells, sorted.
    pub cells: Vec<CellId>,
    /// Published incidents in its cells (a sum of published counts).
    pub incidents: u32,
    /// Published incidents in the same cells in the period before, when that period is published.
    pub previous: Option<u32>,
    /// For the `all` group, the published incidents of each other group in its cells.
    pub groups: Vec<(&'static str, u32)>,
    /// The density of its densest cell, per km².
    pub peak_per_km2: f64,
    /// The centre of its densest cell: a published cell, never a mean of incidents.
    pub centre_lonlat: [f64; 2],
    /// Area of its cells, m² (cells x 250 m x 250 m).
    pub area_m2: f64,
    /// Outline of its cells (the union of their squares), lon/lat.
    pub outline_lonlat: PolygonsLonLat,
}

/// What one period and group publishes.
#[derive(Debug, Clone)]
pub struct Product {
    /// The period published.
    pub period: Period,
    /// The group published, an index into [`super::GROUPS`].
    pub group: usize,
    /// Published counts per cell (a quarter sums its months).
    pub cells: CellCounts,
    /// Published incidents of the period and group (a sum of rounded monthly totals, not of the cells).
    pub total: u32,
    /// Density per km² of the cells where it is above zero, rounded to three significant figures.
    pub density: FxHashMap<CellId, f64>,
    /// H3 cell (resolution 8) -> the sum of the published counts of the cells whose centre it holds.
    pub hex: BTreeMap<u64, u32>,
    /// Per boundary layer, per area.
    pub areas: Vec<Vec<u32>>,
    /// The hotspots, rank order (at most [`super::lattice::MAX_HOTSPOTS`]).
    pub hotspots: Vec<PublicHotspot>,
}

/// One boundary layer as published: outlines, keys and names.
#[derive(Debug, Clone)]
pub struct PublicAreas {
    /// The layer's name (`areas-{name}` in tiles).
    pub name: String,
    /// Area keys, in the layer's order.
    pub keys: Vec<String>,
    /// Area names, in the layer's order.
    pub names: Vec<String>,
    /// Area outlines, lon/lat, in the layer's order.
    pub outlines: Vec<PolygonsLonLat>,
    /// Each area's `[w, s, e, n]`.
    pub bboxes: Vec<[f64; 4]>,
}

/// Everything public about a dataset.
pub struct Published {
    /// The published count tables everything else is computed from.
    pub tables: Tables,
    /// Every period published: each month, then each quarter ([`super::lattice::periods_of`]).
    pub periods: Vec<Period>,
    /// `[period][group]`, flattened: `products[p * GROUPS.len() + g]`.
    pub products: Vec<Product>,
    /// The boundary layers published.
    pub areas: Vec<PublicAreas>,
    /// The grid every density is computed on (250 m cells covering the published cells and the bandwidth).
    pub grid: Option<Grid>,
    /// `[w, s, e, n]` of the cells with any published incident, from their corners; `None` when none.
    pub bounds_lonlat: Option<[f64; 4]>,
    /// The published bounds grown by the bandwidth, and the boundary layers: where tiles are written.
    pub tile_bounds_lonlat: Option<[f64; 4]>,
    /// Converts between the store's metric CRS and lon/lat.
    pub projector: Projector,
}

/// Round to three significant figures (the published precision of a density).
pub fn three_figures(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

fn merge_bbox(a: Option<[f64; 4]>, b: [f64; 4]) -> [f64; 4] {
    match a {
        None => b,
        Some(a) => [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
    }
}

impl Published {
    /// The public products of a dataset and its boundary layers, with the publisher's secret and rounding base
    /// (the minimum count).
    pub fn build(ds: &Dataset, areas: &[AreaLayer], secret: &Secret, base: u32) -> Result<Published, PublishError> {
        if base < 2 {
            return Err(PublishError::Base(base));
        }
        let projector = Projector::new(ds.crs()).map_err(|e| PublishError::Projection(e.to_string()))?;
        let tables = Tables::build(ds, areas, secret, base);
        let periods = periods_of(&tables.months);
        let ng = GROUPS.len();

        // The common grid: every cell with a published incident, plus the bandwidth around.
        let mut all_cells: FxHashSet<CellId> = FxHashSet::default();
        for by_group in &tables.cells {
            all_cells.extend(by_group[0].keys().copied());
        }
        let cell_box = cell_box(&all_cells);
        let grid = match cell_box {
            Some(b) => Some(Grid::covering(&b, BANDWIDTH_M, CELL_M, ds.crs()).map_err(PublishError::Grid)?),
            None => None,
        };
        let corners = |b: &BoxM| -> Option<[f64; 4]> {
            let mut out: Option<[f64; 4]> = None;
            for (x, y) in
                [(b.min_x_m, b.min_y_m), (b.max_x_m, b.min_y_m), (b.min_x_m, b.max_y_m), (b.max_x_m, b.max_y_m)]
            {
                let (lon, lat) = projector.to_lonlat(x, y)?;
                out = Some(merge_bbox(out, [lon, lat, lon, lat]));
            }
            out
        };
        let bounds_lonlat = cell_box.as_ref().and_then(corners);
        let public_areas: Vec<PublicAreas> = areas.iter().map(public_areas).collect();
        let mut tile_bounds = grid.as_ref().and_then(|g| corners(&g.bounds()));
        for a in &public_areas {
            for b in &a.bboxes {
                tile_bounds = Some(merge_bbox(tile_bounds, *b));
            }
        }

        // Hexagon of each cell centre, once.
        let mut cell_list: Vec<CellId> = all_cells.into_iter().collect();
        cell_list.sort_unstable();
        let hex_of: FxHashMap<CellId, u64> = cell_list
            .par_iter()
            .filter_map(|&c| {
                let (x, y) = cell_centre(c);
                let (lon, lat) = projector.to_lonlat(x, y)?;
                let res = h3o::Resolution::try_from(H3_RESOLUTION).ok()?;
                let ll = h3o::LatLng::new(lat, lon).ok()?;
                Some((c, u64::from(ll.to_cell(res))))
            })
            .collect();

        let jobs: Vec<(Period, usize)> = periods.iter().flat_map(|&p| (0..ng).map(move |g| (p, g))).collect();
        let mut products: Vec<Product> = jobs
            .par_iter()
            .map(|&(period, group)| product(&tables, grid.as_ref(), &hex_of, period, group))
            .collect::<Result<_, _>>()?;

        // Hotspots need the other groups' products (the mix) and the period before (the trend).
        let index: FxHashMap<(Period, usize), usize> =
            products.iter().enumerate().map(|(k, p)| ((p.period, p.group), k)).collect();
        let hotspots: Vec<Vec<PublicHotspot>> = match &grid {
            None => vec![Vec::new(); products.len()],
            Some(grid) => products
                .par_iter()
                .map(|p| {
                    let others: Vec<&Product> = if p.group == 0 {
                        (1..ng).filter_map(|g| index.get(&(p.period, g)).map(|&k| &products[k])).collect()
                    } else {
                        Vec::new()
                    };
                    let previous = index.get(&(p.period.previous(), p.group)).map(|&k| &products[k]);
                    hotspots_of(p, &others, previous, grid, &projector)
                })
                .collect(),
        };
        for (p, h) in products.iter_mut().zip(hotspots) {
            p.hotspots = h;
        }
        Ok(Published {
            tables,
            periods,
            products,
            areas: public_areas,
            grid,
            bounds_lonlat,
            tile_bounds_lonlat: tile_bounds,
            projector,
        })
    }

    /// The product of a period and group.
    pub fn product(&self, period: Period, group: usize) -> Option<&Product> {
        let p = self.periods.iter().position(|&q| q == period)?;
        self.products.get(p * GROUPS.len() + group)
    }

    /// The cell (column, row) of a grid index of [`Published::grid`].
    pub fn cell_of_index(grid: &Grid, i: usize) -> CellId {
        let (ox, oy) = ((grid.origin_x_m / CELL_M).round() as i64, (grid.origin_y_m / CELL_M).round() as i64);
        (ox + (i % grid.cols) as i64, oy + (i / grid.cols) as i64)
    }
}

/// The centre of a published cell, metres.
pub fn cell_centre((c, r): CellId) -> (f64, f64) {
    ((c as f64 + 0.5) * CELL_M, (r as f64 + 0.5) * CELL_M)
}

fn cell_box(cells: &FxHashSet<CellId>) -> Option<BoxM> {
    let mut it = cells.iter();
    let &(c0, r0) = it.next()?;
    let (mut a, mut b, mut c, mut d) = (c0, r0, c0, r0);
    for &(x, y) in it {
        a = a.min(x);
        b = b.min(y);
        c = c.max(x);
        d = d.max(y);
    }
    Some(BoxM {
        min_x_m: a as f64 * CELL_M,
        min_y_m: b as f64 * CELL_M,
        max_x_m: (c + 1) as f64 * CELL_M,
        max_y_m: (d + 1) as f64 * CELL_M,
    })
}

fn public_areas(layer: &AreaLayer) -> PublicAreas {
    let mut out = PublicAreas {
        name: layer.name.clone(),
        keys: Vec::new(),
        names: Vec::new(),
        outlines: Vec::new(),
        bboxes: Vec::new(),
    };
    for a in &layer.areas {
        let polys: PolygonsLonLat = a
            .outline_lonlat
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
        let mut bbox: Option<[f64; 4]> = None;
        for p in polys.iter().flatten().flatten() {
            bbox = Some(merge_bbox(bbox, [p[0], p[1], p[0], p[1]]));
        }
        out.keys.push(a.key.clone());
        out.names.push(a.name.clone());
        out.outlines.push(polys);
        out.bboxes.push(bbox.unwrap_or([0.0; 4]));
    }
    out
}

/// Counts, total, density, hexagons and areas of one period and group (hotspots come after).
fn product(
    t: &Tables,
    grid: Option<&Grid>,
    hex_of: &FxHashMap<CellId, u64>,
    period: Period,
    group: usize,
) -> Result<Product, PublishError> {
    let months: Vec<usize> = period.months().filter_map(|m| t.month_pos(m)).collect();
    let mut cells = CellCounts::new();
    let mut total = 0u32;
    for &m in &months {
        for (&c, &n) in &t.cells[m][group] {
            *cells.entry(c).or_insert(0) += n;
        }
        total += t.totals[m][group];
    }
    let areas = t
        .areas
        .iter()
        .map(|a| {
            let n = a.counts.first().and_then(|g| g.first()).map_or(0, Vec::len);
            (0..n).map(|k| months.iter().map(|&m| a.counts[m][group][k]).sum()).collect()
        })
        .collect();
    let mut hex: BTreeMap<u64, u32> = BTreeMap::new();
    for (c, &n) in &cells {
        if let Some(&h) = hex_of.get(c) {
            *hex.entry(h).or_insert(0) += n;
        }
    }
    let mut density = FxHashMap::default();
    if let (Some(grid), false) = (grid, cells.is_empty()) {
        let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
        for (&c, &n) in &cells {
            let (x, y) = cell_centre(c);
            xs.push(x);
            ys.push(y);
            ws.push(f64::from(n));
        }
        let surface = kde(&Points { x_m: xs, y_m: ys, w: ws }, grid, Kernel::Quartic, BANDWIDTH_M)
            .map_err(|e| PublishError::Density(e.to_string()))?;
        for (i, &d) in surface.density_per_km2.iter().enumerate() {
            let d = three_figures(d);
            if d > 0.0 {
                density.insert(Published::cell_of_index(grid, i), d);
            }
        }
    }
    Ok(Product { period, group, cells, total, density, hex, areas, hotspots: Vec::new() })
}

/// The hotspots of a product by the published rule.
fn hotspots_of(
    p: &Product,
    others: &[&Product],
    previous: Option<&Product>,
    grid: &Grid,
    projector: &Projector,
) -> Vec<PublicHotspot> {
    if p.density.is_empty() {
        return Vec::new();
    }
    let mut ranked: Vec<(CellId, f64)> = p.density.iter().map(|(&c, &d)| (c, d)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let take = ((ranked.len() as f64 * HOT_SHARE).ceil() as usize).max(1);
    let hot: FxHashSet<CellId> = ranked[..take.min(ranked.len())].iter().map(|&(c, _)| c).collect();
    // Components of cells sharing a side, each found from its first cell in sorted order.
    let mut order: Vec<CellId> = hot.iter().copied().collect();
    order.sort_unstable();
    let mut seen: FxHashSet<CellId> = FxHashSet::default();
    let mut found: Vec<PublicHotspot> = Vec::new();
    for start in order {
        if !seen.insert(start) {
            continue;
        }
        let mut comp = vec![start];
        let mut queue = VecDeque::from([start]);
        while let Some((c, r)) = queue.pop_front() {
            for n in [(c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1)] {
                if hot.contains(&n) && seen.insert(n) {
                    comp.push(n);
                    queue.push_back(n);
                }
            }
        }
        comp.sort_unstable();
        let sum = |prod: &Product| comp.iter().map(|c| prod.cells.get(c).copied().unwrap_or(0)).sum::<u32>();
        let incidents = sum(p);
        if incidents == 0 {
            continue;
        }
        let (peak_cell, peak) = comp
            .iter()
            .map(|c| (*c, p.density.get(c).copied().unwrap_or(0.0)))
            .fold((comp[0], f64::MIN), |best, x| if x.1 > best.1 { x } else { best });
        let (x, y) = cell_centre(peak_cell);
        let Some((lon, lat)) = projector.to_lonlat(x, y) else { continue };
        let (ox, oy) = ((grid.origin_x_m / CELL_M).round() as i64, (grid.origin_y_m / CELL_M).round() as i64);
        let indices: Vec<usize> = comp
            .iter()
            .filter_map(|&(c, r)| {
                let (col, row) = (c - ox, r - oy);
                (col >= 0 && row >= 0 && (col as usize) < grid.cols && (row as usize) < grid.rows)
                    .then(|| row as usize * grid.cols + col as usize)
            })
            .collect();
        let outline = trace_cells(grid, &indices);
        let outline_lonlat: PolygonsLonLat = outline
            .0
            .iter()
            .map(|poly| {
                std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .map(|ring| {
                        ring.0.iter().filter_map(|c| projector.to_lonlat(c.x, c.y)).map(|(a, b)| [a, b]).collect()
                    })
                    .collect()
            })
            .collect();
        found.push(PublicHotspot {
            id: format!("c{}_{}", peak_cell.0, peak_cell.1),
            rank: 0,
            incidents,
            previous: previous.map(sum),
            groups: others.iter().map(|o| (GROUPS[o.group].id, sum(o))).collect(),
            peak_per_km2: peak,
            centre_lonlat: [lon, lat],
            area_m2: comp.len() as f64 * CELL_M * CELL_M,
            cells: comp,
            outline_lonlat,
        });
    }
    found.sort_by(|a, b| {
        b.incidents.cmp(&a.incidents).then(b.peak_per_km2.total_cmp(&a.peak_per_km2)).then(a.cells.cmp(&b.cells))
    });
    found.truncate(MAX_HOTSPOTS);
    for (k, h) in found.iter_mut().enumerate() {
        h.rank = k + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_figures_rounds() {
        assert_eq!(three_figures(123.456), 123.0);
        assert_eq!(three_figures(0.0012345), 0.00123);
        assert_eq!(three_figures(98765.0), 98800.0);
        assert_eq!(three_figures(0.0), 0.0);
    }
}
