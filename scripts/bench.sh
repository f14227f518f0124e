#!/usr/bin/env bash
# bench.sh: the benchmark suite (issue 15). Builds a Release tree, starts real switch-sim,
# fabricd and fabric-ctl on unix sockets in a temporary directory, and prints one line per
# figure: median, p99, the floor measured in the same run beside it, the ratio, and the goal
# with met / not met. The machine may be loaded: read the ratios, not the absolute numbers.
#
#   scripts/bench.sh [--quick] [-o table|json] [--bin-dir DIR] [--tiny] [--keep] [--json-out F]
#
#   --quick     fewer repetitions (under 2 minutes on 2 cores); the full run takes ~10
#   -o json     the report as one JSON object (schema 1) on stdout, for tracking
#   --bin-dir   use the programs built in DIR (a CMake build tree) instead of building;
#               SWITCH_SIM, FABRICD, FABRIC_CTL, BENCH_LOAD, BENCH_RTT1, BENCH_SHIM,
#               BENCH_HOOK name each
#   --tiny      tiny sizes and counts: checks the harness works (the CTest smoke test)
#   --keep      keep the temporary directory (logs, generated chassis files)
#   --json-out F  also write the JSON report to F
#
# Progress goes to stderr, the report to stdout. Exit 0 when every figure was produced
# (whether goals are met or not), 1 when a measurement failed.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
MODE=full FORMAT=table BIN= KEEP= JSON_OUT=
while [[ $# -gt 0 ]]; do
  case $1 in
    --quick) MODE=quick ;;
    --tiny) MODE=tiny ;;
    -o) FORMAT=${2:?-o needs table or json}; shift ;;
    -o*) FORMAT=${1#-o} ;;
    --bin-dir) BIN=${2:?--bin-dir needs a directory}; shift ;;
    --keep) KEEP=1 ;;
    --json-out) JSON_OUT=${2:?--json-out needs a file}; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $FORMAT == table || $FORMAT == json ]] || { echo "bench.sh: -o table or json" >&2; exit 2; }

# ---- counts per mode ----------------------------------------------------------------------
# SCALE_CARDS: cards per chassis (N_CHASSIS chassis, 256 functions a card) for the scale
# figures: 3072, 16384 and 65536 functions
case $MODE in
  full)  N_HOOK=200 N_PROC=300 N_ECHO=5000 N_FSYNC=500 N_CLI=300 N_API=2000 TPUT_S=5 REPS=7 LIST_REPS=5
         OPS_CARDS=16 REBOOT_N=1000 REBOOT_REPS=3 SCALE_CARDS="3 16 64" LIST_WINDOW=1.5 LIST_PAD=0.5 ;;
  quick) N_HOOK=50 N_PROC=100 N_ECHO=2000 N_FSYNC=200 N_CLI=60 N_API=200 TPUT_S=1.5 REPS=2 LIST_REPS=1
         OPS_CARDS=16 REBOOT_N=1000 REBOOT_REPS=1 SCALE_CARDS="3 16 64" LIST_WINDOW=1 LIST_PAD=0.5 ;;
  tiny)  N_HOOK=3 N_PROC=5 N_ECHO=50 N_FSYNC=5 N_CLI=4 N_API=10 TPUT_S=0.2 REPS=1 LIST_REPS=1
         OPS_CARDS=2 REBOOT_N=40 REBOOT_REPS=1 SCALE_CARDS="1 2 4" LIST_WINDOW=1 LIST_PAD=0.1 ;;
esac
N_CHASSIS=4
[[ $MODE == tiny ]] && N_CHASSIS=2
CLIENTS="1 8 64 256"

log() { echo "bench: [$(($(date +%s) - ${T_START:-$(date +%s)}))s] $*" >&2; }

# ---- build --------------------------------------------------------------------------------
if [[ -z $BIN && -z ${BENCH_LOAD:-} ]]; then
  BIN=$SRC/build-bench
  log "building a Release tree in $BIN"
  cmake -S "$SRC" -B "$BIN" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BIN" -j2 --target switch-sim fabricd fabric-ctl bench-load bench-rtt1 \
    bench-fsync-count bench-hook-stamp >/dev/null
