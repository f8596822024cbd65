#!/usr/bin/env bash
# Issue 4, must show 5: `make demo` (scripts/demo.sh) brings the tunnel up,
# pings and sends data through it, prints both sides' SAs with algorithms, SPIs
# and bytes, and leaves nothing behind, also when interrupted half way.
# Issue 11, must show 6: `make demo-cert` (DEMO=cert) does it with certificates.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KITE_BUILD:-$ROOT/build}
[ "$(id -u)" = 0 ] && ip netns list >/dev/null 2>&1 || { echo "SKIP: needs root"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
leftovers() { ip netns list | grep -c kdemo || true; }

timeout 120 "$ROOT/scripts/demo.sh" "$BUILD" >"$out" 2>&1 || fail "demo exited with an error"
grep -q "4 packets transmitted, 4 received" "$out" || fail "no ping through the tunnel"
[ "$(grep -cE 'INSTALLED TUNNEL, SPIs [0-9a-f]{8} in / [0-9a-f]{8} out, AES_GCM_16-256, in [1-9][0-9]+ bytes [1-9][0-9]* packets' "$out")" = 2 ] ||
  fail "the demo did not show both sides' SAs with algorithms, SPIs and bytes"
if command -v iperf3 >/dev/null; then grep -qE "(8|9)\.[0-9]+ MBytes .* sender" "$out" || fail "no TCP transfer of 8 MB"; fi
[ "$(leftovers)" = 0 ] || fail "namespaces left behind"
echo "ok: demo ran: $(grep -c INSTALLED "$out") SAs shown, nothing left behind"

# make demo-cert: the same with certificates (examples/cert/, gen.sh's demo CA)
DEMO=cert timeout 120 "$ROOT/scripts/demo.sh" "$BUILD" >"$out" 2>&1 || fail "the certificate demo exited with an error"
grep -q "4 packets transmitted, 4 received" "$out" || fail "no ping through the certificate demo's tunnel"
grep -q "left  | .*authentication of 'right.example' with a certificate and its signature successful" "$out" ||
  fail "the left side did not authenticate right.example by its certificate"
grep -q "right | .*authentication of 'C=CH, O=kite demo, CN=left.example' with a certificate and its signature successful" "$out" ||
  fail "the right side did not authenticate left's DN by its certificate"
[ "$(grep -cE 'INSTALLED TUNNEL, SPIs [0-9a-f]{8} in / [0-9a-f]{8} out, AES_GCM_16-256' "$out")" = 2 ] ||
  fail "the certificate demo did not show both sides' SAs"
[ "$(leftovers)" = 0 ] || fail "namespaces left behind by the certificate demo"
echo "ok: certificate demo ran: both sides authenticated by certificate, ping passed, nothing left behind"

# interrupted while the tunnel is up
"$ROOT/scripts/demo.sh" "$BUILD" >"$out" 2>&1 & pid=$!
for _ in $(seq 100); do grep -q "ping 10.1.0.1" "$out" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid" || true
grep -q "cleaned up" "$out" || fail "no cleanup after SIGINT"
[ "$(leftovers)" = 0 ] || fail "namespaces left behind after SIGINT"
pgrep -f "kited --config $ROOT/examples" >/dev/null && fail "a kited survived the interrupted demo"
echo "ok: interrupted demo cleaned up"
echo PASS
