#!/usr/bin/env bash
# Install the Debian packages kite's build and tests need, only those missing.
# `apt-get update` runs only when something has to be installed.
# Usage: scripts/deps.sh [build|fuzz|interop|bench|demo|all]...   (default: build)
set -euo pipefail

build=(build-essential cmake pkg-config libssl-dev openssl libcmocka-dev groff-base man-db)
fuzz=(clang libclang-rt-14-dev)
bench=(iperf3 wireguard-go wireguard-tools strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins libstrongswan-standard-plugins iproute2 iputils-ping)
interop=(strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins
         libstrongswan-standard-plugins strongswan-pki iproute2 iputils-ping tcpdump iperf3 nftables conntrack tshark
         libcharon-extauth-plugins)
# netns/metrics: a real Prometheus server scraping kited, promtool, its HTTP API read with curl and jq
interop+=(prometheus curl jq)

want=()
for set in "${@:-build}"; do
  case "$set" in
    build) want+=("${build[@]}") ;;
    fuzz) want+=("${fuzz[@]}") ;;
    interop) want+=("${interop[@]}") ;;
    bench) want+=("${bench[@]}") ;;
    demo) want+=(iproute2 iputils-ping iperf3) ;;
    all) want+=("${build[@]}" "${fuzz[@]}" "${interop[@]}" "${bench[@]}") ;;
    *) echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
# tshark's wireshark-common asks whether non-root users may capture: no
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections 2>/dev/null || true
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
