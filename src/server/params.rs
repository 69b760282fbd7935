//! Query-string parameters: parsed strictly (every unknown or malformed parameter is a 400 naming it) and turned
//! into a canonical key, so the same analysis asked for in any parameter order hits the same cache entry.

use super::error::AppError;
use crate::analysis::compare::Window;
use crate::analysis::emerging::cube::Period;
use crate::analysis::kde::Kernel;
use crate::analysis::pipeline::AnalysisParams;
use crate::analysis::points::WeightMode;
use crate::analysis::tasking::WindowLength;
use crate::ingest::timeparse::{TimeFormat, TimeParser};
use crate::model::Query;

/// Parameters accepted by the analysis routes and tiles.
pub const KNOWN: &[&str] = &[
    "from",
    "to",
    "category",
    "cell_m",
    "bandwidth_m",
    "kernel",
    "weight",
    "band_m",
    "method",
    "top",
    "rank_by",
    "token",
    "top_share",
    "before",
    "after",
    "fdr_q",
    "hotspot",
    "buffer_m",
    "period",
    "at",
    "window",
    "min_separation_m",
];

/// The parsed parameters of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestParams {
    pub analysis: AnalysisParams,
    pub band_m: Option<f64>,
    pub method: Option<String>,
    pub top: Option<usize>,
    pub rank_by: Option<String>,
    pub top_share: Option<f64>,
    /// Compare: the windows before and after (`FROM..TO`), the change map's FDR, a target hotspot and its buffer.
    pub before: Option<Window>,
    pub after: Option<Window>,
    pub fdr_q: Option<f64>,
    pub hotspot: Option<String>,
    pub buffer_m: Option<f64>,
    /// Emerging hot spots: the time step.
    pub period: Option<Period>,
    /// Tasking: the end of the window, its length and the separation of candidates.
    pub at_s: Option<i64>,
    pub window: Option<WindowLength>,
    pub min_separation_m: Option<f64>,
    /// Whether `weight` was given (tasking ranks by harm unless told otherwise).
    pub weight_given: bool,
}

impl RequestParams {
    /// Both compare windows, or a 400 naming the missing one.
    pub fn windows(&self) -> Result<(Window, Window), AppError> {
        let need = |w: Option<Window>, name: &str| {
            w.ok_or_else(|| AppError::bad(name, format!("{name}=FROM..TO is required, e.g. {name}=2024-01..2024-04")))
        };
        Ok((need(self.before, "before")?, need(self.after, "after")?))
    }
}

fn parse_time(name: &str, v: &str) -> Result<i64, AppError> {
    let t = v.trim();
    let text = if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) { format!("{t}-01") } else { t.to_owned() };
    TimeParser::new(TimeFormat::Auto, None)
        .parse(&text)
        .map(|p| p.time_s)
        .map_err(|e| AppError::bad(name, format!("{name}={v}: {e}")))
}

fn positive(name: &str, v: &str) -> Result<f64, AppError> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .ok_or_else(|| AppError::bad(name, format!("{name}={v} is not a positive number of metres")))
}

/// Parse a raw query string.
pub fn parse(raw: Option<&str>) -> Result<RequestParams, AppError> {
    let mut p = RequestParams::default();
    let mut q = Query::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let (k, v) = (k.as_ref(), v.as_ref());
        match k {
            "from" => q.from_s = Some(parse_time("from", v)?),
            "to" => q.to_s = Some(parse_time("to", v)?),
            "category" => {
                // `category=A&category=B`, or one value with commas is not split (names may contain commas).
                if !v.is_empty() {
                    q.categories.push(v.to_owned());
                }
            }
            "cell_m" => p.analysis.cell_m = Some(positive(k, v)?),
            "bandwidth_m" => p.analysis.bandwidth_m = Some(positive(k, v)?),
            "band_m" => p.band_m = Some(positive(k, v)?),
            "kernel" => p.analysis.kernel = v.parse::<Kernel>().map_err(|e| AppError::bad(k, e))?,
            "weight" => {
                p.analysis.weight = v.parse::<WeightMode>().map_err(|e| AppError::bad(k, e))?;
                p.weight_given = true;
            }
            "method" => match v {
                "kde" | "gistar" => p.method = Some(v.to_owned()),
                _ => return Err(AppError::bad(k, format!("method={v} is not kde or gistar"))),
            },
            "rank_by" => match v {
                "count" | "harm" => p.rank_by = Some(v.to_owned()),
                _ => return Err(AppError::bad(k, format!("rank_by={v} is not count or harm"))),
            },
            "top" => {
                p.top = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| AppError::bad(k, format!("top={v} is not a whole number from 1 to 1000")))?,
                )
            }
            "top_share" => {
                p.top_share = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|s| *s > 0.0 && *s <= 1.0)
                        .ok_or_else(|| AppError::bad(k, format!("top_share={v} is not between 0 and 1")))?,
                )
            }
            "before" | "after" => {
                let w = Window::parse(v).map_err(|e| AppError::bad(k, format!("{k}={e}")))?;
                if k == "before" {
                    p.before = Some(w);
                } else {
                    p.after = Some(w);
                }
            }
            "fdr_q" => {
                p.fdr_q = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|q| *q > 0.0 && *q < 1.0)
                        .ok_or_else(|| AppError::bad(k, format!("fdr_q={v} is not between 0 and 1")))?,
                )
            }
            "hotspot" if !v.is_empty() => p.hotspot = Some(v.to_owned()),
            "hotspot" => {}
            "buffer_m" => {
                p.buffer_m = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|b| b.is_finite() && *b >= 0.0)
                        .ok_or_else(|| AppError::bad(k, format!("buffer_m={v} is not a distance in metres")))?,
                )
            }
            "period" => p.period = Some(v.parse::<Period>().map_err(|e| AppError::bad(k, e))?),
            "at" => p.at_s = Some(parse_time("at", v)?),
            "window" => p.window = Some(v.parse::<WindowLength>().map_err(|e| AppError::bad(k, e))?),
            "min_separation_m" => {
                p.min_separation_m = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && *d >= 0.0)
                        .ok_or_else(|| AppError::bad(k, format!("min_separation_m={v} is not a distance in metres")))?,
                )
            }
            "token" => {}
            other => {
                return Err(AppError::bad(
                    other,
                    format!("unknown parameter '{other}'; the parameters are {}", KNOWN.join(", ")),
                ));
            }
        }
    }
    if let (Some(f), Some(t)) = (q.from_s, q.to_s)
        && f >= t
    {
        return Err(AppError::bad("from", format!("from ({}) must be before to ({})", fmt(f), fmt(t))));
    }
    q.categories.sort();
    q.categories.dedup();
    p.analysis.query = q;
    Ok(p)
}

