//! `density`: the kernel density surface, cells (or blocks of cells at low zoom, averaged) with `density_per_km2`
//! and `expected` (incidents expected in the cell). Public mode leaves out cells with fewer than `min_count`
//! incidents within the kernel's reach.

use super::cells::{Lattice, block_cells, block_starts, cells_in_tile};
use super::{LayerDef, LayerInfo, fields};
use crate::analysis::pipeline::AnalysisParams;
use crate::geo::Projector;
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

/// The density layer: cells (or blocks of cells at low zoom, averaged) with `density_per_km2` and `expected`.
fn density(ctx: &Context, a: &Analysis, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "density");
    let grid = &a.surface.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let support = ctx.config.public.then(|| a.support_counts.get_or_init(|| support_counts(a)));
    let min = f64::from(ctx.config.min_count);
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

pub(super) struct Density;

impl LayerDef for Density {
    type Spec = AnalysisParams;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "density".into(),
            title: "Concentration (heat map)".into(),
            help: "Where incidents are densest, smoothed over the area around each one.".into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[("density_per_km2", "Number"), ("expected", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 10,
            default_on: true,
            style: json!({"kind": "sequential", "property": "density_per_km2",
                "colours": ["#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#e31a1c", "#800026"],
                "below": "rgba(255,237,160,0.35)", "unit": "incidents per km²", "unit_harm": "harm per km²",
                "popup": [{"field": "density_per_km2", "label": "Incidents per km²", "format": "number1"},
                          {"field": "expected", "label": "Expected in this square", "format": "number2"}]}),
        }
    }

    fn build(&self, ctx: &Context, spec: &AnalysisParams, t: TileId) -> Result<TileLayer, AppError> {
        Ok(match ctx.analysis(spec)? {
            Some(a) => density(ctx, &a, t, &ctx.projector()?),
            None => TileLayer::new(t, "density"),
        })
    }
}
