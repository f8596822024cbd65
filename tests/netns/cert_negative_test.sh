#!/usr/bin/env bash
# Issue 11, must show 3: certificate authentication that must fail, between
# kite and strongSwan 5.9.8's charon, each with kite as initiator and as
# responder, charon presenting the bad credential and kite judging it:
# a certificate from an untrusted CA, an expired certificate, a revoked one
# (root.crl in kite's x509crl/, with revocation = strict and with the
# default), an ID that is not in the certificate kite holds for the peer
# (remote.certs pins carol's certificate, charon sends none), and a signature
# made with another private key than the certificate's (remote.certs pins a
# certificate with charon's subject and another key, charon sends none).
# Each: charon's log shows AUTHENTICATION_FAILED (an IKE_AUTH response with
# N(AUTH_FAILED) when kite responds, an INFORMATIONAL request with it when kite
# initiates), neither side keeps an IKE or Child SA (swanctl --list-sas, kite's
# status) and kite never installed one, kite's log names the reason.  Then
# kite's own private key not matching its certificate: no SA, kite says why.
# CERT_LEFT=charon puts a charon where kite is (a check of the test itself).
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
command -v pki >/dev/null || { echo "SKIP: strongSwan's pki not installed"; exit 77; }
IMPL=${CERT_LEFT:-kite}
[ "$IMPL" = charon ] || [ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
T0=$SECONDS
pki_make
log "PKI made in $((SECONDS - T0)) s"
if [ "$IMPL" = kite ]; then KLOG=$WORK/kite/kited.log; else KLOG=$WORK/kite/charon.log; fi

# no_sas IMPL NS NAME [PATTERN]: true once NAME holds no SA (cert_sas) within 5 s
no_sas() {
  for _ in $(seq 10); do [ -z "$(cert_sas "$@")" ] && return 0; sleep 0.5; done
  cert_sas "$@"
  return 1
}

# start_pair ROLE: kite as ROLE (initiator|responder), the responder first
start_pair() {
  if [ "$1" = initiator ]; then
    cert_start charon "$RIGHT" charon "$WORK/charon/conf"
    cert_start "$IMPL" "$LEFT" kite "$WORK/kite/conf"
  else
    cert_start "$IMPL" "$LEFT" kite "$WORK/kite/conf"
    cert_start charon "$RIGHT" charon "$WORK/charon/conf"
  fi
}

# neg_case WHAT CHARON_CERT KITE_ENV CHARON_ENV KITE_WHY CHARON_WHY: both
# roles; *_ENV: cert_conf variables for that side; KITE_WHY: what kite's log
# must say (extended regular expression, case-insensitive); CHARON_WHY: the
# same for a charon in kite's place
neg_case() {
  local what=$1 cc=$2 kenv=$3 cenv=$4 why role kstart cstart t
  if [ "$IMPL" = kite ]; then why=$5; else why=$6; fi
  for role in initiator responder; do
    log "== $what: kite $role"
    t=$SECONDS
    if [ "$role" = initiator ]; then kstart=start cstart=none; else kstart=none cstart=start; fi
    (eval "$kenv"; cert_conf "$WORK/kite/conf" left left-p256 right "$kstart")
    (eval "$cenv"; cert_conf "$WORK/charon/conf" right "$cc" left "$cstart")
    start_pair "$role"
    wait_for "$WORK/charon/charon.log" "parsed .*N\(AUTH_FAILED\)" 10 ||
      { grep -E "parsed|generating" "$WORK/charon/charon.log"; die "$what ($role): charon got no AUTHENTICATION_FAILED"; }
    local af; af=$(grep -m1 -oE "parsed [A-Z_]+ (request|response) [0-9]+ \[.*N\(AUTH_FAILED\).*\]" "$WORK/charon/charon.log")
    for _ in $(seq 20); do grep -qiE "$why" "$KLOG" && break; sleep 0.25; done
    grep -qiE "$why" "$KLOG" || { tail -n 30 "$KLOG"; die "$what ($role): kite's log does not say why ($why)"; }
    no_sas charon "$RIGHT" charon || die "$what ($role): charon still has an SA"
    no_sas "$IMPL" "$LEFT" kite || die "$what ($role): kite still has an SA"
    if [ "$IMPL" = kite ] && grep -qE "CHILD_SA .* (established|installed)" "$KLOG"; then
      die "$what ($role): kite installed a Child SA"
    fi
    log "ok: $what ($role): charon $af; kite: $(grep -m1 -oiE ".{0,40}($why).{0,80}" "$KLOG"); no SA left ($((SECONDS - t)) s)"
  done
}

neg_case "untrusted CA" right-untrusted "" "CC_EXTRA='send_cert = always'" \
  "untrusted" "no issuer certificate found|no trusted .* public key found"
neg_case "expired certificate" right-expired "" "CC_EXTRA='send_cert = always'" \
  "expired" "certificate invalid \(valid from"
neg_case "revoked certificate, revocation = strict" right-revoked "CC_CRLS=root CC_REMOTE_EXTRA='revocation = strict'" \
  "CC_EXTRA='send_cert = always'" "revoked" "revoked"
neg_case "revoked certificate, default revocation" right-revoked "CC_CRLS=root" \
  "CC_EXTRA='send_cert = always'" "revoked" "revoked"
neg_case "ID not in the certificate" right-p256 "CC_X509=carol-p256 CC_REMOTE_EXTRA='certs = carol-p256.crt.pem'" \
  "CC_EXTRA='send_cert = never'" "not in the certificate|not one of remote.certs|none of remote.certs holds its identity" "no trusted .* public key found"
neg_case "signature by another key than the certificate's" right-p256 \
  "CC_X509=right-other CC_REMOTE_EXTRA='certs = right-other.crt.pem'" "CC_EXTRA='send_cert = never'" \
  "signature" "signature validation failed"

# A peer that claims an identity its certificate does not hold: charon 5.9.8
# cannot be made to (it replaces such a local.id by the certificate's subject),
# kite can (it sends local.id as configured), so a kite on the right lies here
if [ "$IMPL" = kite ]; then
  for role in initiator responder; do
    log "== ID not in the certificate the peer sent (a kite peer claiming CN=mallory): kite $role"
    if [ "$role" = initiator ]; then kstart=start rstart=none; else kstart=none rstart=start; fi
    CC_REMOTE_ID="C=CH, O=kite-test, CN=mallory.kite.test" cert_conf "$WORK/kite/conf" left left-p256 right "$kstart"
    CC_LOCAL_ID="C=CH, O=kite-test, CN=mallory.kite.test" cert_conf "$WORK/liar/conf" right right-p256 left "$rstart"
    cert_stop charon
    if [ "$role" = initiator ]; then
      cert_start kite "$RIGHT" liar "$WORK/liar/conf"; cert_start kite "$LEFT" kite "$WORK/kite/conf"
    else
      cert_start kite "$LEFT" kite "$WORK/kite/conf"; cert_start kite "$RIGHT" liar "$WORK/liar/conf"
    fi
    why="identity 'C=CH, O=kite-test, CN=mallory.kite.test' is not in the certificate"
    wait_for "$KLOG" "$why" 10 || { tail -n 20 "$KLOG"; die "mallory ($role): kite's log does not say '$why'"; }
    wait_for "$WORK/liar/kited.log" "AUTHENTICATION_FAILED" 5 || die "mallory ($role): the peer got no AUTHENTICATION_FAILED"
    no_sas kite "$LEFT" kite || die "mallory ($role): kite still has an SA"
    no_sas kite "$RIGHT" liar || die "mallory ($role): the peer still has an SA"
    ! grep -qE "CHILD_SA .* (established|installed)" "$KLOG" || die "mallory ($role): kite installed a Child SA"
    log "ok: mallory ($role): kite: $(grep -m1 -oE "identity .{0,140}" "$KLOG"); the peer: $(grep -m1 -oE ".{0,20}AUTHENTICATION_FAILED.{0,40}" "$WORK/liar/kited.log"); no SA left"
  done
  cert_stop liar
fi

# kite's own key is not its certificate's: kite must not authenticate with it
for role in initiator responder; do
  log "== kite's private key does not match its certificate: kite $role"
  if [ "$role" = initiator ]; then kstart=start cstart=none; else kstart=none cstart=start; fi
  CC_KEY=left-other cert_conf "$WORK/kite/conf" left left-p256 right "$kstart"
  cert_conf "$WORK/charon/conf" right right-p256 left "$cstart"
  start_pair "$role"
  if [ "$IMPL" = kite ]; then why="no private key|private key .*(not|match)"; else why="no private key found"; fi
  for _ in $(seq 40); do grep -qiE "$why" "$KLOG" && break; sleep 0.25; done
  grep -qiE "$why" "$KLOG" || { tail -n 30 "$KLOG"; die "own key ($role): kite's log does not say why ($why)"; }
  # a charon responder may keep the half-open IKE SA (IKE_SA_INIT done) until it times out
  no_sas charon "$RIGHT" charon "ESTABLISHED|INSTALLED" || die "own key ($role): charon has an SA"
  no_sas "$IMPL" "$LEFT" kite || die "own key ($role): kite still has an SA"
  log "ok: own key ($role): kite: $(grep -m1 -oiE ".{0,40}($why).{0,80}" "$KLOG"); no SA left"
done
log "PASS ($((SECONDS - T0)) s)"
