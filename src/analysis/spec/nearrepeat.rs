//! Near-repeat zones as a request of their own (the `nearrepeat` tile layer): `at`, the categories and `nr_days`.
//! The tasking list asks for the same zones with its own `at`, categories and `nr_days`
//! ([`super::TaskingParams::nr_days`], whose default this request shares).

use super::values::{instant, instant_text, is_auto, push, push_opt, whole};
use super::{ParamDoc, Params, SpecError};
use serde::Serialize;

const GROUP: &str = "Near repeats";

/// Longest look-back for the source incidents of near-repeat zones, days.
pub const MAX_NR_DAYS: usize = 90;

/// Parameters of [`crate::analysis::nearrepeat::alert::near_repeat_alert`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRepeatSpec {
    /// The "as of" instant: zones hold incidents before it; `None` = the end of the data (rounded up to midnight
    /// UTC, as the tasking window).
    pub at_s: Option<i64>,
    /// The categories (each tested on its own); empty = the categories named like burglary.
    pub categories: Vec<String>,
    /// How many days back to look for source incidents.
    pub nr_days: usize,
}

impl Default for NearRepeatSpec {
    fn default() -> Self {
        NearRepeatSpec { at_s: None, categories: Vec::new(), nr_days: super::TaskingParams::default().nr_days }
    }
}

/// Reads `nr_days` from `lo` (0 turns the zones off where that is allowed) to [`MAX_NR_DAYS`].
pub(super) fn nr_days(name: &str, value: &str, lo: usize) -> Result<usize, SpecError> {
    whole(name, value, lo, MAX_NR_DAYS)
}

impl Params for NearRepeatSpec {
    fn docs() -> Vec<ParamDoc> {
        let doc = |name, value, help| ParamDoc { name, value, help, repeated: false, group: GROUP };
        vec![
            doc("at", "TIME", "Zones as of this instant (default: the end of the data)"),
            ParamDoc {
                name: "category",
                value: "NAME",
                help: "A category, tested on its own (repeatable; default: the categories named like burglary)",
                repeated: true,
                group: GROUP,
            },
            doc("nr_days", "DAYS", "Near-repeat zones: the incidents of this many days before at (default 14)"),
        ]
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "at" => self.at_s = if is_auto(value) { None } else { Some(instant(name, value)?) },
            "category" => {
                let mut q =
                    crate::model::Query { categories: std::mem::take(&mut self.categories), ..Default::default() };
                q.set(name, value)?;
                self.categories = q.categories;
            }
            "nr_days" => self.nr_days = nr_days(name, value, 1)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        let d = NearRepeatSpec::default();
        push_opt(out, all, "at", &self.at_s, |t| instant_text(*t));
        for c in &self.categories {
            out.push(("category", c.clone()));
        }
        push(out, all, "nr_days", &self.nr_days, &d.nr_days, |n| n.to_string());
    }
}
