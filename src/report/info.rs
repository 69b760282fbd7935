//! The store summary (`hotspots info`) as text.

use super::table::{Align, Table, thousands};
use crate::model::Dataset;
use crate::store::StoreInfo;
use serde::Serialize;

fn pct(n: u64, total: u64) -> String {
    if total == 0 { "-".into() } else { format!("{:.1}%", 100.0 * n as f64 / total as f64) }
}

/// A readable summary of the store.
pub(crate) fn info_text(info: &StoreInfo) -> String {
    let mut s = format!("store: {} (schema v{})\n", info.store, info.schema_version);
    s.push_str(&format!("incidents: {}\n", thousands(info.incidents)));
    if let Some(t) = &info.time {
        s.push_str(&format!("time: {} to {} (end exclusive)\n", t.from, t.to));
    }
    if !info.months.is_empty() {
        let held = crate::model::Coverage::from_month_labels(info.months.keys().map(String::as_str));
        let gaps = held.gaps().len();
        s.push_str(&format!(
            "data held: {}{}\n",
            held.held_text(),
            match gaps {
                0 => String::new(),
                1 => " (one gap: no change is given across it)".to_owned(),
                n => format!(" ({n} gaps: no change is given across them)"),
            }
        ));
    }
    if !info.precision.is_empty() {
        let p: Vec<String> = info.precision.iter().map(|(k, v)| format!("{k} {}", thousands(*v))).collect();
        s.push_str(&format!("time precision: {}\n", p.join(", ")));
    }
    if let Some(b) = &info.bbox {
        s.push_str(&format!(
            "extent: lon {:.5} to {:.5}, lat {:.5} to {:.5}\n",
            b.min_lon, b.max_lon, b.min_lat, b.max_lat
        ));
    }
    if !info.categories.is_empty() {
        let mut t = Table::new(&[("category", Align::Left), ("incidents", Align::Right), ("share", Align::Right)]);
        for c in info.categories_by_count() {
            t.row(vec![c.name.clone(), thousands(c.count), pct(c.count, info.incidents)]);
        }
        s.push_str(&format!("\n{}", t.render(2)));
    }
    if !info.months.is_empty() {
        let mut t = Table::new(&[("month", Align::Left), ("incidents", Align::Right)]);
        for (m, n) in &info.months {
            t.row(vec![m.clone(), thousands(*n)]);
        }
        s.push_str(&format!("\n{}", t.render(2)));
    }
    let mut t = Table::new(&[
        ("import", Align::Right),
        ("file", Align::Left),
        ("format", Align::Left),
        ("read", Align::Right),
        ("accepted", Align::Right),
        ("rejected", Align::Right),
        ("imported at", Align::Left),
    ]);
    for i in &info.imports {
        t.row(vec![
            i.id.to_string(),
            i.file_name.clone(),
            i.format.clone(),
            thousands(i.read),
            thousands(i.accepted),
            thousands(i.rejected),
            i.imported_at.clone(),
        ]);
    }
    if t.is_empty() {
        s.push_str("\nno imports yet: add data with `hotspots ingest FILE`\n");
    } else {
        s.push_str(&format!("\n{}", t.render(2)));
    }
    s
}

/// What loading the store into memory took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LoadSummary {
    pub incidents: usize,
    pub crs: String,
    pub seconds: f64,
    /// Heap bytes of the per-incident columns.
    pub column_bytes: usize,
    pub column_bytes_per_incident: f64,
    /// Heap bytes of the interned categories, area codes, location texts and source names.
    pub interned_bytes: usize,
}

impl LoadSummary {
    pub(crate) fn of(ds: &Dataset, seconds: f64) -> Self {
        LoadSummary {
            incidents: ds.len(),
            crs: ds.crs().label.clone(),
            seconds,
            column_bytes: ds.column_bytes(),
            column_bytes_per_incident: if ds.is_empty() { 0.0 } else { ds.column_bytes() as f64 / ds.len() as f64 },
            interned_bytes: ds.interned_bytes(),
        }
    }
}

/// One paragraph on the loaded dataset.
pub(crate) fn load_text(l: &LoadSummary) -> String {
    format!(
        "loaded {} incidents into memory in {:.3} s, projected to {}: {:.1} bytes of columns per incident ({:.1} MB), \
         plus {:.1} MB of interned names",
        thousands(l.incidents as u64),
        l.seconds,
        l.crs,
        l.column_bytes_per_incident,
        l.column_bytes as f64 / 1e6,
        l.interned_bytes as f64 / 1e6,
    )
}
