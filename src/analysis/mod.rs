//! Analysis: density (KDE), counts on grids and hexagons, Getis-Ord Gi*, and hotspots. Pure computation on a
//! [`Dataset`] and a [`Selection`]: no I/O, no HTTP.

pub mod accuracy;
pub mod area_change;
pub mod area_tally;
pub mod backtest;
pub mod change;
pub mod compare;
pub mod counts;
pub mod emerging;
pub mod gistar;
pub mod harm;
pub mod hex;
pub mod hotspots;
pub mod kde;
pub mod naming;
pub mod nearrepeat;
pub mod outline;
pub mod patrol_places;
pub mod pipeline;
pub mod places;
pub mod points;
pub mod predict;
#[cfg(test)]
mod reference_tests;
pub mod spec;
pub mod study_boundary;
pub mod tasking;
pub mod when;

pub use points::{Points, WeightMode};
