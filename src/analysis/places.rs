//! Places to steer by, from what the store already knows: every street at its map points (the location texts of
//! the incidents, police.uk's "On or near " left out and its generic labels such as "Parking Area" skipped), and
//! the areas of boundary layers by name. [`Places::search`] finds them by name for a search box; the map points
//! label streets on the map when there is no basemap.
//!
//! A street name used in several towns ("High Street") is one place per town: map points of one name further than
//! [`SAME_STREET_DEG`] from every point of an existing place start another.
//!
//! Matching ([`match_rank`]): the name equal to the query (case and spacing ignored), then names starting with it,
//! then names with a word starting with each word of the query, then names containing it; within a rank, the place
//! with more incidents first (areas count the incidents inside them), then the shorter name, then by name.

use super::naming::{AreaNames, is_generic, street_of};
use crate::areas::AreaLayer;
use crate::model::{Dataset, NONE_ID};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// Map points of one name within this many degrees (about 1 km north-south) belong to the same street.
pub const SAME_STREET_DEG: f64 = 0.01;

/// One map point of a street: where police.uk publishes incidents on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreetPoint {
    /// The point's longitude, WGS84 degrees.
    pub lon: f64,
    /// The point's latitude, WGS84 degrees.
    pub lat: f64,
    /// Index of the street in [`Places::places`].
    pub place: u32,
    /// Incidents published at this point (all times).
    pub incidents: u32,
}

/// What a place is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlaceKind {
    /// A street: a location text police.uk publishes incidents at (one name near one place).
    Street,
    /// An area of a boundary layer (the layer's name).
    Area {
        /// The boundary layer's name.
        layer: String,
    },
}

/// A street or an area, with where to go to see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    /// The street's name, or the area's name (its code when it has none).
    pub name: String,
    /// Street or area.
    #[serde(flatten)]
    pub kind: PlaceKind,
    /// A point on it: a street's busiest map point; a point inside an area.
    pub lon: f64,
    /// The point's latitude, WGS84 degrees (`lon` is its longitude).
    pub lat: f64,
    /// `[west, south, east, north]`: a street's map points; an area's outline.
    pub bbox: [f64; 4],
    /// Incidents at a street's map points, or inside an area (all times).
    pub incidents: u64,
    /// Where a street is: the name (or code) of the area of its busiest point's incidents; empty for areas.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub area: String,
}

/// The streets and areas of a dataset, and the streets' map points.
#[derive(Debug, Clone, Default)]
pub struct Places {
    /// Every street, then every area of the loaded boundary layers; [`StreetPoint::place`] indexes this.
    pub places: Vec<Place>,
    /// Every map point of every street, sorted by longitude then latitude.
    pub points: Vec<StreetPoint>,
}

/// How well `name` matches a query (lower is better), or `None`; both are compared lower-cased with spaces
/// collapsed. 0: equal; 1: the name starts with the query; 2: each query word starts a word of the name; 3: the
/// name contains the query.
pub fn match_rank(name: &str, query: &str) -> Option<u8> {
    let norm = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    let (n, q) = (norm(name), norm(query));
    if q.is_empty() {
        return None;
    }
    if n == q {
        return Some(0);
    }
    if n.starts_with(&q) {
        return Some(1);
    }
    let words: Vec<&str> = n.split([' ', '-', '/']).collect();
    if q.split(' ').all(|w| words.iter().any(|nw| nw.starts_with(w))) {
        return Some(2);
    }
    n.contains(&q).then_some(3)
}

