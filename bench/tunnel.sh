#!/usr/bin/env bash
# Throughput and latency through a tunnel between two network namespaces, in
# one run, side by side: the bare veth (the ceiling), kite <-> kite (userspace
# ESP over TUN), strongSwan <-> strongSwan (charon with kernel-libipsec) and
# wireguard-go.  For each: iperf3 TCP for T seconds, the highest UDP rate with
# 1400-byte IP packets (1372-byte datagrams: they fit every tunnel's MTU) that
# arrives with under 1% loss (offered rate stepped up),
# ping RTT (average of 200 at 20 ms intervals, its difference to the bare
# veth's, and the average of 2000 back to back with ping -f, where no CPU has
# gone idle in between; and again with the daemons and ping on one CPU), and
# the CPU the tunnel's daemons used during TCP (beside the whole machine's:
# $(nproc) CPUs give at most $(nproc)00%) and during the 4 s of 20 ms pings.
# Needs root, strongSwan, wireguard-go and iperf3 (scripts/deps.sh bench).
# Usage: bench/tunnel.sh [BUILD_DIR] [TCP_SECONDS]
set -euo pipefail
KITE_BUILD=$(cd "${1:-build}" && pwd)
T=${2:-10}
NS_TAG=kbt
source "$(dirname "$0")/../tests/netns/lib.sh"
need_root
for c in iperf3 wireguard-go wg; do command -v $c >/dev/null || { echo "missing $c: scripts/deps.sh bench"; exit 1; }; done
ns_setup
UDP_STEPS=${UDP_STEPS:-"100M 200M 300M 500M 700M 1G 1500M 2G 3G 5G"}
IKE=aes256gcm16-prfsha256-x25519 ESP=aes256gcm16

# busy ticks of the whole machine (every CPU, /proc/stat: all but idle and iowait)
host_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }

measure() { # NAME DST DAEMON_PIDS...
  local name=$1 dst=$2; shift 2
  local pids=("$@") srv tcp udp=0 rtt t0 t1 hz
  hz=$(getconf CLK_TCK)
  ip netns exec "$LEFT" ping -c 3 -W 2 "$dst" >/dev/null || { echo "$name: no ping to $dst"; return 1; }
  t0=$(cpu_ticks "${pids[@]}")
  rtt=$(ip netns exec "$LEFT" ping -c 200 -i 0.02 -q "$dst" | awk -F/ '/^rtt/ { print $5 }')
  t1=$(cpu_ticks "${pids[@]}")
  local pcpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="${#pids[@]}" 'BEGIN { if (n) printf "%.0f%%", 100 * (b - a) / hz / 4; else print "-" }')
  rttf=$(ip netns exec "$LEFT" ping -f -c 2000 -q "$dst" | awk -F/ '/^rtt/ { print $5 }')
  # the same ping with the daemons and ping on one CPU: no wake-up crosses
  # virtual CPUs (tens of microseconds each on a VM whose idle vCPUs halt)
  local p all="0-$(($(nproc) - 1))" rtt1
  for p in "${pids[@]}"; do taskset -a -p -c 0 "$p" >/dev/null; done
  rtt1=$(ip netns exec "$LEFT" taskset -c 0 ping -c 200 -i 0.02 -q "$dst" | awk -F/ '/^rtt/ { print $5 }')
  for p in "${pids[@]}"; do taskset -a -p -c "$all" "$p" >/dev/null; done
  ip netns exec "$RIGHT" iperf3 -s -1 -B "$dst" >/dev/null 2>&1 & srv=$!
  sleep 0.4
  t0=$(cpu_ticks "${pids[@]}"); h0=$(host_ticks)
  tcp=$(ip netns exec "$LEFT" iperf3 -c "$dst" -t "$T" -f m | awk '/receiver/ { print $(NF-2) }')
  t1=$(cpu_ticks "${pids[@]}"); h1=$(host_ticks)
  local host=$(awk -v a="$h0" -v b="$h1" -v hz="$hz" -v t="$T" 'BEGIN { printf "%.0f%%", 100 * (b - a) / hz / t }')
  wait "$srv" 2>/dev/null || true
  local cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v t="$T" -v n="${#pids[@]}" 'BEGIN { if (n) printf "%.0f%%", 100 * (b - a) / hz / t; else print "-" }')
  for rate in $UDP_STEPS; do
    ip netns exec "$RIGHT" iperf3 -s -1 -B "$dst" >/dev/null 2>&1 & srv=$!
    sleep 0.3
    local loss
    loss=$(ip netns exec "$LEFT" iperf3 -c "$dst" -u -l 1372 -b "$rate" -t 3 -f m | awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^\([0-9.e+-]+%\)$/) { gsub(/[()%]/, "", $i); print $i } }')
    wait "$srv" 2>/dev/null || true
    awk -v l="${loss:-100}" 'BEGIN { exit !(l < 1) }' || break
    udp=$rate
  done
  RESULTS+=("$name|${tcp:-0}|$udp|${rtt:-0}|${rttf:-0}|$cpu|$pcpu|${rtt1:-0}|$host")
}

RESULTS=()
mkdir -p "$WORK/l" "$WORK/r"
SETUPS=${SETUPS:-"veth kite strongswan wireguard"} # a subset, e.g. SETUPS=kite
want() { [[ " $SETUPS " == *" $1 "* ]]; }

# 1. the bare veth
want veth && measure "bare veth" 192.0.2.2

