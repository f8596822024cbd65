#!/usr/bin/env bash
# Issue 6, must show 1 (kite <-> kite, both behind NAT): four namespaces,
# LEFT 192.168.1.2 behind NAT_L (masquerade to 192.0.2.1) and RIGHT
# 192.168.2.2 behind NAT_R (masquerade to 192.0.2.2, UDP 500/4500 forwarded to
# RIGHT).  LEFT initiates to 192.0.2.2.
#   1. default ports: IKE_SA_INIT on 500, then everything on 4500; both sides
#      report "local and remote", both send keepalives 2 s apart after 2 s of
#      silence; ping and 2 MB of TCP each way.
#   2. remote_port = 4500: IKE on 4500 from the first message (non-ESP
#      marker), not one datagram on UDP 500.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
command -v nft >/dev/null || die "nft missing (scripts/deps.sh interop installs nftables)"
ns_setup_nat both
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/l" "$WORK/r"

run_case() { # NAME KC_EXTRA
  local name=$1 extra=$2
  log "== $name"
  KC_EXTRA=$extra KC_REMOTE_ID=$RIGHT_ADDR kite_conf lab "$LEFT_ADDR" 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start >"$WORK/l/k.conf"
  KC_REMOTE_ID=$LEFT_ADDR kite_conf lab "$RIGHT_ADDR" %any 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/r/k.conf"
  : >"$WORK/l/kited.log"; : >"$WORK/r/kited.log"
  ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -n -w "$WORK/cap.pcap" udp or arp or icmp 2>/dev/null & local cap=$!
  sleep 0.5
  KITED_ARGS="--keep-alive 2" kited_start "$RIGHT" r "$WORK/r/k.conf"; local rp=${PIDS[-1]}
  KITED_ARGS="--keep-alive 2" kited_start "$LEFT" l "$WORK/l/k.conf"; local lp=${PIDS[-1]}
  wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "$name: left did not install the Child SA"
  wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 5 || die "$name: right did not install the Child SA"
  for s in l r; do
    grep -q "local and remote host are behind NAT" "$WORK/$s/kited.log" || die "$name: $s did not detect both NATs"
  done
  nat_traffic "$LEFT" 10.1.0.1 "$RIGHT" 10.2.0.1 "$name"
  sleep 8
  kill "$cap"; wait "$cap" 2>/dev/null || true
  nat_wire_check "$WORK/cap.pcap" "$name"
  nat_keepalive_check "$WORK/cap.pcap" 192.0.2.1 2 3 quiet; local kal=$KA_GAPS
  nat_keepalive_check "$WORK/cap.pcap" 192.0.2.2 2 3 quiet; local kar=$KA_GAPS
  local st
  st=$(kited_status "$lp" "$WORK/l")
  grep -q "lab\[[0-9]*\]: ESTABLISHED, $LEFT_ADDR\[4500\]...192.0.2.2\[4500\], .*NAT: local and remote (or faked by the peer), keepalive every 2000 ms" <<<"$st" ||
    { echo "$st"; die "$name: left's status"; }
  log "    left:  $(echo "$st" | grep 'lab\[' | sed 's/.*IKE\] //')"
  st=$(kited_status "$rp" "$WORK/r")
  grep -qE "lab\[[0-9]*\]: ESTABLISHED, $RIGHT_ADDR\[4500\]...192.0.2.1\[[0-9]+\], .*NAT: local and remote \(or faked by the peer\), keepalive every 2000 ms" <<<"$st" ||
    { echo "$st"; die "$name: right's status"; }
  log "    right: $(echo "$st" | grep 'lab\[' | sed 's/.*IKE\] //')"
  CASE_UDP500=$(tcpdump -n -r "$WORK/cap.pcap" 'udp port 500' 2>/dev/null | wc -l)
  log "ok: $name: TCP up $NAT_TCP_UP, down $NAT_TCP_DOWN, $NAT_ESP_PACKETS ESP-in-UDP packets, $CASE_UDP500 on UDP 500, keepalives left ${kal}s, right ${kar}s apart"
  kited_stop "$lp"
  kited_stop "$rp"
  ip netns exec "$NAT_L" conntrack -F >/dev/null 2>&1 || true
  ip netns exec "$NAT_R" conntrack -F >/dev/null 2>&1 || true
}

run_case "both behind NAT, IKE_SA_INIT on 500" ""
[ "$CASE_UDP500" -ge 2 ] || die "IKE_SA_INIT did not use port 500"
run_case "both behind NAT, remote_port = 4500" "remote_port = 4500"
[ "$CASE_UDP500" = 0 ] || die "remote_port = 4500: $CASE_UDP500 datagrams on UDP 500"
grep -q "sending packet: to 192.0.2.2\[4500\]" "$WORK/l/kited.log" || die "left did not send IKE to 4500"
log "PASS"
