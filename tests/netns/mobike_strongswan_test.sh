#!/usr/bin/env bash
# Issue 15: MOBIKE (RFC 4555) with kite as the gateway.  charon 5.9.8 is the
# road warrior with two links to the gateway (192.0.2.0/24 and
# 198.51.100.0/24); mid-ping its first address goes away, charon moves its
# IKE and Child SA to the second with UPDATE_SA_ADDRESSES, kite follows
# (the SAs' addresses, NAT detection, COOKIE2 copied back) and the pings carry on.
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
# the second link: left 198.51.100.1, right 198.51.100.2; right reaches the
# gateway's 192.0.2.1 through it once its own 192.0.2.2 is gone
ns_veth "$LEFT" "${NS_TAG}c" 198.51.100.1/24 "$RIGHT" "${NS_TAG}d" 198.51.100.2/24
ip -n "$RIGHT" route add 192.0.2.0/24 via 198.51.100.1 dev "${NS_TAG}d" metric 500

mkdir -p "$WORK/kite" "$WORK/charon"
cat >"$WORK/kite/gw.conf" <<CONF
connections {
  rw {
    local_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = gw.kite.test }
    remote { auth = psk
             id = carol@kite.test }
    children { net { local_ts = 10.1.0.0/24
                     remote_ts = 10.2.0.0/24
                     esp_proposals = aes256gcm16 } }
  }
}
secrets { ike-gw { secret = mobike-test-psk-0123456789 } }
CONF
cat >"$WORK/charon/rw.conf" <<CONF
connections {
  home {
    remote_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    mobike = yes
    local { auth = psk
            id = carol@kite.test }
    remote { auth = psk
             id = gw.kite.test }
    children { net { local_ts = 10.2.0.0/24
                     remote_ts = 10.1.0.0/24
                     esp_proposals = aes256gcm16 } }
  }
}
secrets { ike-gw { secret = mobike-test-psk-0123456789 } }
CONF
kited_start "$LEFT" kite "$WORK/kite/gw.conf"
charon_start "$RIGHT" charon
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/rw.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "charon could not load"; }
swanctl_at "$RIGHT" charon --initiate --child net >"$WORK/charon/initiate.out" 2>&1 ||
  { cat "$WORK/charon/initiate.out"; die "charon could not initiate"; }
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 5 || die "kite did not establish"
grep -q "generating IKE_AUTH response 1 \[ IDr AUTH N(MOBIKE_SUPPORTED)" "$WORK/kite/kited.log" || die "kite's IKE_AUTH response does not carry MOBIKE_SUPPORTED"
grep -q "peer supports MOBIKE" "$WORK/charon/charon.log" || die "charon did not see MOBIKE_SUPPORTED"

ip netns exec "$RIGHT" ping -i 0.05 -W 1 -I 10.2.0.1 10.1.0.1 >"$WORK/ping.log" 2>&1 &
PING=$!
PIDS+=("$PING")
sleep 1
log "removing charon's 192.0.2.2: it must move to 198.51.100.2"
ip -n "$RIGHT" addr del 192.0.2.2/24 dev "${NS_TAG}b"
# charon's liveness check from the new address may come first (kite follows an
# authenticated message from a peer it sees behind a NAT, and kernel-libipsec
# fakes one); the UPDATE_SA_ADDRESSES is answered with NAT detection and COOKIE2
wait_for "$WORK/kite/kited.log" "generating INFORMATIONAL response [0-9]+ \[ N\(NATD_S_IP\) N\(NATD_D_IP\) N\(COOKIE2\) \]" 15 ||
  die "kite did not answer charon's UPDATE_SA_ADDRESSES with NAT detection and COOKIE2"
grep -qE "parsed INFORMATIONAL request [0-9]+ \[ N\(UPDATE_SA_ADDRESSES\)" "$WORK/kite/kited.log" ||
  die "no UPDATE_SA_ADDRESSES from charon"
grep -qE "the peer moved from 192.0.2.2\[[0-9]+\] to 198.51.100.2\[[0-9]+\]" "$WORK/kite/kited.log" ||
  die "kite did not move the IKE SA to 198.51.100.2"
grep -qE "CHILD_SA net\{1\} moved: UDP-encapsulated ESP 192.0.2.1\[4500\]...198.51.100.2\[4500\]" "$WORK/kite/kited.log" ||
  die "kite's data plane did not move the Child SA"
moved_at=$(grep -c "icmp_seq" "$WORK/ping.log" || true)
sleep 3
kill "$PING" 2>/dev/null; wait "$PING" 2>/dev/null || true
total=$(grep -c "icmp_seq" "$WORK/ping.log" || true)
after=$((total - moved_at))
log "pings answered: $total in all, $after after the move; lost: $(ping_lost "$WORK/ping.log")"
[ "$after" -ge 40 ] || { tail -5 "$WORK/ping.log"; die "pings did not carry on after the move ($after answered in 3 s)"; }
sas=$(swanctl_at "$RIGHT" charon --list-sas)
grep -q "198.51.100.2\[4500\]" <<<"$sas" || { echo "$sas"; die "charon's IKE SA is not on its new address"; }
grep -q "ESTABLISHED" <<<"$sas" || { echo "$sas"; die "charon's IKE SA is not ESTABLISHED"; }
[ "$(grep -c "IKE_SA .* established" "$WORK/kite/kited.log")" = 1 ] || die "kite made a new IKE SA instead of moving"
log "PASS"