impl Places {
    /// The places of a dataset: its streets (unless `streets` is false, as in public mode) and the areas of
    /// `layers` with their incidents.
    pub fn build(ds: &Dataset, layers: &[AreaLayer], names: &AreaNames, streets: bool) -> Places {
        let mut places: Vec<Place> = Vec::new();
        let mut points = Vec::new();
        if streets {
            let (lon, lat, locs, area_ids) = (ds.lon(), ds.lat(), ds.location_ids(), ds.area_ids());
            // Location id -> street name (None: generic); (name, point) -> incidents and an area id.
            let mut name_of_loc: FxHashMap<u32, Option<String>> = FxHashMap::default();
            let mut at: FxHashMap<(String, u64, u64), (u32, u32)> = FxHashMap::default();
            for i in 0..ds.len() {
                let loc = locs[i];
                if loc == NONE_ID || !lon[i].is_finite() || !lat[i].is_finite() {
                    continue;
                }
                let name = name_of_loc.entry(loc).or_insert_with(|| {
                    let text = ds.locations().name(loc).unwrap_or("");
                    (!is_generic(text)).then(|| street_of(text).to_owned())
                });
                if let Some(name) = name {
                    let e = at.entry((name.clone(), lon[i].to_bits(), lat[i].to_bits())).or_insert((0, area_ids[i]));
                    e.0 += 1;
                }
            }
            // Points in a fixed order (name, lon, lat), then grouped: a point joins the first place of its name
            // within SAME_STREET_DEG of one of its points' bounding box, else starts one.
            let mut pts: Vec<(String, f64, f64, u32, u32)> =
                at.into_iter().map(|((n, x, y), (c, a))| (n, f64::from_bits(x), f64::from_bits(y), c, a)).collect();
            pts.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
            let mut by_name: FxHashMap<String, Vec<u32>> = FxHashMap::default();
            let mut best: Vec<(u32, u32)> = Vec::new(); // per place: incidents at its busiest point, that point's area
            for (name, x, y, n, area) in pts {
                let d = SAME_STREET_DEG;
                let candidates = by_name.entry(name.clone()).or_default();
                let found = candidates.iter().copied().find(|&k| {
                    let b = places[k as usize].bbox;
                    x >= b[0] - d && x <= b[2] + d && y >= b[1] - d && y <= b[3] + d
                });
                let k = match found {
                    Some(k) => k,
                    None => {
                        places.push(Place {
                            name,
                            kind: PlaceKind::Street,
                            lon: x,
                            lat: y,
                            bbox: [x, y, x, y],
                            incidents: 0,
                            area: String::new(),
                        });
                        best.push((0, area));
                        let k = (places.len() - 1) as u32;
                        candidates.push(k);
                        k
                    }
                };
                let pl = &mut places[k as usize];
                pl.bbox = [pl.bbox[0].min(x), pl.bbox[1].min(y), pl.bbox[2].max(x), pl.bbox[3].max(y)];
                pl.incidents += u64::from(n);
                if n > best[k as usize].0 {
                    best[k as usize] = (n, area);
                    pl.lon = x;
                    pl.lat = y;
                }
                points.push(StreetPoint { lon: x, lat: y, place: k, incidents: n });
            }
            for (pl, &(_, area)) in places.iter_mut().zip(&best) {
                if area != NONE_ID {
                    let code = ds.areas().name(area).unwrap_or("");
                    pl.area = names.name_or_code(code).to_owned();
                }
            }
            points.sort_by(|a, b| a.lon.total_cmp(&b.lon).then(a.lat.total_cmp(&b.lat)).then(a.place.cmp(&b.place)));
        }
        let all: Vec<u32> = (0..ds.len() as u32).collect();
        for layer in layers {
            let counts = layer.counts(ds.lon(), ds.lat(), &all);
            for (k, a) in layer.areas.iter().enumerate() {
                use geo::{Area as _, BoundingRect, InteriorPoint};
                let Some(r) = a.outline_lonlat.bounding_rect() else { continue };
                let biggest = a.outline_lonlat.0.iter().max_by(|p, q| p.unsigned_area().total_cmp(&q.unsigned_area()));
                let Some(pt) = biggest.and_then(InteriorPoint::interior_point) else { continue };
                places.push(Place {
                    name: a.name.clone(),
                    kind: PlaceKind::Area { layer: layer.name.clone() },
                    lon: pt.x(),
                    lat: pt.y(),
                    bbox: [r.min().x, r.min().y, r.max().x, r.max().y],
                    incidents: counts.get(k).copied().unwrap_or(0),
                    area: String::new(),
                });
            }
        }
        Places { places, points }
    }

