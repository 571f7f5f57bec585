//! The programs tests run: the `quiver` binary built by this workspace, promtool, and the test
//! bench scripts in `../shared/testbench` (see [`crate::shared`]).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `quiver` binary next to the running test. `cargo test --workspace` builds it (the `quiver`
/// package has integration tests of its own); when running only this crate's tests, build it
/// first with `cargo build -p quiver`, or the tests run whatever binary was built last.
pub fn quiver_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> -> target/<profile>/quiver
    let bin = exe.parent().and_then(Path::parent).map(|p| p.join("quiver")).expect("target dir");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p quiver` (or `cargo test --workspace`)",
        bin.display()
    );
    bin
}

pub fn quiver() -> Command {
    Command::new(quiver_bin())
}

pub fn promtool() -> Command {
    Command::new("promtool")
}

/// Runs a command and returns its output, failing the test with its stderr when it fails.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed with {}:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).expect("utf-8 output")
}

/// Writes deterministic OpenMetrics text with `gen_om.py`: counters, gauges and classic
/// histograms for about `n_series` series over `hours`, ending at 1700000000 rounded down to 2h.
/// Tests that call it first check with [`crate::shared::testbench_or_skip`] that it is there.
pub fn gen_om(out: &Path, n_series: usize, hours: f64) {
    let script = crate::shared::shared_dir().join("testbench").join("gen_om.py");
    run_ok(Command::new("python3").arg(script).arg(out).arg(n_series.to_string()).arg(hours.to_string()));
}

/// `promtool tsdb dump` of a directory of blocks. promtool opens the directory as a database, so
/// an empty `wal` directory is created first.
pub fn promtool_dump(dir: &Path, extra: &[&str]) -> String {
    std::fs::create_dir_all(dir.join("wal")).expect("create wal dir");
    stdout_of(promtool().args(["tsdb", "dump"]).args(extra).arg(dir))
}

/// Asserts two long outputs are equal, reporting the first differing line rather than both texts.
pub fn assert_same_text(ours: &str, reference: &str, what: &str) {
    if ours == reference {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), reference.lines().collect());
    let i = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: outputs differ at line {} (ours {} lines, reference {} lines)\n  ours:      {:?}\n  reference: {:?}",
        i + 1,
        a.len(),
        b.len(),
        a.get(i),
        b.get(i)
    );
}

/// OpenMetrics text `om` with `extra` (`name="value",...`) added to every sample's labels.
pub fn om_with_labels(om: &str, extra: &str) -> String {
    let mut out = String::with_capacity(om.len() + om.len() / 4);
    for line in om.lines() {
        match line.split_once('{') {
            _ if line.starts_with('#') => out.push_str(line),
            Some((name, rest)) => out.push_str(&format!("{name}{{{extra},{rest}")),
            None => match line.split_once(' ') {
                Some((name, rest)) => out.push_str(&format!("{name}{{{extra}}} {rest}")),
                None => out.push_str(line),
            },
        }
        out.push('\n');
    }
    out
}

/// `promtool tsdb create-blocks-from openmetrics OM OUT`.
pub fn create_blocks(om: &Path, out: &Path) {
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(om).arg(out));
}

/// [`gen_om`] data for `n_series` series over `hours`, made into blocks by promtool in
/// `dir/bucket`: the OpenMetrics file, the bucket directory and its objstore YAML.
pub fn promtool_bucket(dir: &Path, n_series: usize, hours: f64) -> (PathBuf, PathBuf, String) {
    let om = dir.join("in.om");
    gen_om(&om, n_series, hours);
    let bucket = dir.join("bucket");
    create_blocks(&om, &bucket);
    let objstore = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    (om, bucket, objstore)
}
