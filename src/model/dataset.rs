//! The in-memory, columnar incident table that every analysis reads.
//!
//! One `Vec` per attribute, indexed by incident. Strings (categories, area codes, location texts) are interned
//! once; each incident carries small integer ids. Source ids and raw rows stay in the store and are fetched by
//! `(source, line)` when asked for. See `BENCHMARKS.md` for the measured bytes per incident.

use super::interner::Interner;
use super::time::TimePrecision;
use crate::geo::{CrsDef, Projector};

/// Marker for "no value" in the optional interned columns (area, location).
pub const NONE_ID: u32 = u32::MAX;

/// One source file an incident came from (an import in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub import_id: i64,
    pub file: String,
}

/// One incident as handed to [`DatasetBuilder::push`]; x/y are computed by the builder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRecord<'a> {
    pub lon: f64,
    pub lat: f64,
    pub time_s: i64,
    pub precision: TimePrecision,
    pub category: &'a str,
    pub weight: f32,
    pub area: Option<&'a str>,
    pub location: Option<&'a str>,
    /// Index into the dataset's source files.
    pub source: u16,
    pub line: u32,
}

/// A borrowed view of one incident in a [`Dataset`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncidentRef<'a> {
    pub x_m: f64,
    pub y_m: f64,
    pub lon: f64,
    pub lat: f64,
    pub time_s: i64,
    pub precision: TimePrecision,
    pub category: &'a str,
    pub weight: f32,
    pub area: Option<&'a str>,
    pub location: Option<&'a str>,
    pub source: &'a SourceFile,
    pub line: u32,
}

/// Errors building a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error(transparent)]
    Crs(#[from] crate::geo::CrsError),
    #[error("incident at {file} line {line} (lon {lon}, lat {lat}) cannot be projected to {crs}")]
    Projection { file: String, line: u32, lon: f64, lat: f64, crs: String },
    #[error("incident refers to source file #{0}, which was not registered")]
    UnknownSource(u16),
    #[error("too many source files ({0}); at most 65535 imports can be loaded at once")]
    TooManySources(usize),
}

/// Columnar incidents with projected metric coordinates.
#[derive(Debug, Clone)]
pub struct Dataset {
    crs: CrsDef,
    x_m: Vec<f64>,
    y_m: Vec<f64>,
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

impl Dataset {
    pub fn len(&self) -> usize {
        self.x_m.len()
    }
    pub fn is_empty(&self) -> bool {
        self.x_m.is_empty()
    }
    /// The metric CRS of `x_m`/`y_m`.
    pub fn crs(&self) -> &CrsDef {
        &self.crs
    }
    pub fn x_m(&self) -> &[f64] {
        &self.x_m
    }
    pub fn y_m(&self) -> &[f64] {
        &self.y_m
    }
    pub fn lon(&self) -> &[f64] {
        &self.lon
    }
    pub fn lat(&self) -> &[f64] {
        &self.lat
    }
    /// Start of each incident's time interval, seconds since the Unix epoch (UTC).
    pub fn time_s(&self) -> &[i64] {
        &self.time_s
    }
    pub fn precision(&self) -> &[TimePrecision] {
        &self.precision
    }
    /// Category id per incident; names in [`Dataset::categories`].
    pub fn category_ids(&self) -> &[u16] {
        &self.category
    }
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
    pub fn source_ids(&self) -> &[u16] {
        &self.source
    }
    pub fn lines(&self) -> &[u32] {
        &self.line
    }
    pub fn categories(&self) -> &Interner {
        &self.categories
    }
    pub fn areas(&self) -> &Interner {
        &self.areas
    }
    pub fn locations(&self) -> &Interner {
        &self.locations
    }
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

