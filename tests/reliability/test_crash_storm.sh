#!/usr/bin/env bash
# Crash storm (issue 16): N clients loop assign/unassign on their own functions of
# configs/chassis/large.yaml through fabric-ctl, each logging every answer before its next
# request; fabricd is killed with SIGKILL at seeded random moments and restarted on the same
# state directory. After each restart the switch's own bindings (switch-sim's bench `dump`
# of every host, not fabricd) and fabricd's `functions` are compared with the logs:
#   - every function whose last request was acknowledged is as that answer said: an
#     acknowledged assign is bound to the client's host, an acknowledged unassign is free;
#   - no function is bound to two hosts, nothing is bound that no client ever asked for;
#   - a request in flight at the kill may land either way: counted, not judged;
#   - fabricd's view equals the switch's once it has re-converged (time reported).
# Short by default (CI: 4 kills, 4 clients); the benchmark machine sets, e.g.:
#   FABRIC_STORM_KILLS=30 FABRIC_STORM_CLIENTS=16 FABRIC_STORM_SEED=7
#   FABRIC_STORM_TARGETS=fabricd FABRIC_STORM_FAULTS="--fault-drop 2% --fault-delay-ms 50"
source "$(dirname "$0")/../integration/lib.sh"

KILLS=${FABRIC_STORM_KILLS:-4}
# what each trial kills, picked at random among: fabricd (SIGKILL, restarted on the same
# state directory), switch (switch-sim SIGKILLed and restarted: its bindings are gone and
# fabricd must re-apply its intents), reboot (the bench's `reboot`)
read -ra TARGETS <<<"${FABRIC_STORM_TARGETS:-fabricd switch reboot}"
# switch-sim's FMP fault injection, e.g. "--fault-drop 2% --fault-error 2% --fault-delay-ms 50"
read -ra FAULTS <<<"${FABRIC_STORM_FAULTS:-}"
if ((${#FAULTS[@]})) && [[ ${FABRIC_STORM_FAULTS_KNOWN_FAILING:-} != run ]]; then
  # Known failing (issue 16): one failed FMP request aborts fabricd's whole discovery and
  # reconnects, and large.yaml's discovery is hundreds of requests, so at a few percent of
  # faults it never completes: fabricd never re-converges (seed 5, 2% drop+error: 0 of 4
  # trials). Set FABRIC_STORM_FAULTS_KNOWN_FAILING=run to run it anyway.
  echo "skipped: the FMP fault variant is known failing (discovery never completes under faults; see the script)"
  exit 77
fi
CLIENTS=${FABRIC_STORM_CLIENTS:-4}
SEED=${FABRIC_STORM_SEED:-$$}
RANDOM=$SEED
if ((CLIENTS < 1 || CLIENTS > 16)); then
  echo "FABRIC_STORM_CLIENTS must be 1..16 (one host and one card per client)" >&2
  exit 2
fi
echo "crash storm: $KILLS kills of ${TARGETS[*]}, $CLIENTS clients, seed $SEED${FAULTS[*]:+, faults ${FAULTS[*]}}"

LARGE=$SOURCE_DIR/configs/chassis/large.yaml
start_sim large "$LARGE" "${FAULTS[@]}" --fault-seed "$SEED"
write_fabric_yaml large large
start_fabricd
wait_discovered

# client I owns nic(I)/pf0/vf0 and vf1 and binds them to host(I+1): the functions are
# distinct, so every client's log alone says what its functions must be.
host_of() { printf 'host%02d' $(($1 + 1)); }
funcs_of() { echo "nic$1/pf0/vf0 nic$1/pf0/vf1"; }

# One client: alternates assign/unassign on its two functions until $T/stop exists.
# Log lines: "REQ f op" before the request; after it "ACK f op", "NAK f op" (refused:
# nothing changed) or "LOST f op rc" (no answer: in flight, either way). After a restart
# the checker appends "SEEN f bound|free" for each function left in flight: how it landed.
client() {
  local i=$1 host f op rc n=0 log=$T/client$1.log
  local -a fs
  read -ra fs <<<"$(funcs_of "$i")"
  host=$(host_of "$i")
  RANDOM=$((SEED + i * 7919 + $([[ -f $log ]] && wc -l <"$log" || echo 0)))
  while [[ ! -e $T/stop ]]; do
    f=${fs[RANDOM % 2]}
    if ((RANDOM % 2)); then op=assign; else op=unassign; fi
    echo "REQ $f $op" >>"$log"
    rc=0
    if [[ $op == assign ]]; then
      "$FABRIC_CTL" -s "$T/fabricd.sock" --timeout 20 assign "$f" "$host" >>"$T/client$i.out" 2>&1 || rc=$?
    else
      "$FABRIC_CTL" -s "$T/fabricd.sock" --timeout 20 unassign "$f" >>"$T/client$i.out" 2>&1 || rc=$?
    fi
    case $rc in
      0) echo "ACK $f $op" >>"$log" ;;
      1) echo "NAK $f $op" >>"$log" ;;
      *) echo "LOST $f $op $rc" >>"$log" ;;
    esac
    n=$((n + 1))
  done
}

# expected.txt: "function host state" per requested function, state bound|free|either
expected() {
  local i
  for ((i = 0; i < CLIENTS; i++)); do
    [[ -f $T/client$i.log ]] || continue
    awk -v host="$(host_of "$i")" '
      $1 == "REQ" { seen[$2] = 1; if (!($2 in st)) st[$2] = "free" }
      $1 == "ACK" { st[$2] = ($3 == "assign") ? "bound" : "free" }
      $1 == "LOST" { st[$2] = "either" }
      $1 == "SEEN" { st[$2] = $3 }
      END { for (f in seen) print f, host, st[f] }' "$T/client$i.log"
  done | sort
}

