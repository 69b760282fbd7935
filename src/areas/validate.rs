//! Ring checks shared by every reader, applied to the coordinates as the file gives them (before any conversion),
//! so an error quotes the file's own numbers.
//!
//! A ring must have only finite coordinates, at least 4 positions, and end where it starts (GeoJSON, RFC 7946
//! section 3.1.6; the simple features model OGR uses is the same).

/// How a ring is named in messages: `the exterior ring`, `hole 2`, and `of polygon 3` in a multipolygon.
pub fn ring_label(polygon: usize, ring: usize, polygons: usize) -> String {
    let which = if ring == 0 { "the exterior ring".to_owned() } else { format!("hole {ring}") };
    if polygons > 1 { format!("{which} of polygon {}", polygon + 1) } else { which }
}

/// Check one ring's positions (`[x, y]` in the file's CRS). The error names the ring (`label`) and the position.
pub fn check_ring(positions: &[[f64; 2]], label: &str) -> Result<(), String> {
    if let Some((k, p)) = positions.iter().enumerate().find(|(_, p)| !(p[0].is_finite() && p[1].is_finite())) {
        return Err(format!("{label}: position {} is ({}, {}), not a finite coordinate", k + 1, p[0], p[1]));
    }
    let n = positions.len();
    if n < 4 {
        return Err(format!("{label} has {n} positions; a ring needs at least 4, the last repeating the first"));
    }
    let (first, last) = (positions[0], positions[n - 1]);
    if first != last {
        return Err(format!(
            "{label} is not closed: it starts at ({}, {}) and ends at ({}, {}); the last position must repeat \
             the first",
            first[0], first[1], last[0], last[1]
        ));
    }
    Ok(())
}

/// Check a polygon once in lon/lat: every position in range, rings that do not cross themselves or each other
/// (holes inside the exterior; `geo`'s OGC validation), and an area above zero. `label` names the polygon.
pub fn check_polygon_lonlat(poly: &geo_types::Polygon<f64>, label: &str) -> Result<(), String> {
    use geo::{Area, Validation};
    for (r, ring) in std::iter::once(poly.exterior()).chain(poly.interiors()).enumerate() {
        if let Some(c) = ring.0.iter().find(|c| !((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y))) {
            let which = if r == 0 { "its exterior ring".to_owned() } else { format!("its hole {r}") };
            return Err(format!(
                "{label}: {which} has the position ({}, {}) in lon/lat, outside -180..180, -90..90",
                c.x, c.y
            ));
        }
    }
    if let Err(e) = poly.check_validation() {
        return Err(format!("{label} is not a valid polygon: {e}"));
    }
    let area = poly.unsigned_area();
    if area.is_nan() || area <= 0.0 {
        return Err(format!("{label} has no area (its positions lie on a line or a point)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_that_cross_themselves_leave_range_or_have_no_area() {
        use geo_types::{LineString, Polygon};
        let poly = |pts: &[(f64, f64)]| Polygon::new(LineString::from(pts.to_vec()), vec![]);
        let square = poly(&[(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)]);
        assert!(check_polygon_lonlat(&square, "p").is_ok());
        let bowtie = poly(&[(0.0, 0.0), (0.01, 0.01), (0.01, 0.0), (0.0, 0.01), (0.0, 0.0)]);
        assert!(check_polygon_lonlat(&bowtie, "polygon 1").unwrap_err().contains("self-intersection"));
        let far = poly(&[(0.0, 0.0), (1e300, 0.0), (1e300, 1.0), (0.0, 0.0)]);
        assert!(check_polygon_lonlat(&far, "p").unwrap_err().contains("outside -180..180"));
        let flat = poly(&[(-180.0, 0.0), (0.0, 0.0), (180.0, 0.0), (-180.0, 0.0)]);
        assert!(check_polygon_lonlat(&flat, "p").is_err());
    }

    #[test]
    fn the_ladder_of_bad_rings() {
        let ok = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
        assert!(check_ring(&ok, "r").is_ok());
        assert!(check_ring(&[], "r").unwrap_err().contains("0 positions"));
        assert!(check_ring(&ok[..3], "r").unwrap_err().contains("3 positions"));
        let open = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!(check_ring(&open, "the exterior ring").unwrap_err().contains("the exterior ring is not closed"));
        let nan = [[0.0, 0.0], [f64::NAN, 0.0], [1.0, 1.0], [0.0, 0.0]];
        let e = check_ring(&nan, "hole 1").unwrap_err();
        assert!(e.contains("hole 1: position 2") && e.contains("NaN"), "{e}");
        let inf = [[0.0, 0.0], [1.0, f64::INFINITY], [1.0, 1.0], [0.0, 0.0]];
        assert!(check_ring(&inf, "r").unwrap_err().contains("inf"));
    }

    #[test]
    fn labels() {
        assert_eq!(ring_label(0, 0, 1), "the exterior ring");
        assert_eq!(ring_label(2, 1, 3), "hole 1 of polygon 3");
    }
}
