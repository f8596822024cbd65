#!/usr/bin/env bash
# Issue 6 (transport mode behind NAT, RFC 3948 3.1.2 and RFC 7296 2.23.1):
# kite at 192.168.1.2 behind NAT_L (seen as 192.0.2.1) and kite at 192.0.2.2
# in transport mode, host to host.  The right side names the left one by the
# NAT's address; each side recomputes the TCP/UDP checksums the NAT made
# wrong, so ping, TCP (iperf3) and UDP (iperf3 -u) pass both ways; without
# the fix-up the kernel would drop every TCP segment.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
command -v nft >/dev/null || die "nft missing (scripts/deps.sh interop installs nftables)"
ns_setup_nat left
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/l" "$WORK/r"
kite_conf lab "$LEFT_ADDR" 192.0.2.2 "$LEFT_ADDR/32" 192.0.2.2/32 "$IKE" aes256gcm16 start transport >"$WORK/l/k.conf"
KC_REMOTE_ID=$LEFT_ADDR kite_conf lab 192.0.2.2 %any 192.0.2.2/32 "$LEFT_ADDR/32" "$IKE" aes256gcm16 none transport >"$WORK/r/k.conf"
kited_start "$RIGHT" r "$WORK/r/k.conf"; rp=${PIDS[-1]}
kited_start "$LEFT" l "$WORK/l/k.conf"; lp=${PIDS[-1]}
wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "left did not install the Child SA"
wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 5 || die "right did not install the Child SA"
grep -q "installed: .*transport mode, UDP-encapsulated ESP" "$WORK/r/kited.log" || die "right's SA is not transport mode in UDP"
grep -q "transport mode behind NAT: the peer's traffic selector $LEFT_ADDR/32 is its address 192.0.2.1" "$WORK/r/kited.log" ||
  die "right did not name the peer by the NAT's address"
sleep 0.3
ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -n -w "$WORK/cap.pcap" 2>/dev/null & cap=$!
sleep 0.5
nat_traffic "$LEFT" 192.0.2.1 "$RIGHT" 192.0.2.2 "transport behind NAT" "$LEFT_ADDR"
# UDP with checksums both ways: iperf3 -u, the receiver's loss report
ip netns exec "$RIGHT" iperf3 -s -1 -B 192.0.2.2 >/dev/null 2>&1 & srv=$!
sleep 0.4
ip netns exec "$LEFT" timeout 20 iperf3 -u -c 192.0.2.2 -b 20M -t 2 -l 1200 >"$WORK/udp.out" 2>&1 ||
  { cat "$WORK/udp.out"; die "UDP through the tunnel failed"; }
wait "$srv" 2>/dev/null || true
loss=$(awk '/receiver/ { gsub(/[()%]/, "", $(NF-1)); print $(NF-1) }' "$WORK/udp.out")
awk -v l="${loss:-100}" 'BEGIN { exit !(l < 5) }' || { cat "$WORK/udp.out"; die "UDP loss ${loss:-?}%"; }
sleep 0.3
kill "$cap"; wait "$cap" 2>/dev/null || true
nat_wire_check "$WORK/cap.pcap" "transport behind NAT"
st=$(kited_status "$rp" "$WORK/r")
grep -qE "TRANSPORT, ESP in UDP .*192.0.2.2\[4500\]...192.0.2.1\[4500\], .*malformed 0, policy 0" <<<"$st" ||
  { echo "$st"; die "right's transport SA status"; }
log "ok: transport mode behind NAT: ping both ways, TCP up $NAT_TCP_UP, down $NAT_TCP_DOWN, UDP loss ${loss}%, $NAT_ESP_PACKETS ESP-in-UDP packets"
kited_stop "$lp"
kited_stop "$rp"
log "PASS"