fn fmt(t: i64) -> String {
    crate::model::time::format_instant(t)
}

/// The canonical key of the analysis part of the parameters (window, categories, weight, grid, kernel).
pub fn analysis_key(a: &AnalysisParams) -> String {
    format!(
        "from={:?}&to={:?}&cat={}&w={:?}&cell={:?}&bw={:?}&k={}",
        a.query.from_s,
        a.query.to_s,
        a.query.categories.join("\u{1f}"),
        a.weight,
        a.cell_m.map(f64::to_bits),
        a.bandwidth_m.map(f64::to_bits),
        a.kernel.name()
    )
}

/// The query string to carry into tile URLs (the analysis parameters and the hotspot rule, canonical order).
pub fn tile_query(p: &RequestParams) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    let a = &p.analysis;
    if let Some(f) = a.query.from_s {
        s.append_pair("from", &fmt(f));
    }
    if let Some(t) = a.query.to_s {
        s.append_pair("to", &fmt(t));
    }
    for c in &a.query.categories {
        s.append_pair("category", c);
    }
    if a.weight == WeightMode::Harm {
        s.append_pair("weight", "harm");
    }
    if let Some(c) = a.cell_m {
        s.append_pair("cell_m", &c.to_string());
    }
    if let Some(b) = a.bandwidth_m {
        s.append_pair("bandwidth_m", &b.to_string());
    }
    if a.kernel != Kernel::Quartic {
        s.append_pair("kernel", a.kernel.name());
    }
    if let Some(b) = p.band_m {
        s.append_pair("band_m", &b.to_string());
    }
    if let Some(m) = &p.method {
        s.append_pair("method", m);
    }
    if let Some(r) = &p.rank_by {
        s.append_pair("rank_by", r);
    }
    if let Some(t) = p.top_share {
        s.append_pair("top_share", &t.to_string());
    }
    if let Some(w) = p.before {
        s.append_pair("before", &w.text());
    }
    if let Some(w) = p.after {
        s.append_pair("after", &w.text());
    }
    if let Some(q) = p.fdr_q {
        s.append_pair("fdr_q", &q.to_string());
    }
    if let Some(period) = p.period {
        s.append_pair("period", &period.name());
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_canonicalises() {
        let a = parse(Some("to=2024-04&from=2024-01&category=Drugs&category=Burglary&cell_m=50")).unwrap();
        let b = parse(Some("category=Burglary&cell_m=50.0&from=2024-01-01&to=2024-04-01T00:00:00Z&category=Drugs"))
            .unwrap();
        assert_eq!(analysis_key(&a.analysis), analysis_key(&b.analysis));
        assert_eq!(a.analysis.query.categories, vec!["Burglary", "Drugs"]);
        assert_eq!(
            tile_query(&a),
            "from=2024-01-01T00%3A00%3A00Z&to=2024-04-01T00%3A00%3A00Z&category=Burglary&category=Drugs&cell_m=50"
        );
        assert_eq!(parse(None).unwrap(), RequestParams::default());
    }

    #[test]
    fn errors_name_the_parameter() {
        for (q, name) in [
            ("from=2024-13", "from"),
            ("from=2024-03&to=2024-02", "from"),
            ("cell_m=-5", "cell_m"),
            ("bandwidth_m=abc", "bandwidth_m"),
            ("kernel=box", "kernel"),
            ("weight=money", "weight"),
            ("top=0", "top"),
            ("method=magic", "method"),
            ("colour=red", "colour"),
            ("before=2024-03..2024-01", "before"),
            ("after=2024", "after"),
            ("fdr_q=1.5", "fdr_q"),
            ("buffer_m=-1", "buffer_m"),
            ("period=fortnight", "period"),
            ("window=3y", "window"),
            ("at=tomorrow", "at"),
            ("min_separation_m=-4", "min_separation_m"),
        ] {
            match parse(Some(q)) {
                Err(AppError::BadRequest { parameter, .. }) => assert_eq!(parameter, name, "{q}"),
                other => panic!("{q}: {other:?}"),
            }
        }
    }
}
