//! A comparison of two windows (`compare`, `/api/compare`, the `change` tile layer): `before`, `after`, the shared
//! categories and surface, a hotspot of the before window as the target, its buffer, and the change map's false
//! discovery rate.

use super::AnalysisParams;
use super::hotspot::HotspotRule;
use super::values::{distance, instant_text, push, push_opt, share, text, window};
use super::{ParamDoc, Params, SpecError};
use crate::model::{Query, Window};
use serde::Serialize;

const GROUP: &str = "Comparison";

/// The change map's default false discovery rate.
pub const DEFAULT_FDR_Q: f64 = 0.05;
/// The default width of the buffer around a target, metres.
pub const DEFAULT_BUFFER_M: f64 = 250.0;

/// Two windows compared, and how their target is chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareSpec {
    /// The before window (required: `None` is refused when the comparison runs).
    pub before: Option<Window>,
    /// The after window (required).
    pub after: Option<Window>,
    /// Categories (shared by both windows), and the grid, kernel and weight of the hotspot target and of the change
    /// map. Its `from`/`to` are not parameters of a comparison (the windows are).
    pub analysis: AnalysisParams,
    /// How the hotspot target's cells were chosen (as `find` chose them over the before window).
    pub rule: HotspotRule,
    /// The target: a hotspot id of the before window.
    pub hotspot: Option<String>,
    /// Width of the buffer around the target, metres.
    pub buffer_m: f64,
    /// False discovery rate of the change map.
    pub fdr_q: f64,
}

impl Default for CompareSpec {
    fn default() -> Self {
        CompareSpec {
            before: None,
            after: None,
            analysis: AnalysisParams::default(),
            rule: HotspotRule::default(),
            hotspot: None,
            buffer_m: DEFAULT_BUFFER_M,
            fdr_q: DEFAULT_FDR_Q,
        }
    }
}

impl CompareSpec {
    /// Both windows (checked by [`Params::check`]).
    pub fn windows(&self) -> Result<(Window, Window), SpecError> {
        let need = |w: Option<Window>, name: &str| {
            w.ok_or_else(|| SpecError::new(name, "", "required: FROM..TO, e.g. 2024-01..2024-04"))
        };
        Ok((need(self.before, "before")?, need(self.after, "after")?))
    }

    /// The surface of the hotspot target: the before window, the categories, the grid.
    pub fn before_analysis(&self, before: Window) -> AnalysisParams {
        AnalysisParams {
            query: Query {
                from_s: Some(before.from_s),
                to_s: Some(before.to_s),
                categories: self.analysis.query.categories.clone(),
                ..Default::default()
            },
            ..self.analysis.clone()
        }
    }
}

fn window_text(w: &Window) -> String {
    format!("{}..{}", instant_text(w.from_s), instant_text(w.to_s))
}

impl Params for CompareSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = vec![
            ParamDoc {
                name: "before",
                value: "FROM..TO",
                help: "The window before (TO exclusive), e.g. 2024-01..2024-02",
                repeated: false,
                group: GROUP,
            },
            ParamDoc { name: "after", value: "FROM..TO", help: "The window after", repeated: false, group: GROUP },
        ];
        d.extend(AnalysisParams::docs().into_iter().filter(|p| p.name != "from" && p.name != "to"));
        d.extend(HotspotRule::docs());
        d.extend([
            ParamDoc {
                name: "hotspot",
                value: "ID",
                help: "The target: a hotspot of the before window (its id from find, with the same grid and rule)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "buffer_m",
                value: "METRES",
                help: "Width of the buffer around the target, metres (default 250)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "fdr_q",
                value: "Q",
                help: "False discovery rate of the change map (default 0.05)",
                repeated: false,
                group: GROUP,
            },
        ]);
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "before" => self.before = Some(window(name, value)?),
            "after" => self.after = Some(window(name, value)?),
            "hotspot" => {
                let v = value.trim();
                self.hotspot = (!v.is_empty()).then(|| v.to_owned());
            }
            "buffer_m" => self.buffer_m = distance(name, value)?,
            "fdr_q" => self.fdr_q = share(name, value, true)?,
            "from" | "to" => return Ok(false),
            _ => return Ok(self.analysis.set(name, value)? || self.rule.set(name, value)?),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = CompareSpec::default();
        push_opt(out, all, "before", &self.before, window_text);
        push_opt(out, all, "after", &self.after, window_text);
        let mut analysis = Vec::new();
        self.analysis.pairs(all, &mut analysis);
        out.extend(analysis.into_iter().filter(|(k, _)| *k != "from" && *k != "to"));
        self.rule.pairs(all, out);
        push_opt(out, all, "hotspot", &self.hotspot, String::clone);
        push(out, all, "buffer_m", &self.buffer_m, &d.buffer_m, |v| text(*v));
        push(out, all, "fdr_q", &self.fdr_q, &d.fdr_q, |v| text(*v));
    }

    fn check(&self) -> Result<(), SpecError> {
        self.windows().map(|_| ())
    }
}
