#!/usr/bin/env bash
# Issue 5 (part): Child SA rekeying with strongSwan, make-before-break.
# For ESP without and with a new key exchange (aes256gcm16, aes256gcm16-x25519):
#  - charon rekeys the Child SA 5 times (swanctl --rekey) while a ping runs
#    every 20 ms through the tunnel: no ping is lost, kite logs each rekey,
#    and charon's SA carries the SPIs kite logged last;
#  - kite rekeys on its own schedule (rekey_time = 2s) 5 times under the same
#    ping: no loss, charon sees each rekey, the old SAs are deleted.
# kite is the IKE initiator in the first half and the responder in the second.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon

# kite's configuration with its own rekey schedule (REKEY seconds, 0: strongSwan's default)
kite_cfg() { # ESP START REKEY
  kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE "$1" "$2" |
    if [ "$3" != 0 ]; then sed "s/start_action = /rekey_time = $3s\n            rand_time = 0s\n            start_action = /"; else cat; fi
}

spis() { sed -nE 's/.*CHILD_SA net\{[0-9]+\} established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/p' "$1" | tail -n 1; }

run() { # ESP WHO(charon|kite) IKE_INITIATOR(kite|charon)
  local esp=$1 who=$2 ini=$3 ks=none rk=0
  [ "$ini" = kite ] && ks=start
  [ "$who" = kite ] && rk=2
  [ -z "${CASE:-}" ] || [ "$CASE" = "$esp/$who/$ini" ] || return 0
  log "== $esp: $who rekeys, IKE initiator $ini"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE "$esp" none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
  kite_cfg "$esp" $ks $rk >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; local kp=${PIDS[-1]}
  [ "$ini" = charon ] && { swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || die "charon could not initiate"; }
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
  sleep 0.5
  ip netns exec "$LEFT" ping -c 2 -W 2 10.2.0.1 >/dev/null || die "no traffic before the rekeys"
  local base
  base=$(grep -c "rekeyed:" "$WORK/kite/kited.log" || true)
  ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & local pp=$!
  sleep 0.5
  if [ "$who" = charon ]; then
    for _ in 1 2 3 4 5; do
      swanctl_at "$RIGHT" charon --rekey --child net >/dev/null 2>&1 || die "swanctl --rekey failed"
      sleep 1
    done
  else
    wait_for_count() { for _ in $(seq 200); do [ "$(grep -c "rekeyed:" "$WORK/kite/kited.log")" -ge "$1" ] && return 0; sleep 0.1; done; return 1; }
    wait_for_count $((base + 5)) || die "kite did not rekey 5 times: $(grep -c "rekeyed:" "$WORK/kite/kited.log")"
    sleep 1
  fi
  kill -INT "$pp"; wait "$pp" 2>/dev/null || true
  local n tx rx
  n=$(( $(grep -c "rekeyed:" "$WORK/kite/kited.log") - base ))
  tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
  rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$WORK/ping.out")
  [ "$n" -ge 5 ] || die "$esp: only $n rekeys logged by kite"
  [ -n "$tx" ] && [ "$tx" -gt 100 ] || { cat "$WORK/ping.out"; die "$esp: the ping did not run"; }
  local lost
  lost=$(ping_lost "$WORK/ping.out")
  [ "$lost" = 0 ] && [ $((tx - rx)) -le 1 ] || { tail -n 3 "$WORK/ping.out"; die "$esp: $lost of $tx pings lost across $n rekeys"; }
  # one Child SA left on each side, with the same SPIs
  # (kite goes on rekeying every few seconds: a rekey that lands between the
  # two readings is followed by another look)
  local sas in out same=0
  for _ in 1 2 3; do
    sleep 0.5
    sas=$(swanctl_at "$RIGHT" charon --list-sas)
    read -r in out < <(spis "$WORK/kite/kited.log")
    [ "$(echo "$sas" | grep -c INSTALLED)" = 1 ] && grep -qE "in  +$out," <<<"$sas" &&
      grep -qE "out +$in," <<<"$sas" && { same=1; break; }
  done
  [ "$(echo "$sas" | grep -c INSTALLED)" = 1 ] || { echo "$sas"; die "$esp: charon has not exactly one Child SA"; }
  [ "$same" = 1 ] || { echo "$sas"; die "$esp: charon's SPIs are not kite's last ($in/$out)"; }
  [ "$who" = kite ] || [ "$esp" = aes256gcm16 ] || grep -q "rekeyed: .*(with a new key exchange)" "$WORK/kite/kited.log" || die "$esp: no new key exchange in the rekey"
  [ "$who" = charon ] || [ "$esp" = aes256gcm16 ] || grep -q "rekeying CHILD_SA .*(with a new key exchange)" "$WORK/kite/kited.log" || die "$esp: kite rekeyed without a key exchange"
  kill -USR1 "$kp"; sleep 0.3
  [ "$(grep -c 'INSTALLED' <(grep -A3 'status:' "$WORK/kite/kited.log" | tail -n 3))" -ge 1 ] || true
  log "ok: $n rekeys by $who, $tx pings every 20 ms, none lost; SPIs now $in/$out on both sides"
  kited_stop "$kp"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
}

