#!/usr/bin/env bash
# Issue 15, must show 2: 50 road warriors to one kite gateway get 50 distinct
# addresses.  kite-load (one process, 50 initiators, identities
# load-1..load-50@example.com, `--vips 0.0.0.0`, local_ts dynamic) to a kited
# gateway with pool rw = 10.3.0.0/24: every initiator is established with an
# address from the pool, the 50 addresses differ, each is the one the gateway
# logged assigning to that identity, and swanctl --list-pools against the
# gateway counts 50 online leases while they are up and --leases lists each
# address online with its identity; after kite-load deletes them (--hold), 0
# online and 50 offline (released, kept for their owners), listed offline.
set -euo pipefail
NS_TAG=rlv
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] && [ -x "$KITE_BUILD/kite-load" ] || die "no kited or kite-load in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
ns_setup
N=${KITE_RW_LOAD_N:-50}

mkdir -p "$WORK/gw"
cat >"$WORK/gw/swanctl.conf" <<CONF
pools { rw { addrs = 10.3.0.0/24
             dns = 10.2.0.53 } }
connections { rw { version = 2
  local_addrs = 192.0.2.2
  pools = rw
  proposals = aes128gcm16-prfsha256-x25519
  local { auth = psk
          id = gw.example.com }
  remote { auth = psk }
  children { rw { local_ts = 10.2.0.0/16
                  esp_proposals = aes128gcm16 } } } }
secrets { ike-rw { secret = "rw-load-vips-psk-0123456789" } }
CONF
KITED_ARGS="--block-threshold 0" kited_start "$RIGHT" gw "$WORK/gw/swanctl.conf"
wait_for "$WORK/gw/kited.log" "loaded connection 'rw'" 5 || die "the gateway did not load"
pools() { ip netns exec "$RIGHT" swanctl --list-pools --leases --uri "unix://$WORK/gw/charon.vici" 2>&1 || true; }
# the leases swanctl lists as "identity address" pairs, of one status
leases() { sed -nE "s/^ +([0-9.]+) +$2 +'([^']+)'.*/\2 \1/p" <<<"$1" | sort; }

# kite-load prints its setup report (when all are up), one line per address,
# the summary; then (after --hold) the delete report.  The pools are read as
# the first line comes, while the SAs are held.
held=
while read -r line; do
  echo "$line" >>"$WORK/load.out"
  [ -n "$held" ] || held=$(pools)
done < <(ip netns exec "$LEFT" "$KITE_BUILD/kite-load" --remote 192.0.2.2 --local 192.0.2.1 \
           --psk rw-load-vips-psk-0123456789 -n "$N" --vips 0.0.0.0 --remote-ts 10.2.0.0/16 \
           --hold 4 --timeout 30 --json || true)
cat "$WORK/load.out"
field() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" <<<"$1" | head -1; }
out=$(cat "$WORK/load.out")
[ "$(field "$out" established)" = "$N" ] || die "established $(field "$out" established) of $N"
[ "$(field "$out" vips)" = "$N" ] || die "$(field "$out" vips) of $N initiators got a virtual IP"
[ "$(field "$out" vips_distinct)" = "$N" ] || die "$(field "$out" vips_distinct) distinct addresses for $N"

log "== each address is from the pool and the one the gateway assigned to that identity"
sed -nE 's/.*"id": "([^"]+)", "vip": "([0-9.]+)".*/\1 \2/p' "$WORK/load.out" | sort >"$WORK/client.pairs"
sed -nE "s/.*assigning virtual IP ([0-9.]+) to peer '([^']+)'.*/\2 \1/p" "$WORK/gw/kited.log" | sort >"$WORK/gw.pairs"
[ "$(wc -l <"$WORK/client.pairs")" = "$N" ] || die "kite-load listed $(wc -l <"$WORK/client.pairs") addresses"
diff "$WORK/client.pairs" "$WORK/gw.pairs" || die "the addresses kite-load got are not those the gateway assigned"
grep -vqE ' 10\.3\.0\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])$' "$WORK/client.pairs" &&
  die "an address outside 10.3.0.0/24's hosts"
[ "$(awk '{ print $2 }' "$WORK/client.pairs" | sort -u | wc -l)" = "$N" ] || die "the addresses are not distinct"
log "ok: $N initiators, $N distinct addresses from 10.3.0.0/24, as the gateway assigned them"

log "== the gateway's leases: $N online while up, released when they disconnect"
echo "$held"
grep -qE "rw +10\.3\.0\.1 +$N / 0 / 254" <<<"$held" || die "the gateway does not count $N online leases while up"
leases "$held" online >"$WORK/held.pairs"
diff "$WORK/client.pairs" "$WORK/held.pairs" || die "swanctl --list-pools --leases does not list the $N addresses online"
[ "$(field "$out" deleted)" = "$N" ] || die "deleted $(field "$out" deleted) of $N"
after=
for _ in $(seq 20); do
  after=$(pools)
  grep -qE "rw +10\.3\.0\.1 +0 / $N / 254" <<<"$after" && break
  sleep 0.25
done
echo "$after"
grep -qE "rw +10\.3\.0\.1 +0 / $N / 254" <<<"$after" || die "the leases were not released (0 online, $N offline)"
leases "$after" offline >"$WORK/after.pairs"
diff "$WORK/client.pairs" "$WORK/after.pairs" || die "swanctl --list-pools --leases does not list the $N leases offline"
log "ok: $N online while up; 0 online, $N offline after the deletes"
log "PASS"