fi
# each program may also be named by the environment (the CTest smoke test does)
SIM=${SWITCH_SIM:-$BIN/switch-sim/switch-sim} FABRICD=${FABRICD:-$BIN/manager/fabricd}
CTL=${FABRIC_CTL:-$BIN/manager/fabric-ctl} LOAD=${BENCH_LOAD:-$BIN/bench/bench-load}
RTT1=${BENCH_RTT1:-$BIN/bench/bench-rtt1} SHIM=${BENCH_SHIM:-$BIN/bench/libbench-fsync-count.so}
HOOK=${BENCH_HOOK:-$BIN/bench/bench-hook-stamp}
for p in "$SIM" "$FABRICD" "$CTL" "$LOAD" "$RTT1" "$SHIM" "$HOOK"; do
  [[ -e $p ]] || { echo "bench.sh: $p is not built" >&2; exit 1; }
done
GEN=$SRC/bench/gen-chassis.sh

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)

# ---- processes ----------------------------------------------------------------------------
T=$(mktemp -d /tmp/mriov-bench.XXXXXX)
export XDG_RUNTIME_DIR=$T/run
mkdir -p "$XDG_RUNTIME_DIR"
PIDS=()
FAILED=0

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ $FAILED -ne 0 || -n $KEEP ]]; then
    log "kept $T"
    [[ $FAILED -eq 0 ]] || for f in "$T"/*.log; do
      [[ -f $f ]] && { echo "==== $f" >&2; tail -n 20 "$f" >&2; }
    done
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT

# start_sims NAME: every chassis NAME0.. of a generated set; their pids in SIM_PIDS
start_sims() {
  local name=$1 f i
  SIM_PIDS=()
  for f in "$T/$name"[0-9]*.yaml; do
    "$SIM" "$f" >>"$T/$name-sims.log" 2>&1 &
    PIDS+=($!) SIM_PIDS+=($!)
  done
  for f in "$T/$name"[0-9]*.yaml; do
    for i in $(seq 1 600); do
      [[ -S ${f%.yaml}-bench.sock ]] && break
      sleep 0.05
    done
    [[ -S ${f%.yaml}-bench.sock ]] || { log "switch-sim $f did not start"; FAILED=1; exit 1; }
  done
}

stop_sims() {
  local pid
  for pid in "${SIM_PIDS[@]}"; do stop_pid "$pid"; done
  SIM_PIDS=()
}

rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

# ---- results ------------------------------------------------------------------------------
declare -A STAT VAL   # STAT[name]="n p50 p99 max" (microseconds); VAL[name]=number
# m ARGS...: runs bench-load and keeps what it printed
m() {
  local out line kind name rest
  if ! out=$("$LOAD" "$@" 2>>"$T/bench-load.log"); then
    log "failed: bench-load $* (see $T/bench-load.log)"
    tail -n 5 "$T/bench-load.log" >&2
    FAILED=1
    exit 1
  fi
  while read -r kind name rest; do
    case $kind in
      stat) STAT[$name]=$rest ;;
      value) VAL[$name]=${rest%% *} ;;
    esac
  done <<<"$out"
}
p50() { local a=(${STAT[$1]}); echo "${a[1]}"; }
p99() { local a=(${STAT[$1]}); echo "${a[2]}"; }
pmax() { local a=(${STAT[$1]}); echo "${a[3]}"; }

FIGS=()  # "figure|unit|median|p99|floor name|floor value|floor unit|goal text|met"
# fig FIGURE UNIT MEDIAN P99 FLOOR_NAME FLOOR_VALUE FLOOR_UNIT GOAL MET: MET is yes, no or -;
# the ratio median / floor is given when the floor has the figure's unit
fig() { FIGS+=("$1|$2|$3|$4|$5|$6|$7|$8|$9"); }
# goal_le A B: "yes" when A <= B
goal_le() { awk -v a="$1" -v b="$2" 'BEGIN {print (a <= b) ? "yes" : "no"}'; }
goal_ge() { awk -v a="$1" -v b="$2" 'BEGIN {print (a >= b) ? "yes" : "no"}'; }
calc() { awk "BEGIN {printf \"%.6g\", $1}"; }


# ---- 1-3, 5: operations on one chassis ----------------------------------------------------
log "operations chassis: $OPS_CARDS cards ($((OPS_CARDS * 256)) functions), 64 hosts"
"$GEN" "$T" ops 1 "$OPS_CARDS"
start_sims ops
COUNTER=$T/fsync.count
# the shim goes first in LD_PRELOAD: a sanitized fabricd must not insist on libasan's place
m discover ops.discovery "$T/ops.sock" "$T/fabricd-ops.log" "$T/fabricd-ops.pid" 1 -- \
  /usr/bin/env LD_PRELOAD="$SHIM" BENCH_FSYNC_COUNTER="$COUNTER" \
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
  "$FABRICD" -c "$T/ops.fabric.yaml"
FD_PID=$(cat "$T/fabricd-ops.pid")
PIDS+=("$FD_PID")
OPS_SOCK=$T/ops.sock
FUNCS=$T/ops.functions
log "enabling VFs on every PF (one assign + unassign each)"
m prepare "$OPS_SOCK" "$FUNCS"

# 1. whole commands, each on a distinct function; floors right before
log "1. fabric-ctl assign / unassign --surprise (whole command, $N_CLI each)"
head -n "$N_CLI" "$FUNCS" >"$T/cli.assign.args"
awk '{print $1}' "$T/cli.assign.args" >"$T/cli.unassign.args"
m run floor.true "$N_PROC" - -- /bin/true
m run floor.rtt1 "$N_PROC" - -- "$RTT1" "$OPS_SOCK"
m floor-fsync floor.fsync1 "$T/ops-state" "$N_FSYNC"
m run cli.assign "$N_CLI" "$T/cli.assign.args" -- "$CTL" -s "$OPS_SOCK" assign
m run cli.unassign "$N_CLI" "$T/cli.unassign.args" -- "$CTL" -s "$OPS_SOCK" unassign --surprise
for k in cli.assign cli.unassign; do
  [[ -z ${VAL[$k.failures]:-} ]] || { log "$k: ${VAL[$k.failures]} runs failed"; FAILED=1; exit 1; }
done
TRUE=$(p50 floor.true) RTT1V=$(p50 floor.rtt1)
for k in assign unassign; do
  what="fabric-ctl $k"; [[ $k == unassign ]] && what="fabric-ctl unassign --surprise"
  med=$(p50 cli.$k)
  fig "$what (whole command)" us "$med" "$(p99 cli.$k)" "/bin/true" "$TRUE" us \
    "<= 2x /bin/true" "$(goal_le "$med" "$(calc "2 * $TRUE")")"
  fig "$what (whole command)" us "$med" "$(p99 cli.$k)" "1-request C client" "$RTT1V" us "-" "-"
  fig "$what (whole command)" us "$med" "$(p99 cli.$k)" "/bin/true + 1 fdatasync" \
    "$(calc "$TRUE + $(p50 floor.fsync1)")" us "-" "-"
done

# 2. API latency on a persistent connection
log "2. API assign / unassign on a persistent connection ($N_API pairs)"
m floor-echo floor.echo "$N_ECHO"
m floor-fsync floor.fsync "$T/ops-state" "$N_FSYNC"
m version api.version "$OPS_SOCK" "$N_ECHO"
m api api "$OPS_SOCK" "$FUNCS" "$N_API"
FLOOR2=$(calc "$(p50 floor.echo) + $(p50 floor.fsync)")
for k in assign unassign; do
  med=$(p50 api.$k)
  fig "API $k, persistent connection" us "$med" "$(p99 api.$k)" "socket RTT + fdatasync" \
    "$FLOOR2" us "p50 <= 1.5x floor" "$(goal_le "$med" "$(calc "1.5 * $FLOOR2")")"
done
fig "API version (no work), persistent connection" us "$(p50 api.version)" "$(p99 api.version)" \
  "socket RTT" "$(p50 floor.echo)" us "-" "-"
fig "floor: fdatasync on the state disk" us "$(p50 floor.fsync)" "$(p99 floor.fsync)" "-" "" "" "-" "-"

# 3. throughput on distinct functions; fsyncs counted by the shim, writes from /proc/PID/io
log "3. throughput with $CLIENTS clients (${TPUT_S} s each)"
io() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/io"; }
# user + system CPU time of a process in clock ticks (the comm field has no spaces here)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$(calc "1e6 / $(getconf CLK_TCK)")
FSYNC_RATE=$(calc "1e6 / $(p50 floor.fsync)")
for c in $CLIENTS; do
  w0=$(io "$FD_PID" syscw) r0=$(io "$FD_PID" syscr) cpu0=$(cpu_ticks "$FD_PID")
  m throughput "tput.$c" "$OPS_SOCK" "$FUNCS" "$c" "$TPUT_S" "$COUNTER"
  w1=$(io "$FD_PID" syscw) r1=$(io "$FD_PID" syscr) cpu1=$(cpu_ticks "$FD_PID")
  [[ -z ${VAL[tput.$c.errors]:-} ]] || { log "throughput $c: ${VAL[tput.$c.errors]} errors"; FAILED=1; exit 1; }
  ops=${VAL[tput.$c.ops_per_s]}
  n_ops=$(awk -v s="${STAT[tput.$c.latency]}" 'BEGIN {split(s, a, " "); print a[1]}')
  goal=- met=-
  [[ $c == 64 ]] && goal=">= 20000 ops/s" met=$(goal_ge "$ops" 20000)
  fig "throughput, $c clients (ops/s; p99 = op latency us)" ops/s "$ops" "$(p99 tput.$c.latency)" \
    "fdatasyncs/s of the disk" "$FSYNC_RATE" ops/s "$goal" "$met"
  goal=- met=-
  [[ $c == 64 ]] && goal="< 0.1 at 64 clients" met=$(goal_le "${VAL[tput.$c.fsync_per_op]}" 0.0999)
  [[ $c == 1 ]] && goal="1 per lone op (issue 20)" met=$(goal_le "${VAL[tput.$c.fsync_per_op]}" 1.0)
  fig "fsyncs per op, $c clients" fsync/op "${VAL[tput.$c.fsync_per_op]}" "" "-" "" "" "$goal" "$met"
  fig "fabricd CPU time per op, $c clients (load-independent)" us \
    "$(calc "($cpu1 - $cpu0) * $TICK_US / $n_ops")" "" "-" "" "" "-" "-"
  fig "fabricd write syscalls per op, $c clients" writes/op "$(calc "($w1 - $w0) / $n_ops")" "" \
    "read syscalls/op" "$(calc "($r1 - $r0) / $n_ops")" syscalls/op "-" "-"
done

# 5. switch reboot to reconverged with REBOOT_N bindings
log "5. switch reboot with $REBOOT_N bindings ($REBOOT_REPS times)"
m bulk "$OPS_SOCK" "$FUNCS" "$REBOOT_N" assign
for r in $(seq 1 "$REBOOT_REPS"); do
  m reboot "reboot.$r" "$OPS_SOCK" "$T/ops0-bench.sock" "$REBOOT_N"
done
REB=$(for r in $(seq 1 "$REBOOT_REPS"); do p50 "reboot.$r"; done | sort -g)
REB_MED=$(awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}' <<<"$REB")
REB_MAX=$(tail -n 1 <<<"$REB")
fig "switch reboot to reconverged, $REBOOT_N bindings" us "$REB_MED" "$REB_MAX" \
  "discovery of that chassis" "$(p50 ops.discovery)" us "-" "-"
m bulk "$OPS_SOCK" "$FUNCS" "$REBOOT_N" unassign
m floor-spawn floor.spawn "$N_PROC"
fig "floor: bare uv_spawn of /bin/true (for hooks)" us "$(p50 floor.spawn)" "$(p99 floor.spawn)" \
  "/bin/true" "$TRUE" us "-" "-"
stop_pid "$FD_PID"
stop_sims

# 5. hotplug to hook: bench "remove 1 --surprise" (then the card back, N_HOOK times) to the
# first instruction of a hook, a C one and a shell one, each alone in the hooks_dir of its
# own fabricd on a one-card chassis; the time runs from just before bench-load sends the
# command to the hook's CLOCK_REALTIME stamp, and is read against the bare uv_spawn above.
# The path: switch-sim's event, fabricd's event row committed, the hook run's start
# recorded (a commit) before uv_spawn, the exec; fsyncs per removal are counted by the shim.
"$GEN" "$T" hk 1 1
start_sims hk
HK_INSERT="1 mellanox-cx5-127vf $((0x10000000)) hk0n00"
for kind in c sh; do
  log "5. hotplug to hook, $kind hook ($N_HOOK surprise removals and re-inserts)"
  mkdir -p "$T/hooks-$kind.d"
  if [[ $kind == c ]]; then cp "$HOOK" "$T/hooks-$kind.d/50-stamp"; else
    cp "$SRC/bench/hook-stamp.sh" "$T/hooks-$kind.d/50-stamp"; fi
  chmod 755 "$T/hooks-$kind.d/50-stamp"
  sed "s|^state_dir: .*|state_dir: $T/hk-$kind-state|" "$T/hk.fabric.yaml" >"$T/hk-$kind.fabric.yaml"
  printf 'hooks_dir: %s\nhooks:\n  env:\n    BENCH_HOOK_STAMPS: %s\n' "$T/hooks-$kind.d" \
    "$T/hook-$kind.stamps" >>"$T/hk-$kind.fabric.yaml"
  HK_COUNTER=$T/hk-$kind.fsync.count
  m discover "hk.$kind.start" "$T/hk.sock" "$T/fabricd-hk-$kind.log" "$T/fabricd-hk.pid" 1 -- \
    /usr/bin/env LD_PRELOAD="$SHIM" BENCH_FSYNC_COUNTER="$HK_COUNTER" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$FABRICD" -c "$T/hk-$kind.fabric.yaml"
  FD_PID=$(cat "$T/fabricd-hk.pid")
  PIDS+=("$FD_PID")
  fs0=$(od -An -t u8 -N 16 "$HK_COUNTER" | awk '{print $1 + $2}')
  m hook "hook.$kind" "$T/hk.sock" "$T/hk0-bench.sock" "$HK_INSERT" "$T/hook-$kind.stamps" "$N_HOOK"
  fs1=$(od -An -t u8 -N 16 "$HK_COUNTER" | awk '{print $1 + $2}')
  stop_pid "$FD_PID"
  med=$(p50 hook.$kind)
  what="hotplug to hook, C hook"; [[ $kind == sh ]] && what="hotplug to hook, shell hook"
  fig "$what (remove --surprise to its first instruction)" us "$med" "$(p99 hook.$kind)" \
    "bare uv_spawn of /bin/true" "$(p50 floor.spawn)" us "<= 2x floor" \
    "$(goal_le "$med" "$(calc "2 * $(p50 floor.spawn)")")"
  # what the durable path cannot go below: the event's commit and the run's start record,
  # each an fdatasync, in sequence before the spawn
  fig "$what (remove --surprise to its first instruction)" us "$med" "$(p99 hook.$kind)" \
    "bare uv_spawn + 2 fdatasyncs" "$(calc "$(p50 floor.spawn) + 2 * $(p50 floor.fsync)")" us "-" "-"
  # a removal and an insert each: card-removed / card-added stored, and their hook runs
  fig "$what: fsyncs per removal + insert" fsync/op "$(calc "($fs1 - $fs0) / $N_HOOK")" "" \
    "-" "" "" "-" "-"
done
stop_sims

# ---- 4, 6: discovery, memory and listings at each size ------------------------------------
# The empty daemon: the same fabric.yaml shape with no switch running (nothing discovered).
"$GEN" "$T" empty "$N_CHASSIS" 0
start_sims empty
SIM_EMPTY=0
for pid in "${SIM_PIDS[@]}"; do SIM_EMPTY=$((SIM_EMPTY + $(rss_bytes "$pid"))); done
m discover empty.start "$T/empty.sock" "$T/fabricd-empty.log" "$T/fabricd-empty.pid" "$N_CHASSIS" \
  -- "$FABRICD" -c "$T/empty.fabric.yaml"
FD_PID=$(cat "$T/fabricd-empty.pid")
PIDS+=("$FD_PID")
FD_EMPTY=$(rss_bytes "$FD_PID")
stop_pid "$FD_PID"
stop_sims
START_FLOOR=$(p50 empty.start)

declare -A DISC FDRSS SIMRSS LIST_table LIST_json
SIZES=()
for cards in $SCALE_CARDS; do
  n=$((N_CHASSIS * cards * 256)) name=s$cards
  SIZES+=("$n")
  log "4. $n functions: $N_CHASSIS chassis x $cards cards"
  "$GEN" "$T" "$name" "$N_CHASSIS" "$cards"
  start_sims "$name"
  sim_rss=0
  for pid in "${SIM_PIDS[@]}"; do sim_rss=$((sim_rss + $(rss_bytes "$pid"))); done
  disc=()
  for r in $(seq 1 "$REPS"); do
    rm -rf "$T/$name-state"
    m discover "disc.$n.$r" "$T/$name.sock" "$T/fabricd-$name.log" "$T/fabricd-$name.pid" \
      "$N_CHASSIS" -- "$FABRICD" -c "$T/$name.fabric.yaml"
    FD_PID=$(cat "$T/fabricd-$name.pid")
    PIDS+=("$FD_PID")
    disc+=("$(p50 "disc.$n.$r")")
    [[ $r == "$REPS" ]] || stop_pid "$FD_PID"
  done
  read -r dmed dmax < <(printf '%s\n' "${disc[@]}" | sort -g |
    awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)], a[NR]}')
  goal=- met=-
  [[ $n == 65536 ]] && goal="< 500 ms at 65536" met=$(goal_le "$dmed" 500000)
  fig "discovery, $n functions (fabricd start to all discovered)" us "$dmed" "$dmax" \
    "fabricd start, nothing to discover" "$START_FLOOR" us "$goal" "$met"
  DISC[$n]=$(calc "$dmed - $START_FLOOR")  # the part that grows with n
  fd_rss=$(rss_bytes "$FD_PID")
  per=$(calc "($fd_rss - $FD_EMPTY) / $n")
  FDRSS[$n]=$((fd_rss - FD_EMPTY))
  fig "fabricd RSS per function above the empty daemon, $n" B "$per" "" "empty fabricd RSS" \
    "$FD_EMPTY" B-total "<= 256 B" "$(goal_le "$per" 256)"
  per=$(calc "($sim_rss - $SIM_EMPTY) / $n")
  SIMRSS[$n]=$((sim_rss - SIM_EMPTY))
  fig "switch-sim RSS per function above empty chassis, $n" B "$per" "" "empty switch-sims RSS" \
    "$SIM_EMPTY" B-total "<= 4608 B (4.5 KiB)" "$(goal_le "$per" 4608)"
  # listings: whole command, output thrown away (works with or without paging)
  m run floor.true.$n "$N_PROC" - -- /bin/true
  m run "list.table.$n" "$LIST_REPS" - -- "$CTL" -s "$T/$name.sock" functions
  m run "list.json.$n" "$LIST_REPS" - -- "$CTL" -s "$T/$name.sock" -o json functions
  for k in table json; do
    [[ -z ${VAL[list.$k.$n.failures]:-} ]] || { log "list $k $n failed"; FAILED=1; exit 1; }
    what="fabric-ctl functions"; [[ $k == json ]] && what="fabric-ctl -o json functions"
    fig "$what, $n functions (whole command)" us "$(p50 "list.$k.$n")" "$(p99 "list.$k.$n")" \
      "/bin/true" "$(p50 floor.true.$n)" us "- (growth below)" "-"
    eval "LIST_${k}[$n]=$(p50 "list.$k.$n")"
  done
  after=$(rss_bytes "$FD_PID")
  kept=$((after - fd_rss))
  fig "fabricd RSS kept after the listings, $n" B "$kept" "" "RSS before them" "$fd_rss" B-total \
    "nothing kept (<= 1 MiB)" "$(goal_le "$kept" 1048576)"
  # issue 20: assigns on one connection while another client lists everything, for longer
  # than one listing takes, against the same without the listing
  head -n 64 "$T/$name.functions" >"$T/$name.api.functions"
  m prepare "$T/$name.sock" "$T/$name.api.functions"
  secs=$(calc "$(p50 "list.json.$n") / 1e6 * $LIST_WINDOW + $LIST_PAD")
  m throughput "alone.$n" "$T/$name.sock" "$T/$name.api.functions" 1 "$secs" -
  ( while :; do "$CTL" -s "$T/$name.sock" -o json functions >/dev/null 2>&1 || true; done ) &
  LISTER=$!
  PIDS+=("$LISTER")
  m throughput "listing.$n" "$T/$name.sock" "$T/$name.api.functions" 1 "$secs" -
  kill "$LISTER" 2>/dev/null; wait "$LISTER" 2>/dev/null || true
  fig "API assign/unassign while another client lists, $n" us "$(p50 "listing.$n.latency")" \
    "$(p99 "listing.$n.latency")" "p99 with no listing" "$(p99 "alone.$n.latency")" us \
    "p99 <= 2x floor (unaffected)" "$(goal_le "$(p99 "listing.$n.latency")" "$(calc "2 * $(p99 "alone.$n.latency")")")"
  fig "API assign/unassign while another client lists, $n: worst op" us \
    "$(pmax "listing.$n.latency")" "" "worst with no listing" "$(pmax "alone.$n.latency")" us "-" "-"
  stop_pid "$FD_PID"
  stop_sims
done

# 6. growth: the exponent k of cost ~ n^k between consecutive sizes
slope() {
  local what=$1 arr=$2 i a b na nb k verdict worst=0
  for ((i = 1; i < ${#SIZES[@]}; i++)); do
    na=${SIZES[i - 1]} nb=${SIZES[i]}
    eval "a=\${$arr[$na]} b=\${$arr[$nb]}"
    k=$(awk -v a="$a" -v b="$b" -v na="$na" -v nb="$nb" \
      'BEGIN {if (a <= 0 || b <= 0) print "nan"; else printf "%.3f", log(b / a) / log(nb / na)}')
    # n log n between these sizes has exponent 1 + log(log nb / log na) / log(nb / na)
    verdict=$(awk -v k="$k" -v na="$na" -v nb="$nb" 'BEGIN {
      nl = 1 + log(log(nb) / log(na)) / log(nb / na)
      if (k == "nan") print "unknown (within the floor noise)"; else if (k <= 1.1) print "linear";
      else if (k <= nl + 0.1) print "n log n"; else print "worse than n log n" }')
    fig "growth of $what, $na -> $nb (exponent k)" "k" "$k" "" "$verdict" "" "" \
      "<= n log n" "$(case $verdict in worse*) echo no ;; unknown*) echo - ;; *) echo yes ;; esac)"
  done
}
slope "discovery time (minus the start floor)" DISC
slope "fabricd memory" FDRSS
slope "switch-sim memory" SIMRSS
slope "fabric-ctl functions" LIST_table
slope "fabric-ctl -o json functions" LIST_json

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - T_START))

# ---- report -------------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MACHINE="$(nproc) x ${CPU:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
fmt() { # value unit -> human
  awk -v v="$1" -v u="$2" 'BEGIN {
    if (v == "") { print "-"; exit }
    if (u == "us") {
      if (v >= 1e6) printf "%.2f s", v / 1e6; else if (v >= 1000) printf "%.3g ms", v / 1000
      else printf "%.3g us", v }
    else if (u == "B" || u == "B-total") { if (v >= 1048576) printf "%.1f MiB", v / 1048576; else printf "%.0f B", v }
    else if (v ~ /^-?[0-9.e+]+$/) printf "%.3g", v
    else printf "%s", v }'
}
ratio_of() { # median floor_value unit floor_unit
  [[ -n $2 && -n $4 && $3 == "$4" ]] || return 0
  awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3g", a / b}'
}
report_table() {
  printf 'mriov-fabric benchmark (%s run, %s s): %s\n' "$MODE" "$ELAPSED" "$MACHINE"
  printf 'load average at start %s, at end %s (shared machine: compare ratios)\n\n' "$LOAD_START" "$LOAD_END"
  printf '%-72s %9s %9s  %-36s %9s %7s  %-28s %s\n' figure median p99 floor "" ratio goal met
  for f in "${FIGS[@]}"; do
    IFS='|' read -r name unit med p99v fname fval funit goal met <<<"$f"
    ratio=$(ratio_of "$med" "$fval" "$unit" "$funit")
    p99u=$unit; [[ $unit == ops/s ]] && p99u=us
    mv=$met; [[ $met == yes ]] && mv=met; [[ $met == no ]] && mv="NOT MET"
    printf '%-72s %9s %9s  %-36s %9s %7s  %-28s %s\n' "$name" "$(fmt "$med" "$unit")" \
      "$(fmt "$p99v" "$p99u")" "$fname" "$(fmt "$fval" "$funit")" "${ratio:+${ratio}x}" \
      "$goal" "$mv"
  done
}

report_json() {
  js() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
  num() { [[ -n $1 && $1 != nan ]] && printf '%s' "$1" || printf 'null'; }
  printf '{"schema":1,"mode":%s,"elapsed_s":%s,"machine":%s,"cpus":%s,"load_start":%s,"load_end":%s,' \
    "$(js "$MODE")" "$ELAPSED" "$(js "$MACHINE")" "$(nproc)" "$(js "$LOAD_START")" "$(js "$LOAD_END")"
  printf '"todo":[],"figures":['  # hotplug-to-hook, the last TODO, is a figure now
  sep=
  for f in "${FIGS[@]}"; do
    IFS='|' read -r name unit med p99v fname fval funit goal met <<<"$f"
    ratio=$(ratio_of "$med" "$fval" "$unit" "$funit")
    verdict=
    [[ $unit == k ]] && { verdict=$fname; fname=-; }
    metj=null; [[ $met == yes ]] && metj=true; [[ $met == no ]] && metj=false
    printf '%s{"figure":%s,"unit":%s,"median":%s,"p99":%s,"floor":%s,"floor_value":%s,"floor_unit":%s,"ratio":%s,"goal":%s,"met":%s%s}' \
      "$sep" "$(js "$name")" "$(js "$unit")" "$(num "$med")" "$(num "$p99v")" \
      "$([[ $fname == - || -z $fname ]] && echo null || js "$fname")" "$(num "$fval")" \
      "$([[ -n $funit ]] && js "$funit" || echo null)" "$(num "$ratio")" \
      "$([[ $goal == -* ]] && echo null || js "$goal")" "$metj" \
      "$([[ -n $verdict ]] && printf ',"verdict":%s' "$(js "$verdict")")"
    sep=,
  done
  printf ']}\n'
}

if [[ $FORMAT == table ]]; then report_table; else report_json; fi
[[ -z $JSON_OUT ]] || report_json >"$JSON_OUT"