# switch.txt: "function host" for every function the switch binds (its own host views)
switch_view() {
  local p
  for ((p = 0; p < 16; p++)); do
    bench large dump "$p" | awk -v host="$(host_of "$p")" \
      '/^[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]\.[0-7] / && !/PCI bridge:/ { print $2, host }' || return 1
  done | sort
}

fabricd_view() {
  ctlj functions | jq -r '.functions[] | select(.state != "free") | "\(.function) \(.host)"' | sort
}

# Prints the violations of the switch's view against the expectation; empty when none.
violations() {
  awk '
    FNR == NR { host[$1] = $2; st[$1] = $3; next }
    { n[$1]++; on[$1] = $2
      if (!($1 in st)) print "bound but never requested:", $1, "on", $2
      else if ($2 != host[$1]) print "bound to the wrong host:", $1, "on", $2 }
    END {
      for (f in n) if (n[f] > 1) print "bound to", n[f], "hosts:", f
      for (f in st) {
        if (st[f] == "bound" && !(f in n)) print "acknowledged assign lost:", f, "to", host[f]
        if (st[f] == "free" && (f in n)) print "acknowledged unassign undone:", f, "on", on[f]
      }
    }' "$T/expected.txt" "$T/switch.txt"
}

TRIALS=0 ACKED=0 INFLIGHT=0 LANDED=0 VIOLATIONS=0 CONV_MAX=0 CONV_SUM=0
for ((trial = 1; trial <= KILLS; trial++)); do
  rm -f "$T/stop"
  CPIDS=()
  for ((i = 0; i < CLIENTS; i++)); do
    client "$i" &
    CPIDS+=($!)
  done
  # a seeded random moment: 0.3 .. 3.3 s of traffic
  ms=$((300 + RANDOM % 3000))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  target=${TARGETS[RANDOM % ${#TARGETS[@]}]}
  touch "$T/stop" # no new request; those in flight meet the kill
  case $target in
    fabricd) stop_pid "$FABRICD_PID" KILL ;;
    switch) stop_pid "$SIM_PID_large" KILL ;;
    reboot) bench large reboot >/dev/null ;;
  esac
  for p in "${CPIDS[@]}"; do wait "$p" || true; done
  TRIALS=$((TRIALS + 1))

  t0=$(date +%s%N)
  case $target in
    fabricd) start_fabricd ;;
    switch) start_sim large "$LARGE" "${FAULTS[@]}" --fault-seed "$((SEED + trial))" ;;
  esac
  expected >"$T/expected.txt"
  converged=0 doubles=""
  # re-convergence: the switch meets the log and fabricd's view equals the switch's
  # (bounded: 20 s; a trial still inconsistent then is a violation)
  deadline=$((t0 + 20000000000))
  while (($(date +%s%N) < deadline)); do
    if switch_view >"$T/switch.txt" && fabricd_view >"$T/fabricd.txt" 2>/dev/null; then
      d=$(violations | grep 'hosts:' || true)
      [[ -n $d ]] && doubles+="$d"$'\n'
      if [[ -z $(violations) ]] && cmp -s "$T/switch.txt" "$T/fabricd.txt"; then
        converged=1
        break
      fi
    fi
    sleep 0.05
  done
  t1=$(date +%s%N)
  conv=$(((t1 - t0) / 1000000))
  inflight=$(grep -c either "$T/expected.txt" || true)
  acked=$(cat "$T"/client*.log | grep -c '^ACK' || true)
  INFLIGHT=$((INFLIGHT + inflight))
  # how each request in flight landed, as the switch shows it: the next trial's baseline
  landed=0
  while read -r f host st; do
    [[ $st == either ]] || continue
    i=${f#nic}; i=${i%%/*}
    if grep -q "^$f " "$T/switch.txt"; then now=bound; else now=free; fi
    echo "SEEN $f $now" >>"$T/client$i.log"
    lost=$(grep "^LOST $f " "$T/client$i.log" | tail -n1 | cut -d' ' -f3)
    [[ $lost/$now == assign/bound || $lost/$now == unassign/free ]] && landed=$((landed + 1))
  done <"$T/expected.txt"
  LANDED=$((LANDED + landed))
  if ((converged)) && [[ -z $doubles ]]; then
    ok "trial $trial: $target killed after ${ms} ms, re-converged in ${conv} ms ($inflight in flight, $landed landed)"
  else
    VIOLATIONS=$((VIOLATIONS + 1))
    fail "trial $trial: $target killed after ${ms} ms, not consistent after ${conv} ms (seed $SEED):
$(violations)
${doubles}switch vs fabricd:
$(diff "$T/switch.txt" "$T/fabricd.txt" || true)"
    cp "$T/expected.txt" "$T/expected.$trial.txt"
  fi
  ((conv > CONV_MAX)) && CONV_MAX=$conv
  CONV_SUM=$((CONV_SUM + conv))
done
ACKED=$(cat "$T"/client*.log | grep -c '^ACK' || true)
REFUSED=$(cat "$T"/client*.log | grep -c '^NAK' || true)
echo "crash storm summary: trials $TRIALS, acknowledged ops $ACKED, refused $REFUSED, in flight at a kill $INFLIGHT," \
  "of which landed $LANDED, violations $VIOLATIONS, re-convergence max ${CONV_MAX} ms mean $((CONV_SUM / (TRIALS ? TRIALS : 1))) ms"
finish
