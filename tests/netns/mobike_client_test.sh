#!/usr/bin/env bash
# Issue 15: MOBIKE (RFC 4555) with kite as the road warrior.  kite (right)
# has two links to the gateway (left): 192.0.2.0/24 and 198.51.100.0/24, the
# second with a worse route to 192.0.2.1.  A ping runs through the tunnel;
# mid-ping kite's 192.0.2.2 is deleted: kited hears it (rtnetlink), finds
# the route to the gateway now leaves from 198.51.100.2, moves its IKE SA
# and Child SA there with UPDATE_SA_ADDRESSES (NAT detection), and sends ESP
# from the new address.  The pings carry on after a short gap on the same
# IKE SA.  Once with a kite gateway, once with charon 5.9.8.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
ns_veth "$LEFT" "${NS_TAG}c" 198.51.100.1/24 "$RIGHT" "${NS_TAG}d" 198.51.100.2/24
ip -n "$RIGHT" route add 192.0.2.0/24 via 198.51.100.1 dev "${NS_TAG}d" metric 500

mkdir -p "$WORK/rw" "$WORK/gw" "$WORK/charon"
PSK=mobike-client-psk-0123456789
cat >"$WORK/gw.conf" <<CONF
connections {
  rw {
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
secrets { ike-gw { secret = $PSK } }
CONF
cat >"$WORK/rw.conf" <<CONF
connections {
  home {
    remote_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = carol@kite.test }
    remote { auth = psk
             id = gw.kite.test }
    children { net { local_ts = 10.2.0.0/24
                     remote_ts = 10.1.0.0/24
                     esp_proposals = aes256gcm16
                     start_action = start } }
  }
}
secrets { ike-gw { secret = $PSK } }
CONF

# sa_of NS VICI-DIR: "SPIi SPIr local remote" of the one IKE SA there (kitectl
# --json list-sas, against kited or charon)
sa_of() {
  ip netns exec "$1" "$KITE_BUILD/kitectl" --uri "unix://$2/charon.vici" --json list-sas |
    python3 -c 'import json, sys
sas = json.load(sys.stdin)
assert len(sas) == 1, sas
(name, sa), = sas[0].items()
assert sa["state"] == "ESTABLISHED", sa
print(sa["initiator-spi"], sa["responder-spi"], sa["local-host"], sa["remote-host"])'
}

# the road warrior up, a ping, its address deleted mid-ping; $1: kite or charon
roam() {
  local gw=$1 rwlog=$WORK/rw/kited.log
  ip -n "$RIGHT" addr add 192.0.2.2/24 dev "${NS_TAG}b" 2>/dev/null || true
  kited_start "$RIGHT" rw "$WORK/rw.conf"; RWPID=${PIDS[-1]}
  wait_for "$rwlog" "CHILD_SA .* installed" 10 || die "$gw: kite did not install the Child SA"
  grep -qE "generating IKE_AUTH request 1 \[ .*N\(MOBIKE_SUPPORTED\)" "$rwlog" || die "$gw: kite did not announce MOBIKE"
  grep -qE "parsed IKE_AUTH response 1 \[ .*N\(MOBIKE_SUPPORTED\)" "$rwlog" || die "$gw: the gateway did not agree to MOBIKE"
  grep -q "installed: .*192.0.2.2\[.*192.0.2.1\[" "$rwlog" || die "$gw: the Child SA is not between 192.0.2.2 and 192.0.2.1"
  ip netns exec "$RIGHT" ping -i 0.05 -W 1 -I 10.2.0.1 10.1.0.1 >"$WORK/$gw.ping" 2>&1 &
  local ping=$!
  PIDS+=("$ping")
  sleep 1.5
  local before
  before=$(grep -c "icmp_seq" "$WORK/$gw.ping" || true)
  [ "$before" -ge 20 ] || { cat "$WORK/$gw.ping"; die "$gw: the tunnel does not carry pings ($before answered)"; }
  SA_BEFORE=$(sa_of "$RIGHT" "$WORK/rw") || die "$gw: kitectl list-sas on kite"
  log "   $gw: $before pings answered on IKE SA $SA_BEFORE; deleting kite's 192.0.2.2"
  ip -n "$RIGHT" addr del 192.0.2.2/24 dev "${NS_TAG}b"
  local moved_at
  wait_for "$rwlog" "our address moves from 192.0.2.2\[[0-9]+\] to 198.51.100.2\[[0-9]+\]" 5 ||
    die "$gw: kite did not move its IKE SA to 198.51.100.2"
  moved_at=$(grep -c "icmp_seq" "$WORK/$gw.ping" || true)
  wait_for "$rwlog" "the peer took our new address \(MOBIKE\)" 5 || die "$gw: the gateway did not answer the update"
  sleep 3
  kill "$ping" 2>/dev/null; wait "$ping" 2>/dev/null || true
  local total after lost
  total=$(grep -c "icmp_seq" "$WORK/$gw.ping" || true)
  after=$((total - moved_at))
  lost=$(ping_lost "$WORK/$gw.ping")
  grep -qE "the route to 192.0.2.1\[[0-9]+\] now leaves from 198.51.100.2\[[0-9]+\] instead of 192.0.2.2" "$rwlog" ||
    die "$gw: kite did not log the route change"
  grep -qE "generating INFORMATIONAL request [0-9]+ \[ N\(UPDATE_SA_ADDRESSES\) N\(NATD_S_IP\) N\(NATD_D_IP\) \]" "$rwlog" ||
    die "$gw: no UPDATE_SA_ADDRESSES with NAT detection from kite"
  grep -qE "CHILD_SA net\{[0-9]+\} moved: (UDP-encapsulated )?ESP 198.51.100.2\[[0-9]+\]...192.0.2.1" "$rwlog" ||
    die "$gw: kite's data plane did not move the Child SA"
  [ "$after" -ge 40 ] || { tail -5 "$WORK/$gw.ping"; die "$gw: pings did not carry on after the move ($after answered in 3 s)"; }
  [ "$lost" -le 20 ] || die "$gw: $lost pings lost across the move"
  [ "$(grep -c "IKE_SA .* established" "$rwlog")" = 1 ] || die "$gw: kite made a new IKE SA instead of moving"
  local sa_after
  sa_after=$(sa_of "$RIGHT" "$WORK/rw") || die "$gw: kitectl list-sas on kite"
  [ "${sa_after% * *}" = "${SA_BEFORE% * *}" ] || die "$gw: kite's IKE SA changed: $SA_BEFORE -> $sa_after"
  [ "$(cut -d' ' -f3 <<<"$sa_after")" = 198.51.100.2 ] || die "$gw: kite's IKE SA is not at 198.51.100.2: $sa_after"
  GW_SA=$(sa_of "$LEFT" "$WORK/$2") || die "$gw: kitectl list-sas on the gateway"
  [ "${GW_SA% * *}" = "${SA_BEFORE% * *}" ] || die "$gw: the gateway's IKE SA is another: $GW_SA (kite's: $SA_BEFORE)"
  [ "$(cut -d' ' -f4 <<<"$GW_SA")" = 198.51.100.2 ] || die "$gw: the gateway's IKE SA is not with 198.51.100.2: $GW_SA"
  RESULT="$before pings before, $after after the move, $lost lost (ping every 50 ms)"
  kited_status "$RWPID" "$WORK/rw" >"$WORK/$gw.status"
  grep -qE "addresses: [1-9][0-9]* netlink changes, [1-9][0-9]* looks at the routes, 1 IKE SAs moved" "$WORK/$gw.status" ||
    { cat "$WORK/$gw.status"; die "$gw: kite's status does not count the move"; }
}

log "== 1. kite road warrior -> kite gateway"
kited_start "$LEFT" gw "$WORK/gw.conf"; gwpid=${PIDS[-1]}
roam kite gw
# the gateway may have followed the first ESP packet from the new address
# already (kite's faked NAT detection makes it see a NAT in front of kite)
grep -qE "parsed INFORMATIONAL request [0-9]+ \[ N\(UPDATE_SA_ADDRESSES\) N\(NATD_S_IP\) N\(NATD_D_IP\) \]" "$WORK/gw/kited.log" ||
  die "the kite gateway got no UPDATE_SA_ADDRESSES"
grep -qE "the peer moved from 192.0.2.2\[[0-9]+\] to 198.51.100.2\[[0-9]+\]|UPDATE_SA_ADDRESSES from 198.51.100.2\[[0-9]+\], where it is already" "$WORK/gw/kited.log" ||
  die "kite gateway did not follow kite to 198.51.100.2"
[ "$(grep -c "IKE_SA .* established" "$WORK/gw/kited.log")" = 1 ] || die "the kite gateway made a new IKE SA"
log "ok: kite -> kite: $RESULT; the same IKE SA ($GW_SA) at both ends"
kited_stop "$RWPID"
kited_stop "$gwpid"

log "== 2. kite road warrior -> charon gateway"
: >"$WORK/rw/kited.log"
charon_start "$LEFT" charon
swanctl_at "$LEFT" charon --load-all --clear --file "$WORK/gw.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "charon could not load"; }
roam charon charon
sas=$(swanctl_at "$LEFT" charon --list-sas)
grep -q "198.51.100.2\[4500\]" <<<"$sas" || { echo "$sas"; die "charon's IKE SA is not at 198.51.100.2"; }
grep -qE "rw: #1, ESTABLISHED" <<<"$sas" || { echo "$sas"; die "charon's IKE SA is not #1, ESTABLISHED"; }
log "ok: kite -> charon: $RESULT; the same IKE SA ($GW_SA), charon's rw #1 at 198.51.100.2[4500]"
kited_stop "$RWPID"
log "PASS"
