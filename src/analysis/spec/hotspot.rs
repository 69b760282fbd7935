//! Which cells are hot and how places are ranked ([`HotspotRule`]), and the requests built on a surface: hotspots
//! ([`HotspotSpec`]), Gi* ([`GiStarSpec`]) and H3 hexagons ([`HexSpec`]).

use super::AnalysisParams;
use super::values::{Limits, flag, is_auto, metres, number, parsed, push, push_opt, share, text, whole};
use super::{ParamDoc, Params, SpecError};
use crate::analysis::hotspots::{CellRule, RankBy};
use crate::analysis::points::WeightMode;
use crate::analysis::predict::{MethodParseError, PredictMethod};
use serde::{Deserialize, Serialize};

const RULE: &str = "Hotspot rule";
const GISTAR: &str = "Gi*";

/// How hot cells are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The cells most likely to see incidents next: scored by the prediction method that caught most of the next
    /// period in a backtest on the store's own history ([`crate::analysis::backtest::choose_method`]), or the one
    /// given as `predictor`; a share of the study area.
    #[default]
    Predict,
    /// The densest cells of the kernel density surface (a share of the study area, or above a density).
    Kde,
    /// Cells hot at 95% confidence or more by Getis-Ord Gi*, after the false discovery rate correction.
    GiStar,
}

impl Method {
    /// The method's name as parsed and written in settings (`predict`, `kde`, `gistar`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Predict => "predict",
            Method::Kde => "kde",
            Method::GiStar => "gistar",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "predict" => Ok(Method::Predict),
            "kde" => Ok(Method::Kde),
            "gistar" | "gi*" => Ok(Method::GiStar),
            _ => Err("give predict (the cells most likely to see incidents next), kde (the densest cells) or gistar \
                      (cells hot by Gi*)"
                .to_owned()),
        }
    }
}

impl std::str::FromStr for RankBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "count" => Ok(RankBy::Count),
            "harm" => Ok(RankBy::Harm),
            _ => Err("give count or harm".to_owned()),
        }
    }
}

impl RankBy {
    /// The name as parsed and written in settings (`count`, `harm`).
    pub fn name(self) -> &'static str {
        match self {
            RankBy::Count => "count",
            RankBy::Harm => "harm",
        }
    }
}

/// A `predictor` value: a prediction method in `backtest`'s syntax, checked; `auto` (or empty) for the backtest's
/// choice.
pub(super) fn predictor(name: &str, value: &str) -> Result<Option<PredictMethod>, SpecError> {
    if is_auto(value) {
        return Ok(None);
    }
    let m: PredictMethod =
        value.trim().parse().map_err(|e: MethodParseError| SpecError::new(name, value, e.problem))?;
    m.validate().map_err(|problem| SpecError::new(name, value, problem))?;
    Ok(Some(m))
}

/// The share of the study area taken as hot by default (1%: a patrol-sized list of places).
pub const DEFAULT_TOP_SHARE: f64 = 0.01;

/// The cell side of `predict` when none is given, metres: the scale of a patrol, and the cells the backtest measured
/// the methods on ([`crate::analysis::backtest::DEFAULT_CELL_M`]).
pub const PREDICT_CELL_M: f64 = 50.0;

/// Above this many cells at [`PREDICT_CELL_M`] (a region rather than a patch: 25 million cells is 62,500 km2), the
/// automatic cell size is used instead, with a note.
pub const PREDICT_MAX_CELLS: f64 = 25e6;

/// Which cells are hot, and how the places they form are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HotspotRule {
    /// How hot cells are chosen.
    pub method: Method,
    /// With `predict`: the prediction method (`None`: the one the backtest chooses on the store's history).
    pub predictor: Option<PredictMethod>,
    /// With `predict` and `kde`: the share of the study area's cells taken as hot.
    pub top_share: f64,
    /// With `kde`, instead of `top_share`: cells at or above this density per km².
    pub density_cut: Option<f64>,
    /// With `gistar`: the distance band, metres (`None`: the kernel bandwidth).
    pub band_m: Option<f64>,
    /// What places are ranked by (`None`: the surface's weight, so a harm map ranks by harm).
    pub rank_by: Option<RankBy>,
}

impl Default for HotspotRule {
    fn default() -> Self {
        HotspotRule {
            method: Method::Predict,
            predictor: None,
            top_share: DEFAULT_TOP_SHARE,
            density_cut: None,
            band_m: None,
            rank_by: None,
        }
    }
}

impl HotspotRule {
    /// The rule for choosing cells.
    pub fn cell_rule(&self) -> CellRule {
        match (self.method, self.density_cut) {
            (Method::GiStar, _) => CellRule::GiStarHot,
            (Method::Predict, _) => CellRule::Predicted(self.top_share),
            (Method::Kde, Some(cut)) => CellRule::Cut(cut),
            (Method::Kde, None) => CellRule::TopShare(self.top_share),
        }
    }

