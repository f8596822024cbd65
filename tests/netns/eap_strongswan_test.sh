#!/usr/bin/env bash
# Issue 15: EAP-MSCHAPv2 (RFC 7296 2.16) against strongSwan 5.9.8's charon,
# both ways.  The gateway authenticates itself with a PSK and its users with
# EAP-MSCHAPv2 (users in secrets { eap-x }):
#  1. charon road warrior (eap_id carol) -> kite gateway (eap_id = %any:
#     EAP-Identity first): the SAs come up, pings cross both ways;
#  2. the same with a wrong password: kite sends EAP-Failure, nothing is up;
#  3. kite road warrior -> charon gateway: up, pings cross;
#  4. kite with a wrong password: charon refuses, kite reports it.
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
[ -f /usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so ] ||
  { echo "SKIP: charon's eap-mschapv2 plugin (libcharon-extauth-plugins) not installed"; exit 77; }
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
CHARON_PLUGINS="openssl random nonce aes sha1 sha2 md4 des hmac gcm chapoly curve25519 pem pkcs1 x509 pubkey kdf eap-identity eap-mschapv2 kernel-libipsec kernel-netlink socket-default vici updown"
PSK=gateway-psk-0123456789abcdef

# gw_conf LOCAL_TS REMOTE_TS PASSWORD: the gateway's side (kite or charon read it)
gw_conf() {
  cat <<CONF
connections {
  rw {
    version = 2
    local_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = gw.kite.test }
    remote { auth = eap-mschapv2
             eap_id = %any }
    children { net { local_ts = $1
                     remote_ts = $2
                     esp_proposals = aes256gcm16 } }
  }
}
secrets {
  ike-gw { id = gw.kite.test
           secret = $PSK }
  eap-carol { id = carol
              secret = "$3" }
  eap-dave { id = dave
             secret = ryftyr }
}
CONF
}

# rw_conf LOCAL_TS REMOTE_TS PASSWORD START: the road warrior's side
rw_conf() {
  cat <<CONF
connections {
  home {
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = eap-mschapv2
            id = carol@kite.test
            eap_id = carol }
    remote { auth = psk
             id = gw.kite.test }
    children { net { local_ts = $1
                     remote_ts = $2
                     esp_proposals = aes256gcm16
                     start_action = $4 } }
  }
}
secrets {
  ike-gw { id = gw.kite.test
           secret = $PSK }
  eap-carol { id = carol
              secret = "$3" }
}
CONF
}

# the two hosts swap roles below: the gateway always at 192.0.2.1 (LEFT)
mkdir -p "$WORK/kite" "$WORK/charon"

log "== 1. charon road warrior (EAP-MSCHAPv2 as carol) -> kite gateway"
gw_conf 10.1.0.0/24 10.2.0.0/24 tuxmux >"$WORK/kite/gw.conf"
kited_start "$LEFT" kite "$WORK/kite/gw.conf"
KITE_PID=${PIDS[-1]}
charon_start "$RIGHT" charon
rw_conf 10.2.0.0/24 10.1.0.0/24 tuxmux none >"$WORK/charon/rw.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/rw.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "charon could not load the road warrior"; }
swanctl_at "$RIGHT" charon --initiate --child net >"$WORK/charon/initiate.out" 2>&1 ||
  { cat "$WORK/charon/initiate.out"; die "charon (EAP client) could not initiate to kite"; }
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 5 || die "kite did not establish the Child SA"
grep -q "received EAP identity 'carol'" "$WORK/kite/kited.log" || die "kite did not ask charon's EAP identity"
grep -q "EAP-MSCHAPv2 authentication of 'carol' successful" "$WORK/kite/kited.log" || die "kite: no EAP success"
grep -q "authentication of 'carol@kite.test' with EAP's MSK successful" "$WORK/kite/kited.log" ||
  die "kite did not check charon's MSK-keyed AUTH"
grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$WORK/charon/charon.log" ||
  die "charon does not report EAP-MSCHAPv2 success"
