//! `GET /api/search?q=TEXT[&limit=N]`: streets and areas by name, for the page's search box. Streets are the
//! incidents' location texts at their map points (not in public mode), areas those of the boundary layers; matches
//! are ranked as [`crate::analysis::places::Places::search`] says (equal, starts with, word starts, contains; then
//! the busier place). Each hit: `name`, `kind` (`street` or `area`, with its `layer`), `lon`, `lat`, `bbox`
//! (`[west, south, east, north]`) and `incidents`.

use super::error::AppError;
use super::state::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// Most hits asked for at once.
const MAX_LIMIT: usize = 50;
/// Hits when `limit` is not given.
const DEFAULT_LIMIT: usize = 8;
/// Longest query read.
const MAX_QUERY_CHARS: usize = 100;

/// `q` and `limit` from the query string; the token passes, anything else is a 400 naming it.
fn parse(raw: Option<&str>) -> Result<(String, usize), AppError> {
    let (mut q, mut limit) = (None, DEFAULT_LIMIT);
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "q" => q = Some(v.trim().to_owned()),
            "limit" => {
                limit = v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    AppError::bad("limit", format!("limit={v}: give a whole number from 1 to {MAX_LIMIT}"))
                })?;
            }
            "token" => {}
            other => {
                return Err(AppError::bad(other, format!("{other}: unknown parameter; /api/search takes q and limit")));
            }
        }
    }
    let q = q.filter(|q| !q.is_empty()).ok_or_else(|| AppError::bad("q", "q: give some text to search for"))?;
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::bad("q", format!("q: at most {MAX_QUERY_CHARS} characters")));
    }
    Ok((q, limit))
}

pub(super) async fn search_route(
    State(s): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, AppError> {
    let (q, limit) = parse(raw.as_deref())?;
    s.compute(move |state| {
        let hits = state.places().search(&q, limit);
        Ok(json!({"query": q, "results": hits}))
    })
    .await
    .map(Json)
}