    /// The places whose names match `query` ([`match_rank`]), best first, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<&Place> {
        let mut hits: Vec<(u8, &Place)> =
            self.places.iter().filter_map(|p| match_rank(&p.name, query).map(|r| (r, p))).collect();
        hits.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.incidents.cmp(&a.1.incidents))
                .then(a.1.name.len().cmp(&b.1.name.len()))
                .then(a.1.name.cmp(&b.1.name))
        });
        hits.into_iter().take(limit).map(|(_, p)| p).collect()
    }

    /// The street map points inside `[west, south, east, north]`, in longitude order.
    pub fn points_in(&self, bbox: [f64; 4]) -> impl Iterator<Item = &StreetPoint> {
        let start = self.points.partition_point(|p| p.lon < bbox[0]);
        self.points[start..]
            .iter()
            .take_while(move |p| p.lon <= bbox[2])
            .filter(move |p| p.lat >= bbox[1] && p.lat <= bbox[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::model::TimePrecision;
    use crate::model::dataset::{DatasetBuilder, IncidentRecord, SourceFile};

    #[test]
    fn match_ranks_equal_prefix_word_contains() {
        assert_eq!(match_rank("High Street", "high street"), Some(0));
        assert_eq!(match_rank("High Street", "  HIGH   str"), Some(1));
        assert_eq!(match_rank("Old High Street", "high st"), Some(2));
        assert_eq!(match_rank("Old High Street", "st high"), Some(2));
        assert_eq!(match_rank("Highstreet Mews", "street"), Some(3));
        assert_eq!(match_rank("High Street", "road"), None);
        assert_eq!(match_rank("High Street", "   "), None);
    }

    fn dataset(rows: &[(f64, f64, &str)]) -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), rows.len()).expect("builder");
        b.add_source(SourceFile { import_id: 1, file: "f".into() }).expect("source");
        for (k, &(lon, lat, loc)) in rows.iter().enumerate() {
            b.push(&IncidentRecord {
                lon,
                lat,
                time_s: 1_704_067_200,
                precision: TimePrecision::Month,
                category: "Burglary",
                weight: 1.0,
                area: None,
                location: Some(loc),
                source: 0,
                line: k as u32 + 2,
            })
            .expect("push");
        }
        b.finish().expect("dataset")
    }

    #[test]
    fn streets_at_their_map_points_generic_labels_skipped_search_ranked() {
        let ds = dataset(&[
            (-1.98, 50.71, "On or near High Street"),
            (-1.98, 50.71, "On or near High Street"),
            (-1.97, 50.72, "On or near High Street"),
            (-1.99, 50.70, "On or near Parking Area"),
            (-1.96, 50.73, "On or near Old High Street"),
            (-1.95, 50.74, "On or near Highmoor Road"),
            (-2.40, 50.90, "On or near High Street"),
        ]);
        let p = Places::build(&ds, &[], &AreaNames::default(), true);
        let names: Vec<&str> = p.places.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}: High Street in two towns is two places");
        assert!(!names.contains(&"Parking Area"));
        let high = p.places.iter().find(|x| x.name == "High Street" && x.incidents == 3).expect("high street");
        assert_eq!((high.lon, high.lat, high.incidents), (-1.98, 50.71, 3));
        assert_eq!(high.bbox, [-1.98, 50.71, -1.97, 50.72]);
        let hits: Vec<&str> = p.search("high", 10).iter().map(|x| x.name.as_str()).collect();
        assert_eq!(hits, ["High Street", "High Street", "Highmoor Road", "Old High Street"]);
        assert_eq!(p.points.len(), 5);
        assert_eq!(p.points_in([-1.985, 50.705, -1.965, 50.725]).count(), 2);
        assert!(Places::build(&ds, &[], &AreaNames::default(), false).places.is_empty());
        assert_eq!(serde_json::to_value(high).unwrap()["kind"], "street");
    }
}
