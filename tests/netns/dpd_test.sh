#!/usr/bin/env bash
# Issue 5 (part): liveness against strongSwan.
#  - stopping kited (SIGTERM) deletes charon's SAs;
#  - inbound ESP is liveness: no liveness check leaves kite while a ping gets
#    answers through the tunnel, and they start once the traffic stops;
#  - charon killed with SIGKILL: kite (dpd_delay = 2s, retransmissions 1 s x 1.5,
#    3 tries) declares it dead on the retransmission schedule (the request and
#    its 3 retransmissions seen on the wire 1, 1.5 and 2.25 s apart, death
#    3.375 s after the last: 8.125 s after the first, checked to within
#    -0.1/+1 s), within dpd_delay + that schedule of the kill, removes its SA
#    and route; with dpd_action = restart it initiates again and the tunnel is
#    back once charon is restarted; charon answers kite's liveness checks while
#    it is alive (no false death).
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
  sed 's/^    proposals = /    dpd_delay = 2s\n    proposals = /; s/start_action = start/dpd_action = restart\n            start_action = start/' >"$WORK/kite/k.conf"
: >"$WORK/kite/kited.log"
ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/kite/k.conf" --foreground --run-dir "$WORK/kite" \
  --log-level 2 --retransmit-timeout 1 --retransmit-base 1.5 --retransmit-tries 3 >"$WORK/kite/kited.log" 2>&1 &
kp=$!; PIDS+=($kp)
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
# alive: liveness checks are answered for a while, nothing is declared dead
sleep 6
grep -q "generating INFORMATIONAL request" "$WORK/kite/kited.log" || die "kite sent no liveness check in 6 s with dpd_delay = 2s"
grep -q "peer not responding" "$WORK/kite/kited.log" && die "kite declared a live peer dead"
# traffic from charon is liveness: no check while a ping gets answers, checks again once it stops
sleep 2.5
n0=$(grep -c "generating INFORMATIONAL request" "$WORK/kite/kited.log")
ip netns exec "$LEFT" ping -c 30 -i 0.2 -W 1 10.2.0.1 >"$WORK/ping.log" 2>&1 || die "ping through the tunnel failed"
n1=$(grep -c "generating INFORMATIONAL request" "$WORK/kite/kited.log")
[ "$n1" -eq "$n0" ] || die "kite sent $((n1 - n0)) liveness check(s) while ESP from charon arrived every 0.2 s (dpd_delay = 2s)"
sleep 4
n2=$(grep -c "generating INFORMATIONAL request" "$WORK/kite/kited.log")
[ "$n2" -gt "$n1" ] || die "kite sent no liveness check in the 4 s after the traffic stopped"
log "ok: no liveness check during 6 s of ping, $((n2 - n1)) in the 4 s after it"
# the wire: kite's INFORMATIONAL requests to charon, with timestamps
ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -n -tt -l "udp and src host 192.0.2.1 and dst host 192.0.2.2" \
  >"$WORK/wire.txt" 2>/dev/null &
PIDS+=($!); tp=$!
sleep 1
kill -9 "$(pgrep -P "$cp" || echo "$cp")" "$cp" 2>/dev/null || true
t0=$(date +%s.%N)
wait_for "$WORK/kite/kited.log" "peer not responding" 20 || die "kite did not notice that charon is gone"
t1=$(date +%s.%N)
sleep 0.2
kill "$tp" 2>/dev/null || true
dead=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
# the last four datagrams before the death: the unanswered request and its retransmissions
grep -F "inf2[I]" "$WORK/wire.txt" | awk -v d="$t1" '$1 + 0 < d + 0 { print $1 }' | tail -n 4 >"$WORK/retx.txt"
[ "$(wc -l <"$WORK/retx.txt")" -eq 4 ] || die "expected a request and 3 retransmissions before the death: $(cat "$WORK/wire.txt")"
sched=$(awk -v d="$t1" 'NR == 1 { f = $1 } { t[NR] = $1 } END {
  printf "%.2f %.2f %.2f %.2f", t[2] - t[1], t[3] - t[2], t[4] - t[3], d - f }' "$WORK/retx.txt")
read -r g1 g2 g3 total <<<"$sched"
# retransmissions 1, 1.5, 2.25 s apart (each within -0.1/+0.5 s), dead 8.125 s after the request (-0.1/+1 s)
awk -v a="$g1" -v b="$g2" -v c="$g3" 'BEGIN { exit !(a >= 0.9 && a <= 1.5 && b >= 1.4 && b <= 2.0 && c >= 2.15 && c <= 2.75) }' ||
  die "retransmissions $g1 $g2 $g3 s apart, not 1, 1.5, 2.25"
awk -v t="$total" 'BEGIN { exit !(t >= 8.02 && t <= 9.13) }' ||
  die "declared dead $total s after the unanswered request, not 8.125 s (retransmit 1 s x 1.5, 3 tries)"
# and from the kill: at most dpd_delay (2 s) + the schedule (8.125 s) + 1 s
awk -v d="$dead" 'BEGIN { exit !(d <= 11.13) }' || die "declared dead $dead s after the kill, more than dpd_delay + the retransmission schedule"
wait_for "$WORK/kite/kited.log" "CHILD_SA net\{[0-9]+\} removed" 3 || die "kite did not remove the dead peer's SA"
[ -z "$(ip -n "$LEFT" route show table 220)" ] || die "the route to the dead peer is still there"
grep -q "dpd_action = restart: initiating 'lab' again" "$WORK/kite/kited.log" || die "kite did not restart the connection"
log "ok: charon declared dead $dead s after SIGKILL, $total s after the unanswered request (retransmissions $g1 $g2 $g3 s apart), SA and route removed, restart initiated"
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
