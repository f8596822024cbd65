#!/usr/bin/env bash
# Issue 4, must show 2 and 3 (kite <-> kite): traffic through kite's userspace
# ESP data plane between two kiteds in network namespaces.  For each case, with
# each side as the initiator: ping and a TCP transfer (iperf3) through the
# tunnel, a tcpdump on the veth that must hold only IKE/ESP between the hosts
# and never the ping's payload pattern, the SA counters kited reports, and the
# routes and rule removed when kited stops.
#   tunnel mode: aes256gcm16, chacha20poly1305, aes256-sha256 (IPv4 in IPv4)
#   transport mode: aes256gcm16 (host to host)
#   IPv6 inner over IPv4 outer, IPv4 inner over IPv6 outer
#   ESP in UDP 4500 (encap = yes), tunnel and transport mode: the sender's
#   UDP GSO batches and the receiver's GRO reads are used (kited's counters);
#   and over a 1300-byte path MTU, where the kernel refuses UDP GSO and kited
#   falls back to single (fragmented) datagrams without losing one
source "$(dirname "$0")/lib.sh"
need_root
[ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
command -v iperf3 >/dev/null || die "iperf3 missing (scripts/deps.sh interop installs it)"
command -v tcpdump >/dev/null || die "tcpdump missing"
ns_setup
# outer IPv6 between the hosts, inner IPv6 networks behind them
ip -n "$LEFT" addr add 2001:db8::1/64 dev "${NS_TAG}a" nodad
ip -n "$RIGHT" addr add 2001:db8::2/64 dev "${NS_TAG}b" nodad
ip -n "$LEFT" addr add fd01::1/64 dev lo
ip -n "$RIGHT" addr add fd02::1/64 dev lo

PATTERN=6b697465706c61696e74657874 # "kiteplaintext", the ping payload that must never be seen
mkdir -p "$WORK/l" "$WORK/r"

case_run() { # NAME ESP MODE LEFT_ADDR RIGHT_ADDR LEFT_TS RIGHT_TS TARGET INITIATOR(l|r) [ENCAP]
  local name=$1 esp=$2 mode=$3 la=$4 ra=$5 lts=$6 rts=$7 target=$8 who=$9 encap=${10:-} ls=none rs=none
  [ "$who" = l ] && ls=start || rs=start
  log "== $name: $esp, $mode mode, initiator $who"
  kite_conf lab "$la" "$ra" "$lts" "$rts" aes256gcm16-prfsha256-x25519 "$esp" $ls "$mode" >"$WORK/l/k.conf"
  kite_conf lab "$ra" "$la" "$rts" "$lts" aes256gcm16-prfsha256-x25519 "$esp" $rs "$mode" >"$WORK/r/k.conf"
  [ -z "$encap" ] || sed -i 's/^    version = 2$/&\n    encap = yes/' "$WORK/l/k.conf" "$WORK/r/k.conf"
  : >"$WORK/l/kited.log"; : >"$WORK/r/kited.log"
  # the responder first, so the initiator's first request finds it
  if [ "$who" = l ]; then
    kited_start "$RIGHT" r "$WORK/r/k.conf"; local rp=${PIDS[-1]}
    kited_start "$LEFT" l "$WORK/l/k.conf"; local lp=${PIDS[-1]}
  else
    kited_start "$LEFT" l "$WORK/l/k.conf"; local lp=${PIDS[-1]}
    kited_start "$RIGHT" r "$WORK/r/k.conf"; local rp=${PIDS[-1]}
  fi
  wait_for "$WORK/l/kited.log" "CHILD_SA .* installed" 10 || die "$name: left did not install the Child SA"
  wait_for "$WORK/r/kited.log" "CHILD_SA .* installed" 5 || die "$name: right did not install the Child SA"

  ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" -U -n -w "$WORK/cap.pcap" 2>/dev/null &
  local cap=$!
  sleep 0.5
  ip netns exec "$LEFT" ping -c 5 -i 0.1 -W 2 -p "$PATTERN" "$target" >"$WORK/ping.out" ||
    { cat "$WORK/ping.out"; die "$name: ping $target through the tunnel failed"; }
  ip netns exec "$RIGHT" iperf3 -s -1 -B "$target" >"$WORK/iperf-s.out" 2>&1 &
  local srv=$!
  sleep 0.4
  ip netns exec "$LEFT" timeout 20 iperf3 -c "$target" -n 4M >"$WORK/iperf.out" 2>&1 ||
    { cat "$WORK/iperf.out"; die "$name: TCP transfer to $target failed"; }
  wait "$srv" 2>/dev/null || true
  local rate
  rate=$(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")
  sleep 0.3
  kill "$cap"; wait "$cap" 2>/dev/null || true

  # on the wire between the hosts: IKE and ESP only (neighbour discovery aside), no plaintext
  local hosts='((host 192.0.2.1 and host 192.0.2.2) or (host 2001:db8::1 and host 2001:db8::2))'
  # (IPv4 fragments after the first carry no UDP header: ESP in UDP over a
  # small path MTU is sent fragmented)
  local flt="$hosts and not (esp or udp port 500 or udp port 4500 or arp or (icmp6 and ip6[40] >= 133 and ip6[40] <= 137) or (ip and ip[6:2] & 0x1fff != 0))"
  local other wire
  other=$(tcpdump -n -r "$WORK/cap.pcap" "$flt" 2>/dev/null | wc -l)
  [ "$other" = 0 ] || { tcpdump -n -r "$WORK/cap.pcap" "$flt" 2>/dev/null | head; die "$name: $other packets between the hosts that are not IKE or ESP"; }
  local esp_pkts espf=esp
  [ -z "$encap" ] || espf='udp port 4500 and ((ip and udp[8:4] != 0) or (ip6 and ip6[48:4] != 0))'
  esp_pkts=$(tcpdump -n -r "$WORK/cap.pcap" "$espf" 2>/dev/null | wc -l)
  [ "$esp_pkts" -ge 10 ] || die "$name: only $esp_pkts ESP packets on the wire"
  wire=$(od -An -v -tx1 "$WORK/cap.pcap" | tr -d ' \n')
  [[ $wire != *"$PATTERN"* ]] || die "$name: the ping payload is visible on the wire"

  # counters: SIGUSR1 logs every SA with bytes and packets
  kill -USR1 "$lp"; sleep 0.3
  local line
  line=$(grep "INSTALLED" "$WORK/l/kited.log" | tail -n 1)
  grep -qE "in [1-9][0-9]+ bytes, [1-9][0-9]* packets; out [1-9][0-9]+ bytes" <<<"$line" ||
    die "$name: kite's SA counters show no traffic: $line"
  if [ -n "$encap" ]; then
    # the 4 MB went left to right: GSO batches leaving the left, GRO reads on the right
    kill -USR1 "$rp"; sleep 0.3
    if [ "$encap" = yes ]; then
      grep "data plane:" "$WORK/l/kited.log" | tail -n 1 | grep -qE "UDP GSO sends [1-9]" ||
        die "$name: the left kited sent no UDP GSO batch"
      grep "data plane:" "$WORK/r/kited.log" | tail -n 1 | grep -qE "GRO reads [1-9]" ||
        die "$name: the right kited read no coalesced datagrams"
    fi
    grep -q "installed: .*UDP-encapsulated ESP" "$WORK/l/kited.log" || die "$name: the Child SA is not in UDP"
  fi
  if [ "$encap" = gsofail ]; then
    # the kernel refused UDP GSO: kited sent the batch again one datagram at a
    # time (fragmented by IP) and stays with that
    grep -q "UDP GSO refused" "$WORK/l/kited.log" || die "$name: no GSO refusal logged"
    grep "data plane:" "$WORK/l/kited.log" | tail -n 1 | grep -qE "send errors 0," ||
      die "$name: packets lost when GSO was refused"
  fi
  log "ok: $name ping 5/5, TCP 4 MB at ${rate:-?}, $esp_pkts ESP packets and no plaintext on the wire"
  log "    ${line#*: }"

  kited_stop "$lp"; kited_stop "$rp"
  [ -z "$(ip -n "$LEFT" route show table 220)$(ip -n "$LEFT" -6 route show table 220)" ] ||
    die "$name: routes left in table 220 after kited stopped"
  ip -n "$LEFT" rule | grep -q "lookup 220" && die "$name: routing rule left after kited stopped"
  return 0
}

for who in l r; do
  for esp in aes256gcm16 chacha20poly1305 aes256-sha256; do
    case_run "tunnel-$esp" "$esp" tunnel 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 10.2.0.1 $who
  done
  case_run transport aes256gcm16 transport 192.0.2.1 192.0.2.2 192.0.2.1/32 192.0.2.2/32 192.0.2.2 $who
  case_run "ipv6-in-ipv4" aes256gcm16 tunnel 192.0.2.1 192.0.2.2 fd01::/64 fd02::/64 fd02::1 $who
  case_run "ipv4-in-ipv6" aes256gcm16 tunnel 2001:db8::1 2001:db8::2 10.1.0.0/24 10.2.0.0/24 10.2.0.1 $who
done
case_run "udp-encap-tunnel" aes256gcm16 tunnel 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 10.2.0.1 l yes
case_run "udp-encap-transport" aes256gcm16 transport 192.0.2.1 192.0.2.2 192.0.2.1/32 192.0.2.2/32 192.0.2.2 r yes
case_run "udp-encap-ipv4-in-ipv6" chacha20poly1305 tunnel 2001:db8::1 2001:db8::2 10.1.0.0/24 10.2.0.0/24 10.2.0.1 l yes
# a path MTU below kite's ESP packets (TUN MTU 1400 + ESP + UDP): the kernel
# refuses a GSO batch of datagrams it would have to fragment (EINVAL)
ip -n "$LEFT" link set "${NS_TAG}a" mtu 1300; ip -n "$RIGHT" link set "${NS_TAG}b" mtu 1300
case_run "udp-encap-small-mtu" aes256gcm16 tunnel 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 10.2.0.1 l gsofail
ip -n "$LEFT" link set "${NS_TAG}a" mtu 1500; ip -n "$RIGHT" link set "${NS_TAG}b" mtu 1500
log "PASS"
