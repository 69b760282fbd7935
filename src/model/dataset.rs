//! The in-memory, columnar incident table that every analysis reads.
//!
//! One `Vec` per attribute, indexed by incident. Strings (categories, area codes, location texts) are interned
//! once; each incident carries small integer ids. Source ids and raw rows stay in the store and are fetched by
//! `(source, line)` when asked for. See `BENCHMARKS.md` for the measured bytes per incident.

mod subset;
#[cfg(test)]
pub(crate) mod testing;

use super::column::Column;
use super::interner::Interner;
use super::time::TimePrecision;
use crate::geo::{CrsDef, Projector};

/// Marker for "no value" in the optional interned columns (area, location).
pub const NONE_ID: u32 = u32::MAX;

/// One source file an incident came from (an import in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The store's import id of the file.
    pub import_id: i64,
    /// The file's path as given at import.
    pub file: String,
}

/// One incident as handed to [`DatasetBuilder::push`]; x/y are computed by the builder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRecord<'a> {
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Start of the incident's time interval, seconds since the Unix epoch (UTC).
    pub time_s: i64,
    /// How precisely the time is known (the interval starting at `time_s`).
    pub precision: TimePrecision,
    /// Category name; interned by the builder.
    pub category: &'a str,
    /// Weight of the incident in weighted counts (1 unless the import named a weight column); finite and non-negative.
    pub weight: f32,
    /// Area code, if the row gave one.
    pub area: Option<&'a str>,
    /// Location text (street or place description), if the row gave one.
    pub location: Option<&'a str>,
    /// Index into the dataset's source files.
    pub source: u16,
    /// 1-based line of the row in its source file (the feature number for GeoJSON).
    pub line: u32,
}

/// A borrowed view of one incident in a [`Dataset`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRef<'a> {
    /// Easting in the dataset's metric CRS, metres.
    pub x_m: f64,
    /// Northing in the dataset's metric CRS, metres.
    pub y_m: f64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Start of the incident's time interval, seconds since the Unix epoch (UTC).
    pub time_s: i64,
    /// How precisely the time is known (the interval starting at `time_s`).
    pub precision: TimePrecision,
    /// Category name.
    pub category: &'a str,
    /// Weight of the incident in weighted counts (1 unless the import named a weight column).
    pub weight: f32,
    /// Area code, if the row gave one.
    pub area: Option<&'a str>,
    /// Location text, if the row gave one.
    pub location: Option<&'a str>,
    /// The source file the incident was imported from.
    pub source: &'a SourceFile,
    /// 1-based line of the row in its source file (the feature number for GeoJSON).
    pub line: u32,
}

/// Errors building a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The metric CRS could not be set up.
    #[error(transparent)]
    Crs(#[from] crate::geo::CrsError),
    /// An incident's lon/lat has no image in the dataset's CRS (`file` and 1-based `line` locate the row).
    #[error("incident at {file} line {line} (lon {lon}, lat {lat}) cannot be projected to {crs}")]
    Projection {
        /// The source file of the incident.
        file: String,
        /// 1-based line of the row in `file`.
        line: u32,
        /// Longitude of the incident, WGS84 degrees.
        lon: f64,
        /// Latitude of the incident, WGS84 degrees.
        lat: f64,
        /// Label of the target CRS.
        crs: String,
    },
    /// An incident's source index is not one registered with [`DatasetBuilder::add_source`].
    #[error("incident refers to source file #{0}, which was not registered")]
    UnknownSource(u16),
    /// More source files than fit the 16-bit source index (65,535).
    #[error("too many source files ({0}); at most 65535 imports can be loaded at once")]
    TooManySources(usize),
    /// The columns given to [`Dataset::from_parts`] differ in length, or an id is out of range (the message says
    /// which).
    #[error("dataset columns differ in length: {0}")]
    Lengths(String),
}

/// Columnar incidents with projected metric coordinates. Columns are owned, or views of the store's memory-mapped
/// snapshot ([`Column`]); either way they read as slices.
#[derive(Debug, Clone)]
pub struct Dataset {
    crs: CrsDef,
    x_m: Column<f64>,
    y_m: Column<f64>,
    lon: Column<f64>,
    lat: Column<f64>,
    time_s: Column<i64>,
    precision: Vec<TimePrecision>,
    category: Column<u16>,
    weight: Column<f32>,
    area: Column<u32>,
    location: Column<u32>,
    source: Column<u16>,
    line: Column<u32>,
    categories: Interner,
    areas: Interner,
    locations: Interner,
    sources: Vec<SourceFile>,
}

