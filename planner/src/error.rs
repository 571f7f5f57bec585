use thiserror::Error;

/// Why a query cannot be planned.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The text is not valid PromQL; the message carries the parser's position.
    #[error("{0}")]
    Parse(String),
    /// Valid PromQL that the planner rejects the way Prometheus does (wrong argument types, ...).
    #[error("{0}")]
    Invalid(String),
    /// The query, or a subquery in it, would be evaluated at more steps than a query may hold
    /// samples: it fails before anything is allocated, with Prometheus's error for too many
    /// samples.
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySteps,
    /// The query is longer or nested deeper than Quiver evaluates; it fails before it is planned.
    #[error("{0}")]
    TooComplex(String),
    /// Valid PromQL that Quiver cannot evaluate yet. Never silently ignored.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    #[error(transparent)]
    DataFusion(#[from] datafusion_common::DataFusionError),
}

pub type Result<T, E = PlanError> = std::result::Result<T, E>;
