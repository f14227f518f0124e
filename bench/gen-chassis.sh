#!/usr/bin/env bash
# gen-chassis.sh DIR NAME CHASSIS CARDS [PORTS]: benchmark chassis files for switch-sim and
# the fabric.yaml for fabricd. CHASSIS chassis of CARDS ConnectX-5 cards each (256 functions
# a card: 2 PFs + 2 x 127 VFs), PORTS host ports (default 64) of 32 vPPBs, every host
# answering a managed removal at once. Writes DIR/NAME-K.yaml (K = 0..CHASSIS-1, sockets in
# DIR), DIR/NAME.fabric.yaml (state in DIR/NAME-state) and DIR/NAME.functions: every VF as
# "CHASSIS:CARD/pfP/vfV HOST", ordered so consecutive lines use different cards and hosts
# (the first 32 x PORTS lines can all be bound at once).
set -euo pipefail
dir=$1 name=$2 n_chassis=$3 cards=$4 ports=${5:-64}
profiles=$(cd "$(dirname "$0")/profiles" && pwd)

fabric=$dir/$name.fabric.yaml
cat >"$fabric" <<YAML
control:
  socket: $dir/$name.sock
state_dir: $dir/$name-state
chassis:
YAML
: >"$dir/$name.functions"
for ((k = 0; k < n_chassis; k++)); do
  ch=$name$k
  f=$dir/$ch.yaml
  {
    echo "name: $ch"
    echo "model: \"mriov-sim bench\""
    echo "serial: \"BENCH-$k\""
    echo "management: unix:$dir/$ch.sock"
    echo "bench: unix:$dir/$ch-bench.sock"
    echo "profiles: $profiles"
    echo "host_ports:"
    for ((p = 0; p < ports; p++)); do
      printf '  - {name: %sh%02d, port: %d, vppbs: 32, host_response_ms: 0}\n' "$ch" "$p" "$p"
    done
    [[ $cards -gt 0 ]] && echo "slots:" || echo "slots: []"
    for ((c = 0; c < cards; c++)); do
      printf '  - {number: %d, card: {profile: mellanox-cx5-127vf, serial: %d, name: %sn%02d}}\n' \
        $((c + 1)) $((0x10000000 + k * 4096 + c)) "$ch" "$c"
    done
  } >"$f"
  printf '  - name: %s\n    endpoint: unix:%s/%s.sock\n' "$ch" "$dir" "$ch" >>"$fabric"
done
# VF v of PF p of card c on chassis k; line i goes to host i % ports of its chassis
awk -v n="$n_chassis" -v cards="$cards" -v ports="$ports" -v name="$name" 'BEGIN {
  i = 0
  for (v = 0; v < 127; v++)
    for (p = 0; p < 2; p++)
      for (c = 0; c < cards; c++)
        for (k = 0; k < n; k++) {
          printf "%s%d:%s%dn%02d/pf%d/vf%d %s%dh%02d\n", name, k, name, k, c, p, v, name, k, int(i / n) % ports
          i++
        }
}' >>"$dir/$name.functions"
