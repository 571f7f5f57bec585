//! Skip lists: evals the runner does not run, each with the reason.
//!
//! One entry per line, `<file>:<line>  <reason>`, where `<file>` is the script's name as the
//! runner knows it (e.g. `functions.test`, `experimental/info.test`), `<line>` the 1-based line of
//! the `eval` command (or `*` for every eval of the file) and `<reason>` free text. Blank lines
//! and lines starting with `#` are ignored.

use std::collections::HashSet;

use super::commands::Script;

/// One skip list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipEntry {
    pub file: String,
    /// `None` for `<file>:*`.
    pub line: Option<usize>,
    pub reason: String,
    /// Line of the entry in the skip list file.
    pub source_line: usize,
}

/// A parsed skip list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipList {
    pub entries: Vec<SkipEntry>,
}

impl SkipList {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries: Vec<SkipEntry> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let source_line = i + 1;
            let (target, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(format!("skip list line {source_line}: missing reason in {line:?}"));
            }
            let Some((file, eval_line)) = target.rsplit_once(':') else {
                return Err(format!("skip list line {source_line}: expected <file>:<line>, got {target:?}"));
            };
            if file.is_empty() {
                return Err(format!("skip list line {source_line}: missing file name in {target:?}"));
            }
            let eval_line = match eval_line {
                "*" => None,
                n => Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("skip list line {source_line}: invalid line number {n:?}"))?,
                ),
            };
            if let Some(prev) = entries.iter().find(|e| e.file == file && e.line == eval_line) {
                return Err(format!(
                    "skip list line {source_line}: {target} is already listed on line {}",
                    prev.source_line
                ));
            }
            entries.push(SkipEntry {
                file: file.to_string(),
                line: eval_line,
                reason: reason.to_string(),
                source_line,
            });
        }
        Ok(Self { entries })
    }

    /// The reason to skip the eval on `line` of `file`, if it is listed.
    pub fn reason(&self, file: &str, line: usize) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.file == file && e.line.is_none_or(|l| l == line))
            .map(|e| e.reason.as_str())
    }

    /// Fails, listing them, if entries name files not among `scripts` or lines that are not an
    /// `eval` command of their file.
    pub fn check(&self, scripts: &[(&str, &Script)]) -> Result<(), String> {
        self.check_entries(scripts, true)
    }

    /// Like [`check`](Self::check), but entries for files not among `scripts` are not looked at
    /// (for runs over part of the corpus).
    pub fn check_lines(&self, scripts: &[(&str, &Script)]) -> Result<(), String> {
        self.check_entries(scripts, false)
    }

    fn check_entries(&self, scripts: &[(&str, &Script)], all_files: bool) -> Result<(), String> {
        let mut problems = Vec::new();
        for e in &self.entries {
            let Some((_, script)) = scripts.iter().find(|(name, _)| *name == e.file) else {
                if all_files {
                    problems.push(format!("skip list line {}: no test file {:?}", e.source_line, e.file));
                }
                continue;
            };
            if let Some(l) = e.line {
                let evals: HashSet<usize> = script.evals().map(|ev| ev.line).collect();
                if !evals.contains(&l) {
                    problems.push(format!(
                        "skip list line {}: {}:{l} is not an eval command",
                        e.source_line, e.file
                    ));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
    }
}
