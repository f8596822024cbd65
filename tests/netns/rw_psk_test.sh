#!/usr/bin/env bash
# Issue 13, must show 5: 200 kite road warriors with distinct identities at
# one kite responder with one %any connection and a secret per identity
# (strongSwan's nat-rw-psk shape, ike/psks.c and ike/connsel.c).
#
#   LEFT  192.0.2.10 .. 192.0.2.209 (+ .210, .211): one kited with 202
#         connections rwN (local_addrs = 192.0.2.(9+N), local.id =
#         rwN@example.com, its own secret, start_action = start)
#   RIGHT 192.0.2.2: one kited, connection rw (remote_addrs = %any,
#         remote.id = %any, remote_ts = 10.0.0.0/8), 201 secrets
#         ike-rwN { id = rwN@example.com  secret = ... }
#
# All 200 must be ESTABLISHED on the responder (swanctl --list-sas over its
# VICI socket) with 200 distinct remote identities and Child SAs installed;
# rw201 (a wrong secret) and rw202 (no secret at the responder) are refused
# with AUTHENTICATION_FAILED while the 200 stay up.  Then over VICI
# (swanctl --load-creds: load-shared, unload-shared): rw202's secret loaded (it comes up), rw1's
# unloaded (a new IKE SA of it refused).  Prints the time for the
# 200 to come up and the responder's RSS and CPU time.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v swanctl >/dev/null || { echo "SKIP: swanctl not installed"; exit 77; }
N=${RW_N:-200}
ns_setup
for i in $(seq 1 $((N + 2))); do
  ip -n "$LEFT" addr add "192.0.2.$((9 + i))/24" dev "${NS_TAG}a"
done
mkdir -p "$WORK/r" "$WORK/l"
IKE=aes256gcm16-prfsha256-x25519

