#!/usr/bin/env bash
# fabric-ctl end to end: every command against a real switch-sim on the demo chassis and a real
# fabricd, asserting on the table (headers, rows, names from pci.ids), on the -o json document
# (jq on stable members) and on exit codes 0/1/2; lspci output decoded by real lspci, topology
# rendered by real dot, events --follow interrupted; then fabricd frozen and stopped (exit 3).
source "$(dirname "$0")/lib.sh"

for tool in lspci dot; do
  command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed" >&2; exit 77; }
done

# --- helpers on $T/last.out / $T/last.err (written by expect_exit) -----------------------
NL=$'\n'
# The output with runs of blanks squeezed, leading and trailing ones dropped: rows compare as words.
squeezed() { tr -s ' ' <"$T/last.out" | sed 's/^ //; s/ $//'; }
# header "what" "COL COL ...": the table's first line names exactly these columns
header() {
  local got
  got=$(head -n1 "$T/last.out" | tr -s ' ' | sed 's/^ *//; s/ *$//')
  if [[ $got == "$2" ]]; then ok "$1"; else fail "$1: header is '$got', want '$2'"; fi
}
# row "what" ERE: some line of the squeezed output matches ^ERE$
row() {
  if grep -qE -- "^$2\$" <<<"$(squeezed)"; then ok "$1"; else
    fail "$1: no line /^$2\$/ in:$NL$(head -c 1500 "$T/last.out")"
  fi
}
# has "what" ERE: stdout matches ERE somewhere (unsqueezed)
has() {
  if grep -qE -- "$2" "$T/last.out"; then ok "$1"; else
    fail "$1: no /$2/ in: $(head -c 1500 "$T/last.out")"
  fi
}
# lines "what" N: stdout has N lines
lines() {
  local n
  n=$(wc -l <"$T/last.out")
  if [[ $n -eq $2 ]]; then ok "$1"; else fail "$1: $n lines, want $2"; fi
}
# same "what" TEXT: stdout is exactly TEXT (plus the final newline)
same() {
  if [[ "$(cat "$T/last.out")" == "$2" ]]; then ok "$1"; else
    fail "$1: stdout is$NL$(cat "$T/last.out")${NL}want$NL$2"
  fi
}
# err "what" ERE: stderr's first line matches ^ERE$
err() {
  if grep -qE -- "^$2\$" <<<"$(head -n1 "$T/last.err")"; then ok "$1"; else
    fail "$1: stderr is '$(head -c 600 "$T/last.err")', want /^$2\$/"
  fi
}
no_out() {
  if [[ ! -s "$T/last.out" ]]; then ok "$1"; else fail "$1: stdout not empty: $(head -c 300 "$T/last.out")"; fi
}
# jlast "what" JQ: the last command's stdout passes jq -e
jlast() {
  if jq -e "$2" "$T/last.out" >/dev/null 2>&1; then ok "$1"; else
    fail "$1: jq '$2' fails on: $(head -c 800 "$T/last.out")"
  fi
}
# aligned "what" COLUMN VALUE: VALUE's row puts VALUE where the header puts COLUMN (left-aligned)
aligned() {
  local h r
  h=$(head -n1 "$T/last.out")
  r=$(grep -m1 -F -- "$3" "$T/last.out")
  h=${h%%"$2"*}
  r=${r%%"$3"*}
  if [[ ${#h} -eq ${#r} ]]; then ok "$1"; else fail "$1: $2 at column ${#h}, $3 at ${#r}"; fi
}
# t ARGS: table output, expecting exit 0; j ARGS: the same with -o json
t() { expect_exit 0 "ctl $*" ctl "$@"; }
j() { expect_exit 0 "ctl -o json $*" ctlj "$@"; }
# refused "code" ARGS: exit 1, stderr "fabric-ctl: ...: CODE: ...", nothing on stdout (-o json)
refused() {
  local code=$1; shift
  expect_exit 1 "refused: $*" ctlj "$@"
  err "  $code" "fabric-ctl: [^:]+: $code: .+"
  no_out "  nothing on stdout"
}
# usage ARGS: exit 2, "fabric-ctl: ..." and the usage on stderr, nothing on stdout
usage() {
  expect_exit 2 "usage error: $*" ctl "$@"
  err "  message" "fabric-ctl: .+"
  if grep -q "^Usage: fabric-ctl" "$T/last.err"; then ok "  usage shown"; else fail "  no usage: $(cat "$T/last.err")"; fi
  no_out "  nothing on stdout"
}

started=$SECONDS
DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo
start_fabricd
wait_discovered
RFC3339='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
NIC_NAME='Intel Corporation 82599ES 10-Gigabit SFI/SFP\+ Network Connection'
VF_NAME='Intel Corporation 82599 Ethernet Controller Virtual Function'

# --- version ------------------------------------------------------------------------------
t version
row "version: fabric-ctl's" 'fabric-ctl [0-9]+\.[0-9]+\.[0-9]+'
row "version: fabricd's and the API level" 'fabricd [0-9]+\.[0-9]+\.[0-9]+ \(control API 1\)'
j version
jlast "version JSON" '.schema == 1 and .api == 1 and (.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")) and .client_version == .version'
expect_exit 0 "fabric-ctl --version needs no daemon" "$FABRIC_CTL" -s "$T/nowhere.sock" --version

# --- status and switches --------------------------------------------------------------------
t status
row "status: daemon line" "fabricd [0-9.]+, up [0-9]+s, state in $T/state"
row "status: binding counts" 'bindings: 0 \(0 bound, 0 binding, 0 unbinding, 0 detached\), 0 operations running'
has "status: chassis table header" '^CHASSIS +STATE +ENDPOINT +MODEL +SERIAL +FIRMWARE +CONNECTS +HOSTS +SLOTS +FUNCTIONS +LAST ERROR$'
row "status: demo is ready" "demo ready unix:$T/demo.sock mriov-sim MRS-4 DEMO-0001 switch-sim [0-9.]+ 1 4 4 166 -"
j status
jlast "status JSON" ".state_dir == \"$T/state\" and .bindings.total == 0 and .last_event_seq >= 1
  and .unexpected == [] and .chassis[0].state == \"ready\" and .chassis[0].discovered"
t switches
header "switches: header" "CHASSIS STATE ENDPOINT MODEL SERIAL FIRMWARE CONNECTS HOSTS SLOTS FUNCTIONS LAST ERROR"
row "switches: demo row" "demo ready unix:$T/demo.sock mriov-sim MRS-4 DEMO-0001 switch-sim [0-9.]+ 1 4 4 166 -"
lines "switches: one chassis" 2
j switches
jlast "switches JSON" '.switches | length == 1 and (.[0] | .chassis == "demo" and .serial == "DEMO-0001"
  and .connects == 1 and .hosts == 4 and .slots == 4 and .functions == 166 and .last_error == ""
  and (.boot_id | test("^[0-9a-f]+$")))'

# --- hosts, slots, cards -------------------------------------------------------------------
t hosts
header "hosts: header" "HOST CHASSIS PORT LINK WIDTH/SPEED BOUND/VPPBS"
row "hosts: web1" 'web1 demo 0 up x16 8GT/s 0/8'
row "hosts: web4" 'web4 demo 3 up x8 8GT/s 0/8'
lines "hosts: four" 5
j hosts --chassis demo
jlast "hosts JSON" '[.hosts[].host] == ["web1","web2","web3","web4"] and .hosts[2].width == 8
  and all(.hosts[]; .link == "up" and .vppbs == 8 and .bound == 0 and .usp_bus == 1)'
refused no-such-chassis hosts --chassis nope
t slots
header "slots: header" "CHASSIS SLOT LABEL PRESENT POWER LINK ATTENTION FAULT CARD"
row "slots: slot 1 holds nic0" 'demo 1 Slot 1 \(x8\) yes on up off none nic0'
row "slots: slot 4 holds nvme0" 'demo 4 Slot 4 \(x4, NVMe\) yes on up off none nvme0'
j slots
jlast "slots JSON" '[.slots[].card] == ["nic0","fc0","raid0","nvme0"] and .slots[3].label == "Slot 4 (x4, NVMe)"
  and all(.slots[]; .present and .power and .link_active and (.power_fault | not) and .attention == "off")'
t cards
header "cards: header" "CARD CHASSIS SLOT SHARING IDS PFS VFS SERIAL NAME"
row "cards: nic0, SR-IOV, no VFs yet, named from pci.ids" \
  "nic0 demo 1 sr-iov 8086:10fb 2 0/128 00-1b-21-ff-ff-2b-46-e0 $NIC_NAME"
row "cards: fc0, exclusive, no VFs" 'fc0 demo 2 exclusive 10df:e200 2 - [0-9a-f-]{23} Emulex Corporation .*Fibre Channel.*'
aligned "cards: NAME column aligned" NAME "Intel Corporation 82599ES"
j cards
jlast "cards JSON" '[.cards[].card] == ["nic0","fc0","raid0","nvme0"]
  and (.cards[0] | .sharing == "sr-iov" and .vendor == "8086" and .device == "10fb" and .class == "0200"
       and .vendor_name == "Intel Corporation" and (.device_name | test("82599"))
       and [.pfs[] | .total_vfs, .num_vfs] == [64, 0, 64, 0] and .pfs[0].vf_device == "10ed")
  and (.cards[1] | .sharing == "exclusive" and .class_name == "Fibre Channel")
  and (.cards[3] | .vendor_name == "Samsung Electronics Co Ltd" and .pfs[0].total_vfs == 32)'

# --- functions and each filter --------------------------------------------------------------
t functions
header "functions: header" "FUNCTION KIND IDS ENABLED STATE HOST VPPB HOST BDF NAME"
lines "functions: 166 and the header" 167
row "functions: a disabled VF with its pci.ids name" "nic0/pf0/vf7 vf 8086:10ed no free - - - $VF_NAME"
j functions
jlast "functions JSON: 166, all free" '.functions | length == 166 and all(.[]; .state == "free" and (.host == null))'
t functions --card fc0
lines "functions --card fc0: two PFs" 3
row "functions --card fc0: pf1" 'fc0/pf1 pf 10df:e200 yes free - - - Emulex Corporation .*'
j functions --card fc0
jlast "functions --card JSON" '[.functions[].function] == ["fc0/pf0","fc0/pf1"] and all(.functions[]; .kind == "pf" and (has("vf") | not))'
t functions --enabled
lines "functions --enabled: the 6 PFs" 7
j functions --enabled
jlast "functions --enabled JSON" '[.functions[].function] == ["nic0/pf0","nic0/pf1","fc0/pf0","fc0/pf1","raid0/pf0","nvme0/pf0"]'
j functions --free
jlast "functions --free JSON" '.functions | length == 166'
t functions --host web1
header "functions --host web1: the header..." "FUNCTION KIND IDS ENABLED STATE HOST VPPB HOST BDF NAME"
lines "  ...alone while nothing is bound" 1
j functions --host web1
jlast "functions --host JSON: empty" '.functions == []'
j functions --chassis demo --card nvme0
jlast "functions --chassis --card JSON" '.functions | length == 33 and .[1].function == "nvme0/pf0/vf0"'
refused no-such-host functions --host web9
refused no-such-chassis functions --chassis nope
refused no-such-card functions --card nic9

# --- functions on the wire: pages of `limit`, a cursor to go on with -------------------------
rpc() { printf '%s\n' "$@" >"$T/rpc.in"; "$SOCKPOKE" "$T/fabricd.sock" echo "$T/rpc.in" >"$T/last.out"; }
rpc '{"jsonrpc":"2.0","id":1,"method":"functions"}'
jlast "functions wire: the default page is 128, with a next" \
  '(.result.functions | length == 128) and (.result.next | type == "string")'
cursor=""; : >"$T/paged.names"; pages=0
while [[ $pages -lt 100 ]]; do
  rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"functions\",\"params\":{\"limit\":50$cursor}}"
  jq -r '.result.functions[].function' "$T/last.out" >>"$T/paged.names"
  pages=$((pages + 1))
  next=$(jq -c '.result.next' "$T/last.out")
  [[ $next == null ]] && break
  cursor=",\"after\":$next"
done
if [[ $pages -eq 4 && $(sort -u "$T/paged.names" | wc -l) -eq 166 ]]; then
  ok "functions wire: 166 in 4 pages of 50, none twice"
else
  fail "functions wire: $pages pages, $(wc -l <"$T/paged.names") names"
fi
if ctlj functions | jq -r '.functions[].function' | cmp -s - "$T/paged.names"; then
  ok "functions wire: the pages in the order of the listing"
else
  fail "functions wire: the pages' order differs from fabric-ctl functions"
fi
rpc '{"jsonrpc":"2.0","id":1,"method":"functions","params":{"limit":257}}' \
  '{"jsonrpc":"2.0","id":2,"method":"functions","params":{"after":"1.x"}}'
if jq -se '[.[].error.data] == [{"code":"bad-params","param":"limit"},{"code":"bad-params","param":"after"}]' \
  "$T/last.out" >/dev/null; then
  ok "functions wire: a limit over 256 and a bad cursor are bad-params"
else
  fail "functions wire: limit/after checks: $(head -c 600 "$T/last.out")"
fi

# --- assign: dry run, real, already so, refused, --any -------------------------------------
t assign nic0/pf0/vf3 web1 --dry-run
same "assign --dry-run: the plan" "would assign nic0/pf0/vf3 to web1:
  set-num-vfs pf=nic0/pf0 num_vfs=64
  bind host=web1"
j assign --dry-run nic0/pf0/vf3 web1
jlast "assign --dry-run JSON" '.dry_run and .changed and .state == "free" and .host == "web1"
  and .actions == [{"action":"set-num-vfs","pf":"nic0/pf0","num_vfs":64},{"action":"bind","host":"web1"}]'
j show nic0/pf0/vf3
jlast "dry run changed nothing" '.function.state == "free" and (.function.enabled | not)'

# events --follow (table, no --since): connects, waits, SIGINT ends it with 0
wait_for "only our own control connection" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json status | jq -e '.connections == 1'"
"$FABRIC_CTL" -s "$T/fabricd.sock" events --follow >"$T/follow0.out" 2>"$T/follow0.err" &
FOLLOW_PID=$!
wait_for "events --follow connected" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json status | jq -e '.connections == 2'"
kill -INT "$FOLLOW_PID"
rc=0; wait "$FOLLOW_PID" || rc=$?
check "events --follow, idle: SIGINT exits 0" test "$rc" -eq 0
check "events --follow, idle: printed nothing" test ! -s "$T/follow0.out" -a ! -s "$T/follow0.err"

# events --follow -o json runs in the background over the assigns below; --since the current
# last event, so that none is missed however late the subscription lands
j status
LAST0=$(jq .last_event_seq "$T/last.out")
"$FABRIC_CTL" -s "$T/fabricd.sock" -o json events --follow --since "$LAST0" >"$T/follow.out" 2>"$T/follow.err" &
FOLLOW_PID=$!

t assign nic0/pf0/vf3 web1
same "assign: what was done" "assigned nic0/pf0/vf3 to web1 (vPPB 0, host BDF 03:00.0)
  set-num-vfs pf=nic0/pf0 num_vfs=64
  bind host=web1"
t assign nic0/pf0/vf3 web1
same "assign again: nothing to do, exit 0" \
  "nic0/pf0/vf3 is already assigned to web1 (vPPB 0, host BDF 03:00.0): nothing to do"
j assign nic0/pf0/vf3 web1
jlast "assign again JSON" '.changed == false and .state == "bound" and .vppb == 0 and .host_bdf == "03:00.0" and .actions == []'
refused function-busy assign nic0/pf0/vf3 web2
err "function-busy names the holder" \
  "fabric-ctl: cannot assign nic0/pf0/vf3 to web2: function-busy: nic0/pf0/vf3 is bound to web1 since $RFC3339"
expect_exit 1 "table refusal too" ctl assign nic0/pf0/vf3 web2
refused sharing-mode assign nic0/pf0 web2
refused no-such-host assign nic0/pf0/vf4 web9
t assign --any nvme0 web3 --dry-run
same "assign --any --dry-run: picks the first VF" "would assign nvme0/pf0/vf0 to web3:
  set-num-vfs pf=nvme0/pf0 num_vfs=32
  bind host=web3"
j assign --any nvme0 web3
jlast "assign --any JSON" '.function == "nvme0/pf0/vf0" and .host == "web3" and .state == "bound" and .changed and (.dry_run | not)'
t assign fc0/pf0 web2
same "assign an exclusive card" "assigned fc0/pf0 to web2 (vPPB 0, host BDF 03:00.0)
  bind host=web2"
# this one by hand, to find its pid in the audit log
"$FABRIC_CTL" -s "$T/fabricd.sock" assign raid0/pf0 web4 >"$T/last.out" 2>"$T/last.err" &
RAID_PID=$!
rc=0; wait "$RAID_PID" || rc=$?
check "assign raid0/pf0 web4" test "$rc" -eq 0

# --- events --follow saw them; SIGINT ends it with 0 --------------------------------------
wait_for "the follower prints raid0's function-assigned" grep -q '"raid0/pf0"' "$T/follow.out"
kill -INT "$FOLLOW_PID"
rc=0; wait "$FOLLOW_PID" || rc=$?
check "events --follow: SIGINT exits 0" test "$rc" -eq 0
check "events --follow: nothing on stderr" test ! -s "$T/follow.err"
check "events --follow: one compact JSON object per line" \
  sh -c "jq -c . '$T/follow.out' | cmp -s - '$T/follow.out'"
check "events --follow: function-assigned nic0/pf0/vf3 -> web1 arrived" jq -e -s \
  'any(.[]; .event == "function-assigned" and .function == "nic0/pf0/vf3" and .host == "web1"
       and .vppb == 0 and .chassis == "demo" and .detail.host_bdf == "03:00.0")' "$T/follow.out"
check "events --follow: in sequence order from --since on, all four assigns" jq -e -s \
  "[.[] | select(.event == \"function-assigned\") | .function] == [\"nic0/pf0/vf3\",\"nvme0/pf0/vf0\",\"fc0/pf0\",\"raid0/pf0\"]
   and [.[].seq] == [range($LAST0 + 1; $LAST0 + 1 + length)]" "$T/follow.out"

# --- the inventory now shows the bindings ---------------------------------------------------
t functions --host web1
lines "functions --host web1: one" 2
row "functions --host web1: bound, with vPPB and host BDF" "nic0/pf0/vf3 vf 8086:10ed yes bound web1 0 03:00.0 $VF_NAME"
aligned "functions: HOST column aligned" HOST web1
aligned "functions: HOST BDF column aligned" "HOST BDF" 03:00.0
j functions --host web2
jlast "functions --host web2: the exclusive card's two PFs" \
  '[.functions[] | [.function, .host_bdf]] == [["fc0/pf0","03:00.0"],["fc0/pf1","03:00.1"]]'
j functions --enabled --card nic0
jlast "functions --enabled --card: NumVFs raised on pf0 only" '.functions | length == 66'
j functions --free --card nvme0
jlast "functions --free --card: vf0 taken" '.functions | length == 32 and all(.[]; .function != "nvme0/pf0/vf0")'
t hosts
row "hosts: web1 has one bound" 'web1 demo 0 up x16 8GT/s 1/8'
t cards
row "cards: nic0 has 64 of 128 VFs enabled" "nic0 demo 1 sr-iov 8086:10fb 2 64/128 .*"
t status
row "status: four bindings" 'bindings: 4 \(4 bound, 0 binding, 0 unbinding, 0 detached\), 0 operations running'

# --- show: function, host, card -------------------------------------------------------------
t show nic0/pf0/vf3
row "show function: state" 'state bound'
row "show function: host" 'host web1'
row "show function: host bdf" 'host bdf 03:00.0'
row "show function: kind" 'kind vf \(pf 0, vf 3\)'
row "show function: pci.ids name" 'device 82599 Ethernet Controller Virtual Function'
row "show function: since" "since $RFC3339"
j show nic0/pf0/vf3
jlast "show function JSON" '.type == "function" and (.function | .function == "nic0/pf0/vf3" and .pf == 0 and .vf == 3
  and .kind == "vf" and .enabled and .host == "web1" and .vppb == 0 and .host_bdf == "03:00.0" and .slot == 1
  and .rid == "02:10.6")'
