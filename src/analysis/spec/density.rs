//! The density tile request: the surface, and the class breaks its cells are banded by (so the bands, and the
//! legend, stay the same across windows when the page fixes them).

use super::values::{number, push_opt};
use super::{AnalysisParams, ParamDoc, Params, SpecError};
use serde::Serialize;

/// Most breaks in a list.
pub(crate) const MAX_BREAKS: usize = 12;

/// A density surface banded by class breaks (the `density` tile layer).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DensitySpec {
    /// The surface: incidents, grid, kernel, weight.
    pub analysis: AnalysisParams,
    /// Lower edges of the bands above the first, per km², strictly increasing (`None`: from the analysis: 0.1, 0.25,
    /// 0.5, 0.75, 1 and 2 times its hotspot level, each to two significant figures).
    pub breaks: Option<Vec<f64>>,
}

/// The default band edges for a hotspot level `t` per km² (0.1, 0.25, 0.5, 0.75, 1 and 2 times it, each to two
/// significant figures); empty when `t` is not positive.
pub fn breaks_for_level(t: f64) -> Vec<f64> {
    if !(t > 0.0 && t.is_finite()) {
        return Vec::new();
    }
    [0.1, 0.25, 0.5, 0.75, 1.0, 2.0].iter().map(|f| two_sig(f * t)).collect()
}

/// `v` to two significant figures, as JavaScript's `Number(v.toPrecision(2))`.
fn two_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let e = v.abs().log10().floor() as i32 - 1;
    let p = 10f64.powi(e.abs());
    if e >= 0 { (v / p).round() * p } else { (v * p).round() / p }
}

fn parse_breaks(name: &str, value: &str) -> Result<Vec<f64>, SpecError> {
    let v: Vec<f64> = value.split(',').map(|s| number(name, s)).collect::<Result<_, _>>()?;
    if v.is_empty() || v.len() > MAX_BREAKS {
        return Err(SpecError::new(name, value, format!("give 1 to {MAX_BREAKS} numbers separated by commas")));
    }
    if v.iter().any(|x| !(*x > 0.0 && x.is_finite())) || v.windows(2).any(|w| w[1] <= w[0]) {
        return Err(SpecError::new(name, value, "give positive numbers in increasing order"));
    }
    Ok(v)
}

impl Params for DensitySpec {
    fn docs() -> Vec<ParamDoc> {
        let mut d = AnalysisParams::docs();
        d.push(ParamDoc {
            name: "breaks",
            value: "LIST",
            help: "Density tiles: lower edges of the colour bands per km2, increasing, comma separated (default: 0.1, \
                   0.25, 0.5, 0.75, 1 and 2 times the hotspot level of the analysis)",
            repeated: false,
            group: "Grid and kernel",
        });
        d
    }

    fn set(&mut self, name: &str, value: &str) -> Result<bool, SpecError> {
        match name {
            "breaks" => self.breaks = Some(parse_breaks(name, value)?),
            _ => return self.analysis.set(name, value),
        }
        Ok(true)
    }

    fn pairs(&self, all: bool, out: &mut Vec<(&'static str, String)>) {
        self.analysis.pairs(all, out);
        push_opt(out, all, "breaks", &self.breaks, |v| v.iter().map(|x| format!("{x}")).collect::<Vec<_>>().join(","));
    }

    fn check(&self) -> Result<(), SpecError> {
        self.analysis.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::spec::{canonical, from_pairs};

    #[test]
    fn breaks_read_checked_and_written_back() {
        let p: DensitySpec = from_pairs([("breaks", "1.5, 3,10"), ("from", "2024-01")], |_| false).unwrap();
        assert_eq!(p.breaks, Some(vec![1.5, 3.0, 10.0]));
        assert_eq!(canonical(&p), "from=2024-01-01T00%3A00%3A00Z&breaks=1.5%2C3%2C10");
        for bad in ["", "3,2", "0,1", "1,x", "1,1"] {
            assert!(from_pairs::<DensitySpec>([("breaks", bad)], |_| false).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_breaks_are_fractions_of_the_level_to_two_figures() {
        assert_eq!(breaks_for_level(1234.0), vec![120.0, 310.0, 620.0, 930.0, 1200.0, 2500.0]);
        assert_eq!(breaks_for_level(3.456), vec![0.35, 0.86, 1.7, 2.6, 3.5, 6.9]);
        assert!(breaks_for_level(0.0).is_empty());
    }
}
