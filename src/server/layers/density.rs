//! `density`: the kernel density surface, cells (or blocks of cells at low zoom, averaged) with `density_per_km2`
//! and `expected` (incidents expected in the cell). Public mode leaves out cells with fewer than `min_count`
//! incidents within the kernel's reach.

use super::cells::{block_cells, block_starts, cells_in_tile};
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

/// The density layer: the cells (or blocks of cells at low zoom, their mean) classed into bands by `breaks` (band 0
/// below the first break, band k from `breaks[k-1]`), and the cells of each band merged into polygons: one feature
/// per band with `band`, `from` and (but the top band) `to`, per km². Merging keeps a tile small however fine the
/// grid. Public mode leaves out cells with fewer than `min_count` incidents within the kernel's reach.
fn density(ctx: &Context, a: &Analysis, t: TileId, projector: &Projector, breaks: &[f64]) -> TileLayer {
    let mut layer = TileLayer::new(t, "density");
    let grid = &a.surface.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
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
    let support = ctx.config.public.then(|| a.support_counts.get_or_init(|| support_counts(a)));
    let min = f64::from(ctx.config.min_count);
    let mut by_band: Vec<Vec<usize>> = vec![Vec::new(); breaks.len() + 1];
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
