#!/usr/bin/env bash
# tools/echo_bench: bench/capacity.sh's wake-up anchor does what it claims:
# the empty echo answers every datagram, the driver paces to the rate asked,
# and a datagram nobody answers is counted as unanswered (exit 1), so a
# floor is never computed from a drive that did not happen.  Loopback only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${KITE_BUILD:-$ROOT/build}
EB=$BUILD/echo_bench
[ -x "$EB" ] || { echo "SKIP: no $EB"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }
port=$((20000 + RANDOM % 20000))
"$EB" serve "$port" & srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
sleep 0.2
out=$("$EB" drive 127.0.0.1 "$port" 500 0) || die "back-to-back drive failed: $out"
[[ $out == "sent=500 answered=500 "* ]] || die "not every datagram answered: $out"
out=$("$EB" drive 127.0.0.1 "$port" 50 100) || die "paced drive failed: $out"
secs=${out##*seconds=}
awk -v s="$secs" 'BEGIN { exit !(s >= 0.48 && s < 5) }' || die "50 at 100/s took $secs s"
kill "$srv"; wait "$srv" 2>/dev/null || true
# nobody answers: both counted, exit 1
if out=$("$EB" drive 127.0.0.1 "$port" 2 0); then die "a drive with no server succeeded: $out"; fi
[[ $out == "sent=2 answered=0 "* ]] || die "unanswered datagrams not counted: $out"
"$EB" drive 127.0.0.1 0 1 0 2>/dev/null && die "port 0 accepted"
"$EB" serve 2>/dev/null && die "serve without a port accepted"
echo "ok: 500 answered back to back, 50 at 100/s in $secs s, unanswered counted"
