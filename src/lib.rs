//! # hotspots
//!
//! Turns geocoded incidents (crimes, anti-social behaviour, calls for service) into hotspots.
//!
//! The data flows one way through the modules:
//!
//! - [`ingest`] reads police.uk CSV, any CSV with named columns and GeoJSON points, validates every row and
//!   writes each file to the [`store`] (an embedded SQLite file) in one transaction;
//! - [`store`] keeps imports, incidents and rejected rows, and loads them into a [`model::Dataset`];
//! - [`model`] holds incidents as columns with projected metric coordinates;
//! - [`geo`] converts between WGS84 lon/lat and metric CRSs;
//! - [`synth`] generates realistic synthetic incidents with known planted hotspots;
//! - [`publish`] makes public maps that cannot be reverse-engineered (a fixed lattice, cell-key rounding, one
//!   PMTiles archive and a static page);
//! - [`report`] formats summaries for people (tables) and programs (JSON);
//! - [`cli`] implements the command-line commands on top of the above.

// One `unsafe` in the crate: the snapshot's read-only memory maps (`store::snapshot::read::map_region`).
#![deny(unsafe_code)]
#![warn(unreachable_pub)]
#![warn(missing_docs)]

pub mod analysis;
pub mod areas;
pub mod cli;
pub(crate) mod files;
pub mod geo;
#[cfg(feature = "gdal")]
pub(crate) mod gis;
pub mod grid;
pub mod ingest;
pub mod model;
pub mod publish;
pub(crate) mod report;
pub mod server;
pub mod store;
pub mod synth;
pub mod tiles;
