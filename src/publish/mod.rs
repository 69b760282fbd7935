//! Public maps that cannot be reverse-engineered: the published lattice, the disclosure control, the public
//! products, their tiles, and the static directory (`hotspots publish`) that any web host serves.
//!
//! An internal analysis can choose any window, grid, bandwidth, category set and rule, and so can be asked two
//! questions whose difference is one incident. A public map cannot: it answers only on a fixed lattice
//! ([`lattice`]: whole months and rolling quarters, 250 m cells, a 500 m kernel, H3 resolution 8 of whole cells,
//! published category groups, one hotspot rule), and every count it publishes is rounded by a cell-key method
//! ([`perturb`]) that gives every answer a multiple of the minimum count and the same answer for the same
//! incidents. [`tables`] are the only things computed from incidents; [`products`] are computed from them alone,
//! [`tiles`] encode the products (one tile set for every period and group), [`index`] writes the JSON, [`archive`]
//! writes the directory (one PMTiles archive, the index and the page) and reads an archive back, and [`request`]
//! checks a public request against the lattice, in one place, for every route of `serve --public`.
//!
//! The guarantees are listed in [`index::GUARANTEES`] and ARCHITECTURE.md ("Public maps").

pub mod archive;
pub mod index;
pub mod lattice;
pub mod perturb;
pub mod products;
pub mod request;
pub mod secret;
pub mod tables;
pub mod tiles;

pub use lattice::{GROUPS, Period};
pub use perturb::Secret;
pub use products::Published;
pub use request::{PublicRequest, RequestError};

use std::path::PathBuf;

/// Errors of publishing.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The rounding base (`min_count`) is below 2.
    #[error("min_count {0}: the rounding base must be 2 or more")]
    Base(u32),
    /// The dataset's CRS cannot be set up for converting cells to lon/lat.
    #[error("projection: {0}")]
    Projection(String),
    /// The published grid cannot be made (too large an area).
    #[error("grid: {0}")]
    Grid(crate::grid::GridError),
    /// The density of the published counts could not be computed.
    #[error("density: {0}")]
    Density(String),
    /// A tile could not be encoded.
    #[error("tile: {0}")]
    Tile(String),
    /// The PMTiles archive could not be written or read (the message says what is wrong).
    #[error("PMTiles archive: {0}")]
    Archive(String),
    /// A file or directory could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The publishing key file is unreadable or malformed.
    #[error("publishing key {}: {problem}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}
