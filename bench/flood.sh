#!/usr/bin/env bash
# The cost of a spoofed IKE_SA_INIT flood per packet: kited beside charon
# under the same flood in the same run.  Two namespaces over a veth pair: the
# responder (kited, then charon, each with one connection for %any and its
# default log level) at 192.0.2.2, and ikeflood at 192.0.2.1 sending RATE
# requests a second for SECONDS from random addresses in 198.18.0.0/15, which
# the responder routes back to 192.0.2.1, where they are dropped (not its
# addresses, no forwarding) and counted (all answers, and those carrying a
# COOKIE notify).  Per daemon: the datagrams it read from its sockets (the
# kernel's UDP InDatagrams; RcvbufErrors are the ones lost on a full queue),
# its CPU time over the flood (utime + stime of all its threads), and the CPU
# time per datagram read.  Needs root and strongSwan.
# Usage: bench/flood.sh [BUILD_DIR] [SECONDS] [RATE]
set -euo pipefail
KITE_BUILD=$(cd "${1:-build}" && pwd)
SECS=${2:-10}
RATE=${3:-20000}
NS_TAG=kbf
source "$(dirname "$0")/../tests/netns/lib.sh"
need_root
[ -x "$KITE_BUILD/ikeflood" ] || die "no ikeflood in $KITE_BUILD"
ns_setup
ip -n "$RIGHT" route add 198.18.0.0/15 via 192.0.2.1
ip netns exec "$LEFT" sysctl -qw net.ipv4.ip_forward=0
# answers at the sink: all, and those whose first payload is N(COOKIE)
# (UDP header, IKE header: next payload 41 at bit 192, notify type at bit 336)
ip netns exec "$LEFT" nft -f - <<NFT
table ip sink {
  chain pre {
    type filter hook prerouting priority 0;
    ip saddr 192.0.2.2 ip daddr 198.18.0.0/15 udp sport 500 counter
    ip saddr 192.0.2.2 ip daddr 198.18.0.0/15 udp sport 500 @th,192,8 41 @th,336,16 16390 counter
  }
}
NFT

mkdir -p "$WORK/kite"
conf() {
  cat <<CONF
connections { rw { version = 2
  local_addrs = 192.0.2.2
  remote_addrs = %any
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk
          id = 192.0.2.2 }
  remote { auth = psk
           id = %any }
  children { net { local_ts = 10.2.0.0/24
                   remote_ts = 10.99.0.0/24
                   esp_proposals = aes256gcm16 } } } }
secrets { ike-rw { secret = "bench-flood-psk-0123456789" } }
CONF
}

cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"; }
udp_in() { ip netns exec "$RIGHT" awk '/^Udp:/ && ++n == 2 { print $2, $6 }' /proc/net/snmp; }
sink() { ip netns exec "$LEFT" nft list table ip sink | sed -nE 's/.*counter packets ([0-9]+).*/\1/p' | paste -sd' '; }

# flood WHO PID: one flood at the daemon PID; prints its row, sets US
flood() {
  local who=$1 pid=$2 c0 c1 in0 in1 qd0 qd1 a0 a1 k0 k1 sent
  sleep 1
  c0=$(cpu_ms "$pid"); read -r in0 qd0 < <(udp_in); read -r a0 k0 < <(sink)
  ip netns exec "$LEFT" "$KITE_BUILD/ikeflood" --dst 192.0.2.2 --src 198.18.0.0/15 --rate "$RATE" \
    --seconds "$SECS" >"$WORK/$who.flood"
  sleep 1 # what is queued is read
  c1=$(cpu_ms "$pid"); read -r in1 qd1 < <(udp_in); read -r a1 k1 < <(sink)
  kill -0 "$pid" 2>/dev/null || die "$who died under the flood"
  sent=$(sed -nE 's/^sent=([0-9]+).*/\1/p' "$WORK/$who.flood")
  US=$(awk -v c=$((c1 - c0)) -v n=$((in1 - in0)) 'BEGIN { printf "%.2f", n ? c * 1000 / n : 0 }')
  printf '%-8s %9s %9s %9s %8s %10s %9s %9s\n' "$who" "$sent" $((in1 - in0)) $((qd1 - qd0)) $((c1 - c0)) "$US" \
    $((a1 - a0)) $((k1 - k0))
}

echo "Spoofed IKE_SA_INIT flood, $RATE/s for $SECS s (Curve25519 KE, random sources in 198.18.0.0/15)"
printf '%-8s %9s %9s %9s %8s %10s %9s %9s\n' daemon sent read "q drops" "CPU ms" "us/packet" answers cookies
conf >"$WORK/kite/k.conf"
KITE_LOG_LEVEL=1 kited_start "$RIGHT" kite "$WORK/kite/k.conf"
flood kite "${PIDS[-1]}"; k=$US
kited_stop "${PIDS[-1]}"

CHARON_IKE_LEVEL=1 charon_start "$RIGHT" charon
conf >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
flood charon "${PIDS[-1]}"; c=$US
awk -v k="$k" -v c="$c" 'BEGIN { if (c > 0) printf "kite/charon, CPU per packet read: %.2f\n", k / c }'
