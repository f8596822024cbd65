#!/usr/bin/env bash
# Issue 15: virtual IPs with EAP-MSCHAPv2.  charon 5.9.8 road warriors with
# one IKE identity (rw@kite.test) and two EAP users (carol, dave), vips =
# 0.0.0.0, to a kite gateway (eap_id = %any, pool 10.3.0.0/24).  Leases
# follow the EAP identity, as strongSwan's do: carol gets 10.3.0.1 and pings
# from it; dave, after her, gets 10.3.0.2 (not carol's address, which a lease
# by IKE identity would give him); carol again gets 10.3.0.1.
source "$(dirname "$0")/lib.sh"
need_interop
[ -f /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
  { echo "SKIP: charon's eap-mschapv2 plugin (libcharon-extauth-plugins) not installed"; exit 77; }
ns_setup
CHARON_PLUGINS="openssl random nonce aes sha1 sha2 md4 des hmac gcm chapoly curve25519 pem pkcs1 x509 pubkey kdf eap-identity eap-mschapv2 kernel-libipsec kernel-netlink socket-default vici updown"
PSK=rw-vip-eap-test-psk-0123456789
mkdir -p "$WORK/kite"
cat >"$WORK/kite/kite.conf" <<CONF
pools { rw { addrs = 10.3.0.0/24
             dns = 10.2.0.53 } }
connections {
  rw {
    local_addrs = 192.0.2.2
    pools = rw
    local { auth = psk
            id = gw.kite.test }
    remote { auth = eap-mschapv2
             eap_id = %any }
    children { net { local_ts = 10.2.0.0/24
                     remote_ts = 10.3.0.0/24
                     esp_proposals = aes256gcm16 } }
  }
}
secrets {
  ike-gw { id = gw.kite.test
           secret = $PSK }
  eap-carol { id = carol
              secret = carols-password }
  eap-dave { id = dave
             secret = daves-password }
}
CONF
kited_start "$RIGHT" kite "$WORK/kite/kite.conf"
wait_for "$WORK/kite/kited.log" "loaded connection 'rw'" 5 || die "kite did not load the gateway"

charon_start "$LEFT" charon
{
  echo "connections {"
  for u in carol dave; do cat <<CONF
  rw-$u {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = eap-mschapv2
            id = rw@kite.test
            eap_id = $u }
    remote { auth = psk
             id = gw.kite.test }
    children { net-$u { remote_ts = 10.2.0.0/24
                        esp_proposals = aes256gcm16 } }
  }
CONF
  done
  cat <<CONF
}
secrets {
  ike-gw { id = gw.kite.test
           secret = $PSK }
  eap-carol { id = carol
              secret = carols-password }
  eap-dave { id = dave
             secret = daves-password }
}
CONF
} >"$WORK/charon/swanctl.conf"
swanctl_at "$LEFT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "swanctl could not load the road warriors"; }
connect() {
  timeout 20 ip netns exec "$LEFT" swanctl --initiate --child "net-$1" --uri "unix://$WORK/charon/charon.vici" \
    >"$WORK/charon/initiate.out" 2>&1 || { cat "$WORK/charon/initiate.out"; die "$1 could not connect"; }
}
terminate() {
  swanctl_at "$LEFT" charon --terminate --ike "rw-$1" --force >/dev/null 2>&1 || true
  for _ in $(seq 30); do
    grep -q "rw-$1.*ESTABLISHED" <<<"$(swanctl_at "$LEFT" charon --list-sas 2>/dev/null)" || return 0
    sleep 0.1
  done
}

connect carol
grep -q "assigning virtual IP 10.3.0.1 to peer 'carol'" "$WORK/kite/kited.log" || die "carol did not get 10.3.0.1"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.3.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping from carol's 10.3.0.1"; }
terminate carol
connect dave
grep -q "assigning virtual IP 10.3.0.2 to peer 'dave'" "$WORK/kite/kited.log" ||
  die "dave (same IKE identity, another EAP user) did not get 10.3.0.2"
terminate dave
connect carol
[ "$(grep -c "assigning virtual IP 10.3.0.1 to peer 'carol'" "$WORK/kite/kited.log")" = 2 ] || die "carol did not get 10.3.0.1 back"
log "ok: EAP users carol and dave behind one IKE identity got 10.3.0.1 and 10.3.0.2, carol hers back, pings from 10.3.0.1"
log "PASS"
