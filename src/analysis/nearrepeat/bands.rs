//! Spatial and temporal bands of the Knox table: their edges, labels and the band of a distance.
//!
//! Every band is **closed on the left and open on the right**, `[a, b)`, as the NearRepeat R package's defaults
//! (`cut(..., right = FALSE, include.lowest = FALSE)`). With the same-location band on (the default), distance 0
//! is a band of its own, `{0}`, and the first near band becomes `(0, b)`. A pair at or beyond the largest edge
//! is in no band and is not counted. Edges start at 0, increase strictly and are finite: an open-ended last band
//! (R's `Inf`) would count every pair of the data set and is refused.

use super::NearRepeatError;
use serde::Serialize;

/// The most bands on either axis (band indices are bytes in the kernels).
pub const MAX_BANDS: usize = 250;

/// How distances are measured between two incidents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DistanceMetric {
    /// As the crow flies: `sqrt(dx^2 + dy^2)`.
    #[default]
    Euclidean,
    /// Along the grid: `|dx| + |dy|` (the NearRepeat R package's default; an approximation of street distance).
    Manhattan,
}

impl DistanceMetric {
    /// The distance between two points in metres.
    #[inline]
    pub fn distance(self, dx: f64, dy: f64) -> f64 {
        match self {
            DistanceMetric::Euclidean => (dx * dx + dy * dy).sqrt(),
            DistanceMetric::Manhattan => dx.abs() + dy.abs(),
        }
    }

    /// Its name as the parameter takes it: `euclidean` or `manhattan`.
    pub fn name(self) -> &'static str {
        match self {
            DistanceMetric::Euclidean => "euclidean",
            DistanceMetric::Manhattan => "manhattan",
        }
    }
}

impl std::str::FromStr for DistanceMetric {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "euclidean" => Ok(DistanceMetric::Euclidean),
            "manhattan" => Ok(DistanceMetric::Manhattan),
            other => Err(format!("unknown distance '{other}': use euclidean or manhattan")),
        }
    }
}

/// Spatial bands in metres.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpaceBands {
    /// Break points, metres: `0 = e0 < e1 < ... < ek`.
    pub edges_m: Vec<f64>,
    /// Whether distance 0 (the same map point) is a band of its own.
    pub same_location: bool,
}

impl SpaceBands {
    /// Bands from break points (`0,100,200`), checked.
    pub fn new(edges_m: Vec<f64>, same_location: bool) -> Result<SpaceBands, NearRepeatError> {
        check_edges("space_m", &edges_m)?;
        let b = SpaceBands { edges_m, same_location };
        if b.len() > MAX_BANDS {
            return Err(NearRepeatError::Bands {
                parameter: "space_m",
                reason: format!("{} bands; at most {MAX_BANDS}", b.len()),
            });
        }
        Ok(b)
    }

    /// `count` bands of `width_m` from 0 (`0, w, 2w, ... count*w`).
    pub fn uniform(width_m: f64, count: usize, same_location: bool) -> Result<SpaceBands, NearRepeatError> {
        SpaceBands::new(uniform_edges("space_m", width_m, count)?, same_location)
    }

    /// The number of bands (the same-location band included).
    /// Number of spatial bands, the same-location band included.
    pub fn len(&self) -> usize {
        self.edges_m.len() - 1 + usize::from(self.same_location)
    }

    /// Whether there is no band.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest edge: pairs this far apart or farther are in no band.
    pub fn max_m(&self) -> f64 {
        self.edges_m[self.edges_m.len() - 1]
    }

    /// The band of a distance, or `None` at or beyond the largest edge (or for a distance that is not a number).
    #[inline]
    pub fn band(&self, d_m: f64) -> Option<usize> {
        if self.same_location && d_m == 0.0 {
            return Some(0);
        }
        if !(d_m >= 0.0 && d_m < self.max_m()) {
            return None;
        }
        // The last edge <= d (edges[0] = 0 <= d).
        let k = self.edges_m.partition_point(|&e| e <= d_m) - 1;
        Some(k + usize::from(self.same_location))
    }

    /// The lower and upper edge of band `b`, and whether the lower edge belongs to it.
    pub fn interval(&self, b: usize) -> (f64, f64, bool) {
        if self.same_location {
            if b == 0 {
                return (0.0, 0.0, true);
            }
            let k = b - 1;
            (self.edges_m[k], self.edges_m[k + 1], k > 0)
        } else {
            (self.edges_m[b], self.edges_m[b + 1], true)
        }
    }

