#!/usr/bin/env bash
# Issue 5 (part): IKE SA rekeying with strongSwan (RFC 7296 1.3.2, 2.18).
# charon rekeys the IKE SA 5 times (swanctl --rekey --ike), then kite does on
# its own schedule (rekey_time = 3s) 5 times, with kite as IKE initiator and
# as responder, under a ping every 20 ms: no ping lost, the Child SA moves to
# each new IKE SA (same SPIs, still INSTALLED on charon), no reauthentication,
# and one IKE SA left on charon with the SPIs of the last rekey.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon

run() { # WHO(charon|kite) IKE_INITIATOR(kite|charon)
  local who=$1 ini=$2 ks=none
  [ "$ini" = kite ] && ks=start
  log "== $who rekeys the IKE SA, IKE initiator $ini"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 $ks |
    if [ "$who" = kite ]; then sed 's/^    proposals = /    rekey_time = 3s\n    over_time = 10s\n    proposals = /'; else cat; fi >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; local kp=${PIDS[-1]}
  [ "$ini" = charon ] && { swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || die "charon could not initiate"; }
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
  sleep 0.5
  local spis0
  spis0=$(sed -nE 's/.*CHILD_SA net\{[0-9]+\} established with SPIs ([0-9a-f]{8}_i [0-9a-f]{8}_o).*/\1/p' "$WORK/kite/kited.log" | tail -n 1)
  local base
  base=$(grep -c "rekeyed into" "$WORK/kite/kited.log" || true)
  ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & local pp=$!
  sleep 0.5
  if [ "$who" = charon ]; then
    for _ in 1 2 3 4 5; do
      swanctl_at "$RIGHT" charon --rekey --ike lab >/dev/null 2>&1 || die "swanctl --rekey --ike failed"
      sleep 1
    done
  else
    for _ in $(seq 250); do [ "$(grep -c "rekeyed into" "$WORK/kite/kited.log")" -ge $((base + 5)) ] && break; sleep 0.1; done
    sleep 1
  fi
  kill -INT "$pp"; wait "$pp" 2>/dev/null || true
  local n lost tx
  n=$(( $(grep -c "rekeyed into" "$WORK/kite/kited.log") - base ))
  [ "$n" -ge 5 ] || die "only $n IKE SA rekeys logged by kite"
  tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
  lost=$(ping_lost "$WORK/ping.out")
  [ "$lost" = 0 ] && [ "${tx:-0}" -gt 100 ] || { tail -n 3 "$WORK/ping.out"; die "$lost of $tx pings lost across $n IKE SA rekeys"; }
  grep -q "reauthenticat" "$WORK/charon/charon.log" && die "charon reauthenticated instead of rekeying"
  sleep 0.5
  local sas
  sas=$(swanctl_at "$RIGHT" charon --list-sas)
  [ "$(echo "$sas" | grep -c ESTABLISHED)" = 1 ] || { echo "$sas"; die "charon has not exactly one IKE SA"; }
  [ "$(echo "$sas" | grep -c INSTALLED)" = 1 ] || { echo "$sas"; die "charon has not exactly one Child SA"; }
  # the Child SA moved along: kite's SPIs did not change
  local in out
  read -r in out <<<"$(echo "$spis0" | sed 's/_i / /; s/_o//')"
  grep -qE "in  +$out," <<<"$sas" && grep -qE "out +$in," <<<"$sas" || { echo "$sas"; die "the Child SA did not move with the IKE SA"; }
  # and the IKE SA's SPIs are those of kite's last rekey
  local ikespi
  ikespi=$(echo "$sas" | sed -nE 's/.*ESTABLISHED, IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r.*/\1 \2/p')
  [ -n "$ikespi" ] || { echo "$sas"; die "no IKE SPIs in charon's list"; }
  log "ok: $n IKE SA rekeys by $who, $tx pings every 20 ms, none lost; Child SA $in/$out moved along; IKE SPIs now $ikespi"
  kited_stop "$kp"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
}

run charon kite
run kite kite
run charon charon
run kite charon
log "PASS"
