#!/usr/bin/env bash
# Issue 6, must show 2: the NAT's mapping changes mid-session.  kite behind
# NAT_L pings through the tunnel every 100 ms; after 2 s the NAT loses its
# mappings (conntrack flushed) and new ones take source ports 40000-40099, as
# after a NAT reboot.
#   1. kite -> kite: the responder follows the first authenticated new ESP
#      packet from the new port (RFC 7296 2.23 for IKE; kite applies it to ESP
#      too): at most 3 echoes lost, the responder's SA and traffic use the new
#      port.
#   2. kite -> charon (dpd_delay = 2s on kite): with MOBIKE agreed (kite is
#      a MOBIKE client) charon, the MOBIKE responder, does not follow a new
#      NAT mapping by itself (RFC 4555 3.1): kite's next liveness check
#      carries NAT detection, charon's answer shows kite's new mapping, and
#      kite sends UPDATE_SA_ADDRESSES (as charon does as a client); the
#      echoes until then are lost, every one after it is answered, and
#      charon's SA shows the new port.
source "$(dirname "$0")/lib.sh"
need_interop
command -v conntrack >/dev/null || die "conntrack missing (scripts/deps.sh interop installs it)"
command -v nft >/dev/null || die "nft missing (scripts/deps.sh interop installs nftables)"
ns_setup_nat left
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/l" "$WORK/r" "$WORK/charon"

