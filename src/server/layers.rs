//! Building each tile layer from an analysis: which features fall in the tile, and their properties. Encoding
//! (projection, clipping, winding) is `crate::tiles`.

use super::state::{Analysis, AppState};
use crate::analysis::gistar::GiStarOptions;
use crate::analysis::hex::{HexCounts, hex_boundary_lonlat, hex_centre_lonlat, hex_counts, resolution_for_zoom};
use crate::analysis::hotspots::{CellRule, RankBy};
use crate::geo::Projector;
use crate::grid::Grid;
use crate::tiles::{PropValue, TileId, TileLayer, cluster_points, tile_bounds_lonlat};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Every layer, in the order the page lists them.
pub const LAYERS: &[&str] = &["incidents", "density", "hotspots", "hex", "gistar", "change", "emerging"];

/// Zoom ranges per layer (grids are summarised below these).
pub fn zoom_range(layer: &str) -> (u8, u8) {
    match layer {
        "density" | "gistar" | "change" | "emerging" => (8, 20),
        "hex" => (5, 20),
        _ => (0, 20),
    }
}

/// Below this zoom incidents are clustered.
pub const CLUSTER_BELOW_ZOOM: u8 = 15;
/// Cluster bin, tile units (of 4096).
const CLUSTER_BIN_PX: u32 = 64;
/// Grid cells smaller than this many tile units are merged into blocks, so a tile holds at most (4096/32)^2 cells.
const MIN_CELL_PX: f64 = 32.0;

/// Selected incidents by zoom-10 tile.
pub struct PointIndex {
    pub by_tile: FxHashMap<(u32, u32), Vec<u32>>,
}

const INDEX_ZOOM: u8 = 10;

fn z10_of(lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << INDEX_ZOOM);
    let x = ((lon + 180.0) / 360.0 * n).floor().clamp(0.0, n - 1.0) as u32;
    let lat_r = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
        .floor()
        .clamp(0.0, n - 1.0) as u32;
    (x, y)
}

fn point_index(state: &AppState, a: &Analysis) -> PointIndex {
    let (lon, lat) = (state.ds.lon(), state.ds.lat());
    let mut by_tile: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
    for &i in &a.prepared.selection.indices {
        by_tile.entry(z10_of(lon[i as usize], lat[i as usize])).or_default().push(i);
    }
    PointIndex { by_tile }
}

/// Dataset indices of the selected incidents that may lie in a tile.
fn incidents_near(state: &AppState, a: &Analysis, t: TileId) -> Vec<u32> {
    let idx = a.point_index.get_or_init(|| point_index(state, a));
    let mut out = Vec::new();
    if t.z >= INDEX_ZOOM {
        let shift = t.z - INDEX_ZOOM;
        if let Some(v) = idx.by_tile.get(&(t.x >> shift, t.y >> shift)) {
            out.extend_from_slice(v);
        }
    } else {
        let shift = INDEX_ZOOM - t.z;
        let (x0, y0) = (t.x << shift, t.y << shift);
        let span = 1u32 << shift;
        let mut keys: Vec<&(u32, u32)> =
            idx.by_tile.keys().filter(|(x, y)| *x >= x0 && *x < x0 + span && *y >= y0 && *y < y0 + span).collect();
        keys.sort_unstable();
        for k in keys {
            out.extend_from_slice(&idx.by_tile[k]);
        }
    }
    out.sort_unstable();
    out
}

