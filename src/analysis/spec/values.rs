//! Reading and writing parameter values: one parser per kind of value, each with its limits, and one way of writing
//! each back (the canonical text).

use super::SpecError;
use crate::model::Window;
use crate::model::time::format_instant;

/// The ranges every request is held to. A value outside them is refused, naming the parameter: they keep a request
/// to something that can finish (a 1e-300 m cell would wrap the grid; a 1e9 m band would make every cell every
/// other cell's neighbour), whatever the data.
#[derive(Debug, Clone, Copy)]
pub struct Limits;

impl Limits {
    /// Smallest and largest grid cell, metres.
    pub const CELL_M: (f64, f64) = (1.0, 100_000.0);
    /// Smallest and largest kernel bandwidth, metres.
    pub const BANDWIDTH_M: (f64, f64) = (1.0, 100_000.0);
    /// Smallest and largest Gi* distance band, metres.
    pub const BAND_M: (f64, f64) = (1.0, 50_000.0);
    /// Largest buffer, separation or radius, metres.
    pub const DISTANCE_M: f64 = 100_000.0;
    /// Most hotspots or candidates listed.
    pub const TOP: usize = 1_000;
    /// Most Gi* permutations.
    pub const PERMUTATIONS: usize = 9_999;
}

/// A distance in metres within `(lo, hi)` (inclusive).
pub(super) fn metres(name: &str, value: &str, (lo, hi): (f64, f64)) -> Result<f64, SpecError> {
    let v = number(name, value)?;
    if v < lo || v > hi {
        return Err(SpecError::new(name, value, format!("give a distance from {} to {} metres", text(lo), text(hi))));
    }
    Ok(v)
}

/// A distance in metres from 0 to [`Limits::DISTANCE_M`].
pub(super) fn distance(name: &str, value: &str) -> Result<f64, SpecError> {
    metres(name, value, (0.0, Limits::DISTANCE_M))
}

/// A finite number.
pub(super) fn number(name: &str, value: &str) -> Result<f64, SpecError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| SpecError::new(name, value, "not a number"))
}

/// A share strictly above 0 and at most 1 (or below 1 with `below_one`).
pub(super) fn share(name: &str, value: &str, below_one: bool) -> Result<f64, SpecError> {
    let v = number(name, value)?;
    let ok = v > 0.0 && if below_one { v < 1.0 } else { v <= 1.0 };
    if !ok {
        let range = if below_one { "between 0 and 1 (both excluded)" } else { "above 0 and at most 1" };
        return Err(SpecError::new(name, value, format!("give a share {range}, e.g. 0.05")));
    }
    Ok(v)
}

/// A whole number from `lo` to `hi`.
pub(super) fn whole(name: &str, value: &str, lo: usize, hi: usize) -> Result<usize, SpecError> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| SpecError::new(name, value, format!("give a whole number from {lo} to {hi}")))
}

/// An instant: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or ISO 8601.
pub(super) fn instant(name: &str, value: &str) -> Result<i64, SpecError> {
    Window::parse_instant(value).map_err(|e| SpecError::new(name, value, e))
}

/// A window `FROM..TO`.
pub(super) fn window(name: &str, value: &str) -> Result<Window, SpecError> {
    Window::parse(value).map_err(|e| SpecError::new(name, value, e))
}

/// A box `W,S,E,N` in WGS84 degrees: four finite numbers, west below east, south below north, within range.
pub(super) fn bbox(name: &str, value: &str) -> Result<[f64; 4], SpecError> {
    let bad = |why: &str| SpecError::new(name, value, why.to_owned());
    let parts: Vec<f64> = value
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("give four numbers W,S,E,N in WGS84 degrees, e.g. -2.5,50.5,-1.7,51.0"))?;
    let &[w, s, e, n] = parts.as_slice() else {
        return Err(bad("give four numbers W,S,E,N in WGS84 degrees, e.g. -2.5,50.5,-1.7,51.0"));
    };
    let (lon, lat) = (-180.0..=180.0, -90.0..=90.0);
    if !(lon.contains(&w) && lon.contains(&e) && lat.contains(&s) && lat.contains(&n) && w < e && s < n) {
        return Err(bad("the box needs west < east and south < north, within -180..180 and -90..90"));
    }
    Ok([w, s, e, n])
}

/// A value with a `FromStr` whose error says what is allowed.
pub(super) fn parsed<T: std::str::FromStr<Err = String>>(name: &str, value: &str) -> Result<T, SpecError> {
    value.parse::<T>().map_err(|e| SpecError::new(name, value, e))
}

/// A yes/no value: `true`/`false`, `yes`/`no`, `1`/`0`.
pub(super) fn flag(name: &str, value: &str) -> Result<bool, SpecError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(SpecError::new(name, value, "give true or false")),
    }
}

/// A number written back: the shortest text that reads back to the same value (`50`, `0.01`).
pub(super) fn text(v: f64) -> String {
    format!("{v}")
}

/// An instant written back (ISO 8601, UTC).
pub(super) fn instant_text(t: i64) -> String {
    format_instant(t)
}

/// Push `(name, value)` when `all` or when the value differs from the default.
pub(super) fn push<T: PartialEq>(
    out: &mut Vec<(&'static str, String)>,
    all: bool,
    name: &'static str,
    value: &T,
    default: &T,
    text: impl FnOnce(&T) -> String,
) {
    if all || value != default {
        out.push((name, text(value)));
    }
}

/// Push an optional value: when set, or as `auto` when `all`.
pub(super) fn push_opt<T>(
    out: &mut Vec<(&'static str, String)>,
    all: bool,
    name: &'static str,
    value: &Option<T>,
    text: impl FnOnce(&T) -> String,
) {
    match value {
        Some(v) => out.push((name, text(v))),
        None if all => out.push((name, "auto".to_owned())),
        None => {}
    }
}

/// `auto` (or empty) means "not given": the request chooses.
pub(super) fn is_auto(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || v.eq_ignore_ascii_case("auto")
}
