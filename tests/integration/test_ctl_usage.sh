#!/usr/bin/env bash
# fabric-ctl without a fabric: usage (2), --help, unreachable/bad daemons (3), refusals (1), and
# every command's table and JSON from canned results fake-fabricd serves (shapes of api.c).
set -u

CTL=${FABRIC_CTL:-}
FAKE=${FAKE_FABRICD:-}
if [[ -z "$CTL" || -z "$FAKE" ]]; then
  echo "FABRIC_CTL and FAKE_FABRICD must name the built programs"
  exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ctl-usage.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
export FABRIC_SOCKET="$T/no-such.sock" # never the operator's real daemon

failures=0
what=""
begin() { what=$1; }
fail() {
  printf 'FAIL: %s: %b\n' "$what" "$1"
  failures=$((failures + 1))
}
# run ARGS...: fabric-ctl with a bounded wait; sets rc, stdout in $T/out, stderr in $T/err
run() {
  "$CTL" --timeout 10 "$@" >"$T/out" 2>"$T/err"
  rc=$?
}
want_rc() {
  [[ $rc -eq $1 ]] || fail "exit $rc, want $1; stderr: $(head -c 600 "$T/err")"
}
# want_out <<'X' ... X: stdout is exactly the here-document
want_out() {
  diff -u - "$T/out" >"$T/diff" || fail "stdout differs:\n$(cat "$T/diff")"
}
want_out_has() {
  grep -qF -- "$1" "$T/out" || fail "stdout lacks '$1':\n$(head -c 2000 "$T/out")"
}
want_no_out() {
  [[ ! -s "$T/out" ]] || fail "unexpected stdout: $(head -c 300 "$T/out")"
}
want_err() {
  grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(head -c 600 "$T/err")"
}
want_err_is() {
  [[ "$(cat "$T/err")" == "$1" ]] || fail "stderr is '$(cat "$T/err")', want '$1'"
}
# want_json DOC: stdout is one JSON document equal (by value) to DOC
want_json() {
  "$FAKE" --json-equal "$T/out" <(printf '%s' "$1") 2>"$T/jerr" ||
    fail "JSON output differs: $(cat "$T/jerr")"
}
# fake <<'X' SCRIPT X: starts fake-fabricd playing SCRIPT; sets SOCK and LOG
n=0
fake() {
  n=$((n + 1))
  SOCK="$T/f$n.sock"
  LOG="$T/f$n.log"
  : >"$LOG"
  cat >"$T/f$n.script"
  local pid
  pid=$("$FAKE" -l "$LOG" "$SOCK" "$T/f$n.script") || { echo "fake-fabricd did not start"; exit 1; }
  pids+=("$pid")
}
# want_log LINE: the fake received this request ("METHOD PARAMS")
want_log() {
  grep -qxF -- "$1" "$LOG" || fail "fake-fabricd did not get '$1'; it got: $(cat "$LOG")"
}
# served METHOD RESULT ARGS...: one request answered with RESULT, then run ARGS
served() {
  local method=$1 result=$2
  shift 2
  fake < <(printf 'expect %s\nreply %s\n' "$method" "$result")
  run -s "$SOCK" "$@"
}

COMMANDS=(status switches hosts slots cards functions show assign unassign vh lspci events
          topology audit hooks version)

# Canned daemon results in the shapes manager/api.c produces.
FN_VF3='{"function":"nic0/pf0/vf3","chassis":"demo","card":"nic0","slot":1,"pf":0,"vf":3,"kind":"vf","vendor":"8086","device":"10ed","vendor_name":"Intel Corporation","device_name":"82599 Ethernet Controller Virtual Function","class":"0200","class_name":"Ethernet controller","enabled":true,"state":"bound","host":"web1","vppb":0,"host_bdf":"03:00.0","since":"2026-11-25T03:40:12Z"}'
FN_PF0='{"function":"nic0/pf0","chassis":"demo","card":"nic0","slot":1,"pf":0,"kind":"pf","vendor":"8086","device":"10fb","vendor_name":"Intel Corporation","device_name":"82599ES 10-Gigabit SFI/SFP+ Network Connection","class":"0200","class_name":"Ethernet controller","enabled":true,"state":"free"}'
FN_VF9='{"function":"nic0/pf0/vf9","chassis":"demo","card":"nic0","slot":1,"pf":0,"vf":9,"kind":"vf","vendor":"8086","device":"10ed","vendor_name":"Intel Corporation","device_name":"82599 Ethernet Controller Virtual Function","class":"0200","class_name":"Ethernet controller","enabled":false,"state":"free"}'
FN_HBA='{"function":"hba0/pf0","chassis":"demo","card":"hba0","slot":2,"pf":0,"kind":"pf","vendor":"1077","device":"2261","vendor_name":"QLogic Corp.","device_name":"ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter","class":"0c04","class_name":"Fibre Channel","enabled":true,"state":"detached","host":"web2","vppb":1,"since":"2026-11-25T03:41:00Z"}'
FUNCTIONS="{\"schema\":1,\"functions\":[$FN_PF0,$FN_VF3,$FN_VF9,$FN_HBA]}"
HOST_WEB1='{"host":"web1","chassis":"demo","port":0,"switch_name":"web1","link":"up","width":16,"speed":"16GT/s","vppbs":8,"bound":1,"usp_bus":1}'
HOST_WEB2='{"host":"web2","chassis":"demo","port":1,"switch_name":"web2","link":"down","width":0,"speed":"unknown","vppbs":8,"bound":0,"usp_bus":1}'
HOSTS="{\"schema\":1,\"hosts\":[$HOST_WEB1,$HOST_WEB2]}"
SLOT1='{"chassis":"demo","slot":1,"label":"Slot 1","present":true,"power":true,"link_active":true,"power_fault":false,"attention":"off","card":"nic0"}'
SLOT2='{"chassis":"demo","slot":2,"label":"Slot 2","present":true,"power":true,"link_active":false,"power_fault":true,"attention":"blink","card":"hba0"}'
SLOT3='{"chassis":"demo","slot":3,"label":"Slot 3","present":false,"power":false,"link_active":false,"power_fault":false,"attention":"off"}'
SLOTS="{\"schema\":1,\"slots\":[$SLOT1,$SLOT2,$SLOT3]}"
CARD_NIC='{"card":"nic0","chassis":"demo","slot":1,"profile":"intel-82599","sharing":"sr-iov","vendor":"8086","device":"10fb","vendor_name":"Intel Corporation","device_name":"82599ES 10-Gigabit SFI/SFP+ Network Connection","class":"0200","class_name":"Ethernet controller","serial":"00-1b-21-ff-ff-2b-46-e0","pfs":[{"pf":0,"device":"10fb","total_vfs":64,"num_vfs":4,"vf_device":"10ed"},{"pf":1,"device":"10fb","total_vfs":64,"num_vfs":0,"vf_device":"10ed"}],"present":true}'
CARD_HBA='{"card":"hba0","chassis":"demo","slot":2,"profile":"qlogic-qle2692","sharing":"exclusive","vendor":"1077","device":"2261","vendor_name":"QLogic Corp.","device_name":"ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter","class":"0c04","class_name":"Fibre Channel","serial":"00-0e-1e-00-00-00-00-01","pfs":[{"pf":0,"device":"2261","total_vfs":0,"num_vfs":0},{"pf":1,"device":"2261","total_vfs":0,"num_vfs":0}],"present":true}'
CARDS="{\"schema\":1,\"cards\":[$CARD_NIC,$CARD_HBA]}"
SWITCH='{"chassis":"demo","endpoint":"unix:/run/mriov-fabric/demo.sock","state":"ready","discovered":true,"connects":2,"last_error":"","model":"MRS-9000","serial":"SIM-0001","firmware":"1.2.0","boot_id":"00000000deadbeef","hosts":4,"slots":4,"functions":133}'
SWITCHES="{\"schema\":1,\"switches\":[$SWITCH]}"
STATUS="{\"schema\":1,\"version\":\"0.1.0\",\"uptime_s\":93784,\"state_dir\":\"/var/lib/mriov-fabric\",\"chassis\":[$SWITCH],\"bindings\":{\"total\":2,\"binding\":0,\"bound\":1,\"unbinding\":0,\"detached\":1},\"operations\":0,\"last_event_seq\":42,\"connections\":1,\"unexpected\":[{\"chassis\":\"demo\",\"host\":\"web3\",\"vppb\":2,\"function\":\"nic0/pf1\",\"action\":\"removed\"}]}"
SHOW_FN="{\"schema\":1,\"type\":\"function\",\"function\":$FN_VF3}"
SHOW_HOST="{\"schema\":1,\"type\":\"host\",\"host\":$HOST_WEB1,\"functions\":[$FN_VF3]}"
SHOW_CARD="{\"schema\":1,\"type\":\"card\",\"card\":$CARD_HBA,\"functions\":[$FN_HBA]}"
ASSIGN_DONE='{"schema":1,"function":"nic0/pf0/vf3","host":"web1","vppb":0,"host_bdf":"03:00.0","state":"bound","changed":true,"dry_run":false,"actions":[{"action":"set-num-vfs","pf":"nic0/pf0","num_vfs":64},{"action":"bind","host":"web1"}]}'
ASSIGN_SAME='{"schema":1,"function":"nic0/pf0/vf3","host":"web1","vppb":0,"host_bdf":"03:00.0","state":"bound","changed":false,"dry_run":false,"actions":[]}'
ASSIGN_DRY='{"schema":1,"function":"nic0/pf0/vf3","host":"web1","state":"free","changed":true,"dry_run":true,"actions":[{"action":"set-num-vfs","pf":"nic0/pf0","num_vfs":64},{"action":"bind","host":"web1"}]}'
UNASSIGN_DONE='{"schema":1,"function":"nic0/pf0/vf3","host":"web1","vppb":0,"state":"free","changed":true,"dry_run":false,"actions":[{"action":"unbind","mode":"managed"}]}'
UNASSIGN_SAME='{"schema":1,"function":"nic0/pf0/vf3","state":"free","changed":false,"dry_run":false,"actions":[]}'
UNASSIGN_DRY='{"schema":1,"function":"nic0/pf0/vf3","host":"web1","vppb":0,"state":"bound","changed":true,"dry_run":true,"actions":[{"action":"unbind","mode":"surprise"}]}'
VH="{\"schema\":1,\"host\":\"web1\",\"chassis\":\"demo\",\"port\":0,\"link\":\"up\",\"usp\":{\"bdf\":\"01:00.0\",\"description\":\"PCI bridge: PLX Technology, Inc. PEX 8796 PCI Express Gen 3 Switch (rev ca)\"},\"vppbs\":[{\"vppb\":0,\"bdf\":\"02:00.0\",\"secondary_bus\":3,\"state\":\"bound\",\"presence\":true,\"link_active\":true,\"function\":$FN_VF3},{\"vppb\":1,\"bdf\":\"02:01.0\",\"secondary_bus\":4,\"state\":\"unbound\",\"presence\":false,\"link_active\":false,\"function\":null},{\"vppb\":2,\"bdf\":\"02:02.0\",\"secondary_bus\":10,\"state\":\"binding\",\"presence\":true,\"link_active\":false,\"function\":null}]}"
EV1='{"seq":41,"time":"2026-11-25T03:40:12Z","event":"function-assigned","chassis":"demo","slot":1,"card":"nic0","function":"nic0/pf0/vf3","host":"web1","vppb":0,"detail":{"host_bdf":"03:00.0"}}'
EV2='{"seq":42,"time":"2026-11-25T03:41:00Z","event":"link-down","chassis":"demo","host":"web2"}'
EVENTS="{\"schema\":1,\"events\":[$EV1,$EV2],\"last_seq\":42}"
AUDIT='{"schema":1,"audit":[{"time":"2026-11-25T03:40:12Z","uid":0,"gid":0,"pid":4242,"method":"assign","params":{"function":"nic0/pf0/vf3","host":"web1"},"result":"ok","message":""},{"time":"2026-11-25T03:42:00Z","uid":1000,"gid":1000,"pid":4300,"method":"unassign","params":null,"result":"permission-denied","message":"uid 1000 is not root, fabricd or in group fabric"}]}'
TOPOLOGY="{\"schema\":1,\"chassis\":[{\"chassis\":\"demo\",\"state\":\"ready\",\"model\":\"MRS-9000\",\"hosts\":[$HOST_WEB1,$HOST_WEB2],\"slots\":[$SLOT1,$SLOT2,$SLOT3],\"cards\":[$CARD_NIC,$CARD_HBA],\"bindings\":[{\"function\":\"nic0/pf0/vf3\",\"card\":\"nic0\",\"host\":\"web1\",\"vppb\":0,\"state\":\"bound\"},{\"function\":\"hba0/pf0\",\"card\":\"hba0\",\"host\":\"web2\",\"vppb\":1,\"state\":\"detached\"}]}]}"
VERSION='{"schema":1,"version":"0.1.0","api":1}'

