//! `density`: the kernel density surface, cells (or blocks of cells at low zoom, averaged) with `density_per_km2`
//! and `expected` (incidents expected in the cell). Public mode leaves out cells with fewer than `min_count`
//! incidents within the kernel's reach.

use super::cells::{block_cells, block_starts, cells_in_tile_min_px, min_block_px};
use super::{LayerDef, LayerInfo, fields};
use crate::analysis::outline::trace_cells;
use crate::analysis::spec::{DensitySpec, HotspotRule, breaks_for_level};
use crate::geo::Projector;
use crate::grid::Grid;
use crate::server::context::{Analysis, Context};
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer};
use serde_json::json;

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

/// What a density tile is drawn from: the surface's grid and values per km², and in public mode the incidents
/// within the kernel's reach of each cell with the fewest a cell must have to be shown.
pub(crate) struct DensityCells<'a> {
    pub grid: &'a Grid,
    pub density_per_km2: &'a [f64],
    pub suppress: Option<(&'a [f64], f64)>,
}

/// The density layer: the cells (or, where cells are too small to see, square blocks of cells aligned with the
/// grid, each shown at the **mean** density of its area: its cells' expected incidents over its km², cells outside
/// the grid counting as zero) classed into bands by `breaks` (band 0 below the first break, band k from
/// `breaks[k-1]`), and the cells of each band merged into polygons: one feature per band with `band`, `from` and
/// (but the top band) `to`, per km². A block's band is therefore that of its average density, never of a peak
/// within it: at a national zoom a small hotspot is diluted over its block, as a legend in incidents per km²
/// says. Merging keeps a tile small however fine the grid. Public mode leaves out blocks none of whose cells has
/// `min_count` incidents within the kernel's reach.
pub(crate) fn density_tile(s: &DensityCells, t: TileId, projector: &Projector, breaks: &[f64]) -> TileLayer {
    density_tile_px(s, t, projector, breaks, min_block_px(t.z))
}

