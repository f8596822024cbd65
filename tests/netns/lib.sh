# Shared helpers for the network-namespace tests (sourced, bash).
# Two hosts joined by a veth pair:  left 192.0.2.1 (protects 10.1.0.0/24)
#                                   right 192.0.2.2 (protects 10.2.0.0/24)
# Every namespace, process and directory made here is removed by ns_cleanup,
# which the tests install as an EXIT trap.
set -euo pipefail

KITE_ROOT=${KITE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KITE_BUILD=${KITE_BUILD:-$KITE_ROOT/build}
NS_TAG=${NS_TAG:-k$$}
LEFT=${NS_TAG}l
RIGHT=${NS_TAG}r
WORK=$(mktemp -d /tmp/kite-netns.XXXXXX)
PIDS=()

log() { printf '%s %s\n' "$(date +%T)" "$*"; }
die() { log "FAIL: $*"; exit 1; }

need_root() {
  if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and network namespaces"; exit 77
  fi
}

# need_interop: root, strongSwan's charon, a built kited and /dev/net/tun
# (skipped, exit 77, without the first, second or fourth)
need_interop() {
  need_root
  command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
  [ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
  [ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
}

ns_cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  # a kited built with sanitizers reports memory errors, UB and leaks in its log
  if grep -lE "AddressSanitizer|LeakSanitizer|runtime error:" "$WORK"/*/kited.log 2>/dev/null; then
    for f in "$WORK"/*/kited.log; do grep -A30 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$f" | head -60; done
    log "FAIL: sanitizer report in a kited log"
    rc=1
  fi
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  ip netns pids "$LEFT" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns pids "$RIGHT" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  ip netns del "$LEFT" 2>/dev/null || true
  ip netns del "$RIGHT" 2>/dev/null || true
  if [ "$rc" != 0 ] && [ -z "${KEEP_WORK:-}" ]; then
    for f in "$WORK"/*/*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 40 "$f"; }; done
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
  exit "$rc"
}

ns_setup() {
  trap ns_cleanup EXIT
  ip netns add "$LEFT"
  ip netns add "$RIGHT"
  ip link add "${NS_TAG}a" type veth peer name "${NS_TAG}b"
  ip link set "${NS_TAG}a" netns "$LEFT"
  ip link set "${NS_TAG}b" netns "$RIGHT"
  ip -n "$LEFT" addr add 192.0.2.1/24 dev "${NS_TAG}a"
  ip -n "$RIGHT" addr add 192.0.2.2/24 dev "${NS_TAG}b"
  ip -n "$LEFT" link set "${NS_TAG}a" up
  ip -n "$RIGHT" link set "${NS_TAG}b" up
  ip -n "$LEFT" link set lo up
  ip -n "$RIGHT" link set lo up
  ip -n "$LEFT" addr add 10.1.0.1/24 dev lo
  ip -n "$RIGHT" addr add 10.2.0.1/24 dev lo
}

# charon_start NS NAME: a strongSwan charon (kernel-libipsec) in NS with its
# own /run and VICI socket at $WORK/NAME/charon.vici
charon_start() {
  local ns=$1 name=$2 dir=$WORK/$2
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<CONF
charon {
  load = openssl random nonce aes sha1 sha2 hmac gcm chapoly curve25519 pem pkcs1 pkcs8 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown
  install_routes = yes
  retransmit_timeout = ${CHARON_RETRANSMIT_TIMEOUT:-2}
  filelog { log { path = $dir/charon.log
                  flush_line = yes
                  default = 1
                  ike = ${CHARON_IKE_LEVEL:-2}
                  enc = ${CHARON_ENC_LEVEL:-1}
                  cfg = 2 } }
  plugins {
    vici { socket = unix://$dir/charon.vici }
    kernel-libipsec { allow_peer_ts = yes }
  }
}
CONF
  ip netns exec "$ns" unshare -m sh -c \
    "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/charon" \
    >"$dir/charon.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do [ -S "$dir/charon.vici" ] && return 0; sleep 0.1; done
  die "charon $name did not open its VICI socket"
}

# swanctl NS NAME ARGS...: swanctl against charon NAME
swanctl_at() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" swanctl "$@" --uri "unix://$WORK/$name/charon.vici"
}

# kited_start NS NAME CONFFILE: a kited in NS with its run directory in $WORK/NAME
# (KITE_ARGS: more kited options)
kited_start() {
  local ns=$1 name=$2 conf=$3 dir=$WORK/$2
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # KITE_ARGS: extra options, split on spaces
  ip netns exec "$ns" "$KITE_BUILD/kited" --config "$conf" --foreground --run-dir "$dir" \
    --log-level "${KITE_LOG_LEVEL:-2}" ${KITE_ARGS:-} >"$dir/kited.log" 2>&1 &
  PIDS+=($!)
  sleep 0.2
}

# kited_stop PID: SIGTERM, then wait (up to 3 s) until it has deleted its SAs,
# routes and rule and exited
kited_stop() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# kite_conf NAME LOCAL REMOTE LOCAL_TS REMOTE_TS IKE ESP START [MODE] [PSK]: a
# swanctl.conf that kited and charon both read
kite_conf() {
  cat <<CONF
connections {
  $1 {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $6
    local { auth = psk
            id = $2 }
    remote { auth = psk
             id = $3 }
    children {
      net { local_ts = $4
            remote_ts = $5
            esp_proposals = $7
            mode = ${9:-tunnel}
            start_action = $8 }
    }
  }
}
secrets { ike-$1 { secret = "${10:-netns-test-psk-0123456789}" } }
CONF
}

# ping_lost FILE: echo requests lost in a ping log: sequence numbers missing
# below the highest answered one (the echo in flight when ping is stopped is
# not a loss)
ping_lost() {
  grep -oE "icmp_seq=[0-9]+" "$1" | cut -d= -f2 | sort -n | uniq |
    awk 'NR == 1 { miss = $1 - 1 } NR > 1 { miss += $1 - prev - 1 } { prev = $1 } END { print miss + 0 }'
}

# wait_for FILE PATTERN [SECONDS]: until the file contains the pattern
wait_for() {
  local f=$1 pat=$2 t=${3:-10}
  for _ in $(seq $((t * 10))); do grep -qE "$pat" "$f" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