/// Everything a [`Dataset`] is made of, for code that assembles one from stored columns (the store's snapshot).
/// Every column must have the same length; [`Dataset::from_parts`] checks.
#[derive(Debug, Clone, Default)]
pub struct DatasetParts {
    /// Easting per incident in the metric CRS, metres.
    pub x_m: Column<f64>,
    /// Northing per incident in the metric CRS, metres.
    pub y_m: Column<f64>,
    /// Longitude per incident, WGS84 degrees.
    pub lon: Column<f64>,
    /// Latitude per incident, WGS84 degrees.
    pub lat: Column<f64>,
    /// Start of each incident's time interval, seconds since the Unix epoch (UTC).
    pub time_s: Column<i64>,
    /// Time precision per incident.
    pub precision: Vec<TimePrecision>,
    /// Category id per incident, an index into `categories`.
    pub category: Column<u16>,
    /// Weight per incident (1 unless the import named a weight column).
    pub weight: Column<f32>,
    /// Area-code id per incident, an index into `areas` or [`NONE_ID`].
    pub area: Column<u32>,
    /// Location-text id per incident, an index into `locations` or [`NONE_ID`].
    pub location: Column<u32>,
    /// Source index per incident, an index into `sources`.
    pub source: Column<u16>,
    /// 1-based line of each incident in its source file.
    pub line: Column<u32>,
    /// Category names, indexed by category id.
    pub categories: Interner,
    /// Area codes, indexed by area id.
    pub areas: Interner,
    /// Location texts, indexed by location id.
    pub locations: Interner,
    /// Source files, indexed by source index.
    pub sources: Vec<SourceFile>,
}

impl Dataset {
    /// Number of incidents.
    pub fn len(&self) -> usize {
        self.x_m.len()
    }
    /// Whether the dataset holds no incidents.
    pub fn is_empty(&self) -> bool {
        self.x_m.is_empty()
    }
    /// The metric CRS of `x_m`/`y_m`.
    pub fn crs(&self) -> &CrsDef {
        &self.crs
    }
    /// Easting per incident in the metric CRS ([`Dataset::crs`]), metres.
    pub fn x_m(&self) -> &[f64] {
        &self.x_m
    }
    /// Northing per incident in the metric CRS ([`Dataset::crs`]), metres.
    pub fn y_m(&self) -> &[f64] {
        &self.y_m
    }
    /// Longitude per incident, WGS84 degrees.
    pub fn lon(&self) -> &[f64] {
        &self.lon
    }
    /// Latitude per incident, WGS84 degrees.
    pub fn lat(&self) -> &[f64] {
        &self.lat
    }
    /// Start of each incident's time interval, seconds since the Unix epoch (UTC).
    pub fn time_s(&self) -> &[i64] {
        &self.time_s
    }
    /// How precisely each incident's time is known (the interval starting at [`Dataset::time_s`]).
    pub fn precision(&self) -> &[TimePrecision] {
        &self.precision
    }
    /// The end of the data: the latest exclusive end of any incident's time interval
    /// ([`crate::model::time::interval_end_s`]); `None` without incidents.
    pub fn end_s(&self) -> Option<i64> {
        self.time_s.iter().zip(self.precision.iter()).map(|(&t, &p)| crate::model::time::interval_end_s(t, p)).max()
    }
    /// Category id per incident; names in [`Dataset::categories`].
    pub fn category_ids(&self) -> &[u16] {
        &self.category
    }
    /// Weight per incident (1 unless the import named a weight column); finite and non-negative.
    pub fn weight(&self) -> &[f32] {
        &self.weight
    }
    /// Area-code id per incident ([`NONE_ID`] when absent); names in [`Dataset::areas`].
    pub fn area_ids(&self) -> &[u32] {
        &self.area
    }
    /// Location-text id per incident ([`NONE_ID`] when absent); texts in [`Dataset::locations`].
    pub fn location_ids(&self) -> &[u32] {
        &self.location
    }
    /// Source index per incident, into [`Dataset::sources`].
    pub fn source_ids(&self) -> &[u16] {
        &self.source
    }
    /// 1-based line of each incident in its source file (the feature number for GeoJSON).
    pub fn lines(&self) -> &[u32] {
        &self.line
    }
    /// Category names, indexed by the ids in [`Dataset::category_ids`].
    pub fn categories(&self) -> &Interner {
        &self.categories
    }
    /// Area codes, indexed by the ids in [`Dataset::area_ids`].
    pub fn areas(&self) -> &Interner {
        &self.areas
    }
    /// Location texts, indexed by the ids in [`Dataset::location_ids`].
    pub fn locations(&self) -> &Interner {
        &self.locations
    }
    /// The source files, indexed by [`Dataset::source_ids`].
    pub fn sources(&self) -> &[SourceFile] {
        &self.sources
    }

