//! The window and categories of every request that selects incidents: `from`, `to`, `category`.

use super::values::{bbox, instant, instant_text, is_auto, push_opt, text};
use super::{ParamDoc, Params, SpecError};
use crate::model::Query;

pub(super) const GROUP: &str = "Window and categories";

impl Params for Query {
    fn docs() -> Vec<ParamDoc> {
        vec![
            ParamDoc {
                name: "from",
                value: "TIME",
                help: "Start of the window (inclusive): YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 time (default: the \
                       start of the data)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "to",
                value: "TIME",
                help: "End of the window (exclusive), same forms: 2024-04 ends at the start of April (default: the \
                       end of the data)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "bbox",
                value: "W,S,E,N",
                help: "Only incidents inside this box, WGS84 degrees west,south,east,north (a county or force area of \
                       a national store; default: everywhere)",
                repeated: false,
                group: GROUP,
            },
            ParamDoc {
                name: "category",
                value: "NAME",
                help: "Only this category (repeat for more; default: all)",
                repeated: true,
                group: GROUP,
            },
        ]
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "from" => self.from_s = if is_auto(value) { None } else { Some(instant(name, value)?) },
            "to" => self.to_s = if is_auto(value) { None } else { Some(instant(name, value)?) },
            "bbox" => self.bbox_lonlat = if is_auto(value) { None } else { Some(bbox(name, value)?) },
            "category" => {
                // Names may contain commas, so one value is one category; empty values are passed over.
                let v = value.trim();
                if !v.is_empty() && !self.categories.iter().any(|c| c == v) {
                    self.categories.push(v.to_owned());
                    self.categories.sort();
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        push_opt(out, all, "from", &self.from_s, |t| instant_text(*t));
        push_opt(out, all, "to", &self.to_s, |t| instant_text(*t));
        push_opt(out, all, "bbox", &self.bbox_lonlat, |b| b.map(text).join(","));
        for c in &self.categories {
            out.push(("category", c.clone()));
        }
    }

    fn check(&self) -> Result<(), SpecError> {
        if let (Some(f), Some(t)) = (self.from_s, self.to_s)
            && f >= t
        {
            return Err(SpecError::new(
                "from",
                &instant_text(f),
                format!("the window must start before it ends (to={})", instant_text(t)),
            ));
        }
        Ok(())
    }
}
