//! `gistar`: Getis-Ord Gi* on the analysis grid with a distance band, study cells with a value or a non-zero bin,
//! with `z`, `p`, `bin` and `count`. Public mode leaves out cells with fewer than `min_count` incidents.

use super::cells::{Lattice, best_cell, block_cells, block_starts, cells_in_tile};
use super::{LayerDef, LayerInfo, fields};
use crate::analysis::spec::GiStarSpec;
use crate::geo::Projector;
use crate::server::context::{Analysis, Context};
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer};
use serde_json::json;

/// The Gi* layer: study cells with a value or a non-zero bin, with `z`, `p`, `bin` (and `count` unless public).
fn gistar(ctx: &Context, a: &Analysis, t: TileId, projector: &Projector, band_m: f64) -> Result<TileLayer, AppError> {
    let mut layer = TileLayer::new(t, "gistar");
    let g = a.gistar_for(band_m)?;
    let grid = &g.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return Ok(layer) };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = f64::from(ctx.config.min_count);
    for (r, c) in block_starts(range) {
        // In a block, the cell with the largest |z| speaks for it.
        let shown =
            block_cells(grid, r, c, block).filter(|&i| g.study[i] && (g.values[i] != 0.0 || g.result.bin[i] != 0));
        let Some(i) = best_cell(shown, |i, b| g.result.z[i].abs() > g.result.z[b].abs()) else { continue };
        if ctx.config.public && g.values[i] < min {
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

pub(super) struct GiStar;

impl LayerDef for GiStar {
    type Spec = GiStarSpec;

    fn info(&self, _public: bool) -> LayerInfo {
        let class = |value: i32, colour: &str, label: &str| json!({"value": value, "colour": colour, "label": label});
        LayerInfo {
            name: "gistar".into(),
            title: "Hot and cold spots (statistical test)".into(),
            help: "Squares with far more (red) or fewer (blue) incidents nearby than chance would give.".into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[("z", "Number"), ("p", "Number"), ("bin", "Number"), ("count", "Number")]),
            params: Vec::new(),
            mode: "map",
            order: 20,
            default_on: false,
            style: json!({"kind": "classes", "property": "bin", "classes": [
                class(3, "#b2182b", "Hot spot, 99% confidence"), class(2, "#ef8a62", "Hot spot, 95% confidence"),
                class(1, "#fddbc7", "Hot spot, 90% confidence"), class(-1, "#d1e5f0", "Cold spot, 90% confidence"),
                class(-2, "#67a9cf", "Cold spot, 95% confidence"), class(-3, "#2166ac", "Cold spot, 99% confidence")],
                "popup": [{"field": "count", "label": "Incidents in the square", "format": "int"},
                          {"field": "z", "label": "z-score", "format": "number2", "analyst": true},
                          {"field": "p", "label": "p-value", "format": "number4", "analyst": true}]}),
        }
    }

    fn build(&self, ctx: &Context, spec: &GiStarSpec, t: TileId) -> Result<TileLayer, AppError> {
        let Some(a) = ctx.analysis(&spec.analysis)? else { return Ok(TileLayer::new(t, "gistar")) };
        let band = spec.band_m.unwrap_or(a.prepared.params.bandwidth_m);
        gistar(ctx, &a, t, &ctx.projector()?, band)
    }
}
