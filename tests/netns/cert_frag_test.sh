#!/usr/bin/env bash
# Issue 11, must show 2 (fragmentation): a 4096-bit RSA chain (root -> intermediate
# -> end entity, all RSA-4096, each side's from its own intermediate, which the
# other side does not hold: each sends its certificate and its intermediate,
# so IKE_AUTH is about 3.5 KB, three fragments) over a link with a 1280-byte MTU
# (both veth ends), fragmentation = yes on both sides (charon's fragment_size
# 1280, kited --fragment-size 1280): kite initiator -> charon, charon
# initiator -> kite, and kite <-> kite.  Each: the capture on the link
# (tcpdump) shows SKF payloads (IKE header next payload 53, RFC 7383) from both
# sides, no IP fragment and no IP packet above 1280 bytes; both sides have the
# Child SA and a ping passes.
# CERT_LEFT=charon puts a charon where kite is (a check of the test itself).
source "$(dirname "$0")/lib.sh"
need_root
command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
command -v pki >/dev/null || { echo "SKIP: strongSwan's pki not installed"; exit 77; }
IMPL=${CERT_LEFT:-kite}
[ "$IMPL" = charon ] || [ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
ns_setup
ip -n "$LEFT" link set "${NS_TAG}a" mtu 1280
ip -n "$RIGHT" link set "${NS_TAG}b" mtu 1280
T0=$SECONDS
pki_make 4k
log "PKI made in $((SECONDS - T0)) s"
CHARON_EXTRA="fragment_size = 1280"
KITED_ARGS="${KITED_ARGS:-} --fragment-size 1280"
export CC_EXTRA="fragmentation = yes"

# SKF: the IKE header's next payload (offset 16) is 53; on UDP 4500 the IKE
# header follows the 4-byte non-ESP marker
SKF="((udp port 500 and udp[24] = 53) or (udp port 4500 and udp[8:4] = 0 and udp[28] = 53))"

# frag_case WHAT LEFT_IMPL RIGHT_IMPL INITIATOR
frag_case() {
  local what=$1 limpl=$2 rimpl=$3 init=$4 ls=none rs=none t=$SECONDS pcap=$WORK/$4-$2-$3.pcap cap n1 n2 n
  log "== $what"
  if [ "$init" = left ]; then ls=start; else rs=start; fi
  CC_CAS="root4k int4kl" cert_conf "$WORK/left/conf" left left-rsa4096 right "$ls"
  CC_CAS="root4k int4kr" cert_conf "$WORK/right/conf" right right-rsa4096 left "$rs"
  # --immediate-mode: packets reach tcpdump as they arrive, not when its buffer
  # fills (those still in the kernel's buffer when it is stopped are lost)
  ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" --immediate-mode -U -n -s 0 -w "$pcap" 2>"$pcap.err" & cap=$!
  wait_for "$pcap.err" "listening on" 5 || die "$what: tcpdump did not start"
  if [ "$init" = left ]; then
    cert_start "$rimpl" "$RIGHT" right "$WORK/right/conf"
    cert_start "$limpl" "$LEFT" left "$WORK/left/conf"
  else
    cert_start "$limpl" "$LEFT" left "$WORK/left/conf"
    cert_start "$rimpl" "$RIGHT" right "$WORK/right/conf"
  fi
  cert_up "$limpl" "$LEFT" left 15 || { kill "$cap"; die "$what: left has no Child SA"; }
  cert_up "$rimpl" "$RIGHT" right 5 || { kill "$cap"; die "$what: right has no Child SA"; }
  cert_ping || { kill "$cap"; cat "$WORK/ping.out"; die "$what: no ping through the tunnel"; }
  sleep 1
  kill -INT "$cap"; wait "$cap" 2>/dev/null || true
  n1=$(tcpdump -n -r "$pcap" "src host 192.0.2.1 and $SKF" 2>/dev/null | wc -l)
  n2=$(tcpdump -n -r "$pcap" "src host 192.0.2.2 and $SKF" 2>/dev/null | wc -l)
  [ "$n1" -ge 3 ] || die "$what: $n1 SKF packets from left (192.0.2.1): its IKE_AUTH was not fragmented"
  [ "$n2" -ge 3 ] || die "$what: $n2 SKF packets from right (192.0.2.2): its IKE_AUTH was not fragmented"
  n=$(tcpdump -n -r "$pcap" "ip and (ip[6:2] & 0x3fff != 0)" 2>/dev/null | wc -l)
  [ "$n" = 0 ] || die "$what: $n IP fragments on the link"
  n=$(tcpdump -n -r "$pcap" "ip and ip[2:2] > 1280" 2>/dev/null | wc -l)
  [ "$n" = 0 ] || die "$what: $n IP packets above 1280 bytes on the link"
  log "ok: $what: SKF packets on the link: $n1 from left, $n2 from right, largest IP packet $(tcpdump -n -v -r "$pcap" ip 2>/dev/null | grep -oE 'length [0-9]+\)' | grep -oE '[0-9]+' | sort -n | tail -1) bytes, no IP fragments, ping passed ($((SECONDS - t)) s)"
  cert_stop left; cert_stop right
}

frag_case "RSA-4096 chain, MTU 1280: kite initiator -> charon" "$IMPL" charon left
frag_case "RSA-4096 chain, MTU 1280: charon initiator -> kite" "$IMPL" charon right
frag_case "RSA-4096 chain, MTU 1280: kite <-> kite" "$IMPL" "$IMPL" left
log "PASS ($((SECONDS - T0)) s)"