/// [`density_tile`] with blocks at least `min_block_px` tile units wide.
fn density_tile_px(s: &DensityCells, t: TileId, projector: &Projector, breaks: &[f64], min_block_px: f64) -> TileLayer {
    let mut layer = TileLayer::new(t, "density");
    let grid = s.grid;
    let Some(range) = cells_in_tile_min_px(grid, projector, t, min_block_px) else { return layer };
    let block = range.4;
    // The blocks as cells of a coarser grid aligned with the analysis grid.
    let blocks = Grid {
        origin_x_m: grid.origin_x_m,
        origin_y_m: grid.origin_y_m,
        cell_m: grid.cell_m * block as f64,
        rows: grid.rows.div_ceil(block),
        cols: grid.cols.div_ceil(block),
        crs: grid.crs.clone(),
    };
    let mut by_band: Vec<Vec<usize>> = vec![Vec::new(); breaks.len() + 1];
    for (r, c) in block_starts(range) {
        let (mut sum, mut n, mut support_max) = (0.0, 0usize, 0.0f64);
        for i in block_cells(grid, r, c, block) {
            sum += s.density_per_km2[i];
            n += 1;
            if let Some((support, _)) = s.suppress {
                support_max = support_max.max(support[i]);
            }
        }
        let mean = sum / (block * block) as f64;
        if n == 0 || mean <= 0.0 || s.suppress.is_some_and(|(_, min)| support_max < min) {
            continue;
        }
        let band = breaks.partition_point(|&b| b <= mean);
        by_band[band].push((r / block) * blocks.cols + c / block);
    }
    for (band, cells) in by_band.iter().enumerate() {
        if cells.is_empty() {
            continue;
        }
        let outline = trace_cells(&blocks, cells);
        let polys: Vec<Vec<Vec<[f64; 2]>>> = outline
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|ring| {
                        ring.0
                            .iter()
                            .map(|c| projector.to_lonlat(c.x, c.y).map_or([f64::NAN, f64::NAN], |(x, y)| [x, y]))
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let from = if band == 0 { 0.0 } else { breaks[band - 1] };
        let mut props = vec![("band", PropValue::Uint(band as u64)), ("from", PropValue::Double(from))];
        if let Some(&to) = breaks.get(band) {
            props.push(("to", PropValue::Double(to)));
        }
        layer.add_multipolygon(&polys, &props);
    }
    layer
}

/// The density layer of an analysis (see [`density_tile`]).
fn density(ctx: &Context, a: &Analysis, t: TileId, projector: &Projector, breaks: &[f64]) -> TileLayer {
    let support = ctx.config.public.then(|| a.support_counts.get_or_init(|| support_counts(a)));
    let cells = DensityCells {
        grid: &a.surface.grid,
        density_per_km2: &a.surface.density_per_km2,
        suppress: support.map(|s| (s.as_slice(), f64::from(ctx.config.min_count))),
    };
    density_tile(&cells, t, projector, breaks)
}

pub(super) struct Density;

impl LayerDef for Density {
    type Spec = DensitySpec;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "density".into(),
            title: "Concentration (heat map)".into(),
            help: "Where incidents are densest, smoothed over the area around each one.".into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[("band", "Number"), ("from", "Number"), ("to", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 10,
            default_on: true,
            // Bands: the page sends `breaks` (fractions of the hotspot level of the list it shows, fixed while a
            // playback runs), so the legend and the tiles agree.
            style: json!({"kind": "bands", "property": "band", "parameter": "breaks",
                "colours": ["rgba(255,237,160,0.35)", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#e31a1c", "#800026"],
                "breaks_from": {"field": "density_level_per_km2", "times": [0.1, 0.25, 0.5, 0.75, 1, 2],
                    "label": "hotspot level", "at": 4},
                "unit": "incidents per km²", "unit_harm": "harm per km²",
                "popup": [{"field": "from", "label": "Incidents per km²", "format": "band"}]}),
        }
    }

    fn build(&self, ctx: &Context, spec: &DensitySpec, t: TileId) -> Result<TileLayer, AppError> {
        let Some(a) = ctx.analysis(&spec.analysis)? else { return Ok(TileLayer::new(t, "density")) };
        let breaks = match &spec.breaks {
            Some(b) => b.clone(),
            // The analysis's own: fractions of the density level of its default rule (cached with the analysis).
            None => breaks_for_level(ctx.density_level(&a, &HotspotRule::default())?.unwrap_or(0.0)),
        };
        Ok(density(ctx, &a, t, &ctx.projector()?, &breaks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::server::layers::cells::COARSE_BLOCK_PX;
    use crate::tiles::{EXTENT, tile_bounds_lonlat, tile_for_lonlat, tile_px_to_lonlat};
    use geo::Contains;

    const BREAKS: [f64; 6] = [1.0, 10.0, 25.0, 50.0, 75.0, 90.0];

    /// A national month's surface: England and Wales in 1 km cells (the automatic grid of a national window), the
    /// values a deterministic speckle from 0 to 100 per km² with a seventh of the cells empty, so the bands break
    /// into as many pieces as they can.
    fn national() -> (Grid, Vec<f64>, Projector) {
        let crs = CrsDef::utm_for(-2.0, 52.9);
        let projector = Projector::new(&crs).unwrap();
        let corners: Vec<(f64, f64)> = [(-6.0, 49.8), (2.0, 49.8), (-6.0, 56.0), (2.0, 56.0)]
            .iter()
            .map(|&(lon, lat)| projector.from_lonlat(lon, lat).unwrap())
            .collect();
        let x0 = corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min).floor();
        let y0 = corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min).floor();
        let x1 = corners.iter().map(|c| c.0).fold(f64::NEG_INFINITY, f64::max);
        let y1 = corners.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
        let cell_m = 1000.0;
        let (cols, rows) = (((x1 - x0) / cell_m).ceil() as usize, ((y1 - y0) / cell_m).ceil() as usize);
        let grid = Grid::new(x0, y0, cell_m, rows, cols, &crs).unwrap();
        let values = (0..grid.n_cells())
            .map(|i| {
                let h = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
                if h.is_multiple_of(7) { 0.0 } else { (h % 1000) as f64 / 10.0 }
            })
            .collect();
        (grid, values, projector)
    }

    /// The features of a tile as (band, polygons in tile units).
    fn decode(layer: TileLayer) -> Vec<(u64, geo::MultiPolygon<f32>)> {
        let Some(bytes) = layer.encode().unwrap() else { return Vec::new() };
        let reader = mvt_reader::Reader::new(bytes).unwrap();
        reader
            .get_features(0)
            .unwrap()
            .into_iter()
            .map(|f| {
                let band = match f.properties.as_ref().and_then(|p| p.get("band")) {
                    Some(mvt_reader::feature::Value::UInt(b)) => *b,
                    other => panic!("band {other:?}"),
                };
                let polys = match f.geometry {
                    geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                    geo::Geometry::MultiPolygon(m) => m,
                    other => panic!("not a polygon: {other:?}"),
                };
                (band, polys)
            })
            .collect()
    }

    /// Polygons and vertices of a decoded tile.
    fn size(features: &[(u64, geo::MultiPolygon<f32>)]) -> (usize, usize) {
        let polygons = features.iter().map(|(_, m)| m.0.len()).sum();
        let vertices = features
            .iter()
            .flat_map(|(_, m)| &m.0)
            .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
            .sum();
        (polygons, vertices)
    }

    #[test]
    fn a_national_z8_tile_is_bounded_and_each_block_shows_the_band_of_its_cells_mean() {
        let (grid, values, projector) = national();
        let cells = DensityCells { grid: &grid, density_per_km2: &values, suppress: None };
        let t = tile_for_lonlat(-1.5, 52.5, 8).unwrap();
        let features = decode(density_tile(&cells, t, &projector, &BREAKS));
        let (polygons, vertices) = size(&features);
        // At most (4096 / 64 + 3)^2 blocks meet the tile and its buffer; a speckled surface gives about one polygon
        // for every four of them (1,008 here). The 32-unit rule draws every cell: 3,639 polygons.
        assert!(polygons <= 1_500 && vertices <= 12_000, "{polygons} polygons, {vertices} vertices");
        let (old_polygons, _) = size(&decode(density_tile_px(&cells, t, &projector, &BREAKS, 32.0)));
        assert!(old_polygons > 1_500, "the bound catches the 32-unit rule: {old_polygons} polygons");

        // The brute-force reference: the block size, from the tile's width at its centre latitude, and for points
        // of a lattice over the tile the band of the plain mean of the block's cells.
        let [w, s, e, n] = tile_bounds_lonlat(t);
        let (xw, _) = projector.from_lonlat(w, (s + n) / 2.0).unwrap();
        let (xe, _) = projector.from_lonlat(e, (s + n) / 2.0).unwrap();
        let cell_px = grid.cell_m / (xe - xw) * f64::from(EXTENT);
        let block = (COARSE_BLOCK_PX / cell_px).ceil() as usize;
        assert_eq!(cells_in_tile_min_px(&grid, &projector, t, COARSE_BLOCK_PX).unwrap().4, block);
        assert_eq!(block, 2, "a 1 km cell is about 43 units at z8 at 52.5 N");
        // The rule is every grid layer's (Gi*, change, emerging draw their blocks from cells_in_tile): 2 x 2 at z8,
        // cell by cell from z11.
        assert_eq!(crate::server::layers::cells::cells_in_tile(&grid, &projector, t).unwrap().4, block);
        let z11 = tile_for_lonlat(-1.5, 52.5, 11).unwrap();
        assert_eq!(crate::server::layers::cells::cells_in_tile(&grid, &projector, z11).unwrap().4, 1);
        let size_m = grid.cell_m * block as f64;
        let (mut checked, mut shown) = (0, 0);
        for i in 0..64 {
            for j in 0..64 {
                let (px, py) = ((f64::from(i) + 0.5) * 64.0, (f64::from(j) + 0.5) * 64.0);
                let (lon, lat) = tile_px_to_lonlat(t, px, py);
                let (x, y) = projector.from_lonlat(lon, lat).unwrap();
                let (fx, fy) = ((x - grid.origin_x_m) / size_m, (y - grid.origin_y_m) / size_m);
                let near_edge = |f: f64| (f - f.floor()).min(f.ceil() - f) < 0.15;
                if near_edge(fx) || near_edge(fy) {
                    continue;
                }
                let (bc, br) = (fx.floor() as usize, fy.floor() as usize);
                let mut sum = 0.0;
                for r in br * block..(br + 1) * block {
                    for c in bc * block..(bc + 1) * block {
                        if r < grid.rows && c < grid.cols {
                            sum += values[r * grid.cols + c];
                        }
                    }
                }
                let mean = sum / (block * block) as f64;
                let expected = (mean > 0.0).then(|| BREAKS.iter().filter(|&&b| b <= mean).count() as u64);
                let p = geo::Point::new(px as f32, py as f32);
                let found: Vec<u64> = features.iter().filter(|(_, m)| m.contains(&p)).map(|(b, _)| *b).collect();
                assert!(found.len() <= 1, "({px}, {py}) in bands {found:?}");
                assert_eq!(found.first().copied(), expected, "({px}, {py}): block mean {mean}");
                checked += 1;
                shown += usize::from(expected.is_some());
            }
        }
        assert!(checked > 1_000 && shown > checked / 2, "{checked} points checked, {shown} in a band");
    }
}
