#!/usr/bin/env bash
# Durability (issue 19): an acknowledgement means what it says, with real processes. The
# races are widened on purpose with switch-sim's bench knobs (`delay OPCODE MS` holds the
# answers of one request type; `host PORT respond MS` slows a host's managed removal), so
# each case is deterministic; every wait is bounded.
#   1. an unassign that arrives while fabricd is still reading the switch's bindings waits
#      for them: it unbinds, and adopt-on-reconcile does not bring the binding back;
#   2. fabricd killed during a managed unbind: after the restart the switch's in-progress
#      unbind is followed to its end and the intent is gone, not left detached;
#   3. a bind that reuses the vPPB of a surprise unbind whose answer comes later is
#      acknowledged as done (it took effect), not refused by the store;
#   5. an unbind whose answer never comes is settled by asking the switch (GET_VH);
#   8. fabricd killed right after each answer: every answered call has its audit record, with
#      its params, and an acknowledged assign / unassign holds after the restart.
source "$(dirname "$0")/lib.sh"
# a case that fails is reported and the next one still runs (wait_for counts its failure)

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo adopt
# a slow host must finish its managed removal within fabricd's timeout (case 2), and the
# answers held back on purpose must come well within a request's deadline (cases 1, 3)
sed -i -e 's/managed_unbind_ms: 3000/managed_unbind_ms: 8000/' \
  -e 's/switch_request_ms: 3000/switch_request_ms: 6000/' "$T/fabric.yaml"
start_fabricd
wait_discovered

state_is() { ctlj show "$1" | jq -e --arg s "$2" '.function.state == $s' >/dev/null; }
FC0="card_serial = '10-00-00-90-fa-5c-2e-01'"
RAID0="card_serial = '0x500605b00c8d1e00'"

# --- 1. unassign during discovery --------------------------------------------------------
jqcheck "assign raid0/pf0 to web1" '.state == "bound" and .switch == "confirmed"' ctlj assign raid0/pf0 web1
stop_pid "$FABRICD_PID" TERM
bench demo delay get-functions 2000 # the cards are read at once, their bindings 2 s later
start_fabricd
wait_for "raid0 read (its bindings not yet)" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' show raid0/pf0"
jqcheck "unassign while the bindings are unread: waits, then unbinds" \
  '.state == "free" and .switch == "confirmed" and (.actions | map(.action)) == ["unbind"]' \
  ctlj unassign raid0/pf0
bench demo delay get-functions 0
wait_discovered
check "raid0/pf0 is free in fabricd" state_is raid0/pf0 free
jqcheck "and on the switch (not adopted back)" \
  '[.vppbs[] | select(.function.card == "raid0")] | length == 0' ctlj vh web1
check "no intent row is left for raid0" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where $RAID0\")\" = 0 ]"

# --- 2. crash during a managed unbind -----------------------------------------------------
jqcheck "assign fc0/pf0 to web2" '.state == "bound"' ctlj assign fc0/pf0 web2
bench demo host web2 respond 3000
ctl unassign fc0/pf0 >"$T/unassign2.out" 2>&1 &
UNASSIGN_PID=$!
wait_for "the switch is unbinding fc0/pf0" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json vh web2 | jq -e '[.vppbs[] | select(.state == \"unbinding\")] | length == 1'"
stop_pid "$FABRICD_PID" KILL
wait "$UNASSIGN_PID" 2>/dev/null || true
check "the intent was stored as unbinding" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where $FC0 and state = 'unbinding'\")\" = 1 ]"
start_fabricd
wait_discovered
wait_for "fc0/pf0 settled as asked: free" state_is fc0/pf0 free || true
check "no intent row is left for fc0" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where $FC0\")\" = 0 ]"
jqcheck "and the switch has it free" '[.vppbs[] | select(.function.card == "fc0")] | length == 0' ctlj vh web2
jqcheck "fc0/pf0 can be assigned again" '.state == "bound" and .changed == true' ctlj assign fc0/pf0 web2
bench demo host web2 respond 200

