#!/usr/bin/env bash
# Time to establish one IKE SA + Child SA (aes256gcm16-prfsha256-x25519 /
# aes256gcm16) between two network namespaces over a veth pair: kite <-> kite
# beside charon <-> charon, measured the same way in the same run: on the wire,
# from the IKE_SA_INIT request to the (last fragment of the) IKE_AUTH response
# (tcpdump timestamps), median of N.  Rows: PSK, then certificates (issue 11)
# with ECDSA P-256 and RSA-3072 keys on both sides, issued by one RSA-3072
# root CA made with strongSwan's pki (each side sends its certificate, asked
# for by the other's CERTREQ).  Needs root and strongSwan.
# Both sides run for the whole row; N handshakes one after the other:
#   charon: swanctl --initiate / --terminate against the running charons
#   kite (HS_KITE=load, the default): kite-load --window 1 -n N with the
#     initiator's swanctl.conf against the running kited responder: N IKE
#     SAs one after the other from one process, no process start inside
#     the measured span, as for charon
#   kite (HS_KITE=restart, the old mode): a kited initiator started for each
#     handshake (start_action = start) and stopped after it: its first
#     handshake in a fresh process (page faults, OpenSSL's first use of each
#     algorithm), so it measures a cold start more than the handshake
# Usage: bench/handshake.sh [BUILD_DIR] [N] [MODES]   (MODES: "psk ecdsa256 rsa3072")
#   HS_KITE=load|restart (load)
set -euo pipefail
KITE_BUILD=$(cd "${1:-build}" && pwd)
N=${2:-50}
MODES=${3:-psk ecdsa256 rsa3072}
HS_KITE=${HS_KITE:-load}
case $HS_KITE in load|restart) ;; *) echo "HS_KITE must be load or restart" >&2; exit 2 ;; esac
NS_TAG=kbh
source "$(dirname "$0")/../tests/netns/lib.sh"
need_root
ns_setup

conf() { # local remote lts rts start
  cat <<CONF
connections { lab { version = 2
  local_addrs = $1
  remote_addrs = $2
  proposals = aes256gcm16-prfsha256-x25519
  local { auth = psk
          id = $1 }
  remote { auth = psk
           id = $2 }
  children { net { local_ts = $3
                   remote_ts = $4
                   esp_proposals = aes256gcm16
                   start_action = $5 } } } }
secrets { ike-lab { secret = "bench-psk-0123456789" } }
CONF
}

# confs MODE: $WORK/{cl,cr,kl,kr}/conf/swanctl.conf (charon left/right, kite
# left/right; the left ones initiate: start_action = start for kite, none for
# charon, which swanctl --initiate starts) with their credentials
confs() {
  local d
  for d in cl cr kl kr; do rm -rf "$WORK/$d/conf"; mkdir -p "$WORK/$d/conf"; done
  case $1 in
    psk)
      conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 none >"$WORK/cl/conf/swanctl.conf"
      conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/cr/conf/swanctl.conf"
      conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 start >"$WORK/kl/conf/swanctl.conf"
      conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 none >"$WORK/kr/conf/swanctl.conf" ;;
    ecdsa256|rsa3072)
      local k=${1/ecdsa256/p256}
      cert_conf "$WORK/cl/conf" left "left-$k" right none
      cert_conf "$WORK/cr/conf" right "right-$k" left none
      cert_conf "$WORK/kl/conf" left "left-$k" right start
      cert_conf "$WORK/kr/conf" right "right-$k" left none ;;
  esac
}

# the PKI of the certificate rows: root (RSA-3072) and per side a P-256 and an
# RSA-3072 end entity (lib.sh's names, so cert_conf lays them out)
pki_bench() {
  mkdir -p "$PKI"
  pki_key root rsa 3072 & local j1=$!
  pki_key left-rsa3072 rsa 3072 & local j2=$!
  pki_key right-rsa3072 rsa 3072
  pki_key left-p256 ecdsa 256
  pki_key right-p256 ecdsa 256
  wait "$j1" "$j2"
  pki_root root "kite-test Root CA"
  for c in left-rsa3072 right-rsa3072 left-p256 right-p256; do pki_ee "$c" root; done
}

capture_start() { ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" --immediate-mode -U -n -w "$1" udp port 500 or udp port 4500 2>/dev/null & CAP=$!; sleep 1; }
capture_stop() { sleep 1; kill "$CAP"; wait "$CAP" 2>/dev/null || true; }
# microseconds from each ikev2_init request to the last ikev2_auth response
# (fragment) before the next request
handshakes_us() {
  tcpdump -tt -n -r "$1" 2>/dev/null | awk '
    function emit() { if (t0 && t1) printf "%d\n", (t1 - t0) * 1e6; t0 = 0; t1 = 0 }
    /ikev2_init\[I\]/ && !t1 && !t0 { t0 = $1 }
    /ikev2_init\[I\]/ && t1 { emit(); t0 = $1 }
    /ikev2_auth\[R\]/ && t0 { t1 = $1 }
    END { emit() }'
}
median() { sort -n | awk '{a[NR]=$1} END { if (NR) print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)); else print 0 }'; }

stop_all() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}

