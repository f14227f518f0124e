#!/usr/bin/env bash
# The one command that runs the whole test suite: installs dependencies, builds, runs CTest.
#   scripts/test.sh              normal build in build/
#   scripts/test.sh --sanitize   ASan+UBSan build in build-asan/ (leaks are errors)
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=build
cmake_args=()
if [[ "${1:-}" == "--sanitize" ]]; then
  builddir=build-asan
  cmake_args+=(-DFABRIC_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi

scripts/install-deps.sh
cmake -S . -B "$builddir" "${cmake_args[@]}" >/dev/null
cmake --build "$builddir" -j"$(nproc)"
ctest --test-dir "$builddir" --output-on-failure -j"$(nproc)"