    /// One incident by index, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<IncidentRef<'_>> {
        if i >= self.len() {
            return None;
        }
        Some(IncidentRef {
            x_m: self.x_m[i],
            y_m: self.y_m[i],
            lon: self.lon[i],
            lat: self.lat[i],
            time_s: self.time_s[i],
            precision: self.precision[i],
            category: self.categories.name(u32::from(self.category[i])).unwrap_or(""),
            weight: self.weight[i],
            area: optional_name(&self.areas, self.area[i]),
            location: optional_name(&self.locations, self.location[i]),
            source: &self.sources[usize::from(self.source[i])],
            line: self.line[i],
        })
    }

    /// Bytes held by the per-incident columns: the capacity of owned columns, the length of mapped ones.
    pub fn column_bytes(&self) -> usize {
        self.x_m.bytes()
            + self.y_m.bytes()
            + self.lon.bytes()
            + self.lat.bytes()
            + self.time_s.bytes()
            + self.precision.capacity() * std::mem::size_of::<TimePrecision>()
            + self.category.bytes()
            + self.weight.bytes()
            + self.area.bytes()
            + self.location.bytes()
            + self.source.bytes()
            + self.line.bytes()
    }

    /// Whether the big columns are views of a memory-mapped snapshot rather than owned.
    pub fn is_mapped(&self) -> bool {
        self.lon.is_shared()
    }

    /// A dataset from stored columns, checking that every column has the same length and that every id is in range
    /// (a source index below the sources' count, interned ids below their tables' sizes or [`NONE_ID`]).
    pub fn from_parts(crs: CrsDef, p: DatasetParts) -> Result<Self, DatasetError> {
        let n = p.lon.len();
        let lengths = [
            ("x_m", p.x_m.len()),
            ("y_m", p.y_m.len()),
            ("lat", p.lat.len()),
            ("time_s", p.time_s.len()),
            ("precision", p.precision.len()),
            ("category", p.category.len()),
            ("weight", p.weight.len()),
            ("area", p.area.len()),
            ("location", p.location.len()),
            ("source", p.source.len()),
            ("line", p.line.len()),
        ];
        if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
            return Err(DatasetError::Lengths(format!("{name} has {len} values, lon has {n}")));
        }
        // Every id is checked against its names, in parallel blocks (a 20M snapshot's ids are 240 MB); the first bad
        // one in row order is reported, whatever the thread count.
        let out_of_range = |ids: &[u32], names: &Interner, what: &str| {
            let limit = names.len() as u32;
            first_where(ids, |id| id != NONE_ID && id >= limit)
                .map(|id| DatasetError::Lengths(format!("{what} id {id} is beyond the {limit} {what} names")))
        };
        let categories = p.categories.len().min(usize::from(u16::MAX) + 1);
        let bad_category = || {
            first_where(&p.category, |c| usize::from(c) >= categories)
                .map(|c| DatasetError::Lengths(format!("category id {c} is beyond the {categories} categories")))
        };
        let bad_source =
            || first_where(&p.source, |s| usize::from(s) >= p.sources.len()).map(DatasetError::UnknownSource);
        let ((area, location), (category, source)) = rayon::join(
            || {
                rayon::join(
                    || out_of_range(&p.area, &p.areas, "area"),
                    || out_of_range(&p.location, &p.locations, "location"),
                )
            },
            || rayon::join(bad_category, bad_source),
        );
        if let Some(e) = area.or(location).or(category).or(source) {
            return Err(e);
        }
        Ok(Dataset {
            crs,
            x_m: p.x_m,
            y_m: p.y_m,
            lon: p.lon,
            lat: p.lat,
            time_s: p.time_s,
            precision: p.precision,
            category: p.category,
            weight: p.weight,
            area: p.area,
            location: p.location,
            source: p.source,
            line: p.line,
            categories: p.categories,
            areas: p.areas,
            locations: p.locations,
            sources: p.sources,
        })
    }

    /// The same incidents with x/y projected into another metric CRS (every other column is shared, not copied).
    pub fn reprojected(&self, crs: &CrsDef) -> Result<Dataset, DatasetError> {
        let projector = Projector::new_metric(crs)?;
        let (x_m, y_m) = project_lonlat(&projector, &self.lon, &self.lat).map_err(|i| DatasetError::Projection {
            file: self.sources.get(usize::from(self.source[i])).map_or_else(String::new, |s| s.file.clone()),
            line: self.line[i],
            lon: self.lon[i],
            lat: self.lat[i],
            crs: crs.label.clone(),
        })?;
        Ok(Dataset { crs: crs.clone(), x_m: x_m.into(), y_m: y_m.into(), ..self.clone() })
    }

    /// Whether two datasets hold the same bits: the CRS, every column (floats compared bit for bit), every interned
    /// name in order, and the sources.
    pub fn identical_to(&self, other: &Dataset) -> bool {
        fn bits(a: &[f64], b: &[f64]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
        }
        self.crs == other.crs
            && bits(&self.x_m, &other.x_m)
            && bits(&self.y_m, &other.y_m)
            && bits(&self.lon, &other.lon)
            && bits(&self.lat, &other.lat)
            && *self.time_s == *other.time_s
            && self.precision == other.precision
            && *self.category == *other.category
            && self.weight.len() == other.weight.len()
            && self.weight.iter().zip(other.weight.iter()).all(|(a, b)| a.to_bits() == b.to_bits())
            && *self.area == *other.area
            && *self.location == *other.location
            && *self.source == *other.source
            && *self.line == *other.line
            && self.categories.names() == other.categories.names()
            && self.areas.names() == other.areas.names()
            && self.locations.names() == other.locations.names()
            && self.sources == other.sources
    }

    /// Heap bytes held by the interned strings and source list.
    pub fn interned_bytes(&self) -> usize {
        self.categories.heap_bytes()
            + self.areas.heap_bytes()
            + self.locations.heap_bytes()
            + self.sources.iter().map(|s| s.file.capacity() + 32).sum::<usize>()
    }
}

