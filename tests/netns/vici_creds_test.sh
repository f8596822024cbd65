#!/usr/bin/env bash
# Issue 12: credentials over VICI and the rekey events, with the real swanctl
# 5.9.8 and charon.  kited starts with no credential at all (its connection
# names local.id, no local.certs); an initiation then fails for want of a
# certificate.  `swanctl --load-creds` (SWANCTL_DIR with x509/, x509ca/,
# ecdsa/ made by strongSwan's pki in the test) loads the CA, kite's
# certificate and its key into kited; `swanctl --list-certs` shows them, the
# certificate with its private key; a certificate-authenticated tunnel to
# charon comes up and carries pings.  A VICI client in python registered
# for ike-rekey and child-rekey sees each, with the old and new SA, when
# `swanctl --rekey` rekeys the Child SA (on kite) and the IKE SA (on charon).
# `swanctl --load-creds --clear` (clear-creds), and a new initiation fails
# authentication.
source "$(dirname "$0")/lib.sh"
need_interop
command -v pki >/dev/null || { echo "SKIP: strongSwan's pki not installed"; exit 77; }
ns_setup
T0=$SECONDS
PKI=$WORK/pki
mkdir -p "$PKI"
pki_key root ecdsa 256
pki_root root "kite-test Root CA"
for side in left right; do pki_key "$side-p256" ecdsa 256; pki_ee "$side-p256" root; done
log "PKI made in $((SECONDS - T0)) s"

# charon: responder, its own certificate, trusts the root
cert_conf "$WORK/charon/conf" right right-p256 left none
cert_start charon "$RIGHT" charon "$WORK/charon/conf"

# kited: no credentials beside its configuration; local.id, no local.certs
mkdir -p "$WORK/kite/conf"
cat >"$WORK/kite/conf/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = 192.0.2.1
    remote_addrs = 192.0.2.2
    proposals = aes256gcm16-prfsha256-x25519
    local { auth = pubkey
            id = "$(pki_dn left)" }
    remote { auth = pubkey
             id = "$(pki_dn right)" }
    children {
      net { local_ts = 10.1.0.0/24
            remote_ts = 10.2.0.0/24
            esp_proposals = aes256gcm16
            start_action = none }
    }
  }
}
CONF
kited_start "$LEFT" kite "$WORK/kite/conf/swanctl.conf"
SOCK=$WORK/kite/charon.vici
for _ in $(seq 30); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || die "kited opened no control socket"
k() { ip netns exec "$LEFT" timeout 20 swanctl "$@" --uri "unix://$SOCK"; }

# the rekey listener: registers, says so, then writes one line per event
python3 - "$SOCK" >"$WORK/events.out" 2>&1 <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
def send(op, name):
    b = bytes([op, len(name)]) + name.encode(); s.sendall(struct.pack(">I", len(b)) + b)
def recv():
    n = b""
    while len(n) < 4:
        c = s.recv(4 - len(n))
        if not c: sys.exit(0)
        n += c
    (l,) = struct.unpack(">I", n); d = b""
    while len(d) < l:
        c = s.recv(l - len(d))
        if not c: sys.exit(0)
        d += c
    return d
def walk(m):  # the message as text: key=value, name{...}, name[...]
    out, i = [], 0
    while i < len(m):
        t = m[i]; i += 1
        if t in (1, 3, 4):
            n = m[i]; name = m[i + 1:i + 1 + n].decode(); i += 1 + n
        if t == 1: out.append(name + "{")
        elif t == 2: out.append("}")
        elif t == 3:
            (vl,) = struct.unpack(">H", m[i:i + 2]); out.append(name + "=" + m[i + 2:i + 2 + vl].decode("latin1") + " "); i += 2 + vl
        elif t == 4: out.append(name + "[")
        elif t == 5:
            (vl,) = struct.unpack(">H", m[i:i + 2]); out.append(m[i + 2:i + 2 + vl].decode("latin1") + " "); i += 2 + vl
        elif t == 6: out.append("]")
    return "".join(out)
for ev in ("ike-rekey", "child-rekey"):
    send(3, ev)
    assert recv()[0] == 5, "no EVENT_CONFIRM for " + ev
print("registered", flush=True)
while True:
    d = recv()
    if d[0] == 7:
        n = d[1]; print(d[2:2 + n].decode(), walk(d[2 + n:]), flush=True)
PY
PIDS+=($!)
wait_for "$WORK/events.out" "^registered" 5 || { cat "$WORK/events.out"; die "the listener did not register"; }

# no credentials: kite cannot authenticate
out=$(k --initiate --child net --timeout 10 2>&1) && die "initiated without a certificate: $out"
grep -q "no certificate of connection lab found" "$WORK/kite/kited.log" || die "kited gave no reason: $out"
log "ok: without credentials the initiation fails: $(echo "$out" | tail -1)"

