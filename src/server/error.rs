//! One error type for every route, mapped to a status code and a JSON body. 4xx explain themselves; 5xx are logged
//! and generic.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What a route can fail with; each variant maps to one HTTP status and a JSON body `{error, ...}`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A request parameter is wrong: 400 naming it.
    #[error("{error}")]
    BadRequest {
        /// The query-string parameter at fault.
        parameter: String,
        /// What is wrong with it and what would be right.
        error: String,
    },
    /// No such thing: 404, listing what exists.
    #[error("{error}")]
    NotFound {
        /// What was asked for and not found.
        error: String,
        /// The names that do exist (layers, areas...).
        valid: Vec<String>,
    },
    /// The server has a token and the request did not carry it: 401.
    #[error("a bearer token is required: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// The request may not reach this server (its `Host` is not the server's): 403.
    #[error("{0}")]
    Forbidden(String),
    /// Too many computations queued, or one ran past its time limit: 503.
    #[error("{0}")]
    Busy(String),
    /// Something that should not happen: 500, logged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 for request parameter `parameter` (named as in the query string).
    pub fn bad(parameter: &str, error: impl Into<String>) -> Self {
        AppError::BadRequest { parameter: parameter.to_owned(), error: error.into() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            AppError::BadRequest { parameter, error } => {
                (StatusCode::BAD_REQUEST, json!({"error": error, "parameter": parameter}))
            }
            AppError::NotFound { error, valid } => (StatusCode::NOT_FOUND, json!({"error": error, "valid": valid})),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, json!({"error": self.to_string()})),
            AppError::Forbidden(msg) => (StatusCode::FORBIDDEN, json!({"error": msg})),
            AppError::Busy(msg) => (StatusCode::SERVICE_UNAVAILABLE, json!({"error": msg})),
            AppError::Internal(msg) => {
                eprintln!("hotspots serve: internal error: {msg}");
                (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "internal error; see the server log"}))
            }
        };
        let mut resp = (status, axum::Json(body)).into_response();
        if matches!(self, AppError::Unauthorized) {
            resp.headers_mut()
                .insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<crate::analysis::spec::SpecError> for AppError {
    fn from(e: crate::analysis::spec::SpecError) -> Self {
        AppError::BadRequest { error: e.to_string(), parameter: e.parameter }
    }
}

impl From<crate::analysis::pipeline::AnalysisError> for AppError {
    fn from(e: crate::analysis::pipeline::AnalysisError) -> Self {
        use crate::analysis::gistar::GiStarError;
        use crate::analysis::kde::KdeError;
        use crate::analysis::pipeline::AnalysisError as E;
        use crate::model::QueryError;
        match &e {
            E::Kde(KdeError::Stopped(s)) | E::GiStar(GiStarError::Stopped(s)) => AppError::from(*s),
            E::Kde(KdeError::TooCostly(c)) | E::GiStar(GiStarError::TooCostly(c)) => AppError::from(c.clone()),
            E::Query(QueryError::UnknownCategory { .. }) => AppError::bad("category", e.to_string()),
            E::Query(QueryError::EmptyWindow { .. }) => AppError::bad("from", e.to_string()),
            E::Grid(_) => AppError::bad("cell_m", e.to_string()),
            E::Kde(_) => AppError::bad("bandwidth_m", e.to_string()),
            E::GiStar(_) => AppError::bad("band_m", e.to_string()),
            E::Hotspot(_) => AppError::bad("method", e.to_string()),
            E::Empty => AppError::bad("from", e.to_string()),
            E::StudyArea(_) => AppError::bad("study_area", e.to_string()),
            E::Crs(_) => AppError::Internal(e.to_string()),
            E::Predict(p) => {
                use crate::analysis::predict::PredictError as P;
                match p {
                    P::Query(QueryError::UnknownCategory { .. }) => AppError::bad("category", e.to_string()),
                    P::Grid(_) => AppError::bad("cell_m", e.to_string()),
                    P::Internal(_) => AppError::Internal(e.to_string()),
                    _ => AppError::bad("predictor", e.to_string()),
                }
            }
        }
    }
}

impl From<crate::model::Stopped> for AppError {
    fn from(e: crate::model::Stopped) -> Self {
        AppError::Busy(format!("{e}: narrow the window or use a coarser cell"))
    }
}

impl From<crate::model::TooCostly> for AppError {
    fn from(e: crate::model::TooCostly) -> Self {
        AppError::bad(e.parameter, e.to_string())
    }
}