/// Builds a [`Dataset`]; lon/lat are projected to the metric CRS in [`DatasetBuilder::finish`].
#[derive(Debug)]
pub struct DatasetBuilder {
    projector: Projector,
    crs: CrsDef,
    lon: Vec<f64>,
    lat: Vec<f64>,
    time_s: Vec<i64>,
    precision: Vec<TimePrecision>,
    category: Vec<u16>,
    weight: Vec<f32>,
    area: Vec<u32>,
    location: Vec<u32>,
    source: Vec<u16>,
    line: Vec<u32>,
    categories: Interner,
    areas: Interner,
    locations: Interner,
    sources: Vec<SourceFile>,
}

impl DatasetBuilder {
    /// A builder projecting into `crs`, which must be metric. `capacity` pre-sizes the columns.
    pub fn new(crs: &CrsDef, capacity: usize) -> Result<Self, DatasetError> {
        let projector = Projector::new_metric(crs)?;
        Ok(DatasetBuilder {
            projector,
            crs: crs.clone(),
            lon: Vec::with_capacity(capacity),
            lat: Vec::with_capacity(capacity),
            time_s: Vec::with_capacity(capacity),
            precision: Vec::with_capacity(capacity),
            category: Vec::with_capacity(capacity),
            weight: Vec::with_capacity(capacity),
            area: Vec::with_capacity(capacity),
            location: Vec::with_capacity(capacity),
            source: Vec::with_capacity(capacity),
            line: Vec::with_capacity(capacity),
            categories: Interner::new(),
            areas: Interner::new(),
            locations: Interner::new(),
            sources: Vec::new(),
        })
    }

