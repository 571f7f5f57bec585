//! The engine behind `quiver tools promql-test`: an in-memory store and a [`QueryEngine`] over it,
//! with the PromQL features Prometheus's own test runner turns on.

use std::sync::Arc;

use quiver_planner::Features;
use quiver_proto::Labels;

use crate::promqltest::TestEngine;
use crate::query::{EngineOptions, QueryEngine};
use crate::storage::MemoryStore;
use crate::value::{Point, QueryOutput};

/// Loads test data into memory and evaluates test queries on a private runtime.
#[derive(Debug)]
pub struct ScriptEngine {
    /// Shared with the queries while they run; mutable again once they are done.
    store: Arc<MemoryStore>,
    opts: EngineOptions,
    rt: tokio::runtime::Runtime,
}

impl ScriptEngine {
    pub fn new() -> std::io::Result<Self> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let opts = EngineOptions {
            features: Features {
                experimental_functions: true,
                delayed_name_removal: true,
                extended_range_selectors: true,
                duration_expressions: true,
                binop_fill_modifiers: true,
            },
            default_subquery_step_ms: Some(60_000),
            ..EngineOptions::default()
        };
        Ok(Self { store: Arc::new(MemoryStore::new()), opts, rt })
    }

    fn engine(&self) -> QueryEngine {
        QueryEngine::new(Arc::clone(&self.store) as Arc<dyn quiver_proto::SeriesStore>, self.opts)
    }

    fn store_mut(&mut self) -> Result<&mut MemoryStore, String> {
        Arc::get_mut(&mut self.store).ok_or_else(|| "the store is still in use by a query".to_string())
    }
}

impl TestEngine for ScriptEngine {
    fn clear(&mut self) {
        if let Ok(store) = self.store_mut() {
            store.clear();
        }
    }

    fn load(&mut self, series: Vec<(Labels, Vec<(i64, Point)>)>) -> Result<(), String> {
        let store = self.store_mut()?;
        for (labels, samples) in series {
            store.append(labels, samples);
        }
        Ok(())
    }

    fn instant(&mut self, query: &str, t_ms: i64) -> Result<QueryOutput, String> {
        self.rt.block_on(self.engine().instant(query, t_ms)).map_err(|e| e.to_string())
    }

    fn range(
        &mut self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<QueryOutput, String> {
        self.rt.block_on(self.engine().range(query, start_ms, end_ms, step_ms)).map_err(|e| e.to_string())
    }
}
