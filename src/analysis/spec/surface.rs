//! The surface every spatial analysis starts from: the window and categories, then `cell_m`, `bandwidth_m`,
//! `kernel` and `weight`.

use super::values::{Limits, is_auto, metres, parsed, push, push_opt, text};
use super::{ParamDoc, Params, SpecError};
use crate::analysis::kde::Kernel;
use crate::analysis::points::WeightMode;
use crate::model::Query;
use serde::Serialize;

const GROUP: &str = "Grid and kernel";

/// The surface of an analysis: which incidents, on which grid, smoothed how, weighted how (`None` = choose
/// automatically, and say how).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct AnalysisParams {
    /// The incidents: window and categories.
    pub query: Query,
    /// Grid cell size, in metres (`None`: automatic).
    pub cell_m: Option<f64>,
    /// KDE bandwidth, in metres (`None`: automatic).
    pub bandwidth_m: Option<f64>,
    /// The KDE kernel.
    pub kernel: Kernel,
    /// What each incident weighs (count or harm).
    pub weight: WeightMode,
    /// A boundary layer's name: only incidents inside it are analysed, and the study area is its cells
    /// ([`crate::analysis::study_boundary`]); `None`: the hull of the incidents, strays left out.
    pub study_area: Option<String>,
}

impl Params for AnalysisParams {
    fn docs() -> Vec<ParamDoc> {
        let mut d = Query::docs();
        d.extend([
            ParamDoc {
                name: "cell_m",
                value: "METRES",
                help: "Grid cell size, metres (default: automatic, printed with the result)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "bandwidth_m",
                value: "METRES",
                help: "Kernel bandwidth, metres (default: automatic, printed with the result)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "kernel",
                value: "KERNEL",
                help: "Kernel shape: quartic (default), epanechnikov, triangular, uniform or gaussian",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "weight",
                value: "WEIGHT",
                help: "count (default): each incident counts 1; harm: weighted by the harm of its category",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "study_area",
                value: "LAYER",
                help: "A boundary layer (areas import, or served with --areas): only incidents inside it are analysed \
                       and the study area is its cells (default: the hull of the incidents, strays left out)",
                repeated: false,
                group: GROUP,
            },
        ]);
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "cell_m" => {
                self.cell_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::CELL_M)?) };
            }
            "bandwidth_m" => {
                self.bandwidth_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::BANDWIDTH_M)?) };
            }
            "kernel" => self.kernel = parsed(name, value)?,
            "weight" => self.weight = parsed(name, value)?,
            "study_area" => {
                let v = value.trim();
                self.study_area = if is_auto(v) || v.is_empty() {
                    None
                } else if v.len() > 200 || v.chars().any(char::is_control) {
                    return Err(SpecError::new(name, value, "give the name of a boundary layer"));
                } else {
                    Some(v.to_owned())
                };
            }
            _ => return self.query.set(name, value),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = AnalysisParams::default();
        self.query.pairs(all, out);
        push_opt(out, all, "cell_m", &self.cell_m, |v| text(*v));
        push_opt(out, all, "bandwidth_m", &self.bandwidth_m, |v| text(*v));
        push(out, all, "kernel", &self.kernel, &d.kernel, |k| k.name().to_owned());
        push(out, all, "weight", &self.weight, &d.weight, |w| w.name().to_owned());
        push_opt(out, all, "study_area", &self.study_area, |s| s.clone());
    }

    fn check(&self) -> Result<(), SpecError> {
        self.query.check()
    }
}
