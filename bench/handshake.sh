#!/usr/bin/env bash
# Time to establish one IKE SA + Child SA (PSK, aes256gcm16-prfsha256-x25519 /
# aes256gcm16) between two network namespaces over a veth pair: kite <-> kite
# beside charon <-> charon, measured the same way in the same run: on the wire,
# from the IKE_SA_INIT request to the IKE_AUTH response (tcpdump timestamps),
# median of N.  Needs root and strongSwan.
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

capture_start() { ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -U -n -w "$1" udp port 500 or udp port 4500 2>/dev/null & CAP=$!; sleep 0.5; }
capture_stop() { sleep 0.3; kill "$CAP"; wait "$CAP" 2>/dev/null || true; }
# microseconds from each ikev2_init request to the next ikev2_auth response
handshakes_us() {
  tcpdump -tt -n -r "$1" 2>/dev/null | awk '
    /ikev2_init\[I\]/ && !t0 { t0 = $1 }
    /ikev2_auth\[R\]/ && t0 { printf "%d\n", ($1 - t0) * 1e6; t0 = 0 }'
}
median() { sort -n | awk '{a[NR]=$1} END { if (NR) print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)); else print 0 }'; }

# charon <-> charon
charon_start "$LEFT" cl
charon_start "$RIGHT" cr
conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 none >"$WORK/cl/s.conf"
conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/cr/s.conf"
swanctl_at "$LEFT" cl --load-all --file "$WORK/cl/s.conf" >/dev/null 2>&1
swanctl_at "$RIGHT" cr --load-all --file "$WORK/cr/s.conf" >/dev/null 2>&1
capture_start "$WORK/charon.pcap"
for _ in $(seq "$N"); do
  swanctl_at "$LEFT" cl --initiate --child net >/dev/null 2>&1
  swanctl_at "$LEFT" cl --terminate --ike lab --force >/dev/null 2>&1
done
capture_stop
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
sleep 0.5
PIDS=()

# kite <-> kite: the initiator starts the SA when it starts (start_action = start)
mkdir -p "$WORK/kr" "$WORK/kl"
conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/kr/k.conf"
conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 start >"$WORK/kl/k.conf"
KITE_LOG_LEVEL=0 kited_start "$RIGHT" kr "$WORK/kr/k.conf"
capture_start "$WORK/kite.pcap"
for _ in $(seq "$N"); do
  : >"$WORK/kl/kited.log"
  KITE_LOG_LEVEL=0 kited_start "$LEFT" kl "$WORK/kl/k.conf"
  wait_for "$WORK/kl/kited.log" "CHILD_SA .* established" 5 || die "kite did not establish"
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
done
capture_stop

c=$(handshakes_us "$WORK/charon.pcap" | median)
k=$(handshakes_us "$WORK/kite.pcap" | median)
nc=$(handshakes_us "$WORK/charon.pcap" | wc -l)
nk=$(handshakes_us "$WORK/kite.pcap" | wc -l)
echo "IKE SA + Child SA, IKE_SA_INIT request to IKE_AUTH response on the wire (median, microseconds)"
printf '%-20s %10s %8s\n' pair median samples
printf '%-20s %10s %8s\n' "charon <-> charon" "$c" "$nc"
printf '%-20s %10s %8s\n' "kite <-> kite" "$k" "$nk"
awk -v k="$k" -v c="$c" 'BEGIN { if (c > 0) printf "kite/charon: %.2f\n", k / c }'
