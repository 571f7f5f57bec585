#!/usr/bin/env bash
# The whole test suite: installs the peers it needs, checks formatting and lints, then builds and
# runs every test in the workspace (unit, integration against promtool / Prometheus / an S3 emulator, conformance, and
# each criterion bench once in test mode).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

# A target directory outside the clone, so CI on a machine that already built reuses the build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --all-targets --locked

# The tests that read ../shared, from a clone with nothing beside it: they skip visibly.
bash scripts/bare-clone-check.sh
