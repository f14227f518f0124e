#!/usr/bin/env bash
# The benchmark harness at a tiny size (scripts/bench.sh --tiny -o json): it runs to the end
# and produces every figure with a number and, where it has one, its floor and ratio. It
# asserts nothing about speed.
set -euo pipefail
: "${FABRIC_SOURCE_DIR:?}" "${SWITCH_SIM:?}" "${FABRICD:?}" "${FABRIC_CTL:?}" "${BENCH_LOAD:?}"
export SWITCH_SIM FABRICD FABRIC_CTL BENCH_LOAD BENCH_RTT1 BENCH_SHIM BENCH_HOOK
out=$(mktemp /tmp/mriov-bench-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT

bash "$FABRIC_SOURCE_DIR/scripts/bench.sh" --tiny -o json >"$out"
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=1; }
count() { jq --arg re "$1" '[.figures[] | select(.figure | test($re))] | length' "$out"; }

jq -e '.schema == 1 and (.figures | length) > 0' "$out" >/dev/null || fail "not a schema 1 report"
# every figure of issue 15, with how many lines it makes at three sizes
while read -r want re; do
  got=$(count "$re")
  [[ $got -eq $want ]] && echo "ok: $re ($got)" || fail "$re: $got lines, wanted $want"
done <<'LIST'
3 ^fabric-ctl assign \(whole command\)$
3 ^fabric-ctl unassign --surprise \(whole command\)$
1 ^API assign, persistent connection$
1 ^API unassign, persistent connection$
4 ^throughput, (1|8|64|256) clients
4 ^fsyncs per op, (1|8|64|256) clients$
4 ^fabricd write syscalls per op
4 ^fabricd CPU time per op
3 ^discovery, [0-9]+ functions
3 ^fabricd RSS per function above the empty daemon
3 ^switch-sim RSS per function above empty chassis
3 ^fabric-ctl functions, [0-9]+ functions
3 ^fabric-ctl -o json functions, [0-9]+ functions
3 ^fabricd RSS kept after the listings
6 ^API assign/unassign while another client lists
1 ^switch reboot to reconverged
4 ^hotplug to hook, (C|shell) hook \(remove --surprise to its first instruction\)$
2 ^hotplug to hook, (C|shell) hook: fsyncs per removal
2 ^floor: 
10 ^growth of .* \(exponent k\)$
LIST
# every line has its number; those with a floor of the same unit have their ratio
jq -e '.figures | all(.median != null or (.verdict // "" | startswith("unknown")))' "$out" \
  >/dev/null || fail "a figure without a median"
jq -e '[.figures[] | select(.floor_unit == .unit and .floor_value != null)] | all(.ratio != null)' \
  "$out" >/dev/null || fail "a figure with a floor but no ratio"
jq -e '[.figures[] | select(.goal != null and .median != null)] | all(.met != null)' "$out" >/dev/null ||
  fail "a goal without met / not met"
# nothing left as a TODO: every figure of issue 15 is measured
jq -e '.todo == []' "$out" >/dev/null || fail "a figure left as a TODO"
[[ $FAILED -eq 0 ]] || { cat "$out" >&2; exit 1; }
echo "bench smoke: every figure produced"
