#!/usr/bin/env bash
# INFORMATIONAL requests from strongSwan:
#  - charon deletes the Child SA: kite answers with the Delete of its inbound
#    SPI, removes the SA and its route, and traffic stops;
#  - charon deletes the IKE SA: kite logs it down;
#  - ESP with an SPI kite does not know, from charon's address: kite sends
#    INVALID_SPI over the IKE SA, once for three packets within a second
#    (RFC 7296 1.5), and the tunnel carries on.
source "$(dirname "$0")/lib.sh"
need_interop
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $IKE aes256gcm16 none >"$WORK/charon/swanctl.conf"
swanctl_at "$RIGHT" charon --load-all --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 || die "swanctl load"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $IKE aes256gcm16 start >"$WORK/kite/k.conf"
kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "no Child SA"
sleep 0.3
ip netns exec "$LEFT" ping -c 2 -W 2 10.2.0.1 >/dev/null || die "no traffic through the tunnel"

log "== ESP for an unknown SPI from charon's address"
# SPI deadbeef, then 60 bytes; written with one write() so it is one datagram
printf "\\xde\\xad\\xbe\\xef$(printf '\\x%02x' $(seq 1 60))" >"$WORK/esp.bin"
for _ in 1 2 3; do
  ip netns exec "$RIGHT" bash -c "cat '$WORK/esp.bin' >/dev/udp/192.0.2.1/4500"
done
wait_for "$WORK/kite/kited.log" "received ESP with unknown SPI deadbeef .*sending INVALID_SPI" 3 || die "kite sent no INVALID_SPI"
wait_for "$WORK/charon/charon.log" "parsed INFORMATIONAL request [0-9]+ \\[ N\\(INVAL_SPI\\) \\]" 3 || die "charon did not get kite's INVALID_SPI"
[ "$(grep -c "received ESP with unknown SPI deadbeef" "$WORK/kite/kited.log")" -eq 1 ] || die "more than one INVALID_SPI within a second"
grep "with unknown SPI" "$WORK/kite/kited.log" | grep -qv deadbeef && die "kite saw other unknown SPIs: the test packet was split"
ip netns exec "$LEFT" ping -c 2 -W 2 10.2.0.1 >/dev/null || die "no traffic through the tunnel after INVALID_SPI"
swanctl_at "$RIGHT" charon --list-sas | grep -q INSTALLED || die "charon lost its Child SA"
log "ok: one INVALID_SPI for three packets, received by charon, tunnel intact"

log "== charon deletes the Child SA"
read -r kin kout < <(sed -nE 's/.*CHILD_SA [^ ]+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o.*/\1 \2/p' "$WORK/kite/kited.log" | tail -n 1)
swanctl_at "$RIGHT" charon --terminate --child net >/dev/null 2>&1 || true
wait_for "$WORK/kite/kited.log" "closing CHILD_SA net\{[0-9]+\} with SPIs $kin" 5 || die "kite did not close the Child SA"
wait_for "$WORK/kite/kited.log" "CHILD_SA net\{[0-9]+\} removed" 5 || die "kite did not remove the SA from its data plane"
wait_for "$WORK/charon/charon.log" "received DELETE for ESP CHILD_SA with SPI $kin" 5 || die "charon did not get the Delete of kite's inbound SPI $kin"
[ -z "$(ip -n "$LEFT" route show table 220)" ] || die "kite's route is still there"
swanctl_at "$RIGHT" charon --list-sas | grep -q INSTALLED && die "charon still has the Child SA"
ip netns exec "$LEFT" ping -c 1 -W 1 10.2.0.1 >/dev/null 2>&1 && die "traffic still flows without a Child SA"
log "ok: Child SA $kin/$kout deleted on both sides, route removed"

log "== charon deletes the IKE SA"
swanctl_at "$RIGHT" charon --terminate --ike lab >/dev/null 2>&1 || true
wait_for "$WORK/kite/kited.log" "IKE_SA lab\[[0-9]+\] down: deleted by the peer" 5 || die "kite did not take the IKE SA down"
log "ok: IKE SA deleted by charon"
kited_stop "$kp"
log "PASS"
