# Shared helpers for the integration tests: real switch-sim and fabricd processes on
# sockets in a private temporary directory, stopped on exit whatever happens.
# Needs SWITCH_SIM, FABRICD, FABRIC_CTL, SOCKPOKE (built programs) and FABRIC_SOURCE_DIR.
set -euo pipefail

: "${FABRIC_SOURCE_DIR:?}" "${SOCKPOKE:?}"
SOURCE_DIR=$FABRIC_SOURCE_DIR
if [[ -z "${SWITCH_SIM:-}" || -z "${FABRICD:-}" || -z "${FABRIC_CTL:-}" ]]; then
  echo "skipped: switch-sim, fabricd or fabric-ctl is not built" >&2
  exit 77
fi

T=$(mktemp -d /tmp/mriov-it.XXXXXX)
export XDG_RUNTIME_DIR=$T/run
mkdir -p "$XDG_RUNTIME_DIR"
PIDS=()
FAILED=0
PASSED=0

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $FAILED -ne 0 || -n "${KEEP_TMP:-}" ]]; then
    echo "logs kept in $T" >&2
    for f in "$T"/*.log; do
      [[ -f $f ]] && { echo "==== $f" >&2; tail -n 40 "$f" >&2; }
    done
  else
    rm -rf "$T"
  fi
}
trap cleanup EXIT

# The start of a fabricd log line (manager/log.h), for grep: its UTC time when there is one
# ("2026-12-04T02:06:34.007Z "), then "fabricd: ".
LOGP='\([0-9T:.Z-]* \)\{0,1\}fabricd: '

fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }
ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }

# check "description" command...: passes when the command succeeds
check() {
  local what=$1; shift
  if "$@" >/dev/null; then ok "$what"; else fail "$what"; fi
}

# expect_exit CODE "description" command...
expect_exit() {
  local want=$1 what=$2 rc=0; shift 2
  "$@" >"$T/last.out" 2>"$T/last.err" || rc=$?
  if [[ $rc -eq $want ]]; then ok "$what"; else
    fail "$what: exit $rc, wanted $want; stderr: $(head -c 400 "$T/last.err")"
  fi
}

# Waits (bounded, 20 s) until a command succeeds: for sockets to answer, states to settle.
wait_for() {
  local what=$1 i; shift
  for i in $(seq 1 400); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  fail "timed out waiting for: $what"
  return 1
}

# start_sim NAME CHASSIS.yaml [extra args]: management unix:$T/NAME.sock, bench $T/NAME-bench.sock
start_sim() {
  local name=$1 chassis=$2; shift 2
  "$SWITCH_SIM" -m "unix:$T/$name.sock" -b "unix:$T/$name-bench.sock" "$@" "$chassis" \
    >>"$T/$name.log" 2>&1 &
  PIDS+=($!)
  eval "SIM_PID_$name=$!"
  # Answering, not just present: a socket file left by a killed process refuses connections.
  wait_for "switch-sim $name bench socket answering" \
    "$SWITCH_SIM" -b "unix:$T/$name-bench.sock" status
}

stop_pid() {
  local pid=$1 sig=${2:-TERM}
  kill "-$sig" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench() { local name=$1; shift; "$SWITCH_SIM" -b "unix:$T/$name-bench.sock" "$@"; }

# write_fabric_yaml CHASSIS_NAME SIM_NAME [policy]
write_fabric_yaml() {
  cat >"$T/fabric.yaml" <<YAML
control:
  socket: $T/fabricd.sock
  mode: "0660"
state_dir: $T/state
timeouts:
  managed_unbind_ms: 3000
  switch_request_ms: 3000
  reconnect_min_ms: 50
  reconnect_max_ms: 400
reconcile:
  unexpected_bindings: ${3:-auto}
chassis:
  - name: $1
    endpoint: unix:$T/$2.sock
YAML
}

start_fabricd() {
  "$FABRICD" -c "$T/fabric.yaml" "$@" >>"$T/fabricd.log" 2>&1 &
  FABRICD_PID=$!
  PIDS+=($FABRICD_PID)
  wait_for "fabricd answering" "$FABRIC_CTL" -s "$T/fabricd.sock" version
}

ctl() { "$FABRIC_CTL" -s "$T/fabricd.sock" "$@"; }
ctlj() { "$FABRIC_CTL" -s "$T/fabricd.sock" -o json "$@"; }

# jqcheck "description" JQ-EXPR command...: runs the command, tests its JSON with jq -e
jqcheck() {
  local what=$1 expr=$2 out; shift 2
  if out=$("$@" 2>"$T/last.err") && jq -e "$expr" >/dev/null <<<"$out"; then ok "$what"; else
    fail "$what: $(head -c 600 <<<"$out") $(head -c 300 "$T/last.err")"
  fi
}

# Waits until the chassis is discovered (fabricd connected and read the inventory).
wait_discovered() {
  wait_for "chassis discovered" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json switches | jq -e 'all(.switches[]; .discovered)'"
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