    /// Interval notation of band `b`: `0 (same location)`, `(0,100)`, `[100,200)`, metres.
    pub fn label(&self, b: usize) -> String {
        let (lo, hi, closed) = self.interval(b);
        if self.same_location && b == 0 {
            return "0 (same location)".to_owned();
        }
        format!("{}{},{})", if closed { '[' } else { '(' }, num(lo), num(hi))
    }
}

/// Temporal bands, edges in whole seconds (given in days).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeBands {
    /// Break points in days, as given: `0 = e0 < e1 < ... < ek`.
    pub edges_d: Vec<f64>,
    /// The same break points in seconds.
    pub edges_s: Vec<i64>,
}

impl TimeBands {
    /// Bands from break points in days (`0,7,14`). Each edge must be a whole number of seconds.
    pub fn new(edges_d: Vec<f64>) -> Result<TimeBands, NearRepeatError> {
        check_edges("time_d", &edges_d)?;
        if edges_d.len() - 1 > MAX_BANDS {
            return Err(NearRepeatError::Bands {
                parameter: "time_d",
                reason: format!("{} bands; at most {MAX_BANDS}", edges_d.len() - 1),
            });
        }
        let mut edges_s = Vec::with_capacity(edges_d.len());
        for &d in &edges_d {
            let s = d * 86_400.0;
            if s > u32::MAX as f64 {
                return Err(NearRepeatError::Bands {
                    parameter: "time_d",
                    reason: format!("edge {} days is beyond the longest supported band (49,710 days)", num(d)),
                });
            }
            if (s - s.round()).abs() > 1e-6 {
                return Err(NearRepeatError::Bands {
                    parameter: "time_d",
                    reason: format!("edge {} days is not a whole number of seconds", num(d)),
                });
            }
            edges_s.push(s.round() as i64);
        }
        Ok(TimeBands { edges_d, edges_s })
    }

    /// `count` bands of `width_d` days from 0.
    pub fn uniform(width_d: f64, count: usize) -> Result<TimeBands, NearRepeatError> {
        TimeBands::new(uniform_edges("time_d", width_d, count)?)
    }

    /// Number of temporal bands.
    pub fn len(&self) -> usize {
        self.edges_s.len() - 1
    }

    /// Whether there is no band.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest edge, seconds (pairs at or beyond it are outside the table).
    pub fn max_s(&self) -> i64 {
        self.edges_s[self.edges_s.len() - 1]
    }

    /// The band of a time difference in seconds, or `None` at or beyond the largest edge.
    #[inline]
    pub fn band(&self, dt_s: i64) -> Option<usize> {
        if !(0..self.max_s()).contains(&dt_s) {
            return None;
        }
        Some(self.edges_s.partition_point(|&e| e <= dt_s) - 1)
    }

    /// Interval notation of band `b` in days: `[0,7)`.
    pub fn label(&self, b: usize) -> String {
        format!("[{},{})", num(self.edges_d[b]), num(self.edges_d[b + 1]))
    }
}

/// A branch-free band lookup for time differences, used in the permutation kernel: a table over buckets of
/// `2^shift` seconds no wider than the narrowest band, so that each bucket holds at most one edge.
#[derive(Debug, Clone)]
pub(crate) struct TimeLookup {
    shift: u32,
    /// The band of each bucket's first second (`nt` when at or beyond the last edge).
    table: Vec<u8>,
    /// The edges in seconds, then a sentinel that no difference reaches.
    edges: Vec<u64>,
}

impl TimeLookup {
    /// Buckets beyond this many fall back to a binary search.
    const MAX_TABLE: u64 = 1 << 16;

    pub(crate) fn new(bands: &TimeBands) -> Option<TimeLookup> {
        let nt = bands.len();
        let edges: Vec<u64> = bands.edges_s.iter().map(|&e| e as u64).chain([u64::MAX]).collect();
        let min_width = edges.windows(2).take(nt).map(|w| w[1] - w[0]).min()?;
        let shift = 63 - min_width.leading_zeros();
        let last = edges[nt];
        let len = (last >> shift) + 1;
        if len > Self::MAX_TABLE {
            return None;
        }
        let table = (0..len)
            .map(|k| {
                let start = k << shift;
                (edges[..=nt].partition_point(|&e| e <= start) - 1) as u8
            })
            .collect();
        Some(TimeLookup { shift, table, edges })
    }

    /// The band of `dt` seconds, `nt` (one past the last band) when at or beyond the last edge.
    #[inline(always)]
    pub(crate) fn band(&self, dt: u32) -> usize {
        let k = ((u64::from(dt) >> self.shift) as usize).min(self.table.len() - 1);
        // SAFETY of indexing: k < table.len(); b <= nt and edges has nt + 2 entries.
        let b = self.table[k] as usize;
        b + usize::from(u64::from(dt) >= self.edges[b + 1])
    }
}

