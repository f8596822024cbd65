#!/usr/bin/env bash
# Issue 12, must show 2 (the "to kite" half of --initiate): the real swanctl
# 5.9.8 drives two kiteds, one per namespace, through their VICI sockets:
# --initiate at the left kited brings the tunnel up to the right kited
# (control-log lines, "initiate completed successfully"), both sides'
# --list-sas show the same IKE SA (SPIs equal, initiator on one side only)
# and the same Child SA (SPIs crossed), a ping crosses it, --rekey --child
# and --rekey --ike give new SPIs at both ends, and --terminate --ike at the
# right kited closes it on both sides.
source "$(dirname "$0")/lib.sh"
need_interop
command -v swanctl >/dev/null || { echo "SKIP: no swanctl"; exit 77; }
ns_setup
IKE=aes256gcm16-prfsha256-x25519
mkdir -p "$WORK/kl" "$WORK/kr"
kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" aes256gcm16 none >"$WORK/kr/k.conf"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" aes256gcm16 none >"$WORK/kl/k.conf"
kited_start "$RIGHT" kr "$WORK/kr/k.conf"
kited_start "$LEFT" kl "$WORK/kl/k.conf"
for s in kl kr; do
  for _ in $(seq 30); do [ -S "$WORK/$s/charon.vici" ] && break; sleep 0.1; done
  [ -S "$WORK/$s/charon.vici" ] || die "kited $s opened no control socket"
done
L() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "unix://$WORK/kl/charon.vici"; }
R() { ip netns exec "$RIGHT" timeout 20 swanctl "$@" --uri "unix://$WORK/kr/charon.vici"; }

out=$(L --initiate --child net --timeout 10 --loglevel 1) || die "--initiate failed: $out"
grep -q "initiate completed successfully" <<<"$out" || die "--initiate: $out"
grep -q "IKE_SA lab\[[0-9]*\] established" <<<"$out" || die "--initiate showed no control-log: $out"
log "ok: --initiate to kite: $(echo "$out" | wc -l) lines, $(echo "$out" | tail -1)"

# the same SAs on both ends: IKE SPIs equal, Child SPIs crossed
spis() { # raw list-sas: "spi-i spi-r child-in child-out initiator"
  "$@" --list-sas --raw | tr ' ' '\n' | sed -n 's/^\(initiator-spi\|responder-spi\|spi-in\|spi-out\|initiator\)=\(.*\)/\1=\2/p' |
    sort | paste -sd ' '
}
sas_match() {
  local l r
  l=$(spis L); r=$(spis R)
  lv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
  [ -n "$(lv "$l" initiator-spi)" ] || { echo "left lists no IKE SA: $l"; return 1; }
  [ "$(lv "$l" initiator-spi)" = "$(lv "$r" initiator-spi)" ] && [ "$(lv "$l" responder-spi)" = "$(lv "$r" responder-spi)" ] ||
    { echo "IKE SPIs differ: $l | $r"; return 1; }
  [ "$(lv "$l" spi-in)" = "$(lv "$r" spi-out)" ] && [ "$(lv "$l" spi-out)" = "$(lv "$r" spi-in)" ] ||
    { echo "Child SPIs not crossed: $l | $r"; return 1; }
  [ "$(lv "$l" initiator)" = yes ] && [ -z "$(lv "$r" initiator)" ] || { echo "initiator flags: $l | $r"; return 1; }
  echo "$l"
}
before=$(sas_match) || die "$before"
log "ok: --list-sas on both kiteds: $before"
ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >/dev/null || die "no ping through the kite-kite tunnel"

L --rekey --child net >/dev/null || die "--rekey --child failed"
sleep 1
mid=$(sas_match) || die "after --rekey --child: $mid"
[ "$(echo "$mid" | grep -o 'spi-in=[0-9a-f]*')" != "$(echo "$before" | grep -o 'spi-in=[0-9a-f]*')" ] ||
  die "--rekey --child: the Child SPIs did not change ($mid)"
R --rekey --ike lab >/dev/null || die "--rekey --ike at the right kited failed"
sleep 1
after=$(spis L)
[ "$(echo "$after" | grep -o 'initiator-spi=[0-9a-f]*')" != "$(echo "$mid" | grep -o 'initiator-spi=[0-9a-f]*')" ] ||
  die "--rekey --ike: the IKE SPIs did not change ($after)"
ip netns exec "$LEFT" ping -c 2 -i 0.2 -W 2 10.2.0.1 >/dev/null || die "no ping after the rekeys"
log "ok: --rekey --child (left) and --rekey --ike (right): new SPIs, traffic passes"

R --terminate --ike lab --timeout 5 >/dev/null || die "--terminate at the right kited failed"
for _ in $(seq 30); do [ -z "$(spis L)" ] && [ -z "$(spis R)" ] && break; sleep 0.1; done
[ -z "$(spis L)" ] && [ -z "$(spis R)" ] || die "SAs left after --terminate: $(spis L) | $(spis R)"
log "PASS: swanctl drove kite to kite: initiate, list, rekey Child and IKE SA, terminate"
