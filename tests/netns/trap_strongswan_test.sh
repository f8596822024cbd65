#!/usr/bin/env bash
# Issue 15, start_action = trap (kite initiates on demand) against strongSwan
# 5.9's charon as responder: kite loads a trap for 10.1.0.0/24 === 10.2.0.0/24
# and no SA comes up; the first ping (one echo request, no retry) makes kite
# negotiate, holds the request meanwhile and sends it once the Child SA is
# installed, so its echo reply arrives.  close_action = trap: charon deletes
# the Child SA, then the IKE SA; each time the trap stays and the next single
# ping brings the tunnel up again.  kite's list-policies (VICI) shows the trap.
# Unloading the connection over VICI removes the trap and its route.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load the configuration"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 trap |
  sed 's/start_action = trap }/start_action = trap\n            close_action = trap }/' >"$WORK/kite/k.conf"
grep -q "close_action = trap" "$WORK/kite/k.conf" || die "test bug: no close_action in the configuration"
KITED_ARGS="--vici unix://$WORK/kite/kite.vici" kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "installed trap policy for CHILD_SA net of 'lab'" 5 || die "kite installed no trap policy"
sleep 1
grep -qE "CHILD_SA .* installed|IKE_SA_INIT" "$WORK/kite/kited.log" && die "kite negotiated before any traffic"
ip -n "$LEFT" route show table 220 | grep -q "10.2.0.0/24 dev kite" || die "no trap route: $(ip -n "$LEFT" route show table 220)"
pols=$(ip netns exec "$LEFT" swanctl --list-pols --uri "unix://$WORK/kite/kite.vici" 2>&1) || die "list-policies failed: $pols"
grep -q "lab/net, TUNNEL" <<<"$pols" && grep -q "remote: 10.2.0.0/24" <<<"$pols" || die "list-policies shows no trap: $pols"
log "list-policies: $(tr "\n" " " <<<"$pols")"

# one echo request, no retry: the reply comes only if the held request was sent
ping1() {
  ip netns exec "$LEFT" ping -c 1 -W 8 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
    { cat "$WORK/ping.out"; die "$1: the first ping got no answer"; }
  grep -q "1 received" "$WORK/ping.out" || die "$1: no reply"
}
acquires() { grep -c "acquire for CHILD_SA net of 'lab'" "$WORK/kite/kited.log" || true; }
helds() { grep -c "packet(s) held by its trap sent" "$WORK/kite/kited.log" || true; }

t0=$(date +%s%N)
ping1 "first"
t1=$(date +%s%N)
[ "$(acquires)" = 1 ] || die "expected one acquire, log has $(acquires)"
[ "$(helds)" = 1 ] || die "the held packet was not sent"
grep -q "CHILD_SA net{.*} installed" "$WORK/kite/kited.log" || die "no Child SA installed"
# traffic flows on, with no further acquire
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >/dev/null || die "ping through the tunnel failed"
[ "$(acquires)" = 1 ] || die "packets through the SA started acquires"
log "ok: trap: the first ping brought the tunnel up and was answered ($(( (t1 - t0) / 1000000 )) ms)"

# charon deletes the Child SA: close_action = trap re-arms, the next ping negotiates (CREATE_CHILD_SA)
swanctl_at "$RIGHT" charon --terminate --child net >/dev/null 2>&1 || die "charon could not delete the Child SA"
wait_for "$WORK/kite/kited.log" "close_action = trap" 5 || die "kite did not re-arm after the Child SA's Delete"
sleep 0.3
ping1 "after the Child SA's Delete"
[ "$(acquires)" = 2 ] || die "expected a second acquire, log has $(acquires)"
log "ok: close_action = trap after a Child SA Delete: the next ping negotiated again and was answered"

# charon deletes the IKE SA: a new IKE SA on the next ping
swanctl_at "$RIGHT" charon --terminate --ike lab >/dev/null 2>&1 || die "charon could not delete the IKE SA"
wait_for "$WORK/kite/kited.log" "IKE_SA lab\[[0-9]+\] deleted: deleted by the peer" 5 || die "kite saw no IKE SA Delete"
sleep 0.3
ping1 "after the IKE SA's Delete"
[ "$(acquires)" = 3 ] || die "expected a third acquire, log has $(acquires)"
[ "$(helds)" = 3 ] || die "expected three held packets sent, log has $(helds)"
log "ok: close_action = trap after an IKE SA Delete: the next ping negotiated a new IKE SA and was answered"

st=$(kited_status "$kp" "$WORK/kite" | grep "traps:")
grep -q "1 installed, 3 acquires, packets held 3 sent 3" <<<"$st" || die "trap counters: $st"
log "kite: ${st#*DMN] }"

# unload-conn (swanctl --load-conns of a file without lab unloads it): the trap and its route go
echo "connections { }" >"$WORK/kite/empty.conf"
ip netns exec "$LEFT" swanctl --load-conns --file "$WORK/kite/empty.conf" --uri "unix://$WORK/kite/kite.vici" >"$WORK/unload.out" 2>&1 ||
  die "unload-conn failed: $(cat "$WORK/unload.out")"
wait_for "$WORK/kite/kited.log" "uninstalled trap policy for CHILD_SA net of 'lab'" 5 || die "unload-conn left the trap"
sleep 0.3
ip -n "$LEFT" route show table 220 | grep -q "10.2.0.0/24" && die "the trap's route outlived the unload"
pols=$(ip netns exec "$LEFT" swanctl --list-pols --uri "unix://$WORK/kite/kite.vici" 2>&1) || true
grep -q "lab/net" <<<"$pols" && die "list-policies still shows the trap: $pols"
kited_stop "$kp"
log "ok: unload-conn removed the trap and its route"
log "PASS"
