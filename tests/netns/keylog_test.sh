#!/usr/bin/env bash
# Issue 16, must show 3 (Wireshark): kited --keylog writes the IKE and ESP SA
# keys in Wireshark's ikev2_decryption_table and esp_sa formats, and tshark
# decrypts a capture of kite <-> strongSwan 5.9 (kernel-libipsec, ESP in UDP)
# with them: IKE_AUTH's identities (IDi, IDr) and the inner ICMP of a ping
# inside the ESP packets.  Two proposal sets (AEAD, and CBC with HMAC), kite as
# initiator; the second also rekeys the IKE SA and checks that the Delete sent
# on the new IKE SA decrypts with its logged keys.  kited also refuses a key
# log that is a symbolic link or readable by others.
source "$(dirname "$0")/lib.sh"
need_interop
command -v tshark >/dev/null || die "tshark missing (scripts/deps.sh interop installs it)"
ns_setup
mkdir -p "$WORK/kite"
charon_start "$RIGHT" charon
KEYS=$WORK/kite/keys

# tshark with each key log line as an -o uat:... preference
tshark_keys() {
  local args=(-n -r "$WORK/cap.pcap" -o esp.enable_encryption_decode:TRUE) l
  while IFS= read -r l; do [[ $l == uat:* ]] && args+=(-o "$l"); done <"$KEYS"
  tshark "${args[@]}" "$@" 2>"$WORK/tshark.err"
}

log "== refusals"
ln -s "$WORK/elsewhere" "$WORK/kite/link"
kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 aes128gcm16-prfsha256-x25519 aes128gcm16 none >"$WORK/kite/k.conf"
out=$(ip netns exec "$LEFT" timeout 5 "$KITE_BUILD/kited" --config "$WORK/kite/k.conf" --foreground --run-dir "$WORK/kite" \
      --vici off --keylog "$WORK/kite/link" 2>&1) && die "kited started with a symbolic link as key log"
grep -q "is a symbolic link: refused" <<<"$out" || die "no reason given for the symbolic link: $out"
[ -e "$WORK/elsewhere" ] && die "kited created the symbolic link's target"
install -m 0640 /dev/null "$WORK/kite/shared"
out=$(ip netns exec "$LEFT" timeout 5 "$KITE_BUILD/kited" --config "$WORK/kite/k.conf" --foreground --run-dir "$WORK/kite" \
      --vici off --keylog "$WORK/kite/shared" 2>&1) && die "kited started with a group-readable key log"
grep -q "mode 0640 lets others read it" <<<"$out" || die "no reason given for the mode: $out"
[ -s "$WORK/kite/shared" ] && die "kited wrote to the refused key log"
log "ok: a symbolic link and a 0640 file are refused, naming why"