/// The incidents layer: clusters below [`CLUSTER_BELOW_ZOOM`], else one point per distinct location with `count`.
pub fn incidents(state: &AppState, a: &Analysis, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "incidents");
    let near = incidents_near(state, a, t);
    let (lon, lat, cats, locs) = (state.ds.lon(), state.ds.lat(), state.ds.category_ids(), state.ds.location_ids());
    let top_category = |members: &[u32]| {
        let mut counts: FxHashMap<u16, u64> = FxHashMap::default();
        for &i in members {
            *counts.entry(cats[i as usize]).or_insert(0) += 1;
        }
        let best = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(c, _)| c);
        best.and_then(|c| state.ds.categories().name(u32::from(c))).unwrap_or("").to_owned()
    };
    if t.z < CLUSTER_BELOW_ZOOM {
        let pts: Vec<(f64, f64)> = near.iter().map(|&i| (lon[i as usize], lat[i as usize])).collect();
        for c in cluster_points(t, &pts, CLUSTER_BIN_PX) {
            let members: Vec<u32> = c.members.iter().map(|&m| near[m]).collect();
            // Clusters are built from the tile's own points; their mean may sit a hair across the edge once
            // converted back to lon/lat, so they are not re-tested for ownership.
            layer.add_point(
                c.lon,
                c.lat,
                false,
                &[
                    ("count", PropValue::Uint(members.len() as u64)),
                    ("top_category", PropValue::Text(top_category(&members))),
                ],
            );
        }
    } else {
        // One point per distinct location, in dataset order of first appearance.
        let mut groups: Vec<(u64, u64, Vec<u32>)> = Vec::new();
        let mut slot: FxHashMap<(u64, u64), usize> = FxHashMap::default();
        for &i in &near {
            let key = (lon[i as usize].to_bits(), lat[i as usize].to_bits());
            let g = *slot.entry(key).or_insert_with(|| {
                groups.push((key.0, key.1, Vec::new()));
                groups.len() - 1
            });
            groups[g].2.push(i);
        }
        for (x, y, members) in groups {
            let first = members[0] as usize;
            let mut props = vec![
                ("count", PropValue::Uint(members.len() as u64)),
                ("top_category", PropValue::Text(top_category(&members))),
            ];
            if let Some(text) = state.ds.locations().name(locs[first]).filter(|_| locs[first] != crate::model::NONE_ID)
            {
                props.push(("location", PropValue::Text(text.to_owned())));
            }
            layer.add_point(f64::from_bits(x), f64::from_bits(y), true, &props);
        }
    }
    layer
}

/// Grid cells (row, col ranges) that may intersect a tile, with a block size merging cells too small to see.
pub(super) fn cells_in_tile(
    grid: &Grid,
    projector: &Projector,
    t: TileId,
) -> Option<(usize, usize, usize, usize, usize)> {
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let mut xs = Vec::with_capacity(8);
    let mut ys = Vec::with_capacity(8);
    for (lon, lat) in
        [(w, s), (e, s), (w, n), (e, n), ((w + e) / 2.0, s), ((w + e) / 2.0, n), (w, (s + n) / 2.0), (e, (s + n) / 2.0)]
    {
        let (x, y) = projector.from_lonlat(lon, lat)?;
        xs.push(x);
        ys.push(y);
    }
    let fold = |v: &[f64], f: fn(f64, f64) -> f64, init: f64| v.iter().copied().fold(init, f);
    let (x0, x1) = (fold(&xs, f64::min, f64::INFINITY), fold(&xs, f64::max, f64::NEG_INFINITY));
    let (y0, y1) = (fold(&ys, f64::min, f64::INFINITY), fold(&ys, f64::max, f64::NEG_INFINITY));
    let tile_m = x1 - x0;
    let cell_px = grid.cell_m / tile_m * 4096.0;
    let block = if cell_px >= MIN_CELL_PX { 1 } else { (MIN_CELL_PX / cell_px).ceil() as usize };
    let pad = grid.cell_m * block as f64;
    let c0 = (((x0 - pad - grid.origin_x_m) / grid.cell_m).floor().max(0.0)) as usize;
    let r0 = (((y0 - pad - grid.origin_y_m) / grid.cell_m).floor().max(0.0)) as usize;
    let c1 = (((x1 + pad - grid.origin_x_m) / grid.cell_m).ceil().max(0.0) as usize).min(grid.cols);
    let r1 = (((y1 + pad - grid.origin_y_m) / grid.cell_m).ceil().max(0.0) as usize).min(grid.rows);
    if c0 >= c1 || r0 >= r1 {
        return None;
    }
    // Align blocks to the grid so neighbouring tiles agree.
    Some(((r0 / block) * block, r1, (c0 / block) * block, c1, block))
}

/// The first cell (row, column) of each block of a tile's range (from [`cells_in_tile`]), row by row.
pub(super) fn block_starts(range: (usize, usize, usize, usize, usize)) -> impl Iterator<Item = (usize, usize)> {
    let (r0, r1, c0, c1, block) = range;
    (r0..r1).step_by(block).flat_map(move |r| (c0..c1).step_by(block).map(move |c| (r, c)))
}

