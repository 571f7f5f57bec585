#!/usr/bin/env bash
# Installs the real peers the test suite runs against. Idempotent: a second run does nothing.
#   - promtool and prometheus 2.42 (Debian package `prometheus`): block compatibility both ways
#   - moto (PyPI `moto[server]`): an S3 emulator speaking real S3, for the bucket tests
set -euo pipefail

need_apt=()
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
if ((${#need_apt[@]})); then
    echo "installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v moto_server >/dev/null 2>&1; then
    echo "installing moto (S3 emulator)"
    python3 -m pip install -q 'moto[server]>=5,<6'
fi
