//! `quiver tools promql-test FILE... [--skip SKIPFILE]`: runs Prometheus's PromQL test scripts
//! against Quiver's engine, prints each failing eval as `file:line`, and ends with
//! `N passed, M failed, K skipped`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use quiver_engine::ScriptEngine;
use quiver_engine::promqltest::{CorpusFile, Outcome, RunOptions, SkipList, parse_script, run_corpus};

use crate::error::CliError;

#[derive(Debug, Args)]
pub(crate) struct PromqlTestArgs {
    /// Test scripts (`.test` files).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Evals listed here (`file.test:LINE  reason`) are reported as skipped.
    #[arg(long = "skip")]
    skip: Option<PathBuf>,
    /// Write every failing eval to this file as a skip list (failure message as the reason).
    #[arg(long = "write-skip")]
    write_skip: Option<PathBuf>,
}

pub(crate) fn run(args: PromqlTestArgs) -> Result<(), CliError> {
    let skips = match &args.skip {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| CliError::io(p.display(), e))?;
            SkipList::parse(&text).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))?
        }
        None => SkipList::default(),
    };
    let mut files = Vec::with_capacity(args.files.len());
    for p in &args.files {
        let text = std::fs::read_to_string(p).map_err(|e| CliError::io(p.display(), e))?;
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("script").to_string();
        files.push(CorpusFile { name, script: parse_script(&text) });
    }
    let mut engine =
        ScriptEngine::new().map_err(|e| CliError::Server(format!("starting the engine: {e}")))?;
    let summary = run_corpus(&files, &mut engine, &skips, &RunOptions::default()).map_err(CliError::Input)?;
    if let Some(p) = &args.write_skip {
        let mut out = String::from(
            "# Evals of the PromQL corpus that Quiver does not pass yet. This list only shrinks.\n",
        );
        for f in &summary.files {
            for r in &f.results {
                let reason = match &r.outcome {
                    Outcome::Failed(reason) | Outcome::Skipped(reason) => reason,
                    Outcome::Passed => continue,
                };
                let reason: String = reason.replace('\n', " ").chars().take(160).collect();
                out.push_str(&format!("{}:{}  {}\n", r.file, r.line, reason));
            }
        }
        std::fs::write(p, out).map_err(|e| CliError::io(p.display(), e))?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{summary}").map_err(|e| CliError::io("stdout", e))?;
    if summary.failed() > 0 {
        return Err(CliError::TestsFailed(summary.failed()));
    }
    Ok(())
}
