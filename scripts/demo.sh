#!/usr/bin/env bash
# The one command that sets up and runs the demo. It grows as the programs land; today it
# builds everything and runs the FMP protocol self-check (every message through the codec
# and the stream reassembler).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== FMP protocol self-check"
build/tests/common/fmp-selfcheck
