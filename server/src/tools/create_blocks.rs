//! `quiver tools tsdb create-blocks-from openmetrics INPUT OUTDIR`: backfills OpenMetrics text
//! into TSDB blocks aligned to the epoch, as promtool does.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use quiver_bucket::block::{DEFAULT_BLOCK_DURATION_MS, write_float_blocks};
use quiver_proto::{Labels, Sample};

use crate::error::CliError;
use crate::openmetrics;

#[derive(Debug, Args)]
pub(crate) struct OpenMetricsArgs {
    /// OpenMetrics input file.
    input: PathBuf,
    /// Output directory for the blocks.
    #[arg(default_value = "data/")]
    output: PathBuf,
    /// Length of each block, a Go-style duration (`2h`, `90m`); blocks are aligned to it.
    #[arg(long = "max-block-duration", default_value = "2h", value_parser = parse_duration_ms)]
    max_block_duration: i64,
}

/// Parses `1d2h30m10s500ms`-style durations into milliseconds.
pub(crate) fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut num = String::new();
    let mut rest = s;
    if s.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        num.clear();
        num.push_str(&rest[..digits]);
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let n: i64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
        let mult = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return Err(format!("invalid unit {unit:?} in duration {s:?}")),
        };
        total = n.checked_mul(mult).and_then(|x| total.checked_add(x)).ok_or("duration overflows")?;
    }
    if total <= 0 {
        return Err(format!("duration {s:?} must be positive"));
    }
    Ok(total)
}

pub(crate) async fn run(args: OpenMetricsArgs) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.input).map_err(|e| CliError::io(args.input.display(), e))?;
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut series: Vec<(Labels, Vec<Sample>)> = Vec::new();
    openmetrics::parse(&text, |s| {
        let i = *index.entry(s.labels.clone()).or_insert_with(|| {
            series.push((s.labels, Vec::new()));
            series.len() - 1
        });
        series[i].1.push(Sample { t: s.t_ms, v: s.v });
    })?;
    drop(text);
    std::fs::create_dir_all(&args.output).map_err(|e| CliError::io(args.output.display(), e))?;
    let out = args.output.clone();
    let duration =
        if args.max_block_duration > 0 { args.max_block_duration } else { DEFAULT_BLOCK_DURATION_MS };
    let metas = tokio::task::spawn_blocking(move || write_float_blocks(&out, series, duration))
        .await
        .map_err(|e| CliError::Server(format!("block writer failed: {e}")))??;
    for m in metas {
        tracing::info!(
            ulid = %m.ulid, min_time = m.min_time, max_time = m.max_time,
            series = m.stats.num_series, samples = m.stats.num_samples, "wrote block"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("2h"), Ok(7_200_000));
        assert_eq!(parse_duration_ms("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert!(parse_duration_ms("2x").is_err());
        assert!(parse_duration_ms("").is_err());
        assert!(parse_duration_ms("0s").is_err());
    }
}