# --- 3. a bind that reuses a vPPB before the unbind that freed it is answered ---------------
jqcheck "assign nvme0/pf0/vf0 to web3 (vPPB 0)" '.vppb == 0' ctlj assign nvme0/pf0/vf0 web3
bench demo delay unbind 2000 # done at once, answered 2 s later
ctl unassign --surprise nvme0/pf0/vf0 >"$T/unassign3.out" 2>&1 &
UNASSIGN_PID=$!
wait_for "the switch freed vPPB 0 of web3" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json vh web3 | jq -e '.vppbs[0].state == \"unbound\"'"
jqcheck "assign nvme0/pf0/vf1 takes vPPB 0: acknowledged as done" \
  '.state == "bound" and .vppb == 0 and .stored == true and .switch == "confirmed"' \
  ctlj assign nvme0/pf0/vf1 web3
if wait "$UNASSIGN_PID"; then ok "the surprise unassign is acknowledged"; else
  fail "the surprise unassign: $(cat "$T/unassign3.out")"
fi
bench demo delay unbind 0
check "vf1 is stored bound to vPPB 0" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where vf = 1 and host = 'web3' and vppb = 0 and state = 'bound'\")\" = 1 ]"
check "vf0 is forgotten" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where vf = 0 and host = 'web3'\")\" = 0 ]"
check "nvme0/pf0/vf1 is bound in fabricd" state_is nvme0/pf0/vf1 bound

# --- 5. an unbind whose answer is lost: the switch is asked before anything is answered -------
jqcheck "assign nvme0/pf0/vf2 to web3" '.state == "bound"' ctlj assign nvme0/pf0/vf2 web3
bench demo delay unbind 60000 # done at once, answered long after fabricd's deadline
jqcheck "unassign without an answer: the switch's vPPB table says it is done" \
  '.state == "free" and .switch == "confirmed"' ctlj unassign --surprise --timeout 1 nvme0/pf0/vf2
bench demo delay unbind 0
check "nvme0/pf0/vf2 is free in fabricd, not detached" state_is nvme0/pf0/vf2 free
check "its intent row is gone" sh -c "[ \"\$(sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where vf = 2 and host = 'web3'\")\" = 0 ]"

# --- 8. kill -9 right after the answer: the audit record and the intent are on disk --------
audit_has() { # METHOD FUNCTION RESULT: one audit row with these
  [ "$(sqlite3 "$T/state/fabric.db" "select count(*) from audit where method = '$1' and result = '$3' and json_extract(params, '\$.function') = '$2'")" = 1 ]
}
# answered_then_killed METHOD FUNCTION STATE ARGS...: the call is acknowledged, fabricd is
# killed at once; its audit record is on disk and, after the restart, FUNCTION is STATE
answered_then_killed() {
  local method=$1 fn=$2 st=$3; shift 3
  if ! ctl "$method" "$@" >/dev/null 2>"$T/last.err"; then
    fail "$method $fn: $(cat "$T/last.err")"
    return
  fi
  stop_pid "$FABRICD_PID" KILL
  check "$fn: the acknowledged $method's audit record survived kill -9" audit_has "$method" "$fn" ok
  start_fabricd
  wait_discovered
  wait_for "$fn: the acknowledged $method holds after the restart" state_is "$fn" "$st" &&
    ok "$fn: $st after the restart"
}
for vf in 3 4; do
  answered_then_killed assign nic0/pf0/vf$vf bound nic0/pf0/vf$vf web1
  answered_then_killed unassign nic0/pf0/vf$vf free --surprise nic0/pf0/vf$vf
done
expect_exit 1 "assign nic0/pf7 (no such function) is refused" ctl assign nic0/pf7 web1
stop_pid "$FABRICD_PID" KILL
check "a refused call's audit record survived kill -9, with its params" \
  audit_has assign nic0/pf7 no-such-function
start_fabricd
wait_discovered

finish
