#!/usr/bin/env bash
# End to end: a real switch-sim on the demo chassis, a real fabricd, driven with
# fabric-ctl. Assign/unassign of VFs (NumVFs raised on demand), an exclusive card,
# conflicts and their error codes, the host view decoded by real lspci, kill -9 of
# fabricd after an acknowledged assign, a switch restart that fabricd reconciles, and
# garbage on every socket.
source "$(dirname "$0")/lib.sh"

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo
start_fabricd
wait_discovered

# --- inventory ----------------------------------------------------------------------
jqcheck "four hosts discovered" '.hosts | length == 4 and all(.[]; .link == "up")' ctlj hosts
jqcheck "demo cards with names from pci.ids" \
  '[.cards[].card] == ["nic0","fc0","raid0","nvme0"] and (.cards[0].device_name | test("82599"))' ctlj cards
jqcheck "64 VFs per 82599 PF are listed, disabled at first" \
  '[.functions[] | select(.card == "nic0" and .kind == "vf")] | length == 128 and all(.[]; .enabled == false)' \
  ctlj functions --card nic0

# --- assign a VF: NumVFs raised on demand ---------------------------------------------
jqcheck "assign nic0/pf0/vf3 to web1" \
  '.state == "bound" and .changed == true and (.actions | map(.action)) == ["set-num-vfs","bind"]' \
  ctlj assign nic0/pf0/vf3 web1
jqcheck "NumVFs raised to TotalVFs" '.card.pfs[0].num_vfs == 64' ctlj show nic0
jqcheck "assign again: already so, nothing changed" '.changed == false' ctlj assign nic0/pf0/vf3 web1
expect_exit 0 "already so exits 0" ctl assign nic0/pf0/vf3 web1
expect_exit 1 "assign to another host is refused" ctl assign nic0/pf0/vf3 web2
check "function-busy names the holder" grep -q "function-busy.*web1" "$T/last.err"
expect_exit 1 "a PF of an sr-iov card is refused" ctl assign nic0/pf0 web2
check "sharing-mode error" grep -q "sharing-mode" "$T/last.err"
expect_exit 1 "unknown function" ctl assign nic9/pf0/vf0 web1
check "no-such-function error" grep -q "no-such-function" "$T/last.err"
expect_exit 1 "unknown host" ctl assign nic0/pf0/vf4 web9
check "no-such-host error" grep -q "no-such-host" "$T/last.err"

# --- exclusive card moves whole ---------------------------------------------------------
jqcheck "assign the FC HBA to web2" '.state == "bound"' ctlj assign fc0/pf0 web2
jqcheck "its second PF went with it" '.function.state == "bound" and .function.host == "web2"' ctlj show fc0/pf1
expect_exit 1 "the other PF cannot go elsewhere" ctl assign fc0/pf1 web3
jqcheck "assign --any picks a free VF" '.function | test("^nvme0/pf0/vf[0-9]+$")' ctlj assign --any nvme0 web3

# --- host views decode with real lspci -----------------------------------------------
ctl lspci web1 >"$T/web1.lspci"
lspci -F "$T/web1.lspci" -vvv >"$T/web1.vvv" 2>"$T/lspci.err" || fail "lspci -F web1 failed: $(cat "$T/lspci.err")"
check "web1 sees the 82599 VF by name" grep -q "82599 Ethernet Controller Virtual Function" "$T/web1.vvv"
check "web1 sees the virtual switch's bridges" grep -q "PCI bridge" "$T/web1.vvv"
check "downstream port has a hot-plug slot with presence" grep -q "SltSta:.*PresDet+" "$T/web1.vvv"
lspci -F "$T/web1.lspci" -t >"$T/web1.tree" 2>/dev/null
check "lspci -t draws the tree down to the VF" grep -qE -- '-\[0*1?-?[0-9a-f]*\]|---' "$T/web1.tree"
ctl lspci web2 >"$T/web2.lspci"
lspci -F "$T/web2.lspci" -vvv >"$T/web2.vvv" 2>/dev/null || fail "lspci -F web2 failed"
check "web2 sees the Fibre Channel HBA" grep -q "Fibre Channel" "$T/web2.vvv"
bench demo dump web1 >"$T/web1-sim.lspci"
check "the simulator's own dump decodes too" sh -c "lspci -F '$T/web1-sim.lspci' -vvv | grep -q 'Virtual Function'"
jqcheck "vh web1 shows the VF behind a vPPB" \
  '[.vppbs[] | select(.state == "bound")] | length == 1 and .[0].function.function == "nic0/pf0/vf3"' ctlj vh web1