charon_run() { # MODE: N handshakes charon <-> charon into $WORK/charon-MODE.pcap
  rm -f "$WORK/cl/charon.vici" "$WORK/cr/charon.vici"
  charon_start "$LEFT" cl
  charon_start "$RIGHT" cr
  SWANCTL_DIR=$WORK/cl/conf swanctl_at "$LEFT" cl --load-all --file "$WORK/cl/conf/swanctl.conf" >/dev/null 2>&1
  SWANCTL_DIR=$WORK/cr/conf swanctl_at "$RIGHT" cr --load-all --file "$WORK/cr/conf/swanctl.conf" >/dev/null 2>&1
  capture_start "$WORK/charon-$1.pcap"
  for _ in $(seq "$N"); do
    swanctl_at "$LEFT" cl --initiate --child net >/dev/null 2>&1
    swanctl_at "$LEFT" cl --terminate --ike lab --force >/dev/null 2>&1
  done
  capture_stop
  stop_all
}

kite_run() { # MODE: N handshakes kite <-> kite, the initiator started for each (start_action = start)
  KITE_LOG_LEVEL=0 kited_start "$RIGHT" kr "$WORK/kr/conf/swanctl.conf"
  capture_start "$WORK/kite-$1.pcap"
  local ok=1
  for _ in $(seq "$N"); do
    : >"$WORK/kl/kited.log"
    KITE_LOG_LEVEL=0 kited_start "$LEFT" kl "$WORK/kl/conf/swanctl.conf"
    wait_for "$WORK/kl/kited.log" "CHILD_SA .* established" 5 || ok=0
    kill "${PIDS[-1]}" 2>/dev/null || true; wait "${PIDS[-1]}" 2>/dev/null || true
    [ "$ok" = 1 ] || break
  done
  capture_stop
  [ "$ok" = 1 ] || { log "kite <-> kite ($1) did not establish:"; tail -n 5 "$WORK/kl/kited.log" >&2; }
  stop_all
}

kite_load_run() { # MODE: N handshakes, kite-load (one process) -> the running kited responder
  KITE_LOG_LEVEL=0 kited_start "$RIGHT" kr "$WORK/kr/conf/swanctl.conf"
  sleep 0.3
  capture_start "$WORK/kite-$1.pcap"
  # --config: the initiator's connection, identity and credentials (the
  # same file the restart mode's kited loads); --window 1: one at a time
  (cd "$WORK/kl/conf" && ip netns exec "$LEFT" "$KITE_BUILD/kite-load" --config "$WORK/kl/conf/swanctl.conf" \
     --conn lab -n "$N" --window 1 --timeout $((N * 5 + 10)) --json >"$WORK/kl/load-$1.json" 2>"$WORK/kl/load-$1.err") || true
  capture_stop
  [ -z "${HS_DEBUG:-}" ] || { cat "$WORK/kl/load-$1.json" "$WORK/kl/load-$1.err" >&2; tcpdump -n -r "$WORK/kite-$1.pcap" 2>/dev/null | head -5 >&2; }
  grep -q "\"established\": $N," "$WORK/kl/load-$1.json" ||
    { log "kite-load ($1) did not establish all $N:"; head -c 600 "$WORK/kl/load-$1.json" "$WORK/kl/load-$1.err" >&2; }
  stop_all
}

case " $MODES " in *" ecdsa256 "*|*" rsa3072 "*) pki_bench ;; esac
ROWS=()
for mode in $MODES; do
  confs "$mode"
  charon_run "$mode"
  if [ "$HS_KITE" = load ]; then kite_load_run "$mode"; else kite_run "$mode"; fi
  c=$(handshakes_us "$WORK/charon-$mode.pcap" | median)
  k=$(handshakes_us "$WORK/kite-$mode.pcap" | median)
  nc=$(handshakes_us "$WORK/charon-$mode.pcap" | wc -l)
  nk=$(handshakes_us "$WORK/kite-$mode.pcap" | wc -l)
  ROWS+=("$mode $c $nc $k $nk")
done

echo "IKE SA + Child SA, IKE_SA_INIT request to IKE_AUTH response on the wire (median, microseconds; kite initiator: $HS_KITE)"
printf '%-10s %16s %8s %14s %8s %12s\n' auth "charon<->charon" samples "kite<->kite" samples kite/charon
for r in "${ROWS[@]}"; do
  read -r mode c nc k nk <<<"$r"
  awk -v m="$mode" -v c="$c" -v nc="$nc" -v k="$k" -v nk="$nk" 'BEGIN {
    printf "%-10s %16d %8d %14s %8d %12s\n", m, c, nc, (nk ? k : "failed"), nk, (c > 0 && nk ? sprintf("%.2f", k / c) : "-") }'
done
