//! [`PredictMethod`]: how cells are scored from past incidents, with a compact text form (`counts:3`,
//! `decay:60d:6`, `kde:150:3`, `prospective:400:8w`, `blend:60d:100:0.25:6`) and a stable serde form.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Lookback, in periods, of `decay`, `kde` and `blend` when the text form does not give one.
pub const DEFAULT_LOOKBACK_PERIODS: u32 = 6;
/// The longest lookback accepted, in periods.
pub const MAX_LOOKBACK_PERIODS: u32 = 120;

/// A way of scoring grid cells from the incidents before a given instant. Every method reads only incidents whose
/// whole time interval lies before the fit's end and starts within its lookback (see [`super::score_cells`]).
///
/// Text forms (durations `Nd` days or `Nw` weeks; the lookback `N` is in periods, months on month-precision data):
///
/// | text | method |
/// | --- | --- |
/// | `counts:N` | incidents (or harm) per cell over the last `N` periods |
/// | `decay:H[:N]` | the same, each incident weighted `2^(-age / H)` (exponential decay, half-life `H`) |
/// | `kde:B[:N]` | exact quartic kernel density ([`crate::analysis::kde`]) with bandwidth `B` metres, at cell centres |
/// | `prospective:B:T` | Bowers, Johnson & Pease (2004), below: space band `B` metres, time band `T` |
/// | `blend:H:B:A[:N]` | `(1 - A) x decay:H:N + A x` the quartic density (bandwidth `B`) of the same decayed weights, as expected incidents per cell |
///
/// **Prospective hotspotting** as published by Bowers, Johnson & Pease (2004, "Prospective hot-spotting: the future
/// of crime mapping?", *British Journal of Criminology* 44(5), 641-658) and implemented in open_cp's
/// `ProspectiveHotSpot` (its default `ClassicWeight` and `DistanceDiagonalsSame`): every incident is placed in its
/// grid cell, and adds to each cell the weight `1 / (1 + d) x 1 / (1 + t)`, where `d` is the distance between the
/// two cells in whole cells measured as the larger of the row and column differences (so the 8 neighbours are at
/// `d = 1`), and `t` is the age of the incident at the fit's end in whole weeks (rounded down); the weight is 0 when
/// `d >= B / cell size` or `t >= T / 1 week`. The paper used 50 m cells, `B` = 400 m and `T` = 2 months; open_cp's
/// default is `T` = 8 weeks. Its lookback is the periods that overlap the time band.
///
/// Age is measured from the middle of an incident's time interval (the middle of its month for police.uk data).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PredictMethod {
    /// Weight per cell over the last `periods` periods.
    Counts {
        /// Lookback, in periods (at least 1).
        periods: u32,
    },
    /// Weight per cell over the last `periods` periods, each incident decayed exponentially with its age.
    Decay {
        /// Age at which an incident weighs half, in days.
        half_life_days: u32,
        /// Lookback, in periods.
        periods: u32,
    },
    /// Exact quartic KDE of the last `periods` periods' incidents at each cell centre.
    Kde {
        /// The quartic kernel's bandwidth, in metres.
        bandwidth_m: f64,
        /// Lookback, in periods.
        periods: u32,
    },
    /// Bowers, Johnson & Pease (2004): see the type's docs.
    Prospective {
        /// The space band `B`, in metres: cells this far apart or more do not add.
        band_m: f64,
        /// The time band `T`, in days: incidents this old or older do not add.
        time_band_days: u32,
    },
    /// `(1 - smoothing) x` decayed weight in the cell `+ smoothing x` the decayed weights' quartic KDE, expected per
    /// cell.
    Blend {
        /// Age at which an incident weighs half, in days.
        half_life_days: u32,
        /// The quartic kernel's bandwidth, in metres.
        bandwidth_m: f64,
        /// The KDE's share of the score, 0 to 1.
        smoothing: f64,
        /// Lookback, in periods.
        periods: u32,
    },
}

/// A method's text that does not parse, with what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "method '{text}': {problem}; methods are counts:N, decay:H[:N], kde:B[:N], prospective:B:T, blend:H:B:A[:N] (H, T durations such as 60d or 8w; B metres; A from 0 to 1; N periods)"
)]
pub struct MethodParseError {
    /// The text as given.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

impl PredictMethod {
    /// The kind, as the serde tag writes it: `counts`, `decay`, `kde`, `prospective`, `blend`.
    pub fn kind(&self) -> &'static str {
        match self {
            PredictMethod::Counts { .. } => "counts",
            PredictMethod::Decay { .. } => "decay",
            PredictMethod::Kde { .. } => "kde",
            PredictMethod::Prospective { .. } => "prospective",
            PredictMethod::Blend { .. } => "blend",
        }
    }

