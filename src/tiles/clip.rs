//! Clipping a polygon ring to an axis-aligned rectangle (Sutherland–Hodgman).
//!
//! Sutherland, I. E. and Hodgman, G. W. (1974), "Reentrant polygon clipping", Communications of the ACM 17(1):
//! the ring is clipped against each of the rectangle's four half-planes in turn; a vertex inside is kept, an edge
//! crossing the boundary contributes its intersection point. For a convex clip region this is exact for one ring.
//!
//! A concave ring leaving and re-entering the rectangle comes back as **one** ring whose parts are joined by
//! degenerate, zero-width edges running along the rectangle's border (rather than as several rings). That is
//! acceptable in MVT: the bridges lie in the tile's buffer, outside the visible tile, and add no area, so fills
//! render correctly; [`super::ring`] removes the back-and-forth spikes they leave when they are consecutive.

/// An axis-aligned rectangle `[min, max]²` in tile coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClipBox {
    pub min: f64,
    pub max: f64,
}

/// Where a ring's bounding box lies relative to a [`ClipBox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overlap {
    /// Entirely inside: no clipping needed.
    Inside,
    /// Entirely outside: nothing of the ring is left.
    Outside,
    /// Crossing the border: clip.
    Partial,
}

impl ClipBox {
    /// Where a box `[min_x, min_y, max_x, max_y]` lies relative to this one (borders count as inside).
    pub(crate) fn overlap(&self, bbox: [f64; 4]) -> Overlap {
        let [min_x, min_y, max_x, max_y] = bbox;
        if max_x < self.min || max_y < self.min || min_x > self.max || min_y > self.max {
            Overlap::Outside
        } else if min_x >= self.min && min_y >= self.min && max_x <= self.max && max_y <= self.max {
            Overlap::Inside
        } else {
            Overlap::Partial
        }
    }
}

/// The bounding box `[min_x, min_y, max_x, max_y]` of some points; inverted (min > max) when there are none.
pub(crate) fn bbox_of<'a>(points: impl IntoIterator<Item = &'a [f64; 2]>) -> [f64; 4] {
    points.into_iter().fold([f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY], |b, p| {
        [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]
    })
}

/// One of the four half-planes of a rectangle: `axis` 0 is x, 1 is y; keep `v >= bound` (`keep_above`) or
/// `v <= bound`.
#[derive(Clone, Copy)]
struct HalfPlane {
    axis: usize,
    bound: f64,
    keep_above: bool,
}

impl HalfPlane {
    fn contains(self, p: [f64; 2]) -> bool {
        if self.keep_above { p[self.axis] >= self.bound } else { p[self.axis] <= self.bound }
    }

    /// Where segment `a`–`b` (one end inside, one outside) crosses the boundary. The coordinate on the boundary
    /// is set exactly, so rounding never puts the point beyond the rectangle.
    fn intersect(self, a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
        let other = 1 - self.axis;
        let t = (self.bound - a[self.axis]) / (b[self.axis] - a[self.axis]);
        let mut p = [0.0; 2];
        p[self.axis] = self.bound;
        p[other] = a[other] + t * (b[other] - a[other]);
        p
    }
}

