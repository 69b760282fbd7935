//! When crime happens (`/api/when`, the page's "When" panel): the window and categories, optionally one hotspot
//! (found with the same surface and rule as the hotspot list, so its id is the list's), the clock's time zone, and
//! the Monte Carlo test of the concentration sentence.

use super::hotspot::HotspotRule;
use super::values::{Limits, number, push, whole};
use super::{AnalysisParams, ParamDoc, Params, SpecError};
use serde::Serialize;

const GROUP: &str = "When";

/// The request of an hour-of-week table ([`crate::analysis::when`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhenSpec {
    /// The window, categories (and `bbox`, the map's view), and the surface the hotspot is found on.
    pub analysis: AnalysisParams,
    /// How the hotspot's cells are chosen (as the hotspot list chose them).
    pub rule: HotspotRule,
    /// Only the incidents in this hotspot's cells (its id from the hotspot list with the same settings).
    pub hotspot: Option<String>,
    /// The IANA time zone of the clock hours.
    pub timezone: String,
    /// Monte Carlo draws of the uniform null.
    pub draws: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// The concentration sentence is given when p <= alpha.
    pub alpha: f64,
}

impl WhenSpec {
    /// Default Monte Carlo draws (p can reach 1/200 = 0.005).
    pub const DEFAULT_DRAWS: usize = 199;
    /// Default seed of the draws.
    pub const DEFAULT_SEED: u64 = 1;
    /// Default significance level of the concentration sentence.
    pub const DEFAULT_ALPHA: f64 = 0.05;
    /// Default time zone: UTC, which is the data's own clock when it was ingested without a time zone.
    pub const DEFAULT_TIMEZONE: &'static str = "UTC";

    /// The time zone, parsed (the value was checked when it was set).
    pub fn tz(&self) -> Result<chrono_tz::Tz, SpecError> {
        parse_tz("timezone", &self.timezone)
    }
}

fn parse_tz(name: &str, value: &str) -> Result<chrono_tz::Tz, SpecError> {
    value
        .trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| SpecError::new(name, value, "not a time zone: give an IANA name such as Europe/London or UTC"))
}

impl Default for WhenSpec {
    fn default() -> Self {
        WhenSpec {
            analysis: AnalysisParams::default(),
            rule: HotspotRule::default(),
            hotspot: None,
            timezone: WhenSpec::DEFAULT_TIMEZONE.to_owned(),
            draws: WhenSpec::DEFAULT_DRAWS,
            seed: WhenSpec::DEFAULT_SEED,
            alpha: WhenSpec::DEFAULT_ALPHA,
        }
    }
}

impl Params for WhenSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = AnalysisParams::docs();
        d.extend(HotspotRule::docs());
        d.extend([
            ParamDoc {
                name: "hotspot",
                value: "ID",
                help: "Only the incidents in this hotspot (its id from the hotspot list with the same settings)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "timezone",
                value: "ZONE",
                help: "Time zone of the clock hours, an IANA name (default UTC: the data's own clock)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "draws",
                value: "N",
                help: "Monte Carlo draws of the uniform week for the concentration sentence (default 199)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc { name: "seed", value: "N", help: "Seed of the draws (default 1)", repeated: false, group: GROUP },
            ParamDoc {
                name: "alpha",
                value: "P",
                help: "The concentration sentence is given when p <= alpha (default 0.05)",
                repeated: false,
                group: GROUP,
            },
        ]);
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "hotspot" => {
                let v = value.trim();
                self.hotspot = (!v.is_empty()).then(|| v.to_owned());
            }
            "timezone" => {
                parse_tz(name, value)?;
                self.timezone = value.trim().to_owned();
            }
            "draws" => self.draws = whole(name, value, 1, Limits::PERMUTATIONS)?,
            "seed" => {
                self.seed = value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| SpecError::new(name, value, "give a whole number from 0 to 2^64 - 1"))?
            }
            "alpha" => {
                let a = number(name, value)?;
                if !(a > 0.0 && a < 1.0) {
                    return Err(SpecError::new(
                        name,
                        value,
                        "give a number between 0 and 1 (both excluded), e.g. 0.05",
                    ));
                }
                self.alpha = a;
            }
            _ => return Ok(self.analysis.set(name, value)? || self.rule.set(name, value)?),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = WhenSpec::default();
        self.analysis.pairs(all, out);
        self.rule.pairs(all, out);
        if let Some(id) = &self.hotspot {
            out.push(("hotspot", id.clone()));
        }
        push(out, all, "timezone", &self.timezone, &d.timezone, |v| v.clone());
        push(out, all, "draws", &self.draws, &d.draws, |v| v.to_string());
        push(out, all, "seed", &self.seed, &d.seed, |v| v.to_string());
        push(out, all, "alpha", &self.alpha, &d.alpha, |v| format!("{v}"));
    }

    fn check(&self) -> Result<(), SpecError> {
        self.analysis.check()
    }
}
