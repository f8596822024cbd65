#!/usr/bin/env bash
# Issue 14: the proposal keywords added for strongSwan 5.9 users, against
# strongSwan 5.9's charon (kernel-libipsec, so ESP in UDP 4500 through
# strongSwan's own crypto).  For each suite: IKE SA and Child SA established
# with kite as initiator or responder (alternating), charon's --list-sas
# showing the algorithms asked for with the SPIs kite logged, a ping each way
# through the tunnel, and for the weak suites kite's one warning naming them.
#   aes256-sha1-modp1024 / aes256-sha1         (Windows' default proposal)
#   aes128ccm16-prfsha256-ecp256bp / aes128ccm16
#   3des-sha1-modp1536 / 3des-sha1             (8-byte block in ESP)
#   camellia256-sha256-ecp384bp / camellia128-sha256
#   aes128ctr-aesxcbc-ecp224 / aes256ctr-aescmac
#   aes256ccm8-prfsha384-ecp512bp / aes256ccm12
#   aes128-md5-ecp224bp / camellia256ctr-md5
#   aes256gcm16-prfsha256-ecp224 / null-sha256 (RFC 2410: ESP without encryption)
# Bounded: about 3 s a suite, 15 s at most for any one step.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
mkdir -p "$WORK/kite"
# charon's algorithms: openssl first (AES, Camellia, 3DES, HMAC, ECP incl.
# Brainpool, CCM), ctr/ccm/xcbc/cmac for the modes its openssl plugin lacks
CHARON_PLUGINS="openssl random nonce aes sha1 sha2 md5 hmac gcm ccm ctr xcbc cmac chapoly curve25519 pem pkcs1 pkcs8 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown"
charon_start "$RIGHT" charon

# IKE ESP CHARON_IKE CHARON_ESP WEAK ("-": none)
SUITES=(
  "aes256-sha1-modp1024 aes256-sha1 AES_CBC-256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024 AES_CBC-256/HMAC_SHA1_96 sha1,_modp1024,_prfsha1"
  "aes128ccm16-prfsha256-ecp256bp aes128ccm16 AES_CCM_16-128/PRF_HMAC_SHA2_256/ECP_256_BP AES_CCM_16-128 -"
  "3des-sha1-modp1536 3des-sha1 3DES_CBC/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1536 3DES_CBC/HMAC_SHA1_96 3des,_sha1,_modp1536,_prfsha1"
  "camellia256-sha256-ecp384bp camellia128-sha256 CAMELLIA_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_384_BP CAMELLIA_CBC-128/HMAC_SHA2_256_128 -"
  "aes128ctr-aesxcbc-ecp224 aes256ctr-aescmac AES_CTR-128/AES_XCBC_96/PRF_AES128_XCBC/ECP_224 AES_CTR-256/AES_CMAC_96 -"
  "aes256ccm8-prfsha384-ecp512bp aes256ccm12 AES_CCM_8-256/PRF_HMAC_SHA2_384/ECP_512_BP AES_CCM_12-256 -"
  "aes128-md5-ecp224bp camellia256ctr-md5 AES_CBC-128/HMAC_MD5_96/PRF_HMAC_MD5/ECP_224_BP CAMELLIA_CTR-256/HMAC_MD5_96 md5,_prfmd5"
  "aes256gcm16-prfsha256-ecp224 null-sha256 AES_GCM_16-256/PRF_HMAC_SHA2_256/ECP_224 NULL/HMAC_SHA2_256_128 null"
)

kite_spis() { sed -nE 's/.*CHILD_SA [^ ]+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/p' "$1" | tail -n 1; }

check_charon() { # IKE_ALGS ESP_ALGS
  local sas in out
  sas=$(swanctl_at "$RIGHT" charon --list-sas)
  grep -q "ESTABLISHED" <<<"$sas" || { echo "$sas"; die "charon: IKE SA not ESTABLISHED"; }
  grep -q "INSTALLED" <<<"$sas" || { echo "$sas"; die "charon: Child SA not INSTALLED"; }
  grep -qF "$1" <<<"$sas" || { echo "$sas"; die "charon: IKE algorithms are not $1"; }
  grep -qF "ESP:$2" <<<"$sas" || { echo "$sas"; die "charon: ESP algorithms are not $2"; }
  read -r in out < <(kite_spis "$WORK/kite/kited.log")
  [ -n "${in:-}" ] || die "kite logged no Child SA SPIs"
  grep -qE "in  +$out," <<<"$sas" || { echo "$sas"; die "charon's inbound SPI is not kite's outbound $out"; }
  grep -qE "out +$in," <<<"$sas" || { echo "$sas"; die "charon's outbound SPI is not kite's inbound $in"; }
}

n=0
for suite in "${SUITES[@]}"; do
  read -r ike esp ike_algs esp_algs weak <<<"$suite"
  who=kite; [ $((n % 2)) = 1 ] && who=charon
  n=$((n + 1))
  log "== $ike / $esp, initiator $who"
  ks=none; [ "$who" = kite ] && ks=start
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$ike" "$esp" none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >"$WORK/charon/load.out" 2>&1 ||
    { cat "$WORK/charon/load.out"; die "swanctl could not load $ike / $esp"; }
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$ike" "$esp" $ks >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
  if [ "$who" = charon ]; then
    timeout 15 ip netns exec "$RIGHT" swanctl --initiate --child net --uri "unix://$WORK/charon/charon.vici" \
      >"$WORK/charon/initiate.out" 2>&1 || { cat "$WORK/charon/initiate.out"; die "charon could not initiate to kite"; }
  fi
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 15 || die "$ike / $esp: kite did not install the Child SA"
  check_charon "$ike_algs" "$esp_algs"
  if [ "$weak" = - ]; then
    grep -q "weak algorithms" "$WORK/kite/kited.log" && die "$ike / $esp: a weak-algorithm warning for a strong suite"
  else
    want="connection 'lab' uses weak algorithms because they are configured: ${weak//_/ }"
    [ "$(grep -c "weak algorithms" "$WORK/kite/kited.log")" = 1 ] || die "$ike / $esp: not one weak-algorithm warning"
    grep -qF "$want" "$WORK/kite/kited.log" || { grep "weak" "$WORK/kite/kited.log"; die "$ike / $esp: warning is not '$want'"; }
  fi
  sleep 0.3 # charon's route into ipsec0
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" ||
    { cat "$WORK/ping.out"; die "$ike / $esp: ping kite -> charon failed"; }
  ip netns exec "$RIGHT" ping -c 3 -i 0.2 -W 2 10.1.0.1 >"$WORK/ping.out" ||
    { cat "$WORK/ping.out"; die "$ike / $esp: ping charon -> kite failed"; }
  sas=$(swanctl_at "$RIGHT" charon --list-sas)
  grep -qE "in  +[0-9a-f]{8}, +[1-9][0-9]* bytes" <<<"$sas" || { echo "$sas"; die "$esp: charon decrypted nothing"; }
  log "ok: $ike / $esp (initiator $who): charon $ike_algs, ESP:$esp_algs; ping both ways$([ "$weak" = - ] || echo "; kite warned: ${weak//_/ }")"
  kited_stop "$kp"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
done
log "PASS"