t show web1
row "show host: vPPBs" 'vppbs 8 \(1 bound\)'
row "show host: link" 'link up'
has "show host: bound functions" '^bound functions:$'
row "show host: the bound VF" "nic0/pf0/vf3 vf 8086:10ed yes bound web1 0 03:00.0 $VF_NAME"
j show web1
jlast "show host JSON" '.type == "host" and .host.host == "web1" and .host.bound == 1 and [.functions[].function] == ["nic0/pf0/vf3"]'
t show nic0
row "show card: sharing" 'sharing sr-iov'
row "show card: serial" 'serial 00-1b-21-ff-ff-2b-46-e0'
row "show card: PF table header" 'PF DEVICE VFS TOTAL VFS VF DEVICE'
row "show card: pf0 has 64 VFs enabled" '0 10fb 64 64 10ed'
row "show card: pf1 none" '1 10fb 0 64 10ed'
row "show card: the bound VF among its functions" "nic0/pf0/vf3 vf 8086:10ed yes bound web1 0 03:00.0 .*"
j show nic0
jlast "show card JSON" '.type == "card" and .card.card == "nic0" and .card.pfs[0].num_vfs == 64 and (.functions | length == 130)'
refused no-such-function show web9

# --- vh and lspci -----------------------------------------------------------------------------
t vh web1
row "vh: first line" 'web1 chassis demo, port 0, link up'
has "vh: upstream bridge named from pci.ids" '^01:00\.0  upstream bridge  PCI bridge: PLX Technology'
row "vh: vPPB 0 bound" '\+- 02:00\.0 vPPB 0 bus 03 bound, link up'
row "vh: the VF behind it" "\| \\\\- 03:00\.0 nic0/pf0/vf3 \[8086:10ed\] $VF_NAME"
row "vh: last vPPB empty" '\\- 02:07\.0 vPPB 7 bus 1f empty'
j vh web1
jlast "vh JSON" '.host == "web1" and .usp.bdf == "01:00.0" and (.vppbs | length == 8)
  and (.vppbs[0] | .state == "bound" and .presence and .link_active and .secondary_bus == 3 and .function.function == "nic0/pf0/vf3")
  and all(.vppbs[1:][]; .state == "unbound" and .function == null)'
