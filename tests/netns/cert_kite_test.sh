#!/usr/bin/env bash
# Issue 11, must show 2 (kite <-> kite): certificate authentication between two
# kiteds with a PKI made by strongSwan's pki in the test: RSA-3072, RSA-PSS
# (auth = rsa/pss, remote rsa/pss-sha256), ECDSA P-256 and P-384, Ed25519, mixed key types, and
# one side's certificate from an intermediate CA that only that side holds
# (each side initiating once).  Each case: both have the Child SA, a ping passes.
# CERT_LEFT=charon runs charon <-> charon instead (a check of the test itself).
source "$(dirname "$0")/lib.sh"
need_root
command -v pki >/dev/null || { echo "SKIP: strongSwan's pki not installed"; exit 77; }
IMPL=${CERT_LEFT:-kite}
if [ "$IMPL" = kite ]; then
  [ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
else
  command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
fi
ns_setup
T0=$SECONDS
pki_make
log "PKI made in $((SECONDS - T0)) s"

# run_case LEFT_CERT RIGHT_CERT WHAT INITIATOR [LEFT_ENV] [RIGHT_ENV]
run_case() {
  local lc=$1 rc=$2 what=$3 init=$4 lenv=${5:-} renv=${6:-} ls=none rs=none t=$SECONDS
  log "== $what: left ($lc) <-> right ($rc), $init initiates"
  if [ "$init" = left ]; then ls=start; else rs=start; fi
  (eval "$lenv"; cert_conf "$WORK/left/conf" left "$lc" right "$ls")
  (eval "$renv"; cert_conf "$WORK/right/conf" right "$rc" left "$rs")
  if [ "$init" = left ]; then
    cert_start "$IMPL" "$RIGHT" right "$WORK/right/conf"
    cert_start "$IMPL" "$LEFT" left "$WORK/left/conf"
  else
    cert_start "$IMPL" "$LEFT" left "$WORK/left/conf"
    cert_start "$IMPL" "$RIGHT" right "$WORK/right/conf"
  fi
  cert_up "$IMPL" "$LEFT" left 10 || die "$what: left has no Child SA"
  cert_up "$IMPL" "$RIGHT" right 5 || die "$what: right has no Child SA"
  cert_ping || { cat "$WORK/ping.out"; die "$what: no ping through the tunnel"; }
  log "ok: $what: both have the Child SA, ping passed ($((SECONDS - t)) s)"
}

# kite signs with RSA-PSS for local.auth = rsa/pss; charon 5.9.8 only with a hash (rsa/pss-sha256)
PSS="CC_LOCAL_AUTH=rsa/pss CC_REMOTE_AUTH=rsa/pss-sha256"
[ "$IMPL" = kite ] || PSS="CC_LOCAL_AUTH=rsa/pss-sha256 CC_REMOTE_AUTH=rsa/pss-sha256"
run_case left-rsa3072 right-rsa3072 "RSA-3072" left
run_case left-pss right-pss "RSA-PSS" right "$PSS" "$PSS"
run_case left-p256 right-p256 "ECDSA P-256" left
run_case left-p384 right-p384 "ECDSA P-384" right
run_case left-ed25519 right-ed25519 "Ed25519" left
run_case left-p256 right-rsa3072 "mixed ECDSA P-256 / RSA-3072" right
run_case left-ed25519 right-p384 "mixed Ed25519 / ECDSA P-384" left
run_case left-rsa3072 right-ed25519 "mixed RSA-3072 / Ed25519" right
run_case left-int right-p256 "intermediate CA only left holds" left "CC_CAS='root int'" "CC_CAS=root"
run_case left-p256 right-int "intermediate CA only right holds" left "CC_CAS=root" "CC_CAS='root int'"
log "PASS ($((SECONDS - T0)) s)"
