#!/usr/bin/env bash
# Issue 11, IKE fragmentation (RFC 7383) against strongSwan 5.9's charon: with
# kite's --fragment-size 256 and charon's fragment_size 200, a PSK IKE_AUTH
# made long by four selectors each way and four ESP proposals goes in SKF
# fragments, kite as initiator and as responder; each side logs that it
# split its message and reassembled the other's, charon lists the SAs
# ESTABLISHED/INSTALLED with kite's SPIs, and a ping crosses the tunnel.  As
# responder kite narrows to one selector pair, so its IKE_AUTH answer fits in
# 256 bytes and only charon's request is fragmented in that direction.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup

IKE=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16,aes128gcm16,chacha20poly1305,aes256-sha256
LTS=10.1.0.0/24,10.1.1.0/24,10.1.2.0/24,10.1.3.0/24
RTS=10.2.0.0/24,10.2.1.0/24,10.2.2.0/24,10.2.3.0/24

kite_spis() { sed -nE 's/.*CHILD_SA [^ ]+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/p' "$1" | tail -n 1; }

check() { # WHAT KITE_SPLITS: the logs show the splits and reassemblies, charon the SAs with kite's SPIs, ping works
  local sas in out
  grep -q "reassembled fragmented IKE message" "$WORK/kite/kited.log" || die "$1: kite reassembled nothing"
  grep -qE "splitting IKE message .* into [0-9]+ fragments" "$WORK/charon/charon.log" || die "$1: charon did not fragment"
  if [ "$2" = yes ]; then
    grep -qE "splitting IKE message .* into [0-9]+ fragments" "$WORK/kite/kited.log" || die "$1: kite did not fragment"
    grep -q "reassembled fragmented IKE message" "$WORK/charon/charon.log" || die "$1: charon reassembled nothing"
  fi
  sas=$(swanctl_at "$RIGHT" charon --list-sas)
  grep -q "ESTABLISHED" <<<"$sas" || { echo "$sas"; die "$1: charon: IKE SA not ESTABLISHED"; }
  grep -q "INSTALLED" <<<"$sas" || { echo "$sas"; die "$1: charon: Child SA not INSTALLED"; }
  read -r in out < <(kite_spis "$WORK/kite/kited.log")
  grep -qE "in  +$out," <<<"$sas" || { echo "$sas"; die "$1: charon's inbound SPI is not kite's outbound $out"; }
  grep -qE "out +$in," <<<"$sas" || { echo "$sas"; die "$1: charon's outbound SPI is not kite's inbound $in"; }
  sleep 0.3 # charon's route into ipsec0
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
    { cat "$WORK/ping.out"; die "$1: no ping through the tunnel"; }
  local ksplit="kite's answer whole"
  [ "$2" = yes ] && ksplit=$(grep -E "splitting IKE message" "$WORK/kite/kited.log" | head -1 | sed 's/.*splitting/kite split/')
  log "ok: $1: $ksplit; $(grep -E "splitting IKE message" "$WORK/charon/charon.log" | head -1 | sed 's/.*splitting/charon split/'); \
$(grep -E "reassembled fragmented" "$WORK/kite/kited.log" | head -1 | sed 's/.*received/kite received/'); SPIs $in/$out"
}

for i in 1 2 3; do # an address in each selector, for the routes' sources
  ip -n "$LEFT" addr add "10.1.$i.1/24" dev lo
  ip -n "$RIGHT" addr add "10.2.$i.1/24" dev lo
done
CHARON_EXTRA="fragment_size = 200" charon_start "$RIGHT" charon
mkdir -p "$WORK/kite"
kite_conf lab 192.0.2.2 192.0.2.1 "$RTS" "$LTS" "$IKE" "$ESP" none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null || die "swanctl load"

log "== kite initiator -> charon responder"
kite_conf lab 192.0.2.1 192.0.2.2 "$LTS" "$RTS" "$IKE" "$ESP" start >"$WORK/kite/kite.conf"
KITED_ARGS="--fragment-size 256" kited_start "$LEFT" kite "$WORK/kite/kite.conf"
KPID=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 15 || { tail -30 "$WORK/kite/kited.log"; die "kite did not establish"; }
check "kite -> charon" yes
swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
kited_stop "$KPID"

log "== charon initiator -> kite responder"
: >"$WORK/charon/charon.log"
kite_conf lab 192.0.2.1 192.0.2.2 "$LTS" "$RTS" "$IKE" "$ESP" none >"$WORK/kite/kite.conf"
KITED_ARGS="--fragment-size 256" kited_start "$LEFT" kite "$WORK/kite/kite.conf"
swanctl_at "$RIGHT" charon --initiate --child net >"$WORK/charon/initiate.out" 2>&1 ||
  { cat "$WORK/charon/initiate.out"; die "charon could not initiate to kite"; }
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 5 || die "kite did not log the Child SA"
check "charon -> kite" no
log "PASS"
