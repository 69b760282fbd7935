//! Incident rows: where each incident happens, which map point it snaps to, its category and time, and the CSV
//! bytes, one fixed-size chunk at a time with the chunk's own random stream.

use super::layout::{Frame, Hotspot, MapPoints, Street, Town, gaussian};
use super::names::{ARCHETYPES, BACKGROUND_MIX, CATEGORIES, MixPerMille, N_CATEGORIES, TimeProfile};
use chrono::{Datelike, Days, NaiveDate};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Incidents per chunk; each chunk has its own random stream, so the output does not depend on the thread count.
pub(super) const CHUNK_ROWS: u64 = 65_536;

/// The CSV header.
pub(super) const HEADER: &str = "id,time,lon,lat,category,location,area\n";

/// Background incidents: shares from the town Gaussian and along streets; the rest are uniform over the square.
const BACKGROUND_TOWN: f64 = 0.5;
const BACKGROUND_STREETS: f64 = 0.2;
/// Jitter of background incidents drawn along a street, metres.
const STREET_JITTER_M: f64 = 15.0;

/// One chunk to generate: its index, the id of its first row and how many of its rows come from each source
/// (0 = background, `k` = hotspot `k - 1`).
#[derive(Debug, Clone)]
pub(super) struct ChunkPlan {
    pub index: u64,
    pub first_row: u64,
    pub source_counts: Vec<u64>,
}

/// A generated chunk: its CSV bytes, category counts per source and the map point of each row.
pub(super) struct ChunkOut {
    pub bytes: Vec<u8>,
    pub category_counts: Vec<[u64; N_CATEGORIES]>,
    pub point_of_row: Vec<u32>,
    /// Per source: rows on or after the source's trend date.
    pub after_trend: Vec<u64>,
}

/// A cumulative table of integer weights, sampled by binary search.
#[derive(Debug, Clone)]
struct Cumulative(Vec<u64>);

impl Cumulative {
    fn new(weights: impl IntoIterator<Item = u64>) -> Self {
        let mut acc = 0;
        Cumulative(
            weights
                .into_iter()
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let r = rng.random_range(0..total);
        self.0.partition_point(|&c| c <= r)
    }
}

/// What one source (the background or a hotspot) draws from.
struct Source {
    mix: Cumulative,
    profile: usize,
    /// Index into `day_weights` (the profile's table, or the source's own when it has a trend).
    day_table: usize,
    /// The first day index of the source's trend.
    trend_from_day: Option<usize>,
    /// `None` for the background.
    hotspot: Option<Hotspot>,
}

/// Everything shared, read-only, by the chunk workers.
pub(super) struct RowSampler<'a> {
    seed: u64,
    frame: Frame,
    town: Town,
    streets: &'a [Street],
    points: &'a MapPoints,
    sources: Vec<Source>,
    /// Per time profile, then per trending source: cumulative weights of the days.
    day_weights: Vec<Cumulative>,
    /// First day and its weekday (for trend tables).
    start: NaiveDate,
    /// Per time profile: cumulative weights of the hours.
    hour_weights: Vec<Cumulative>,
    /// `YYYY-MM-DD` of each day.
    day_text: Vec<[u8; 10]>,
    id_width: usize,
    /// `Some` for the uniform pattern: uniform background, and points printed where drawn (not snapped).
    unsnapped: Option<&'a crate::geo::Projector>,
    /// A national extent's towns: background from a town chosen by population, or its rural surroundings.
    towns: Option<&'a super::national::TownSet>,
}

/// Shares of a mix as a cumulative table.
fn mix_table(mix: &MixPerMille) -> Cumulative {
    Cumulative::new(mix.iter().map(|&w| u64::from(w)))
}

