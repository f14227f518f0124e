#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while on the seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}

scripts/install-deps.sh
CC=clang cmake -S . -B build-fuzz -DFABRIC_FUZZ=ON >/dev/null
targets=(fmp_decode fmp_stream jsonrpc chassis_yaml profile_yaml fabric_yaml bindings_yaml)
cmake --build build-fuzz -j"$(nproc)" --target fmp-gen-corpus "${targets[@]/#/fuzz_}"
corpus=build-fuzz/corpus
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t"
  if [[ -d tests/fuzz/seeds/$t ]]; then cp tests/fuzz/seeds/"$t"/* "$corpus/$t/"; fi
done
build-fuzz/tests/fuzz/fmp-gen-corpus "$corpus/fmp_decode" "$corpus/fmp_stream"
rm -f build-fuzz/crash-* build-fuzz/leak-* build-fuzz/timeout-* build-fuzz/oom-*
for t in "${targets[@]}"; do
  log=build-fuzz/fuzz_$t.log
  if ! build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$secs" -print_final_stats=1 \
       -artifact_prefix=build-fuzz/ "$corpus/$t" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz_$t: FAILED (input saved under build-fuzz/)"
    exit 1
  fi
  echo "fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs in ${secs}s, no failure"
done
