#!/usr/bin/env bash
# Issue 14, must show 3: a host-to-host tunnel between kite and strongSwan
# 5.9.8's charon with `dynamic` traffic selectors (local_ts/remote_ts
# absent, so each side's IKE address), kite's peer named by DNS
# (remote_addrs = sun.kite.test from a private /etc/hosts bind-mounted in
# kited's own mount namespace), pings both ways through it, and the same
# updown script under both daemons: it writes its PLUTO_* environment to a
# file per verb; the sets of variable names must be equal and the values
# mirror each other (verb, connection, me/peer, clients, ids, ports,
# protocols).  Once with kite initiating, once with charon initiating (kite
# answers only the address the name resolves to).
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite" "$WORK/dump"
# charon's kernel-libipsec routes the peer's address into ipsec0 (table
# 220), its own IKE packets to kite included once the host-to-host SA is
# up; its IKE socket's fwmark (socket-default) and a rule ahead of table 220
# keep them out, as kite's own DP_MARK does
CHARON_EXTRA="plugins { socket-default { fwmark = 0x4b } }" charon_start "$RIGHT" charon
ip -n "$RIGHT" rule add fwmark 0x4b lookup main priority 100

cat >"$WORK/updown.sh" <<'SH'
#!/bin/sh
# $1: where to write; one file per daemon and verb
env | grep '^PLUTO_' | sort >"$1-$PLUTO_VERB"
echo "updown $PLUTO_VERB for $PLUTO_CONNECTION"
SH
chmod +x "$WORK/updown.sh"
printf '127.0.0.1 localhost\n192.0.2.2 sun.kite.test\n' >"$WORK/hosts"

conf() { # LOCAL REMOTE MY_ID PEER_ID START WHO
  cat <<CONF
connections {
  dyn {
    version = 2
    local_addrs = $1
    remote_addrs = $2
    proposals = $IKE
    local { auth = psk
            id = $3 }
    remote { auth = psk
             id = $4 }
    children {
      host { esp_proposals = aes256gcm16
             updown = $WORK/updown.sh $WORK/dump/$6
             start_action = $5 }
    }
  }
}
secrets { ike-dyn { secret = "netns-updown-psk-0123456789" } }
CONF
}

kited_named() { # CONF: kited with the private hosts file
  local dir=$WORK/kite
  ip netns exec "$LEFT" unshare -m sh -c "mount --bind $WORK/hosts /etc/hosts && exec $KITE_BUILD/kited \
    --config $1 --foreground --run-dir $dir --log-level 2" >"$dir/kited.log" 2>&1 &
  PIDS+=($!)
}

# v KEY FILE: a variable's value in a dump
v() { sed -n "s/^$1=//p" "$2"; }

compare() { # VERB-SUFFIX (up-host or down-host)
  local k=$WORK/dump/kite-$1 c=$WORK/dump/charon-$1
  wait_for "$k" PLUTO_VERB 10 || die "kite's updown did not run for $1"
  wait_for "$c" PLUTO_VERB 10 || die "charon's updown did not run for $1"
  sleep 0.2
  diff <(cut -d= -f1 "$k") <(cut -d= -f1 "$c") >"$WORK/names.diff" ||
    { cat "$WORK/names.diff"; die "$1: kite's and charon's scripts see different variables"; }
  for key in PLUTO_VERSION PLUTO_VERB PLUTO_CONNECTION PLUTO_PROTO PLUTO_MY_PROTOCOL PLUTO_PEER_PROTOCOL \
             PLUTO_MY_PORT PLUTO_PEER_PORT; do
    [ "$(v $key "$k")" = "$(v $key "$c")" ] || die "$1: $key is '$(v $key "$k")' under kite, '$(v $key "$c")' under charon"
  done
  for pair in ME:PEER MY_ID:PEER_ID MY_CLIENT:PEER_CLIENT; do
    local a=PLUTO_${pair%%:*} b=PLUTO_${pair##*:}
    [ "$(v "$a" "$k")" = "$(v "$b" "$c")" ] || die "$1: kite's $a '$(v "$a" "$k")' is not charon's $b '$(v "$b" "$c")'"
    [ "$(v "$b" "$k")" = "$(v "$a" "$c")" ] || die "$1: kite's $b '$(v "$b" "$k")' is not charon's $a '$(v "$a" "$c")'"
  done
  [ "$(v PLUTO_VERB "$k")" = "$1" ] || die "$1: the verb is $(v PLUTO_VERB "$k")"
  [ "$(v PLUTO_MY_CLIENT "$k")" = 192.0.2.1/32 ] || die "$1: kite's dynamic selector is $(v PLUTO_MY_CLIENT "$k")"
  [ "$(v PLUTO_INTERFACE "$k")" = "${NS_TAG}a" ] || die "$1: kite's PLUTO_INTERFACE is $(v PLUTO_INTERFACE "$k")"
  log "ok: $1: $(wc -l <"$k") variables, the same names under both; kite: $(grep -vE 'PLUTO_(VERSION|PROTO)=' "$k" | tr '\n' ' ')"
}

pings() {
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 192.0.2.2 >"$WORK/ping.out" || { cat "$WORK/ping.out"; die "ping kite -> charon failed"; }
  ip netns exec "$RIGHT" ping -c 3 -i 0.2 -W 2 192.0.2.1 >"$WORK/ping.out" || { cat "$WORK/ping.out"; die "ping charon -> kite failed"; }
}

for who in kite charon; do
  log "== initiator $who"
  rm -f "$WORK"/dump/*
  ks=none; [ "$who" = kite ] && ks=start
  conf 192.0.2.2 192.0.2.1 sun.kite.test moon.kite.test none charon >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
    die "swanctl could not load the configuration"
  conf 192.0.2.1 sun.kite.test moon.kite.test sun.kite.test "$ks" kite >"$WORK/kite/k.conf"
  kited_named "$WORK/kite/k.conf"; kp=${PIDS[-1]}
  sleep 0.3
  if [ "$who" = charon ]; then
    swanctl_at "$RIGHT" charon --initiate --child host >"$WORK/charon/initiate.out" 2>&1 ||
      { cat "$WORK/charon/initiate.out"; die "charon could not initiate to kite"; }
  fi
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite did not install the Child SA"
  grep -q "CHILD_SA host.* established .* TS 192.0.2.1/32 === 192.0.2.2/32" "$WORK/kite/kited.log" ||
    die "kite's Child SA does not have the dynamic selectors 192.0.2.1/32 === 192.0.2.2/32"
  [ "$who" = charon ] || grep -q "initiating IKE_SA dyn.* to 192.0.2.2" "$WORK/kite/kited.log" ||
    die "kite did not initiate to the address sun.kite.test resolves to"
  sleep 0.3 # charon's route into ipsec0
  pings
  compare up-host
  wait_for "$WORK/kite/kited.log" "updown: updown up-host for host" 5 || die "kite did not log the script's output"
  kited_stop "$kp"
  compare down-host
  swanctl_at "$RIGHT" charon --terminate --ike dyn --force >/dev/null 2>&1 || true
done
log "PASS"
