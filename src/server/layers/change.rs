//! `change`: the change map of two windows (compare mode), cells with any incident in either window.

use super::cells::{Lattice, best_cell, block_cells, block_starts, cells_in_tile};
use super::{LayerDef, LayerInfo, fields};
use crate::analysis::compare::ChangeGrid;
use crate::analysis::spec::CompareSpec;
use crate::geo::Projector;
use crate::server::context::Context;
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer};
use serde_json::json;

/// The change layer: cells with any incident in either window, with `before`, `after`, `difference` (after minus
/// before scaled to the after window), `p` and `significant` (+1 rose, -1 fell, 0 neither, after the FDR
/// correction). Where a cell spans fewer tile units than the zoom's smallest block (32, or 64 below zoom 11), blocks
/// of cells are merged: counts and differences add up, and the block's `p` and `significant` are those of its most
/// significant cell. Public mode leaves out cells with fewer than `min_count` incidents in both windows together.
fn change_layer(ctx: &Context, cg: &ChangeGrid, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "change");
    let grid = &cg.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = u64::from(ctx.config.min_count);
    let cells = &cg.map.cells;
    for (r, c) in block_starts(range) {
        let tested = || block_cells(grid, r, c, block).filter(|&i| cells[i].before + cells[i].after > 0);
        let Some(b) = best_cell(tested(), |i, b| cells[i].p < cells[b].p) else { continue };
        let before: u64 = tested().map(|i| u64::from(cells[i].before)).sum();
        let after: u64 = tested().map(|i| u64::from(cells[i].after)).sum();
        let diff: f64 = tested().map(|i| cells[i].difference).sum();
        if ctx.config.public && before + after < min {
            continue;
        }
        if let Some(ring) = lattice.ring(r, c) {
            layer.add_polygon(
                &[ring],
                &[
                    ("before", PropValue::Double(before as f64)),
                    ("after", PropValue::Double(after as f64)),
                    ("difference", PropValue::Double(diff)),
                    ("p", PropValue::Double(cells[b].p)),
                    ("significant", PropValue::Int(i64::from(cells[b].significant))),
                ],
            );
        }
    }
    layer
}

pub(super) struct Change;

impl LayerDef for Change {
    type Spec = CompareSpec;

    fn info(&self, _public: bool) -> LayerInfo {
        LayerInfo {
            name: "change".into(),
            title: "Change: before to after".into(),
            help: "Squares with fewer (blue) or more (red) incidents after than before; outlined where the change is \
                   significant."
                .into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[
                ("before", "Number"),
                ("after", "Number"),
                ("difference", "Number"),
                ("p", "Number"),
                ("significant", "Number"),
            ]),
            params: Vec::new(),
            mode: "compare",
            order: 40,
            default_on: true,
            style: json!({"kind": "diverging", "property": "difference", "significant": "significant",
                "fall": ["#2166ac", "#67a9cf", "#d1e5f0"], "same": "#f2f2f2", "rise": ["#fddbc7", "#ef8a62", "#b2182b"],
                "outline": {"rise": "#67001f", "fall": "#053061"},
                "unit": "after minus before, in the after window's length",
                "popup": [{"field": "before", "label": "Incidents before", "format": "int"},
                          {"field": "after", "label": "Incidents after", "format": "int"},
                          {"field": "p", "label": "p-value (exact test)", "format": "number4", "analyst": true}]}),
        }
    }

    fn check(&self, _ctx: &Context, spec: &CompareSpec) -> Result<(), AppError> {
        spec.windows()?;
        Ok(())
    }

    fn build(&self, ctx: &Context, spec: &CompareSpec, t: TileId) -> Result<TileLayer, AppError> {
        Ok(match ctx.change_for(spec)? {
            Some(cg) => change_layer(ctx, &cg, t, &ctx.projector()?),
            None => TileLayer::new(t, "change"),
        })
    }
}
