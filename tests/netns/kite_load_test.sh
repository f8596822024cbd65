#!/usr/bin/env bash
# kite-load (issue 13) against a kited responder over a veth pair: N initiators
# (KITE_LOAD_N, 2,000) with identities load-1@example.com .. load-N@example.com
# from one address and one port, PSK + x25519, one Child SA each, at one
# %any connection: every one is established, none fails, the responder lists
# N IKE SAs (swanctl --stats; the first and the last identity in --list-sas),
# and after --hold 3 all N are deleted with their Delete answered.  Then 50 with a
# PSK the responder does not have: 50 failures, all AUTHENTICATION_FAILED.
set -euo pipefail
NS_TAG=kld
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] && [ -x "$KITE_BUILD/kite-load" ] || die "no kited or kite-load in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
ns_setup
N=${KITE_LOAD_N:-2000}

mkdir -p "$WORK/r"
cat >"$WORK/r/swanctl.conf" <<CONF
connections { rw { version = 2
  local_addrs = 192.0.2.2
  proposals = aes128gcm16-prfsha256-x25519
  local { auth = psk
          id = gw.example.com }
  remote { auth = psk }
  children { rw { local_ts = 10.2.0.0/16
                  remote_ts = 10.1.0.0/16
                  esp_proposals = aes128gcm16 } } } }
secrets { ike-rw { secret = "load-test-psk-0123456789" } }
CONF
KITED_ARGS="--cookie-threshold 1000000 --block-threshold 0 --init-limit-half-open 0" KITE_LOG_LEVEL=0 kited_start "$RIGHT" r "$WORK/r/swanctl.conf"
sleep 0.5

# while kite-load holds them (it prints the setup line first): the responder's view
setup= del= listed=
while read -r line; do
  echo "$line"
  if [ -z "$setup" ]; then
    setup=$line
    stats=$(ip netns exec "$RIGHT" swanctl --stats --uri "unix://$WORK/r/charon.vici" 2>&1 || true)
    sas=$(ip netns exec "$RIGHT" swanctl --list-sas --uri "unix://$WORK/r/charon.vici" 2>&1 || true)
    listed=$(sed -n 's/.*IKE_SAs: \([0-9]*\) total.*/\1/p' <<<"$stats")
    grep -q "remote 'load-1@example.com' @ 192.0.2.1" <<<"$sas" || die "the responder lists no SA of load-1@example.com: $(head -4 <<<"$sas")"
    grep -q "remote 'load-$N@example.com' @ 192.0.2.1" <<<"$sas" || die "the responder lists no SA of load-$N@example.com"
  else
    del=$line
  fi
done < <(ip netns exec "$LEFT" "$KITE_BUILD/kite-load" --remote 192.0.2.2 --local 192.0.2.1 \
           --psk load-test-psk-0123456789 -n "$N" --rate 2000 --window 200 --hold 3 --timeout 60 --json || true)
[ "$listed" = "$N" ] || die "the responder has $listed IKE SAs, not $N"
field() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" <<<"$1"; }
[ "$(field "$setup" established)" = "$N" ] || die "established $(field "$setup" established) of $N"
[ "$(field "$setup" failed)" = 0 ] || die "$(field "$setup" failed) failed"
[ "$(field "$del" deleted)" = "$N" ] || die "deleted $(field "$del" deleted) of $N"

out=$(ip netns exec "$LEFT" "$KITE_BUILD/kite-load" --remote 192.0.2.2 --local 192.0.2.1 --psk wrong-psk \
        -n 50 --local-port 0 --timeout 30) && die "a wrong PSK established"
echo "$out"
grep -q "failed 50 " <<<"$out" || die "not 50 failures with a wrong PSK"
grep -q "AUTHENTICATION_FAILED 50," <<<"$out" || die "the failures are not AUTHENTICATION_FAILED"
log "PASS: $N established and deleted, 50 wrong PSKs refused"