    /// Whether this is a count baseline (`counts:N`): the rule an analyst can apply by hand.
    pub fn is_counts(&self) -> bool {
        matches!(self, PredictMethod::Counts { .. })
    }

    /// Simplicity rank for breaking ties (lower is simpler): counts, decay, kde, prospective, blend; then shorter
    /// lookback.
    pub fn complexity(&self) -> (u8, u32) {
        let kind = match self {
            PredictMethod::Counts { .. } => 0,
            PredictMethod::Decay { .. } => 1,
            PredictMethod::Kde { .. } => 2,
            PredictMethod::Prospective { .. } => 3,
            PredictMethod::Blend { .. } => 4,
        };
        (kind, self.fixed_lookback_periods().unwrap_or(0))
    }

    /// The lookback in periods for every kind but `prospective`, whose lookback depends on where the periods fall
    /// (see [`super::periods::Period::lookback_periods`]).
    pub fn fixed_lookback_periods(&self) -> Option<u32> {
        match *self {
            PredictMethod::Counts { periods }
            | PredictMethod::Decay { periods, .. }
            | PredictMethod::Kde { periods, .. }
            | PredictMethod::Blend { periods, .. } => Some(periods),
            PredictMethod::Prospective { .. } => None,
        }
    }

    /// The half-life in seconds of the methods that decay (`decay`, `blend`).
    pub fn half_life_s(&self) -> Option<f64> {
        match *self {
            PredictMethod::Decay { half_life_days, .. } | PredictMethod::Blend { half_life_days, .. } => {
                Some(f64::from(half_life_days) * 86_400.0)
            }
            _ => None,
        }
    }

    /// Its parameters in words, for tables and the brief.
    pub fn describe(&self, period_word: &str) -> String {
        let over =
            |n: u32| if n == 1 { format!("the last {period_word}") } else { format!("the last {n} {period_word}s") };
        match *self {
            PredictMethod::Counts { periods } => format!("incidents per cell over {}", over(periods)),
            PredictMethod::Decay { half_life_days, periods } => {
                format!(
                    "incidents per cell over {}, halved every {} (exponential decay)",
                    over(periods),
                    days(half_life_days)
                )
            }
            PredictMethod::Kde { bandwidth_m, periods } => {
                format!("quartic kernel density, bandwidth {} m, over {}", num(bandwidth_m), over(periods))
            }
            PredictMethod::Prospective { band_m, time_band_days } => format!(
                "prospective hotspotting (Bowers, Johnson & Pease 2004): 1/(1+cells away) x 1/(1+weeks ago), within {} m \
                 and {}",
                num(band_m),
                days_words(time_band_days)
            ),
            PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, periods } => format!(
                "{}% decayed incidents per cell (half-life {}) + {}% their quartic kernel density (bandwidth {} m), over {}",
                num(100.0 * (1.0 - smoothing)),
                days_words(half_life_days),
                num(100.0 * smoothing),
                num(bandwidth_m),
                over(periods)
            ),
        }
    }

    /// Checks the parameters' ranges.
    pub fn validate(&self) -> Result<(), String> {
        let lookback = |n: u32| {
            if (1..=MAX_LOOKBACK_PERIODS).contains(&n) {
                Ok(())
            } else {
                Err(format!("lookback {n} is not from 1 to {MAX_LOOKBACK_PERIODS} periods"))
            }
        };
        let metres = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 100_000.0 {
                Ok(())
            } else {
                Err(format!("{name} {v} is not a distance from 0 to 100,000 m"))
            }
        };
        let duration = |name: &str, d: u32| {
            if (1..=36_600).contains(&d) {
                Ok(())
            } else {
                Err(format!("{name} of {d} days is not from 1 to 36,600 days"))
            }
        };
        match *self {
            PredictMethod::Counts { periods } => lookback(periods),
            PredictMethod::Decay { half_life_days, periods } => {
                duration("half-life", half_life_days)?;
                lookback(periods)
            }
            PredictMethod::Kde { bandwidth_m, periods } => {
                metres("bandwidth", bandwidth_m)?;
                lookback(periods)
            }
            PredictMethod::Prospective { band_m, time_band_days } => {
                metres("space band", band_m)?;
                duration("time band", time_band_days)
            }
            PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, periods } => {
                duration("half-life", half_life_days)?;
                metres("bandwidth", bandwidth_m)?;
                if !(smoothing.is_finite() && (0.0..=1.0).contains(&smoothing)) {
                    return Err(format!("smoothing {smoothing} is not from 0 to 1"));
                }
                lookback(periods)
            }
        }
    }
}