/// The grid indices of the cells of the block starting at (`r`, `c`), row by row.
pub(super) fn block_cells(grid: &Grid, r: usize, c: usize, block: usize) -> impl Iterator<Item = usize> + use<> {
    let (rows, cols) = (grid.rows, grid.cols);
    (r..(r + block).min(rows)).flat_map(move |rr| (c..(c + block).min(cols)).map(move |cc| rr * cols + cc))
}

/// The first cell for which no later cell is `better`: `better(i, b)` says whether cell `i` should replace the best
/// so far, `b`.
pub(super) fn best_cell(cells: impl Iterator<Item = usize>, better: impl Fn(usize, usize) -> bool) -> Option<usize> {
    cells.fold(None, |best, i| match best {
        Some(b) if !better(i, b) => Some(b),
        _ => Some(i),
    })
}

/// Corners of the blocks of cells in a tile, converted to lon/lat once each and shared by the up to four blocks
/// that meet there (the inverse projection is most of a grid tile's cost).
pub(super) struct Lattice<'a> {
    grid: &'a Grid,
    projector: &'a Projector,
    r0: usize,
    c0: usize,
    block: usize,
    width: usize,
    corners: Vec<Option<Option<[f64; 2]>>>,
}

impl<'a> Lattice<'a> {
    pub(super) fn new(
        grid: &'a Grid,
        projector: &'a Projector,
        (r0, r1, c0, c1, block): (usize, usize, usize, usize, usize),
    ) -> Self {
        let width = (c1 - c0).div_ceil(block) + 1;
        let height = (r1 - r0).div_ceil(block) + 1;
        Lattice { grid, projector, r0, c0, block, width, corners: vec![None; width * height] }
    }

    fn corner(&mut self, lr: usize, lc: usize) -> Option<[f64; 2]> {
        let k = lr * self.width + lc;
        if let Some(v) = self.corners.get(k).copied().flatten() {
            return v;
        }
        let g = self.grid;
        let x = g.origin_x_m + (self.c0 + lc * self.block) as f64 * g.cell_m;
        let y = g.origin_y_m + (self.r0 + lr * self.block) as f64 * g.cell_m;
        let v = self.projector.to_lonlat(x, y).map(|(lon, lat)| [lon, lat]);
        if let Some(slot) = self.corners.get_mut(k) {
            *slot = Some(v);
        }
        v
    }

    /// The outline of the block starting at cell (r, c), counter-clockwise in lon/lat.
    pub(super) fn ring(&mut self, r: usize, c: usize) -> Option<Vec<[f64; 2]>> {
        let (lr, lc) = ((r - self.r0) / self.block, (c - self.c0) / self.block);
        Some(vec![
            self.corner(lr, lc)?,
            self.corner(lr, lc + 1)?,
            self.corner(lr + 1, lc + 1)?,
            self.corner(lr + 1, lc)?,
        ])
    }
}

/// Incidents within the kernel support of each density cell (public-mode suppression).
fn support_counts(a: &Analysis) -> Vec<f64> {
    use crate::analysis::kde::{Kernel, kde};
    let p = &a.prepared;
    let ones = crate::analysis::points::Points {
        x_m: p.points.x_m.clone(),
        y_m: p.points.y_m.clone(),
        w: vec![1.0; p.points.len()],
    };
    let r = p.params.kernel.support_m(p.params.bandwidth_m);
    match kde(&ones, &p.grid, Kernel::Uniform, r) {
        // The uniform kernel is 1 / (pi r^2) per incident within r; density is per km^2.
        Ok(s) => s.density_per_km2.iter().map(|d| (d / 1e6 * std::f64::consts::PI * r * r).round()).collect(),
        Err(_) => vec![0.0; p.grid.n_cells()],
    }
}

/// The density layer: cells (or blocks of cells at low zoom, averaged) with `density_per_km2` and `expected`.
pub fn density(state: &AppState, a: &Analysis, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "density");
    let grid = &a.surface.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let support = state.config.public.then(|| a.support_counts.get_or_init(|| support_counts(a)));
    let min = f64::from(state.config.min_count);
    for (r, c) in block_starts(range) {
        let (mut sum, mut n, mut support_max) = (0.0, 0usize, 0.0f64);
        for i in block_cells(grid, r, c, block) {
            sum += a.surface.density_per_km2[i];
            n += 1;
            if let Some(s) = support {
                support_max = support_max.max(s[i]);
            }
        }
        let mean = sum / (block * block) as f64;
        if n == 0 || mean <= 0.0 || (support.is_some() && support_max < min) {
            continue;
        }
        if let Some(ring) = lattice.ring(r, c) {
            let expected = mean * (grid.cell_m * block as f64).powi(2) / 1e6;
            layer.add_polygon(
                &[ring],
                &[("density_per_km2", PropValue::Double(mean)), ("expected", PropValue::Double(expected))],
            );
        }
    }
    layer
}

