//! Stopping a running query: a deadline (`--query.timeout`, or the request's shorter `timeout`)
//! and a token the caller cancels when nobody waits for the answer any more (an HTTP client
//! that disconnected).
//!
//! Two mechanisms work together. The facade races evaluation against [`QueryControl::stopped`],
//! so a query waiting on I/O stops at once. Operators that compute for a long time without
//! awaiting call [`QueryControl::check`] in their loops (per series, per step, per batch), so a
//! query that never yields stops within one iteration; that works because the caller runs the
//! query in a task of its own and cancels from another.

use std::time::Duration;

use tokio::time::Instant;
pub use tokio_util::sync::CancellationToken;

use crate::error::{EngineError, Result};

/// Prometheus's names for where a query was when it stopped: before it started, and while its
/// expression was evaluated.
const EXECUTION: &str = "query execution";
const EVALUATION: &str = "expression evaluation";
/// Where a query waits for a slot under the concurrency limit.
const QUEUE: &str = "query queue";

/// How a query is stopped before it finishes; the default never stops it.
#[derive(Debug, Clone, Default)]
pub struct QueryControl {
    /// When the query must have finished.
    pub deadline: Option<Instant>,
    /// Cancelled by the caller when the answer is no longer wanted.
    pub cancel: CancellationToken,
}

impl QueryControl {
    /// A control whose deadline is `timeout` from now.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self { deadline: Instant::now().checked_add(timeout), cancel: CancellationToken::new() }
    }

    /// An error when the query must stop now: an atomic load and a clock read, cheap enough
    /// to call once per series or step. For checks while the query runs.
    pub(crate) fn check(&self) -> Result<()> {
        self.check_at(EVALUATION)
    }

    /// As [`QueryControl::check`], before evaluation starts.
    pub(crate) fn check_before_start(&self) -> Result<()> {
        self.check_at(EXECUTION)
    }

    fn check_at(&self, stage: &'static str) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled(stage));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(EngineError::Timeout(stage));
        }
        Ok(())
    }

    /// Waits for `fut` (a slot under the concurrency limit) unless the query must stop first;
    /// the time spent waiting counts against the deadline, as in Prometheus's query queue.
    pub async fn queued<T>(&self, fut: impl Future<Output = T>) -> Result<T> {
        self.check_at(QUEUE)?;
        tokio::select! {
            biased;
            out = fut => Ok(out),
            stop = self.stopped() => Err(match stop {
                EngineError::Timeout(_) => EngineError::Timeout(QUEUE),
                _ => EngineError::Cancelled(QUEUE),
            }),
        }
    }

    /// Resolves, with the error to return, when the running query must stop.
    pub(crate) async fn stopped(&self) -> EngineError {
        let deadline = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                // No timer without a deadline: callers may run on a runtime without a time driver.
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = self.cancel.cancelled() => EngineError::Cancelled(EVALUATION),
            () = deadline => EngineError::Timeout(EVALUATION),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn control_checks_token_and_deadline() {
        let c = QueryControl::default();
        assert!(c.check().is_ok());
        c.cancel.cancel();
        assert!(matches!(c.check(), Err(EngineError::Cancelled(EVALUATION))));
        assert!(matches!(c.stopped().await, EngineError::Cancelled(EVALUATION)));

        let c = QueryControl::with_timeout(Duration::from_millis(1));
        assert_eq!(c.stopped().await.to_string(), "query timed out in expression evaluation");
        assert_eq!(
            c.check_before_start().map_err(|e| e.to_string()),
            Err("query timed out in query execution".into())
        );
    }

    #[tokio::test]
    async fn queued_waits_unless_the_query_must_stop() {
        let c = QueryControl::with_timeout(Duration::from_millis(20));
        assert_eq!(c.queued(async { 7 }).await.ok(), Some(7));
        let e = c.queued(std::future::pending::<()>()).await.map_err(|e| e.to_string());
        assert_eq!(e, Err("query timed out in query queue".into()));

        let c = QueryControl::default();
        c.cancel.cancel();
        let e = c.queued(std::future::pending::<()>()).await.map_err(|e| e.to_string());
        assert_eq!(e, Err("query was canceled in query queue".into()));
    }
}
