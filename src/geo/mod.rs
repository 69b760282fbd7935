//! Coordinate reference systems: parsing a user's CRS, choosing a metric CRS for the data, and converting between
//! WGS84 lon/lat (degrees) and projected metres.

mod crs;

pub use crs::{CrsDef, CrsError, Projector};
