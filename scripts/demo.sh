#!/usr/bin/env bash
# The one command that sets up and runs the demo: installs the packages, builds, starts a
# simulated chassis (configs/chassis/demo.yaml) and the fabric manager
# (configs/fabric.yaml), assigns a NIC VF and the FC HBA to two hosts, shows each host's
# virtual hierarchy, decodes one host view with the real lspci, unassigns, shows the
# configs/hooks.d hooks firing on a card removal and vetoing an assign, stops.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

RUN=$(mktemp -d /tmp/mriov-demo.XXXXXX)
export XDG_RUNTIME_DIR=$RUN   # both YAML files put their sockets and state under here
SIM_PID= FABRICD_PID=
stop() {
  [[ -n $FABRICD_PID ]] && kill -TERM "$FABRICD_PID" 2>/dev/null && wait "$FABRICD_PID" 2>/dev/null
  [[ -n $SIM_PID ]] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  rm -rf "$RUN"
}
trap stop EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
wait_for() {
  for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "demo: timed out waiting for: $*" >&2
  return 1
}

echo "== starting switch-sim on configs/chassis/demo.yaml (log: $RUN/switch-sim.log)"
build/switch-sim/switch-sim configs/chassis/demo.yaml >"$RUN/switch-sim.log" 2>&1 &
SIM_PID=$!
wait_for test -S "$RUN/mriov-fabric/demo.sock"
echo "== starting fabricd -c configs/fabric.yaml (log: $RUN/fabricd.log)"
build/manager/fabricd -c configs/fabric.yaml >"$RUN/fabricd.log" 2>&1 &
FABRICD_PID=$!
wait_for sh -c "build/manager/fabric-ctl -o json switches | grep -q '\"discovered\": *true'"

FABRIC_CTL=build/manager/fabric-ctl
step $FABRIC_CTL status
step $FABRIC_CTL hosts
step $FABRIC_CTL cards
step $FABRIC_CTL assign nic0/pf0/vf0 web1
step $FABRIC_CTL assign fc0/pf0 web2
step $FABRIC_CTL functions --host web1
step $FABRIC_CTL vh web1
step $FABRIC_CTL vh web2
echo
echo "== web1's host view, decoded by the real lspci (lspci -F)"
$FABRIC_CTL lspci web1 >"$RUN/web1.lspci"
step lspci -F "$RUN/web1.lspci" -t -v
printf '\n\033[1m$ lspci -F web1.lspci -vvv -s 03:00.0 | head -24\033[0m\n'
lspci -F "$RUN/web1.lspci" -vvv -s 03:00.0 2>/dev/null | head -24
step $FABRIC_CTL unassign nic0/pf0/vf0
step $FABRIC_CTL unassign fc0/pf0
echo
echo "== hooks (configs/hooks.d; the contract is its README)"
step $FABRIC_CTL hooks
EVENTS_LOG=$RUN/mriov-fabric/events.log   # fabric.yaml hooks.env EVENT_LOG, for 10-event-log
step build/switch-sim/switch-sim -c configs/chassis/demo.yaml remove fc0 --surprise
wait_for grep -q '"card-removed"' "$EVENTS_LOG" ||
  echo "demo: 10-event-log did not run (see fabric-ctl hooks: a group-writable checkout is refused)"
printf '\n\033[1m$ tail -n 1 %s\033[0m\n' "$EVENTS_LOG"
tail -n 1 "$EVENTS_LOG" 2>/dev/null || true
echo web3 >"$RUN/mriov-fabric/maintenance"  # MAINTENANCE_FILE, read by 50-maintenance
printf '\n\033[1m$ echo web3 > maintenance; %s assign nic0/pf0/vf1 web3\033[0m\n' "$FABRIC_CTL"
$FABRIC_CTL assign nic0/pf0/vf1 web3 || echo "(exit $?: refused by the pre-assign hook)"
step $FABRIC_CTL hooks runs --since "$(($($FABRIC_CTL -o json events --limit 1 | jq .last_seq) - 2))"
step $FABRIC_CTL events
echo
echo "== stopping fabricd and switch-sim"
