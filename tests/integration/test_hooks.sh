#!/usr/bin/env bash
# Hotplug event hooks end to end: real switch-sim, real fabricd, hook executables written
# here. Asserts on what hooks receive (argv, each FABRIC_* variable, the stdin JSON, fds,
# cwd) for every bench event and for assign/unassign; a veto; a hanging hook killed with
# its child while fabricd serves; 10 MB of output bounded; escaped output and literal
# metacharacters; two hosts in parallel; 200 events of one function in order; kill -9
# with events pending and their redelivery.
source "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { echo "skipped: jq is needed" >&2; exit 77; }

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
H=$T/hooks.d
mkdir -p "$H" "$T/rec"
chmod 755 "$H"
META='$(touch '"$T"'/pwned) `touch '"$T"'/pwned2` ;|&<>*'

cat >"$T/fabric.yaml" <<YAML
control:
  socket: $T/fabricd.sock
state_dir: $T/state
hooks_dir: $H
hooks:
  max_parallel: 4
  env:
    HOOKTEST_DIR: $T
    HOOKTEST_META: '$META'
timeouts:
  hook_ms: 1500
  managed_unbind_ms: 3000
  switch_request_ms: 3000
  reconnect_min_ms: 50
  reconnect_max_ms: 400
chassis:
  - name: demo
    endpoint: unix:$T/demo.sock
YAML

# 10-record: everything a run gets, one file each, then a .done marker
cat >"$H/10-record" <<'SH'
#!/bin/sh
[ -e "$HOOKTEST_DIR/quiet" ] && exit 0
d=$HOOKTEST_DIR/rec
n=$FABRIC_SEQ-$FABRIC_EVENT
[ "${FABRIC_TEST:-}" = 1 ] && n=test-$FABRIC_EVENT
printf '%s\n' "$0" "$#" "$@" >"$d/$n.argv"
tr '\0' '\n' </proc/$$/environ | LC_ALL=C sort >"$d/$n.env"
ls /proc/self/fd | LC_ALL=C sort -n | tr '\n' ' ' >"$d/$n.fds"
pwd >"$d/$n.cwd"
cat >"$d/$n.stdin"
: >"$d/$n.done"
SH

# 20-policy: what the phases need, switched on by files in $HOOKTEST_DIR
cat >"$H/20-policy" <<'SH'
#!/bin/sh
t=$HOOKTEST_DIR
case $1 in
pre-unassign)
  if [ -e "$t/keep-on" ]; then
    echo "$FABRIC_FUNCTION stays on $FABRIC_HOST" >&2
    exit 3
  fi ;;
pre-assign)
  if [ "$FABRIC_HOST" = web2 ]; then
    echo "web2 is in maintenance" >&2
    echo "second line" >&2
    exit 1
  fi ;;
attention-button)
  head -c 10000000 /dev/zero | tr '\0' x ;;
power-fault)
  printf 'before\nfabricd: error: forged\n\033[2J\342\200\256 $(touch %s/pwned) `touch %s/pwned`\n' "$t" "$t"
  echo "stderr too" >&2 ;;
link-down)
  if [ -e "$t/hang-on" ] && [ "$FABRIC_HOST" = web3 ]; then
    sleep 300 &
    echo $! >"$t/hang.child"
    echo $$ >"$t/hang.pid"
    wait
  fi ;;
function-assigned)
  if [ -e "$t/par-on" ]; then
    : >"$t/par-$FABRIC_HOST.start"
    other=web1; [ "$FABRIC_HOST" = web1 ] && other=web3
    i=0; r=alone
    while [ $i -lt 160 ]; do
      [ -e "$t/par-$other.start" ] && { r=saw; break; }
      sleep 0.05; i=$((i + 1))
    done
    echo $r >"$t/par-$FABRIC_HOST.result"
  fi ;;
esac
case $1 in
pre-assign|function-assigned|pre-unassign|function-unassigned)
  [ "$FABRIC_FUNCTION" = nic0/pf1/vf0 ] && echo "$FABRIC_SEQ $FABRIC_EVENT" >>"$t/order" ;;
link-down|link-up)
  if [ -e "$t/slow-on" ] && [ "$FABRIC_HOST" = web4 ]; then
    echo "$FABRIC_SEQ $FABRIC_EVENT ${FABRIC_REDELIVERY:-0}" >>"$t/k9"
    sleep 0.4
  fi ;;
esac
exit 0
SH
# refused: group-writable, and a name run-parts skips
cp "$H/10-record" "$H/30-writable"; chmod 775 "$H/30-writable"
cp "$H/10-record" "$H/40-old~"
chmod 755 "$H/10-record" "$H/20-policy" "$H/40-old~"

