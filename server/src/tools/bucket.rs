//! `quiver tools bucket ls | inspect | verify` over a bucket given by objstore flags.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use object_store::ObjectStore;
use object_store::path::Path;
use quiver_bucket::block::{Block, BlockMeta, list_blocks};
use quiver_proto::TimeRange;
use quiver_proto::chunkenc::{Encoding, decode_xor};

use crate::cli::ObjstoreArgs;
use crate::error::CliError;
use crate::store::open_bucket;

#[derive(Debug, Args)]
pub(crate) struct BucketArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
}

#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    #[command(flatten)]
    objstore: ObjstoreArgs,
    /// Directory of the blocks to upload.
    #[arg(long = "path", default_value = "./data")]
    path: std::path::PathBuf,
    /// External label to attach, `name="value"` (or `name=value`); may be repeated.
    #[arg(long = "label", value_parser = parse_label)]
    labels: Vec<(String, String)>,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("label {s:?} is not name=\"value\""))?;
    let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
    if k.is_empty()
        || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || k.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!("invalid label name {k:?}"));
    }
    Ok((k.to_string(), v.to_string()))
}

/// Uploads every block under `--path` with the given external labels, as
/// `thanos tools bucket upload-blocks` does.
pub(crate) async fn upload_blocks(args: UploadArgs) -> Result<(), CliError> {
    let store = open_bucket(&args.objstore)?;
    let opts = quiver_bucket::block::UploadOptions {
        labels: args.labels.into_iter().collect(),
        source: "bucket.upload-blocks".to_string(),
    };
    let entries = std::fs::read_dir(&args.path).map_err(|e| CliError::io(args.path.display(), e))?;
    let mut dirs: Vec<std::path::PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("meta.json").is_file()).collect();
    dirs.sort();
    let mut out = std::io::stdout().lock();
    for d in dirs {
        let meta = quiver_bucket::block::upload_block(&store, &d, &opts).await?;
        writeln!(out, "uploaded {}", meta.ulid).map_err(stdout_err)?;
    }
    Ok(())
}

fn stdout_err(e: std::io::Error) -> CliError {
    CliError::io("stdout", e)
}

pub(crate) async fn ls(args: BucketArgs) -> Result<(), CliError> {
    let store = open_bucket(&args.objstore)?;
    let mut out = std::io::stdout().lock();
    for u in list_blocks(&store, None).await? {
        writeln!(out, "{u}").map_err(stdout_err)?;
    }
    Ok(())
}

async fn read_meta(store: &Arc<dyn ObjectStore>, dir: &Path) -> Result<BlockMeta, CliError> {
    let src = quiver_bucket::block::BlockSource::new(Arc::clone(store), dir.clone(), dir.to_string());
    Ok(BlockMeta::parse(src.name(), &src.get("meta.json").await?)?)
}

