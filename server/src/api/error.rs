//! The one place where failures become Prometheus API errors: `{"status":"error",
//! "errorType":...,"error":...}` with Prometheus's error types and HTTP status codes
//! (`bad_data` 400, `execution` 422, `canceled` 499, `internal` 500, `timeout` 503).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quiver_engine::EngineError;
use quiver_planner::PlanError;
use quiver_proto::StoreError;
use serde_json::json;
use thiserror::Error;

/// Why an API request failed.
#[derive(Debug, Error)]
pub(crate) enum ApiError {
    /// A request parameter that cannot be used, named as Prometheus names it.
    #[error("invalid parameter {name:?}: {reason}")]
    InvalidParam { name: &'static str, reason: String },
    /// A request Prometheus refuses as a whole (no `match[]`, too many points, ...).
    #[error("{0}")]
    BadData(String),
    #[error(transparent)]
    Engine(EngineError),
    /// Reading the bucket failed.
    #[error("{0}")]
    Storage(String),
    /// A bug: the query task panicked.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub(crate) fn param(name: &'static str, reason: impl Into<String>) -> Self {
        ApiError::InvalidParam { name, reason: reason.into() }
    }

    /// Prometheus's `errorType` and the status it answers with.
    fn kind(&self) -> (&'static str, StatusCode) {
        const BAD_DATA: (&str, StatusCode) = ("bad_data", StatusCode::BAD_REQUEST);
        const EXECUTION: (&str, StatusCode) = ("execution", StatusCode::UNPROCESSABLE_ENTITY);
        const INTERNAL: (&str, StatusCode) = ("internal", StatusCode::INTERNAL_SERVER_ERROR);
        match self {
            ApiError::InvalidParam { .. } | ApiError::BadData(_) => BAD_DATA,
            ApiError::Engine(e) => match e {
                EngineError::Timeout(_) => ("timeout", StatusCode::SERVICE_UNAVAILABLE),
                // nginx's "client closed request", which Prometheus also uses.
                EngineError::Cancelled(_) => {
                    ("canceled", StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST))
                }
                EngineError::Storage(e) => store_kind(e),
                _ => EXECUTION,
            },
            ApiError::Storage(_) | ApiError::Internal(_) => INTERNAL,
        }
    }
}

/// A source's error as Prometheus's API would answer it.
fn store_kind(e: &StoreError) -> (&'static str, StatusCode) {
    match e {
        StoreError::Unavailable { .. } => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
        StoreError::LimitExceeded { .. } | StoreError::ResourceExhausted { .. } => {
            ("execution", StatusCode::UNPROCESSABLE_ENTITY)
        }
        StoreError::InvalidRequest { .. } => ("bad_data", StatusCode::BAD_REQUEST),
        StoreError::Corrupt { .. } => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        StoreError::Cancelled { .. } => {
            ("canceled", StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST))
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Engine(EngineError::Storage(e))
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            // Prometheus parses and type-checks the query before running it; what fails there is
            // the `query` parameter's fault.
            EngineError::Plan(
                p @ (PlanError::Parse(_) | PlanError::Invalid(_) | PlanError::TooComplex(_)),
            ) => ApiError::param("query", p.to_string()),
            other => ApiError::Engine(other),
        }
    }
}

impl From<quiver_bucket::Error> for ApiError {
    fn from(e: quiver_bucket::Error) -> Self {
        ApiError::Storage(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (error_type, status) = self.kind();
        if status.is_server_error() {
            tracing::warn!(error_type, "{self}");
        }
        let body = Json(json!({"status": "error", "errorType": error_type, "error": self.to_string()}));
        (status, body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_and_statuses_are_prometheus_ones() {
        let e = ApiError::from(EngineError::Plan(PlanError::Parse("1:3: parse error: x".into())));
        assert_eq!(e.to_string(), "invalid parameter \"query\": 1:3: parse error: x");
        assert_eq!(e.kind(), ("bad_data", StatusCode::BAD_REQUEST));
        assert_eq!(ApiError::from(EngineError::TooManySamples).kind().1, StatusCode::UNPROCESSABLE_ENTITY);
        let series = ApiError::from(EngineError::TooManySeries { limit: 1, got: 2 });
        assert_eq!(series.kind(), ("execution", StatusCode::UNPROCESSABLE_ENTITY));
        let timeout = ApiError::from(EngineError::Timeout("expression evaluation"));
        assert_eq!(timeout.kind(), ("timeout", StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(ApiError::from(EngineError::Cancelled("query execution")).kind().1.as_u16(), 499);
        let e = ApiError::from(EngineError::Plan(PlanError::Unsupported("x".into())));
        assert_eq!(e.kind().0, "execution");
        let unavailable = ApiError::from(StoreError::unavailable("store-1", "connection refused"));
        assert_eq!(unavailable.kind(), ("unavailable", StatusCode::SERVICE_UNAVAILABLE));
        assert_eq!(unavailable.to_string(), "storage: store-1: unavailable: connection refused");
        let corrupt = StoreError::Corrupt {
            store: "b".into(),
            block: "01X".into(),
            file: "index".into(),
            reason: "bad".into(),
        };
        assert_eq!(ApiError::from(corrupt).kind().0, "internal");
        assert_eq!(ApiError::from(StoreError::invalid("s", "x")).kind().0, "bad_data");
    }
}