    /// The ranking for a surface of this weight.
    pub fn rank_by(&self, weight: WeightMode) -> RankBy {
        self.rank_by.unwrap_or(match weight {
            WeightMode::Count => RankBy::Count,
            WeightMode::Harm => RankBy::Harm,
        })
    }

    /// The Gi* band: the one given, else the bandwidth.
    pub fn band_m(&self, bandwidth_m: f64) -> f64 {
        self.band_m.unwrap_or(bandwidth_m)
    }
}

impl Params for HotspotRule {
    fn docs() -> Vec<ParamDoc> {
        vec![
            ParamDoc {
                name: "method",
                value: "METHOD",
                help: "predict (default): the cells most likely to see incidents next, by the method that did best in \
                       a backtest on the store's history; kde: the densest cells; gistar: cells hot at 95% or more by \
                       Gi*",
                repeated: false,
                group: RULE,
            },
            ParamDoc {
                name: "predictor",
                value: "METHOD",
                help: "predict: the prediction method, as backtest names them (counts:3, blend:3650d:300:0.1:3; \
                       default: the backtest's choice)",
                repeated: false,
                group: RULE,
            },
            ParamDoc {
                name: "top_share",
                value: "SHARE",
                help: "predict and kde: the share of the study area taken as hot (default 0.01)",
                repeated: false,
                group: RULE,
            },
            ParamDoc {
                name: "density_cut",
                value: "PER_KM2",
                help: "kde, instead of top_share: cells at or above this density per km2",
                repeated: false,
                group: RULE,
            },
            ParamDoc {
                name: "band_m",
                value: "METRES",
                help: "Gi* distance band, metres (default: the bandwidth)",
                repeated: false,
                group: RULE,
            },
            ParamDoc {
                name: "rank_by",
                value: "RANK",
                help: "Rank places by count or harm (default: as the weight)",
                repeated: false,
                group: RULE,
            },
        ]
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "method" => self.method = parsed(name, value)?,
            "predictor" => self.predictor = predictor(name, value)?,
            "top_share" => self.top_share = share(name, value, false)?,
            "density_cut" => {
                self.density_cut = if is_auto(value) {
                    None
                } else {
                    let v = number(name, value)?;
                    if v < 0.0 {
                        return Err(SpecError::new(name, value, "give a density of 0 or more per km2"));
                    }
                    Some(v)
                };
            }
            "band_m" => self.band_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::BAND_M)?) },
            "rank_by" => self.rank_by = if is_auto(value) { None } else { Some(parsed(name, value)?) },
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = HotspotRule::default();
        push(out, all, "method", &self.method, &d.method, |m| m.name().to_owned());
        push_opt(out, all, "predictor", &self.predictor, |m| m.to_string());
        push(out, all, "top_share", &self.top_share, &d.top_share, |v| text(*v));
        push_opt(out, all, "density_cut", &self.density_cut, |v| text(*v));
        push_opt(out, all, "band_m", &self.band_m, |v| text(*v));
        push_opt(out, all, "rank_by", &self.rank_by, |r| r.name().to_owned());
    }
}

/// A request for ranked hotspots (`find`, `/api/hotspots`, the `hotspots` tile layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotspotSpec {
    /// The surface: incidents, grid, kernel, weight.
    pub analysis: AnalysisParams,
    /// Which cells are hot and how the places are ranked.
    pub rule: HotspotRule,
    /// How many places to list.
    pub top: usize,
}

impl Default for HotspotSpec {
    fn default() -> Self {
        HotspotSpec { analysis: AnalysisParams::default(), rule: HotspotRule::default(), top: 10 }
    }
}

impl Params for HotspotSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = AnalysisParams::docs();
        d.extend(HotspotRule::docs());
        d.push(ParamDoc {
            name: "top",
            value: "N",
            help: "How many places to list (default 10)",
            repeated: false,
            group: RULE,
        });
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        if name == "top" {
            self.top = whole(name, value, 1, Limits::TOP)?;
            return Ok(true);
        }
        Ok(self.analysis.set(name, value)? || self.rule.set(name, value)?)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        self.analysis.pairs(all, out);
        self.rule.pairs(all, out);
        push(out, all, "top", &self.top, &HotspotSpec::default().top, |n| n.to_string());
    }

    fn check(&self) -> Result<(), SpecError> {
        self.analysis.check()
    }
}