# swanctl --load-creds from a directory kited knows nothing of
C=$WORK/kcreds
mkdir -p "$C"/{x509,x509ca,ecdsa}
cp "$PKI/left-p256.crt.pem" "$C/x509/"
cp "$PKI/root.crt.pem" "$C/x509ca/"
cp "$PKI/left-p256.key.pem" "$C/ecdsa/"
: >"$C/swanctl.conf"
out=$(SWANCTL_DIR=$C k --load-creds --file "$C/swanctl.conf" 2>&1) || die "--load-creds failed: $out"
grep -q "loaded certificate from '$C/x509/left-p256.crt.pem'" <<<"$out" || die "--load-creds: $out"
grep -q "loaded certificate from '$C/x509ca/root.crt.pem'" <<<"$out" || die "--load-creds: $out"
grep -qi "loaded ecdsa key from '$C/ecdsa/left-p256.key.pem'" <<<"$out" || die "--load-creds: $out"
log "ok: --load-creds: $(echo "$out" | grep "^loaded" | paste -sd '|')"
out=$(k --list-certs 2>&1) || die "--list-certs failed: $out"
grep -q "subject:  \"$(pki_dn left)\"" <<<"$out" || die "--list-certs lacks kite's certificate: $out"
grep -q "has private key" <<<"$out" || die "--list-certs: no private key shown: $out"
grep -q "subject:  \"C=CH, O=kite-test, CN=kite-test Root CA\"" <<<"$out" || die "--list-certs lacks the CA: $out"
grep -q "X.509 CA Certificates" <<<"$out" || die "--list-certs: the root is not listed as a CA: $out"
log "ok: --list-certs: $(echo "$out" | grep -E "subject:|pubkey:|Certificates" | tr -s ' ' | paste -sd '|')"

# the certificate-authenticated tunnel
out=$(k --initiate --child net --timeout 10 2>&1) || die "--initiate with the loaded credentials failed: $out"
grep -q "authentication of '$(pki_dn left)' with ECDSA_WITH_SHA256_DER successful" "$WORK/charon/charon.log" ||
  die "charon did not verify kite's signature"
cert_ping || { cat "$WORK/ping.out"; die "no ping through the tunnel"; }
log "ok: tunnel up with the credentials loaded over VICI; charon verified kite's ECDSA signature; pings pass"

# rekeys: the Child SA through kited, the IKE SA through charon
out=$(k --rekey --child net 2>&1) || die "--rekey --child failed: $out"
wait_for "$WORK/events.out" "^child-rekey " 10 || { cat "$WORK/events.out"; die "no child-rekey event"; }
ev=$(grep "^child-rekey " "$WORK/events.out")
grep -q "^child-rekey lab{uniqueid=[0-9]* version=2 state=ESTABLISHED .*child-sas{net{old{name=net uniqueid=[0-9]* .*new{name=net uniqueid=[0-9]* reqid=[0-9]* state=INSTALLED" <<<"$ev" ||
  die "child-rekey event: $ev"
o=$(echo "$ev" | grep -o "old{name=net uniqueid=[0-9]*"); n=$(echo "$ev" | grep -o "new{name=net uniqueid=[0-9]*")
[ "${o#*uniqueid=}" != "${n#*uniqueid=}" ] || die "child-rekey: old and new are the same SA: $ev"
log "ok: child-rekey event: $o} -> $n}"
swanctl_at "$RIGHT" charon --rekey --ike lab >/dev/null 2>&1 || die "charon could not rekey the IKE SA"
wait_for "$WORK/events.out" "^ike-rekey " 10 || { cat "$WORK/events.out"; die "no ike-rekey event"; }
ev=$(grep "^ike-rekey " "$WORK/events.out")
grep -q "^ike-rekey lab{old{uniqueid=[0-9]* version=2 state=REKEYED .*new{uniqueid=[0-9]* version=2 state=ESTABLISHED" <<<"$ev" ||
  die "ike-rekey event: $ev"
o=$(echo "$ev" | grep -o "old{.*}new" | grep -o "initiator-spi=[0-9a-f]*" | head -1)
n=$(echo "$ev" | grep -o "new{.*" | grep -o "initiator-spi=[0-9a-f]*" | head -1)
[ -n "$o" ] && [ "$o" != "$n" ] || die "ike-rekey: the SPIs did not change: $ev"
log "ok: ike-rekey event: old $o, new $n"
cert_ping || { cat "$WORK/ping.out"; die "no ping after the rekeys"; }

# clear-creds (swanctl --load-creds --clear, from an empty directory): a
# new authentication has nothing to sign with
mkdir -p "$WORK/empty"
: >"$WORK/empty/swanctl.conf"
out=$(SWANCTL_DIR=$WORK/empty k --load-creds --clear --file "$WORK/empty/swanctl.conf" 2>&1) ||
  die "--load-creds --clear failed: $out"
grep -q "vici: cleared the credentials loaded over VICI" "$WORK/kite/kited.log" || die "kited did not clear: $out"
out=$(k --list-certs 2>&1)
! grep -q "subject:" <<<"$out" || die "--list-certs after --clear-creds: $out"
k --terminate --ike lab --timeout 5 >/dev/null 2>&1 || die "--terminate failed"
n0=$(grep -c "no certificate of connection lab found" "$WORK/kite/kited.log")
out=$(k --initiate --child net --timeout 10 2>&1) && die "initiated after --clear-creds: $out"
n1=$(grep -c "no certificate of connection lab found" "$WORK/kite/kited.log")
[ "$n1" -gt "$n0" ] || die "the initiation after --clear-creds failed for another reason: $out"
log "ok: after --clear-creds the initiation fails: $(echo "$out" | tail -1)"
log "PASS ($((SECONDS - T0)) s)"
