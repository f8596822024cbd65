#!/usr/bin/env bash
# Issue 15 (configuration payloads), must show 2, first part: strongSwan
# 5.9.8's charon as a road warrior (PSK, vips = 0.0.0.0) to a kite gateway
# with a pool.  charon gets the pool's first address (its --list-sas shows
# it), the DNS servers in the CFG_REPLY (its log), pings the network behind
# the gateway from that address, and gets the same address back when it
# connects again (a lease per identity).  The pool is 10.3.0.0/30 (two
# addresses): a second identity gets the next address, a third the oldest
# offline lease, and with two road warriors online a third one is refused
# with INTERNAL_ADDRESS_FAILURE, logged by kite and charon.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup

PSK=rw-vip-test-psk-0123456789
mkdir -p "$WORK/kite"
cat >"$WORK/kite/kite.conf" <<CONF
pools {
  rw { addrs = 10.3.0.0/30
       dns = 10.2.0.53, 10.2.0.54 }
}
connections {
  rw {
    local_addrs = 192.0.2.2
    pools = rw
    local { auth = psk
            id = gw.kite.test }
    remote { auth = psk
             id = *@kite.test }
    children {
      net { local_ts = 10.2.0.0/24
            remote_ts = 10.3.0.0/24
            esp_proposals = aes256gcm16 }
    }
  }
}
secrets { ike-rw { id-gw = gw.kite.test
                   secret = "$PSK" } }
CONF
kited_start "$RIGHT" kite "$WORK/kite/kite.conf"
wait_for "$WORK/kite/kited.log" "loaded connection 'rw'" 5 || die "kite did not load the gateway connection"

# charon_rw USER...: charon's configuration, one connection rw-USER per
# road warrior USER@kite.test
charon_rw() {
  echo "connections {"
  for u in "$@"; do charon_conn "$u"; done
  echo "}"
  cat <<CONF
secrets { ike-rw { id-gw = gw.kite.test
                   secret = "$PSK" } }
CONF
}
charon_conn() {
  cat <<CONF
  rw-$1 {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = $1@kite.test }
    remote { auth = psk
             id = gw.kite.test }
    children {
      net-$1 { remote_ts = 10.2.0.0/24
               esp_proposals = aes256gcm16 }
    }
  }
CONF
}

charon_start "$LEFT" charon
charon_rw carol dave erin frank gina >"$WORK/charon/swanctl.conf"
swanctl_at "$LEFT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "swanctl could not load the road warriors"; }
connect() { # USER: initiate USER's connection; 0 when up
  timeout 20 ip netns exec "$LEFT" swanctl --initiate --child "net-$1" --uri "unix://$WORK/charon/charon.vici" \
    >"$WORK/charon/initiate.out" 2>&1
}
terminate() { # USER
  swanctl_at "$LEFT" charon --terminate --ike "rw-$1" --force >/dev/null 2>&1 || true
  for _ in $(seq 30); do
    grep -q "rw-$1.*ESTABLISHED" <<<"$(swanctl_at "$LEFT" charon --list-sas 2>/dev/null)" || return 0
    sleep 0.1
  done
}

log "== carol: an address from the pool, DNS, ping from it"
connect carol || { cat "$WORK/charon/initiate.out"; die "carol could not connect"; }
sas=$(swanctl_at "$LEFT" charon --list-sas)
grep -qE "carol@kite.test.*\[10\.3\.0\.1\]" <<<"$sas" || { echo "$sas"; die "charon's list-sas shows no virtual IP 10.3.0.1"; }
grep -q "installing new virtual IP 10.3.0.1" "$WORK/charon/charon.log" || die "charon did not install 10.3.0.1"
# both DNS servers reach charon (it has no resolve plugin here: it says it cannot apply them)
grep -qF "CPRP(ADDR DNS DNS)" "$WORK/charon/charon.log" || die "charon's CFG_REPLY did not hold the address and two DNS"
grep -q "processing INTERNAL_IP4_DNS attribute" "$WORK/charon/charon.log" || die "charon did not process INTERNAL_IP4_DNS"
grep -q "assigning virtual IP 10.3.0.1 to peer 'carol@kite.test'" "$WORK/kite/kited.log" ||
  die "kite did not log the assignment"
grep -qE "TS 10.2.0.0/24 === 10.3.0.1/32" "$WORK/kite/kited.log" || die "kite's Child SA is not narrowed to the virtual IP"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping from 10.3.0.1 to 10.2.0.1 through the tunnel"; }
log "ok: carol got 10.3.0.1 (charon: $(grep -oE 'installing new virtual IP [0-9.]+' "$WORK/charon/charon.log" | tail -1)), DNS in the CFG_REPLY, ping 3/3 from it"
# kite's own list-sas shows the address as remote-vips
kl=$(ip netns exec "$RIGHT" timeout 10 swanctl --list-sas --uri "unix://$WORK/kite/charon.vici" 2>&1) || true
grep -qE "carol@kite.test.*\[10\.3\.0\.1\]" <<<"$kl" || { echo "$kl"; die "kite's list-sas shows no remote virtual IP"; }
log "ok: swanctl --list-sas against kite shows carol's 10.3.0.1"

