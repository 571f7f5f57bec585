//! Command-line entry point: clap types per concern, turned into plain config before anything
//! starts. Flag names follow Thanos and promtool; every flag can also come from `QUIVER_...`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::CliError;
use crate::tools;

#[derive(Debug, Parser)]
#[command(
    name = "quiver",
    version,
    about = "Long-term storage and query for Prometheus, on Arrow and DataFusion"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter, e.g. `info` or `quiver=debug`.
    #[arg(long = "log.level", env = "QUIVER_LOG_LEVEL", default_value = "info", global = true)]
    log_level: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// All-in-one: serves a local directory bucket over HTTP (more components join as they land).
    Up(crate::up::UpArgs),
    /// Store gateway: serves a bucket's blocks over StoreAPI, as `thanos store`.
    Store(crate::store_gateway::StoreArgs),
    /// Receiver: remote write into a WAL-backed head per tenant, cut into blocks, served over
    /// StoreAPI, as `thanos receive`.
    Receive(crate::receive_cmd::ReceiveArgs),
    /// Querier: Prometheus's HTTP API over StoreAPI endpoints, deduplicating replicas, as
    /// `thanos query`.
    Query(crate::querier::QueryArgs),
    /// Sidecar: beside a Prometheus, serves its data over StoreAPI, ships its blocks to the
    /// bucket and reloads it when its configuration changes, as `thanos sidecar`.
    Sidecar(crate::sidecar::SidecarArgs),
    /// Tools for blocks, buckets and PromQL test scripts.
    #[command(subcommand)]
    Tools(ToolsCommand),
}

#[derive(Debug, Subcommand)]
enum ToolsCommand {
    /// TSDB block tools, as `promtool tsdb`.
    #[command(subcommand)]
    Tsdb(TsdbCommand),
    /// Bucket tools, as `thanos tools bucket`.
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Evaluates a PromQL query over TSDB blocks (`--explain` shows the plans).
    #[command(name = "promql-query")]
    PromqlQuery(tools::promql_query::PromqlQueryArgs),
    /// Runs Prometheus PromQL test scripts against Quiver's engine.
    #[command(name = "promql-test")]
    PromqlTest(tools::promql_test::PromqlTestArgs),
}

#[derive(Debug, Subcommand)]
enum TsdbCommand {
    /// Prints every sample as `{labels} value timestamp_ms`, like `promtool tsdb dump`.
    Dump(tools::tsdb_dump::DumpArgs),
    /// Creates blocks from another format, like `promtool tsdb create-blocks-from`.
    #[command(name = "create-blocks-from", subcommand)]
    CreateBlocksFrom(CreateBlocksFrom),
}

#[derive(Debug, Subcommand)]
enum CreateBlocksFrom {
    /// Reads OpenMetrics text (timestamps in seconds) and writes 2h blocks aligned to the epoch.
    Openmetrics(tools::create_blocks::OpenMetricsArgs),
}

#[derive(Debug, Subcommand)]
enum BucketCommand {
    /// Lists the blocks in the bucket.
    Ls(tools::bucket::BucketArgs),
    /// Prints a table of the bucket's blocks.
    Inspect(tools::bucket::BucketArgs),
    /// Reads every block fully; fails and names each broken block.
    Verify(tools::bucket::BucketArgs),
    /// Uploads local blocks with external labels, as `thanos tools bucket upload-blocks`.
    #[command(name = "upload-blocks")]
    UploadBlocks(tools::bucket::UploadArgs),
}

/// `--objstore.config-file` / `--objstore.config`, as in Thanos.
#[derive(Debug, Clone, Args)]
pub struct ObjstoreArgs {
    /// Path to a YAML file with the object store configuration (Thanos objstore format).
    #[arg(long = "objstore.config-file", env = "QUIVER_OBJSTORE_CONFIG_FILE")]
    pub config_file: Option<PathBuf>,
    /// The object store configuration as inline YAML; takes precedence over the file.
    #[arg(long = "objstore.config", env = "QUIVER_OBJSTORE_CONFIG")]
    pub config: Option<String>,
}

impl ObjstoreArgs {
    /// The YAML text of the configuration, or `None` when neither flag is set.
    pub fn yaml(&self) -> Result<Option<String>, CliError> {
        inline_or_file(self.config.as_ref(), self.config_file.as_ref())
    }
}

/// A configuration given as Thanos takes it, inline (`--foo.config`, which wins) or as a file
/// (`--foo.config-file`); `None` when neither is set.
pub(crate) fn inline_or_file(
    inline: Option<&String>,
    file: Option<&PathBuf>,
) -> Result<Option<String>, CliError> {
    match (inline, file) {
        (Some(text), _) => Ok(Some(text.clone())),
        (None, Some(p)) => std::fs::read_to_string(p).map(Some).map_err(|e| CliError::io(p.display(), e)),
        (None, None) => Ok(None),
    }
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(&cli.log_level);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln_err(&e);
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stderr)]
fn eprintln_err(e: &CliError) {
    eprintln!("error: {e}");
}

fn run(command: Command) -> Result<(), CliError> {
    // The script runner drives its own runtime.
    if let Command::Tools(ToolsCommand::PromqlTest(a)) = command {
        return tools::promql_test::run(a);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Server(format!("starting the runtime: {e}")))?;
    rt.block_on(async move {
        match command {
            Command::Up(args) => crate::up::run(args).await,
            Command::Store(args) => crate::store_gateway::run(args).await,
            Command::Query(args) => crate::querier::run(args).await,
            Command::Receive(args) => crate::receive_cmd::run(args).await,
            Command::Sidecar(args) => crate::sidecar::run(args).await,
            Command::Tools(ToolsCommand::Tsdb(TsdbCommand::Dump(a))) => tools::tsdb_dump::run(a).await,
            Command::Tools(ToolsCommand::Tsdb(TsdbCommand::CreateBlocksFrom(
                CreateBlocksFrom::Openmetrics(a),
            ))) => tools::create_blocks::run(a).await,
            Command::Tools(ToolsCommand::Bucket(BucketCommand::Ls(a))) => tools::bucket::ls(a).await,
            Command::Tools(ToolsCommand::Bucket(BucketCommand::Inspect(a))) => {
                tools::bucket::inspect(a).await
            }
            Command::Tools(ToolsCommand::Bucket(BucketCommand::Verify(a))) => tools::bucket::verify(a).await,
            Command::Tools(ToolsCommand::Bucket(BucketCommand::UploadBlocks(a))) => {
                tools::bucket::upload_blocks(a).await
            }
            Command::Tools(ToolsCommand::PromqlTest(_)) => Ok(()),
            Command::Tools(ToolsCommand::PromqlQuery(a)) => tools::promql_query::run(a).await,
        }
    })
}
