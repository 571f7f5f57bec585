#!/usr/bin/env bash
# Regenerates the checked-in protobuf / gRPC code in proto/src/gen/ from the
# .proto files in proto/proto/ (protox + prost-build + tonic-prost-build; no protoc).
set -euo pipefail
cd "$(dirname "$0")/.."
QUIVER_REGEN=1 cargo test -p quiver-proto --test generated_current "$@"
