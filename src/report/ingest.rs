//! The ingest summary as a table or JSON.

use super::table::{Align, Table, thousands};
use crate::ingest::FileSummary;
use serde_json::{Value, json};

/// One file's result: a summary, or the error that stopped it.
#[derive(Debug)]
pub(crate) enum FileResult {
    Done(FileSummary),
    Failed { file: String, error: String },
}

/// `{"files":[{"file","read","accepted","rejected","rejected_by_reason","already_imported",...}]}`. A failed file
/// has zero counts and an `error`.
pub(crate) fn ingest_json(results: &[FileResult]) -> Value {
    let files: Vec<Value> = results
        .iter()
        .map(|r| match r {
            FileResult::Done(s) => serde_json::to_value(s).unwrap_or(Value::Null),
            FileResult::Failed { file, error } => json!({
                "file": file, "read": 0, "accepted": 0, "rejected": 0, "rejected_by_reason": {},
                "already_imported": false, "error": error,
            }),
        })
        .collect();
    json!({ "files": files })
}

/// A readable table of the files, then per-file reject reasons, notes and column choices.
pub(crate) fn ingest_text(results: &[FileResult]) -> String {
    let mut t = Table::new(&[
        ("file", Align::Left),
        ("format", Align::Left),
        ("read", Align::Right),
        ("accepted", Align::Right),
        ("rejected", Align::Right),
        ("status", Align::Left),
    ]);
    let mut details = String::new();
    for r in results {
        match r {
            FileResult::Done(s) => {
                let status = if s.already_imported {
                    format!("already imported (import {})", s.import_id.unwrap_or_default())
                } else {
                    format!("imported as {} in {:.2} s", s.import_id.unwrap_or_default(), s.seconds)
                };
                t.row(vec![
                    s.file.clone(),
                    s.format.clone().unwrap_or_else(|| "-".into()),
                    thousands(s.read),
                    thousands(s.accepted),
                    thousands(s.rejected),
                    status,
                ]);
                let mut lines = Vec::new();
                if !s.columns.is_empty() {
                    let cols: Vec<String> = s.columns.iter().map(|c| format!("{}={}", c.role.name(), c.name)).collect();
                    lines.push(format!(
                        "columns: {} (coordinates in {})",
                        cols.join(", "),
                        s.crs.as_deref().unwrap_or("?")
                    ));
                }
                for (reason, n) in &s.rejected_by_reason {
                    lines.push(format!("rejected {}: {reason}", thousands(*n)));
                }
                if let Some(f) = &s.rejects_file {
                    lines.push(format!("rejected rows written to {f}"));
                }
                lines.extend(s.notes.iter().cloned());
                if !lines.is_empty() {
                    details.push_str(&format!("\n{}:\n", s.file));
                    for l in lines {
                        details.push_str(&format!("  {l}\n"));
                    }
                }
            }
            FileResult::Failed { file, error } => {
                t.row(vec![file.clone(), "-".into(), "0".into(), "0".into(), "0".into(), "FAILED".into()]);
                details.push_str(&format!("\n{file}:\n  error: {error}\n  nothing from this file was stored\n"));
            }
        }
    }
    let (read, acc, rej) = results.iter().fold((0, 0, 0), |(a, b, c), r| match r {
        FileResult::Done(s) => (a + s.read, b + s.accepted, c + s.rejected),
        FileResult::Failed { .. } => (a, b, c),
    });
    if results.len() > 1 {
        t.row(vec!["total".into(), String::new(), thousands(read), thousands(acc), thousands(rej), String::new()]);
    }
    format!("{}{details}", t.render(0))
}
