//! The team's shared directory: Prometheus's PromQL test corpus (`conformance/promql`) and the
//! test bench scripts (`testbench`). It lives beside the checkout (`../shared`), not in the
//! repository, so a bare clone has none: the tests that need it then skip with a line saying so,
//! and with `QUIVER_REQUIRE_SHARED=1` (set by `.ci/run`) its absence fails them instead.

use std::io::Write;
use std::path::PathBuf;

/// `QUIVER_SHARED_DIR` if set, else `../shared` beside the checkout. The checkout is found at run
/// time (cargo runs tests with `CARGO_MANIFEST_DIR` set to the package), not from the path baked
/// in at compile time: a test binary reused by a clone elsewhere must look beside that clone.
pub fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("QUIVER_SHARED_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    package.join("..").join("..").join("shared")
}

/// `sub` inside the shared directory, when it is there. When it is not, prints one line naming
/// `test` and how to get the directory, and returns `None` so the test can return early; with
/// `QUIVER_REQUIRE_SHARED=1` it fails the test instead.
pub fn shared_or_skip(test: &str, sub: &str) -> Option<PathBuf> {
    let path = shared_dir().join(sub);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "{} is missing: the team's shared directory (PromQL corpus, test bench) goes beside the \
         checkout as ../shared, or set QUIVER_SHARED_DIR",
        path.display()
    );
    if std::env::var("QUIVER_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!("{test}: {why} (QUIVER_REQUIRE_SHARED=1)");
    }
    // Straight to the stream, not through `eprintln!`: the test harness captures the macros'
    // output of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    None
}

/// The PromQL corpus directory (`conformance/promql`), or `None` after a skip line.
pub fn corpus_or_skip(test: &str) -> Option<PathBuf> {
    shared_or_skip(test, "conformance/promql")
}

/// The test bench directory (`testbench`), or `None` after a skip line.
pub fn testbench_or_skip(test: &str) -> Option<PathBuf> {
    shared_or_skip(test, "testbench")
}
