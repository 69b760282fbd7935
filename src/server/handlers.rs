//! Route handlers of the data API: health, meta, summary and hotspots. Each parses its request with the library's
//! parameter descriptions, computes off the async runtime, and answers.

use super::error::AppError;
use super::layers::parse;
use super::state::AppState;
use crate::analysis::hotspots::{cell_owner, incidents_in_groups};
use crate::analysis::spec::{HotspotSpec, all_docs, canonical, settings};
use crate::analysis::tasking::previous_with_data;
use crate::model::time::{format_instant, month_label};
use crate::model::{Query, Window};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

type St = State<Arc<AppState>>;

/// `GET /health`: 200 and `status: ok` while the store check (run in the background from the start) has found
/// nothing; 503 and `status: damaged` once it has found damage (the data loaded at start is still served, so a
/// load balancer can take this replica out).
pub(super) async fn health(State(s): St) -> axum::response::Response {
    use crate::store::CheckState;
    use axum::response::IntoResponse;
    let state = s.config.store_check.state();
    let mut check = json!({"state": state.label()});
    match &state {
        CheckState::Passed { seconds } => check["seconds"] = json!(seconds),
        CheckState::Failed { problem } => check["problem"] = json!(problem),
        CheckState::NotRun | CheckState::Running => {}
    }
    let damaged = matches!(state, CheckState::Failed { .. });
    let body = Json(json!({"status": if damaged { "damaged" } else { "ok" }, "incidents": s.ds.len(),
        "store_check": check}));
    let code = if damaged { axum::http::StatusCode::SERVICE_UNAVAILABLE } else { axum::http::StatusCode::OK };
    (code, body).into_response()
}

fn time_span(s: &AppState) -> (Option<i64>, Option<i64>) {
    (s.ds.time_s().iter().copied().min(), s.ds.end_s())
}

pub(super) async fn meta(State(s): St) -> Json<Value> {
    let (from, to) = time_span(&s);
    let mut cats: Vec<&String> = s.ds.categories().names().iter().collect();
    cats.sort();
    let (lon, lat) = (s.ds.lon(), s.ds.lat());
    let bbox = if s.ds.is_empty() {
        Value::Null
    } else {
        let f = |v: &[f64], min: bool| {
            v.iter().copied().fold(if min { f64::MAX } else { f64::MIN }, if min { f64::min } else { f64::max })
        };
        json!([f(lon, true), f(lat, true), f(lon, false), f(lat, false)])
    };
    Json(json!({
        "categories": cats,
        "time": {"from": from.map(format_instant), "to": to.map(format_instant)},
        "coverage": {
            "held": s.coverage.held(),
            "held_text": s.coverage.held_text(),
            "gaps": s.coverage.gaps(),
        },
        "bbox": bbox,
        "layers": s.layers.iter().map(|l| l.info(s.config.public)).collect::<Vec<_>>(),
        "areas": s.areas.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "public": s.config.public,
        "min_count": s.config.min_count,
        "basemap": match &s.config.basemap_pmtiles {
            Some(_) => json!({"pmtiles": super::basemap::PATH.trim_start_matches('/')}),
            None => json!(s.config.basemap),
        },
        "parameters": all_docs(),
        "defaults": {
            "hotspots": settings(&HotspotSpec::default()).into_iter().collect::<BTreeMap<_, _>>(),
            "tasking": settings(&crate::analysis::tasking::TaskingParams::default()).into_iter().collect::<BTreeMap<_, _>>(),
            "compare": settings(&crate::analysis::spec::CompareSpec::default()).into_iter().collect::<BTreeMap<_, _>>(),
            "emerging": settings(&crate::analysis::spec::EmergingSpec::default()).into_iter().collect::<BTreeMap<_, _>>(),
        },
        "incidents": s.ds.len(),
    }))
}

pub(super) async fn summary(State(s): St, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p: Query = parse(q.as_deref())?;
    s.compute(move |state| summary_json(state, &p)).await.map(Json)
}

fn summary_json(s: &AppState, q: &Query) -> Result<Value, AppError> {
    let sel = q.select(&s.ds).map_err(|e| AppError::from(crate::analysis::pipeline::AnalysisError::Query(e)))?;
    let (cats, times, ws) = (s.ds.category_ids(), s.ds.time_s(), s.ds.weight());
    let mut by_cat: BTreeMap<String, u64> = BTreeMap::new();
    let (mut harm, mut fine) = (0.0, true);
    for &i in &sel.indices {
        let i = i as usize;
        let c = usize::from(cats[i]);
        *by_cat.entry(s.ds.categories().name(c as u32).unwrap_or("").to_owned()).or_insert(0) += 1;
        harm += f64::from(ws[i]) * s.harm_by_category.get(c).copied().unwrap_or(1.0);
        fine &= s.ds.precision()[i] < crate::model::TimePrecision::Day;
    }
    // Weeks when every incident is known to the hour or better and the window is at most half a year; else months.
    let span = match (q.from_s, q.to_s) {
        (Some(f), Some(t)) => t - f,
        _ => i64::MAX,
    };
    let weekly = fine && !sel.is_empty() && span <= 183 * 86_400;
    let mut series: BTreeMap<String, u64> = BTreeMap::new();
    for &i in &sel.indices {
        let t = times[i as usize];
        let label = if weekly {
            // Monday of the ISO week (1970-01-01 was a Thursday).
            let days = t.div_euclid(86_400);
            format_instant((days - (days + 3).rem_euclid(7)) * 86_400)[..10].to_owned()
        } else {
            month_label(t)
        };
        *series.entry(label).or_insert(0) += 1;
    }
    // How much of the window the store holds: a window reaching past the data or into a gap is said to be so.
    let (first, end) = time_span(s);
    let window = first.zip(end).map(|(f, e)| Window { from_s: q.from_s.unwrap_or(f), to_s: q.to_s.unwrap_or(e) });
    let coverage = window.filter(|w| w.from_s < w.to_s).map(|w| s.coverage.window(w));
    let mut warnings = sel.warnings.clone();
    if let Some(c) = coverage.as_ref().filter(|c| !c.full) {
        warnings.push(format!(
            "the store holds no data for {} of this window: counts cover only the rest ({} of {} days)",
            c.missing_text, c.days_held, c.days
        ));
    }
    let mut out = json!({
        "incidents": sel.len(),
        "harm": harm,
        "categories": by_cat,
        "interval": if weekly { "week" } else { "month" },
        "series": series.into_iter().map(|(period, count)| json!({"period": period, "count": count})).collect::<Vec<_>>(),
        "warnings": warnings,
        "coverage": coverage,
        "parameters": {"from": q.from_s.map(format_instant), "to": q.to_s.map(format_instant),
            "categories": q.categories, "harm_table": s.harm_label},
        "settings": canonical(q),
    });
    if s.config.public
        && let Some(obj) = out.get_mut("categories").and_then(Value::as_object_mut)
    {
        let min = u64::from(s.config.min_count);
        obj.retain(|_, v| v.as_u64().is_some_and(|n| n >= min));
    }
    Ok(out)
}