    /// Register a source file; returns the index to put in [`IncidentRecord::source`].
    pub fn add_source(&mut self, source: SourceFile) -> Result<u16, DatasetError> {
        let idx =
            u16::try_from(self.sources.len()).map_err(|_| DatasetError::TooManySources(self.sources.len() + 1))?;
        self.sources.push(source);
        Ok(idx)
    }

    /// Pre-intern a category so ids follow a chosen order (the store's order).
    pub fn intern_category(&mut self, name: &str) -> u16 {
        category_id(&mut self.categories, name)
    }
    /// Pre-intern an area code; returns its id for [`DatasetBuilder::push_ids`].
    pub fn intern_area(&mut self, code: &str) -> u32 {
        self.areas.intern(code)
    }
    /// Pre-intern a location text; returns its id for [`DatasetBuilder::push_ids`].
    pub fn intern_location(&mut self, text: &str) -> u32 {
        self.locations.intern(text)
    }

    /// Add one incident given as strings.
    pub fn push(&mut self, rec: &IncidentRecord<'_>) -> Result<(), DatasetError> {
        let category = self.intern_category(rec.category);
        let area = rec.area.map_or(NONE_ID, |a| self.areas.intern(a));
        let location = rec.location.map_or(NONE_ID, |l| self.locations.intern(l));
        self.push_ids(rec, category, area, location)
    }

    /// Add one incident whose strings are already interned (ids from the `intern_*` methods). The string fields of
    /// `rec` are ignored. Projection happens in [`DatasetBuilder::finish`].
    pub fn push_ids(
        &mut self,
        rec: &IncidentRecord<'_>,
        category: u16,
        area: u32,
        location: u32,
    ) -> Result<(), DatasetError> {
        if usize::from(rec.source) >= self.sources.len() {
            return Err(DatasetError::UnknownSource(rec.source));
        }
        self.lon.push(rec.lon);
        self.lat.push(rec.lat);
        self.time_s.push(rec.time_s);
        self.precision.push(rec.precision);
        self.category.push(category);
        self.weight.push(rec.weight);
        self.area.push(area);
        self.location.push(location);
        self.source.push(rec.source);
        self.line.push(rec.line);
        Ok(())
    }

    /// Number of incidents pushed so far.
    pub fn len(&self) -> usize {
        self.lon.len()
    }
    /// Whether no incident has been pushed yet.
    pub fn is_empty(&self) -> bool {
        self.lon.is_empty()
    }

    /// Project every incident into the metric CRS (in parallel; each point independently, so the result does not
    /// depend on the thread count) and return the dataset.
    pub fn finish(mut self) -> Result<Dataset, DatasetError> {
        let (x_m, y_m) =
            project_lonlat(&self.projector, &self.lon, &self.lat).map_err(|i| DatasetError::Projection {
                file: self.sources[usize::from(self.source[i])].file.clone(),
                line: self.line[i],
                lon: self.lon[i],
                lat: self.lat[i],
                crs: self.crs.label.clone(),
            })?;
        self.lon.shrink_to_fit();
        self.lat.shrink_to_fit();
        self.time_s.shrink_to_fit();
        self.precision.shrink_to_fit();
        self.category.shrink_to_fit();
        self.weight.shrink_to_fit();
        self.area.shrink_to_fit();
        self.location.shrink_to_fit();
        self.source.shrink_to_fit();
        self.line.shrink_to_fit();
        Ok(Dataset {
            crs: self.crs,
            x_m: x_m.into(),
            y_m: y_m.into(),
            lon: self.lon.into(),
            lat: self.lat.into(),
            time_s: self.time_s.into(),
            precision: self.precision,
            category: self.category.into(),
            weight: self.weight.into(),
            area: self.area.into(),
            location: self.location.into(),
            source: self.source.into(),
            line: self.line.into(),
            categories: self.categories,
            areas: self.areas,
            locations: self.locations,
            sources: self.sources,
        })
    }
}

