//! Emerging hot spots (`emerging`, `/api/emerging`, the `emerging` tile layer): the surface's window, categories
//! and cell, the time step and the Gi* band.

use super::values::{Limits, is_auto, metres, parsed, push, push_opt, text};
use super::{ParamDoc, Params, SpecError};
use crate::analysis::emerging::EmergingOptions;
use crate::model::Query;
use crate::model::time::TimePrecision;
use serde::Serialize;

/// The request of an emerging hot spot analysis: which incidents, the time step, the grid and the Gi* band.
#[derive(Debug, Clone, PartialEq)]
pub struct EmergingSpec {
    /// The incidents: window and categories.
    pub query: Query,
    /// The length of each time step.
    pub period: Period,
    /// Grid cell size, in metres (`None`: automatic).
    pub cell_m: Option<f64>,
    /// Gi* distance band, in metres (`None`: automatic).
    pub band_m: Option<f64>,
    /// Gi* significance and trend options.
    pub options: EmergingOptions,
}

/// The length of a time step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Period {
    /// Seven days (steps are counted back from the window's end).
    Week,
    /// A calendar month.
    Month,
    /// A number of days (1 to 366).
    Days(u32),
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "week" | "weeks" | "1w" | "7d" => Ok(Period::Week),
            "month" | "months" | "1m" => Ok(Period::Month),
            _ => t
                .strip_suffix('d')
                .and_then(|n| n.parse::<u32>().ok())
                .filter(|n| (1..=366).contains(n))
                .map(Period::Days)
                .ok_or_else(|| format!("period '{s}' is not week, month or Nd (N days, 1 to 366), e.g. 14d")),
        }
    }
}

impl Period {
    /// The period as parsed and written in settings (`week`, `month`, `14d`).
    pub fn name(self) -> String {
        match self {
            Period::Week => "week".into(),
            Period::Month => "month".into(),
            Period::Days(n) => format!("{n}d"),
        }
    }

    /// The coarsest time precision this period can be built from.
    pub fn coarsest_precision(self) -> TimePrecision {
        match self {
            Period::Month => TimePrecision::Month,
            Period::Week | Period::Days(_) => TimePrecision::Day,
        }
    }

    /// The length in seconds; `None` for calendar months.
    pub fn seconds(self) -> Option<i64> {
        match self {
            Period::Week => Some(7 * 86_400),
            Period::Days(n) => Some(i64::from(n) * 86_400),
            Period::Month => None,
        }
    }
}

const GROUP: &str = "Emerging hot spots";

impl Default for EmergingSpec {
    fn default() -> Self {
        EmergingSpec {
            query: Query::default(),
            period: Period::Month,
            cell_m: None,
            band_m: None,
            options: EmergingOptions::default(),
        }
    }
}

impl Params for EmergingSpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = Query::docs();
        d.extend([
            ParamDoc {
                name: "period",
                value: "PERIOD",
                help: "The time step: month (default), week or Nd (N days)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "cell_m",
                value: "METRES",
                help: "Grid cell size, metres (default: automatic, printed)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "band_m",
                value: "METRES",
                help: "Gi* distance band, metres (default: automatic, printed)",
                repeated: false,
                group: GROUP,
            },
        ]);
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "period" => self.period = parsed(name, value)?,
            "cell_m" => self.cell_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::CELL_M)?) },
            "band_m" => self.band_m = if is_auto(value) { None } else { Some(metres(name, value, Limits::BAND_M)?) },
            _ => return self.query.set(name, value),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        self.query.pairs(all, out);
        push(out, all, "period", &self.period, &Period::Month, |p| p.name());
        push_opt(out, all, "cell_m", &self.cell_m, |v| text(*v));
        push_opt(out, all, "band_m", &self.band_m, |v| text(*v));
    }

    fn check(&self) -> Result<(), SpecError> {
        self.query.check()
    }
}
