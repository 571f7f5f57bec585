//! A runtime of its own for query work (the pattern of InfluxDB IOx's dedicated executor):
//! decoding chunks and running kernels keep its threads busy, so the runtime that serves HTTP
//! and talks to object storage never waits behind them. Its threads have large stacks, so deep
//! (but allowed) expressions plan and run without overflowing.
//!
//! The runtime lives on a thread of its own and is shut down there when the last handle goes, as
//! a tokio runtime cannot be dropped from inside another.

use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::error::{EngineError, Result};

/// Stack of each query thread: planning and evaluation recurse once per level of the
/// expression (see `quiver_planner::MAX_EXPRESSION_DEPTH`). Only the pages used are committed.
pub const QUERY_THREAD_STACK: usize = 256 * 1024 * 1024;

/// Handle to the query runtime; clones share it.
#[derive(Debug, Clone)]
pub struct Executor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    handle: tokio::runtime::Handle,
    /// Dropped (which ends the runtime's thread) with the last handle.
    shutdown: Mutex<Option<std::sync::mpsc::Sender<()>>>,
    threads: usize,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut s) = self.shutdown.lock() {
            s.take();
        }
    }
}

impl Executor {
    /// A runtime with `threads` worker threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new().name("quiver-query-runtime".into()).spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                // Files read through object_store's local file system go to the blocking pool; a
                // few threads keep the reads going, and every thread more holds memory of its own.
                .max_blocking_threads(threads * 2)
                .thread_name("quiver-query")
                .thread_stack_size(QUERY_THREAD_STACK)
                .enable_all()
                .build();
            match rt {
                Ok(rt) => {
                    let _ = handle_tx.send(Ok(rt.handle().clone()));
                    // Blocks until every handle is gone (the sender is dropped).
                    let _ = shutdown_rx.recv();
                    rt.shutdown_background();
                }
                Err(e) => {
                    let _ = handle_tx.send(Err(e));
                }
            }
        })?;
        let handle = handle_rx.recv().map_err(std::io::Error::other)??;
        Ok(Self { inner: Arc::new(Inner { handle, shutdown: Mutex::new(Some(shutdown_tx)), threads }) })
    }

    /// How many worker threads it runs.
    pub fn threads(&self) -> usize {
        self.inner.threads
    }

    /// Runs `fut` on the query runtime and waits for it. A panic in it fails this call alone.
    pub async fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        let task = self.inner.handle.spawn(fut);
        // Dropping the wait (the caller went away) aborts the work; once it finished, the abort
        // does nothing.
        let _guard = AbortOnDrop(task.abort_handle());
        match task.await {
            Ok(out) => out,
            Err(e) if e.is_panic() => {
                Err(EngineError::Eval(format!("internal error: the query panicked: {e}")))
            }
            Err(e) => Err(EngineError::Eval(format!("internal error: {e}"))),
        }
    }

    /// The runtime's handle, to run other work there (tests, tools).
    pub fn handle(&self) -> &tokio::runtime::Handle {
        &self.inner.handle
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_elsewhere_and_survives_a_panic() {
        let ex = Executor::new(2).expect("executor");
        let here = std::thread::current().id();
        let there = ex.run(async move { Ok(std::thread::current().id()) }).await.expect("run");
        assert_ne!(here, there);
        let e = ex.run(async { if true { panic!("boom") } else { Ok(()) } }).await.expect_err("panicked");
        assert!(e.to_string().contains("panicked"), "{e}");
        assert_eq!(ex.run(async { Ok(1 + 1) }).await.expect("still runs"), 2);
    }
}
