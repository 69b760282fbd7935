//! The data model: incidents as columns ([`dataset::Dataset`]), interned strings, and incident times.

pub mod budget;
pub mod column;
pub mod coverage;
pub mod dataset;
pub mod interner;
pub mod query;
pub mod record;
pub mod text;
pub mod time;
pub mod timeparse;
pub mod window;

pub use budget::{Budget, Stopped, TooCostly};
pub use column::{Column, SharedBytes};
pub use coverage::{Coverage, WindowCoverage};
pub use dataset::{
    Dataset, DatasetBuilder, DatasetError, DatasetParts, IncidentRecord, IncidentRef, NONE_ID, SourceFile,
    project_lonlat,
};
pub use interner::Interner;
pub use query::{Query, QueryError, Selection};
pub use time::TimePrecision;
pub use window::{Window, WindowLength};