# ping for 10 s, the NAT remapped after 2 s; sets LOST and NEWPORT
ping_across_remap() {
  local name=$1
  ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -n -w "$WORK/$name.pcap" udp 2>/dev/null & local cap=$!
  sleep 0.5
  ip netns exec "$LEFT" ping -i 0.1 -c 100 -W 1 10.2.0.1 >"$WORK/$name.ping" 2>&1 & local pp=$!
  sleep 2
  nat_remap "$NAT_L" "$OUT_IF" 40000-40099
  log "   NAT remapped: conntrack flushed, new mappings from ports 40000-40099"
  wait "$pp" || true
  sleep 0.3
  kill "$cap"; wait "$cap" 2>/dev/null || true
  LOST=$(ping_lost "$WORK/$name.ping")
  # the echoes of the last 2 s (20 of 100) must be answered
  local last
  last=$(grep -oE "icmp_seq=[0-9]+" "$WORK/$name.ping" | cut -d= -f2 | sort -n | awk '$1 > 80' | uniq | wc -l)
  [ "$last" -ge 19 ] || { tail -25 "$WORK/$name.ping"; die "$name: the tunnel did not recover ($last of the last 20 echoes answered)"; }
  # the new port: the one most datagrams came from (a flush racing with a
  # packet can leave a short-lived mapping first)
  NEWPORT=$(tcpdump -n -r "$WORK/$name.pcap" 'src host 192.0.2.1 and udp src portrange 40000-40099' 2>/dev/null |
    sed -nE 's/.* 192\.0\.2\.1\.([0-9]+) >.*/\1/p' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
  [ -n "$NEWPORT" ] || die "$name: no datagram from the NAT's new ports"
  # after the change both directions use the new port
  local n_in n_out
  n_in=$(tcpdump -n -r "$WORK/$name.pcap" "src host 192.0.2.1 and src port $NEWPORT and udp[8:4] != 0" 2>/dev/null | wc -l)
  n_out=$(tcpdump -n -r "$WORK/$name.pcap" "dst host 192.0.2.1 and dst port $NEWPORT and udp[8:4] != 0" 2>/dev/null | wc -l)
  [ "$n_in" -ge 10 ] && [ "$n_out" -ge 10 ] ||
    die "$name: ESP on the new port $NEWPORT: $n_in from kite, $n_out to it"
  NEW_IN=$n_in NEW_OUT=$n_out
}

log "== 1. kite behind NAT -> kite"
KC_REMOTE_ID=192.0.2.2 kite_conf lab "$LEFT_ADDR" 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start >"$WORK/l/k.conf"
KC_REMOTE_ID=$LEFT_ADDR kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/r/k.conf"
kited_start "$RIGHT" r "$WORK/r/k.conf"; rp=${PIDS[-1]}
kited_start "$LEFT" l "$WORK/l/k.conf"; lp=${PIDS[-1]}
wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 10 || die "right did not install the Child SA"
wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 5 || die "left did not install the Child SA"
grep -q "installed: .*192.0.2.2\[4500\]...192.0.2.1\[4500\]" "$WORK/r/kited.log" || die "right's SA is not with 192.0.2.1[4500]"
ping_across_remap kk
[ "$LOST" -le 3 ] || die "kite -> kite: $LOST echoes lost across the NAT change"
grep -qE "the peer moved from 192.0.2.1\[[0-9]+\] to 192.0.2.1\[$NEWPORT\] \(NAT mapping changed, seen on an authenticated ESP packet\)" "$WORK/r/kited.log" ||
  { grep -E "moved|follow" "$WORK/r/kited.log"; die "right did not log following the peer to port $NEWPORT"; }
grep -q "CHILD_SA net{1} moved: UDP-encapsulated ESP 192.0.2.2\[4500\]...192.0.2.1\[$NEWPORT\]" "$WORK/r/kited.log" ||
  die "right's Child SA did not move to port $NEWPORT"
st=$(kited_status "$rp" "$WORK/r")
grep -qE " [1-9][0-9]* peer moves followed" <<<"$st" || { echo "$st"; die "right's status does not count the move"; }
grep -q "ESTABLISHED, 192.0.2.2\[4500\]...192.0.2.1\[$NEWPORT\], .*NAT: remote$" <<<"$st" ||
  { echo "$st"; die "right's IKE SA is not at the new port (or does not call the NAT proven)"; }
grep -q "ESP in UDP .*192.0.2.2\[4500\]...192.0.2.1\[$NEWPORT\]" <<<"$st" || { echo "$st"; die "right's Child SA status"; }
lst=$(kited_status "$lp" "$WORK/l")
grep -q "0 peer moves followed" <<<"$lst" || { echo "$lst"; die "left (behind the NAT) moved"; }
log "ok: kite -> kite: $LOST of 100 echoes lost, right followed to 192.0.2.1[$NEWPORT] on ESP, $NEW_IN ESP from / $NEW_OUT to the new port"
kited_stop "$lp"
kited_stop "$rp"

log "== 2. kite behind NAT -> charon, dpd_delay = 2s on kite"
ip netns exec "$NAT_L" nft flush chain ip nat post
ip netns exec "$NAT_L" nft add rule ip nat post oifname "$OUT_IF" masquerade
ip netns exec "$NAT_L" conntrack -F >/dev/null 2>&1 || true
charon_start "$RIGHT" charon
KC_REMOTE_ID=$LEFT_ADDR kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load the configuration"
: >"$WORK/l/kited.log"
KC_EXTRA="dpd_delay = 2s" kite_conf lab "$LEFT_ADDR" 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start >"$WORK/l/k.conf"
kited_start "$LEFT" l "$WORK/l/k.conf"; lp=${PIDS[-1]}
wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "kite did not install the Child SA"
sleep 0.3
ping_across_remap kc
sas=$(swanctl_at "$RIGHT" charon --list-sas)
grep -q "192.0.2.1\[$NEWPORT\]" <<<"$sas" || { echo "$sas"; die "charon's SA is not at the new port $NEWPORT"; }
grep -qE "generating INFORMATIONAL request [0-9]+ \[ N\(NATD_S_IP\) N\(NATD_D_IP\) \]" "$WORK/l/kited.log" ||
  die "kite sent no DPD request with NAT detection"
grep -q "the NAT in front of us mapped us anew" "$WORK/l/kited.log" || die "kite did not see the NAT's new mapping"
grep -qE "generating INFORMATIONAL request [0-9]+ \[ N\(UPDATE_SA_ADDRESSES\) N\(NATD_S_IP\) N\(NATD_D_IP\) \]" "$WORK/l/kited.log" ||
  die "kite did not send UPDATE_SA_ADDRESSES for the new mapping"
[ "$LOST" -le 40 ] || die "kite -> charon: $LOST echoes lost"
log "ok: kite -> charon: $LOST of 100 echoes lost until kite's DPD request and MOBIKE update, charon followed to 192.0.2.1[$NEWPORT], $NEW_IN ESP from / $NEW_OUT to the new port"
kited_stop "$lp"
log "PASS"
