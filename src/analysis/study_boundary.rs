//! A study area given as a boundary (`study_area`: a force, district or beat layer imported with `areas import`, or
//! served with `--areas`). Only the incidents inside it are analysed, and the study area's cells are those whose
//! centre lies inside it (and inside the hull of the incidents, strays left out, as always). So a force's own map
//! is its own county, whatever police.uk's files list from elsewhere, and shares, area shares and PAI are of it.

use crate::areas::AreaLayer;
use crate::geo::Projector;
use crate::grid::Grid;
use geo::{BoundingRect, Contains};
use geo_types::{Coord, MultiPolygon, Point, Polygon};

/// The boundary of a study area in the dataset's metric CRS.
#[derive(Debug, Clone)]
pub struct StudyBoundary {
    /// The layer's name, as given.
    pub name: String,
    /// Every area of the layer together, metres.
    pub polygons_xy_m: MultiPolygon<f64>,
    /// `[min_x, min_y, max_x, max_y]` of the polygons, metres.
    bounds_m: [f64; 4],
}

/// Errors of building a study boundary.
#[derive(Debug, thiserror::Error)]
pub enum StudyBoundaryError {
    #[error("study_area={layer}: the layer has no areas")]
    /// The boundary layer has no areas.
    Empty {
        /// The layer's name.
        layer: String,
    },
    #[error("study_area={layer}: a corner at {lon}, {lat} cannot be placed in the data's CRS")]
    /// A corner of the layer's outline cannot be projected to the dataset's metric CRS.
    Projection {
        /// The layer's name.
        layer: String,
        /// The corner's longitude, WGS84 degrees.
        lon: f64,
        /// The corner's latitude, WGS84 degrees.
        lat: f64,
    },
}

impl StudyBoundary {
    /// Every area of `layer`, projected with `projector`.
    pub fn from_layer(layer: &AreaLayer, projector: &Projector) -> Result<StudyBoundary, StudyBoundaryError> {
        use geo::MapCoords;
        let mut polygons: Vec<Polygon<f64>> = Vec::new();
        for area in &layer.areas {
            let metric = area.outline_lonlat.try_map_coords(|c| {
                projector
                    .from_lonlat(c.x, c.y)
                    .map(|(x, y)| Coord { x, y })
                    .ok_or_else(|| StudyBoundaryError::Projection { layer: layer.name.clone(), lon: c.x, lat: c.y })
            })?;
            polygons.extend(metric.0);
        }
        let polygons_xy_m = MultiPolygon(polygons);
        let rect =
            polygons_xy_m.bounding_rect().ok_or_else(|| StudyBoundaryError::Empty { layer: layer.name.clone() })?;
        Ok(StudyBoundary {
            name: layer.name.clone(),
            bounds_m: [rect.min().x, rect.min().y, rect.max().x, rect.max().y],
            polygons_xy_m,
        })
    }

    /// Whether the point (metres) lies inside (on an edge counts as outside).
    pub fn contains_m(&self, x_m: f64, y_m: f64) -> bool {
        let [x0, y0, x1, y1] = self.bounds_m;
        x_m >= x0 && x_m <= x1 && y_m >= y0 && y_m <= y1 && self.polygons_xy_m.contains(&Point::new(x_m, y_m))
    }

    /// One flag per cell of `grid`: its centre lies inside. A scanline per row (even-odd over every ring's edges),
    /// so a county of a million cells costs rows x edges, not cells x edges.
    pub fn cell_mask(&self, grid: &Grid) -> Vec<bool> {
        let mut mask = vec![false; grid.n_cells()];
        // Each polygon on its own (even-odd over its rings), so overlapping areas of a layer are a union.
        let polygons: Vec<Vec<(Coord<f64>, Coord<f64>)>> = self
            .polygons_xy_m
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .flat_map(|ring| ring.lines().map(|l| (l.start, l.end)))
                    .collect()
            })
            .collect();
        let mut crossings: Vec<f64> = Vec::new();
        for r in 0..grid.rows {
            let y = grid.origin_y_m + (r as f64 + 0.5) * grid.cell_m;
            for edges in &polygons {
                crossings.clear();
                for &(a, b) in edges {
                    // Half-open in y, so a vertex on the line is counted once.
                    if (a.y <= y) != (b.y <= y) {
                        crossings.push(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y));
                    }
                }
                crossings.sort_by(f64::total_cmp);
                for pair in crossings.chunks_exact(2) {
                    // Cells whose centre x lies strictly between the two crossings.
                    let first = ((pair[0] - grid.origin_x_m) / grid.cell_m - 0.5).floor() + 1.0;
                    let last = ((pair[1] - grid.origin_x_m) / grid.cell_m - 0.5).ceil() - 1.0;
                    if last < 0.0 || first > last || first >= grid.cols as f64 {
                        continue;
                    }
                    let (first, last) = (first.max(0.0) as usize, (last as usize).min(grid.cols - 1));
                    for cell in &mut mask[r * grid.cols + first..=r * grid.cols + last] {
                        *cell = true;
                    }
                }
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::CrsDef;
    use proptest::prelude::*;

    fn boundary(polygons: Vec<Polygon<f64>>) -> StudyBoundary {
        let mp = MultiPolygon(polygons);
        let r = mp.bounding_rect().unwrap();
        StudyBoundary { name: "t".into(), bounds_m: [r.min().x, r.min().y, r.max().x, r.max().y], polygons_xy_m: mp }
    }

    fn square_with_hole() -> Polygon<f64> {
        Polygon::new(
            vec![(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0), (0.0, 0.0)].into(),
            vec![vec![(40.0, 40.0), (60.0, 40.0), (60.0, 60.0), (40.0, 60.0), (40.0, 40.0)].into()],
        )
    }

    proptest! {
        /// The scanline mask against the definition: each cell centre tested with `geo`'s `Contains`.
        #[test]
        fn the_cell_mask_is_the_centres_inside(
            ox in -30.0f64..30.0, oy in -30.0f64..30.0, cell in 3.0f64..17.0,
            tri in proptest::collection::vec((-20.0f64..140.0, -20.0f64..140.0), 3),
        ) {
            let triangle = Polygon::new(
                vec![tri[0], tri[1], tri[2], tri[0]].into(),
                vec![],
            );
            let b = boundary(vec![square_with_hole(), triangle]);
            let g = Grid::new(ox, oy, cell, 12, 11, &CrsDef::utm_for(0.0, 50.0)).unwrap();
            let mask = b.cell_mask(&g);
            for (i, &m) in mask.iter().enumerate() {
                let (x, y) = g.centre(i);
                // Points exactly on an edge are a matter of convention: skip them.
                let on_edge = b.polygons_xy_m.0.iter().any(|p| {
                    use geo::Intersects;
                    p.exterior().lines().chain(p.interiors().iter().flat_map(|r| r.lines())).any(|l| l.intersects(&Point::new(x, y)))
                });
                if on_edge { continue; }
                let inside = b.polygons_xy_m.0.iter().any(|p| p.contains(&Point::new(x, y)));
                prop_assert_eq!(m, inside, "cell {} at {}, {}", i, x, y);
            }
        }
    }

    #[test]
    fn points_inside_and_outside() {
        let b = boundary(vec![square_with_hole()]);
        assert!(b.contains_m(10.0, 10.0));
        assert!(!b.contains_m(50.0, 50.0), "in the hole");
        assert!(!b.contains_m(150.0, 50.0));
    }
}
