//! Incidents per H3 hexagon, and Getis-Ord Gi* on hexagon k-rings.
//!
//! **What.** [`hex_counts`] puts every selected incident in the H3 cell (Uber's hierarchical hexagonal grid) that
//! holds its WGS84 lon/lat at a chosen resolution and returns the non-empty cells with their counts and summed
//! weights. [`hex_gistar`] computes the Getis-Ord Gi* z-score of every cell of a study area built from those counts,
//! with each cell's neighbourhood its `k`-ring. [`hex_boundary_lonlat`], [`hex_centre_lonlat`] and [`hex_area_m2`]
//! describe one cell for maps and reports; [`resolution_for_zoom`] picks a resolution for a web-map zoom.
//!
//! **Study area and neighbourhoods (Gi\*).** Gi* compares each cell's neighbourhood with the whole study area, so
//! the study area has to include empty cells, or every cell would look "hot" against a mean taken over hot cells
//! only. The rule:
//!
//! - the study cells are every non-empty cell **plus every cell within `k` rings** (grid distance `<= k`, H3's
//!   `gridDisk`) of a non-empty cell; cells added this way have value 0;
//! - the neighbourhood of a study cell is its `grid_disk(k)` restricted to the study cells, the cell itself included
//!   (the "star" of Gi*), all weights 1;
//! - the value of a cell is its incident count, or its summed weight when `use_weight` is set.
//!
//! So a non-empty cell always has its whole disk (`3k(k+1) + 1` cells, fewer next to one of the 12 pentagons), and
//! cells on the rim of the study area have truncated disks, as edge cells of a grid do in
//! [`gistar_grid`](super::gistar::gistar_grid). The z-scores, p-values and bins are those of
//! [`gistar_neighbours`] (see [`super::gistar`] for the formula, the FDR correction and the permutations).
//!
//! **Parameters.** `resolution` 0 (cells of ~4.4 million km²) to 15 (~0.9 m²); crime mapping usually wants 8 to 10
//! (cells of ~0.74 km², ~0.105 km² and ~0.015 km²). `k >= 1` ring radius, at most [`MAX_K`].
//!
//! **Returns.** Cells are always in ascending order of their 64-bit H3 index, so the same input gives the same output
//! (bit for bit) at any thread count: cells are found in parallel, but every sum runs in a fixed order (incidents in
//! selection order, neighbours in index order).
//!
//! **Empty input.** An empty selection gives empty counts (not an error), and [`hex_gistar`] on empty counts returns
//! an empty result whose `gistar.warnings` says there was nothing to analyse (also not an error), so a map of an
//! empty time window can be drawn as an empty layer.
//!
//! **Complexity.** [`hex_counts`]: `O(n)` cell look-ups (parallel) plus `O(n)` hash-map updates and `O(c log c)`
//! sorting for `c` non-empty cells. [`hex_gistar`]: `O(c D log(c D))` to build the study area of `s <= c D` cells,
//! with `D = 3k(k+1) + 1`, and `O(s D log s)` for the neighbourhoods (parallel per cell); memory `O(s D)`, bounded by
//! [`MAX_NEIGHBOUR_ENTRIES`].
//!
//! **References.** Getis, A. and Ord, J. K. (1992), "The analysis of spatial association by use of distance
//! statistics", *Geographical Analysis* 24(3); Ord, J. K. and Getis, A. (1995), "Local spatial autocorrelation
//! statistics: distributional issues and an application", *Geographical Analysis* 27(4). Brodsky, I. (2018), "H3:
//! Uber's Hexagonal Hierarchical Spatial Index", Uber Engineering, <https://h3geo.org>, through its Rust
//! implementation h3o.
//!
//! ```
//! use hotspots::analysis::hex::{hex_boundary_lonlat, resolution_for_zoom};
//! use hotspots::analysis::hex::HexError;
//! assert_eq!(resolution_for_zoom(14), 10);
//! let ring = hex_boundary_lonlat(0x8928308280fffff)?; // San Francisco, resolution 9
//! assert_eq!(ring.len(), 6);
//! # Ok::<(), HexError>(())
//! ```

use super::gistar::{GiStar, GiStarError, GiStarOptions, Neighbours, gistar_neighbours};
use crate::model::{Dataset, Selection};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// The largest ring radius [`hex_gistar`] accepts (a disk of 7,651 cells).
pub const MAX_K: u32 = 50;

/// The most neighbour-list entries (study cells times disk size) [`hex_gistar`] will build, about 400 MB of ids.
pub const MAX_NEIGHBOUR_ENTRIES: usize = 100_000_000;

