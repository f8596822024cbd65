#!/usr/bin/env bash
# Issue 10 finding 8: SIGHUP applies changed and removed pre-shared keys.
# Two kiteds (left initiates, right responds), PSK A on both, tunnel up:
#  1. right's file gets PSK B, SIGHUP: the established tunnel still passes
#     pings; a new left with A is refused (right logs the failed AUTH and no
#     Child SA comes up), a new left with B gets through.
#  2. right's file loses the secret, SIGHUP: the tunnel up stays up; a new
#     left with B is refused (right has no key for anybody).
# The keys are looked up by identity at IKE_AUTH (ike/psks.c), so the
# reload line counts the secrets loaded and a missing key is logged when a
# peer authenticates.
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
ns_setup
mkdir -p "$WORK/l" "$WORK/r"
IKE=aes256gcm16-prfsha256-x25519
PSK_A=reload-test-psk-A-0123456789
PSK_B=reload-test-psk-B-9876543210

conf() { # SIDE PSK|-: the side's file (- : no secrets section)
  if [ "$1" = l ]; then
    kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 start tunnel "${2/-/x}"
  else
    kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none tunnel "${2/-/x}"
  fi | if [ "$2" = - ]; then grep -v '^secrets'; else cat; fi
}

ping_ok() { ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" 2>&1; }
left_up() { # WHAT: left's Child SA and its route are there
  wait_for "$WORK/l/kited.log" "installing route 10.2.0.0/24" 10 || die "$1: left did not install the Child SA"
  sleep 0.3
}

left_start() { # PSK: a new left kited (its log starts empty)
  conf l "$1" >"$WORK/l/k.conf"
  kited_start "$LEFT" l "$WORK/l/k.conf"
  LP=${PIDS[-1]}
}

hup_right() { # PSK|-: rewrite right's file and SIGHUP it
  local n
  n=$(grep -c "configuration reloaded" "$WORK/r/kited.log" || true)
  conf r "$1" >"$WORK/r/k.conf"
  kill -HUP "$RP"
  for _ in $(seq 30); do
    [ "$(grep -c "configuration reloaded" "$WORK/r/kited.log" || true)" -gt "$n" ] && return 0
    sleep 0.1
  done
  die "right did not log the reload"
}

refused() { # N0 WHAT [PATTERN]: left's new IKE SA must fail at right's AUTH check
  local n0=$1 what=$2 pat=${3:-failed: pre-shared key mismatch}
  wait_for_more() { for _ in $(seq 80); do [ "$(grep -c "$pat" "$WORK/r/kited.log" || true)" -gt "$n0" ] && return 0; sleep 0.1; done; return 1; }
  wait_for_more || die "$what: right did not refuse the peer's AUTH"
  sleep 1
  ! grep -qE "CHILD_SA .* installed" "$WORK/l/kited.log" || die "$what: left installed a Child SA"
}

log "== PSK A on both: the tunnel comes up"
conf r "$PSK_A" >"$WORK/r/k.conf"
kited_start "$RIGHT" r "$WORK/r/k.conf"; RP=${PIDS[-1]}
left_start "$PSK_A"
left_up "PSK A"
wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 5 || die "right did not install the Child SA"
ping_ok || { cat "$WORK/ping.out"; die "no ping through the first tunnel"; }

log "== 1. right's PSK changed to B, SIGHUP"
hup_right "$PSK_B"
grep -qF -e "$PSK_A" -e "$PSK_B" "$WORK/r/kited.log" && die "a PSK appears in right's log"
ping_ok || { cat "$WORK/ping.out"; die "the established tunnel stopped passing pings after the reload"; }
kited_stop "$LP"
n=$(grep -c "failed: pre-shared key mismatch" "$WORK/r/kited.log" || true)
left_start "$PSK_A"
refused "$n" "left with the old PSK A"
log "   a new IKE SA with the old PSK A is refused"
grep -qE "configuration reloaded: .* 1 pre-shared key\(s\) loaded" "$WORK/r/kited.log" || die "right did not log the loaded PSK"
kited_stop "$LP"
left_start "$PSK_B"
left_up "left with the new PSK B"
ping_ok || { cat "$WORK/ping.out"; die "no ping through the tunnel made with PSK B"; }
log "   a new IKE SA with the new PSK B comes up"

log "== 2. right's secret removed, SIGHUP"
hup_right -
ping_ok || { cat "$WORK/ping.out"; die "the established tunnel stopped passing pings after the secret was removed"; }
kited_stop "$LP"
n=$(grep -c "failed: no pre-shared key for its identity" "$WORK/r/kited.log" || true)
left_start "$PSK_B"
refused "$n" "left with PSK B after right's secret was removed" "failed: no pre-shared key for its identity"
log "   a new IKE SA is refused once the secret is gone"
grep -qE "configuration reloaded: .* 0 pre-shared key\(s\) loaded" "$WORK/r/kited.log" || die "right did not log the reload without PSK"
grep -q "no pre-shared key found for '192.0.2.2' - '192.0.2.1'" "$WORK/r/kited.log" || die "right did not name the identities without a PSK"
log "PASS"
