//! One typed description of every analysis request.
//!
//! Each request (hotspots, a density surface, Gi*, hexagons, a comparison, emerging hot spots, the tasking list) is
//! a struct with one `Default` impl: the defaults live there and nowhere else. Every parameter is described once, in
//! its group's [`Params`] impl: its name, what it means, how its text is read and checked. The command line builds
//! its flags from those descriptions (`cell_m` is `--cell-m`) and the server reads its query strings with them, so
//! both accept the same values, refuse the same values with the same message, and name the parameter at fault.
//!
//! The canonical form of a request ([`canonical`]: the parameters that differ from the defaults, in a fixed order,
//! each value written one way) is the key of every cache, the query string of tile URLs, and the "settings used"
//! printed beside every result, so the same request asked in any order or spelling is one request.
//!
//! Groups compose: [`crate::model::Query`] (window and categories), [`AnalysisParams`]
//! (the query plus grid, kernel, bandwidth and weight), [`HotspotRule`] (which cells are hot and how places are
//! ranked), and the requests built from them ([`HotspotSpec`], [`GiStarSpec`], [`HexSpec`], [`CompareSpec`],
//! [`EmergingSpec`], [`TaskingParams`], [`WhenSpec`], [`NearRepeatSpec`]).

mod compare;
mod density;
mod emerging;
mod filter;
mod hotspot;
mod nearrepeat;
mod surface;
mod tasking;
mod values;
mod when;

pub use compare::CompareSpec;
pub use compare::{DEFAULT_BUFFER_M, DEFAULT_FDR_Q};
pub use density::{DensitySpec, breaks_for_level};
pub use emerging::{EmergingSpec, Period};
pub use hotspot::{
    DEFAULT_TOP_SHARE, GiStarSpec, HexSpec, HotspotRule, HotspotSpec, Method, PREDICT_CELL_M, PREDICT_MAX_CELLS,
};
pub use nearrepeat::{MAX_NR_DAYS, NearRepeatSpec};
pub use surface::AnalysisParams;
pub use tasking::TaskingParams;
pub use values::Limits;
pub use when::WhenSpec;

use serde::Serialize;

/// A parameter that could not be used: which, the text given, and what is wrong with it. Names the parameter as the
/// library knows it (`cell_m`); the command line says `--cell-m`, the server `cell_m=`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{parameter}={value}: {problem}")]
pub struct SpecError {
    /// The parameter's library name (`cell_m`).
    pub parameter: String,
    /// The text given.
    pub value: String,
    /// What is wrong with it, for people.
    pub problem: String,
}

impl SpecError {
    /// A parameter error from the parameter's name, the text given and the problem.
    pub fn new(parameter: &str, value: &str, problem: impl Into<String>) -> SpecError {
        SpecError { parameter: parameter.to_owned(), value: value.to_owned(), problem: problem.into() }
    }
}

/// How one parameter is described to people (command-line help, `/api/meta`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamDoc {
    /// The parameter's name (`cell_m`): the query-string key; the flag is the same with dashes (`--cell-m`).
    pub name: &'static str,
    /// What the value looks like (`METRES`, `FROM..TO`).
    pub value: &'static str,
    /// What it means, and its default when that is not a fixed value.
    pub help: &'static str,
    /// Whether it may be given more than once (each adds a value).
    pub repeated: bool,
    /// The help heading it is listed under.
    pub group: &'static str,
}

/// A group of parameters: read one at a time from text, written back in canonical form.
pub trait Params: Default + Clone {
    /// The parameters, in canonical order.
    fn docs() -> Vec<ParamDoc>;
    /// Set one parameter from its text. `Ok(false)` when `name` is not one of this group's parameters.
    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError>;
    /// The parameters whose values differ from the defaults (all of them with `all`), as (name, text) pairs in
    /// canonical order. Reading them back with [`Params::set`] gives the same value.
    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>);
    /// Checks that involve more than one parameter, once all are set.
    fn check(&self) -> Result<(), SpecError> {
        Ok(())
    }
}

/// The canonical form of a request: its non-default parameters as a query string, in canonical order.
pub fn canonical<P: Params>(p: &P) -> String {
    let mut pairs = Vec::new();
    p.pairs(false, &mut pairs);
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Every parameter with its value, defaults included, for "settings used".
pub fn settings<P: Params>(p: &P) -> Vec<(&'static str, String)> {
    let mut pairs = Vec::new();
    p.pairs(true, &mut pairs);
    pairs
}

/// Every parameter any request takes, each once, in a stable order.
pub fn all_docs() -> Vec<ParamDoc> {
    let mut docs = Vec::new();
    let mut add = |more: Vec<ParamDoc>| {
        for d in more {
            if !docs.iter().any(|k: &ParamDoc| k.name == d.name) {
                docs.push(d);
            }
        }
    };
    add(HotspotSpec::docs());
    add(GiStarSpec::docs());
    add(HexSpec::docs());
    add(DensitySpec::docs());
    add(CompareSpec::docs());
    add(EmergingSpec::docs());
    add(TaskingParams::docs());
    add(WhenSpec::docs());
    add(NearRepeatSpec::docs());
    docs
}

/// Read `(name, value)` pairs into a request of type `P`, then run its cross-parameter checks. A name `P` does not
/// take is refused unless `ignore(name)` says to pass over it (a server route ignores the parameters of other
/// routes, which pages share in one query string).
pub fn from_pairs<'a, P: Params>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ignore: impl Fn(&str) -> bool,
) -> Result<P, SpecError> {
    let mut p = P::default();
    for (k, v) in pairs {
        if !p.set(k, v)? && !ignore(k) {
            let names: Vec<&str> = P::docs().iter().map(|d| d.name).collect();
            return Err(SpecError::new(k, v, format!("unknown parameter; the parameters are {}", names.join(", "))));
        }
    }
    p.check()?;
    Ok(p)
}

#[cfg(test)]
mod tests;
