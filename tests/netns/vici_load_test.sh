#!/usr/bin/env bash
# Issue 12, must show 2 (reconfiguration): the real swanctl 5.9.8 configures
# kited over VICI as --config does, with charon on the other end.
#   --load-all --file F1 (conns a, b, c) replaces kited's start configuration
#   (conn z), --list-conns shows it, --initiate brings a, b, c up (--list-sas);
#   --load-conns --file F2: a unchanged (its Child SA keeps its SPIs), b
#   changed (ESP proposal, start_action = start: closed and re-established
#   with new SPIs), c removed (its SA closed, on charon too), d added (listed);
#   then the same again by SIGHUP: --load-all F1 restores the first state,
#   kited's --config file becomes F2 and SIGHUP has the same effect; a
#   load-conn with a bad value is refused naming the key, nothing changed.
NS_TAG=${NS_TAG:-vl$$}
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
# charon installs a route per Child SA: it needs an address in each local_ts
for n in 1 2 3 4; do ip -n "$RIGHT" addr add "10.2.$n.1/24" dev lo; done
IKE=aes256gcm16-prfsha256-x25519
# conn NAME N ESP START LOCAL REMOTE: connection NAME (traffic 10.x.N.0/24),
# its IKE identity NAME@kite.test on kite's side
conn() {
  local me_id=$1@kite.test peer_id=192.0.2.2 lts=10.1.$2.0/24 rts=10.2.$2.0/24
  if [ "$5" = 192.0.2.2 ]; then me_id=192.0.2.2 peer_id=$1@kite.test lts=10.2.$2.0/24 rts=10.1.$2.0/24; fi
  cat <<CONF
  $1 {
    local_addrs = $5
    remote_addrs = $6
    proposals = $IKE
    local { auth = psk
            id = $me_id }
    remote { auth = psk
             id = $peer_id }
    children { $1 { local_ts = $lts
                    remote_ts = $rts
                    esp_proposals = $3
                    start_action = $4 } }
  }
CONF
}
conf() { # conf SIDE "NAME N ESP START" ...
  local side=$1 l=192.0.2.1 r=192.0.2.2; shift
  [ "$side" = charon ] && { l=192.0.2.2; r=192.0.2.1; }
  echo "connections {"
  for c in "$@"; do set -- $c; conn "$1" "$2" "$3" "$4" $l $r; done
  echo "}"
  echo 'secrets { ike-all { secret = "vici-load-test-psk-0123456789" } }'
}
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
conf charon "a 1 aes256gcm16 none" "b 2 aes256gcm16,aes128gcm16 none" "c 3 aes256gcm16 none" \
  "d 4 aes256gcm16 none" >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "charon did not load"
F1=$WORK/kite/f1.conf F2=$WORK/kite/f2.conf
conf kite "a 1 aes256gcm16 none" "b 2 aes256gcm16 none" "c 3 aes256gcm16 none" >"$F1"
conf kite "a 1 aes256gcm16 none" "b 2 aes128gcm16 start" "d 4 aes256gcm16 none" >"$F2"
conf kite "z 9 aes256gcm16 none" >"$WORK/kite/k.conf"
KITED_ARGS="--no-dataplane" kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
for _ in $(seq 30); do [ -S "$WORK/kite/charon.vici" ] && break; sleep 0.1; done
[ -S "$WORK/kite/charon.vici" ] || die "kited opened no control socket"
k() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "unix://$WORK/kite/charon.vici"; }
c() { swanctl_at "$RIGHT" charon "$@"; }
conns() { k --list-conns | grep -oE "^[a-z]+: IKEv2" | cut -d: -f1 | sort | paste -sd ' '; }
# spis TOOL CONN: "in/out" of CONN's installed Child SA on kite (k) or charon (c), empty when none
spis() { "$1" --list-sas --ike "$2" --raw | grep -oE "spi-in=[0-9a-f]+ spi-out=[0-9a-f]+" | head -1 |
         sed 's/spi-in=//; s/ spi-out=/\//' || true; }
up() { for n in "$@"; do k --initiate --child "$n" --timeout 10 >/dev/null || die "--initiate $n failed"; done; }

# --- --load-all replaces kited's configuration, as --config would set it ---
out=$(k --load-all --file "$F1" 2>&1) || die "--load-all failed: $out"
[ "$(conns)" = "a b c" ] || die "--list-conns after --load-all: $(conns)"
log "ok: --load-all: conns $(conns) (z unloaded); $(echo "$out" | tail -1)"
out=$(k --load-conns --file "$F1" 2>&1 | tail -1)
grep -q "connection 'a': unchanged" "$WORK/kite/kited.log" || die "an unchanged connection was not recognised"

