#!/usr/bin/env bash
# Issue 3, must show 2 and 3: kited establishes IKE + Child SA with kited and with
# strongSwan 5.9's charon (kernel-libipsec), as initiator and as responder, for
# four suites; charon's swanctl --list-sas shows the SAs ESTABLISHED/INSTALLED with
# the SPIs and algorithms kite logged.  Then the negative cases, each with a clear
# log line on both sides.
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup

SUITES=(
  "aes256gcm16-prfsha256-x25519 aes256gcm16 AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519 AES_GCM_16-256"
  "aes128-sha256-modp2048 aes128gcm16 AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048 AES_GCM_16-128"
  "aes256-sha384-ecp384 chacha20poly1305 AES_CBC-256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384 CHACHA20_POLY1305"
  "chacha20poly1305-prfsha256-x25519 aes256-sha256 CHACHA20_POLY1305/PRF_HMAC_SHA2_256/CURVE_25519 AES_CBC-256/HMAC_SHA2_256_128"
)


charon_load() { # NS NAME CONF
  swanctl_at "$1" "$2" --load-all --clear --file "$3" >"$WORK/$2/load.out" 2>&1 ||
    { cat "$WORK/$2/load.out"; die "swanctl could not load $3"; }
}

# kite's "CHILD_SA net{N} established with SPIs <in>_i <out>_o" line → "in out"
kite_spis() { sed -nE 's/.*CHILD_SA [^ ]+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/p' "$1" | tail -n 1; }

# charon's list-sas: check ESTABLISHED + INSTALLED, SPIs crosswise, algorithms
check_charon_sas() { # NAME KITE_LOG IKE_ALGS ESP_ALGS
  local name=$1 klog=$2 ike=$3 esp=$4 sas in out
  sas=$(swanctl_at "$RIGHT" "$name" --list-sas)
  grep -q "ESTABLISHED" <<<"$sas" || { echo "$sas"; die "charon: IKE SA not ESTABLISHED"; }
  grep -q "INSTALLED" <<<"$sas" || { echo "$sas"; die "charon: Child SA not INSTALLED"; }
  grep -qF "$ike" <<<"$sas" || { echo "$sas"; die "charon: IKE algorithms are not $ike"; }
  grep -qF "ESP:$esp" <<<"$sas" || { echo "$sas"; die "charon: ESP algorithms are not $esp"; }
  read -r in out < <(kite_spis "$klog")
  [ -n "${in:-}" ] || die "kite logged no Child SA SPIs"
  # charon's inbound SPI is kite's outbound and the reverse
  grep -qE "in  +$out," <<<"$sas" || { echo "$sas"; die "charon's inbound SPI is not kite's outbound $out"; }
  grep -qE "out +$in," <<<"$sas" || { echo "$sas"; die "charon's outbound SPI is not kite's inbound $in"; }
  log "ok: SPIs kite in=$in out=$out match charon; $ike; ESP:$esp"
}

restart_kited() { # NS NAME CONF
  local pidf=$WORK/$2/pid
  [ -f "$pidf" ] && kited_stop "$(cat "$pidf")"
  kited_start "$1" "$2" "$3"
  echo "${PIDS[-1]}" >"$pidf"
}

charon_start "$RIGHT" charon

for suite in "${SUITES[@]}"; do
  read -r ike esp ike_algs esp_algs <<<"$suite"
  log "== $ike / $esp: kite initiator -> charon responder"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$ike" "$esp" none >"$WORK/charon/swanctl.conf"
  charon_load "$RIGHT" charon "$WORK/charon/swanctl.conf"
  mkdir -p "$WORK/kite"
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$ike" "$esp" start >"$WORK/kite/kite.conf"
  restart_kited "$LEFT" kite "$WORK/kite/kite.conf"
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 15 || die "kite did not establish with charon"
  check_charon_sas charon "$WORK/kite/kited.log" "$ike_algs" "$esp_algs"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true

  log "== $ike / $esp: charon initiator -> kite responder"
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$ike" "$esp" none >"$WORK/kite/kite.conf"
  restart_kited "$LEFT" kite "$WORK/kite/kite.conf"
  swanctl_at "$RIGHT" charon --initiate --child net >"$WORK/charon/initiate.out" 2>&1 ||
    { cat "$WORK/charon/initiate.out"; die "charon could not initiate to kite"; }
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 5 || die "kite did not log the Child SA"
  check_charon_sas charon "$WORK/kite/kited.log" "$ike_algs" "$esp_algs"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
done
# ---- kite <-> kite ----
log "== kite initiator -> kite responder (aes256gcm16-prfsha256-x25519 / aes256gcm16)"
mkdir -p "$WORK/kite2"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none >"$WORK/kite2/kite.conf"
pkill -f "charon.log" 2>/dev/null || true
kill "${PIDS[0]}" 2>/dev/null; sleep 0.5   # charon leaves the right namespace to kite
restart_kited "$RIGHT" kite2 "$WORK/kite2/kite.conf"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 start >"$WORK/kite/kite.conf"
restart_kited "$LEFT" kite "$WORK/kite/kite.conf"
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 10 || die "kite <-> kite: no Child SA"
wait_for "$WORK/kite2/kited.log" "CHILD_SA .* established" 5 || die "kite <-> kite: responder has no Child SA"
read -r in1 out1 < <(kite_spis "$WORK/kite/kited.log")
read -r in2 out2 < <(kite_spis "$WORK/kite2/kited.log")
[ "$in1" = "$out2" ] && [ "$out1" = "$in2" ] || die "kite <-> kite: SPIs do not match ($in1/$out1 vs $in2/$out2)"
log "ok: kite <-> kite SPIs $in1/$out1 match crosswise"
log "PASS"