/// Errors of the hexagon analyses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HexError {
    /// The H3 resolution is not 0 to 15 (the one given).
    #[error(
        "H3 resolution {0} is out of range: valid resolutions are 0 to 15 (0 is coarsest, ~1,281 km edges; 15 is \
         finest, ~0.6 m edges; 8 to 10 suit street-level crime mapping)"
    )]
    BadResolution(u8),
    /// The number is not a valid H3 cell index.
    #[error("{0:x} is not a valid H3 cell index")]
    BadIndex(u64),
    #[error("H3 cell {index:x} is at resolution {found}, but the counts are at resolution {expected}")]
    /// A cell is not at the counts' resolution.
    ResolutionMismatch {
        /// The cell's H3 index.
        index: u64,
        /// Its resolution.
        found: u8,
        /// The counts' resolution.
        expected: u8,
    },
    /// A cell appears twice in the counts (its index).
    #[error("H3 cell {0:x} appears twice in the counts; each cell must appear once")]
    DuplicateCell(u64),
    /// The k-ring radius is not 1 to [`MAX_K`] (the one given).
    #[error("k = {0} is out of range: the k-ring radius must be 1 to {MAX_K}")]
    BadK(u32),
    #[error("the selection refers to incident #{index}, but the dataset has {len} incidents")]
    /// The selection names an incident the dataset does not have.
    BadSelection {
        /// The incident index in the selection.
        index: u32,
        /// Incidents in the dataset.
        len: usize,
    },
    #[error(
        "Gi* on {cells} non-empty or study cells with k = {k} would need about {entries} neighbour entries (the limit \
         is {max}): use a smaller k or a coarser resolution"
    )]
    /// The k-ring neighbour lists would be too large to hold.
    TooLarge {
        /// Study cells.
        cells: usize,
        /// The k-ring radius asked for.
        k: u32,
        /// Neighbour entries the lists would need (about).
        entries: usize,
        /// The most allowed.
        max: usize,
    },
    /// Gi* failed on the k-ring neighbours.
    #[error(transparent)]
    GiStar(#[from] GiStarError),
    /// The caller asked the computation to stop (a cancelled request, a spent budget).
    #[error(transparent)]
    Stopped(#[from] crate::model::Stopped),
}

/// One non-empty hexagon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HexCell {
    /// The H3 cell index (print with `{:x}` for the usual H3 string).
    pub index: u64,
    /// Incidents in the hexagon.
    pub count: u32,
    /// Summed incident weight (equal to `count` when every weight is 1).
    pub weight: f64,
}

/// Incidents per hexagon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexCounts {
    /// The H3 resolution (0 coarsest to 15 finest).
    pub resolution: u8,
    /// Non-empty cells only, ascending by index.
    pub cells: Vec<HexCell>,
    /// Incidents whose lon/lat H3 cannot place (not finite, or latitude beyond +-90 or longitude beyond +-180).
    pub skipped: usize,
}

impl HexCounts {
    /// Incidents counted in some cell.
    pub fn total_count(&self) -> u64 {
        self.cells.iter().map(|c| u64::from(c.count)).sum()
    }
}

/// Gi* on hexagon k-rings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HexGiStar {
    /// The H3 resolution (0 coarsest to 15 finest).
    pub resolution: u8,
    /// The k-ring radius the neighbours are taken within, in rings of cells.
    pub k: u32,
    /// The study cells (see the module docs), ascending by index; `values` and every vector of `gistar` follow
    /// this order.
    pub cells: Vec<u64>,
    /// Count (or weight) per study cell; 0 for the empty cells of the study area.
    pub values: Vec<f64>,
    /// Gi* z-scores, p-values and bins, one per entry of `cells`.
    pub gistar: GiStar,
}

fn resolution(res: u8) -> Result<Resolution, HexError> {
    Resolution::try_from(res).map_err(|_| HexError::BadResolution(res))
}

fn cell(index: u64) -> Result<CellIndex, HexError> {
    CellIndex::try_from(index).map_err(|_| HexError::BadIndex(index))
}

/// The H3 cell holding a point, or `None` when H3 cannot place it.
fn cell_of(lon: f64, lat: f64, res: Resolution) -> Option<u64> {
    if !(lon.is_finite() && lat.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return None;
    }
    LatLng::new(lat, lon).ok().map(|ll| u64::from(ll.to_cell(res)))
}

/// Count `(lon, lat, weight)` items per cell; sums run in item order.
fn accumulate(res: Resolution, items: &[(f64, f64, f64)]) -> HexCounts {
    let cells: Vec<Option<u64>> = items.par_iter().map(|&(lon, lat, _)| cell_of(lon, lat, res)).collect();
    let mut map: FxHashMap<u64, (u32, f64)> = FxHashMap::default();
    let mut skipped = 0;
    for (c, &(_, _, w)) in cells.iter().zip(items) {
        match c {
            Some(c) => {
                let e = map.entry(*c).or_insert((0, 0.0));
                e.0 = e.0.saturating_add(1);
                e.1 += w;
            }
            None => skipped += 1,
        }
    }
    let mut cells: Vec<HexCell> =
        map.into_iter().map(|(index, (count, weight))| HexCell { index, count, weight }).collect();
    cells.sort_unstable_by_key(|c| c.index);
    HexCounts { resolution: u8::from(res), cells, skipped }
}