impl<'a> RowSampler<'a> {
    /// A sampler for `n` rows over `days` days from `start` (the caller has checked that they are representable).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        seed: u64,
        n: u64,
        start: NaiveDate,
        days: u32,
        frame: Frame,
        town: Town,
        hotspots: &[Hotspot],
        streets: &'a [Street],
        points: &'a MapPoints,
    ) -> Self {
        let dates: Vec<NaiveDate> = (0..u64::from(days)).map_while(|d| start.checked_add_days(Days::new(d))).collect();
        let day_text = dates
            .iter()
            .map(|d| {
                let mut b = [0u8; 10];
                b.copy_from_slice(d.format("%Y-%m-%d").to_string().as_bytes().get(..10).unwrap_or(b"0000-00-00"));
                b
            })
            .collect();
        let day_weights = TimeProfile::ALL
            .iter()
            .map(|p| {
                let w = p.weekday_weights();
                Cumulative::new(dates.iter().map(|d| u64::from(w[d.weekday().num_days_from_monday() as usize])))
            })
            .collect();
        let hour_weights =
            TimeProfile::ALL.iter().map(|p| Cumulative::new(p.hour_weights().iter().map(|&w| u64::from(w)))).collect();
        let all_day = TimeProfile::AllDay.index();
        let mut sources = vec![Source {
            mix: mix_table(&BACKGROUND_MIX),
            profile: all_day,
            day_table: all_day,
            trend_from_day: None,
            hotspot: None,
        }];
        sources.extend(hotspots.iter().map(|h| {
            let a = &ARCHETYPES[h.archetype];
            let profile = a.profile.index();
            Source { mix: mix_table(&a.mix), profile, day_table: profile, trend_from_day: None, hotspot: Some(*h) }
        }));
        RowSampler {
            seed,
            frame,
            town,
            streets,
            points,
            sources,
            day_weights,
            start,
            hour_weights,
            day_text,
            id_width: n.to_string().len().max(8),
            unsnapped: None,
            towns: None,
        }
    }

    /// Draw the background from many towns (a national extent) instead of one.
    pub(super) fn with_towns(mut self, towns: Option<&'a super::national::TownSet>) -> Self {
        self.towns = towns;
        self
    }

    /// Switch to the uniform pattern (homogeneous background, no snapping); `projector` prints drawn points.
    pub(super) fn with_pattern(mut self, pattern: super::Pattern, projector: &'a crate::geo::Projector) -> Self {
        self.unsnapped = (pattern == super::Pattern::Uniform).then_some(projector);
        self
    }

    /// Plant `trends`: each trending hotspot draws its days from its own table, whose weights from the trend's date
    /// on are multiplied by the factor (weights scaled by 1000 and rounded).
    pub(super) fn with_trends(mut self, trends: &[super::Trend]) -> Self {
        let days = self.day_text.len();
        for t in trends {
            let Some(source) = self.sources.get(t.hotspot) else { continue };
            let from_day = (t.from - self.start).num_days().clamp(0, days as i64) as usize;
            let w = TimeProfile::ALL[source.profile].weekday_weights();
            let table = Cumulative::new((0..days).map(|d| {
                let base = 1000 * u64::from(w[(self.start.weekday().num_days_from_monday() as usize + d) % 7]);
                if d >= from_day { (base as f64 * t.factor).round() as u64 } else { base }
            }));
            self.day_weights.push(table);
            let index = self.day_weights.len() - 1;
            if let Some(source) = self.sources.get_mut(t.hotspot) {
                source.day_table = index;
                source.trend_from_day = Some(from_day);
            }
        }
        self
    }

    /// The continuous location of one incident from `source`, inside the square.
    fn location(&self, source: &Source, rng: &mut ChaCha8Rng) -> [f64; 2] {
        match source.hotspot {
            Some(h) => self.frame.redraw_inside(rng, |r| gaussian(r, h.centre_xy_m, h.sigma_m)),
            None if self.unsnapped.is_some() => self.frame.uniform(rng),
            None if self.towns.is_some() => self.frame.redraw_inside(rng, |r| {
                let Some(towns) = self.towns else { return self.frame.uniform(r) };
                let u = r.random::<f64>();
                if u < BACKGROUND_TOWN {
                    towns.town_point(r)
                } else if u < BACKGROUND_TOWN + BACKGROUND_STREETS && !self.streets.is_empty() {
                    let s = r.random_range(0..self.streets.len());
                    self.streets[s].point(r, STREET_JITTER_M)
                } else {
                    towns.rural_point(r)
                }
            }),
            None => self.frame.redraw_inside(rng, |r| {
                let u = r.random::<f64>();
                if u < BACKGROUND_TOWN {
                    gaussian(r, self.town.centre_xy_m, self.town.sigma_m)
                } else if u < BACKGROUND_TOWN + BACKGROUND_STREETS && !self.streets.is_empty() {
                    let s = r.random_range(0..self.streets.len());
                    self.streets[s].point(r, STREET_JITTER_M)
                } else {
                    self.frame.uniform(r)
                }
            }),
        }
    }

    /// Generates one chunk's rows.
    pub(super) fn chunk(&self, plan: &ChunkPlan) -> ChunkOut {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(plan.index + 1);
        let rows: u64 = plan.source_counts.iter().sum();
        let mut order: Vec<u32> = Vec::with_capacity(rows as usize);
        for (s, &c) in plan.source_counts.iter().enumerate() {
            order.extend(std::iter::repeat_n(s as u32, c as usize));
        }
        order.shuffle(&mut rng);

        let mut out = ChunkOut {
            bytes: Vec::with_capacity(order.len() * 112),
            category_counts: vec![[0; N_CATEGORIES]; self.sources.len()],
            point_of_row: Vec::with_capacity(order.len()),
            after_trend: vec![0; self.sources.len()],
        };
        for (i, &s) in order.iter().enumerate() {
            let source = &self.sources[s as usize];
            let drawn = self.location(source, &mut rng);
            let point = self.points.nearest(drawn);
            let unsnapped = self
                .unsnapped
                .and_then(|p| p.to_lonlat(drawn[0], drawn[1]))
                .map(|(lon, lat)| format!("{lon:.6},{lat:.6}"));
            let category = source.mix.sample(&mut rng).min(N_CATEGORIES - 1);
            let day = self.day_weights[source.day_table].sample(&mut rng);
            if source.trend_from_day.is_some_and(|f| day >= f) {
                out.after_trend[s as usize] += 1;
            }
            let hour = self.hour_weights[source.profile].sample(&mut rng);
            let minute = rng.random_range(0..60u32);
            let second = rng.random_range(0..60u32);
            out.category_counts[s as usize][category] += 1;
            out.point_of_row.push(point as u32);

            let b = &mut out.bytes;
            b.push(b'S');
            push_padded(b, plan.first_row + i as u64 + 1, self.id_width);
            b.push(b',');
            b.extend_from_slice(self.day_text.get(day).map_or(b"0000-00-00", |t| t));
            b.push(b'T');
            push_two(b, hour as u32);
            b.push(b':');
            push_two(b, minute);
            b.push(b':');
            push_two(b, second);
            b.push(b',');
            match &unsnapped {
                Some(text) => b.extend_from_slice(text.as_bytes()),
                None => b.extend_from_slice(self.points.lonlat_text[point].as_bytes()),
            }
            b.push(b',');
            b.extend_from_slice(CATEGORIES[category].as_bytes());
            b.push(b',');
            b.extend_from_slice(self.points.place_text[point].as_bytes());
            b.push(b'\n');
        }
        out
    }
}