fn fmt_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn fmt_duration(ms: i64) -> String {
    let (h, m, s) = (ms / 3_600_000, ms % 3_600_000 / 60_000, ms % 60_000 / 1000);
    match (h, m, s) {
        (0, 0, _) => format!("{s}s"),
        (0, _, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

fn fmt_resolution(ms: i64) -> String {
    if ms == 0 { "0s".into() } else { fmt_duration(ms) }
}

pub(crate) async fn inspect(args: BucketArgs) -> Result<(), CliError> {
    let store = open_bucket(&args.objstore)?;
    let mut rows = vec![
        [
            "ULID",
            "FROM",
            "UNTIL",
            "RANGE",
            "SERIES",
            "SAMPLES",
            "CHUNKS",
            "LEVEL",
            "RESOLUTION",
            "LABELS",
            "SIZE",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for u in list_blocks(&store, None).await? {
        let dir = Path::from(u.to_string());
        let m = read_meta(&store, &dir).await?;
        let size: u64 = {
            use futures::TryStreamExt;
            let objs: Vec<_> = store
                .list(Some(&dir))
                .try_collect()
                .await
                .map_err(|source| quiver_bucket::Error::ObjectStore { path: dir.to_string(), source })?;
            objs.iter().map(|o| o.size).sum()
        };
        let labels: Vec<String> = m.external_labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
        rows.push(vec![
            u.to_string(),
            fmt_time(m.min_time),
            fmt_time(m.max_time),
            fmt_duration(m.max_time - m.min_time),
            m.stats.num_series.to_string(),
            m.stats.num_samples.to_string(),
            m.stats.num_chunks.to_string(),
            m.compaction.level.to_string(),
            fmt_resolution(m.resolution()),
            labels.join(","),
            human_bytes(size),
        ]);
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0)).collect();
    let mut out = std::io::stdout().lock();
    for r in rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", line.join("  ").trim_end()).map_err(stdout_err)?;
    }
    Ok(())
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 { format!("{b} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// Reads one block fully: every series, every chunk (CRC-checked), every sample decoded; checks
/// the counts against `meta.json`.
async fn verify_block(store: &Arc<dyn ObjectStore>, dir: Path) -> Result<(), CliError> {
    let block = Block::open(Arc::clone(store), dir).await?;
    let name = block.name().to_string();
    let bad =
        |reason: String| quiver_bucket::Error::Corrupt { block: name.clone(), file: "index".into(), reason };
    block.index().verify_sections().await?;
    let refs = block.index().all_postings().await?;
    let series = block.index().series(&refs).await?;
    let (mut chunks, mut samples) = (0u64, 0u64);
    let meta = block.meta().clone();
    let mut prev: Option<&quiver_proto::Labels> = None;
    for s in &series {
        if prev.is_some_and(|p| p >= &s.labels) {
            return Err(bad(format!("series {} is out of order", s.labels)).into());
        }
        prev = Some(&s.labels);
        for (c, m) in block.read_chunks(s).await?.iter().zip(&s.chunks) {
            chunks += 1;
            if !TimeRange::new(meta.min_time, meta.max_time - 1).contains(m.min_time) {
                return Err(
                    bad(format!("chunk of {} starts at {} outside the block", s.labels, m.min_time)).into()
                );
            }
            if c.encoding == Encoding::Xor {
                let decoded = decode_xor(&c.data).map_err(|source| quiver_bucket::Error::Chunk {
                    block: name.clone(),
                    file: "chunks".into(),
                    chunk_ref: m.chunk_ref,
                    source,
                })?;
                let (first, last) = (decoded.first().map(|x| x.t), decoded.last().map(|x| x.t));
                if first != Some(m.min_time) || last != Some(m.max_time) {
                    return Err(bad(format!(
                        "chunk {} of {} spans {first:?}..{last:?}, the index says {}..{}",
                        m.chunk_ref, s.labels, m.min_time, m.max_time
                    ))
                    .into());
                }
                samples += decoded.len() as u64;
            } else {
                let n = quiver_proto::chunkenc::num_samples(c.encoding, &c.data).map_err(|source| {
                    quiver_bucket::Error::Chunk {
                        block: name.clone(),
                        file: "chunks".into(),
                        chunk_ref: m.chunk_ref,
                        source,
                    }
                })?;
                samples += n as u64;
            }
        }
    }
    let st = &meta.stats;
    if st.num_series != series.len() as u64 || st.num_chunks != chunks || st.num_samples != samples {
        return Err(bad(format!(
            "meta.json counts series={} chunks={} samples={}, the block holds {} {} {}",
            st.num_series,
            st.num_chunks,
            st.num_samples,
            series.len(),
            chunks,
            samples
        ))
        .into());
    }
    Ok(())
}

pub(crate) async fn verify(args: BucketArgs) -> Result<(), CliError> {
    let store = open_bucket(&args.objstore)?;
    let blocks = list_blocks(&store, None).await?;
    let mut broken = 0;
    let mut out = std::io::stdout().lock();
    for u in &blocks {
        match verify_block(&store, Path::from(u.to_string())).await {
            Ok(()) => writeln!(out, "{u} ok").map_err(stdout_err)?,
            Err(e) => {
                broken += 1;
                writeln!(out, "{u} BROKEN: {e}").map_err(stdout_err)?;
            }
        }
    }
    if broken > 0 {
        return Err(CliError::BrokenBlocks { count: broken, total: blocks.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_thanos_form() {
        assert_eq!(parse_label("cluster=\"eu-1\""), Ok(("cluster".into(), "eu-1".into())));
        assert_eq!(parse_label("replica=a"), Ok(("replica".into(), "a".into())));
        assert!(parse_label("no-equals").is_err());
        assert!(parse_label("1x=y").is_err());
    }

    #[test]
    fn formats_times_and_sizes() {
        assert_eq!(fmt_time(1_699_988_400_000), "2023-11-14T19:00:00Z");
        assert_eq!(fmt_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_duration(7_200_000), "2h0m0s");
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }
}
