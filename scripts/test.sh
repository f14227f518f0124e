#!/usr/bin/env bash
# The one command that runs the whole test suite: installs dependencies, builds, runs CTest.
#   scripts/test.sh              normal build in build/
#   scripts/test.sh --sanitize   ASan+UBSan build in build-asan/ (leaks are errors)
#   scripts/test.sh --release    Release build (-O3, NDEBUG: the warnings only it raises) in build-release/
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=build
cmake_args=()
case "${1:-}" in
  --sanitize)
    builddir=build-asan
    cmake_args+=(-DFABRIC_SANITIZE=ON)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ;;
  --release)
    builddir=build-release
    cmake_args+=(-DCMAKE_BUILD_TYPE=Release)
    ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--sanitize|--release]" >&2; exit 2 ;;
esac

scripts/install-deps.sh
cmake -S . -B "$builddir" "${cmake_args[@]}" >/dev/null
cmake --build "$builddir" -j"$(nproc)"
ctest --test-dir "$builddir" --output-on-failure -j"$(nproc)"
