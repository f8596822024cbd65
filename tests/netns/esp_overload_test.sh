#!/usr/bin/env bash
# Issue 4, must show 4: a 10 s UDP flood (iperf3 -u -b 0, 1400-byte datagrams)
# through a kite <-> kite tunnel.  Each kited must stay under 100 MB RSS the
# whole time (sampled every 0.2 s), the datagrams lost must be counted where
# they were dropped (kite's counters, the kernel's TUN and socket queues), and
# the tunnel must answer pings right after the flood.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
ns_setup
SECONDS_FLOOD=${FLOOD_SECONDS:-10}
LIMIT_KB=$((100 * 1024))
mkdir -p "$WORK/l" "$WORK/r"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 start >"$WORK/l/k.conf"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none >"$WORK/r/k.conf"
KITE_LOG_LEVEL=1 kited_start "$RIGHT" r "$WORK/r/k.conf"; rp=${PIDS[-1]}
KITE_LOG_LEVEL=1 kited_start "$LEFT" l "$WORK/l/k.conf"; lp=${PIDS[-1]}
wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 5 || die "no Child SA on the responder"
ip netns exec "$LEFT" ping -c 2 -W 2 10.2.0.1 >/dev/null || die "no ping before the flood"

rss() { awk '/VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
ip netns exec "$RIGHT" nstat -n
ip netns exec "$RIGHT" iperf3 -s -1 -B 10.2.0.1 >"$WORK/iperf-s.out" 2>&1 & srv=$!
sleep 0.4
ip netns exec "$LEFT" iperf3 -c 10.2.0.1 -u -b 0 -l 1400 -t "$SECONDS_FLOOD" >"$WORK/iperf.out" 2>&1 & cli=$!
max_l=0; max_r=0
while kill -0 "$cli" 2>/dev/null; do
  l=$(rss "$lp"); r=$(rss "$rp")
  [ "$l" -gt "$max_l" ] && max_l=$l
  [ "$r" -gt "$max_r" ] && max_r=$r
  sleep 0.2
done
wait "$cli" || { cat "$WORK/iperf.out"; die "iperf3 flood failed"; }
wait "$srv" 2>/dev/null || true
log "peak RSS: initiator kited $((max_l / 1024)) MB, responder kited $((max_r / 1024)) MB (limit 100 MB)"
[ "$max_l" -lt "$LIMIT_KB" ] && [ "$max_r" -lt "$LIMIT_KB" ] || die "a kited went over 100 MB RSS"

# right after: the tunnel answers
ip netns exec "$LEFT" ping -c 5 -i 0.2 -W 1 10.2.0.1 >"$WORK/ping.out" ||
  { cat "$WORK/ping.out"; die "no answer to ping right after the flood"; }
log "ping right after the flood: $(grep -o '[0-9]* received' "$WORK/ping.out")/5, $(tail -n 1 "$WORK/ping.out")"

# where the lost datagrams went
read -r sent lost < <(awk '/sender/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); print a[2], a[1] } }' "$WORK/iperf.out" | tail -n 1)
read -r rlost rtotal < <(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); print a[1], a[2] } }' "$WORK/iperf-s.out" "$WORK/iperf.out" | tail -n 1)
kill -USR1 "$lp" "$rp"; sleep 0.4
dl=$(grep "data plane:" "$WORK/l/kited.log" | tail -n 1); dr=$(grep "data plane:" "$WORK/r/kited.log" | tail -n 1)
num() { sed -nE "s/.*$1 ([0-9]+).*/\1/p" <<<"$2"; }
tunq_l=$(num "kite[0-9]+ queue" "$dl"); tunq_r=$(num "kite[0-9]+ queue" "$dr")
sockq_r=$(num "ESP socket queue" "$dr"); senderr_l=$(num "send errors" "$dl"); tunerr_r=$(num "tun write errors" "$dr")
udp_rcvbuf=$(ip netns exec "$RIGHT" nstat -a 2>/dev/null | awk '$1 == "UdpRcvbufErrors" { print $2 }')
iperf_sndbuf=$(ip netns exec "$LEFT" nstat -a 2>/dev/null | awk '$1 == "UdpSndbufErrors" { print $2 }')
counted=$(( ${tunq_l:-0} + ${sockq_r:-0} + ${senderr_l:-0} + ${tunerr_r:-0} + ${udp_rcvbuf:-0} ))
log "iperf3: ${rtotal:-?} datagrams sent through the tunnel, ${rlost:-?} lost; $(grep -E 'receiver' "$WORK/iperf.out" | tail -n 1 | tr -s ' ')"
log "drops counted: initiator's TUN queue ${tunq_l:-0} (kernel, kite not reading fast enough), initiator's ESP send errors ${senderr_l:-0},"
log "               responder's ESP socket queue ${sockq_r:-0} (SO_RXQ_OVFL), responder's TUN writes ${tunerr_r:-0}, iperf3 server's UDP queue ${udp_rcvbuf:-0}"
log "               (total $counted); responder's TUN queue ${tunq_r:-0}; iperf3 client's send buffer errors ${iperf_sndbuf:-0}"
log "    initiator: ${dl#*: }"
log "    responder: ${dr#*: }"
[ -n "${rlost:-}" ] || die "could not read iperf3's loss"
# every lost datagram must be accounted for by some counter (a few in flight at the end aside)
[ "$counted" -ge $(( rlost * 9 / 10 )) ] || die "lost $rlost datagrams but only $counted drops counted"
# (the TUN queue counts every datagram the kernel could not hand to kite, also
# those iperf3 never learns about after its last received sequence number)
kited_stop "$lp"; kited_stop "$rp"
log "PASS"