# ---- usage: exit 2 with the usage text; --help exits 0 --------------------------------------

begin "no command"
run
want_rc 2; want_err "Usage: fabric-ctl"; want_no_out

begin "unknown command"
run frobnicate
want_rc 2; want_err "fabric-ctl: unknown command 'frobnicate'"; want_err "Commands:"

begin "unknown global option"
run --bogus status
want_rc 2; want_err "unknown option '--bogus'"; want_err "Usage: fabric-ctl"

begin "bad -o"
run -o yaml status
want_rc 2; want_err "expected table or json, got 'yaml'"

begin "bad --timeout"
for t in abc 0 -1 nan; do
  run --timeout "$t" status
  want_rc 2; want_err "--timeout: expected seconds"
done

begin "global --help, -V, help"
run --help
want_rc 0; want_out_has "Usage: fabric-ctl"; want_out_has "Exit status"
run -V
want_rc 0; want_out_has "fabric-ctl 0.1.0"
run help
want_rc 0; want_out_has "Commands:"
run help frobnicate
want_rc 2

for c in "${COMMANDS[@]}"; do
  begin "$c --help"
  run "$c" --help
  want_rc 0; want_out_has "Usage: fabric-ctl [OPTIONS] $c"; want_out_has "OPTIONS before or after"
  run "$c" -h
  want_rc 0; want_out_has "Usage: fabric-ctl [OPTIONS] $c"
  run help "$c"
  want_rc 0; want_out_has "Usage: fabric-ctl [OPTIONS] $c"
  begin "$c --no-such-option"
  run "$c" --no-such-option
  want_rc 2; want_err "fabric-ctl: $c: unknown option '--no-such-option'"
  want_err "Usage: fabric-ctl [OPTIONS] $c"; want_no_out
done

begin "missing and extra arguments"
bad_args=("show" "show a b" "assign" "assign nic0/pf0/vf1" "assign a b c" "assign --any nic0"
          "unassign" "unassign a b" "vh" "vh a b" "lspci" "lspci a b" "hosts web1" "status x"
          "events 5" "topology x" "audit x" "version x" "functions x" "hosts --chassis"
          "hooks x" "hooks runs x" "hooks test" "hooks test a b" "hooks --since 1"
          "hooks test card-added --since 1" "hooks runs --host web1")
for args in "${bad_args[@]}"; do
  run $args
  want_rc 2; want_err "Usage: fabric-ctl [OPTIONS] ${args%% *}"
done
run assign nic0/pf0/vf1
want_err "fabric-ctl: assign: missing HOST"
run show
want_err "fabric-ctl: show: missing NAME"

begin "bad option values"
bad_values=("unassign f --timeout x" "unassign f --timeout 3601" "events --since -1"
            "events --since x" "events --limit 0" "events --follow --limit 5"
            "topology --format svg" "audit --limit 0" "hosts -o xml" "hooks runs --since -1"
            "hooks runs --limit 0")
for args in "${bad_values[@]}"; do
  run $args
  want_rc 2; want_err "Usage: fabric-ctl [OPTIONS] ${args%% *}"
done

# ---- unreachable: exit 3 ---------------------------------------------------------------------

begin "no socket"
run -s "$T/nope.sock" status
want_rc 3; want_no_out
want_err_is "fabric-ctl: cannot get fabricd's status: cannot connect to $T/nope.sock: No such file or directory"

begin "FABRIC_SOCKET names the socket; -s wins over it"
run hosts
want_rc 3; want_err "cannot connect to $T/no-such.sock"
served hosts "$HOSTS" hosts
want_rc 0
fake < <(printf 'expect hosts\nreply %s\n' "$HOSTS")
FABRIC_SOCKET="$SOCK" run hosts
want_rc 0; want_log "hosts -"

