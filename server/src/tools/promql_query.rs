//! `quiver tools promql-query QUERY`: evaluates PromQL over the TSDB blocks of a directory or
//! bucket and prints the result as Prometheus's API would (`--explain` prints the DataFusion
//! logical and physical plans instead; `--analyze` evaluates and prints the physical plan with
//! each operator's metrics, as `EXPLAIN ANALYZE`). The query flags are `quiver up`'s.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use quiver_bucket::block::Block;
use quiver_bucket::objstore::IoRuntimeStore;
use quiver_engine::storage::BlockStore;
use quiver_engine::{QueryControl, QueryEngine};
use quiver_planner::EvalSteps;

use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::query_flags::QueryFlags;
use crate::store::open_blocks_from;

#[derive(Debug, Args)]
pub(crate) struct PromqlQueryArgs {
    /// The PromQL expression.
    query: String,
    /// Directory of blocks (ignored when objstore flags are given).
    #[arg(long = "path", default_value = "data/")]
    path: PathBuf,
    /// Evaluation time of an instant query, Unix seconds (fractions allowed).
    #[arg(long = "time", allow_hyphen_values = true)]
    time: Option<f64>,
    /// Start of a range query, Unix seconds.
    #[arg(long = "start", allow_hyphen_values = true, requires_all = ["end", "step"])]
    start: Option<f64>,
    /// End of a range query, Unix seconds.
    #[arg(long = "end", allow_hyphen_values = true)]
    end: Option<f64>,
    /// Step of a range query, seconds.
    #[arg(long = "step")]
    step: Option<f64>,
    /// Print the logical and physical plans instead of evaluating.
    #[arg(long = "explain")]
    explain: bool,
    /// Evaluate, then print the physical plan with each operator's metrics.
    #[arg(long = "analyze", conflicts_with = "explain")]
    analyze: bool,
    #[command(flatten)]
    objstore: ObjstoreArgs,
    #[command(flatten)]
    query_flags: QueryFlags,
}

fn ms(s: f64) -> i64 {
    (s * 1000.0).round() as i64
}

pub(crate) async fn run(args: PromqlQueryArgs) -> Result<(), CliError> {
    let (mut store, dirs) = open_blocks_from(&args.objstore, &args.path).await?;
    if args.objstore.yaml()?.is_some() {
        // Queries run on their own runtime; a bucket's requests run on this one (local files
        // are read on the blocking pool either way).
        store = Arc::new(IoRuntimeStore::new(store, tokio::runtime::Handle::current()));
    }
    let mut blocks = Vec::with_capacity(dirs.len());
    for d in dirs {
        blocks.push(Arc::new(Block::open(Arc::clone(&store), d).await?));
    }
    let config = args.query_flags.config();
    let executor = crate::up::query_executor(&config)?;
    let engine =
        QueryEngine::new(Arc::new(BlockStore::new(blocks)), config.engine_options()).with_executor(executor);
    let steps = match (args.time, args.start, args.end, args.step) {
        (_, Some(s), Some(e), Some(st)) => EvalSteps::range(ms(s), ms(e), ms(st)),
        (Some(t), _, _, _) => EvalSteps::instant(ms(t)),
        _ => return Err(CliError::Usage("give --time, or --start, --end and --step".into())),
    };
    let mut out = std::io::stdout().lock();
    let io = |e| CliError::io("stdout", e);
    if args.explain {
        let text = engine.explain(&args.query, steps).await.map_err(|e| CliError::Input(e.to_string()))?;
        return writeln!(out, "{text}").map_err(io);
    }
    if args.analyze {
        let (plans, result) = engine
            .explain_analyze(&args.query, steps, &QueryControl::default())
            .await
            .map_err(|e| CliError::Input(e.to_string()))?;
        let stats = result.stats;
        return writeln!(
            out,
            "{}\nsamples loaded: {}, series selected: {}",
            plans.physical, stats.samples_loaded, stats.series_selected
        )
        .map_err(io);
    }
    let result = if steps.len() == 1 && args.start.is_none() {
        engine.instant(&args.query, steps.start).await
    } else {
        engine.range(&args.query, steps.start, steps.end, steps.step).await
    }
    .map_err(|e| CliError::Input(e.to_string()))?;
    let json = serde_json::json!({
        "status": "success",
        "data": crate::api_json::value_json(&result.value),
        "warnings": result.annotations.warnings,
        "infos": result.annotations.infos,
    });
    writeln!(out, "{json}").map_err(io)
}
