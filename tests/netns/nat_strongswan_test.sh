#!/usr/bin/env bash
# Issue 6, must show 1 (kite <-> strongSwan across a real NAT): a third
# namespace NAT_L masquerades (nftables) the host behind it to 192.0.2.1.
#   1. kite behind the NAT initiates to charon: kite detects "local" (and the
#      remote NAT charon's kernel-libipsec fakes), floats to 4500, sends
#      keepalives every 2 s (--keep-alive 2) only after 2 s of silence,
#      charon sends none.
#   2. charon behind the NAT (keep_alive = 2s) initiates to kite: kite reports
#      "remote (or faked by the peer)", sends no keepalives, counts charon's
#      as keepalives (not malformed).
# Each: ping and 2 MB of TCP each way through the tunnel; tcpdump on the
# outside link shows only UDP 500 (IKE_SA_INIT) and 4500, the keepalives as
# 1-byte datagrams 2 s apart.
source "$(dirname "$0")/lib.sh"
need_interop
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
command -v nft >/dev/null || die "nft missing (scripts/deps.sh interop installs nftables)"
ns_setup_nat left
IKE=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
mkdir -p "$WORK/kite" "$WORK/charon"

capture_start() {
  ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -n -w "$WORK/$1.pcap" udp or arp or icmp 2>/dev/null &
  CAP=$!
  sleep 0.5
}
capture_stop() { kill "$CAP"; wait "$CAP" 2>/dev/null || true; }

log "== 1. kite behind NAT ($LEFT_ADDR -> 192.0.2.1) initiates to charon"
charon_start "$RIGHT" charon; ch1=${PIDS[-1]}
KC_REMOTE_ID=$LEFT_ADDR kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.1.0.0/24 "$IKE" "$ESP" none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load the configuration"
kite_conf lab "$LEFT_ADDR" 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" "$ESP" start >"$WORK/kite/k.conf"
capture_start c1
KITED_ARGS="--keep-alive 2" kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite did not install the Child SA"
grep -q "installed: .*UDP-encapsulated ESP $LEFT_ADDR\[4500\]...192.0.2.2\[4500\]" "$WORK/kite/kited.log" ||
  die "kite's Child SA is not ESP in UDP between 4500 and 4500"
grep -q "local and remote host are behind NAT" "$WORK/kite/kited.log" || die "kite did not detect its NAT"
sleep 0.3
nat_traffic "$LEFT" 10.1.0.1 "$RIGHT" 10.2.0.1 "kite behind NAT"
sleep 8 # idle: keepalives (3 or 4 at 2 s)
capture_stop
nat_wire_check "$WORK/c1.pcap" "kite behind NAT"
nat_keepalive_check "$WORK/c1.pcap" 192.0.2.1 2 3 quiet
ka=$KA_GAPS
n=$(tcpdump -n -r "$WORK/c1.pcap" 'src host 192.0.2.2 and udp[4:2] = 9' 2>/dev/null | wc -l)
[ "$n" = 0 ] || die "charon, not behind a NAT, sent $n keepalives"
st=$(kited_status "$kp" "$WORK/kite")
grep -q "lab\[1\]: ESTABLISHED, $LEFT_ADDR\[4500\]...192.0.2.2\[4500\], .*NAT: local and remote (or faked by the peer), keepalive every 2000 ms" <<<"$st" ||
  { echo "$st"; die "kite's status does not say it is behind NAT"; }
kout=$(echo "$st" | sed -n 's/.*NAT keepalives in [0-9]* out \([0-9]*\).*/\1/p')
[ "${kout:-0}" -ge 3 ] || { echo "$st"; die "kite counted ${kout:-0} keepalives sent"; }
sas=$(swanctl_at "$RIGHT" charon --list-sas)
grep -q "remote .*192.0.2.1\[4500\]" <<<"$sas" || { echo "$sas"; die "charon does not see kite at the NAT's 192.0.2.1[4500]"; }
log "ok: kite behind NAT: TCP up $NAT_TCP_UP, down $NAT_TCP_DOWN, $NAT_ESP_PACKETS ESP-in-UDP packets, kite's keepalives ${ka}s apart, none from charon"
log "    kite: $(echo "$st" | grep 'lab\[1\]' | sed 's/.*IKE\] //')"
kited_stop "$kp"
kill "$ch1"; for _ in $(seq 30); do kill -0 "$ch1" 2>/dev/null || break; sleep 0.1; done # frees RIGHT's 500/4500

log "== 2. charon behind NAT initiates to kite"
CHARON_KEEP_ALIVE=2s charon_start "$LEFT" charonl
kite_conf lab "$LEFT_ADDR" 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" "$ESP" none >"$WORK/charonl/swanctl.conf"
swanctl_at "$LEFT" charonl --load-all --clear --file "$WORK/charonl/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load the configuration"
KC_REMOTE_ID=$LEFT_ADDR kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.1.0.0/24 "$IKE" "$ESP" none >"$WORK/kite/k.conf"
: >"$WORK/kite/kited.log"
capture_start c2
KITED_ARGS="--keep-alive 2" kited_start "$RIGHT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
swanctl_at "$LEFT" charonl --initiate --child net >"$WORK/charonl/initiate.out" 2>&1 ||
  { cat "$WORK/charonl/initiate.out"; die "charon could not initiate to kite"; }
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite did not install the Child SA"
grep -q "remote host is behind NAT" "$WORK/kite/kited.log" || die "kite did not see charon's NAT"
grep -q "local host is behind NAT" "$WORK/charonl/charon.log" || die "charon did not detect its NAT"
sleep 0.3
nat_traffic "$LEFT" 10.1.0.1 "$RIGHT" 10.2.0.1 "charon behind NAT"
sleep 8
capture_stop
nat_wire_check "$WORK/c2.pcap" "charon behind NAT"
nat_keepalive_check "$WORK/c2.pcap" 192.0.2.1 2 3
ka=$KA_GAPS
n=$(tcpdump -n -r "$WORK/c2.pcap" 'src host 192.0.2.2 and udp[4:2] = 9' 2>/dev/null | wc -l)
[ "$n" = 0 ] || die "kite, not behind a NAT, sent $n keepalives"
st=$(kited_status "$kp" "$WORK/kite")
grep -q "lab\[1\]: ESTABLISHED, 192.0.2.2\[4500\]...192.0.2.1\[4500\], .*NAT: remote (or faked by the peer)$" <<<"$st" ||
  { echo "$st"; die "kite's status does not say the peer is behind NAT"; }
kin=$(echo "$st" | sed -n 's/.*NAT keepalives in \([0-9]*\) out 0.*/\1/p')
[ "${kin:-0}" -ge 3 ] || { echo "$st"; die "kite counted ${kin:-none} keepalives received (and should have sent none)"; }
grep -q "unknown SPI 0, malformed 0," <<<"$st" || { echo "$st"; die "keepalives counted as malformed ESP"; }
log "ok: charon behind NAT: TCP up $NAT_TCP_UP, down $NAT_TCP_DOWN, $NAT_ESP_PACKETS ESP-in-UDP packets, charon's keepalives ${ka}s apart, $kin received by kite, none sent"
log "    kite: $(echo "$st" | grep 'lab\[1\]' | sed 's/.*IKE\] //')"
kited_stop "$kp"
log "PASS"
