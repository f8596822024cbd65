# Shared helpers for the network-namespace tests (sourced, bash).
# Two hosts joined by a veth pair:  left 192.0.2.1 (protects 10.1.0.0/24)
#                                   right 192.0.2.2 (protects 10.2.0.0/24)
# Every namespace, process and directory made here is removed by ns_cleanup,
# which the tests install as an EXIT trap.
set -euo pipefail

KITE_ROOT=${KITE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
KITE_BUILD=${KITE_BUILD:-$KITE_ROOT/build}
NS_TAG=${NS_TAG:-k$$}
LEFT=${NS_TAG}l
RIGHT=${NS_TAG}r
WORK=$(mktemp -d /tmp/kite-netns.XXXXXX)
[ -z "${KEEP_WORK:-}" ] || echo "work directory (KEEP_WORK): $WORK"
PIDS=()
NS_EXTRA=() # namespaces beyond LEFT and RIGHT (ns_new), removed by ns_cleanup

log() { printf '%s %s\n' "$(date +%T)" "$*"; }
die() { log "FAIL: $*"; exit 1; }

need_root() {
  if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "SKIP: needs root and network namespaces"; exit 77
  fi
}

# need_interop: root, strongSwan's charon, a built kited and /dev/net/tun
# (skipped, exit 77, without the first, second or fourth)
need_interop() {
  need_root
  command -v /usr/lib/ipsec/charon >/dev/null || { echo "SKIP: strongSwan not installed"; exit 77; }
  [ -x "$KITE_BUILD/kited" ] || die "no kited in $KITE_BUILD"
  [ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
}

ns_cleanup() {
  local rc=$?
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  # a kited built with sanitizers reports memory errors, UB and leaks in its log
  if grep -lE "AddressSanitizer|LeakSanitizer|runtime error:" "$WORK"/*/kited.log 2>/dev/null; then
    for f in "$WORK"/*/kited.log; do grep -A30 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$f" | head -60; done
    log "FAIL: sanitizer report in a kited log"
    rc=1
  fi
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for ns in "$LEFT" "$RIGHT" "${NS_EXTRA[@]:-}"; do
    [ -n "$ns" ] || continue
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ "$rc" != 0 ] && [ -z "${KEEP_WORK:-}" ]; then
    for f in "$WORK"/*/*.log; do [ -f "$f" ] && { echo "---- $f (tail)"; tail -n 40 "$f"; }; done
  fi
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
  exit "$rc"
}

ns_setup() {
  trap ns_cleanup EXIT
  ip netns add "$LEFT"
  ip netns add "$RIGHT"
  ip link add "${NS_TAG}a" type veth peer name "${NS_TAG}b"
  ip link set "${NS_TAG}a" netns "$LEFT"
  ip link set "${NS_TAG}b" netns "$RIGHT"
  ip -n "$LEFT" addr add 192.0.2.1/24 dev "${NS_TAG}a"
  ip -n "$RIGHT" addr add 192.0.2.2/24 dev "${NS_TAG}b"
  ip -n "$LEFT" link set "${NS_TAG}a" up
  ip -n "$RIGHT" link set "${NS_TAG}b" up
  ip -n "$LEFT" link set lo up
  ip -n "$RIGHT" link set lo up
  ip -n "$LEFT" addr add 10.1.0.1/24 dev lo
  ip -n "$RIGHT" addr add 10.2.0.1/24 dev lo
}

# ---- NAT topologies (RFC 3948 tests) ----
# ns_new NS: one more namespace with lo up, removed by ns_cleanup
ns_new() {
  ip netns add "$1"
  NS_EXTRA+=("$1")
  ip -n "$1" link set lo up
}

# ns_veth NS1 IF1 ADDR1/PLEN NS2 IF2 ADDR2/PLEN: a veth pair between two namespaces
ns_veth() {
  ip link add "$2" type veth peer name "$5"
  ip link set "$2" netns "$1"
  ip link set "$5" netns "$4"
  ip -n "$1" addr add "$3" dev "$2"
  ip -n "$4" addr add "$6" dev "$5"
  ip -n "$1" link set "$2" up
  ip -n "$4" link set "$5" up
}

# nat_masquerade NS OUT_IF: NS forwards and rewrites the source of everything
# leaving OUT_IF to OUT_IF's address (nftables masquerade; Linux keeps the
# source port when it is free); nat_remap changes the port range.  Like a real
# NAT it never lets a private source out: a packet that slips past the NAT
# while conntrack is flushed (seen in CI: one ESP packet left as 192.168.1.2)
# is dropped by the guard table after NAT.
nat_masquerade() {
  ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$1" nft -f - <<NFT
table ip nat {
  chain post { type nat hook postrouting priority 100; oifname "$2" masquerade; }
}
table ip guard {
  chain leak { type filter hook postrouting priority 200; oifname "$2" ip saddr 192.168.0.0/16 drop; }
}
NFT
}

# nat_forward NS IN_IF TO: NS also sends UDP 500 and 4500 arriving on IN_IF to
# TO (a host behind it that answers IKE: port forwarding)
nat_forward() {
  ip netns exec "$1" nft -f - <<NFT
table ip nat {
  chain pre { type nat hook prerouting priority -100; iifname "$2" udp dport { 500, 4500 } dnat to $3; }
}
NFT
}

# nat_remap NS OUT_IF LO-HI: the NAT's mappings are lost (conntrack flushed)
# and new ones take source ports in LO-HI, as when a NAT reboots
nat_remap() {
  ip netns exec "$1" nft -f - <<NFT
flush chain ip nat post
add rule ip nat post oifname "$2" meta l4proto udp masquerade to :$3
add rule ip nat post oifname "$2" masquerade
NFT
  ip netns exec "$1" conntrack -F >/dev/null 2>&1
}

# ns_setup_nat [left|both]: hosts with their own private addresses behind NAT
# namespaces, joined on the outside link 192.0.2.0/24 (the link tcpdump
# watches: interface $OUT_IF in namespace $OUT_NS).
#   left: LEFT 192.168.1.2 -- NAT_L (192.168.1.1 | 192.0.2.1) -- 192.0.2.2 RIGHT
#   both: LEFT 192.168.1.2 -- NAT_L (.. | 192.0.2.1) -- (192.0.2.2 | 192.168.2.1) NAT_R
#         -- 192.168.2.2 RIGHT, NAT_R forwarding UDP 500/4500 to RIGHT
# LEFT protects 10.1.0.0/24, RIGHT 10.2.0.0/24; LEFT_ADDR/RIGHT_ADDR are their
# own addresses, 192.0.2.1/192.0.2.2 what the other side sees.
ns_setup_nat() {
  local kind=${1:-left}
  trap ns_cleanup EXIT
  NAT_L=${NS_TAG}m
  ip netns add "$LEFT"
  ip netns add "$RIGHT"
  ip -n "$LEFT" link set lo up
  ip -n "$RIGHT" link set lo up
  ns_new "$NAT_L"
  ns_veth "$LEFT" "${NS_TAG}a" 192.168.1.2/24 "$NAT_L" "${NS_TAG}p" 192.168.1.1/24
  ip -n "$LEFT" route add default via 192.168.1.1
  LEFT_ADDR=192.168.1.2
  OUT_NS=$NAT_L OUT_IF=${NS_TAG}q
  if [ "$kind" = both ]; then
    NAT_R=${NS_TAG}n
    ns_new "$NAT_R"
    ns_veth "$NAT_L" "${NS_TAG}q" 192.0.2.1/24 "$NAT_R" "${NS_TAG}r" 192.0.2.2/24
    ns_veth "$NAT_R" "${NS_TAG}s" 192.168.2.1/24 "$RIGHT" "${NS_TAG}b" 192.168.2.2/24
    ip -n "$RIGHT" route add default via 192.168.2.1
    nat_masquerade "$NAT_R" "${NS_TAG}r"
    nat_forward "$NAT_R" "${NS_TAG}r" 192.168.2.2
    RIGHT_ADDR=192.168.2.2
  else
    ns_veth "$NAT_L" "${NS_TAG}q" 192.0.2.1/24 "$RIGHT" "${NS_TAG}b" 192.0.2.2/24
    RIGHT_ADDR=192.0.2.2
  fi
  nat_masquerade "$NAT_L" "${NS_TAG}q"
  ip -n "$LEFT" addr add 10.1.0.1/24 dev lo
  ip -n "$RIGHT" addr add 10.2.0.1/24 dev lo
}

# nat_client NS N: one more host NS behind NAT_L at 192.168.N.2 (gateway
# 192.168.N.1), protecting 10.N.0.0/24
nat_client() {
  ns_new "$1"
  ns_veth "$1" "${NS_TAG}c$2" "192.168.$2.2/24" "$NAT_L" "${NS_TAG}d$2" "192.168.$2.1/24"
  ip -n "$1" route add default via "192.168.$2.1"
  ip -n "$1" addr add "10.$2.0.1/24" dev lo
}

# pcap_times PCAP FILTER: the capture times (seconds) of the packets
# matching FILTER
pcap_times() {
  tcpdump -n -tt -r "$1" "$2" 2>/dev/null | awk '{ print $1 }'
}

# nat_wire_check PCAP WHAT: on the outside link only UDP 500 and 4500 in IPv4
# (ARP and IPv6 link-local chatter aside), UDP 500 only IKE_SA_INIT (exchange
# type 34 at offset 18 of the IKE header), and ESP in UDP 4500 (a non-zero
# SPI) carrying the traffic
nat_wire_check() {
  local pcap=$1 what=$2 n
  n=$(tcpdump -n -r "$pcap" 'ip and not (udp port 500 or udp port 4500)' 2>/dev/null | wc -l)
  [ "$n" = 0 ] || { tcpdump -n -r "$pcap" 'ip and not (udp port 500 or udp port 4500)' 2>/dev/null | head; die "$what: $n packets on the outside link that are not UDP 500/4500"; }
  n=$(tcpdump -n -r "$pcap" 'udp port 500 and udp[26] != 34' 2>/dev/null | wc -l)
  [ "$n" = 0 ] || die "$what: $n packets on UDP 500 that are not IKE_SA_INIT"
  n=$(tcpdump -n -r "$pcap" 'udp port 4500 and udp[4:2] > 12 and udp[8:4] != 0' 2>/dev/null | wc -l)
  [ "$n" -ge 20 ] || die "$what: only $n ESP-in-UDP packets on the outside link"
  NAT_ESP_PACKETS=$n
}

# nat_keepalive_check PCAP SRC INTERVAL MIN [quiet]: NAT keepalives (UDP
# datagrams with the single byte 0xFF) from SRC: at least MIN, consecutive ones
# INTERVAL apart (within -10% .. +50%); with "quiet", none sent less than 90% of
# INTERVAL after another datagram from SRC (only after silence).  Sets KA_GAPS
nat_keepalive_check() {
  local pcap=$1 src=$2 iv=$3 min=$4 quiet=${5:-} ka="udp[4:2] = 9 and udp[8] = 0xff" n
  n=$(tcpdump -n -r "$pcap" "src host $src and $ka" 2>/dev/null | wc -l)
  [ "$n" -ge "$min" ] || die "only $n keepalives from $src (want $min or more)"
  KA_GAPS=$(pcap_times "$pcap" "src host $src and $ka" |
    awk -v iv="$iv" 'NR > 1 { g = $1 - prev; printf "%.2f ", g; if (g < 0.9 * iv || g > 1.5 * iv) bad = 1 }
                     { prev = $1 } END { exit bad }') || die "keepalives from $src not $iv s apart: gaps $KA_GAPS"
  [ -z "$quiet" ] && return 0
  { pcap_times "$pcap" "src host $src and $ka" | sed 's/$/ 1/'
    pcap_times "$pcap" "src host $src and udp and not ($ka)" | sed 's/$/ 0/'; } | sort -n |
    awk -v iv="$iv" '$2 == 1 && NR > 1 && $1 - prev < 0.9 * iv { bad = 1; printf "keepalive at %s, %.2f s after the previous datagram\n", $1, $1 - prev }
                     { prev = $1 } END { exit bad }' || die "a keepalive from $src did not wait for $iv s of silence"
}

# nat_traffic NS1 ADDR1 NS2 ADDR2 WHAT [BIND1]: ping each way and 2 MB of TCP
# each way; NS1's server binds BIND1 (default ADDR1: NS2 reaches NS1 at ADDR1)
nat_traffic() {
  local n1=$1 a1=$2 n2=$3 a2=$4 what=$5 b1=${6:-$2}
  ip netns exec "$n1" ping -c 5 -i 0.1 -W 2 "$a2" >"$WORK/ping.out" ||
    { cat "$WORK/ping.out"; die "$what: ping $a2 failed"; }
  ip netns exec "$n2" ping -c 5 -i 0.1 -W 2 "$a1" >"$WORK/ping.out" ||
    { cat "$WORK/ping.out"; die "$what: ping $a1 failed"; }
  ip netns exec "$n2" iperf3 -s -1 -B "$a2" >/dev/null 2>&1 & local srv=$!
  sleep 0.4
  ip netns exec "$n1" timeout 30 iperf3 -c "$a2" -n 2M >"$WORK/iperf.out" 2>&1 ||
    { cat "$WORK/iperf.out"; die "$what: TCP to $a2 failed"; }
  wait "$srv" 2>/dev/null || true
  NAT_TCP_UP=$(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")
  ip netns exec "$n1" iperf3 -s -1 -B "$b1" >/dev/null 2>&1 & srv=$!
  sleep 0.4
  ip netns exec "$n2" timeout 30 iperf3 -c "$a1" -n 2M >"$WORK/iperf.out" 2>&1 ||
    { cat "$WORK/iperf.out"; die "$what: TCP to $a1 failed"; }
  wait "$srv" 2>/dev/null || true
  NAT_TCP_DOWN=$(awk '/receiver/ { print $(NF-2), $(NF-1) }' "$WORK/iperf.out")
}

# kited_status PID DIR: SIGUSR1, then the status lines it logged
kited_status() {
  local before
  before=$(grep -c "status:" "$2/kited.log" || true)
  kill -USR1 "$1"
  for _ in $(seq 30); do
    [ "$(grep -c "status:" "$2/kited.log" || true)" -gt "$before" ] && break
    sleep 0.1
  done
  sleep 0.1
  awk -v n="$before" '/status:/ { c++ } c > n' "$2/kited.log"
}

# charon_start NS NAME: a strongSwan charon (kernel-libipsec) in NS with its
# own /run and VICI socket at $WORK/NAME/charon.vici; CHARON_PLUGINS replaces
# the plugin list, CHARON_EXTRA adds lines to strongswan.conf's charon section
charon_start() {
  local ns=$1 name=$2 dir=$WORK/$2
  mkdir -p "$dir"
  cat >"$dir/strongswan.conf" <<CONF
charon {
  load = ${CHARON_PLUGINS:-openssl random nonce aes sha1 sha2 hmac gcm chapoly curve25519 pem pkcs1 pkcs8 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici updown}
  install_routes = yes
  retransmit_timeout = ${CHARON_RETRANSMIT_TIMEOUT:-2}
  retransmit_base = ${CHARON_RETRANSMIT_BASE:-1.8}
  retransmit_tries = ${CHARON_RETRANSMIT_TRIES:-5}
  keep_alive = ${CHARON_KEEP_ALIVE:-20s}
  ${CHARON_EXTRA:-}
  filelog { log { path = $dir/charon.log
                  flush_line = yes
                  default = 1
                  ike = ${CHARON_IKE_LEVEL:-2}
                  enc = ${CHARON_ENC_LEVEL:-1}
                  cfg = 2 } }
  plugins {
    vici { socket = unix://$dir/charon.vici }
    kernel-libipsec { allow_peer_ts = yes }
  }
}
CONF
  ip netns exec "$ns" unshare -m sh -c \
    "mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=$dir/strongswan.conf exec /usr/lib/ipsec/charon" \
    >"$dir/charon.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do [ -S "$dir/charon.vici" ] && return 0; sleep 0.1; done
  die "charon $name did not open its VICI socket"
}

# swanctl NS NAME ARGS...: swanctl against charon NAME
swanctl_at() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" swanctl "$@" --uri "unix://$WORK/$name/charon.vici"
}

# kited_start NS NAME CONFFILE: a kited in NS with its run directory in $WORK/NAME
kited_start() {
  local ns=$1 name=$2 conf=$3 dir=$WORK/$2
  mkdir -p "$dir"
  # shellcheck disable=SC2086 # KITED_ARGS: extra options, split on spaces
  ip netns exec "$ns" "$KITE_BUILD/kited" --config "$conf" --foreground --run-dir "$dir" \
    --log-level "${KITE_LOG_LEVEL:-2}" ${KITED_ARGS:-} >"$dir/kited.log" 2>&1 &
  PIDS+=($!)
  sleep 0.2
}

# kited_stop PID: SIGTERM, then wait (up to 3 s) until it has deleted its SAs,
# routes and rule and exited
kited_stop() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# kite_conf NAME LOCAL REMOTE LOCAL_TS REMOTE_TS IKE ESP START [MODE] [PSK]: a
# swanctl.conf that kited and charon both read.  KC_LOCAL_ID / KC_REMOTE_ID
# replace the IDs (default: the addresses), KC_EXTRA adds lines to the
# connection (e.g. "remote_port = 4500")
kite_conf() {
  cat <<CONF
connections {
  $1 {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    proposals = $6
    ${KC_EXTRA:-}
    local { auth = psk
            id = ${KC_LOCAL_ID:-$2} }
    remote { auth = psk
             id = ${KC_REMOTE_ID:-$3} }
    children {
      net { local_ts = $4
            remote_ts = $5
            esp_proposals = $7
            mode = ${9:-tunnel}
            start_action = $8 }
    }
  }
}
secrets { ike-$1 { secret = "${10:-netns-test-psk-0123456789}" } }
CONF
}

# ping_lost FILE: echo requests lost in a ping log: sequence numbers missing
# below the highest answered one (the echo in flight when ping is stopped is
# not a loss)
ping_lost() {
  grep -oE "icmp_seq=[0-9]+" "$1" | cut -d= -f2 | sort -n | uniq |
    awk 'NR == 1 { miss = $1 - 1 } NR > 1 { miss += $1 - prev - 1 } { prev = $1 } END { print miss + 0 }'
}

# wait_for FILE PATTERN [SECONDS]: until the file contains the pattern
wait_for() {
  local f=$1 pat=$2 t=${3:-10}
  for _ in $(seq $((t * 10))); do grep -qE "$pat" "$f" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# ---- certificates (issue 11) ----
# The PKI is made by strongSwan's pki in $PKI ($WORK/pki): NAME.key.pem,
# NAME.crt.pem, CA.crl.pem.  End entities are named SIDE-KIND (left-p256,
# right-rsa3072, ...); both sides' certificates carry the subject
# "C=CH, O=kite-test, CN=SIDE.kite.test" (pki_dn SIDE) and the subjectAltNames
# SIDE.kite.test and the side's address.
PKI=$WORK/pki
# charon's plugins for certificates: revocation checks CRLs, constraints
# basicConstraints and name constraints; openssl does RSA-PSS and Ed25519
CERT_CHARON_PLUGINS="openssl random nonce aes sha1 sha2 hmac gcm chapoly curve25519 pem pkcs1 pkcs8 x509 pubkey revocation constraints kdf kernel-libipsec kernel-netlink socket-default vici updown"

pki_dn() { echo "C=CH, O=kite-test, CN=$1.kite.test"; }
pki_addr() { case $1 in left) echo 192.0.2.1 ;; right) echo 192.0.2.2 ;; *) echo 192.0.2.9 ;; esac; }

# pki_key NAME TYPE [BITS]: a private key (rsa: PKCS#1, ecdsa: SEC1,
# ed25519: PKCS#8, all PEM)
pki_key() {
  pki --gen --type "$2" ${3:+--size "$3"} --outform pem >"$PKI/$1.key.pem" 2>/dev/null ||
    die "pki --gen $2 $3 failed"
}

# pki_root NAME CN: a self-signed CA certificate from NAME.key.pem (20 years)
pki_root() {
  pki --self --ca --in "$PKI/$1.key.pem" --dn "C=CH, O=kite-test, CN=$2" --lifetime 7300 \
    --outform pem >"$PKI/$1.crt.pem" 2>/dev/null || die "pki --self $1 failed"
}

# pki_issue NAME CA DN [PKI_ARGS...]: NAME.crt.pem for NAME.key.pem, issued by CA
pki_issue() {
  local name=$1 ca=$2 dn=$3; shift 3
  pki --issue --in "$PKI/$name.key.pem" --type priv --cacert "$PKI/$ca.crt.pem" \
    --cakey "$PKI/$ca.key.pem" --dn "$dn" --outform pem "$@" >"$PKI/$name.crt.pem" 2>/dev/null ||
    die "pki --issue $name failed"
}

# pki_ee NAME CA [PKI_ARGS...]: an end-entity certificate for NAME (SIDE-KIND)
pki_ee() {
  local name=$1 ca=$2 side=${1%%-*}; shift 2
  pki_issue "$name" "$ca" "$(pki_dn "$side")" --san "$side.kite.test" --san "$(pki_addr "$side")" \
    --lifetime 7300 --flag serverAuth --flag clientAuth "$@"
}

# pki_make [main] [4k]: the PKI of the certificate tests in $PKI.  main (the
# default):
#   root (RSA-3072), int (ECDSA P-256, issued by root), evil (an untrusted root);
#   per side (left, right), issued by root unless said:
#   SIDE-rsa3072, SIDE-pss (RSA-3072, its certificate signed with RSA-PSS),
#   SIDE-p256, SIDE-p384, SIDE-ed25519, SIDE-int (P-256, issued by int),
#   SIDE-expired (P-256, valid in 2020 only), SIDE-revoked (P-256, listed in
#   root.crl), SIDE-untrusted (P-256, issued by evil), SIDE-other (P-256:
#   the side's subject with another key; SIDE-other.key.pem is not SIDE-p256's);
#   carol-p256 (P-256, "C=CH, O=kite-test, CN=carol.kite.test", 192.0.2.9).
# 4k: the chain that needs IKE fragmentation, all RSA-4096: root4k, one
# intermediate per side (int4kl, int4kr), SIDE-rsa4096 issued by the side's.
# About 10 to 60 s (RSA key generation, on how busy the machine is).
pki_make() {
  mkdir -p "$PKI"
  local sets=${*:-main} side kind jobs=()
  if [[ " $sets " == *" 4k "* ]]; then
    for kind in root4k int4kl int4kr left-rsa4096 right-rsa4096; do pki_key "$kind" rsa 4096 & jobs+=($!); done
  fi
  if [[ " $sets " == *" main "* ]]; then
    pki_key root rsa 3072 & jobs+=($!)
    pki_key evil rsa 3072 & jobs+=($!)
    pki_key int ecdsa 256
    for side in left right; do
      pki_key "$side-rsa3072" rsa 3072 & jobs+=($!)
      pki_key "$side-pss" rsa 3072 & jobs+=($!)
      pki_key "$side-p384" ecdsa 384
      pki_key "$side-ed25519" ed25519
      for kind in p256 int expired revoked untrusted other; do pki_key "$side-$kind" ecdsa 256; done
    done
    pki_key carol-p256 ecdsa 256
  fi
  wait "${jobs[@]}" || die "pki key generation failed"
  if [[ " $sets " == *" 4k "* ]]; then
    pki_root root4k "kite-test Root CA 4096"
    pki_issue int4kl root4k "C=CH, O=kite-test, CN=kite-test Left Intermediate CA 4096" --ca --lifetime 7300
    pki_issue int4kr root4k "C=CH, O=kite-test, CN=kite-test Right Intermediate CA 4096" --ca --lifetime 7300
    pki_ee left-rsa4096 int4kl
    pki_ee right-rsa4096 int4kr
  fi
  [[ " $sets " == *" main "* ]] || return 0
  pki_root root "kite-test Root CA"
  pki_root evil "kite-test Untrusted CA"
  pki_issue int root "C=CH, O=kite-test, CN=kite-test Intermediate CA" --ca --lifetime 7300
  for side in left right; do
    for kind in rsa3072 p256 p384 ed25519 revoked other; do pki_ee "$side-$kind" root; done
    pki_ee "$side-pss" root --rsa-padding pss
    pki_ee "$side-int" int
    pki_ee "$side-untrusted" evil
    pki_ee "$side-expired" root --not-before "01.01.20 00:00:00" --not-after "01.01.21 00:00:00"
  done
  pki_ee carol-p256 root
  pki --signcrl --cacert "$PKI/root.crt.pem" --cakey "$PKI/root.key.pem" --lifetime 30 \
    --reason key-compromise --cert "$PKI/left-revoked.crt.pem" \
    --reason key-compromise --cert "$PKI/right-revoked.crt.pem" --outform pem >"$PKI/root.crl.pem" 2>/dev/null ||
    die "pki --signcrl failed"
}

# pki_keydir NAME: where swanctl's layout keeps NAME's key: rsa/ (PKCS#1),
# ecdsa/ (SEC1), pkcs8/ (PKCS#8); P-384 keys in private/ (any type)
pki_keydir() {
  case $1 in *-p384) echo private; return ;; esac
  case $(head -n 1 "$PKI/$1.key.pem") in
    *"RSA PRIVATE KEY"*) echo rsa ;;
    *"EC PRIVATE KEY"*) echo ecdsa ;;
    *) echo pkcs8 ;;
  esac
}

# cert_conf DIR ME CERT PEER START: DIR/swanctl.conf with connection "lab"
# from side ME (left|right) to PEER authenticating with certificate CERT,
# and the credentials beside it as swanctl keeps them: x509/CERT.crt.pem,
# its key in rsa/, ecdsa/, private/ or pkcs8/, the CAs in x509ca/, CRLs in
# x509crl/.  kited (--config DIR/swanctl.conf) and charon (SWANCTL_DIR=DIR)
# read the same.  START: the Child SA's start_action (start|none).
#   CC_CAS     CAs for x509ca/ (default: root)      CC_CRLS  CRLs for x509crl/
#   CC_KEY     the key to install (default: CERT's) CC_X509  more certificates for x509/
#   CC_LOCAL_AUTH / CC_REMOTE_AUTH (default pubkey)
#   CC_LOCAL_ID / CC_REMOTE_ID (default: the sides' subject DNs)
#   CC_REMOTE_EXTRA lines in remote { }, CC_EXTRA lines in the connection
cert_conf() {
  local dir=$1 me=$2 cert=$3 peer=$4 start=$5 key=${CC_KEY:-$3} lts rts x
  rm -rf "$dir"
  mkdir -p "$dir"/{x509,x509ca,x509crl,private,rsa,ecdsa,pkcs8}
  cp "$PKI/$cert.crt.pem" "$dir/x509/"
  cp "$PKI/$key.key.pem" "$dir/$(pki_keydir "$key")/"
  for x in ${CC_CAS-root}; do cp "$PKI/$x.crt.pem" "$dir/x509ca/"; done
  for x in ${CC_CRLS:-}; do cp "$PKI/$x.crl.pem" "$dir/x509crl/"; done
  for x in ${CC_X509:-}; do cp "$PKI/$x.crt.pem" "$dir/x509/"; done
  if [ "$me" = left ]; then lts=10.1.0.0/24 rts=10.2.0.0/24; else lts=10.2.0.0/24 rts=10.1.0.0/24; fi
  cat >"$dir/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = $(pki_addr "$me")
    remote_addrs = $(pki_addr "$peer")
    proposals = ${CC_PROPOSALS:-aes256gcm16-prfsha256-x25519}
    ${CC_EXTRA:-}
    local {
      auth = ${CC_LOCAL_AUTH:-pubkey}
      certs = $cert.crt.pem
      id = "${CC_LOCAL_ID:-$(pki_dn "$me")}"
    }
    remote {
      auth = ${CC_REMOTE_AUTH:-pubkey}
      id = "${CC_REMOTE_ID:-$(pki_dn "$peer")}"
      ${CC_REMOTE_EXTRA:-}
    }
    children {
      net {
        local_ts = $lts
        remote_ts = $rts
        esp_proposals = aes256gcm16
        start_action = $start
      }
    }
  }
}
CONF
}

# cert_start IMPL NS NAME DIR: (re)starts a kited (IMPL kite, --config
# DIR/swanctl.conf) or a charon (IMPL charon, with CERT_CHARON_PLUGINS; its
# swanctl loads DIR) as NAME in NS, with a fresh log; the pid in $WORK/NAME/pid
cert_start() {
  local impl=$1 ns=$2 name=$3 dir=$4
  cert_stop "$name"
  mkdir -p "$WORK/$name"
  if [ "$impl" = kite ]; then
    kited_start "$ns" "$name" "$dir/swanctl.conf"
  else
    : >"$WORK/$name/charon.log"
    rm -f "$WORK/$name/charon.vici" # the last charon's: charon_start waits for the new one
    CHARON_PLUGINS=${CHARON_PLUGINS:-$CERT_CHARON_PLUGINS} charon_start "$ns" "$name"
    SWANCTL_DIR=$dir swanctl_at "$ns" "$name" --load-all --file "$dir/swanctl.conf" >"$WORK/$name/load.out" 2>&1 ||
      { cat "$WORK/$name/load.out"; die "swanctl could not load $dir"; }
  fi
  echo "${PIDS[-1]}" >"$WORK/$name/pid"
}

# cert_stop NAME: stops the daemon cert_start started as NAME (if any)
cert_stop() {
  local pidf=$WORK/$1/pid
  [ -f "$pidf" ] || return 0
  kited_stop "$(cat "$pidf")"
  rm -f "$pidf"
}

# cert_up IMPL NS NAME [SECONDS]: true once NAME has its Child SA (kite's log
# or charon's swanctl --list-sas)
cert_up() {
  local impl=$1 ns=$2 name=$3 t=${4:-10}
  if [ "$impl" = kite ]; then
    wait_for "$WORK/$name/kited.log" "CHILD_SA .* established" "$t"
    return
  fi
  for _ in $(seq $((t * 5))); do
    swanctl_at "$ns" "$name" --list-sas 2>/dev/null | grep -q INSTALLED && return 0
    sleep 0.2
  done
  return 1
}

# cert_sas IMPL NS NAME [PATTERN]: the SAs NAME holds, one line each ("" if
# none): charon's swanctl --list-sas, kite's status lines, those matching
# PATTERN (default: ESTABLISHED|INSTALLED|CONNECTING, half-open ones too)
cert_sas() {
  local impl=$1 ns=$2 name=$3 pat=${4:-ESTABLISHED|INSTALLED|CONNECTING}
  if [ "$impl" = kite ]; then
    kited_status "$(cat "$WORK/$name/pid")" "$WORK/$name" | grep -E "$pat" || true
  else
    swanctl_at "$ns" "$name" --list-sas 2>/dev/null | grep -E "$pat" || true
  fi
}

# cert_ping: 3 pings 10.1.0.1 -> 10.2.0.1 through the tunnel
cert_ping() {
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >"$WORK/ping.out" 2>&1
}
