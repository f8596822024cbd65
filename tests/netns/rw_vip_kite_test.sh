#!/usr/bin/env bash
# Issue 15 (configuration payloads), must show 2, second part: kite as a road
# warrior (vips = 0.0.0.0) to strongSwan 5.9.8's charon as gateway with a
# pool.  kite puts the address it gets on its TUN device, installs the route
# to the gateway's network with that address as the source, a ping with no
# source given leaves from it and is answered, and the DNS server of the
# CFG_REPLY goes to resolvectl (a stand-in first in PATH that records its
# arguments: the host's resolver is never touched).  When the gateway
# deletes the IKE SA, the address, the route and the DNS setting go.
# kite's local_ts is left at its default, dynamic: with vips it proposes
# 0.0.0.0/0, narrowed by charon to the address it assigns.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup

PSK=rw-vip-kite-test-psk-0123456789
mkdir -p "$WORK/kite" "$WORK/bin"
# setting the DNS server takes 4 s here (a slow systemd-resolved): kited
# must not wait for it in its event loop (daemon/helper.c)
cat >"$WORK/bin/resolvectl" <<SH
#!/bin/sh
[ "\$1" = dns ] && sleep 4
echo "\$*" >>"$WORK/resolvectl.out"
SH
chmod +x "$WORK/bin/resolvectl"

charon_start "$RIGHT" charon
cat >"$WORK/charon/swanctl.conf" <<CONF
pools {
  rw { addrs = 10.3.0.0/24
       dns = 10.2.0.53 }
}
connections {
  rw {
    version = 2
    local_addrs = 192.0.2.2
    pools = rw
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = gw.kite.test }
    remote { auth = psk
             id = carol@kite.test }
    children {
      net { local_ts = 10.2.0.0/24
            esp_proposals = aes256gcm16 }
    }
  }
}
secrets { ike-rw { id-gw = gw.kite.test
                   secret = "$PSK" } }
CONF
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >"$WORK/charon/load.out" 2>&1 ||
  { cat "$WORK/charon/load.out"; die "swanctl could not load the gateway"; }

cat >"$WORK/kite/kite.conf" <<CONF
connections {
  rw {
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    vips = 0.0.0.0
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = psk
            id = carol@kite.test }
    remote { auth = psk
             id = gw.kite.test }
    children {
      net { remote_ts = 10.2.0.0/24
            esp_proposals = aes256gcm16
            start_action = start }
    }
  }
}
secrets { ike-rw { id-gw = gw.kite.test
                   secret = "$PSK" } }
CONF
PATH="$WORK/bin:$PATH" kited_start "$LEFT" kite "$WORK/kite/kite.conf"
wait_for "$WORK/kite/kited.log" "CHILD_SA .* established" 15 || die "kite did not establish with the charon gateway"
tun=$(sed -nE 's/.*userspace ESP data plane on ([a-z0-9]+).*/\1/p' "$WORK/kite/kited.log" | head -1)
[ -n "$tun" ] || die "kite logged no TUN device"

log "== kited goes on while resolvectl takes 4 s: a ping through the tunnel and list-sas answered at once"
t0=$(date +%s%N)
ip netns exec "$LEFT" ping -c 1 -W 2 10.2.0.1 >"$WORK/ping0.out" 2>&1 ||
  { cat "$WORK/ping0.out"; die "no ping through the tunnel while the DNS helper runs (kited waits for it?)"; }
ip netns exec "$LEFT" timeout 3 swanctl --list-sas --uri "unix://$WORK/kite/charon.vici" >/dev/null 2>&1 ||
  die "kite's VICI did not answer while the DNS helper runs"
ms=$((($(date +%s%N) - t0) / 1000000))
[ -s "$WORK/resolvectl.out" ] && die "resolvectl was done before the checks: the 4 s helper did not overlap them"
[ "$ms" -lt 3000 ] || die "the ping and list-sas took $ms ms while the DNS helper ran"
log "ok: ping and list-sas answered in $ms ms while resolvectl sleeps"