sas=$(swanctl_at "$RIGHT" charon --list-sas)
grep -q "ESTABLISHED" <<<"$sas" && grep -q "INSTALLED" <<<"$sas" || { echo "$sas"; die "charon's SAs are not up"; }
ip netns exec "$RIGHT" ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1 >"$WORK/ping1.log" ||
  { cat "$WORK/ping1.log"; die "no ping from charon's side through the EAP tunnel"; }
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >"$WORK/ping2.log" ||
  { cat "$WORK/ping2.log"; die "no ping from kite's side through the EAP tunnel"; }
log "ok: charon -> kite with EAP-MSCHAPv2, pings both ways"
swanctl_at "$RIGHT" charon --terminate --ike home --force >/dev/null 2>&1 || true

log "== 2. charon with a wrong password: refused"
rw_conf 10.2.0.0/24 10.1.0.0/24 tuxmuX none >"$WORK/charon/rw.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/rw.conf" >/dev/null 2>&1
if swanctl_at "$RIGHT" charon --initiate --child net --timeout 10 >"$WORK/charon/initiate2.out" 2>&1; then
  die "charon established with a wrong EAP password"
fi
wait_for "$WORK/kite/kited.log" "authentication of 'carol' failed: wrong MS-CHAPv2 password" 5 ||
  die "kite did not log the wrong password"
grep -q "received EAP_FAILURE" "$WORK/charon/charon.log" || die "charon did not receive EAP_FAILURE"
[ "$(grep -c "CHILD_SA .* established" "$WORK/kite/kited.log")" = 1 ] || die "kite established a second Child SA"
log "ok: the wrong password refused with EAP-Failure"
kited_stop "$KITE_PID"
kill "${PIDS[1]}" 2>/dev/null; sleep 0.5

log "== 3. kite road warrior (EAP-MSCHAPv2 as carol) -> charon gateway"
# charon now the gateway at 192.0.2.1, kite the road warrior at 192.0.2.2
rm -rf "$WORK/charon" "$WORK/kite"
mkdir -p "$WORK/charon" "$WORK/kite"
charon_start "$LEFT" charon
gw_conf 10.1.0.0/24 10.2.0.0/24 tuxmux >"$WORK/charon/gw.conf"
swanctl_at "$LEFT" charon --load-all --clear --file "$WORK/charon/gw.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "charon could not load the gateway"; }
rw_conf 10.2.0.0/24 10.1.0.0/24 tuxmux start >"$WORK/kite/rw.conf"
kited_start "$RIGHT" kite "$WORK/kite/rw.conf"
KITE_PID=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 10 || die "kite (EAP client) did not establish with charon"
grep -q "EAP-MSCHAPv2 as 'carol' successful" "$WORK/kite/kited.log" || die "kite: no EAP success logged"
grep -q "EAP method EAP_MSCHAPV2 succeeded, MSK established" "$WORK/charon/charon.log" ||
  die "charon does not report EAP-MSCHAPv2 success"
grep -q "authentication of 'gw.kite.test' with EAP's MSK successful" "$WORK/kite/kited.log" ||
  die "kite did not check charon's MSK-keyed AUTH"
ip netns exec "$RIGHT" ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1 >"$WORK/ping3.log" ||
  { cat "$WORK/ping3.log"; die "no ping from kite's side through the EAP tunnel"; }
log "ok: kite -> charon with EAP-MSCHAPv2, pings cross"
kited_stop "$KITE_PID"

log "== 4. kite with a wrong password: charon refuses"
rw_conf 10.2.0.0/24 10.1.0.0/24 wrong start >"$WORK/kite/rw.conf"
kited_start "$RIGHT" kite2 "$WORK/kite/rw.conf"
wait_for "$WORK/kite2/kited.log" "the gateway refused our EAP-MSCHAPv2 credentials" 10 ||
  die "kite did not report the refusal"
grep -q "CHILD_SA .* established" "$WORK/kite2/kited.log" && die "kite established with a wrong password"
log "ok: the wrong password refused by charon"
log "PASS"
