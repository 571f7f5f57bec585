use datafusion::error::DataFusionError;
use thiserror::Error;

/// Errors of query evaluation, mapped to Prometheus's API error types at the edge.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Plan(#[from] quiver_planner::PlanError),
    /// An evaluation error Prometheus would also return (e.g. "vector cannot contain metrics with
    /// the same labelset").
    #[error("{0}")]
    Eval(String),
    #[error("not supported yet: {0}")]
    Unsupported(String),
    #[error("storage: {0}")]
    Storage(#[from] quiver_proto::StoreError),
    /// The texts of these three are Prometheus's (`promql.ErrTooManySamples`,
    /// `ErrQueryTimeout`, `ErrQueryCanceled`), which clients match on.
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// The query's operators would hold more than `--query.max-memory`; it fails alone and
    /// frees what it held.
    #[error("query processing would use too much memory in query execution: {0}")]
    TooMuchMemory(String),
    /// The selectors selected more series than `max_series`; worded as Thanos's series limit.
    #[error("exceeded series limit: limit {limit} violated (got {got})")]
    TooManySeries { limit: u64, got: u64 },
    /// The deadline passed; the stage is Prometheus's: "query execution" when the query had not
    /// started yet, "expression evaluation" while it ran.
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The caller cancelled the query; stages as for `Timeout`.
    #[error("query was canceled in {0}")]
    Cancelled(&'static str),
    #[error("{0}")]
    DataFusion(DataFusionError),
}

impl From<DataFusionError> for EngineError {
    fn from(e: DataFusionError) -> Self {
        // Errors raised by our own operators travel through DataFusion (and Arrow) wrapped, maybe
        // several times; find ours again so its message reaches the user unchanged.
        match e {
            DataFusionError::External(inner) => from_boxed(inner),
            DataFusionError::Context(_, inner) => EngineError::from(*inner),
            DataFusionError::ArrowError(inner, ctx) => match *inner {
                datafusion::arrow::error::ArrowError::ExternalError(boxed) => from_boxed(boxed),
                other => EngineError::DataFusion(DataFusionError::ArrowError(Box::new(other), ctx)),
            },
            DataFusionError::ResourcesExhausted(why) => EngineError::TooMuchMemory(why),
            DataFusionError::Shared(shared) => match std::sync::Arc::try_unwrap(shared) {
                Ok(inner) => EngineError::from(inner),
                Err(shared) => EngineError::DataFusion(DataFusionError::Shared(shared)),
            },
            other => EngineError::DataFusion(other),
        }
    }
}

fn from_boxed(inner: Box<dyn std::error::Error + Send + Sync>) -> EngineError {
    match inner.downcast::<EngineError>() {
        Ok(ours) => *ours,
        Err(other) => match other.downcast::<DataFusionError>() {
            Ok(df) => EngineError::from(*df),
            Err(other) => EngineError::DataFusion(DataFusionError::External(other)),
        },
    }
}

impl From<EngineError> for DataFusionError {
    fn from(e: EngineError) -> Self {
        DataFusionError::External(Box::new(e))
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
