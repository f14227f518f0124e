#!/usr/bin/env bash
# Store faults (issue 16): fabricd never shares, or acknowledges past, a state directory it
# cannot trust. Each case is a clear error naming the directory or file at fault:
#   1. a second fabricd on the same state directory refuses to start (flock on
#      state_dir/lock, naming the holder's pid); after the first is killed -9 it starts;
#   2. a truncated or corrupted database is refused at startup, nothing is rewritten;
#   3. a read-only state directory (a read-only bind mount; root only) refuses to start;
#   4. a full disk (a small tmpfs; root only): a mutating call is not acknowledged, and
#      what fabricd then holds and the switch agree after a restart on a disk with room.
# Cases 3 and 4 need mount(8) (root); they are skipped with a message otherwise.
source "$(dirname "$0")/../integration/lib.sh"

DEMO=$SOURCE_DIR/configs/chassis/demo.yaml
start_sim demo "$DEMO"
write_fabric_yaml demo demo adopt
start_fabricd
wait_discovered

# --- 1. one fabricd per state directory ---------------------------------------------------
expect_exit 1 "a second fabricd on the same state directory refuses to start" \
  "$FABRICD" -c "$T/fabric.yaml"
check "its error names the directory and the holder's pid" \
  grep -q "state directory $T/state is in use by another fabricd (pid $FABRICD_PID" "$T/last.err"
check "the first one keeps serving" ctl version
jqcheck "assign raid0/pf0 to web1" '.state == "bound" and .stored == true' ctlj assign raid0/pf0 web1
stop_pid "$FABRICD_PID" KILL
start_fabricd # a lock dies with its holder: no stale lock after kill -9
wait_discovered
check "after kill -9 a new fabricd starts, the binding kept" \
  sh -c "'$FABRIC_CTL' -s '$T/fabricd.sock' -o json show raid0/pf0 | jq -e '.function.state == \"bound\"'"
stop_pid "$FABRICD_PID" TERM

# --- 2. truncated or corrupted database -----------------------------------------------------
DB=$T/state/fabric.db
cp "$DB" "$T/good.db"
size=$(stat -c %s "$DB")
truncate -s $((size / 2)) "$DB"
cp "$DB" "$T/before.db"
expect_exit 1 "a truncated database is refused" "$FABRICD" -c "$T/fabric.yaml"
check "  with the file named and what is wrong" grep -q "$DB: the database is corrupt or truncated" "$T/last.err"
check "  and the file left as it was" cmp -s "$DB" "$T/before.db"
cp "$T/good.db" "$DB"
dd if=/dev/urandom of="$DB" bs=4096 seek=$((size / 4096 / 2)) count=1 conv=notrunc 2>/dev/null
expect_exit 1 "a database with a damaged page is refused" "$FABRICD" -c "$T/fabric.yaml"
check "  with the file named" grep -q "$DB: the database is corrupt or truncated" "$T/last.err"
cp "$T/good.db" "$DB"
rm -f "$DB-wal" "$DB-shm"

can_mount() {
  [[ $(id -u) -eq 0 ]] && mkdir -p "$T/mnt-probe" && mount -t tmpfs -o size=64k tmpfs "$T/mnt-probe" 2>/dev/null &&
    umount "$T/mnt-probe"
}
if ! can_mount; then
  echo "skipped: read-only state directory and full disk (need root and mount(8))"
  finish
  exit
fi
MOUNTS=()
trap 'for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done; cleanup' EXIT

# --- 3. read-only state directory ---------------------------------------------------------
mount --bind "$T/state" "$T/state" && MOUNTS+=("$T/state") && mount -o remount,bind,ro "$T/state"
expect_exit 1 "a read-only state directory refuses to start" "$FABRICD" -c "$T/fabric.yaml"
check "  with the directory named and why" grep -q "state directory $T/state.*Read-only file system" "$T/last.err"
umount "$T/state"
MOUNTS=()

# --- 4. full disk -------------------------------------------------------------------------
mkdir -p "$T/small"
mount -t tmpfs -o size=1m,mode=0750 tmpfs "$T/small" && MOUNTS+=("$T/small")
sed -i "s|^state_dir: .*|state_dir: $T/small/state|" "$T/fabric.yaml"
start_fabricd
wait_discovered
jqcheck "assign on a disk with room" '.state == "bound"' ctlj assign fc0/pf0 web2
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null || true # the disk is full now
acked=()
unanswered=0
for vf in 0 1 2 3 4 5 6 7; do
  rc=0
  # each call is answered, at once: acknowledged (durable) or refused store-unavailable
  timeout 15 "$FABRIC_CTL" -s "$T/fabricd.sock" assign "nvme0/pf0/vf$vf" web3 >"$T/full.one" 2>&1 || rc=$?
  cat "$T/full.one" >>"$T/full.out"
  if ((rc == 0)); then acked+=("nvme0/pf0/vf$vf")
  elif ((rc != 1)) || ! grep -q "store-unavailable" "$T/full.one"; then
    unanswered=1; fail "assign nvme0/pf0/vf$vf on the full disk: exit $rc, $(head -c 300 "$T/full.one")"
  fi
done
((unanswered)) || ok "every assign on the full disk answered: acknowledged or store-unavailable"
echo "on the full disk: ${#acked[@]} of 8 assigns acknowledged"
check "fabricd still answers reads" ctl functions
stop_pid "$FABRICD_PID" KILL
rm -f "$T/small/fill"
start_fabricd
wait_discovered
lost=0
for f in "${acked[@]}"; do
  ctlj show "$f" | jq -e '.function.state == "bound"' >/dev/null || { lost=1; fail "acknowledged on a full disk, then lost: $f"; }
done
((lost)) || ok "every assign acknowledged on the full disk survived a kill -9"
stop_pid "$FABRICD_PID" TERM
umount "$T/small"
MOUNTS=()

finish