# the responder: one connection for everyone, a secret per identity
{
  cat <<CONF
connections {
  rw {
    local_addrs = 192.0.2.2
    remote_addrs = %any
    proposals = $IKE
    local { auth = psk
            id = gw.example }
    remote { auth = psk
             id = %any }
    children {
      net { local_ts = 10.2.0.0/24
            remote_ts = 10.0.0.0/8
            esp_proposals = aes256gcm16 }
    }
  }
}
secrets {
CONF
  for i in $(seq 1 $((N + 1))); do
    printf '  ike-rw%s {\n    id = rw%s@example.com\n    secret = "rw-secret-%s-0123456789"\n  }\n' "$i" "$i" "$i"
  done
  echo "}"
} >"$WORK/r/k.conf"

# the road warriors: rwN at 192.0.2.(9+N) with 10.100+N/250.N%250.0/24;
# rwN+1 uses a wrong secret, rwN+2 an identity the responder has no secret for
{
  echo "connections {"
  for i in $(seq 1 $((N + 2))); do
    cat <<CONF
  rw$i {
    local_addrs = 192.0.2.$((9 + i))
    remote_addrs = 192.0.2.2
    proposals = $IKE
    local { auth = psk
            id = rw$i@example.com }
    remote { auth = psk
             id = gw.example }
    children {
      net { local_ts = 10.$((100 + i / 250)).$((i % 250)).0/24
            remote_ts = 10.2.0.0/24
            esp_proposals = aes256gcm16
            start_action = start }
    }
  }
CONF
  done
  echo "}"
  echo "secrets {"
  for i in $(seq 1 $((N + 2))); do
    s="rw-secret-$i-0123456789"
    [ "$i" = $((N + 1)) ] && s="not-the-secret-of-rw$i"
    printf '  ike-rw%s {\n    id-a = rw%s@example.com\n    id-b = gw.example\n    secret = "%s"\n  }\n' "$i" "$i" "$s"
  done
  echo "}"
} >"$WORK/l/k.conf"

KITE_LOG_LEVEL=1 kited_start "$RIGHT" r "$WORK/r/k.conf"; RP=${PIDS[-1]}
for _ in $(seq 50); do [ -S "$WORK/r/charon.vici" ] && break; sleep 0.1; done
[ -S "$WORK/r/charon.vici" ] || die "the responder opened no control socket"
CPU0=$(awk '{ print $14 + $15 }' "/proc/$RP/stat")
RSS0=$(awk '/VmRSS/ { print $2 }' "/proc/$RP/status")
T0=$(date +%s.%N)
# the initiator negotiates only: 202 tunnels to one remote_ts need no data plane
KITED_ARGS=--no-dataplane KITE_LOG_LEVEL=1 kited_start "$LEFT" l "$WORK/l/k.conf"
up=0
for _ in $(seq 600); do
  up=$(grep -c "CHILD_SA net{[0-9]*} installed" "$WORK/r/kited.log" || true)
  [ "$up" -ge "$N" ] && break
  sleep 0.1
done
T1=$(date +%s.%N)
[ "$up" -ge "$N" ] || die "only $up of $N Child SAs installed at the responder after 60 s"
CPU1=$(awk '{ print $14 + $15 }' "/proc/$RP/stat")
RSS=$(awk '/VmRSS/ { print $2 }' "/proc/$RP/status")
TICK=$(getconf CLK_TCK)
SECS=$(echo "$T1 - $T0" | bc)
log "$up Child SAs installed at the responder in ${SECS} s; responder RSS ${RSS0} -> ${RSS} KB" \
    "($(( (RSS - RSS0) / N )) KB per SA), CPU $(( (CPU1 - CPU0) * 1000 / TICK )) ms" \
    "($(( (CPU1 - CPU0) * 1000000 / TICK / N )) us per SA, key exchange, AUTH and Child SA install)"

# the two refused ones (keyingtries = 1: one attempt each)
wait_for "$WORK/r/kited.log" "authentication of 'rw$((N + 1))@example.com' failed: pre-shared key mismatch" 10 ||
  die "the responder did not refuse rw$((N + 1))'s wrong secret"
wait_for "$WORK/r/kited.log" "no pre-shared key found for 'gw.example' - 'rw$((N + 2))@example.com'" 10 ||
  die "the responder did not refuse rw$((N + 2)), which has no secret"
wait_for "$WORK/l/kited.log" "rw$((N + 1))\[[0-9]+\].*AUTHENTICATION_FAILED|AUTHENTICATION_FAILED.*rw$((N + 1))" 10 ||
  grep -q "received AUTHENTICATION_FAILED" "$WORK/l/kited.log" || die "the road warriors heard no AUTHENTICATION_FAILED"
grep -q "rw-secret-\|not-the-secret" "$WORK/r/kited.log" "$WORK/l/kited.log" && die "a secret is in a log"
sleep 1

# the responder's view over VICI: N established IKE SAs, N distinct peers
ip netns exec "$RIGHT" timeout 60 swanctl --list-sas --uri "unix://$WORK/r/charon.vici" >"$WORK/sas.txt" ||
  die "swanctl --list-sas failed"
est=$(grep -cE "^rw: #[0-9]+, ESTABLISHED" "$WORK/sas.txt" || true)
ids=$(grep -oE "remote +'rw[0-9]+@example.com'" "$WORK/sas.txt" | sort -u | wc -l)
inst=$(grep -cE "INSTALLED, TUNNEL" "$WORK/sas.txt" || true)
[ "$est" = "$N" ] || { head -40 "$WORK/sas.txt"; die "$est IKE SAs ESTABLISHED at the responder, not $N"; }
[ "$ids" = "$N" ] || die "$ids distinct remote identities, not $N"
[ "$inst" = "$N" ] || die "$inst Child SAs INSTALLED, not $N"
grep -qE "remote +'rw($((N + 1))|$((N + 2)))@example.com'" "$WORK/sas.txt" && die "a refused road warrior has an SA"
log "ok: swanctl --list-sas on the responder: $est ESTABLISHED, $ids distinct remote identities, $inst Child SAs"

# secrets over VICI take effect for new IKE SAs: swanctl --load-creds with a
# file that adds rw$((N + 2))'s secret and lacks rw1's (unloaded)
R() { ip netns exec "$RIGHT" timeout 60 swanctl "$@" --uri "unix://$WORK/r/charon.vici"; }
L() { ip netns exec "$LEFT" timeout 60 swanctl "$@" --uri "unix://$WORK/l/charon.vici"; }
{
  echo "secrets {"
  for i in $(seq 2 $((N + 2))); do
    printf '  ike-rw%s {\n    id = rw%s@example.com\n    secret = "rw-secret-%s-0123456789"\n  }\n' "$i" "$i" "$i"
  done
  echo "}"
} >"$WORK/r/shared.conf"
R --load-creds --file "$WORK/r/shared.conf" >"$WORK/r/load.out" 2>&1 || { cat "$WORK/r/load.out"; die "swanctl --load-creds failed"; }
L --initiate --ike "rw$((N + 2))" --child net --timeout 15 >"$WORK/l/init.out" 2>&1 ||
  { cat "$WORK/l/init.out"; die "rw$((N + 2)) did not come up once its secret was loaded over VICI"; }
L --terminate --ike rw1 --timeout 15 >/dev/null 2>&1 || die "swanctl --terminate --ike rw1 failed"
L --initiate --ike rw1 --child net --timeout 15 >"$WORK/l/init1.out" 2>&1 &&
  die "rw1 came up again although its secret was unloaded over VICI"
wait_for "$WORK/r/kited.log" "no pre-shared key found for 'gw.example' - 'rw1@example.com'" 5 ||
  die "the responder did not log rw1's missing secret"
R --list-sas >"$WORK/sas2.txt" || die "swanctl --list-sas failed"
est=$(grep -cE "^rw: #[0-9]+, ESTABLISHED" "$WORK/sas2.txt" || true)
[ "$est" = "$N" ] || die "$est IKE SAs after the VICI changes, not $N (rw1 gone, rw$((N + 2)) new)"
grep -qE "remote +'rw$((N + 2))@example.com'" "$WORK/sas2.txt" || die "no IKE SA with rw$((N + 2)) at the responder"
grep -qE "remote +'rw1@example.com'" "$WORK/sas2.txt" && die "rw1 still has an IKE SA"
log "ok: over VICI, rw$((N + 2))'s secret loaded (it comes up) and rw1's unloaded (refused), the others untouched"
log "PASS"