refused no-such-host vh web9

ctl lspci web1 | lspci -F /dev/stdin -nn >"$T/last.out" 2>"$T/last.err"
check "lspci web1 | lspci -F: both succeed" test "${PIPESTATUS[*]}" = "0 0"
row "lspci -F decodes the VF by name" "03:00\.0 Ethernet controller \[0200\]: $VF_NAME \[8086:10ed\].*"
row "lspci -F decodes the upstream bridge" '01:00\.0 PCI bridge \[0604\]: PLX Technology.*'
lines "lspci -F: the bridge, 8 vPPBs and the VF" 10
ctl lspci web2 | lspci -F /dev/stdin >"$T/last.out" 2>"$T/last.err"
row "lspci -F: web2 sees fc0's second PF" '03:00\.1 Fibre Channel: Emulex Corporation .*'
ctl lspci web1 >"$T/web1.lspci"
j lspci web1
check "lspci -o json: .dump is the text" sh -c "jq -j .dump '$T/last.out' | cmp -s - '$T/web1.lspci'"
jlast "lspci JSON: host" '.host == "web1"'
refused no-such-host lspci web9

# --- topology --------------------------------------------------------------------------------
t topology --format tree
row "topology: chassis line" 'chassis demo ready mriov-sim MRS-4'
row "topology: host web1" '\| \+- web1 port 0 link up x16 8GT/s 1/8 vPPBs bound'
row "topology: slot 1 with its card named from pci.ids" \
  "\+- slot 1 \"Slot 1 \(x8\)\" nic0 intel-82599 sr-iov \[8086:10fb\] $NIC_NAME"
