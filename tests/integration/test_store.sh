#!/usr/bin/env bash
# The intent store's file under a running fabricd (issue 19): deleted, the next mutation is
# refused with store-unavailable (it used to be acknowledged into the unlinked file and lost
# at the next start) while reads go on; over the file size limit (ulimit -f), fabricd is not
# killed by SIGXFSZ and refuses the mutation instead of acknowledging what is not durable.
source "$(dirname "$0")/lib.sh"

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo
start_fabricd
wait_discovered

# --- the database deleted -------------------------------------------------------------
jqcheck "assign before" '.state == "bound"' ctlj assign nic0/pf0/vf1 web1
rm "$T/state/fabric.db"
expect_exit 1 "assign after the database was deleted is refused" ctl assign nic0/pf0/vf2 web1
check "with store-unavailable" grep -q "store-unavailable" "$T/last.err"
check "saying why" grep -q "deleted or replaced" "$T/last.err"
jqcheck "the switch was not told" '[.vppbs[] | select(.function.function == "nic0/pf0/vf2")] | length == 0' \
  ctlj vh web1
expect_exit 1 "unassign is refused too" ctl unassign nic0/pf0/vf1
check "with store-unavailable" grep -q "store-unavailable" "$T/last.err"
jqcheck "reads go on" '.function.state == "bound" and .function.host == "web1"' ctlj show nic0/pf0/vf1
jqcheck "status says the store is unavailable" '.store == "unavailable"' ctlj status
check "fabricd still runs" kill -0 "$FABRICD_PID"
stop_pid "$FABRICD_PID" TERM

# --- the file size limit -----------------------------------------------------------------
# A fresh store, then fabricd under a limit its first commits fit in but a few more do not:
# the WAL grows by a few pages per commit.
rm -rf "$T/state"
start_sim_fresh() { stop_pid "$SIM_PID_demo" TERM; start_sim demo "$DEMO"; }
start_sim_fresh
(ulimit -f 160 && exec "$FABRICD" -c "$T/fabric.yaml" >>"$T/fabricd.log" 2>&1) &
FABRICD_PID=$!
PIDS+=($FABRICD_PID)
wait_for "fabricd answering" ctl version
wait_discovered
refused=""
for vf in $(seq 0 63); do
  rc=0
  ctl assign "nic0/pf1/vf$vf" web2 >"$T/last.out" 2>"$T/last.err" || rc=$?
  if [[ $rc -ne 0 ]]; then refused=$vf; break; fi
done
if [[ -n $refused ]]; then ok "a mutation is refused once the file cannot grow (vf$refused)"; else
  fail "64 assigns under ulimit -f 160 all succeeded: the limit did not bite"; fi
check "with store-unavailable" grep -q "store-unavailable" "$T/last.err"
check "saying why" grep -q "File too large" "$T/last.err"
check "fabricd survives SIGXFSZ" kill -0 "$FABRICD_PID"
jqcheck "the refused function is not bound" '.function.state == "free"' ctlj show "nic0/pf1/vf${refused:-0}"
jqcheck "reads go on" '.functions | length > 0' ctlj functions --card nic0
stop_pid "$FABRICD_PID" TERM

# every acknowledged assign is in the file (as bound, or as binding when only its last
# commit failed after the switch acted: reconciliation confirms it), the refused one is not
n=$(sqlite3 "$T/state/fabric.db" "select count(*) from bindings where host = 'web2'")
if [[ $n == "${refused:-x}" ]]; then ok "the $n acknowledged assigns are durable, the refused one absent"; else
  fail "bindings in the file: $n, acknowledged: ${refused:-?}"; fi

finish
