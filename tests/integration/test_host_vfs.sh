#!/usr/bin/env bash
# The VFs of a host-owned PF (issue 17 item 2): an mr-iov PF assigned to a host, the host's
# own PF driver enables 4 VFs (bench `host PORT sriov`, config writes through the PF's write
# masks); fabric-ctl lspci shows them under the PF's vPPB, named by pci.ids, and vh lists them.
source "$(dirname "$0")/lib.sh"
command -v lspci >/dev/null || { echo "skipped: lspci not installed" >&2; exit 77; }

cat >"$T/chassis.yaml" <<YAML
name: hv
model: "m"
serial: "HV-1"
dsn: 00-10-b5-ff-ff-87-49-07
management: unix:$T/hv.sock
bench: unix:$T/hv-bench.sock
profiles: $SOURCE_DIR/configs/profiles
host_ports:
  - {name: h0, port: 0, width: 16, speed: 8GT, vppbs: 4}
slots:
  - number: 1
    label: "Slot 1"
    card: {profile: mriov-nic, serial: 00-1b-21-ff-ff-2b-46-e1, name: mr0}
YAML
start_sim hv "$T/chassis.yaml"
write_fabric_yaml hv hv
start_fabricd
wait_discovered

check "assign the mr-iov PF to h0" ctl assign mr0/pf1 h0
expect_exit 1 "a bridge is not the host's to write through the bench" bench hv host h0 sriov 02:00.0 4
expect_exit 1 "NUMVFS above TotalVFs refused" bench hv host h0 sriov 03:00.0 33
check "the host enables 4 VFs" bench hv host h0 sriov 03:00.0 4

# PF1 alone at 03:00.0 without ARI: First VF Offset 303 = 0x12f, stride 1 -> 04:05.7, 04:06.0-2
ctl lspci h0 >"$T/view.lspci"
lspci -F "$T/view.lspci" -t >"$T/tree.txt"
if grep -q -- '-00.0-\[03-06\]--+-\[0000:03\]---00.0' "$T/tree.txt" &&
   grep -q -- '\\-\[0000:04\]-+-05.7' "$T/tree.txt" && grep -q -- '\\-06.2' "$T/tree.txt"; then
  ok "lspci -t: the 4 VFs on bus 04 under vPPB 0's bridge (03-06)"
else
  fail "lspci -t tree: $(cat "$T/tree.txt")"
fi
n=$(lspci -F "$T/view.lspci" -vvv | grep -c '^04:0[56]\.[0-7] Ethernet controller: Intel Corporation Ethernet Virtual Function 700 Series' || true)
if [[ $n -eq 4 ]]; then ok "lspci -vvv names the 4 VFs"; else fail "lspci -vvv: $n VFs named"; fi
check "the bench dump agrees" cmp <(bench hv dump h0 | lspci -F /dev/stdin -n) <(lspci -F "$T/view.lspci" -n)
jqcheck "vh -o json: the PF and its 4 VFs behind vPPB 0" \
  '[.vppbs[0].functions[] | .host_bdf] == ["03:00.0","04:05.7","04:06.0","04:06.1","04:06.2"]' ctlj vh h0
if ctl vh h0 | grep -q '04:06.2  mr0/pf1/vf3'; then ok "vh draws the VFs"; else fail "vh: $(ctl vh h0)"; fi

# setpci form: the host clears VF Enable (SR-IOV Control at 0x160 + 8); the VFs go away
expect_exit 0 "setpci: VF Enable off" bench hv host h0 setpci 03:00.0 168.W=0000
check "setpci answers the register read back" grep -qx 0000 "$T/last.out"
expect_exit 1 "setpci: a malformed register spec is refused" bench hv host h0 setpci 03:00.0 168.Q=0
ctl lspci h0 >"$T/view2.lspci"
if ! lspci -F "$T/view2.lspci" | grep -q '^04:'; then ok "VF Enable off: no VF in the view"; else
  fail "VFs still there: $(lspci -F "$T/view2.lspci")"; fi
finish