/// A Gi* request (`gistar`, the `gistar` tile layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiStarSpec {
    /// The surface the counts are taken on: incidents, grid, weight.
    pub analysis: AnalysisParams,
    /// Distance band, metres (`None`: the bandwidth).
    pub band_m: Option<f64>,
    /// Permutations for pseudo p-values (0: analytic only).
    pub permutations: usize,
    /// The permutations' random seed.
    pub seed: u64,
    /// Whether bins are corrected for the false discovery rate.
    pub fdr: bool,
}

impl Default for GiStarSpec {
    fn default() -> Self {
        GiStarSpec { analysis: AnalysisParams::default(), band_m: None, permutations: 0, seed: 1, fdr: true }
    }
}

fn permutation_docs() -> [ParamDoc; 2] {
    [
        ParamDoc {
            name: "permutations",
            value: "N",
            help: "Permutations for pseudo p-values beside the analytic ones (default 0: analytic only)",
            repeated: false,
            group: GISTAR,
        },
        ParamDoc {
            name: "seed",
            value: "N",
            help: "Seed of the permutations (default 1)",
            repeated: false,
            group: GISTAR,
        },
    ]
}

fn set_seed(name: &str, value: &str) -> Result<u64, SpecError> {
    value.trim().parse::<u64>().map_err(|_| SpecError::new(name, value, "give a whole number of 0 or more"))
}

impl Params for GiStarSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = AnalysisParams::docs();
        d.push(ParamDoc {
            name: "band_m",
            value: "METRES",
            help: "Gi* distance band, metres (default: the bandwidth)",
            repeated: false,
            group: GISTAR,
        });
        d.extend(permutation_docs());
        d.push(ParamDoc {
            name: "fdr",
            value: "BOOL",
            help: "Correct the bins for the false discovery rate (default true)",
            repeated: false,
            group: GISTAR,
        });
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "band_m" => self.band_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::BAND_M)?) },
            "permutations" => self.permutations = whole(name, value, 0, Limits::PERMUTATIONS)?,
            "seed" => self.seed = set_seed(name, value)?,
            "fdr" => self.fdr = flag(name, value)?,
            _ => return self.analysis.set(name, value),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = GiStarSpec::default();
        self.analysis.pairs(all, out);
        push_opt(out, all, "band_m", &self.band_m, |v| text(*v));
        push(out, all, "permutations", &self.permutations, &d.permutations, |n| n.to_string());
        push(out, all, "seed", &self.seed, &d.seed, |n| n.to_string());
        push(out, all, "fdr", &self.fdr, &d.fdr, |b| b.to_string());
    }

    fn check(&self) -> Result<(), SpecError> {
        self.analysis.check()
    }
}

/// An H3 request (`hex`, the `hex` tile layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexSpec {
    /// The incidents and weight (the grid and kernel are not used).
    pub analysis: AnalysisParams,
    /// H3 resolution, 0 (coarsest) to 15.
    pub resolution: u8,
    /// Gi* over k rings, when given.
    pub k: Option<u32>,
    /// Permutations for Gi*'s pseudo p-values (0: analytic only).
    pub permutations: usize,
    /// The permutations' random seed.
    pub seed: u64,
}

impl Default for HexSpec {
    fn default() -> Self {
        HexSpec { analysis: AnalysisParams::default(), resolution: 9, k: None, permutations: 0, seed: 1 }
    }
}

impl Params for HexSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = AnalysisParams::docs();
        d.push(ParamDoc {
            name: "resolution",
            value: "RES",
            help: "H3 resolution, 0 (coarsest) to 15; 8 to 10 suit street-level crime (default 9)",
            repeated: false,
            group: GISTAR,
        });
        d.push(ParamDoc {
            name: "k",
            value: "K",
            help: "Also compute Gi* with neighbourhoods of k rings (1 to 10)",
            repeated: false,
            group: GISTAR,
        });
        d.extend(permutation_docs());
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "resolution" => self.resolution = whole(name, value, 0, 15)? as u8,
            "k" => self.k = if is_auto(value) { None } else { Some(whole(name, value, 1, 10)? as u32) },
            "permutations" => self.permutations = whole(name, value, 0, Limits::PERMUTATIONS)?,
            "seed" => self.seed = set_seed(name, value)?,
            _ => return self.analysis.set(name, value),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = HexSpec::default();
        self.analysis.pairs(all, out);
        push(out, all, "resolution", &self.resolution, &d.resolution, |n| n.to_string());
        push_opt(out, all, "k", &self.k, |n| n.to_string());
        push(out, all, "permutations", &self.permutations, &d.permutations, |n| n.to_string());
        push(out, all, "seed", &self.seed, &d.seed, |n| n.to_string());
    }

    fn check(&self) -> Result<(), SpecError> {
        self.analysis.check()
    }
}