start_sim demo "$DEMO"
# fd 7 is inherited by fabricd, not close-on-exec: hooks must not get it
LANG=C.UTF-8 TZ=UTC start_fabricd -v 7<"$T/fabric.yaml"
wait_discovered

# idle: every hook finished everything queued
hooks_idle() { ctlj hooks | jq -e '.running == 0 and .queued == 0' >/dev/null; }
# delivered SEQ EVENT: 10-record finished that event
delivered() { test -e "$T/rec/$1-$2.done"; }
last_seq() { ctlj events --limit 1 | jq '.last_seq'; }
seq_of() { ctlj events --limit 1000 | jq -r --arg e "$1" --arg k "$2" --arg v "$3" \
  '[.events[] | select(.event == $e and (.[$k] | tostring) == $v)] | last | .seq'; }

# ---- the hooks fabricd runs ---------------------------------------------------------------
jqcheck "hooks: the two good ones run, in byte order; refusals say why" \
  '[.hooks[] | select(.runs) | .name] == ["10-record", "20-policy"] and
   (.hooks[] | select(.name == "30-writable") | .runs == false and
    .reason == "writable by group (mode 0775)") and
   ([.hooks[] | select(.name == "40-old~")] == []) and .max_parallel == 4 and .timeout_ms == 1500' \
  ctlj hooks
check "the refusal is logged with its reason" \
  grep -q "refusing $H/30-writable: writable by group (mode 0775)" "$T/fabricd.log"

# ---- every bench event and assign/unassign, as the hooks got them -------------------------
check "orderly removal of raid0" bench demo remove raid0
check "insert into slot 3" bench demo insert 3 mriov-nic 00-1b-21-ff-ff-00-00-03 mnic0
wait_for "mnic0 read" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' show mnic0"
check "surprise removal of fc0" bench demo remove fc0 --surprise
check "attention button of nvme0" bench demo button nvme0
check "link web4 down" bench demo link web4 down
check "link web4 up" bench demo link web4 up
wait_discovered # the link came back: fabricd reads the chassis again
check "power fault of nvme0" bench demo fault nvme0
wait_discovered
expect_exit 0 "assign nic0/pf0/vf3 web1" ctl assign nic0/pf0/vf3 web1
check "unassign nic0/pf0/vf3" ctl unassign nic0/pf0/vf3
wait_for "hooks idle after the bench" hooks_idle
LAST=$(last_seq)
wait_for "the last event recorded" sh -c "ls '$T/rec/$LAST-'*.done"

