#!/usr/bin/env bash
# Issue 14: IKE SA reauthentication (reauth_time, RFC 7296 2.8.3) between
# kited and charon 5.9.8, make-before-break on both (charon's
# make_before_break = yes): kite reauthenticates on its own schedule
# (reauth_time = 12s, rand_time = 1s, over_time = 10s), then charon does on
# its, with a ping every 20 ms across at least two reauthentications each:
# at most one ping
# lost, the IKE SPIs change with each, and at the end exactly one IKE SA and
# one Child SA on each side.  Then swanctl --rekey --ike lab --reauth against
# kited's VICI socket reauthenticates once more, the same way.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
CHARON_EXTRA="make_before_break = yes" charon_start "$RIGHT" charon
KURI="unix://$WORK/kite/charon.vici"
k() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "$KURI"; }
c() { swanctl_at "$RIGHT" charon "$@"; }
# "SPIi SPIr" of each IKE SA in a --list-sas
ike_spis() { sed -nE 's/.*ESTABLISHED, IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r.*/\1 \2/p'; }
# over_time 10 s (the default would be 1.2 s): one IKE message lost and
# retransmitted (2 s) must not let the hard lifetime close the old IKE SA
# before the new one is up, turning make-before-break into break-before-make
LIFE="reauth_time = 12s\n    rand_time = 1s\n    over_time = 10s\n    rekey_time = 0"

# one IKE SA and one Child SA listed by `swanctl --list-sas` on SIDE (k|c)
one_each() {
  local sas
  sas=$("$1" --list-sas)
  [ "$(echo "$sas" | grep -c ESTABLISHED)" = 1 ] || { echo "$sas"; die "$1: not exactly one IKE SA"; }
  [ "$(echo "$sas" | grep -c INSTALLED)" = 1 ] || { echo "$sas"; die "$1: not exactly one Child SA"; }
}

run() { # WHO(kite|charon) reauthenticates
  local who=$1 kl=rekey_time\ =\ 0 cl=rekey_time\ =\ 0
  [ "$who" = kite ] && kl=$LIFE
  [ "$who" = charon ] && cl=$LIFE
  log "== $who reauthenticates every 11-12 s, kite the IKE initiator"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none |
    sed "s/^    proposals = /    $cl\n    proposals = /" >"$WORK/charon/swanctl.conf"
  c --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start |
    sed "s/^    proposals = /    $kl\n    proposals = /" >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  : >"$WORK/charon/charon.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; local kp=${PIDS[-1]}
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
  sleep 0.5
  local spi0
  spi0=$(c --list-sas | ike_spis)
  # kite lists when it reauthenticates (charon's reauth-time key)
  if [ "$who" = kite ]; then grep -qE "reauth in [0-9]+s" <<<"$(k --list-sas)" || { k --list-sas; die "no reauth time listed by kited"; }; fi
  ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & local pp=$!
  # two reauthentications (at 11-12 s and 22-24 s), and a few seconds past the second
  local pat="reauthenticated by" f=$WORK/kite/kited.log
  [ "$who" = charon ] && { pat="reauthenticating|deleting IKE_SA .* reauth"; f=$WORK/charon/charon.log; }
  for _ in $(seq 400); do [ "$(grep -cE "IKE_SA [^ ]+ established between" "$WORK/kite/kited.log")" -ge 3 ] && break; sleep 0.1; done
  sleep 3
  kill -INT "$pp"; wait "$pp" 2>/dev/null || true
  local n lost tx spi1
  n=$(( $(grep -cE "IKE_SA [^ ]+ established between" "$WORK/kite/kited.log") - 1 ))
  [ "$n" -ge 2 ] || die "only $n reauthentications by $who (kite's log: IKE SAs established)"
  grep -qE "$pat" "$f" || die "$who logged no reauthentication"
  [ "$who" = charon ] && { grep -q "reauthenticating IKE_SA" "$WORK/kite/kited.log" && die "kite reauthenticated too"; }
  [ "$who" = kite ] && { grep -q "reauthenticating IKE_SA" "$WORK/charon/charon.log" && die "charon reauthenticated too"; }
  tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
  lost=$(ping_lost "$WORK/ping.out")
  [ "${tx:-0}" -gt 500 ] && [ "$lost" -le 1 ] || { tail -n 3 "$WORK/ping.out"; die "$lost of $tx pings lost across $n reauthentications by $who"; }
  sleep 1
  one_each c
  one_each k
  spi1=$(c --list-sas | ike_spis)
  [ -n "$spi1" ] && [ "$spi1" != "$spi0" ] || die "the IKE SPIs did not change ($spi0 -> $spi1)"
  [ "$(k --list-sas | ike_spis)" = "$spi1" ] || die "kite and charon list different IKE SAs"
  log "ok: $n reauthentications by $who, $tx pings every 20 ms, $lost lost; IKE SPIs $spi0 -> $spi1"
  echo "$who $n $tx $lost" >>"$WORK/results"
  if [ "$who" = charon ]; then
    # the operator's: swanctl --rekey --reauth against kited
    local before=$spi1 out
    ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & pp=$!
    sleep 1
    out=$(k --rekey --ike lab --reauth) || die "swanctl --rekey --reauth failed: $out"
    for _ in $(seq 50); do grep -q "reauthenticated by" "$WORK/kite/kited.log" && break; sleep 0.1; done
    sleep 2
    kill -INT "$pp"; wait "$pp" 2>/dev/null || true
    grep -q "reauthenticated by" "$WORK/kite/kited.log" || die "--reauth: kite did not reauthenticate"
    tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
    lost=$(ping_lost "$WORK/ping.out")
    [ "$lost" -le 1 ] || die "--reauth: $lost of $tx pings lost"
    one_each c
    one_each k
    [ "$(c --list-sas | ike_spis)" != "$before" ] || die "--reauth: the IKE SPIs did not change"
    log "ok: swanctl --rekey --reauth against kited: $tx pings, $lost lost"
  fi
  kited_stop "$kp"
  c --terminate --ike lab --force >/dev/null 2>&1 || true
}

run kite
run charon
log "results (who reauthenticated, reauthentications, pings, lost):"
cat "$WORK/results"
log "PASS"
