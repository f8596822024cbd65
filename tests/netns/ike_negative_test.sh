#!/usr/bin/env bash
# Issue 3, must show 3: what goes wrong between kite and strongSwan's charon is
# refused on both sides with a log line that says why: wrong PSK (both roles),
# an identity charon rejects after kite answered (AUTHENTICATION_FAILED in an
# INFORMATIONAL request: kite takes the IKE SA and Child SA down),
# no common proposal, traffic selectors that do not overlap, and a key
# exchange group kite accepts only after INVALID_KE_PAYLOAD.
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
CHARON_RETRANSMIT_TIMEOUT=1
charon_start "$RIGHT" charon
mkdir -p "$WORK/kite"

# NAME LOCAL REMOTE LOCAL_TS REMOTE_TS IKE ESP START PSK
conf() {
  cat <<CONF
connections { lab { version = 2
  local_addrs = $2
  remote_addrs = $3
  proposals = $6
  local { auth = psk
          id = $2 }
  remote { auth = psk
           id = $3 }
  children { net { local_ts = $4
                   remote_ts = $5
                   esp_proposals = $7
                   start_action = $8 } } } }
secrets { ike-lab { secret = "$9" } }
CONF
}
PSK=interop-test-psk-0123456789

kite_run() { # kite config args...; (re)starts kited in the left namespace
  conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$@" >"$WORK/kite/kite.conf"
  [ -f "$WORK/kite/pid" ] && kited_stop "$(cat "$WORK/kite/pid")"
  : >"$WORK/kite/kited.log"
  kited_start "$LEFT" kite "$WORK/kite/kite.conf"
  echo "${PIDS[-1]}" >"$WORK/kite/pid"
}
charon_run() { # charon config args...
  conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 "$@" >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
    die "swanctl could not load the config"
}
expect() { # FILE PATTERN WHAT
  wait_for "$1" "$2" 8 || die "$3: no line matching '$2' in $(basename "$(dirname "$1")")'s log"
  log "ok: $3: $(grep -m1 -oE "$2" "$1")"
}

log "== wrong PSK, kite initiates"
charon_run 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none "$PSK"
kite_run aes256gcm16-prfsha256-x25519 aes256gcm16 start "not-the-psk"
expect "$WORK/charon/charon.log" "MAC mismatched|authentication of '192.0.2.1' with pre-shared key failed" "charon refuses kite's AUTH"
expect "$WORK/kite/kited.log" "received AUTHENTICATION_FAILED notify.*" "kite hears AUTHENTICATION_FAILED"
! grep -q "CHILD_SA .* established" "$WORK/kite/kited.log" || die "a Child SA came up with a wrong PSK"

log "== wrong PSK, charon initiates"
kite_run aes256gcm16-prfsha256-x25519 aes256gcm16 none "not-the-psk"
swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || true
expect "$WORK/kite/kited.log" "authentication of '192.0.2.2' failed: pre-shared key mismatch" "kite refuses charon's AUTH"
expect "$WORK/charon/charon.log" "received AUTHENTICATION_FAILED notify error" "charon hears AUTHENTICATION_FAILED"

log "== charon rejects kite's identity after kite answered IKE_AUTH (AUTHENTICATION_FAILED in an INFORMATIONAL)"
charon_run 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none "$PSK"
# a pattern kite's identity does not fit: charon sends no IDr for a pattern
# (an IDr kite is not would be refused by kite before it answers, as charon does)
sed -i 's/id = 192.0.2.1 }/id = *.example.net }/' "$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
kite_run aes256gcm16-prfsha256-x25519 aes256gcm16 none "$PSK"
swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || true
expect "$WORK/kite/kited.log" "CHILD_SA net\\{[0-9]+\\} installed" "kite accepts charon and answers"
expect "$WORK/kite/kited.log" "down: received AUTHENTICATION_FAILED notify: the peer rejected our AUTH or ID" "kite takes the IKE SA down"
expect "$WORK/kite/kited.log" "CHILD_SA net\\{[0-9]+\\} removed" "kite removes the Child SA"

log "== no common proposal"
charon_run 10.1.0.0/24 aes128-sha256-modp2048 aes256gcm16 none "$PSK"
kite_run aes256gcm16-prfsha256-x25519 aes256gcm16 start "$PSK"
expect "$WORK/charon/charon.log" "received proposals unacceptable|no acceptable proposal found|NO_PROPOSAL_CHOSEN" "charon finds no proposal"
expect "$WORK/kite/kited.log" "received NO_PROPOSAL_CHOSEN notify error.*" "kite hears NO_PROPOSAL_CHOSEN"

log "== traffic selectors that do not overlap"
charon_run 10.9.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none "$PSK"
kite_run aes256gcm16-prfsha256-x25519 aes256gcm16 start "$PSK"
expect "$WORK/charon/charon.log" "traffic selectors .* unacceptable|no acceptable traffic selectors|TS_UNACCEPTABLE" "charon refuses the selectors"
expect "$WORK/kite/kited.log" "received TS_UNACCEPTABLE notify.*" "kite hears TS_UNACCEPTABLE"

log "== charon proposes x25519 first, kite accepts only ecp256: INVALID_KE_PAYLOAD, then success"
kite_run aes256gcm16-prfsha256-ecp256 aes256gcm16 none "$PSK"
charon_run 10.1.0.0/24 aes256gcm16-prfsha256-x25519-ecp256 aes256gcm16 none "$PSK"
swanctl_at "$RIGHT" charon --initiate --child net >/dev/null 2>&1 || true
expect "$WORK/kite/kited.log" "requesting 19 \\(INVALID_KE_PAYLOAD\\)" "kite asks for ECP_256"
expect "$WORK/charon/charon.log" "peer didn't accept DH group CURVE_25519, it requested ECP_256" "charon retries"
expect "$WORK/kite/kited.log" "CHILD_SA net\\{[0-9]+\\} established" "the retry establishes"
log "PASS"
