//! Output for people and programs: aligned text tables and the JSON shapes of each command.

pub mod ingest;
pub mod info;
pub mod table;

pub use table::{Align, Table, thousands};
