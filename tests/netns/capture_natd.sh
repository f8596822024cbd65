#!/usr/bin/env bash
# Capture one strongSwan charon <-> charon IKE_SA_INIT across a real NAT, with
# real NAT_DETECTION hashes on both sides (see tests/vectors/charon598_nat/README.md).
# Not a test: it makes the files tests/vectors/natd_test.c reads.
# Usage: capture_natd.sh OUTDIR
#   LEFT 192.168.1.2 -- NAT_L (masquerade to 192.0.2.1, source ports 33000-33099) -- RIGHT 192.0.2.2
# Both charons run without kernel-libipsec (kernel-netlink only), so neither
# fakes its NAT_DETECTION_SOURCE_IP as kernel-libipsec does.
set -euo pipefail
out=$(cd "$1" && pwd)
NS_TAG=kcapn
CHARON_IKE_LEVEL=4 # natd_chunk / natd_hash dumps
CHARON_ENC_LEVEL=2
CHARON_PLUGINS="openssl random nonce aes sha1 sha2 hmac gcm curve25519 kdf kernel-netlink socket-default vici"
source "$(dirname "$0")/lib.sh"
need_root
ns_setup_nat left
nat_remap "$NAT_L" "$OUT_IF" 33000-33099
charon_start "$LEFT" left
charon_start "$RIGHT" right
KC_REMOTE_ID=192.0.2.2 kite_conf lab 192.168.1.2 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none \
  tunnel interop-test-psk-0123456789 >"$WORK/left/swanctl.conf"
KC_REMOTE_ID=192.168.1.2 kite_conf lab 192.0.2.2 %any 10.2.0.0/24 10.1.0.0/24 aes256gcm16-prfsha256-x25519 aes256gcm16 none \
  tunnel interop-test-psk-0123456789 >"$WORK/right/swanctl.conf"
swanctl_at "$LEFT" left --load-all --file "$WORK/left/swanctl.conf" >/dev/null 2>&1
swanctl_at "$RIGHT" right --load-all --file "$WORK/right/swanctl.conf" >/dev/null 2>&1
ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -U --immediate-mode -w "$WORK/inside.pcap" udp port 500 2>/dev/null & PIDS+=($!)
ip netns exec "$OUT_NS" tcpdump -i "$OUT_IF" -U --immediate-mode -w "$WORK/outside.pcap" udp port 500 2>/dev/null & PIDS+=($!)
sleep 1
swanctl_at "$LEFT" left --initiate --child net | tail -n 1 || true
sleep 1
kill "${PIDS[-1]}" "${PIDS[-2]}"; sleep 0.3
cp "$WORK/inside.pcap" "$out/N_inside.pcap"
cp "$WORK/outside.pcap" "$out/N_outside.pcap"
cp "$WORK/left/charon.log" "$out/N_charon_initiator.log"
cp "$WORK/right/charon.log" "$out/N_charon_responder.log"
python3 - "$KITE_ROOT/tests/vectors/charon598" "$out" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from extract import pcap_messages
msgs = [m for m in pcap_messages(sys.argv[2] + "/N_outside.pcap") if m[18] == 34]
assert len(msgs) == 2, f"{len(msgs)} IKE_SA_INIT messages"
for name, m in zip(("N_01_ike_sa_init_req", "N_02_ike_sa_init_resp"), msgs):
    open(f"{sys.argv[2]}/{name}.hex", "w").write(m.hex() + "\n")
PY
tcpdump -n -r "$out/N_inside.pcap" 2>/dev/null | head -2
tcpdump -n -r "$out/N_outside.pcap" 2>/dev/null | head -2
ls "$out"/N_*