/// `10 years`, `8 weeks`, `60 days`: a duration in words.
fn days_words(d: u32) -> String {
    let plural = |n: u32, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if d >= 365 && d.is_multiple_of(365) {
        plural(d / 365, "year")
    } else if d.is_multiple_of(7) {
        plural(d / 7, "week")
    } else {
        plural(d, "day")
    }
}

/// `60d`, or `8w` when a whole number of weeks.
fn days(d: u32) -> String {
    if d.is_multiple_of(7) { format!("{}w", d / 7) } else { format!("{d}d") }
}

/// A number without a trailing `.0`.
fn num(v: f64) -> String {
    format!("{v}")
}

impl fmt::Display for PredictMethod {
    /// The canonical text form: every parameter written out, so it parses back to the same method.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PredictMethod::Counts { periods } => write!(f, "counts:{periods}"),
            PredictMethod::Decay { half_life_days, periods } => write!(f, "decay:{}:{periods}", days(half_life_days)),
            PredictMethod::Kde { bandwidth_m, periods } => write!(f, "kde:{}:{periods}", num(bandwidth_m)),
            PredictMethod::Prospective { band_m, time_band_days } => {
                write!(f, "prospective:{}:{}", num(band_m), days(time_band_days))
            }
            PredictMethod::Blend { half_life_days, bandwidth_m, smoothing, periods } => {
                write!(f, "blend:{}:{}:{}:{periods}", days(half_life_days), num(bandwidth_m), num(smoothing))
            }
        }
    }
}

impl FromStr for PredictMethod {
    type Err = MethodParseError;

    fn from_str(s: &str) -> Result<Self, MethodParseError> {
        let text = s.trim();
        let err = |problem: String| MethodParseError { text: text.to_owned(), problem };
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        let (kind, args) = parts.split_first().ok_or_else(|| err("empty".into()))?;
        let count = |n: usize, m: usize| {
            if (n..=m).contains(&args.len()) {
                Ok(())
            } else if n == m {
                Err(err(format!("{kind} takes {n} parameter{}", if n == 1 { "" } else { "s" })))
            } else {
                Err(err(format!("{kind} takes {n} or {m} parameters")))
            }
        };
        let periods = |i: usize| -> Result<u32, MethodParseError> {
            match args.get(i) {
                None => Ok(DEFAULT_LOOKBACK_PERIODS),
                Some(a) => a.parse().map_err(|_| err(format!("lookback '{a}' is not a whole number of periods"))),
            }
        };
        let metres = |i: usize| -> Result<f64, MethodParseError> {
            let a = args.get(i).copied().unwrap_or("");
            let v = a.strip_suffix('m').unwrap_or(a);
            v.parse().map_err(|_| err(format!("'{a}' is not a distance in metres")))
        };
        let duration = |i: usize| -> Result<u32, MethodParseError> {
            let a = args.get(i).copied().unwrap_or("");
            parse_days(a).ok_or_else(|| err(format!("'{a}' is not a duration such as 60d or 8w")))
        };
        let method = match kind.to_ascii_lowercase().as_str() {
            "counts" => {
                count(1, 1)?;
                PredictMethod::Counts { periods: periods(0)? }
            }
            "decay" => {
                count(1, 2)?;
                PredictMethod::Decay { half_life_days: duration(0)?, periods: periods(1)? }
            }
            "kde" => {
                count(1, 2)?;
                PredictMethod::Kde { bandwidth_m: metres(0)?, periods: periods(1)? }
            }
            "prospective" => {
                count(2, 2)?;
                PredictMethod::Prospective { band_m: metres(0)?, time_band_days: duration(1)? }
            }
            "blend" => {
                count(3, 4)?;
                let a = args[2];
                let smoothing = a.parse().map_err(|_| err(format!("smoothing '{a}' is not a number from 0 to 1")))?;
                PredictMethod::Blend {
                    half_life_days: duration(0)?,
                    bandwidth_m: metres(1)?,
                    smoothing,
                    periods: periods(3)?,
                }
            }
            other => return Err(err(format!("unknown kind '{other}'"))),
        };
        method.validate().map_err(err)?;
        Ok(method)
    }
}

