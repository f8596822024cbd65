#!/usr/bin/env bash
# Issue 12: the real `swanctl --counters` (5.9.8) against kited and against
# charon with its counters plugin, the two ends of one IKE SA (kite initiates):
#   - --raw: the same 21 keys in the same order, under "" (global) and the
#     connection's name;
#   - each message kite counts out, charon counts in, and the other way
#     (ike-init, ike-auth, info: a liveness check kite sends every second);
#   - --all lists the connection; after the IKE SA is closed, --reset
#     --name lab then --name lab gives charon's error at both; --reset
#     zeroes the global counters.
# Bounded (about 15 s).
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
CHARON_PLUGINS="openssl random nonce aes sha1 sha2 hmac gcm chapoly curve25519 pem pkcs1 pkcs8 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown counters"
charon_start "$RIGHT" charon
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
  die "swanctl could not load charon's configuration"
mkdir -p "$WORK/kite"
KC_EXTRA="dpd_delay = 1s" kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start >"$WORK/kite/k.conf"
kited_start "$LEFT" kite "$WORK/kite/k.conf"
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite did not establish with charon"
sleep 2.5 # two or three liveness checks
KURI="unix://$WORK/kite/charon.vici"
k() { ip netns exec "$LEFT" timeout 10 swanctl --counters "$@" --uri "$KURI"; }
c() { swanctl_at "$RIGHT" charon --counters "$@"; }

# --raw: "get-counters reply {counters {lab {ike-rekey-init=0 ...}}}" -> "key=value" lines
kv() { grep -oE '[a-z-]+=[0-9]+' | sed 's/=.*//' | paste -sd ' '; }
val() { grep -oE "$1=[0-9]+" | head -1 | cut -d= -f2; }
kr=$(k --name lab --raw) || die "swanctl --counters --name lab against kited failed: $kr"
cr=$(c --name lab --raw) || die "swanctl --counters --name lab against charon failed: $cr"
log "kite:   $kr"
log "charon: $cr"
[ "$(kv <<<"$kr")" = "$(kv <<<"$cr")" ] || die "the keys differ: kite $(kv <<<"$kr") / charon $(kv <<<"$cr")"
[ "$(kv <<<"$kr" | wc -w)" = 21 ] || die "not 21 counters"
grep -q "counters {lab {" <<<"$kr" || die "kite's section is not named lab: $kr"
[ "$(sed -E 's/=[0-9]+/=N/g' <<<"$kr")" = "$(sed -E 's/=[0-9]+/=N/g' <<<"$cr")" ] || die "the sets of lab differ in shape"
[ "$(val ike-init-out-req <<<"$kr")" = 1 ] || die "kite sent not one IKE_SA_INIT request"
[ "$(val ike-init-in-resp <<<"$kr")" = 1 ] || die "kite got not one IKE_SA_INIT response"
[ "$(val ike-auth-out-req <<<"$kr")" = 1 ] || die "kite sent not one IKE_AUTH request"
[ "$(val ike-auth-in-resp <<<"$kr")" = 1 ] || die "kite got not one IKE_AUTH response"
dpd=$(val info-out-req <<<"$kr")
[ "${dpd:-0}" -ge 1 ] || die "no liveness check counted at kite"
[ "$(val info-in-req <<<"$cr")" -ge 1 ] || die "charon counted no liveness check"
# the global sets: what kite sent charon received.  (charon counts a
# responder's IKE_SA_INIT and IKE_AUTH requests globally only, as it picks
# the connection by the identities in IKE_AUTH; kite picks it by address at
# IKE_SA_INIT, so its IKE_AUTH request counts for the connection too)
kg=$(k --raw) cg=$(c --raw)
shape() { sed -E 's/=[0-9]+/=N/g'; } # the message without its values
[ "$(shape <<<"$kg")" = "$(shape <<<"$cg")" ] || die "the global sets differ in shape: kite $kg / charon $cg"
grep -q "counters { {" <<<"$kg" || die "kite's global section is not named \"\": $kg"
mirror() { # KITE_KEY CHARON_KEY: equal values in the global sets
  local a b
  a=$(val "$1" <<<"$kg") b=$(val "$2" <<<"$cg")
  [ -n "$a" ] && [ "$a" = "$b" ] || die "kite $1=$a but charon $2=$b"
}
mirror ike-init-out-req ike-init-in-req
mirror ike-init-in-resp ike-init-out-resp
mirror ike-auth-out-req ike-auth-in-req
mirror ike-auth-in-resp ike-auth-out-resp
log "ok: the same 21 keys in the same shape as charon (lab, global, --all); kite out = charon in (ike-init, ike-auth), $dpd liveness checks"

ka=$(k --all --raw) || die "--all failed"
ca=$(c --all --raw) || die "--all failed at charon"
[ "$(shape <<<"$ka")" = "$(shape <<<"$ca")" ] || die "--all differs in shape: kite $ka / charon $ca"
grep -q "counters {lab {" <<<"$ka" || die "--all does not list lab: $ka"
# the IKE SA closed first, so that no liveness check counts anew
ip netns exec "$LEFT" timeout 10 swanctl --terminate --ike lab --uri "$KURI" >/dev/null 2>&1 || die "terminate failed"
sleep 0.5
k --reset --name lab >/dev/null || die "--reset --name lab failed"
c --reset --name lab >/dev/null || die "--reset --name lab failed at charon"
ke=$(k --name lab 2>&1 || true) ce=$(c --name lab 2>&1 || true)
log "after --reset --name lab: kite '$ke', charon '$ce'"
[ "$ke" = "$ce" ] || die "kite and charon answer differently after the reset"
grep -q "no counters found for this connection" <<<"$ke" || die "no errmsg after the reset: $ke"
k --reset >/dev/null || die "--reset failed"
[ "$(k --raw | val ike-auth-out-req)" = 0 ] || die "the global counters are not zeroed by --reset"
log "PASS: swanctl --counters against kited as against charon"