/// Appends `v` in decimal, zero-padded to at least `width` digits.
fn push_padded(b: &mut Vec<u8>, mut v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let len = digits.len() - i;
    b.extend(std::iter::repeat_n(b'0', width.saturating_sub(len)));
    b.extend_from_slice(&digits[i..]);
}

/// Appends a two-digit number (`v < 100`).
fn push_two(b: &mut Vec<u8>, v: u32) {
    b.push(b'0' + (v / 10 % 10) as u8);
    b.push(b'0' + (v % 10) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_and_two_digits() {
        let mut b = Vec::new();
        push_padded(&mut b, 42, 8);
        b.push(b' ');
        push_padded(&mut b, 123_456_789, 8);
        b.push(b' ');
        push_padded(&mut b, 0, 3);
        b.push(b' ');
        push_padded(&mut b, u64::MAX, 8);
        b.push(b' ');
        push_two(&mut b, 7);
        push_two(&mut b, 59);
        assert_eq!(String::from_utf8(b).unwrap_or_default(), "00000042 123456789 000 18446744073709551615 0759");
    }

    #[test]
    fn cumulative_sampling_respects_zero_weights() {
        let table = Cumulative::new([0, 5, 0, 5, 0]);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1000 {
            let i = table.sample(&mut rng);
            assert!(i == 1 || i == 3, "drew {i}");
        }
        assert_eq!(Cumulative::new([]).sample(&mut rng), 0);
    }
}