    /// Heap bytes held by the per-incident columns (capacity, not just length).
    pub fn column_bytes(&self) -> usize {
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        cap(&self.x_m)
            + cap(&self.y_m)
            + cap(&self.lon)
            + cap(&self.lat)
            + cap(&self.time_s)
            + cap(&self.precision)
            + cap(&self.category)
            + cap(&self.weight)
            + cap(&self.area)
            + cap(&self.location)
            + cap(&self.source)
            + cap(&self.line)
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
    ds: Dataset,
}

impl DatasetBuilder {
    /// A builder projecting into `crs`, which must be metric. `capacity` pre-sizes the columns.
    pub fn new(crs: &CrsDef, capacity: usize) -> Result<Self, DatasetError> {
        let projector = Projector::new_metric(crs)?;
        Ok(DatasetBuilder {
            projector,
            ds: Dataset {
                crs: crs.clone(),
                x_m: Vec::new(),
                y_m: Vec::new(),
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
            },
        })
    }

    /// Register a source file; returns the index to put in [`IncidentRecord::source`].
    pub fn add_source(&mut self, source: SourceFile) -> Result<u16, DatasetError> {
        let idx = u16::try_from(self.ds.sources.len())
            .map_err(|_| DatasetError::TooManySources(self.ds.sources.len() + 1))?;
        self.ds.sources.push(source);
        Ok(idx)
    }

    /// Pre-intern a category so ids follow a chosen order (the store's order).
    pub fn intern_category(&mut self, name: &str) -> u16 {
        category_id(&mut self.ds.categories, name)
    }
    pub fn intern_area(&mut self, code: &str) -> u32 {
        self.ds.areas.intern(code)
    }
    pub fn intern_location(&mut self, text: &str) -> u32 {
        self.ds.locations.intern(text)
    }

    /// Add one incident given as strings.
    pub fn push(&mut self, rec: &IncidentRecord<'_>) -> Result<(), DatasetError> {
        let category = self.intern_category(rec.category);
        let area = rec.area.map_or(NONE_ID, |a| self.ds.areas.intern(a));
        let location = rec.location.map_or(NONE_ID, |l| self.ds.locations.intern(l));
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
        if usize::from(rec.source) >= self.ds.sources.len() {
            return Err(DatasetError::UnknownSource(rec.source));
        }
        let d = &mut self.ds;
        d.lon.push(rec.lon);
        d.lat.push(rec.lat);
        d.time_s.push(rec.time_s);
        d.precision.push(rec.precision);
        d.category.push(category);
        d.weight.push(rec.weight);
        d.area.push(area);
        d.location.push(location);
        d.source.push(rec.source);
        d.line.push(rec.line);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.ds.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ds.is_empty()
    }

    /// Project every incident into the metric CRS (in parallel; each point independently, so the result does not
    /// depend on the thread count) and return the dataset.
    pub fn finish(mut self) -> Result<Dataset, DatasetError> {
        use rayon::prelude::*;
        const CHUNK: usize = 16 * 1024;
        let d = &mut self.ds;
        let n = d.lon.len();
        let mut xy = vec![(0.0f64, 0.0f64); n];
        let projector = &self.projector;
        let failed: Option<usize> = xy
            .par_chunks_mut(CHUNK)
            .enumerate()
            .filter_map(|(c, out)| {
                let base = c * CHUNK;
                out.iter_mut().enumerate().find_map(|(k, slot)| {
                    let i = base + k;
                    match projector.from_lonlat(d.lon[i], d.lat[i]) {
                        Some(p) => {
                            *slot = p;
                            None
                        }
                        None => Some(i),
                    }
                })
            })
            .min();
        if let Some(i) = failed {
            return Err(DatasetError::Projection {
                file: d.sources[usize::from(d.source[i])].file.clone(),
                line: d.line[i],
                lon: d.lon[i],
                lat: d.lat[i],
                crs: d.crs.label.clone(),
            });
        }
        d.x_m = xy.iter().map(|p| p.0).collect();
        d.y_m = xy.iter().map(|p| p.1).collect();
        d.lon.shrink_to_fit();
        d.lat.shrink_to_fit();
        d.time_s.shrink_to_fit();
        d.precision.shrink_to_fit();
        d.category.shrink_to_fit();
        d.weight.shrink_to_fit();
        d.area.shrink_to_fit();
        d.location.shrink_to_fit();
        d.source.shrink_to_fit();
        d.line.shrink_to_fit();
        Ok(self.ds)
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
