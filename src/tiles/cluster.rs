//! Clustering the points of one tile into square bins, for point layers at low zoom.
//!
//! At low zoom a tile can hold hundreds of thousands of incidents; drawn one by one they would make tiles of many
//! megabytes and an unreadable map. Binning them on the tile's own grid (a fixed partition of tile coordinates,
//! like the grid clustering of maplibre/martin and supercluster's per-zoom grids, but without the merging of
//! neighbouring bins) bounds a tile to `(EXTENT / bin_px)²` features whatever the data, and is deterministic.

use super::coords::{lonlat_to_tile_px, owns_tile_px, tile_px_to_lonlat};
use super::{EXTENT, TileId};

/// One non-empty bin: where to draw it and which points it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Longitude of the mean position of the members (taken in tile coordinates, that is in Web Mercator).
    pub lon: f64,
    /// Latitude of the mean position of the members.
    pub lat: f64,
    /// Indices of the member points in the input slice, in input order.
    pub members: Vec<usize>,
}

impl Cluster {
    /// The number of points in the cluster.
    #[must_use]
    pub fn count(&self) -> usize {
        self.members.len()
    }
}

/// Aggregates the points of one tile into square bins of `bin_px` tile units (e.g. 64 of 4096): each non-empty bin
/// becomes one [`Cluster`] at the mean position of its members, which lists the members' indices so that the
/// caller can compute `count` and any summary properties from them.
///
/// Parameters: `points_lonlat` as `(lon, lat)`; only the points the tile owns are used (the half-open rule of
/// [`super::tile_contains_lonlat`]), so summing clusters over the tiles covering an area counts every point once.
/// `bin_px` is clamped to `1..=EXTENT`; the last row and column of bins may be narrower when it does not divide
/// [`EXTENT`].
///
/// Returns the clusters sorted by bin, row by row from the tile's north-west corner, each position clamped to its
/// bin. Add them to a [`super::TileLayer`] with `own_only = false`: a cluster on the tile's edge could be moved
/// across it by the round trip through lon/lat.
///
/// Complexity: O(n log n) for n points; deterministic (same input, same output, whatever the thread count).
///
/// # Example
///
/// ```
/// use hotspots::tiles::{TileId, cluster_points, tile_px_to_lonlat};
/// let tile = TileId { z: 10, x: 506, y: 343 };
/// let points: Vec<(f64, f64)> = [(10.0, 10.0), (20.0, 30.0), (1000.0, 10.0)]
///     .iter()
///     .map(|&(px, py)| tile_px_to_lonlat(tile, px, py))
///     .collect();
/// let clusters = cluster_points(tile, &points, 64);
/// assert_eq!(clusters.iter().map(|c| c.members.clone()).collect::<Vec<_>>(), vec![vec![0, 1], vec![2]]);
/// ```
#[must_use]
pub fn cluster_points(tile: TileId, points_lonlat: &[(f64, f64)], bin_px: u32) -> Vec<Cluster> {
    let bin_px = bin_px.clamp(1, EXTENT);
    let bins_per_side = EXTENT.div_ceil(bin_px);
    let bin_size = f64::from(bin_px);
    let bin_of = |v: f64| ((v / bin_size) as u32).min(bins_per_side - 1);

    // (bin, point index, px, py) for the points the tile owns.
    let mut binned: Vec<(u32, usize, f64, f64)> = Vec::new();
    for (i, &(lon, lat)) in points_lonlat.iter().enumerate() {
        let (px, py) = lonlat_to_tile_px(tile, lon, lat);
        if owns_tile_px(tile, px, py) {
            binned.push((bin_of(py) * bins_per_side + bin_of(px), i, px, py));
        }
    }
    // Stable: members stay in input order within a bin.
    binned.sort_by_key(|&(bin, ..)| bin);

    let extent = f64::from(EXTENT);
    binned
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let bin = group[0].0;
            let (bx, by) = (f64::from(bin % bins_per_side), f64::from(bin / bins_per_side));
            let n = group.len() as f64;
            let (sum_x, sum_y) = group.iter().fold((0.0, 0.0), |(sx, sy), &(_, _, px, py)| (sx + px, sy + py));
            let mean_x = (sum_x / n).clamp(bx * bin_size, ((bx + 1.0) * bin_size).min(extent));
            let mean_y = (sum_y / n).clamp(by * bin_size, ((by + 1.0) * bin_size).min(extent));
            let (lon, lat) = tile_px_to_lonlat(tile, mean_x, mean_y);
            Cluster { lon, lat, members: group.iter().map(|&(_, i, ..)| i).collect() }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::test_support::{Lcg, decode_features};
    use crate::tiles::{PropValue, TileLayer, tile_contains_lonlat};

    const TILE: TileId = TileId { z: 10, x: 506, y: 343 };

    fn at(px: f64, py: f64) -> (f64, f64) {
        tile_px_to_lonlat(TILE, px, py)
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(cluster_points(TILE, &[], 64).is_empty());
        assert!(cluster_points(TILE, &[at(-10.0, 10.0), at(5000.0, 10.0), (f64::NAN, 0.0)], 64).is_empty());
    }

    #[test]
    fn identical_points_make_one_cluster_at_their_position() {
        let p = at(1234.0, 777.0);
        let clusters = cluster_points(TILE, &[p; 5], 64);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].members, vec![0, 1, 2, 3, 4]);
        assert_eq!(clusters[0].count(), 5);
        assert!((clusters[0].lon - p.0).abs() < 1e-9 && (clusters[0].lat - p.1).abs() < 1e-9);
    }

    #[test]
    fn members_partition_the_tiles_own_points_in_bin_order() {
        let mut rng = Lcg::new(21);
        let points: Vec<(f64, f64)> =
            (0..5_000).map(|_| at(rng.uniform(-500.0, 4600.0), rng.uniform(-500.0, 4600.0))).collect();
        for bin_px in [0, 1, 64, 100, 4096, 10_000] {
            let clusters = cluster_points(TILE, &points, bin_px);
            let mut seen = vec![0; points.len()];
            for c in &clusters {
                assert!(!c.members.is_empty());
                assert!(c.members.windows(2).all(|w| w[0] < w[1]), "members in input order");
                for &i in &c.members {
                    seen[i] += 1;
                }
            }
            for (i, &(lon, lat)) in points.iter().enumerate() {
                assert_eq!(seen[i], usize::from(tile_contains_lonlat(TILE, lon, lat)), "point {i}, bin {bin_px}");
            }
            let inside = points.iter().filter(|&&(lon, lat)| tile_contains_lonlat(TILE, lon, lat)).count();
            assert_eq!(clusters.iter().map(Cluster::count).sum::<usize>(), inside);
            // Sorted by bin: row by row, then column by column.
            let size = f64::from(bin_px.clamp(1, EXTENT));
            let bins: Vec<(u32, u32)> = clusters
                .iter()
                .map(|c| {
                    let (px, py) = lonlat_to_tile_px(TILE, points[c.members[0]].0, points[c.members[0]].1);
                    ((py / size) as u32, (px / size) as u32)
                })
                .collect();
            assert!(bins.windows(2).all(|w| w[0] < w[1]), "one cluster per bin, sorted");
            assert_eq!(clusters, cluster_points(TILE, &points, bin_px), "deterministic");
            if bin_px >= 4096 {
                assert_eq!(clusters.len(), 1);
            }
        }
    }

    #[test]
    fn the_cluster_sits_at_the_mean_of_its_members_within_its_bin() {
        let points = [at(10.0, 10.0), at(20.0, 30.0), at(60.0, 50.0), at(4095.9, 4095.9)];
        let clusters = cluster_points(TILE, &points, 64);
        assert_eq!(clusters.len(), 2);
        let (px, py) = lonlat_to_tile_px(TILE, clusters[0].lon, clusters[0].lat);
        assert!((px - 30.0).abs() < 1e-6 && (py - 30.0).abs() < 1e-6, "{px} {py}");
        let (px, py) = lonlat_to_tile_px(TILE, clusters[1].lon, clusters[1].lat);
        assert!((4032.0..=4096.0).contains(&px) && (4032.0..=4096.0).contains(&py));
    }

    #[test]
    fn clusters_encode_as_points_inside_the_tile() {
        let mut rng = Lcg::new(22);
        let points: Vec<(f64, f64)> =
            (0..20_000).map(|_| at(rng.uniform(0.0, 4096.0), rng.uniform(0.0, 4096.0))).collect();
        let clusters = cluster_points(TILE, &points, 64);
        let mut layer = TileLayer::new(TILE, "incidents");
        for c in &clusters {
            assert!(layer.add_point(c.lon, c.lat, false, &[("count", PropValue::from(c.count()))]));
        }
        let Ok(Some(bytes)) = layer.encode() else { panic!("clusters encode") };
        let features = decode_features(&bytes, "incidents");
        assert_eq!(features.len(), clusters.len());
        let mut total = 0;
        for f in &features {
            let geo_types::Geometry::MultiPoint(mp) = &f.geometry else { panic!("points") };
            assert!(mp.0.iter().all(|p| (0..=4096).contains(&p.x()) && (0..=4096).contains(&p.y())));
            if let Some(mvt_reader::feature::Value::UInt(n)) = f.properties.as_ref().and_then(|p| p.get("count")) {
                total += n;
            }
        }
        assert_eq!(total, 20_000);
    }
}
