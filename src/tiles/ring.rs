//! Snapping polygon rings to the integer tile grid, cleaning them and orienting them for MVT 2.1.
//!
//! MVT 2.1 section 4.3.4.4 ("Polygon Geometry Type"): an exterior ring has positive area by the surveyor's formula
//! in tile coordinates (clockwise on screen, y down), an interior ring negative area; section 4.3.4.4 also says a
//! ring's `ClosePath` closes it, so its last vertex must not repeat the first. Rounding to integers can collapse
//! vertices into each other, fold thin parts into back-and-forth spikes and shrink small rings to nothing; this
//! module removes what collapsed and drops rings with no area left.

/// Twice the signed area of an open ring by the surveyor's (shoelace) formula, `Σ x_i·y_{i+1} − x_{i+1}·y_i`,
/// exact in integers. Positive in tile coordinates (y down) means clockwise on screen.
pub(crate) fn area2(ring: &[[i32; 2]]) -> i64 {
    let Some(&last) = ring.last() else { return 0 };
    let mut previous = last;
    let mut sum = 0i64;
    for &p in ring {
        sum += i64::from(previous[0]) * i64::from(p[1]) - i64::from(p[0]) * i64::from(previous[1]);
        previous = p;
    }
    sum
}

/// Whether `b` lies on the straight line through `a` and `c` (including a spike `a, b, a`).
fn collinear(a: [i32; 2], b: [i32; 2], c: [i32; 2]) -> bool {
    let (abx, aby) = (i64::from(b[0]) - i64::from(a[0]), i64::from(b[1]) - i64::from(a[1]));
    let (bcx, bcy) = (i64::from(c[0]) - i64::from(b[0]), i64::from(c[1]) - i64::from(b[1]));
    abx * bcy - aby * bcx == 0
}

/// Appends a vertex to a ring being cleaned: skipped if it repeats the last one; before it, vertices that it makes
/// collinear (a straight run or a spike that doubles back) are removed.
fn push_clean(ring: &mut Vec<[i32; 2]>, p: [i32; 2]) {
    loop {
        match ring.as_slice() {
            [.., last] if *last == p => return,
            [.., a, b] if collinear(*a, *b, p) => {
                ring.pop();
            }
            _ => break,
        }
    }
    ring.push(p);
}

/// Rounds a ring in tile coordinates to integers and cleans it: no repeated consecutive vertex (the ring is
/// returned open, its last vertex different from its first), no vertex on the straight line through its
/// neighbours (which removes the spikes and zero-width bridges that clipping and rounding leave). The area and
/// orientation are unchanged by the cleaning. Returns `None` if fewer than 3 vertices or no area remain.
///
/// Coordinates must be finite and within `i32` (clipped rings are); non-finite ones saturate. O(n).
pub(crate) fn snap_ring(ring_px: &[[f64; 2]]) -> Option<Vec<[i32; 2]>> {
    let mut ring: Vec<[i32; 2]> = Vec::with_capacity(ring_px.len());
    for p in ring_px {
        push_clean(&mut ring, [p[0].round() as i32, p[1].round() as i32]);
    }
    // The seam between the last and the first vertex.
    while ring.len() >= 3 {
        let n = ring.len();
        if ring[n - 1] == ring[0] || collinear(ring[n - 2], ring[n - 1], ring[0]) {
            ring.pop();
        } else if collinear(ring[n - 1], ring[0], ring[1]) {
            ring.remove(0);
        } else {
            break;
        }
    }
    (ring.len() >= 3 && area2(&ring) != 0).then_some(ring)
}

/// Orients a clean ring for MVT 2.1: exterior rings to positive area (clockwise on screen), interior rings to
/// negative area, by reversing it if needed.
pub(crate) fn orient(ring: &mut [[i32; 2]], exterior: bool) {
    if (area2(ring) > 0) != exterior {
        ring.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_is_positive_for_clockwise_on_screen() {
        // Right along the top, then down: clockwise with y down.
        assert_eq!(area2(&[[0, 0], [10, 0], [10, 10], [0, 10]]), 200);
        assert_eq!(area2(&[[0, 0], [0, 10], [10, 10], [10, 0]]), -200);
        assert_eq!(area2(&[]), 0);
    }

    #[test]
    fn repeated_and_closing_vertices_are_removed() {
        let ring = [[0.0, 0.0], [0.2, 0.1], [10.0, 0.0], [10.0, 10.0], [10.0, 10.4], [0.0, 10.0], [0.0, 0.0]];
        assert_eq!(snap_ring(&ring), Some(vec![[0, 0], [10, 0], [10, 10], [0, 10]]));
    }

    #[test]
    fn straight_runs_and_spikes_are_removed() {
        let ring = [[0.0, 0.0], [5.0, 0.0], [10.0, 0.0], [10.0, 10.0], [10.0, 20.0], [10.0, 10.0], [0.0, 10.0]];
        assert_eq!(snap_ring(&ring), Some(vec![[0, 0], [10, 0], [10, 10], [0, 10]]));
        // A collinear vertex at the seam, on either side.
        let ring = [[5.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]];
        assert_eq!(snap_ring(&ring), Some(vec![[10, 0], [10, 10], [0, 10], [0, 0]]));
        let ring = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 5.0]];
        assert_eq!(snap_ring(&ring), Some(vec![[0, 0], [10, 0], [10, 10], [0, 10]]));
    }

    #[test]
    fn rings_that_round_to_nothing_are_dropped() {
        assert_eq!(snap_ring(&[[0.1, 0.1], [0.3, 0.1], [0.3, 0.4]]), None, "all one point");
        assert_eq!(snap_ring(&[[0.0, 0.0], [10.0, 0.2], [20.0, 0.4], [10.0, 0.3]]), None, "a sliver on a line");
        assert_eq!(snap_ring(&[[0.0, 0.0], [10.0, 0.0]]), None, "two vertices");
        assert_eq!(snap_ring(&[]), None);
    }

    #[test]
    fn orientation_follows_the_ring_role() {
        let mut ring = vec![[0, 0], [0, 10], [10, 10], [10, 0]];
        orient(&mut ring, true);
        assert!(area2(&ring) > 0);
        orient(&mut ring, false);
        assert!(area2(&ring) < 0);
        orient(&mut ring, false);
        assert!(area2(&ring) < 0, "already right: unchanged");
    }
}