/// Gi* for a band, cached in the analysis.
pub fn gistar_for(
    a: &Analysis,
    band_m: f64,
) -> Result<Arc<crate::analysis::pipeline::GridGiStar>, super::error::AppError> {
    let key = band_m.to_bits();
    if let Some(g) = a.gistar.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(g);
    }
    let g = Arc::new(a.prepared.gistar(band_m, GiStarOptions::default())?);
    if let Ok(mut m) = a.gistar.lock() {
        m.insert(key, g.clone());
    }
    Ok(g)
}

/// The Gi* layer: study cells with a value or a non-zero bin, with `z`, `p`, `bin` (and `count` unless public).
pub fn gistar(
    state: &AppState,
    a: &Analysis,
    t: TileId,
    projector: &Projector,
    band_m: f64,
) -> Result<TileLayer, super::error::AppError> {
    let mut layer = TileLayer::new(t, "gistar");
    let g = gistar_for(a, band_m)?;
    let grid = &g.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return Ok(layer) };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = f64::from(state.config.min_count);
    for (r, c) in block_starts(range) {
        // In a block, the cell with the largest |z| speaks for it.
        let shown =
            block_cells(grid, r, c, block).filter(|&i| g.study[i] && (g.values[i] != 0.0 || g.result.bin[i] != 0));
        let Some(i) = best_cell(shown, |i, b| g.result.z[i].abs() > g.result.z[b].abs()) else { continue };
        if state.config.public && g.values[i] < min {
            continue;
        }
        if let Some(ring) = lattice.ring(r, c) {
            let props = [
                ("z", PropValue::Double(g.result.z[i])),
                ("p", PropValue::Double(g.result.p[i])),
                ("bin", PropValue::Int(i64::from(g.result.bin[i]))),
                ("count", PropValue::Double(g.values[i])),
            ];
            layer.add_polygon(&[ring], &props);
        }
    }
    Ok(layer)
}

/// Hotspots for a rule, cached in the analysis.
pub fn hotspots_for(
    state: &AppState,
    a: &Analysis,
    method: &str,
    band_m: f64,
    top_share: f64,
    rank_by: RankBy,
) -> Result<Arc<crate::analysis::hotspots::HotspotSet>, super::error::AppError> {
    let key = format!("{method}/{}/{}/{rank_by:?}", band_m.to_bits(), top_share.to_bits());
    if let Some(h) = a.hotspots.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(h);
    }
    let (rule, gi) = match method {
        "gistar" => (CellRule::GiStarHot, Some(gistar_for(a, band_m)?)),
        _ => (CellRule::TopShare(top_share), None),
    };
    let set =
        Arc::new(a.prepared.hotspots(&state.ds, &a.surface, gi.as_deref(), rule, rank_by, &state.harm_by_category)?);
    if let Ok(mut m) = a.hotspots.lock() {
        m.insert(key, set.clone());
    }
    Ok(set)
}

/// The hotspots layer: outlines with their facts (public: no streets, small ones left out).
pub fn hotspots(state: &AppState, set: &crate::analysis::hotspots::HotspotSet, t: TileId) -> TileLayer {
    let mut layer = TileLayer::new(t, "hotspots");
    let [w, s, e, n] = tile_bounds_lonlat(t);
    for h in &set.hotspots {
        if state.config.public && h.incidents < u64::from(state.config.min_count) {
            continue;
        }
        let inside =
            h.outline_lonlat.iter().flatten().flatten().any(|p| p[0] >= w && p[0] <= e && p[1] >= s && p[1] <= n);
        let bbox_overlap = {
            let pts = h.outline_lonlat.iter().flatten().flatten();
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for p in pts {
                x0 = x0.min(p[0]);
                y0 = y0.min(p[1]);
                x1 = x1.max(p[0]);
                y1 = y1.max(p[1]);
            }
            x0 <= e && x1 >= w && y0 <= n && y1 >= s
        };
        if !inside && !bbox_overlap {
            continue;
        }
        let top_category = h.categories.first().map(|c| c.name.clone()).unwrap_or_default();
        let mut props = vec![
            ("id", PropValue::Text(h.id.clone())),
            ("rank", PropValue::Uint(h.rank as u64)),
            ("incidents", PropValue::Uint(h.incidents)),
            ("harm", PropValue::Double(h.harm)),
            ("pai", PropValue::Double(h.pai)),
            ("hit_rate", PropValue::Double(h.hit_rate)),
            ("area_m2", PropValue::Double(h.area_m2)),
            ("top_category", PropValue::Text(top_category)),
        ];
        if !state.config.public
            && let Some(l) = h.top_locations.first()
        {
            props.push(("top_street", PropValue::Text(l.name.clone())));
        }
        layer.add_multipolygon(&h.outline_lonlat, &props);
    }
    layer
}