# --- kill -9 right after an acknowledged assign ----------------------------------------
jqcheck "assign nic0/pf1/vf0 to web3" '.state == "bound"' ctlj assign nic0/pf1/vf0 web3
stop_pid "$FABRICD_PID" KILL
check "binding is in the SQLite store after kill -9" \
  sh -c "sqlite3 '$T/state/fabric.db' \"select count(*) from bindings where pf = 1 and vf = 0 and host = 'web3' and state = 'bound'\" | grep -qx 1"
start_fabricd
wait_discovered
jqcheck "after restart the binding is still bound" '.function.state == "bound" and .function.host == "web3"' \
  ctlj show nic0/pf1/vf0
jqcheck "and still on the switch" '[.vppbs[] | select(.function.function == "nic0/pf1/vf0")] | length == 1' \
  ctlj vh web3

# --- the switch restarts: fabricd reconnects and re-applies every binding ---------------
stop_pid "$SIM_PID_demo" TERM
wait_for "fabricd notices the switch is gone" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json switches | jq -e '.switches[0].state != \"ready\"'"
start_sim demo "$DEMO"
wait_discovered
wait_for "bindings re-applied on the new switch" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json vh web1 | jq -e '[.vppbs[] | select(.function.function == \"nic0/pf0/vf3\")] | length == 1'"
jqcheck "every binding is bound again" '.bindings.bound == .bindings.total and .bindings.total == 4' ctlj status
jqcheck "the FC HBA is back on web2" '[.vppbs[] | select(.state == "bound")] | length == 1' ctlj vh web2

# --- unassign: managed, timeout, force --------------------------------------------------
jqcheck "managed unassign of nic0/pf0/vf3" '.state == "free" and .changed == true' ctlj unassign nic0/pf0/vf3
jqcheck "unassign again: already free" '.changed == false' ctlj unassign nic0/pf0/vf3
bench demo host web2 ignore
expect_exit 1 "a host that never answers: timeout" ctl unassign fc0/pf0 --timeout 1
check "timeout error code" grep -q "timeout" "$T/last.err"
jqcheck "after the timeout the HBA is still bound" '.function.state == "bound"' ctlj show fc0/pf0
jqcheck "--force removes it anyway" '.state == "free"' ctlj unassign fc0/pf0 --timeout 1 --force
jqcheck "surprise unassign" '.state == "free"' ctlj unassign nic0/pf1/vf0 --surprise

# --- garbage never crashes anything -----------------------------------------------------
for seed in 1 2 3; do
  "$SOCKPOKE" "$T/demo.sock" random 5000 $seed >/dev/null
  "$SOCKPOKE" "$T/demo-bench.sock" random 3000 $seed >/dev/null
  "$SOCKPOKE" "$T/fabricd.sock" random 3000 $seed >/dev/null
done
printf 'FMP1\001\001\020\000\000\000\000\000\001\000\000\000\377\377\377\377' >"$T/big.bin"
"$SOCKPOKE" "$T/demo.sock" file "$T/big.bin" >/dev/null
check "switch-sim survives garbage" bench demo status
check "fabricd survives garbage" ctl status
jqcheck "fabricd is still connected to the switch" '.switches[0].state == "ready"' ctlj switches

# --- bench arguments cannot smuggle in a command (issue 18) ----------------------------------
# nic0 is in slot 1: a name with a newline used to be sent as a second command,
# "remove 1 --surprise", which pulled it.
functions_before=$(bench demo status | sed -n 's/.* functions \([0-9]*\) .*/\1/p')
expect_exit 2 "a bench argument with a newline is refused" \
  bench demo insert 12 --name $'nicX\nremove 1 --surprise'
check "the refusal names the argument, escaped" \
  grep -qxF 'switch-sim: insert: argument 3 "nicX\nremove 1 --surprise" has a control character: bench arguments are single words of printable characters' "$T/last.err"
check "slot 1's card is still in place" sh -c \
  "'$SWITCH_SIM' -b 'unix:$T/demo-bench.sock' status | grep -q ' functions $functions_before '"
expect_exit 1 "slot 1 still holds a card" bench demo insert 1 intel-82599 00-1b-21-ff-ff-00-00-99
check "the one that was there" grep -q "slot 1 already holds a card" "$T/last.err"
expect_exit 1 "a bidi override in a name is echoed escaped" bench demo button $'nic\u202e0'
check "no raw U+202E on the terminal" grep -qF 'no slot or card named "nic\u202e0"' "$T/last.err"

