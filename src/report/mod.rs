//! Output for people and programs: aligned text tables and the JSON shapes of each command.

pub mod analysis;
pub mod areas;
pub mod backtest;
pub mod brief;
pub mod compare;
pub mod info;
pub mod ingest;
pub mod png;
pub mod table;
pub mod tasking;

pub use table::{Align, Table, thousands};