row "topology: the binding under its card" '\| \\- nic0/pf0/vf3 -> web1 vPPB 0 bound'
row "topology: the exclusive card's binding" '\| \\- fc0/pf0 -> web2 vPPB 0 bound'
ctl topology --format dot >"$T/fabric.dot"
dot -Tsvg "$T/fabric.dot" >"$T/last.out" 2>"$T/last.err"
check "topology --format dot: dot -Tsvg accepts it" test $? -eq 0 -a ! -s "$T/last.err"
check "the SVG starts with <?xml or <svg" grep -qE '^(<\?xml|<svg)' <(head -n1 "$T/last.out")
check "the SVG is complete" grep -q '</svg>' "$T/last.out"
for card in nic0 fc0 raid0 nvme0 web1 web4; do
  check "the SVG names $card" grep -q ">$card</text>" "$T/last.out"
done
check "the SVG labels a binding edge" grep -q '>nic0/pf0/vf3</text>' "$T/last.out"
j topology --format dot
jlast "topology -o json ignores --format" '.chassis[0] | .chassis == "demo" and .state == "ready"
  and ([.hosts[].host] | length == 4) and ([.cards[].card] == ["nic0","fc0","raid0","nvme0"])
  and (.bindings | map([.function, .host, .state]) | sort) ==
      [["fc0/pf0","web2","bound"],["nic0/pf0/vf3","web1","bound"],["nvme0/pf0/vf0","web3","bound"],["raid0/pf0","web4","bound"]]'

