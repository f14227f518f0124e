#!/usr/bin/env bash
# Access control as an unprivileged caller (API.md "Access"): membership of control.group is
# the calling process's own groups (SO_PEERGROUPS), not /etc/group's; reads are open,
# assign/unassign and audit need the group; refusals are permission-denied and audited.
# Needs root (to run fabric-ctl as another uid with setpriv); with useradd the caller is a
# real user listed in /etc/group as a member, so a process that dropped its groups shows the
# difference; without it, numeric ids nobody has.
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]] || ! command -v setpriv >/dev/null; then
  echo "skipped: needs root and setpriv to run fabric-ctl as an unprivileged user" >&2
  exit 77
fi

U="" G=""
if command -v useradd >/dev/null && command -v groupadd >/dev/null; then
  G=fmtg$$
  U=fmtu$$
  if groupadd "$G" 2>"$T/useradd.err" && useradd -M -N -s /usr/sbin/nologin -G "$G" "$U" 2>>"$T/useradd.err"; then
    trap 'userdel "$U" 2>/dev/null; groupdel "$G" 2>/dev/null; cleanup' EXIT
    UID_=$(id -u "$U")
    GID_=$(id -g "$U")
    GROUP=$(getent group "$G" | cut -d: -f3)
    echo "caller: user $U ($UID_:$GID_), a member of $G ($GROUP) in /etc/group"
  else
    echo "useradd failed ($(cat "$T/useradd.err")): numeric ids instead"
    groupdel "$G" 2>/dev/null || true
    U="" G=""
  fi
fi
if [[ -z $U ]]; then
  UID_=3999930 GID_=3999930 GROUP=3999931
  echo "caller: uid $UID_ gid $GID_ with no passwd entry; control group $GROUP"
fi

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo
# open to every local user, so a caller without the group can connect and be refused
sed -i "s/^  mode: \"0660\"$/  mode: \"0666\"\n  group: \"$GROUP\"/" "$T/fabric.yaml"
chmod 0711 "$T"
start_fabricd
wait_discovered

# as the caller: with the control group among its process's groups, or with none
member() { setpriv --reuid "$UID_" --regid "$GID_" --groups "$GROUP" "$FABRIC_CTL" -s "$T/fabricd.sock" "$@"; }
dropped() { setpriv --reuid "$UID_" --regid "$GID_" --clear-groups "$FABRIC_CTL" -s "$T/fabricd.sock" "$@"; }

expect_exit 0 "reads are open to a caller without the group" dropped -o json functions --card fc0
expect_exit 0 "  ...status too" dropped status
expect_exit 1 "assign refused to a caller whose process dropped the group" dropped assign nic0/pf0/vf2 web1
check "  ...permission-denied, naming the group" grep -q "permission-denied: assign needs privileges: uid $UID_.* is not root, the daemon's uid or a member of group $GROUP" "$T/last.err"
expect_exit 1 "unassign refused as well" dropped unassign nic0/pf0/vf2
check "  ...permission-denied" grep -q "permission-denied" "$T/last.err"
expect_exit 1 "audit is a privileged read: refused" dropped audit
check "  ...permission-denied" grep -q "permission-denied: audit needs privileges" "$T/last.err"

expect_exit 0 "the group as a supplementary group of the caller's process: assign allowed" member assign nic0/pf0/vf2 web1
expect_exit 0 "  ...and audit" member -o json audit
expect_exit 0 "  ...and unassign" member unassign nic0/pf0/vf2

jqcheck "every refusal and the allowed calls are audited with the caller's uid" "
  [.audit[] | select(.uid == $UID_) | [.method, .result]] as \$a
  | all([\"assign\", \"permission-denied\"], [\"unassign\", \"permission-denied\"],
        [\"audit\", \"permission-denied\"], [\"assign\", \"ok\"], [\"unassign\", \"ok\"];
        . as \$want | \$a | any(.[]; . == \$want))" ctlj audit
check "fabricd logs the refusals" grep -q "denied audit to uid $UID_" "$T/fabricd.log"
finish
