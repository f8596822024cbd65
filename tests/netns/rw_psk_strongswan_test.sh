#!/usr/bin/env bash
# Issue 13: strongSwan's nat-rw-psk shape with charon as the road warriors:
# one charon (LEFT, addresses 192.0.2.1, .3, .4) initiating three
# connections with the identities carol@, dave@ and eve@example.com, each
# with its own PSK, to a kite responder (RIGHT 192.0.2.2) with one %any
# connection and a secret per identity.  carol and dave come up (both sides
# list them), eve, whose secret differs from kite's, is refused with
# AUTHENTICATION_FAILED.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
ip -n "$LEFT" addr add 192.0.2.3/24 dev "${NS_TAG}a"
ip -n "$LEFT" addr add 192.0.2.4/24 dev "${NS_TAG}a"
ip -n "$LEFT" addr add 10.3.0.1/24 dev lo # charon routes each tunnel from its own subnet
ip -n "$LEFT" addr add 10.4.0.1/24 dev lo
mkdir -p "$WORK/r" "$WORK/charon"
IKE=aes256gcm16-prfsha256-x25519
cat >"$WORK/r/k.conf" <<CONF
connections {
  rw {
    local_addrs = 192.0.2.2
    remote_addrs = %any
    proposals = $IKE
    local { auth = psk
            id = moon.example }
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
  ike-carol {
    id = carol@example.com
    secret = "carol-secret-0123456789"
  }
  ike-dave {
    id = dave@example.com
    secret = 0x64617665736563726574303132333435
  }
  ike-eve {
    id = eve@example.com
    secret = "eve-secret-as-kite-has-it"
  }
}
CONF
conn() { # NAME ADDRESS SUBNET
  cat <<CONF
  $1 {
    local_addrs = $2
    remote_addrs = 192.0.2.2
    proposals = $IKE
    local { auth = psk
            id = $1@example.com }
    remote { auth = psk
             id = moon.example }
    children {
      net { local_ts = $3
            remote_ts = 10.2.0.0/24
            esp_proposals = aes256gcm16 }
    }
  }
CONF
}
{
  echo "connections {"
  conn carol 192.0.2.1 10.1.0.0/24
  conn dave 192.0.2.3 10.3.0.0/24
  conn eve 192.0.2.4 10.4.0.0/24
  cat <<CONF
}
secrets {
  ike-carol {
    id-1 = carol@example.com
    id-2 = moon.example
    secret = "carol-secret-0123456789"
  }
  ike-dave {
    id-1 = dave@example.com
    id-2 = moon.example
    secret = "davesecret012345"
  }
  ike-eve {
    id-1 = eve@example.com
    id-2 = moon.example
    secret = "eve-secret-as-eve-has-it"
  }
}
CONF
} >"$WORK/charon/swanctl.conf"

kited_start "$RIGHT" r "$WORK/r/k.conf"
for _ in $(seq 50); do [ -S "$WORK/r/charon.vici" ] && break; sleep 0.1; done
charon_start "$LEFT" charon
swanctl_at "$LEFT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "swanctl --load-all failed"; }
for who in carol dave; do
  swanctl_at "$LEFT" charon --initiate --child net --ike "$who" --timeout 15 >"$WORK/charon/$who.out" 2>&1 ||
    { cat "$WORK/charon/$who.out"; die "charon could not bring up $who"; }
done
swanctl_at "$LEFT" charon --initiate --child net --ike eve --timeout 15 >"$WORK/charon/eve.out" 2>&1 &&
  die "eve came up with a secret kite does not have for her"
grep -q "AUTHENTICATION_FAILED" "$WORK/charon/eve.out" "$WORK/charon/charon.log" ||
  die "charon did not hear AUTHENTICATION_FAILED for eve"
grep -q "authentication of 'eve@example.com' failed: pre-shared key mismatch" "$WORK/r/kited.log" ||
  die "kite did not log eve's refusal"

L=$(swanctl_at "$LEFT" charon --list-sas)
R=$(ip netns exec "$RIGHT" timeout 20 swanctl --list-sas --uri "unix://$WORK/r/charon.vici")
for who in carol dave; do
  grep -qE "remote +'$who@example.com'" <<<"$R" || { echo "$R"; die "kite lists no IKE SA with $who"; }
  grep -qE "^$who: #[0-9]+, ESTABLISHED" <<<"$L" || { echo "$L"; die "charon lists no established $who"; }
done
[ "$(grep -cE "^rw: #[0-9]+, ESTABLISHED" <<<"$R")" = 2 ] || { echo "$R"; die "kite does not hold exactly two IKE SAs"; }
grep -q "eve@" <<<"$R" && die "kite holds an SA with eve"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping through carol's tunnel"; }
log "ok: carol and dave up on kite's %any connection with their own keys, eve refused"
log "PASS"