/// `60d`, `8w` (or `60`, read as days) to days.
fn parse_days(a: &str) -> Option<u32> {
    let a = a.trim().to_ascii_lowercase();
    let (n, mult) = match a.as_bytes().last()? {
        b'd' => (&a[..a.len() - 1], 1),
        b'w' => (&a[..a.len() - 1], 7),
        _ => (a.as_str(), 1),
    };
    n.parse::<u32>().ok().and_then(|n| n.checked_mul(mult))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_parse_and_round_trip() {
        let cases = [
            ("counts:3", PredictMethod::Counts { periods: 3 }),
            ("decay:60d", PredictMethod::Decay { half_life_days: 60, periods: DEFAULT_LOOKBACK_PERIODS }),
            ("decay:8w:12", PredictMethod::Decay { half_life_days: 56, periods: 12 }),
            ("kde:150", PredictMethod::Kde { bandwidth_m: 150.0, periods: DEFAULT_LOOKBACK_PERIODS }),
            ("KDE:25m:3", PredictMethod::Kde { bandwidth_m: 25.0, periods: 3 }),
            ("prospective:400:8w", PredictMethod::Prospective { band_m: 400.0, time_band_days: 56 }),
            (
                "blend:60d:100:0.25",
                PredictMethod::Blend {
                    half_life_days: 60,
                    bandwidth_m: 100.0,
                    smoothing: 0.25,
                    periods: DEFAULT_LOOKBACK_PERIODS,
                },
            ),
        ];
        for (text, want) in cases {
            let got: PredictMethod = text.parse().unwrap();
            assert_eq!(got, want, "{text}");
            let again: PredictMethod = got.to_string().parse().unwrap();
            assert_eq!(again, got, "{text} -> {got}");
            let json = serde_json::to_string(&got).unwrap();
            assert!(json.starts_with(&format!("{{\"method\":\"{}\"", got.kind())), "{json}");
            assert_eq!(serde_json::from_str::<PredictMethod>(&json).unwrap(), got);
        }
        assert_eq!("prospective:400:56d".parse::<PredictMethod>().unwrap().to_string(), "prospective:400:8w");
        assert_eq!(
            serde_json::to_string(&PredictMethod::Counts { periods: 3 }).unwrap(),
            r#"{"method":"counts","periods":3}"#
        );
    }

    #[test]
    fn bad_text_says_what_is_wrong() {
        for (bad, says) in [
            ("", "unknown kind"),
            ("count:3", "unknown kind 'count'"),
            ("counts", "takes 1 parameter"),
            ("counts:0", "lookback 0"),
            ("counts:x", "lookback 'x'"),
            ("decay:60", "lookback"), // read as days, then needs nothing else: fine below
            ("decay:sixty", "duration"),
            ("kde:-5", "distance"),
            ("kde:abc", "metres"),
            ("prospective:400", "takes 2 parameters"),
            ("blend:60d:100:1.5", "smoothing 1.5"),
            ("blend:60d:100:x", "smoothing 'x'"),
        ] {
            match bad.parse::<PredictMethod>() {
                Ok(m) => assert_eq!(bad, "decay:60", "{bad} parsed as {m}"),
                Err(e) => {
                    let t = e.to_string();
                    assert!(t.contains(says), "{bad}: {t}");
                    assert!(t.contains("counts:N"), "{t}");
                }
            }
        }
    }

    #[test]
    fn descriptions_name_the_parameters() {
        let m: PredictMethod = "blend:60d:100:0.25:3".parse().unwrap();
        let d = m.describe("month");
        assert!(d.contains("75%") && d.contains("25%") && d.contains("100 m") && d.contains("last 3 months"), "{d}");
        assert_eq!(PredictMethod::Counts { periods: 1 }.describe("month"), "incidents per cell over the last month");
        let d = "blend:3650d:300:0.1:6".parse::<PredictMethod>().unwrap().describe("month");
        assert!(d.contains("half-life 10 years)"), "{d}");
        let d = "prospective:400:8w".parse::<PredictMethod>().unwrap().describe("month");
        assert!(d.contains("within 400 m and 8 weeks"), "{d}");
        assert!(
            PredictMethod::Counts { periods: 1 }.complexity()
                < "decay:60d:1".parse::<PredictMethod>().unwrap().complexity()
        );
    }
}