begin "default socket under XDG_RUNTIME_DIR, else /run"
mkdir -p "$T/xdg/mriov-fabric"
fake < <(printf 'expect version\nreply %s\n' "$VERSION")
mv "$SOCK" "$T/xdg/mriov-fabric/fabricd.sock"
env -u FABRIC_SOCKET XDG_RUNTIME_DIR="$T/xdg" "$CTL" version >"$T/out" 2>"$T/err"
rc=$?
want_rc 0; want_out_has "fabricd 0.1.0"
env -u FABRIC_SOCKET XDG_RUNTIME_DIR=relative/dir "$CTL" --timeout 1 status >"$T/out" 2>"$T/err"
rc=$?
[[ -S /run/mriov-fabric/fabricd.sock ]] || { want_rc 3; want_err "/run/mriov-fabric/fabricd.sock"; }

begin "socket path too long"
run -s "$T/$(printf 'x%.0s' {1..120})/sock" status
want_rc 3; want_err "a unix socket allows"

begin "accepts, then closes"
fake <<<"close"
run -s "$SOCK" status
want_rc 3; want_no_out
want_err_is "fabric-ctl: cannot get fabricd's status: fabricd closed the connection before answering"

begin "reads the request, closes without answering"
fake <<'X'
expect assign
close
X
run -s "$SOCK" assign nic0/pf0/vf3 web1
want_rc 3; want_err "fabric-ctl: cannot assign nic0/pf0/vf3 to web1: fabricd closed the connection"