/// Project lon/lat columns into `projector`'s metric CRS, in parallel chunks; each point is converted on its own,
/// so the bits do not depend on the thread count. The error is the first index that cannot be projected. Every
/// path that makes x/y (loading rows, the snapshot writer, reprojection) goes through here, so they agree bit for
/// bit.
pub fn project_lonlat(projector: &Projector, lon: &[f64], lat: &[f64]) -> Result<(Vec<f64>, Vec<f64>), usize> {
    use rayon::prelude::*;
    const CHUNK: usize = 16 * 1024;
    let n = lon.len().min(lat.len());
    let mut x_m = vec![0.0f64; n];
    let mut y_m = vec![0.0f64; n];
    let failed: Option<usize> = x_m
        .par_chunks_mut(CHUNK)
        .zip(y_m.par_chunks_mut(CHUNK))
        .enumerate()
        .filter_map(|(c, (xs, ys))| {
            let base = c * CHUNK;
            xs.iter_mut().zip(ys.iter_mut()).enumerate().find_map(|(k, (x, y))| {
                let i = base + k;
                match projector.from_lonlat(lon[i], lat[i]) {
                    Some(p) => {
                        (*x, *y) = p;
                        None
                    }
                    None => Some(i),
                }
            })
        })
        .min();
    match failed {
        Some(i) => Err(i),
        None => Ok((x_m, y_m)),
    }
}

fn optional_name(interner: &Interner, id: u32) -> Option<&str> {
    if id == NONE_ID { None } else { interner.name(id) }
}

/// Category ids are u16: more than 65,535 distinct categories means the category column is not a category (an id
/// or free text), and the extra names share the last id rather than corrupting others.
fn category_id(interner: &mut Interner, name: &str) -> u16 {
    u16::try_from(interner.intern(name)).unwrap_or(u16::MAX)
}

/// The first value of `values` (in order) for which `bad` holds, looked for in parallel blocks.
fn first_where<T: Copy + Send + Sync>(values: &[T], bad: impl Fn(T) -> bool + Sync) -> Option<T> {
    use rayon::prelude::*;
    values
        .par_chunks(1 << 16)
        .map(|block| block.iter().copied().find(|&v| bad(v)))
        .find_first(Option::is_some)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(lon: f64, lat: f64, category: &str) -> IncidentRecord<'_> {
        IncidentRecord {
            lon,
            lat,
            time_s: 1_700_000_000,
            precision: TimePrecision::Month,
            category,
            weight: 1.0,
            area: Some("E01015301"),
            location: None,
            source: 0,
            line: 2,
        }
    }

    #[test]
    fn empty_dataset() {
        let b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 0).unwrap();
        let ds = b.finish().unwrap();
        assert!(ds.is_empty());
        assert_eq!(ds.get(0), None);
        assert_eq!(ds.column_bytes(), 0);
    }

    #[test]
    fn identical_points_project_identically() {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 4).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "a.csv".into() }).unwrap();
        for c in ["Drugs", "Burglary", "Drugs"] {
            b.push(&rec(-1.98, 50.72, c)).unwrap();
        }
        let ds = b.finish().unwrap();
        assert_eq!(ds.len(), 3);
        assert_eq!(ds.x_m()[0], ds.x_m()[2]);
        assert_eq!(ds.categories().len(), 2);
        assert_eq!(ds.category_ids(), &[0, 1, 0]);
        let first = ds.get(0).unwrap();
        assert_eq!(first.category, "Drugs");
        assert_eq!(first.area, Some("E01015301"));
        assert_eq!(first.location, None);
        assert_eq!(first.source.file, "a.csv");
        // 61 bytes of columns per incident: under the 64-byte budget.
        assert_eq!(ds.column_bytes(), 3 * 61);
    }

    #[test]
    fn unknown_source_and_nan_are_errors() {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-2.0, 50.7), 1).unwrap();
        assert!(matches!(b.push(&rec(-1.98, 50.72, "x")), Err(DatasetError::UnknownSource(0))));
        b.add_source(SourceFile { import_id: 1, file: "a.csv".into() }).unwrap();
        b.push(&rec(f64::NAN, 50.72, "x")).unwrap();
        let err = b.finish().unwrap_err();
        assert!(err.to_string().contains("a.csv line 2"), "{err}");
    }

    #[test]
    fn lonlat_is_not_a_dataset_crs() {
        assert!(DatasetBuilder::new(&CrsDef::wgs84(), 0).is_err());
    }
}
