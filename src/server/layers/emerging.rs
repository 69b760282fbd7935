//! `emerging`: emerging hot spot classes of the cells of a space-time cube.

use super::cells::{Lattice, best_cell, block_cells, block_starts, cells_in_tile};
use super::{LayerDef, LayerInfo, fields};
use crate::analysis::emerging::EmergingClass;
use crate::analysis::emerging::cube::EmergingRun;
use crate::analysis::spec::EmergingSpec;
use crate::geo::Projector;
use crate::server::context::Context;
use crate::server::error::AppError;
use crate::tiles::{PropValue, TileId, TileLayer};
use serde_json::json;

/// The emerging layer: cells with a class other than "no pattern", with `class` (snake case), `name`, `hot_steps`,
/// `cold_steps`, `mk_z` and `incidents`. Blocks of cells at low zoom take the class of their busiest classed cell.
/// Public mode leaves out cells with fewer than `min_count` incidents.
fn emerging_layer(ctx: &Context, run: &EmergingRun, t: TileId, projector: &Projector) -> TileLayer {
    let mut layer = TileLayer::new(t, "emerging");
    let grid = &run.grid;
    let Some(range) = cells_in_tile(grid, projector, t) else { return layer };
    let block = range.4;
    let mut lattice = Lattice::new(grid, projector, range);
    let min = f64::from(ctx.config.min_count);
    let locs = &run.result.locations;
    for (r, c) in block_starts(range) {
        let classed = block_cells(grid, r, c, block).filter(|&i| locs[i].class != EmergingClass::NoPattern);
        let Some(i) = best_cell(classed, |i, b| locs[i].total > locs[b].total) else { continue };
        let l = &run.result.locations[i];
        if ctx.config.public && l.total < min {
            continue;
        }
        let code = l.class.code();
        if let Some(ring) = lattice.ring(r, c) {
            let mut props = vec![
                ("class", PropValue::Text(code)),
                ("name", PropValue::Text(l.class.name().to_owned())),
                ("hot_steps", PropValue::Int(i64::from(l.hot_steps))),
                ("cold_steps", PropValue::Int(i64::from(l.cold_steps))),
                ("incidents", PropValue::Double(l.total)),
            ];
            // No mk_z when the trend is undefined (too few steps, or a constant series): not the same as 0.
            if let Some(z) = l.mk_z {
                props.push(("mk_z", PropValue::Double(z)));
            }
            layer.add_polygon(&[ring], &props);
        }
    }
    layer
}

/// Each class's colour, strongest hot darkest red, strongest cold darkest blue.
fn class_colour(c: EmergingClass) -> &'static str {
    use EmergingClass as E;
    match c {
        E::NewHot => "#7f0000",
        E::IntensifyingHot => "#c4161c",
        E::ConsecutiveHot => "#ec5a2c",
        E::PersistentHot => "#f68d45",
        E::OscillatingHot => "#f9b55a",
        E::SporadicHot => "#fbd47f",
        E::DiminishingHot => "#d7a97c",
        E::HistoricalHot => "#e8d9c3",
        E::NewCold => "#08306b",
        E::IntensifyingCold => "#1c5ea8",
        E::ConsecutiveCold => "#3a86c4",
        E::PersistentCold => "#6baed6",
        E::OscillatingCold => "#94c4df",
        E::SporadicCold => "#b9d7ea",
        E::DiminishingCold => "#a9b8cc",
        E::HistoricalCold => "#d6e2ee",
        E::NoPattern => "#bdbdbd",
    }
}

pub(super) struct Emerging;

impl LayerDef for Emerging {
    type Spec = EmergingSpec;

    fn info(&self, _public: bool) -> LayerInfo {
        let classes: Vec<serde_json::Value> = EmergingClass::ALL
            .iter()
            .filter(|c| **c != EmergingClass::NoPattern)
            .map(|&c| json!({"value": c.code(), "colour": class_colour(c), "label": c.name()}))
            .collect();
        LayerInfo {
            name: "emerging".into(),
            title: "Emerging hot spots (trend over time)".into(),
            help: "How each square's hot or cold spots changed over the time steps of the window: new, \
                   intensifying, persistent, fading."
                .into(),
            minzoom: 8,
            maxzoom: 20,
            fields: fields(&[
                ("class", "String"),
                ("name", "String"),
                ("hot_steps", "Number"),
                ("cold_steps", "Number"),
                ("mk_z", "Number"),
                ("incidents", "Number"),
            ]),
            params: Vec::new(),
            mode: "map",
            order: 50,
            default_on: false,
            style: json!({"kind": "classes", "property": "class", "classes": classes,
                "popup": [{"field": "name", "label": "Class"},
                          {"field": "incidents", "label": "Incidents", "format": "int"},
                          {"field": "hot_steps", "label": "Hot steps", "format": "of_steps"},
                          {"field": "cold_steps", "label": "Cold steps", "format": "of_steps"},
                          {"field": "mk_z", "label": "Trend z (Mann-Kendall)", "format": "number2", "analyst": true}]}),
        }
    }

    fn check(&self, ctx: &Context, spec: &EmergingSpec) -> Result<(), AppError> {
        // A period finer than the data's precision fails here, once, rather than in every tile.
        ctx.emerging_for(spec).map(|_| ())
    }

    fn build(&self, ctx: &Context, spec: &EmergingSpec, t: TileId) -> Result<TileLayer, AppError> {
        Ok(match ctx.emerging_for(spec)? {
            Some(run) => emerging_layer(ctx, &run, t, &ctx.projector()?),
            None => TileLayer::new(t, "emerging"),
        })
    }
}
