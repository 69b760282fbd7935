//! A public request, checked against the lattice in one place: every parameter of every route and tile of a public
//! server goes through [`PublicRequest::parse`], which accepts only published values and otherwise says what is
//! allowed.

use super::lattice::{BANDWIDTH_M, CELL_M, GROUPS, H3_RESOLUTION, HOT_SHARE, Period, group_by_id};
use crate::model::Window;

/// A parameter a public map does not accept: which, the value given, and what is allowed (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}={value}: {problem}")]
pub struct RequestError {
    /// The parameter's name (`period`, `group`, ...).
    pub parameter: String,
    /// The value given.
    pub value: String,
    /// What is allowed instead.
    pub problem: String,
}

impl RequestError {
    fn new(parameter: &str, value: &str, problem: impl Into<String>) -> Self {
        RequestError { parameter: parameter.to_owned(), value: value.to_owned(), problem: problem.into() }
    }
}

/// What a public request may choose: a published period (default: the latest month) and a group (default `all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicRequest {
    /// The period chosen; `None` for the latest month.
    pub period: Option<Period>,
    /// The group chosen, an index into [`super::GROUPS`] (0 = `all`).
    pub group: usize,
}

fn group_list() -> String {
    GROUPS.iter().map(|g| g.id).collect::<Vec<_>>().join(", ")
}

fn period_list(periods: &[Period]) -> String {
    let ids: Vec<String> = periods.iter().map(|p| p.id()).collect();
    if ids.is_empty() { "none: the store holds no complete month".to_owned() } else { ids.join(", ") }
}

/// The parameters of the internal analyses that a public map fixes, with the one value it takes.
const FIXED: [(&str, &str); 7] = [
    ("cell_m", "250"),
    ("bandwidth_m", "500"),
    ("kernel", "quartic"),
    ("weight", "count"),
    ("resolution", "8"),
    ("method", "kde"),
    ("top_share", "0.01"),
];

fn fixed_ok(name: &str, value: &str) -> bool {
    let num = |v: f64| value.trim().parse::<f64>().is_ok_and(|x| x == v);
    match name {
        "cell_m" => num(CELL_M),
        "bandwidth_m" => num(BANDWIDTH_M),
        "resolution" => num(f64::from(H3_RESOLUTION)),
        "top_share" => num(HOT_SHARE),
        "kernel" => value.trim().eq_ignore_ascii_case("quartic"),
        "weight" => value.trim().eq_ignore_ascii_case("count"),
        "method" => value.trim().eq_ignore_ascii_case("kde"),
        _ => false,
    }
}

