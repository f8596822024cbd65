#!/usr/bin/env bash
# make demo: two network namespaces joined by a veth pair, a kited in each from
# examples/left.conf and examples/right.conf, the tunnel up, a ping and a few MB
# through it, and what each side's SAs look like.  Everything it creates is
# removed at the end, also on Ctrl-C.  Needs root.
# DEMO=cert (make demo-cert): certificate authentication instead of a PSK, from
# examples/cert/{left,right}/swanctl.conf with a throw-away CA and certificates
# made by examples/cert/gen.sh in the demo's temporary directory.
# Usage: [DEMO=cert] scripts/demo.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
L=kdemo-left R=kdemo-right
RUN=$(mktemp -d /tmp/kite-demo.XXXXXX)
PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
  trap - EXIT INT TERM
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && { for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -9 "$p" 2>/dev/null || true; }; done
  ip netns del "$L" 2>/dev/null || true
  ip netns del "$R" 2>/dev/null || true
  rm -rf "$RUN"
  echo "demo: cleaned up (namespaces $L, $R and $RUN removed)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces, TUN devices)"; exit 1; }
[ -x "$BUILD/kited" ] || { echo "no $BUILD/kited: run make first"; exit 1; }
ip netns del "$L" 2>/dev/null || true
ip netns del "$R" 2>/dev/null || true

say "two hosts: $L (192.0.2.1, network 10.1.0.0/24) and $R (192.0.2.2, network 10.2.0.0/24)"
ip netns add "$L"; ip netns add "$R"
ip link add kdemo-l type veth peer name kdemo-r
ip link set kdemo-l netns "$L"; ip link set kdemo-r netns "$R"
ip -n "$L" addr add 192.0.2.1/24 dev kdemo-l; ip -n "$R" addr add 192.0.2.2/24 dev kdemo-r
for ns in "$L" "$R"; do ip -n "$ns" link set lo up; done
ip -n "$L" link set kdemo-l up; ip -n "$R" link set kdemo-r up
ip -n "$L" addr add 10.1.0.1/24 dev lo; ip -n "$R" addr add 10.2.0.1/24 dev lo

LCONF=$ROOT/examples/left.conf RCONF=$ROOT/examples/right.conf
if [ "${DEMO:-psk}" = cert ]; then
  say "demo credentials: a throw-away CA and a certificate per side (examples/cert/gen.sh)"
  "$ROOT/examples/cert/gen.sh" "$RUN/creds" | sed 's/^/  /'
  LCONF=$RUN/creds/left/swanctl.conf RCONF=$RUN/creds/right/swanctl.conf
  for f in "$RUN"/creds/left/x509/* "$RUN"/creds/right/x509/*; do
    echo "  $(basename "$f"): $(openssl x509 -in "$f" -noout -subject -ext subjectAltName 2>/dev/null | tr -s ' \n' ' ')"
  done
fi

say "starting kited in each (configurations: ${RCONF#"$ROOT"/}, ${LCONF#"$ROOT"/})"
mkdir -p "$RUN/right" "$RUN/left"
ip netns exec "$R" "$BUILD/kited" --config "$RCONF" --foreground --run-dir "$RUN/right" \
  >"$RUN/right/kited.log" 2>&1 & PIDS+=($!)
sleep 0.2
ip netns exec "$L" "$BUILD/kited" --config "$LCONF" --foreground --run-dir "$RUN/left" \
  >"$RUN/left/kited.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do grep -q "CHILD_SA .* installed" "$RUN/left/kited.log" && break; sleep 0.1; done
grep -q "CHILD_SA .* installed" "$RUN/left/kited.log" || { cat "$RUN/left/kited.log"; echo "demo: the tunnel did not come up"; exit 1; }
grep -E "authentication of|IKE_SA .* established|CHILD_SA .* (established|installed)|installing route" "$RUN/left/kited.log" | sed 's/^/  left  | /'
grep -E "authentication of|IKE_SA .* established|CHILD_SA .* (established|installed)|installing route" "$RUN/right/kited.log" | sed 's/^/  right | /'

say "ping 10.1.0.1 -> 10.2.0.1 through the tunnel"
ip netns exec "$L" ping -c 4 -i 0.2 10.2.0.1

say "8 MB over TCP through the tunnel"
if command -v iperf3 >/dev/null; then
  ip netns exec "$R" iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 & srv=$!
  sleep 0.4
  ip netns exec "$L" iperf3 -c 10.2.0.1 -n 8M | grep -E "sender|receiver"
  wait "$srv" 2>/dev/null || true
else
  echo "(iperf3 not installed: scripts/deps.sh bench installs it)"
fi

say "the SAs on each side (kitectl status, over each kited's VICI socket)"
for side in left right; do
  ns=$L; [ "$side" = right ] && ns=$R
  echo "  $side:"
  ip netns exec "$ns" "$BUILD/kitectl" --uri "unix://$RUN/$side/charon.vici" status | sed 's/^/    /'
done
say "stopping (each kited deletes its SAs with an INFORMATIONAL exchange)"
