#!/usr/bin/env bash
# Capture the IKE messages of one strongSwan charon <-> charon handshake and turn
# them into kite test data (see tests/vectors/charon598/README.md).
# Usage: capture_strongswan.sh PREFIX IKE_PROPOSAL ESP_PROPOSAL OUTDIR
# e.g.   capture_strongswan.sh A aes256gcm16-prfsha256-x25519 aes256gcm16 tests/vectors/charon598
set -euo pipefail
prefix=$1 ike=$2 esp=$3 out=$(cd "$4" && pwd)
NS_TAG=kcap
CHARON_IKE_LEVEL=4   # ike = 4 logs the shared secret, SKEYSEED and SK_* keys
CHARON_ENC_LEVEL=3   # enc = 3 logs every field charon generates
source "$(dirname "$0")/lib.sh"
need_root
ns_setup
charon_start "$LEFT" left
charon_start "$RIGHT" right

conf() { # local remote local_ts remote_ts
  cat <<CONF
connections { lab { version = 2
  local_addrs = $1
  remote_addrs = $2
  proposals = $ike
  local { auth = psk
          id = $1 }
  remote { auth = psk
           id = $2 }
  children { net { local_ts = $3
                   remote_ts = $4
                   esp_proposals = $esp } } } }
secrets { ike-lab { secret = "interop-test-psk-0123456789" } }
CONF
}
conf 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 >"$WORK/left/swanctl.conf"
conf 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 >"$WORK/right/swanctl.conf"
swanctl_at "$LEFT" left --load-all --file "$WORK/left/swanctl.conf" >/dev/null 2>&1
swanctl_at "$RIGHT" right --load-all --file "$WORK/right/swanctl.conf" >/dev/null 2>&1

ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -U -w "$WORK/cap.pcap" udp port 500 or udp port 4500 2>/dev/null &
PIDS+=($!)
sleep 1
swanctl_at "$LEFT" left --initiate --child net | tail -n 1
sleep 1
kill "${PIDS[-1]}"; sleep 0.3
cp "$WORK/cap.pcap" "$out/$prefix.pcap"
cp "$WORK/left/charon.log" "$out/${prefix}_charon_initiator.log"
cp "$WORK/right/charon.log" "$out/${prefix}_charon_responder.log"
python3 "$KITE_ROOT/tests/vectors/charon598/extract.py" "$prefix" "$out/$prefix.pcap" \
  "$out/${prefix}_charon_initiator.log" "$out/${prefix}_charon_responder.log" "$out"
ls "$out/${prefix}"_*