fn check_edges(parameter: &'static str, edges: &[f64]) -> Result<(), NearRepeatError> {
    let err = |reason: String| Err(NearRepeatError::Bands { parameter, reason });
    if edges.len() < 2 {
        return err(format!("{} break point(s); give at least two, starting at 0 (e.g. 0,100,200)", edges.len()));
    }
    if let Some(e) = edges.iter().find(|e| !e.is_finite()) {
        return err(format!(
            "break point {e} is not finite; the last band must end at a distance (an open-ended band would pair \
             every incident with every other)"
        ));
    }
    if edges[0] != 0.0 {
        return err(format!("the first break point must be 0, not {}", num(edges[0])));
    }
    if let Some(w) = edges.windows(2).find(|w| w[1] <= w[0]) {
        return err(format!("break points must increase: {} then {}", num(w[0]), num(w[1])));
    }
    Ok(())
}

fn uniform_edges(parameter: &'static str, width: f64, count: usize) -> Result<Vec<f64>, NearRepeatError> {
    if !(width.is_finite() && width > 0.0) {
        return Err(NearRepeatError::Bands { parameter, reason: format!("band width {width} must be positive") });
    }
    if count == 0 || count > MAX_BANDS {
        return Err(NearRepeatError::Bands { parameter, reason: format!("{count} bands; give 1 to {MAX_BANDS}") });
    }
    Ok((0..=count).map(|k| width * k as f64).collect())
}

/// A number without a trailing `.0`.
pub(crate) fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_edges_are_closed_left_open_right() {
        let b = SpaceBands::new(vec![0.0, 100.0, 200.0], true).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b.band(0.0), Some(0));
        assert_eq!(b.band(1e-9), Some(1));
        assert_eq!(b.band(99.999), Some(1));
        assert_eq!(b.band(100.0), Some(2));
        assert_eq!(b.band(199.9), Some(2));
        assert_eq!(b.band(200.0), None);
        assert_eq!(b.band(f64::NAN), None);
        assert_eq!((0..3).map(|i| b.label(i)).collect::<Vec<_>>(), vec!["0 (same location)", "(0,100)", "[100,200)"]);
        let r = SpaceBands::new(vec![0.0, 0.1, 200.0], false).unwrap();
        assert_eq!((r.band(0.0), r.band(0.1), r.len()), (Some(0), Some(1), 2));
        assert_eq!(r.label(0), "[0,0.1)");
    }

    #[test]
    fn bad_edges_name_the_parameter() {
        for e in [vec![0.0], vec![5.0, 10.0], vec![0.0, 10.0, 10.0], vec![0.0, f64::INFINITY]] {
            let err = SpaceBands::new(e.clone(), true).unwrap_err().to_string();
            assert!(err.contains("space_m"), "{e:?}: {err}");
        }
        assert!(TimeBands::new(vec![0.0, 1e-7]).unwrap_err().to_string().contains("whole number of seconds"));
        assert!(SpaceBands::uniform(0.0, 3, true).is_err());
        assert!(TimeBands::uniform(7.0, 0).is_err());
        assert_eq!(TimeBands::uniform(7.0, 3).unwrap().edges_s, vec![0, 604_800, 1_209_600, 1_814_400]);
    }

    #[test]
    fn time_lookup_agrees_with_the_bands() {
        for edges in
            [vec![0.0, 7.0, 14.0, 21.0], vec![0.0, 1.0, 2.0, 30.0], vec![0.0, 0.5, 1.25, 3.0], vec![0.0, 100.0]]
        {
            let b = TimeBands::new(edges.clone()).unwrap();
            let l = TimeLookup::new(&b).unwrap();
            let max = b.max_s();
            let probes =
                (0..2000).map(|k| k * (max / 1000).max(1)).chain(b.edges_s.iter().flat_map(|&e| [e - 1, e, e + 1]));
            for dt in probes.filter(|&d| d >= 0 && d <= u32::MAX as i64) {
                assert_eq!(l.band(dt as u32), b.band(dt).unwrap_or(b.len()), "{edges:?} dt {dt}");
            }
            assert_eq!(l.band(u32::MAX), b.len());
        }
        // One-second bands over a long span need too big a table.
        assert!(TimeLookup::new(&TimeBands::new(vec![0.0, 1.0 / 86_400.0, 365.0]).unwrap()).is_none());
    }
}