/// Count the selected incidents per H3 cell at `resolution` (0 to 15).
///
/// The weight of an incident is its weight column times `category_weight[category]` (1 when `None`, or when the
/// table has no entry for the category), as in [`Points::from_selection`](super::Points::from_selection). Incidents
/// H3 cannot place are counted in `skipped`, so `total_count() + skipped == sel.len()`.
///
/// # Errors
/// [`HexError::BadResolution`] for a resolution above 15; [`HexError::BadSelection`] when the selection holds an
/// index past the end of the dataset.
pub fn hex_counts(
    ds: &Dataset,
    sel: &Selection,
    category_weight: Option<&[f64]>,
    resolution: u8,
) -> Result<HexCounts, HexError> {
    let res = self::resolution(resolution)?;
    let (lons, lats, ws, cats) = (ds.lon(), ds.lat(), ds.weight(), ds.category_ids());
    let items = sel
        .indices
        .iter()
        .map(|&i| {
            let k = i as usize;
            match (lons.get(k), lats.get(k), ws.get(k), cats.get(k)) {
                (Some(&lon), Some(&lat), Some(&w), Some(&cat)) => {
                    let cw = category_weight.and_then(|t| t.get(usize::from(cat)).copied()).unwrap_or(1.0);
                    Ok((lon, lat, f64::from(w) * cw))
                }
                _ => Err(HexError::BadSelection { index: i, len: ds.len() }),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(accumulate(res, &items))
}

/// The boundary of a cell as `(lon, lat)` degrees: an **open** ring (the first vertex is not repeated at the end),
/// **counter-clockwise** in lon/lat (a positive signed area with lon as x and lat as y: the RFC 7946 exterior
/// ring orientation). Hexagons have 6 vertices; pentagons 5; cells cut by an icosahedron edge get extra vertices
/// where the edge crosses them (at most 10).
///
/// For a Web Mercator tile (y down) reverse the ring: a counter-clockwise ring in lon/lat is counter-clockwise on
/// screen, and MVT wants exterior rings clockwise on screen.
///
/// Longitudes are made continuous from the first vertex, so a cell crossing the antimeridian has some longitudes
/// beyond +-180 rather than a ring that spans the globe (split it if a consumer needs RFC 7946's antimeridian
/// cutting). The ring of a cell containing a pole does not enclose it in lon/lat.
///
/// # Errors
/// [`HexError::BadIndex`] when `index` is not a valid H3 cell.
pub fn hex_boundary_lonlat(index: u64) -> Result<Vec<(f64, f64)>, HexError> {
    let c = cell(index)?;
    let mut ring: Vec<(f64, f64)> = Vec::with_capacity(10);
    for ll in c.boundary().iter() {
        let mut lon = ll.lng();
        if let Some(&(prev, _)) = ring.last() {
            while lon - prev > 180.0 {
                lon -= 360.0;
            }
            while lon - prev < -180.0 {
                lon += 360.0;
            }
        }
        ring.push((lon, ll.lat()));
    }
    // h3o documents its boundaries as counter-clockwise; make sure, since callers rely on it.
    if signed_area(&ring) < 0.0 {
        ring.reverse();
    }
    Ok(ring)
}

/// The signed area (shoelace) of an open ring, positive when counter-clockwise with y up.
fn signed_area(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        / 2.0
}

/// The centre of a cell as `(lon, lat)` degrees.
///
/// # Errors
/// [`HexError::BadIndex`] when `index` is not a valid H3 cell.
pub fn hex_centre_lonlat(index: u64) -> Result<(f64, f64), HexError> {
    let ll = LatLng::from(cell(index)?);
    Ok((ll.lng(), ll.lat()))
}

/// The area of a cell on the authalic sphere, square metres (H3's exact cell area, not the resolution's average).
///
/// # Errors
/// [`HexError::BadIndex`] when `index` is not a valid H3 cell.
pub fn hex_area_m2(index: u64) -> Result<f64, HexError> {
    Ok(cell(index)?.area_m2())
}

/// Gi* of every study cell (see the module docs for the study area and neighbourhood rule).
///
/// # Errors
/// [`HexError::BadK`] unless `1 <= k <= MAX_K`; [`HexError::BadResolution`], [`HexError::BadIndex`],
/// [`HexError::ResolutionMismatch`] or [`HexError::DuplicateCell`] when `counts` was not made by [`hex_counts`];
/// [`HexError::TooLarge`] when the neighbour lists would exceed [`MAX_NEIGHBOUR_ENTRIES`]; [`HexError::GiStar`]
/// when a weight is not finite.
pub fn hex_gistar(counts: &HexCounts, k: u32, use_weight: bool, opts: GiStarOptions) -> Result<HexGiStar, HexError> {
    if !(1..=MAX_K).contains(&k) {
        return Err(HexError::BadK(k));
    }
    let res = resolution(counts.resolution)?;
    let disk = 3 * k as usize * (k as usize + 1) + 1;
    let too_large =
        |cells: usize| HexError::TooLarge { cells, k, entries: cells.saturating_mul(disk), max: MAX_NEIGHBOUR_ENTRIES };
    if counts.cells.len().saturating_mul(disk) > MAX_NEIGHBOUR_ENTRIES {
        return Err(too_large(counts.cells.len()));
    }
    let mut value_of: FxHashMap<u64, f64> = FxHashMap::default();
    let mut seeds = Vec::with_capacity(counts.cells.len());
    for c in &counts.cells {
        let ci = cell(c.index)?;
        if ci.resolution() != res {
            return Err(HexError::ResolutionMismatch {
                index: c.index,
                found: u8::from(ci.resolution()),
                expected: counts.resolution,
            });
        }
        let v = if use_weight { c.weight } else { f64::from(c.count) };
        if value_of.insert(c.index, v).is_some() {
            return Err(HexError::DuplicateCell(c.index));
        }
        seeds.push(ci);
    }

    let (study, nb) = study_neighbours(&seeds, k)?;

    let values: Vec<f64> = study.iter().map(|c| value_of.get(c).copied().unwrap_or(0.0)).collect();
    let mut gistar = gistar_neighbours(&values, &nb, opts)?;
    if study.is_empty() {
        gistar.warnings.insert(0, "no incidents in any hexagon: there is nothing to analyse".into());
    }
    Ok(HexGiStar { resolution: counts.resolution, k, cells: study, values, gistar })
}

/// The study area of Gi* on k-rings around `seeds` (every cell within `k` of a seed, seeds included), ascending by
/// index, and each study cell's disk restricted to the study area.
fn study_neighbours(seeds: &[CellIndex], k: u32) -> Result<(Vec<u64>, Neighbours), HexError> {
    let disk = 3 * k as usize * (k as usize + 1) + 1;
    let too_large =
        |cells: usize| HexError::TooLarge { cells, k, entries: cells.saturating_mul(disk), max: MAX_NEIGHBOUR_ENTRIES };
    // The study area: every cell within k of a non-empty cell (the non-empty cells included).
    let mut study: Vec<u64> =
        seeds.par_iter().flat_map_iter(|c| c.grid_disk::<Vec<_>>(k).into_iter().map(u64::from)).collect();
    study.par_sort_unstable();
    study.dedup();
    if study.len().saturating_mul(disk) > MAX_NEIGHBOUR_ENTRIES {
        return Err(too_large(study.len()));
    }

    // Each study cell's disk, restricted to the study area, as sorted positions in `study`; the thread's budget
    // (a server's computation) is checked at every cell.
    let budget = crate::model::Budget::current();
    budget.check()?;
    let lists: Vec<Vec<u32>> = study
        .par_iter()
        .map(|&c| {
            budget.check()?;
            let mut ids: Vec<u32> = cell(c)?
                .grid_disk::<Vec<_>>(k)
                .into_iter()
                .filter_map(|n| study.binary_search(&u64::from(n)).ok().map(|p| p as u32))
                .collect();
            ids.sort_unstable();
            Ok(ids)
        })
        .collect::<Result<_, HexError>>()?;
    let mut nb = Neighbours { offsets: Vec::with_capacity(study.len() + 1), ids: Vec::new() };
    nb.offsets.push(0);
    nb.ids.reserve(lists.iter().map(Vec::len).sum());
    for l in &lists {
        nb.ids.extend_from_slice(l);
        nb.offsets.push(nb.ids.len());
    }
    drop(lists);
    Ok((study, nb))
}

/// The study cells and k-ring neighbourhoods around the non-empty cells of `counts` (as [`hex_gistar`] uses them),
/// for analyses that reuse one neighbourhood over several time steps.
pub fn hex_neighbourhoods(counts: &HexCounts, k: u32) -> Result<(Vec<u64>, Neighbours), HexError> {
    if !(1..=MAX_K).contains(&k) {
        return Err(HexError::BadK(k));
    }
    let seeds = counts.cells.iter().map(|c| cell(c.index)).collect::<Result<Vec<_>, _>>()?;
    if seeds.len().saturating_mul(3 * k as usize * (k as usize + 1) + 1) > MAX_NEIGHBOUR_ENTRIES {
        return Err(HexError::TooLarge {
            cells: seeds.len(),
            k,
            entries: seeds.len().saturating_mul(3 * k as usize * (k as usize + 1) + 1),
            max: MAX_NEIGHBOUR_ENTRIES,
        });
    }
    study_neighbours(&seeds, k)
}

/// Web-map zoom (0 to 22; higher zooms use 22) to the H3 resolution whose hexagons look about 20 to 60 pixels
/// across.
///
/// "Across" is the vertex-to-vertex width, twice the resolution's average edge length; a Web Mercator pixel covers
/// `156,543.03 cos(lat) / 2^zoom` metres. The table picks, for each zoom, the resolution closest (in log scale) to
/// 35 px at latitude 45°, where every zoom lands between 22 and 53 px. Hexagons look larger towards the poles
/// (`1 / cos(lat)`): at 55° (Britain) the same table gives 27 to 65 px, at the equator 16 to 37 px.
///
/// | zoom | 0-1 | 2 | 3-4 | 5 | 6 | 7-8 | 9 | 10-11 | 12 | 13 | 14-15 | 16 | 17-18 | 19 | 20 | 21-22 |
/// | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
/// | resolution | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 |
pub fn resolution_for_zoom(zoom: u8) -> u8 {
    const TABLE: [u8; 23] = [0, 0, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 10, 11, 12, 12, 13, 14, 15, 15];
    TABLE[usize::from(zoom.min(22))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use crate::model::dataset::{DatasetBuilder, IncidentRecord, SourceFile};
    use crate::model::time::TimePrecision;

    /// H3's own README example: this point is in cell 8928308280fffff at resolution 9.
    const SF: (f64, f64) = (-122.418_307_270_836_56, 37.775_270_215_195_96);
    const SF_CELL: u64 = 0x8928308280fffff;

    fn dataset(points: &[(f64, f64, &str, f32)]) -> Dataset {
        let mut b = DatasetBuilder::new(&CrsDef::utm_for(-122.4, 37.77), points.len()).unwrap();
        b.add_source(SourceFile { import_id: 1, file: "t.csv".into() }).unwrap();
        for (line, &(lon, lat, category, weight)) in points.iter().enumerate() {
            b.push(&IncidentRecord {
                lon,
                lat,
                time_s: 0,
                precision: TimePrecision::Day,
                category,
                weight,
                area: None,
                location: None,
                source: 0,
                line: line as u32 + 2,
            })
            .unwrap();
        }
        b.finish().unwrap()
    }

    fn all(ds: &Dataset) -> Selection {
        Selection { indices: (0..ds.len() as u32).collect(), warnings: vec![] }
    }

    fn counts_of(cells: &[(u64, u32)], res: u8) -> HexCounts {
        HexCounts {
            resolution: res,
            cells: cells.iter().map(|&(index, count)| HexCell { index, count, weight: f64::from(count) }).collect(),
            skipped: 0,
        }
    }

    #[test]
    fn resolution_out_of_range_names_the_valid_range() {
        let ds = dataset(&[(SF.0, SF.1, "A", 1.0)]);
        let e = hex_counts(&ds, &all(&ds), None, 16).unwrap_err();
        assert_eq!(e, HexError::BadResolution(16));
        let msg = e.to_string();
        assert!(msg.contains("16") && msg.contains("0 to 15"), "{msg}");
        assert!(matches!(
            hex_gistar(&counts_of(&[], 200), 1, false, GiStarOptions::default()),
            Err(HexError::BadResolution(200))
        ));
        for r in 0..=15 {
            assert!(hex_counts(&ds, &all(&ds), None, r).is_ok());
        }
    }

    #[test]
    fn counts_known_points_and_weights() {
        let near = (-122.41, 37.78);
        let far = (-122.30, 37.70);
        let ds = dataset(&[
            (SF.0, SF.1, "Burglary", 1.0),
            (far.0, far.1, "Drugs", 2.0),
            (SF.0, SF.1, "Drugs", 1.0),
            (SF.0, SF.1, "Burglary", 0.5),
            (near.0, near.1, "Burglary", 1.0),
        ]);
        let c = hex_counts(&ds, &all(&ds), None, 9).unwrap();
        assert_eq!(c.resolution, 9);
        assert_eq!(c.skipped, 0);
        assert_eq!(c.total_count(), 5);
        assert_eq!(c.cells.len(), 3);
        assert!(c.cells.windows(2).all(|w| w[0].index < w[1].index));
        let sf = c.cells.iter().find(|x| x.index == SF_CELL).unwrap();
        assert_eq!((sf.count, sf.weight), (3, 2.5));

        // Category weights: Burglary (id 0) x 10, Drugs (id 1) x 3.
        let c = hex_counts(&ds, &all(&ds), Some(&[10.0, 3.0]), 9).unwrap();
        let sf = c.cells.iter().find(|x| x.index == SF_CELL).unwrap();
        assert_eq!((sf.count, sf.weight), (3, 18.0));
        // A table too short for a category leaves that category at 1.
        let c = hex_counts(&ds, &all(&ds), Some(&[10.0]), 9).unwrap();
        assert_eq!(c.cells.iter().find(|x| x.index == SF_CELL).unwrap().weight, 16.0);

        // A sub-selection; an index past the end is an error, not a panic.
        let sel = Selection { indices: vec![1, 3], warnings: vec![] };
        assert_eq!(hex_counts(&ds, &sel, None, 9).unwrap().total_count(), 2);
        let bad = Selection { indices: vec![0, 99], warnings: vec![] };
        assert_eq!(hex_counts(&ds, &bad, None, 9), Err(HexError::BadSelection { index: 99, len: 5 }));

        // Coarse enough, everything shares one cell.
        let c = hex_counts(&ds, &all(&ds), None, 3).unwrap();
        assert_eq!(c.cells.len(), 1);
        assert_eq!(c.cells[0].count, 5);
    }

    #[test]
    fn unplaceable_points_are_skipped_and_counted() {
        let items = [
            (SF.0, SF.1, 1.0),
            (f64::NAN, 10.0, 1.0),
            (10.0, f64::INFINITY, 1.0),
            (0.0, 90.5, 1.0),
            (180.5, 0.0, 1.0),
            (180.0, -90.0, 1.0),
            (SF.0, SF.1, 1.0),
        ];
        let c = accumulate(Resolution::Nine, &items);
        assert_eq!(c.skipped, 4);
        assert_eq!(c.total_count() as usize + c.skipped, items.len());
        assert_eq!(c.cells.iter().find(|x| x.index == SF_CELL).map(|x| x.count), Some(2));
    }

    #[test]
    fn empty_selection_gives_empty_counts_and_an_empty_gistar() {
        let ds = dataset(&[(SF.0, SF.1, "A", 1.0)]);
        let c = hex_counts(&ds, &Selection { indices: vec![], warnings: vec![] }, None, 9).unwrap();
        assert!(c.cells.is_empty());
        assert_eq!((c.skipped, c.total_count()), (0, 0));
        let g = hex_gistar(&c, 2, false, GiStarOptions::default()).unwrap();
        assert!(g.cells.is_empty() && g.values.is_empty() && g.gistar.z.is_empty());
        assert!(g.gistar.warnings[0].contains("nothing to analyse"), "{:?}", g.gistar.warnings);
    }

    fn ring_checks(index: u64) {
        let ring = hex_boundary_lonlat(index).unwrap();
        let pentagon = cell(index).unwrap().is_pentagon();
        assert!(ring.len() >= if pentagon { 5 } else { 6 } && ring.len() <= 10, "{index:x}: {}", ring.len());
        assert_ne!(ring.first(), ring.last(), "ring must be open");
        assert!(signed_area(&ring) > 0.0, "{index:x} must be counter-clockwise");
        let (lon, lat) = hex_centre_lonlat(index).unwrap();
        assert!(point_in_ring(lon, lat, &ring), "{index:x}: centre outside its own boundary");
        // And the centre maps back to the same cell.
        let res = cell(index).unwrap().resolution();
        assert_eq!(cell_of(lon, lat, res), Some(index));
    }

    fn point_in_ring(x: f64, y: f64, ring: &[(f64, f64)]) -> bool {
        let mut inside = false;
        let n = ring.len();
        for i in 0..n {
            let ((xi, yi), (xj, yj)) = (ring[i], ring[(i + n - 1) % n]);
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
        }
        inside
    }

    #[test]
    fn boundary_is_open_counter_clockwise_and_holds_the_centre() {
        ring_checks(SF_CELL);
        for &(lon, lat) in &[(-1.98, 50.72), (151.2, -33.87), (0.0, 0.0), (-87.63, 41.88), (18.0, 69.6)] {
            for r in [0u8, 4, 8, 9, 10, 15] {
                let res = Resolution::try_from(r).unwrap();
                ring_checks(cell_of(lon, lat, res).unwrap());
            }
        }
        // Pentagons (five vertices, or more when cut by icosahedron edges at class III resolutions).
        for res in [Resolution::Two, Resolution::Nine] {
            for p in res.pentagons() {
                ring_checks(u64::from(p));
            }
        }
        // A cell astride the antimeridian: longitudes continuous, still counter-clockwise.
        let c = cell_of(180.0, 0.0, Resolution::Five).unwrap();
        let ring = hex_boundary_lonlat(c).unwrap();
        assert!(ring.windows(2).all(|w| (w[0].0 - w[1].0).abs() < 1.0), "{ring:?}");
        assert!(signed_area(&ring) > 0.0);
        assert_eq!(hex_boundary_lonlat(0x1234), Err(HexError::BadIndex(0x1234)));
        assert!(hex_centre_lonlat(0).is_err());
        assert!(hex_area_m2(u64::MAX).unwrap_err().to_string().contains("not a valid H3 cell"));
    }

    #[test]
    fn areas_match_h3() {
        // The value in h3o's own documentation for this cell.
        assert!((hex_area_m2(0x8a1fb46622dffff).unwrap() - 13_407.827_139_722_947).abs() < 1e-5);
        let a = hex_area_m2(SF_CELL).unwrap();
        assert!((a / Resolution::Nine.area_m2() - 1.0).abs() < 0.3, "{a}");
    }

    /// Gi* z by the textbook formula, with neighbours found by `grid_distance <= k` over every pair of study cells.
    fn brute_force(cells: &[u64], values: &[f64], k: u32) -> Vec<f64> {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let s = (values.iter().map(|x| x * x).sum::<f64>() / n - mean * mean).sqrt();
        cells
            .iter()
            .map(|&i| {
                let ci = cell(i).unwrap();
                let (mut l, mut w) = (0.0, 0.0);
                for (&j, &x) in cells.iter().zip(values) {
                    if ci.grid_distance(cell(j).unwrap()).is_ok_and(|d| d <= k as i32) {
                        l += x;
                        w += 1.0;
                    }
                }
                let var = (n * w - w * w) / (n - 1.0);
                if var <= 0.0 { 0.0 } else { (l - mean * w) / (s * var.sqrt()) }
            })
            .collect()
    }

    /// Non-empty cells: a cluster of 7 around a centre cell, and scattered singles far away.
    fn synthetic(res: Resolution) -> (u64, HexCounts) {
        let centre = LatLng::new(50.72, -1.98).unwrap().to_cell(res);
        let mut cells: Vec<(u64, u32)> = centre.grid_disk::<Vec<_>>(1).into_iter().map(|c| (u64::from(c), 5)).collect();
        if let Some(c) = cells.iter_mut().find(|c| c.0 == u64::from(centre)) {
            c.1 = 20;
        }
        for i in 0..30 {
            let ll = LatLng::new(50.60 + 0.007 * f64::from(i % 6), -2.30 + 0.011 * f64::from(i / 6)).unwrap();
            cells.push((u64::from(ll.to_cell(res)), 1 + (i % 3) as u32));
        }
        cells.sort_unstable();
        cells.dedup_by_key(|c| c.0);
        (u64::from(centre), counts_of(&cells, u8::from(res)))
    }

    #[test]
    fn cluster_is_the_hottest_and_far_cells_are_near_zero() {
        let (centre, counts) = synthetic(Resolution::Nine);
        let g = hex_gistar(&counts, 1, false, GiStarOptions::default()).unwrap();
        let at = g.cells.binary_search(&centre).unwrap();
        // With k = 1 only the centre's disk holds the whole cluster: it alone has the highest z.
        for (i, &z) in g.gistar.z.iter().enumerate() {
            assert!(i == at || z < g.gistar.z[at], "{:x}: {z} >= {}", g.cells[i], g.gistar.z[at]);
        }
        assert!(g.gistar.z[at] > 5.0, "{}", g.gistar.z[at]);
        assert_eq!(g.gistar.bin[at], 3);
        // With k = 2 the centre and its first ring all hold the whole cluster: they tie at the top.
        let g = hex_gistar(&counts, 2, false, GiStarOptions::default()).unwrap();
        let top = g.gistar.z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(g.gistar.z[g.cells.binary_search(&centre).unwrap()], top);
        // Cells of the study area far from the cluster: |z| small.
        let c = cell(centre).unwrap();
        let mut far = 0;
        for (i, &x) in g.cells.iter().enumerate() {
            if c.grid_distance(cell(x).unwrap()).is_ok_and(|d| d > 10) {
                assert!(g.gistar.z[i].abs() < 1.5, "{x:x}: {}", g.gistar.z[i]);
                far += 1;
            }
        }
        assert!(far > 100, "{far}");
    }

    #[test]
    fn study_area_and_z_match_brute_force() {
        for (res, k) in [(Resolution::Nine, 1), (Resolution::Nine, 2), (Resolution::Eight, 3)] {
            let (_, counts) = synthetic(res);
            let g = hex_gistar(&counts, k, false, GiStarOptions::default()).unwrap();
            // The study area: candidates from a wider disk, kept when within k of a non-empty cell.
            let seeds: Vec<CellIndex> = counts.cells.iter().map(|c| cell(c.index).unwrap()).collect();
            let mut expected: Vec<u64> = seeds
                .iter()
                .flat_map(|s| s.grid_disk::<Vec<_>>(k + 2))
                .filter(|c| seeds.iter().any(|s| s.grid_distance(*c).is_ok_and(|d| d <= k as i32)))
                .map(u64::from)
                .collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(g.cells, expected);
            assert_eq!(g.values.iter().sum::<f64>(), counts.total_count() as f64);
            let z = brute_force(&g.cells, &g.values, k);
            for (a, b) in g.gistar.z.iter().zip(&z) {
                assert!((a - b).abs() < 1e-10, "res {res} k {k}: {a} vs {b}");
            }
            // Non-empty cells have their whole disk.
            let full = 3 * k * (k + 1) + 1;
            for (i, v) in g.values.iter().enumerate() {
                if *v > 0.0 {
                    assert_eq!(g.gistar.neighbours[i], full);
                }
            }
        }
    }

    #[test]
    fn weights_determinism_and_bad_input() {
        let (_, mut counts) = synthetic(Resolution::Nine);
        counts.cells[0].weight = 7.5;
        let g = hex_gistar(&counts, 1, true, GiStarOptions::default()).unwrap();
        let i = g.cells.binary_search(&counts.cells[0].index).unwrap();
        assert_eq!(g.values[i], 7.5);
        // Same result on one thread and on many.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let one = pool.install(|| hex_gistar(&counts, 2, true, GiStarOptions::default()).unwrap());
        let many = hex_gistar(&counts, 2, true, GiStarOptions::default()).unwrap();
        assert_eq!(one, many);

        assert_eq!(hex_gistar(&counts, 0, false, GiStarOptions::default()), Err(HexError::BadK(0)));
        assert!(
            hex_gistar(&counts, MAX_K + 1, false, GiStarOptions::default())
                .unwrap_err()
                .to_string()
                .contains("1 to 50")
        );
        let mut dup = counts.clone();
        dup.cells.push(dup.cells[0]);
        assert!(matches!(hex_gistar(&dup, 1, false, GiStarOptions::default()), Err(HexError::DuplicateCell(_))));
        let mut wrong = counts.clone();
        wrong.resolution = 8;
        assert!(matches!(
            hex_gistar(&wrong, 1, false, GiStarOptions::default()),
            Err(HexError::ResolutionMismatch { found: 9, expected: 8, .. })
        ));
        let mut bad = counts.clone();
        bad.cells[0].index = 42;
        assert_eq!(hex_gistar(&bad, 1, false, GiStarOptions::default()), Err(HexError::BadIndex(42)));
        let mut nan = counts.clone();
        nan.cells[0].weight = f64::NAN;
        assert!(matches!(hex_gistar(&nan, 1, true, GiStarOptions::default()), Err(HexError::GiStar(_))));
        // A study area beyond the limit is refused before any work.
        let big = HexCounts {
            resolution: 9,
            cells: vec![HexCell { index: SF_CELL, count: 1, weight: 1.0 }; MAX_NEIGHBOUR_ENTRIES / 7651 + 1],
            skipped: 0,
        };
        assert!(matches!(hex_gistar(&big, 50, false, GiStarOptions::default()), Err(HexError::TooLarge { .. })));
    }

    #[test]
    fn one_cell_is_defined_and_near_a_pentagon_works() {
        let g = hex_gistar(&counts_of(&[(SF_CELL, 4)], 9), 1, false, GiStarOptions::default()).unwrap();
        assert_eq!(g.cells.len(), 7);
        assert_eq!(g.gistar.neighbours[g.cells.binary_search(&SF_CELL).unwrap()], 7);
        assert!(g.gistar.z.iter().all(|z| z.is_finite()));
        // Around a pentagon the disk is 1 + 5 + 10 cells. (H3's grid distance is undefined across a pentagon's
        // missing sector, so the brute force above cannot be used here; the disk is H3's breadth-first gridDisk.)
        let p = Resolution::Seven.pentagons().next().unwrap();
        let g = hex_gistar(&counts_of(&[(u64::from(p), 3)], 7), 2, false, GiStarOptions::default()).unwrap();
        assert_eq!(g.cells.len(), 16);
        let at = g.cells.binary_search(&u64::from(p)).unwrap();
        assert_eq!(g.gistar.neighbours[at], 16);
        assert_eq!(g.values.iter().sum::<f64>(), 3.0);
        assert!(g.gistar.z.iter().all(|z| z.is_finite()));
        // The pentagon's neighbourhood is the whole study area (W = n), where Gi* is 0 by definition.
        assert_eq!(g.gistar.z[at], 0.0);
    }

    #[test]
    fn zoom_table_gives_20_to_60_px_at_45_degrees() {
        let m_per_px = |zoom: u8| 156_543.033_928 * 45f64.to_radians().cos() / 2f64.powi(i32::from(zoom));
        for zoom in 0..=22u8 {
            let r = resolution_for_zoom(zoom);
            let px = 2.0 * Resolution::try_from(r).unwrap().edge_length_m() / m_per_px(zoom);
            assert!((20.0..=60.0).contains(&px), "zoom {zoom}: resolution {r} is {px:.1} px");
            // And no other resolution is closer to 35 px in log scale.
            for other in 0..=15u8 {
                let p = 2.0 * Resolution::try_from(other).unwrap().edge_length_m() / m_per_px(zoom);
                assert!((p / 35.0).ln().abs() >= (px / 35.0).ln().abs() - 1e-9, "zoom {zoom}: {other} is closer");
            }
        }
        assert_eq!(resolution_for_zoom(30), 15);
        assert!((0..=30).map(resolution_for_zoom).collect::<Vec<_>>().windows(2).all(|w| w[0] <= w[1]));
    }
}