/// Hexagon counts at a resolution, cached in the analysis.
fn hex_for(state: &AppState, a: &Analysis, resolution: u8) -> Result<Arc<HexCounts>, super::error::AppError> {
    if let Some(h) = a.hex.lock().ok().and_then(|m| m.get(&resolution).cloned()) {
        return Ok(h);
    }
    let weights = (a.prepared.params.weight == crate::analysis::points::WeightMode::Harm)
        .then_some(state.harm_by_category.as_slice());
    let h = Arc::new(
        hex_counts(&state.ds, &a.prepared.selection, weights, resolution)
            .map_err(|e| super::error::AppError::Internal(e.to_string()))?,
    );
    if let Ok(mut m) = a.hex.lock() {
        m.insert(resolution, h.clone());
    }
    Ok(h)
}

/// The hex layer: H3 cells at the resolution for the zoom, with `count` and `weight`.
pub fn hex(state: &AppState, a: &Analysis, t: TileId) -> Result<TileLayer, super::error::AppError> {
    let mut layer = TileLayer::new(t, "hex");
    let res = resolution_for_zoom(t.z);
    let counts = hex_for(state, a, res)?;
    let [w, s, e, n] = tile_bounds_lonlat(t);
    let (mw, mh) = ((e - w) * 0.1, (n - s) * 0.1);
    for h in &counts.cells {
        if state.config.public && h.count < state.config.min_count {
            continue;
        }
        let Ok((lon, lat)) = hex_centre_lonlat(h.index) else { continue };
        if lon < w - mw || lon > e + mw || lat < s - mh || lat > n + mh {
            continue;
        }
        let Ok(ring) = hex_boundary_lonlat(h.index) else { continue };
        let ring: Vec<[f64; 2]> = ring.into_iter().map(|(x, y)| [x, y]).collect();
        layer.add_polygon(
            &[ring],
            &[
                ("h3", PropValue::Text(format!("{:x}", h.index))),
                ("count", PropValue::Uint(u64::from(h.count))),
                ("weight", PropValue::Double(h.weight)),
            ],
        );
    }
    Ok(layer)
}

/// Incidents per area of an area layer for the analysis window, cached in the analysis.
pub fn area_counts(state: &AppState, a: &Analysis, layer_index: usize) -> Arc<Vec<u64>> {
    let al = &state.areas[layer_index];
    if let Some(c) = a.area_counts.lock().ok().and_then(|m| m.get(&al.name).cloned()) {
        return c;
    }
    let c = Arc::new(al.counts(state.ds.lon(), state.ds.lat(), &a.prepared.selection.indices));
    if let Ok(mut m) = a.area_counts.lock() {
        m.insert(al.name.clone(), c.clone());
    }
    c
}

/// An areas layer: outlines with `key`, `name` and `count` for the window (public: counts below the minimum are
/// left out, the outline stays).
pub fn areas(state: &AppState, counts: &[u64], t: TileId, layer_index: usize) -> TileLayer {
    let al = &state.areas[layer_index];
    let name = format!("areas-{}", al.name);
    let mut layer = TileLayer::new(t, &name);
    for (k, area) in al.areas.iter().enumerate() {
        let polys: Vec<Vec<Vec<[f64; 2]>>> = area
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
        let mut props = vec![("key", PropValue::Text(area.key.clone())), ("name", PropValue::Text(area.name.clone()))];
        if !state.config.public || counts[k] >= u64::from(state.config.min_count) {
            props.push(("count", PropValue::Uint(counts[k])));
        }
        layer.add_multipolygon(&polys, &props);
    }
    layer
}