# --- unassign: dry run, managed, already free, surprise, timeout, force -------------------
t unassign nic0/pf0/vf3 --dry-run
same "unassign --dry-run: the plan" "would unassign nic0/pf0/vf3 from web1:
  unbind mode=managed"
j unassign nic0/pf0/vf3 --surprise --dry-run
jlast "unassign --surprise --dry-run JSON" '.dry_run and .state == "bound" and .host == "web1"
  and .actions == [{"action":"unbind","mode":"surprise"}]'
j show nic0/pf0/vf3
jlast "dry run left it bound" '.function.state == "bound"'
t unassign nic0/pf0/vf3
same "managed unassign" "unassigned nic0/pf0/vf3 from web1 (vPPB 0)
  unbind mode=managed"
t unassign nic0/pf0/vf3
same "unassign again: nothing to do, exit 0" "nic0/pf0/vf3 is not assigned: nothing to do"
j unassign nic0/pf0/vf3
jlast "unassign again JSON" '.changed == false and .state == "free" and .actions == []'
j unassign nvme0/pf0/vf0 --surprise
jlast "surprise unassign JSON" '.state == "free" and .changed and .host == "web3" and .actions == [{"action":"unbind","mode":"surprise"}]'
bench demo host web2 ignore >/dev/null
refused timeout unassign fc0/pf0 --timeout 1
err "timeout message" 'fabric-ctl: cannot unassign fc0/pf0: timeout: host web2 did not release fc0/pf0 within 1000 ms.*'
j show fc0/pf0
jlast "after the timeout it is still bound" '.function.state == "bound" and .function.host == "web2"'
t unassign fc0/pf0 --timeout 1 --force
same "--force: managed, then surprise" "unassigned fc0/pf0 from web2 (vPPB 0)
  unbind mode=managed
  unbind mode=surprise"