# --- hotplug through the bench, seen and handled by fabricd -----------------------------------
check "orderly removal of the unbound RAID card" bench demo remove raid0
wait_for "fabricd saw the card go" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json cards | jq -e 'all(.cards[]; .card != \"raid0\")'"
check "insert an MR-IOV NIC into slot 3" bench demo insert 3 mriov-nic 00-1b-21-ff-ff-00-00-03 mnic0
wait_for "fabricd read the new card" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json cards | jq -e 'any(.cards[]; .card == \"mnic0\" and .sharing == \"mr-iov\")'"
jqcheck "an mr-iov PF goes to a host with its VFs" '.state == "bound"' ctlj assign mnic0/pf1 web4
expect_exit 1 "a VF of an mr-iov card is refused" ctl assign mnic0/pf2/vf0 web4
ctl lspci web4 >"$T/web4.lspci"
check "web4 sees the bound PF's SR-IOV capability" sh -c \
  "lspci -F '$T/web4.lspci' -vvv 2>/dev/null | grep -q 'Single Root I/O Virtualization'"
check "and its Total VFs" sh -c "lspci -F '$T/web4.lspci' -vvv 2>/dev/null | grep -q 'Total VFs: 32'"
jqcheck "card-removed and card-added were logged" \
  '[.events[].event] | (index("card-removed") != null) and (index("card-added") != null)' ctlj events --limit 1000
check "host link down" bench demo link web4 down
wait_for "fabricd saw the link drop" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json hosts | jq -e '.hosts[] | select(.host == \"web4\") | .link == \"down\"'"
expect_exit 1 "no assignment to a host whose link is down" ctl assign mnic0/pf2 web4
check "host-link-down error code" grep -q "host-link-down" "$T/last.err"
check "host link up" bench demo link web4 up
wait_for "fabricd saw the link return" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json hosts | jq -e '.hosts[] | select(.host == \"web4\") | .link == \"up\"'"
check "attention button" bench demo button nvme0
wait_for "attention-button event" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json events --limit 1000 | jq -e 'any(.events[]; .event == \"attention-button\" and .card == \"nvme0\")'"
# a binding follows its card: pulled, it is detached; back (any slot), it is restored
jqcheck "assign the FC HBA to web2 again" '.state == "bound"' ctlj assign fc0/pf0 web2
check "surprise removal of the FC HBA" bench demo remove fc0 --surprise
wait_for "its binding is detached, not forgotten" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json status | jq -e '.bindings.detached == 1'"
check "the same card back in slot 2" bench demo insert 2 emulex-lpe16002 10-00-00-90-fa-5c-2e-01 fc0
wait_for "the binding is restored on web2" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json vh web2 | jq -e 'any(.vppbs[]; .function.function == \"fc0/pf0\")'"
jqcheck "nothing detached any more" '.bindings.detached == 0' ctlj status
check "power fault in the NVMe slot" bench demo fault nvme0
wait_for "power-fault event and the VF binding detached" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json status | jq -e '.bindings.detached == 1'"

# a switch reboot drops every binding and the management link: fabricd re-applies them
check "switch reboot" bench demo reboot
# the reboot drops the management link: wait for the reconnect (the third one) first
wait_for "fabricd reconnected after the reboot" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json switches | jq -e '.switches[0] | .connects >= 3 and .state == \"ready\" and .discovered'"
wait_for "bindings re-applied after the reboot" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json vh web2 | jq -e 'any(.vppbs[]; .function.function == \"fc0/pf0\")'"
wait_for "every binding bound again (the reboot cleared the power fault too)" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json status | jq -e '.bindings.bound == 3 and .bindings.total == 3'"

# --- audit: every mutating call, allowed or refused, with the caller ----------------------
jqcheck "audit holds the assigns with their caller's uid" \
  "[.audit[] | select(.method == \"assign\" and .result == \"ok\" and .uid == $(id -u))] | length >= 4" ctlj audit
jqcheck "audit holds refusals with their error code" \
  '[.audit[] | select(.result == "function-busy")] | length >= 1' ctlj audit

# --- SIGHUP: reload, and keep the running configuration when the new one is broken -------
cp "$T/fabric.yaml" "$T/fabric.yaml.good"
printf 'chassis: [\n' >"$T/fabric.yaml"
kill -HUP "$FABRICD_PID"
wait_for "SIGHUP with a broken file is refused" grep -q "keeping the running configuration" "$T/fabricd.log"
check "fabricd still answers after a bad reload" ctl status
cp "$T/fabric.yaml.good" "$T/fabric.yaml"
kill -HUP "$FABRICD_PID"
wait_for "SIGHUP with a good file reloads" grep -q "SIGHUP: reloaded" "$T/fabricd.log"

# --- clean shutdown -----------------------------------------------------------------------
kill -TERM "$FABRICD_PID"
rc=0
wait "$FABRICD_PID" || rc=$?
check "fabricd exits 0 on SIGTERM" test "$rc" -eq 0
check "fabricd removed its socket" test ! -e "$T/fabricd.sock"
kill -TERM "$SIM_PID_demo"
rc=0
wait "$SIM_PID_demo" || rc=$?
check "switch-sim exits 0 on SIGTERM (no leak under ASan)" test "$rc" -eq 0
finish