begin "closes in the middle of the answer"
fake <<'X'
expect hosts
rawn {"jsonrpc":"2.0","id":@ID@,"result":{"schema":1,"hos
close
X
run -s "$SOCK" hosts
want_rc 3; want_err "in the middle of a line"

begin "--timeout elapses"
fake <<'X'
expect status
hold
X
"$CTL" -s "$SOCK" --timeout 0.3 status >"$T/out" 2>"$T/err"
rc=$?
want_rc 3; want_err_is "fabric-ctl: cannot get fabricd's status: no answer from fabricd within 0.3 s (--timeout)"

begin "bad replies are exit 3, never a crash"
bad_replies=(
  'raw this is not json'
  'raw [1,2,3]'
  'raw {"jsonrpc":"2.0","id":@ID@}'
  'raw {"jsonrpc":"1.0","id":@ID@,"result":{"schema":1,"hosts":[]}}'
  'raw {"id":@ID@,"result":{"schema":1,"hosts":[]}}'
  'raw {"jsonrpc":"2.0","id":@ID@,"result":{},"error":{"code":-32000,"message":"x"}}'
  'raw {"jsonrpc":"2.0","id":@ID@,"error":{"code":"x","message":"m"}}'
  'raw {"jsonrpc":"2.0","id":@ID@,"error":{"code":-32000}}'
  'raw {"jsonrpc":"2.0","id":@ID@,"error":"refused"}'
  'raw {"jsonrpc":"2.0","id":null,"result":{"schema":1,"hosts":[]}}'
  'raw {"jsonrpc":"2.0","id":@ID@,"result":5}'
  'raw {"jsonrpc":"2.0","id":@ID@,"result":{"schema":1,"hosts":[]}} trailing'
  'raw {"jsonrpc":"2.0","id":@ID@,"result":{"schema":1,"hosts":[]}'
  'raw {"jsonrpc":"2.0"}'
  'reply {"schema":1}'
  'reply {"schema":1,"hosts":5}'
  'reply {"schema":1,"hosts":[1]}'
  'reply {"schema":1,"hosts":[{"host":"web1"},"web2"]}'
)
for r in "${bad_replies[@]}"; do
  fake < <(printf 'expect hosts\n%s\n' "$r")
  run -s "$SOCK" hosts
  [[ $rc -eq 3 ]] || fail "reply '$r': exit $rc, want 3"
  grep -qE "fabric-ctl: cannot list the hosts: (bad reply from fabricd|fabricd closed)" "$T/err" ||
    fail "reply '$r': stderr '$(cat "$T/err")'"
done
for m in show vh lspci; do
  fake < <(printf 'expect %s\nreply {"schema":1,"type":"gadget"}\n' "$m")
  run -s "$SOCK" "$m" web1
  want_rc 3; want_err "bad reply from fabricd"
done
fake < <(printf 'expect topology\nreply {"schema":1,"chassis":[{"chassis":"demo","hosts":[3]}]}\n')
run -s "$SOCK" topology
want_rc 3; want_err "bad reply from fabricd"
fake < <(printf 'expect assign\nreply {"schema":1,"function":"nic0/pf0/vf3"}\n')
run -s "$SOCK" assign nic0/pf0/vf3 web1
want_rc 3; want_err "no \"changed\""

begin "notifications, blank lines and other ids are skipped while waiting"
fake <<X
expect hosts
notify $EV1
raw
raw {"jsonrpc":"2.0","id":9999,"result":{"schema":1,"hosts":[]}}
raw {"jsonrpc":"2.0","method":"something-else"}
reply $HOSTS
X
run -s "$SOCK" hosts
want_rc 0; want_out_has "web2  demo"

# ---- refusals: exit 1, "fabric-ctl: <what failed>: <data.code>: <message>" --------------------

begin "refused: function-busy"
fake <<'X'
expect assign
error -32000 function-busy nic0/pf0/vf3 is bound to web1 since 2026-11-25T03:40:12Z
X
run -s "$SOCK" assign nic0/pf0/vf3 web2
want_rc 1; want_no_out
want_err_is "fabric-ctl: cannot assign nic0/pf0/vf3 to web2: function-busy: nic0/pf0/vf3 is bound to web1 since 2026-11-25T03:40:12Z"

begin "refused: each command says what failed"
refusals=(
  "status|cannot get fabricd's status"
  "switches|cannot list the switches"
  "hosts|cannot list the hosts"
  "slots|cannot list the slots"
  "cards|cannot list the cards"
  "functions|cannot list the functions"
  "show nic9|cannot show nic9"
  "assign --any nic0 web2|cannot assign a free VF of nic0 to web2"
  "unassign nic0/pf0/vf3|cannot unassign nic0/pf0/vf3"
  "vh web9|cannot read the virtual hierarchy of web9"
  "lspci web9|cannot read the host view of web9"
  "events|cannot read the event log"
  "events --follow|cannot subscribe to events"
  "topology|cannot read the topology"
  "audit|cannot read the audit log"
  "version|cannot ask fabricd its version"
)
for r in "${refusals[@]}"; do
  args=${r%%|*}
  msg=${r#*|}
  method=${args%% *}
  [[ $args == "events --follow" ]] && method=subscribe
  fake < <(printf 'expect %s\nerror -32000 permission-denied uid 1000 may not\n' "$method")
  run -s "$SOCK" $args
  [[ $rc -eq 1 ]] || fail "$args: exit $rc, want 1"
  [[ "$(cat "$T/err")" == "fabric-ctl: $msg: permission-denied: uid 1000 may not" ]] ||
    fail "$args: stderr '$(cat "$T/err")'"
done

begin "refused without data.code, and with id null"
fake <<'X'
expect status
error -32601 - unknown method "status"
X
run -s "$SOCK" status
want_rc 1; want_err_is "fabric-ctl: cannot get fabricd's status: error -32601: unknown method \"status\""
fake <<'X'
expect status
raw {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error","data":{"code":"parse-error"}}}
X
run -s "$SOCK" status
want_rc 1; want_err "parse-error: parse error"

# ---- every command's table and JSON ----------------------------------------------------------

begin "status"
served status "$STATUS" status
want_rc 0; want_log "status -"
want_out <<'X'
fabricd 0.1.0, up 1d 2h 3m, state in /var/lib/mriov-fabric
bindings: 2 (1 bound, 0 binding, 0 unbinding, 1 detached), 0 operations running
last event: 42, control connections: 1

CHASSIS  STATE  ENDPOINT                          MODEL     SERIAL    FIRMWARE  CONNECTS  HOSTS  SLOTS  FUNCTIONS  LAST ERROR
demo     ready  unix:/run/mriov-fabric/demo.sock  MRS-9000  SIM-0001  1.2.0            2      4      4        133  -

bindings found on a switch that fabricd did not make:
CHASSIS  HOST  VPPB  FUNCTION  ACTION
demo     web3     2  nic0/pf1  removed
X
served status "$STATUS" -o json status
want_rc 0; want_json "$STATUS"

begin "switches"
served switches "$SWITCHES" switches
want_rc 0
want_out <<'X'
CHASSIS  STATE  ENDPOINT                          MODEL     SERIAL    FIRMWARE  CONNECTS  HOSTS  SLOTS  FUNCTIONS  LAST ERROR
demo     ready  unix:/run/mriov-fabric/demo.sock  MRS-9000  SIM-0001  1.2.0            2      4      4        133  -
X
served switches "$SWITCHES" switches -o json
want_rc 0; want_json "$SWITCHES"

begin "hosts"
served hosts "$HOSTS" hosts --chassis demo
want_rc 0; want_log 'hosts {"chassis":"demo"}'
want_out <<'X'
HOST  CHASSIS  PORT  LINK  WIDTH/SPEED  BOUND/VPPBS
web1  demo        0  up    x16 16GT/s   1/8
web2  demo        1  down  unknown      0/8
X
served hosts "$HOSTS" -o json hosts
want_rc 0; want_json "$HOSTS"
served hosts '{"schema":1,"hosts":[]}' hosts
want_rc 0
want_out <<'X'
HOST  CHASSIS  PORT  LINK  WIDTH/SPEED  BOUND/VPPBS
X

begin "slots"
served slots "$SLOTS" slots
want_rc 0; want_log "slots -"
want_out <<'X'
CHASSIS  SLOT  LABEL   PRESENT  POWER  LINK  ATTENTION  FAULT        CARD
demo        1  Slot 1  yes      on     up    off        none         nic0
demo        2  Slot 2  yes      on     down  blink      power-fault  hba0
demo        3  Slot 3  no       off    down  off        none         -
X
served slots "$SLOTS" -o json slots
want_rc 0; want_json "$SLOTS"

begin "cards"
served cards "$CARDS" cards
want_rc 0
want_out <<'X'
CARD  CHASSIS  SLOT  SHARING    IDS        PFS  VFS    SERIAL                   NAME
nic0  demo        1  sr-iov     8086:10fb    2  4/128  00-1b-21-ff-ff-2b-46-e0  Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection
hba0  demo        2  exclusive  1077:2261    2  -      00-0e-1e-00-00-00-00-01  QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
X
served cards "$CARDS" -o json cards
want_rc 0; want_json "$CARDS"

begin "functions"
served functions "$FUNCTIONS" functions
want_rc 0
want_out <<'X'
FUNCTION      KIND  IDS        ENABLED  STATE     HOST  VPPB  HOST BDF  NAME
nic0/pf0      pf    8086:10fb  yes      free      -        -  -         Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection
nic0/pf0/vf3  vf    8086:10ed  yes      bound     web1     0  03:00.0   Intel Corporation 82599 Ethernet Controller Virtual Function
nic0/pf0/vf9  vf    8086:10ed  no       free      -        -  -         Intel Corporation 82599 Ethernet Controller Virtual Function
hba0/pf0      pf    1077:2261  yes      detached  web2     1  -         QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
X
served functions "$FUNCTIONS" -o json functions --free --enabled --host web1 --card nic0 --chassis demo
want_rc 0; want_json "$FUNCTIONS"
want_log 'functions {"free":true,"enabled":true,"host":"web1","card":"nic0","chassis":"demo"}'
served functions "{\"schema\":1,\"functions\":[$FN_VF3,${FN_VF3/demo/rack2}]}" functions
want_rc 0; want_out_has "demo:nic0/pf0/vf3"; want_out_has "rack2:nic0/pf0/vf3"

begin "functions: paged"
# Page by page on one connection: the filters again with the cursor; the table's header once,
# its columns sized by the first page and widened after it; one JSON document.
PAGE1="{\"schema\":1,\"functions\":[$FN_PF0,$FN_VF3],\"next\":\"0.1.0.3\"}"
PAGE2="{\"schema\":1,\"functions\":[$FN_VF9,$FN_HBA]}"
fake < <(printf 'expect functions\nreply %s\nexpect switches\nreply %s\nexpect functions\nreply %s\n' \
  "$PAGE1" "{\"schema\":1,\"switches\":[$SWITCH]}" "$PAGE2")
run -s "$SOCK" functions --free
want_rc 0
want_log 'functions {"free":true}'
want_log 'functions {"free":true,"after":"0.1.0.3"}'
want_out <<'X'
FUNCTION      KIND  IDS        ENABLED  STATE      HOST  VPPB  HOST BDF  NAME
nic0/pf0      pf    8086:10fb  yes      free       -        -  -         Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection
nic0/pf0/vf3  vf    8086:10ed  yes      bound      web1     0  03:00.0   Intel Corporation 82599 Ethernet Controller Virtual Function
nic0/pf0/vf9  vf    8086:10ed  no       free       -        -  -         Intel Corporation 82599 Ethernet Controller Virtual Function
hba0/pf0      pf    1077:2261  yes      detached   web2     1  -         QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
X
fake < <(printf 'expect functions\nreply %s\nexpect functions\nreply %s\n' "$PAGE1" "$PAGE2")
run -s "$SOCK" -o json functions
want_rc 0; want_json "$FUNCTIONS"
grep -qx '      "function": "hba0/pf0",' "$T/out" || fail "not one member per line: $(head -c 600 "$T/out")"
fake < <(printf 'expect functions\nreply %s\nexpect functions\nreply %s\n' \
  '{"schema":1,"functions":[],"next":"0.0.0.0"}' '{"schema":1,"functions":[],"next":"0.0.0.0"}')
run -s "$SOCK" -o json functions --card nic0
want_rc 3; want_err "the listing does not advance"
fake < <(printf 'expect functions\nreply %s\nexpect functions\nreply %s\n' \
  '{"schema":1,"functions":[],"next":"0.0.0.9"}' '{"schema":1,"functions":[]}')
run -s "$SOCK" -o json functions --card nic0
want_rc 0; want_json '{"schema":1,"functions":[]}'

begin "show a function"
served show "$SHOW_FN" show nic0/pf0/vf3
want_rc 0; want_log 'show {"name":"nic0/pf0/vf3"}'
want_out <<'X'
function     nic0/pf0/vf3
chassis      demo
card         nic0
slot         1
kind         vf (pf 0, vf 3)
ids          8086:10ed
vendor       Intel Corporation
device       82599 Ethernet Controller Virtual Function
class        0200 Ethernet controller
enabled      yes
state        bound
host         web1
vppb         0
host bdf     03:00.0
since        2026-11-25T03:40:12Z
X
served show "$SHOW_FN" -o json show nic0/pf0/vf3
want_rc 0; want_json "$SHOW_FN"

begin "show a host"
served show "$SHOW_HOST" show web1
want_rc 0
want_out <<'X'
host         web1
chassis      demo
port         0
link         up
width        x16
speed        16GT/s
vppbs        8 (1 bound)
upstream bus 1

bound functions:
  FUNCTION      KIND  IDS        ENABLED  STATE  HOST  VPPB  HOST BDF  NAME
  nic0/pf0/vf3  vf    8086:10ed  yes      bound  web1     0  03:00.0   Intel Corporation 82599 Ethernet Controller Virtual Function
X
served show "$SHOW_HOST" -o json show web1
want_rc 0; want_json "$SHOW_HOST"

begin "show a card"
served show "$SHOW_CARD" show hba0
want_rc 0
want_out <<'X'
card         hba0
chassis      demo
slot         2
profile      qlogic-qle2692
sharing      exclusive
ids          1077:2261
vendor       QLogic Corp.
device       ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
class        0c04 Fibre Channel
serial       00-0e-1e-00-00-00-00-01
present      yes

physical functions:
  PF  DEVICE  VFS  TOTAL VFS  VF DEVICE
   0  2261      0          0  -
   1  2261      0          0  -

functions:
  FUNCTION  KIND  IDS        ENABLED  STATE     HOST  VPPB  HOST BDF  NAME
  hba0/pf0  pf    1077:2261  yes      detached  web2     1  -         QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
X
served show "$SHOW_CARD" -o json show hba0
want_rc 0; want_json "$SHOW_CARD"

begin "assign"
served assign "$ASSIGN_DONE" assign nic0/pf0/vf3 web1
want_rc 0; want_log 'assign {"function":"nic0/pf0/vf3","host":"web1"}'
want_out <<'X'
assigned nic0/pf0/vf3 to web1 (vPPB 0, host BDF 03:00.0)
  set-num-vfs pf=nic0/pf0 num_vfs=64
  bind host=web1
X
served assign "$ASSIGN_DONE" -o json assign nic0/pf0/vf3 web1
want_rc 0; want_json "$ASSIGN_DONE"

begin "assign: already so is success"
served assign "$ASSIGN_SAME" assign nic0/pf0/vf3 web1
want_rc 0
want_out <<'X'
nic0/pf0/vf3 is already assigned to web1 (vPPB 0, host BDF 03:00.0): nothing to do
X
served assign "$ASSIGN_SAME" -o json assign nic0/pf0/vf3 web1
want_rc 0; want_json "$ASSIGN_SAME"

begin "assign --dry-run, assign --any"
served assign "$ASSIGN_DRY" assign --dry-run nic0/pf0/vf3 web1
want_rc 0; want_log 'assign {"function":"nic0/pf0/vf3","host":"web1","dry_run":true}'
want_out <<'X'
would assign nic0/pf0/vf3 to web1:
  set-num-vfs pf=nic0/pf0 num_vfs=64
  bind host=web1
X
served assign "$ASSIGN_DRY" -o json assign nic0/pf0/vf3 web1 --dry-run
want_rc 0; want_json "$ASSIGN_DRY"
served assign "$ASSIGN_DONE" assign --any nic0 web1
want_rc 0; want_log 'assign {"card":"nic0","any":true,"host":"web1"}'
want_out_has "assigned nic0/pf0/vf3 to web1"

begin "unassign"
served unassign "$UNASSIGN_DONE" unassign nic0/pf0/vf3
want_rc 0; want_log 'unassign {"function":"nic0/pf0/vf3"}'
want_out <<'X'
unassigned nic0/pf0/vf3 from web1 (vPPB 0)
  unbind mode=managed
X
served unassign "$UNASSIGN_DONE" -o json unassign nic0/pf0/vf3 --force --timeout 2.5
want_rc 0; want_json "$UNASSIGN_DONE"
want_log 'unassign {"function":"nic0/pf0/vf3","force":true,"timeout_ms":2500}'

begin "unassign: not assigned is success"
served unassign "$UNASSIGN_SAME" unassign nic0/pf0/vf3
want_rc 0
want_out <<'X'
nic0/pf0/vf3 is not assigned: nothing to do
X
served unassign "$UNASSIGN_SAME" -o json unassign nic0/pf0/vf3
want_rc 0; want_json "$UNASSIGN_SAME"

begin "unassign --surprise --dry-run"
served unassign "$UNASSIGN_DRY" unassign nic0/pf0/vf3 --surprise --dry-run
want_rc 0; want_log 'unassign {"function":"nic0/pf0/vf3","mode":"surprise","dry_run":true}'
want_out <<'X'
would unassign nic0/pf0/vf3 from web1:
  unbind mode=surprise
X
served unassign "$UNASSIGN_DRY" -o json unassign nic0/pf0/vf3 --surprise --dry-run
want_rc 0; want_json "$UNASSIGN_DRY"

begin "unassign --timeout makes fabric-ctl wait longer than the host"
fake <<X
expect unassign
sleep 1200
reply $UNASSIGN_DONE
X
"$CTL" -s "$SOCK" --timeout 0.5 unassign nic0/pf0/vf3 --timeout 1 >"$T/out" 2>"$T/err"
rc=$?
want_rc 0; want_out_has "unassigned nic0/pf0/vf3"

begin "vh"
served vh "$VH" vh web1
want_rc 0; want_log 'vh {"host":"web1"}'
want_out <<'X'
web1  chassis demo, port 0, link up
01:00.0  upstream bridge  PCI bridge: PLX Technology, Inc. PEX 8796 PCI Express Gen 3 Switch (rev ca)
  +- 02:00.0  vPPB 0  bus 03  bound, link up
  |  \- 03:00.0  nic0/pf0/vf3  [8086:10ed] Intel Corporation 82599 Ethernet Controller Virtual Function
  +- 02:01.0  vPPB 1  bus 04  empty
  \- 02:02.0  vPPB 2  bus 0a  binding, link down
X
served vh "$VH" -o json vh web1
want_rc 0; want_json "$VH"

begin "lspci: a large dump, verbatim"
dump="$FABRIC_SOURCE_DIR/configs/dumps/nic-intel-82576-pf-sriov.lspci"
: >"$T/dump"
for b in 01 02 03 04 05 06 07 08 09 0a 0b 0c; do
  sed "1s/^01:00.0/$b:00.0/" "$dump" >>"$T/dump"
done
fake <<X
expect lspci
reply-file dump $T/dump {"schema":1,"host":"web1","chassis":"demo","port":0,"link":"up"}
X
run -s "$SOCK" lspci web1
want_rc 0; want_log 'lspci {"host":"web1"}'
cmp -s "$T/out" "$T/dump" || fail "the dump ($(wc -c <"$T/dump") bytes) is not printed verbatim"
if command -v lspci >/dev/null; then
  lspci -F "$T/out" >"$T/lspci" 2>&1 || fail "lspci -F rejects the dump: $(head -3 "$T/lspci")"
  [[ $(grep -c "Ethernet controller" "$T/lspci") -eq 12 ]] || fail "lspci -F: $(cat "$T/lspci")"
fi
fake <<X
expect lspci
reply-file dump $T/dump {"schema":1,"host":"web1","chassis":"demo","port":0,"link":"up"}
X
run -s "$SOCK" -o json lspci web1
want_rc 0
"$FAKE" --json-equal "$T/out" "$T/out" || fail "lspci -o json is not JSON"
grep -q '"dump"' "$T/out" || fail "lspci -o json has no dump"

begin "events: the last N"
fake <<X
expect events
reply {"schema":1,"events":[$EV1],"last_seq":142}
expect events
reply $EVENTS
X
run -s "$SOCK" events
want_rc 0; want_log 'events {"limit":1}'; want_log 'events {"since":42,"limit":100}'
want_out <<'X'
   SEQ  TIME                  EVENT                DETAILS
    41  2026-11-25T03:40:12Z  function-assigned    chassis=demo slot=1 card=nic0 function=nic0/pf0/vf3 host=web1 vppb=0 host_bdf=03:00.0
    42  2026-11-25T03:41:00Z  link-down            chassis=demo host=web2
X
served events "$EVENTS" -o json events --since 40 --limit 2
want_rc 0; want_json "$EVENTS"; want_log 'events {"since":40,"limit":2}'

begin "events --follow"
fake <<X
expect subscribe
reply {"schema":1,"last_seq":42}
notify $EV1
notify $EV2
close
X
run -s "$SOCK" events --follow --since 40
want_rc 3; want_log 'subscribe {"since":40}'
want_err_is "fabric-ctl: following events: fabricd closed the connection"
want_out <<'X'
    41  2026-11-25T03:40:12Z  function-assigned    chassis=demo slot=1 card=nic0 function=nic0/pf0/vf3 host=web1 vppb=0 host_bdf=03:00.0
    42  2026-11-25T03:41:00Z  link-down            chassis=demo host=web2
X

begin "events --follow -o json: one event per line; SIGINT exits 0"
fake <<X
expect subscribe
reply {"schema":1,"last_seq":42}
notify $EV1
notify $EV2
hold
X
"$CTL" -s "$SOCK" -o json events -f >"$T/out" 2>"$T/err" &
ctl=$!
# only interrupt once both events are out (so the handler is in place); a loaded machine
# may take a while, so the wait is generous and bounded
for _ in $(seq 600); do
  [[ $(wc -l <"$T/out" 2>/dev/null || echo 0) -ge 2 ]] && break
  sleep 0.05
done
[[ "$ctl" =~ ^[1-9][0-9]*$ ]] && kill -INT "$ctl"
wait "$ctl"
rc=$?
want_rc 0; want_log "subscribe {}"
[[ $(wc -l <"$T/out") -eq 2 ]] || fail "want 2 lines: $(cat "$T/out")"
head -1 "$T/out" >"$T/l1"
tail -1 "$T/out" >"$T/l2"
"$FAKE" --json-equal "$T/l1" <(printf '%s' "$EV1") || fail "line 1 is not the first event"
"$FAKE" --json-equal "$T/l2" <(printf '%s' "$EV2") || fail "line 2 is not the second event"

begin "events --follow | head -1: SIGPIPE exits 0"
fake <<X
expect subscribe
reply {"schema":1,"last_seq":42}
notify $EV1
sleep 200
notify $EV2
sleep 200
notify $EV1
sleep 200
notify $EV2
hold
X
"$CTL" -s "$SOCK" events --follow 2>"$T/err" | head -1 >"$T/out"
rc=${PIPESTATUS[0]}
want_rc 0; want_out_has "function-assigned"
[[ ! -s "$T/err" ]] || fail "stderr: $(cat "$T/err")"

begin "topology"
served topology "$TOPOLOGY" topology
want_rc 0; want_log "topology -"
want_out <<'X'
chassis demo  ready  MRS-9000
+- hosts
|  +- web1  port 0  link up  x16 16GT/s  1/8 vPPBs bound
|  \- web2  port 1  link down  0/8 vPPBs bound
\- slots
   +- slot 1 "Slot 1"  nic0  intel-82599  sr-iov  [8086:10fb] Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection
   |  \- nic0/pf0/vf3 -> web1  vPPB 0  bound
   +- slot 2 "Slot 2"  POWER FAULT  hba0  qlogic-qle2692  exclusive  [1077:2261] QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
   |  \- hba0/pf0 -> web2  vPPB 1  detached
   \- slot 3 "Slot 3"  empty
X
served topology "$TOPOLOGY" -o json topology
want_rc 0; want_json "$TOPOLOGY"

begin "topology --format dot"
served topology "$TOPOLOGY" topology --format dot
want_rc 0
want_out <<'X'
digraph fabric {
	graph [rankdir=LR, fontname="sans-serif", fontsize=11];
	node [fontname="sans-serif", fontsize=10];
	edge [fontname="sans-serif", fontsize=9];
	subgraph "cluster_0" {
		label="chassis demo\nMRS-9000, ready";
		"demo/host/web1" [shape=box, label="web1\nport 0, link up"];
		"demo/host/web2" [shape=box, style=dashed, label="web2\nport 1, link down"];
		"demo/slot/1" [shape=box, style=rounded, label="slot 1\nSlot 1"];
		"demo/card/nic0" [shape=component, label="nic0\nintel-82599 (sr-iov)\nIntel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection"];
		"demo/card/nic0" -> "demo/slot/1" [dir=none, style=dotted];
		"demo/slot/2" [shape=box, style=rounded, label="slot 2\nSlot 2\nPOWER FAULT"];
		"demo/card/hba0" [shape=component, label="hba0\nqlogic-qle2692 (exclusive)\nQLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter"];
		"demo/card/hba0" -> "demo/slot/2" [dir=none, style=dotted];
		"demo/slot/3" [shape=box, style=rounded, label="slot 3\nSlot 3"];
	}
	"demo/host/web1" -> "demo/card/nic0" [label="nic0/pf0/vf3\nvPPB 0"];
	"demo/host/web2" -> "demo/card/hba0" [style=dashed, color=gray, label="hba0/pf0\nvPPB 1, detached"];
}
X
if command -v dot >/dev/null; then
  dot -Tsvg "$T/out" >"$T/svg" 2>"$T/doterr" || fail "dot -Tsvg: $(cat "$T/doterr")"
fi
begin "topology --format dot escapes names"
served topology '{"schema":1,"chassis":[{"chassis":"a\"b\\c","state":"ready","hosts":[{"host":"h\"1","port":0,"link":"up"}],"slots":[],"cards":[],"bindings":[]}]}' topology --format dot
want_rc 0; want_out_has '"a\"b\\c/host/h\"1"'
if command -v dot >/dev/null; then
  dot -Tsvg "$T/out" >"$T/svg" 2>"$T/doterr" || fail "dot -Tsvg: $(cat "$T/doterr")"
fi

begin "audit"
served audit "$AUDIT" audit --since 2026-11-25T00:00:00Z --limit 10
want_rc 0; want_log 'audit {"since":"2026-11-25T00:00:00Z","limit":10}'
want_out <<'X'
TIME                   UID   GID   PID  METHOD    RESULT             PARAMS                           MESSAGE
2026-11-25T03:40:12Z     0     0  4242  assign    ok                 function=nic0/pf0/vf3 host=web1  -
2026-11-25T03:42:00Z  1000  1000  4300  unassign  permission-denied  -                                uid 1000 is not root, fabricd or in group fabric
X
served audit "$AUDIT" -o json audit
want_rc 0; want_json "$AUDIT"; want_log "audit {}"

begin "hooks"
HOOKS='{"schema":1,"dir":"/etc/fabric/hooks.d","timeout_ms":10000,"max_parallel":8,"running":0,"queued":0,"hooks":[{"name":"10-log","runs":true,"delivered_seq":12,"pending":0,"last":{"id":3,"seq":12,"event":"card-removed","kind":"notify","time":"2026-11-25T03:40:12Z","result":"ok","duration_ms":4,"exit_code":0,"signal":null,"timed_out":false,"truncated":true,"dropped_bytes":100,"redelivery":true}},{"name":"README","runs":false,"reason":"not executable","pending":0,"last":null}]}'
served hooks "$HOOKS" hooks
want_rc 0; want_log "hooks {}"
want_out <<'X'
hooks_dir /etc/fabric/hooks.d (timeout 10000 ms, at most 8 at once)
HOOK    RUNS  DELIVERED  LAST-SEQ  LAST-EVENT    RESULT  DURATION  NOTE
10-log  yes          12        12  card-removed  ok          4 ms  truncated (100 bytes dropped), redelivery
README  no            -         -  -             -              -  not executable
X
RUNS='{"schema":1,"runs":[{"id":3,"hook":"10-log","seq":12,"event":"card-removed","kind":"notify","time":"2026-11-25T03:40:12Z","result":"exit 3","duration_ms":4,"exit_code":3,"signal":null,"timed_out":false,"truncated":false,"dropped_bytes":0,"redelivery":false}]}'
served hook_runs "$RUNS" hooks runs --since 10 --limit 5
want_rc 0; want_log 'hook_runs {"since":10,"limit":5}'
want_out <<'X'
SEQ  EVENT         HOOK    KIND    TIME                  RESULT  DURATION  NOTE
 12  card-removed  10-log  notify  2026-11-25T03:40:12Z  exit 3      4 ms  -
X
served hook_runs "$RUNS" -o json hooks runs
want_rc 0; want_json "$RUNS"; want_log "hook_runs {}"
TEST='{"schema":1,"event":{"seq":0,"event":"pre-assign"},"runs":[{"hook":"10-veto","seq":0,"event":"pre-assign","kind":"test","time":"2026-11-25T03:40:12Z","result":"exit 1","duration_ms":2,"exit_code":1,"signal":null,"timed_out":false,"truncated":false,"dropped_bytes":0,"redelivery":false,"stderr":"web1 is in maintenance"}]}'
served hook_test "$TEST" hooks test pre-assign --host web1 --function nic0/pf0/vf3
want_rc 1; want_log 'hook_test {"event":"pre-assign","function":"nic0/pf0/vf3","host":"web1"}'
want_err "fabric-ctl: hooks test pre-assign: 1 of 1 hooks failed"

begin "version"
served version "$VERSION" version
want_rc 0; want_log "version -"
want_out <<'X'
fabric-ctl 0.1.0
fabricd 0.1.0 (control API 1)
X
served version "$VERSION" -o json version
want_rc 0; want_json '{"schema":1,"version":"0.1.0","api":1,"client_version":"0.1.0"}'
run -s "$T/nope.sock" version
want_rc 3; want_out_has "fabric-ctl 0.1.0"

begin "stdout closed early (EPIPE on a dump larger than the pipe): exit 0, silently"
fake <<X
expect lspci
reply-file dump $T/dump {"schema":1,"host":"web1","chassis":"demo","port":0,"link":"up"}
X
"$CTL" -s "$SOCK" lspci web1 2>"$T/err" | head -c 10 >/dev/null
rc=${PIPESTATUS[0]}
want_rc 0
[[ ! -s "$T/err" ]] || fail "stderr: $(cat "$T/err")"

if [[ -w /dev/full ]]; then
  begin "output cannot be written: exit 1"
  fake < <(printf 'expect hosts\nreply %s\n' "$HOSTS")
  "$CTL" -s "$SOCK" hosts >/dev/full 2>"$T/err"
  rc=$?
  want_rc 1; want_err "fabric-ctl: writing the output: No space left on device"
fi

# ---- hostile names: control characters and bidi controls are printed escaped (issue 18) ---------
# Names, labels and messages from fabricd or the command line may hold ESC, CR, LF, BEL, DEL
# and U+202E: every table cell, line and error prints them as \e \r \n \a \x7f \u202e, a
# backslash as \\, so nothing can clear the screen, retitle the terminal, reorder a line or
# forge a table row. want_clean checks stdout and stderr hold no such byte at all (no tab
# either: a table has none of its own).
want_clean() {
  local f
  for f in "$T/out" "$T/err"; do
    if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$f" || grep -qF $'\u202e' "$f"; then
      fail "raw control or bidi byte in $(basename "$f"): $(od -c "$f" | head -20)"
    fi
  done
}
# want_lines N: stdout has exactly N lines
want_lines() {
  local got
  got=$(wc -l <"$T/out")
  [[ $got -eq $1 ]] || fail "stdout has $got lines, want $1:\n$(cat "$T/out")"
}
E_CH='evil\u001b[2J\rX'
E_CARD='nic\u202e0'
E_HOST='web\r1\u001b]0;pwned\u0007'
FN_EVIL="{\"function\":\"$E_CARD/pf0\",\"chassis\":\"$E_CH\",\"card\":\"$E_CARD\",\"slot\":1,\"pf\":0,\"kind\":\"pf\",\"vendor\":\"8086\",\"device\":\"10fb\",\"vendor_name\":\"Evil\u001b[31m Corp\",\"device_name\":\"NIC\\nnic1/pf0  pf  8086:10fb  yes  free\",\"class\":\"0200\",\"class_name\":\"Ether\u007fnet\",\"enabled\":true,\"state\":\"bound\",\"host\":\"$E_HOST\",\"vppb\":0,\"host_bdf\":\"03:00.0\",\"since\":\"back\\\\slash\"}"
HOST_EVIL="{\"host\":\"$E_HOST\",\"chassis\":\"$E_CH\",\"port\":0,\"switch_name\":\"w\\nx\",\"link\":\"up\",\"width\":16,\"speed\":\"16GT/s\u202e\",\"vppbs\":8,\"bound\":1,\"usp_bus\":1}"
SLOT_EVIL="{\"chassis\":\"$E_CH\",\"slot\":1,\"label\":\"Slot 1\\ndemo  2  forged  yes\",\"present\":true,\"power\":true,\"link_active\":true,\"power_fault\":false,\"attention\":\"off\",\"card\":\"$E_CARD\"}"
CARD_EVIL="{\"card\":\"$E_CARD\",\"chassis\":\"$E_CH\",\"slot\":1,\"profile\":\"p\u001b[0m\",\"sharing\":\"sr-iov\",\"vendor\":\"8086\",\"device\":\"10fb\",\"vendor_name\":\"Evil\u001b[31m Corp\",\"device_name\":\"NIC\\nforged row\",\"class\":\"0200\",\"class_name\":\"Ethernet\",\"serial\":\"back\\\\slash\",\"pfs\":[{\"pf\":0,\"device\":\"10fb\",\"total_vfs\":64,\"num_vfs\":4,\"vf_device\":\"10ed\"}],\"present\":true}"

begin "hostile names: slots"
served slots "{\"schema\":1,\"slots\":[$SLOT_EVIL,$SLOT2]}" slots
want_rc 0; want_clean; want_lines 3
want_out <<'X'
CHASSIS       SLOT  LABEL                         PRESENT  POWER  LINK  ATTENTION  FAULT        CARD
evil\e[2J\rX     1  Slot 1\ndemo  2  forged  yes  yes      on     up    off        none         nic\u202e0
demo             2  Slot 2                        yes      on     down  blink      power-fault  hba0
X
begin "hostile names: cards"
served cards "{\"schema\":1,\"cards\":[$CARD_EVIL,$CARD_HBA]}" cards
want_rc 0; want_clean; want_lines 3
want_out <<'X'
CARD        CHASSIS       SLOT  SHARING    IDS        PFS  VFS   SERIAL                   NAME
nic\u202e0  evil\e[2J\rX     1  sr-iov     8086:10fb    1  4/64  back\\slash              Evil\e[31m Corp NIC\nforged row
hba0        demo             2  exclusive  1077:2261    2  -     00-0e-1e-00-00-00-00-01  QLogic Corp. ISP2722-based 16/32Gb Fibre Channel to PCIe Adapter
X
begin "hostile names: hosts"
served hosts "{\"schema\":1,\"hosts\":[$HOST_EVIL,$HOST_WEB2]}" hosts
want_rc 0; want_clean; want_lines 3
want_out <<'X'
HOST                CHASSIS       PORT  LINK  WIDTH/SPEED       BOUND/VPPBS
web\r1\e]0;pwned\a  evil\e[2J\rX     0  up    x16 16GT/s\u202e  1/8
web2                demo             1  down  unknown           0/8
X
begin "hostile names: functions"
served functions "{\"schema\":1,\"functions\":[$FN_EVIL,$FN_PF0]}" functions
want_rc 0; want_clean; want_lines 3
want_out <<'X'
FUNCTION                     KIND  IDS        ENABLED  STATE  HOST                VPPB  HOST BDF  NAME
evil\e[2J\rX:nic\u202e0/pf0  pf    8086:10fb  yes      bound  web\r1\e]0;pwned\a     0  03:00.0   Evil\e[31m Corp NIC\nnic1/pf0  pf  8086:10fb  yes  free
demo:nic0/pf0                pf    8086:10fb  yes      free   -                      -  -         Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection
X
begin "hostile names: show"
served show "{\"schema\":1,\"type\":\"function\",\"function\":$FN_EVIL}" show x
want_rc 0; want_clean
want_out <<'X'
function     nic\u202e0/pf0
chassis      evil\e[2J\rX
card         nic\u202e0
slot         1
kind         pf (pf 0)
ids          8086:10fb
vendor       Evil\e[31m Corp
device       NIC\nnic1/pf0  pf  8086:10fb  yes  free
class        0200 Ether\x7fnet
enabled      yes
state        bound
host         web\r1\e]0;pwned\a
vppb         0
host bdf     03:00.0
since        back\\slash
X
served show "{\"schema\":1,\"type\":\"host\",\"host\":$HOST_EVIL,\"functions\":[$FN_EVIL]}" show x
want_rc 0; want_clean
want_out <<'X'
host         web\r1\e]0;pwned\a
chassis      evil\e[2J\rX
port         0
link         up
width        x16
speed        16GT/s\u202e
vppbs        8 (1 bound)
upstream bus 1

bound functions:
  FUNCTION        KIND  IDS        ENABLED  STATE  HOST                VPPB  HOST BDF  NAME
  nic\u202e0/pf0  pf    8086:10fb  yes      bound  web\r1\e]0;pwned\a     0  03:00.0   Evil\e[31m Corp NIC\nnic1/pf0  pf  8086:10fb  yes  free
X
served show "{\"schema\":1,\"type\":\"card\",\"card\":$CARD_EVIL,\"functions\":[$FN_EVIL]}" show x
want_rc 0; want_clean
want_out <<'X'
card         nic\u202e0
chassis      evil\e[2J\rX
slot         1
profile      p\e[0m
sharing      sr-iov
ids          8086:10fb
vendor       Evil\e[31m Corp
device       NIC\nforged row
class        0200 Ethernet
serial       back\\slash
present      yes

physical functions:
  PF  DEVICE  VFS  TOTAL VFS  VF DEVICE
   0  10fb      4         64  10ed

functions:
  FUNCTION        KIND  IDS        ENABLED  STATE  HOST                VPPB  HOST BDF  NAME
  nic\u202e0/pf0  pf    8086:10fb  yes      bound  web\r1\e]0;pwned\a     0  03:00.0   Evil\e[31m Corp NIC\nnic1/pf0  pf  8086:10fb  yes  free
X

begin "hostile names: every other command's lines"
served topology "{\"schema\":1,\"chassis\":[{\"chassis\":\"$E_CH\",\"state\":\"ready\",\"model\":\"M\\n+- hosts\",\"hosts\":[$HOST_EVIL],\"slots\":[$SLOT_EVIL],\"cards\":[$CARD_EVIL],\"bindings\":[{\"function\":\"$E_CARD/pf0\",\"card\":\"$E_CARD\",\"host\":\"$E_HOST\",\"vppb\":0,\"state\":\"bound\"}]}]}" topology
want_rc 0; want_clean; want_lines 6
want_out_has '\- slot 1 "Slot 1\ndemo  2  forged  yes"  nic\u202e0  p\e[0m  sr-iov'
served topology "{\"schema\":1,\"chassis\":[{\"chassis\":\"$E_CH\",\"state\":\"ready\",\"hosts\":[$HOST_EVIL],\"slots\":[],\"cards\":[],\"bindings\":[]}]}" topology --format dot
want_rc 0
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$T/out" && fail "raw control byte in DOT: $(od -c "$T/out" | head)"
want_out_has '"evil\\e[2J\\rX/host/web\\r1\\e]0;pwned\\a"'
served events "{\"schema\":1,\"events\":[{\"seq\":1,\"time\":\"t\\r\",\"event\":\"link-down\",\"chassis\":\"$E_CH\",\"host\":\"$E_HOST\",\"detail\":{\"why\":\"a\\nb\"}}],\"last_seq\":1}" events --since 0
want_rc 0; want_clean; want_lines 2
want_out_has 'link-down            chassis=evil\e[2J\rX host=web\r1\e]0;pwned\a why=a\nb'
served vh "{\"schema\":1,\"host\":\"$E_HOST\",\"chassis\":\"$E_CH\",\"port\":0,\"link\":\"up\",\"usp\":{\"bdf\":\"01:00.0\",\"description\":\"PCI bridge\\n02:00.0  vPPB 9\"},\"vppbs\":[{\"vppb\":0,\"bdf\":\"02:00.0\",\"secondary_bus\":3,\"state\":\"bound\",\"presence\":true,\"link_active\":true,\"function\":$FN_EVIL}]}" vh x
want_rc 0; want_clean; want_lines 4
want_out_has '\- 03:00.0  nic\u202e0/pf0  [8086:10fb] Evil\e[31m Corp NIC\nnic1/pf0'
served assign "{\"schema\":1,\"function\":\"$E_CARD/pf0\",\"host\":\"$E_HOST\",\"vppb\":0,\"host_bdf\":\"03:00.0\",\"state\":\"bound\",\"changed\":true,\"dry_run\":true,\"actions\":[{\"action\":\"bind\\u001b\",\"host\":\"$E_HOST\"}]}" assign x y
want_rc 0; want_clean; want_lines 2
want_out_has '  bind\e host=web\r1\e]0;pwned\a'
fake < <(printf 'expect lspci\nreply {"schema":1,"host":"web1","chassis":"demo","port":0,"link":"up","dump":"00:00.0 Class 0604\\n00: b5 10\\u001b[2J\\n"}\n')
run -s "$SOCK" lspci web1
want_rc 0; want_clean
want_out <<'X'
00:00.0 Class 0604
00: b5 10\e[2J
X

begin "hostile names: errors are one line, escaped, arguments echoed escaped"
fake < <(printf 'expect show\nerror -32000 no-such-name no function, card or host named "a\033[2Jb\rc"\n')
run -s "$SOCK" show $'a\e[2Jb\rc'
want_rc 1; want_clean
want_err_is 'fabric-ctl: cannot show a\e[2Jb\rc: no-such-name: no function, card or host named "a\e[2Jb\rc"'
fake <<'X'
expect hosts
raw {"jsonrpc":"2.0","id":@ID@,"error":{"code":-32000,"message":"first\nfabric-ctl: forged\u202e","data":{"code":"x\u001by"}}}
X
run -s "$SOCK" hosts
want_rc 1; want_clean
want_err_is 'fabric-ctl: cannot list the hosts: x\ey: first\nfabric-ctl: forged\u202e'
fake < <(printf 'expect hosts\nraw not json \033[2J\r\n')
run -s "$SOCK" hosts
want_rc 3; want_clean
want_err 'a line that is not JSON'
want_err 'not json \e[2J'
run -s "$T/no\e[2J.sock" hosts
want_rc 3; want_clean; want_err 'cannot connect to '"$T"'/no\\e[2J.sock'
run $'bo\e[2Jgus'
want_rc 2; want_clean; want_err "fabric-ctl: unknown command 'bo\e[2Jgus'"
run -o $'js\ron' hosts
want_rc 2; want_clean; want_err "fabric-ctl: -o: expected table or json, got 'js\ron'"
run hosts $'x\ny'
want_rc 2; want_clean; want_err 'x\ny'
run events --limit $'1\e'
want_rc 2; want_clean; want_err '1\e'

begin "hostile names: JSON output keeps the text exactly, in JSON escapes"
# json-c escapes C0 controls itself; DEL, C1 and bidi controls fabric-ctl turns into \uXXXX
served slots "{\"schema\":1,\"slots\":[$SLOT_EVIL]}" -o json slots
want_rc 0; want_json "{\"schema\":1,\"slots\":[$SLOT_EVIL]}"; want_clean
want_out_has '"chassis": "evil\u001b[2J\rX"'
want_out_has '"label": "Slot 1\ndemo  2  forged  yes"'
want_out_has '"card": "nic\u202e0"'
served functions "{\"schema\":1,\"functions\":[$FN_EVIL]}" -o json functions
want_rc 0; want_json "{\"schema\":1,\"functions\":[$FN_EVIL]}"; want_clean
want_out_has '"class_name": "Ether\u007fnet"'
want_out_has '"since": "back\\slash"'

# ---- bash completion: commands, options, names from the daemon -------------------------------

completion="$FABRIC_SOURCE_DIR/manager/ctl/fabric-ctl.bash-completion"
mkdir -p "$T/bin"
ln -s "$CTL" "$T/bin/fabric-ctl"
# comp WORDS...: what completing the last word offers
comp() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _fabric_ctl
  printf '%s\n' "${COMPREPLY[*]}" >"$T/out"
}
(
  failures=0
  PATH="$T/bin:$PATH"
  # shellcheck source=/dev/null
  source "$completion"
  begin "completion: commands and options"
  comp fabric-ctl as
  want_out <<<"assign"
  comp fabric-ctl unassign --s
  want_out <<<"--surprise --socket"
  comp fabric-ctl -o ""
  want_out <<<"table json"
  comp fabric-ctl topology --format ""
  want_out <<<"tree dot"
  begin "completion: names from fabricd"
  fake < <(printf 'expect hosts\nreply %s\n' "$HOSTS")
  comp fabric-ctl -s "$SOCK" vh w
  want_out <<<"web1 web2"
  fake < <(printf 'expect functions\nreply %s\n' "$FUNCTIONS")
  comp fabric-ctl -s "$SOCK" unassign ""
  want_out <<<"nic0/pf0/vf3 hba0/pf0"
  fake < <(printf 'expect functions\nreply %s\n' "$FUNCTIONS")
  comp fabric-ctl --socket "$SOCK" assign nic0/pf0/v
  want_out <<<"nic0/pf0/vf3 nic0/pf0/vf9"
  want_log 'functions {"free":true}'
  fake < <(printf 'expect cards\nreply %s\n' "$CARDS")
  comp fabric-ctl -s "$SOCK" assign --any ""
  want_out <<<"nic0 hba0"
  fake < <(printf 'expect hosts\nreply %s\naccept\nexpect cards\nreply %s\naccept\nexpect functions\nreply %s\n' \
    "$HOSTS" "$CARDS" "$FUNCTIONS")
  comp fabric-ctl -s "$SOCK" show h
  want_out <<<"hba0 hba0/pf0"
  comp fabric-ctl -s "$T/nope.sock" vh ""
  want_out <<<""
  exit "$failures"
)
failures=$((failures + $?))

if grep -h "^FAIL" "$T"/f*.log >"$T/fakefail" 2>/dev/null; then
  begin "fake-fabricd expectations"
  fail "$(cat "$T/fakefail")"
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all fabric-ctl usage and rendering checks passed"