pub(super) async fn hotspots(State(s): St, RawQuery(q): RawQuery) -> Result<Json<Value>, AppError> {
    let p: HotspotSpec = parse(q.as_deref())?;
    s.compute(move |state| hotspots_json(state, &p)).await.map(Json)
}

fn hotspots_json(s: &AppState, p: &HotspotSpec) -> Result<Value, AppError> {
    let Some(a) = s.rule_analysis(&p.analysis, &p.rule)? else {
        let q = &p.analysis.query;
        return Ok(json!({"type": "FeatureCollection", "features": [],
            "parameters": {"from": q.from_s.map(format_instant), "to": q.to_s.map(format_instant), "categories": q.categories},
            "settings": canonical(p),
            "warnings": ["no incidents match the window and categories"]}));
    };
    let set = s.hotspots_for(&a, &p.rule)?;
    let top = p.top;
    let mut doc = crate::report::analysis::hotspots_geojson(&set, &a.prepared.params, usize::MAX);
    // Incidents in the same cells over the equal window before, for the trend.
    let previous = previous_counts(s, p, &a, &set);
    let choice = s.predictor_for(&a, &p.rule)?;
    // The level the heat map's bands are fractions of (the `density` layer's `breaks_from`).
    let level = match set.density_threshold_per_km2 {
        Some(t) => Some(t),
        None => s.density_level(&a, &p.rule)?,
    };
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("settings".into(), json!(canonical(p)));
        obj.insert("density_level_per_km2".into(), json!(level));
        if let Some(c) = &choice {
            // The evidence is store-wide shares, but public mode publishes only which method and why in words.
            let c = if s.config.public {
                json!({"method": c.text, "description": c.description, "reason": c.reason})
            } else {
                json!(c.as_ref())
            };
            obj.insert("method_choice".into(), c);
        }
        let q = &p.analysis.query;
        if let (None, Some(f), Some(t)) = (&previous, q.from_s, q.to_s) {
            let prev = crate::analysis::tasking::previous_window(Window { from_s: f, to_s: t });
            let c = s.coverage.window(prev);
            obj.insert(
                "previous_note".into(),
                json!(format!(
                    "no trend is given: the store holds no data for {} of the previous window",
                    c.missing_text
                )),
            );
        }
    }
    let min = u64::from(s.config.min_count);
    if let Some(features) = doc.get_mut("features").and_then(Value::as_array_mut) {
        for (k, f) in features.iter_mut().enumerate() {
            if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
                props.insert("previous_incidents".into(), previous.as_ref().map_or(Value::Null, |v| json!(v[k])));
                if s.config.public {
                    props.remove("top_locations");
                    // No street in public mode: the area's name only.
                    if let Some(h) = set.hotspots.get(k) {
                        let area = h.main_area.as_deref().map(|c| s.area_names.name_or_code(c));
                        props.insert("name".into(), json!(crate::analysis::naming::place_name(area, None)));
                    }
                }
            }
        }
        if s.config.public {
            features.retain(|f| f["properties"]["incidents"].as_u64().is_some_and(|n| n >= min));
        }
        features.truncate(top);
    }
    Ok(doc)
}

/// For each hotspot, incidents in its cells in the window of equal length just before (as many whole months earlier
/// for whole months); `None` without a window, or when the store has no data for that window
/// ([`previous_with_data`]: a change would be invented).
fn previous_counts(
    s: &AppState,
    p: &HotspotSpec,
    a: &super::context::Analysis,
    set: &crate::analysis::hotspots::HotspotSet,
) -> Option<Vec<u64>> {
    let window = Window { from_s: p.analysis.query.from_s?, to_s: p.analysis.query.to_s? };
    let previous = previous_with_data(&s.coverage, window)?;
    let q = Query {
        from_s: Some(previous.from_s),
        to_s: Some(previous.to_s),
        categories: p.analysis.query.categories.clone(),
        ..Default::default()
    };
    let sel = q.select(&s.ds).ok()?;
    let grid = &a.surface.grid;
    let owner = cell_owner(grid.n_cells(), set.hotspots.iter().map(|h| h.cell_indices.as_slice()));
    let counts = incidents_in_groups(&s.ds, &sel.indices, grid, &owner, set.hotspots.len(), &s.harm_by_category);
    Some(counts.into_iter().map(|(n, _)| n).collect())
}
