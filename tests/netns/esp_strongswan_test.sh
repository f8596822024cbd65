#!/usr/bin/env bash
# Issue 4, must show 2 and 3 (kite <-> strongSwan): traffic between kite's
# userspace ESP and strongSwan 5.9's charon with kernel-libipsec, which forces
# UDP encapsulation, so ESP travels in UDP 4500 both ways.  For aes256gcm16,
# chacha20poly1305 and aes256-sha256 in tunnel mode, with kite as initiator and
# as responder: ping and a TCP transfer (iperf3) each way through the tunnel,
# only IKE/ESP-in-UDP on the veth with no plaintext, byte counters on both sides.
source "$(dirname "$0")/lib.sh"
need_interop
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
ns_setup
PATTERN=6b697465706c61696e74657874
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon

for who in kite charon; do
  for esp in aes256gcm16 chacha20poly1305 aes256-sha256; do
    log "== $esp, initiator $who"
    ks=none; [ "$who" = kite ] && ks=start
    kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" "$esp" none >"$WORK/charon/swanctl.conf"
    swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
      die "swanctl could not load the configuration"
    kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" "$esp" $ks >"$WORK/kite/k.conf"
    : >"$WORK/kite/kited.log"
    kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
    if [ "$who" = charon ]; then
      swanctl_at "$RIGHT" charon --initiate --child net >"$WORK/charon/initiate.out" 2>&1 ||
        { cat "$WORK/charon/initiate.out"; die "charon could not initiate to kite"; }
    fi
    wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "$esp: kite did not install the Child SA"
    grep -q "installed: .*UDP-encapsulated ESP" "$WORK/kite/kited.log" || die "$esp: kite's Child SA is not UDP-encapsulated"
    sleep 0.3 # charon's route into ipsec0

    ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -U -n -w "$WORK/cap.pcap" 2>/dev/null & cap=$!
    sleep 0.5
    ip netns exec "$LEFT" ping -c 5 -i 0.1 -W 2 -p "$PATTERN" 10.2.0.1 >"$WORK/ping.out" ||
      { cat "$WORK/ping.out"; die "$esp: ping kite -> charon failed"; }
    ip netns exec "$RIGHT" ping -c 5 -i 0.1 -W 2 -p "$PATTERN" 10.1.0.1 >"$WORK/ping.out" ||
      { cat "$WORK/ping.out"; die "$esp: ping charon -> kite failed"; }
    ip netns exec "$RIGHT" iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 & srv=$!
    sleep 0.4
    ip netns exec "$LEFT" timeout 30 iperf3 -c 10.2.0.1 -n 4M >"$WORK/iperf.out" 2>&1 ||
      { cat "$WORK/iperf.out"; die "$esp: TCP kite -> charon failed"; }
    wait "$srv" 2>/dev/null || true
    up=$(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")
    ip netns exec "$LEFT" iperf3 -s -1 -B 10.1.0.1 >/dev/null 2>&1 & srv=$!
    sleep 0.4
    ip netns exec "$RIGHT" timeout 30 iperf3 -c 10.1.0.1 -n 4M >"$WORK/iperf.out" 2>&1 ||
      { cat "$WORK/iperf.out"; die "$esp: TCP charon -> kite failed"; }
    wait "$srv" 2>/dev/null || true
    down=$(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")
    sleep 0.3
    kill "$cap"; wait "$cap" 2>/dev/null || true

    flt="host 192.0.2.1 and host 192.0.2.2 and not (udp port 500 or udp port 4500 or arp)"
    other=$(tcpdump -n -r "$WORK/cap.pcap" "$flt" 2>/dev/null | wc -l)
    [ "$other" = 0 ] || { tcpdump -n -r "$WORK/cap.pcap" "$flt" 2>/dev/null | head; die "$esp: $other packets that are not IKE or ESP in UDP"; }
    encap=$(tcpdump -n -r "$WORK/cap.pcap" 'udp port 4500 and udp[8:4] != 0' 2>/dev/null | wc -l)
    [ "$encap" -ge 20 ] || die "$esp: only $encap ESP-in-UDP packets on the wire"
    wire=$(od -An -v -tx1 "$WORK/cap.pcap" | tr -d ' \n')
    [[ $wire != *"$PATTERN"* ]] || die "$esp: the ping payload is visible on the wire"

    sas=$(swanctl_at "$RIGHT" charon --list-sas)
    grep -qE "in  +[0-9a-f]{8}, +[1-9][0-9]* bytes" <<<"$sas" || { echo "$sas"; die "$esp: charon counted no inbound bytes"; }
    grep -qE "out +[0-9a-f]{8}, +[1-9][0-9]* bytes" <<<"$sas" || { echo "$sas"; die "$esp: charon counted no outbound bytes"; }
    kill -USR1 "$kp"; sleep 0.3
    line=$(grep "INSTALLED" "$WORK/kite/kited.log" | tail -n 1)
    grep -qE "ESP in UDP .* in [1-9][0-9]+ bytes, [1-9][0-9]* packets; out [1-9][0-9]+ bytes" <<<"$line" ||
      die "$esp: kite's SA counters show no traffic: $line"
    log "ok: $esp initiator $who: ping both ways, TCP 4 MB kite->charon ${up:-?}, charon->kite ${down:-?}, $encap ESP-in-UDP packets, no plaintext"
    log "    kite: ${line#*: }"
    log "    charon: $(echo "$sas" | grep -E '^ *(in|out) +[0-9a-f]{8},' | sed 's/^ *//' | tr -s ' ' | paste -sd ';')"
    kited_stop "$kp"
    swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
  done
done
log "PASS"
