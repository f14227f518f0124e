#!/usr/bin/env bash
# Declarative apply (issue 14) with real switch-sim, fabricd and fabric-ctl on the demo
# chassis: apply, re-apply (all unchanged, nothing sent), --dry-run, --prune with a move, a
# file with one impossible binding (refused at its FILE:LINE:COLUMN, nothing changes), the
# export | apply --dry-run round trip, the shipped example's errors, and fabricd killed -9
# during an apply: each binding is old or new, and reconciliation plus a re-apply finish it.
source "$(dirname "$0")/lib.sh"

start_sim demo "$SOURCE_DIR/configs/chassis/demo.yaml"
write_fabric_yaml demo demo
start_fabricd
wait_discovered

state_of() { ctlj show "$1" | jq -r '.function.state + " " + (.function.host // "-")'; }
# is F STATE HOST: fabricd shows function F in STATE on HOST ("-" for none)
is() {
  local got
  got=$(state_of "$1")
  if [[ $got == "$2 $3" ]]; then ok "$1 is $2 on $3"; else fail "$1 is '$got', want '$2 $3'"; fi
}
last_seq() { ctlj status | jq -r .last_event_seq; }

cat >"$T/a.yaml" <<'YAML'
bindings:
  web1:
    - nic0/pf0/vf0
    - { card: nvme0, count: 2 }
  web2:
    - fc0
    - nic0/pf0/vf1
YAML

# --- plan, apply, re-apply ---------------------------------------------------------------
jqcheck "dry run: a plan of 5 assigns, nothing done" \
  '.schema == 1 and .dry_run and (.plan | length) == 5 and all(.plan[]; .action == "assign" and .result == "planned") and .summary.assign == 5' \
  ctlj apply "$T/a.yaml" --dry-run
is nic0/pf0/vf0 free -
jqcheck "apply: every step done, in the file's order" \
  '[.plan[] | .function] == ["nic0/pf0/vf0","nvme0/pf0/vf0","nvme0/pf0/vf1","fc0","nic0/pf0/vf1"] and all(.plan[]; .result == "done")' \
  ctlj apply "$T/a.yaml"
is nic0/pf0/vf0 bound web1
is nvme0/pf0/vf1 bound web1
is fc0/pf0 bound web2
seq=$(last_seq)
jqcheck "re-apply: all unchanged" '.summary.unchanged == 5 and .summary.assign == 0 and all(.plan[]; .action == "unchanged")' \
  ctlj apply "$T/a.yaml" --prune
check "re-apply: no event (nothing was sent to the switch)" test "$(last_seq)" = "$seq"
expect_exit 0 "the plan as a table" ctl apply "$T/a.yaml"
check "  table header" grep -qE '^ACTION +FUNCTION +HOST +QOS \(Gb/s\) +RESULT$' "$T/last.out"
check "  summary line" grep -q '^applied: 0 assign, 0 unassign, 0 move, 0 qos-change, 5 unchanged$' "$T/last.out"

# --- export round trip -------------------------------------------------------------------
expect_exit 0 "export" ctl export
check "  export names every binding" sh -c "grep -c '^    - ' '$T/last.out' | grep -qx 5"
cp "$T/last.out" "$T/export.yaml"
jqcheck "export | apply --dry-run --prune: all unchanged" '.summary.unchanged == 5 and (.plan | length) == 5' \
  sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' export | '$FABRIC_CTL' -s '$T/fabricd.sock' -o json apply - --dry-run --prune"

# --- one impossible binding --------------------------------------------------------------
cat >"$T/bad.yaml" <<'YAML'
bindings:
  web3:
    - nic0/pf0/vf2
    - nic0/pf0/vf999
  web1: []
YAML
expect_exit 1 "a file with one impossible binding is refused" ctl apply "$T/bad.yaml" --prune
check "  naming it at FILE:LINE:COLUMN" grep -qF "fabric-ctl: cannot apply $T/bad.yaml: no-such-function: $T/bad.yaml:4:7: bindings.web3[1]: no function nic0/pf0/vf999" "$T/last.err"
is nic0/pf0/vf2 free -
is nic0/pf0/vf0 bound web1
check "  nothing changed (export as before)" sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' export | cmp -s - '$T/export.yaml'"
printf 'bindings:\n  web1:\n    - {card: nic0, count: 2, qos: {min_gbps: -1}}\n' >"$T/neg.yaml"
expect_exit 1 "a negative floor is refused" ctl apply "$T/neg.yaml"
check "  naming the field" grep -qF "$T/neg.yaml:3:46: bindings.web1[0].qos.min_gbps: negative value -1" "$T/last.err"
expect_exit 1 "a missing file" ctl apply "$T/none.yaml"
expect_exit 2 "apply without FILE is a usage error" ctl apply

# --- prune, with a move ------------------------------------------------------------------
cat >"$T/b.yaml" <<'YAML'
bindings:
  web3:
    - nic0/pf0/vf1
  web1:
    - { card: nvme0, count: 2 }
YAML
jqcheck "--prune --dry-run: a move, 2 unchanged, 2 unassigns" \
  '.summary == {"assign":0,"unassign":2,"move":1,"qos-change":0,"unchanged":2,"skipped":0} and (.plan[0] | .action == "move" and .from_host == "web2" and .host == "web3")' \
  ctlj apply "$T/b.yaml" --prune --dry-run
is nic0/pf0/vf1 bound web2
jqcheck "--prune: done" 'all(.plan[]; .result == "done" or .result == "unchanged")' ctlj apply "$T/b.yaml" --prune
is nic0/pf0/vf1 bound web3
is nic0/pf0/vf0 free -
is fc0/pf0 free -
is nvme0/pf0/vf0 bound web1
jqcheck "without --prune nothing is unassigned" '.summary.unassign == 0 and .summary.assign == 2 and .summary.move == 1' \
  ctlj apply "$T/a.yaml" --dry-run

# --- fabricd killed -9 during an apply ---------------------------------------------------
cat >"$T/c.yaml" <<'YAML'
bindings:
  web3:
    - nic0/pf0/vf1
  web1:
    - { card: nvme0, count: 2 }
  web4:
    - nic0/pf1/vf0
    - nic0/pf1/vf1
    - raid0
YAML
bench demo delay bind 3000 >/dev/null # every bind answered 3 s late: the kill lands mid-apply
ctl apply "$T/c.yaml" >"$T/apply-kill.out" 2>&1 &
APPLY_PID=$!
wait_for "the first new binding is stored" sh -c \
  "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json show nic0/pf1/vf0 | jq -e '.function.state == \"binding\"'"
stop_pid "$FABRICD_PID" KILL
wait "$APPLY_PID" 2>/dev/null || true
bench demo delay bind 0 >/dev/null
start_fabricd
wait_discovered
for f in nic0/pf1/vf0 nic0/pf1/vf1 raid0/pf0; do
  wait_for "$f settles old or new" sh -c \
    "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json show $f | jq -e '.function.state == \"free\" or (.function.state == \"bound\" and .function.host == \"web4\")'" || true
done
is nic0/pf1/vf0 bound web4 # stored before the kill: reconciliation finished it
jqcheck "re-applying the file finishes the rest" 'all(.plan[]; .result == "done" or .result == "unchanged")' \
  ctlj apply "$T/c.yaml"
is nic0/pf1/vf1 bound web4
is raid0/pf0 bound web4
jqcheck "and then it is all unchanged" '.summary.unchanged == 6' ctlj apply "$T/c.yaml" --dry-run

finish
