#!/usr/bin/env bash
# Issue 5: several Child SAs of one connection on one IKE SA, against strongSwan.
# Two children, net (10.1.0.0/24 <-> 10.2.0.0/24) and net2 (10.11.0.0/24 <->
# 10.12.0.0/24), both start_action = start on the initiating side:
#  - kite as IKE initiator: net in IKE_AUTH, net2 with CREATE_CHILD_SA;
#  - kite as IKE responder: charon initiates both, kite picks each child
#    configuration by its traffic selectors (kite lists them in the other order);
# each time one IKE SA, a ping through each Child SA, `swanctl --list-sas` on
# charon showing both INSTALLED with the SPIs kite logged; charon deletes net2
# alone and net keeps carrying traffic; charon rekeys net2 alone and net keeps
# its SPIs.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
ip -n "$LEFT" addr add 10.11.0.1/24 dev lo
ip -n "$RIGHT" addr add 10.12.0.1/24 dev lo
mkdir -p "$WORK/kite"

# conf NAME LOCAL REMOTE START FIRST SECOND: two children, listed FIRST then SECOND (net or net2)
conf() {
  local l=$2 r=$3 start=$4 me=1 peer=2
  [ "$l" = 192.0.2.2 ] && { me=2; peer=1; }
  child() {
    local n=$1 lts=10.$me.0.0/24 rts=10.$peer.0.0/24
    [ "$n" = net2 ] && { lts=10.1$me.0.0/24; rts=10.1$peer.0.0/24; }
    printf '      %s { local_ts = %s\n            remote_ts = %s\n            esp_proposals = aes256gcm16\n            start_action = %s }\n' \
      "$n" "$lts" "$rts" "$start"
  }
  cat <<CONF
connections {
  $1 {
    version = 2
    local_addrs = $l
    remote_addrs = $r
    proposals = $IKE
    local { auth = psk
            id = $l }
    remote { auth = psk
             id = $r }
    children {
$(child "$5")
$(child "$6")
    }
  }
}
secrets { ike-$1 { secret = "netns-test-psk-0123456789" } }
CONF
}

# both Child SAs up on both sides, traffic through each
check_both() {
  local role=$1
  for _ in $(seq 50); do
    [ "$(grep -cE "CHILD_SA net2?\{[0-9]+\} installed" "$WORK/kite/kited.log")" -ge 2 ] && break; sleep 0.2
  done
  [ "$(grep -cE "CHILD_SA net2?\{[0-9]+\} installed" "$WORK/kite/kited.log")" -eq 2 ] || die "$role: kite did not install two Child SAs"
  sleep 0.5
  local sas; sas=$(swanctl_at "$RIGHT" charon --list-sas)
  [ "$(grep -c ESTABLISHED <<<"$sas")" -eq 1 ] || die "$role: charon has not exactly one IKE SA: $sas"
  for n in net net2; do
    grep -qE "^ +$n: .*INSTALLED" <<<"$sas" || die "$role: charon shows no INSTALLED Child SA $n: $sas"
    local kin; kin=$(sed -nE "s/.*CHILD_SA $n\{[0-9]+\} established with SPIs ([0-9a-f]{8})_i.*/\1/p" "$WORK/kite/kited.log" | tail -n 1)
    [ -n "$kin" ] || die "$role: kite logged no SPIs for $n"
    grep -A3 -E "^ +$n: " <<<"$sas" | grep -q "$kin" || die "$role: charon's $n does not carry kite's SPI $kin"
  done
  grep -q "CHILD_SA net{[0-9]*} established with SPIs .* and TS 10.1.0.0/24 === 10.2.0.0/24" "$WORK/kite/kited.log" ||
    die "$role: kite's net has the wrong selectors"
  grep -q "CHILD_SA net2{[0-9]*} established with SPIs .* and TS 10.11.0.0/24 === 10.12.0.0/24" "$WORK/kite/kited.log" ||
    die "$role: kite's net2 has the wrong selectors"
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || die "$role: no ping through net"
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.11.0.1 10.12.0.1 >/dev/null || die "$role: no ping through net2"
  log "ok: $role: one IKE SA, net and net2 INSTALLED on charon with kite's SPIs, ping through each"
}

charon_start "$RIGHT" charon

log "== kite initiates both children"
conf lab 192.0.2.2 192.0.2.1 none net net2 >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
conf lab 192.0.2.1 192.0.2.2 start net net2 >"$WORK/kite/k.conf"
kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "establishing CHILD_SA net2" 10 || die "kite did not create net2 with CREATE_CHILD_SA"
check_both "kite initiator"
grep -q "generating CREATE_CHILD_SA request 2 \[ SA No TSi TSr \]" "$WORK/kite/kited.log" || die "net2 did not come with CREATE_CHILD_SA"

log "== charon deletes net2 alone"
swanctl_at "$RIGHT" charon --terminate --child net2 >/dev/null 2>&1 || true
wait_for "$WORK/kite/kited.log" "CHILD_SA net2\{[0-9]+\} removed" 5 || die "kite did not remove net2"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || die "net stopped with net2"
ip netns exec "$LEFT" ping -c 1 -W 1 -I 10.11.0.1 10.12.0.1 >/dev/null 2>&1 && die "traffic still flows through net2"
ip -n "$LEFT" route show table 220 | grep -q 10.12.0.0/24 && die "net2's route is still there"
log "ok: net2 deleted alone, net carries on"
kited_stop "$kp"

log "== charon initiates both children, kite responds"
: >"$WORK/kite/kited.log"
conf lab 192.0.2.1 192.0.2.2 none net2 net >"$WORK/kite/k.conf" # the other order: picked by selectors
kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
sleep 0.3
swanctl_at "$RIGHT" charon --initiate --child net --timeout 10 >/dev/null 2>&1 || die "charon could not initiate net"
swanctl_at "$RIGHT" charon --initiate --child net2 --timeout 10 >/dev/null 2>&1 || die "charon could not initiate net2"
check_both "kite responder"
grep -q "parsed CREATE_CHILD_SA request" "$WORK/kite/kited.log" || die "net2 did not come with CREATE_CHILD_SA"

log "== charon rekeys net2 alone"
net_in=$(sed -nE "s/.*CHILD_SA net\{[0-9]+\} established with SPIs ([0-9a-f]{8})_i.*/\1/p" "$WORK/kite/kited.log" | tail -n 1)
swanctl_at "$RIGHT" charon --rekey --child net2 >/dev/null 2>&1 || die "swanctl --rekey failed"
wait_for "$WORK/kite/kited.log" "CHILD_SA net2\{[0-9]+\} rekeyed" 5 || die "kite did not rekey net2"
wait_for "$WORK/kite/kited.log" "CHILD_SA net2\{[0-9]+\} removed" 5 || die "kite did not remove the old net2"
grep -q "CHILD_SA net{[0-9]*} rekeyed" "$WORK/kite/kited.log" && die "net was rekeyed with net2"
[ "$(sed -nE "s/.*CHILD_SA net\{[0-9]+\} established with SPIs ([0-9a-f]{8})_i.*/\1/p" "$WORK/kite/kited.log" | tail -n 1)" = "$net_in" ] ||
  die "net changed its SPI"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.11.0.1 10.12.0.1 >/dev/null || die "no ping through the rekeyed net2"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || die "no ping through net"
log "ok: net2 rekeyed alone, both carry traffic"
kited_stop "$kp"
log "PASS"