IDL=kite-left.keylog.test IDR=charon-right.keylog.test
for ike_esp in "aes128gcm16-prfsha256-x25519 aes256gcm16" "aes256-sha384-prfsha384-x25519 aes128-sha256"; do
  read -r IKE ESP <<<"$ike_esp"
  log "== IKE $IKE, ESP $ESP"
  rm -f "$KEYS"
  KC_LOCAL_ID=$IDR KC_REMOTE_ID=$IDL kite_conf lab 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$IKE" "$ESP" none \
    >"$WORK/charon/swanctl.conf"
  swanctl_at "$RIGHT" charon --load-all --clear --file "$WORK/charon/swanctl.conf" >/dev/null 2>&1 ||
    die "swanctl could not load the configuration"
  KC_LOCAL_ID=$IDL KC_REMOTE_ID=$IDR kite_conf lab 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$IKE" "$ESP" start \
    >"$WORK/kite/k.conf"
  : >"$WORK/kite/kited.log"
  # immediate mode: packets reach the file at once, not when a ring block
  # fills or times out (those of the last second would be lost at the kill)
  ip netns exec "$LEFT" tcpdump -i "${NS_TAG}a" --immediate-mode -U -n -w "$WORK/cap.pcap" udp 2>/dev/null & cap=$!
  sleep 0.5
  KITED_ARGS="--vici off --keylog $KEYS" kited_start "$LEFT" kite "$WORK/kite/k.conf"; kp=${PIDS[-1]}
  wait_for "$WORK/kite/kited.log" "CHILD_SA .* installed" 10 || die "kite did not install the Child SA"
  grep -q "keylog: writing IKE and ESP SA keys to $KEYS" "$WORK/kite/kited.log" || die "no log line says keys are written"
  [ "$(stat -c %a "$KEYS")" = 600 ] || die "the key log has mode $(stat -c %a "$KEYS")"
  sleep 0.3
  ip netns exec "$LEFT" ping -c 3 -i 0.2 -W 2 10.2.0.1 >"$WORK/ping.out" || { cat "$WORK/ping.out"; die "ping failed"; }
  rekeyed=0
  if [ "$ESP" = aes128-sha256 ]; then # rekey the IKE SA (charon initiates), then kite deletes the new one
    swanctl_at "$RIGHT" charon --rekey --ike lab >/dev/null 2>&1 || die "charon could not rekey the IKE SA"
    wait_for "$WORK/kite/kited.log" "rekeyed into" 10 || die "the IKE SA was not rekeyed"
    rekeyed=1
  fi
  kited_stop "$kp"
  sleep 1
  kill "$cap"; wait "$cap" 2>/dev/null || true

  nike=$(grep -c '^uat:ikev2_decryption_table:' "$KEYS" || true)
  nesp=$(grep -c '^uat:esp_sa:' "$KEYS" || true)
  [ "$nike" = $((1 + rekeyed)) ] || { cat "$KEYS"; die "$nike IKE SA lines, expected $((1 + rekeyed))"; }
  [ "$nesp" = 2 ] || { cat "$KEYS"; die "$nesp ESP SA lines, expected 2 (one per direction)"; }
  tshark_keys -Y isakmp.exchangetype==35 -T fields -e isakmp.id.data.fqdn | tr ',' '\n' >"$WORK/ids.out" ||
    { cat "$WORK/tshark.err"; die "tshark failed"; }
  grep -qx "$IDL" "$WORK/ids.out" || { cat "$WORK/ids.out" "$WORK/tshark.err"; die "IDi not decrypted"; }
  grep -qx "$IDR" "$WORK/ids.out" || { cat "$WORK/ids.out"; die "IDr not decrypted"; }
  req=$(tshark_keys -Y "esp && icmp.type == 8 && ip.dst == 10.2.0.1" | wc -l)
  rep=$(tshark_keys -Y "esp && icmp.type == 0 && ip.src == 10.2.0.1" | wc -l)
  [ "$req" -ge 3 ] && [ "$rep" -ge 3 ] || die "inner ICMP in ESP: $req echo requests, $rep replies decrypted (want 3 each)"
  # without the keys nothing of this is visible
  plain=$(tshark -n -r "$WORK/cap.pcap" -Y "isakmp.id.data.fqdn || icmp" 2>/dev/null | wc -l)
  [ "$plain" = 0 ] || die "$plain packets show IDs or ICMP without the key log"
  msg="IDi $IDL and IDr $IDR in IKE_AUTH, $req echo requests and $rep replies inside ESP"
  if [ "$rekeyed" = 1 ]; then
    # the new IKE SA's SPIi (the second line), as a display filter's bytes
    spi=$(grep '^uat:ikev2_decryption_table:' "$KEYS" | sed -n 2p | cut -d: -f3 | cut -d, -f1 | sed 's/../&:/g; s/:$//')
    del=$(tshark_keys -Y "isakmp.ispi == $spi && isakmp.exchangetype == 37 && isakmp.delete.protoid == 1" | wc -l)
    [ "$del" -ge 1 ] || { cat "$WORK/tshark.err"; die "the Delete on the new IKE SA ($spi) was not decrypted"; }
    msg="$msg; after an IKE SA rekey, the Delete(IKE) on the new SA ($spi) decrypted"
  fi
  log "ok: $IKE / $ESP: $nike IKE and $nesp ESP key lines; tshark shows $msg"
  swanctl_at "$RIGHT" charon --terminate --ike lab --force >/dev/null 2>&1 || true
done
log "PASS"
