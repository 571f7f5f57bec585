//! Turns the planner's extension nodes into their operators. Each operator decides its own
//! partitioning from the query's (selectors split their series) and its children's, so
//! DataFusion's physical optimizer, which knows nothing of PromQL, is not run.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{LogicalPlan, UserDefinedLogicalNode};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use quiver_planner::node;

use crate::exec::{
    AggregateExec, BinaryExec, CallExec, InfoExec, MatrixSelectExec, NumberLiteralExec, QueryContext,
    RangeCallExec, SubqueryExec, VectorSelectExec,
};

/// Plans PromQL extension nodes for one query.
#[derive(Debug)]
pub(crate) struct PromExtensionPlanner {
    pub(crate) qctx: Arc<QueryContext>,
}

#[async_trait]
impl ExtensionPlanner for PromExtensionPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let any = node.as_any();
        let q = Arc::clone(&self.qctx);
        let inputs = physical_inputs.to_vec();
        let plan: Arc<dyn ExecutionPlan> = if let Some(n) = any.downcast_ref::<node::VectorSelect>() {
            Arc::new(VectorSelectExec::new(n.clone(), q))
        } else if let Some(n) = any.downcast_ref::<node::RangeCall>() {
            Arc::new(RangeCallExec::new(n.clone(), inputs, q))
        } else if let Some(n) = any.downcast_ref::<node::MatrixSelect>() {
            Arc::new(MatrixSelectExec::new(n.clone(), q))
        } else if let Some(n) = any.downcast_ref::<node::NumberLiteral>() {
            Arc::new(NumberLiteralExec::new(n.clone(), q))
        } else if let Some(n) = any.downcast_ref::<node::Aggregate>() {
            Arc::new(AggregateExec::new(n.clone(), inputs, q))
        } else if let Some(n) = any.downcast_ref::<node::Binary>() {
            Arc::new(BinaryExec::new(n.clone(), inputs, q))
        } else if let Some(n) = any.downcast_ref::<node::Subquery>() {
            Arc::new(SubqueryExec::new(n.clone(), inputs, q))
        } else if let Some(n) = any.downcast_ref::<node::Info>() {
            Arc::new(InfoExec::new(n.clone(), inputs, q))
        } else if let Some(n) = any.downcast_ref::<node::Call>() {
            Arc::new(CallExec::new(n.clone(), inputs, q))
        } else {
            return Err(DataFusionError::Plan(format!("unknown PromQL node {}", node.name())));
        };
        Ok(Some(plan))
    }
}

/// The session's query planner: DataFusion's, with PromQL nodes planned by us.
#[derive(Debug)]
pub(crate) struct PromQueryPlanner {
    pub(crate) qctx: Arc<QueryContext>,
}

#[async_trait]
impl QueryPlanner for PromQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planner = DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(PromExtensionPlanner {
            qctx: Arc::clone(&self.qctx),
        })]);
        planner.create_physical_plan(logical_plan, session).await
    }
}
