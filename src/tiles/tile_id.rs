//! [`TileId`]: a validated `z/x/y` tile address, and [`TileError`].

use std::fmt;

use serde::Serialize;

use super::MAX_ZOOM;

/// The address of one tile in the XYZ scheme (the one of OpenStreetMap and MapLibre): zoom `z`, column `x`
/// counted from the west (antimeridian) and row `y` counted from the north, both in `0..2^z`.
///
/// [`TileId::new`] checks all three against the zooms a layer serves; the fields are public for convenience, and
/// every function of this module accepts any value without panicking (a tile beyond the world simply lies outside
/// it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TileId {
    /// Zoom level, `0..=`[`MAX_ZOOM`].
    pub z: u8,
    /// Column, `0..2^z`, west to east.
    pub x: u32,
    /// Row, `0..2^z`, north to south.
    pub y: u32,
}

/// What went wrong with a tile request or its encoding. The messages name the bad parameter and its valid range,
/// so that the server can return them as they are (HTTP 400, with [`TileError::parameter`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The zoom is outside what the layer serves.
    #[error("zoom {z} is outside the supported range {min} to {max}")]
    ZoomOutOfRange {
        /// The zoom requested.
        z: u8,
        /// The smallest zoom served.
        min: u8,
        /// The largest zoom served.
        max: u8,
    },
    /// The column is outside `0..2^z`.
    #[error("x {x} is outside the range 0 to {max} at zoom {z}")]
    XOutOfRange {
        /// The column requested.
        x: u32,
        /// The zoom of the request.
        z: u8,
        /// The largest valid column, `2^z - 1`.
        max: u32,
    },
    /// The row is outside `0..2^z`.
    #[error("y {y} is outside the range 0 to {max} at zoom {z}")]
    YOutOfRange {
        /// The row requested.
        y: u32,
        /// The zoom of the request.
        z: u8,
        /// The largest valid row, `2^z - 1`.
        max: u32,
    },
    /// The `mvt` crate refused to encode a feature or the tile (not expected with the integer coordinates this
    /// module gives it; reported rather than hidden).
    #[error("could not encode layer {layer:?} of tile {tile}: {message}")]
    Encode {
        /// The tile being encoded.
        tile: TileId,
        /// The layer being encoded.
        layer: String,
        /// The `mvt` crate's error.
        message: String,
    },
}

impl TileError {
    /// The request parameter at fault (`"z"`, `"x"` or `"y"`), or `None` for an encoding error.
    #[must_use]
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            TileError::ZoomOutOfRange { .. } => Some("z"),
            TileError::XOutOfRange { .. } => Some("x"),
            TileError::YOutOfRange { .. } => Some("y"),
            TileError::Encode { .. } => None,
        }
    }
}

impl TileId {
    /// A tile address, checked: `min_zoom <= z <= max_zoom` (with `max_zoom` capped at [`MAX_ZOOM`]) and `x`, `y`
    /// in `0..2^z`.
    ///
    /// # Errors
    ///
    /// [`TileError::ZoomOutOfRange`], [`TileError::XOutOfRange`] or [`TileError::YOutOfRange`], checked in that
    /// order, each carrying the valid range.
    ///
    /// # Example
    ///
    /// ```
    /// use hotspots::tiles::{TileError, TileId};
    /// assert!(TileId::new(13, 4062, 2752, 0, 22).is_ok());
    /// let err = TileId::new(2, 4, 0, 0, 22).unwrap_err();
    /// assert_eq!(err, TileError::XOutOfRange { x: 4, z: 2, max: 3 });
    /// assert_eq!(err.to_string(), "x 4 is outside the range 0 to 3 at zoom 2");
    /// ```
    pub fn new(z: u8, x: u32, y: u32, min_zoom: u8, max_zoom: u8) -> Result<TileId, TileError> {
        let max_zoom = max_zoom.min(MAX_ZOOM);
        if z < min_zoom || z > max_zoom {
            return Err(TileError::ZoomOutOfRange { z, min: min_zoom, max: max_zoom });
        }
        // z <= 22 here, so 2^z - 1 fits a u32.
        let max = (1u32 << z) - 1;
        if x > max {
            return Err(TileError::XOutOfRange { x, z, max });
        }
        if y > max {
            return Err(TileError::YOutOfRange { y, z, max });
        }
        Ok(TileId { z, x, y })
    }

    /// The number of tiles along each side of the world at this tile's zoom, `2^z`, as a float (exact for any
    /// `z`; never overflows).
    #[must_use]
    pub fn tiles_per_side(self) -> f64 {
        2f64.powi(i32::from(self.z))
    }
}

impl fmt::Display for TileId {
    /// `z/x/y`, as in tile URLs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_corners_of_every_zoom() {
        for z in 0..=MAX_ZOOM {
            let last = (1u32 << z) - 1;
            for (x, y) in [(0, 0), (last, 0), (0, last), (last, last)] {
                assert_eq!(TileId::new(z, x, y, 0, MAX_ZOOM), Ok(TileId { z, x, y }));
            }
        }
    }

    #[test]
    fn refuses_zoom_outside_the_range_and_says_which() {
        let err = TileId::new(23, 0, 0, 0, 22).unwrap_err();
        assert_eq!(err, TileError::ZoomOutOfRange { z: 23, min: 0, max: 22 });
        assert_eq!(err.to_string(), "zoom 23 is outside the supported range 0 to 22");
        assert_eq!(err.parameter(), Some("z"));

        let err = TileId::new(3, 0, 0, 5, 14).unwrap_err();
        assert_eq!(err.to_string(), "zoom 3 is outside the supported range 5 to 14");
        // A max_zoom beyond what the module supports is capped.
        let err = TileId::new(30, 0, 0, 0, 40).unwrap_err();
        assert_eq!(err, TileError::ZoomOutOfRange { z: 30, min: 0, max: MAX_ZOOM });
    }

    #[test]
    fn refuses_x_and_y_outside_the_grid_and_says_which() {
        let err = TileId::new(0, 1, 0, 0, 22).unwrap_err();
        assert_eq!(err, TileError::XOutOfRange { x: 1, z: 0, max: 0 });
        assert_eq!(err.parameter(), Some("x"));
        let err = TileId::new(3, 2, 8, 0, 22).unwrap_err();
        assert_eq!(err, TileError::YOutOfRange { y: 8, z: 3, max: 7 });
        assert_eq!(err.to_string(), "y 8 is outside the range 0 to 7 at zoom 3");
        assert_eq!(err.parameter(), Some("y"));
        let err = TileId::new(22, u32::MAX, 0, 0, 22).unwrap_err();
        assert_eq!(err, TileError::XOutOfRange { x: u32::MAX, z: 22, max: (1 << 22) - 1 });
    }

    #[test]
    fn displays_as_in_urls() {
        assert_eq!(TileId { z: 13, x: 4062, y: 2752 }.to_string(), "13/4062/2752");
    }
}
