#!/usr/bin/env bash
# Issue 12 (rekey): the real swanctl 5.9.8 rekeys an IKE SA of kited through
# its VICI socket, charon on the other end (RFC 7296 1.3.2, 2.18), with kite
# as IKE initiator and as responder: `swanctl --rekey --ike lab` and then
# `--ike-id N` each give the IKE SA new SPIs, listed the same by
# `swanctl --list-sas` on kited and on charon, the Child SA keeps its SPIs,
# pings every 20 ms lose nothing, charon never reauthenticates; an unknown
# name is refused and changes nothing (--reauth: netns/reauth).  No rekey_time is
# configured: every rekey is the operator's.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
KURI="unix://$WORK/kite/charon.vici"
k() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "$KURI"; }
# "SPIi SPIr" of the one IKE SA in a --list-sas, and the Child SA's "in out"
ike_spis() { sed -nE 's/.*ESTABLISHED, IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r.*/\1 \2/p'; }
child_spis() { tr '\n' ' ' | sed -nE 's/.*installed [0-9]+s ago.*in +([0-9a-f]{8}),.*out +([0-9a-f]{8}),.*/\1 \2/p'; }

run() { # IKE_INITIATOR(kite|charon)
  local ini=$1 ks=none
  [ "$ini" = kite ] && ks=start
  log "== swanctl --rekey --ike against kited, IKE initiator $ini"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 $ks >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; local kp=${PIDS[-1]}
  for _ in $(seq 30); do [ -S "$WORK/kite/charon.vici" ] && break; sleep 0.1; done
  [ "$ini" = charon ] && { swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || die "charon could not initiate"; }
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
  sleep 0.5
  local before child0 out
  before=$(k --list-sas | ike_spis)
  child0=$(k --list-sas | child_spis)
  [ -n "$before" ] && [ -n "$child0" ] || { k --list-sas; die "no IKE SA or Child SA listed by kited"; }
  ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & local pp=$!
  sleep 0.5
  out=$(k --rekey --ike nosuch 2>&1) && die "--rekey of an unknown IKE SA succeeded: $out"
  grep -q "no matching SAs to rekey found" <<<"$out" || die "--rekey --ike nosuch: $out"
  [ "$(k --list-sas | ike_spis)" = "$before" ] || die "a refused rekey changed the IKE SA"
  local spis=("$before") sel
  for how in name id; do
    sel=(--ike lab)
    [ $how = id ] && sel=(--ike-id "$(k --list-sas | sed -nE 's/^lab: #([0-9]+), ESTABLISHED.*/\1/p')")
    out=$(k --rekey "${sel[@]}") || die "--rekey ${sel[*]} failed: $out"
    grep -q "rekey completed successfully" <<<"$out" || die "--rekey ($how): $out"
    sleep 1
    local ks cs now
    ks=$(k --list-sas); cs=$(swanctl_at "$RIGHT" charon --list-sas)
    [ "$(echo "$ks" | grep -c ESTABLISHED)" = 1 ] || { echo "$ks"; die "kited has not exactly one IKE SA after --rekey ($how)"; }
    [ "$(echo "$cs" | grep -c ESTABLISHED)" = 1 ] || { echo "$cs"; die "charon has not exactly one IKE SA after --rekey ($how)"; }
    now=$(echo "$ks" | ike_spis)
    [ -n "$now" ] && [ "$now" = "$(echo "$cs" | ike_spis)" ] || { echo "$ks"; echo "$cs"; die "kited and charon list different IKE SPIs"; }
    for old in "${spis[@]}"; do [ "$now" != "$old" ] || die "the IKE SPIs did not change with --rekey ($how): $now"; done
    [ "$(echo "$ks" | child_spis)" = "$child0" ] || { echo "$ks"; die "the Child SA did not move with the IKE SA ($how)"; }
    spis+=("$now")
    log "ok: --rekey ${sel[*]}: IKE SPIs ${spis[-2]} -> $now on both ends, Child SA $child0 kept"
  done
  kill -INT "$pp"; wait "$pp" 2>/dev/null || true
  local lost tx
  tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
  lost=$(ping_lost "$WORK/ping.out")
  [ "$lost" = 0 ] && [ "${tx:-0}" -gt 50 ] || { tail -n 3 "$WORK/ping.out"; die "$lost of $tx pings lost across the rekeys"; }
  [ "$(grep -c "rekeyed into" "$WORK/kite/kited.log")" = 2 ] || die "kited did not log exactly 2 IKE SA rekeys"
  grep -q "reauthenticat" "$WORK/charon/charon.log" && die "charon reauthenticated instead of rekeying"
  log "ok: 2 IKE SA rekeys asked through swanctl, $tx pings every 20 ms, none lost"
  kill -0 "$kp" || die "kited died"
  kited_stop "$kp"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
}

run kite
run charon
log "PASS"