j functions --host web2
jlast "web2 holds nothing now" '.functions == []'
refused no-such-function unassign nic9/pf0

# --- events ----------------------------------------------------------------------------------
t events
header "events: header" "SEQ TIME EVENT DETAILS"
row "events: switch-connected" " *[0-9]+ $RFC3339 switch-connected chassis=demo"
row "events: function-assigned with its details" \
  " *[0-9]+ $RFC3339 function-assigned chassis=demo slot=1 card=nic0 function=nic0/pf0/vf3 host=web1 vppb=0 host_bdf=03:00\.0"
row "events: function-unassigned, managed" \
  " *[0-9]+ $RFC3339 function-unassigned chassis=demo slot=1 card=nic0 function=nic0/pf0/vf3 host=web1 vppb=0 detail=managed"
j events
jlast "events JSON" '.last_seq == .events[-1].seq and ([.events[].seq] | . == sort)
  and any(.events[]; .event == "function-unassigned" and .function == "nvme0/pf0/vf0" and .detail == "surprise")'
LAST=$(jq .last_seq "$T/last.out")
j events --since $((LAST - 2))
jlast "events --since: the two after SEQ" "[.events[].seq] == [$((LAST - 1)), $LAST] and .last_seq == $LAST"
t events --since "$LAST"
lines "events --since the last: only the header" 1
j events --limit 1
jlast "events --limit 1: the last one" "[.events[].seq] == [$LAST]"