log "== dave: the next address; carol again: hers back"
terminate carol
connect dave || { cat "$WORK/charon/initiate.out"; die "dave could not connect"; }
grep -q "assigning virtual IP 10.3.0.2 to peer 'dave@kite.test'" "$WORK/kite/kited.log" || die "dave did not get 10.3.0.2"
terminate dave
connect carol || { cat "$WORK/charon/initiate.out"; die "carol could not connect again"; }
[ "$(grep -c "assigning virtual IP 10.3.0.1 to peer 'carol@kite.test'" "$WORK/kite/kited.log")" = 2 ] ||
  die "carol did not get 10.3.0.1 back"
ip netns exec "$LEFT" ping -c 2 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping from carol's address on her second connection"; }
log "ok: dave got 10.3.0.2, carol 10.3.0.1 again"

log "== erin, frank: offline leases reused, oldest first; gina: the pool is exhausted"
terminate carol
connect erin || { cat "$WORK/charon/initiate.out"; die "erin could not connect (an offline lease)"; }
grep -q "assigning virtual IP 10.3.0.2 to peer 'erin@kite.test'" "$WORK/kite/kited.log" ||
  die "erin did not get dave's address (the oldest offline lease)"
connect frank || { cat "$WORK/charon/initiate.out"; die "frank could not connect (carol's offline lease)"; }
grep -q "assigning virtual IP 10.3.0.1 to peer 'frank@kite.test'" "$WORK/kite/kited.log" ||
  die "frank did not get carol's address"
if connect gina; then die "gina connected although the pool is exhausted"; fi
grep -q "no virtual IP found, sending INTERNAL_ADDRESS_FAILURE" "$WORK/kite/kited.log" ||
  die "kite did not log the exhausted pool"
grep -q "pool 'rw' has no address left" "$WORK/kite/kited.log" || die "kite did not name the exhausted pool"
grep -q "INTERNAL_ADDRESS_FAILURE" "$WORK/charon/charon.log" || die "charon did not see INTERNAL_ADDRESS_FAILURE"
ip netns exec "$LEFT" ping -c 2 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "frank's tunnel does not carry a ping"; }
ip netns exec "$LEFT" ping -c 2 -i 0.2 -W 2 -I 10.3.0.2 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "erin's tunnel does not carry a ping"; }
log "ok: erin 10.3.0.2, frank 10.3.0.1 (offline leases, oldest first), both ping; gina refused: INTERNAL_ADDRESS_FAILURE"
# swanctl --list-pools against kite (get-pools): base, online / offline / size
pl=$(ip netns exec "$RIGHT" timeout 10 swanctl --list-pools --uri "unix://$WORK/kite/charon.vici" 2>&1) || true
grep -qE "^rw +10\.3\.0\.1 +2 / 0 / 2" <<<"$pl" || { echo "$pl"; die "swanctl --list-pools: not 'rw 10.3.0.1 2 / 0 / 2'"; }
log "ok: swanctl --list-pools against kite: $(grep -E '^rw' <<<"$pl" | tr -s ' ')"
# load-pool over VICI (swanctl --load-pools): a new pool; rw unchanged keeps its leases
cat >"$WORK/pools.conf" <<CONF
pools {
  rw { addrs = 10.3.0.0/30
       dns = 10.2.0.53, 10.2.0.54 }
  more { addrs = 10.9.0.10-10.9.0.19 }
}
CONF
ip netns exec "$RIGHT" timeout 10 swanctl --load-pools --file "$WORK/pools.conf" --uri "unix://$WORK/kite/charon.vici" \
  >"$WORK/loadpools.out" 2>&1 || { cat "$WORK/loadpools.out"; die "swanctl --load-pools against kite failed"; }
pl=$(ip netns exec "$RIGHT" timeout 10 swanctl --list-pools --uri "unix://$WORK/kite/charon.vici" 2>&1) || true
grep -qE "^rw +10\.3\.0\.1 +2 / 0 / 2" <<<"$pl" && grep -qE "^more +10\.9\.0\.10 +0 / 0 / 10" <<<"$pl" ||
  { echo "$pl"; die "after --load-pools: not rw 2 / 0 / 2 and more 0 / 0 / 10"; }
log "ok: swanctl --load-pools added 'more'; rw kept its two online leases"
log "PASS"
