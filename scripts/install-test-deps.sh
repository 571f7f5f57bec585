#!/usr/bin/env bash
# Installs the real peers the test suite runs against. Idempotent: a second run does nothing.
#   - promtool and prometheus 2.42 (Debian package `prometheus`): block compatibility both ways
#   - moto (PyPI `moto[server]`): an S3 emulator speaking real S3, for the bucket tests
#   - boto3 (PyPI): the test bench's S3 smoke test (shared/testbench/s3_check.py) run against moto
#   - memcached (Debian package): the store gateway's MEMCACHED index cache
#   - grpcio, grpcio-tools (PyPI): a StoreAPI client generated from the .proto files, independent
#     of Quiver's Rust code
set -euo pipefail

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v memcached >/dev/null 2>&1 || need_apt+=(memcached)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
command -v python3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1 && need_apt+=(python3-pip)
if ((${#need_apt[@]})); then
    echo "installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# pip into the interpreter the tests run; Debian's own python3 refuses that without
# --break-system-packages (PEP 668), so retry with it there.
pip_install() {
    python3 -m pip install -q "$@" 2>/dev/null || python3 -m pip install -q --break-system-packages "$@"
}

# moto 5.x with its server extras (flask). The tests start `moto_server`, or
# `python3 -m moto.server` when the script is not on PATH.
if ! python3 -c 'import sys, moto, moto.server, flask, flask_cors; sys.exit(not moto.__version__.startswith("5."))' >/dev/null 2>&1; then
    echo "installing moto (S3 emulator)"
    pip_install 'moto[server]>=5,<6'
fi

if ! python3 -c 'import boto3' >/dev/null 2>&1; then
    echo "installing boto3 (test bench S3 smoke test)"
    pip_install boto3
fi

if ! python3 -c 'import grpc, grpc_tools.protoc' >/dev/null 2>&1; then
    echo "installing grpcio and grpcio-tools (independent StoreAPI client)"
    pip_install grpcio grpcio-tools
fi