# 2. kite <-> kite: as it starts by default, and with --busy-poll (polling
# for a while after traffic instead of sleeping: latency for CPU time)
kite_pair() { # NAME [KITED OPTIONS]
  local name=$1; shift
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE $ESP start >"$WORK/l/k.conf"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE $ESP none >"$WORK/r/k.conf"
  # ENCAP=yes: ESP in UDP 4500 (as behind a NAT) instead of IP protocol 50
  [ -z "${ENCAP:-}" ] || sed -i 's/^    version = 2$/&\n    encap = yes/' "$WORK/l/k.conf" "$WORK/r/k.conf"
  KITED_ARGS="$*" KITE_LOG_LEVEL=1 kited_start "$RIGHT" r "$WORK/r/k.conf"; kr=${PIDS[-1]}
  KITED_ARGS="$*" KITE_LOG_LEVEL=1 kited_start "$LEFT" l "$WORK/l/k.conf"; kl=${PIDS[-1]}
  wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "kite: no tunnel"
  measure "$name" 10.2.0.1 "$kl" "$kr"
  kited_stop "$kl"; kited_stop "$kr"
  rm -f "$WORK/l/kited.log" "$WORK/r/kited.log"
}
if want kite; then
  kite_pair "kite <-> kite"
  kite_pair "kite --busy-poll ${BUSY_POLL:=1000}" --busy-poll "$BUSY_POLL"
  ENCAP=yes kite_pair "kite, ESP in UDP 4500"
fi

# 3. strongSwan <-> strongSwan (kernel-libipsec)
if want strongswan; then
charon_start "$LEFT" cl; cl=${PIDS[-1]}
charon_start "$RIGHT" cr; cr=${PIDS[-1]}
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE $ESP none >"$WORK/cl/s.conf"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE $ESP none >"$WORK/cr/s.conf"
swanctl_at "$LEFT" cl --load-all --file "$WORK/cl/s.conf" >/dev/null 2>&1
swanctl_at "$RIGHT" cr --load-all --file "$WORK/cr/s.conf" >/dev/null 2>&1
swanctl_at "$LEFT" cl --initiate --child net >/dev/null 2>&1 || die "strongSwan: no tunnel"
sleep 0.5
# charon's pids are the unshare wrappers' children
ccl=$(pgrep -P "$cl" || echo "$cl"); ccr=$(pgrep -P "$cr" || echo "$cr")
measure "strongSwan <-> strongSwan" 10.2.0.1 $ccl $ccr
kill "$cl" "$cr" 2>/dev/null || true; sleep 1
fi

# 4. wireguard-go (its control sockets live in /var/run/wireguard, shared by
# the namespaces: one interface name per side)
if want wireguard; then
umask 077
for side in l r; do wg genkey >"$WORK/$side.key"; wg pubkey <"$WORK/$side.key" >"$WORK/$side.pub"; done
ip netns exec "$LEFT" env WG_PROCESS_FOREGROUND=1 wireguard-go -f wgl0 >"$WORK/wgl.log" 2>&1 & wl=$!; PIDS+=($wl)
ip netns exec "$RIGHT" env WG_PROCESS_FOREGROUND=1 wireguard-go -f wgr0 >"$WORK/wgr.log" 2>&1 & wr=$!; PIDS+=($wr)
sleep 0.5
ip netns exec "$LEFT" wg set wgl0 private-key "$WORK/l.key" listen-port 51820 peer "$(cat "$WORK/r.pub")" allowed-ips 10.2.0.0/24 endpoint 192.0.2.2:51820
ip netns exec "$RIGHT" wg set wgr0 private-key "$WORK/r.key" listen-port 51820 peer "$(cat "$WORK/l.pub")" allowed-ips 10.1.0.0/24 endpoint 192.0.2.1:51820
ip -n "$LEFT" link set wgl0 up mtu 1420; ip -n "$RIGHT" link set wgr0 up mtu 1420
ip -n "$LEFT" route add 10.2.0.0/24 dev wgl0 src 10.1.0.1
ip -n "$RIGHT" route add 10.1.0.0/24 dev wgr0 src 10.2.0.1
measure "wireguard-go" 10.2.0.1 "$wl" "$wr"
fi

echo
echo "Tunnel throughput and latency, same machine, same run (TCP ${T} s; UDP: highest offered rate with <1% loss, 1400-byte packets)"
printf '%-26s %10s %10s %12s %8s %9s %8s %17s %8s %8s %8s\n' setup "TCP Mbit/s" "x strongSw" "UDP <1% loss" "ping ms" "- veth" "flood ms" "1-CPU ms" "TCP CPU" "host CPU" "ping CPU"
sw=$(printf '%s\n' "${RESULTS[@]}" | awk -F'|' '/^strongSwan/ { print $2 }')
vrtt=$(printf '%s\n' "${RESULTS[@]}" | awk -F'|' '/^bare veth/ { print $4 }')
vrtt1=$(printf '%s\n' "${RESULTS[@]}" | awk -F'|' '/^bare veth/ { print $8 }')
for r in "${RESULTS[@]}"; do
  IFS='|' read -r name tcp udp rtt rttf cpu pcpu rtt1 host <<<"$r"
  ratio=$(awk -v a="$tcp" -v b="${sw:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  dv=$(awk -v a="$rtt" -v b="${vrtt:-}" 'BEGIN { if (b != "") printf "%+.3f", a - b; else print "-" }')
  dv1=$(awk -v a="$rtt1" -v b="${vrtt1:-}" 'BEGIN { if (b != "") printf "%s (%+.3f)", a, a - b; else print a }')
  printf '%-26s %10s %10s %12s %8s %9s %8s %17s %8s %8s %8s\n' "$name" "$tcp" "$ratio" "$udp" "$rtt" "$dv" "$rttf" "$dv1" "$cpu" "$host" "$pcpu"
done
