#!/usr/bin/env bash
# Issue 6, must show 3: two kite initiators behind the same NAT address
# (LEFT 192.168.1.2 for 10.1.0.0/24 and a third host 192.168.3.2 for
# 10.3.0.0/24, both masqueraded to 192.0.2.1) to one kite responder
# (remote_addrs = %any, remote id %any, remote_ts 10.0.0.0/8).  The NAT gives
# the second one other source ports; the responder keeps two IKE SAs and two
# Child SAs apart by SPI and sends each one's ESP to its own port (neither's
# INITIAL_CONTACT closes the other's IKE SA); both ping through their tunnels
# at the same time without loss.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v nft >/dev/null || die "nft missing (scripts/deps.sh interop installs nftables)"
ns_setup_nat left
THIRD=${NS_TAG}x
nat_client "$THIRD" 3
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/a1" "$WORK/a3" "$WORK/r"
KC_REMOTE_ID=%any kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.0.0.0/8 "$IKE" aes256gcm16 none >"$WORK/r/k.conf"
kite_conf lab 192.168.1.2 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start >"$WORK/a1/k.conf"
kite_conf lab 192.168.3.2 192.0.2.2 10.3.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start >"$WORK/a3/k.conf"

ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -n -w "$WORK/cap.pcap" udp 2>/dev/null & cap=$!
sleep 0.5
kited_start "$RIGHT" r "$WORK/r/k.conf"; rp=${PIDS[-1]}
kited_start "$LEFT" a1 "$WORK/a1/k.conf"
wait_for "$WORK/a1/kited.log" "CHILD_SA .* installed" 10 || die "the first initiator did not install its Child SA"
kited_start "$THIRD" a3 "$WORK/a3/k.conf"
wait_for "$WORK/a3/kited.log" "CHILD_SA .* installed" 10 || die "the second initiator did not install its Child SA"
sleep 0.3
n=$(grep -c "CHILD_SA net{[0-9]*} installed" "$WORK/r/kited.log")
[ "$n" = 2 ] || die "the responder installed $n Child SAs, not 2"
grep -q "stale" "$WORK/r/kited.log" && die "an INITIAL_CONTACT closed the other peer's IKE SA"

ip netns exec "$LEFT" ping -c 30 -i 0.1 -W 2 10.2.0.1 >"$WORK/a1.ping" 2>&1 & p1=$!
ip netns exec "$THIRD" ping -c 30 -i 0.1 -W 2 10.2.0.1 >"$WORK/a3.ping" 2>&1 & p3=$!
wait "$p1" || { cat "$WORK/a1.ping"; die "ping from the first initiator failed"; }
wait "$p3" || { cat "$WORK/a3.ping"; die "ping from the second initiator failed"; }
for f in a1 a3; do
  got=$(grep -c "bytes from 10.2.0.1" "$WORK/$f.ping")
  [ "$got" = 30 ] || die "$f: $got of 30 echoes answered"
done
sleep 0.3
kill "$cap"; wait "$cap" 2>/dev/null || true

st=$(kited_status "$rp" "$WORK/r")
grep -q "status: 2 IKE SA(s)" <<<"$st" || { echo "$st"; die "the responder does not hold two IKE SAs"; }
ports=$(echo "$st" | grep -oE "ESTABLISHED, 192.0.2.2\[4500\]...192.0.2.1\[[0-9]+\]" | sed -E 's/.*\[([0-9]+)\]$/\1/' | sort -u)
[ "$(echo "$ports" | wc -l)" = 2 ] || { echo "$st"; die "the two IKE SAs do not have two ports: $ports"; }
for p in $ports; do
  grep -qE "ESP in UDP .*192.0.2.2\[4500\]...192.0.2.1\[$p\], in [0-9]+ bytes, (29|[3-9][0-9]) packets; out [0-9]+ bytes, (29|[3-9][0-9]) packets" <<<"$st" ||
    { echo "$st"; die "no Child SA at port $p carried the pings both ways"; }
  n=$(tcpdump -n -r "$WORK/cap.pcap" "src host 192.0.2.2 and dst port $p and udp[8:4] != 0" 2>/dev/null | wc -l)
  [ "$n" -ge 30 ] || die "only $n ESP datagrams from the responder to 192.0.2.1 port $p"
done
log "ok: two initiators behind 192.0.2.1, ports $(echo $ports), 30 of 30 echoes each at the same time"
echo "$st" | grep -E "ESTABLISHED|INSTALLED" | sed 's/.*\] /    /'
log "PASS"
