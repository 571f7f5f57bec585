//! `quiver tools tsdb dump`: every sample of a block or directory of blocks, printed exactly as
//! `promtool tsdb dump` prints it. Series present in several blocks are merged by timestamp.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use quiver_bucket::block::{Block, SeriesEntry};
use quiver_proto::{Labels, Matcher, TimeRange, format_g};

use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::store::open_blocks_from;

#[derive(Debug, Args)]
pub(crate) struct DumpArgs {
    /// A block directory or a directory of blocks.
    #[arg(default_value = "data/")]
    path: PathBuf,
    /// Minimum timestamp to dump, in milliseconds.
    #[arg(long = "min-time", default_value_t = i64::MIN, allow_hyphen_values = true)]
    min_time: i64,
    /// Maximum timestamp to dump, in milliseconds.
    #[arg(long = "max-time", default_value_t = i64::MAX, allow_hyphen_values = true)]
    max_time: i64,
    /// Series selector; may be repeated (series matching any are dumped).
    #[arg(long = "match", default_value = "{__name__=~'(?s:.*)'}")]
    matches: Vec<String>,
    /// Dump the blocks of a bucket instead of a local directory.
    #[command(flatten)]
    objstore: ObjstoreArgs,
}

pub(crate) async fn run(args: DumpArgs) -> Result<(), CliError> {
    let mut selectors: Vec<Vec<Matcher>> = Vec::new();
    for m in &args.matches {
        selectors.extend(crate::tools::parse_selector(m)?);
    }
    let range = TimeRange::new(args.min_time, args.max_time);
    let (store, dirs) = open_blocks_from(&args.objstore, &args.path).await?;
    let mut blocks = Vec::with_capacity(dirs.len());
    for d in dirs {
        let b = Block::open(std::sync::Arc::clone(&store), d).await?;
        let m = b.meta();
        // Block max time is exclusive.
        if TimeRange::new(m.min_time, m.max_time.saturating_sub(1)).overlaps(&range) {
            blocks.push(b);
        }
    }

    let mut series: BTreeMap<Labels, Vec<(usize, SeriesEntry)>> = BTreeMap::new();
    for (bi, b) in blocks.iter().enumerate() {
        let mut seen = std::collections::BTreeSet::new();
        for sel in &selectors {
            for s in b.select(sel, range).await? {
                if seen.insert(s.series_ref) {
                    series.entry(s.labels.clone()).or_default().push((bi, s));
                }
            }
        }
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let io = |e| CliError::io("stdout", e);
    for (labels, parts) in series {
        let mut samples = Vec::new();
        for (bi, entry) in &parts {
            samples.extend(blocks[*bi].float_samples(entry, range).await?);
        }
        if parts.len() > 1 {
            samples.sort_by_key(|s| s.t);
            samples.dedup_by_key(|s| s.t);
        }
        let l = labels.to_string();
        for s in samples {
            writeln!(out, "{l} {} {}", format_g(s.v), s.t).map_err(io)?;
        }
    }
    out.flush().map_err(io)
}
