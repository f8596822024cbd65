#!/usr/bin/env bash
# Issue 11, must show 2: certificate authentication between kite and
# strongSwan 5.9.8's charon (kernel-libipsec), kite as initiator and as
# responder, with a PKI made by strongSwan's pki in the test: RSA-3072 (PKCS#1
# v1.5), RSA-PSS (auth = rsa/pss, remote rsa/pss-sha256, certificates signed with PSS), ECDSA P-256
# and P-384, Ed25519, mixed key types between the sides, and kite's certificate
# issued by an intermediate CA that only kite holds (charon trusts only the
# root, so kite must send the intermediate).  Each case: both sides have the
# Child SA, charon's log names the signature scheme kite used and that the
# peer's certificate chain was verified, a ping passes through the tunnel.
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

# run_case KITE_CERT CHARON_CERT SCHEME_KITE SCHEME_CHARON WHAT [KITE_ENV] [CHARON_ENV] [CHARON_LOG]:
# both roles; SCHEME_*: what charon's log says each side signed with
# (a regular expression); *_ENV: cert_conf variables for that side;
# CHARON_LOG: a line charon's log must also have (grep -F)
run_case() {
  local kc=$1 cc=$2 ks=$3 cs=$4 what=$5 kenv=${6:-} cenv=${7:-} more=${8:-} role kstart cstart t
  for role in initiator responder; do
    log "== $what: kite ($kc) $role, charon ($cc)"
    t=$SECONDS
    if [ "$role" = initiator ]; then kstart=start cstart=none; else kstart=none cstart=start; fi
    (eval "$kenv"; cert_conf "$WORK/kite/conf" left "$kc" right "$kstart")
    (eval "$cenv"; cert_conf "$WORK/charon/conf" right "$cc" left "$cstart")
    # the responder first, so that the initiator's first request is answered
    if [ "$role" = initiator ]; then
      cert_start charon "$RIGHT" charon "$WORK/charon/conf"
      cert_start "$IMPL" "$LEFT" kite "$WORK/kite/conf"
    else
      cert_start "$IMPL" "$LEFT" kite "$WORK/kite/conf"
      cert_start charon "$RIGHT" charon "$WORK/charon/conf"
    fi
    cert_up charon "$RIGHT" charon 10 || die "$what ($role): charon has no Child SA"
    cert_up "$IMPL" "$LEFT" kite 5 || die "$what ($role): kite has no Child SA"
    cert_ping || { cat "$WORK/ping.out"; die "$what ($role): no ping through the tunnel"; }
    local clog=$WORK/charon/charon.log
    grep -qE "authentication of '$(pki_dn left)' with $ks successful" "$clog" ||
      { grep -E "authentication of|signature" "$clog"; die "$what ($role): charon did not verify kite's $ks signature"; }
    grep -qE "authentication of '$(pki_dn right)' \(myself\) with $cs successful" "$clog" ||
      { grep -E "authentication of|signature" "$clog"; die "$what ($role): charon did not sign with $cs"; }
    [ -z "$more" ] || grep -qF "$more" "$clog" || die "$what ($role): charon's log lacks: $more"
    log "ok: $what ($role): $(grep -oE "authentication of '[^']*' with [^ ]+" "$clog" | sed "s/authentication of //"), ping passed ($((SECONDS - t)) s)"
  done
}

run_case left-rsa3072 right-rsa3072 "RSA_EMSA_PKCS1_SHA2_(256|384|512)" "RSA_EMSA_PKCS1_SHA2_(256|384|512)" "RSA-3072"
# RSA-PSS: charon 5.9.8 signs with PSS only with a hash in local.auth
# (rsa/pss-sha256; a bare rsa/pss signs with PKCS#1 v1.5 here); kite signs with
# PSS for local.auth = rsa/pss and refuses hashes there ("hash constraints
# apply to remote.auth only")
PSS_CHARON="CC_LOCAL_AUTH=rsa/pss-sha256 CC_REMOTE_AUTH=rsa/pss-sha256"
PSS_KITE="CC_LOCAL_AUTH=rsa/pss CC_REMOTE_AUTH=rsa/pss-sha256"
[ "$IMPL" = kite ] || PSS_KITE=$PSS_CHARON
run_case left-pss right-pss "RSA_EMSA_PSS_SHA2_(256|384|512)_SALT_[0-9]+" "RSA_EMSA_PSS_SHA2_(256|384|512)_SALT_[0-9]+" "RSA-PSS" \
  "$PSS_KITE" "$PSS_CHARON"
run_case left-p256 right-p256 "ECDSA_WITH_SHA256_DER" "ECDSA_WITH_SHA256_DER" "ECDSA P-256"
run_case left-p384 right-p384 "ECDSA_WITH_SHA384_DER" "ECDSA_WITH_SHA384_DER" "ECDSA P-384"
run_case left-ed25519 right-ed25519 "ED25519" "ED25519" "Ed25519"
run_case left-p256 right-rsa3072 "ECDSA_WITH_SHA256_DER" "RSA_EMSA_PKCS1_SHA2_(256|384|512)" "mixed ECDSA P-256 / RSA-3072"
run_case left-ed25519 right-p384 "ED25519" "ECDSA_WITH_SHA384_DER" "mixed Ed25519 / ECDSA P-384"
run_case left-rsa3072 right-ed25519 "RSA_EMSA_PKCS1_SHA2_(256|384|512)" "ED25519" "mixed RSA-3072 / Ed25519"

# kite's certificate from the intermediate CA: kite holds root and intermediate,
# charon only the root, so the chain verifies only if kite sends the intermediate
run_case left-int right-p256 "ECDSA_WITH_SHA256_DER" "ECDSA_WITH_SHA256_DER" "intermediate CA sent by kite" \
  "CC_CAS='root int'" "CC_CAS=root" 'received issuer cert "C=CH, O=kite-test, CN=kite-test Intermediate CA"'
log "PASS ($((SECONDS - T0)) s)"
