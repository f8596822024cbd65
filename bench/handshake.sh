#!/usr/bin/env bash
# Time to establish one IKE SA + Child SA (PSK, aes256gcm16-prfsha256-x25519),
# median of N, kite <-> kite beside charon <-> charon, in the same run, over a
# veth pair between two namespaces.  Needs root and strongSwan.
# Usage: bench/handshake.sh [BUILD_DIR] [N]
set -euo pipefail
KITE_BUILD=$(cd "${1:-build}" && pwd)
N=${2:-50}
NS_TAG=kbh
source "$(dirname "$0")/../tests/netns/lib.sh"
need_root
ns_setup

conf() { # local remote lts rts start
  cat <<CONF
connections { lab { version = 2
  local_addrs = $1
  remote_addrs = $2
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk
          id = $1 }
  remote { auth = psk
           id = $2 }
  children { net { local_ts = $3
                   remote_ts = $4
                   esp_proposals = aes256gcm16
                   start_action = $5 } } } }
secrets { ike-lab { secret = "bench-psk-0123456789" } }
CONF
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now_us() { echo $(( $(date +%s%N) / 1000 )); }

charon_times() {
  charon_start "$LEFT" cl
  charon_start "$RIGHT" cr
  conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 none >"$WORK/cl/s.conf"
  conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/cr/s.conf"
  swanctl_at "$LEFT" cl --load-all --file "$WORK/cl/s.conf" >/dev/null 2>&1
  swanctl_at "$RIGHT" cr --load-all --file "$WORK/cr/s.conf" >/dev/null 2>&1
  for _ in $(seq "$N"); do
    t0=$(now_us)
    swanctl_at "$LEFT" cl --initiate --child net >/dev/null 2>&1
    t1=$(now_us)
    echo $((t1 - t0))
    swanctl_at "$LEFT" cl --terminate --ike lab >/dev/null 2>&1
  done
}

kite_times() {
  mkdir -p "$WORK/kr"
  conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/kr/k.conf"
  kited_start "$RIGHT" kr "$WORK/kr/k.conf"
  mkdir -p "$WORK/kl"
  conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 start >"$WORK/kl/k.conf"
  for i in $(seq "$N"); do
    # kited initiates at start (start_action = start) and logs each step with
    # a monotonic microsecond stamp: the time from its first IKE_SA_INIT to
    # the Child SA is the handshake
    ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/kl/k.conf" --foreground \
      --run-dir "$WORK/kl" --log-level 1 --exit-after-establish >"$WORK/kl/run$i.log" 2>&1
    sed -nE 's/.*handshake took ([0-9]+) us.*/\1/p' "$WORK/kl/run$i.log"
  done
}

c=$(charon_times | median)
pkill -f "charon" 2>/dev/null || true
k=$(kite_times | median)
printf '%-24s %12s\n' "IKE+Child SA (median/$N)" "microseconds"
printf '%-24s %12s\n' "charon <-> charon" "$c"
printf '%-24s %12s\n' "kite <-> kite" "$k"
awk -v k="$k" -v c="$c" 'BEGIN { if (k > 0) printf "kite/charon: %.2f\n", k / c }'