# check_edit HOW: F1's state up, then F2 applied by HOW (vici or sighup)
check_edit() {
  up a b c
  local a0 b0 c0 t0=$(date +%s%N)
  a0=$(spis k a) b0=$(spis k b) c0=$(spis k c)
  [ -n "$a0" ] && [ -n "$b0" ] && [ -n "$c0" ] || die "$1: not all Child SAs up: a=$a0 b=$b0 c=$c0"
  [ "$(spis c c)" = "${c0#*/}/${c0%/*}" ] || die "$1: charon's c is not kite's: $(spis c c) vs $c0"
  log "$1: up: a $a0, b $b0, c $c0"
  if [ "$1" = vici ]; then
    out=$(k --load-conns --file "$F2" 2>&1) || die "--load-conns failed: $out"
    log "   swanctl: $(echo "$out" | paste -sd ';')"
  else
    local n; n=$(grep -c "configuration reloaded" "$WORK/kite/kited.log" || true)
    cp "$F2" "$WORK/kite/k.conf"; kill -HUP "$kp"
    for _ in $(seq 50); do [ "$(grep -c "configuration reloaded" "$WORK/kite/kited.log" || true)" -gt "$n" ] && break; sleep 0.1; done
    grep "configuration reloaded" "$WORK/kite/kited.log" | tail -1 | grep -q "0 added\|1 added" || die "no reload logged"
  fi
  [ "$(conns)" = "a b d" ] || die "$1: --list-conns after the edit: $(conns)"
  local b1=""
  for _ in $(seq 50); do b1=$(spis k b); [ -n "$b1" ] && [ "$b1" != "$b0" ] && break; sleep 0.1; done
  [ "$(spis k a)" = "$a0" ] || die "$1: the unchanged a lost its SPIs: $(spis k a), was $a0"
  [ -n "$b1" ] && [ "$b1" != "$b0" ] || die "$1: the changed b was not re-established ($b1, was $b0)"
  k --list-sas --ike b | grep -q "ESP:AES_GCM_16-128" || die "$1: b is not under its new ESP proposal"
  [ -z "$(spis k c)" ] || die "$1: the removed c still has an SA on kite"
  for _ in $(seq 30); do [ -z "$(spis c c)" ] && break; sleep 0.1; done
  [ -z "$(spis c c)" ] || die "$1: charon still has c's SA (no Delete?)"
  [ "$(spis c a)" = "${a0#*/}/${a0%/*}" ] || die "$1: charon's a changed: $(spis c a)"
  log "ok: $1: a kept $a0; b re-established $b0 -> $b1 (AES_GCM_16-128); c closed on both ends; d listed" \
      "($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}
check_edit vici

# back to F1 over VICI (b changed back: closed, not restarted; c again; d unloaded), then F2 by SIGHUP
k --load-all --file "$F1" >/dev/null 2>&1 || die "--load-all F1 again failed"
[ "$(conns)" = "a b c" ] || die "--load-all F1 again: $(conns)"
[ -z "$(spis k b)" ] || die "b (changed back, start_action none) still has an SA"
check_edit sighup

# --- an invalid connection is refused naming the key; nothing changes ---
a0=$(spis k a)
sed 's/esp_proposals = aes256gcm16/esp_proposals = aes256gcm16\n rekey_time = 5 fortnights/' "$F2" >"$WORK/kite/bad.conf"
out=$(k --load-conns --file "$WORK/kite/bad.conf" 2>&1) && die "a bad rekey_time was accepted: $out"
grep -q "loading connection 'a' failed: load-conn a.children.a.rekey_time: invalid time" <<<"$out" ||
  die "the refusal does not name the key: $out"
[ "$(spis k a)" = "$a0" ] || die "a refused load-conn changed a's SA"
log "ok: refused: $(echo "$out" | grep "loading connection 'a' failed")"

# --- shared keys: get-shared lists what load-shared loaded, by id ---
out=$(k --load-creds --file "$F2" --raw 2>&1) || die "--load-creds failed: $out"
grep -q "get-shared reply {keys=\[ike-all\]}" <<<"$out" || die "get-shared: $out"
log "ok: --load-creds: $(echo "$out" | grep -F 'get-shared reply')"
log "PASS"
