#!/usr/bin/env bash
# Load and slow peers on fabricd's control socket (API.md "Limits"): 64 connections that
# never read — answers piling up, subscribers, half a request line — are cut off with a
# logged reason while everyone else keeps being served, and fabricd's memory stays bounded
# (VmRSS from /proc, a generous bound: memory, not timing) and is given back when they go.
source "$(dirname "$0")/lib.sh"

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo
# a stalled connection is cut off after 2 s here (30 s by default)
sed -i 's/^timeouts:$/timeouts:\n  control_stall_ms: 2000/' "$T/fabric.yaml"
# Under ASan freed memory sits in a quarantine (256 MB by default) and is not given back:
# a small quarantine keeps the bound meaningful, and "given back" is not asked of it.
asan=""
if grep -qa __asan_init "$FABRICD"; then  # linked statically (clang) or dynamically (gcc)
  asan=1
  export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=8"
fi
start_fabricd
wait_discovered

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$FABRICD_PID/status"; }
rss0=$(rss_kb)

# 32 peers asking 1000 listings each and reading none, 16 subscribers doing the same, 16 that
# stall in the middle of a line: each reader-less one alone could make fabricd queue ~35 MB.
"$SOCKPOKE" "$T/fabricd.sock" hog 32 noread 60 >"$T/hog-noread.out" 2>&1 &
HOG1=$!
PIDS+=($HOG1)
"$SOCKPOKE" "$T/fabricd.sock" hog 16 sub 60 >"$T/hog-sub.out" 2>&1 &
HOG2=$!
PIDS+=($HOG2)
"$SOCKPOKE" "$T/fabricd.sock" hog 16 half 60 >"$T/hog-half.out" 2>&1 &
HOG3=$!
PIDS+=($HOG3)

# Everyone else is served meanwhile, reads and a mutation alike.
peak=0
served=0
t0=$(date +%s%N)
for i in $(seq 1 10); do
  ctlj status >/dev/null && ctlj functions --card fc0 >/dev/null && served=$((served + 1))
  r=$(rss_kb); [[ $r -gt $peak ]] && peak=$r
done
echo "10 x (status + functions) under the load: $((($(date +%s%N) - t0) / 1000000)) ms"
[[ $served -eq 10 ]] && ok "others served while 64 peers do not read" ||
  fail "others served: $served of 10"
jqcheck "an assign goes through under the load" '.state == "bound"' ctlj assign nic0/pf0/vf1 web1
jqcheck "  ...and its unassign" '.state == "free"' ctlj unassign nic0/pf0/vf1

# Every one of them is cut off: over a limit, or stalled (bounded waits: the hogs give up
# after 60 s, the checks after 10 s).
wait "$HOG1" "$HOG2" "$HOG3" 2>/dev/null || true
r=$(rss_kb); [[ $r -gt $peak ]] && peak=$r
if grep -qx "closed 32 of 32" "$T/hog-noread.out" && grep -qx "closed 16 of 16" "$T/hog-sub.out" &&
  grep -qx "closed 16 of 16" "$T/hog-half.out"; then
  ok "all 64 cut off"
else
  fail "cut off: $(cat "$T/hog-noread.out" "$T/hog-sub.out" "$T/hog-half.out")"
fi
n_out=$(grep -c 'cut off: .*output unread' "$T/fabricd.log" || true)
n_line=$(grep -c 'cut off: a request line left incomplete for 2000 ms' "$T/fabricd.log" || true)
[[ $n_out -eq 48 && $n_line -eq 16 ]] && ok "each with its reason logged" ||
  fail "reasons logged: $n_out for output, $n_line for lines"
echo "VmRSS: ${rss0} kB before, peak ${peak} kB under load"
[[ $peak -lt 204800 ]] && ok "fabricd's memory stays bounded under load (${peak} kB < 200 MB)" ||
  fail "VmRSS ${peak} kB under load"
jqcheck "every connection closed, no subscriber left" '.connections == 1' ctlj status
r=$(rss_kb)
echo "VmRSS: ${r} kB after they left"
if [[ -n $asan ]]; then
  echo "ASan build: its allocator keeps freed memory, so the release is not checked"
elif [[ $r -lt $((rss0 + 65536)) ]]; then
  ok "memory given back when they left (${r} kB)"
else
  fail "VmRSS ${r} kB after they left (${rss0} kB before)"
fi
finish