/// Clips an open ring (no repeated closing vertex) to the rectangle, returning an open ring, possibly empty.
///
/// Parameters: `ring` in tile coordinates, finite. Returns the clipped ring, with the same orientation; vertices
/// may repeat (where the ring touches the border) and degenerate edges may run along the border (see the module
/// documentation). Complexity: O(n) time and memory for n vertices.
pub(crate) fn clip_ring(ring: &[[f64; 2]], clip: ClipBox) -> Vec<[f64; 2]> {
    let planes = [
        HalfPlane { axis: 0, bound: clip.min, keep_above: true },
        HalfPlane { axis: 0, bound: clip.max, keep_above: false },
        HalfPlane { axis: 1, bound: clip.min, keep_above: true },
        HalfPlane { axis: 1, bound: clip.max, keep_above: false },
    ];
    let mut input: Vec<[f64; 2]> = ring.to_vec();
    let mut output: Vec<[f64; 2]> = Vec::with_capacity(ring.len() + 4);
    for plane in planes {
        output.clear();
        let Some(&last) = input.last() else { break };
        let mut previous = last;
        for &current in &input {
            match (plane.contains(previous), plane.contains(current)) {
                (true, true) => output.push(current),
                (true, false) => output.push(plane.intersect(previous, current)),
                (false, true) => {
                    output.push(plane.intersect(previous, current));
                    output.push(current);
                }
                (false, false) => {}
            }
            previous = current;
        }
        std::mem::swap(&mut input, &mut output);
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIP: ClipBox = ClipBox { min: -64.0, max: 4160.0 };

    fn signed_area2(ring: &[[f64; 2]]) -> f64 {
        (0..ring.len())
            .map(|i| {
                let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum()
    }

    #[test]
    fn a_ring_inside_is_unchanged() {
        let ring = vec![[0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]];
        assert_eq!(clip_ring(&ring, CLIP), ring);
        assert_eq!(CLIP.overlap(bbox_of(&ring)), Overlap::Inside);
    }

    #[test]
    fn a_ring_outside_vanishes() {
        let ring = vec![[5000.0, 0.0], [5100.0, 0.0], [5100.0, 100.0]];
        assert!(clip_ring(&ring, CLIP).is_empty());
        assert_eq!(CLIP.overlap(bbox_of(&ring)), Overlap::Outside);
        assert!(clip_ring(&[], CLIP).is_empty());
    }

    #[test]
    fn a_square_across_the_corner_is_cut_to_the_buffer() {
        let ring = vec![[4000.0, 4000.0], [5000.0, 4000.0], [5000.0, 5000.0], [4000.0, 5000.0]];
        assert_eq!(CLIP.overlap(bbox_of(&ring)), Overlap::Partial);
        let clipped = clip_ring(&ring, CLIP);
        assert_eq!(bbox_of(&clipped), [4000.0, 4000.0, 4160.0, 4160.0]);
        assert_eq!(signed_area2(&clipped), 2.0 * 160.0 * 160.0, "orientation and area kept");
    }

    #[test]
    fn a_large_ring_around_the_tile_becomes_the_buffer_box() {
        let ring = vec![[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6]];
        let clipped = clip_ring(&ring, CLIP);
        assert_eq!(bbox_of(&clipped), [-64.0, -64.0, 4160.0, 4160.0]);
        assert_eq!(signed_area2(&clipped), 2.0 * 4224.0 * 4224.0);
    }

    #[test]
    fn a_diagonal_edge_is_cut_exactly_at_the_border() {
        let ring = vec![[4000.0, 0.0], [4320.0, 320.0], [4000.0, 320.0]];
        let clipped = clip_ring(&ring, CLIP);
        assert!(clipped.contains(&[4160.0, 160.0]), "{clipped:?}");
        assert!(clipped.iter().all(|p| p[0] <= 4160.0));
    }

    #[test]
    fn a_u_shape_leaving_the_box_stays_one_ring_with_a_border_bridge() {
        // A U whose bottom lies below the buffer: its two arms come back joined along the border y = 4160.
        let ring = vec![
            [100.0, 4000.0],
            [100.0, 5000.0],
            [400.0, 5000.0],
            [400.0, 4000.0],
            [300.0, 4000.0],
            [300.0, 4500.0],
            [200.0, 4500.0],
            [200.0, 4000.0],
        ];
        let clipped = clip_ring(&ring, CLIP);
        assert!(clipped.iter().all(|p| p[1] <= 4160.0));
        // Area: two arms of 100 x 160, the bridge adds nothing.
        assert_eq!(signed_area2(&clipped).abs(), 2.0 * 2.0 * 100.0 * 160.0);
    }
}