impl PublicRequest {
    /// Read a query's pairs (the access token passed over) against the published `periods`.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        periods: &[Period],
    ) -> Result<PublicRequest, RequestError> {
        let mut req = PublicRequest { period: None, group: 0 };
        let (mut from, mut to) = (None, None);
        let only = || {
            format!(
                "a public map takes only period (one of {}) and group (one of {}); every other choice is fixed \
                 (250 m cells, a 500 m quartic kernel, H3 resolution 8, counts, one hotspot rule)",
                period_list(periods),
                group_list()
            )
        };
        for (k, v) in pairs {
            match k {
                "token" => {}
                "period" => {
                    let p = Period::parse(v).filter(|p| periods.contains(p)).ok_or_else(|| {
                        RequestError::new(
                            k,
                            v,
                            format!(
                                "public maps answer whole published periods only (calendar months and rolling \
                                 quarters the store holds completely): give one of {}",
                                period_list(periods)
                            ),
                        )
                    })?;
                    req.period = Some(p);
                }
                "from" => from = Some(v),
                "to" => to = Some(v),
                "group" => {
                    req.group = group_by_id(v.trim()).ok_or_else(|| {
                        RequestError::new(k, v, format!("give one of the published groups: {}", group_list()))
                    })?;
                }
                "category" => {
                    return Err(RequestError::new(
                        k,
                        v,
                        format!(
                            "public maps publish category groups, not single categories: give group= one of {}",
                            group_list()
                        ),
                    ));
                }
                "weight" if !fixed_ok(k, v) => {
                    return Err(RequestError::new(
                        k,
                        v,
                        "harm is not published (one serious offence weighs as much as hundreds of others, so a harm \
                         figure can reveal it): public maps count incidents, weight=count",
                    ));
                }
                _ if FIXED.iter().any(|(n, _)| *n == k) => {
                    if !fixed_ok(k, v) {
                        let allowed = FIXED.iter().find(|(n, _)| *n == k).map_or("", |(_, a)| a);
                        return Err(RequestError::new(
                            k,
                            v,
                            format!("public maps are computed on one lattice: {k} can only be {allowed}"),
                        ));
                    }
                }
                _ => return Err(RequestError::new(k, v, format!("not a parameter of a public map: {}", only()))),
            }
        }
        match (from, to) {
            (None, None) => {}
            (Some(f), Some(t)) => {
                let window = Window::parse(&format!("{f}..{t}")).ok();
                let p = periods.iter().copied().find(|p| window.is_some() && p.window() == window);
                match (p, req.period) {
                    (Some(p), None) => req.period = Some(p),
                    (Some(p), Some(q)) if p == q => {}
                    _ => {
                        return Err(RequestError::new(
                            "from",
                            &format!("{f}&to={t}"),
                            format!(
                                "public maps answer whole published periods only, never a part of a month: from and \
                                 to must be the start and end of one of {} (or give period=)",
                                period_list(periods)
                            ),
                        ));
                    }
                }
            }
            (f, t) => {
                let (name, value) = if f.is_some() { ("from", f.unwrap_or("")) } else { ("to", t.unwrap_or("")) };
                return Err(RequestError::new(
                    name,
                    value,
                    "public maps answer whole published periods only: give period=, or both from and to of one",
                ));
            }
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn periods() -> Vec<Period> {
        super::super::lattice::periods_of(&[2024 * 12, 2024 * 12 + 1, 2024 * 12 + 2])
    }

    fn parse(q: &str) -> Result<PublicRequest, RequestError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        PublicRequest::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &periods())
    }

    #[test]
    fn published_choices_are_accepted() {
        assert_eq!(parse("").unwrap(), PublicRequest { period: None, group: 0 });
        let r = parse("period=2024-02&group=violence&cell_m=250&bandwidth_m=500.0&token=x").unwrap();
        assert_eq!(r, PublicRequest { period: Some(Period::Month(2024 * 12 + 1)), group: 1 });
        assert_eq!(parse("from=2024-01&to=2024-04").unwrap().period, Some(Period::Quarter(2024 * 12)));
        assert_eq!(parse("from=2024-02-01T00:00:00Z&to=2024-03").unwrap().period, Some(Period::Month(2024 * 12 + 1)));
    }

    #[test]
    fn anything_else_is_refused_naming_the_parameter() {
        for (q, param) in [
            ("from=2024-01-01&to=2024-01-15", "from"),
            ("from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:01Z", "from"),
            ("from=2024-01", "from"),
            ("period=2023-12", "period"),
            ("period=2024-02_2024-04", "period"),
            ("category=Burglary", "category"),
            ("group=burglary", "group"),
            ("cell_m=10", "cell_m"),
            ("bandwidth_m=1", "bandwidth_m"),
            ("top_share=1", "top_share"),
            ("weight=harm", "weight"),
            ("method=gistar", "method"),
            ("band_m=50", "band_m"),
            ("bbox=-2,50,-1,51", "bbox"),
            ("before=2024-01..2024-02", "before"),
            ("wat=1", "wat"),
        ] {
            let e = parse(q).expect_err(q);
            assert_eq!(e.parameter, param, "{q}: {e}");
        }
        let e = parse("cell_m=10").unwrap_err();
        assert!(e.problem.contains("250"), "{e}");
        let e = parse("period=2023-12").unwrap_err();
        assert!(e.problem.contains("2024-01_2024-03"), "says what is allowed: {e}");
    }
}
