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
    /// Valid PromQL that Quiver cannot evaluate yet. Never silently ignored.
    #[error("not supported yet: {0}")]
    Unsupported(String),
    #[error(transparent)]
    DataFusion(#[from] datafusion_common::DataFusionError),
}

pub type Result<T, E = PlanError> = std::result::Result<T, E>;
