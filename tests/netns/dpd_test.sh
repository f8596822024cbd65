#!/usr/bin/env bash
# Issue 5 (part): liveness against strongSwan.
#  - stopping kited (SIGTERM) deletes charon's SAs;
#  - charon killed with SIGKILL: kite (dpd_delay = 2s, retransmissions 1 s x 1.5,
#    3 tries) declares it dead within dpd_delay + the retransmission schedule,
#    removes its SA and route; with dpd_action = restart it initiates again and
#    the tunnel is back once charon is restarted; charon answers kite's liveness
#    checks while it is alive (no false death).
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_load() {
  kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
}
charon_start "$RIGHT" charon; cp=${PIDS[-1]}
charon_load

log "== stopping kited deletes charon's SAs"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start >"$WORK/kite/k.conf"
kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
swanctl_at "$RIGHT" charon --list-sas | grep -q ESTABLISHED || die "charon has no IKE SA"
kited_stop "$kp"
sleep 0.3
swanctl_at "$RIGHT" charon --list-sas | grep -q ESTABLISHED && die "charon still has the IKE SA after kited stopped"
wait_for "$WORK/charon/charon.log" "received DELETE for IKE_SA" 2 || die "charon did not get kite's Delete"
log "ok: kited's Delete removed charon's SAs"

log "== charon killed: DPD, dpd_action = restart"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start |
  sed 's/proposals = /dpd_delay = 2s\n    proposals = /; s/start_action = start/dpd_action = restart\n            start_action = start/' >"$WORK/kite/k.conf"
: >"$WORK/kite/kited.log"
ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/kite/k.conf" --foreground --run-dir "$WORK/kite" \
  --log-level 2 --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >"$WORK/kite/kited.log" 2>&1 &
kp=$!; PIDS+=($kp)
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
# alive: liveness checks are answered for a while, nothing is declared dead
sleep 6
grep -q "generating INFORMATIONAL request" "$WORK/kite/kited.log" || die "kite sent no liveness check in 6 s with dpd_delay = 2s"
grep -q "peer not responding" "$WORK/kite/kited.log" && die "kite declared a live peer dead"
kill -9 "$(pgrep -P "$cp" || echo "$cp")" "$cp" 2>/dev/null || true
t0=$(date +%s.%N)
wait_for "$WORK/kite/kited.log" "peer not responding" 20 || die "kite did not notice that charon is gone"
t1=$(date +%s.%N)
dead=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
# dpd_delay 2 s + retransmissions after 1, 1.5, 2.25 s and the final wait 3.4 s: 10.1 s at most (+2 s for a loaded machine)
awk -v d="$dead" 'BEGIN { exit !(d <= 12.2) }' || die "declared dead after $dead s, more than dpd_delay + the retransmission schedule"
wait_for "$WORK/kite/kited.log" "CHILD_SA net\{[0-9]+\} removed" 3 || die "kite did not remove the dead peer's SA"
[ -z "$(ip -n "$LEFT" route show table 220)" ] || die "the route to the dead peer is still there"
grep -q "dpd_action = restart: initiating 'lab' again" "$WORK/kite/kited.log" || die "kite did not restart the connection"
log "ok: charon declared dead $dead s after SIGKILL, SA and route removed, restart initiated"
charon_start "$RIGHT" charon2
cp "$WORK/charon/swanctl.conf" "$WORK/charon2/swanctl.conf"
swanctl_at "$RIGHT" charon2 --load-all --clear --file "$WORK/charon2/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
wait_for "$WORK/kite/kited.log" "CHILD_SA net\{[0-9]+\} installed.*" 30 || die "no new Child SA"
for _ in $(seq 60); do
  [ "$(grep -c "CHILD_SA net{[0-9]*} installed" "$WORK/kite/kited.log")" -ge 2 ] && break; sleep 0.5
done
[ "$(grep -c "CHILD_SA net{[0-9]*} installed" "$WORK/kite/kited.log")" -ge 2 ] || die "the tunnel did not come back after charon restarted"
sleep 0.5
ip netns exec "$LEFT" ping -c 2 -W 2 10.2.0.1 >/dev/null || die "no traffic through the restarted tunnel"
log "ok: the tunnel is back after charon restarted"
kited_stop "$kp"
log "PASS"