log "== the address, the route, the source of a ping"
grep -q "installing new virtual IP 10.3.0.1" "$WORK/kite/kited.log" || die "kite did not take 10.3.0.1"
grep -q "assigning virtual IP 10.3.0.1 to peer 'carol@kite.test'" "$WORK/charon/charon.log" ||
  die "charon did not assign 10.3.0.1"
grep -qE "TS 10.3.0.1/32 === 10.2.0.0/24" "$WORK/kite/kited.log" || die "kite's Child SA is not 10.3.0.1/32 === 10.2.0.0/24"
grep -q "inet 10.3.0.1/32" <<<"$(ip -n "$LEFT" -4 addr show dev "$tun")" ||
  { ip -n "$LEFT" addr show dev "$tun"; die "10.3.0.1 is not on $tun"; }
rt=$(ip -n "$LEFT" route show table 220)
grep -qE "10.2.0.0/24 dev $tun .*src 10.3.0.1" <<<"$rt" || { echo "$rt"; die "no route to 10.2.0.0/24 from 10.3.0.1"; }
src=$(ip -n "$LEFT" route get 10.2.0.1 | grep -oE "src [0-9.]+" | cut -d' ' -f2)
[ "$src" = 10.3.0.1 ] || die "the kernel picks $src, not 10.3.0.1, as the source for 10.2.0.1"
# what arrives at the gateway's side comes from the virtual IP
ip netns exec "$RIGHT" timeout 8 tcpdump -n -i any -c 3 "icmp and src host 10.3.0.1 and dst host 10.2.0.1" \
  >"$WORK/tcpdump.out" 2>/dev/null & tdp=$!
sleep 1
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" 2>&1 ||
  { cat "$WORK/ping.out"; die "no ping through the tunnel"; }
wait "$tdp" || true
[ "$(grep -c "10.3.0.1 > 10.2.0.1" "$WORK/tcpdump.out")" -ge 3 ] ||
  { cat "$WORK/tcpdump.out"; die "the pings did not arrive from 10.3.0.1 at the gateway"; }
sas=$(swanctl_at "$RIGHT" charon --list-sas)
grep -qE "carol@kite.test.*\[10\.3\.0\.1\]" <<<"$sas" || { echo "$sas"; die "charon's list-sas shows no virtual IP"; }
log "ok: 10.3.0.1 on $tun, route 10.2.0.0/24 src 10.3.0.1 in table 220, 3 pings arrived from 10.3.0.1"

log "== DNS: resolvectl dns $tun 10.2.0.53"
wait_for "$WORK/kite/kited.log" "DNS servers 10.2.0.53 on $tun through resolvectl: set" 8 ||
  die "kited did not log the DNS servers set"
grep -qx "dns $tun 10.2.0.53" "$WORK/resolvectl.out" || { cat "$WORK/resolvectl.out"; die "resolvectl was not told the DNS server"; }
# kite's list-sas shows its local-vips
kl=$(ip netns exec "$LEFT" timeout 10 swanctl --list-sas --uri "unix://$WORK/kite/charon.vici" 2>&1) || true
grep -qE "carol@kite.test.*\[10\.3\.0\.1\]" <<<"$kl" || { echo "$kl"; die "kite's list-sas shows no local virtual IP"; }
log "ok: resolvectl got the DNS server; swanctl --list-sas against kite shows 10.3.0.1"

log "== the gateway deletes the IKE SA: address, route and DNS go"
swanctl_at "$RIGHT" charon --terminate --ike rw >/dev/null 2>&1 || true
wait_for "$WORK/kite/kited.log" "virtual IP 10.3.0.1 removed from $tun" 10 || die "kite did not remove the virtual IP"
grep -q "10.3.0.1" <<<"$(ip -n "$LEFT" -4 addr show dev "$tun")" && die "10.3.0.1 is still on $tun"
grep -q "10.2.0.0/24" <<<"$(ip -n "$LEFT" route show table 220)" && die "the route to 10.2.0.0/24 is still there"
wait_for "$WORK/kite/kited.log" "DNS servers of $tun: removed" 5 || die "kited did not log the DNS servers removed"
grep -qx "revert $tun" "$WORK/resolvectl.out" || { cat "$WORK/resolvectl.out"; die "resolvectl was not told to revert"; }
log "ok: address, route and DNS removed"
log "PASS"