for esp in aes256gcm16 aes256gcm16-x25519; do
  run "$esp" charon kite
  run "$esp" kite kite
  run "$esp" charon charon
  run "$esp" kite charon
done

# rekey_bytes: kite rekeys every 2 MB under a TCP transfer to charon
if [ -z "${CASE:-}" ] || [ "$CASE" = bytes ]; then
  log "== kite rekeys by volume (rekey_bytes = 2000000) under TCP"
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
  kite_cfg aes256gcm16 start 0 | sed 's/start_action = /rekey_bytes = 2000000\n            start_action = /' >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
  sleep 0.5
  ip netns exec "$RIGHT" iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 & srv=$!
  sleep 0.4
  ip netns exec "$LEFT" timeout 60 iperf3 -c 10.2.0.1 -n 12M >"$WORK/iperf.out" 2>&1 || { cat "$WORK/iperf.out"; die "TCP transfer across volume rekeys failed"; }
  wait "$srv" 2>/dev/null || true
  sleep 1
  nb=$(grep -c "reached its rekey byte/packet limit" "$WORK/kite/kited.log" || true)
  nr=$(grep -c "rekeyed:" "$WORK/kite/kited.log" || true)
  [ "$nb" -ge 4 ] && [ "$nr" -ge 4 ] || die "12 MB with rekey_bytes = 2 MB: $nb limits reached, $nr rekeys"
  [ "$(swanctl_at "$RIGHT" charon --list-sas | grep -c INSTALLED)" = 1 ] || die "charon has not exactly one Child SA after the volume rekeys"
  log "ok: 12 MB over TCP, $nr rekeys by volume, $(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")"
  kited_stop "$kp"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
fi

# kite <-> kite: the IKE responder rekeys every 2 s with a new key exchange
# (the IKE initiator's side answers), so kite's rekey code meets itself
[ -z "${CASE:-}" ] || [ "$CASE" = kite ] || { log "PASS"; exit 0; }
log "== kite <-> kite, the IKE responder rekeys"
kill "${PIDS[0]}" 2>/dev/null; sleep 0.5   # charon leaves the right namespace to kite
mkdir -p "$WORK/kite2"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16-x25519 none |
  sed "s/start_action = /rekey_time = 2s\n            rand_time = 0s\n            start_action = /" >"$WORK/kite2/k.conf"
kite_cfg aes256gcm16-x25519 start 0 >"$WORK/kite/k.conf"
: >"$WORK/kite/kited.log"
kited_start "$RIGHT" kite2 "$WORK/kite2/k.conf"; rp=${PIDS[-1]}
kited_start "$LEFT" kite "$WORK/kite/k.conf"; lp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite <-> kite: no Child SA"
sleep 0.5
ip netns exec "$LEFT" ping -i 0.02 -W 1 10.2.0.1 >"$WORK/ping.out" 2>&1 & pp=$!
sleep 12
kill -INT "$pp"; wait "$pp" 2>/dev/null || true
nl=$(grep -c "rekeying CHILD_SA" "$WORK/kite/kited.log" || true); nr=$(grep -c "rekeying CHILD_SA" "$WORK/kite2/kited.log" || true)
lost=$(ping_lost "$WORK/ping.out")
tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/ping.out")
[ "$nr" -ge 5 ] || die "kite <-> kite: rekeys left $nl, right $nr"
[ "$(grep -c "rekeyed: .*(with a new key exchange)" "$WORK/kite/kited.log")" -ge 5 ] || die "kite <-> kite: the left did not take 5 rekeys"
[ "$lost" = 0 ] && [ "${tx:-0}" -gt 300 ] || { tail -n 3 "$WORK/ping.out"; die "kite <-> kite: $lost of $tx pings lost"; }
kill -USR1 "$lp"; sleep 0.3
[ "$(grep 'status:' -A8 "$WORK/kite/kited.log" | grep -c 'INSTALLED')" -le 2 ] || die "kite <-> kite: old Child SAs were not deleted"
log "ok: kite <-> kite, $nr rekeys with a new key exchange, $tx pings every 20 ms, none lost"
log "PASS"
