#!/usr/bin/env bash
# Issue 15: EAP-TLS (RFC 5216, TLS 1.2) against strongSwan 5.9.8's charon
# (eap-tls plugin of libcharon-extra-plugins), both ways.  The gateway
# (192.0.2.1) authenticates itself with its certificate in IKE and its road
# warriors with EAP-TLS (remote.auth = eap-tls, eap_id = %any: EAP-Identity
# first); the road warrior's certificate goes in TLS.  A PKI of ECDSA P-256
# keys made by strongSwan's pki in the test.  Small EAP-TLS packets on both
# sides (400 bytes), so that the TLS flights go in fragments and acks.
#  1. charon road warrior -> kite gateway: up, the MSK-keyed AUTH checked
#     both ways, pings cross;
#  2. charon with a certificate of a CA kite does not trust: kite sends
#     EAP-Failure, nothing is up;
#  3. kite road warrior -> charon gateway: up, pings cross.
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
command -v pki >/dev/null || { echo "SKIP: strongSwan's pki not installed"; exit 77; }
[ -f /usr/lib/ipsec/plugins/libstrongswan-eap-tls.so ] ||
  { echo "SKIP: charon's eap-tls plugin (libcharon-extra-plugins) not installed"; exit 77; }
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
T0=$SECONDS

# root and evil (an untrusted root), left-p256 (the gateway), right-p256 and
# right-untrusted (the road warrior: the same names, issued by root / evil)
mkdir -p "$PKI"
for k in root evil left-p256 right-p256 right-untrusted; do pki_key "$k" ecdsa 256; done
pki_root root "kite-test Root CA"
pki_root evil "kite-test Untrusted CA"
pki_ee left-p256 root
pki_ee right-p256 root
pki_ee right-untrusted evil

CHARON_PLUGINS="$CERT_CHARON_PLUGINS eap-identity eap-tls"
CHARON_EXTRA="plugins { eap-tls { fragment_size = 400 } }"
KITED_ARGS="--eap-tls-fragment-size 400"
# the gateway's side and the road warrior's, as cert_conf writes them
GW=(CC_LOCAL_ID=left.kite.test CC_REMOTE_AUTH=eap-tls CC_REMOTE_ID=%any "CC_REMOTE_EXTRA=eap_id = %any")
RW=(CC_LOCAL_AUTH=eap-tls CC_LOCAL_ID=right.kite.test CC_REMOTE_ID=left.kite.test)
conf() { # conf DIR ME CERT PEER START VAR=VALUE...
  local a=("${@:1:5}"); shift 5
  (export "$@"; cert_conf "${a[@]}")
}

log "== 1. charon road warrior (EAP-TLS, right.kite.test) -> kite gateway"
conf "$WORK/kite/conf" left left-p256 right none "${GW[@]}"
conf "$WORK/charon/conf" right right-p256 left start "${RW[@]}"
cert_start kite "$LEFT" kite "$WORK/kite/conf"
cert_start charon "$RIGHT" charon "$WORK/charon/conf"
cert_up charon "$RIGHT" charon 10 || { tail -30 "$WORK/kite/kited.log"; die "charon (EAP-TLS client) has no Child SA"; }
cert_up kite "$LEFT" kite 5 || die "kite (EAP-TLS server) has no Child SA"
KLOG=$WORK/kite/kited.log CLOG=$WORK/charon/charon.log
grep -q "received EAP identity 'right.kite.test'" "$KLOG" || die "kite did not ask charon's EAP identity"
grep -q "EAP-TLS authentication of 'right.kite.test' successful" "$KLOG" || die "kite: no EAP-TLS success"
grep -q "authentication of 'right.kite.test' with EAP's MSK successful" "$KLOG" ||
  die "kite did not check charon's MSK-keyed AUTH"
grep -q "EAP method EAP_TLS succeeded, MSK established" "$CLOG" || die "charon does not report EAP-TLS success"
grep -q "authentication of 'left.kite.test' with EAP successful" "$CLOG" ||
  die "charon did not check kite's MSK-keyed AUTH"
cert_ping || { cat "$WORK/ping.out"; die "no ping through the EAP-TLS tunnel"; }
log "ok: charon -> kite with EAP-TLS, ping passed ($(grep -c "parsed IKE_AUTH request" "$CLOG" || true) IKE_AUTH requests at charon)"

log "== 2. charon with a certificate of an untrusted CA: refused"
conf "$WORK/charon/conf" right right-untrusted left start "${RW[@]}" "CC_CAS=root evil"
cert_start kite "$LEFT" kite "$WORK/kite/conf"
cert_start charon "$RIGHT" charon "$WORK/charon/conf"
wait_for "$WORK/kite/kited.log" "EAP-TLS authentication of 'right.kite.test' failed: untrusted issuer" 10 ||
  { tail -20 "$WORK/kite/kited.log"; die "kite did not refuse the untrusted certificate"; }
wait_for "$WORK/charon/charon.log" "received EAP_FAILURE" 5 || die "charon did not receive EAP_FAILURE"
grep -q "CHILD_SA .* established" "$WORK/kite/kited.log" && die "kite established with an untrusted certificate"
[ -z "$(cert_sas charon "$RIGHT" charon INSTALLED)" ] || die "charon has a Child SA"
log "ok: the untrusted client certificate refused with EAP-Failure"
cert_stop charon
cert_stop kite

log "== 3. kite road warrior (EAP-TLS, right.kite.test) -> charon gateway"
conf "$WORK/charon/conf" left left-p256 right none "${GW[@]}"
conf "$WORK/kite/conf" right right-p256 left start "${RW[@]}"
cert_start charon "$LEFT" charon "$WORK/charon/conf"
cert_start kite "$RIGHT" kite "$WORK/kite/conf"
cert_up kite "$RIGHT" kite 10 || { tail -30 "$WORK/kite/kited.log"; grep -E "EAP|TLS|tls|error" "$WORK/charon/charon.log" | tail -30; die "kite (EAP-TLS client) has no Child SA"; }
cert_up charon "$LEFT" charon 5 || die "charon (EAP-TLS server) has no Child SA"
KLOG=$WORK/kite/kited.log CLOG=$WORK/charon/charon.log
grep -q "EAP-TLS with the gateway 'left.kite.test' successful" "$KLOG" || die "kite: no EAP-TLS success logged"
grep -q "EAP method EAP_TLS succeeded, MSK established" "$CLOG" || die "charon does not report EAP-TLS success"
grep -q "authentication of 'left.kite.test' with EAP's MSK successful" "$KLOG" ||
  die "kite did not check charon's MSK-keyed AUTH"
ip netns exec "$RIGHT" ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1 >"$WORK/ping3.log" ||
  { cat "$WORK/ping3.log"; die "no ping through the EAP-TLS tunnel"; }
log "ok: kite -> charon with EAP-TLS, ping passed"
cert_stop kite
cert_stop charon
log "PASS ($((SECONDS - T0)) s)"
