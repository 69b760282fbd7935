//! Output for people and programs: aligned text tables and the JSON shapes of each command.

pub(crate) mod analysis;
pub(crate) mod areas;
pub(crate) mod backtest;
pub(crate) mod brief;
pub(crate) mod compare;
pub(crate) mod info;
pub(crate) mod ingest;
pub(crate) mod nearrepeat;
pub(crate) mod png;
pub(crate) mod table;
pub(crate) mod tasking;
pub(crate) mod tasking_nearrepeat;
pub(crate) mod when;

pub(crate) use table::{Align, Table, thousands};

/// An output that could not be made in memory. It is reported (with the file it was for, by the caller) rather than
/// written as an empty or cut file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("finishing CSV: {0}")]
    Flush(String),
}

/// The bytes of a CSV writer over memory, once flushed.
pub(crate) fn csv_bytes(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ReportError> {
    w.into_inner().map_err(|e| ReportError::Flush(e.to_string()))
}

/// A JSON value as pretty-printed bytes.
pub(crate) fn json_pretty(v: &impl serde::Serialize) -> Result<Vec<u8>, ReportError> {
    Ok(serde_json::to_vec_pretty(v)?)
}