# --- audit -----------------------------------------------------------------------------------
t audit
header "audit: header" "TIME UID GID PID METHOD RESULT PARAMS MESSAGE"
row "audit: the assign, ok" "$RFC3339 $(id -u) $(id -g) [0-9]+ assign ok function=nic0/pf0/vf3 host=web1 -"
row "audit: the refused assign with its code" \
  "$RFC3339 $(id -u) $(id -g) [0-9]+ assign function-busy function=nic0/pf0/vf3 host=web2 nic0/pf0/vf3 is bound to web1 since $RFC3339"
row "audit: the unassign that timed out" \
  "$RFC3339 [0-9]+ [0-9]+ [0-9]+ unassign timeout function=fc0/pf0 timeout_ms=1000 host web2 did not release .*"
j audit
jlast "audit JSON: each assign made, ok, with the caller" "
  ([.audit[] | select(.method == \"assign\" and .result == \"ok\" and (.params.dry_run | not)) | .params.function // .params.card]
   | contains([\"nic0/pf0/vf3\", \"nvme0\", \"fc0/pf0\", \"raid0/pf0\"]))
  and any(.audit[]; .pid == $RAID_PID and .params.function == \"raid0/pf0\" and .result == \"ok\" and .uid == $(id -u))
  and any(.audit[]; .result == \"function-busy\" and .params.host == \"web2\" and (.message | test(\"bound to web1\")))
  and any(.audit[]; .result == \"sharing-mode\" and .params.function == \"nic0/pf0\")
  and any(.audit[]; .method == \"unassign\" and .params.force and .result == \"ok\")
  and all(.audit[]; .time | test(\"^$RFC3339\$\"))"
j audit --since 2999-01-01T00:00:00Z
jlast "audit --since the future: nothing" '.audit == []'
j audit --since 0 --limit 2
jlast "audit --limit 2" '.audit | length == 2 and .[0].params.dry_run'

# --- usage errors: exit 2, whatever the daemon ----------------------------------------------
usage frobnicate
usage assign nic0/pf0/vf3
usage assign --any nic0
usage unassign nic0/pf0/vf3 --timeout 0
usage functions --bogus
usage topology --format svg
usage events --follow --limit 3
usage events --since -1
usage audit --since yesterday
usage show
usage vh web1 web2
usage -o yaml status

# --- a frozen fabricd: no answer in --timeout, exit 3 -----------------------------------------
kill -STOP "$FABRICD_PID"
expect_exit 3 "frozen fabricd: status" ctl --timeout 0.3 status
err "  no answer message" "fabric-ctl: cannot get fabricd's status: no answer from fabricd within 0\.3 s \(--timeout\)"
expect_exit 3 "frozen fabricd: assign" ctlj --timeout 0.3 assign nic0/pf0/vf1 web1
no_out "  nothing on stdout"
kill -CONT "$FABRICD_PID"
t status

# --- a stopped fabricd: exit 3 --------------------------------------------------------------
"$FABRIC_CTL" -s "$T/fabricd.sock" events --follow --since 0 >"$T/follow2.out" 2>"$T/follow2.err" &
FOLLOW_PID=$!
wait_for "events --follow --since 0 replays the log" grep -q "function-unassigned" "$T/follow2.out"
kill -TERM "$FABRICD_PID"
rc=0; wait "$FABRICD_PID" || rc=$?
check "fabricd exits 0 on SIGTERM (no leak under ASan)" test "$rc" -eq 0
rc=0; wait "$FOLLOW_PID" || rc=$?
check "events --follow: fabricd going away is exit 3" test "$rc" -eq 3
check "events --follow: says so" grep -q "^fabric-ctl: following events: " "$T/follow2.err"
check "events --follow --since 0: replayed from the first event, as a table" \
  grep -qE "^ +1  $RFC3339  switch-connected +chassis=demo$" "$T/follow2.out"
expect_exit 3 "stopped fabricd: status" ctl status
err "  cannot connect" "fabric-ctl: cannot get fabricd's status: cannot connect to $T/fabricd\.sock: No such file or directory"
no_out "  nothing on stdout"
expect_exit 3 "stopped fabricd: hosts -o json" ctlj hosts
err "  cannot connect" "fabric-ctl: cannot list the hosts: cannot connect to $T/fabricd\.sock: .*"
no_out "  nothing on stdout"
expect_exit 3 "stopped fabricd: assign" ctl assign nic0/pf0/vf1 web1
err "  cannot connect" "fabric-ctl: cannot assign nic0/pf0/vf1 to web1: cannot connect to .*"
expect_exit 3 "stopped fabricd: events --follow" ctl events --follow
usage assign
kill -TERM "$SIM_PID_demo"
rc=0; wait "$SIM_PID_demo" || rc=$?
check "switch-sim exits 0 on SIGTERM" test "$rc" -eq 0
# --- hostile text from a real chassis is printed escaped (issue 18) ------------------------
# The chassis file's free text (model, serial, slot labels) travels switch-sim -> FMP ->
# fabricd -> JSON-RPC -> fabric-ctl; ESC, CR, LF, BEL and U+202E come out as \e \r \n \a
# \u202e, one line per row, the JSON exact.
sed -e 's|^model: .*|model: "M\\e[2J\\rX\\u202e"|' -e 's|^serial: .*|serial: "S\\a1"|' \
    -e 's|label: "Slot 1 (x8)"|label: "Slot 1\\ndemo  2  forged  yes\\e]0;pwned\\a"|' \
    -e "s|^profiles: .*|profiles: $SOURCE_DIR/configs/profiles|" "$DEMO" >"$T/evil.yaml"
start_sim evil "$T/evil.yaml"
write_fabric_yaml demo evil
start_fabricd
wait_discovered
raw_free() { ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$@" && ! grep -qF $'\u202e' "$@"; }
t slots
lines "hostile label: slots has one line a slot" 5
has "hostile label: escaped in its cell" '^demo +1  Slot 1\\ndemo  2  forged  yes\\e\]0;pwned\\a  yes '
aligned "hostile label: the columns after it line up on the escaped text" CARD nic0
check "hostile label: no raw control or bidi byte" raw_free "$T/last.out"
t switches
lines "hostile model: switches has one chassis" 2
has "hostile model and serial escaped" ' M\\e\[2J\\rX\\u202e +S\\a1 '
check "hostile model: no raw control or bidi byte" raw_free "$T/last.out"
t topology
has "hostile label and model escaped in the tree" '^chassis demo  ready  M\\e\[2J\\rX\\u202e$'
check "topology: no raw control or bidi byte" raw_free "$T/last.out"
j slots
jlast "hostile label: JSON keeps it exactly" '.slots[0].label == "Slot 1\ndemo  2  forged  yes\u001b]0;pwned\u0007"'
j switches
jlast "hostile model: JSON keeps it exactly" '.switches[0].model == "M\u001b[2J\rX\u202e"'
expect_exit 0 "the bench's status" bench evil status
has "bench status: the model escaped" '^chassis demo model M\\e\[2J\\rX\\u202e serial S\\a1 boot_id '
check "bench status: no raw control or bidi byte" raw_free "$T/last.out"
kill -TERM "$FABRICD_PID" "$SIM_PID_evil"
wait "$FABRICD_PID" "$SIM_PID_evil" || true

check "no sanitizer report in the logs" sh -c "! grep -lE 'Sanitizer|runtime error' '$T'/*.log"
echo "took $((SECONDS - started)) s"
finish
