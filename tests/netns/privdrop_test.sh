#!/usr/bin/env bash
# netns/privdrop (issue 16, Must show 2): kited --user nobody opens its
# sockets, TUN device and control socket as root, then runs as nobody with
# CAP_NET_ADMIN and CAP_NET_RAW only (/proc/PID/status: uids, CapEff, CapPrm,
# CapBnd, NoNewPrivs) and still does its whole job against charon: the Child
# SA installed with its route, traffic through it, Child SA rekeys (its own
# schedule, 2 s) and an IKE SA rekey, swanctl and kitectl answered on the
# control socket, a SIGHUP reload read; the drop refused for uid 0 and for a
# user that does not exist.
source "$(dirname "$0")/lib.sh"
need_interop
id nobody >/dev/null 2>&1 || { echo "SKIP: no user 'nobody'"; exit 77; }
ns_setup
IKE=aes256gcm16-prfsha256-x25519
NOBODY_UID=$(id -u nobody)
charon_start "$RIGHT" charon
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"

# the configuration must be readable by nobody for SIGHUP (docs/daemon.md)
mkdir -p "$WORK/kite" "$WORK/conf"
chmod 0755 "$WORK" "$WORK/conf"
KC_EXTRA=$'rekey_time = 6s\n    over_time = 10s' kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start |
  sed "s/start_action = /rekey_time = 2s\n            rand_time = 0s\n            start_action = /" >"$WORK/conf/k.conf"
chmod 0644 "$WORK/conf/k.conf"

# refusals first: kited stops rather than run as root when told not to
for u in root no-such-user-kite; do
  if ip netns exec "$LEFT" "$KITE_BUILD/kited" --config "$WORK/conf/k.conf" --foreground --run-dir "$WORK/refused" \
       --vici off --no-dataplane --port 5610 --natt-port 5611 --user "$u" >"$WORK/refused.log" 2>&1; then
    die "kited --user $u ran"
  fi
  grep -q "cannot drop privileges to user '$u'" "$WORK/refused.log" || { cat "$WORK/refused.log"; die "no refusal for --user $u"; }
done
log "--user root and --user no-such-user-kite refused"

KITED_ARGS="--user nobody" kited_start "$LEFT" kite "$WORK/conf/k.conf"
kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "running as user 'nobody'" 5 || die "kited did not say it dropped privileges"
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 15 || die "no Child SA installed after the drop"
st=/proc/$kp/status
grep -E "^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" "$st" | tr '\t' ' ' | sed 's/^/  /'
read -r _ ruid euid suid fsuid < <(grep "^Uid:" "$st")
[ "$ruid $euid $suid $fsuid" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ] || die "uids are $ruid $euid $suid $fsuid"
want=0000000000003000 # CAP_NET_ADMIN (12) and CAP_NET_RAW (13)
for f in CapPrm CapEff CapBnd; do
  v=$(sed -n "s/^$f:\t*//p" "$st")
  [ "$v" = "$want" ] || die "$f is $v, not $want"
done
[ "$(sed -n 's/^CapInh:\t*//p' "$st")" = 0000000000000000 ] || die "inheritable capabilities left"
[ "$(sed -n 's/^NoNewPrivs:\t*//p' "$st")" = 1 ] || die "no_new_privs not set"

# routes and traffic, installed after the drop
# (the listing is read whole: grep -q stopping early would fail the pipe under pipefail)
routes() { ip -n "$LEFT" route show table all >"$WORK/routes.txt"; grep -q "^10.2.0.0/24 " "$WORK/routes.txt"; }
for _ in $(seq 50); do routes && break; sleep 0.1; done
routes || { cat "$WORK/routes.txt"; die "no route for the remote selector"; }
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping1.log" || die "no traffic through the tunnel"
# rekeys as nobody: three Child SA rekeys and an IKE SA rekey, traffic after them
for _ in $(seq 200); do
  [ "$(grep -c "CHILD_SA .* rekeyed:" "$WORK/kite/kited.log")" -ge 3 ] && grep -q "IKE_SA .* rekeyed into" "$WORK/kite/kited.log" && break
  sleep 0.1
done
[ "$(grep -c "CHILD_SA .* rekeyed:" "$WORK/kite/kited.log")" -ge 3 ] || die "fewer than 3 Child SA rekeys"
grep -q "IKE_SA .* rekeyed into" "$WORK/kite/kited.log" || die "no IKE SA rekey"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping2.log" || die "no traffic after the rekeys"
log "after the drop: route, traffic, $(grep -c "CHILD_SA .* rekeyed:" "$WORK/kite/kited.log") Child SA rekeys, an IKE SA rekey"

# the control socket (opened as root before the drop) answers
swanctl_at "$LEFT" kite --list-sas >"$WORK/sas.log" 2>&1 || { cat "$WORK/sas.log"; die "swanctl --list-sas failed"; }
grep -q "lab: #" "$WORK/sas.log" || { cat "$WORK/sas.log"; die "swanctl does not list the IKE SA"; }
ip netns exec "$LEFT" "$KITE_BUILD/kitectl" --uri "unix://$WORK/kite/charon.vici" status >"$WORK/status.log" ||
  die "kitectl status failed"
grep -q "lab" "$WORK/status.log" || die "kitectl shows no SA"
# a reload is read as nobody
kill -HUP "$kp"
wait_for "$WORK/kite/kited.log" "configuration reloaded" 5 || { grep -i reload "$WORK/kite/kited.log"; die "SIGHUP reload failed as nobody"; }
ip netns exec "$LEFT" ping -c 2 -i 0.2 -W 2 10.2.0.1 >/dev/null || die "no traffic after the reload"
kill -0 "$kp" || die "kited died"
log "PASS: as nobody with CAP_NET_ADMIN+CAP_NET_RAW: SAs, routes, rekeys, control socket, reload"
