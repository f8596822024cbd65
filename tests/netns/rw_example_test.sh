#!/usr/bin/env bash
# Issue 15: the road-warrior example pair runs as it is, kite to kite:
# examples/rw/gateway.conf in the right namespace (192.0.2.2, 10.2.0.0/24),
# examples/rw/client.conf in the left (192.0.2.1).  The client gets
# 10.3.0.1, has it on its TUN device and pings 10.2.0.1 from it.  Then 20
# more road warriors (one kited with 20 connections, identities
# userN@example.org, the example's keys otherwise) get 20 further distinct
# addresses, each on the client's TUN device, and the gateway counts 20
# online leases and carol's offline one.  DNS goes to a resolvectl stand-in
# first in PATH (the host's resolver is never touched).
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
ns_setup
N=${KITE_RW_N:-20}
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho "$*" >>"%s/resolvectl.out"\n' "$WORK" >"$WORK/bin/resolvectl"
chmod +x "$WORK/bin/resolvectl"
export PATH="$WORK/bin:$PATH"

# all road warriors come from one address here: no half-open limit per source
# (--block-threshold, 5 by default, would make 15 of the 20 wait for retransmissions)
KITED_ARGS="--block-threshold 0" kited_start "$RIGHT" gw "$KITE_ROOT/examples/rw/gateway.conf"; gw=${PIDS[-1]}
wait_for "$WORK/gw/kited.log" "loaded connection 'rw'" 5 || die "the gateway example did not load"
kited_start "$LEFT" client "$KITE_ROOT/examples/rw/client.conf"; cl=${PIDS[-1]}
wait_for "$WORK/client/kited.log" "CHILD_SA .* established" 15 || die "the client example did not connect"
tun=$(sed -nE 's/.*userspace ESP data plane on ([a-z0-9]+).*/\1/p' "$WORK/client/kited.log" | head -1)
grep -q "assigning virtual IP 10.3.0.1 to peer 'carol@example.org'" "$WORK/gw/kited.log" || die "carol did not get 10.3.0.1"
grep -q "inet 10.3.0.1/32" <<<"$(ip -n "$LEFT" -4 addr show dev "$tun")" || die "10.3.0.1 is not on $tun"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping through the example tunnel"; }
grep -q "dns $tun 10.2.0.1" "$WORK/resolvectl.out" || die "the DNS server did not reach resolvectl"
log "ok: examples/rw: carol has 10.3.0.1 on $tun, 3 pings to 10.2.0.1, DNS 10.2.0.1 to resolvectl"
kited_stop "$cl"
wait_for "$WORK/gw/kited.log" "IKE_SA rw\[[0-9]+\] deleted" 5 || die "the gateway did not see carol leave"

log "== $N road warriors from one kited"
{
  echo "connections {"
  for i in $(seq "$N"); do
    sed -n '/^  rw {/,/^  }$/p' "$KITE_ROOT/examples/rw/client.conf" |
      sed -e "s/^  rw {/  rw$i {/" -e "s/carol@example.org/user$i@example.org/" -e "s/^      rw {/      rw$i {/"
  done
  echo "}"
  sed -n '/^secrets {/,$p' "$KITE_ROOT/examples/rw/client.conf"
} >"$WORK/many.conf"
kited_start "$LEFT" many "$WORK/many.conf"
for _ in $(seq 60); do
  [ "$(grep -c "CHILD_SA .* established" "$WORK/many/kited.log" || true)" -ge "$N" ] && break
  sleep 0.5
done
up=$(grep -c "CHILD_SA .* established" "$WORK/many/kited.log" || true)
[ "$up" -ge "$N" ] || die "only $up of $N road warriors have a Child SA"
vips=$(grep -oE "assigning virtual IP [0-9.]+ to peer 'user[0-9]+@example.org'" "$WORK/gw/kited.log" | awk '{ print $4 }')
distinct=$(sort -u <<<"$vips" | wc -l)
[ "$(wc -l <<<"$vips")" = "$N" ] && [ "$distinct" = "$N" ] || die "$N road warriors got $distinct distinct addresses"
grep -q "^10.3.0.1$" <<<"$vips" && die "carol's offline lease went to a newcomer while the pool had room"
mtun=$(sed -nE 's/.*userspace ESP data plane on ([a-z0-9]+).*/\1/p' "$WORK/many/kited.log" | head -1)
on_tun=$(grep -c "inet 10.3.0." <<<"$(ip -n "$LEFT" -4 addr show dev "$mtun")" || true)
[ "$on_tun" = "$N" ] || die "$on_tun addresses on the client's TUN device, want $N"
pl=$(ip netns exec "$RIGHT" timeout 10 swanctl --list-pools --uri "unix://$WORK/gw/charon.vici" 2>&1) || true
grep -qE "^rw +10\.3\.0\.1 +$N / 1 / 254" <<<"$pl" || { echo "$pl"; die "list-pools: not rw 10.3.0.1 $N / 1 / 254"; }
log "ok: $N road warriors, $distinct distinct addresses ($(sort -t. -k4 -n <<<"$vips" | head -1) .. $(sort -t. -k4 -n <<<"$vips" | tail -1)), all on the TUN device; list-pools $(grep -E '^rw' <<<"$pl" | tr -s ' ')"

# the same client.conf with strongSwan's charon as the client (when installed):
# carol gets her address back from the example gateway, local_ts dynamic
# narrowed to it (docs/configuration.md, Road-warrior clients)
if command -v /usr/lib/ipsec/charon >/dev/null; then
  log "== examples/rw/client.conf with charon"
  kited_stop "${PIDS[-1]}"
  charon_start "$LEFT" charon
  swanctl_at "$LEFT" charon --load-all --clear --file "$KITE_ROOT/examples/rw/client.conf" >"$WORK/charon/load.out" 2>&1 ||
    { cat "$WORK/charon/load.out"; die "charon could not load examples/rw/client.conf"; }
  wait_for "$WORK/charon/charon.log" "CHILD_SA rw\{[0-9]+\} established" 15 ||
    die "charon with examples/rw/client.conf did not establish"
  grep -q "installing new virtual IP 10.3.0.1" "$WORK/charon/charon.log" || die "charon did not get carol's 10.3.0.1"
  grep -qE "CHILD_SA rw\{[0-9]+\} established .*TS 10\.3\.0\.1/32 === 10\.2\.0\.0/24" "$WORK/charon/charon.log" ||
    die "charon's Child SA is not 10.3.0.1/32 === 10.2.0.0/24"
  log "ok: charon with examples/rw/client.conf: 10.3.0.1, TS 10.3.0.1/32 === 10.2.0.0/24"
fi
log "PASS"
