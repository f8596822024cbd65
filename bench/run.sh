#!/usr/bin/env bash
# kite's benchmarks, each printed beside its anchor measured in the same run.
# Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${BENCH_SECONDS:-2}

echo "== IKE decode (wire codec + rule check) of a captured strongSwan IKE_SA_INIT request"
"$build/decode_bench" "$root/tests/vectors/charon598/A_01_ike_sa_init_req.hex"

echo
echo "== ESP AEAD, 1400-byte payload: kite (prepared context, in place) vs openssl speed -aead -evp"
printf '%-18s %10s %10s %14s %10s\n' algorithm seal_ns open_ns openssl_ns kite/openssl
"$build/aead_bench" | while read -r _ alg rest; do
  seal=$(sed -n 's/.*seal_ns=\([0-9.]*\).*/\1/p' <<<"$rest")
  open=$(sed -n 's/.*open_ns=\([0-9.]*\).*/\1/p' <<<"$rest")
  case "$alg" in
    aes128gcm16) evp=aes-128-gcm ;;
    aes256gcm16) evp=aes-256-gcm ;;
    chacha20poly1305) evp=chacha20-poly1305 ;;
    *) continue ;;
  esac
  # +F:<n>:<name>:<bytes per second> at -bytes 1400; one op is one 1400-byte AEAD seal
  bps=$(openssl speed -aead -evp "$evp" -bytes 1400 -seconds "$secs" -mr 2>/dev/null | sed -n 's/^+F:[0-9]*:[^:]*:\([0-9.]*\)$/\1/p')
  ossl=$(awk -v b="$bps" 'BEGIN { printf "%.0f", 1400 * 1e9 / b }')
  ratio=$(awk -v k="$seal" -v o="$ossl" 'BEGIN { printf "%.2f", k / o }')
  printf '%-18s %10s %10s %14s %10s\n' "$alg" "$seal" "$open" "$ossl" "$ratio"
done
echo "(ratio: kite seal ns / openssl ns; openssl speed -aead includes a 13-byte AAD and the tag, like ESP)"

echo
echo "== ESP encap/decap of a 1400-byte packet beside the bare crypto cost (crypto floor), same run"
"$build/esp_bench"

echo
echo "== Outbound SPD lookup (CPU ns) at 10 to 100,000 policies beside the linear list it replaced"
"$build/spd_bench"

echo
echo "== Data plane per-IKE-SA and periodic calls with N Child SAs (CPU): limit check, IKE SA down, liveness report beside the old walk"
"$build/uesp_bench" 1000 10000 100000

echo
echo "== TUN routes per Child SA replaced with N Child SAs (CPU) beside the flat array they replaced"
"$build/routes_bench" 1000 10000 100000

echo
echo "== Per IKE SA at a responder engine, in process (PSK + x25519, one Child SA), N = 1000 and 10000"
"$build/sa_bench" 1000
"$build/sa_bench" 10000

echo
echo "== IKE SA + Child SA setup over a veth pair between two network namespaces"
if [ "$(id -u)" = 0 ] && command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ]; then
  "$root/bench/handshake.sh" "$build" "${HANDSHAKE_N:-50}" | grep -v '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] '
  echo
  echo "== Tunnels: bare veth, kite, strongSwan (kernel-libipsec), wireguard-go"
  "$root/scripts/deps.sh" bench
  "$root/bench/tunnel.sh" "$build" "${TUNNEL_SECONDS:-10}" 2>/dev/null | sed -n '/^Tunnel throughput/,$p'
  echo
  echo "== Capacity: charon initiating N at a charon and a kite responder, kite-load 100,000 at kite (NLIST, NLOAD, QUICK=1)"
  "$root/bench/capacity.sh" "$build" 2>/dev/null | sed -n '/^Responder cost/,$p'
  echo
  echo "== A spoofed IKE_SA_INIT flood: the responder's CPU time per packet, kite beside charon"
  "$root/bench/flood.sh" "$build" "${FLOOD_SECONDS:-10}" "${FLOOD_RATE:-20000}" | grep -v '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] '
else
  echo "(skipped: needs root and strongSwan; make check installs it)"
fi