ctlj events --limit 1000 >"$T/events.json"
n_checked=0
bad=""
for done in "$T"/rec/[0-9]*.done; do
  base=${done%.done}
  seq=${base##*/}; seq=${seq%%-*}
  ev=$(jq -c --argjson s "$seq" '.events[] | select(.seq == $s)' "$T/events.json")
  [[ -n $ev ]] || { bad+=" $seq:not-in-log"; continue; }
  name=$(jq -r .event <<<"$ev")
  # stdin: exactly the object `fabric-ctl -o json events` prints, one line
  [[ $(jq -c . "$base.stdin") == "$ev" && $(wc -l <"$base.stdin") -eq 1 ]] || bad+=" $seq:stdin"
  # argv
  printf '%s\n' "$H/10-record" 1 "$name" | cmp -s - "$base.argv" || bad+=" $seq:argv"
  # environment: exactly these variables, absent when they do not apply
  jq -r --arg t "$T" --arg meta "$META" '
    def kv(k; v): if v == null then empty else "\(k)=\(v)" end;
    ["HOOKTEST_DIR=\($t)", "HOOKTEST_META=\($meta)", "LANG=C.UTF-8",
     "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TZ=UTC",
     kv("FABRIC_EVENT"; .event), kv("FABRIC_SEQ"; .seq), kv("FABRIC_TIME"; .time),
     kv("FABRIC_CHASSIS"; .chassis), kv("FABRIC_SLOT"; .slot), kv("FABRIC_CARD"; .card),
     kv("FABRIC_SERIAL"; .serial), kv("FABRIC_FUNCTION"; .function), kv("FABRIC_HOST"; .host),
     kv("FABRIC_VPPB"; .vppb), kv("FABRIC_HOST_BDF"; (.detail | objects | .host_bdf)),
     kv("FABRIC_VENDOR"; .vendor), kv("FABRIC_DEVICE"; .device),
     kv("FABRIC_DETAIL"; (.detail | strings))] | sort | .[]' <<<"$ev" >"$base.want-env"
  LC_ALL=C sort "$base.want-env" | cmp -s - "$base.env" || bad+=" $seq:env"
  [[ $(cat "$base.fds") == "0 1 2 3 " ]] || bad+=" $seq:fds($(cat "$base.fds"))"
  [[ $(cat "$base.cwd") == / ]] || bad+=" $seq:cwd"
  n_checked=$((n_checked + 1))
done
if [[ -z $bad && $n_checked -ge 12 ]]; then ok "argv, environment, stdin, fds and cwd of $n_checked runs"
else fail "runs that differ:$bad (checked $n_checked)"; fi
# every stored event that hooks get was delivered (pre-* through the veto path)
missing=$(jq -r '.events[] | select(.event != "hook-failed") | "\(.seq)-\(.event)"' "$T/events.json" |
  while read -r k; do [[ -e $T/rec/$k.done ]] || echo "$k"; done)
if [[ -z $missing ]]; then ok "every event reached the hooks"; else fail "not delivered: $missing"; fi

# the exact bytes of a few, by hand
envline() { grep -x "$2" "$T/rec/$1.env" >/dev/null; }
no_var() { ! grep -q "^$2=" "$T/rec/$1.env"; }
S=$(seq_of card-removed card fc0)
check "card-removed --surprise: detail, slot, card, serial, IDs" eval \
  'envline $S-card-removed FABRIC_DETAIL=surprise && envline $S-card-removed FABRIC_SLOT=2 &&
   envline $S-card-removed FABRIC_CARD=fc0 && envline $S-card-removed FABRIC_SERIAL=10-00-00-90-fa-5c-2e-01 &&
   envline $S-card-removed FABRIC_VENDOR=10df && no_var $S-card-removed FABRIC_HOST'
S=$(seq_of card-removed card raid0)
check "orderly card-removed: detail managed" envline "$S-card-removed" FABRIC_DETAIL=managed
S=$(seq_of card-added slot 3)
check "card-added: slot 3, chassis" eval 'envline $S-card-added FABRIC_SLOT=3 && envline $S-card-added FABRIC_CHASSIS=demo'
S=$(seq_of attention-button card nvme0)
check "attention-button: slot 4, card nvme0" eval 'envline $S-attention-button FABRIC_SLOT=4 && envline $S-attention-button FABRIC_CARD=nvme0'
S=$(seq_of link-down host web4)
check "link-down: host web4, no slot, no card" eval 'envline $S-link-down FABRIC_HOST=web4 && no_var $S-link-down FABRIC_SLOT && no_var $S-link-down FABRIC_CARD'
S=$(seq_of power-fault card nvme0)
check "power-fault: card nvme0" envline "$S-power-fault" FABRIC_CARD=nvme0
S=$(seq_of function-assigned function nic0/pf0/vf3)
check "function-assigned: function, host, vPPB, host BDF, VF device ID" eval \
  'envline $S-function-assigned FABRIC_FUNCTION=nic0/pf0/vf3 && envline $S-function-assigned FABRIC_HOST=web1 &&
   envline $S-function-assigned FABRIC_VPPB=0 && envline $S-function-assigned FABRIC_HOST_BDF=03:00.0 &&
   envline $S-function-assigned FABRIC_DEVICE=10ed'
P=$(seq_of pre-assign function nic0/pf0/vf3)
check "pre-assign came first, without a vPPB" eval '[[ $P -lt $S ]] && no_var $P-pre-assign FABRIC_VPPB && envline $P-pre-assign FABRIC_HOST=web1'
S=$(seq_of function-unassigned function nic0/pf0/vf3)
check "function-unassigned: detail managed" envline "$S-function-unassigned" FABRIC_DETAIL=managed
check "pre-unassign: detail managed, host" eval 'P=$(seq_of pre-unassign function nic0/pf0/vf3); envline $P-pre-unassign FABRIC_DETAIL=managed && envline $P-pre-unassign FABRIC_HOST=web1'

# ---- output: bounded, escaped, nothing executed --------------------------------------------
S=$(seq_of attention-button card nvme0)
jqcheck "10 MB of output: run recorded truncated, the excess counted" \
  "[.runs[] | select(.hook == \"20-policy\" and .seq == $S)] | length == 1 and
   (.[0] | .truncated and .dropped_bytes == (10000000 - 65536) and .result == \"ok\")" \
  ctlj hooks runs --since $((S - 1))
check "the truncation is logged" grep -q "hook 20-policy\[$S\]: output truncated: 9934464 bytes past 65536 dropped" "$T/fabricd.log"
size=$(stat -c %s "$T/fabricd.log")
if [[ $size -lt 1000000 ]]; then ok "fabricd's log stayed small ($size bytes)"; else fail "fabricd's log is $size bytes"; fi
S=$(seq_of power-fault card nvme0)
check "hook output is logged line by line with its name" grep -q "^${LOGP}info: hook 20-policy\[$S\]: before$" "$T/fabricd.log"
check "a hook cannot forge a log line" eval '! grep -q "^${LOGP}error: forged" "$T/fabricd.log" && grep -q "^${LOGP}info: hook 20-policy\[$S\]: fabricd: error: forged$" "$T/fabricd.log"'
check "control characters and bidi overrides escaped" grep -qF 'hook 20-policy['"$S"']: \e[2J\u202e $(touch' "$T/fabricd.log"
check "stderr lines marked" grep -q "^${LOGP}info: hook 20-policy\[$S\] stderr: stderr too$" "$T/fabricd.log"
check "metacharacters in output and environment executed nothing" eval '[[ ! -e $T/pwned && ! -e $T/pwned2 ]]'

# ---- veto ---------------------------------------------------------------------------------
expect_exit 1 "pre-assign veto refuses the assign" ctl assign nic0/pf0/vf5 web2
check "the message names the hook and its first stderr line" \
  grep -qx "fabric-ctl: cannot assign nic0/pf0/vf5 to web2: hook-vetoed: 20-policy: web2 is in maintenance" "$T/last.err"
jqcheck "nothing stored: the function is free" '.function.state == "free"' ctlj show nic0/pf0/vf5
jqcheck "nothing bound on the switch: web2's vPPBs are all empty" 'all(.vppbs[]; .state == "unbound")' ctlj vh web2
jqcheck "the audit log says hook-vetoed" '.audit | last | .method == "assign" and .result == "hook-vetoed"' ctlj audit
expect_exit 0 "assign nic0/pf0/vf5 web1" ctl assign nic0/pf0/vf5 web1
: >"$T/keep-on"
expect_exit 1 "pre-unassign veto refuses the unassign" ctl unassign nic0/pf0/vf5 --surprise
check "... naming the hook and its reason" \
  grep -qx "fabric-ctl: cannot unassign nic0/pf0/vf5: hook-vetoed: 20-policy: nic0/pf0/vf5 stays on web1" "$T/last.err"
jqcheck "... and the function stays bound" '.function.state == "bound" and .function.host == "web1"' ctlj show nic0/pf0/vf5
rm -f "$T/keep-on"
expect_exit 0 "unassign once the hook allows it" ctl unassign nic0/pf0/vf5 --surprise
n_pre=$(ls "$T"/rec/*-pre-assign.done | wc -l)
expect_exit 0 "--dry-run of the same assign" ctl assign --dry-run nic0/pf0/vf5 web2
check "--dry-run ran no hook" eval '[[ $(ls "$T"/rec/*-pre-assign.done | wc -l) -eq $n_pre ]]'
expect_exit 1 "hooks test pre-assign --host web2 reports the failing hook" ctl hooks test pre-assign --host web2
check "hooks test: FABRIC_TEST=1, seq 0, the host" eval 'grep -qx FABRIC_TEST=1 "$T/rec/test-pre-assign.env" &&
  grep -qx FABRIC_SEQ=0 "$T/rec/test-pre-assign.env" && grep -qx FABRIC_HOST=web2 "$T/rec/test-pre-assign.env"'

# ---- a hook that hangs: killed with its child, fabricd serving meanwhile -------------------
: >"$T/hang-on"
check "link web3 down" bench demo link web3 down
wait_for "the hanging hook started" test -s "$T/hang.child"
HPID=$(cat "$T/hang.pid"); CPID=$(cat "$T/hang.child")
alive() { [[ -e /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
t0=$(date +%s%N)
check "fabricd answers while the hook hangs" ctl status
check "... and the hook was still running then" alive "$HPID"
wait_for "the hook killed at its timeout" eval '! alive $HPID'
wait_for "its child killed with it (process group)" eval '! alive $CPID'
S=$(seq_of link-down host web3)
jqcheck "the run is recorded as timed out" \
  "[.runs[] | select(.hook == \"20-policy\" and .seq == $S)][0] | .timed_out and .result == \"timeout\"" \
  ctlj hooks runs --since $((S - 1))
wait_for "hook-failed raised" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json events --since $S |
  jq -e '.events[] | select(.event == \"hook-failed\" and .detail.seq == $S and .detail.hook == \"20-policy\" and .detail.timed_out)'"
check "hook-failed is not delivered to hooks" eval '! ls "$T"/rec/*-hook-failed.done 2>/dev/null | grep -q .'
rm -f "$T/hang-on"
check "link web3 up" bench demo link web3 up
wait_for "hooks idle after the hang" hooks_idle

# ---- two hosts in parallel -----------------------------------------------------------------
: >"$T/par-on"
ctl assign nic0/pf0/vf6 web1 >/dev/null 2>&1 &
p1=$!
ctl assign nic0/pf0/vf7 web3 >/dev/null 2>&1 &
p2=$!
wait $p1 $p2 || true
wait_for "both parallel runs done" eval 'test -s "$T/par-web1.result" && test -s "$T/par-web3.result"'
check "the hooks of two hosts ran at the same time" eval \
  '[[ $(cat "$T/par-web1.result") == saw && $(cat "$T/par-web3.result") == saw ]]'
rm -f "$T/par-on"

# ---- 200 events of one function, in order ---------------------------------------------------
: >"$T/quiet" # 10-record: nothing to record from here on
t0=$SECONDS
for i in $(seq 1 50); do
  ctl assign nic0/pf1/vf0 web3 >/dev/null || fail "assign $i"
  ctl unassign nic0/pf1/vf0 --surprise >/dev/null || fail "unassign $i"
done
wait_for "hooks idle after 200 events" hooks_idle
want=$(ctlj events --limit 100000 | jq -r '.events[] | select(.function == "nic0/pf1/vf0" and .event != "hook-failed") | "\(.seq) \(.event)"')
if [[ $(wc -l <<<"$want") -eq 200 && $(cat "$T/order") == "$want" ]]; then
  ok "200 events of nic0/pf1/vf0 reached the hook once each, in seq order ($((SECONDS - t0)) s)"
else
  fail "order ($((SECONDS - t0)) s): $(wc -l <"$T/order") delivered, $(wc -l <<<"$want") stored; first difference: $(diff <(echo "$want") "$T/order" | head -3)"
fi

# ---- kill -9 with events pending: redelivered in order, only the one in flight repeated ----
: >"$T/slow-on"
before=$(last_seq)
for i in 1 2 3; do
  bench demo link web4 down >/dev/null
  bench demo link web4 up >/dev/null
done
wait_for "delivery under way" eval '[[ $(wc -l <"$T/k9" 2>/dev/null || echo 0) -ge 2 ]]'
stop_pid "$FABRICD_PID" KILL
rm -f "$T/fabricd.sock"
LANG=C.UTF-8 TZ=UTC start_fabricd -v
want=$(ctlj events --since "$before" --limit 100000 | jq -r '.events[] | select(.host == "web4" and (.event == "link-down" or .event == "link-up")) | .seq')
wait_for "the pending events delivered after the restart" eval \
  '[[ $(cut -d" " -f1 "$T/k9" | sort -un | tail -n 1) == $(tail -n 1 <<<"$want") ]]'
wait_for "hooks idle after the restart" hooks_idle
got=$(cut -d' ' -f1 "$T/k9" | uniq)
dups=$(cut -d' ' -f1 "$T/k9" | sort | uniq -d)
if [[ -n $want && $got == "$want" ]]; then ok "every pending event delivered, in seq order, after kill -9"
else fail "after kill -9: got $(tr '\n' ' ' <<<"$got"), want $(tr '\n' ' ' <<<"$want")"; fi
if [[ $(wc -l <<<"$dups") -le 1 ]] &&
   { [[ -z $dups ]] || grep -qx "$dups link-[a-z]* 1" "$T/k9"; }; then
  ok "at most the run in flight repeated, marked FABRIC_REDELIVERY=1 (${dups:-none})"
else
  fail "repeats: $(tr '\n' ' ' <<<"$dups"); $(tr '\n' ';' <"$T/k9")"
fi
jqcheck "the repeated run is recorded as a redelivery" \
  "[.runs[] | select(.redelivery)] | length <= 2" ctlj hooks runs
rm -f "$T/slow-on"

# ---- SIGHUP and the directory watch ----------------------------------------------------------
chmod 755 "$H/30-writable"
wait_for "the directory watch saw the chmod" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json hooks | jq -e '.hooks[] | select(.name == \"30-writable\") | .runs'"
jqcheck "a hook added while fabricd runs starts from now" \
  "(.hooks[] | select(.name == \"30-writable\") | .delivered_seq) == $(last_seq)" ctlj hooks
rm -f "$H/30-writable"
kill -HUP "$FABRICD_PID"
wait_for "the removed hook is gone (watch or SIGHUP)" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json hooks | jq -e '[.hooks[] | .name] == [\"10-record\", \"20-policy\"]'"
wait_for "SIGHUP logged" grep -q "SIGHUP: reloaded" "$T/fabricd.log"

finish
