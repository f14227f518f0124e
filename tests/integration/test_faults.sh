#!/usr/bin/env bash
# Switch faults (issue 19): a switch-sim that drops, fails and delays a fraction of its
# answers. fabricd must still finish discovery over its first connection (each read retried
# with backoff, not the connection dropped), serve an assign, and say why when it does lose
# the switch.
source "$(dirname "$0")/lib.sh"

LARGE=$SOURCE_DIR/configs/chassis/large.yaml
# seed 7: the faults land in discovery (the log's "trying again" lines below check it)
start_sim large "$LARGE" --fault-seed 7 --fault-drop 0.05 --fault-error 0.05 --fault-delay-ms 200
write_fabric_yaml large large
# a dropped answer costs one request timeout: keep it short (answers come within 200 ms)
sed -i 's/switch_request_ms: 3000/switch_request_ms: 800/' "$T/fabric.yaml"
start_fabricd

# discovered, within a generous bound (a loaded machine)
discovered=false
for i in $(seq 1 300); do
  if ctlj switches 2>/dev/null | jq -e '.switches[0].discovered' >/dev/null; then
    discovered=true
    break
  fi
  sleep 0.1
done
if $discovered; then ok "discovered under faults"; else fail "not discovered under faults"; fi
check "faults were met during discovery and retried" grep -q "failed (try 1).*trying again" "$T/fabricd.log"
jqcheck "over the first connection: no restart" '.switches[0].connects == 1' ctlj switches
check "no discovery restarted" sh -c "! grep -q 'discovery failed' '$T/fabricd.log'"
jqcheck "the whole inventory read" '.switches[0].functions == 3012 and .switches[0].hosts == 16' ctlj switches

# an assign works: its own requests meet faults too, so it may take a few tries (each one
# either refused with a code or done)
assigned=false
for i in $(seq 1 8); do
  rc=0
  ctl assign nic0/pf0/vf1 host01 >"$T/assign.out" 2>"$T/assign.err" || rc=$?
  if [[ $rc -eq 0 ]]; then assigned=true; break; fi
  [[ $rc -eq 1 ]] || break
done
if $assigned; then ok "assign under faults"; else fail "assign under faults: exit $rc: $(cat "$T/assign.err")"; fi
jqcheck "the function is bound to host01" '.function.state == "bound" and .function.host == "host01"' \
  ctlj show nic0/pf0/vf1

# losing the switch is logged with its reason (it used to be empty)
stop_pid "$SIM_PID_large" TERM
wait_for "fabricd notices the switch is gone" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json switches | jq -e '.switches[0].state != \"ready\"'"
check "lost the switch: with a reason" grep -qE "lost the switch at unix:[^ ]+: .+" "$T/fabricd.log"

finish
