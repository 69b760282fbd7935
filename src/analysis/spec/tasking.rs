//! The tasking list (`tasking`, `/api/tasking`): `at`, `window`, `top`, `min_separation_m`, the categories, weight
//! and ranking, and the street-scale grid its candidates are drawn on.

use super::hotspot::{Method, predictor};
use super::values::{
    Limits, distance, instant, instant_text, is_auto, metres, parsed, push, push_opt, share, text, whole,
};
use super::{ParamDoc, Params, SpecError};
use crate::analysis::hotspots::RankBy;
use crate::analysis::points::WeightMode;
use crate::analysis::predict::PredictMethod;
use crate::model::window::WindowLength;
use serde::Serialize;

const GROUP: &str = "Tasking";

/// Parameters of [`crate::analysis::tasking::tasking`] (the request's one description: defaults in its `Default`,
/// parameters read and written
/// by [`crate::analysis::spec::Params`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskingParams {
    /// The end of the window (the start of the period being planned); `None` = the end of the data (rounded up to
    /// midnight UTC).
    pub at_s: Option<i64>,
    /// The length of the window looked back over, before `at_s`.
    pub window: WindowLength,
    /// How many places to list.
    pub top: usize,
    /// The least distance between two listed places, in metres.
    pub min_separation_m: f64,
    /// Categories (all when empty).
    pub categories: Vec<String>,
    /// What each incident weighs (count or harm).
    pub weight: WeightMode,
    /// `None`: rank as the weight.
    pub rank_by: Option<RankBy>,
    /// Grid cell size, in metres (`None`: automatic).
    pub cell_m: Option<f64>,
    /// KDE bandwidth, in metres (`None`: automatic).
    pub bandwidth_m: Option<f64>,
    /// Share of the study area taken as hot cells.
    pub top_share: f64,
    /// How hot cells are chosen: `predict` (the default: the cells most likely to see incidents next) or `kde` (the
    /// densest cells of the window); `gistar` is not a tasking rule.
    pub method: Method,
    /// With `predict`: the prediction method (`None`: the backtest's choice on the store's history).
    pub predictor: Option<PredictMethod>,
    /// Near-repeat zones: the incidents of this many days before `at` whose neighbourhood is still at raised risk
    /// ([`crate::analysis::nearrepeat::alert`]); 0 leaves them out.
    pub nr_days: usize,
}

impl Default for TaskingParams {
    fn default() -> Self {
        TaskingParams {
            at_s: None,
            window: WindowLength::Days(28),
            top: 10,
            min_separation_m: 400.0,
            categories: Vec::new(),
            weight: WeightMode::Count,
            rank_by: None,
            // Street scale: places a patrol can cover.
            cell_m: Some(50.0),
            bandwidth_m: Some(250.0),
            top_share: crate::analysis::spec::DEFAULT_TOP_SHARE,
            method: Method::Predict,
            predictor: None,
            // Two weeks: the time between fortnightly tasking meetings, and about the risk duration of burglary
            // near repeats (Johnson & Bowers 2004).
            nr_days: 14,
        }
    }
}

impl TaskingParams {
    /// The ranking: as given, else as the weight.
    pub fn rank_by(&self) -> RankBy {
        self.rank_by.unwrap_or(match self.weight {
            WeightMode::Count => RankBy::Count,
            WeightMode::Harm => RankBy::Harm,
        })
    }
}

impl Params for TaskingParams {
    fn docs() -> Vec<ParamDoc> {
        let doc = |name, value, help| ParamDoc { name, value, help, repeated: false, group: GROUP };
        let surface = super::AnalysisParams::docs();
        let pick = |name: &str| surface.iter().find(|d| d.name == name).copied();
        let mut d = vec![
            doc(
                "at",
                "TIME",
                "The start of the period being planned; the window ends here (default: the end of the data)",
            ),
            doc("window", "LENGTH", "Length of the window before at: Nd, Nw or Nm, e.g. 28d, 4w, 3m (default 28d)"),
            doc("top", "N", "How many candidates (default 10)"),
            doc("min_separation_m", "METRES", "Candidates whose centres are closer than this merge (default 400)"),
        ];
        d.extend(pick("category"));
        d.extend(pick("weight"));
        d.push(doc("rank_by", "RANK", "Rank candidates by count or harm (default: as the weight)"));
        d.push(doc("cell_m", "METRES", "Grid cell, metres (default 50: street scale, places a patrol can cover)"));
        d.push(doc("bandwidth_m", "METRES", "Kernel bandwidth, metres (default 250)"));
        d.push(doc("top_share", "SHARE", "Share of the study area taken as hot cells (default 0.01)"));
        d.push(doc(
            "method",
            "METHOD",
            "predict (default): the cells most likely to see incidents next, by the method that did best in a \
             backtest on the store's history; kde: the densest cells of the window",
        ));
        d.push(doc(
            "predictor",
            "METHOD",
            "predict: the prediction method, as backtest names them (default: the backtest's choice)",
        ));
        d.push(doc(
            "nr_days",
            "DAYS",
            "Near-repeat zones: the incidents of this many days before at whose neighbours are still at raised risk \
             (default 14; 0 leaves them out; needs dates, not months)",
        ));
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "at" => self.at_s = if is_auto(value) { None } else { Some(instant(name, value)?) },
            "window" => self.window = parsed(name, value)?,
            "top" => self.top = whole(name, value, 1, Limits::TOP)?,
            "min_separation_m" => self.min_separation_m = distance(name, value)?,
            "category" => {
                let mut q =
                    crate::model::Query { categories: std::mem::take(&mut self.categories), ..Default::default() };
                q.set(name, value)?;
                self.categories = q.categories;
            }
            "weight" => self.weight = parsed(name, value)?,
            "rank_by" => self.rank_by = if is_auto(value) { None } else { Some(parsed(name, value)?) },
            "cell_m" => self.cell_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::CELL_M)?) },
            "bandwidth_m" => {
                self.bandwidth_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::BANDWIDTH_M)?) }
            }
            "top_share" => self.top_share = share(name, value, false)?,
            "method" => {
                self.method = parsed(name, value)?;
                if self.method == Method::GiStar {
                    return Err(SpecError::new(name, value, "tasking takes predict or kde"));
                }
            }
            "predictor" => self.predictor = predictor(name, value)?,
            "nr_days" => self.nr_days = super::nearrepeat::nr_days(name, value, 0)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = TaskingParams::default();
        push_opt(out, all, "at", &self.at_s, |t| instant_text(*t));
        push(out, all, "window", &self.window, &d.window, |w| w.code());
        push(out, all, "top", &self.top, &d.top, |n| n.to_string());
        push(out, all, "min_separation_m", &self.min_separation_m, &d.min_separation_m, |v| text(*v));
        for c in &self.categories {
            out.push(("category", c.clone()));
        }
        push(out, all, "weight", &self.weight, &d.weight, |w| w.name().to_owned());
        push_opt(out, all, "rank_by", &self.rank_by, |r| r.name().to_owned());
        push(out, all, "cell_m", &self.cell_m, &d.cell_m, |v| v.map_or_else(|| "auto".to_owned(), text));
        push(out, all, "bandwidth_m", &self.bandwidth_m, &d.bandwidth_m, |v| v.map_or_else(|| "auto".to_owned(), text));
        push(out, all, "top_share", &self.top_share, &d.top_share, |v| text(*v));
        push(out, all, "method", &self.method, &d.method, |m| m.name().to_owned());
        push_opt(out, all, "predictor", &self.predictor, |m| m.to_string());
        push(out, all, "nr_days", &self.nr_days, &d.nr_days, |n| n.to_string());
    }
}
